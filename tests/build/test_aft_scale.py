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


def test_weibull_aft_log_survival_is_finite_with_finite_gradient_far_in_the_tail():
    """exp(k (log t - eta)) at k = 1e4 would overflow; the bent cap keeps value and slope."""
    import pytensor
    import pytensor.tensor as pt

    from coalsurv.families import PYTENSOR

    fam = coalsurv.families.get_family("weibull_aft")
    k = pt.dscalar("k")
    log_s = fam.log_survival(np.array([0.5, 2.0, 5.0]), 0.0, xp=PYTENSOR, shape=k).sum()
    f = pytensor.function([k], [log_s, pytensor.grad(log_s, k)])
    value, slope = f(1e4)
    assert np.isfinite(value) and np.isfinite(slope) and slope < 0
    exact = fam.log_survival(np.array([0.5, 2.0, 5.0]), 0.0, shape=1.5).sum()
    assert f(1.5)[0] == pytest.approx(exact, rel=1e-12)


def test_wide_shape_prior_starts_at_its_median_not_its_mean():
    """LogNormal(0, 10)'s support point is exp(50); chains start at the median exp(0) = 1."""
    from coalsurv.backend.init import initial_points
    from coalsurv.spec.priors import Prior, PriorSet

    priors = PriorSet({"shape": Prior("LogNormal", mu=0.0, sigma=10.0)})
    model = coalsurv.SurvivalModel("x1", family="weibull_aft", priors=priors).build(
        _weibull_data(n=30))[0]
    np.testing.assert_allclose(initial_points(model)["shape"], [1.0])


@pytest.mark.slow
def test_wide_aft_priors_sample_cleanly_on_rossi():
    """Rossi, Weibull AFT with shape LogNormal(0, 10) and coefficient/intercept SD 50.

    Before the median start these stuck (ESS 2, shape 1e16, R-hat 3.8) or failed to start.
    Measured 2026-12-02: 185 s on a shared, heavily loaded 2-core machine.
    """
    from lifelines.datasets import load_rossi

    from coalsurv.spec.priors import Prior, PriorSet

    df = load_rossi().reset_index(names="id")
    data = coalsurv.CoalitionData.from_frame(df, duration="week", event="arrest", id="id",
                                             time_unit="days")
    for priors in ({"shape": Prior("LogNormal", mu=0.0, sigma=10.0)},
                   {"shape": Prior("LogNormal", mu=0.0, sigma=3.0),
                    "beta": Prior("Normal", mu=0.0, sigma=50.0),
                    "intercept": Prior("Normal", mu="auto", sigma=50.0)}):
        fit = coalsurv.SurvivalModel(ROSSI, family="weibull_aft", priors=PriorSet(priors)).fit(
            data, draws=300, tune=300, chains=2, random_seed=1, progressbar=False)
        s = fit.summary()
        assert s.r_hat.max() < 1.02 and s.ess_bulk.min() > 200
        assert int(fit.idata["sample_stats"]["diverging"].sum()) == 0
        assert 1.1 < float(s.loc[s.parameter == "shape", "mean"].iloc[0]) < 1.7


ROSSI = "fin + age + race + wexp + mar + paro + prio"


@pytest.mark.slow
def test_rossi_weibull_aft_and_ph_agree_and_aft_families_match_the_mle():
    """Rossi (114 events, 7 covariates): Weibull AFT = Weibull PH within Monte Carlo error.

    Before eta/sigma priors: 1/shape 0.769 (AFT) vs 0.722 (PH; survreg MLE 0.712). Also the
    log-normal and log-logistic posteriors under weak priors (SD 10) sit on lifelines' MLE.
    Measured 2026-12-02: 545 s on a shared, heavily loaded 2-core machine (4 fits of 2,000
    draws, run beside other test sessions; alone it is a fraction of that).
    """
    from lifelines.datasets import load_rossi

    from coalsurv.diagnostics.mle import mle_side_by_side
    from coalsurv.spec.priors import Prior, PriorSet

    df = load_rossi().reset_index(names="id")
    data = coalsurv.CoalitionData.from_frame(df, duration="week", event="arrest", id="id",
                                             time_unit="days")
    opts = dict(draws=1000, tune=1000, chains=2, random_seed=1, progressbar=False)
    ph = coalsurv.SurvivalModel(ROSSI, family="weibull_ph").fit(data, **opts)
    aft = coalsurv.SurvivalModel(ROSSI, family="weibull_aft").fit(data, **opts)
    post_ph, post_aft = ph.idata["posterior"], aft.idata["posterior"]
    k_ph, k_aft = post_ph["shape"].values.ravel(), post_aft["shape"].values.ravel()
    se = np.hypot((1 / k_ph).std() / np.sqrt(400), (1 / k_aft).std() / np.sqrt(400))
    assert abs((1 / k_ph).mean() - (1 / k_aft).mean()) < 4 * se  # ESS >= 400 per fit
    b_ph = post_ph["beta"].values.reshape(-1, 7)
    b_aft = -post_aft["beta"].values.reshape(-1, 7) * k_aft[:, None]  # on the PH scale
    assert np.all(np.abs(b_ph.mean(0) - b_aft.mean(0)) < 0.1 * b_ph.std(0))
    weak = PriorSet({"beta": Prior("Normal", mu=0.0, sigma=10.0)})
    for family in ("lognormal", "loglogistic"):
        fit = coalsurv.SurvivalModel(ROSSI, family=family, priors=weak).fit(data, **opts)
        table = mle_side_by_side(fit)
        # posterior mean vs MLE: ~0.1 SD apart systematically on three log-logistic terms
        # (skewed posteriors), plus Monte Carlo noise: 2026-12-06, seed 1, native 0.152,
        # PyMC path 0.119, native seed 2 0.109 (benchmarks/rossi_mle_gap.py). 0.2 SD is the
        # project's agreement standard.
        assert np.abs(table["diff_in_posterior_sd"]).max() < 0.2, (family, table)
