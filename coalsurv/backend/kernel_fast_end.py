"""The fast row loop of cure, interval censoring and the piecewise baseline (PH families; numba).

The model (:mod:`coalsurv.backend.native_fast_end` decides when a plan is exactly this
shape): the exponential, Weibull PH, Gompertz or piecewise-exponential baseline, ``eta_i =
intercept (+ centre) + X[i] beta + u[g_i]`` with at most one frailty factor (non-centred,
centred, or centred on the intercept, as :mod:`coalsurv.backend.kernel_fast`), one cause,
exact, right- and interval-censored endings, delayed entry, and a mixture cure (logit,
probit, cloglog link) or a promotion-time cure with cure covariates, or none (the piecewise
baseline also without cure or intervals: the PH loop has no piecewise section). Each row's
value is the generic kernel's (:func:`coalsurv.backend.kernel_ending.ending`) written with
the cumulative hazards ``H = e^eta H0`` instead of ``log S``:

    interval (l, u]:  log(S(l) - S(u)) = -H(l) + log(1 - e^-(H(u) - H(l)))
    mixture, right-censored: log(pi + (1 - pi) e^-H(t)) (one ``exp`` and one ``log1p``)
    promotion time:   log S = -theta (1 - e^-H), theta = e^-lin

with ``1 - e^-x`` by :func:`fomexp` (a series near 0), so near-equal bounds do not cancel,
and each row's ``d/d eta`` formed directly (``-H(l) + q (H(u) - H(l))``, ``q = e^-dH / (1 -
e^-dH)``), not as weights times terms (the formulas: :mod:`coalsurv.backend.kernel_fast_end_rows`).
The rows are sorted by cure pattern (distinct row of ``Z_cure``: the link once per pattern
per call, as :func:`coalsurv.backend.kernel_ending.cure_table`), ending kind (exact,
right-censored, interval), entry state, then frailty level; each run of one pattern, kind and
entry state is cut into blocks of at most :data:`BLOCK` rows (the buffer's block table), and
a block computes only its kind's and entry state's terms in branch-free loops (the design by
column, :func:`fexp` / :func:`flog` / :func:`flog1p`) that LLVM vectorises. The level's
gradient and the piecewise exposures are scatters after each block, into 4 interleaved
copies (consecutive rows of one level do not wait on each other's store).

Fast buffer (float64; family code :data:`END_CODES` + 0..3): ``[length, start of the generic
copy, fam, n, P, L, off_int, off_beta, off_theta, mode, off_sd, off_levels, centred, cure
kind, any interval, patterns U, cure covariates q, off_cure_int, off_cure_beta, link, any
entry, K, off_step, blocks]`` (:data:`E_HEAD` values), the patterns' rows (``U q``), ``X`` by
column (``P n``), per row ``a`` (log t; Gompertz: t; piecewise: the time in t's interval),
``b`` (the same at the upper bound of an interval row, else 0) and ``c`` (the same at the
entry, else 0), each row's level (int64 bits) and original position, the blocks (``start,
end, pattern, kind, entry`` each); piecewise only: each row's interval at ``a``, ``b``, ``c``
(int64 bits), the interval widths and the exact rows per interval (``K`` each); then the
generic copy (no rows: the priors only). :func:`buffer_offsets` gives the positions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_cure import cure_shares
from coalsurv.backend.kernel_fast_base import BLOCK, FASTMATH, level_effects, level_grads
from coalsurv.backend.kernel_fast_end_rows import (
    fomexp,
    gompertz_h,
    int_row,
    log_add,
    mix_row,
    promotion_row,
)
from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_layout import baseline_dev

__all__ = ["END_CODES", "E_HEAD", "fomexp", "buffer_offsets", "end_rows", "end_pointwise_into"]

#: Family codes of this loop: exponential, Weibull PH, Gompertz, piecewise (``END_CODES + 0..3``).
END_CODES = 30
#: Header length of its buffer.
E_HEAD = 24

_FM = FASTMATH


# scratch rows of a block
_ETA, _E, _HT, _DHT, _LH, _DLH, _HU, _DHU, _H0, _DH0 = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
_VAL, _DE, _WT, _WU, _W0, _DL = 10, 11, 12, 13, 14, 15
N_SCRATCH = 16


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _hazards(fam, A, J, s, w, th, lth, gam, dev, hs, rates, sc, h_row, dh_row, lh):
    """``e^eta H0`` at ``A[s:s+w]`` (``J``: the piecewise intervals) and its theta derivative.

    With ``lh`` also ``log h`` and its derivative there. Weibull and exponential: ``d/d log
    k``; Gompertz: ``d/d gamma``; piecewise: none (its log rates take the weights).
    """
    if fam == 3:
        for i in range(w):
            j = J[s + i]
            sc[h_row, i] = sc[_E, i] * (hs[j] + rates[j] * A[s + i])
            sc[dh_row, i] = 0.0
        if lh:
            for i in range(w):
                sc[_LH, i] = sc[_ETA, i] + dev[J[s + i]]
                sc[_DLH, i] = 0.0
    elif fam == 2:
        for i in range(w):
            a = A[s + i]
            big_h, d_h = gompertz_h(gam * a, a)
            sc[h_row, i] = sc[_E, i] * big_h
            sc[dh_row, i] = sc[_E, i] * d_h
        if lh:
            for i in range(w):
                sc[_LH, i] = sc[_ETA, i] + gam * A[s + i]
                sc[_DLH, i] = A[s + i]
    else:
        for i in range(w):
            la = A[s + i]
            v = fexp(th * la + sc[_ETA, i])
            sc[h_row, i] = v
            sc[dh_row, i] = v * th * la if v > 0.0 else 0.0  # t = 0: v = 0, log t = -inf
        if lh:
            for i in range(w):
                la = A[s + i]
                sc[_LH, i] = lth + (th - 1.0) * la + sc[_ETA, i]
                sc[_DLH, i] = 1.0 + th * la


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _end_block(fam, cure, kd, en, X, A, B, C, lev, ja, jb, jc, s, e, a, u, beta, th, lth, gam,
               dev, hs, rates, lin, c1, c2, c3, c4, sc, acc, s_rx):
    """Rows ``s:e`` of one ending kind ``kd`` and entry state ``en``: values etc. into ``sc``.

    Each row's value, ``d/d eta``, weights and ``d/d lin``; ``acc``: ``sum val``, ``sum d/d
    eta``, ``sum d/d theta``, ``sum d/d lin``; ``s_rx``: ``sum x d/d eta``. The rows share one
    cure pattern (``lin, c1..c4``); only their kind's and entry state's terms are computed.
    """
    w = e - s
    P = beta.shape[0]
    for i in range(w):
        sc[_ETA, i] = a + u[lev[s + i]]
    for j in range(P):
        b = beta[j]
        for i in range(w):
            sc[_ETA, i] += X[j, s + i] * b
    if fam >= 2:
        for i in range(w):
            sc[_E, i] = fexp(sc[_ETA, i])
    _hazards(fam, A, ja, s, w, th, lth, gam, dev, hs, rates, sc, _HT, _DHT, kd == 0)
    if kd == 2:
        _hazards(fam, B, jb, s, w, th, lth, gam, dev, hs, rates, sc, _HU, _DHU, False)
    fk = float(kd)
    if cure == 2:
        for i in range(w):
            hu = sc[_HU, i] if kd == 2 else 0.0
            val, de, wt, wu, dl = promotion_row(fk, sc[_HT, i], hu, sc[_LH, i], c1, lin)
            sc[_VAL, i], sc[_DE, i], sc[_WT, i], sc[_WU, i], sc[_DL, i] = val, de, wt, wu, dl
    elif kd == 2:
        for i in range(w):
            iv, ide, iwt, iwu = int_row(sc[_HT, i], sc[_HU, i])
            sc[_VAL, i], sc[_DE, i], sc[_WT, i], sc[_WU, i], sc[_DL, i] = c3 + iv, ide, iwt, iwu, c4
    elif cure == 0:  # no cure: log h - H (exact), -H (right-censored)
        ex = 1.0 if kd == 0 else 0.0
        for i in range(w):
            ht = sc[_HT, i]
            sc[_VAL, i] = sc[_LH, i] - ht if kd == 0 else -ht
            sc[_DE, i], sc[_WT, i], sc[_DL, i] = ex - ht, 1.0, 0.0
    else:
        for i in range(w):
            val, de, wt, dl = mix_row(fk, sc[_HT, i], sc[_LH, i], c1, c2, c3, c4)
            sc[_VAL, i], sc[_DE, i], sc[_WT, i], sc[_DL, i] = val, de, wt, dl
    if en:  # minus the row's log S at entry
        _hazards(fam, C, jc, s, w, th, lth, gam, dev, hs, rates, sc, _H0, _DH0, False)
        if cure == 0:
            for i in range(w):
                h0 = sc[_H0, i]
                sc[_VAL, i] += h0
                sc[_DE, i] += h0
                sc[_W0, i] = -1.0
        elif cure == 2:
            for i in range(w):
                h0 = sc[_H0, i]
                s0, f0 = fexp(-h0), fomexp(h0)
                sc[_VAL, i] += c1 * f0
                sc[_DE, i] += c1 * s0 * h0
                sc[_W0, i] = -c1 * s0
                sc[_DL, i] -= c1 * f0
        else:
            for i in range(w):
                h0 = sc[_H0, i]
                v0, pa0, pb0 = log_add(c1, c3 - h0)
                sc[_VAL, i] -= v0
                sc[_DE, i] += pb0 * h0
                sc[_W0, i] = -pb0
                sc[_DL, i] -= pa0 * c2 + pb0 * c4
    s_v, s_e, s_t, s_l = 0.0, 0.0, 0.0, 0.0
    for i in range(w):
        s_v += sc[_VAL, i]
        s_e += sc[_DE, i]
        s_l += sc[_DL, i]
    if fam == 1 or fam == 2:
        for i in range(w):
            s_t -= sc[_WT, i] * sc[_DHT, i]
        if kd == 0:
            for i in range(w):
                s_t += sc[_DLH, i]
        if kd == 2:  # an infinite upper bound: no term (its weight is 0)
            for i in range(w):
                s_t -= sc[_WU, i] * sc[_DHU, i] if sc[_HU, i] < math.inf else 0.0
        if en:
            for i in range(w):
                s_t -= sc[_W0, i] * sc[_DH0, i]
    acc[0] += s_v
    acc[1] += s_e
    acc[2] += s_t
    acc[3] += s_l
    for j in range(P):
        tot = 0.0
        for i in range(w):
            tot += sc[_DE, i] * X[j, s + i]
        s_rx[j] += tot


def buffer_offsets(n, P, U, q, K, nb):
    """Positions of the buffer's arrays after the header (Python and numba)."""
    o_rows = E_HEAD
    o_x = o_rows + U * q
    o_abc = o_x + P * n
    o_int = o_abc + 3 * n  # a, b, c; level (int64 bits), position, the blocks (5 values
    o_pw = o_int + 2 * n + 5 * nb  # each); piecewise: intervals of a, b, c (int64), widths,
    o_end = o_pw + (3 * n + 2 * K if K > 0 else 0)  # exact rows per interval
    return o_rows, o_x, o_abc, o_int, o_pw, o_end


_offsets_nb = njit(cache=True, fastmath=False)(buffer_offsets)


@njit(cache=True, error_model="numpy", fastmath=False)
def _cure_tab(fb, x, rows):
    """Per pattern ``lin, c1, c2, c3, c4`` (:func:`coalsurv.backend.kernel_ending.cure_table`).

    No cure: one pattern ``0, -inf, 0, 0, 0`` (the rows' formulas then reduce to the plain
    ones).
    """
    cure, U, q = int(fb[13]), int(fb[15]), int(fb[16])
    tab = np.zeros((U, 5))
    for p in range(U):
        if cure == 0:
            tab[p, 1] = -math.inf
            continue
        lin = x[int(fb[17])]
        for j in range(q):
            lin += rows[p, j] * x[int(fb[18]) + j]
        tab[p, 0] = lin
        if cure == 1:
            tab[p, 1], tab[p, 2], tab[p, 3], tab[p, 4] = cure_shares(int(fb[19]), lin)
        else:
            tab[p, 1] = math.exp(-lin)
    return tab


@njit(cache=True, error_model="numpy", fastmath=False)
def _run(fb, x, grad, out):
    """Return the rows' log likelihood; gradient into ``grad``, each row's value into ``out``.

    ``out`` of length 0: no values kept.
    """
    fam = int(fb[2]) - END_CODES
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    cure, U, q = int(fb[13]), int(fb[15]), int(fb[16])
    K, off_step, nb = int(fb[21]), int(fb[22]), int(fb[23])
    o_rows, o_x, o_abc, o_int, o_pw, _ = _offsets_nb(n, P, U, q, K, nb)
    rows = fb[o_rows:o_rows + U * q].reshape((U, q))
    X = fb[o_x:o_x + P * n].reshape((P, n))
    A, B, C = fb[o_abc:o_abc + n], fb[o_abc + n:o_abc + 2 * n], fb[o_abc + 2 * n:o_abc + 3 * n]
    lev = fb[o_int:o_int + n].view(np.int64)
    order = fb[o_int + n:o_int + 2 * n]
    blocks = fb[o_int + 2 * n:o_int + 2 * n + 5 * nb].reshape((nb, 5))
    m = n if K > 0 else 0
    ja = fb[o_pw:o_pw + m].view(np.int64)
    jb = fb[o_pw + m:o_pw + 2 * m].view(np.int64)
    jc = fb[o_pw + 2 * m:o_pw + 3 * m].view(np.int64)
    width = fb[o_pw + 3 * m:o_pw + 3 * m + K]
    d_int = fb[o_pw + 3 * m + K:o_pw + 3 * m + 2 * K]  # exact rows per interval
    a = x[off_int] + fb[12]
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    th, lth, gam = 1.0, 0.0, 0.0
    if fam == 1:
        lth = x[off_theta]
        th = math.exp(lth)
    if fam == 2:
        gam = x[off_theta] * math.exp(a)  # Gompertz: ageing e^intercept
    dev, hs, rates = np.zeros(K), np.zeros(K), np.zeros(K)
    if K > 0:
        baseline_dev(x, off_step, 0, K, dev)
        for j in range(K):
            rates[j] = math.exp(dev[j])
            hs[j] = hs[j - 1] + rates[j - 1] * width[j - 1] if j > 0 else 0.0
    u = np.zeros(L)
    sd = level_effects(x, mode, off_sd, off_lev, a, u)
    tab = _cure_tab(fb, x, rows)
    g_pat = np.zeros(U)
    # the scatters' sums in 4 interleaved copies (row i into copy i % 4): consecutive rows of
    # one level or interval then do not wait on each other's store
    g_lev4 = np.zeros((4, L))
    full4, part4 = np.zeros((4, K)), np.zeros((4, K))
    sc = np.empty((N_SCRATCH, BLOCK))  # each block reads only the rows it wrote
    acc = np.zeros(4)
    s_rx = np.zeros(P)
    keep = out.shape[0] > 0
    for k in range(nb):  # blocks of one cure pattern, ending kind and entry state
        b0, b1, p = int(blocks[k, 0]), int(blocks[k, 1]), int(blocks[k, 2])
        kd, en = int(blocks[k, 3]), blocks[k, 4] > 0.0
        before = acc[3]
        _end_block(fam, cure, kd, en, X, A, B, C, lev, ja, jb, jc, b0, b1, a, u, beta, th, lth,
                   gam, dev, hs, rates, tab[p, 0], tab[p, 1], tab[p, 2], tab[p, 3], tab[p, 4],
                   sc, acc, s_rx)
        g_pat[p] += acc[3] - before
        w = b1 - b0
        for i in range(w):  # the scatters: per level (and per interval)
            g_lev4[i & 3, lev[b0 + i]] += sc[_DE, i]
        if keep:
            for i in range(w):
                out[int(order[b0 + i])] = sc[_VAL, i]
        if K > 0:
            for i in range(w):
                r = b0 + i
                we = sc[_WT, i] * sc[_E, i]
                full4[i & 3, ja[r]] += we
                part4[i & 3, ja[r]] += we * A[r]
            if kd == 2:
                for i in range(w):
                    r = b0 + i
                    we = sc[_WU, i] * sc[_E, i] if sc[_HU, i] < math.inf else 0.0
                    full4[i & 3, jb[r]] += we
                    part4[i & 3, jb[r]] += we * B[r]
            if en:
                for i in range(w):
                    r = b0 + i
                    we = sc[_W0, i] * sc[_E, i]
                    full4[i & 3, jc[r]] += we
                    part4[i & 3, jc[r]] += we * C[r]
    d_a = acc[1]
    for lv in range(L):
        g_lev4[0, lv] = g_lev4[0, lv] + g_lev4[1, lv] + g_lev4[2, lv] + g_lev4[3, lv]
    d_a = level_grads(grad, x, mode, off_sd, off_lev, sd, g_lev4[0], d_a)
    grad[off_int] += d_a
    for j in range(P):
        grad[off_beta + j] += s_rx[j]
    if fam == 1:
        grad[off_theta] += acc[2]
    if fam == 2:  # gamma = ageing e^a
        grad[off_theta] += acc[2] * math.exp(a)
        grad[off_int] += acc[2] * gam
    if cure > 0:
        for p in range(U):
            grad[int(fb[17])] += g_pat[p]
            for j in range(q):
                grad[int(fb[18]) + j] += g_pat[p] * rows[p, j]
    if K > 0:  # as the generic kernel: exposures, then the random walk's steps
        covering = 0.0
        g_dev = np.empty(K)
        for j in range(K - 1, -1, -1):  # exact rows per interval minus the exposures
            full = full4[0, j] + full4[1, j] + full4[2, j] + full4[3, j]
            part = part4[0, j] + part4[1, j] + part4[2, j] + part4[3, j]
            g_dev[j] = d_int[j] - rates[j] * (width[j] * covering + part)
            covering += full
        mean_g = 0.0
        for j in range(K):
            mean_g += g_dev[j]
        mean_g /= K
        tail = 0.0
        for j in range(K - 1, 0, -1):
            tail += g_dev[j] - mean_g
            grad[off_step + j - 1] += tail
    return acc[0]


@njit(cache=True, error_model="numpy", fastmath=False)
def end_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (see the module doc)."""
    return _run(fb, x, grad, np.zeros(0))


@njit(cache=True, nogil=True, error_model="numpy", fastmath=False)
def end_pointwise_into(fb, draws, out):
    """Each row's log likelihood for each unconstrained draw, into ``out``.

    The same values as :func:`coalsurv.backend.kernel.pointwise` (up to rounding).
    """
    grad = np.zeros(draws.shape[1])
    vals = np.empty(out.shape[1])
    for d in range(draws.shape[0]):
        _run(fb, draws[d], grad, vals)
        out[d, :] = vals
