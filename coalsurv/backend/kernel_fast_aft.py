"""The fast row loop for the location-scale (AFT) families: Weibull AFT, log-logistic, log-normal.

The model (:mod:`coalsurv.backend.native_fast_aft` decides when a plan is exactly this shape),
one cause, exact and right-censored endings, delayed entry, at most one frailty factor::

    lin_i = intercept_std (+ centre) + X[i] beta_std
    eta_i = s lin_i + u[g_i] + strata_dev[s_i] (+ mm_i)  s = exp(std mean_s log theta_s)
    log theta_i = log theta[s_i] + Z[i] beta_shape      (strata, shape covariates: optional)
    z_i = c_i (log t_i - eta_i)                         c_i = theta_i^sgn

with ``sgn = +1`` for the Weibull AFT (``theta = k``; ``log S = -e^z``) and the log-logistic
(``log S = -log(1 + e^z)``) and ``sgn = -1`` for the log-normal (``theta = sigma``; ``log S =
log(1 - Phi(z))``), as :func:`coalsurv.families.kernels.family_terms` and
:func:`coalsurv.backend.kernel_rows.row_terms` (the chain rule through the AFT scale ``s``).
Each row's log likelihood is a function of ``z`` (and ``z0`` at the entry) and ``log theta_i``,
so per row the loop keeps ``g = d log L / d z`` and gets ``d/d eta = -c g`` and ``d/d log
theta_i = sgn (d + g z + g0 z0)`` (``d`` the event indicator). The delayed-entry rows come
first, ``X`` and ``Z`` are stored by column, and each block of at most :data:`AFT_BLOCK`
rows (whatever their levels: the frailty effect and the stratum's values are gathered per row,
their gradients scattered, so small levels cost no short loops) runs in branch-free passes
(``lin``; ``eta``, ``log theta`` and ``c``; the exit terms; the entry terms of the block's
delayed-entry rows; the sums by column) with
:func:`~coalsurv.backend.kernel_fastmath.fexp` and
:func:`~coalsurv.backend.kernel_fastmath.softplus_sigmoid`, the log-normal's tail with
:func:`~coalsurv.backend.kernel_fastmath.log_normal_sf_fast` (Cody's ``erfcx``). The priors
are the generic kernel's, as in :mod:`coalsurv.backend.kernel_fast`, which dispatches here on
the family code (``>= AFT_CODES``).

Cure (header 20: 1 mixture, 2 promotion time): the link is evaluated once per distinct row of
``Z_cure`` per evaluation (:func:`coalsurv.backend.kernel_ending.cure_table` on the rows'
generic copy), each row gathers its pattern's values, and the block runs the cured exit and
entry passes of :mod:`coalsurv.backend.kernel_fast_aft_cure` in place of the uncured ones;
``d/d lin`` per pattern goes to :func:`~coalsurv.backend.kernel_ending.cure_grad`.
``mm()`` (header 23: the membership rows ``R``): the member term of every coalition
(``mm_i``, added to ``eta`` as the generic kernel does: on the eta scale, not times ``s``) is
computed once per evaluation by :func:`coalsurv.backend.kernel_members.mm_weights` and
``mm_theta`` in the generic row order and gathered into the loop's order; each row's ``d/d
eta`` is kept and handed back in the generic order to ``mm_grad`` (the member priors are
the generic kernel's, from the priors' copy).

Buffer (float64): ``[length, start of the generic copy, code, n, P, L, off_int, off_beta,
off_theta, mode, off_sd, off_levels, centre, delayed-entry rows m, std, theta values ts, strata
S, off_strata_dev, Q, off_beta_shape, cure kind, start of the rows' generic copy (-1: none),
its length, mm() rows R, e1, e2]`` (:data:`A_HEAD` values; with a cure the rows are sorted by
event within delayed entry: events ``[0, e1)`` and ``[m, e2)``, else ``e1 = m``, ``e2 = n``),
then ``X`` by column (P n), ``log t``, ``log entry``, the event indicator, each row's original
position, each row's frailty level (n each; 0 without a frailty, ``L = 1``, ``mode = -1``),
each row's stratum (n when ``S > 0``), ``Z`` by column (Q n), each row's cure pattern (n with
cure), the rows' generic copy (with cure or ``mm()``: the generic buffer up to its cure and
member sections, ``H_N = n``), then the priors' generic copy (no rows;
:func:`coalsurv.backend.native_fast_aft.aft_buffer`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_ending import cure_grad, cure_table
from coalsurv.backend.kernel_fast_aft_cure import CURE_ROWS, cure_entry, cure_exit
from coalsurv.backend.kernel_fast_base import FASTMATH, level_effects, level_grads
from coalsurv.backend.kernel_fastmath import fexp, log_normal_sf_fast, softplus_sigmoid
from coalsurv.backend.kernel_layout import H_MM_WEIGHTS, zerosum_grad, zerosum_values
from coalsurv.backend.kernel_members import mm_arrays, mm_grad, mm_theta, mm_weights
from coalsurv.families.kernels_normal import HALF_LOG_2PI

__all__ = ["AFT_CODES", "AFT_BLOCK", "A_HEAD", "aft_rows", "aft_pointwise_into"]

#: The fast buffer's family code of the Weibull AFT; the log-logistic and log-normal follow.
AFT_CODES = 20
#: Rows per block (a block's scratch stays in L1).
AFT_BLOCK = 256
#: Header length of the AFT fast buffer.
A_HEAD = 26

_FM = FASTMATH
_LIN, _ETA, _LTH, _C, _G, _GZ, _VAL = 0, 1, 2, 3, 4, 5, 6  # scratch rows


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _exit_terms(fam, lt, ev, s, w, sc):
    """Each row's value, ``g = d/dz`` and ``g z + d`` at its exit (one loop per family)."""
    if fam == 0:  # Weibull AFT: log h = log k - log t + z, log S = -e^z
        for i in range(w):
            z = sc[_C, i] * (lt[s + i] - sc[_ETA, i])
            d = ev[s + i]
            ez = fexp(z)
            sc[_VAL, i] = d * (sc[_LTH, i] - lt[s + i] + z) - ez
            g = d - ez
            sc[_G, i] = g
            sc[_GZ, i] = g * z + d
    elif fam == 1:  # log-logistic: log h = log k - log t + z - sp(z), log S = -sp(z)
        for i in range(w):
            z = sc[_C, i] * (lt[s + i] - sc[_ETA, i])
            d = ev[s + i]
            sp, sg = softplus_sigmoid(z)
            sc[_VAL, i] = d * (sc[_LTH, i] - lt[s + i] + z - sp) - sp
            g = d - (1.0 + d) * sg
            sc[_G, i] = g
            sc[_GZ, i] = g * z + d
    else:  # log-normal (c = 1/sigma): log f = -log t - log sigma - log(2 pi)/2 - z^2/2
        for i in range(w):
            z = sc[_C, i] * (lt[s + i] - sc[_ETA, i])
            d = ev[s + i]
            log_s, d_s = log_normal_sf_fast(z)
            sc[_VAL, i] = (d * (-lt[s + i] - sc[_LTH, i] - HALF_LOG_2PI - 0.5 * z * z)
                           + (1.0 - d) * log_s)
            g = (1.0 - d) * d_s - d * z
            sc[_G, i] = g
            sc[_GZ, i] = g * z + d


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _entry_terms(fam, le, s, w, sc):
    """Minus each row's log survival at its entry, into the value, ``g`` and ``g z``."""
    if fam == 0:
        for i in range(w):
            z0 = sc[_C, i] * (le[s + i] - sc[_ETA, i])
            e0 = fexp(z0)
            sc[_VAL, i] += e0
            sc[_G, i] += e0
            sc[_GZ, i] += e0 * z0
    elif fam == 1:
        for i in range(w):
            z0 = sc[_C, i] * (le[s + i] - sc[_ETA, i])
            sp, sg = softplus_sigmoid(z0)
            sc[_VAL, i] += sp
            sc[_G, i] += sg
            sc[_GZ, i] += sg * z0
    else:
        for i in range(w):
            z0 = sc[_C, i] * (le[s + i] - sc[_ETA, i])
            log_s, d_s = log_normal_sf_fast(z0)
            sc[_VAL, i] -= log_s
            sc[_G, i] -= d_s
            sc[_GZ, i] -= d_s * z0


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _block(fam, X, Z, lt, le, ev, lev, strat, s, e, m, a, scale, sgn, c0, beta, bshape, lth_s,
           u_lev, sdev, sc, acc, s_rx, s_rz, g_ths, g_sdev, g_lev, kind, tab, pat, g_pat, off,
           g_save, events):
    """Rows ``s:e`` (``s:m`` with delayed entry) into the sums.

    ``acc``: the log likelihood, ``sum d/d eta``, ``sum d/d eta x lin``; ``s_rx``, ``s_rz``,
    ``g_ths``, ``g_sdev``, ``g_lev``: ``d/d eta`` by column of ``X``, ``d/d log theta_i`` by
    column of ``Z`` and by stratum (family parameter), ``d/d eta`` by stratum (level
    deviation) and by frailty level. Cure (``kind`` 1 mixture, 2 promotion time): the rows of
    :mod:`~coalsurv.backend.kernel_fast_aft_cure` with the patterns' table ``tab``, each
    row's pattern ``pat`` and ``d/d lin`` per pattern into ``g_pat`` (``events``: the
    block's rows are all events, else all censored). ``off``: each row's
    ``mm()`` term of ``eta`` (empty: none); ``g_save``: each row's ``d/d eta`` (empty: not
    kept).
    """
    w = e - s
    P, Q, S, ts = beta.shape[0], bshape.shape[0], sdev.shape[0], lth_s.shape[0]
    for i in range(w):
        sc[_LIN, i] = a
    for j in range(P):
        b = beta[j]
        for i in range(w):
            sc[_LIN, i] += X[j, s + i] * b
    for i in range(w):
        sc[_ETA, i] = scale * sc[_LIN, i] + u_lev[int(lev[s + i])]
    if off.shape[0] > 0:
        for i in range(w):
            sc[_ETA, i] += off[s + i]
    if S > 0:
        for i in range(w):
            k = int(strat[s + i])
            sc[_ETA, i] += sdev[k]
            sc[_LTH, i] = lth_s[k if ts > 1 else 0]
    else:
        for i in range(w):
            sc[_LTH, i] = lth_s[0]
    for j in range(Q):
        b = bshape[j]
        for i in range(w):
            sc[_LTH, i] += Z[j, s + i] * b
    if ts > 1 or Q > 0:  # theta per row
        for i in range(w):
            sc[_C, i] = fexp(sgn * sc[_LTH, i])
    else:
        for i in range(w):
            sc[_C, i] = c0
    if kind == 0:
        _exit_terms(fam, lt, ev, s, w, sc)
        if m > s:
            _entry_terms(fam, le, s, min(m, e) - s, sc)
    else:
        cure_exit(fam, kind, events, lt, tab, pat, s, w, sc, g_pat)
        if m > s:
            cure_entry(fam, kind, le, tab, pat, s, min(m, e) - s, sc, g_pat)
    tot, s_e, s_dl = 0.0, 0.0, 0.0
    for i in range(w):
        g_eta = -sc[_C, i] * sc[_G, i]
        sc[_G, i] = g_eta
        sc[_GZ, i] *= sgn  # d / d log theta_i
        tot += sc[_VAL, i]
        s_e += g_eta
        s_dl += g_eta * sc[_LIN, i]
    acc[0] += tot
    acc[1] += s_e
    acc[2] += s_dl
    if g_save.shape[0] > 0:
        for i in range(w):
            g_save[s + i] = sc[_G, i]
    for j in range(P):
        t = 0.0
        for i in range(w):
            t += sc[_G, i] * X[j, s + i]
        s_rx[j] += t
    for j in range(Q):
        t = 0.0
        for i in range(w):
            t += sc[_GZ, i] * Z[j, s + i]
        s_rz[j] += t
    if g_lev.shape[0] > 1:
        for i in range(w):
            g_lev[int(lev[s + i])] += sc[_G, i]
    if S > 0:
        for i in range(w):
            k = int(strat[s + i])
            g_sdev[k] += sc[_G, i]
            g_ths[k if ts > 1 else 0] += sc[_GZ, i]
    else:
        t = 0.0
        for i in range(w):
            t += sc[_GZ, i]
        g_ths[0] += t


@njit(cache=True, error_model="numpy")
def _arrays(fb):
    """Return views of the buffer's arrays (see the module doc for their order)."""
    n, P, S, Q = int(fb[3]), int(fb[4]), int(fb[16]), int(fb[18])
    o = A_HEAD
    X = fb[o:o + P * n].reshape((P, n))
    o += P * n
    lt = fb[o:o + n]
    le = fb[o + n:o + 2 * n]
    ev = fb[o + 2 * n:o + 3 * n]
    order = fb[o + 3 * n:o + 4 * n]
    lev = fb[o + 4 * n:o + 5 * n]
    o += 5 * n
    ns = n if S > 0 else 0
    strat = fb[o:o + ns]
    o += ns
    Z = fb[o:o + Q * n].reshape((Q, n))
    o += Q * n
    pat = fb[o:o + (n if int(fb[20]) > 0 else 0)]
    o_rc = int(fb[21])  # the generic rows' copy (cure table, mm()): H_N = n
    rc = fb[o_rc:o_rc + int(fb[22])] if o_rc >= 0 else fb[:0]
    return X, lt, le, ev, order, lev, strat, Z, pat, rc


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate(fb, x, grad, rows_out):
    """Return the rows' log likelihood; add its gradient into ``grad``.

    Each row's value goes into ``rows_out`` (original order) unless it is empty.
    """
    fam = int(fb[2]) - AFT_CODES
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    m = int(fb[13])
    std, ts, S, off_sdev = fb[14], int(fb[15]), int(fb[16]), int(fb[17])
    Q, off_bs = int(fb[18]), int(fb[19])
    X, lt, le, ev, order, lev, strat, Z, pat, rc = _arrays(fb)
    kind, R = int(fb[20]), int(fb[23])
    sgn = -1.0 if fam == 2 else 1.0
    a = x[off_int] + fb[12]
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    bshape = x[off_bs:off_bs + Q] if Q > 0 else x[:0]
    lth_s = x[off_theta:off_theta + ts]
    mean = 0.0
    for s in range(ts):
        mean += lth_s[s] / ts
    scale = math.exp(std * mean)
    big_a = a * scale
    sdev = np.zeros(S)
    if off_sdev >= 0:
        zerosum_values(x, off_sdev, S, sdev)
    u_lev = np.zeros(L)  # the frailty effect of each level
    sd = level_effects(x, mode, off_sd, off_lev, big_a, u_lev)
    c0 = math.exp(sgn * lth_s[0])
    if kind > 0:  # the link once per distinct row of Z_cure (kernel_ending.cure_table)
        tab = cure_table(rc, x)[0]
    else:
        tab = np.zeros((1, 5))
    g_pat = np.zeros(tab.shape[0])
    m_raw, m_w, m_c = np.zeros(R), np.zeros(R), np.zeros(R)
    m_n = n if R > 0 else 0
    m_tot, m_eta, off, g_save = np.zeros(m_n), np.zeros(m_n), np.empty(m_n), np.empty(m_n)
    fixed = R > 0 and int(rc[H_MM_WEIGHTS]) == 0
    if fixed:  # fixed weights: mm_weights' raw and weights are the data's (totals 1)
        m_raw = mm_arrays(rc)[2]
        m_w = m_raw
        m_tot[:] = 1.0
    elif R > 0:
        mm_weights(rc, x, m_raw, m_w, m_tot)
    if R > 0:  # mm(): each coalition's member term (generic row order), then in this order
        mm_theta(rc, x, 0, m_w, m_c, m_eta)
        for j in range(n):
            off[j] = m_eta[int(order[j])]
    sc = np.empty((CURE_ROWS if kind > 0 else 7, AFT_BLOCK))
    acc = np.zeros(3)
    s_rx, s_rz, g_ths, g_sdev = np.zeros(P), np.zeros(Q), np.zeros(ts), np.zeros(S)
    g_lev = np.zeros(L if mode >= 0 else 0)
    # with a cure, the stretches of events and censored rows (each within delayed entry and
    # without) run in blocks of their own; without, the rows in one stretch
    ends = np.array([int(fb[24]), m, int(fb[25]), n]) if kind > 0 else np.array([n])
    seg0 = 0
    for k in range(ends.shape[0]):
        for b0 in range(seg0, ends[k], AFT_BLOCK):
            b1 = min(b0 + AFT_BLOCK, ends[k])
            _block(fam, X, Z, lt, le, ev, lev, strat, b0, b1, m, a, scale, sgn, c0, beta,
                   bshape, lth_s, u_lev, sdev, sc, acc, s_rx, s_rz, g_ths, g_sdev, g_lev, kind,
                   tab, pat, g_pat, off, g_save, k % 2 == 0)
            if rows_out.shape[0] > 0:
                for i in range(b1 - b0):
                    rows_out[int(order[b0 + i])] = sc[_VAL, i]
        seg0 = ends[k]
    if L == 1 and mode >= 0:  # one level: its sum is the total
        g_lev[0] = acc[1]
    d_big_a = level_grads(grad, x, mode, off_sd, off_lev, sd, g_lev, 0.0)  # d / d u of each
    grad[off_int] += scale * (acc[1] + d_big_a)
    for j in range(P):
        grad[off_beta + j] += scale * s_rx[j]
    for s in range(ts):  # the family's, then through the AFT scale
        grad[off_theta + s] += g_ths[s] + std * scale * (acc[2] + a * d_big_a) / ts
    for j in range(Q):
        grad[off_bs + j] += s_rz[j]
    if off_sdev >= 0:
        zerosum_grad(g_sdev, S, grad, off_sdev)
    if kind > 0:  # d/d lin per pattern to the cure intercept and coefficients
        cure_grad(rc, g_pat, grad)
    if R > 0:  # each row's d/d eta (generic order) through the member term
        g_row = np.empty(n)
        for j in range(n):
            g_row[int(order[j])] = g_save[j]
        mm_grad(rc, x, 0, g_row, m_raw, m_w, m_tot, m_c, m_eta, grad)
    return acc[0]


@njit(cache=True, error_model="numpy")
def aft_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (see the module doc)."""
    return _evaluate(fb, x, grad, np.zeros(0))


@njit(cache=True, nogil=True, error_model="numpy")
def aft_pointwise_into(fb, draws, out):
    """Each row's log likelihood (original row order) for each unconstrained draw, into ``out``."""
    grad = np.zeros(draws.shape[1])
    for d in range(draws.shape[0]):
        _evaluate(fb, draws[d], grad, out[d])
