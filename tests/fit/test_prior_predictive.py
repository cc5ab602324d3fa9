"""Prior predictive checks in human units, the shipped prior sets and their CLI.

Every shipped prior set is checked with a Weibull PH model with country frailty on the real
data it is meant for (King et al. 1990, months; coalgov, days): less than 1% of the prior mass
may put the median lifespan of a typical coalition over 1,000 years or under one day.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from coalsurv import Prior, PriorSet, SurvivalModel
from coalsurv.fit.prior_predictive import AbsurdPriorWarning, absurd_share, prior_predictive

MODELS = Path(__file__).resolve().parents[2] / "models"
KING = "invest + polar + numst2 + fract + crisis + (1 | country)"
COALGOV = "power_hhi + n_parties + majority + (1 | cname)"


@pytest.fixture(scope="module")
def king(shared_data):
    from coalsurv.datasets import load_king1990

    return load_king1990(shared_data / "king1990" / "coalition.txt")


@pytest.fixture(scope="module")
def coalgov(shared_data):
    from coalsurv.datasets import load_coalgov

    return load_coalgov(shared_data / "coalgov" / "coalgov.csv")


def test_absurd_share_counts_both_tails():
    assert absurd_share(np.array([0.5, 10.0, 2e6, np.inf]), "days") == pytest.approx(0.75)
    # in months: one day = 1/30.4 month, 1,000 years = 12,000 months
    assert absurd_share(np.array([0.01, 1.0, 13000.0]), "months") == pytest.approx(2 / 3)


def test_summary_is_tidy_in_the_data_unit(king):
    priors = PriorSet.load(MODELS / "sceptical_priors.toml")
    table = prior_predictive(SurvivalModel(KING, family="weibull", priors=priors), king,
                             draws=400)
    assert set(table["quantity"]) == {"median lifespan", "hazard ratio per SD", "survival"}
    assert set(table.loc[table["quantity"] == "hazard ratio per SD", "term"]) == {
        "invest", "polar", "numst2", "fract", "crisis"}
    ratios = table[table["quantity"] == "hazard ratio per SD"]
    # Normal(0, 0.35) per SD: 90% of hazard ratios within exp(+-1.645 * 0.35) = 0.56 .. 1.78
    assert np.all(ratios["q05"].between(0.45, 0.7)) and np.all(ratios["q95"].between(1.4, 2.2))
    assert table.attrs["unit"] == "months" and not table.attrs["absurd"]
    med = table[table["quantity"] == "median lifespan"].iloc[0]
    assert 1 < med["median"] < 100  # months


@pytest.mark.parametrize("name, which", [("sceptical_priors.toml", "king"),
                                         ("sceptical_priors.toml", "coalgov"),
                                         ("king1990_posterior_prior.toml", "king")])
def test_shipped_prior_sets_pass(name, which, request):
    data = request.getfixturevalue(which)
    formula = KING if which == "king" else COALGOV
    priors = PriorSet.load(MODELS / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AbsurdPriorWarning)
        table = prior_predictive(SurvivalModel(formula, family="weibull", priors=priors), data,
                                 draws=1000)
    assert table.attrs["absurd_share"] <= 0.01


@pytest.mark.parametrize("which", ["king", "coalgov", "synthetic"])
def test_documented_default_passes(which, request):
    """The documented defaults pass the check on every data set the package is tested on.

    Intercept Normal("auto", 1) with shape LogNormal(0, 0.5) put 0.2-0.4% of the prior mass on
    absurd medians (4,000 draws); the former SD 2.5 with LogNormal(0, 1) put 12-14% there, so
    this test fails if the defaults drift back towards them.
    """
    if which == "synthetic":
        from coalsurv.datasets import load_synthetic

        data, formula = load_synthetic(), "breadth + power_hhi + (1 | group)"
    else:
        data, formula = request.getfixturevalue(which), KING if which == "king" else COALGOV
    with warnings.catch_warnings():
        warnings.simplefilter("error", AbsurdPriorWarning)
        table = prior_predictive(SurvivalModel(formula, family="weibull"), data, draws=2000)
    assert table.attrs["absurd_share"] <= 0.01 and not table.attrs["absurd"]
    assert table.attrs["priors"] == PriorSet().name


def test_absurd_prior_is_flagged(king):
    absurd = PriorSet({"intercept": Prior("Normal", mu=0.0, sigma=20.0),
                       "shape": Prior("LogNormal", mu=0.0, sigma=3.0)}, name="absurd")
    with pytest.warns(AbsurdPriorWarning, match="absurd.*1,000 years"):
        table = prior_predictive(SurvivalModel(KING, family="weibull", priors=absurd), king,
                                 draws=500)
    assert table.attrs["absurd"] and table.attrs["absurd_share"] > 0.3


def test_cli_priors_check_model_with_priors(king, tmp_path, capsys):
    from coalsurv.cli import main
    from coalsurv.datasets import load_king1990
    from tests.conftest import SHARED_DATA

    csv = tmp_path / "king.csv"
    load_king1990(SHARED_DATA / "king1990" / "coalition.txt", as_frame=True).to_csv(csv,
                                                                                   index=False)
    model = tmp_path / "m.toml"
    model.write_text(f'[model]\nformula = "{KING}"\nfamily = "weibull"\n')
    absurd = tmp_path / "absurd.toml"
    PriorSet({"intercept": Prior("Normal", mu=0.0, sigma=20.0),
              "shape": Prior("LogNormal", mu=0.0, sigma=3.0)}, name="absurd").save(absurd)
    cols = ["--data", str(csv), "--duration", "duration", "--event", "ending",
            "--time-unit", "months", "--draws", "300", "--dropna"]  # "NA" country reads as NaN
    code = main(["priors", "check", str(model), "--priors",
                 str(MODELS / "sceptical_priors.toml"), *cols])
    out = capsys.readouterr().out
    assert code == 0 and "median lifespan" in out and "hazard ratio per SD polar" in out
    assert "ok:" in out
    assert main(["priors", "check", str(model), "--priors", str(absurd), *cols]) == 3
    assert "ABSURD" in capsys.readouterr().out


def test_king_prior_has_the_published_directions():
    """Signs of the exported King prior's per-unit log hazard ratios.

    King, Alt, Burns & Laver (1990, AJPS 34: 846-871) model cabinet *duration*: investiture
    requirement, polarisation and fractionalisation shorten cabinet life, majority status and
    a longer formation crisis lengthen it (the same signs in Box-Steffensmeier & Jones's 2004
    reanalyses of these data). On the hazard scale: invest, polar, fract > 0; numst2, crisis
    < 0.
    """
    priors = PriorSet.load(MODELS / "king1990_posterior_prior.toml")
    joint = priors.explicit("beta_unit[*]")
    mean = dict(zip(joint.terms, joint.mu, strict=True))
    assert mean["invest"] > 0 and mean["polar"] > 0 and mean["fract"] > 0
    assert mean["numst2"] < 0 and mean["crisis"] < 0
    assert priors.provenance["script"] == "models/make_king_prior.py"
    assert priors.provenance["formula"] == KING


def test_cli_priors_check_writes_the_plot(tmp_path, capsys):
    from coalsurv.cli import main
    from coalsurv.datasets import load_synthetic

    csv = tmp_path / "syn.csv"
    load_synthetic(as_frame=True)[["duration", "event", "breadth", "power_hhi"]].to_csv(
        csv, index=False)
    model = tmp_path / "m.toml"
    model.write_text('[model]\nformula = "breadth + power_hhi"\nfamily = "weibull"\n')
    cols = ["--data", str(csv), "--duration", "duration", "--event", "event",
            "--time-unit", "months", "--draws", "500"]
    png = tmp_path / "prior.png"
    code = main(["priors", "check", str(model), "--priors",
                 str(MODELS / "default_priors.toml"), "--plot", str(png), *cols])
    out = capsys.readouterr().out
    assert code == 0 and f"wrote {png}" in out and png.stat().st_size > 1000
    assert sum(line.strip().startswith("survival at") for line in out.splitlines()) == 3
    assert main(["priors", "check", str(model), "--priors",
                 str(MODELS / "default_priors.toml"), "--plot", str(tmp_path / "p.txt"),
                 *cols]) != 0


# the spline's row is slow (33 s: its prior draws are rejected outside the monotone bound)
@pytest.mark.parametrize("family", ["exponential", "weibull_aft", "lognormal", "loglogistic",
                                    "gompertz", "piecewise",
                                    pytest.param("rp", marks=pytest.mark.slow)])
def test_every_family_default_passes(family, king):
    """Every family's documented defaults pass on King 1990 (2,000 prior draws).

    Gompertz: a prior on gamma itself (the former Normal(0, 2)) put 27% of the mass on median
    lifespans over 1,000 years; the prior on ageing = gamma / baseline hazard puts 0.2% there.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", AbsurdPriorWarning)
        table = prior_predictive(SurvivalModel(KING, family=family), king, draws=2000)
    assert table.attrs["absurd_share"] <= 0.01


def test_gompertz_gamma_is_ageing_times_the_baseline_hazard(king):
    from coalsurv.backend.sampling import sample_prior

    model, _, _, resolved = SurvivalModel(KING, family="gompertz").build(king)
    assert "ageing" in resolved and "gamma" not in resolved
    assert "ageing" in {rv.name for rv in model.free_RVs}
    prior = sample_prior(model, draws=200, random_seed=1)
    np.testing.assert_allclose(prior["gamma"].values,
                               prior["ageing"].values * np.exp(prior["intercept"].values))


def test_gompertz_posterior_exports_the_ageing_prior(tiny_fit, synthetic_small):
    """from_fit carries ageing (the prior's scale), not gamma; the refit maps it back."""
    fit = tiny_fit(synthetic_small, "breadth", family="gompertz")
    post = fit.idata["posterior"]
    np.testing.assert_allclose(post["gamma"], post["ageing"] * np.exp(post["intercept"]))
    independent = PriorSet.from_fit(fit, joint=False)
    assert "ageing" in independent.priors and "gamma" not in independent.priors
    joint = PriorSet.from_fit(fit, components=1).priors["beta_unit[*]"]
    assert "(ageing)" in joint.terms
    model, _, _, _ = SurvivalModel("breadth", family="gompertz",
                                   priors=PriorSet.from_fit(fit, components=1)).build(
        synthetic_small)
    assert {"ageing", "gamma"} <= {v.name for v in model.deterministics}
