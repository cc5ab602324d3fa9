"""The native kernel against the PyMC graph for cure models (the reference).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for the
mixture cure with each link (logit, probit, cloglog) and the promotion-time cure, with and
without cure covariates, next to delayed entry, interval censoring, frailties, strata, shape
covariates and every kernel family (the piecewise baseline: ``test_kernel_piecewise.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import check_kernel, interval_data, kernel_data

#: (formula, family, cure formula, link, type, delayed entry, SurvivalModel keywords)
CASES = [
    ("x1", "weibull", "1", "logit", "mixture", False, {}),
    ("x1 + (1 | g)", "weibull", "x2", "logit", "mixture", True, {}),
    ("x1 + (1 | g)", "lognormal", "x2", "probit", "mixture", True, {}),
    ("x1", "loglogistic", "x1 + x2", "cloglog", "mixture", True, {}),
    ("x1 + (1 | h)", "exponential", "x2", None, "promotion", True, {}),
    ("x1", "weibull_aft", "x2", None, "promotion", False, {}),
    ("x1 + (1 | g)", "gompertz", "1", "cloglog", "mixture", True, {}),
    ("x1 + (1 | h)", "weibull", "x2", "logit", "mixture", True, {"strata": "g"}),
    ("x1", "weibull", "x2", None, "promotion", True, {"shape": "x1"}),
]


@pytest.mark.parametrize(("formula", "family", "cure", "link", "kind", "entry", "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:cure={c[2]}:{c[3]}:{c[4]}:{sorted(c[6])}"
                              for c in CASES])
def test_kernel_equals_pymc_cure(formula, family, cure, link, kind, entry, kwargs):
    priors = {"cure_intercept": Prior("Normal", mu=0.3, sigma=1.2)} if cure == "1" else None
    kplan = check_kernel(formula, family, None, entry, priors, {},
                         data=kernel_data(causes=("a",), entry=entry),
                         model_kwargs={"cure": cure, "cure_link": link, "cure_type": kind,
                                       **kwargs}, value_atol=1e-6)
    assert kplan.cure == kind and kplan.cure_link == (link or "logit")


@pytest.mark.parametrize(("family", "link", "kind"), [("weibull", "logit", "mixture"),
                                                      ("lognormal", "cloglog", "mixture"),
                                                      ("weibull", None, "promotion")])
def test_kernel_equals_pymc_interval_censored_cure(family, link, kind):
    data = interval_data(causes=("a",))
    kplan = check_kernel("x1 + (1 | g)", family, None, True, None, {}, data=data,
                         model_kwargs={"cure": "x2", "cure_link": link, "cure_type": kind})
    assert kplan.cure == kind


def test_cure_fits_natively():
    """A tiny mixture-cure fit (probit link) runs on the kernel."""
    model = coalsurv.SurvivalModel("x1 + (1 | g)", family="weibull", cure="x2",
                                   cure_link="probit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(kernel_data(causes=("a",), n=80), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert {"cure_intercept", "cure_beta"} <= set(post.data_vars)
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
