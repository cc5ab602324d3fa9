"""The rp spline on the fast row loop (``backend/kernel_fast_rp.py``) against the graph and kernel.

Every rp shape :func:`coalsurv.backend.native_fast.fast_reason` accepts (hazard and odds
scales, 0 to 3 internal knots, no frailty or one sampled non-centred or centred, delayed entry
or not, default and explicit priors) gives the PyMC graph's log density and gradient and the
generic kernel's log density, gradient and pointwise log likelihood at random points; outside
the spline's monotone region and past the hazard scale's soft cap the fast loop gives what the
generic kernel gives; what it does not implement keeps the generic kernel, with a reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel, kernel_fast, kernel_fast_rp, native, native_fast
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS_2, check_fast, interval_data, kernel_data

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
#: (formula, delayed entry, priors, family options)
CASES = [
    ("x1 + (1 | g)", True, None, NC),
    ("x1 + x2", False, None, {}),
    ("x1 + x2 + (1 | h)", True, PRIORS_2, {**CE, "k": 3}),
    ("1 + (1 | g)", False, None, {**CE, "k": 1}),
    ("x1 + (1 | h)", True, None, {"k": 0}),
    ("x2 + (1 | g)", True, {"rp_spline": Prior("Normal", mu=0.0, sigma=0.5)},
     {**NC, "scale": "odds"}),
    ("x1 + x2", False, None, {"scale": "odds", "k": 1}),
    ("x1 + (1 | h)", True, None, {**CE, "scale": "odds", "k": 3}),
]


def _plan(formula, *, entry=False, priors=None, options=None, data=None, **kwargs):
    data = kernel_data(entry=entry) if data is None else data
    model, _, info, _ = coalsurv.SurvivalModel(formula, family="rp", priors=priors,
                                               family_options=options or None,
                                               **kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


def _both(fb, buf, x):
    grad, generic = np.empty(x.size), np.empty(x.size)
    return (kernel_fast.fast_logp_grad(fb, x, grad), grad,
            kernel.logp_grad(buf, x, generic), generic)


@pytest.mark.parametrize(("formula", "entry", "priors", "options"), CASES,
                         ids=[f"{c[0]}:{'entry' if c[1] else 'noentry'}:{c[3]}" for c in CASES])
def test_fast_rp_equals_pymc_and_the_generic_kernel(formula, entry, priors, options):
    model, kplan, buf = _plan(formula, entry=entry, priors=priors, options=options)
    # outside the monotone region (the generic kernel not finite): the same value, redrawn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fb = check_fast(model, kplan, buf, seed=11, extremes="redraw", draws=4)
    odds = options.get("scale") == "odds"
    assert int(fb[2]) == (kernel_fast_rp.RP_ODDS if odds else kernel_fast_rp.RP_HAZARD)


@pytest.mark.parametrize("scale", ["hazard", "odds"])
def test_outside_the_monotone_region_the_same_as_the_generic_kernel(scale):
    """Where the spline falls, -inf or nan (a censored row's ``0 x log h``) as the generic."""
    _, kplan, buf = _plan("x1 + (1 | g)", entry=True, options={"scale": scale})
    fb = native_fast.fast_buffer(kplan, buf)
    rng = np.random.default_rng(5)
    seen = set()
    for _ in range(40):
        x = rng.normal(scale=4.0, size=kplan.ndim)
        value, grad, want, generic = _both(fb, buf, x)
        np.testing.assert_allclose(value, want, rtol=1e-9)  # equal nan and inf pass
        seen.add("nan" if np.isnan(want) else "-inf" if np.isinf(want) else "finite")
        if np.isfinite(want):  # far out (e^100): sums of that size, rounded alike
            np.testing.assert_allclose(grad, generic, rtol=1e-8,
                                       atol=1e-12 * np.abs(generic).max())
    assert {"nan", "finite"} <= seen, seen


def test_past_the_soft_cap_the_generic_rows():
    """A hazard-scale ``s`` above 600 (the soft cap) runs the generic kernel's rows exactly."""
    _, kplan, buf = _plan("x1 + (1 | g)", entry=True, options=NC)
    fb = native_fast.fast_buffer(kplan, buf)
    off = next(b.offset for b in kplan.blocks if b.name.startswith("intercept"))
    rng = np.random.default_rng(2)
    for _ in range(50):
        x = rng.normal(scale=0.3, size=kplan.ndim)
        x[off] = 605.0
        value, grad, want, generic = _both(fb, buf, x)
        if np.isfinite(want):
            break
    assert np.isfinite(want) and want < -1e200  # e^600 for some row
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad, generic, rtol=1e-9)


@pytest.mark.parametrize(("formula", "kwargs", "why"), [
    ("x1 + (1 | g)", {"causes": ["a", "b"]}, "several causes"),
    ("x1 + (1 | g) + (1 | h)", {}, "more than one frailty factor"),
    ("x1 + (1 | h)", {"strata": "g"}, "strata"),
    ("x1", {"cure": "x2"}, "cure"),
    ("x1 + (1 | g)", {"data": "interval"}, "interval censoring"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_other_rp_structures_keep_the_generic_kernel(formula, kwargs, why):
    kwargs = dict(kwargs)
    data = interval_data() if kwargs.pop("data", None) == "interval" else None
    if "cure" in kwargs:
        data = kernel_data(causes=("a",))
    _, kplan, buf = _plan(formula, data=data, **kwargs)
    reason = native_fast.fast_reason(kplan, buf)
    assert why in reason, reason
    assert native_fast.fast_buffer(kplan, buf) is None


def test_polynomial_log1p_equals_numpy():
    """The odds scale's ``log1p`` on ``[0, 1]`` (``e^-|s|``, kernel_fastmath's) equals NumPy's."""
    from coalsurv.backend import kernel_fastmath

    @kernel_fast_rp.njit
    def many(m, out):
        for i in range(m.size):
            out[i] = kernel_fastmath.flog1p(m[i])

    m = np.concatenate([np.linspace(0.0, 1.0, 200_001), np.geomspace(1e-300, 1.0, 20_001),
                        np.random.default_rng(4).uniform(size=50_000)])
    out = np.empty_like(m)
    many(m, out)
    want = np.log1p(m)
    np.testing.assert_array_equal(out[m == 0.0], 0.0)
    rel = np.abs(out - want)[m > 0] / want[m > 0]
    assert rel.max() < 1e-15, rel.max()
    edge = np.array([np.nan])
    many(edge, edge)
    assert np.isnan(edge[0])
