"""The native kernel's mm() member blocks: weights, member term of eta, gradients, priors.

For coalition ``i`` with membership rows ``r`` (:mod:`coalsurv.build.members`)::

    theta_{k,i} = sum_r w_r c_{k,r},   c_{k,r} = X_r beta_mm_k + sd_mm_k z_mm[k, member_r]

added to cause ``k``'s eta. The rows sit in the buffer as a CSR structure sorted by coalition
(after the levels' mode, :func:`mm_mode`, ``start``: ``n + 1`` pointers, then per row its
member, share (or its fixed weight), the coalition's size and the standardised member
covariates). Member effects (the sampled levels at ``H_OFF_ZMM`` in every mode): 0
non-centred, ``z_mm`` sampled and ``u = sd z``; 1 centred, ``u_mm ~ Normal(0, sd_mm)``
sampled, ``z = u / sd`` traced (:mod:`~coalsurv.backend.kernel_levels`); 2 on the intercept,
``w_mm ~ Normal(A_k, sd_mm)`` sampled (``A_k`` the cause's intercept on the eta scale,
:func:`~coalsurv.backend.kernel_layout.intercept`), ``u = w - A_k`` and ``z = u / sd``
traced; ``u`` then depends on the intercept (and, AFT, on log theta) too. Weights: fixed
(``equal``, ``share``: the graph's ``mm_weight`` data), ``power`` (``share ** gamma =
exp(gamma log share)``, ``gamma`` log-transformed; the buffer holds ``log share`` in the share
column, so a weight costs one ``exp`` and its gradient none) or ``logistic`` (``1 / (1 + (n_i
- 1) exp(-(b0 + b1 share)))``), normalised over the coalition when ``sum_to_one``. With ``g_i
= d log L / d eta_i`` the gradient in a raw weight is ``g_i (c_r - theta_i) / T_i``
(normalised; ``T_i`` the coalition's sum of raw weights) or ``g_i c_r``, chained to ``log
gamma`` or ``b0``, ``b1``; the weight parameters are shared by the causes.

Loops: one per weight kind and per member-effect mode (no branch inside a row loop), the
weights' ``exp`` through :func:`~coalsurv.backend.kernel_fastmath.fexp`, the covariate term
column by column; every function states ``fastmath=False`` (numba would otherwise compile a
callee with its first caller's flags, e.g. a fast row loop's). The public functions'
signatures and meaning are a contract of the fast row loops that call them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_layout import (
    H_C,
    H_MM_DATA,
    H_MM_LEVELS,
    H_MM_Q,
    H_MM_R,
    H_MM_SUM,
    H_MM_WEIGHTS,
    H_N,
    H_OFF_BMM,
    H_OFF_INT,
    H_OFF_SDMM,
    H_OFF_THETA,
    H_OFF_W1,
    H_OFF_W2,
    H_OFF_ZMM,
    H_PRIOR_BMM,
    H_PRIOR_SDMM,
    H_PRIOR_W1,
    H_PRIOR_W2,
    H_STD,
    H_THETA_S,
    intercept,
    out_index,
)
from coalsurv.backend.kernel_levels import expand_levels, level_prior
from coalsurv.backend.kernel_priors import block_prior

__all__ = ["intercept_grad", "mm_arrays", "mm_mode", "mm_coalitions", "mm_weights",
           "mm_weights_rows",
           "mm_theta", "mm_theta_rows", "mm_grad", "mm_grad_rows", "mm_prior", "mm_expand"]

_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, inline="always", error_model="numpy")
def mm_mode(buf):
    """How the member effects are sampled: 0 ``z``, 1 centred ``u``, 2 ``w`` on the intercept."""
    return int(buf[int(buf[H_MM_DATA])])


@njit(cache=True, error_model="numpy", fastmath=False)
def intercept_grad(buf, x, k, g, grad):
    """Add ``g * d A_k / d x``: cause ``k``'s intercept on the eta scale (AFT: and log theta)."""
    a, scale, _ = intercept(buf, x, k)
    grad[int(buf[H_OFF_INT]) + k] += g * scale
    if buf[H_STD] != 0.0:
        ts = int(buf[H_THETA_S])
        for s in range(ts):
            grad[int(buf[H_OFF_THETA]) + k * ts + s] += g * buf[H_STD] * scale * a / ts


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_arrays(buf):
    """Return the membership rows' arrays (views): start, member, share, size, X."""
    n = int(buf[H_N])
    R = int(buf[H_MM_R])
    Q = int(buf[H_MM_Q])
    d = int(buf[H_MM_DATA]) + 1  # after the centring flag
    start = buf[d:d + n + 1]
    d += n + 1
    member = buf[d:d + R]
    d += R
    share = buf[d:d + R]
    d += R
    size = buf[d:d + R]
    d += R
    X = buf[d:d + R * Q].reshape((R, Q))
    return start, member, share, size, X


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_coalitions(buf):
    """Each membership row's coalition (int64, ``start[n]`` rows), without a per-row branch.

    A mark at each coalition's first row, then a running sum: the passes below then sweep the
    rows flat (a gather or scatter through this index) instead of a short loop per coalition,
    whose varying length costs a mispredicted branch per coalition.
    """
    start = mm_arrays(buf)[0]
    n = start.shape[0] - 1
    R = int(start[n])
    coal = np.zeros(R, np.int64)
    for i in range(1, n):  # coalition i starts at row start[i] (none past the last row)
        s = int(start[i])
        if s < R:
            coal[s] += 1
    c = 0
    for r in range(R):
        c += coal[r]
        coal[r] = c
    return coal


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_weights(buf, x, raw, w, total):
    """Raw weights, weights and each coalition's sum of raw weights (1 when not normalised).

    One loop per weight kind, each branch-free: the ``exp`` of ``power`` and ``logistic``
    weights is :func:`~coalsurv.backend.kernel_fastmath.fexp`, so the loop vectorises.

    Rows (here, in :func:`mm_theta` and :func:`mm_grad`): those of the buffer's coalitions,
    ``start[n]``, not the member section's length. A priors-only copy of a buffer (``H_N =
    0``, as the fast row loops make) has no coalitions and so reads no membership row (its
    member section may be a short dummy); a caller's scratch arrays may be longer.
    """
    mm_weights_rows(buf, x, raw, w, total, mm_coalitions(buf))


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_weights_rows(buf, x, raw, w, total, coal):
    """:func:`mm_weights` given :func:`mm_coalitions` (computed once per evaluation)."""
    start, member, share, size, X = mm_arrays(buf)
    mode = int(buf[H_MM_WEIGHTS])
    n = total.shape[0]
    R = int(start[start.shape[0] - 1])  # rows of the buffer's coalitions, not H_MM_R (below)
    if mode == 0:  # fixed weights: the graph's data
        for r in range(R):
            raw[r] = share[r]
    elif mode == 1:  # power: share ** gamma (share holds log share)
        gamma = math.exp(x[int(buf[H_OFF_W1])])
        for r in range(R):
            raw[r] = fexp(gamma * share[r])
    else:  # logistic
        b0 = x[int(buf[H_OFF_W1])]
        b1 = x[int(buf[H_OFF_W2])]
        for r in range(R):
            raw[r] = 1.0 / (1.0 + (size[r] - 1.0) * fexp(-(b0 + b1 * share[r])))
    if mode == 0 or int(buf[H_MM_SUM]) != 1:
        for i in range(n):
            total[i] = 1.0
        for r in range(R):
            w[r] = raw[r]
        return
    for i in range(n):
        total[i] = 0.0
    for r in range(R):  # the coalitions' sums, in row order
        total[coal[r]] += raw[r]
    inv = np.empty(n)
    for i in range(n):
        inv[i] = 1.0 / total[i]
    for r in range(R):
        w[r] = raw[r] * inv[coal[r]]


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_theta(buf, x, k, w, contrib, theta):
    """Cause ``k``'s member term of every coalition (``theta``) and each row's ``c`` (contrib)."""
    mm_theta_rows(buf, x, k, w, contrib, theta, mm_coalitions(buf))


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_theta_rows(buf, x, k, w, contrib, theta, coal):
    """:func:`mm_theta` given :func:`mm_coalitions`: flat passes over the rows."""
    start, member, share, size, X = mm_arrays(buf)
    Q = X.shape[1]
    R = int(start[start.shape[0] - 1])  # the coalitions' rows (see mm_weights)
    off_b = int(buf[H_OFF_BMM])
    off_sd = int(buf[H_OFF_SDMM])
    if off_sd >= 0:  # each member's effect: sd z, u (centred: sd = 1) or w - A_k (intercept)
        L = int(buf[H_MM_LEVELS])
        off_z = int(buf[H_OFF_ZMM]) + k * L
        mode = mm_mode(buf)
        sd = 1.0 if mode > 0 else math.exp(x[off_sd + k])
        shift = intercept(buf, x, k)[2] if mode == 2 else 0.0
        for r in range(R):
            contrib[r] = sd * x[off_z + int(member[r])] - shift
    else:
        for r in range(R):
            contrib[r] = 0.0
    for j in range(Q):  # column by column: X is (rows, Q), Q small
        b = x[off_b + k * Q + j]
        for r in range(R):
            contrib[r] += X[r, j] * b
    for i in range(theta.shape[0]):
        theta[i] = 0.0
    for r in range(R):  # each coalition's sum, in row order
        theta[coal[r]] += w[r] * contrib[r]


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_grad(buf, x, k, g_row, raw, w, total, contrib, theta, grad):
    """Add cause ``k``'s gradient through the member term given ``g_row = d log L / d eta``."""
    mm_grad_rows(buf, x, k, g_row, raw, w, total, contrib, theta, mm_coalitions(buf), grad)


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_grad_rows(buf, x, k, g_row, raw, w, total, contrib, theta, coal, grad):
    """:func:`mm_grad` given :func:`mm_coalitions`: flat passes over the rows."""
    start, member, share, size, X = mm_arrays(buf)
    Q = X.shape[1]
    R = int(start[start.shape[0] - 1])  # the coalitions' rows (see mm_weights)
    off_b = int(buf[H_OFF_BMM])
    off_sd = int(buf[H_OFF_SDMM])
    off_z = int(buf[H_OFF_ZMM])
    L = int(buf[H_MM_LEVELS])
    mode = int(buf[H_MM_WEIGHTS])
    normalise = int(buf[H_MM_SUM]) == 1
    level_mode = mm_mode(buf)
    # per row gw = g_i w_r (d log L / d c_r); estimated weights: d log L / d raw_r = g_i (c_r
    # - theta_i) / T_i (normalised) or g_i c_r, chained to the weight parameters at once
    gw = np.empty(R)
    for r in range(R):
        gw[r] = g_row[coal[r]] * w[r]
    g_w1, g_w2 = 0.0, 0.0
    if mode != 0:
        n = g_row.shape[0]
        gt, th = np.empty(n), np.zeros(n)
        for i in range(n):
            gt[i] = g_row[i] / total[i] if normalise else g_row[i]
            if normalise:
                th[i] = theta[i]
        if mode == 1:  # d / d log gamma of share ** gamma (share holds log share)
            for r in range(R):
                g_w1 += gt[coal[r]] * (contrib[r] - th[coal[r]]) * raw[r] * share[r]
        else:  # d raw / dq = raw (1 - raw)
            for r in range(R):
                dq = gt[coal[r]] * (contrib[r] - th[coal[r]]) * raw[r] * (1.0 - raw[r])
                g_w1 += dq
                g_w2 += dq * share[r]
    for j in range(Q):
        s = 0.0
        for r in range(R):
            s += gw[r] * X[r, j]
        grad[off_b + k * Q + j] += s
    if off_sd >= 0:
        base = off_z + k * L
        if level_mode == 0:  # u = sd z: the level and d / d log sd
            sd = math.exp(x[off_sd + k])
            g_sd = 0.0
            for r in range(R):
                pos = base + int(member[r])
                grad[pos] += gw[r] * sd
                g_sd += gw[r] * x[pos]
            grad[off_sd + k] += g_sd * sd
        else:  # the level itself (centred u, or w on the intercept)
            g_a = 0.0
            for r in range(R):
                grad[base + int(member[r])] += gw[r]
                g_a -= gw[r]
            if level_mode == 2:  # u = w - A_k
                intercept_grad(buf, x, k, g_a, grad)
    if mode == 1:
        grad[int(buf[H_OFF_W1])] += g_w1 * math.exp(x[int(buf[H_OFF_W1])])
    elif mode == 2:
        grad[int(buf[H_OFF_W1])] += g_w1
        grad[int(buf[H_OFF_W2])] += g_w2


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_prior(buf, x, grad):
    """Priors of beta_mm, sd_mm (log), the member effects and the weight parameters.

    Member effects: ``z_mm ~ Normal(0, 1)``, centred ``u_mm ~ Normal(0, sd_mm)`` or ``w_mm ~
    Normal(A_k, sd_mm)`` (on the intercept).
    """
    C = int(buf[H_C])
    Q = int(buf[H_MM_Q])
    total = 0.0
    if Q > 0:
        total += block_prior(buf, H_PRIOR_BMM, x, grad, int(buf[H_OFF_BMM]), C * Q, False)
    off_sd = int(buf[H_OFF_SDMM])
    if off_sd >= 0:
        total += block_prior(buf, H_PRIOR_SDMM, x, grad, off_sd, C, True)
        if mm_mode(buf) == 2:
            total += _prior_on_intercept(buf, x, grad, off_sd, int(buf[H_OFF_ZMM]),
                                         int(buf[H_MM_LEVELS]))
        else:
            total += level_prior(buf, x, grad, off_sd, int(buf[H_OFF_ZMM]),
                                 int(buf[H_MM_LEVELS]), mm_mode(buf) == 1)
    mode = int(buf[H_MM_WEIGHTS])
    if mode == 1:
        total += block_prior(buf, H_PRIOR_W1, x, grad, int(buf[H_OFF_W1]), 1, True)
    elif mode == 2:
        total += block_prior(buf, H_PRIOR_W1, x, grad, int(buf[H_OFF_W1]), 1, False)
        total += block_prior(buf, H_PRIOR_W2, x, grad, int(buf[H_OFF_W2]), 1, False)
    return total


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_expand(buf, x, out, pos):
    """Exponentiate sd_mm and gamma in ``out``; the traced member effects at ``pos``; new pos.

    Traced: ``u_mm = sd z`` (non-centred), ``z_mm = u / sd`` (centred) or ``u_mm = w - A_k``
    then ``z_mm = u / sd`` (on the intercept).
    """
    off_sd = int(buf[H_OFF_SDMM])
    if int(buf[H_MM_WEIGHTS]) == 1:
        i = int(buf[H_OFF_W1])
        out[out_index(buf, i)] = math.exp(x[i])
    if off_sd < 0:
        return pos
    L = int(buf[H_MM_LEVELS])
    off_w = int(buf[H_OFF_ZMM])
    if mm_mode(buf) < 2:
        return expand_levels(buf, x, out, pos, off_sd, off_w, L, mm_mode(buf) == 1)
    C = int(buf[H_C])
    for k in range(C):
        out[out_index(buf, off_sd + k)] = math.exp(x[off_sd + k])
    for k in range(C):  # u_mm = w - A_k
        big_a = intercept(buf, x, k)[2]
        for lev in range(L):
            out[pos] = x[off_w + k * L + lev] - big_a
            pos += 1
    for k in range(C):  # z_mm = u / sd
        sd = math.exp(x[off_sd + k])
        big_a = intercept(buf, x, k)[2]
        for lev in range(L):
            out[pos] = (x[off_w + k * L + lev] - big_a) / sd
            pos += 1
    return pos


@njit(cache=True, error_model="numpy", fastmath=False)
def _prior_on_intercept(buf, x, grad, off_sd, off_w, L):
    """``w_mm ~ Normal(A_k, sd_mm)`` per cause: log density, gradients in w, log sd, A_k."""
    total = 0.0
    for k in range(int(buf[H_C])):
        log_sd = x[off_sd + k]
        sd = math.exp(log_sd)
        big_a = intercept(buf, x, k)[2]
        d_mean = 0.0
        for lev in range(L):
            pos = off_w + k * L + lev
            r = (x[pos] - big_a) / sd
            total += -0.5 * r * r - log_sd - 0.5 * _LOG_2PI
            grad[pos] += -r / sd
            grad[off_sd + k] += r * r - 1.0
            d_mean += r / sd
        intercept_grad(buf, x, k, d_mean, grad)
    return total
