"""Time-varying effects tve(x): spec, graph log-likelihood, predictions, the effect over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import integrate

from coalsurv import CoalitionData
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec, PriorSet


def _data(n=60, entry=True):
    rng = np.random.default_rng(5)
    t = rng.weibull(1.3, n) * 10 + 0.5
    df = pd.DataFrame({"duration": t, "ended": rng.choice(["a", "b", "censored"], n),
                       "x": rng.normal(size=n), "z": rng.normal(size=n),
                       "start": np.where(rng.uniform(size=n) < 0.3, 0.3 * t, 0.0) if entry
                       else 0.0})
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="start",
                                    covariates=["x", "z"], time_unit="months")


def test_tve_terms_parse_and_bad_terms_are_refused():
    spec = ModelSpec("tve(x, type='pw', df=3) + z", family="weibull")
    assert spec.fixed_formula == "x + z"
    assert [(t.variable, t.df) for t in spec.tve_terms] == [("x", 3)]
    assert ModelSpec("tve(x, type='pw')").tve_terms[0].df == 4
    assert ModelSpec("tve(x)").tve_terms[0].type == "bs"
    for formula, match in (("tve(x, type='pw', df=1)", "df must be an integer"),
                           ("tve(x, df=0)", "df must be an integer"), ("tve(x):z", "inside"),
                           ("tve(x, knots=3)", "unknown option"), ("tve(x) + tve(x)", "twice")):
        with pytest.raises(SpecError, match=match):
            ModelSpec(formula)
    with pytest.raises(SpecError, match="proportional-hazards"):
        ModelSpec("tve(x)", family="lognormal")
    data = _data()
    with pytest.raises(SpecError, match="not a numeric covariate term"):
        model_info(ModelSpec("tve(w) + x"), data, make_design(ModelSpec("x"), data))


@pytest.mark.parametrize("family", ["weibull", "piecewise", "gompertz"])
def test_zero_deviations_give_the_plain_log_likelihood(family):
    data = _data()
    out = []
    for formula in ("x + z", "tve(x, type='pw', df=3) + tve(z, type='pw', df=2) + x + z"):
        spec = ModelSpec(formula, family=family, causes=("a", "b"))
        design = make_design(spec, data)
        info = model_info(spec, data, design, PriorSet())
        model, _ = build_model(spec, PriorSet(), data, design, info)
        out.append((model, info))
    (m0, _), (m1, info) = out
    assert set(info.tve) == {"x", "z"} and len(info.tve["x"]) == 2
    rng = np.random.default_rng(1)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in m0.initial_point().items()}
    point1 = {k: point.get(k, np.zeros_like(v)) for k, v in m1.initial_point().items()}
    fast = {"mode": "FAST_COMPILE"}  # Python thunks: no C compilation in the fast suite
    l0 = m0.compile_fn(m0.logp(vars=m0.observed_RVs), inputs=m0.value_vars,
                      on_unused_input="ignore", **fast)(point)
    loglik = m1.compile_fn(m1.logp(vars=m1.observed_RVs), inputs=m1.value_vars,
                          on_unused_input="ignore", **fast)
    assert loglik(point1) == pytest.approx(l0, rel=1e-10)
    point1 = {k: (v + 0.4 if k.startswith("tve_step") else v) for k, v in point1.items()}
    assert np.isfinite(loglik(point1)) and loglik(point1) != pytest.approx(l0, rel=1e-6)
    grad = m1.compile_fn(m1.dlogp(), **fast)(point1)
    assert np.all(np.isfinite(grad))


def test_tve_survival_and_hazard_match_numerical_integration():
    data = _data(entry=False)
    spec = ModelSpec("tve(x, type='pw', df=3) + z", family="weibull", causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    S = 4
    rng = np.random.default_rng(2)
    b0, beta = rng.normal(-1, 0.2, S), rng.normal(0, 0.3, (S, 2))
    k = rng.uniform(0.7, 1.5, S)
    dev = rng.normal(0, 0.5, (S, 3))
    dev -= dev.mean(axis=1, keepdims=True)
    draws = {"intercept": (("cause",), b0[:, None]), "beta": (("cause", "term"), beta[:, None]),
             "shape": (("cause",), k[:, None]),
             "tve_dev_x": (("cause", "tve_interval_x"), dev[:, None, :])}
    posterior = xr.Dataset({n: (("chain", "draw", *d), v[None]) for n, (d, v) in draws.items()})
    pred = Predictor(info, design, posterior)
    new = pd.DataFrame({"x": [-1.0, 1.5], "z": [0.2, 0.0]})
    times = np.array([0.7, 4.0, 15.0])
    surv = pred.survival(times, new)
    haz = pred.hazard_by_cause(times, new)[:, 0]
    tau, cuts = info.time_scale, np.asarray(info.tve["x"]) * info.time_scale
    X = design.transform(new)
    for s in range(S):
        for r in range(2):
            def h(u, s=s, r=r):
                j = np.searchsorted(cuts, u, side="left")
                eta = b0[s] + X[r] @ beta[s] + X[r, 0] * dev[s, j]
                return k[s] / tau * (u / tau) ** (k[s] - 1) * np.exp(eta)
            for i, t in enumerate(times):
                edges = np.r_[0.0, cuts[cuts < t], t]
                H = sum(integrate.quad(h, a, b)[0]
                        for a, b in zip(edges[:-1], edges[1:], strict=True))
                assert surv[s, r, i] == pytest.approx(np.exp(-H), rel=1e-6)
                assert haz[s, r, i] == pytest.approx(h(t), rel=1e-9)


def test_tve_fit_effect_over_time_predictions_and_fit_file(tiny_fit, tmp_path):
    import coalsurv

    data = _data()
    fit = tiny_fit(data, "tve(x, type='pw', df=3) + z", causes=["a"])
    assert "tve_dev_x" in fit.idata["posterior"] and "tve_sd_x" in fit.idata["posterior"]
    times = [1.0, 5.0, 12.0]
    eff = fit.time_varying_effect("x", times, ci_prob=0.9)
    assert list(eff.columns) == ["time", "mean", "lower", "upper", "ci_prob"]
    assert np.all((eff["lower"] > 0) & (eff["lower"] <= eff["upper"]))
    per_sd = fit.time_varying_effect("x", times, per="sd")
    sd = float(fit.design.sds[fit.design.terms.index("x")])
    np.testing.assert_allclose(np.log(per_sd["mean"]) / sd, np.log(eff["mean"]), rtol=0.3)
    assert len(eff.attrs["cuts"]) == 2
    surv = fit.survival(times, pd.DataFrame({"x": [0.0, 1.0], "z": [0.0, 0.0]}))
    assert np.all(np.diff(surv[surv.row == 0]["mean"]) < 0)
    fit.cumulative_incidence(times, pd.DataFrame({"x": [0.0], "z": [0.0]}))
    with pytest.raises(SpecError, match="has no time-varying effect"):
        fit.time_varying_effect("z", times)
    with pytest.raises(ArgumentError, match="per="):
        fit.time_varying_effect("x", times, per="year")
    with pytest.raises(ArgumentError, match="times: got dates"):   # not nanoseconds
        fit.time_varying_effect("x", [pd.Timestamp("2000-01-01")])
    days = pd.to_timedelta(np.asarray(times) * coalsurv._format.TIME_UNITS[fit.time_unit],
                           unit="D")
    with pytest.warns(UserWarning, match="Timedelta values converted"):
        spans = fit.time_varying_effect("x", days, ci_prob=0.9)
    np.testing.assert_allclose(spans["mean"], eff["mean"])
    lifespans = fit.predict_lifespans()["lifespan"].values  # exact inversion per interval
    assert lifespans.shape[1] >= 1 and np.all(lifespans > 0) and np.isfinite(lifespans).all()
    from coalsurv.report import figures

    fig = figures.fig_time_varying_effects(fit, ci_prob=0.9)
    assert fig.axes[0].get_ylabel() == "Hazard ratio (log scale)"
    diagnosis = fit.diagnose()
    names = {c.name for c in diagnosis.results}  # C-index, Brier and the PPC use tve curves
    assert names and all(c.verdict for c in diagnosis.results)
    path = fit.save(tmp_path / "tve.nc")
    back = coalsurv.load_fit(path)
    assert back.info.tve == fit.info.tve
    pd.testing.assert_frame_equal(back.time_varying_effect("x", times, ci_prob=0.9), eff)


def test_graph_log_likelihood_with_deviations_equals_the_prediction_path():
    """Non-zero tve deviations: per-episode graph log-likelihood = log h, log S of Predictor."""
    data = _data()
    spec = ModelSpec("tve(x, type='pw', df=3) + z", family="weibull", causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design, PriorSet())
    model, _ = build_model(spec, PriorSet(), data, design, info)
    rng = np.random.default_rng(0)
    point = {k: np.asarray(v) + rng.normal(0, 0.4, np.shape(v))
             for k, v in model.initial_point().items()}
    loglik = np.asarray(model.compile_fn(model.logp(vars=model.observed_RVs, sum=False),
                                         mode="FAST_COMPILE")(point)).ravel()
    sd = np.exp(point["tve_sd_x_log__"])
    d = np.concatenate([np.zeros((1, 1)), np.cumsum(sd[:, None] * point["tve_step_x"], axis=1)],
                       axis=1)
    values = {"intercept": (("cause",), point["intercept_offset"] + info.intercept_centre),
              "beta": (("cause", "term"), point["beta"]),
              "shape": (("cause",), np.exp(point["shape_log__"])),
              "tve_dev_x": (("cause", "tve_interval_x"), d - d.mean(axis=1, keepdims=True))}
    posterior = xr.Dataset({n: (("chain", "draw", *dims), np.asarray(v)[None, None])
                            for n, (dims, v) in values.items()})
    pred = Predictor(info, design, posterior)
    new = data.episode_profiles()
    tau = info.time_scale
    t, entry = np.asarray(data.time) / tau, np.asarray(data.entry) / tau
    e = pred.eta(new)[0][:, 0, :, None, None]
    log_s = pred.cause_log_survival(t[None, :, None, None], e, 0, new)[0, :, 0, 0]
    log_s_entry = pred.cause_log_survival(entry[None, :, None, None], e, 0, new)[0, :, 0, 0]
    hazard = pred.hazard_by_cause(np.asarray(data.time), new)[0, 0]  # (row, time), per unit
    log_h = np.log(np.diagonal(hazard) * tau)  # model time scale
    event = np.asarray(data.cause_index) == 0
    np.testing.assert_allclose(loglik, np.where(event, log_h, 0.0) + log_s - log_s_entry,
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("family", ["weibull", "gompertz"])
def test_tve_lifetimes_follow_the_tve_survival_curve(family):
    """Simulated lifespans (exact inversion per interval) have the predicted S(t)."""
    data = _data(entry=False)
    spec = ModelSpec("tve(x, type='pw', df=3) + z", family=family, causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    extra = ({"shape": (("cause",), np.array([[1.4]]))} if family == "weibull"
             else {"gamma": (("cause",), np.array([[0.6]]))})
    draws = {"intercept": (("cause",), np.array([[-0.5]])),
             "beta": (("cause", "term"), np.array([[[0.3, -0.2]]])),
             "tve_dev_x": (("cause", "tve_interval_x"), np.array([[[-0.8, 0.1, 0.7]]])),
             **extra}
    posterior = xr.Dataset({n: (("chain", "draw", *d), v[None]) for n, (d, v) in draws.items()})
    pred = Predictor(info, design, posterior)
    n = 40_000
    new = pd.DataFrame({"x": np.full(n, 1.5), "z": np.full(n, 0.2)})
    times, cause = pred.sample_lifetimes(new, rng=np.random.default_rng(4), frailty="zero")
    assert times.shape == (1, n) and np.all(cause == 0) and np.all(np.isfinite(times))
    cuts = np.asarray(info.tve["x"]) * info.time_scale
    grid = np.r_[0.5 * cuts[0], cuts, 1.3 * cuts[-1]]
    expected = pred.survival(grid, new.iloc[:1], frailty="zero")[0, 0]
    empirical = (times[0][:, None] > grid[None, :]).mean(axis=0)
    # binomial standard error at n = 40,000 is at most 0.0025
    np.testing.assert_allclose(empirical, expected, atol=0.01)
    assert expected.max() - expected.min() > 0.3  # the grid spans the curve
    # and the time-varying part matters: without the deviations the curve is another one
    flat = posterior.assign(tve_dev_x=posterior["tve_dev_x"] * 0.0)
    plain = Predictor(info, design, flat).survival(grid, new.iloc[:1], frailty="zero")[0, 0]
    assert np.abs(plain - empirical).max() > 0.05


def test_tve_cuts_option_fixes_the_intervals_and_bad_cuts_are_refused():
    data = _data(entry=False)
    spec = ModelSpec("tve(x, type='pw', df=3) + z", family="weibull",
                     family_options={"tve_cuts": {"x": [2.0, 6.0]}, "time_scale": 4.0})
    info = model_info(spec, data, make_design(spec, data))
    assert info.tve == {"x": [0.5, 1.5]}  # data unit / time scale
    for cuts, match in (({"z": [1.0, 2.0]}, "no tve\\(z\\) term"),
                        ({"x": [1.0]}, "df=3"), ({"x": [3.0, 2.0]}, "strictly increasing"),
                        ({"x": [0.0, 2.0]}, "numbers > 0"), ([1.0, 2.0], "a table")):
        with pytest.raises(SpecError, match=match):
            ModelSpec("tve(x, type='pw', df=3) + z", family="weibull",
                      family_options={"tve_cuts": cuts})


def test_plotted_tve_steps_change_at_the_cuts_with_the_effect_of_each_interval(tiny_fit):
    """Issue 26: the steps are drawn between the cut points, at time_varying_effect's values."""
    import matplotlib.pyplot as plt

    from coalsurv.plots import plot_time_varying_effect

    fit = tiny_fit(_data(), "tve(x, type='pw', df=3) + z", causes=["a"])
    cuts = [c * fit.info.time_scale for c in fit.info.tve["x"]]
    # a grid with points on the cuts themselves (where the old drawing went one step late)
    times = np.unique(np.r_[np.linspace(0.5, 20.0, 9), cuts])
    frame = fit.time_varying_effect("x", times)
    ax = plot_time_varying_effect(frame, time_unit="months")
    line = ax.lines[0]
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    np.testing.assert_allclose(x, [times.min(), *cuts, times.max()])
    mids = 0.5 * (x[:-1] + x[1:])
    expected = fit.time_varying_effect("x", mids)["mean"].to_numpy()
    np.testing.assert_allclose(y[:-1], expected, rtol=1e-12)
    # the band follows the same steps
    band = ax.collections[0].get_paths()[0].vertices
    assert set(np.round(band[:, 0], 9)) == set(np.round(x, 9))
    plt.close(ax.figure)
