"""Predictions on posterior draws (coalsurv.fit.predict) against closed forms.

A hand-made posterior (no sampling) with known parameter draws: survival, hazards, cumulative
incidence, quantiles and RMST must equal their closed-form values for every draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from coalsurv import CoalitionData, CoalsurvError
from coalsurv.build import make_design, model_info
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec

S = 6  # draws


def _data(causes=("a", "b")):
    rng = np.random.default_rng(3)
    n = 40
    event = rng.choice([*causes, "censored"], size=n)
    df = pd.DataFrame({"duration": rng.uniform(1, 20, n), "ended": event,
                       "x": rng.normal(size=n), "g": rng.choice(["u", "v", "w"], size=n)})
    return CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    groups=["g"], time_unit="months")


def _predictor(spec, data, draws):
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    posterior = xr.Dataset({name: (("chain", "draw", *dims), value[None])
                            for name, (dims, value) in draws.items()})
    return Predictor(info, design, posterior), info, design


def test_weibull_survival_hazard_quantile_rmst_match_closed_form():
    data = _data()
    spec = ModelSpec("x", family="weibull", causes=("a",))
    rng = np.random.default_rng(0)
    b0, b1, k = rng.normal(-1, 0.2, S), rng.normal(0.5, 0.1, S), rng.uniform(0.8, 1.6, S)
    pred, info, design = _predictor(spec, data, {
        "intercept": (("cause",), b0[:, None]), "beta": (("cause", "term"), b1[:, None, None]),
        "shape": (("cause",), k[:, None])})
    new = pd.DataFrame({"x": [-1.0, 2.0]})
    times = np.array([0.5, 3.0, 12.0])
    tau = info.time_scale
    x_std = (new["x"].to_numpy() - design.means[0]) / design.sds[0]
    eta = b0[:, None] + b1[:, None] * x_std[None, :]                      # (S, row)
    want_s = np.exp(-((times / tau)[None, None, :] ** k[:, None, None]) * np.exp(eta)[..., None])
    np.testing.assert_allclose(pred.survival(times, new), want_s, rtol=1e-12)
    want_h = (k[:, None, None] * (times / tau)[None, None, :] ** (k[:, None, None] - 1)
              * np.exp(eta)[..., None] / tau)
    np.testing.assert_allclose(pred.hazard_by_cause(times, new)[:, 0], want_h, rtol=1e-12)
    want_median = tau * (np.log(2) / np.exp(eta)) ** (1 / k[:, None])
    np.testing.assert_allclose(pred.quantile(0.5, new), want_median, rtol=1e-12)
    grid = np.linspace(0, 10.0, 20001)
    s_grid = np.exp(-((grid / tau)[None, None, :] ** k[:, None, None]) * np.exp(eta)[..., None])
    np.testing.assert_allclose(pred.rmst(10.0, new), np.trapezoid(s_grid, grid, axis=-1),
                               rtol=1e-4)


def test_competing_exponential_incidence_is_the_closed_form_and_adds_up():
    data = _data()
    spec = ModelSpec("x", family="exponential", causes=("a", "b"))
    rng = np.random.default_rng(1)
    b0 = rng.normal(-1, 0.3, (S, 2))
    pred, info, _ = _predictor(spec, data, {
        "intercept": (("cause",), b0), "beta": (("cause", "term"), np.zeros((S, 2, 1)))})
    new = pd.DataFrame({"x": [0.0]})
    times = np.array([1.0, 5.0, 30.0])
    rates = np.exp(b0) / info.time_scale                                 # per month, (S, K)
    total = rates.sum(axis=1)
    want = (rates / total[:, None])[:, :, None, None] * (
        1 - np.exp(-total[:, None, None, None] * times[None, None, None, :]))
    cif = pred.cumulative_incidence(times, new)
    np.testing.assert_allclose(cif, want, rtol=2e-5)
    np.testing.assert_allclose(cif.sum(axis=1) + pred.survival(times, new), 1.0, atol=2e-5)


def test_frailty_conditional_zero_and_marginal():
    data = _data()
    spec = ModelSpec("x + (1 | g)", family="exponential", causes=("a",))
    levels = make_design(spec, data).groups[0].levels
    u = np.tile(np.array([-0.8, 0.1, 0.9]), (S, 1))[:, None, :]
    sd = np.full((S, 1), 0.7)
    pred, info, _ = _predictor(spec, data, {
        "intercept": (("cause",), np.full((S, 1), -1.0)),
        "beta": (("cause", "term"), np.zeros((S, 1, 1))),
        "sd_g": (("cause",), sd), "z_g": (("cause", "level"), u / 0.7),
        "u_g": (("cause", "level"), u)})
    t = np.array([4.0])
    rate = np.exp(-1.0) / info.time_scale
    seen = pd.DataFrame({"x": [0.0], "g": [levels[2]]})
    np.testing.assert_allclose(pred.survival(t, seen), np.exp(-rate * 4 * np.exp(0.9)))
    np.testing.assert_allclose(pred.survival(t, seen, frailty="zero"), np.exp(-rate * 4))
    # marginal: E over u ~ N(0, 0.7^2) of exp(-H e^u), by Gauss-Hermite vs a fine grid
    grid = np.linspace(-6, 6, 20001) * 0.7
    dens = np.exp(-0.5 * (grid / 0.7) ** 2)
    want = np.sum(np.exp(-rate * 4 * np.exp(grid)) * dens) / dens.sum()
    unseen = pd.DataFrame({"x": [0.0], "g": ["never seen"]})
    np.testing.assert_allclose(pred.survival(t, unseen), want, rtol=1e-6)
    np.testing.assert_allclose(pred.survival(t, seen, frailty="marginal"), want, rtol=1e-6)


def test_piecewise_posterior_name_and_vector_parameter():
    data = _data()
    spec = ModelSpec("x", family="piecewise", causes=("a",), family_options={"cuts": [5, 10]})
    dev = np.tile(np.array([-0.5, 0.0, 0.5]), (S, 1))[:, None, :]
    pred, info, _ = _predictor(spec, data, {
        "intercept": (("cause",), np.zeros((S, 1))),
        "beta": (("cause", "term"), np.zeros((S, 1, 1))),
        "log_baseline_dev": (("cause", "interval"), dev)})
    tau = info.time_scale
    cuts = np.array([5.0, 10.0])
    t = np.array([12.0])
    rates = np.exp([-0.5, 0.0, 0.5]) / tau
    want = np.exp(-(rates[0] * cuts[0] + rates[1] * (cuts[1] - cuts[0])
                    + rates[2] * (t[0] - cuts[1])))
    np.testing.assert_allclose(pred.survival(t, pd.DataFrame({"x": [0.0]})), want, rtol=1e-12)


@pytest.mark.parametrize("mode", ["nonsense", "Conditional"])
def test_unknown_frailty_mode_is_refused(mode):
    data = _data()
    spec = ModelSpec("x", family="exponential", causes=("a",))
    pred, _, _ = _predictor(spec, data, {"intercept": (("cause",), np.zeros((S, 1))),
                                         "beta": (("cause", "term"), np.zeros((S, 1, 1)))})
    with pytest.raises(CoalsurvError, match="frailty="):
        pred.survival([1.0], pd.DataFrame({"x": [0.0]}), frailty=mode)
