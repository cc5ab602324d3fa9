"""Time-varying covariates from start/stop spells (coalsurv.spells).

Exact equivalence with the episode likelihood, recovery of a time-varying hazard ratio,
AFT families and interval rows build (their likelihood: tests/build/test_spell_likelihood.py),
save/load and diagnose of a spell fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.data.spells import last_spell_values
from coalsurv.simulation import simulate_single_cause

TINY = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}
TRUE_LOG_HR_X = 0.7
TRUE_LOG_HR_Z = -0.4


def _episode_frame(seed: int = 3) -> pd.DataFrame:
    """Episodes with delayed entry, one or two causes of ending, time-constant covariates."""
    data = simulate_single_cause(n_coalitions=60, n_groups=4, seed=seed,
                                 delayed_entry_share=0.3).data
    frame = data.to_frame()
    rng = np.random.default_rng(seed)
    ended = frame["cause"] != data.censored_label
    frame["cause2"] = np.where(ended, np.where(rng.random(len(frame)) < 0.4, "alliance",
                                               "dissolved"), data.censored_label)
    return frame


def _split(frame: pd.DataFrame, column: str, seed: int = 4) -> pd.DataFrame:
    """Split every episode (0, exit] into 2 or 3 spells holding the same covariate value."""
    rng = np.random.default_rng(seed)
    rows = []
    for row in frame.itertuples(index=False):
        cuts = np.sort(rng.uniform(0, row.time, size=rng.integers(1, 3)))
        bounds = np.r_[0.0, cuts, row.time]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows.append({"id": row.id, "start": a, "stop": b, column: getattr(row, column)})
    return pd.DataFrame(rows)


def _data(frame: pd.DataFrame, *, event: str = "cause", spells=None, tv: str = "breadth"):
    covariates = ["power_hhi"] + ([] if spells is not None else [tv])
    return coalsurv.CoalitionData.from_frame(
        frame, duration="time", event=event, entry="entry", id="id", groups=["group"],
        covariates=covariates, time_unit="months", spells=spells)


def _matching_point(point: dict, d_from, d_to) -> dict:
    """Parameter point of ``d_to``'s model giving the same per-unit linear predictor."""
    out = dict(point)
    beta = np.asarray(point["beta"])  # (cause, term), per SD of d_from
    per_unit = beta / d_from.sds
    shift = per_unit @ (np.asarray(d_to.means) - np.asarray(d_from.means))
    out["beta"] = per_unit * d_to.sds
    out["intercept_offset"] = np.asarray(point["intercept_offset"]) + shift
    for name in point:  # a frailty centred on the intercept: w = intercept + u, u unchanged
        if name.startswith("w_"):
            out[name] = np.asarray(point[name]) + shift[:, None]
    return out


@pytest.mark.parametrize(("family", "event"), [("weibull", "cause"), ("piecewise", "cause"),
                                               ("weibull", "cause2")])
def test_split_episodes_give_the_unsplit_log_likelihood(family, event):
    frame = _episode_frame()
    causes = None if event == "cause" else ["dissolved", "alliance"]
    model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family=family,
                                   causes=causes)
    plain = _data(frame, event=event)
    split = _data(frame, event=event, spells=_split(frame, "breadth"))
    m0, des0, info0, _ = model.build(plain)
    m1, des1, info1, _ = model.build(split)
    assert des1.spells is not None and des1.spells.m > split.n
    assert info1.spells and info1.time_varying == ("breadth",) and not info0.spells
    assert info1.cuts == info0.cuts and info1.time_scale == info0.time_scale
    # likelihood only: the priors of beta and the intercept sit at other (per-SD) values
    logp0 = m0.compile_logp(vars=[m0["lifespan"]])
    logp1 = m1.compile_logp(vars=[m1["lifespan"]])
    rows0 = m0.compile_fn(m0.logp(vars=[m0["lifespan"]], sum=False)[0])
    rows1 = m1.compile_fn(m1.logp(vars=[m1["lifespan"]], sum=False)[0])
    rng = np.random.default_rng(0)
    for _ in range(3):
        p0 = {k: np.asarray(v) + rng.normal(0, 0.3, np.shape(v))
              for k, v in m0.initial_point().items()}
        p1 = _matching_point(p0, des0, des1)
        # a likelihood may not take the random walk's SD (centred steps): pass its inputs only
        def lik(fn, p):
            names = {i.variable.name for i in fn.f.maker.inputs}
            return {k: v for k, v in p.items() if k in names}
        l0, l1 = logp0(lik(logp0, p0)), logp1(lik(logp1, p1))
        assert np.isfinite(l0)
        assert l1 == pytest.approx(l0, abs=1e-8)
        # one log-likelihood value per episode, equal row by row
        np.testing.assert_allclose(rows1(lik(rows1, p1)), rows0(lik(rows0, p0)), atol=1e-8)
    assert np.all(np.isfinite(m1.compile_dlogp()(m1.initial_point())))


def _simulate_time_varying(n: int = 300, seed: int = 21):
    """Weibull PH with a binary covariate switching 0 -> 1 at a random time (inversion)."""
    rng = np.random.default_rng(seed)
    shape, lam = 1.3, 0.4
    z = rng.normal(size=n)
    switch = np.where(rng.random(n) < 0.6, rng.uniform(0, 2.0, n), np.inf)
    e = rng.exponential(size=n)
    base = lam * np.exp(TRUE_LOG_HR_Z * z)
    h_switch = base * switch ** shape  # cumulative hazard at the switch (inf if never)
    before = e < h_switch
    t_before = (e / base) ** (1 / shape)
    rest = np.where(before, 0.0, e - np.where(np.isfinite(h_switch), h_switch, 0.0))
    s_fin = np.where(np.isfinite(switch), switch, 0.0)
    t_after = (s_fin ** shape + rest / (base * np.exp(TRUE_LOG_HR_X))) ** (1 / shape)
    t = np.where(before, t_before, t_after)
    c = rng.uniform(0.5, 4.0, n)
    time, event = np.minimum(t, c), (t <= c).astype(int)
    ids = [f"E{i:03d}" for i in range(n)]
    episodes = pd.DataFrame({"id": ids, "time": time, "event": event, "z": z})
    rows = []
    for i in range(n):
        if switch[i] < time[i]:
            rows += [(ids[i], 0.0, switch[i], 0.0), (ids[i], switch[i], time[i], 1.0)]
        else:
            rows.append((ids[i], 0.0, time[i], 0.0))
    spells = pd.DataFrame(rows, columns=["id", "start", "stop", "x"])
    return coalsurv.CoalitionData.from_frame(
        episodes, duration="time", event="event", id="id", covariates=["z"],
        time_unit="years", spells=spells)


@pytest.fixture(scope="session")
def tv_data():
    return _simulate_time_varying()


@pytest.fixture(scope="session")
def tv_fit(tv_data):
    model = coalsurv.SurvivalModel("x + z", family="weibull")
    return model.fit(tv_data, random_seed=3, **TINY)


def test_time_varying_hazard_ratio_is_recovered(tv_fit, tv_data):
    assert tv_fit.info.spells and tv_fit.info.time_varying == ("x",)
    assert tv_fit.idata["constant_data"]["X_spell"].shape[0] == len(tv_data.spells)
    ratios = tv_fit.hazard_ratios(ci_prob=0.9).set_index(["term", "scale"])
    for term, truth in (("x", TRUE_LOG_HR_X), ("z", TRUE_LOG_HR_Z)):
        row = ratios.loc[(term, "per unit")]
        assert row["lower"] < np.exp(truth) < row["upper"], (term, row.to_dict())
    # the fit's data carry x at exit as an episode covariate; the model used the spells
    last = last_spell_values(tv_data, ["x"])
    np.testing.assert_array_equal(tv_fit.data.covariates["x"], last["x"])
    assert tv_fit.data.spells is tv_data.spells


def test_aft_family_and_interval_rows_build(tv_data):
    """Once refused, AFT families and interval-censored rows now use the spell curve."""
    for family in ("weibull_aft", "lognormal", "loglogistic"):
        _, design, info, _ = coalsurv.SurvivalModel("x + z", family=family).build(tv_data)
        assert design.spells is not None and info.time_varying == ("x",)
    frame = pd.DataFrame({"id": ["a", "b", "c"], "time": [np.nan, 2.0, 3.0],
                          "lo": [1.0, np.nan, np.nan], "up": [1.5, np.nan, np.nan],
                          "event": [1, 0, 1], "z": [0.0, 1.0, 2.0]})
    spells = pd.DataFrame({"id": ["a", "b", "c"], "start": 0.0, "stop": [1.5, 2.0, 3.0],
                           "x": [0.0, 1.0, 0.0]})
    data = coalsurv.CoalitionData.from_frame(frame, duration="time", event="event", id="id",
                                             lower="lo", upper="up", covariates=["z"],
                                             spells=spells, time_unit="days")
    assert (data.status == 2).any()
    _, design, _, _ = coalsurv.SurvivalModel("x + z", family="weibull").build(data)
    assert design.spells is not None
    # a formula without spell columns ignores the spells
    _, design, info, _ = coalsurv.SurvivalModel("z", family="weibull").build(data)
    assert design.spells is None and not info.spells


def test_save_load_gives_identical_survival(tv_fit, tmp_path):
    path = tv_fit.save(tmp_path / "spells.nc")
    loaded = coalsurv.load_fit(path)
    assert loaded.info == tv_fit.info and loaded.design.spells is not None
    newdata = pd.DataFrame({"x": [0.0, 1.0], "z": [0.0, 0.5]})
    a = tv_fit.survival([0.5, 1.0, 2.0], newdata)
    b = loaded.survival([0.5, 1.0, 2.0], newdata)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[a.row == 1, "mean"].to_numpy()[-1] < a.loc[a.row == 0, "mean"].to_numpy()[-1]


def test_diagnose_runs_on_a_spell_fit(tv_fit):
    diag = tv_fit.diagnose(max_draws=50)
    status = {r.name: r.verdict for r in diag.results}
    assert status.get("pareto_k") not in (None, "skipped")
    assert status.get("ppc_km") not in (None, "skipped")
    assert not tv_fit.survival([1.0]).empty  # default profile (covariate means)
    skipped = {r.name: r.advice for r in diag.results if r.verdict == "skipped"}
    assert "mle" not in skipped and "calibration" not in skipped, skipped


def test_spell_path_survival_adds_the_spells_cumulative_hazards(tv_fit, tv_data):
    """Weibull PH along a switch 0 -> 1: H(t) = s^k e^eta0 + (t^k - s^k) e^eta1 (t > s)."""
    from coalsurv.fit.spell_paths import spell_path_survival

    times = np.array([0.3, 1.0, 2.0])
    path = spell_path_survival(tv_fit, times, max_draws=10_000).set_index(["id", "time"])
    spells = tv_data.spells
    eid = spells.groupby("id").size().loc[lambda c: c == 2].index[0]
    s = float(spells.loc[spells["id"] == eid, "stop"].iloc[0])
    post = tv_fit.idata["posterior"]
    a = np.asarray(post["intercept"]).reshape(-1)
    b = np.asarray(post["beta"]).reshape(-1, 2) / np.asarray(tv_fit.design.sds)
    k = np.asarray(post["shape"]).reshape(-1)[:, None]
    z = float(tv_data.covariates.loc[eid, "z"])
    terms = list(tv_fit.design.terms)
    ix, iz = terms.index("x"), terms.index("z")
    means = np.asarray(tv_fit.design.means)
    eta0 = a + b[:, ix] * (0 - means[ix]) + b[:, iz] * (z - means[iz])
    eta1 = eta0 + b[:, ix]
    tau = tv_fit.info.time_scale
    t, sw = times[None, :] / tau, s / tau
    H = (np.minimum(t, sw) ** k * np.exp(eta0)[:, None]
         + (np.maximum(t, sw) ** k - sw ** k) * np.exp(eta1)[:, None])
    np.testing.assert_allclose(path.loc[eid]["mean"].to_numpy(), np.exp(-H).mean(axis=0),
                               rtol=1e-9)
