"""The rp spline's share of the fast row loop's buffer (:mod:`coalsurv.backend.kernel_fast_rp`).

:func:`coalsurv.backend.native_fast.fast_reason` accepts the Royston-Parmar spline (hazard and
odds scales) in the fast loop's shape; :func:`rp_reasons` adds what that loop needs of the
spline itself, and :func:`rp_section` packs the rp section of the fast buffer (the basis by
column, its event sums and the distinct event and censored times) from the generic buffer's
own basis, so both loops read the same numbers.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K
from coalsurv.backend.plan_types import KernelPlan

__all__ = ["rp_reasons", "rp_section"]


def rp_reasons(kplan: KernelPlan, buf: np.ndarray) -> list[str]:
    """Return why the fast rp loop cannot run this rp plan (empty: it can)."""
    e = K.ext_base(buf)
    d = int(buf[e + K.E_SPLINE_DATA])
    problems = []
    if kplan.spline_scale not in ("hazard", "odds"):
        problems.append(f"the rp scale {kplan.spline_scale!r}")
    if d < 0 or kplan.spline_knots is None:
        problems.append("an rp plan without its spline data")
    elif (int(buf[e + K.E_SPLINE_OFF]) >= 0) != (int(buf[d + 1]) > 0):
        problems.append("rp_spline's coefficients and the spline's knots disagree")
    return problems


def rp_section(kplan: KernelPlan, buf: np.ndarray, order: np.ndarray,
               ev: np.ndarray) -> tuple[int, list[np.ndarray]]:
    """Return the fast family code and the rp section's arrays (rows in the fast loop's order).

    ``order``: the fast loop's row order (original positions); ``ev``: the event indicator in
    the original order.
    """
    from coalsurv.backend.kernel_fast_rp import RP_HAZARD, RP_ODDS
    from coalsurv.backend.kernel_spline import spline_basis

    e = K.ext_base(buf)
    basis = np.asarray(spline_basis(buf), dtype=float)  # (4, n, K): w, w' at t; w at entry
    n_k = basis.shape[2]
    log_t = np.asarray(K.layout(buf)[7], dtype=float)
    events = ev > 0
    times_e, first_e, inv_e = np.unique(log_t[events], return_index=True, return_inverse=True)
    counts = np.bincount(inv_e, weights=ev[events], minlength=times_e.size)
    _, first_c = np.unique(log_t[~events], return_index=True)
    w1_e = basis[1][events][first_e].T
    w1_c = basis[1][~events][first_c].T
    head = np.array([n_k, buf[e + K.E_SPLINE_OFF], times_e.size, first_c.size], dtype=float)
    parts = [head, basis[0][order].T.reshape(-1), basis[2][order].T.reshape(-1),
             ev @ basis[0], counts, w1_e.reshape(-1), w1_c.reshape(-1),
             basis[:, order, :].reshape(-1)]
    code = RP_ODDS if kplan.spline_scale == "odds" else RP_HAZARD
    return code, [np.ascontiguousarray(p, dtype=float) for p in parts]
