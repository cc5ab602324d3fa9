"""When the AFT fast row loop (:mod:`coalsurv.backend.kernel_fast_aft`) runs, and its buffer.

:func:`aft_reason` accepts a plan of the Weibull AFT, log-logistic or log-normal family when,
beyond what every fast loop needs (:func:`coalsurv.backend.native_fast.shared_checks`: one
cause, exact and right-censored endings with or without delayed entry, at most one frailty
intercept, no ``mm()``, cure, ``tve()``, spline, piecewise baseline, varying slopes, spells or
joint prior), the family parameter is log-transformed (not per baseline); strata (a level
deviation, a family parameter per stratum, or both), shape covariates and the AFT scale (any
``std``) are implemented. :func:`aft_buffer` packs the buffer from the generic one.
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

    ``checks``: :func:`coalsurv.backend.native_fast.shared_checks` of the plan.
    """
    S = int(buf[K.H_S])
    checks = dict(checks)
    checks.update({
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
    order = np.argsort(~has_entry, kind="stable")  # delayed entry first
    S, Q = int(buf[K.H_S]), int(buf[K.H_Q])
    head = np.zeros(A_HEAD)
    head[2] = AFT_CODES + AFT_FAST_FAMILIES.index(kplan.family)
    fill_common_head(head, buf, n=n, P=P, L=L, G=G, centre=centre)
    head[13] = int(has_entry.sum())
    head[14], head[15], head[16] = buf[K.H_STD], buf[K.H_THETA_S], S
    head[17] = buf[K.H_OFF_SDEV] if S else -1
    head[18], head[19] = Q, buf[K.H_OFF_BSHAPE] if Q else -1

    def by_column(a, width):
        return np.asarray(a, dtype=float)[order].T.reshape(-1) if width else np.zeros(0)

    gen = np.array(buf, dtype=float)
    gen[K.H_N] = 0  # no rows: the generic kernel adds the priors only
    parts = [head, by_column(X, P), np.asarray(log_t, dtype=float)[order],
             np.asarray(log_entry, dtype=float)[order], ev[order], order.astype(float),
             level[order].astype(float),
             np.asarray(strata, dtype=float)[order] if S else np.zeros(0), by_column(Z, Q), gen]
    fb = np.concatenate(parts)
    fb[0] = fb.size
    fb[1] = fb.size - gen.size
    return np.ascontiguousarray(fb)
