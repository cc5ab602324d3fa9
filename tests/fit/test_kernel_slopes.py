"""The native kernel against the PyMC graph for varying slopes and nested frailties.

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for varying
slopes ``(x | g)`` (with and without the factor's intercept, several per factor, on several
factors) with every kind of family (PH, AFT on eta/sigma, Gompertz, piecewise, the rp spline),
causes, delayed entry, interval censoring, centred frailties, strata and cure, and for nested
frailties ``(1 | g/h)``; a tiny native fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from tests.fit.kernel_check import PRIORS, check_kernel, interval_data, kernel_data

#: (formula, family, causes, delayed entry, priors, family options, SurvivalModel keywords);
#: the slopes' names are read from the formula by _slopes()
CASES = [
    ("x1 + (1 + x1 | g)", "weibull", None, True, None, {}, {}),
    ("x1 + x2 + (0 + x2 | h)", "weibull", ["a", "b"], False, PRIORS, {}, {}),
    ("x1 + x2 + (1 + x1 + x2 | g) + (0 + x1 | h)", "lognormal", ["a", "b"], True, None, {}, {}),
    ("x1 + (1 + x1 | h)", "weibull_aft", None, True, None, {}, {}),
    ("x1 + x2 + (1 + x2 | g)", "gompertz", None, True, None, {}, {}),
    ("x1 + (1 + x1 | g)", "piecewise", ["a", "b"], True, None, {"n_intervals": 4}, {}),
    ("x1 + (1 + x1 | g)", "rp", None, True, None, {}, {}),
    ("x1 + (1 + x1 | g) + (1 | h)", "weibull", None, True, None,
     {"frailty_centring": "centred"}, {}),
    ("x1 + (1 + x1 | h)", "loglogistic", None, True, None, {}, {"strata": "g"}),
    ("x1 + (1 + x1 | g)", "weibull", None, True, None, {}, {"cure": "x2"}),
    # nested frailties: g and g:h (already native; the factor name g__h)
    ("x1 + (1 | g/h)", "weibull", ["a", "b"], True, None, {}, {}),
    ("x1 + (1 + x1 | g/h)", "exponential", None, False, None, {}, {}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "options",
                          "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[5])}:{sorted(c[6])}" for c in CASES])
def test_kernel_equals_pymc_slopes(formula, family, causes, entry, priors, options, kwargs):
    data = kernel_data(entry=entry, causes=("a",) if kwargs.get("cure") else ("a", "b"))
    kplan = check_kernel(formula, family, causes, entry, priors, options, data=data,
                         model_kwargs=kwargs, value_atol=1e-6 if kwargs else 0.0)
    assert [s[1] for s in kplan.slopes] == _slopes(formula)


def _slopes(formula):
    """``<g>_<x>`` of every varying slope of ``formula`` (nested ``g/h``: on g__h only)."""
    out = []
    for term in formula.split("(")[1:]:
        inside, factor = term.split(")")[0].split("|")
        factor = factor.strip().replace("/", "__")
        out += [f"{factor}_{x.strip()}" for x in inside.split("+") if x.strip() not in "01"]
    return out


def test_kernel_equals_pymc_slopes_interval_censored():
    kplan = check_kernel("x1 + x2 + (1 + x1 | g)", "weibull", None, True, None, {},
                         data=interval_data())
    assert [s[1] for s in kplan.slopes] == ["g_x1"]


def test_slopes_fit_natively():
    """A tiny fit with a varying slope runs on the kernel, the C-callback route."""
    model = coalsurv.SurvivalModel("x1 + (1 + x1 | g)", family="weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(kernel_data(causes=("a",), n=80), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native" and fit.sampler["route"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert {"sd_g_x1", "z_g_x1", "v_g_x1"} <= set(post.data_vars)
    assert post["v_g_x1"].dims[2:] == ("cause", "level_g")
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
