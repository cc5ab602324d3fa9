"""The specialised row loop (``backend/kernel_fast.py``) against the PyMC graph, and its choice.

Every model shape :func:`coalsurv.backend.native_fast.fast_reason` accepts (exponential,
Weibull PH, Gompertz; no frailty or one, sampled non-centred or centred on the intercept;
delayed entry or not; default, explicit and per-term priors) gives the graph's log density and
gradient at random points, and the generic kernel's pointwise log likelihood; the structures it
does not implement keep the generic kernel, with a reason; a tiny native fit records which loop
ran. The polynomial ``exp`` equals NumPy's to 1e-15.
"""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel_fast, native, native_fast
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS, PRIORS_2, check_fast, interval_data, kernel_data

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
#: (formula, family, delayed entry, priors, family options)
CASES = [
    ("x1 + x2", "weibull", False, None, None),
    ("x1 + (1 | g)", "weibull", True, None, NC),
    ("x1 + x2 + (1 | h)", "weibull_ph", True, PRIORS, CE),
    ("x1 + (1 | g)", "weibull", False, PRIORS_2, CE),
    ("x2", "exponential", True, {"intercept": Prior("Normal", mu=-1.0, sigma=2.0)}, None),
    ("x1 + (1 | h)", "exponential", False, None, NC),
    ("x1 + x2 + (1 | g)", "exponential", True, PRIORS_2, CE),
    ("x1 + x2 + (1 | g)", "weibull", True, {"beta[x1]": Prior("Normal", mu=0.3, sigma=3.0)},
     NC),
    ("1 + (1 | g)", "weibull", True, None, CE),
    ("x1 + x2", "gompertz", False, None, None),
    ("x1 + (1 | g)", "gompertz", True, {"ageing": Prior("Normal", mu=0.2, sigma=0.3)}, NC),
    ("x2 + (1 | h)", "gompertz", True, None, CE),
]


def _plan(formula, family, *, entry=False, priors=None, options=None, causes=None, data=None,
          **model_kwargs):
    data = kernel_data(entry=entry) if data is None else data
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, causes=causes,
                                               priors=priors, family_options=options,
                                               **model_kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


@pytest.mark.parametrize(("formula", "family", "entry", "priors", "options"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:"
                              f"{(c[4] or {}).get('frailty_centring', 'auto')}" for c in CASES])
def test_fast_loop_equals_pymc(formula, family, entry, priors, options):
    model, kplan, buf = _plan(formula, family, entry=entry, priors=priors, options=options)
    check_fast(model, kplan, buf, seed=11)


@pytest.mark.parametrize(("formula", "family", "kwargs", "why"), [
    ("x1 + (1 | g)", "weibull", {"causes": ["a", "b"]}, "several causes"),
    ("x1 + (1 | g) + (1 | h)", "weibull", {}, "more than one frailty factor"),
    ("x1 + (1 | g)", "gamma", {}, "family 'gamma'"),
    # piecewise: the cure / interval loop's (kernel_fast_end), which refuses two causes too
    ("x1 + (1 | g)", "piecewise", {"causes": ["a", "b"], "options": {"n_intervals": 3}},
     "several causes"),
    ("x1 + (1 | g)", "weibull", {"strata": "h"}, "strata"),
    ("x1", "weibull", {"shape": "x2"}, "shape covariates"),
    ("x1 + (x1 | g)", "weibull", {}, "varying slopes"),
    # cure and interval censoring: the cure / interval loop's (test_kernel_fast_end.py)
], ids=lambda v: v if isinstance(v, str) else None)
def test_other_structures_keep_the_generic_kernel(formula, family, kwargs, why):
    kwargs = dict(kwargs)
    if kwargs.get("data") == "interval":
        kwargs["data"] = interval_data()
    _, kplan, buf = _plan(formula, family, **kwargs)
    reason = native_fast.fast_reason(kplan, buf)
    assert why in reason, reason
    assert native_fast.fast_buffer(kplan, buf) is None


def test_the_switch_turns_the_fast_loop_off(monkeypatch):
    _, kplan, buf = _plan("x1 + (1 | g)", "weibull")
    assert native_fast.fast_buffer(kplan, buf) is not None
    monkeypatch.setattr(native_fast, "ENABLED", False)
    assert "switched off" in native_fast.fast_reason(kplan, buf)


def test_a_native_fit_records_the_row_loop(tiny_fit, synthetic_small):
    fast = tiny_fit(synthetic_small, "breadth + (1 | group)")
    assert fast.idata["posterior"].attrs["coalsurv_row_loop"] == "fast"
    piecewise = tiny_fit(synthetic_small, "breadth + (1 | group)", family="piecewise",
                         family_options={"n_intervals": 4})  # test_kernel's piecewise fit
    assert piecewise.idata["posterior"].attrs["coalsurv_row_loop"] == "fast"  # kernel_fast_end
    generic = tiny_fit(synthetic_small, "breadth + power_hhi + power_hhi_sq + (1 | group)",
                       causes=["dissolution", "goal_reached", "alliance"])  # test_effects' fit
    assert generic.idata["posterior"].attrs["coalsurv_row_loop"] == "generic"  # three causes


def test_polynomial_exp_equals_numpy():
    @kernel_fast.njit
    def many(x, out):
        for i in range(x.size):
            out[i] = kernel_fast.fexp(x[i])

    x = np.concatenate([np.linspace(-708.0, 709.0, 400_001),
                        np.random.default_rng(3).uniform(-40.0, 40.0, 100_000)])
    out = np.empty_like(x)
    many(x, out)
    rel = np.abs(out - np.exp(x)) / np.exp(x)
    assert rel.max() < 1e-15, rel.max()
    edge = np.array([709.5, 1e4, np.inf, -708.5, -1e4, -np.inf, np.nan])
    out = np.empty_like(edge)
    many(edge, out)
    np.testing.assert_array_equal(out[:6], [np.inf] * 3 + [0.0] * 3)
    assert np.isnan(out[6])
