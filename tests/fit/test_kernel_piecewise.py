"""The native kernel against the PyMC graph: the piecewise baseline's interval censoring and cure.

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for the
piecewise-exponential baseline with interval-censored endings (upper bounds in every
interval, beyond the last cut, with delayed entry and frailties) and with cure (mixture with
each link, promotion time; with and without interval censoring); a tiny native fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from tests.fit.kernel_check import check_kernel, interval_data, kernel_data

#: (formula, family options, cure formula or None, link, cure type, interval-censored data)
CASES = [
    ("x1 + (1 | g)", {"n_intervals": 4}, None, None, None, True),
    ("x1 + x2 + (1 | g) + (1 | h)", {"n_intervals": 6, "frailty_centring": "centred"}, None,
     None, None, True),
    ("x2", {"n_intervals": 1}, None, None, None, True),
    ("x1 + (1 | g)", {"n_intervals": 4}, "x2", "logit", "mixture", False),
    ("x1", {"n_intervals": 3}, "1", "probit", "mixture", False),
    ("x1 + (1 | h)", {"n_intervals": 5}, "x1 + x2", "cloglog", "mixture", True),
    ("x1 + (1 | g)", {"n_intervals": 4}, "x2", None, "promotion", False),
    ("x2", {"n_intervals": 3}, "x1", None, "promotion", True),
]


@pytest.mark.parametrize(("formula", "options", "cure", "link", "kind", "interval"), CASES,
                         ids=[f"{c[0]}:{c[1]}:cure={c[2]}:{c[3]}:{c[4]}:interval={c[5]}"
                              for c in CASES])
def test_kernel_equals_pymc_piecewise(formula, options, cure, link, kind, interval):
    data = interval_data(causes=("a",)) if interval else kernel_data(causes=("a",), entry=True)
    kwargs = {"cure": cure, "cure_link": link, "cure_type": kind} if cure else {}
    kplan = check_kernel(formula, "piecewise", None, True, None, options, data=data,
                         model_kwargs=kwargs)
    assert kplan.cuts is not None and kplan.cure == (kind or "")


def test_piecewise_interval_and_cure_fit_natively():
    """A tiny piecewise mixture-cure fit with interval-censored endings runs on the kernel."""
    model = coalsurv.SurvivalModel("x1", family="piecewise", cure="x2",
                                   family_options={"n_intervals": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(interval_data(causes=("a",), n=80), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native" and fit.sampler["route"] == "native", fit.sampler
    assert {"cure_intercept", "cure_beta", "log_baseline_dev"} <= set(fit.idata["posterior"])
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
