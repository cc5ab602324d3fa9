"""The native kernel against the PyMC graph for strata and shape covariates (the reference).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for stratified
baselines (``strata=``, every kernel family, each ``strata_parts``) and shape covariates
(``shape=``), alone, with frailties, causes, delayed entry, interval censoring and together.
"""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import native
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS, check_kernel, check_log_prior, interval_data, kernel_data

#: (formula, family, causes, entry, priors, SurvivalModel keywords)
CASES = [
    ("x1 + x2", "weibull", None, False, None, {"strata": "g"}),
    ("x1 + (1 | h)", "weibull", ["a", "b"], True, PRIORS, {"strata": "g"}),
    ("x1 + (1 | h)", "weibull", None, True, None, {"strata": "g", "strata_parts": ("shape",)}),
    ("x1", "weibull_ph", None, True, None, {"strata": "h", "strata_parts": ("level",)}),
    ("x1 + (1 | h)", "exponential", ["a", "b"], True, None, {"strata": "g"}),
    ("x1 + x2 + (1 | h)", "weibull_aft", None, True, None, {"strata": "g"}),
    ("x1", "weibull_aft", ["a", "b"], False, None,
     {"strata": "g", "strata_parts": ("shape",)}),
    ("x1 + (1 | h)", "lognormal", None, True, {"strata_dev": Prior("Normal", mu=0.0, sigma=0.7)},
     {"strata": "g"}),
    ("x2 + (1 | h)", "loglogistic", ["a", "b"], True, None, {"strata": "g"}),
    ("x1 + (1 | h)", "gompertz", None, True, None, {"strata": "g"}),
    ("x1 + x2", "gompertz", ["a", "b"], False, None, {"strata": "h"}),
    ("x1 + (1 | h)", "piecewise", None, True, None, {"strata": "g"}),
    ("x1 + (1 | h)", "weibull", None, True, None,
     {"strata": "g", "family_options": {"frailty_centring": "centred"}}),
    ("x1 + (1 | h)", "lognormal", None, False, None,
     {"strata": "g", "family_options": {"frailty_centring": "centred"}}),
    # shape covariates: log theta_i = log theta + Z[i] beta_shape
    ("x1", "weibull", None, False, None, {"shape": "x2"}),
    ("x1 + (1 | h)", "weibull", ["a", "b"], True, None, {"shape": "x1 + x2"}),
    ("x1 + x2 + (1 | h)", "weibull_aft", None, True, None, {"shape": "x2"}),
    ("x1 + (1 | g)", "lognormal", ["a", "b"], True, {"beta_shape": Prior("Normal", mu=0.1,
                                                                          sigma=0.3)},
     {"shape": "x2"}),
    ("x2 + (1 | h)", "loglogistic", None, True, None, {"shape": "x1"}),
    # both: a shape per stratum, times the shape covariates' multiplier
    ("x1 + (1 | h)", "weibull", None, True, None, {"strata": "g", "shape": "x2"}),
    ("x1", "lognormal", ["a", "b"], True, None, {"strata": "g", "shape": "x2"}),
]


def _kwargs_id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{_kwargs_id(c[5])}" for c in CASES])
def test_kernel_equals_pymc_strata_and_shape(formula, family, causes, entry, priors, kwargs):
    kwargs = dict(kwargs)
    options = kwargs.pop("family_options", {})
    if family == "piecewise":
        options = {"n_intervals": 4, **options}
    kplan = check_kernel(formula, family, causes, entry, priors, options, model_kwargs=kwargs,
                         value_atol=1e-6)
    assert bool(kplan.strata) == ("strata" in kwargs)
    assert bool(kplan.shape_terms) == ("shape" in kwargs)


@pytest.mark.parametrize(("family", "kwargs"), [("weibull", {"strata": "g"}),
                                                ("lognormal", {"strata": "g", "shape": "x2"}),
                                                ("loglogistic", {"shape": "x1"})])
def test_kernel_equals_pymc_interval_censored_strata_and_shape(family, kwargs):
    data = interval_data()
    kplan = check_kernel("x1 + (1 | h)", family, None, True, None, {}, data=data,
                         model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.strata or kplan.shape_terms


def test_log_prior_equals_pymc_with_strata_and_shape():
    model, _, info, _ = coalsurv.SurvivalModel(
        "x1 + (1 | h)", family="weibull", strata="g", shape="x2",
        priors={"strata_dev": Prior("Normal", mu=0.0, sigma=0.6)}).build(kernel_data(entry=True))
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    posterior = check_log_prior(model, kplan, rtol=1e-7, atol=1e-6)
    # the unconstrained draws map back to the same zero-sum values (PyMC's forward transform)
    x = native.unconstrained_draws(kplan, posterior)
    out = np.empty(kplan.nexp)
    from coalsurv.backend.kernel import expand

    expand(native.make_buffer(kplan, model), x[0], out)
    b = kplan.block("strata_dev")
    got = out[b.offset:b.offset + int(np.prod(b.shape))].reshape(b.shape)
    np.testing.assert_allclose(got, posterior["strata_dev"][0, 0], atol=1e-12)


def test_strata_and_shape_fit_natively():
    """A tiny stratified fit with shape covariates runs on the kernel, with every group."""
    import warnings

    model = coalsurv.SurvivalModel("x1 + (1 | h)", family="weibull", strata="g", shape="x2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(kernel_data(causes=("a",), n=80), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert {"strata_dev", "shape", "beta_shape"} <= set(post.data_vars)
    assert post["shape"].dims[2:] == ("cause", "stratum")
    np.testing.assert_allclose(post["strata_dev"].sum("stratum"), 0.0, atol=1e-9)
    assert fit.idata["log_prior"]["strata_dev"].dims == ("chain", "draw", "cause")
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
