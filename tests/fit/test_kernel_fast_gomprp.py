"""The PH and rp fast loops' rows in blocks across the levels, at extreme points.

The Gompertz, rp, Weibull and exponential loops run their rows in blocks of up to ``BLOCK``
rows whatever their frailty level (the level sums afterwards, ``kernel_fast_base.level_sums``;
rp, Weibull, exponential: runs of delayed-entry and plain rows, ``kernel_fast_base.entry_runs``),
and the Gompertz rows divide by ``gamma`` once per evaluation (``kernel_fast._gompertz_h``).
Checked against the generic kernel (value, gradient, pointwise) on data with many levels and
more rows than a block, delayed entry on some rows, and against the PyMC graph where the
Gompertz ageing sits near 0 (at the series' switches), is negative, or meets long times; the
generic kernel's priors pass without rows (``kernel._logp_core`` skips ``row_terms`` at
``H_N = 0``) adds exactly the priors.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel, native, native_fast
from tests.fit.kernel_check import (
    FastTol,
    check_fast,
    fast_point,
    fast_rows,
    kernel_frame,
    reference,
)

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}


def _data(*, n, entry, levels=37, seed=8, long=False):
    """``n`` episodes, a factor ``g`` of ``levels`` levels; ``long``: times up to 3,000."""
    df = kernel_frame(n=n, seed=seed, causes=("a",), entry=entry)
    rng = np.random.default_rng(seed)
    df["g"] = rng.choice([f"l{j}" for j in range(levels)], size=n)
    if long:
        df["duration"] = df["duration"] * 100.0
        if entry:
            df["entry"] = np.where(df["entry"] > 0, df["duration"] * 0.4, 0.0)
    return coalsurv.CoalitionData.from_frame(
        df, duration="duration", event="ended", covariates=["x1", "x2"], groups=["g", "h"],
        entry="entry" if entry else None, time_unit="months")


def _plan(family, data, options=None):
    model, _, info, _ = coalsurv.SurvivalModel("x1 + x2 + (1 | g)", family=family,
                                               family_options=options).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    assert native_fast.fast_reason(kplan, buf) == ""
    return model, kplan, buf, native_fast.fast_buffer(kplan, buf)


#: many rows: sums in other orders (gradient atol scaled by its largest element)
TOL = FastTol(value=1e-10, grad=1e-8, grad_atol=1e-9, grad_scaled=True, graph_scaled=True,
              rows=1e-11)


@pytest.mark.parametrize(("family", "entry", "options"), [
    ("gompertz", True, NC), ("gompertz", False, CE), ("rp", True, NC), ("rp", False, CE),
    ("rp", True, {**CE, "scale": "odds"}), ("rp", False, {**NC, "scale": "odds", "k": 1}),
    ("weibull", True, NC), ("weibull", False, CE), ("exponential", True, CE),
    ("exponential", False, NC),
], ids=lambda v: v if isinstance(v, str) else None)
def test_many_levels_and_blocks_equal_the_generic_kernel(family, entry, options):
    """600 rows in 37 levels (blocks cross levels; entry and plain runs) as the generic."""
    model, kplan, buf, _ = _plan(family, _data(n=600, entry=entry), options)
    check_fast(model, kplan, buf, seed=3, scale=0.4, draws=2, graph=False, tol=TOL)


def test_the_runs_of_delayed_entry_and_plain_rows():
    """Entry rows of each level first; plain rows of consecutive levels merge into one run."""
    from coalsurv.backend.kernel_fast_base import entry_runs as _runs

    start = np.array([0.0, 5.0, 9.0, 12.0, 20.0])
    mid = np.array([2.0, 5.0, 9.0, 15.0])  # levels 1 and 2 without delayed entry
    np.testing.assert_array_equal(_runs(start, mid),
                                  [[0, 2, 1], [2, 12, 0], [12, 15, 1], [15, 20, 0]])
    np.testing.assert_array_equal(_runs(start, start[:-1]), [[0, 20, 0]])
    np.testing.assert_array_equal(_runs(start, start[1:]),
                                  [[0, 5, 1], [5, 9, 1], [9, 12, 1], [12, 20, 1]])


@functools.cache
def _gompertz_long(entry):
    """The long-times Gompertz model, its buffers and graph reference (built once per case)."""
    model, kplan, buf, fb = _plan("gompertz", _data(n=60, entry=entry, levels=5, long=True),
                                  NC)
    return model, kplan, buf, fb, reference(model)


#: (ageing, intercept): at intercept -7, gamma t spans 1e-3 .. 3 x ageing over the rows
AGEING = [(0.0, -7.0), (3e-8, -7.0), (-2e-6, -7.0), (4e-5, -7.0), (-4e-4, -7.0),
          (2.5e-3, -7.0), (-0.7, -7.0), (0.9, -7.0), (-3.0, -7.0), (0.5, -4.0), (-2.0, -2.0)]


@pytest.mark.parametrize(("ageing", "intercept"), AGEING)
@pytest.mark.parametrize("entry", [True, False])
def test_gompertz_ageing_near_zero_negative_and_long_times(ageing, intercept, entry):
    """Ageing at 0, across both series' switches, negative (a cured share), long times.

    The last two: ``gamma t`` up to ~27 (``e^27`` per row) and down to ~-800 (``e^x``
    underflows: ``H0 = 1 / |gamma|``).
    """
    model, kplan, buf, fb, ref = _gompertz_long(entry)
    off = int(fb[8])  # the sampled ageing (gamma = ageing e^intercept)
    off_int = int(fb[6])
    rng = np.random.default_rng(6)
    for scale in (0.05, 0.4):
        x = rng.normal(scale=scale, size=kplan.ndim)
        x[off_int] = intercept - float(fb[12])  # fb[12]: the intercept's centre
        x[off] = ageing
        fast_point(fb, buf, x, tol=TOL, kplan=kplan, ref=ref)
    fast_rows(fb, buf, x[None, :], tol=TOL)


@pytest.mark.parametrize("family", ["gompertz", "rp"])
def test_the_priors_pass_without_rows_adds_the_priors_only(family):
    """The fast buffer's generic copy (no rows): the generic kernel less its rows' terms."""
    from coalsurv.backend.kernel_rows import row_terms

    _, kplan, buf, fb = _plan(family, _data(n=60, entry=True, levels=5), NC)
    g0 = int(fb[1])
    gen = fb[g0:g0 + int(fb[g0])] if family == "gompertz" else fb[g0:]
    assert gen[2] == 0  # H_N
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(scale=0.5, size=kplan.ndim)
        prior, whole, rows = np.empty(kplan.ndim), np.empty(kplan.ndim), np.zeros(kplan.ndim)
        value = kernel.logp_grad(gen, x, prior)
        want = kernel.logp_grad(buf, x, whole) - row_terms(buf, x, rows, True, np.zeros(0))
        np.testing.assert_allclose(value, want, rtol=1e-12)
        np.testing.assert_allclose(prior, whole - rows, rtol=1e-10, atol=1e-12)
