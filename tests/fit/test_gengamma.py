"""Generalised gamma and gamma families: a tiny fit each, prior export, recovery (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from coalsurv import CoalitionData, PriorSet, SurvivalModel


def _draws(n, *, sigma, Q, b, seed):
    """Independent generator: scipy's gengamma (Prentice's mu, sigma, Q), right-censored."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    mu = 1.0 + b * x
    a = Q**-2.0
    t = st.gengamma(a=a, c=Q / sigma, scale=np.exp(mu - sigma / Q * np.log(a))).rvs(
        random_state=rng)
    c = rng.uniform(1.0, 25.0, n)
    df = pd.DataFrame({"duration": np.minimum(t, c),
                       "ended": np.where(t <= c, "end", "censored"), "x": x})
    return CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    time_unit="months")


def _fit(model, data, **settings):
    base = {"draws": 60, "tune": 60, "chains": 1, "random_seed": 1, "progressbar": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, **{**base, **settings})


# Measured on the shared 2-core machine: gamma 70 s, gengamma 57-135 s on the PyMC graph.
@pytest.mark.parametrize("family", ["gamma", pytest.param("gengamma", marks=pytest.mark.slow)])
def test_tiny_fit_summary_median_and_prior_export(family):
    data = _draws(40, sigma=0.8, Q=0.5, b=0.4, seed=3)
    fit = _fit(SurvivalModel("x", family=family), data)
    labels = set(fit.summary()["parameter"])
    params = {p.posterior_name for p in fit.family.parameters}
    assert params <= labels and "beta[x]" in labels
    assert np.all(np.isfinite(fit.median_lifespan(pd.DataFrame({"x": [0.0, 1.0]}))["mean"]))
    assert fit.sampler["route"] == "native", fit.sampler  # issue 23: both run natively
    priors = PriorSet.from_fit(fit, joint=False)
    assert {p.key for p in fit.family.parameters} <= set(priors.priors)


# Measured: 10-30 s each on the shared 2-core machine (600 rows, 2 chains x 500 draws; native
# kernel since issue 23: 10-13 s).
@pytest.mark.slow
@pytest.mark.parametrize("Q", [-0.5, 0.6])
def test_gengamma_recovers_scipy_truth(Q):
    """95% intervals of sigma, Q and the slope cover the truth of scipy's draws.

    (90% before the kernel ran it: at Q = -0.5 sigma's 5% quantile sits at the truth on both
    routes, 0.701 native and 0.699 on the graph, seed 1; the medians agree to 0.002.)
    """
    sigma, b = 0.7, 0.4
    data = _draws(600, sigma=sigma, Q=Q, b=b, seed=7)
    fit = _fit(SurvivalModel("x", family="gengamma"), data, draws=500, tune=500, chains=2)
    post = fit.idata["posterior"]
    sd = fit.info.sds[0]
    for name, truth, scale in (("sigma", sigma, 1.0), ("Q", Q, 1.0), ("beta", b, 1 / sd)):
        draws = np.ravel(post[name].values) * scale
        lo, hi = np.quantile(draws, [0.025, 0.975])
        assert lo < truth < hi, (name, truth, lo, hi)
