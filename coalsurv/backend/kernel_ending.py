"""The native kernel's lean cure and interval rows: each ending's weights from values (numba).

A row that is not the common one (``ev log h(t) + log S(t) - log S(entry)``) combines the
family's ``log h(t)``, ``log S(t)``, ``log S(upper)`` and ``log S(entry)`` nonlinearly: cure
(:mod:`coalsurv.backend.kernel_cure` has the formulas), an interval-censored ending, both.
The combination is linear in the terms' derivatives with weights that depend on the values
only, so :func:`ending` returns the row's value, the four weights ``w_h, w_t, w_u, w_0`` and
``d/d lin`` (the cure predictor) from the four values; the row's ``d/d eta`` and ``d/d theta``
are the weighted sums of the terms' derivatives (:func:`lean_row`), and the piecewise
baseline takes the weights as they are (:func:`coalsurv.backend.kernel_piecewise.pw_row`).
Before, the kernel re-evaluated the cure formulas once per weight (``combine_at`` with unit
derivatives), each time with the link.

The cure predictor ``lin = cure_intercept + Z_cure[i] cure_beta`` takes as many values as
``Z_cure`` has distinct rows (two for a binary covariate, one without covariates): the plan
packs the distinct rows and each row's pattern after ``Z_cure`` (:func:`cure_patterns`), and
:func:`cure_table` evaluates the link once per pattern per call (``lin``, ``log pi``, its
``lin`` derivative, ``log(1 - pi)``, its derivative; promotion time: ``theta = e^-lin`` in
the second slot). The rows add their ``d/d lin`` per pattern; :func:`cure_grad` spreads it
over the cure intercept and coefficients once. Each ``log(e^a + e^b)`` or ``log(e^a - e^b)``
costs one ``exp`` and one ``log`` (its weights follow from the same ratio), where the shared
formulas took five transcendental calls.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_cure import cure_shares, log1mexp_exp
from coalsurv.backend.kernel_layout import (
    H_CURE,
    H_CURE_DATA,
    H_CURE_LINK,
    H_CURE_Q,
    H_N,
    H_OFF_CBETA,
    H_OFF_CINT,
)
from coalsurv.families.kernels import family_terms, family_terms_at, log_cdf_terms

__all__ = ["cure_patterns", "cure_table", "cure_grad", "log_diff", "interval_weights",
           "interval_ending", "ending", "lean_row"]

_LOG_HALF = -0.6931471805599453


def cure_patterns(z_cure: np.ndarray) -> list[np.ndarray]:
    """Return the buffer's cure patterns after ``Z_cure`` ``(n, q)``: ``U``, each row's, rows.

    Data only, once per plan (NumPy): the number of distinct rows ``U``, each row's pattern
    index ``(n,)`` and the distinct rows ``(U, q)``.
    """
    z = np.asarray(z_cure, dtype=float)
    rows, index = np.unique(z, axis=0, return_inverse=True)
    return [np.array([float(rows.shape[0])]), np.ravel(index).astype(float), rows.ravel()]


@njit(cache=True, error_model="numpy")
def cure_table(buf, x):
    """Return the cure patterns' table ``(U, 5)`` and each row's pattern (empty: no cure).

    Per pattern: ``lin``, then mixture ``log pi``, ``d log pi/d lin``, ``log(1 - pi)``,
    ``d log(1 - pi)/d lin`` (the link's, :func:`coalsurv.backend.kernel_cure.cure_shares`);
    promotion time ``lin, e^-lin, 0, 0, 0``. Without cure covariates one pattern serves every
    row (the returned pattern array is then empty).
    """
    cure = int(buf[H_CURE])
    n = int(buf[H_N])
    n_c = int(buf[H_CURE_Q]) if cure > 0 else 0
    empty = buf[:0]
    if cure == 0:
        return np.zeros((0, 5)), empty
    if n_c == 0:
        U, pattern, rows = 1, empty, empty
    else:
        d = int(buf[H_CURE_DATA]) + n * n_c
        U = int(buf[d])
        pattern = buf[d + 1:d + 1 + n]
        rows = buf[d + 1 + n:d + 1 + n + U * n_c]
    tab = np.zeros((U, 5))
    link = int(buf[H_CURE_LINK])
    off_b = int(buf[H_OFF_CBETA])
    for p in range(U):
        lin = x[int(buf[H_OFF_CINT])]
        for j in range(n_c):
            lin += rows[p * n_c + j] * x[off_b + j]
        tab[p, 0] = lin
        if cure == 1:
            tab[p, 1], tab[p, 2], tab[p, 3], tab[p, 4] = cure_shares(link, lin)
        else:
            tab[p, 1] = math.exp(-lin)
    return tab, pattern


@njit(cache=True, error_model="numpy")
def cure_grad(buf, g_pat, grad):
    """Add the rows' ``d/d lin`` summed per pattern to the cure intercept and coefficients."""
    n = int(buf[H_N])
    n_c = int(buf[H_CURE_Q])
    off_b = int(buf[H_OFF_CBETA])
    rows = buf[int(buf[H_CURE_DATA]) + n * n_c + 1 + n:] if n_c > 0 else buf[:0]
    for p in range(g_pat.shape[0]):
        grad[int(buf[H_OFF_CINT])] += g_pat[p]
        for j in range(n_c):
            grad[off_b + j] += g_pat[p] * rows[p * n_c + j]


@njit(cache=True, inline="always", error_model="numpy")
def log_diff(a, b):
    """``log(e^a - e^b)`` (``b <= a``) and its weights in ``a`` and ``b`` (the latter <= 0)."""
    d = b - a
    if d > _LOG_HALF:  # 1 - e^d by expm1: no cancellation near d = 0
        om = -math.expm1(d)
        r = 1.0 - om
    else:
        r = math.exp(d)
        om = 1.0 - r
    return a + math.log(om), 1.0 / om, -r / om


@njit(cache=True, inline="always", error_model="numpy")
def interval_weights(log_sl, log_su):
    """``log(S(l) - S(u))`` and the weights of ``log S(l)`` and ``log S(u)``.

    The survival form where ``S(u) <= 1/2``, else the distribution functions' ``F(u) - F(l)``
    (as :func:`coalsurv.families.kernels.interval_terms`), so neither cancels nor underflows.
    """
    if log_su == -math.inf:  # u = inf: right-censored at l
        return log_sl, 1.0, 0.0
    if log_su <= _LOG_HALF:
        return log_diff(log_sl, log_su)
    f_l = -math.expm1(log_sl) if log_sl < 0.0 else 0.0
    f_u = -math.expm1(log_su)
    diff = f_u - f_l
    return math.log(diff), (1.0 - f_l) / diff, -(1.0 - f_u) / diff


@njit(cache=True, inline="always", error_model="numpy")
def _log_add(a, b):
    """``log(e^a + e^b)`` and the shares ``e^a``, ``e^b`` of the sum."""
    if a >= b:
        r = math.exp(b - a)
        return a + math.log1p(r), 1.0 / (1.0 + r), r / (1.0 + r)
    r = math.exp(a - b)
    return b + math.log1p(r), r / (1.0 + r), 1.0 / (1.0 + r)


@njit(cache=True, inline="always", error_model="numpy")
def _one_minus(log_s):
    """``S = e^log_s`` and ``F = 1 - S`` from one transcendental call, each accurate."""
    if log_s > _LOG_HALF:
        f = -math.expm1(log_s)
        return 1.0 - f, f
    s = math.exp(log_s)
    return s, 1.0 - s


@njit(cache=True, inline="always", error_model="numpy")
def _entry(cure, c1, c2, c3, c4, log_s0):
    """Return the delayed entry's ``(value, w_0, d/d lin)``, to add to the row's."""
    if cure == 0:
        return -log_s0, -1.0, 0.0
    if cure == 1:
        v0, pa, pb = _log_add(c1, c3 + log_s0)
        return -v0, -pb, -(pa * c2 + pb * c4)
    s0, f0 = _one_minus(log_s0)
    return c1 * f0, -c1 * s0, -c1 * f0


@njit(cache=True, inline="always", error_model="numpy")
def interval_ending(cure, lin, c1, c2, c3, c4, has_entry, log_s, log_i, log_s0):
    """Return an interval row's ``(value, w_t, w_i, w_0, d/d lin)`` from ``log_i``.

    ``log_i = log(S_u(l) - S_u(u))``, the uncured family's interval probability.
    ``w_i`` is the weight of ``log_i`` (whichever form gave it: :func:`interval_weights` or,
    in the lower tail, the distribution functions of :func:`lean_row`), ``w_t`` that of ``log
    S(l)`` outside it (the promotion-time cure's ``-theta F_u(l)``).
    """
    if cure == 0:
        val, w_t, w_i, d_lin = log_i, 0.0, 1.0, 0.0
    elif cure == 1:  # mixture: c3, c4 = log(1 - pi) and its derivative
        val, w_t, w_i, d_lin = log_i + c3, 0.0, 1.0, c4
    else:  # promotion time: log S(l) + log(1 - e^-D), D = theta (S_u(l) - S_u(u))
        theta = c1
        s, big_f = _one_minus(log_s)
        g, w_i = log1mexp_exp(log_i - lin)
        val = -theta * big_f + g
        w_t = theta * s
        d_lin = theta * big_f - w_i
    w_0 = 0.0
    if has_entry:
        v0, w_0, d0 = _entry(cure, c1, c2, c3, c4, log_s0)
        val += v0
        d_lin += d0
    return val, w_t, w_i, w_0, d_lin


@njit(cache=True, inline="always", error_model="numpy")
def ending(cure, lin, c1, c2, c3, c4, ev, is_int, has_entry, log_h, log_s, log_su, log_s0):
    """One row's value from its terms' values: ``(value, w_h, w_t, w_u, w_0, d/d lin)``.

    ``c1..c4``: the row's cure pattern (:func:`cure_table`); ``w_*`` the weights of ``log
    h(t)``, ``log S(t)``, ``log S(upper)`` and ``log S(entry)``. As
    :func:`coalsurv.backend.kernel_spline.combine`.
    """
    if is_int:
        log_i, w_il, w_iu = interval_weights(log_s, log_su)
        val, w_t, w_i, w_0, d_lin = interval_ending(cure, lin, c1, c2, c3, c4, has_entry, log_s,
                                                    log_i, log_s0)
        return val, 0.0, w_t + w_i * w_il, w_i * w_iu, w_0, d_lin
    w_h, d_lin = 0.0, 0.0
    if cure == 0:
        val, w_h, w_t = ev * log_h + log_s, ev, 1.0
    elif cure == 1:  # mixture: c1..c4 = log pi, its derivative, log(1 - pi), its derivative
        if ev > 0.0:
            val, w_h, w_t, d_lin = c3 + log_h + log_s, 1.0, 1.0, c4
        else:
            val, pa, w_t = _log_add(c1, c3 + log_s)
            d_lin = pa * c2 + w_t * c4
    else:  # promotion time: log S = -theta F_u, theta = e^-lin
        theta = c1
        s, big_f = _one_minus(log_s)
        val = -theta * big_f
        w_t = theta * s
        d_lin = theta * big_f
        if ev > 0.0:
            val += -lin + log_h + log_s
            w_h = 1.0
            w_t += 1.0
            d_lin -= 1.0
    w_0 = 0.0
    if has_entry:
        v0, w_0, d0 = _entry(cure, c1, c2, c3, c4, log_s0)
        val += v0
        d_lin += d0
    return val, w_h, w_t, 0.0, w_0, d_lin


@njit(cache=True, inline="always", error_model="numpy")
def lean_row(fam, cure, lin, c1, c2, c3, c4, ev, is_int, has_entry, t, log_t, up, log_up, en,
             log_en, eta, theta, log_theta):
    """Return a cure or interval row of a :func:`~coalsurv.families.kernels.family_terms` family.

    Returns ``(value, d/d eta, d/d theta, d/d lin)``: the family's terms at exit (inlined),
    upper bound and entry (calls), weighted by :func:`ending`.
    """
    log_h, dh_eta, dh_th, log_s, ds_eta, ds_th = family_terms(fam, t, log_t, eta, theta,
                                                              log_theta)
    log_su, dsu_eta, dsu_th = 0.0, 0.0, 0.0
    if is_int:
        _, _, _, log_su, dsu_eta, dsu_th = family_terms_at(fam, up, log_up, eta, theta,
                                                           log_theta)
    log_s0, ds0_eta, ds0_th = 0.0, 0.0, 0.0
    if has_entry:
        _, _, _, log_s0, ds0_eta, ds0_th = family_terms_at(fam, en, log_en, eta, theta,
                                                           log_theta)
    if is_int and (fam == 4 or fam == 5) and log_su > _LOG_HALF:
        # the lower tail: log(F(u) - F(l)) from log F, which stays finite where F ~ e^-800
        # rounds 1 - S to 0 (the graph's Family.log_interval takes the same form there)
        lf_l, dfl_eta, dfl_th = log_cdf_terms(fam, t, log_t, eta, theta)
        lf_u, dfu_eta, dfu_th = log_cdf_terms(fam, up, log_up, eta, theta)
        if lf_l == -math.inf:
            log_i, w_fu, w_fl = lf_u, 1.0, 0.0
        else:
            log_i, w_fu, w_fl = log_diff(lf_u, lf_l)
        val, w_t, w_i, w_0, d_lin = interval_ending(cure, lin, c1, c2, c3, c4, has_entry, log_s,
                                                    log_i, log_s0)
        d_eta = w_t * ds_eta + w_i * (w_fu * dfu_eta + w_fl * dfl_eta)
        d_th = w_t * ds_th + w_i * (w_fu * dfu_th + w_fl * dfl_th)
        if has_entry:
            d_eta += w_0 * ds0_eta
            d_th += w_0 * ds0_th
        return val, d_eta, d_th, d_lin
    val, w_h, w_t, w_u, w_0, d_lin = ending(cure, lin, c1, c2, c3, c4, ev, is_int, has_entry,
                                            log_h, log_s, log_su, log_s0)
    d_eta = w_t * ds_eta
    d_th = w_t * ds_th
    if w_h != 0.0:
        d_eta += w_h * dh_eta
        d_th += w_h * dh_th
    if is_int:
        d_eta += w_u * dsu_eta
        d_th += w_u * dsu_th
    if has_entry:
        d_eta += w_0 * ds0_eta
        d_th += w_0 * ds0_th
    return val, d_eta, d_th, d_lin
