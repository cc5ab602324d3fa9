"""Likelihood of time-varying covariates (spells) with every family, cure, tve and intervals.

No sampling: the model's per-episode log-likelihood at random parameter points is compared
with (a) the same model without spells where they must agree exactly (one spell from 0 per
episode; or spells that split episodes without changing the covariates), and (b) an
independent computation with scipy (numerical integration of the time-varying clock or
hazard, scipy.stats distributions) where the covariates really change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.integrate as si
import scipy.stats as st

import coalsurv

AFT = ("weibull_aft", "lognormal", "loglogistic", "gamma", "gengamma")
PIN = {"x": [0.5, 1.0], "z": [0.0, 1.0]}  # the same standardisation with and without spells


def _frame(n: int = 24, seed: int = 0) -> pd.DataFrame:
    """Episodes: events, censored, delayed entry and interval-censored endings."""
    rng = np.random.default_rng(seed)
    time = rng.uniform(0.5, 6.0, n)
    entry = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.4, n), 0.0)
    event = (rng.random(n) < 0.6).astype(int)
    interval = np.zeros(n, bool)
    interval[[3, 7, 11]] = True
    lo = np.where(interval, time, np.nan)
    up = np.where(interval, time + rng.uniform(0.3, 2.0, n), np.nan)
    event[interval] = 1
    return pd.DataFrame({"id": [f"e{i}" for i in range(n)], "entry": entry,
                         "time": np.where(interval, np.nan, time), "lo": lo, "up": up,
                         "event": event, "x": rng.normal(0.5, 1.0, n),
                         "z": rng.normal(0.0, 1.0, n)})


def _exit(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame["up"].notna(), frame["up"], frame["time"]).astype(float)


def _spells(frame: pd.DataFrame, *, pieces: int, vary: bool, seed: int = 1) -> pd.DataFrame:
    """Spells from 0 to each exit; ``pieces`` per episode, x changing if ``vary``."""
    rng = np.random.default_rng(seed)
    rows = []
    for row, stop in zip(frame.itertuples(index=False), _exit(frame), strict=True):
        bounds = np.r_[0.0, np.sort(rng.uniform(0.05, stop - 0.05, pieces - 1)), stop]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            x = row.x + (rng.normal(0, 0.8) if vary else 0.0)
            rows.append({"id": row.id, "start": a, "stop": b, "x": x})
    return pd.DataFrame(rows)


def _data(frame, spells=None, *, interval=True):
    if not interval:
        frame = frame[frame["up"].isna()]
        spells = None if spells is None else spells[spells["id"].isin(frame["id"])]
    return coalsurv.CoalitionData.from_frame(
        frame, duration="time", event="event", entry="entry", id="id", lower="lo", upper="up",
        covariates=["z"] + ([] if spells is not None else ["x"]), spells=spells,
        time_unit="days")


def _model(family, **options):
    options.setdefault("family_options", {})["standardise"] = PIN
    options["family_options"].setdefault("time_scale", 2.0)
    return coalsurv.SurvivalModel("x + z", family=family, **options)


def _rows(m, mode="FAST_COMPILE"):
    """Per-episode log-likelihood of model ``m`` at a point (FAST_COMPILE: no C compile)."""
    fn = m.compile_fn(m.logp(vars=[m["lifespan"]], sum=False)[0], mode=mode)
    names = {i.variable.name for i in fn.f.maker.inputs}
    return lambda p: fn({k: v for k, v in p.items() if k in names})


def _points(m, n: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield {k: np.asarray(v) + rng.normal(0, 0.3, np.shape(v))
               for k, v in m.initial_point().items()}


def _check_equal(model, d0, d1, *, n_spells_more: bool):
    m0, _, info0, _ = model.build(d0)
    m1, des1, info1, _ = model.build(d1)
    assert des1.spells is not None and info1.spells and not info0.spells
    assert (des1.spells.m > d1.n) == n_spells_more
    # the gamma's graph has an elementwise op of over 32 inputs, which Python mode refuses
    mode = None if info1.family == "gamma" else "FAST_COMPILE"
    rows0, rows1 = _rows(m0, mode), _rows(m1, mode)
    for p in _points(m0):
        r0, r1 = rows0(p), rows1(p)
        assert np.all(np.isfinite(r0))
        np.testing.assert_allclose(r1, r0, rtol=1e-10, atol=1e-10)
    if info1.family not in ("gamma", "gengamma"):  # their gradients take long to compile
        dlogp = m1.compile_fn(m1.dlogp(), mode=mode)
        assert np.all(np.isfinite(dlogp(m1.initial_point())))


@pytest.mark.parametrize("family", AFT)
def test_one_spell_per_episode_is_the_ordinary_aft_likelihood(family):
    frame = _frame()
    _check_equal(_model(family), _data(frame), _data(frame, _spells(frame, pieces=1,
                                                                      vary=False)),
                 n_spells_more=False)


@pytest.mark.parametrize("family", ["loglogistic"])
def test_aft_spells_splitting_an_episode_change_nothing(family):
    frame = _frame()
    _check_equal(_model(family), _data(frame), _data(frame, _spells(frame, pieces=3,
                                                                      vary=False)),
                 n_spells_more=True)


@pytest.mark.parametrize(("family", "cure_type"), [("weibull", "mixture"),
                                                   ("lognormal", "promotion"),
                                                   ("exponential", "promotion"),
                                                   ("weibull_aft", "mixture")])
def test_cure_with_split_spells_changes_nothing(family, cure_type):
    frame = _frame()
    model = _model(family, cure="z", cure_type=cure_type)
    _check_equal(model, _data(frame), _data(frame, _spells(frame, pieces=3, vary=False)),
                 n_spells_more=True)


@pytest.mark.parametrize("family", ["weibull", "piecewise"])
def test_ph_interval_rows_with_split_spells_change_nothing(family):
    frame = _frame()
    _check_equal(_model(family), _data(frame), _data(frame, _spells(frame, pieces=3,
                                                                      vary=False)),
                 n_spells_more=True)


def test_tve_with_split_spells_changes_nothing():
    frame = _frame()
    model = coalsurv.SurvivalModel("tve(x, type='pw', df=3) + z", family="weibull", family_options={
        "standardise": PIN, "time_scale": 2.0})
    _check_equal(model, _data(frame, interval=False),
                 _data(frame, _spells(frame, pieces=3, vary=False), interval=False),
                 n_spells_more=True)


# ---------------------------------------------------------------- independent computation


def _values(m, p, names):
    fn = m.compile_fn(m.replace_rvs_by_values([m[n] for n in names]), mode="FAST_COMPILE")
    inputs = {i.variable.name for i in fn.f.maker.inputs}
    return [np.asarray(v) for v in fn({k: v for k, v in p.items() if k in inputs})]


def _baseline(family, params):
    """Return the scipy distribution of T at eta = 0 (time on the model's scale)."""
    if family == "weibull_aft":
        return st.weibull_min(c=params["shape"])
    if family == "lognormal":
        return st.lognorm(s=params["sigma"])
    if family == "loglogistic":
        return st.fisk(c=params["shape"])
    if family == "gengamma":
        sigma, q = params["sigma"], params["Q"]
        a = q ** -2
        return st.gengamma(a=a, c=q / sigma, scale=a ** (-sigma / q))
    raise AssertionError(family)


def _episode_eta(frame, spells, intercept, beta, tau):
    """Per episode: spell bounds (model scale) and eta per spell, from the per-unit design."""
    out = {}
    z = dict(zip(frame["id"], frame["z"], strict=True))
    for eid, grp in spells.groupby("id", sort=False):
        x_std = (grp["x"].to_numpy() - PIN["x"][0]) / PIN["x"][1]
        eta = intercept + beta[0] * x_std + beta[1] * (z[eid] - PIN["z"][0]) / PIN["z"][1]
        out[eid] = (grp["start"].to_numpy() / tau, grp["stop"].to_numpy() / tau, eta)
    return out


def _integral(fun, a, b, breaks):
    if b <= a:
        return 0.0
    pts = [c for c in breaks if a < c < b]
    return si.quad(fun, a, b, points=pts or None, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


@pytest.mark.parametrize("family", ["weibull_aft", "lognormal", "loglogistic", "gengamma"])
def test_aft_time_varying_clock_matches_scipy(family):
    frame = _frame(n=16, seed=2)
    spells = _spells(frame, pieces=3, vary=True, seed=5)
    m, design, info, _ = _model(family).build(_data(frame, spells))
    tau = info.time_scale
    rows = _rows(m)
    pnames = [p.posterior_name for p in info.family_object().parameters]
    for p in _points(m, n=2, seed=3):
        intercept, beta, *pvals = _values(m, p, ["intercept", "beta", *pnames])
        params = {q.name: float(np.ravel(v)[0]) for q, v in
                  zip(info.family_object().parameters, pvals, strict=True)}
        base = _baseline(family, params)
        etas = _episode_eta(frame, spells, float(intercept[0]), beta[0], tau)
        expected = []
        for row in frame.itertuples(index=False):
            a, b, eta = etas[row.id]

            def rate(s, a=a, eta=eta):  # exp(-eta(s)), piecewise constant
                return np.exp(-eta[min(np.searchsorted(a, s, side="right") - 1, len(a) - 1)])

            def u(t, a=a, b=b, rate=rate):
                return _integral(rate, 0.0, t, list(b))

            entry = row.entry / tau
            log_s_entry = base.logsf(u(entry)) if entry > 0 else 0.0
            if np.isfinite(row.up):
                value = np.log(base.sf(u(row.lo / tau)) - base.sf(u(row.up / tau)))
            else:
                t = row.time / tau
                value = base.logsf(u(t))
                if row.event:
                    value += -eta[-1] + base.logpdf(u(t)) - base.logsf(u(t))
            expected.append(value - log_s_entry)
        np.testing.assert_allclose(rows(p), expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("case", ["cure", "tve"])
def test_ph_cure_and_tve_over_changing_spells_match_scipy(case):
    """Match Weibull PH: mixture cure over changing spells, and tve over changing spells."""
    frame = _frame(n=16, seed=4)
    spells = _spells(frame, pieces=3, vary=True, seed=6)
    tve = case == "tve"
    if tve:
        model = coalsurv.SurvivalModel("tve(x, type='pw', df=3) + z", family="weibull",
                                       family_options={"standardise": PIN, "time_scale": 2.0})
        data = _data(frame, spells, interval=False)
        frame = frame[frame["up"].isna()]
        spells = spells[spells["id"].isin(frame["id"])]
    else:
        model = _model("weibull", cure="z", cure_type="mixture")
        data = _data(frame, spells)
    m, design, info, _ = model.build(data)
    tau = info.time_scale
    rows = _rows(m)
    names = ["intercept", "beta", "shape"] + (["tve_dev_x"] if tve else ["cure_intercept",
                                                                         "cure_beta"])
    for p in _points(m, n=2, seed=7):
        intercept, beta, shape, *rest = _values(m, p, names)
        k = float(np.ravel(shape)[0])
        etas = _episode_eta(frame, spells, float(intercept[0]), beta[0], tau)
        cuts = np.asarray(info.tve["x"]) if tve else np.zeros(0)
        expected = []
        for row in frame.itertuples(index=False):
            a, b, eta = etas[row.id]
            x_std = (spells.loc[spells["id"] == row.id, "x"].to_numpy() - PIN["x"][0]) / PIN["x"][1]

            def log_h(s, a=a, eta=eta, x_std=x_std, k=k, cuts=cuts, rest=rest):
                j = min(np.searchsorted(a, s, side="right") - 1, len(a) - 1)
                dev = rest[0][0][np.searchsorted(cuts, s, side="left")] if tve else 0.0
                return np.log(k) + (k - 1) * np.log(s) + eta[j] + x_std[j] * dev

            def H(t, log_h=log_h, b=b, cuts=cuts):
                return _integral(lambda s: np.exp(log_h(s)), 0.0, t, [*b, *cuts])

            entry = row.entry / tau
            if tve:
                t = row.time / tau
                value = -(H(t) - H(entry)) + (log_h(t) if row.event else 0.0)
                expected.append(value)
                continue
            z_std = (row.z - design.cure.means[0]) / design.cure.sds[0]
            pi = 1 / (1 + np.exp(-(float(rest[0]) + float(np.ravel(rest[1])[0]) * z_std)))

            def surv(t, pi=pi, H=H):
                return pi + (1 - pi) * np.exp(-H(t))

            if np.isfinite(row.up):
                value = np.log(surv(row.lo / tau) - surv(row.up / tau))
            else:
                t = row.time / tau
                value = (np.log(1 - pi) + log_h(t) - H(t) if row.event else np.log(surv(t)))
            expected.append(value - np.log(surv(entry)))
        np.testing.assert_allclose(rows(p), expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("family", ["weibull", "lognormal", "rp"])
def test_shape_covariates_and_spline_baseline_with_split_spells_change_nothing(family):
    frame = _frame()
    options = {"shape": "z"} if family != "rp" else {}
    _check_equal(_model(family, **options), _data(frame),
                 _data(frame, _spells(frame, pieces=3, vary=False)), n_spells_more=True)


def test_a_time_varying_shape_covariate_is_refused_by_name():
    frame = _frame()
    data = _data(frame, _spells(frame, pieces=2, vary=True))
    with pytest.raises(coalsurv.SpecError, match=r"shape='x'.*spell columns \['x'\]"):
        _model("weibull", shape="x").build(data)
