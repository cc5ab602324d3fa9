"""One generalised-gamma row of the native kernel in one pass: value and every derivative.

The row's terms at exit, upper bound and entry each come from
:func:`coalsurv.families.kernels_gamma.gengamma_all` once, with their derivatives in ``eta``,
``sigma`` (the kernel's ``theta``) and ``Q`` together; the row's value is
:func:`coalsurv.backend.kernel_spline.combine`'s, which is linear in the derivatives with
weights that depend on the values only, so the same weights give ``d/dQ`` (before issue 23's
gamma round the row was evaluated a second time along ``Q`` through ``row_value``). The
constants of ``a = Q^-2`` (``log|Q|``, ``lgamma(a)``, ``digamma(a)``) come once per cause
(:func:`q_constants`).
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.backend.kernel_cure import interval_row_at
from coalsurv.backend.kernel_ending import log_diff
from coalsurv.backend.kernel_spline import combine_at
from coalsurv.families.gengamma import Q_SERIES
from coalsurv.families.kernels_gamma import gengamma_all, gengamma_log_cdf, shape_constants

__all__ = ["q_constants", "gengamma_row"]

_LOG_HALF = -0.6931471805599453


@njit(cache=True, error_model="numpy", fastmath=False)
def q_constants(q):
    """``log|Q|, lgamma(Q^-2), digamma(Q^-2)`` (zeros near the log-normal, where unused)."""
    if abs(q) < Q_SERIES:
        return 0.0, 0.0, 0.0
    lg, psi = shape_constants(1.0 / (q * q))
    return math.log(abs(q)), lg, psi


@njit(cache=True, error_model="numpy", fastmath=False)
def gengamma_row(cure, link, cure_lin, ev, is_int, has_entry, t, log_t, up, log_up, en, log_en,
                 eta, sigma, log_sigma, q, log_abs_q, lg, psi):
    """``(value, d/d eta, d/d sigma, d/d cure predictor, d/d Q)`` of one row."""
    h, h_eta, h_sig, h_q, s, s_eta, s_sig, s_q = gengamma_all(
        t, log_t, eta, sigma, log_sigma, q, log_abs_q, lg, psi)
    if cure == 0 and not is_int:  # the common row: ev log h + log S - log S(entry)
        val = ev * h + s
        d_eta = ev * h_eta + s_eta
        d_sig = ev * h_sig + s_sig
        d_q = ev * h_q + s_q
        if has_entry:
            r = gengamma_all(en, log_en, eta, sigma, log_sigma, q, log_abs_q, lg, psi)
            val -= r[4]
            d_eta -= r[5]
            d_sig -= r[6]
            d_q -= r[7]
        return val, d_eta, d_sig, 0.0, d_q
    su, su_eta, su_sig, su_q = 0.0, 0.0, 0.0, 0.0
    if is_int:
        r = gengamma_all(up, log_up, eta, sigma, log_sigma, q, log_abs_q, lg, psi)
        su, su_eta, su_sig, su_q = r[4], r[5], r[6], r[7]
    s0, s0_eta, s0_sig, s0_q = 0.0, 0.0, 0.0, 0.0
    if has_entry:
        r = gengamma_all(en, log_en, eta, sigma, log_sigma, q, log_abs_q, lg, psi)
        s0, s0_eta, s0_sig, s0_q = r[4], r[5], r[6], r[7]
    if is_int and su > _LOG_HALF:  # the lower tail: log(F(u) - F(l)) from log F (the graph's
        # form there), where both log S round to -0 and log(1 - S) gave nan
        fl = gengamma_log_cdf(t, log_t, eta, sigma, q, log_abs_q, lg, psi)
        fu = gengamma_log_cdf(up, log_up, eta, sigma, q, log_abs_q, lg, psi)
        if fl[0] == -math.inf:
            log_i, w_u, w_l = fu[0], 1.0, 0.0
        else:
            log_i, w_u, w_l = log_diff(fu[0], fl[0])
        val, d_eta, d_sig, d_cure = interval_row_at(
            cure, link, cure_lin, has_entry, s, s_eta, s_sig, log_i,
            w_u * fu[1] + w_l * fl[1], w_u * fu[2] + w_l * fl[2], s0, s0_eta, s0_sig)
        d_q = interval_row_at(cure, link, cure_lin, has_entry, s, s_eta, s_q, log_i,
                              0.0, w_u * fu[3] + w_l * fl[3], s0, s0_eta, s0_q)[2]
        return val, d_eta, d_sig, d_cure, d_q
    val, d_eta, d_sig, d_cure = combine_at(cure, link, cure_lin, ev, is_int, has_entry, h, h_eta,
                                           h_sig, s, s_eta, s_sig, su, su_eta, su_sig, s0,
                                           s0_eta, s0_sig)
    # the same weights along Q (in theta's slot, as row_value's direction 0 had it)
    d_q = combine_at(cure, link, cure_lin, ev, is_int, has_entry, h, h_eta, h_q, s, s_eta, s_q,
                     su, su_eta, su_q, s0, s0_eta, s0_q)[2]
    return val, d_eta, d_sig, d_cure, d_q
