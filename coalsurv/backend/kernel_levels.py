"""Levels of a per-cause scale block in the native kernel (numba, cached).

The mm() member effects and the varying slopes both sample, per cause ``k``, ``log sd_k`` (a
free value) and ``C x L`` levels at ``off_v``: non-centred ``z ~ Normal(0, 1)`` with the
traced ``sd z``, or (mm() only) centred ``u ~ Normal(0, sd)`` with the traced ``z = u / sd``.
:func:`level_prior` is the levels' log density and gradient, :func:`expand_levels` the
expansion (``sd`` exponentiated in place, the traced levels from ``pos``);
:mod:`~coalsurv.backend.kernel_members` and :mod:`~coalsurv.backend.kernel_slopes` call them.
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.backend.kernel_layout import H_C, out_index

__all__ = ["level_prior", "expand_levels"]

_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, error_model="numpy")
def level_prior(buf, x, grad, off_sd, off_v, n_lev, centred):
    """Log density of the levels (cause, level): ``z ~ Normal(0, 1)`` or ``u ~ Normal(0, sd)``.

    Adds the gradient in the levels and, centred, in ``log sd`` (``sd``'s own prior is not
    included).
    """
    C = int(buf[H_C])
    total = 0.0
    for k in range(C):
        log_sd = x[off_sd + k] if centred else 0.0
        sd = math.exp(log_sd)
        for lev in range(n_lev):
            pos = off_v + k * n_lev + lev
            r = x[pos] / sd
            total += -0.5 * r * r - log_sd - 0.5 * _LOG_2PI
            grad[pos] += -r / sd
            if centred:
                grad[off_sd + k] += r * r - 1.0
    return total


@njit(cache=True, error_model="numpy")
def expand_levels(buf, x, out, pos, off_sd, off_v, n_lev, centred):
    """``sd`` (cause) exponentiated in place; the traced levels from ``pos``; the new pos.

    Non-centred (``x`` holds ``z``): ``sd z``; centred (``x`` holds ``u``): ``u / sd``, in
    (cause, level) order.
    """
    C = int(buf[H_C])
    for k in range(C):
        out[out_index(buf, off_sd + k)] = math.exp(x[off_sd + k])
    for k in range(C):
        sd = math.exp(x[off_sd + k])
        for lev in range(n_lev):
            v = x[off_v + k * n_lev + lev]
            out[pos] = v / sd if centred else sd * v
            pos += 1
    return pos
