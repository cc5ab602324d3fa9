"""The native kernel's cure models: one episode's log likelihood and its derivatives (numba).

As :mod:`coalsurv.build.cure` (one cause; the cure linear predictor ``lin = cure_intercept +
Z_cure[i] cure_beta``). Mixture, with the cured share ``pi`` from ``lin`` by the link
(:mod:`coalsurv.families.cure_links`)::

    exact:        log(1 - pi) + log h_u(t) + log S_u(t)
    censored:     log(pi + (1 - pi) S_u(t))
    interval:     log(1 - pi) + log(S_u(l) - S_u(u))
    minus         log(pi + (1 - pi) S_u(entry))          (delayed entry)

Promotion time: ``log S = -theta F_u``, ``theta = exp(-lin)``, ``F_u = 1 - S_u``; an exact
ending adds ``log theta + log h_u + log S_u``; an interval ``log(S(l) - S(u)) = log S(l) +
log(1 - e^-D)``, ``log D = -lin + log(S_u(l) - S_u(u))`` (:func:`log1mexp_exp`).
:func:`cure_row` returns the value and its derivatives in ``eta``, the family parameter and
``lin`` from the uncured family's terms (:func:`coalsurv.families.kernels.family_terms`).
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.families.kernels import interval_terms, log_normal_sf

__all__ = ["cure_shares", "log1mexp_exp", "cure_row", "cure_row_at", "interval_row_at"]


@njit(cache=True, inline="always", error_model="numpy")
def _log1mexp(x):
    """``log(1 - e^x)`` for ``x <= 0``."""
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit(cache=True, inline="always", error_model="numpy")
def log1mexp_exp(y):
    """``log(1 - e^-D)``, ``D = e^y``, and its ``y`` derivative ``D / (e^D - 1)``.

    The promotion-time interval ``log(S(l) - S(u)) = log S(l) + log(1 - e^-D)`` with ``log D
    = -lin + log(S_u(l) - S_u(u))`` from the uncured interval's log form: ``D`` neither
    cancels (``F_u(u) - F_u(l)`` near 1) nor underflows (``y - D/2`` below ``y = -40``, exact
    in float64; 0 above ``y = 7``), as
    :meth:`coalsurv.families.math.Namespace.log1mexp_exp` in the graph.
    """
    if y < -40.0:
        d = math.exp(y)
        return y - 0.5 * d, 1.0 - 0.5 * d
    if y > 7.0:
        return 0.0, 0.0
    d = math.exp(y)
    if d < 0.6931471805599453:
        om = -math.expm1(-d)
        return math.log(om), d * (1.0 - om) / om
    e = math.exp(-d)
    return math.log1p(-e), d * e / (1.0 - e)


@njit(cache=True, inline="always", error_model="numpy")
def cure_shares(link, lin):
    """``log pi``, its ``lin`` derivative, ``log(1 - pi)`` and its derivative."""
    if link == 0:  # logit: -softplus(-lin), -softplus(lin)
        if lin > 0.0:
            sp_pos = lin + math.log1p(math.exp(-lin))
            sp_neg = math.log1p(math.exp(-lin))
        else:
            sp_pos = math.log1p(math.exp(lin))
            sp_neg = -lin + math.log1p(math.exp(lin))
        pi = math.exp(-sp_neg)
        return -sp_neg, math.exp(-sp_pos), -sp_pos, -pi
    if link == 1:  # probit: log Phi(lin) = log(1 - Phi(-lin)), log Phi(-lin)
        lp, d_neg = log_normal_sf(-lin)
        l1, d_pos = log_normal_sf(lin)
        return lp, -d_neg, l1, d_pos
    rate = math.exp(lin)  # cloglog: log(1 - exp(-rate)), -rate
    return _log1mexp(-rate), rate / math.expm1(rate), -rate, -rate


@njit(cache=True, inline="always", error_model="numpy")
def _mixture_survival(lp, dlp, l1, dl1, log_s, ds_eta, ds_th):
    """``log(pi + (1 - pi) S_u)`` and its ``eta``, ``theta`` and ``lin`` derivatives."""
    b = l1 + log_s
    m = max(lp, b)
    val = m + math.log(math.exp(lp - m) + math.exp(b - m))
    pa = math.exp(lp - val)
    pb = math.exp(b - val)
    return val, pb * ds_eta, pb * ds_th, pa * dlp + pb * dl1


@njit(cache=True, inline="always", error_model="numpy")
def _promotion_entry(theta, log_s0, ds0_eta, ds0_th):
    """Return the promotion-time cure's delayed-entry term and its derivatives.

    ``theta F_u(entry)`` (added to the value) and the ``eta``, ``theta`` and ``lin``
    derivatives of ``log S(entry)`` (subtracted): one copy for :func:`cure_row` and
    :func:`interval_row_at`.
    """
    s0 = math.exp(log_s0)
    f0 = -math.expm1(log_s0)
    return theta * f0, theta * s0 * ds0_eta, theta * s0 * ds0_th, theta * f0


@njit(cache=True, inline="always", error_model="numpy")
def cure_row(kind, link, lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s, ds_eta,
             ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th):
    """One episode's cure log likelihood: ``(value, d/d eta, d/d theta, d/d lin)``."""
    if kind == 1:
        lp, dlp, l1, dl1 = cure_shares(link, lin)
        if is_int:
            val, d_eta, d_th = interval_terms(log_s, ds_eta, ds_th, log_su, dsu_eta, dsu_th)
            val += l1
            d_lin = dl1
        elif ev > 0.0:
            val, d_eta, d_th, d_lin = l1 + log_h + log_s, dh_eta + ds_eta, dh_th + ds_th, dl1
        else:
            val, d_eta, d_th, d_lin = _mixture_survival(lp, dlp, l1, dl1, log_s, ds_eta, ds_th)
        if has_entry:
            v0, e0, t0, c0 = _mixture_survival(lp, dlp, l1, dl1, log_s0, ds0_eta, ds0_th)
            val, d_eta, d_th, d_lin = val - v0, d_eta - e0, d_th - t0, d_lin - c0
        return val, d_eta, d_th, d_lin
    theta = math.exp(-lin)  # promotion time: log S = -theta F_u, F_u = -expm1(log S_u)
    s = math.exp(log_s)
    big_f = -math.expm1(log_s)
    val = -theta * big_f
    d_eta = theta * s * ds_eta
    d_th = theta * s * ds_th
    d_lin = theta * big_f
    if is_int:  # log(S(l) - S(u)) = log S(l) + log(1 - e^-D), D = theta (S_u(l) - S_u(u))
        log_i, di_eta, di_th = interval_terms(log_s, ds_eta, ds_th, log_su, dsu_eta, dsu_th)
        g, q = log1mexp_exp(log_i - lin)
        val += g
        d_eta += q * di_eta
        d_th += q * di_th
        d_lin -= q
    elif ev > 0.0:
        val += -lin + log_h + log_s
        d_eta += dh_eta + ds_eta
        d_th += dh_th + ds_th
        d_lin -= 1.0
    if has_entry:
        v0, e0, t0, c0 = _promotion_entry(theta, log_s0, ds0_eta, ds0_th)
        val, d_eta, d_th, d_lin = val + v0, d_eta - e0, d_th - t0, d_lin - c0
    return val, d_eta, d_th, d_lin


@njit(cache=True, error_model="numpy")
def cure_row_at(kind, link, lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s, ds_eta,
                ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th):
    """:func:`cure_row` compiled once as a function of its own (scalars only): a call.

    The spell episodes call this (twice per cured episode) instead of inlining two more
    copies of the cure formulas (issue 23's cold compile).
    """
    return cure_row(kind, link, lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s, ds_eta,
                    ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th)


@njit(cache=True, error_model="numpy", fastmath=False)
def interval_row_at(kind, link, lin, has_entry, log_s, ds_eta, ds_th, log_i, di_eta, di_th,
                    log_s0, ds0_eta, ds0_th):
    """Return an interval row, cured or not, from ``log_i = log(S_u(l) - S_u(u))``.

    Returns ``(value, d/d eta, d/d theta, d/d lin)`` as :func:`cure_row`'s interval branch
    (``kind`` 0: no cure), for a family whose ``log_i`` comes from its distribution function
    in the lower tail (the generalised gamma: :mod:`coalsurv.backend.kernel_gengamma`).
    """
    if kind == 0:
        val, d_eta, d_th, d_lin = log_i, di_eta, di_th, 0.0
        if has_entry:
            val, d_eta, d_th = val - log_s0, d_eta - ds0_eta, d_th - ds0_th
        return val, d_eta, d_th, d_lin
    if kind == 1:
        lp, dlp, l1, dl1 = cure_shares(link, lin)
        val, d_eta, d_th, d_lin = log_i + l1, di_eta, di_th, dl1
        if has_entry:
            v0, e0, t0, c0 = _mixture_survival(lp, dlp, l1, dl1, log_s0, ds0_eta, ds0_th)
            val, d_eta, d_th, d_lin = val - v0, d_eta - e0, d_th - t0, d_lin - c0
        return val, d_eta, d_th, d_lin
    theta = math.exp(-lin)  # promotion time, as cure_row
    s = math.exp(log_s)
    big_f = -math.expm1(log_s)
    g, q = log1mexp_exp(log_i - lin)
    val = -theta * big_f + g
    d_eta = theta * s * ds_eta + q * di_eta
    d_th = theta * s * ds_th + q * di_th
    d_lin = theta * big_f - q
    if has_entry:
        v0, e0, t0, c0 = _promotion_entry(theta, log_s0, ds0_eta, ds0_th)
        val, d_eta, d_th, d_lin = val + v0, d_eta - e0, d_th - t0, d_lin - c0
    return val, d_eta, d_th, d_lin
