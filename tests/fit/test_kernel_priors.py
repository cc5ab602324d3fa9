"""The native kernel against the PyMC graph for per-cause and per-term priors.

A prior stated per cause (``intercept[a]``, ``shape[b]``) or per term (``beta[x1]``,
``beta[a:x2]``, ``beta_unit[x1]``) makes the graph sample separate variables and stack them
into a deterministic; the kernel samples the same variables as one block with a prior per
value. Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`) for PH,
AFT (priors on eta/sigma), Gompertz (ageing per baseline) and the spline, and a tiny native fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import native
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import check_kernel, check_log_prior, kernel_data

N = Prior("Normal", mu=0.3, sigma=3.0)
#: (formula, family, causes, priors, the stacked variables)
CASES = [
    ("x1 + x2", "weibull", None, {"beta[x1]": N}, ("beta",)),
    ("x1 + x2 + (1 | g)", "weibull", ["a", "b"],
     {"intercept[a]": Prior("Normal", mu=-1.0, sigma=2.0), "beta[b:x2]": N,
      "shape[b]": Prior("Gamma", alpha=2.0, beta=1.5)}, ("intercept", "beta", "shape")),
    ("x1 + x2 + (1 | h)", "lognormal", ["a", "b"],
     {"beta_unit[x1]": Prior("StudentT", nu=4.0, mu=0.0, sigma=2.0),
      "sigma[a]": Prior("LogNormal", mu=0.1, sigma=0.3)}, ("beta_std", "sigma")),
    ("x1 + x2 + (1 | g)", "weibull_aft", None, {"intercept": Prior("Normal", mu=0.5,
                                                                     sigma=2.0),
                                                "beta[x1]": N}, ("beta_std",)),
    ("x1 + x2", "gompertz", ["a", "b"], {"ageing[b]": Prior("Normal", mu=0.2, sigma=0.3),
                                         "beta[x2]": N}, ("ageing", "beta")),
    ("x1 + x2 + (1 | g)", "rp", ["a", "b"], {"rp_slope[a]": Prior("LogNormal", mu=0.2,
                                                                   sigma=0.4)}, ("rp_slope",)),
    ("x1 + (1 | g)", "piecewise", ["a", "b"], {"beta[a:x1]": N}, ("beta",)),
]


@pytest.mark.parametrize(("formula", "family", "causes", "priors", "stacked"), CASES,
                         ids=[f"{c[1]}:{sorted(c[3])}" for c in CASES])
def test_kernel_equals_pymc_separate_priors(formula, family, causes, priors, stacked):
    options = {"n_intervals": 4} if family == "piecewise" else {}
    kplan = check_kernel(formula, family, causes, True, priors, options)
    assert {name for name, _ in kplan.stacked} == set(stacked)


def test_log_prior_of_separate_variables_equals_pymc():
    priors = {"intercept[a]": Prior("Normal", mu=-1.0, sigma=2.0), "beta[x1]": N,
              "shape[b]": Prior("Gamma", alpha=2.0, beta=1.5)}
    model, _, info, _ = coalsurv.SurvivalModel("x1 + x2", family="weibull", causes=["a", "b"],
                                               priors=priors).build(kernel_data(entry=True))
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    check_log_prior(model, kplan)


def test_separate_priors_fit_natively():
    """A tiny fit with a per-term and a per-cause prior runs on the kernel."""
    model = coalsurv.SurvivalModel("x1 + x2", family="weibull", causes=["a", "b"],
                                   priors={"beta[x1]": N, "shape[a]": Prior("LogNormal", mu=0.0,
                                                                            sigma=0.3)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(kernel_data(n=80), draws=200, tune=200, chains=2, random_seed=1,
                        progressbar=False)
    assert fit.sampler["kernel"] == "native" and fit.sampler["route"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert {"beta", "beta_a_x1", "shape", "shape_a"} <= set(post.data_vars)
    np.testing.assert_allclose(post["shape"].sel(cause="a"), post["shape_a"])
    np.testing.assert_allclose(post["beta"].sel(cause="b", term="x1"), post["beta_b_x1"])
