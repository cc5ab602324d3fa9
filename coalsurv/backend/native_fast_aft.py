"""When the AFT fast row loop (:mod:`coalsurv.backend.kernel_fast_aft`) runs, and its buffer.

:func:`aft_reason` accepts a plan of the Weibull AFT, log-logistic or log-normal family when,
beyond what every fast loop needs (:func:`coalsurv.backend.native_fast.shared_checks`: one
cause, exact and right-censored endings with or without delayed entry, at most one frailty
intercept, no ``tve()``, spline, piecewise baseline, varying slopes, spells or joint prior;
its ``mm()`` and cure reasons do not apply here), the family parameter is log-transformed (not
per baseline); strata (a level deviation, a family parameter per stratum, or both), shape
covariates, the AFT scale (any ``std``), the mixture cure (logit, probit, cloglog) and the
promotion-time cure with or without cure covariates, and ``mm()`` member blocks (every weight
function and level mode) are implemented. :func:`aft_buffer` packs the buffer from the
generic one: with cure or ``mm()`` also each row's cure pattern and a copy of the generic
buffer's head, cure and member sections with its rows (:func:`_cure_mm_rows`), and the
priors' copy with those sections made safe to read without rows (:func:`_priors_copy`).
:func:`coalsurv.backend.native_fast.fast_reason` and ``fast_buffer`` dispatch here.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K
from coalsurv.backend.native_fast_common import fill_common_head, frailty_levels
from coalsurv.backend.plan_types import KernelPlan

__all__ = ["AFT_FAST_FAMILIES", "aft_reason", "aft_buffer"]

#: Families of the AFT fast loop, in the order of their codes (``AFT_CODES + position``).
AFT_FAST_FAMILIES = ("weibull_aft", "loglogistic", "lognormal")


def aft_reason(kplan: KernelPlan, buf: np.ndarray, checks: dict[str, bool]) -> str:
    """Empty when the AFT fast loop implements this plan exactly; else why not.

    ``checks``: :func:`coalsurv.backend.native_fast.shared_checks` of the plan. The AFT loop
    implements the cure and ``mm()`` (it reads the buffer's cure and member sections), so
    their reasons are dropped and the checks of the rest of the buffer taken again with those
    two sections masked.
    """
    from coalsurv.backend.native_fast import shared_checks

    S = int(buf[K.H_S])
    cure = int(buf[K.H_CURE])
    masked = np.array(buf, dtype=float)
    masked[K.H_CURE] = 0
    masked[K.H_MM_R] = 0
    checks = dict(checks)
    checks.update(shared_checks(kplan, masked))
    for implemented in ("cure", "mm()"):
        checks.pop(implemented, None)
    checks.update({
        "a cure kind or link the AFT fast loop does not implement": bool(
            (kplan.cure and kplan.cure not in ("mixture", "promotion"))
            or cure not in (0, 1, 2) or int(buf[K.H_CURE_LINK]) not in (0, 1, 2)
            or bool(kplan.cure) != (cure > 0) or bool(kplan.mm_weights) != (buf[K.H_MM_R] > 0)),
        "a per-baseline family parameter": bool(kplan.per_baseline),
        "a buffer section the AFT fast loop does not read": bool(
            buf[K.H_PER_BASELINE] == 1 or buf[K.H_OFF_THETA] < 0
            or buf[K.H_THETA_S] not in (1, max(S, 1))
            or (buf[K.H_OFF_SDEV] >= 0 and S < 2)),
    })
    found = [name for name, bad in checks.items() if bad]
    return f"not in the fast row loop: {', '.join(found)}" if found else ""


def aft_buffer(kplan: KernelPlan, buf: np.ndarray) -> np.ndarray:
    """Pack the AFT fast loop's buffer (:mod:`~coalsurv.backend.kernel_fast_aft`).

    Call only when :func:`aft_reason` is empty.
    """
    from coalsurv.backend.kernel_fast_aft import A_HEAD, AFT_CODES

    (n, _, P, G, centre, X, _, log_t, entry, log_entry, event, idx, _, _, _, _, _, strata,
     Z) = K.layout(buf)
    ev = np.asarray(event[0], dtype=float)
    has_entry = np.asarray(entry) > 0.0
    level, L = frailty_levels(buf, n, G, idx)
    cured = bool(buf[K.H_CURE])
    if cured:  # delayed entry first, events first within (kernel_fast_aft_cure's blocks)
        order = np.lexsort((ev == 0.0, ~has_entry))
    else:
        order = np.argsort(~has_entry, kind="stable")  # delayed entry first
    S, Q = int(buf[K.H_S]), int(buf[K.H_Q])
    head = np.zeros(A_HEAD)
    head[2] = AFT_CODES + AFT_FAST_FAMILIES.index(kplan.family)
    fill_common_head(head, buf, n=n, P=P, L=L, G=G, centre=centre)
    head[13] = int(has_entry.sum())
    head[14], head[15], head[16] = buf[K.H_STD], buf[K.H_THETA_S], S
    head[17] = buf[K.H_OFF_SDEV] if S else -1
    head[18], head[19] = Q, buf[K.H_OFF_BSHAPE] if Q else -1
    head[20] = buf[K.H_CURE]
    head[23] = buf[K.H_MM_R]
    m = int(has_entry.sum())
    head[24] = int((has_entry & (ev > 0.0)).sum()) if cured else m
    head[25] = m + int((~has_entry & (ev > 0.0)).sum()) if cured else n
    pattern, rows_copy = _cure_mm_rows(buf, n, order)

    def by_column(a, width):
        return np.asarray(a, dtype=float)[order].T.reshape(-1) if width else np.zeros(0)

    gen = _priors_copy(buf)
    parts = [head, by_column(X, P), np.asarray(log_t, dtype=float)[order],
             np.asarray(log_entry, dtype=float)[order], ev[order], order.astype(float),
             level[order].astype(float),
             np.asarray(strata, dtype=float)[order] if S else np.zeros(0), by_column(Z, Q),
             pattern, rows_copy, gen]
    fb = np.concatenate(parts)
    fb[0] = fb.size
    fb[1] = fb.size - gen.size
    fb[21] = fb[1] - rows_copy.size if rows_copy.size else -1
    fb[22] = rows_copy.size
    return np.ascontiguousarray(fb)


def _cure_mm_rows(buf: np.ndarray, n: int, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cure pattern (fast order; empty without cure) and the rows' generic copy.

    The copy (empty without cure and ``mm()``) is the generic buffer up to the end of its cure
    and member sections, ``H_N = n`` kept: :func:`coalsurv.backend.kernel_ending.cure_table`
    and :mod:`coalsurv.backend.kernel_members`' functions read it as the generic kernel's
    buffer, in the generic row order.
    """
    cure, R = int(buf[K.H_CURE]), int(buf[K.H_MM_R])
    if not cure and not R:
        return np.zeros(0), np.zeros(0)
    end = int(buf[K.H_DATA]) + 1  # the header and the intercept's centre
    pattern = np.zeros(0)
    if cure:
        pattern = np.zeros(n)
        n_c = int(buf[K.H_CURE_Q])
        if n_c:  # kernel_ending.cure_patterns after Z_cure: U, each row's pattern, the rows
            d = int(buf[K.H_CURE_DATA]) + n * n_c
            U = int(buf[d])
            pattern = np.asarray(buf[d + 1:d + 1 + n], dtype=float)[order]
            end = max(end, d + 1 + n + U * n_c)
    if R:  # kernel_members.mm_arrays: the levels' mode, start (n + 1), 3 R, R x Q
        end = max(end, int(buf[K.H_MM_DATA]) + 1 + n + 1 + 3 * R + R * int(buf[K.H_MM_Q]))
    return pattern, np.array(buf[:end], dtype=float)


def _priors_copy(buf: np.ndarray) -> np.ndarray:
    """Return the generic buffer with no rows (``H_N = 0``): the generic kernel's priors only.

    With ``H_N = 0`` the cure patterns and the member rows would be read at wrong places, so
    their header entries point to a short tail of one pattern (a zero row of ``Z_cure``) and
    one membership row instead (the priors read neither).
    """
    gen = np.array(buf, dtype=float)
    gen[K.H_N] = 0
    tails = []
    if int(buf[K.H_CURE]) and int(buf[K.H_CURE_Q]):
        gen[K.H_CURE_DATA] = gen.size
        tails.append(np.concatenate([[1.0], np.zeros(int(buf[K.H_CURE_Q]))]))
    if int(buf[K.H_MM_R]):  # the levels' mode, start (0), member, share, size, X
        gen[K.H_MM_R] = 1
        gen[K.H_MM_DATA] = gen.size + sum(t.size for t in tails)
        mode = buf[int(buf[K.H_MM_DATA])]
        tails.append(np.concatenate([[mode, 0.0, 0.0, 0.0, 1.0], np.zeros(int(buf[K.H_MM_Q]))]))
    if tails:
        gen = np.concatenate([gen, *tails])
        gen[K.H_LEN] = gen.size
    return gen
