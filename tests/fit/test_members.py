"""Tiny fits of multiple-membership models (issue 21): one per weight function.

Names in the summary and ratio tables, member effects, the native kernel's route,
predictions of fitted coalitions (their member term), the fit-file round trip and the refusal
of new coalitions. Draws 100 / tune 100, one chain: these check plumbing, not recovery
(``test_members_slow.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.build.members import weights
from coalsurv.errors import SpecError
from coalsurv.simulation.membership import simulate_membership

SMALL = {"draws": 100, "tune": 100, "chains": 1}


@pytest.fixture(scope="module")
def sim():
    return simulate_membership(60, 20, seed=4)[0]


@pytest.fixture(scope="module")
def power_fit(sim, tiny_fit):
    return tiny_fit(sim, "z + mm(x, weights='power')", **SMALL)


@pytest.mark.parametrize(("formula", "present", "absent"), [
    ("z + mm(x, random=False)", ["beta[mm(x)]"], ["sd_mm", "gamma", "b0"]),
    ("z + mm(1, weights='share')", ["sd_mm"], ["beta[mm(x)]", "gamma"]),
    ("z + mm(x, weights='power')", ["sd_mm", "gamma", "beta[mm(x)]"], ["b0"]),
    ("z + mm(x, weights='logistic', sum_to_one=False)", ["sd_mm", "b0", "b1", "beta[mm(x)]"],
     ["gamma"]),
])
def test_a_tiny_fit_per_weight_function(sim, tiny_fit, formula, present, absent):
    fit = tiny_fit(sim, formula, **SMALL)
    names = set(fit.summary()["parameter"])
    assert set(present) <= names and not set(absent) & names, names
    assert fit.sampler["kernel"] == "native", fit.sampler  # mm() runs on the kernel (issue 23)
    ratios = fit.hazard_ratios()
    assert ("mm(x)" in set(ratios["term"])) == ("beta[mm(x)]" in present)
    assert np.all(np.isfinite(fit.summary()["mean"]))


def test_member_effects_and_ratios(power_fit, sim):
    eff = power_fit.member_effects()
    assert list(eff.columns) == ["member", "mean", "lower", "upper", "n_coalitions", "ci_prob"]
    counts = sim.members["member"].value_counts()
    assert dict(zip(eff["member"], eff["n_coalitions"], strict=True)) == counts.to_dict()
    assert np.all(eff["lower"] <= eff["upper"])
    hr = power_fit.hazard_ratios().set_index(["term", "scale"])
    sd = sim.members["x"].std(ddof=0)
    per_sd, per_unit = hr.loc[("mm(x)", "per SD"), "median"], hr.loc[("mm(x)", "per unit"),
                                                                      "median"]
    assert np.isclose(np.log(per_unit), np.log(per_sd) / sd, rtol=0.05)  # medians of 100
    ax = power_fit.plot_forest()   # the forest plot labels the member covariate mm(x)
    assert "mm(x)" in [t.get_text() for t in ax.get_yticklabels()]
    gamma = power_fit.summary().set_index("parameter").loc["gamma"]
    assert gamma["lower"] >= 0


def test_predictions_of_fitted_coalitions_include_the_member_term(power_fit, sim):
    rows = sim.episode_profiles().iloc[:5]
    pred = power_fit.predictor
    eta, _ = pred.eta(rows)
    d, mb = pred.draws, power_fit.design.members
    want = np.zeros((pred.n_draws, 5))
    for s in range(pred.n_draws):
        w = weights(mb.term, mb.share, mb.size, mb.coalition, mb.n_episodes,
                    {"gamma": d["gamma"][s]})
        c = w * (mb.X[:, 0] * d["beta_mm"][s, 0, 0] + d["u_mm"][s, 0, mb.member])
        want[s] = np.bincount(mb.coalition, weights=c, minlength=mb.n_episodes)[:5]
    X = (rows[["z"]].to_numpy() - power_fit.info.means) / power_fit.info.sds
    base = d["intercept"][:, 0, None] + d["beta"][:, 0, 0, None] * X[None, :, 0]
    np.testing.assert_allclose(eta[:, 0, :], base + want, rtol=1e-9, atol=1e-12)
    by_id = power_fit.survival([1.0], newdata=rows.reset_index().rename(columns={"index": "id"}))
    by_index = power_fit.survival([1.0], newdata=rows)
    np.testing.assert_allclose(by_id["mean"], by_index["mean"])
    typical = power_fit.survival([1.0])  # newdata=None: a typical coalition (theta = 0)
    assert len(typical) == 1


def test_new_coalitions_are_refused(power_fit):
    new = pd.DataFrame({"z": [0.0]}, index=["brand-new"])
    with pytest.raises(SpecError, match=r"fitted coalitions only: newdata rows 'brand-new'"):
        power_fit.survival([1.0], newdata=new)
    new.attrs["mm"] = "typical"
    assert len(power_fit.survival([1.0], newdata=new)) == 1


def test_fit_file_round_trip(power_fit, sim, tmp_path):
    path = power_fit.save(tmp_path / "mm.nc")
    back = cs.load_fit(path)
    assert back.fit_id == power_fit.fit_id
    assert back.info.members == power_fit.info.members
    rows = sim.episode_profiles().iloc[:4]
    pd.testing.assert_frame_equal(back.survival([0.5, 2.0], newdata=rows),
                                  power_fit.survival([0.5, 2.0], newdata=rows))
    pd.testing.assert_frame_equal(back.member_effects(), power_fit.member_effects())


def test_competing_causes_have_their_own_member_terms(sim, tiny_fit):
    frame = sim.to_frame()
    ended = frame["cause"] == "end"
    cause = np.where(ended, np.where(frame["z"] > 0, "a", "b"), "censored")
    data = cs.CoalitionData.from_frame(
        pd.DataFrame({"key": frame["id"], "dur": frame["time"], "end": cause, "z": frame["z"]}),
        duration="dur", event="end", id="key", covariates=["z"], members=sim.members,
        time_unit="days")
    fit = tiny_fit(data, "mm(x, weights='equal')", causes=["a", "b"], **SMALL)
    assert {"sd_mm[a]", "sd_mm[b]", "beta[a, mm(x)]", "beta[b, mm(x)]"} <= set(
        fit.summary()["parameter"])
    eff = fit.member_effects()
    assert set(eff["cause"]) == {"a", "b"} and "n_coalitions" in eff
    assert set(fit.hazard_ratios().query("term == 'mm(x)'")["cause"]) == {"a", "b"}
