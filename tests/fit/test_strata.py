"""Stratified baselines (strata=): graph log-likelihood, predictions per stratum, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.errors import SpecError
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec, PriorSet


def _data(n=40):
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"duration": rng.weibull(1.1, n) * 9 + 0.3,
                       "ended": rng.choice(["a", "censored"], n), "x": rng.normal(size=n),
                       "country": rng.choice(["DE", "FR", "IT"], n),
                       "start": np.where(rng.uniform(size=n) < 0.3, 0.2, 0.0)})
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="start",
                                    covariates=["x"], groups=["country"], time_unit="months")


def test_strata_spec_and_bad_strata():
    spec = ModelSpec("x", strata="country")
    assert ModelSpec.from_dict(spec.to_dict()).strata == "country"
    with pytest.raises(SpecError, match="strata must be the name"):
        SurvivalModel("x", strata=["country"])
    with pytest.raises(SpecError, match="not a group column"):
        SurvivalModel("x", strata="era").build(_data())


ALL_FAMILIES = ["weibull", "exponential", "piecewise", "weibull_aft", "lognormal",
                "loglogistic", "gompertz"]


@pytest.mark.parametrize("parts", [None, ("shape",), ("level",)], ids=["both", "shape", "level"])
@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_equal_strata_give_the_plain_log_likelihood(family, parts):
    """Strata whose levels and shapes are equal give the unstratified log-likelihood.

    For AFT families too: the intercept and coefficients are standardised by the strata's
    geometric-mean scale, which equal shapes make the common one.
    """
    if parts == ("shape",) and family in ("exponential", "piecewise"):
        pytest.skip("no shape to stratify (refused: test_strata_parts_spec_and_refusals)")
    data = _data()
    models = []
    for strata in (None, "country"):
        spec = ModelSpec("x", family=family, strata=strata,
                         strata_parts=parts if strata else None)
        design = make_design(spec, data)
        info = model_info(spec, data, design, PriorSet())
        models.append(build_model(spec, PriorSet(), data, design, info)[0])
    m0, m1 = models
    point = {k: np.asarray(v) + 0.15 for k, v in m0.initial_point().items()}
    point1 = {}
    for k, v in m1.initial_point().items():
        if k in point and np.shape(point[k]) != np.shape(v):  # per-stratum copy of a shape
            point1[k] = np.broadcast_to(point[k][:, None], np.shape(v)).copy()
        else:
            point1[k] = point.get(k, np.zeros_like(v))
    fast = {"mode": "FAST_COMPILE"}
    l0 = m0.compile_fn(m0.logp(vars=m0.observed_RVs), inputs=m0.value_vars,
                      on_unused_input="ignore", **fast)(point)
    loglik = m1.compile_fn(m1.logp(vars=m1.observed_RVs), inputs=m1.value_vars,
                          on_unused_input="ignore", **fast)
    assert loglik(point1) == pytest.approx(l0, rel=1e-10)


def test_strata_parts_spec_and_refusals():
    spec = ModelSpec("x", family="weibull_aft", strata="country", strata_parts=["shape"])
    assert spec.strata_parts == ("shape",)
    assert ModelSpec.from_dict(spec.to_dict()).strata_parts == ("shape",)
    assert ModelSpec("x", strata="country").resolved_strata_parts == ("level", "shape")
    assert ModelSpec("x", family="exponential", strata="c").resolved_strata_parts == ("level",)
    assert ModelSpec("x").resolved_strata_parts == ()
    with pytest.raises(SpecError, match="strata_parts") as err:
        SurvivalModel("x", strata="country", strata_parts=("scale",))
    assert "unknown part 'scale'" in str(err.value)
    with pytest.raises(SpecError, match="strata_parts") as err:
        SurvivalModel("x", family="exponential", strata="country", strata_parts=("shape",))
    assert "no shape parameter" in str(err.value)
    with pytest.raises(SpecError, match="without strata="):
        SurvivalModel("x", strata_parts=("level",))
    with pytest.raises(SpecError, match="strata_parts must be a list"):
        SurvivalModel("x", strata="country", strata_parts=())


def test_strata_dev_prior_is_settable(tmp_path):
    import coalsurv

    data = _data()
    path = tmp_path / "p.toml"
    PriorSet({"strata_dev": coalsurv.Prior("Normal", mu=0.0, sigma=0.3)}).save(path)
    model = SurvivalModel("x", family="weibull_aft", strata="country", priors=path)
    pm_model, _, _, resolved = model.build(data)
    assert resolved["strata_dev"].params["sigma"] == 0.3
    rv = pm_model["strata_dev"]
    import pymc as pm

    draws = pm.draw(rv, draws=400, random_seed=1)  # ZeroSumNormal of scale 0.3
    assert np.std(draws) == pytest.approx(0.3 * np.sqrt(2 / 3), rel=0.15)
    with pytest.raises(coalsurv.PriorError, match="Normal\\(mu=0, sigma=s\\)"):
        SurvivalModel("x", strata="country", priors={"strata_dev": coalsurv.Prior(
            "HalfNormal", sigma=1.0)}).build(data)


def test_strata_predictions_use_each_stratum_baseline():
    data = _data()
    spec = ModelSpec("x", family="weibull", strata="country")
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    assert info.strata_levels == ("DE", "FR", "IT")
    S = 4
    rng = np.random.default_rng(1)
    b0, b1 = rng.normal(-1, 0.2, S), rng.normal(0.3, 0.1, S)
    dev = rng.normal(0, 0.5, (S, 3))
    dev -= dev.mean(axis=1, keepdims=True)
    k = rng.uniform(0.7, 1.6, (S, 3))
    draws = {"intercept": (("cause",), b0[:, None]), "beta": (("cause", "term"), b1[:, None, None]),
             "shape": (("cause", "stratum"), k[:, None, :]),
             "strata_dev": (("cause", "stratum"), dev[:, None, :])}
    posterior = xr.Dataset({n: (("chain", "draw", *d), v[None]) for n, (d, v) in draws.items()})
    pred = Predictor(info, design, posterior)
    new = pd.DataFrame({"x": [0.5, 0.5, -1.0], "country": ["IT", "DE", "FR"]})
    times = np.array([1.0, 6.0, 20.0])
    tau = info.time_scale
    X = design.transform(new)[:, 0]
    codes = np.array([2, 0, 1])
    eta = b0[:, None] + b1[:, None] * X[None, :] + dev[:, codes]
    shape = k[:, codes]
    expected = np.exp(-np.exp(eta)[..., None] * (times / tau)[None, None, :] ** shape[..., None])
    np.testing.assert_allclose(pred.survival(times, new), expected, rtol=1e-10)
    median = pred.quantile(0.5, new)
    np.testing.assert_allclose(median, tau * (np.log(2) / np.exp(eta)) ** (1 / shape),
                               rtol=1e-10)
    with pytest.raises(SpecError, match="needs the strata column 'country'"):
        pred.survival(times, new.drop(columns="country"))
    with pytest.raises(SpecError, match=r"unknown strata \['ES'\]"):
        pred.survival(times, new.assign(country=["ES", "DE", "FR"]))


def test_strata_fit_summary_predictions_and_fit_file(tmp_path):
    import warnings

    import coalsurv

    data = _data()
    model = SurvivalModel("x", family="weibull", strata="country")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=150, tune=150, chains=2, random_seed=3, progressbar=False)
    table = fit.summary()
    assert {"shape[DE]", "shape[FR]", "shape[IT]", "strata_dev[DE]"} <= set(table["parameter"])
    new = pd.DataFrame({"x": [0.0, 0.0], "country": ["DE", "IT"]})
    surv = fit.survival([2.0, 8.0], new, average=True)
    assert len(surv) == 2
    with pytest.raises(coalsurv.PriorError, match="stratified baselines"):
        coalsurv.PriorSet.from_fit(fit)
    back = coalsurv.load_fit(fit.save(tmp_path / "strata.nc"))
    pd.testing.assert_frame_equal(back.survival([2.0, 8.0], new), fit.survival([2.0, 8.0], new))
