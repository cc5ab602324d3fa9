"""Multiple membership in the graph: weight functions, the member term and the log density.

The weights are checked against loops in NumPy; the graph's log-likelihood at a random point
against an independent NumPy computation of the same model (Weibull PH, power weights, member
covariate and member effects, delayed entry), and every family builds with two causes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.build.members import member_design, weights
from coalsurv.families import FAMILIES
from coalsurv.simulation.membership import simulate_membership
from coalsurv.spec.members import MmTerm, split_mm
from coalsurv.spec.modelspec import ModelSpec

RNG = np.random.default_rng(3)
COAL = np.array([0, 0, 1, 1, 1, 2, 3, 3])
SHARE = np.array([0.7, 0.3, 0.2, 0.5, 0.3, 1.0, 0.6, 0.4])
SIZE = np.bincount(COAL)[COAL].astype(float)


def _loop(kind: str, params: dict, normalise: bool) -> np.ndarray:
    out = np.empty(len(COAL))
    for r, (s, n) in enumerate(zip(SHARE, SIZE, strict=True)):
        out[r] = {"equal": 1.0, "share": s, "power": s ** params.get("gamma", 1.0),
                  "logistic": 1.0 / (1.0 + (n - 1.0) * np.exp(
                      -(params.get("b0", 0.0) + params.get("b1", 0.0) * s)))}[kind]
    if normalise:
        for i in np.unique(COAL):
            out[COAL == i] /= out[COAL == i].sum()
    return out


CASES = [("equal", {}), ("share", {}), ("power", {"gamma": 0.0}), ("power", {"gamma": 1.0}),
         ("power", {"gamma": 2.7}), ("logistic", {"b0": 0.3, "b1": -1.5}),
         ("logistic", {"b0": 0.0, "b1": 0.0})]


@pytest.mark.parametrize("normalise", [True, False])
@pytest.mark.parametrize(("kind", "params"), CASES)
def test_weights_match_a_numpy_loop_and_pytensor(kind, params, normalise):
    import pytensor.tensor as pt

    term = MmTerm(("x",), kind, True, normalise)
    want = _loop(kind, params, normalise)
    got = weights(term, SHARE, SIZE, COAL, 4, params)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    sym = weights(term, pt.as_tensor(SHARE), pt.as_tensor(SIZE), pt.as_tensor(COAL), 4,
                  {k: pt.as_tensor(v) for k, v in params.items()}, xp=pt)
    np.testing.assert_allclose(sym.eval(), want, rtol=1e-12)
    if normalise:
        np.testing.assert_allclose(np.bincount(COAL, weights=got), 1.0)


def test_special_cases_of_the_weights():
    eq = _loop("equal", {}, True)
    np.testing.assert_allclose(_loop("power", {"gamma": 0.0}, True), eq)  # gamma 0: equal
    np.testing.assert_allclose(_loop("power", {"gamma": 1.0}, True), _loop("share", {}, True))
    np.testing.assert_allclose(_loop("logistic", {}, True), eq)  # b0 = b1 = 0: equal


def test_mm_terms_are_parsed_out_of_the_formula():
    spec = ModelSpec("majority + mm(finance + cohesion, weights='power') + (1 | country)")
    assert spec.fixed_formula == "majority"
    assert spec.mm_term == MmTerm(("finance", "cohesion"), "power", True, True)
    assert [g.factor for g in spec.group_terms] == ["country"]
    assert split_mm("mm(1, weights=\"logistic\", random=True, sum_to_one=False)") == (
        "1", MmTerm((), "logistic", True, False))
    assert ModelSpec("mm(x, random=False)").mm_term.random is False
    assert ModelSpec("z").mm_term is None


def _numpy_loglik(data, info, values):
    """The member model's log-likelihood written out in NumPy (Weibull PH, one cause)."""
    mb = data.members
    ids = list(data.ids)
    pos = np.array([ids.index(i) for i in mb["id"]])
    share = mb["share"].to_numpy()
    x = mb["x"].to_numpy()
    xs = (x - x.mean()) / x.std()
    levels = sorted(set(mb["member"]))
    mem = np.array([levels.index(m) for m in mb["member"]])
    raw = share ** values["gamma"]
    w = raw / np.bincount(pos, weights=raw)[pos]
    contrib = w * (xs * values["beta_mm"][0, 0] + values["u_mm"][0, mem])
    theta = np.bincount(pos, weights=contrib, minlength=len(ids))
    z = data.covariates["z"].to_numpy()
    zs = (z - z.mean()) / z.std()
    eta = values["intercept"][0] + zs * values["beta"][0, 0] + theta
    k = values["shape"][0]
    t = np.asarray(data.time) / info.time_scale
    t0 = np.asarray(data.entry) / info.time_scale
    event = np.asarray(data.status) == 1
    log_h = np.log(k) + (k - 1) * np.log(t) + eta
    return np.sum(event * log_h - t**k * np.exp(eta) + t0**k * np.exp(eta))


def test_graph_log_likelihood_matches_numpy():
    data, _ = simulate_membership(40, 15, seed=2)
    frame = _plain(data)
    frame["e0"] = np.where(np.arange(len(frame)) % 4 == 0, 0.3 * frame["dur"], 0.0)
    data = cs.CoalitionData.from_frame(frame, duration="dur", event="end", id="key",
                                       entry="e0", covariates=["z"], members=data.members,
                                       time_unit="days")
    assert np.any(np.asarray(data.entry) > 0)
    pm_model, _, info, _ = cs.SurvivalModel("z + mm(x, weights='power')").build(data)
    point = {name: RNG.normal(0.0, 0.6, np.shape(v))
             for name, v in pm_model.initial_point().items()}
    names = ["intercept", "beta", "shape", "beta_mm", "u_mm", "gamma"]
    outs = pm_model.replace_rvs_by_values([pm_model[n] for n in names])
    fn = pm_model.compile_fn(outs, inputs=pm_model.value_vars, on_unused_input="ignore")
    values = dict(zip(names, fn(point), strict=True))
    loglik = pm_model.compile_logp(vars=pm_model.observed_RVs)(point)
    np.testing.assert_allclose(loglik, _numpy_loglik(data, info, values), rtol=1e-9)


def _plain(data) -> pd.DataFrame:
    frame = data.to_frame()
    return pd.DataFrame({"key": frame["id"], "dur": frame["time"], "end": frame["cause"],
                         "z": frame["z"]})


def _two_cause_data(interval: bool = False):
    data, _ = simulate_membership(30, 12, seed=5)
    frame = _plain(data)
    ended = frame["end"] == "end"
    if interval:
        half = ended & (np.arange(len(frame)) % 2 == 0)
        frame["lo"] = np.where(half, frame["dur"] * 0.8, np.nan)
        frame["hi"] = np.where(half, frame["dur"] * 1.2, np.nan)
        return cs.CoalitionData.from_frame(frame, duration="dur", lower="lo", upper="hi",
                                           event="end", id="key", covariates=["z"],
                                           members=data.members, time_unit="days")
    frame["end"] = np.where(ended, np.where(np.arange(len(frame)) % 2, "a", "b"), "censored")
    frame["g"] = np.where(np.arange(len(frame)) % 3 == 0, "u", "v")
    return cs.CoalitionData.from_frame(frame, duration="dur", event="end", id="key",
                                       causes=["a", "b"], covariates=["z"], groups=["g"],
                                       members=data.members, time_unit="days")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_builds_with_members_two_causes_and_a_frailty(family):
    data = _two_cause_data()
    model = cs.SurvivalModel("z + mm(x, weights='logistic') + (1 | g)", family=family,
                             causes=["a", "b"])
    pm_model, design, info, _ = model.build(data)
    assert pm_model.named_vars_to_dims["beta_mm"] == ("cause", "mm_term")
    assert pm_model.named_vars_to_dims["u_mm"] == ("cause", "member")
    assert {"b0", "b1", "sd_mm", "z_mm"} <= set(pm_model.named_vars)
    if family in ("weibull", "lognormal", "piecewise"):  # compiling all is slow
        assert np.isfinite(pm_model.compile_logp()(pm_model.initial_point()))


def test_interval_censored_rows_take_the_member_term():
    data = _two_cause_data(interval=True)
    assert np.any(np.asarray(data.status) == 2)
    pm_model, *_ = cs.SurvivalModel("z + mm(x, weights='share')").build(data)
    point = pm_model.initial_point()
    logp = pm_model.compile_logp(vars=pm_model.observed_RVs)
    base = logp(point)
    point["z_mm"] = point["z_mm"] + 1.0
    assert np.isfinite(base) and logp(point) != base


def test_membership_rows_and_standardisation():
    data, truth = simulate_membership(25, 10, seed=1)
    rows = member_design(ModelSpec("mm(x, weights='power')"), data)
    x = data.members["x"].to_numpy()
    np.testing.assert_allclose(rows.X[:, 0], (x - x.mean()) / x.std())
    assert rows.n_episodes == data.n and len(rows.coalition) == len(data.members)
    counts = pd.Series(rows.n_coalitions, index=rows.levels)
    assert counts.sum() == len(data.members)
    assert set(rows.levels) <= set(truth["u"])


def test_weight_and_member_priors_come_from_prior_files(tmp_path):
    priors = cs.PriorSet({"mm_gamma": cs.Prior("Gamma", alpha=2.0, beta=2.0),
                          "mm_sd": cs.Prior("HalfNormal", sigma=0.3),
                          "beta[mm(x)]": cs.Prior("Normal", mu=0.0, sigma=0.5)})
    path = priors.save(tmp_path / "mm.toml")
    loaded = cs.PriorSet.load(path)
    assert loaded.priors == priors.priors
    data, _ = simulate_membership(20, 8, seed=3)
    pm_model, _, _, resolved = cs.SurvivalModel("z + mm(x, weights='power')",
                                                priors=loaded).build(data)
    assert resolved["mm_gamma"] == priors.priors["mm_gamma"]
    assert resolved["beta[mm(x)]"] == priors.priors["beta[mm(x)]"]
    assert pm_model["gamma"].owner.op.name == "gamma"
    assert resolved["mm_sd"] == priors.priors["mm_sd"]
    logistic = cs.SurvivalModel("mm(x, weights='logistic')", priors=cs.PriorSet(
        {"mm_b1": cs.Prior("Normal", mu=1.0, sigma=0.1)})).build(data)[3]
    assert logistic["mm_b1"] == cs.Prior("Normal", mu=1.0, sigma=0.1)


def test_spell_rows_take_their_episode_member_term():
    data, _ = simulate_membership(20, 8, seed=6)
    frame = _plain(data)
    spells = pd.DataFrame({"id": np.repeat(frame["key"], 2),
                           "start": np.ravel(np.column_stack([0 * frame["dur"],
                                                              frame["dur"] / 2])),
                           "stop": np.ravel(np.column_stack([frame["dur"] / 2, frame["dur"]])),
                           "v": np.tile([0.0, 1.0], len(frame)) + np.arange(2 * len(frame))
                           / 100})
    data = cs.CoalitionData.from_frame(frame, duration="dur", event="end", id="key",
                                       covariates=["z"], members=data.members, spells=spells,
                                       time_unit="days")
    pm_model, design, *_ = cs.SurvivalModel("z + v + mm(x)").build(data)
    assert design.spells is not None and design.members is not None
    assert {"spell_episode", "mm_coalition", "z_mm"} <= set(pm_model.named_vars)
