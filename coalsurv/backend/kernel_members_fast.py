"""The mm() member blocks on the PH fast row loop: two sweeps of the memberships, not ten.

Same quantities as :mod:`coalsurv.backend.kernel_members` (read its doc for the model) on
the fast buffer's members copy, plus a section after the copy that holds what does not depend
on the parameters (:func:`coalsurv.backend.native_fast_common.mm_fast_section`, at the copy's
own ``H_LEN``), rows (coalitions) in the fast loop's order::

    [length, n, R, Q | coal (R) | member (R) | X column-major (Q x R) | W (n) | WX (Q x n)]

``coal``: each membership's row (its position in the fast loop), ``member`` its member, both
int64 bits read through a view (no float-to-int conversion per membership); ``W_i = sum_r
w_r`` and ``WX_i = sum_r w_r X_r`` per row, filled for fixed weights (``equal``, ``share``;
zeros otherwise). ``theta`` and ``g_row`` are then in the fast order too: no permutation
either way. Fixed
weights then need no weight pass at all and no per-membership covariate term::

    theta_i = sd zs_i - A W_i + WX_i beta_mm,   zs_i = sum_r w_r z[member_r]

(``A`` the intercept shift of member effects on the intercept, else 0; centred: ``sd`` = 1):
one gather-scatter sweep of the memberships forward (``zs``) and one backward (the levels'
gradient ``sd g_i w_r``); ``d / d log sd = sd sum_i g_i zs_i``, ``d / d beta_mm = WX' g`` and
the intercept's ``-sum_i g_i W_i`` are sums over coalitions. Estimated weights (``power``,
``logistic``): the raw weights in one vectorised ``fexp`` sweep, each row's ``c`` from the
contiguous covariate columns, then one sweep summing ``T_i = sum raw`` and ``S_i = sum raw
c`` (``theta = S / T`` normalised, else ``S``); backward one sweep (``gw_r = g_i raw_r /
T_i``: the levels' scatter, ``log sd``'s and the weight parameters' sums) and one dot
product per covariate column. Summation order differs from kernel_members' (values equal to
rounding); the column dot products are :func:`_dot` (``fastmath`` reassociation: it is only
a fast-math block). Every other function states ``fastmath=False``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_layout import (
    H_LEN,
    H_MM_LEVELS,
    H_MM_SUM,
    H_MM_WEIGHTS,
    H_OFF_BMM,
    H_OFF_SDMM,
    H_OFF_W1,
    H_OFF_W2,
    H_OFF_ZMM,
    intercept,
)
from coalsurv.backend.kernel_members import intercept_grad, mm_arrays, mm_mode

__all__ = ["mm_section", "mm_fast_theta", "mm_fast_grad", "mm_fast_scratch"]


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_section(mmb):
    """Return the section's views: coal, member (int64, R each), X (Q, R), W (n), WX (Q, n)."""
    sec = mmb[int(mmb[H_LEN]):]
    n, R, Q = int(sec[1]), int(sec[2]), int(sec[3])
    d = 4
    coal = sec[d:d + R].view(np.int64)
    d += R
    member = sec[d:d + R].view(np.int64)
    d += R
    Xc = sec[d:d + Q * R].reshape((Q, R))
    d += Q * R
    W = sec[d:d + n]
    d += n
    WX = sec[d:d + Q * n].reshape((Q, n))
    return coal, member, Xc, W, WX


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_fast_scratch(mmb):
    """Return the arrays :func:`mm_fast_theta` fills: raw (R), c (R), T, theta, zs (n each)."""
    sec = mmb[int(mmb[H_LEN]):]
    n, R = int(sec[1]), int(sec[2])
    return np.empty(R), np.empty(R), np.empty(n), np.empty(n), np.empty(n)


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def _dot(a, b):
    """``sum a b`` (vectorised: reassociated)."""
    s = 0.0
    for r in range(a.shape[0]):
        s += a[r] * b[r]
    return s


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def _sum(a):
    """``sum a`` (vectorised: reassociated)."""
    s = 0.0
    for r in range(a.shape[0]):
        s += a[r]
    return s


@njit(cache=True, error_model="numpy", fastmath=False)
def _effects(mmb, x, k):
    """Whether there are member effects, their scale, shift and the cause's level offset."""
    off_sd = int(mmb[H_OFF_SDMM])
    if off_sd < 0:
        return False, 0.0, 0.0, 0
    lmode = mm_mode(mmb)
    sd = 1.0 if lmode > 0 else math.exp(x[off_sd + k])
    shift = intercept(mmb, x, k)[2] if lmode == 2 else 0.0
    return True, sd, shift, int(mmb[H_OFF_ZMM]) + k * int(mmb[H_MM_LEVELS])


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_fast_theta(mmb, x, k, raw, c, tot, theta, zs):
    """Cause ``k``'s member term ``theta`` of every row (the section's row order).

    Also fills what :func:`mm_fast_grad` reads: fixed weights ``zs`` (``raw``, ``c`` and
    ``tot`` untouched); estimated weights the raw weights, each membership's ``c`` and ``T``
    (1 when not normalised).
    """
    share, size = mm_arrays(mmb)[2:4]
    coal, member, Xc, W, WX = mm_section(mmb)
    R, Q, n = coal.shape[0], Xc.shape[0], theta.shape[0]
    off_b = int(mmb[H_OFF_BMM]) + k * Q
    has_u, sd, shift, off_z = _effects(mmb, x, k)
    z = x[off_z:] if has_u else x[:0]
    wmode = int(mmb[H_MM_WEIGHTS])
    if wmode == 0:  # fixed weights: one sweep for the member effects, the rest per row
        for i in range(n):
            zs[i] = 0.0
        if has_u:
            for r in range(R):
                zs[coal[r]] += share[r] * z[member[r]]
        for i in range(n):
            theta[i] = sd * zs[i] - shift * W[i]
        for j in range(Q):
            b = x[off_b + j]
            wx = WX[j]
            for i in range(n):
                theta[i] += wx[i] * b
        return
    if wmode == 1:  # power: share ** gamma (share holds log share)
        gamma = math.exp(x[int(mmb[H_OFF_W1])])
        for r in range(R):
            raw[r] = fexp(gamma * share[r])
    else:  # logistic
        b0 = x[int(mmb[H_OFF_W1])]
        b1 = x[int(mmb[H_OFF_W2])]
        for r in range(R):
            raw[r] = 1.0 / (1.0 + (size[r] - 1.0) * fexp(-(b0 + b1 * share[r])))
    if has_u:
        for r in range(R):
            c[r] = sd * z[member[r]] - shift
    else:
        for r in range(R):
            c[r] = 0.0
    for j in range(Q):  # contiguous columns
        b = x[off_b + j]
        xj = Xc[j]
        for r in range(R):
            c[r] += xj[r] * b
    for i in range(n):
        theta[i] = 0.0
    if int(mmb[H_MM_SUM]) != 1:
        for i in range(n):
            tot[i] = 1.0
        for r in range(R):
            theta[coal[r]] += raw[r] * c[r]
        return
    for i in range(n):
        tot[i] = 0.0
    for r in range(R):
        i = coal[r]
        tot[i] += raw[r]
        theta[i] += raw[r] * c[r]
    for i in range(n):  # a row without memberships: theta 0 (as kernel_members)
        t = tot[i]
        theta[i] = theta[i] / t if t != 0.0 else 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_fast_grad(mmb, x, k, g_row, raw, c, tot, theta, zs, grad):
    """Add cause ``k``'s gradient through the member term given ``g_row = d log L / d eta``.

    ``g_row`` in the section's row order; ``raw``, ``c``, ``tot``, ``theta``, ``zs``: as
    :func:`mm_fast_theta` left them; estimated weights overwrite ``raw`` (with ``g_i raw_r /
    T_i``) and ``c`` (each row's factor of the weight parameters' gradient).
    """
    share = mm_arrays(mmb)[2]
    coal, member, Xc, W, WX = mm_section(mmb)
    R, Q, n = coal.shape[0], Xc.shape[0], g_row.shape[0]
    off_b = int(mmb[H_OFF_BMM]) + k * Q
    off_sd = int(mmb[H_OFF_SDMM])
    has_u, sd, shift, off_z = _effects(mmb, x, k)
    gz = grad[off_z:] if has_u else grad[:0]  # the levels' gradient
    lmode = mm_mode(mmb)
    wmode = int(mmb[H_MM_WEIGHTS])
    if wmode == 0:  # fixed weights
        for j in range(Q):
            grad[off_b + j] += _dot(g_row, WX[j])
        if not has_u:
            return
        for r in range(R):  # the levels: sd g_i w_r
            gz[member[r]] += sd * (g_row[coal[r]] * share[r])
        if lmode == 0:
            grad[off_sd + k] += sd * _dot(g_row, zs)
        elif lmode == 2:
            intercept_grad(mmb, x, k, -_dot(g_row, W), grad)
        return
    gt = np.empty(n)  # d log L / d raw weight's factor g_i / T_i
    for i in range(n):
        t = tot[i]
        gt[i] = g_row[i] / t if t != 0.0 else 0.0
    th = theta if int(mmb[H_MM_SUM]) == 1 else np.zeros(n)
    # one sweep, no reduction in it (a serial add chain per row, fastmath off): raw becomes
    # gw_r = g_i raw_r / T_i, c the weight parameter's factor per row, gl each level's sum
    # of gw; then dot products (vectorised)
    gl = np.zeros(int(mmb[H_MM_LEVELS]) if has_u else 0)
    if wmode == 1:  # power: d raw / d log gamma = gamma raw share (share holds log share)
        for r in range(R):
            i = coal[r]
            v = gt[i] * raw[r]
            raw[r] = v
            c[r] = v * (c[r] - th[i])
        g_w1 = _dot(c, share) * math.exp(x[int(mmb[H_OFF_W1])])
        g_w2 = 0.0
    else:  # logistic: d raw / dq = raw (1 - raw), q = b0 + b1 share
        for r in range(R):
            i = coal[r]
            a = raw[r]
            v = gt[i] * a
            raw[r] = v
            c[r] = v * (c[r] - th[i]) * (1.0 - a)
        g_w1 = _sum(c)
        g_w2 = _dot(c, share)
    if has_u:
        for r in range(R):
            gl[member[r]] += raw[r]
    for j in range(Q):
        grad[off_b + j] += _dot(raw, Xc[j])
    if has_u:
        gz = grad[off_z:]
        for m in range(gl.shape[0]):
            gz[m] += gl[m] * sd
        if lmode == 0:
            grad[off_sd + k] += _dot(gl, x[off_z:off_z + gl.shape[0]]) * sd
        elif lmode == 2:
            intercept_grad(mmb, x, k, -_sum(gl), grad)
    grad[int(mmb[H_OFF_W1])] += g_w1
    if wmode == 2:
        grad[int(mmb[H_OFF_W2])] += g_w2
