"""When the cure / interval / piecewise fast loop (:mod:`coalsurv.backend.kernel_fast_end`) runs.

:func:`end_reason` accepts a plan of the exponential, Weibull PH, Gompertz or piecewise
family with a cure (mixture with any link, or promotion time; cure covariates allowed),
interval-censored endings, or both, and the piecewise baseline without either, when beyond
that it is exactly the PH fast loop's shape (:func:`coalsurv.backend.native_fast.shared_checks`
less cure, interval censoring and the piecewise baseline: one cause, at most one frailty
intercept, no ``mm()``, ``tve()``, spline, varying slopes, spells or joint prior; no strata,
shape covariates or AFT parameter). A Gompertz plan with an infinite upper bound keeps the
generic kernel (its ``S(inf)`` is the cured share when the ageing is negative).
:func:`end_buffer` packs the buffer from the generic one: the rows sorted by cure pattern,
ending kind, entry state and level, and the table of blocks (one pattern, kind and entry
state each, at most :data:`coalsurv.backend.kernel_fast_base.BLOCK` rows) that the loop
runs. :func:`coalsurv.backend.native_fast.fast_reason` and ``fast_buffer`` dispatch here for
every plan that :func:`wants_end`.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K
from coalsurv.backend.native_fast_common import fill_common_head, frailty_levels
from coalsurv.backend.plan_types import KernelPlan
from coalsurv.families.kernels import KERNEL_FAMILIES

__all__ = ["ENABLED", "END_FAMILIES", "wants_end", "end_reason", "end_buffer"]

#: False: cure and interval plans keep the generic kernel (for side-by-side measurements).
ENABLED = True

#: Families of this loop, in the order of their codes (``END_CODES + position``).
END_FAMILIES = ("exponential", "weibull_ph", "gompertz", "piecewise")


def wants_end(kplan: KernelPlan, buf: np.ndarray) -> bool:
    """Say whether a plan is this loop's to take or refuse: cure or intervals, its families.

    The piecewise baseline is this loop's also without either (the PH loop has no piecewise
    section). Other families with cure or interval censoring stay with their own loop's
    reason (the AFT loop's, say).
    """
    return kplan.family in END_FAMILIES and (bool(kplan.cure) or buf[K.H_INTERVAL] != 0
                                             or kplan.family == "piecewise")


def _upper(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's interval flag (one cause) and upper bound (zeros without intervals)."""
    (n, C, *_, interval, upper, _, _, _) = K.layout(buf)
    if buf[K.H_INTERVAL] == 0 or C != 1:
        return np.zeros(n, bool), np.zeros(n)
    return np.asarray(interval[0]) > 0.0, np.asarray(upper, dtype=float)


def end_reason(kplan: KernelPlan, buf: np.ndarray, checks: dict[str, bool]) -> str:
    """Empty when this loop implements the plan exactly; else why not.

    ``checks``: :func:`coalsurv.backend.native_fast.shared_checks` of the plan.
    """
    if not ENABLED:
        return "the cure / interval fast loop is switched off (native_fast_end.ENABLED)"
    if kplan.family not in END_FAMILIES:
        return f"family {kplan.family!r} with cure or interval censoring is not in a fast loop"
    checks = {k: v for k, v in checks.items()
              if k not in ("cure", "interval censoring", "a piecewise baseline",
                           "a buffer section the fast loop does not read")}
    is_int, upper = _upper(buf)
    checks.update({
        "strata": bool(kplan.strata),
        "shape covariates": bool(kplan.shape_terms),
        "an AFT parameter": bool(kplan.std),
        "a per-baseline parameter other than the Gompertz ageing": (
            kplan.per_baseline != (kplan.family == "gompertz")),
        "a Gompertz interval with an infinite upper bound": (
            kplan.family == "gompertz" and bool(np.any(~np.isfinite(upper[is_int])))),
        "a buffer section the cure / interval fast loop does not read": bool(
            (buf[K.H_K] > 0) != (kplan.family == "piecewise") or buf[K.H_MM_R]
            or buf[K.H_TVE] or buf[K.H_SPELLS]
            or buf[K.H_C] != 1 or buf[K.H_G] > 1 or buf[K.H_S] or buf[K.H_Q] or buf[K.H_STD]
            or buf[K.ext_base(buf) + K.E_SPLINE_DATA] >= 0
            or buf[K.ext_base(buf) + K.E_SLOPES] > 0
            or buf[K.H_FAM] != KERNEL_FAMILIES[kplan.family]
            or buf[K.H_THETA_S] != 1 or buf[K.H_OFF_SDEV] >= 0
            or (buf[K.H_PER_BASELINE] == 1) != (kplan.family == "gompertz")
            or (kplan.family in ("weibull_ph", "gompertz")) != (buf[K.H_OFF_THETA] >= 0)
            or (buf[K.H_CURE] > 0) != bool(kplan.cure)),
    })
    found = [name for name, bad in checks.items() if bad]
    with_ = " and ".join(w for w, on in (("cure", bool(kplan.cure)),
                                        ("interval censoring", buf[K.H_INTERVAL] != 0)) if on)
    with_ = f" (with {with_})" if with_ else ""
    return f"not in the fast row loop: {', '.join(found)}{with_}" if found else ""


def _cure_patterns(buf: np.ndarray, n: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """``U, q``, each row's cure pattern and the patterns' rows (one pattern without cure)."""
    cure, q = int(buf[K.H_CURE]), int(buf[K.H_CURE_Q])
    if cure == 0 or q == 0:
        return 1, 0, np.zeros(n, np.int64), np.zeros(0)
    d = int(buf[K.H_CURE_DATA]) + n * q
    U = int(buf[d])
    return (U, q, np.asarray(buf[d + 1:d + 1 + n]).astype(np.int64),
            np.asarray(buf[d + 1 + n:d + 1 + n + U * q], dtype=float))


def _blocks(keys: np.ndarray, size: int) -> np.ndarray:
    """Blocks ``start, end, pattern, kind, entry`` of sorted rows: one key each, ``size`` at most.

    ``keys``: each sorted row's cure pattern, ending kind and entry flag (3 rows).
    """
    n = keys.shape[1]
    cut = np.flatnonzero(np.any(keys[:, 1:] != keys[:, :-1], axis=0)) + 1
    bounds = np.concatenate([[0], cut, [n]]) if n else np.zeros(1, np.int64)
    out = []
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        for b0 in range(int(s), int(e), size):
            out.append([b0, min(b0 + size, int(e)), *keys[:, b0]])
    return np.asarray(out, dtype=float).reshape(-1, 5)


def end_buffer(kplan: KernelPlan, buf: np.ndarray) -> np.ndarray:
    """Pack the buffer of :mod:`~coalsurv.backend.kernel_fast_end`.

    Call only when :func:`end_reason` is empty.
    """
    from coalsurv.backend.kernel_fast_base import BLOCK
    from coalsurv.backend.kernel_fast_end import E_HEAD, END_CODES, buffer_offsets

    (n, _, P, G, centre, X, t, log_t, entry, log_entry, event, idx, pw, width,
     *_) = K.layout(buf)
    fam = kplan.family
    is_int, upper = _upper(buf)
    ev = np.asarray(event[0], dtype=float)
    has_entry = np.asarray(entry) > 0.0
    kind = np.where(is_int, 2.0, np.where(ev > 0.0, 0.0, 1.0))
    level, L = frailty_levels(buf, n, G, idx)
    U, q, pattern, rows = _cure_patterns(buf, n)
    Kp = int(buf[K.H_K])
    with np.errstate(divide="ignore"):
        if fam == "piecewise":  # the time spent in each time's interval (its index below)
            d = int(buf[K.ext_base(buf) + K.E_PW_UPPER])
            up_j = np.asarray(buf[d:d + n]) if d >= 0 else np.zeros(n)
            up_tau = np.asarray(buf[d + n:d + 2 * n]) if d >= 0 else np.zeros(n)
            a, b, c = np.asarray(pw[1]), np.where(is_int, up_tau, 0.0), np.asarray(pw[3])
        elif fam == "gompertz":  # its cumulative hazard needs the times
            a, b = np.asarray(t, dtype=float), np.where(is_int, upper, 0.0)
            c = np.asarray(entry, dtype=float)
        else:
            a = np.asarray(log_t, dtype=float)
            b = np.where(is_int, np.log(np.where(is_int, upper, 1.0)), 0.0)
            c = np.asarray(log_entry, dtype=float)
    c = np.where(has_entry, c, 0.0)
    # by cure pattern (its link values constant), ending kind and entry state (one branch per
    # block), then level
    order = np.lexsort((level, has_entry, kind, pattern))
    blocks = _blocks(np.stack([pattern, kind, has_entry])[:, order], BLOCK)
    head = np.zeros(E_HEAD)
    head[2] = END_CODES + END_FAMILIES.index(fam)
    fill_common_head(head, buf, n=n, P=P, L=L, G=G, centre=centre)
    head[13], head[14] = buf[K.H_CURE], float(is_int.any())
    head[15], head[16] = U, q
    head[17], head[18] = buf[K.H_OFF_CINT], buf[K.H_OFF_CBETA]
    head[19], head[20] = buf[K.H_CURE_LINK], float(has_entry.any())
    head[21] = Kp
    head[22] = buf[K.H_OFF_STEP] if Kp else -1
    head[23] = blocks.shape[0]

    def bits(v):  # int64 values stored bit for bit (the loop views them as int64)
        return np.ascontiguousarray(np.asarray(v).astype(np.int64)).view(np.float64)

    gen = np.array(buf, dtype=float)
    gen[K.H_N] = 0  # no rows: the generic kernel adds the priors only
    if buf[K.H_CURE] > 0:  # its cure table then reads U = 0 patterns (appended)
        gen[K.H_CURE_DATA] = gen.size
        gen = np.concatenate([gen, [0.0]])
        gen[K.H_LEN] = gen.size
    Xc = np.asarray(X, dtype=float)[order].T.reshape(-1) if P else np.zeros(0)
    parts = [head, rows, Xc, *(np.asarray(v, dtype=float)[order] for v in (a, b, c)),
             bits(level[order]), order.astype(float), blocks.reshape(-1)]
    if Kp:
        parts += [bits(np.asarray(pw[0])[order]), bits(np.where(is_int, up_j, 0)[order]),
                  bits(np.asarray(pw[2])[order]), np.asarray(width, dtype=float),
                  np.bincount(np.asarray(pw[0])[kind == 0.0].astype(np.int64), minlength=Kp)
                  .astype(float)[:Kp]]
    fb = np.concatenate(parts)
    assert fb.size == buffer_offsets(n, P, U, q, Kp, blocks.shape[0])[-1]
    fb = np.concatenate([fb, gen])
    fb[0] = fb.size
    fb[1] = fb.size - gen.size
    return np.ascontiguousarray(fb)
