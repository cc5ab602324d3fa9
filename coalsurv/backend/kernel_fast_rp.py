r"""The Royston-Parmar spline (family ``rp``) on the fast row loop: blocked, branch-free passes.

The model (:mod:`coalsurv.backend.native_fast` accepts it in the same shape as the other fast
families: one cause, exact and right-censored endings, delayed entry, at most one frailty,
fixed effects) with ``x = log t``::

    s_i  = eta_i + gamma x_i + sum_j b_j w_j(x_i)       (the spline; eta_i = a + X[i] beta + u)
    s'_i = gamma + sum_j b_j w_j'(x_i)

hazard scale ``log h = log s' - x + s``, ``log S = -e^s``; odds scale ``log h = log s' - x + s
- softplus(s)``, ``log S = -softplus(s)`` (:mod:`coalsurv.backend.kernel_spline`, the
reference). The basis ``w_j``, ``w_j'`` is data: the buffer holds it by column. A row's log
likelihood is ``d (log s' - x + s) - F(s) + F(s0)`` (hazard: ``F = e^s`` for the exit and
``(1 + d) softplus`` on the odds scale; ``s0`` at the entry), so:

* ``sum d s`` is linear in the parameters: its data sums (events, ``sum d x``, ``sum d X``,
  ``sum d w(x)``, events per level) are packed once;
* ``s'`` depends on the time only: ``sum d log s'`` and its gradient (``d/s'`` along ``1`` and
  ``w'``) are one pass over the distinct event times (one ``log`` each); ``s' <= 0`` gives
  ``-inf`` as the generic kernel (and ``nan`` where a censored row has it: ``0 x -inf``);
* per evaluation each block of rows computes ``eta`` and ``s``, ``s0`` by column, one
  :func:`~coalsurv.backend.kernel_fast_base.fexp` per time point (odds: and a polynomial
  ``log1p``, :func:`~coalsurv.backend.kernel_fastmath.flog1p`), and accumulates ``F'(s)``
  against ``X``, ``x`` and the basis.

The hazard scale's soft cap of ``s`` above 600 (``kernel_spline._MAX_S``) is not in the blocks:
a block whose ``s`` passes it sends the whole evaluation to :func:`rp_exact`, the generic
kernel's own row (:func:`~coalsurv.backend.kernel_spline.rp_row`) on the same rows, which also
gives the pointwise log likelihood. The spline's prior and its monotonicity bound come with
the other priors from the generic copy (:func:`coalsurv.backend.kernel.logp_grad`).

Buffer: the fast buffer (:mod:`coalsurv.backend.kernel_fast`, family code :data:`RP_HAZARD`
or :data:`RP_ODDS`) with, between the rows' original positions and the generic copy, the rp
section: ``[K, offset of rp_spline, Ue, Uc]``, ``w(x)`` by column (K n), ``w(entry)`` by column
(K n), ``sum d w(x)`` (K), the ``Ue`` distinct event times' event counts (Ue) and ``w'`` by
column (K Ue), the ``Uc`` distinct censored times' ``w'`` by column (K Uc), and the rows'
basis as the generic buffer holds it (4, n, K), in the fast loop's row order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fast_base import (
    BLOCK,
    FASTMATH,
    entry_runs,
    fast_arrays,
    fast_end,
    fexp,
    generic_copy,
    level_grads,
    level_sums,
    level_u,
)
from coalsurv.backend.kernel_fastmath import flog, softplus_sigmoid
from coalsurv.backend.kernel_spline import rp_row, spline_arrays

__all__ = ["RP_HAZARD", "RP_ODDS", "RP_HEAD", "rp_fast_rows", "rp_exact",
           "rp_pointwise_into"]

#: Fast family codes of the rp spline's hazard and odds scales.
RP_HAZARD, RP_ODDS = 10, 11
#: Length of the rp section's own header.
RP_HEAD = 4
_MAX_S = 600.0  # kernel_spline's soft cap of s on the hazard scale


@njit(cache=True, error_model="numpy")
def _rp_arrays(fb):
    """Return views of the rp fast buffer's arrays (the module doc's order)."""
    n = int(fb[3])
    s_dx, d_lev, start, mid, X, log_t, log_en, ev, order = fast_arrays(fb)
    o = fast_end(fb)
    K, Ue, Uc = int(fb[o]), int(fb[o + 2]), int(fb[o + 3])
    o += RP_HEAD
    W0 = fb[o:o + K * n].reshape((K, n))
    o += K * n
    W2 = fb[o:o + K * n].reshape((K, n))
    o += K * n
    s_dw = fb[o:o + K]
    o += K
    cnt = fb[o:o + Ue]
    o += Ue
    W1e = fb[o:o + K * Ue].reshape((K, Ue))
    o += K * Ue
    W1c = fb[o:o + K * Uc].reshape((K, Uc))
    o += K * Uc
    basis = fb[o:o + 4 * n * K].reshape((4, n, K))
    return s_dx, d_lev, start, mid, X, log_t, log_en, ev, order, W0, W2, s_dw, cnt, W1e, W1c, basis


@njit(cache=True, error_model="numpy")
def _params(fb, x):
    """Return ``a`` (centred), ``beta``, ``gamma``, the spline constants, ``b``, the sd."""
    P, mode = int(fb[4]), int(fb[9])
    a = x[int(fb[6])] + fb[12]
    off_beta = int(fb[7])
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    gam = math.exp(x[int(fb[8])])
    spl, b, _ = spline_arrays(generic_copy(fb), x)
    sd = math.exp(x[int(fb[10])]) if mode == 0 else 1.0
    return a, beta, gam, spl, b, sd


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _eta(X, s, e, base, beta, r):
    """Write ``base + X beta`` of rows ``s:e`` into ``r`` (by column; 1-D views: _time_part)."""
    w = e - s
    for i in range(w):
        r[i] = base
    for j in range(beta.shape[0]):
        bj = beta[j]
        xj = X[j, s:e]
        for i in range(w):
            r[i] += xj[i] * bj


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _eta_rows(X_all, s, e, base_all, beta, r):
    """``eta`` of rows ``s:e`` into ``r`` (by column); ``base_all``: each row's ``a + u`` (n)."""
    w = e - s
    base = base_all[s:e]  # views indexed from 0 (see _time_part)
    for i in range(w):
        r[i] = base[i]
    for j in range(beta.shape[0]):
        bj = beta[j]
        xj = X_all[j, s:e]
        for i in range(w):
            r[i] += xj[i] * bj


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _time_part(W_all, times_all, s, e, gam, b, r, q):
    """``gamma x + sum_j b_j w_j(x)`` of rows ``s:e`` into ``q``; returns the largest ``s``.

    ``r``: the rows' ``eta`` (``s = eta + q``); ``times_all`` and ``W_all``: ``log t`` and
    ``w(log t)``, or the same at the entry.
    """
    w = e - s
    # 1-D views of rows s:e, one per column (a 2-D [:, s:e] view is not contiguous), indexed
    # from 0: the loops of rp on coalgov took 6.2 us against 8.0 indexed s + i (numba's
    # negative-index wraparound on each access)
    times = times_all[s:e]
    for i in range(w):
        q[i] = gam * times[i]
    for j in range(b.shape[0]):
        bj = b[j]
        wj = W_all[j, s:e]
        for i in range(w):
            q[i] += wj[i] * bj
    top = -math.inf
    for i in range(w):
        top = max(top, r[i] + q[i])
    return top


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _spread(X_all, W_all, times_all, s, e, wt, sign, s_rx, s_rw, acc):
    """Add ``sign`` times ``wt`` (a block's ``F'(s)``) against ``X``, ``x`` and the basis."""
    w = e - s
    times = times_all[s:e]  # views (see _time_part)
    tot = 0.0
    tt = 0.0
    for i in range(w):
        tot += wt[i]
        tt += wt[i] * times[i]
    acc[1] += sign * tot
    acc[2] += sign * tt
    for j in range(s_rx.shape[0]):
        t = 0.0
        xj = X_all[j, s:e]
        for i in range(w):
            t += wt[i] * xj[i]
        s_rx[j] += sign * t
    for j in range(s_rw.shape[0]):
        t = 0.0
        wj = W_all[j, s:e]
        for i in range(w):
            t += wt[i] * wj[i]
        s_rw[j] += sign * t


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _hazard(r, q, w):
    """``e^s`` into ``q`` (``s = r + q``); returns its sum (value and ``F'`` alike)."""
    tot = 0.0
    for i in range(w):
        v = fexp(r[i] + q[i])
        tot += v
        q[i] = v
    return tot


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _odds(r, q, ev, s, w, entry):
    """Odds scale: ``sum (1 + d) softplus(s)`` (``softplus(s0)`` at the entry), ``F'`` into ``q``.

    ``softplus(s) = max(s, 0) + log1p(e^-|s|)`` and ``sigmoid(s)`` from the same ``e^-|s|``
    (:func:`~coalsurv.backend.kernel_fastmath.softplus_sigmoid`; as
    :func:`coalsurv.families.kernels.softplus` and ``sigmoid``).
    """
    tot = 0.0
    evs = ev[s:s + w]  # a view indexed from 0 (see _time_part)
    for i in range(w):
        v = r[i] + q[i]
        sp, sig = softplus_sigmoid(v)
        k = 1.0 if entry else 1.0 + evs[i]
        tot += k * sp
        q[i] = k * sig
    return tot


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _slopes(W1, cnt, gam, b, scratch, g_b, acc):
    """``sum cnt log s'`` over distinct times (``cnt`` None: the censored times' check).

    ``acc[3]`` collects ``sum cnt / s'`` and ``g_b`` the same along ``w'``; ``s' <= 0`` gives
    ``-inf`` (an event) or ``nan`` (a censored row: the generic kernel's ``0 x -inf``).
    """
    U = W1.shape[1]
    total = 0.0
    for b0 in range(0, U, BLOCK):
        w = min(b0 + BLOCK, U) - b0
        _eta(W1, b0, b0 + w, gam, b, scratch)  # the slopes gam + W1 b, as eta by column
        if cnt.shape[0] == 0:
            low = math.inf
            for i in range(w):
                low = min(low, scratch[i])
            if not low > 0.0:
                total = math.nan
            continue
        s_inv = 0.0
        cnts = cnt[b0:b0 + w]
        for i in range(w):
            d = scratch[i]
            c = cnts[i]
            lg = flog(d) if d > 0.0 else -math.inf  # branch-free: the loop vectorises
            total += c * lg
            inv = c / d if d > 0.0 else 0.0
            s_inv += inv
            scratch[i] = inv
        acc[3] += s_inv
        for j in range(b.shape[0]):
            t = 0.0
            wj = W1[j, b0:b0 + w]
            for i in range(w):
                t += scratch[i] * wj[i]
            g_b[j] += t
    return total


@njit(cache=True, error_model="numpy")
def _blocked(fb, x, grad, odds):
    """Run the blocked passes: ``(value, True)``, or ``(nan, False)`` past the soft cap."""
    P, L = int(fb[4]), int(fb[5])
    mode = int(fb[9])
    D, s_dlt = fb[13], fb[14]
    (s_dx, d_lev, start, mid, X, log_t, log_en, ev, _, W0, W2, s_dw, cnt, W1e, W1c,
     _) = _rp_arrays(fb)
    a, beta, gam, _, b, sd = _params(fb, x)
    K = b.shape[0]
    r, q, q0 = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    acc = np.zeros(4)  # value sum of F, sum F', sum F' x, sum d / s'
    s_rx, s_rw, g_b = np.zeros(P), np.zeros(K), np.zeros(K)
    g_lev = np.zeros(L)
    total = D * a + (gam - 1.0) * s_dlt
    for j in range(P):
        total += s_dx[j] * beta[j]
    for j in range(K):
        total += s_dw[j] * b[j]
    n = int(fb[3])
    base = np.empty(n)  # a + u of each row's level
    for lev in range(L):
        u = level_u(x, int(fb[9]), int(fb[11]), lev, sd, a)
        total += d_lev[lev] * u
        for i in range(int(start[lev]), int(start[lev + 1])):
            base[i] = a + u
    f1 = np.empty(n)  # each row's F'(s) - F'(s0): the levels' sums after the rows
    runs = entry_runs(start, mid)
    for k in range(runs.shape[0]):
        b0, e, entry = runs[k, 0], runs[k, 1], runs[k, 2] == 1
        while b0 < e:
            b1 = min(b0 + BLOCK, e)
            w = b1 - b0
            _eta_rows(X, b0, b1, base, beta, r)
            top = _time_part(W0, log_t, b0, b1, gam, b, r, q)
            if entry:
                top = max(top, _time_part(W2, log_en, b0, b1, gam, b, r, q0))
            if odds:
                acc[0] += _odds(r, q, ev, b0, w, False)
            elif top > _MAX_S:  # the soft cap: the generic kernel's rows
                return math.nan, False
            else:
                acc[0] += _hazard(r, q, w)
            _spread(X, W0, log_t, b0, b1, q, 1.0, s_rx, s_rw, acc)
            f1[b0:b1] = q[:w]
            if entry:
                acc[0] -= _odds(r, q0, ev, b0, w, True) if odds else _hazard(r, q0, w)
                _spread(X, W2, log_en, b0, b1, q0, -1.0, s_rx, s_rw, acc)
                f1[b0:b1] -= q0[:w]
            b0 = b1
    level_sums(f1, start, g_lev)
    sum_f1 = acc[1]  # sum F' over the rows
    for lev in range(L):
        g_lev[lev] = d_lev[lev] - g_lev[lev]  # d log L / d u of this level
    total += _slopes(W1e, cnt, gam, b, r, g_b, acc) + _slopes(W1c, cnt[:0], gam, b, r, g_b,
                                                              acc)
    total -= acc[0]
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    off_sd, off_lev = int(fb[10]), int(fb[11])
    d_a = D - sum_f1
    d_a = level_grads(grad, x, mode, off_sd, off_lev, sd, g_lev, d_a)
    grad[off_int] += d_a
    for j in range(P):
        grad[off_beta + j] += s_dx[j] - s_rx[j]
    grad[off_theta] += gam * (s_dlt - acc[2] + acc[3])  # d / d log gamma
    off_b = int(fb[fast_end(fb) + 1])
    for j in range(K):
        grad[off_b + j] += s_dw[j] - s_rw[j] + g_b[j]
    return total, True


@njit(cache=True, error_model="numpy")
def rp_exact(fb, x, grad, want_grad, rows_out):
    """Run the rows through the generic kernel's :func:`~coalsurv.backend.kernel_spline.rp_row`.

    Returns their log likelihood; adds its gradient into ``grad`` when ``want_grad``; each
    row's value into ``rows_out`` (original order) when it has rows. Both scales, the soft cap.
    """
    L, mode = int(fb[5]), int(fb[9])
    (_, _, start, mid, X, log_t, log_en, ev, order, _, _, _, _, _, _,
     basis) = _rp_arrays(fb)
    a, beta, gam, spl, b, sd = _params(fb, x)
    P, K = beta.shape[0], b.shape[0]
    g_beta, g_b = np.zeros(P), np.zeros(K)
    total, d_a, d_th = 0.0, 0.0, 0.0
    g_lev = np.zeros(L)  # d log L / d u of each level
    for lev in range(L):
        u = level_u(x, int(fb[9]), int(fb[11]), lev, sd, a)
        g_u = 0.0
        for i in range(int(start[lev]), int(start[lev + 1])):
            eta = a + u
            for j in range(P):
                eta += X[j, i] * beta[j]
            val, d_eta, d_g, _ = rp_row(0, 0, 0.0, ev[i], False, i < mid[lev], log_t[i], 0.0,
                                        log_en[i], eta, gam, spl, b, basis, i, want_grad, g_b)
            total += val
            if rows_out.shape[0] > 0:
                rows_out[int(order[i])] = val
            g_u += d_eta
            d_th += d_g
            for j in range(P):
                g_beta[j] += d_eta * X[j, i]
        d_a += g_u
        g_lev[lev] = g_u
    if want_grad:
        d_a = level_grads(grad, x, mode, int(fb[10]), int(fb[11]), sd, g_lev, d_a)
        grad[int(fb[6])] += d_a
        for j in range(P):
            grad[int(fb[7]) + j] += g_beta[j]
        grad[int(fb[8])] += d_th * gam
        off_b = int(fb[fast_end(fb) + 1])
        for j in range(K):
            grad[off_b + j] += g_b[j]
    return total


@njit(cache=True, error_model="numpy")
def rp_fast_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (the module doc)."""
    total, ok = _blocked(fb, x, grad, int(fb[2]) == RP_ODDS)
    if ok:
        return total
    return rp_exact(fb, x, grad, True, np.zeros(0))


@njit(cache=True, nogil=True, error_model="numpy")
def rp_pointwise_into(fb, draws, out):
    """Each row's log likelihood (original order) per unconstrained draw, into ``out``."""
    grad = np.zeros(0)
    for d in range(draws.shape[0]):
        rp_exact(fb, draws[d], grad, False, out[d])
