"""The AFT fast row loop's cure rows and mm() member blocks against the PyMC graph.

Mixture cure (logit, probit, cloglog) and promotion-time cure, with no cure covariate, numeric
ones or a factor (a few patterns), next to delayed entry, a frailty (non-centred, centred),
strata and shape covariates; mm() members (equal, share, power, logistic weights, with and
without ``sum_to_one``, fixed member effects, centred and on the intercept), also next to a
cure: each gives the graph's log density and gradient and the generic kernel's at random
points, the generic kernel's at extreme ones, and the generic kernel's pointwise log
likelihood (``backend/kernel_fast_aft.py``, ``kernel_fast_aft_cure.py``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coalsurv.backend import kernel, kernel_fast, native_fast
from tests.fit.kernel_check import check_fast
from tests.fit.test_kernel_fast_aft import CE, NC, TOL, _plan
from tests.fit.test_kernel_members import _members_data

#: (formula, family, delayed entry, family options, model options)
CURE_CASES = [
    ("x1 + (1 | g)", "lognormal", True, NC, {"cure": "x2", "cure_link": "probit"}),
    ("x1", "weibull_aft", False, None, {"cure": "x2", "cure_type": "promotion"}),
    ("x1 + (1 | g)", "loglogistic", True, CE, {"cure": "x1 + x2", "cure_link": "cloglog"}),
    ("x1 + (1 | h)", "weibull_aft", True, CE,
     {"cure": "1", "cure_link": "logit", "strata": "g", "shape": "x2"}),
    ("x1 + (1 | g)", "lognormal", True, None,
     {"cure": "g", "cure_type": "promotion", "shape": "x2"}),
    ("x1 + x2", "loglogistic", False, None, {"cure": "g", "cure_link": "logit", "strata": "h"}),
    ("x1 + (1 | g)", "weibull_aft", True, NC, {"cure": "h", "cure_link": "probit"}),
    ("x2 + (1 | h)", "loglogistic", True, NC, {"cure": "x1", "cure_type": "promotion"}),
]

#: (formula, family, model options)
MM_CASES = [
    ("z + mm(x)", "weibull_aft", {}),
    ("z + mm(1, weights='share')", "lognormal", {}),
    ("z + mm(x, weights='power') + (1 | g)", "lognormal", {}),
    ("z + mm(x, weights='logistic', sum_to_one=False)", "loglogistic", {}),
    ("z + mm(x, random=False)", "loglogistic", {"strata": "g"}),
    ("z + mm(x, weights='logistic', centring='centred') + (1 | g)", "weibull_aft", {}),
    ("z + mm(x, weights='power', centring='centred')", "lognormal", {"shape": "z"}),
    ("z + mm(x, weights='share', sum_to_one=False, centring='centred')", "weibull_aft",
     {"cure": "z", "cure_link": "probit"}),
    ("z + mm(x, weights='logistic')", "weibull_aft",
     {"cure": "g", "cure_type": "promotion"}),
]


def _check(model, kplan, buf, seed):
    check_fast(model, kplan, buf, seed=seed, extremes=(2.0, 2.0, 3.0, 3.0), draws=4,
               draws_scale=1.5, tol=dataclasses.replace(TOL, rows_scaled=True))


@pytest.mark.parametrize(("formula", "family", "entry", "options", "kwargs"), CURE_CASES,
                         ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:"
                              f"{'+'.join(f'{k}={v}' for k, v in c[4].items())}"
                              for c in CURE_CASES])
def test_aft_fast_cure_equals_pymc(formula, family, entry, options, kwargs):
    model, kplan, buf = _plan(formula, family, entry=entry, options=options, **kwargs)
    assert kplan.cure == kwargs.get("cure_type", "mixture")
    _check(model, kplan, buf, 21)


@pytest.mark.parametrize(("formula", "family", "kwargs"), MM_CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[2])}" for c in MM_CASES])
def test_aft_fast_members_equal_pymc(formula, family, kwargs):
    model, kplan, buf = _plan(formula, family, data=_members_data(causes=("a",)), **kwargs)
    assert kplan.mm_weights
    _check(model, kplan, buf, 22)


def test_priors_copy_reads_no_rows():
    """The fast buffer's generic copy has no rows and safe cure and member sections.

    Its first ``Z_cure`` value (a negative one here) would otherwise be read as the number of
    cure patterns, and the membership rows at offsets of ``n`` rows.
    """
    data = _members_data(causes=("a",))
    _, kplan, buf = _plan("z + mm(x, weights='power')", "weibull_aft", data=data, cure="z",
                          cure_link="logit")
    fb = native_fast.fast_buffer(kplan, buf)
    gen = fb[int(fb[1]):]
    grad = np.empty(kplan.ndim)
    x = np.random.default_rng(3).normal(size=kplan.ndim)
    value = kernel.logp_grad(gen, x, grad)  # the priors only
    full, rows = np.empty(kplan.ndim), np.zeros(kplan.ndim)
    total = kernel.logp_grad(buf, x, full)
    fast_rows = kernel_fast.fast_rows(fb, x, rows)
    np.testing.assert_allclose(value + fast_rows, total, rtol=1e-12)
    np.testing.assert_allclose(grad + rows, full, rtol=1e-10, atol=1e-10)


def test_cure_and_members_fit_on_the_fast_loop():
    """A tiny log-normal fit with a probit cure and power-weighted mm() runs the AFT loop."""
    import warnings

    import coalsurv

    model = coalsurv.SurvivalModel("z + mm(x, weights='power') + (1 | g)", family="lognormal",
                                   cure="z", cure_link="probit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(_members_data(causes=("a",)), draws=100, tune=100, chains=2,
                        random_seed=3, progressbar=False)
    post = fit.idata["posterior"]
    assert post.attrs["coalsurv_row_loop"] == "fast"
    assert fit.sampler["kernel"] == "native"
    assert {"cure_intercept", "cure_beta", "gamma"} <= set(post.data_vars), set(post.data_vars)
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"].values).all()
