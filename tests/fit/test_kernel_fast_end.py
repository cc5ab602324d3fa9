"""The cure / interval fast row loop (``backend/kernel_fast_end.py``) against the PyMC graph.

Every shape :func:`coalsurv.backend.native_fast_end.end_reason` accepts (exponential, Weibull
PH, Gompertz, piecewise; mixture cure with each link, promotion-time cure, cure covariates;
interval, exact and right-censored endings, delayed entry; no frailty or one in each mode;
the piecewise baseline without cure or intervals too) gives the graph's log density and
gradient and the generic kernel's value, gradient and pointwise log likelihood at random
points, and so do 1200 rows of every ending kind mixed (several blocks of a kind); the
extremes (cure fraction near 0 and 1, near-equal bounds, a lower bound of 0, an infinite
upper bound) equal the generic kernel; what it does not implement keeps the generic kernel
with a reason; a tiny fit records the loop and gives the same draws again with the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.backend import native, native_fast, native_fast_end
from coalsurv.backend.kernel_fast_end import fomexp
from tests.fit.kernel_check import (
    FastTol,
    check_fast,
    fast_point,
    fast_rows,
    interval_data,
    kernel_data,
)


@pytest.fixture(autouse=True)
def _end_loop_on(monkeypatch):
    """The loop on (native_fast_end.ENABLED), whatever an earlier test left."""
    monkeypatch.setattr(native_fast_end, "ENABLED", True)


NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
#: (formula, family, cure formula, link, cure type, interval data, family options)
CASES = [
    ("x1 + (1 | g)", "weibull", "x2", "logit", "mixture", False, None),
    ("x1 + x2 + (1 | g)", "weibull", "g", "probit", "mixture", False, CE),
    ("x1 + (1 | h)", "weibull", "1", "cloglog", "mixture", True, NC),
    ("x1 + (1 | g)", "weibull", "x2", None, "promotion", False, NC),
    ("x2 + (1 | g)", "weibull", "h", None, "promotion", True, CE),
    ("x1 + (1 | g)", "weibull", None, None, None, True, None),
    ("x1 + x2 + (1 | h)", "weibull", None, None, None, True, CE),
    ("x1", "exponential", "x2", "logit", "mixture", True, None),
    ("x1 + (1 | g)", "exponential", "g", None, "promotion", False, NC),
    ("x2 + (1 | g)", "exponential", None, None, None, True, NC),
    ("x1 + (1 | g)", "gompertz", "x2", "probit", "mixture", False, None),
    ("x1 + (1 | h)", "gompertz", None, None, None, True, CE),
    ("x1", "gompertz", "g", None, "promotion", True, None),
    ("x1 + (1 | g)", "piecewise", "x2", "logit", "mixture", False, {"n_intervals": 3}),
    ("x1 + (1 | g)", "piecewise", "g", None, "promotion", True, {"n_intervals": 4, **NC}),
    ("x1 + (1 | h)", "piecewise", None, None, None, True, {"n_intervals": 3, **CE}),
    ("x2 + (1 | g)", "piecewise", "x1", "cloglog", "mixture", True, {"n_intervals": 2}),
    # the plain piecewise baseline (exact and right-censored endings, delayed entry)
    ("x1 + x2 + (1 | g)", "piecewise", None, None, None, False, {"n_intervals": 3}),
    ("x1 + (1 | h)", "piecewise", None, None, None, False, {"n_intervals": 4, **CE}),
]


def _plan(formula, family, data, cure, link, kind, options):
    kwargs = {"cure": cure, "cure_link": link, "cure_type": kind} if cure else {}
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, family_options=options,
                                               **kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


#: the end loop's tolerances
TOL = FastTol(grad_atol=1e-9, rows=1e-10, rows_atol=1e-11)


def _against_generic(buf, fb, xs, tol=TOL):
    """Value, gradient and pointwise rows of the fast loop equal the generic kernel's."""
    for x in xs:
        fast_point(fb, buf, x, tol=tol)
    fast_rows(fb, buf, xs, tol=tol)


@pytest.mark.parametrize(("formula", "family", "cure", "link", "kind", "interval", "options"),
                         CASES, ids=[f"{c[1]}:{c[0]}:cure={c[2]}:{c[3]}:{c[4]}:int={c[5]}:"
                                     f"{(c[6] or {}).get('frailty_centring', 'auto')}"
                                     for c in CASES])
def test_end_loop_equals_pymc(formula, family, cure, link, kind, interval, options):
    data = interval_data(causes=("a",)) if interval else kernel_data(causes=("a",), entry=True)
    model, kplan, buf = _plan(formula, family, data, cure, link, kind, options)
    fb = check_fast(model, kplan, buf, seed=11, draws=None, tol=TOL)
    assert int(fb[2]) >= 30


def _extreme_data(lower=None):
    """Interval rows with near-equal bounds and rows with the lower bound ``lower`` (or wide)."""
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["p", "q", "r"], n), "h": rng.choice(["u", "v"], n)})
    t = rng.gamma(2.0, 3.0, n)
    kind = np.arange(n) % 4  # 0 exact, 1 censored, 2 near-equal bounds, 3 a small lower bound
    ended = np.where(kind == 1, "censored", "a")
    lo = np.where(kind == 2, t, np.where(kind == 3, t * 0.1 if lower is None else lower, np.nan))
    up = np.where(kind == 2, t * (1.0 + 1e-7), np.where(kind == 3, t * 30.0, np.nan))
    df["duration"] = np.where(kind >= 2, np.nan, t)
    df["ended"], df["lo"], df["up"] = ended, lo, up
    return coalsurv.CoalitionData.from_frame(
        df, duration="duration", event="ended", lower="lo", upper="up", covariates=["x1", "x2"],
        groups=["g", "h"], time_unit="months")


@pytest.mark.parametrize(("family", "cure", "link", "kind"), [
    ("weibull", "x2", "logit", "mixture"), ("weibull", "x2", "cloglog", "mixture"),
    ("weibull", "x2", None, "promotion"), ("exponential", None, None, None),
    ("gompertz", "x2", "probit", "mixture")])
@pytest.mark.parametrize("lower", [None, 1e-12])
def test_end_loop_extremes_equal_the_generic_kernel(family, cure, link, kind, lower):
    _, kplan, buf = _plan("x1 + (1 | g)", family, _extreme_data(lower), cure, link, kind, NC)
    assert native_fast.fast_reason(kplan, buf) == ""
    fb = native_fast.fast_buffer(kplan, buf)
    rng = np.random.default_rng(5)
    xs = []
    for shift in (-12.0, -4.0, 0.0, 4.0, 12.0):  # the cure fraction from ~0 to ~1
        x = rng.normal(scale=0.5, size=kplan.ndim)
        if kplan.cure:
            x[kplan.block("cure_intercept").offset] = shift
        xs.append(x)
    # near-equal bounds (dH / H ~ 1e-7): H(u) - H(l) cancels in both forms (~eps 1e7 relative
    # in log dH), and the generic d/d eta is a difference of weights ~1e7
    _against_generic(buf, fb, xs, FastTol(value=1e-9, grad=1e-6, grad_atol=1e-9, rows=1e-8,
                                          rows_atol=1e-11))


@pytest.mark.parametrize(("formula", "family", "cure", "link", "kind", "options"), [
    ("x1 + x2 + (1 | g)", "piecewise", None, None, None, {"n_intervals": 5, **NC}),
    ("x1 + (1 | h)", "piecewise", "x2", "logit", "mixture", {"n_intervals": 3, **CE}),
    ("x1 + (1 | g)", "weibull", None, None, None, None),
    ("x2 + (1 | h)", "weibull", "g", None, "promotion", NC),
    ("x1 + (1 | g)", "gompertz", "x2", "probit", "mixture", CE),
    ("x1 + x2", "exponential", None, None, None, None),
], ids=lambda v: v if isinstance(v, str) else None)
@pytest.mark.parametrize("interval", [True, False])
def test_many_rows_in_blocks_of_each_kind_equal_the_generic_kernel(
        formula, family, cure, link, kind, options, interval):
    """Rows of every ending kind mixed, delayed entry, 1200 rows: several blocks of a kind."""
    data = (interval_data(causes=("a",), n=1200, seed=8) if interval
            else kernel_data(causes=("a",), entry=True, n=1200, seed=9))
    _, kplan, buf = _plan(formula, family, data, cure, link, kind, options)
    assert native_fast.fast_reason(kplan, buf) == ""
    fb = native_fast.fast_buffer(kplan, buf)
    if not (interval or cure or family == "piecewise"):  # the PH loop's (kernel_fast)
        assert int(fb[2]) < 30
    else:  # the block table: one pattern, kind and entry state each, BLOCK rows at most
        assert int(fb[2]) >= 30 and int(fb[23]) > (4 if interval else 3)
    rng = np.random.default_rng(17)
    xs = [rng.normal(scale=s, size=kplan.ndim) for s in (0.1, 0.3, 0.6)]
    _against_generic(buf, fb, xs)


def test_a_lower_bound_of_zero_never_reaches_the_kernel():
    model, _, info, _ = coalsurv.SurvivalModel("x1", family="weibull", cure="x2").build(
        _extreme_data(0.0))
    kplan, reason = native.plan(model, info, {})
    assert kplan is None and "at or below zero" in reason


def test_fomexp_equals_numpy():
    x = np.concatenate([[0.0, 1e-300, 1e-17, 1e-9], np.geomspace(1e-8, 700.0, 2000), [np.inf]])
    got = np.array([fomexp(v) for v in x])
    np.testing.assert_allclose(got, -np.expm1(-x), rtol=1e-15, atol=0.0)


def test_aft_cure_models_take_the_aft_loop():
    """An AFT family's cure is the AFT fast loop's (kernel_fast_aft), not this loop's."""
    from coalsurv.backend.kernel_fast_aft import AFT_CODES
    from coalsurv.backend.kernel_fast_end import END_CODES

    data = kernel_data(causes=("a",), entry=True)
    model, _, info, _ = coalsurv.SurvivalModel("x1 + (1 | g)", family="lognormal",
                                               cure="x2").build(data)
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    fb = native_fast.fast_buffer(kplan, native.make_buffer(kplan, model))
    assert AFT_CODES <= fb[2] < END_CODES


@pytest.mark.parametrize(("formula", "family", "kwargs", "why"), [
    ("x1 + (1 | g) + (1 | h)", "weibull", {"cure": "x2"}, "more than one frailty factor"),
    ("x1 + (1 | g)", "weibull", {"cure": "x2", "strata": "h"}, "strata"),
])
def test_other_cure_models_keep_the_generic_kernel(formula, family, kwargs, why):
    data = kernel_data(causes=("a",), entry=True)
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, **kwargs).build(data)
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    assert why in native_fast.fast_reason(kplan, buf)
    assert native_fast.fast_buffer(kplan, buf) is None


def test_a_cure_fit_names_the_fast_loop():
    data = kernel_data(causes=("a",), entry=True)
    _, kplan, buf = _plan("x1 + (1 | g)", "weibull", data, "x2", None, None, None)
    assert native_fast.fast_buffer(kplan, buf)[2] == 31  # kernel_fast_end's Weibull PH
    fit = coalsurv.SurvivalModel("x1 + (1 | g)", family="weibull", cure="x2").fit(
        data, draws=30, tune=30, chains=1, random_seed=2, progressbar=False)
    assert fit.sampler["kernel"] == "native"
    assert fit.idata["posterior"].attrs["coalsurv_row_loop"] == "fast"
    again = coalsurv.SurvivalModel("x1 + (1 | g)", family="weibull", cure="x2").fit(
        data, draws=30, tune=30, chains=1, random_seed=2, progressbar=False)
    np.testing.assert_array_equal(again.idata["posterior"]["beta"],
                                  fit.idata["posterior"]["beta"])  # same seed, same draws


def test_end_loop_functions_state_their_fastmath_flags():
    """Every non-inlined numba function of the end loop's modules sets ``fastmath`` itself.

    numba compiles a callee that does not with its first caller's flags (the fast loops'
    ``{"reassoc", "contract"}``): the blocks take those flags on purpose, the rest ``False``.
    """
    import numba

    from coalsurv.backend import kernel_fast_end as ke
    from coalsurv.backend import kernel_fast_end_rows as kr

    found = {f"{m.__name__}.{n}": f for m in (ke, kr) for n in dir(m)
             if isinstance(f := getattr(m, n), numba.core.registry.CPUDispatcher)
             and f.__module__ == m.__name__}
    assert {"coalsurv.backend.kernel_fast_end._end_block",
            "coalsurv.backend.kernel_fast_end_rows.gompertz_h"} <= set(found)
    loose = [n for n, f in found.items()
             if f.targetoptions.get("inline") != "always" and "fastmath" not in f.targetoptions]
    assert not loose, f"end-loop functions without an explicit fastmath flag: {loose}"
