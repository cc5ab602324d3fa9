"""AFT priors on eta / sigma: Weibull AFT and PH are one posterior (issue 13, known misses)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv


def _weibull_data(n: int = 60, seed: int = 3):
    """Weibull PH data with heavy censoring (about 60% censored), two covariates."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, size=n).astype(float)
    eta = -1.0 + 0.5 * x1 - 0.4 * x2
    t = (-np.log(rng.uniform(size=n)) / np.exp(eta)) ** (1 / 1.5)
    c = rng.uniform(0.2, 1.5, size=n)
    df = pd.DataFrame({"id": np.arange(n), "t": np.minimum(t, c), "d": (t <= c).astype(int),
                       "x1": x1, "x2": x2})
    return coalsurv.CoalitionData.from_frame(df, duration="t", event="d", id="id",
                                             time_unit="days")


def test_weibull_aft_and_ph_have_the_same_posterior_density():
    """The AFT log density at (-a, -b, k) equals the PH one at (a, b, k): no k^-(p+1) Jacobian."""
    data = _weibull_data()
    models = {fam: coalsurv.SurvivalModel("x1 + x2", family=fam).build(data)[0]
              for fam in ("weibull_ph", "weibull_aft")}
    ph, aft = (models[f].compile_logp() for f in ("weibull_ph", "weibull_aft"))
    rng = np.random.default_rng(0)
    for _ in range(5):
        offset, beta, log_k = rng.normal(), rng.normal(size=(1, 2)), rng.normal(scale=0.3)
        lp_ph = ph({"intercept_offset": np.array([offset]), "beta": beta,
                    "shape_log__": np.array([log_k])})
        lp_aft = aft({"intercept_offset": np.array([-offset]), "beta_std": -beta,
                      "shape_log__": np.array([log_k])})
        assert lp_aft == pytest.approx(lp_ph, rel=1e-10, abs=1e-8)


@pytest.mark.parametrize("family", ["weibull_aft", "lognormal", "loglogistic"])
def test_aft_coefficients_are_standardised_values_times_the_scale(family):
    """Reported intercept and beta (log time) are intercept_std, beta_std times sigma."""
    data = _weibull_data(n=30)
    draws = coalsurv.SurvivalModel("x1 + x2", family=family).sample_prior(data, draws=50)
    fam = coalsurv.families.get_family(family)
    name = fam.scalar_parameters[0].name
    sigma = fam.log_time_scale(**{name: draws[name].values})
    np.testing.assert_allclose(draws["beta"].values, draws["beta_std"].values * sigma[..., None])
    np.testing.assert_allclose(draws["intercept"].values, draws["intercept_std"].values * sigma)


def test_ph_families_have_no_log_time_scale():
    with pytest.raises(TypeError, match="proportional-hazards"):
        coalsurv.families.get_family("weibull_ph").log_time_scale(shape=1.0)
