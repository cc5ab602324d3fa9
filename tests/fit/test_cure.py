"""Mixture-cure models (cure=): spec, graph log-likelihood, predictions, cure_fraction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.errors import PriorError, SpecError
from coalsurv.families import get_family
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec, PriorSet


def _data(n=50):
    rng = np.random.default_rng(8)
    t = rng.weibull(1.2, n) * 8 + 0.2
    df = pd.DataFrame({"duration": t, "ended": rng.choice(["a", "censored"], n),
                       "x": rng.normal(size=n), "z": rng.normal(size=n),
                       "start": np.where(rng.uniform(size=n) < 0.3, 0.2 * t, 0.0)})
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="start",
                                    covariates=["x", "z"], time_unit="months")


def test_cure_spec_round_trip_and_refusals():
    spec = ModelSpec("x", family="weibull", cure="z")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert ModelSpec.from_toml(spec.to_toml()).cure == "z"
    with pytest.raises(SpecError, match="needs one ending"):
        SurvivalModel("x", causes=["a", "b"], cure="z")
    with pytest.raises(SpecError, match="group terms, mm\(\) and tve"):
        SurvivalModel("x", cure="z + (1 | g)")
    with pytest.raises(SpecError, match="cure must be a formula"):
        SurvivalModel("x", cure="")
    with pytest.raises(SpecError, match="tve"):
        SurvivalModel("tve(x)", cure="z")


def test_cure_log_likelihood_matches_numpy():
    data = _data()
    spec = ModelSpec("x", family="weibull", cure="z")
    design = make_design(spec, data)
    info = model_info(spec, data, design, PriorSet())
    assert info.cure == "z" and info.cure_terms == ("z",)
    model, _ = build_model(spec, PriorSet(), data, design, info)
    point = {k: np.asarray(v) + 0.2 for k, v in model.initial_point().items()}
    value = model.compile_fn(model.logp(vars=model.observed_RVs), mode="FAST_COMPILE")(point)
    fam = get_family("weibull")
    tau = info.time_scale
    shape = np.exp(point["shape_log__"])[0]
    eta = point["intercept_offset"][0] + info.intercept_centre[0] + design.X[:, 0] * point[
        "beta"][0, 0]
    pi = 1 / (1 + np.exp(-(point["cure_intercept"] + design.cure.X[:, 0] * point["cure_beta"][0])))
    t, entry = np.asarray(data.time) / tau, np.asarray(data.entry) / tau
    s_u = np.exp(fam.log_survival(t, eta, shape=shape))
    h_u = np.exp(fam.log_hazard(t, eta, shape=shape))
    s_entry = pi + (1 - pi) * np.exp(fam.log_survival(entry, eta, shape=shape))
    event = np.asarray(data.cause_index) == 0
    expected = np.where(event, np.log((1 - pi) * h_u * s_u), np.log(pi + (1 - pi) * s_u))
    assert value == pytest.approx(float(np.sum(expected - np.log(s_entry))), rel=1e-10)


def test_cure_predictions_match_closed_form():
    data = _data()
    spec = ModelSpec("x", family="weibull", cure="z")
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    S = 5
    rng = np.random.default_rng(3)
    b0, b1, k = rng.normal(-1, 0.2, S), rng.normal(0.4, 0.1, S), rng.uniform(0.8, 1.5, S)
    c0, c1 = rng.normal(-0.5, 0.3, S), rng.normal(0.7, 0.2, S)
    draws = {"intercept": (("cause",), b0[:, None]), "beta": (("cause", "term"), b1[:, None, None]),
             "shape": (("cause",), k[:, None]), "cure_intercept": ((), c0),
             "cure_beta": (("cure_term",), c1[:, None])}
    posterior = xr.Dataset({n: (("chain", "draw", *d), v[None]) for n, (d, v) in draws.items()})
    pred = Predictor(info, design, posterior)
    new = pd.DataFrame({"x": [-1.0, 1.0], "z": [0.5, -2.0]})
    times = np.array([0.5, 4.0, 30.0, 1e4])
    tau = info.time_scale
    X, Z = design.transform(new), design.cure.transform(new)
    eta = b0[:, None] + b1[:, None] * X[None, :, 0]
    pi = 1 / (1 + np.exp(-(c0[:, None] + c1[:, None] * Z[None, :, 0])))
    u = (times / tau)[None, None, :]
    s_u = np.exp(-np.exp(eta)[..., None] * u ** k[:, None, None])
    h_u = np.exp(eta)[..., None] * k[:, None, None] * u ** (k[:, None, None] - 1) / tau
    surv = pi[..., None] + (1 - pi[..., None]) * s_u
    np.testing.assert_allclose(pred.survival(times, new), surv, rtol=1e-10)
    np.testing.assert_allclose(pred.hazard_by_cause(times, new)[:, 0],
                               (1 - pi[..., None]) * h_u * s_u / surv, rtol=1e-8)
    cif = pred.cumulative_incidence(times[:3], new)[:, 0]
    np.testing.assert_allclose(cif, 1 - surv[..., :3], atol=2e-3)
    assert np.allclose(pred.survival([1e6], new)[..., 0], pi)  # the plateau is the cured share
    lifetimes, _ = pred.sample_lifetimes(new, rng=np.random.default_rng(0))
    assert np.isinf(lifetimes).any() and np.isfinite(lifetimes).any()


def test_cure_fit_fraction_and_fit_file(tmp_path):
    import warnings

    import coalsurv

    data = _data()
    model = SurvivalModel("x", family="weibull", cure="z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=150, tune=150, chains=2, random_seed=2, progressbar=False)
    new = pd.DataFrame({"x": [0.0, 0.0], "z": [-1.0, 1.0]})
    frac = fit.cure_fraction(new, ci_prob=0.9)
    assert list(frac.columns[:5]) == ["row", "mean", "lower", "upper", "ci_prob"]
    assert np.all((0 < frac["lower"]) & (frac["lower"] <= frac["upper"]) & (frac["upper"] < 1))
    surv = fit.survival([1e5], new)
    np.testing.assert_allclose(surv["mean"], frac["mean"], rtol=1e-6)
    with pytest.raises(PriorError, match="mixture-cure"):
        coalsurv.PriorSet.from_fit(fit)
    back = coalsurv.load_fit(fit.save(tmp_path / "cure.nc"))
    pd.testing.assert_frame_equal(back.cure_fraction(new, ci_prob=0.9), frac)
