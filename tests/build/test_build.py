"""The graph builder and ModelInfo (coalsurv.build) against hand computations.

The log-likelihood of each episode in the PyMC graph must equal the closed-form Weibull
likelihood with right censoring, delayed entry and interval censoring; the graph holds the
documented variables; ModelInfo records the time scale and intercept centres it derives.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coalsurv import CoalitionData, SpecError
from coalsurv.build import build_model, make_design, model_info
from coalsurv.endings import Endings
from coalsurv.spec import ModelSpec, PriorSet


def _data(*, interval=False):
    df = pd.DataFrame({
        "duration": [2.0, 5.0, 7.5, 10.0, 3.0, 6.0],
        "ended": ["a", "censored", "b", "a", "b", "censored"],
        "entry": [0.0, 1.0, 0.0, 2.5, 0.0, 0.0],
        "x": [0.1, -0.4, 1.2, 0.3, -1.0, 0.8],
        "g": ["u", "v", "u", "v", "u", "v"],
    })
    opts = {}
    if interval:
        df["ended"] = ["a", "b", "a", "a", "censored", "a"]
        df["lo"] = [np.nan, np.nan, 6.0, np.nan, np.nan, 4.0]
        df["hi"] = [np.nan, np.nan, 9.0, np.nan, np.nan, 8.0]
        opts = {"lower": "lo", "upper": "hi"}
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="entry",
                                    covariates=["x"], groups=["g"], time_unit="months", **opts)


def _pointwise(model, point):

    logp = model.compile_fn(model.logp(vars=[model["lifespan"]], jacobian=False, sum=False)[0],
                            inputs=model.value_vars, on_unused_input="ignore")
    return np.asarray(logp(point))


def _weibull_log_s(t, eta, k):
    return -np.exp(k * np.log(t) + eta)


def test_competing_causes_loglik_equals_closed_form():
    data = _data()
    spec = ModelSpec("x + (1 | g)", family="weibull", causes=("a", "b"))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    model, _ = build_model(spec, PriorSet(), data, design, info)
    point = model.initial_point()
    point["intercept_offset"] = np.array([0.2, -0.3])
    point["beta"] = np.array([[0.5], [-0.7]])
    point["shape_log__"] = np.log([1.3, 0.8])
    point["z_g"] = np.array([[0.4, -0.2], [1.0, 0.5]])
    point["sd_g_log__"] = np.log([0.6, 0.9])
    got = _pointwise(model, point)
    tau = info.time_scale
    x = (data.covariates["x"].to_numpy() - design.means[0]) / design.sds[0]
    g = design.groups[0].index
    intercept = np.array([0.2, -0.3]) + np.asarray(info.intercept_centre)
    u = np.array([0.6, 0.9])[:, None] * np.array([[0.4, -0.2], [1.0, 0.5]])
    t, entry = data.time / tau, data.entry / tau
    want = np.zeros(data.n)
    for k, (beta, shape, cause) in enumerate(zip([0.5, -0.7], [1.3, 0.8], "ab", strict=True)):
        eta = intercept[k] + beta * x + u[k, g]
        event = (data.cause_labels() == cause)
        log_h = np.log(shape) + (shape - 1) * np.log(t) + eta
        want += event * log_h + _weibull_log_s(t, eta, shape)
        want -= np.where(entry > 0, _weibull_log_s(np.where(entry > 0, entry, 1), eta, shape), 0)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert {"intercept", "beta", "shape", "sd_g", "z_g", "u_g", "lifespan"} <= set(
        model.named_vars)
    assert model.coords["cause"] == ("a", "b") and model.coords["level_g"] == ("u", "v")


def test_interval_censored_loglik_is_log_difference_of_survival():
    data = _data(interval=True)
    spec = ModelSpec("x", family="weibull", causes=("a",))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    model, _ = build_model(spec, PriorSet(), data, design, info)
    point = model.initial_point()
    point["intercept_offset"] = np.array([0.1])
    point["beta"] = np.array([[0.3]])
    point["shape_log__"] = np.log([1.4])
    got = _pointwise(model, point)
    tau = info.time_scale
    x = (data.covariates["x"].to_numpy() - design.means[0]) / design.sds[0]
    eta = 0.1 + info.intercept_centre[0] + 0.3 * x
    lo, hi = data.time / tau, data.time_upper / tau
    entry = data.entry / tau
    s_entry = np.where(entry > 0, _weibull_log_s(np.where(entry > 0, entry, 1), eta, 1.4), 0)
    interval = np.log(np.exp(_weibull_log_s(lo, eta, 1.4))
                      - np.exp(_weibull_log_s(np.where(np.isfinite(hi), hi, 1), eta, 1.4)))
    exact = np.log(1.4) + 0.4 * np.log(lo) + eta + _weibull_log_s(lo, eta, 1.4)
    censored = _weibull_log_s(lo, eta, 1.4)
    status = np.asarray(data.status)
    mine = data.cause_labels() == "a"  # the "b" ending censors the cause-specific hazard of a
    want = np.select([status == 2, (status == 1) & mine], [interval, exact], censored) - s_entry
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_model_info_time_scale_and_intercept_centres():
    data = _data()
    spec = ModelSpec("x", family="weibull", causes=("a", "b"))
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    assert info.time_scale == pytest.approx(float(np.median(data.time)))
    exposure = np.sum((data.time - data.entry) / info.time_scale)
    assert info.intercept_centre == pytest.approx((math.log(2 / exposure),
                                                   math.log(2 / exposure)))
    assert info.endings == Endings.competing(("a", "b"))
    aft = model_info(ModelSpec("x", family="weibull_aft"), data, design)
    assert aft.pooled and aft.causes == ("any",)
    assert aft.intercept_centre == pytest.approx((math.log(exposure / 4),))
    fixed = model_info(ModelSpec("x", family="weibull", family_options={"time_scale": 12.0}),
                       data, design)
    assert fixed.time_scale == 12.0


def test_endings_masks_and_errors():
    data = _data()
    event_of, interval_of = Endings.competing(("b",)).event_masks(data)
    np.testing.assert_array_equal(event_of[0], [0, 0, 1, 0, 1, 0])
    assert not interval_of.any()
    pooled, _ = Endings.pooled_ending().event_masks(data)
    np.testing.assert_array_equal(pooled[0], [1, 0, 1, 1, 1, 0])
    with pytest.raises(SpecError, match="not endings in the data"):
        Endings.resolve(("war",), data.causes)
    with pytest.raises(SpecError, match="not endings in the data"):
        Endings.competing(("war",)).event_masks(data)
    e = Endings.competing(("a", "b"))
    assert e.states == ("coalition", "a", "b") and e.absorbing == ("a", "b")
    assert Endings.from_dict(e.to_dict()) == e
    with pytest.raises(SpecError, match="repeat"):
        Endings.competing(("a", "a"))
    with pytest.raises(SpecError, match="interval-censored endings with several causes"):
        Endings.competing(("a", "b")).event_masks(_data(interval=True))
