"""Strata on every family: fits build and sample; survreg-like strata against lifelines' MLE."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from coalsurv import CoalitionData, Prior, PriorSet, SurvivalModel

TINY = {"draws": 60, "tune": 60, "chains": 1, "random_seed": 2, "progressbar": False}


def _data(n=60, seed=5):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"duration": rng.weibull(1.2, n) * 8 + 0.2,
                       "ended": rng.choice(["a", "censored"], n, p=[0.7, 0.3]),
                       "x": rng.normal(size=n), "sex": rng.choice(["f", "m"], n)})
    return CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    groups=["sex"], time_unit="months")


def _fit(model, data, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, **{**TINY, **settings})


# Measured on the shared 2-core machine: 35-60 s each on the PyMC path (mostly compiling);
# natively (issue 23) about 4 s; one stays in the fast suite.
@pytest.mark.parametrize(("family", "parts"), [
    ("weibull_aft", ("shape",)),
    pytest.param("weibull_aft", None, marks=pytest.mark.slow),
    pytest.param("lognormal", ("shape",), marks=pytest.mark.slow),
    pytest.param("lognormal", None, marks=pytest.mark.slow),
])
def test_aft_strata_fit_and_predict(family, parts):
    """The AFT strata that failed at build (issue 22) fit, summarise and predict per stratum."""
    fit = _fit(SurvivalModel("x", family=family, strata="sex", strata_parts=parts), _data())
    param = fit.family.parameters[0].posterior_name
    labels = set(fit.summary()["parameter"])
    assert {f"{param}[f]", f"{param}[m]", "intercept", "beta[x]"} <= labels
    assert ("strata_dev[f]" in labels) == (parts is None)
    new = pd.DataFrame({"x": [0.0, 0.0], "sex": ["f", "m"]})
    med = fit.median_lifespan(new)
    assert np.all(np.isfinite(med["mean"]))
    assert fit.sampler["kernel"] == "native", fit.sampler  # strata run on the kernel


# Measured on the shared 2-core machine: 8-20 s per family (compile and sample), 2.5 min in all.
@pytest.mark.slow
@pytest.mark.parametrize("family", ["exponential", "weibull", "weibull_aft", "lognormal",
                                    "loglogistic", "gompertz", "piecewise"])
def test_every_family_fits_with_strata(family):
    fit = _fit(SurvivalModel("x", family=family, strata="sex"), _data())
    post = fit.idata["posterior"]
    assert "strata_dev" in post
    for param in fit.family.scalar_parameters:
        assert post[param.posterior_name].dims[-1] == "stratum"


def _survreg_data(n=700, seed=11):
    """Weibull AFT, shared location 1 + 0.5 x, shape 0.8 (f) and 1.7 (m); censoring."""
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 2.0, n)
    sex = rng.choice(["f", "m"], n)
    shape = np.where(sex == "f", 0.8, 1.7)
    t = np.exp(1.0 + 0.5 * x) * rng.weibull(shape)
    c = rng.uniform(2.0, 30.0, n)
    df = pd.DataFrame({"duration": np.minimum(t, c), "ended": np.where(t <= c, "end", "censored"),
                       "x": x, "sex": sex})
    return df


# Measured: about 115 s on the shared 2-core machine (700 rows, 2 x 400 draws).
@pytest.mark.slow
def test_stratified_weibull_aft_matches_lifelines_mle():
    """Strata of the shape only are survreg's strata(), as lifelines' MLE fits them.

    lifelines with the stratum as the ancillary (log shape) covariate gives the same
    location, slope and shapes.
    """
    from lifelines import WeibullAFTFitter

    df = _survreg_data()
    data = CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    groups=["sex"], time_unit="months")
    weak = PriorSet({"beta": Prior("Normal", mu=0.0, sigma=10.0),
                     "intercept": Prior("Normal", mu="auto", sigma=10.0),
                     "shape": Prior("LogNormal", mu=0.0, sigma=3.0)})
    fit = _fit(SurvivalModel("x", family="weibull_aft", strata="sex", strata_parts=("shape",),
                             priors=weak), data, draws=400, tune=400, chains=2)
    mle = WeibullAFTFitter()
    lf = df.assign(m=(df["sex"] == "m").astype(float), e=(df["ended"] == "end").astype(int))
    mle.fit(lf[["duration", "e", "x", "m"]], "duration", "e", ancillary=lf[["m"]])
    p = mle.params_
    post = fit.idata["posterior"]
    tau, mean, sd = fit.info.time_scale, fit.info.means[0], fit.info.sds[0]
    slope = float(post["beta"].median()) / sd
    level = float(post["intercept"].median()) + np.log(tau) - slope * mean
    shapes = post["shape"].median(("chain", "draw")).values[0]
    assert slope == pytest.approx(p[("lambda_", "x")], abs=0.03)
    assert level == pytest.approx(p[("lambda_", "Intercept")], abs=0.08)
    rho0 = np.exp(p[("rho_", "Intercept")])
    rho1 = np.exp(p[("rho_", "Intercept")] + p[("rho_", "m")])
    np.testing.assert_allclose(shapes, [rho0, rho1], rtol=0.05)
