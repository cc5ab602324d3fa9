"""Write the example notebooks of ``reports/notebooks/`` (without outputs).

Run from anywhere: ``.venv/bin/python reports/notebooks/build_notebooks.py``. The notebooks are
generated, so edit them here and rebuild; executed outputs are never committed. Each notebook
reads the environment variable ``COALSURV_QUICK`` (set to 1 by the tests) to sample only a few
draws, and finds the real data sets beside the repository (``../shared/data``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_notebooks import atop_cells, coalgov_cells  # noqa: E402

SETUP = '''\
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import coalsurv
from coalsurv import plots

warnings.filterwarnings("ignore", category=FutureWarning)
QUICK = os.environ.get("COALSURV_QUICK") == "1"          # set by the tests: tiny fits
SAMPLER = dict(draws=100, tune=200, chains=2) if QUICK else dict(draws=1000, tune=1000, chains=4)

# The repository root is the first folder upwards holding pyproject.toml; real data sets live
# beside the repository, in ../shared/data (never copied into it).
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").is_file())
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "reports" / "output"                          # git-ignored
print("coalsurv", coalsurv.__version__, "| quick mode" if QUICK else "", "| data in", DATA)'''


def _nb(cells: list) -> nbformat.NotebookNode:
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: rebuilding changes nothing that did not
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def king1990() -> nbformat.NotebookNode:
    """Cabinet durations of King et al. (1990): Weibull and log-normal models."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# How long do cabinets last? King et al. (1990), Bayesian\n\n"
           "314 cabinets in 15 parliamentary democracies (King, Alt, Burns & Laver 1990, "
           "*AJPS* 34(3)). A cabinet *fell* when it ended before the last 12 months of its "
           "constitutional inter-election period; otherwise it is censored. We fit a Weibull "
           "proportional-hazards model and a log-normal accelerated-failure-time model, read "
           "hazard and time ratios, compare the posterior survival with Kaplan–Meier, and "
           "compare the two models by PSIS-LOO."),
        code(SETUP),
        md("## Data\n\nThe loader reads the original file from `../shared/data/king1990` and "
           "documents every derivation in its data card (`coalsurv.datasets.data_card"
           "(\"king1990\")`)."),
        code('data = coalsurv.datasets.load_king1990(DATA / "king1990")\n'
             'print(data.describe())\ndata'),
        code('data.risk_table([0, 6, 12, 24, 36, 48])   # at risk and cumulative endings, months'),
        md("## Two models\n\nCovariates: investiture requirement (`invest`), polarisation "
           "(`polar`), majority government (`numst2`), length of the formation crisis "
           "(`crisis`, days) and fractionalisation (`fract`). The log-normal specification is "
           "the citable file `models/king1990_lognormal.toml`."),
        code('formula = "invest + polar + numst2 + crisis + fract"\n'
             'weibull = coalsurv.SurvivalModel(formula, family="weibull", name="Weibull PH")\n'
             'lognormal = coalsurv.SurvivalModel.load(\n'
             '    ROOT / "models" / "king1990_lognormal.toml")\n'
             'lognormal'),
        code('fit_w = weibull.fit(data, random_seed=1, progressbar=False, **SAMPLER)\n'
             'fit_ln = lognormal.fit(data, random_seed=1, progressbar=False, **SAMPLER)\n'
             'fit_w'),
        md("## Hazard ratios (Weibull) and time ratios (log-normal)\n\nPer SD and per "
           "original unit of each covariate, with 95% intervals. A hazard ratio above 1 "
           "shortens cabinets; a time ratio above 1 lengthens them."),
        code('fit_w.hazard_ratios().round(3)'),
        code('fit_ln.hazard_ratios().round(3)     # time ratios: attrs["ratio"] says which'),
        code('fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))\n'
             'fit_w.plot_forest(ax=axes[0])      # per SD of each covariate\n'
             'fit_ln.plot_forest(ax=axes[1])\n'
             'plt.show()'),
        md("## Survival curves against Kaplan–Meier\n\nMajority and minority cabinets, the "
           "other covariates at their means, against the Kaplan–Meier curve of each kind."),
        code('times = np.linspace(0, 48, 97)\n'
             'profiles = data.covariates.mean().to_frame().T\n'
             'profiles = pd.concat([profiles, profiles], ignore_index=True)\n'
             'profiles["numst2"] = [0.0, 1.0]\n'
             'profiles["cabinet"] = ["minority", "majority"]   # legend labels, as the KM lines\n'
             'majority = data.covariates["numst2"].to_numpy() == 1\n'
             'km = {"minority": data.subset(~majority).kaplan_meier(),\n'
             '      "majority": data.subset(majority).kaplan_meier()}\n'
             'fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)\n'
             'for ax, fit in zip(axes, (fit_w, fit_ln)):\n'
             '    curves = fit.survival(times, profiles)\n'
             '    plots.plot_survival(curves, km=km, label_by="cabinet",\n'
             '                        ax=ax, title=fit.spec.label)\n'
             'plt.show()'),
        code('fit_ln.median_lifespan(profiles).round(2)     # months, by majority status'),
        code('fit_ln.contrast("numst2", (0, 1)).round(2)   # majority minus minority, months'),
        md("## Checks and comparison\n\n`diagnose()` gives each check a verdict and advice; "
           "`compare()` ranks the models by PSIS-LOO (a difference below about two `dse` "
           "does not separate them)."),
        code('fit_w.diagnose()'),
        code('fit_ln.diagnose()'),
        code('from IPython.display import Markdown\n\n'
             '# the comparison as a paper table (also format="latex" or "html")\n'
             'Markdown(fit_ln.table("comparison", others={"Weibull PH": fit_w},\n'
             '                      format="markdown"))'),
        md("## Report\n\nThe full PDF report (skipped in quick mode)."),
        code('if not QUICK:\n'
             '    path = fit_ln.report(OUT / "king1990_lognormal.pdf",\n'
             '                         compare_with={"Weibull PH": fit_w})\n'
             '    print("wrote", path)'),
    ])


def parlgov() -> nbformat.NotebookNode:
    """ParlGov coalition cabinets: two competing endings."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# How coalition cabinets end: elections versus replacement (ParlGov)\n\n"
           "Coalition cabinets (two or more partisan parties) in ParlGov since 1945 end in one "
           "of two ways: the next cabinet forms after a new **election**, or the cabinet is "
           "**replaced** between elections. We model both cause-specific hazards jointly, "
           "with a frailty for each country, and read the cumulative incidence of each "
           "ending: P(ended that way within t)."),
        code(SETUP),
        code('data = coalsurv.datasets.load_parlgov(DATA / "parlgov")\n'
             'print(data.describe())\n'
             'data.excluded["reason"].value_counts()     # never silent: who was left out, why'),
        md("Durations are in days. Covariates: power concentration among the governing "
           "parties (`power_hhi`, Herfindahl index of seat shares), the breadth of shared "
           "interests (`breadth_range`: minus the left–right range of the governing parties, "
           "so larger values mean closer positions), majority status and the number of "
           "parties."),
        code('model = coalsurv.SurvivalModel(\n'
             '    "power_hhi + breadth_range + majority + n_parties + (1 | country)",\n'
             '    family="weibull", causes=["election", "replaced"], name="ParlGov endings")\n'
             'model'),
        code('fit = model.fit(data, random_seed=2, progressbar=False, **SAMPLER)\nfit'),
        code('ratios = fit.hazard_ratios()\nratios[ratios["scale"] == "per SD"].round(3)'),
        code('fit.plot_forest()                   # per SD of each covariate\nplt.show()'),
        md("## Cumulative incidence of each ending\n\nFor majority and minority coalitions "
           "(other covariates at their means; country effects averaged over countries)."),
        code('times = np.linspace(0, 4 * 365.25, 60)\n'
             'profiles = data.covariates.mean().to_frame().T\n'
             'profiles = pd.concat([profiles, profiles], ignore_index=True)\n'
             'profiles["majority"] = [0.0, 1.0]\n'
             'profiles["cabinet"] = ["minority", "majority"]   # legend labels\n'
             'cif = fit.cumulative_incidence(times, profiles)\n'
             'plots.plot_cumulative_incidence(cif, layout="panels", label_by="cabinet")\n'
             'plt.show()'),
        code('mean_profile = fit.cumulative_incidence(times)\n'
             'plots.plot_cumulative_incidence(\n'
             '    mean_profile, time_unit=fit.time_unit, stacked=True,\n'
             '    title="How a typical coalition has ended by t")\n'
             'plt.show()'),
        md("## P(replaced within two years) against power concentration"),
        code('grid = np.linspace(*np.quantile(data.covariates["power_hhi"], [0.05, 0.95]), 15)\n'
             'means = data.covariates.mean().to_frame().T\n'
             'rows = pd.concat([means] * len(grid), ignore_index=True)\n'
             'rows["power_hhi"] = grid\n'
             'two_years = fit.cumulative_incidence([730.5], rows)\n'
             'two_years["power_hhi"] = grid[two_years["row"].to_numpy()]\n'
             'plots.plot_effect_curve(two_years, x="power_hhi", by="cause",\n'
             '                        ylabel="P(ended that way within 2 years)")\n'
             'plt.show()'),
        code('effects = fit.group_effects()\n'
             'plots.plot_group_effects(effects)\nplt.show()'),
        code('fit.diagnose()'),
    ])


def synthetic() -> nbformat.NotebookNode:
    """Synthetic coalitions with known truth: alliances, power and breadth; recovery."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# When do coalitions become alliances? Synthetic data with known truth\n\n"
           "The bundled synthetic data (600 coalitions in 20 groups, made by "
           "`coalsurv.simulate`) follow the theory: broad shared interests make "
           "transformation into an **alliance** more likely and dissolution less likely; "
           "power concentration has a U-shaped effect on dissolution. Because the true "
           "parameters are known, we can check that the model recovers them."),
        code(SETUP),
        code('data = coalsurv.datasets.load_synthetic()\n'
             'truth = coalsurv.datasets.load_synthetic_truth()\n'
             'print(data.describe())'),
        code('causes = ["dissolution", "goal_reached", "alliance"]\n'
             'model = coalsurv.SurvivalModel(\n'
             '    "breadth + power_hhi + power_hhi_sq + n_members + (1 | group)",\n'
             '    family="weibull", causes=causes, name="competing endings")\n'
             'fit = model.fit(data, random_seed=3, progressbar=False, **SAMPLER)\nfit'),
        md("## Hazard ratios\n\n`power_hhi` enters through two terms (`power_hhi` and "
           "`power_hhi_sq`), so a ratio per term means nothing alone: the forest plot draws "
           "its joint effect between the 75th and the 25th percentile instead (a diamond), "
           "the other covariates per SD."),
        code('fit.plot_forest()\nplt.show()'),
        code('fit.effect_contrasts("power_hhi").round(3)'),
        md("## P(alliance within three years) against power concentration and breadth\n\n"
           "Each covariate moves from its 5th to its 95th percentile, the others at their "
           "means (`power_hhi_sq` moves with `power_hhi`)."),
        code('def alliance_curve(fit, x, horizon=36.0, n=15):\n'
             '    cov = fit.data.covariates\n'
             '    grid = np.linspace(*np.quantile(cov[x], [0.05, 0.95]), n)\n'
             '    rows = pd.concat([cov.mean().to_frame().T] * n, ignore_index=True)\n'
             '    rows[x] = grid\n'
             '    if x == "power_hhi":\n'
             '        rows["power_hhi_sq"] = grid ** 2\n'
             '    out = fit.cumulative_incidence([horizon], rows)\n'
             '    out[x] = grid[out["row"].to_numpy()]\n'
             '    return out\n'
             '\n'
             'curves = {x: alliance_curve(fit, x) for x in ["power_hhi", "breadth"]}\n'
             'fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))\n'
             'for ax, (x, curve) in zip(axes, curves.items()):\n'
             '    plots.plot_effect_curve(curve, x=x, by="cause", ax=ax,\n'
             '                            ylabel="P(ended that way within 36 months)")\n'
             'plt.show()'),
        code('curve = curves["breadth"]\n'
             'columns = ["breadth", "mean", "lower", "upper", "ci_prob"]\n'
             'curve[curve["cause"] == "alliance"][columns].round(3)'),
        md("## Cumulative incidence against Aalen–Johansen\n\nThe posterior predictive "
           "check of each ending is part of `diagnose()` (check `ppc_cif`)."),
        code('diag = fit.diagnose()\ndiag'),
        code('plots.plot_cumulative_incidence(fit.cumulative_incidence(np.linspace(0, 96, 49)),\n'
             '                                time_unit="months", stacked=True)\nplt.show()'),
        md("## Recovery of the true parameters\n\nLog hazard ratios per original unit: the "
           "posterior median and 95% interval against the value used to simulate. (The "
           "simulation shares one frailty across endings; the model gives each ending its "
           "own, which does not bias the coefficients.)"),
        code('ratios = fit.hazard_ratios()\n'
             'per_unit = ratios[ratios["scale"] == "per unit"].copy()\n'
             'per_unit["true"] = [truth["causes"][c]["coefficients"][t]\n'
             '                    for c, t in zip(per_unit["cause"], per_unit["term"])]\n'
             'for col in ("median", "lower", "upper"):\n'
             '    per_unit[col] = np.log(per_unit[col])\n'
             'per_unit["covered"] = ((per_unit["lower"] <= per_unit["true"])\n'
             '                       & (per_unit["true"] <= per_unit["upper"]))\n'
             'columns = ["cause", "term", "true", "median", "lower", "upper", "covered"]\n'
             'recovery = per_unit[columns]\n'
             'recovery.round(3)'),
        code('shapes = fit.summary().set_index("parameter").filter(like="shape", axis=0)\n'
             'shapes.assign(true=[truth["causes"][c]["shape"] for c in causes])[\n'
             '    ["true", "mean", "lower", "upper"]].round(3)'),
        code('fig, ax = plt.subplots(figsize=(7, 4))\n'
             'y = np.arange(len(recovery))[::-1]\n'
             'ax.hlines(y, recovery["lower"], recovery["upper"], color="#0072B2")\n'
             'ax.plot(recovery["median"], y, "o", color="#0072B2",\n'
             '        label="posterior median, 95% interval")\n'
             'ax.plot(recovery["true"], y, "x", color="#D55E00", ms=8, label="true value")\n'
             'ax.set_yticks(y, recovery["cause"] + ": " + recovery["term"])\n'
             'ax.axvline(0, color="0.5", lw=0.8, ls="--")\n'
             'ax.set_xlabel("log hazard ratio per unit")\n'
             'ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, not over rows\n'
             'plt.show()'),
        code('print(f"{recovery.covered.mean():.0%} of the true coefficients lie inside their "\n'
             '      "95% intervals" + (" (quick mode: few draws)" if QUICK else ""))'),
        md("## One data set can miss a parameter: recovery over many data sets\n\n"
           "Each 95% interval misses its true value in 5% of data sets, so with 12 "
           "coefficients and 3 shapes a single data set of 600 coalitions is *expected* to "
           "miss one or two of them, and an interval far from its truth now and then is the "
           "price of one sample, not a sign of bias. This data set misses the "
           "dissolution–breadth coefficient and the alliance shape (the latter by several "
           "posterior SDs). Checked from outside, the simulator and the model agree (units, "
           "time scale, hazard form, frailty, covariates), so two calibration checks run "
           "through the batch runner (`coalsurv.fit_many`) decide it:\n\n"
           "* **Recovery over many seeds**: the same model fitted to data sets simulated "
           "exactly like this one with other seeds "
           "(`reports/validation/synthetic_recovery.py`). If the inference is right, about "
           "95% of all intervals cover and the distance of the truth from the posterior mean, "
           "in posterior SDs (`z`), is roughly standard normal.\n"
           "* **Simulation-based calibration** of the competing-causes Weibull frailty model "
           "(`make validate`, `reports/validation/competing_*`): ranks of the true values "
           "among the posterior draws are uniform and 50% / 90% intervals cover at their "
           "nominal rates over 100 prior draws.\n\n"
           "The cells below read the committed results (they fit nothing)."),
        code('VALID = ROOT / "reports" / "validation"\n'
             'if (VALID / "synthetic_recovery.csv").is_file():\n'
             '    many = pd.read_csv(VALID / "synthetic_recovery.csv")\n'
             '    by_parameter = many.groupby(["cause", "parameter"]).agg(\n'
             '        coverage=("covered", "mean"), mean_z=("z", "mean"), sd_z=("z", "std"))\n'
             '    print(f"{many.seed.nunique()} data sets of 600: {many.covered.mean():.1%} of "\n'
             '          f"{len(many)} 95% intervals contain the truth; data sets missing at "\n'
             '          f"least one parameter: "\n'
             '          f"{(~many.groupby(\'seed\').covered.all()).mean():.0%}")\n'
             '    display(by_parameter.round(2))\n'
             'else:\n'
             '    print("run reports/validation/synthetic_recovery.py to make the table")'),
        code('if (VALID / "competing_uniformity.csv").is_file():\n'
             '    sbc_ranks = pd.read_csv(VALID / "competing_uniformity.csv")\n'
             '    sbc_cover = pd.read_csv(VALID / "competing_coverage.csv")\n'
             '    print("SBC of the competing-causes model: uniformity fails for",\n'
             '          list(sbc_ranks.loc[~sbc_ranks.ok, "quantity"]) or "no quantity",\n'
             '          "| coverage fails for",\n'
             '          list(sbc_cover.loc[~sbc_cover.ok, "quantity"]) or "no quantity")\n'
             '    display(sbc_cover.pivot(index="quantity", columns="nominal", values="share"))\n'
             'else:\n'
             '    print("run make validate to make the SBC tables")'),
        md("Reading the two checks (results committed with the repository, 20 data sets of "
           "600 and 100 SBC simulations of 100): the SBC passes, so the likelihood, the "
           "censoring and the frailty are coded consistently with the model; over the many "
           "seeds about 94% of the 95% intervals cover, within binomial error of 95%, and more "
           "than half of the data sets miss at least one of the 15 parameters, as expected. So "
           "this data set's misses are the luck of one sample. One pattern remains: the three "
           "shapes' mean `z` is above 0 (the truth above the posterior mean: shapes estimated "
           "somewhat low at this truth), about two standard errors over 20 data sets. A "
           "candidate cause is the frailty structure: the simulation shares one group effect "
           "across endings, the model estimates one per ending and shrinks its SD, and "
           "unmodelled heterogeneity flattens Weibull shapes. More seeds "
           "(`synthetic_recovery.py 100`) would settle it."),
    ])

def replication() -> nbformat.NotebookNode:
    """Walk a full replication: original, exported prior, replication, sensitivity, BF."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# Replicating a coalition-survival study, Bayesian\n\n"
           "Early terminations of 628 coalition governments in 29 countries (Rosche's `coalgov` "
           "data), Weibull proportional hazards with a country frailty. The countries are split "
           "into two halves: half **A** is the *original study*, half **B** the *replication*. "
           "We export A's posterior as a prior (`PriorSet.from_fit`: one multivariate normal "
           "that keeps the coefficients' correlations, a power prior with discount a0), check "
           "what that prior implies in human units, fit B with it, ask how much the prior drove "
           "the result (power-scaling sensitivity) and whether B replicates A (replication "
           "Bayes factor, Verhagen & Wagenmakers 2014)."),
        code(SETUP),
        md("## Two studies from one data set\n\nEvery other country (alphabetically) goes to "
           "the original study A, the rest to the replication B."),
        code('data = coalsurv.datasets.load_coalgov(DATA / "coalgov" / "coalgov.csv")\n'
             'country = np.asarray(data.groups["cname"]).astype(str)\n'
             'half_a = set(sorted(set(country))[::2])\n'
             'in_a = np.array([c in half_a for c in country])\n'
             'study_a, study_b = data.subset(in_a), data.subset(~in_a)\n'
             'print(f"A: {study_a.n} governments in {len(half_a)} countries; "\n'
             '      f"B: {study_b.n} governments in {len(set(country)) - len(half_a)} countries")'),
        md("## The original study"),
        code('formula = "power_hhi + n_parties + majority + (1 | cname)"\n'
             'model = coalsurv.SurvivalModel(formula, family="weibull", name="coalgov")\n'
             'fit_a = model.fit(study_a, random_seed=2, progressbar=False, **SAMPLER)\n'
             'fit_a.hazard_ratios().query("scale == \'per unit\'")'),
        md("## Export: the posterior of A as a prior\n\n"
           "Coefficients per **original unit** (so B's standardisation does not matter), shape "
           "and frailty SD on the log scale, all in one multivariate normal; covariance divided "
           "by the discount a0 (1 = A counts fully, 0.5 = half). The file is plain TOML with a "
           "provenance block."),
        code('prior = coalsurv.PriorSet.from_fit(fit_a, discount=1.0)\n'
             'joint = prior.explicit("beta_unit[*]")\n'
             'OUT.mkdir(parents=True, exist_ok=True)\n'
             'prior.save(OUT / "prior_from_a.toml")\n'
             'print(joint)\n'
             'pd.DataFrame(joint.correlation(), index=joint.terms, columns=joint.terms).round(2)'),
        md("## Prior predictive check in human units\n\n"
           "What does each prior say about B *before* seeing B's outcomes? Median lifespan of a "
           "typical government (days), hazard ratios per SD and survival; more than 1% of "
           "prior mass on medians over 1,000 years or under a day would be flagged."),
        code('from coalsurv.fit.prior_predictive import prior_predictive\n\n'
             'sceptical = coalsurv.PriorSet.load(ROOT / "models" / "sceptical_priors.toml")\n'
             'checks = {name: prior_predictive(coalsurv.SurvivalModel(formula, family="weibull",\n'
             '                                                        priors=p), study_b)\n'
             '          for name, p in {"from A": prior, "sceptical": sceptical}.items()}\n'
             'for name, table in checks.items():\n'
             '    print(name, f"absurd share {table.attrs[\'absurd_share\']:.1%}")\n'
             'checks["from A"]'),
        md("## The replication, with and without A's prior\n\n"
           "`fit_seq` is the sequential analysis (B with A's posterior as prior); `fit_b` is an "
           "independent replication under the default prior; `fit_all` uses all countries."),
        code('fit_seq = coalsurv.SurvivalModel(formula, family="weibull", priors=prior).fit(\n'
             '    study_b, random_seed=3, progressbar=False, **SAMPLER)\n'
             'fit_b = model.fit(study_b, random_seed=3, progressbar=False, **SAMPLER)\n'
             'fit_all = model.fit(data, random_seed=1, progressbar=False, **SAMPLER)\n'
             '\n\ndef per_unit(fit):\n'
             '    """Posterior median log hazard ratio per unit of each term."""\n'
             '    hr = fit.hazard_ratios().query("scale == \'per unit\'").set_index("term")\n'
             '    return np.log(hr["median"])\n\n\n'
             'pd.DataFrame({"A": per_unit(fit_a), "B alone": per_unit(fit_b),\n'
             '              "B with A\'s prior": per_unit(fit_seq), "all data": per_unit(fit_all)})'
             '.round(3)'),
        code('terms = list(fit_all.info.terms)\n'
             'fig, axes = plt.subplots(1, len(terms), figsize=(11, 3))\n'
             'fits = {"A": fit_a, "B alone": fit_b, "B with A": fit_seq, "all": fit_all}\n'
             'for ax, term in zip(axes, terms, strict=True):\n'
             '    for i, fit in enumerate(fits.values()):\n'
             '        hr = fit.hazard_ratios().query("scale == \'per unit\' and term == @term")\n'
             '        lo, mid, hi = np.log(hr[["lower", "median", "upper"]].iloc[0])\n'
             '        ax.errorbar(mid, i, xerr=[[mid - lo], [hi - mid]], fmt="o")\n'
             '    ax.axvline(0, color="grey", lw=0.8)\n'
             '    ax.set_yticks(range(len(fits)), list(fits))\n'
             '    ax.set_title(term)\n'
             '    ax.set_xlabel("log hazard ratio per unit")\n'
             'fig.tight_layout()'),
        md("## How much did the prior drive the replication?\n\n"
           "Power-scaling sensitivity (`arviz_stats.psense_summary`): the prior and the "
           "likelihood are each raised to a power near 1 and the change of every posterior "
           "is measured; above 0.05 counts as sensitive. *prior-data conflict*: both matter "
           "(B disagrees with A); *strong prior, weak likelihood*: A's prior decides."),
        code('from coalsurv.report.export import parameter_label   # reader names\n'
             '\n'
             'sens = fit_seq.sensitivity()\n'
             'sens["label"] = [parameter_label(fit_seq, p) for p in sens["parameter"]]\n'
             'ax = sens.set_index("label")[["prior", "likelihood"]].plot.barh(figsize=(6, 3))\n'
             'ax.set_ylabel("")\n'
             'ax.axvline(0.05, color="grey", ls="--")\n'
             'ax.set_xlabel("power-scaling sensitivity")\n'
             'sens'),
        md("## Did B replicate A?\n\n"
           "Per coefficient: does B's 95% interval cover A's estimate, how much do the two "
           "posteriors overlap, and the replication Bayes factor BF_r0 = p(B | effect ~ "
           "A's posterior) / p(B | no effect) in its normal approximation (formula in "
           "`coalsurv.fit.replication`). BF > 1 favours the replication, < 1 the sceptic."),
        code('coalsurv.replication(fit_a, fit_b).round(3)'),
        code('if not QUICK:\n'
             '    print(fit_seq.diagnose(loo=False)["prior_sensitivity"])'),
    ])


def multistate() -> nbformat.NotebookNode:
    """Multi-state paths coalition -> alliance -> community: simulator data, real-data limits."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# How coalitions transform: coalition -> alliance -> community\n\n"
           "A coalition may dissolve or deepen into an alliance; an alliance may deepen into an "
           "integrated community or still dissolve. `coalsurv.MultiStateModel` fits one "
           "Bayesian hazard model per transition (the likelihood factorises over transitions) "
           "and combines their posterior draws into **state occupancy** probabilities with "
           "credible bands. The data are the bundled simulated histories "
           "(`datasets/synthetic_multistate.md`), whose true parameters are known."),
        code(SETUP),
        code('data = coalsurv.datasets.load_synthetic_multistate()\n'
             'truth = coalsurv.datasets.load_synthetic_multistate_truth()\n'
             'print(data)\npd.Series({f"{a} -> {b}": n for (a, b), n in data.observed.items()})'),
        md("## The model\n\nSemi-Markov (`clock=\"reset\"`: each hazard runs on the time since "
           "entering the state), Weibull hazards, a region frailty per transition. Power "
           "concentration enters dissolution with a square term (the simulator's U-shape)."),
        code('transitions = {\n'
             '    "coalition -> alliance": "breadth + (1 | region)",\n'
             '    "coalition -> dissolution": "breadth + power_hhi + power_hhi_sq + (1 | region)",\n'
             '    "alliance -> community": "breadth + (1 | region)",\n'
             '    "alliance -> dissolution": "breadth + (1 | region)",\n'
             '}\n'
             'model = coalsurv.MultiStateModel(transitions, family="weibull", clock="reset")\n'
             'fit = model.fit(data, random_seed=1, progressbar=False, **SAMPLER)\nfit'),
        md("## Hazard ratios per transition, against the truth\n\nLog hazard ratios per unit. "
           "In the simulator breadth's effect on coalition -> alliance *grows with age* "
           "(`age` = 0.5: the ratio is `exp(beta) t^0.5` at age `t`); a proportional-hazards "
           "model estimates an average of it over the ages at which coalitions deepen, so its "
           "`breadth` ratio there is not the `beta` of the table (the `tve()` term of the "
           "time-varying-effects issue models the growth itself)."),
        code('hr = fit.hazard_ratios(ci_prob=0.90)\n'
             'per_unit = hr[hr["scale"] == "per unit"].copy()\n'
             'per_unit["true"] = [truth["params"]["transitions"][k]["beta"][t]\n'
             '                    for k, t in zip(per_unit["transition"], per_unit["term"])]\n'
             'for col in ("median", "lower", "upper"):\n'
             '    per_unit[col] = np.log(per_unit[col])\n'
             'per_unit[["transition", "term", "true", "median", "lower", "upper"]].round(2)'),
        code('fit.plot_transition_diagram()\nplt.show()'),
        md("## State occupancy\n\nThe probability of being in each state at each age, for "
           "narrow and broad shared interests (the other covariates at their means; region "
           "effects integrated out). Occupancies of one posterior draw sum to 1."),
        code('profiles = pd.DataFrame({"breadth": [0.2, 0.8], "power_hhi": 0.6,\n'
             '                         "power_hhi_sq": 0.36})\n'
             'times = np.linspace(0, 20, 41)\n'
             'occ = fit.state_occupancy(times, profiles, random_seed=2)\n'
             'fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)\n'
             'for ax, row in zip(axes, [0, 1]):\n'
             '    fit.plot_state_occupancy(times, profiles.iloc[[row]], ax=ax)\n'
             '    ax.set_title(f"breadth = {profiles.breadth[row]}")\n'
             'plt.show()\n'
             'occ[occ["time"].isin([5.0, 10.0, 20.0])].round(3)'),
        code('fit.expected_time_in_state(20.0, profiles).round(2)'),
        md("## Posterior occupancy against the truth and against Aalen–Johansen\n\n"
           "For a typical region (`frailty=\"zero\"`) the true occupancy of a profile is "
           "computed from 200,000 simulated paths of the simulator. The Aalen–Johansen "
           "estimate of the data (written in `coalsurv.aalen_johansen`) is the empirical "
           "reference of a model without covariates."),
        code('sim = coalsurv.simulate_multistate(10, clock="reset")  # only for true_occupancy\n'
             'profile = {"breadth": 0.5, "power_hhi": 0.6, "power_hhi_sq": 0.36}\n'
             'check_times = [2.0, 5.0, 10.0]\n'
             'true = sim.true_occupancy(check_times, profile, frailty=False)\n'
             'ours = fit.state_occupancy(check_times, pd.DataFrame([profile]), frailty="zero")\n'
             'ours.merge(true, on=["time", "state"])[["time", "state", "mean", "lower",\n'
             '                                        "upper", "occupancy"]].round(3)'),
        code('fit.plot_transition_hazards(np.linspace(0.1, 15, 40))\nplt.show()'),
        code('fit.loo().round(2)'),
        md("## Real data: what ATOP allows\n\nATOP v4.01 records an alliance's obligations "
           "per **phase** (member-level `phase`, `maxphase`): a renegotiation that changes "
           "the obligations opens a new phase, which is exactly a transition between depths "
           "of cooperation. Below: alliances that start without defence or offence "
           "obligations (*shallow*) and later add them (*deep*), from `../shared/data/atop`."),
        code('atop = DATA / "atop" / "atop-member-level.csv"\n'
             'if atop.is_file():\n'
             '    m = pd.read_csv(atop)\n'
             '    m["phase"] = m["phase"].where(m["maxphase"] > 0, 1)\n'
             '    ph = (m.groupby(["atopid", "phase"])\n'
             '          .agg(defense=("defense", "max"), offense=("offense", "max"))\n'
             '          .reset_index().sort_values(["atopid", "phase"]))\n'
             '    ph["deep"] = (ph["defense"] + ph["offense"]) > 0\n'
             '    before = ph.groupby("atopid")["deep"].shift()\n'
             '    counts = pd.Series({\n'
             '        "alliances": ph["atopid"].nunique(),\n'
             '        "with more than one phase": int((ph["phase"] > 1).groupby(ph["atopid"])\n'
             '                                        .any().sum()),\n'
             '        "start shallow": int((~ph.groupby("atopid")["deep"].first()).sum()),\n'
             '        "shallow -> deep": int(((before == False) & ph["deep"]).sum()),  # noqa: E712\n'
             '        "deep -> shallow": int(((before == True) & ~ph["deep"]).sum()),  # noqa: E712\n'
             '    })\n'
             'else:\n'
             '    counts = pd.Series({"ATOP data": "absent"})\n'
             'counts'),
        md("Only three of the 459 alliances that start shallow ever deepen to defence or "
           "offence obligations in ATOP v4.01 (one goes the other way): far too few events to "
           "estimate a shallow -> deep hazard, let alone its dependence on breadth. What ATOP "
           "supports is the *ending* of alliances of each depth (a single-ending or "
           "competing-risks model with obligations as covariates; `termmode` codes need the "
           "ATOP codebook). The coalition -> alliance -> community paths are therefore shown "
           "on simulated data only; neither ParlGov, coalgov nor King et al. (1990) record a "
           "coalition's transformation."),
    ])


def parlgov_time() -> nbformat.NotebookNode:
    """ParlGov cabinets: two endings and a time-varying effect of ideological range."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# Does ideological range matter less as a cabinet ages? (ParlGov, tve)\n\n"
           "Participation over time can broaden the interests members see as shared, so the "
           "effect of a coalition's ideological range on its hazards may change with its "
           "age. We fit the two cause-specific hazards of ParlGov coalition cabinets (next "
           "cabinet after an **election**, or **replaced** between elections) with a "
           "*time-varying effect* `tve(breadth_range, type='pw', df=4)`: the hazard ratio of "
           "`breadth_range` is constant on four intervals of follow-up (cut at quartiles of "
           "the ending times) and a random-walk prior smooths it between neighbours."),
        code(SETUP),
        code('data = coalsurv.datasets.load_parlgov(DATA / "parlgov")\n'
             'print(data.describe())'),
        md("`breadth_range` is minus the left–right range of the governing parties (larger = "
           "closer positions, broader shared interests)."),
        code('model = coalsurv.SurvivalModel(\n'
             '    "tve(breadth_range, type=\'pw\', df=4) + power_hhi + majority + (1 | country)",\n'
             '    family="weibull", causes=["election", "replaced"], name="ParlGov tve")\n'
             'fit = model.fit(data, random_seed=4, progressbar=False, **SAMPLER)\n'
             'fit.summary().round(3)'),
        code('ratios = fit.hazard_ratios()\n'
             'fit.plot_forest()          # per SD: the average effects over time\n'
             'plt.show()'),
        md("## The hazard ratio of ideological range over a cabinet's life\n\n"
           "Per SD of `breadth_range`, for each ending; dotted lines mark the intervals."),
        code('times = np.linspace(1, 4 * 365.25, 200)\n'
             'fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)\n'
             'for ax, cause in zip(axes, fit.info.causes, strict=True):\n'
             '    effect = fit.time_varying_effect("breadth_range", times, per="sd",\n'
             '                                     cause=cause, ci_prob=0.9)\n'
             '    plots.plot_time_varying_effect(effect, time_unit=fit.time_unit, ax=ax,\n'
             '                                   title=f"ending: {cause}")\n'
             'plt.show()'),
        code('quartiles = np.quantile(data.time, [0.25, 0.5, 0.75])\n'
             'fit.time_varying_effect("breadth_range", quartiles, per="sd", cause="replaced")'
             '.round(3)'),
        md("## Population-averaged incidence of each ending\n\n"
           "`average=True` averages the curves over every cabinet's covariates per draw (in "
           "chunks, so memory stays bounded), then summarises."),
        code('cabinets = data.episode_profiles()\n'
             'cabinets = cabinets.iloc[:100] if QUICK else cabinets   # quick mode: 100 rows\n'
             'cif = fit.cumulative_incidence(np.linspace(0, 4 * 365.25, 40), cabinets,\n'
             '                               average=True)\n'
             'cif.groupby("cause").tail(1).round(3)'),
        code('fit.diagnose()'),
    ])

def transform() -> nbformat.NotebookNode:
    """Do coalitions transform? ATOP deepening and ParlGov re-formation, multi-state."""
    md, code = new_markdown_cell, new_code_cell
    return _nb([
        md("# Do coalitions transform? ATOP alliances and ParlGov coalitions\n\n"
           "The theory: cooperation that lasts can *transform* — a pact deepens into an "
           "alliance, an alliance into an institution, a cabinet coalition carries on as the "
           "same coalition after an election — rather than dissolve, and it does so more when "
           "the members' obligations or shared interests are **broad** and when power is "
           "**not concentrated** in one member. Two real multi-state histories "
           "(`coalsurv.datasets.data_card(\"atop_transformation\")`, "
           "`data_card(\"parlgov_transformation\")`):\n\n"
           "- **ATOP deepening** (years): shallow agreements (consultation, neutrality, "
           "non-aggression) that become a defence/offence pact among the same states "
           "(`shallow -> deep`), deep alliances that add an institution "
           "(`deep -> institutionalised`), exits to `dissolved`;\n"
           "- **ParlGov re-formation** (days): coalition runs (same parties) that govern on "
           "after an election (`coalition -> reformed -> reformed_twice`), exits to "
           "`dissolved`.\n\n"
           "We describe both, check a no-covariate model against the Aalen–Johansen estimator, "
           "fit the theory's covariates, read the answer with its uncertainty, say what the "
           "data cannot tell, and carry the ATOP posterior into ParlGov as a prior."),
        code(SETUP),
        md("## The two designs"),
        code('from coalsurv.datasets import (load_atop_transformation,\n'
             '                                 load_parlgov_transformation, transformation_atop,\n'
             '                                 transformation_parlgov)\n\n'
             'atop = load_atop_transformation(DATA / "atop", design="deepening")\n'
             'pg = load_parlgov_transformation(DATA / "parlgov", design="reformation")\n'
             'print(atop)\nprint(pg)\n\n'
             'def counts(data):\n'
             '    """Sojourns per state and how they end (censored included)."""\n'
             '    return (data.frame.groupby(["state", "to"], sort=False).size()\n'
             '            .unstack(fill_value=0))\n\n'
             'counts(atop)'),
        code('counts(pg)'),
        md("Few transformations: 30 deepenings among 416 shallow pacts and 6 "
           "institutionalisations; 100 re-formations among 635 coalition runs, 26 second "
           "ones. And they cluster in time: most ATOP deepenings are inter-war, while the "
           "post-1991 pacts are mostly still in force (censored)."),
        code('atop.frame.assign(event=atop.frame["to"]).pivot_table(\n'
             '    index=["era"], columns=["state", "event"], values="id", aggfunc="count",\n'
             '    fill_value=0)'),
        code('pg_rows = load_parlgov_transformation(DATA / "parlgov", as_frame=True)\n'
             'first = pg_rows[pg_rows["state"] == "coalition"]\n'
             'era = np.where(first["year"] < 1945, "before 1945", "1945 on")\n'
             'first.groupby(era)["to"].value_counts().unstack(fill_value=0)'),
        md("## Aalen–Johansen: how often do they transform?\n\n"
           "`coalsurv.aalen_johansen` is the empirical state occupancy (product integral of "
           "the observed transition rates, delayed entry in the risk sets; no covariates)."),
        code('YEAR = 365.25\n'
             'atop_times = np.linspace(0, 60, 121)\n'
             'pg_times = np.linspace(0, 12 * YEAR, 121)\n'
             'aj_atop = coalsurv.aalen_johansen(atop, atop_times, start="shallow")\n'
             'aj_pg = coalsurv.aalen_johansen(pg, pg_times, start="coalition")\n'
             'fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)\n'
             'for ax, aj, scale, title in ((axes[0], aj_atop, 1, "ATOP: shallow pacts"),\n'
             '                             (axes[1], aj_pg, YEAR, "ParlGov: coalition runs")):\n'
             '    for state, part in aj.groupby("state", sort=False):\n'
             '        ax.step(part["time"] / scale, part["occupancy"], where="post", label=state)\n'
             '    ax.set(title=title, xlabel="years since formation")\n'
             '    ax.legend()\n'
             'axes[0].set_ylabel("share of units in the state")\n'
             'plt.show()\n'
             'pd.concat({\n'
             '    "ATOP, 10 and 30 years": coalsurv.aalen_johansen(atop, [10, 30],\n'
             '                                                     start="shallow"),\n'
             '    "ParlGov, 2 and 4 years": coalsurv.aalen_johansen(pg, [2 * YEAR, 4 * YEAR],\n'
             '                                                      start="coalition"),\n'
             '}).round(3)'),
        md("## A model without covariates reproduces Aalen–Johansen\n\n"
           "One piecewise-exponential hazard per transition (12 intervals) on the forward "
           "(Markov) clock — the model Aalen–Johansen estimates non-parametrically. The "
           "posterior mean occupancy should match it at the quartiles of follow-up."),
        code('def flat_model(transitions):\n'
             '    # one piecewise-exponential hazard per transition, no covariates\n'
             '    return coalsurv.MultiStateModel({k: "1" for k in transitions},\n'
             '                                    family="piecewise", clock="forward",\n'
             '                                    family_options={"n_intervals": 12})\n\n\n'
             'ATOP_T = transformation_atop.TRANSITIONS["deepening"]\n'
             'PG_T = transformation_parlgov.TRANSITIONS["reformation"]\n'
             'with warnings.catch_warnings():\n'
             '    warnings.simplefilter("ignore")\n'
             '    flat_atop = flat_model(ATOP_T).fit(atop, random_seed=3, progressbar=False,\n'
             '                                       **SAMPLER)\n'
             '    flat_pg = flat_model(PG_T).fit(pg, random_seed=3, progressbar=False, **SAMPLER)\n'
             '\n\n'
             'def against_aj(fit, data, start):\n'
             '    # posterior occupancy against Aalen-Johansen at the follow-up quartiles\n'
             '    q = np.quantile(data.frame.groupby("id")["stop"].max(), [0.25, 0.5, 0.75])\n'
             '    both = fit.state_occupancy(q, None, start=start).merge(\n'
             '        coalsurv.aalen_johansen(data, q, start=start), on=["time", "state"])\n'
             '    both["difference"] = both["mean"] - both["occupancy"]\n'
             '    return both[["time", "state", "occupancy", "mean", "lower", "upper",\n'
             '                 "difference"]]\n\n'
             'check = pd.concat({"ATOP": against_aj(flat_atop, atop, "shallow"),\n'
             '                   "ParlGov": against_aj(flat_pg, pg, "coalition")})\n'
             'print("largest |model - Aalen-Johansen|:",\n'
             '      check["difference"].abs().max().round(3))\n'
             'check.round(3)'),
        code('fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))\n'
             'flat_atop.plot_state_occupancy(np.linspace(0, 60, 61), start="shallow",\n'
             '                               empirical=True, ax=axes[0])\n'
             'flat_pg.plot_state_occupancy(np.linspace(0, 12 * YEAR, 61), start="coalition",\n'
             '                             empirical=True, ax=axes[1])\n'
             'axes[0].set_title("ATOP (years)")\n'
             'axes[1].set_title("ParlGov (days)")\n'
             'plt.show()'),
        md("## The theory's covariates\n\n"
           "Weibull hazards on the time since entering the state (`clock=\"reset\"`), with "
           "what the loaders measure at the signing (ATOP) or the run's first cabinet "
           "(ParlGov):\n\n"
           "| theory | ATOP | ParlGov |\n|---|---|---|\n"
           "| breadth of obligations / of shared interests | `n_obligations` (obligation "
           "types) | `lr_range` (left–right range: *larger = narrower* shared interests) |\n"
           "| power concentration | `power_hhi` (Herfindahl of CINC shares) | `power_hhi` "
           "(Herfindahl of seat shares) |\n"
           "| other | `polity2_sd` (regime dissimilarity) | `majority` |\n\n"
           "Era (ATOP) and country (ParlGov) enter as a frailty per transition. The rare "
           "transitions get no covariates: 6 institutionalisations, 18 deep dissolutions and "
           "26 second re-formations cannot carry coefficients."),
        code('atop_model = coalsurv.MultiStateModel({\n'
             '    "shallow -> deep": "n_obligations + power_hhi + polity2_sd + (1 | era)",\n'
             '    "shallow -> dissolved": "n_obligations + power_hhi + polity2_sd + (1 | era)",\n'
             '    "deep -> institutionalised": "1",\n'
             '    "deep -> dissolved": "1",\n'
             '}, family="weibull", clock="reset", name="ATOP deepening")\n'
             'pg_formula = "lr_range + power_hhi + majority + (1 | country)"\n'
             'pg_model = coalsurv.MultiStateModel({\n'
             '    "coalition -> reformed": pg_formula,\n'
             '    "coalition -> dissolved": pg_formula,\n'
             '    "reformed -> reformed_twice": "1",\n'
             '    "reformed -> dissolved": "1",\n'
             '    "reformed_twice -> dissolved": "1",\n'
             '}, family="weibull", clock="reset", name="ParlGov re-formation")\n'
             'with warnings.catch_warnings():\n'
             '    warnings.simplefilter("ignore")\n'
             '    fit_atop = atop_model.fit(atop, random_seed=5, progressbar=False, **SAMPLER)\n'
             '    fit_pg = pg_model.fit(pg, random_seed=5, progressbar=False, **SAMPLER)\n'
             'fit_atop'),
        code('def ratios(fit):\n'
             '    hr = fit.hazard_ratios(ci_prob=0.90)\n'
             '    hr = hr[hr["scale"] == "per SD"]\n'
             '    return hr[["transition", "term", "median", "lower", "upper", "prob_above_1"]]\n\n'
             '\n\npd.concat({"ATOP": ratios(fit_atop), "ParlGov": ratios(fit_pg)}).round(3)'),
        code('fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))\n'
             'fit_atop.plot_transition_diagram(ax=axes[0])\n'
             'fit_pg.plot_transition_diagram(ax=axes[1])\n'
             'plt.show()'),
        md("Checks that do not pass, per transition. With the quick sampler of the tests (2 "
           "chains x 200 draws) the effective-sample-size and R-hat checks fail by "
           "construction; rerun without `COALSURV_QUICK` (4 chains x 1000 draws) before "
           "reading the intervals as final."),
        code('import contextlib\n'
             'import io\n\n'
             'quiet = io.StringIO()   # the prior-sensitivity check prints notes\n'
             'with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \\\n'
             '        warnings.catch_warnings():\n'
             '    warnings.simplefilter("ignore")\n'
             '    diag = {**fit_atop.diagnose(), **fit_pg.diagnose()}\n'
             'bad = pd.DataFrame([{"transition": k, "check": c.name, "verdict": c.verdict,\n'
             '                     "where": c.detail}\n'
             '                    for k, d in diag.items() for c in d.results\n'
             '                    if c.verdict in ("warn", "fail")])\n'
             'bad.groupby(["transition", "verdict"], sort=False)["check"].agg(", ".join)'
             '.unstack(fill_value="")'),
        md("The posterior predictive checks (`ppc_*`) compare each transition's model with "
           "its own Kaplan–Meier curve. Where they fail, one Weibull shape per transition "
           "misdescribes *when* that transition happens (the piecewise model above, which "
           "matches Aalen–Johansen, does not) — re-formation can only happen at an election, so "
           "its hazard follows the electoral calendar (a peak near four years), which one "
           "shape cannot — and the occupancy curves below inherit it: "
           "read the covariate models for *which* coalitions transform more, the "
           "no-covariate model for *how often*."),
        code('bad[bad["check"].str.startswith("ppc")]'),
        md("## Reading the answer: contrasting profiles\n\n"
           "State occupancy for two profiles per data set (other covariates at their means; "
           "the era / country effect integrated out), and per posterior draw the difference in "
           "the probability of having transformed."),
        code('atop_profiles = pd.DataFrame({\n'
             '    "n_obligations": [1.0, 2.0], "power_hhi": [0.95, 0.5],\n'
             '    "polity2_sd": atop.frame["polity2_sd"].mean()},\n'
             '    index=["narrow, hegemonic", "broad, balanced"])\n'
             'pg_profiles = pd.DataFrame({\n'
             '    "lr_range": [4.0, 1.0], "power_hhi": [0.7, 0.4], "majority": 1.0},\n'
             '    index=["wide range, dominant party", "narrow range, balanced"])\n'
             'occ_atop = fit_atop.state_occupancy([10.0, 30.0], atop_profiles, start="shallow",\n'
             '                                    random_seed=2)\n'
             'occ_pg = fit_pg.state_occupancy([4 * YEAR, 8 * YEAR], pg_profiles,\n'
             '                                start="coalition", random_seed=2)\n'
             'pd.concat([occ_atop, occ_pg]).round(3)'),
        code('def transformed_difference(fit, profiles, t, start, states):\n'
             '    """P(in a transformed state at t): second profile minus first, per draw."""\n'
             '    d = fit.state_occupancy([t], profiles, start=start, summary=False,\n'
             '                            random_seed=2)\n'
             '    p = d.sel(state=states).sum("state").isel(time=0).values  # draw x row\n'
             '    diff = p[:, 1] - p[:, 0]\n'
             '    return pd.Series({"first": p[:, 0].mean(), "second": p[:, 1].mean(),\n'
             '                      "difference": diff.mean(),\n'
             '                      "lower 5%": np.quantile(diff, 0.05),\n'
             '                      "upper 95%": np.quantile(diff, 0.95),\n'
             '                      "P(difference > 0)": (diff > 0).mean()})\n\n\n'
             'pd.DataFrame({\n'
             '    "ATOP: deep or institutionalised at 30 years": transformed_difference(\n'
             '        fit_atop, atop_profiles, 30.0, "shallow",\n'
             '        ["deep", "institutionalised"]),\n'
             '    "ParlGov: re-formed at 8 years": transformed_difference(\n'
             '        fit_pg, pg_profiles, 8 * YEAR, "coalition",\n'
             '        ["reformed", "reformed_twice"]),\n'
             '}).T.round(3)'),
        code('fig, axes = plt.subplots(2, 2, figsize=(11, 7))\n'
             'for ax, name in zip(axes[0], atop_profiles.index, strict=True):\n'
             '    fit_atop.plot_state_occupancy(np.linspace(0, 40, 41),\n'
             '                                  atop_profiles.loc[[name]], start="shallow",\n'
             '                                  ax=ax)\n'
             '    ax.set_title(f"ATOP: {name}")\n'
             'for ax, name in zip(axes[1], pg_profiles.index, strict=True):\n'
             '    fit_pg.plot_state_occupancy(np.linspace(0, 10 * YEAR, 41),\n'
             '                                pg_profiles.loc[[name]], start="coalition", ax=ax)\n'
             '    ax.set_title(f"ParlGov: {name}")\n'
             'plt.tight_layout()\n'
             'plt.show()'),
        md("## What the data cannot tell\n\n"
           "- **Few events.** 30 deepenings (reaching only 23 distinct deep alliances: the "
           "Balkan Entente alone gives 5) and 6 institutionalisations; the intervals of the "
           "deepening ratios above are wide, and nothing can be said about how breadth or "
           "power shape institutionalisation or a second re-formation.\n"
           "- **Era confounding.** Over half the deepenings are inter-war, while most post-1991 "
           "pacts are still in force; obligations, power concentration and censoring all move "
           "with the era. The era frailty absorbs part of it, but with four eras its SD is "
           "barely identified, so the covariate ratios are *within-era contrasts in a handful "
           "of events*, not causal effects. In ParlGov the pre-1945 runs (a fifth of the "
           "runs, a quarter of the re-formations, mostly French and German) are shorter; "
           "`since=1945` is the check.\n"
           "- **Not the same transformation.** ATOP's deepening is a new treaty among the same "
           "states; ParlGov's re-formation is surviving an election as the same party set. "
           "The second says as much about electoral calendars as about cooperation (a run "
           "can only re-form if an election falls inside it).\n"
           "- **Dependence.** Histories are not independent (successor treaties; pairs of one "
           "cabinet); posterior intervals assume they are and are therefore too narrow."),
        md("The era check for ParlGov: the same model on the runs that start in 1945 or "
           "later (`since=1945`: 499 runs, 74 and 18 re-formations)."),
        code('pg45 = load_parlgov_transformation(DATA / "parlgov", design="reformation",\n'
             '                                   since=1945)\n'
             'with warnings.catch_warnings():\n'
             '    warnings.simplefilter("ignore")\n'
             '    fit_pg45 = pg_model.fit(pg45, random_seed=5, progressbar=False, **SAMPLER)\n'
             'era_check = ratios(fit_pg).merge(ratios(fit_pg45), on=["transition", "term"],\n'
             '                                 suffixes=(" all years", " since 1945"))\n'
             'era_check[era_check["transition"].str.startswith("coalition")].round(3)'),
        md("Power concentration and majority status keep their ratios after 1945; the effect "
           "of the left–right range on dissolution is weaker and no longer clear: part of it "
           "rests on the pre-war runs, so era and breadth are not separated by these data."),
        md("## Carrying the ATOP posterior into ParlGov\n\n"
           "`power_hhi` is the one covariate both designs measure on the same scale (a "
           "Herfindahl index in [0, 1]; CINC shares in ATOP, seat shares in ParlGov) and "
           "dissolution the one transition both have. `MultiStateFit.priors_from_fit` turns "
           "each transition's posterior into a prior set (`PriorSet.from_fit`, coefficients "
           "per original unit, so the standardisation of the new data does not matter); we "
           "keep the power coefficient of `shallow -> dissolved` at half weight "
           "(`discount=0.5`) and use it for `coalition -> dissolved`. The other terms, the "
           "Weibull shape and the era SD are dropped: obligations and regime dissimilarity do "
           "not exist in ParlGov, and a treaty's baseline tells nothing about a cabinet's. "
           "The transformation transitions are not linked: deepening a treaty and re-forming "
           "after an election are different events, so a prior from one would be a claim, "
           "not a replication. The prior key `beta_unit[power_hhi]` is per unit of the "
           "covariate, so it maps by name onto the ParlGov term."),
        code('carried = fit_atop.priors_from_fit(discount=0.5, joint=False)\n'
             'carried = carried["shallow -> dissolved"]\n'
             'print({k: str(v) for k, v in carried.priors.items()})\n'
             'keep = {k: v for k, v in carried.priors.items() if "power_hhi" in k}\n'
             'power_prior = coalsurv.PriorSet(keep, name="ATOP power concentration, a0 = 0.5")\n'
             'power_prior'),
        code('episodes = pg_model.episodes(pg)["coalition -> dissolved"]\n'
             'informed_model = coalsurv.SurvivalModel(pg_formula, family="weibull",\n'
             '                                        causes=["dissolved"], priors=power_prior,\n'
             '                                        name="coalition -> dissolved, ATOP prior")\n'
             'with warnings.catch_warnings():\n'
             '    warnings.simplefilter("ignore")\n'
             '    informed = informed_model.fit(episodes, random_seed=5, progressbar=False,\n'
             '                                  **SAMPLER)\n'
             'flat = fit_pg.fits["coalition -> dissolved"]\n'
             '\n\ndef per_unit(f, label):\n'
             '    # the hazard ratio of power_hhi per unit (90% interval)\n'
             '    ratio = f.hazard_ratios(ci_prob=0.9)\n'
             '    return ratio.query("term == \'power_hhi\' and scale == \'per unit\'")'
             '.assign(prior=label)\n\n\n'
             'pd.concat([per_unit(fit_atop.fits["shallow -> dissolved"], "ATOP posterior"),\n'
             '           per_unit(flat, "ParlGov, default prior"),\n'
             '           per_unit(informed, "ParlGov, ATOP prior (a0 = 0.5)")])[\n'
             '    ["prior", "term", "median", "lower", "upper", "prob_above_1"]].round(3)'),
        code('from coalsurv.fit.replication import replication\n\n'
             'replication(fit_atop.fits["shallow -> dissolved"], flat).round(3)'),
        md("Ratios here are per unit of the Herfindahl index (0 = evenly spread, 1 = one "
           "member holds everything). Read the three rows together: ATOP's dissolution "
           "coefficient of power concentration is vague and, if anything, positive; "
           "ParlGov's is clearly negative (concentrated seat shares — a dominant party with "
           "small partners — dissolve *less*), and the ParlGov data are informative enough "
           "that the half-weight ATOP prior only pulls the estimate a little towards it. "
           "The replication table says whether the ParlGov interval covers the ATOP mean "
           "(`covers_original`) and how much the two posteriors overlap. Its replication "
           "Bayes factor compares ATOP's posterior with *no effect* as predictions of the "
           "ParlGov estimate; when the estimate lies on the other side of zero from ATOP's, "
           "a factor above 1 only says the wide ATOP posterior is the lesser failure, not "
           "that ParlGov replicates ATOP. The two studies disagree on the sign, so pooling "
           "them is not warranted: the prior is a sensitivity check across very different "
           "kinds of coalition (treaties among states, cabinets of parties), not evidence "
           "from two samples of one population."),
        md("## The answer, plainly\n\n"
           "- **Do coalitions transform?** Rarely, in both records: about 3% of shallow pacts "
           "are deep a decade on, and (Aalen–Johansen) under one in ten coalition runs has "
           "re-formed after an election and still governing four years on; dissolution is the "
           "common fate.\n"
           "- **Breadth.** ParlGov: a wider left–right range (narrower shared interests) "
           "raises the dissolution hazard over all years, less clearly after 1945; its effect "
           "on re-formation is not distinguishable from none. ATOP: more obligation types "
           "show no clear effect on deepening or dissolution — 30 deepenings cannot resolve "
           "it.\n"
           "- **Power concentration.** ParlGov: concentrated seat shares go with *less* "
           "dissolution and *more* re-formation, against the reading that balanced power "
           "transforms. ATOP: undetermined.\n"
           "- The contrasting profiles above carry all this into the probability of having "
           "transformed, with intervals; read them with the era, clustering and "
           "dependence caveats: these are associations in a few events, not effects."),
    ])


NOTEBOOKS = {
    "king1990_cabinets.ipynb": king1990,
    "parlgov_competing_endings.ipynb": parlgov,
    "synthetic_alliances.ipynb": synthetic,
    "replication.ipynb": replication,
    "multistate_paths.ipynb": multistate,
    "parlgov_time_varying.ipynb": parlgov_time,
    "transform.ipynb": transform,
    "members_coalgov.ipynb": lambda: _nb(coalgov_cells(SETUP)),
    "members_atop.ipynb": lambda: _nb(atop_cells(SETUP)),
}


def main() -> list[Path]:
    """Write every notebook (outputs empty) and return their paths."""
    written = []
    for name, make in NOTEBOOKS.items():
        nb = make()
        nbformat.validate(nb)
        path = HERE / name
        path.write_text(nbformat.writes(nb), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main():
        print("wrote", path)
