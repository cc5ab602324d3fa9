"""The fast row loop for piecewise time-varying effects ``tve(x, type="pw")`` (PH families).

The model (:mod:`coalsurv.backend.native_fast_tve` decides when a plan is exactly this shape),
one cause, exact and right-censored endings, delayed entry, at most one frailty factor, only
piecewise tve terms (each row's bases are its cells' own: ``shared`` in
:mod:`coalsurv.backend.kernel_tve`)::

    eta_i = intercept (+ centre) + X[i] beta + u[g_i]
    z_ic  = sum_q x_iq f_q[c]                       f_q[c] = cell[q, c] . dev_q
    log L = sum_i d_i (log h0(t_i) + eta_i + z_i,c1(i))
            - sum_i sum_c e^(eta_i + z_ic) (H0(hi_ic) - H0(lo_ic))

with ``H0(t) = t^k`` (``k = 1``: the exponential), the cells ``c`` of :mod:`kernel_tve` (the
terms' cut points) and each row's part ``(lo_ic, hi_ic]`` of them clipped to ``(entry_i,
t_i]``. The rows are expanded once, when the buffer is packed, into *segments* (row, cell):
``log hi``, ``log lo`` (when ``lo > 0``), ``X`` and ``x_q`` of the row by column, its frailty
level, its event indicator on the segment that holds ``t_i`` (0 elsewhere) and its row. The
event part is linear in the parameters: its data-constant sums (events ``D``, ``sum d log t``,
``sum d X``, events per level, ``sum d x_q`` per cell ``E[q, c]``) are packed once. Per
evaluation each segment computes ``r = e^(eta + z + k log hi) - e^(eta + z + k log lo)`` and
the loop accumulates ``sum r``, ``sum r log``, ``sum r X``, ``sum r`` per level and ``sum r
x_q`` per cell. Segments are sorted by cell (so ``f_q[c]`` and the cell's gradient are
constants of a contiguous range), within a cell those with a lower bound first (the others
skip the second ``exp``), then by level; branch-free blocks of at most :data:`BLOCK`
segments with :func:`~coalsurv.backend.kernel_fastmath.fexp`, the level's effect gathered and
its gradient scattered per segment (small levels cost no short loops). ``f`` comes from
:func:`coalsurv.backend.kernel_tve.tve_devs` and its gradient goes back through
:func:`~coalsurv.backend.kernel_tve.tve_finish`, both on the generic copy's tve table; the
priors are the generic kernel's (:func:`coalsurv.backend.kernel_fast.fast_logp_grad`), which
dispatches here on the family code (``>= TVE_CODES``).

Buffer (float64): the :data:`F_HEAD` values of :mod:`coalsurv.backend.kernel_fast` (code
``TVE_CODES`` exponential, ``+ 1`` Weibull PH), then ``S`` (segments), ``T`` (terms), ``nc``
(cells), ``Jm`` (largest J) and zeros to :data:`TV_HEAD`; then ``sum d X`` (P), events per
level (L), ``E`` (T nc), each cell's first segment (nc + 1), the end of its segments with a
lower bound (nc), the segments' level (S), ``X`` by column (P S), ``x_q`` by column (T S),
``log hi``, ``log lo``, event indicator, row (S each), the terms' centre (T Jm), the cells'
basis (T nc Jm), then the generic copy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fast_base import BLOCK, F_HEAD, FASTMATH
from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_tve import tve_devs, tve_finish

__all__ = ["TVE_CODES", "TV_HEAD", "tve_fast_rows", "tve_pointwise_into"]

#: The fast buffer's family code of the exponential with tve(); the Weibull PH is ``+ 1``.
TVE_CODES = 40
#: Header length of the tve fast buffer.
TV_HEAD = F_HEAD + 8

_FM = FASTMATH


@njit(cache=True, error_model="numpy")
def _arrays(fb):
    """Return views of the tve fast buffer's arrays (module doc)."""
    P, L = int(fb[4]), int(fb[5])
    S, T, nc, jm = int(fb[F_HEAD]), int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    o = TV_HEAD
    s_dx = fb[o:o + P]
    o += P
    d_lev = fb[o:o + L]
    o += L
    e_cell = fb[o:o + T * nc].reshape((T, nc))
    o += T * nc
    start = fb[o:o + nc + 1]
    o += nc + 1
    mid = fb[o:o + nc]
    o += nc
    lev = fb[o:o + S]
    o += S
    X = fb[o:o + P * S].reshape((P, S))
    o += P * S
    xq = fb[o:o + T * S].reshape((T, S))
    o += T * S
    lhi = fb[o:o + S]
    o += S
    llo = fb[o:o + S]
    o += S
    ev = fb[o:o + S]
    o += S
    row = fb[o:o + S]
    o += S
    centre = fb[o:o + T * jm].reshape((T, jm))
    o += T * jm
    cell = fb[o:o + T * nc * jm].reshape((T, nc, jm))
    return s_dx, d_lev, e_cell, start, mid, lev, X, xq, lhi, llo, ev, row, centre, cell


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _eta(X, xq, lev, s, w, base_lev, beta, f, c, r):
    """``eta + z`` of segments ``s .. s + w - 1`` (all in cell ``c``) into ``r``."""
    for i in range(w):
        r[i] = base_lev[int(lev[s + i])]
    for j in range(beta.shape[0]):
        b = beta[j]
        for i in range(w):
            r[i] += X[j, s + i] * b
    for q in range(f.shape[0]):
        fq = f[q, c]
        for i in range(w):
            r[i] += xq[q, s + i] * fq


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _block(X, xq, lev, lhi, llo, s, e, c, lower, base_lev, beta, f, th, r, acc, s_rx, g_lev,
           g_cell):
    """Segments ``s:e`` of cell ``c`` (``lower``: all with a lower bound; else none has one).

    Adds ``sum r`` and ``sum r log`` (``e^(..hi) log hi - e^(..lo) log lo``) into ``acc[0:2]``,
    ``sum r X`` into ``s_rx``, ``sum r`` per level into ``g_lev`` and ``sum r x_q`` into
    ``g_cell[q, c]``.
    """
    w = e - s
    _eta(X, xq, lev, s, w, base_lev, beta, f, c, r)
    s_r = 0.0
    s_rl = 0.0
    if lower:
        for i in range(w):
            eta = r[i]
            lh = lhi[s + i]
            ll = llo[s + i]
            v = fexp(th * lh + eta)
            v0 = fexp(th * ll + eta)
            s_r += v - v0
            s_rl += v * lh - v0 * ll
            r[i] = v - v0
    else:
        for i in range(w):
            lh = lhi[s + i]
            v = fexp(th * lh + r[i])
            s_r += v
            s_rl += v * lh
            r[i] = v
    acc[0] += s_r
    acc[1] += s_rl
    for j in range(s_rx.shape[0]):
        t = 0.0
        for i in range(w):
            t += r[i] * X[j, s + i]
        s_rx[j] += t
    for q in range(g_cell.shape[0]):
        t = 0.0
        for i in range(w):
            t += r[i] * xq[q, s + i]
        g_cell[q, c] += t
    for i in range(w):  # a scatter: no vector form, one add a segment
        g_lev[int(lev[s + i])] += r[i]


@njit(cache=True, error_model="numpy")
def _level_effects(fb, x, a, L, u):
    """Each level's frailty effect ``u`` (zero without a frailty); returns ``sd``."""
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    sd = math.exp(x[off_sd]) if mode == 0 else 1.0
    for lev in range(L):
        if mode == 0:
            u[lev] = sd * x[off_lev + lev]
        elif mode == 1:
            u[lev] = x[off_lev + lev]
        elif mode == 2:
            u[lev] = x[off_lev + lev] - a
        else:
            u[lev] = 0.0
    return sd


@njit(cache=True, error_model="numpy")
def _cell_effects(gen, x, centre, cell, dev, d_raw, f):
    """``dev`` of every term (:func:`tve_devs`) and ``f[q, c] = cell[q, c] . dev_q``."""
    tve_devs(gen, x, 0, centre, dev, d_raw)
    for q in range(cell.shape[0]):
        for c in range(cell.shape[1]):
            v = 0.0
            for j in range(cell.shape[2]):
                v += cell[q, c, j] * dev[q, j]
            f[q, c] = v


@njit(cache=True, error_model="numpy")
def tve_fast_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (module doc)."""
    fam = int(fb[2]) - TVE_CODES
    P, L = int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    D, s_dlt = fb[13], fb[14]
    T, nc, jm = int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    s_dx, d_lev, e_cell, start, mid, lev, X, xq, lhi, llo, _, _, centre, cell = _arrays(fb)
    gen = fb[int(fb[1]):]
    a = x[off_int] + fb[12]
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    th, log_th = 1.0, 0.0
    if fam == 1:
        log_th = x[off_theta]
        th = math.exp(log_th)
    u = np.empty(L)
    sd = _level_effects(fb, x, a, L, u)
    base_lev = u + a
    dev, d_raw, f = np.zeros((T, jm)), np.zeros((T, jm)), np.zeros((T, nc))
    _cell_effects(gen, x, centre, cell, dev, d_raw, f)
    r = np.empty(BLOCK)
    acc = np.zeros(2)
    s_rx = np.zeros(P)
    g_lev = np.zeros(L)
    g_cell = np.zeros((T, nc))
    for c in range(nc):
        s, m, e = int(start[c]), int(mid[c]), int(start[c + 1])
        for b0 in range(s, m, BLOCK):
            _block(X, xq, lev, lhi, llo, b0, min(b0 + BLOCK, m), c, True, base_lev, beta, f,
                   th, r, acc, s_rx, g_lev, g_cell)
        for b0 in range(m, e, BLOCK):
            _block(X, xq, lev, lhi, llo, b0, min(b0 + BLOCK, e), c, False, base_lev, beta, f,
                   th, r, acc, s_rx, g_lev, g_cell)
    total = D * a - acc[0]
    for j in range(P):
        total += s_dx[j] * beta[j]
        grad[off_beta + j] += s_dx[j] - s_rx[j]
    d_a = D - acc[0]
    for lev_i in range(L):
        g_u = d_lev[lev_i] - g_lev[lev_i]  # d log L / d u of this level
        total += d_lev[lev_i] * u[lev_i]
        if mode == 0:
            grad[off_lev + lev_i] += g_u * sd
            grad[off_sd] += g_u * u[lev_i]
        elif mode >= 1:
            grad[off_lev + lev_i] += g_u
            if mode == 2:
                d_a -= g_u
    grad[off_int] += d_a
    for q in range(T):
        for c in range(nc):
            total += e_cell[q, c] * f[q, c]
            g_cell[q, c] = e_cell[q, c] - g_cell[q, c]
    g_dev = np.zeros((T, jm))
    tve_finish(gen, x, 0, cell, centre, d_raw, g_dev, g_cell, grad)
    if fam == 1:
        total += D * log_th + (th - 1.0) * s_dlt
        grad[off_theta] += D + th * (s_dlt - acc[1])  # d / d log k
    return total


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FM)
def _pw_block(X, xq, lev, lhi, llo, ev, row, s, e, c, lower, base_lev, beta, f, th, log_th,
              r, out):
    """Each segment's part of its row's log likelihood (segments ``s:e`` of cell ``c``)."""
    w = e - s
    _eta(X, xq, lev, s, w, base_lev, beta, f, c, r)
    for i in range(w):
        eta = r[i]
        lh = lhi[s + i]
        v = fexp(th * lh + eta)
        v0 = fexp(th * llo[s + i] + eta) if lower else 0.0
        r[i] = ev[s + i] * (log_th + (th - 1.0) * lh + eta) - (v - v0)
    for i in range(w):
        out[int(row[s + i])] += r[i]


@njit(cache=True, nogil=True, error_model="numpy")
def tve_pointwise_into(fb, draws, out):
    """Each row's log likelihood (original row order) for each unconstrained draw, into ``out``.

    The same values as :func:`coalsurv.backend.kernel.pointwise` (up to rounding): each row's
    segments add their parts.
    """
    fam = int(fb[2]) - TVE_CODES
    P, L = int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    T, nc, jm = int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    _, _, _, start, mid, lev, X, xq, lhi, llo, ev, row, centre, cell = _arrays(fb)
    gen = fb[int(fb[1]):]
    r = np.empty(BLOCK)
    u = np.empty(L)
    dev, d_raw, f = np.zeros((T, jm)), np.zeros((T, jm)), np.zeros((T, nc))
    for d in range(draws.shape[0]):
        x = draws[d]
        a = x[off_int] + fb[12]
        beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
        th, log_th = 1.0, 0.0
        if fam == 1:
            log_th = x[off_theta]
            th = math.exp(log_th)
        _level_effects(fb, x, a, L, u)
        base_lev = u + a
        _cell_effects(gen, x, centre, cell, dev, d_raw, f)
        out[d, :] = 0.0
        for c in range(nc):
            s, m, e = int(start[c]), int(mid[c]), int(start[c + 1])
            for b0 in range(s, m, BLOCK):
                _pw_block(X, xq, lev, lhi, llo, ev, row, b0, min(b0 + BLOCK, m), c, True,
                          base_lev, beta, f, th, log_th, r, out[d])
            for b0 in range(m, e, BLOCK):
                _pw_block(X, xq, lev, lhi, llo, ev, row, b0, min(b0 + BLOCK, e), c, False,
                          base_lev, beta, f, th, log_th, r, out[d])
