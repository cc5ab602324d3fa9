"""Covariates of the shape (shape="x"): graph, per-row predictions, refusals, a fit, MLE (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from coalsurv import CoalitionData, Prior, PriorSet, SurvivalModel
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.errors import PriorError, SpecError
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec


def _weibull_data(n=60, seed=2):
    """Weibull AFT with log shape 0.2 + 0.4 z and log scale 1 + 0.5 x, censored."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    shape = np.exp(0.2 + 0.4 * z)
    t = np.exp(1.0 + 0.5 * x) * rng.weibull(shape)
    c = rng.uniform(1.0, 20.0, n)
    return pd.DataFrame({"duration": np.minimum(t, c), "x": x, "z": z,
                         "ended": np.where(t <= c, "end", "censored")})


def _data(n=60, seed=2):
    return CoalitionData.from_frame(_weibull_data(n, seed), duration="duration", event="ended",
                                    covariates=["x", "z"], time_unit="months")


@pytest.mark.parametrize("family", ["weibull", "weibull_aft", "lognormal", "loglogistic",
                                    "gamma", "gengamma"])
def test_zero_shape_coefficients_give_the_plain_log_likelihood(family):
    data = _data()
    models = []
    for shape in (None, "z"):
        spec = ModelSpec("x + z", family=family, shape=shape)
        design = make_design(spec, data)
        info = model_info(spec, data, design)
        models.append(build_model(spec, PriorSet(), data, design, info)[0])
    m0, m1 = models
    assert m1.named_vars_to_dims["beta_shape"] == ("cause", "shape_term")
    point = {k: np.asarray(v) + 0.1 for k, v in m0.initial_point().items()}
    point1 = {k: point.get(k, np.zeros_like(v)) for k, v in m1.initial_point().items()}
    fast = {"mode": "FAST_COMPILE"}
    f0 = m0.compile_fn(m0.logp(vars=m0.observed_RVs), inputs=m0.value_vars,
                       on_unused_input="ignore", **fast)
    f1 = m1.compile_fn(m1.logp(vars=m1.observed_RVs), inputs=m1.value_vars,
                       on_unused_input="ignore", **fast)
    assert f1(point1) == pytest.approx(f0(point), rel=1e-10)
    point1["beta_shape"] = point1["beta_shape"] + 0.3
    assert f1(point1) != pytest.approx(f0(point), rel=1e-6)


def test_refusals_name_shape():
    for family in ("exponential", "piecewise", "gompertz"):
        with pytest.raises(SpecError, match="shape='x'.*no shape parameter"):
            SurvivalModel("x", family=family, shape="x")
    with pytest.raises(SpecError, match="shape must be a formula"):
        SurvivalModel("x", shape=3)
    with pytest.raises(SpecError, match="group terms"):
        SurvivalModel("x", shape="(1 | g)")
    with pytest.raises(SpecError, match="no covariates"):
        SurvivalModel("x", shape="1").build(_data())
    spec = ModelSpec("x", family="lognormal", shape="z")
    assert ModelSpec.from_dict(spec.to_dict()).shape == "z"
    assert PriorSet({"beta_shape[z]": Prior("Normal", mu=0.0, sigma=0.2)})
    with pytest.raises(PriorError):
        PriorSet({"beta_shapes": Prior("Normal", mu=0.0, sigma=0.2)})


def test_predictions_use_each_rows_shape():
    data = _data()
    spec = ModelSpec("x", family="weibull_aft", shape="z")
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    S = 5
    rng = np.random.default_rng(0)
    b0, b1 = rng.normal(0, 0.2, S), rng.normal(0.4, 0.1, S)
    k, g = rng.uniform(0.8, 1.5, S), rng.normal(0.3, 0.1, S)
    draws = {"intercept": (("cause",), b0[:, None]),
             "beta": (("cause", "term"), b1[:, None, None]),
             "shape": (("cause",), k[:, None]),
             "beta_shape": (("cause", "shape_term"), g[:, None, None])}
    posterior = xr.Dataset({n: (("chain", "draw", *d), v[None]) for n, (d, v) in draws.items()})
    pred = Predictor(info, design, posterior)
    new = pd.DataFrame({"x": [0.5, 0.5, -1.0], "z": [-1.0, 1.0, 0.0]})
    tau = info.time_scale
    X = design.transform(new[["x"]])[:, 0]
    Z = design.shape.transform(new)[:, 0]
    eta = b0[:, None] + b1[:, None] * X[None, :]
    shape = k[:, None] * np.exp(g[:, None] * Z[None, :])
    times = np.array([0.5, 3.0, 12.0])
    expected = np.exp(-((times / tau)[None, None, :] * np.exp(-eta)[..., None])
                      ** shape[..., None])
    np.testing.assert_allclose(pred.survival(times, new), expected, rtol=1e-10)
    np.testing.assert_allclose(pred.quantile(0.5, new),
                               tau * np.exp(eta) * np.log(2) ** (1 / shape), rtol=1e-10)
    with pytest.raises(SpecError, match="z"):
        pred.survival(times, new[["x"]])


# Measured on the shared 2-core machine: about 20 s (compile and sample).
@pytest.mark.slow
def test_shape_fit_summary_predictions_file_and_sampler(tmp_path):
    import coalsurv

    data = _data()
    model = SurvivalModel("x", family="weibull", shape="z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=80, tune=80, chains=1, random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native", fit.sampler  # shape covariates run natively
    assert "beta_shape[z]" in set(fit.summary()["parameter"])
    new = pd.DataFrame({"x": [0.0, 0.0], "z": [-1.0, 1.0]})
    assert np.all(np.isfinite(fit.hazard([1.0, 5.0], new)["mean"]))
    back = coalsurv.load_fit(fit.save(tmp_path / "shape.nc"))
    pd.testing.assert_frame_equal(back.survival([2.0, 8.0], new), fit.survival([2.0, 8.0], new))
    pd.testing.assert_frame_equal(back.median_lifespan(new), fit.median_lifespan(new))
    with pytest.raises(coalsurv.PriorError, match="shape covariates"):
        PriorSet.from_fit(fit)


# Measured: about 15 s on the shared 2-core machine (800 rows, 2 chains x 400 draws).
@pytest.mark.slow
def test_weibull_aft_shape_covariate_matches_lifelines_ancillary_mle():
    from lifelines import WeibullAFTFitter

    df = _weibull_data(800, seed=9)
    data = CoalitionData.from_frame(df, duration="duration", event="ended",
                                    covariates=["x", "z"], time_unit="months")
    weak = PriorSet({"beta": Prior("Normal", mu=0.0, sigma=10.0),
                     "intercept": Prior("Normal", mu="auto", sigma=10.0),
                     "shape": Prior("LogNormal", mu=0.0, sigma=3.0),
                     "beta_shape": Prior("Normal", mu=0.0, sigma=5.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = SurvivalModel("x", family="weibull_aft", shape="z", priors=weak).fit(
            data, draws=400, tune=400, chains=2, random_seed=3, progressbar=False)
    mle = WeibullAFTFitter()
    lf = df.assign(e=(df["ended"] == "end").astype(int))
    mle.fit(lf[["duration", "e", "x", "z"]], "duration", "e", ancillary=lf[["z"]])
    p = mle.params_
    post = fit.idata["posterior"]
    sd_x, sd_z = fit.info.sds[0], fit.design.shape.sds[0]
    mean_x, mean_z = fit.info.means[0], fit.design.shape.means[0]
    slope = float(post["beta"].median()) / sd_x
    level = float(post["intercept"].median()) + np.log(fit.info.time_scale) - slope * mean_x
    g = float(post["beta_shape"].median()) / sd_z
    log_k0 = float(np.log(post["shape"]).median()) - g * mean_z
    assert slope == pytest.approx(p[("lambda_", "x")], abs=0.03)
    assert level == pytest.approx(p[("lambda_", "Intercept")], abs=0.06)
    assert g == pytest.approx(p[("rho_", "z")], abs=0.04)
    assert log_k0 == pytest.approx(p[("rho_", "Intercept")], abs=0.05)
