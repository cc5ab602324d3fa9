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
t_i]``. The event part is linear in the parameters: its data-constant sums (events ``D``,
``sum d log t``, ``sum d X``, events per level, ``sum d x_q`` per cell ``E[q, c]``) are packed
once. The rows are expanded once, when the buffer is packed, into *segments* (row, cell),
sorted by cell (so ``f_q[c]`` and the cell's gradient are constants of a contiguous range)
and within a cell by kind:

- full (``(lo, hi]`` the whole cell, or ``(0, first bound]``): ``r = e^(eta + z) dH0_c`` with
  the cell's ``H0`` increment (and its ``log k`` derivative) tabulated once per evaluation,
  one ``exp`` a segment;
- two-sided (``hi = t_i`` or ``lo = entry_i > 0``): ``r = e^(eta + z + k log hi) - e^(eta + z
  + k log lo)``, two;
- one-sided (no lower bound: ``lo = 0``, ``hi = t_i``): ``r = e^(eta + z + k log t)``, one.

Per evaluation: ``eta`` of every row (rows sorted by frailty level, ``X`` by column), then per
cell and kind branch-free blocks of at most :data:`BLOCK` segments (``eta`` gathered by row,
:func:`~coalsurv.backend.kernel_fastmath.fexp`) accumulating ``sum r``, ``sum d r / d log k``,
``sum r x_q`` into the cell and ``r`` into its row (a scatter; consecutive segments of a cell
belong to different rows); then ``sum R X`` by column and ``sum R`` per level over the rows.
``f`` comes from :func:`coalsurv.backend.kernel_tve.tve_devs` and its gradient goes back
through :func:`~coalsurv.backend.kernel_tve.tve_finish`, both on the generic copy's tve table;
the priors are the generic kernel's own prior terms (:func:`_priors`: ``block_prior``,
``tve_prior`` and the frailty's, as ``kernel._logp_core`` adds them; its row loop, which
costs about as much as these segments even with no rows, is not called):
:func:`tve_fast_logp_grad` and its C callback ``LOGP_TVE_CFUNC``
(:mod:`coalsurv.backend.kernel_fast_tve_callback`, so that importing this module loads no
callback), which :mod:`coalsurv.backend.nutpie_model` uses for these buffers.
``kernel_fast.fast_rows`` also dispatches here on the family code (``>= TVE_CODES``), so
``kernel_fast.fast_logp_grad`` gives the same value through the generic priors.

Buffer (float64): the :data:`F_HEAD` values of :mod:`coalsurv.backend.kernel_fast` (code
``TVE_CODES`` exponential, ``+ 1`` Weibull PH), then ``S`` (segments), ``T`` (terms), ``nc``
(cells), ``Jm`` (largest J) and zeros to :data:`TV_HEAD`; then ``sum d X`` (P), events per
level (L), ``E`` (T nc), the level starts of the sorted rows (L + 1), each sorted row's level,
original position (n each), ``X`` by column (P n), each cell's first segment (nc + 1), the end
of its full and of its two-sided segments (nc each), the segments' sorted row (S), ``x_q`` by
column (T S), ``log hi``, ``log lo``, event indicator (S each), the cells' ``log`` upper bound
(nc; 0 for the open last cell), the terms' centre (T Jm), the cells' basis (T nc Jm), then the
generic copy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fast_base import (
    BLOCK,
    F_HEAD,
    FASTMATH,
    generic_copy,
    level_effects,
    level_grads,
)
from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_layout import (
    GROUP_WIDTH,
    H_G,
    H_GROUPS,
    H_OFF_BETA,
    H_OFF_INT,
    H_OFF_THETA,
    H_P,
    H_PRIOR_BETA,
    H_PRIOR_INT,
    H_PRIOR_THETA,
    intercept,
)
from coalsurv.backend.kernel_priors import block_prior
from coalsurv.backend.kernel_tve import tve_devs, tve_finish, tve_prior

__all__ = ["TVE_CODES", "TV_HEAD", "tve_fast_rows", "tve_fast_logp_grad", "tve_pointwise_into"]

#: The fast buffer's family code of the exponential with tve(); the Weibull PH is ``+ 1``.
TVE_CODES = 40
#: Header length of the tve fast buffer.
TV_HEAD = F_HEAD + 8

_FM = FASTMATH


@njit(cache=True, error_model="numpy", fastmath=False)
def _arrays(fb):
    """Return views of the tve fast buffer's arrays (module doc)."""
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    S, T, nc, jm = int(fb[F_HEAD]), int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    o = TV_HEAD
    s_dx = fb[o:o + P]
    o += P
    d_lev = fb[o:o + L]
    o += L
    e_cell = fb[o:o + T * nc].reshape((T, nc))
    o += T * nc
    lev_start = fb[o:o + L + 1]
    o += L + 1
    lev_row = fb[o:o + n]
    o += n
    orig = fb[o:o + n]
    o += n
    X = fb[o:o + P * n].reshape((P, n))
    o += P * n
    start = fb[o:o + nc + 1]
    o += nc + 1
    ends = fb[o:o + 2 * nc].reshape((2, nc))  # the end of the full, of the two-sided segments
    o += 2 * nc
    srow = fb[o:o + S]
    o += S
    xq = fb[o:o + T * S].reshape((T, S))
    o += T * S
    lhi = fb[o:o + S]
    o += S
    llo = fb[o:o + S]
    o += S
    ev = fb[o:o + S]
    o += S
    lub = fb[o:o + nc]
    o += nc
    centre = fb[o:o + T * jm].reshape((T, jm))
    o += T * jm
    cell = fb[o:o + T * nc * jm].reshape((T, nc, jm))
    return (s_dx, d_lev, e_cell, lev_start, lev_row, orig, X, start, ends, srow, xq, lhi, llo,
            ev, lub, centre, cell)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _row_eta(X, lev_row, base_lev, beta, eta):
    """``eta`` of every (sorted) row: its level's ``intercept + u``, plus ``X beta``."""
    for i in range(eta.shape[0]):
        eta[i] = base_lev[int(lev_row[i])]
    for j in range(beta.shape[0]):
        b = beta[j]
        for i in range(eta.shape[0]):
            eta[i] += X[j, i] * b


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _seg_terms(srow, xq, lhi, llo, s, w, c, kind, eta, f, th, dh, dg, ez, r, rl):
    """Segments ``s .. s + w - 1`` of cell ``c``, all of one ``kind``: ``eta + z``, ``r``, ``rl``.

    ``r``: the segment's ``e^(eta + z) (H0(hi) - H0(lo))``; ``rl``: its derivative along ``log
    k`` over ``k``. ``kind`` 0: full cells (``dh``, ``dg``: the cell's tabulated increment and
    derivative), 1: two-sided, 2: one-sided (module doc).
    """
    for i in range(w):
        ez[i] = eta[int(srow[s + i])]
    for q in range(f.shape[0]):
        fq = f[q, c]
        for i in range(w):
            ez[i] += xq[q, s + i] * fq
    if kind == 0:
        for i in range(w):
            v = fexp(ez[i])
            r[i] = v * dh
            rl[i] = v * dg
    elif kind == 1:
        for i in range(w):
            lh = lhi[s + i]
            ll = llo[s + i]
            v = fexp(th * lh + ez[i])
            v0 = fexp(th * ll + ez[i])
            r[i] = v - v0
            rl[i] = v * lh - v0 * ll
    else:
        for i in range(w):
            lh = lhi[s + i]
            v = fexp(th * lh + ez[i])
            r[i] = v
            rl[i] = v * lh


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _block(srow, xq, lhi, llo, s, e, c, kind, eta, f, th, dh, dg, sc, acc, g_cell, R):
    """Segments ``s:e`` of cell ``c`` (one ``kind``): their sums into ``acc``, ``g_cell``, ``R``.

    ``acc[0:2]``: ``sum r`` and ``sum rl``; ``g_cell[q, c]``: ``sum r x_q``; ``R``: each row's
    ``sum r`` (a scatter, one add a segment). ``sc``: scratch (3, :data:`BLOCK`).
    """
    w = e - s
    ez, r, rl = sc[0], sc[1], sc[2]
    _seg_terms(srow, xq, lhi, llo, s, w, c, kind, eta, f, th, dh, dg, ez, r, rl)
    s_r = 0.0
    s_rl = 0.0
    for i in range(w):
        s_r += r[i]
        s_rl += rl[i]
    acc[0] += s_r
    acc[1] += s_rl
    for q in range(g_cell.shape[0]):
        t = 0.0
        for i in range(w):
            t += r[i] * xq[q, s + i]
        g_cell[q, c] += t
    for i in range(w):  # a scatter: no vector form
        R[int(srow[s + i])] += r[i]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _row_sums(X, R, lev_start, s_rx, g_lev):
    """``sum R X`` by column into ``s_rx``, ``sum R`` of each level's rows into ``g_lev``."""
    for j in range(s_rx.shape[0]):
        t = 0.0
        for i in range(R.shape[0]):
            t += R[i] * X[j, i]
        s_rx[j] = t
    for lev in range(g_lev.shape[0]):
        t = 0.0
        for i in range(int(lev_start[lev]), int(lev_start[lev + 1])):
            t += R[i]
        g_lev[lev] = t


@njit(cache=True, error_model="numpy", fastmath=False)
def _cell_tables(lub, th, dh, dg):
    """Tabulate the full cells' ``H0`` increment ``dh`` and ``dg`` (``d/d log k`` over ``k``)."""
    prev_h, prev_g = 0.0, 0.0  # H0(0) = 0
    for c in range(lub.shape[0] - 1):  # the open last cell is never full
        h = math.exp(th * lub[c])
        g = h * lub[c]
        dh[c], dg[c] = h - prev_h, g - prev_g
        prev_h, prev_g = h, g
    dh[lub.shape[0] - 1], dg[lub.shape[0] - 1] = 0.0, 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def _cell_effects(gen, x, centre, cell, dev, d_raw, f):
    """``dev`` of every term (:func:`tve_devs`) and ``f[q, c] = cell[q, c] . dev_q``."""
    tve_devs(gen, x, 0, centre, dev, d_raw)
    for q in range(cell.shape[0]):
        for c in range(cell.shape[1]):
            v = 0.0
            for j in range(cell.shape[2]):
                v += cell[q, c, j] * dev[q, j]
            f[q, c] = v


@njit(cache=True, error_model="numpy", fastmath=False)
def tve_fast_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (module doc)."""
    fam = int(fb[2]) - TVE_CODES
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    D, s_dlt = fb[13], fb[14]
    T, nc, jm = int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    (s_dx, d_lev, e_cell, lev_start, lev_row, _, X, start, ends, srow, xq, lhi, llo, _, lub,
     centre, cell) = _arrays(fb)
    gen = generic_copy(fb)
    a = x[off_int] + fb[12]
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    th, log_th = 1.0, 0.0
    if fam == 1:
        log_th = x[off_theta]
        th = math.exp(log_th)
    u = np.empty(L)
    sd = level_effects(x, mode, off_sd, off_lev, a, u)
    base_lev = u + a
    dev, d_raw, f = np.zeros((T, jm)), np.zeros((T, jm)), np.zeros((T, nc))
    _cell_effects(gen, x, centre, cell, dev, d_raw, f)
    dh, dg = np.empty(nc), np.empty(nc)
    _cell_tables(lub, th, dh, dg)
    eta = np.empty(n)
    _row_eta(X, lev_row, base_lev, beta, eta)
    R = np.zeros(n)
    sc = np.empty((3, BLOCK))
    acc = np.zeros(2)
    g_cell = np.zeros((T, nc))
    for c in range(nc):
        bounds = (int(start[c]), int(ends[0, c]), int(ends[1, c]), int(start[c + 1]))
        for kind in range(3):
            s, e = bounds[kind], bounds[kind + 1]
            for b0 in range(s, e, BLOCK):
                _block(srow, xq, lhi, llo, b0, min(b0 + BLOCK, e), c, kind, eta, f, th, dh[c],
                       dg[c], sc, acc, g_cell, R)
    s_rx, g_lev = np.empty(P), np.empty(L)
    _row_sums(X, R, lev_start, s_rx, g_lev)
    total = D * a - acc[0]
    for j in range(P):
        total += s_dx[j] * beta[j]
        grad[off_beta + j] += s_dx[j] - s_rx[j]
    d_a = D - acc[0]
    for lev_i in range(L):
        g_lev[lev_i] = d_lev[lev_i] - g_lev[lev_i]  # d log L / d u of this level
        total += d_lev[lev_i] * u[lev_i]
    d_a = level_grads(grad, x, mode, off_sd, off_lev, sd, g_lev, d_a)
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
def _pw_block(srow, xq, lhi, llo, ev, orig, s, e, c, kind, eta, f, th, log_th, dh, dg, sc,
              out):
    """Each segment's part of its row's log likelihood (segments ``s:e`` of cell ``c``)."""
    w = e - s
    ez, r, rl = sc[0], sc[1], sc[2]
    _seg_terms(srow, xq, lhi, llo, s, w, c, kind, eta, f, th, dh, dg, ez, r, rl)
    for i in range(w):
        r[i] = ev[s + i] * (log_th + (th - 1.0) * lhi[s + i] + ez[i]) - r[i]
    for i in range(w):
        out[int(orig[int(srow[s + i])])] += r[i]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=False)
def tve_pointwise_into(fb, draws, out):
    """Each row's log likelihood (original row order) for each unconstrained draw, into ``out``.

    The same values as :func:`coalsurv.backend.kernel.pointwise` (up to rounding): each row's
    segments add their parts.
    """
    fam = int(fb[2]) - TVE_CODES
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    T, nc, jm = int(fb[F_HEAD + 1]), int(fb[F_HEAD + 2]), int(fb[F_HEAD + 3])
    (_, _, _, _, lev_row, orig, X, start, ends, srow, xq, lhi, llo, ev, lub, centre,
     cell) = _arrays(fb)
    gen = generic_copy(fb)
    sc = np.empty((3, BLOCK))
    u, eta = np.empty(L), np.empty(n)
    dev, d_raw, f = np.zeros((T, jm)), np.zeros((T, jm)), np.zeros((T, nc))
    dh, dg = np.empty(nc), np.empty(nc)
    for d in range(draws.shape[0]):
        x = draws[d]
        a = x[off_int] + fb[12]
        beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
        th, log_th = 1.0, 0.0
        if fam == 1:
            log_th = x[off_theta]
            th = math.exp(log_th)
        level_effects(x, int(fb[9]), int(fb[10]), int(fb[11]), a, u)
        _cell_effects(gen, x, centre, cell, dev, d_raw, f)
        _cell_tables(lub, th, dh, dg)
        _row_eta(X, lev_row, u + a, beta, eta)
        out[d, :] = 0.0
        for c in range(nc):
            bounds = (int(start[c]), int(ends[0, c]), int(ends[1, c]), int(start[c + 1]))
            for kind in range(3):
                s, e = bounds[kind], bounds[kind + 1]
                for b0 in range(s, e, BLOCK):
                    _pw_block(srow, xq, lhi, llo, ev, orig, b0, min(b0 + BLOCK, e), c, kind,
                              eta, f, th, log_th, dh[c], dg[c], sc, out[d])


_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, error_model="numpy", fastmath=False)
def _priors(gen, x, grad):
    """Return the priors of a plan this loop takes, as ``kernel._logp_core`` adds them.

    Intercept, ``beta``, the log-transformed family parameter (one, not per baseline), the
    tve terms' and at most one frailty's (``sd`` and its levels: non-centred ``z ~ N(0, 1)``,
    centred ``u ~ N(0, sd)`` or ``w ~ N(intercept, sd)``); one cause, no AFT scale
    (:func:`coalsurv.backend.native_fast_tve.tve_reason` refuses every other prior block).
    """
    P = int(gen[H_P])
    total = block_prior(gen, H_PRIOR_INT, x, grad, int(gen[H_OFF_INT]), 1, False)
    if P > 0:
        total += block_prior(gen, H_PRIOR_BETA, x, grad, int(gen[H_OFF_BETA]), P, False)
    if int(gen[H_OFF_THETA]) >= 0:
        total += block_prior(gen, H_PRIOR_THETA, x, grad, int(gen[H_OFF_THETA]), 1, True)
    total += tve_prior(gen, x, grad)
    for g in range(int(gen[H_G])):
        hb = H_GROUPS + GROUP_WIDTH * g
        off_sd, off_z, n_lev, mode = int(gen[hb]), int(gen[hb + 1]), int(gen[hb + 2]), int(
            gen[hb + 7])
        total += block_prior(gen, hb + 3, x, grad, off_sd, 1, True)
        if mode > 0:  # centred: u ~ Normal(0, sd), or w ~ Normal(intercept, sd)
            log_sd = x[off_sd]
            sd = math.exp(log_sd)
            mean = intercept(gen, x, 0)[2] if mode == 2 else 0.0
            d_mean = 0.0
            for lev in range(n_lev):
                r = (x[off_z + lev] - mean) / sd
                total += -0.5 * r * r - log_sd - 0.5 * _LOG_2PI
                grad[off_z + lev] += -r / sd
                grad[off_sd] += r * r - 1.0
                d_mean += r / sd
            if mode == 2:
                grad[int(gen[H_OFF_INT])] += d_mean
        else:
            for lev in range(n_lev):  # z ~ Normal(0, 1)
                z = x[off_z + lev]
                total += -0.5 * z * z - 0.5 * _LOG_2PI
                grad[off_z + lev] += -z
    return total


@njit(cache=True, error_model="numpy", fastmath=False)
def tve_fast_logp_grad(fb, x, grad):
    """Log posterior and gradient: :func:`tve_fast_rows` plus :func:`_priors`."""
    grad[:] = 0.0
    total = _priors(generic_copy(fb), x, grad)
    return total + tve_fast_rows(fb, x, grad)
