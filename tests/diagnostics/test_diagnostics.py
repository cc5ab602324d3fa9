"""Diagnostics: checks with verdicts, PPC, LOO-PIT, discrimination, calibration, MLE, compare.

Fits are tiny and session-scoped (about 25 s in all: three compiled models, one refit reusing a
compiled kernel).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv._format import VERDICT_COLOURS
from coalsurv.data.episodes import CoalitionData
from coalsurv.diagnostics import (
    VERDICTS,
    Check,
    Diagnosis,
    compare,
    convergence_table,
    diagnose,
    mle_side_by_side,
)
from coalsurv.errors import SpecError

SAMPLER_CHECKS = {"r_hat", "ess_bulk", "ess_tail", "mcse", "divergences", "e_bfmi", "tree_depth"}
MODEL_CHECKS = {"pareto_k", "ppc_km", "calibration", "loo_pit", "mle_agreement"}
TRUE_BETA, TRUE_SHAPE = 1.0, 1.5


def _fit(formula, data, **kwargs):
    settings = dict(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    settings.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return coalsurv.SurvivalModel(formula, family="weibull").fit(data, **settings)


@pytest.fixture(scope="session")
def sim_data() -> CoalitionData:
    """Weibull PH, shape 1.5, strong effect of x (log HR 1 per unit), uniform censoring."""
    rng = np.random.default_rng(20240611)
    n = 250
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.5, size=n).astype(float)
    eta = -0.5 + TRUE_BETA * x + 0.3 * z
    t = (rng.exponential(size=n) / np.exp(eta)) ** (1 / TRUE_SHAPE)
    c = rng.uniform(0.5, 4.0, size=n)
    df = pd.DataFrame({"id": np.arange(n), "duration": np.minimum(t, c) * 12,
                       "ended": (t <= c).astype(int), "x": x, "z": z})
    return CoalitionData.from_frame(df, duration="duration", event="ended", id="id",
                                    covariates=["x", "z"], time_unit="months")


@pytest.fixture(scope="session")
def sim_fit(sim_data):
    return _fit("x + z", sim_data)


@pytest.fixture(scope="session")
def sim_diag(sim_fit):
    return diagnose(sim_fit)


@pytest.fixture(scope="session")
def king_fit(shared_data):
    df = pd.read_csv(shared_data / "king1990" / "coalition.txt", sep=r"\s+")
    data = CoalitionData.from_frame(
        df, duration="duration", event="ciep12", time_unit="months",
        covariates=["invest", "fract", "polar", "numst2", "crisis"], groups=["country"],
        dropna=True)
    return _fit("invest + polar + numst2 + (1 | country)", data)


@pytest.fixture(scope="session")
def king_diag(king_fit):
    return king_fit.diagnose()


# ------------------------------------------------------------------ structure (no fit)
def test_check_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="verdict"):
        Check("x", 1.0, "t", "maybe")


def test_diagnosis_verdict_is_worst_and_ignores_skipped():
    checks = [Check("a", 1.0, "t", "pass"), Check("b", None, "t", "skipped", "why"),
              Check("c", 2.0, "t", "warn", "do this")]
    diag = Diagnosis(results=checks, label="m")
    assert diag.verdict == "warn"
    assert [c.name for c in diag.warnings] == ["c"] and diag.failed == []
    assert [c.name for c in diag.skipped] == ["b"]
    assert diag["c"].advice == "do this"
    assert list(diag.to_frame().columns) == ["name", "verdict", "value", "threshold", "advice",
                                             "detail"]
    assert Diagnosis(results=[Check("b", None, "t", "skipped")]).verdict == "skipped"
    diag.results.append(Check("d", 3.0, "t", "fail", "stop"))
    assert diag.verdict == "fail"
    with pytest.raises(KeyError, match="no check named"):
        diag["zzz"]


# ------------------------------------------------------------------ King 1990 (frailty)
def test_king_checks_present_with_verdicts(king_diag):
    names = {c.name for c in king_diag}
    assert SAMPLER_CHECKS | MODEL_CHECKS <= names
    assert all(c.verdict in VERDICTS for c in king_diag)
    assert king_diag.verdict in ("pass", "warn", "fail")
    for check in king_diag.warnings + king_diag.failed:
        assert check.advice, check
    # frailty model: judged against the frailty-free MLE, and the check says so
    assert king_diag["mle_agreement"].verdict in ("pass", "warn")
    assert "frailty-free MLE ((1 | country) left out" in king_diag["mle_agreement"].detail
    assert "frailty" in king_diag.mle.attrs["note"]
    assert king_diag.mle.attrs["reference"].startswith("frailty-free")
    assert set(king_diag.mle["term"]) == {"invest", "polar", "numst2"}


def test_king_tables(king_diag, king_fit):
    conv = king_diag.convergence
    assert {"parameter", "r_hat", "ess_bulk", "ess_tail", "mcse_mean"} <= set(conv.columns)
    assert "beta[polar]" in set(conv["parameter"]) and "u_country[italy]" in set(conv["parameter"])
    assert conv["r_hat"].between(0.9, 1.2).all()
    assert king_diag.loo is not None and np.isfinite(king_diag.loo.elpd)
    assert king_diag.pareto_k["count"].sum() == king_fit.data.n
    ppc = king_diag.ppc
    assert list(ppc.columns[:7]) == ["time", "km", "km_lower", "km_upper", "model_mean",
                                     "model_lower", "model_upper"]
    assert (ppc["km_lower"] <= ppc["km"] + 1e-12).all()
    assert (ppc["km"] <= ppc["km_upper"] + 1e-12).all()
    assert (ppc["model_lower"] <= ppc["model_upper"]).all()
    assert king_diag.ppc_max_gap == pytest.approx(np.abs(ppc["gap"]).max())
    cal = king_diag.calibration
    assert set(cal["risk_group"]) == {1, 2, 3, 4, 5} and cal["n"].sum() == 3 * king_fit.data.n
    # group 1 = lowest predicted risk: predicted survival falls from group 1 to group 5
    for _, at in cal.groupby("horizon"):
        pred = at.sort_values("risk_group")["predicted"].to_numpy()
        assert (np.diff(pred) < 0).all(), pred
    # every table states its interval mass; text and HTML name every check
    assert king_diag.discrimination["ci_prob"].eq(0.95).all()
    text, page = str(king_diag), king_diag._repr_html_()
    for check in king_diag:
        assert check.name in text and check.name in page
    # the overall badge and every check's badge carry the one palette (coalsurv._format)
    for verdict in {king_diag.verdict, *(c.verdict for c in king_diag)}:
        assert f"background:{VERDICT_COLOURS[verdict]}" in page, verdict


def test_king_loo_pit_is_randomised_for_censored_rows(king_diag):
    pit = king_diag.loo_pit
    assert pit["pit"].between(0, 1).all()
    events, censored = pit[pit["status"] == "event"], pit[pit["status"] == "censored"]
    assert len(censored) > 0 and len(events) > 0
    assert np.allclose(events["pit"], events["lower"])
    assert (censored["upper"] == 1).all()
    assert ((censored["pit"] >= censored["lower"]) & (censored["pit"] <= 1)).all()


def test_diagnose_never_crashes_without_log_likelihood(king_fit):
    import xarray as xr

    groups = {f"/{k}": king_fit.idata[k].to_dataset() for k in king_fit.idata.children
              if k != "log_likelihood"}
    broken = dataclasses.replace(king_fit, idata=xr.DataTree.from_dict(groups), _predictor=None)
    diag = diagnose(broken)
    assert diag["pareto_k"].verdict == "skipped" and diag["pareto_k"].advice
    assert diag["loo_pit"].verdict == "skipped" and "LOO" in diag["loo_pit"].advice
    assert diag["ppc_km"].verdict != "skipped"  # the rest still runs


def test_diagnose_options(king_fit):
    diag = diagnose(king_fit, checks=False, loo=False)
    assert {c.name for c in diag} == SAMPLER_CHECKS | {"pareto_k"}
    assert diag.ppc is None and diag["pareto_k"].verdict == "skipped"
    with pytest.raises(SpecError, match="horizons"):
        diagnose(king_fit, horizons=[-1.0])


# ------------------------------------------------------------------ simulated Weibull
def test_sim_ppc_gap_small_when_correctly_specified(sim_diag):
    assert sim_diag.ppc_max_gap < 0.075
    assert sim_diag["ppc_km"].verdict in ("pass", "warn")
    assert sim_diag["loo_pit"].verdict in ("pass", "warn")


def test_sim_c_index_and_brier(sim_diag):
    disc = sim_diag.discrimination.set_index("metric")
    c = disc.loc["c_index"]
    assert 0.6 < c["lower"] <= c["mean"] <= c["upper"] < 1.0
    ibs = disc.loc["integrated_brier"]
    assert 0 < ibs["mean"] < ibs["reference"]  # beats Kaplan-Meier for everyone
    assert (disc.loc["brier", "mean"] > 0).all()


def test_sim_mle_side_by_side_agrees(sim_fit):
    table = mle_side_by_side(sim_fit)
    assert list(table.columns[:7]) == ["term", "bayes_mean", "bayes_lower", "bayes_upper", "mle",
                                       "mle_se", "diff_in_posterior_sd"]
    assert (table["diff_in_posterior_sd"].abs() < 0.5).all()
    x = table.set_index("term").loc["x"]
    assert x["bayes_lower"] < TRUE_BETA < x["bayes_upper"]
    assert x["mle_se"] > 0


def test_sim_custom_horizons(sim_fit):
    diag = diagnose(sim_fit, horizons=[6.0, 12.0], ci_prob=0.9)
    brier = diag.discrimination.query("metric == 'brier'")
    assert brier["horizon"].tolist() == [6.0, 12.0]
    assert set(diag.calibration["horizon"]) == {6.0, 12.0}
    assert diag.ppc.attrs["ci_prob"] == 0.9


def test_bad_fit_warns_with_advice(sim_data, sim_fit):
    bad = _fit("x + z", sim_data, draws=20, tune=5)
    diag = diagnose(bad)
    flagged = diag.warnings + diag.failed
    assert flagged and diag.verdict in ("warn", "fail")
    assert all(c.advice for c in flagged)
    assert {c.name for c in flagged} & {"r_hat", "ess_bulk", "ess_tail", "mcse"}
    if diag.failed:
        assert "fix convergence first" in str(diag)


def test_convergence_table_matches_summary(sim_fit):
    table = convergence_table(sim_fit.idata).set_index("parameter")
    summary = sim_fit.summary().set_index("parameter")
    assert table.loc["shape", "r_hat"] == pytest.approx(summary.loc["shape", "r_hat"])
    # summary() rounds ESS to whole draws
    assert table.loc["beta[x]", "ess_bulk"] == pytest.approx(summary.loc["beta[x]", "ess_bulk"],
                                                             abs=0.5)


# ------------------------------------------------------------------ compare
def test_compare_ranks_correct_model_first(sim_data, sim_fit, king_fit):
    wrong = _fit("z", sim_data)
    table = coalsurv.compare({"correct": sim_fit, "no x": wrong})
    assert table.index.tolist() == ["correct", "no x"]
    assert {"rank", "elpd", "elpd_diff", "dse", "se", "weight", "family", "n_bad_k"} <= set(table)
    assert table.loc["no x", "elpd_diff"] < -2 * table.loc["no x", "dse"]
    listed = compare([sim_fit, wrong])
    assert listed.index[0] == sim_fit.spec.label
    with pytest.raises(SpecError, match="at least two"):
        compare([sim_fit])
    with pytest.raises(SpecError, match="different data"):
        compare([sim_fit, king_fit])


# ------------------------------------------------------------------ competing endings, intervals
@pytest.fixture(scope="session")
def cr_fit():
    """Two endings with opposite effects of x; a few rows enter late."""
    rng = np.random.default_rng(7)
    n = 200
    x = rng.normal(size=n)
    t1 = rng.exponential(size=n) / np.exp(-0.7 + 0.8 * x)
    t2 = rng.exponential(size=n) / np.exp(-1.2 - 0.8 * x)
    c = rng.uniform(0.5, 3.0, size=n)
    t = np.minimum.reduce([t1, t2, c])
    ending = np.where(t == c, "censored", np.where(t1 < t2, "dissolution", "alliance"))
    entry = np.where(rng.random(n) < 0.15, 0.3 * t, 0.0)
    df = pd.DataFrame({"duration": t * 12, "ending": ending, "x": x, "entry": entry * 12})
    data = CoalitionData.from_frame(df, duration="duration", event="ending", entry="entry",
                                    covariates=["x"], time_unit="months")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return coalsurv.SurvivalModel("x", family="exponential",
                                      causes=["dissolution", "alliance"]).fit(
            data, draws=200, tune=200, chains=2, random_seed=1, progressbar=False)


def test_competing_endings_cif_check_and_per_cause_mle(cr_fit):
    diag = diagnose(cr_fit)
    assert diag["ppc_cif"].verdict in ("pass", "warn")
    cif = diag.ppc_cif
    assert set(cif["cause"]) == {"dissolution", "alliance"}
    assert {"aj", "aj_lower", "aj_upper", "model_mean", "gap"} <= set(cif.columns)
    assert diag.ppc_cif.attrs["max_gap"] < 0.1
    assert diag.discrimination.attrs["score"].startswith("S(t")
    mle = diag.mle.set_index(["cause", "term"])
    assert mle.loc[("dissolution", "x"), "mle"] > 0 > mle.loc[("alliance", "x"), "mle"]
    assert (diag.mle["diff_in_posterior_sd"].abs() < 0.5).all()


def test_interval_censored_rows_get_a_pit_inside_their_interval():
    rng = np.random.default_rng(11)
    n = 150
    x = rng.normal(size=n)
    t = (rng.exponential(size=n) / np.exp(0.8 * x)) ** (1 / 1.3)
    c = rng.uniform(0.5, 3.0, size=n)
    dur, ended = np.minimum(t, c), (t <= c).astype(int)
    # quarter-year boxes that start after 0 (a box from 0 would send the fit to the PyMC
    # graph, which clips times at zero: ~50 s of numba compile instead of a native fit)
    lo = np.where((ended == 1) & (rng.random(n) < 0.3) & (dur >= 0.25), np.floor(dur * 4) / 4,
                  np.nan)
    df = pd.DataFrame({"duration": dur, "ended": ended, "x": x, "lo": lo, "up": lo + 0.25})
    data = CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    lower="lo", upper="up", time_unit="years")
    fit = _fit("x", data)
    assert fit.sampler["route"] == "native", fit.sampler
    diag = diagnose(fit)
    pit = diag.loo_pit[diag.loo_pit["status"] == "interval"]
    assert len(pit) > 10
    assert ((pit["lower"] <= pit["pit"]) & (pit["pit"] <= pit["upper"])).all()
    assert (pit["lower"] < pit["upper"]).all()
    # the MLE cross-check uses lifelines' interval-censored fit (weak-prior posterior close)
    assert diag["mle_agreement"].verdict == "pass"
    assert "fit_interval_censoring" in diag["mle_agreement"].detail
    assert diag.mle["mle"].iloc[0] == pytest.approx(0.8, abs=0.3)  # true log HR per unit
    assert diag.verdict in ("pass", "warn", "fail")
