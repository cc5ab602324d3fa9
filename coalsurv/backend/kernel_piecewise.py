"""The piecewise baseline's interval-censored and cure rows in the native kernel (numba).

:mod:`coalsurv.backend.kernel_rows` evaluates a plain piecewise row in O(1) (``log h =
dev[j(t)] + eta``, ``log S(t) - log S(entry) = -e^eta (H0(t) - H0(entry))``) and collects
its gradient in the log rates through the exposures. A row ending in ``(l, u]``
(``log(S(l) - S(u)) - log S(entry)``) or of a cure model (:mod:`coalsurv.build.cure`) combines
``log h(t)`` and ``log S`` at up to three times nonlinearly; :func:`pw_row` gives its value,
``d/d eta`` and the *weight* of each term: the combination is linear in the terms'
derivatives, with weights that depend on the values only
(:func:`coalsurv.backend.kernel_ending.ending` returns them from the values, once a row).
The kernel then adds ``w_h`` to ``d/d dev[j(t)]`` and collects ``w_T e^eta`` as the exposure
weight of each time ``T`` (``log S(T) = -e^eta H0(T)``). The interval of each upper bound and
the time spent in it travel at ``E_PW_UPPER`` (:func:`upper_arrays`).
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.backend.kernel_ending import ending
from coalsurv.backend.kernel_layout import E_PW_UPPER, H_N, ext_base

__all__ = ["pw_row", "upper_arrays"]


@njit(cache=True, error_model="numpy")
def upper_arrays(buf):
    """Each row's interval of its upper bound and the time spent in it (empty: none)."""
    d = int(buf[ext_base(buf) + E_PW_UPPER])
    n = int(buf[H_N]) if d >= 0 else 0
    return buf[d:d + n] if d >= 0 else buf[:0], buf[d + n:d + 2 * n] if d >= 0 else buf[:0]


@njit(cache=True, inline="always", error_model="numpy")
def pw_row(cure, lin, c1, c2, c3, c4, ev, is_int, has_entry, log_h, eta, big_h, big_hu, big_h0):
    """Return one row's value, ``d/d eta``, ``d/d`` cure predictor and its terms' weights.

    The weights of ``log h``, ``log S(t)``, ``log S(u)`` and ``log S(entry)``
    (:func:`coalsurv.backend.kernel_ending.ending`, from the values alone; ``lin, c1..c4``
    the row's cure pattern); ``big_h*`` is the baseline's cumulative hazard H0 at those times.
    """
    e = math.exp(eta)
    log_s = -e * big_h
    log_su = -e * big_hu if is_int else 0.0
    log_s0 = -e * big_h0 if has_entry else 0.0
    val, w_h, w_t, w_u, w_0, d_cure = ending(cure, lin, c1, c2, c3, c4, ev, is_int, has_entry,
                                             log_h, log_s, log_su, log_s0)
    # d log h / d eta = 1, d log S(T) / d eta = log S(T)
    d_eta = w_h + w_t * log_s
    if w_u != 0.0:
        d_eta += w_u * log_su
    if w_0 != 0.0:
        d_eta += w_0 * log_s0
    return val, d_eta, d_cure, w_h, w_t, w_u, w_0
