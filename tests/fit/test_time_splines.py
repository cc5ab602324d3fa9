"""Smooth time-varying effects tve(x, type="bs"): basis, quadrature accuracy, predictions, fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import integrate

from coalsurv import CoalitionData
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.build.info import observed_arrays
from coalsurv.build.time_splines import spline_basis
from coalsurv.errors import SpecError
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec, PriorSet

FAST = {"mode": "FAST_COMPILE"}  # Python thunks: no C compilation in the fast suite


def _data(n=40, entry=True, seed=5):
    rng = np.random.default_rng(seed)
    t = rng.weibull(1.3, n) * 10 + 0.5
    df = pd.DataFrame({"duration": t, "ended": rng.choice(["a", "b", "censored"], n),
                       "x": rng.normal(size=n), "z": rng.normal(size=n),
                       "start": np.where(rng.uniform(size=n) < 0.3, 0.3 * t, 0.0) if entry
                       else 0.0})
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="start",
                                    covariates=["x", "z"], time_unit="months")


@pytest.mark.parametrize("basis,df", [("natural", 1), ("natural", 3), ("bspline", 2),
                                      ("bspline", 4)])
def test_basis_is_a_partition_of_unity_with_knots_at_log_event_quantiles(basis, df):
    data = _data()
    spec = ModelSpec(f"tve(x, df={df}, basis='{basis}') + z", family="weibull")
    info = model_info(spec, data, make_design(spec, data))
    knots = np.asarray(info.tve["x"])
    events = np.log(np.asarray(data.time)[np.asarray(data.status) == 1] / info.time_scale)
    assert knots[0] == pytest.approx(events.min()) and knots[-1] == pytest.approx(events.max())
    assert len(knots) == spec.tve_terms[0].n_knots and np.all(np.diff(knots) > 0)
    s = np.linspace(knots[0] - 2, knots[-1] + 2, 301)
    b = spline_basis(s, knots, basis, df)
    assert b.shape == (301, df + 1)
    np.testing.assert_allclose(b.sum(axis=1), 1.0, atol=1e-12)
    # constant outside the boundary knots; the recorded centre is the mean over log time
    np.testing.assert_allclose(b[s < knots[0]], b[s < knots[0]][:1].repeat((s < knots[0]).sum(), 0))
    inside = np.linspace(knots[0], knots[-1], 20001)
    np.testing.assert_allclose(info.tve_splines["x"]["centre"],
                               spline_basis(inside, knots, basis, df).mean(axis=0), atol=1e-4)
    if df == 1:  # log-linear between the boundary knots
        mid = spline_basis(np.array([0.5 * (knots[0] + knots[-1])]), knots, basis, df)
        np.testing.assert_allclose(mid, [[0.5, 0.5]], atol=1e-12)


def _point(model, rng, scale):
    """A random point with random-walk SD 0.5 and standard normal steps times ``scale``."""
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in model.initial_point().items()}
    return {k: (rng.normal(0, scale, np.shape(v)) if k.startswith("tve_step") else
                np.full(np.shape(v), np.log(0.5)) if k.startswith("tve_sd") else v)
            for k, v in point.items()}


@pytest.mark.parametrize("family,basis", [("weibull", "natural"), ("piecewise", "bspline"),
                                          ("gompertz", "natural")])
def test_graph_cumulative_hazard_matches_scipy_quad_with_delayed_entry(family, basis):
    """The midpoint rule on the log-time grid against scipy.integrate.quad, per episode.

    Large deviations (steps x3: the log hazard ratio moves by up to ~4 over follow-up for
    |x_std| ~ 2): every episode's log-likelihood is within 2e-3 of its cumulative hazard
    (measured: at most 9e-4 for these families, 2e-4 with no deviation steps x1).
    """
    data = _data()
    spec = ModelSpec(f"tve(x, df=3, basis='{basis}') + z", family=family, causes=("a", "b"))
    design = make_design(spec, data)
    info = model_info(spec, data, design, PriorSet())
    model, _ = build_model(spec, PriorSet(), data, design, info)
    rng = np.random.default_rng(7)
    point = _point(model, rng, 2.0)
    loglik = model.compile_fn(model.logp(vars=model.observed_RVs, sum=False)[0],
                              inputs=model.value_vars, on_unused_input="ignore", **FAST)(point)
    names = ["intercept", "beta", "tve_dev_x"] + [p for p in ("shape", "gamma",
                                                              "log_baseline_dev")
                                                  if p in model.named_vars]
    v = dict(zip(names, model.compile_fn(model.replace_rvs_by_values([model[n] for n in names]),
                                         inputs=model.value_vars, on_unused_input="ignore",
                                         **FAST)(point), strict=True))
    fam, tau, X = info.family_object(), info.time_scale, design.X
    obs = observed_arrays(data, info.causes, info.pooled, tau)
    knots, spline = info.tve["x"], info.tve_splines["x"]
    assert np.ptp(v["tve_dev_x"]) > 1.0
    worst = 0.0
    for i in range(data.n):
        total, h_all = 0.0, 0.0
        for k in range(2):
            eta = v["intercept"][k] + X[i] @ v["beta"][k]
            p = ({"log_rates": v["log_baseline_dev"][k]} if family == "piecewise" else
                 {n: v[n][k] for n in ("shape", "gamma") if n in v})

            def h(u, eta=eta, p=p, k=k, i=i):
                f = spline_basis(np.log(u), knots, spline["basis"], spline["df"]) @ v[
                    "tve_dev_x"][k]
                return np.exp(fam.log_hazard(np.asarray(u), eta, **p) + X[i, 0] * f)

            a, b = obs["entry"][i], obs["time"][i]
            breaks = [c for c in [*np.exp(knots), *info.cuts] if a < c < b]
            H = integrate.quad(h, a, b, points=breaks or None, limit=200, epsabs=1e-13,
                               epsrel=1e-12)[0]
            total += obs["event_of"][k][i] * np.log(h(b)) - H
            h_all += H
        worst = max(worst, abs(total - loglik[i]) / h_all)
    assert worst < 2e-3


def test_zero_steps_give_the_plain_log_likelihood_and_gradients_are_finite():
    data = _data()
    out = []
    for formula in ("x + z", "tve(x) + tve(z, type='pw', df=2) + x + z"):
        spec = ModelSpec(formula, family="weibull", causes=("a", "b"))
        design = make_design(spec, data)
        info = model_info(spec, data, design, PriorSet())
        out.append(build_model(spec, PriorSet(), data, design, info)[0])
    m0, m1 = out
    rng = np.random.default_rng(1)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in m0.initial_point().items()}
    point1 = {k: point.get(k, np.zeros_like(v)) for k, v in m1.initial_point().items()}
    l0 = m0.compile_fn(m0.logp(vars=m0.observed_RVs), inputs=m0.value_vars,
                      on_unused_input="ignore", **FAST)(point)
    loglik = m1.compile_fn(m1.logp(vars=m1.observed_RVs), inputs=m1.value_vars,
                          on_unused_input="ignore", **FAST)
    assert loglik(point1) == pytest.approx(l0, rel=1e-10)
    point1 = {k: (v + 0.4 if k.startswith("tve_step") else v) for k, v in point1.items()}
    assert np.isfinite(loglik(point1)) and loglik(point1) != pytest.approx(l0, rel=1e-6)
    assert np.all(np.isfinite(m1.compile_fn(m1.dlogp(), **FAST)(point1)))


def _posterior(info, values):
    return xr.Dataset({n: (("chain", "draw", *d), np.asarray(v)[None])
                       for n, (d, v) in values.items()})


def test_predicted_survival_and_hazard_match_quad_and_the_graph():
    data = _data(entry=False)
    spec = ModelSpec("tve(x) + z", family="weibull", causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design, PriorSet())
    model, _ = build_model(spec, PriorSet(), data, design, info)
    rng = np.random.default_rng(0)
    point = _point(model, rng, 2.0)
    loglik = np.asarray(model.compile_fn(model.logp(vars=model.observed_RVs, sum=False),
                                         **FAST)(point)).ravel()
    names = ["intercept", "beta", "shape", "tve_dev_x"]
    v = dict(zip(names, model.compile_fn(model.replace_rvs_by_values([model[n] for n in names]),
                                         inputs=model.value_vars, on_unused_input="ignore",
                                         **FAST)(point), strict=True))
    dims = {"intercept": ("cause",), "beta": ("cause", "term"), "shape": ("cause",),
            "tve_dev_x": ("cause", "tve_coef_x")}
    pred = Predictor(info, design, _posterior(info, {n: (dims[n], v[n][None]) for n in names}))
    new = data.episode_profiles()
    tau = info.time_scale
    t = np.asarray(data.time) / tau
    e = pred.eta(new)[0][:, 0, :, None, None]
    log_s = pred.cause_log_survival(t[None, :, None, None], e, 0, new)[0, :, 0, 0]
    hazard = pred.hazard_by_cause(np.asarray(data.time), new)[0, 0]
    log_h = np.log(np.diagonal(hazard) * tau)
    event = np.asarray(data.cause_index) == 0
    # the same rule on the same cells: equal up to rounding
    np.testing.assert_allclose(loglik, np.where(event, log_h, 0.0) + log_s, rtol=1e-9,
                               atol=1e-11)
    # and against quad, at times inside and beyond the knots
    knots, spline = info.tve["x"], info.tve_splines["x"]
    times = np.array([0.2, 3.0, 9.0, 40.0])
    surv = pred.survival(times, new.iloc[:3], frailty="zero")[0]
    X = design.transform(new.iloc[:3])
    for r in range(3):
        def h(u, r=r):
            f = spline_basis(np.log(u / tau), knots, spline["basis"], spline["df"]) @ v[
                "tve_dev_x"][0]
            eta = v["intercept"][0] + X[r] @ v["beta"][0] + X[r, 0] * f
            k = v["shape"][0]
            return k / tau * (u / tau) ** (k - 1) * np.exp(eta)
        for i, end in enumerate(times):
            breaks = [c for c in np.exp(knots) * tau if c < end]
            H = integrate.quad(h, 0, end, points=breaks or None, limit=200)[0]
            assert surv[r, i] == pytest.approx(np.exp(-H), rel=2e-3 * max(H, 1.0))


def test_spline_lifetimes_follow_the_predicted_survival_curve():
    data = _data(entry=False)
    spec = ModelSpec("tve(x, df=2) + z", family="weibull", causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    draws = {"intercept": (("cause",), np.array([[-0.5]])),
             "beta": (("cause", "term"), np.array([[[0.3, -0.2]]])),
             "tve_dev_x": (("cause", "tve_coef_x"), np.array([[[-0.8, 0.2, 0.7]]])),
             "shape": (("cause",), np.array([[1.4]]))}
    posterior = _posterior(info, draws)
    pred = Predictor(info, design, posterior)
    n = 40_000
    new = pd.DataFrame({"x": np.full(n, 1.5), "z": np.full(n, 0.2)})
    times, cause = pred.sample_lifetimes(new, rng=np.random.default_rng(4), frailty="zero")
    assert np.all(cause == 0) and np.all(np.isfinite(times))
    grid = np.exp(np.asarray(info.tve["x"])) * info.time_scale
    grid = np.r_[0.5 * grid[0], grid, 1.3 * grid[-1]]
    expected = pred.survival(grid, new.iloc[:1], frailty="zero")[0, 0]
    empirical = (times[0][:, None] > grid[None, :]).mean(axis=0)
    np.testing.assert_allclose(empirical, expected, atol=0.01)  # binomial SE <= 0.0025
    flat = posterior.assign(tve_dev_x=posterior["tve_dev_x"] * 0.0)
    plain = Predictor(info, design, flat).survival(grid, new.iloc[:1], frailty="zero")[0, 0]
    assert np.abs(plain - empirical).max() > 0.05


def test_spline_fit_effect_plot_report_figure_fit_file_on_the_kernel(tiny_fit, tmp_path):
    import matplotlib.pyplot as plt

    import coalsurv
    from coalsurv.plots import plot_time_varying_effect
    from coalsurv.report import figures

    data = _data()
    fit = tiny_fit(data, "tve(x, df=2, basis='natural') + z", causes=["a", "b"])
    assert fit.sampler["kernel"] == "native", fit.sampler  # tests/fit/test_kernel_tve.py
    times = np.array([1.0, 3.0, 6.0, 12.0])
    eff = fit.time_varying_effect("x", times, ci_prob=0.9, cause="b")
    assert list(eff.columns) == ["time", "mean", "lower", "upper", "ci_prob"]
    assert eff.attrs["type"] == "bs" and len(eff.attrs["knots"]) == 3 and eff.attrs["cuts"] == []
    assert np.all((eff["lower"] > 0) & (eff["lower"] <= eff["mean"])
                  & (eff["mean"] <= eff["upper"]))
    # per SD = per unit ** sd, draw by draw, so the means differ; the medians of the log agree
    per_sd = fit.time_varying_effect("x", times, per="sd", cause="b")
    assert not np.allclose(per_sd["mean"], eff["mean"])
    new = pd.DataFrame({"x": [0.0, 1.0], "z": [0.0, 0.0]})
    surv = fit.survival(times, new)
    assert np.all(np.diff(surv[surv.row == 0]["mean"]) < 0)
    fit.cumulative_incidence(times, new)
    fit.hazard(times, new)
    ax = plot_time_varying_effect(eff, time_unit="months")
    np.testing.assert_allclose(ax.lines[0].get_xdata(), times)  # a curve, not steps
    plt.close(ax.figure)
    plt.close(figures.fig_time_varying_effects(fit, ci_prob=0.9))
    lifespans = fit.predict_lifespans()["lifespan"].values
    assert np.all(lifespans > 0) and np.isfinite(lifespans).all()
    back = coalsurv.load_fit(fit.save(tmp_path / "bs.nc"))
    assert back.info.tve == fit.info.tve and back.info.tve_splines == fit.info.tve_splines
    pd.testing.assert_frame_equal(back.time_varying_effect("x", times, ci_prob=0.9,
                                                           cause="b"), eff)
    pd.testing.assert_frame_equal(back.survival(times, new), surv)


def test_bad_smooth_tve_input_is_refused_naming_the_option():
    data = _data(n=12)  # 8 events
    for formula, options, match in (
            ("tve(x, df=10) + z", None, "distinct event times cannot carry"),
            ("tve(x) + z", {"tve_cuts": {"x": [2.0, 5.0]}}, "not a piecewise effect"),
            ("tve(x, type='pw') + z", {"tve_knots": {"x": [1.0, 5.0]}}, "not a smooth"),
            ("tve(x, df=2, basis='natural') + z", {"tve_knots": {"x": [1.0, 5.0]}},
             "2 knot\\(s\\) given"),
            ("tve(x) + z", {"tve_knots": {"z": [1.0, 5.0]}}, "no tve\\(z\\) term"),
            ("tve(x, df=3, basis='natural') + z", {"tve_knots": {"x": [5.0, 1.0, 6.0, 7.0]}},
             "strictly increasing")):
        with pytest.raises(SpecError, match=match):
            spec = ModelSpec(formula, family="weibull", family_options=options or {})
            model_info(spec, data, make_design(spec, data))
    spec = ModelSpec("tve(x) + z", family="weibull",
                     family_options={"tve_knots": {"x": [1.0, 2.0, 4.0, 8.0]}})
    info = model_info(spec, data, make_design(spec, data))
    np.testing.assert_allclose(np.exp(info.tve["x"]) * info.time_scale, [1.0, 2.0, 4.0, 8.0])
    with pytest.raises(SpecError, match="proportional-hazards"):
        ModelSpec("tve(x, type='bs')", family="weibull_aft")
