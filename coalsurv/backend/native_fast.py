"""When the specialised row loop (:mod:`coalsurv.backend.kernel_fast`) runs, and its buffer.

:func:`fast_reason` accepts an accepted :class:`~coalsurv.backend.plan_types.KernelPlan` and
its generic buffer only when the model is exactly the fast loop's shape: the exponential,
Weibull PH or Gompertz family, one cause, exact and right-censored endings (delayed entry
allowed), at most one frailty intercept (non-centred, centred, or centred on the intercept),
fixed effects, ``mm()`` member blocks (not with rp), spells under these three families
(spell mode 1: spell rows with delayed entry, :mod:`coalsurv.backend.kernel_spells`; the
pointwise log likelihood summed per episode), and nothing else (no strata, shape
covariates, cure, ``tve()``, spline, piecewise baseline, varying slopes, other spells,
interval censoring). The Weibull AFT,
log-logistic and log-normal go to :mod:`coalsurv.backend.native_fast_aft` (strata and shape
covariates allowed there); :func:`shared_checks` is what both refuse. Everything else keeps
the generic kernel. Per-cause or per-term priors are allowed: the priors are the generic
kernel's. The Royston-Parmar spline (``rp``, hazard and odds scales) runs in the PH loop's
shape through :mod:`coalsurv.backend.native_fast_rp` (its extra checks and buffer section) and
:mod:`coalsurv.backend.kernel_fast_rp`.

:func:`fast_buffer` packs the fast buffer from the generic one (the same numbers, rows sorted by
level, delayed-entry rows first within a level). :data:`ENABLED` switches the fast loop off for
side-by-side measurements (``benchmarks/scale.py --generic``); it is not a user option.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K
from coalsurv.backend.kernel_fast_base import F_HEAD, MEMBER_COPY_CODES
from coalsurv.backend.native_fast_aft import AFT_FAST_FAMILIES, aft_buffer, aft_reason
from coalsurv.backend.native_fast_common import (
    fill_common_head,
    frailty_levels,
    mm_copy,
    mm_fast_section,
)
from coalsurv.backend.native_fast_end import end_buffer, end_reason, wants_end
from coalsurv.backend.native_fast_rp import rp_reasons, rp_section
from coalsurv.backend.native_fast_tve import tve_buffer, tve_reason
from coalsurv.backend.plan_types import KernelPlan
from coalsurv.families.kernels import KERNEL_FAMILIES

__all__ = ["ENABLED", "FAST_FAMILIES", "shared_checks", "fast_reason", "fast_buffer"]

#: Families the fast loop implements -> its family code.
FAST_FAMILIES = {"exponential": 0, "weibull_ph": 1, "gompertz": 2}

#: False: every model uses the generic kernel (for measurements).
ENABLED = True


def shared_checks(kplan: KernelPlan, buf: np.ndarray, *, mm_ok: bool = False,
                  spells_ok: bool = False) -> dict[str, bool]:
    """Return what no fast row loop implements: each name whose value is True is a reason.

    ``mm_ok``: the caller's loop implements ``mm()`` member blocks (the PH loop,
    :func:`coalsurv.backend.kernel_fast_base.mm_setup`); otherwise ``mm()`` is a reason.
    ``spells_ok``: the caller's loop implements spells as rows with delayed entry, summed
    into their episode's pointwise value (the PH loop, spell mode 1); otherwise spells are.
    """
    e = K.ext_base(buf)
    return {
        "several causes": kplan.causes != 1,
        "more than one frailty factor": len(kplan.groups) > 1,
        "mm()": bool(kplan.mm_weights) and not mm_ok,
        "cure": bool(kplan.cure),
        "tve()": bool(kplan.tve),
        "a spline baseline": kplan.spline_knots is not None and kplan.family != "rp",
        "a piecewise baseline": kplan.cuts is not None,
        "varying slopes": bool(kplan.slopes),
        "time-varying covariates": bool(kplan.spells) and not spells_ok,
        "interval censoring": buf[K.H_INTERVAL] != 0,
        "a joint prior": kplan.joint is not None,
        # the generic buffer's header must say the same (no section a fast loop would ignore)
        "a buffer section the fast loop does not read": bool(
            buf[K.H_K] or (buf[K.H_MM_R] and not mm_ok) or buf[K.H_CURE] or buf[K.H_TVE]
            or (buf[K.H_SPELLS] and not spells_ok)
            or buf[K.H_C] != 1 or buf[K.H_G] > 1
            or (buf[e + K.E_SPLINE_DATA] >= 0) != (kplan.family == "rp")
            or buf[e + K.E_SLOPES] > 0 or buf[K.H_FAM] != KERNEL_FAMILIES[kplan.family]),
    }


def fast_reason(kplan: KernelPlan, buf: np.ndarray) -> str:
    """Empty when a fast loop implements this plan exactly; else why not."""
    if not ENABLED:
        return "the fast row loop is switched off (native_fast.ENABLED)"
    if kplan.tve:  # piecewise tve() terms: native_fast_tve
        return tve_reason(kplan, buf, shared_checks(kplan, buf))
    if wants_end(kplan, buf):  # cure, interval endings or piecewise: native_fast_end
        return end_reason(kplan, buf, shared_checks(kplan, buf))
    if kplan.family in AFT_FAST_FAMILIES:  # the location-scale families: native_fast_aft
        return aft_reason(kplan, buf, shared_checks(kplan, buf))
    if kplan.family not in FAST_FAMILIES and kplan.family != "rp":  # rp: native_fast_rp
        return f"family {kplan.family!r} is not in the fast row loop"
    # spells under PH (mode 1) are rows with delayed entry: the PH loop's (not rp's)
    spells_ok = kplan.spells == 1 and kplan.family in FAST_FAMILIES
    checks = shared_checks(kplan, buf, mm_ok=kplan.family != "rp", spells_ok=spells_ok)
    checks.update({
        "strata": bool(kplan.strata),
        "shape covariates": bool(kplan.shape_terms),
        "an AFT parameter": bool(kplan.std),
        "a per-baseline parameter other than the Gompertz ageing": (
            kplan.per_baseline != (kplan.family == "gompertz")),
        "a buffer section the PH fast loop does not read": bool(
            buf[K.H_S] or buf[K.H_Q] or buf[K.H_STD] or buf[K.H_THETA_S] != 1
            or (buf[K.H_PER_BASELINE] == 1) != (kplan.family == "gompertz")
            or buf[K.H_OFF_SDEV] >= 0
            or (kplan.family != "exponential") != (buf[K.H_OFF_THETA] >= 0)),
    })
    found = [name for name, bad in checks.items() if bad]
    if kplan.family == "rp":
        found += rp_reasons(kplan, buf)
    return f"not in the fast row loop: {', '.join(found)}" if found else ""


def fast_buffer(kplan: KernelPlan, buf: np.ndarray) -> np.ndarray | None:
    """Pack the fast loop's buffer (:mod:`~coalsurv.backend.kernel_fast`), or None."""
    if fast_reason(kplan, buf):
        return None
    if kplan.tve:
        return tve_buffer(kplan, buf)
    if wants_end(kplan, buf):  # cure, interval endings or piecewise: native_fast_end
        return end_buffer(kplan, buf)
    if kplan.family in AFT_FAST_FAMILIES:
        return aft_buffer(kplan, buf)
    (n, _, P, G, centre, X, t, log_t, entry, log_entry, event, idx, *_) = K.layout(buf)
    if kplan.family == "gompertz":  # its cumulative hazard needs the times, not their logs
        log_t, log_entry = t, entry
    ev = np.asarray(event[0], dtype=float)
    has_entry = np.asarray(entry) > 0.0
    level, L = frailty_levels(buf, n, G, idx)
    order = np.lexsort((~has_entry, level))  # by level; delayed entry first within a level
    lev_sorted = level[order]
    start = np.searchsorted(lev_sorted, np.arange(L + 1), side="left").astype(float)
    mid = start[:-1] + np.bincount(level, weights=has_entry, minlength=L)[:L]
    Xc = np.asarray(X, dtype=float)[order].T.reshape(-1) if P else np.zeros(0)
    lt = np.asarray(log_t, dtype=float)
    head = np.zeros(F_HEAD)
    rp = []
    if kplan.family == "rp":  # the spline's basis section (native_fast_rp)
        head[2], rp = rp_section(kplan, buf, order, ev)
    else:
        head[2] = FAST_FAMILIES[kplan.family]
    fill_common_head(head, buf, n=n, P=P, L=L, G=G, centre=centre)
    head[13] = ev.sum()
    head[14] = float(ev @ lt)
    head[15] = float(has_entry.any())
    s_dx = ev @ np.asarray(X, dtype=float) if P else np.zeros(0)
    d_lev = np.bincount(level, weights=ev, minlength=L)[:L]
    gen = np.array(buf, dtype=float)
    gen[K.H_N] = 0  # no rows: the generic kernel adds the priors only
    parts = [head, s_dx, d_lev, start, mid, Xc, lt[order],
             np.asarray(log_entry, dtype=float)[order], ev[order], order.astype(float), *rp]
    # mm(): the members copy after the generic one (kernel_fast_base.mm_buffer), which then
    # leaves the member blocks out (their prior: kernel_fast.fast_logp_grad, on the copy)
    tail = [mm_copy(buf), mm_fast_section(buf, order)] if kplan.mm_weights else []
    if tail and not 0 <= head[2] < MEMBER_COPY_CODES:  # fast_reason refuses mm() there
        raise AssertionError(f"a members copy on family code {head[2]:g}")
    gen[K.H_MM_R] = 0
    fb = np.concatenate([*parts, gen, *tail])
    fb[0] = fb.size
    fb[1] = sum(p.size for p in parts)
    return np.ascontiguousarray(fb)
