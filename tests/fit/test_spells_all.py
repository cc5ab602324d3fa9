"""Time-varying covariates (spells) with AFT families, cure, tve and interval censoring.

Tiny fits of each combination (they run on the native kernel, tve with spells on the PyMC
graph with a stated reason, and point the right way), the refusals that remain, and a slow
recovery of a time-varying acceleration from an independent generator (inversion of the clock
``u(t)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv import SpecError

TRUE_LOG_TR_X = 0.6  # log time ratio of x (AFT): x = 1 slows the clock
TRUE_LOG_TR_Z = -0.3


def _simulate_aft(n: int, seed: int, *, shape: float = 1.5, intercept: float = 0.0,
                  interval_share: float = 0.0, cure_share: float = 0.0):
    """Weibull AFT with x switching 0 -> 1 at a random time: invert u(t) (Cox & Oakes).

    ``u(t) = exp(-eta0) min(t, s) + exp(-eta1) (t - s)_+`` and ``S(t) = exp(-u(t)^k)``: draw
    ``u* = (-log U)^(1/k)`` and solve ``u(T) = u*``. A share ``cure_share`` never ends.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    switch = np.where(rng.random(n) < 0.6, rng.uniform(0, 1.5, n), np.inf)
    eta0 = intercept + TRUE_LOG_TR_Z * z
    eta1 = eta0 + TRUE_LOG_TR_X
    u_star = (-np.log(rng.random(n))) ** (1 / shape)
    u_switch = np.exp(-eta0) * np.where(np.isfinite(switch), switch, 0.0)
    before = ~np.isfinite(switch) | (u_star <= u_switch)
    t = np.where(before, u_star * np.exp(eta0),
                 np.where(np.isfinite(switch), switch, 0.0) + (u_star - u_switch) * np.exp(eta1))
    t = np.where(rng.random(n) < cure_share, np.inf, t)
    c = rng.uniform(0.5, 4.0, n)
    time, event = np.minimum(t, c), (t <= c).astype(int)
    ids = [f"E{i:03d}" for i in range(n)]
    lo, up = np.full(n, np.nan), np.full(n, np.nan)
    interval = (event == 1) & (rng.random(n) < interval_share)
    lo[interval] = np.floor(time[interval] * 4) / 4
    up[interval] = lo[interval] + 0.25
    lo[interval & (lo <= 0)] = np.nan  # keep it simple: no left-censored rows
    interval &= np.isfinite(lo)
    up[~interval] = np.nan
    episodes = pd.DataFrame({"id": ids, "time": np.where(interval, np.nan, time),
                             "lo": lo, "up": up, "event": event, "z": z})
    exit_time = np.where(interval, up, time)
    rows = []
    for i in range(n):
        if switch[i] < exit_time[i]:
            rows += [(ids[i], 0.0, switch[i], 0.0), (ids[i], switch[i], exit_time[i], 1.0)]
        else:
            rows.append((ids[i], 0.0, exit_time[i], 0.0))
    spells = pd.DataFrame(rows, columns=["id", "start", "stop", "x"])
    return coalsurv.CoalitionData.from_frame(
        episodes, duration="time", event="event", id="id", lower="lo", upper="up",
        covariates=["z"], time_unit="years", spells=spells)


@pytest.fixture(scope="module")
def aft_data():
    return _simulate_aft(120, seed=5, interval_share=0.2)


def _ratio(fit, term):
    table = fit.hazard_ratios(ci_prob=0.95).set_index(["term", "scale"])
    return table.loc[(term, "per unit")]


def test_aft_spells_with_interval_rows_fit(aft_data, tiny_fit, tmp_path):
    assert (np.asarray(aft_data.status) == 2).any()
    fit = tiny_fit(aft_data, "x + z", family="weibull_aft")
    assert fit.info.spells and fit.info.time_varying == ("x",)
    assert fit.sampler["kernel"] == "native", fit.sampler  # tests/fit/test_kernel_spells.py
    assert _ratio(fit, "x")["mean"] > 1.0  # x = 1 slows the clock (time ratio above 1)
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
    loaded = coalsurv.load_fit(fit.save(tmp_path / "aft_spells.nc"))
    assert loaded.info == fit.info and loaded.design.spells is not None
    assert np.isinf(loaded.idata["constant_data"]["spell_to"]).sum() == aft_data.n


def test_cure_with_spells_fits():
    data = _simulate_aft(120, seed=6, cure_share=0.3)
    fit = coalsurv.SurvivalModel("x + z", family="weibull", cure="1").fit(
        data, random_seed=1, draws=200, tune=200, chains=2, progressbar=False)
    assert fit.info.spells and fit.info.cure
    assert fit.sampler["kernel"] == "native", fit.sampler
    share = float(1 / (1 + np.exp(-np.asarray(fit.idata["posterior"]["cure_intercept"]).mean())))
    assert 0.1 < share < 0.6
    assert _ratio(fit, "x")["mean"] < 1.0  # slower clock: lower hazard after the switch


def test_tve_with_spells_fits(aft_data, tiny_fit):
    data = _simulate_aft(120, seed=7)
    fit = tiny_fit(data, "tve(x, type='pw', df=2) + z", family="weibull")
    assert fit.info.spells and fit.info.tve
    assert fit.sampler["route"] == "native", fit.sampler  # tve with spells: on the kernel
    assert np.asarray(fit.idata["posterior"]["tve_dev_x"]).shape[-1] == 2


def test_aft_and_cure_need_covariates_from_time_zero():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "entry": [0.5, 0.0, 0.0],
                          "time": [2.0, 3.0, 1.0], "event": [1, 0, 1], "z": [0.0, 1.0, 2.0]})
    spells = pd.DataFrame({"id": ["a", "a", "b", "c"], "start": [0.5, 1.0, 0.0, 0.0],
                           "stop": [1.0, 2.0, 3.0, 1.0], "x": [0.0, 1.0, 1.0, 0.0]})
    data = coalsurv.CoalitionData.from_frame(frame, duration="time", event="event", id="id",
                                             entry="entry", covariates=["z"], spells=spells,
                                             time_unit="days")
    for options in ({"family": "lognormal"}, {"family": "weibull", "cure": "z"}):
        with pytest.raises(SpecError, match="need their covariates from time 0") as err:
            coalsurv.SurvivalModel("x + z", **options).build(data)
        assert "episodes 'a' enter after 0" in str(err.value)
    # proportional hazards without cure need spells from entry only
    _, design, info, _ = coalsurv.SurvivalModel("x + z", family="weibull").build(data)
    assert info.spells


@pytest.mark.slow
def test_time_varying_acceleration_is_recovered():
    """Weibull AFT, x switching 0 -> 1: time ratio of x and z within 95% intervals.

    Three independent data sets of 400 episodes, 500 draws x 2 chains each (measured: 297 s
    on 2 cores shared with other jobs).
    """
    for seed in (11, 12, 13):
        data = _simulate_aft(400, seed=seed)
        fit = coalsurv.SurvivalModel("x + z", family="weibull_aft").fit(
            data, draws=500, tune=500, chains=2, random_seed=seed, progressbar=False)
        for term, truth in (("x", TRUE_LOG_TR_X), ("z", TRUE_LOG_TR_Z)):
            row = _ratio(fit, term)
            assert row["lower"] < np.exp(truth) < row["upper"], (seed, term, row.to_dict())
        shape = float(np.asarray(fit.idata["posterior"]["shape"]).mean())
        assert abs(shape - 1.5) < 0.3, (seed, shape)


def test_spell_path_survival_follows_the_clock(aft_data, tiny_fit):
    from coalsurv.fit.spell_paths import spell_path_survival

    fit = tiny_fit(aft_data, "x + z", family="weibull_aft")
    times = np.array([0.25, 1.0, 2.5])
    path = spell_path_survival(fit, times, max_draws=10_000).set_index(["id", "time"])
    spells = aft_data.spells
    counts = spells.groupby("id").size()
    # one spell: the constant-profile prediction of fit.survival
    plain = counts.index[counts == 1][:3]
    rows = fit.data.episode_profiles().loc[plain]
    curve = fit.survival(times, rows.reset_index(drop=True))
    for i, eid in enumerate(plain):
        got = path.loc[eid]["mean"].to_numpy()
        np.testing.assert_allclose(got, curve[curve.row == i]["mean"].to_numpy(), rtol=1e-9)
    # a switch from x = 0 to 1: S(t) = exp(-u(t)^k), u by hand from the draws
    eid = counts.index[counts == 2][0]
    s = float(spells.loc[spells["id"] == eid, "stop"].iloc[0])
    post = fit.idata["posterior"]
    a = np.asarray(post["intercept"]).reshape(-1)
    b = np.asarray(post["beta"]).reshape(-1, 2) / np.asarray(fit.design.sds)
    k = np.asarray(post["shape"]).reshape(-1)
    z = float(aft_data.covariates.loc[eid, "z"])
    eta0 = a + b[:, 0] * (0 - fit.design.means[0]) + b[:, 1] * (z - fit.design.means[1])
    eta1 = eta0 + b[:, 0]
    tau = fit.info.time_scale
    t = times[None, :] / tau
    u = (np.exp(-eta0)[:, None] * np.minimum(t, s / tau)
         + np.exp(-eta1)[:, None] * np.maximum(t - s / tau, 0.0))
    expected = np.exp(-u ** k[:, None]).mean(axis=0)
    np.testing.assert_allclose(path.loc[eid]["mean"].to_numpy(), expected, rtol=1e-9)
    with pytest.raises(SpecError, match="no spell column"):
        spell_path_survival(tiny_fit(aft_data, "z", family="weibull_aft"), times)


def test_a_non_piecewise_tve_with_spells_is_refused_by_name(aft_data):
    """The smooth tve (type='bs') is not split at spells: refused, both named."""
    with pytest.raises(SpecError, match="cannot be fitted") as err:
        coalsurv.SurvivalModel("tve(x, type='bs') + z", family="weibull").build(aft_data)
    text = str(err.value)
    assert "tve(x, type='bs') with time-varying covariates (spells) ['x']" in text
    assert "use the piecewise tve(x, type='pw') or constant covariates" in text
