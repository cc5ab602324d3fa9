"""Cells of the two members notebooks (issue 21): parties in governments, states in alliances.

``build_notebooks.py`` wraps them (its ``SETUP`` cell first) into ``members_coalgov.ipynb`` and
``members_atop.ipynb``. Kept apart to keep ``build_notebooks.py`` readable.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell as code
from nbformat.v4 import new_markdown_cell as md

__all__ = ["coalgov_cells", "atop_cells"]

#: Shared code: fit the weighting mechanisms, a convergence table, the gamma figure, the
#: member caterpillar and the variance split.
HELPERS = '''\
from coalsurv.backend.sampling import CoalsurvSamplingWarning


fits, convergence = {}, {}


def fit_one(name, model, data):
    """Fit ``model`` into ``fits[name]``; its convergence row goes to ``convergence``.

    The sampler's convergence warnings are collected into that table instead of printed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoalsurvSamplingWarning)
        fit = model.fit(data, random_seed=1, progressbar=False, **SAMPLER)
    s = fit.summary()
    fits[name] = fit
    convergence[name] = {"route": fit.sampler["route"],
                         "max R-hat": round(float(s["r_hat"].max()), 3),
                         "min bulk ESS": int(s["ess_bulk"].min()),
                         "divergences": int(np.asarray(
                             fit.idata["sample_stats"]["diverging"]).sum())}


def member_ratios(fits, names):
    """Hazard ratios per original unit of the mm() terms, one row per weighting model."""
    rows = []
    for name in names:
        hr = fits[name].hazard_ratios()
        hr = hr[(hr["scale"] == "per unit") & hr["term"].str.startswith("mm(")]
        for _, r in hr.iterrows():
            rows.append({"weights": name, "term": r["term"],
                         "hazard ratio": round(float(r["mean"]), 3),
                         "lower": round(float(r["lower"]), 3),
                         "upper": round(float(r["upper"]), 3)})
    return pd.DataFrame(rows).set_index(["term", "weights"]).sort_index()


def gamma_figure(fit, shares):
    """Posterior of gamma against its prior, and the weights it implies for one coalition."""
    from scipy import stats

    gamma = np.asarray(fit.idata["posterior"]["gamma"]).ravel()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    grid = np.linspace(0, max(4.0, np.quantile(gamma, 0.995)), 300)
    ax1.hist(gamma, bins=40, density=True, color="C0", alpha=0.6, label="posterior")
    ax1.plot(grid, stats.halfnorm(scale=1.5).pdf(grid), "k--", label="prior HalfNormal(1.5)")
    for g, ls in ((0, ":"), (1, "-.")):
        ax1.axvline(g, color="grey", ls=ls)
    ax1.set(xlabel="gamma (0 = equal, 1 = proportional to power)", ylabel="density")
    ax1.legend(frameon=False)
    shares = np.asarray(shares, dtype=float)
    qs = np.quantile(gamma, [0.05, 0.5, 0.95])
    width = 0.8 / (len(qs) + 2)
    labels = ["equal (gamma 0)", *[f"gamma {q:.2f} ({p})" for q, p in
                                   zip(qs, ["5%", "median", "95%"])], "proportional (1)"]
    for j, g in enumerate([0.0, *qs, 1.0]):
        w = shares ** g / np.sum(shares ** g)
        ax2.bar(np.arange(len(shares)) + j * width, w, width=width, label=labels[j])
    ax2.set_xticks(np.arange(len(shares)) + 2 * width,
                   [f"share {s:.0%}" for s in shares])
    ax2.set(ylabel="weight of the member", title="what gamma means for one coalition")
    ax2.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    print(f"gamma: posterior median {np.median(gamma):.2f}, 90% interval "
          f"{np.quantile(gamma, 0.05):.2f}-{np.quantile(gamma, 0.95):.2f}; "
          f"P(gamma > 1) = {np.mean(gamma > 1):.2f}, P(gamma < 0.5) = {np.mean(gamma < 0.5):.2f}")
    return fig


def caterpillar(effects, label, n_show=15):
    """Member effects (log hazard) sorted, the n_show lowest and highest labelled."""
    e = effects.sort_values("mean").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.errorbar(np.arange(len(e)), e["mean"], yerr=[e["mean"] - e["lower"],
                e["upper"] - e["mean"]], fmt="o", ms=2, lw=0.6, color="C0")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel=f"{len(e)} members, sorted by posterior mean",
           ylabel="member effect u_k (log hazard)")
    fig.tight_layout()
    ends = pd.concat([e.head(n_show // 2), e.tail(n_show - n_show // 2)])
    return fig, ends[[label, "mean", "lower", "upper", "n_coalitions"]].round(3)


def variance_split(fit, group):
    """bml's decomposition: country (group) variance against the member variance sum_k w^2."""
    post = fit.idata["posterior"]
    sd_g = np.asarray(post[f"sd_{group}"]).ravel()
    sd_m = np.asarray(post["sd_mm"]).ravel()
    assert fit.info.members["weights"] == "equal", "the split below is for equal weights"
    rows = fit.design.members  # membership rows: coalition index and size n_i
    sum_w2 = np.bincount(rows.coalition, weights=1.0 / rows.size ** 2)  # = 1 / n_i
    var_m = sd_m ** 2 * float(np.mean(sum_w2))
    share_m = var_m / (var_m + sd_g ** 2)
    return pd.DataFrame({
        "SD (log hazard)": [np.median(sd_g), np.median(sd_m)],
        "variance in a coalition": [np.median(sd_g ** 2), np.median(var_m)],
        "share of the two": [np.median(1 - share_m), np.median(share_m)],
    }, index=[f"{group} (nesting)", "members (sd_mm^2 * mean sum_k w_ik^2)"]).round(3)'''


def coalgov_cells(setup: str) -> list:
    """Parties in coalition governments (coalgov, bml's worked example)."""
    return [
        md("# Members on coalgov: whose traits decide how long a coalition lasts?\n\n"
           "A coalition government is made of parties that also sit in other cabinets. The "
           "`mm()` term of coalsurv (issue 21, after Rosche's R package *bml*) puts the "
           "parties themselves into the model:\n\n"
           "$$\\eta_i = \\ldots + \\sum_{k \\in p[i]} w_{ik}\\,(x_{ik}'\\beta_m + u_k), "
           "\\qquad u_k \\sim N(0, \\sigma_m),$$\n\n"
           "where $x_{ik}$ are party traits (financial dependence on members, `finance`; "
           "organisational `cohesion`), $u_k$ is a party's own frailty shared by every "
           "cabinet it joins, and $w_{ik}$ says how much the party counts. We compare four "
           "answers to *how much*: every party equally (`equal`, $1/n_i$), in proportion to "
           "its seat share (`share`), as $\\text{share}^\\gamma$ with $\\gamma$ estimated "
           "(`power`: 0 = equal, 1 = proportional, large = the biggest party decides), and "
           "the old way: the traits averaged into coalition covariates before the model "
           "(`aggregated`). Data: `coalgov` (bml; Seki & Williams 2014 update of "
           "Woldendorp–Keman–Budge), 628 governments in 29 countries, ending = early "
           "termination through conflict (245), otherwise censored."),
        code(setup),
        md("## Data\n\nThe loader's government table and its party table (`id` = gid, "
           "`member` = party id, `share` = seat share in the coalition). Seven party rows "
           "hold a seat share of 0: share and power weights need positive shares, so they "
           "are dropped (every government keeps at least one party) and all four models see "
           "the same members table, as `coalsurv.compare` needs the same data."),
        code('from coalsurv.datasets.coalgov import coalgov_governments\n\n'
             'gov, parties = coalgov_governments(DATA / "coalgov", return_members=True)\n'
             'seatless = parties[parties["share"] <= 0]\n'
             'print(f"{len(parties)} party rows; dropped {len(seatless)} with a seat share of '
             '0:",\n      sorted(seatless["pname"]))\n'
             'parties = parties[parties["share"] > 0]\n'
             'data = coalsurv.CoalitionData.from_frame(\n'
             '    gov.reset_index(), duration="dur_wkb", event="ending", id="gid", '
             'censored="censored",\n'
             '    causes=["conflict"], groups=["cname"],\n'
             '    covariates=["majority", "finance_mean", "cohesion_mean"], members=parties,\n'
             '    time_unit="days")\n'
             'reps = parties.groupby("member").size()\n'
             'print(data)\n'
             'print(f"{parties[\'member\'].nunique()} parties; memberships per party: median '
             '{reps.median():.0f}, max {reps.max()}")'),
        md("## Four models\n\nWeibull proportional hazards, the majority status and a "
           "country frailty `(1 | cname)` in all four. The member covariates are standardised "
           "over the membership rows; hazard ratios below are per original unit."),
        code(HELPERS),
        code('base = "majority + {} + (1 | cname)"\n'
             'models = {w: coalsurv.SurvivalModel(\n'
             '    base.format(f"mm(finance + cohesion, weights=\'{w}\')"), name=w)\n'
             '    for w in ("equal", "share", "power")}\n'
             'models["aggregated"] = coalsurv.SurvivalModel(\n'
             '    base.format("finance_mean + cohesion_mean"), name="aggregated")'),
        *[code(f'fit_one("{w}", models["{w}"], data)')
          for w in ("equal", "share", "power", "aggregated")],
        code('pd.DataFrame(convergence).T'),
        md("Quick mode (the tests: 2 x 200 draws) does not reach R-hat < 1.01 for the SDs. "
           "Parties are nested in countries, so the country and member SDs trade off and mix "
           "slowly: 4 x 1000 draws left them at R-hat 1.02, 4 x 2000 below 1.01 "
           "(`tests/fit/test_members_slow.py`). `route` says which sampler ran: `mm()` "
           "models run on the PyMC graph until the "
           "native kernel takes them (`fit.sampler[\"reason\"]`); the aggregated model, "
           "without members, runs on the native kernel."),
        md("## What the parties' traits do, under each weighting"),
        code('member_ratios(fits, ["equal", "share", "power"])'),
        code('agg = fits["aggregated"].hazard_ratios()\n'
             'agg[(agg["scale"] == "per unit") & agg["term"].str.endswith("_mean")]'
             '[["term", "mean", "lower", "upper"]].round(3)'),
        md("## gamma: how much does seat share concentrate influence?\n\n"
           "Left: the posterior of gamma against its prior. Right: what it implies for a "
           "three-party coalition with seat shares 60%, 30% and 10%."),
        code('fig = gamma_figure(fits["power"], [0.6, 0.3, 0.1])\nplt.show()'),
        md("Read gamma as a *measure of power concentration in whose traits count*: near 0 "
           "the junior partner's finance and cohesion matter as much as the prime "
           "minister's party's; near 1 they count in proportion to seats. A wide posterior "
           "that covers both says that 628 governments cannot tell the mechanisms apart "
           "(compare with the LOO table below)."),
        md("## Party effects\n\nEach party's own frailty $u_k$ (log hazard; positive = "
           "cabinets with this party end early through conflict more often, after its "
           "traits), from the power-weight model."),
        code('effects = fits["power"].member_effects()\n'
             'first = parties.drop_duplicates("member").set_index("member")\n'
             'names = first["pname"] + " (" + gov.loc[first["id"], "cname"].to_numpy() + ")"\n'
             'names.index = names.index.astype(str)   # member_effects labels are strings\n'
             'effects["party"] = effects["member"].map(names)\n'
             'fig, ends = caterpillar(effects, "party")\nplt.show()\nends'),
        md("Parties in few cabinets are shrunk towards 0 (their intervals are wide); the "
           "labelled ends are the parties whose cabinets ended early more (or less) often "
           "than their finance and cohesion predict."),
        md("## Variance split (bml's decomposition)\n\nFor the equal-weight model, the "
           "member level contributes $\\sigma_m^2 \\sum_k w_{ik}^2 = \\sigma_m^2 / n_i$ to a "
           "coalition's log hazard, averaged over the coalitions here, against the country "
           "variance."),
        code('variance_split(fits["equal"], "cname")'),
        md("## Which mechanism predicts best? PSIS-LOO\n\n`coalsurv.compare` ranks the four "
           "models by expected log predictive density; a difference under about two `dse` "
           "does not separate them. `n_bad_k` counts governments with Pareto k > 0.7: with "
           "a party effect, a government whose party sits in no other cabinet is influential "
           "for that party's $u_k$, so PSIS is less reliable for those rows."),
        code('coalsurv.compare(fits)[["rank", "elpd", "elpd_diff", "dse", "weight", '
             '"n_bad_k"]].round(2)'),
        md("## Against bml\n\n`benchmarks/bml/` runs bml's own JAGS model for its vignette "
           "example (`majority + mm(finance)`, Weibull, equal and logistic weights) side by "
           "side with coalsurv; the numbers are in `BENCHMARKS.md`."),
    ]


def atop_cells(setup: str) -> list:
    """States in alliances (ATOP v4.01), capability shares as power."""
    return [
        md("# Members on ATOP: whose regime decides how long an alliance lasts?\n\n"
           "Alliances are coalitions of states, and the same states sign treaty after "
           "treaty. We put the founding members into the model with an `mm()` term: a "
           "member's regime (Polity IV `polity2`, −10 autocracy to +10 democracy) and its own "
           "frailty, weighted equally, by its share of the members' material capabilities "
           "(COW CINC), or by $\\text{share}^\\gamma$ with $\\gamma$ estimated (0 = every "
           "member counts equally, 1 = in proportion to capabilities, large = the strongest "
           "member's regime decides). Data: ATOP v4.01 (Leeds et al. 2002), COW National "
           "Material Capabilities, Polity IV; durations in years, interval-censored where "
           "ATOP knows a date only to the month or year."),
        code(setup),
        md("## Data\n\n`coalsurv.datasets.atop.atop_alliances(..., return_members=True)` "
           "gives the alliance table and the founding members with their CINC share (among "
           "the members with CINC data in the begin year) and polity2. The members table of "
           "the model is built here from it: members without polity2 (or CINC) are dropped — "
           "every alliance keeps at least two — and the capability shares are renormalised "
           "over the members kept, as `share`. The aggregated model gets the members' mean "
           "polity2 as a coalition covariate, computed from the same rows."),
        code('from coalsurv.datasets.atop import atop_alliances\n\n'
             'frame, founders = atop_alliances(DATA / "atop", return_members=True)\n'
             'known = founders["cinc_share"].notna() & founders["polity2"].notna()\n'
             'states = founders[known].rename(columns={"cinc_share": "share"})\n'
             'states["share"] = states["share"] / states.groupby("id")["share"]'
             '.transform("sum")\n'
             'kept = states.groupby("id").size()\n'
             'assert kept.reindex(frame.index).min() >= 2\n'
             'frame["polity_mean"] = states.groupby("id")["polity2"].mean()\n'
             'print(f"{len(founders)} founding memberships; dropped {int((~known).sum())} '
             'without polity2 or CINC data")\n'
             'data = coalsurv.CoalitionData.from_frame(\n'
             '    frame, duration="duration", event="ending", censored="censored", '
             'causes=["ended"],\n'
             '    lower="lower", upper="upper", groups=["era"],\n'
             '    covariates=["defense", "offense", "bilat", "polity_mean"], members=states,\n'
             '    time_unit="years")\n'
             'print(data)\n'
             'print(f"{states[\'member\'].nunique()} states; alliances per state: median '
             '{states.groupby(\'member\').size().median():.0f}, max '
             '{states.groupby(\'member\').size().max()}")'),
        md("## Four models\n\nWeibull proportional hazards with the defence and offence "
           "obligations, bilateral treaties and an era frailty `(1 | era)` in all four."),
        code(HELPERS),
        code('base = "defense + offense + bilat + {} + (1 | era)"\n'
             'models = {w: coalsurv.SurvivalModel(base.format(f"mm(polity2, weights=\'{w}\')"),'
             '\n                                   name=w)\n'
             '          for w in ("equal", "share", "power")}\n'
             'models["aggregated"] = coalsurv.SurvivalModel(base.format("polity_mean"),\n'
             '                                              name="aggregated")'),
        *[code(f'fit_one("{w}", models["{w}"], data)')
          for w in ("equal", "share", "power", "aggregated")],
        code('pd.DataFrame(convergence).T'),
        md("## The members' regime, under each weighting\n\nHazard ratio of alliance "
           "termination per polity2 point of the (weighted) members; below 1: alliances of "
           "democracies last longer."),
        code('member_ratios(fits, ["equal", "share", "power"])'),
        code('agg = fits["aggregated"].hazard_ratios()\n'
             'agg[(agg["scale"] == "per unit") & (agg["term"] == "polity_mean")]'
             '[["term", "mean", "lower", "upper"]].round(3)'),
        md("## gamma: does the strongest member's regime decide?\n\nRight: the weights "
           "implied for a three-member alliance whose capability shares are 70%, 20% and "
           "10%."),
        code('fig = gamma_figure(fits["power"], [0.7, 0.2, 0.1])\nplt.show()'),
        md("## State effects\n\nEach state's own frailty (log hazard of termination) from "
           "the power-weight model. States are COW country codes (the data folder holds no "
           "name table, so none are attached here)."),
        code('effects = fits["power"].member_effects()\n'
             'effects["COW code"] = effects["member"]\n'
             'fig, ends = caterpillar(effects, "COW code")\nplt.show()\nends'),
        md("## Variance split\n\nEra against member variance (equal weights: "
           "$\\sigma_m^2 / n_i$, averaged over the alliances; most alliances are bilateral)."),
        code('variance_split(fits["equal"], "era")'),
        md("## Which mechanism predicts best? PSIS-LOO"),
        code('coalsurv.compare(fits)[["rank", "elpd", "elpd_diff", "dse", "weight", '
             '"n_bad_k"]].round(2)'),
        md("Read the three together: the sign and size of the regime effect under each "
           "weighting, the posterior of gamma, and whether LOO separates the mechanisms. "
           "These are associations among 692 alliances, most of them bilateral (where "
           "equal and capability weights differ only through the two shares), not effects "
           "of regime change."),
    ]
