"""When the piecewise-tve fast loop (:mod:`coalsurv.backend.kernel_fast_tve`) runs; its buffer.

:func:`tve_reason` accepts a plan of the exponential or Weibull PH family with ``tve()`` terms
when, beyond what every fast loop needs (:func:`coalsurv.backend.native_fast.shared_checks`
less its ``tve()`` item: one cause, exact and right-censored endings with or without delayed
entry, at most one frailty intercept, no ``mm()``, cure, spline, piecewise baseline, varying
slopes, spells or joint prior), the PH loop's own conditions hold (no strata, shape
covariates or per-baseline parameter) and every tve term is piecewise (``type="pw"``: each
row's bases are its cells' own, ``shared`` in :mod:`coalsurv.backend.kernel_tve`); smooth
terms keep the generic kernel. :func:`tve_buffer` expands the rows into (row, cell) segments
from the generic buffer's own arrays. :func:`coalsurv.backend.native_fast.fast_reason` and
``fast_buffer`` dispatch here for plans with tve terms.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K
from coalsurv.backend.native_fast_common import fill_common_head, frailty_levels
from coalsurv.backend.plan_types import KernelPlan
from coalsurv.families.kernels import KERNEL_FAMILIES

__all__ = ["TVE_FAST_FAMILIES", "tve_reason", "tve_buffer"]

#: Families of the tve fast loop, in the order of their codes (``TVE_CODES + position``).
TVE_FAST_FAMILIES = ("exponential", "weibull_ph")


def tve_reason(kplan: KernelPlan, buf: np.ndarray, checks: dict[str, bool]) -> str:
    """Empty when the tve fast loop implements this plan exactly; else why not.

    ``checks``: :func:`coalsurv.backend.native_fast.shared_checks` of the plan.
    """
    from coalsurv.backend.kernel_tve import tve_layout

    if kplan.family not in TVE_FAST_FAMILIES:
        return f"family {kplan.family!r} with tve() is not in the fast row loop"
    checks = {name: bad for name, bad in checks.items()
              if name not in ("tve()", "a buffer section the fast loop does not read")}
    e = K.ext_base(buf)
    checks.update({
        "strata": bool(kplan.strata),
        "shape covariates": bool(kplan.shape_terms),
        "an AFT parameter": bool(kplan.std),
        "a per-baseline parameter": bool(kplan.per_baseline),
        "a smooth tve() term (its rows' own bases)": int(tve_layout(buf)[11]) != 1,
        "a buffer section the tve fast loop does not read": bool(
            buf[K.H_K] or buf[K.H_MM_R] or buf[K.H_CURE] or buf[K.H_SPELLS]
            or buf[K.H_C] != 1 or buf[K.H_G] > 1 or buf[K.H_TVE] < 1
            or buf[e + K.E_SPLINE_DATA] >= 0 or buf[e + K.E_SLOPES] > 0
            or buf[K.H_FAM] != KERNEL_FAMILIES[kplan.family]
            or buf[K.H_S] or buf[K.H_Q] or buf[K.H_STD] or buf[K.H_THETA_S] != 1
            or buf[K.H_PER_BASELINE] == 1 or buf[K.H_OFF_SDEV] >= 0
            or (kplan.family != "exponential") != (buf[K.H_OFF_THETA] >= 0)),
    })
    found = [name for name, bad in checks.items() if bad]
    return f"not in the fast row loop: {', '.join(found)}" if found else ""


def _segments(log_bounds, c01, entry, log_t, log_entry):
    """Return each row's (row, cell) segments (module doc of ``kernel_fast_tve``).

    Row, cell, kind, log hi, log lo (0 without a lower bound), and whether it holds the exit.
    """
    c0, c1 = c01[0].astype(np.int64), c01[1].astype(np.int64)
    counts = c1 - c0 + 1
    row = np.repeat(np.arange(log_t.size), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    cell = c0[row] + np.arange(row.size) - first
    is_first, is_last = cell == c0[row], cell == c1[row]
    late = entry[row] > 0.0  # delayed entry: the first cell starts at the entry
    lb = np.concatenate([log_bounds, [0.0]])  # (cell nb, the open one, has no upper bound)
    lb_lo = np.concatenate([[0.0], log_bounds])  # cell c's lower bound (cell 0: none)
    log_hi = np.where(is_last, log_t[row], lb[cell])
    lower = ~is_first | late
    log_lo = np.where(lower, np.where(is_first, log_entry[row], lb_lo[cell]), 0.0)
    kind = np.where(~is_last & ~(is_first & late), 0, np.where(lower, 1, 2))
    return row, cell, kind, log_hi, log_lo, is_last


def tve_buffer(kplan: KernelPlan, buf: np.ndarray) -> np.ndarray:
    """Pack the tve fast loop's buffer (:mod:`~coalsurv.backend.kernel_fast_tve`).

    Call only when :func:`tve_reason` is empty.
    """
    from coalsurv.backend.kernel_fast_tve import TV_HEAD, TVE_CODES
    from coalsurv.backend.kernel_tve import tve_layout

    (n, _, P, G, centre, X, t, log_t, entry, log_entry, event, idx, *_) = K.layout(buf)
    T, nb, jm, _, log_bounds, _, c01, xt, t_centre, cell, _, _ = tve_layout(buf)
    nc = nb + 1
    ev = np.asarray(event[0], dtype=float)
    X = np.asarray(X, dtype=float).reshape(n, P)
    xt = np.asarray(xt, dtype=float).reshape(n, T)
    log_bounds = np.asarray(log_bounds, dtype=float)
    level, L = frailty_levels(buf, n, G, idx)
    by_level = np.argsort(level, kind="stable")  # the rows sorted by level
    pos = np.empty(n, np.int64)
    pos[by_level] = np.arange(n)
    lev_start = np.searchsorted(level[by_level], np.arange(L + 1), side="left").astype(float)
    row, sc, kind, log_hi, log_lo, last = _segments(
        log_bounds, np.asarray(c01), np.asarray(entry, dtype=float),
        np.asarray(log_t, dtype=float), np.asarray(log_entry, dtype=float))
    order = np.lexsort((pos[row], kind, sc))  # by cell, kind, row
    row, sc, kind, log_hi, log_lo, last = (v[order] for v in (row, sc, kind, log_hi, log_lo,
                                                               last))
    S = row.size
    start = np.searchsorted(sc, np.arange(nc + 1), side="left")
    ends = np.stack([start[:-1] + np.bincount(sc, weights=kind == 0, minlength=nc)[:nc],
                     start[:-1] + np.bincount(sc, weights=kind <= 1, minlength=nc)[:nc]])
    ev_seg = np.where(last, ev[row], 0.0)
    e_cell = np.zeros((T, nc))
    for q in range(T):
        e_cell[q] = np.bincount(sc, weights=ev_seg * xt[row, q], minlength=nc)[:nc]
    head = np.zeros(TV_HEAD)
    head[2] = TVE_CODES + TVE_FAST_FAMILIES.index(kplan.family)
    fill_common_head(head, buf, n=n, P=P, L=L, G=G, centre=centre)
    head[13] = ev.sum()
    head[14] = float(ev @ np.asarray(log_t, dtype=float))
    head[15] = float((np.asarray(entry) > 0.0).any())
    head[16], head[17], head[18], head[19] = S, T, nc, jm
    s_dx = ev @ X if P else np.zeros(0)
    d_lev = np.bincount(level, weights=ev, minlength=L)[:L]
    gen = np.array(buf, dtype=float)
    gen[K.H_N] = 0  # no rows: the generic kernel adds the priors only
    parts = [head, s_dx, d_lev, e_cell.ravel(), lev_start, level[by_level].astype(float),
             by_level.astype(float), X[by_level].T.ravel(), start.astype(float),
             ends.ravel().astype(float), pos[row].astype(float), xt[row].T.ravel(), log_hi,
             log_lo, ev_seg, np.concatenate([log_bounds, [0.0]]),
             np.asarray(t_centre, dtype=float).ravel(), np.asarray(cell, dtype=float).ravel(),
             gen]
    fb = np.concatenate(parts)
    fb[0] = fb.size
    fb[1] = fb.size - gen.size
    return np.ascontiguousarray(fb)
