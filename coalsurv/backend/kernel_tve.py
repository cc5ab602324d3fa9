"""Time-varying effects ``tve(x)`` in the native kernel: rows, priors, expansion (numba, cached).

The graph's model (:mod:`coalsurv.build.time_terms`, :mod:`coalsurv.build.time_splines`), per
cause ``k`` and term ``q`` with ``J_q`` coefficients (spline coefficients, or intervals of a
piecewise term)::

    d[0] = 0,  d[j] = d[j-1] + tve_sd_kq tve_step_kq[j]        dev = d - sum_j c_j d_j
    f_kq(u) = sum_j B_qj(u) dev_j                             (B: spline basis, or one-hot)
    log L_i = sum_k ev_ik (log h_k(t_i) + sum_q x_iq f_kq(t_i))
              - e^eta_ik sum_c exp(sum_q x_iq f_kq(m_ic)) (H0_k(hi_ic) - H0_k(lo_ic))

(``c_j``: the basis means, or ``1 / J`` for a piecewise term). The cells ``c`` are those of the
graph (the smooth terms' quadrature grid, or the piecewise terms' cut points), each row's part
``(lo_ic, hi_ic]`` of them clipped to ``(entry_i, t_i]``; only proportional-hazards families,
where ``H_k(t | eta) = e^eta H0_k(t)``. A row overlaps the consecutive cells ``c0_i .. c1_i``
(only those are visited: rows x overlapped cells); the inner ones are full cells, whose basis
and ``f`` are shared by the rows (``f`` per cell once per gradient), and ``H0`` at the cell
bounds is tabulated once per cause (per stratum). The first and last cell of a row carry its
own basis (their log-midpoints differ), ``H0`` at its entry and exit is the family's.
With the piecewise baseline every cell lies inside one of its intervals ``jb_c``:
``H0(hi) - H0(lo) = e^r[jb_c] (hi - lo)``.

Per step each row costs one ``exp`` per overlapped cell (a vectorised polynomial ``exp`` over
a block of rows' cells, :func:`coalsurv.backend.kernel_fastmath.fexp`; the rp spline's tables reuse
it) and, unless every term is piecewise, three dot products of length ``T Jm`` with the
data-only ``x_iq B_qj`` of the plan (at its exit time, first and last cell); with only
piecewise terms (``shared``) those bases are the cells' own, so the row reads the shared ``f``
per cell (BENCHMARKS.md, "tve per step").

Buffer (at ``H_TVE_DATA``; ``T = H_TVE`` terms, ``nb`` interior cell bounds, ``nb + 1``
cells, ``Jm`` the largest ``J``; bases zero-padded to ``Jm``)::

    nb, Jm, shared, then per term TERM_WIDTH values: J, off_sd, off_step, prior code, p1, p2,
    p3, 0
    bounds (nb), log bounds (nb), jb (cells), c0 and c1 (2, n), X_tve (n, T), centre (T, Jm),
    cell basis (T, cells, Jm), then unless shared: x_iq B_qj at t, on the first and on the
    last cell (3, n, T Jm)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_layout import (
    H_C,
    H_N,
    H_TVE,
    H_TVE_DATA,
    PIECEWISE,
    out_index,
)
from coalsurv.backend.kernel_priors import block_prior
from coalsurv.backend.kernel_spline import RP
from coalsurv.backend.kernel_spline import terms_at as terms  # a call, not inlined
from coalsurv.families.kernels import family_terms
from coalsurv.families.kernels_gamma import GENGAMMA

__all__ = ["TERM_WIDTH", "HEAD_WIDTH", "TVE_BLOCK", "tve_layout", "tve_devs", "tve_tables",
           "tve_row_table", "tve_block", "tve_block_grad", "tve_finish", "tve_prior",
           "tve_expand"]

#: Values per term in the buffer's tve table.
TERM_WIDTH = 8
#: Values before the terms' table: ``nb``, ``Jm``, ``shared``.
HEAD_WIDTH = 3
#: Rows per call of :func:`tve_block` from the row loop.
TVE_BLOCK = 256
_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, error_model="numpy")
def tve_layout(buf):
    """Return views of the tve arrays (module doc).

    ``(T, nb, Jm, bounds, log_bounds, jb, c01, X_tve, centre, cell_basis, xb, shared)``;
    ``c01``: each row's first and last cell (2, n); ``xb``: each row's ``x_iq B_qj`` at its
    exit time and on its first and last cell (3, n, T Jm; rows 0 when ``shared``); ``shared``:
    1 when those bases are the cells' own (only piecewise terms); empty views without tve.
    """
    T = int(buf[H_TVE])
    n, d, nb, jm, e, shared = 0, 0, 0, 0, 0, 0  # no tve terms: empty views
    if T > 0:
        n = int(buf[H_N])
        d = int(buf[H_TVE_DATA])
        nb = int(buf[d])
        jm = int(buf[d + 1])
        shared = int(buf[d + 2])
        e = d + HEAD_WIDTH + TERM_WIDTH * T
    nc = nb + 1
    bounds = buf[e:e + nb]
    e += nb
    log_bounds = buf[e:e + nb]
    e += nb
    jb = buf[e:e + nc]
    e += nc
    c01 = buf[e:e + 2 * n].reshape((2, n))  # each row's first and last cell
    e += 2 * n
    xt = buf[e:e + n * T].reshape((n, T))
    e += n * T
    centre = buf[e:e + T * jm].reshape((T, jm))
    e += T * jm
    cell = buf[e:e + T * nc * jm].reshape((T, nc, jm))
    e += T * nc * jm
    n_x = 0 if shared == 1 else n
    xb = buf[e:e + 3 * n_x * T * jm].reshape((3, n_x, T * jm))  # x times the rows' own bases
    return T, nb, jm, bounds, log_bounds, jb, c01, xt, centre, cell, xb, shared


@njit(cache=True, error_model="numpy")
def _term(buf, q):
    """``(J, off_sd, off_step, index of the sd prior's code)`` of term ``q``."""
    h = int(buf[H_TVE_DATA]) + HEAD_WIDTH + TERM_WIDTH * q
    return int(buf[h]), int(buf[h + 1]), int(buf[h + 2]), h + 3


@njit(cache=True, error_model="numpy")
def tve_devs(buf, x, k, centre, dev, d_raw):
    """Cause ``k``'s deviations ``dev`` (T, Jm) and random walks ``d_raw`` of every term."""
    for q in range(dev.shape[0]):
        J, off_sd, off_step, _ = _term(buf, q)
        sd = math.exp(x[off_sd + k])
        d = 0.0
        d_raw[q, 0] = 0.0
        for j in range(1, J):
            d += sd * x[off_step + k * (J - 1) + j - 1]
            d_raw[q, j] = d
        mean = 0.0
        for j in range(J):
            mean += centre[q, j] * d_raw[q, j]
        for j in range(J):
            dev[q, j] = d_raw[q, j] - mean


@njit(cache=True, error_model="numpy")
def tve_tables(fam, tv, rates, theta_s, log_theta_s, dev, tab, f_cell, spl, b, direction):
    """Tabulate one cause's ``H0``, ``dH0/dtheta`` and ``f`` on the cells.

    ``H0`` and ``dH0/dtheta`` at the cell bounds and their increments over each cell (per
    stratum; the piecewise baseline's ``e^r[jb_c] x width``), ``f`` per cell and term. The rp
    spline (``spl``, the cause's ``rp_spline`` ``b``): ``direction`` -1 tabulates ``dH0/d
    rp_slope``, ``j`` ``dH0/d b_j`` (:func:`coalsurv.backend.kernel_spline.rp_terms`).
    """
    bounds, log_bounds, jb, cell = tv[3], tv[4], tv[5], tv[9]
    h0, g0, cell_dh, cell_dg = tab[0], tab[1], tab[2], tab[3]  # (stratum, cell bound or cell)
    nb = bounds.shape[0]
    if fam == PIECEWISE:
        for c in range(1, nb):
            cell_dh[0, c] = rates[int(jb[c])] * (bounds[c] - bounds[c - 1])
    else:
        for s in range(theta_s.shape[0]):
            for c in range(nb):
                r = terms(fam, bounds[c], log_bounds[c], 0.0, theta_s[s], log_theta_s[s], spl,
                          b, direction)
                h0[s, c] = -r[3]
                g0[s, c] = -r[5]
            for c in range(1, nb):
                cell_dh[s, c] = h0[s, c] - h0[s, c - 1]
                cell_dg[s, c] = g0[s, c] - g0[s, c - 1]
    for q in range(cell.shape[0]):
        for c in range(cell.shape[1]):
            v = 0.0
            for j in range(cell.shape[2]):
                v += cell[q, c, j] * dev[q, j]
            f_cell[q, c] = v


@njit(cache=True, error_model="numpy", fastmath=False)  # explicit: see kernel_fastmath
def tve_row_table(fam, tv, st, theta, log_theta, i, tab, spl, b, direction):
    """Row ``i``'s own ``H0`` and ``dH0/dtheta`` on its cells (a family parameter per row).

    With shape covariates each row has its own ``theta``: before its part in :func:`tve_block`
    the bounds of the row's cells ``c0_i .. c1_i`` and the increments of its full cells are
    rewritten in ``tab`` (stratum ``st``) at that ``theta``; every row rewrites what it reads.
    """
    bounds, log_bounds, c01 = tv[3], tv[4], tv[6]
    h0, g0, cell_dh, cell_dg = tab[0], tab[1], tab[2], tab[3]
    lo, hi = int(c01[0, i]), int(c01[1, i])
    for c in range(lo, hi):
        r = terms(fam, bounds[c], log_bounds[c], 0.0, theta, log_theta, spl, b, direction)
        h0[st, c] = -r[3]
        g0[st, c] = -r[5]
        if c > lo:
            cell_dh[st, c] = h0[st, c] - h0[st, c - 1]
            cell_dg[st, c] = g0[st, c] - g0[st, c - 1]


@njit(cache=True, error_model="numpy", fastmath=False)  # explicit: see kernel_fastmath
def _block_weights(lo, hi, tv, f_cell, dev, wv, ptr):
    """``w = exp(sum_q x_iq f_q)`` of every (row, overlapped cell) of rows ``lo .. hi - 1``.

    Sets ``ptr`` (each row's first place in ``wv``) and ``wv``: first the exponents (the end
    cells' from the rows' own ``x B`` unless ``shared``, the full cells' from ``f_cell``),
    then one branch-free :func:`coalsurv.backend.kernel_fastmath.fexp` loop over the whole block,
    which LLVM vectorises (``math.exp`` is a libm call per cell). Returns the count.
    """
    c01, xt, xb, shared = tv[6], tv[7], tv[10], tv[11]
    T = xt.shape[1]
    tj = dev.shape[0]
    own = shared != 1
    ptr[0] = 0
    for i in range(lo, hi):
        r = i - lo
        a, b = int(c01[0, i]), int(c01[1, i])
        at = ptr[r]
        ptr[r + 1] = at + b - a + 1
        if T == 1:
            x0 = xt[i, 0]
            for c in range(a, b + 1):
                wv[at + c - a] = x0 * f_cell[0, c]
        else:
            for c in range(a, b + 1):
                wv[at + c - a] = 0.0
            for q in range(T):
                xq = xt[i, q]
                for c in range(a, b + 1):
                    wv[at + c - a] += xq * f_cell[q, c]
        if own:  # the end cells: the row's own basis
            s0, s1 = 0.0, 0.0
            for j in range(tj):
                s0 += xb[1, i, j] * dev[j]
                s1 += xb[2, i, j] * dev[j]
            wv[at] = s0
            if b > a:
                wv[at + b - a] = s1
    total = ptr[hi - lo]
    for p in range(total):
        wv[p] = fexp(wv[p])
    return total


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def tve_block(lo, hi, k, fam, tv, theta_s, log_theta_s, Z, bshape, strata, event, t, log_t,
              entry, log_entry, pw, tabs, f_cell, dev, base_dev, rates, want_grad, g_dev,
              g_cell, g_base, spl, b_sp, blk, wdh, ptr):
    """Rows ``lo .. hi - 1`` of cause ``k``: the parts that do not depend on their ``eta``.

    Per row ``log L = base + ev eta - e^eta cum`` and ``d log L / d theta = d_base - e^eta
    d_cum`` (``theta``: the family parameter; along ``rp_spline``'s ``b_j`` the same with the
    tables ``tabs[1 + j]``); ``blk`` (4 + 2 n_b, block): base, d_base, cum, d_cum, then (with
    the gradient) d_base and d_cum along each ``b_j``. Each row's family parameter as the row
    loop's: per stratum, times ``exp(Z[i] beta_shape)`` with shape covariates (whose rows
    rewrite their own H0 tables, :func:`tve_row_table`). With the gradient the event's part
    goes to ``g_dev`` (flat T Jm) / ``g_cell`` / ``g_base``, and each cell's ``w x (H0
    increment)`` to ``wdh`` from ``ptr[row]`` for :func:`tve_block_grad`. The cells' weights
    ``w`` come first for the whole block (:func:`_block_weights`: one vectorised ``exp`` loop,
    shared by the rp tables). A call per block of rows (``TVE_BLOCK``) keeps the row loop
    small; no array is sliced or passed to an inlined function inside the loop (each costs
    atomic reference counts per row: 3-5x the time). ``fastmath`` (reassociation and
    contraction only) lets the full cells' sums vectorise.
    """
    bounds, jb, c01, xt, xb, shared = tv[3], tv[5], tv[6], tv[7], tv[10], tv[11]
    T = xt.shape[1]
    tj = dev.shape[0]
    piecewise = fam == PIECEWISE
    own = shared != 1
    ts = theta_s.shape[0]
    Q = bshape.shape[0]
    K = base_dev.shape[0]
    n_b = tabs.shape[0] - 1
    wv = np.empty(wdh.shape[0])
    _block_weights(lo, hi, tv, f_cell, dev, wv, ptr)
    for i in range(lo, hi):
        r = i - lo
        st = int(strata[i]) if ts > 1 else 0
        theta, log_theta = theta_s[st], log_theta_s[st]
        if Q > 0:
            for j in range(Q):
                log_theta += Z[i, j] * bshape[j]
            theta = math.exp(log_theta)
        j_t = int(pw[0, i]) if K > 0 else 0
        ev = event[k, i]
        a, b = int(c01[0, i]), int(c01[1, i])
        at = ptr[r]
        for d in range(1 + n_b if want_grad else 1):  # the main tables, then rp's b_j
            main = d == 0
            grad_main = want_grad and main
            if Q > 0 and fam != PIECEWISE:
                tve_row_table(fam, tv, st, theta, log_theta, i, tabs[d], spl, b_sp, d - 1)
            base, d_base = 0.0, 0.0
            h_t, g_t, h_e, g_e = 0.0, 0.0, 0.0, 0.0
            if piecewise:
                if ev != 0.0:
                    base = ev * base_dev[j_t]
                    if grad_main:
                        g_base[j_t] += ev
            else:  # H0 at t and the entry: rp and gengamma by a call, the others inline
                for p in range(2 if entry[i] > 0.0 else 1):
                    u, log_u = (t[i], log_t[i]) if p == 0 else (entry[i], log_entry[i])
                    if fam == RP or fam == GENGAMMA:
                        h = terms(fam, u, log_u, 0.0, theta, log_theta, spl, b_sp, d - 1)
                    else:
                        h = family_terms(fam, u, log_u, 0.0, theta, log_theta)
                    if p == 0:
                        h_t, g_t = -h[3], -h[5]
                        base = ev * h[0]
                        d_base = ev * h[2]
                    else:
                        h_e, g_e = -h[3], -h[5]
            if ev != 0.0:
                s = 0.0
                if own:
                    for j in range(tj):
                        s += xb[0, i, j] * dev[j]
                else:
                    for q in range(T):
                        s += xt[i, q] * f_cell[q, b]
                base += ev * s
                if grad_main:
                    if own:
                        for j in range(tj):
                            g_dev[j] += ev * xb[0, i, j]
                    else:
                        for q in range(T):
                            g_cell[q, b] += ev * xt[i, q]
            cum, d_cum = 0.0, 0.0
            for c in range(a + 1, b):  # the full cells: the shared H0 increments
                w = wv[at + c - a]
                dh = tabs[d, 2, st, c]
                cum += w * dh
                d_cum += w * tabs[d, 3, st, c]
                if grad_main:
                    wdh[at + c - a] = w * dh
            for e in range(2 if b > a else 1):  # the row's first and last cell
                c = a if e == 0 else b
                w = wv[at + c - a]
                if piecewise:
                    t_lo = entry[i] if c == a else bounds[c - 1]
                    t_hi = t[i] if c == b else bounds[c]
                    dh, dg = rates[int(jb[c])] * (t_hi - t_lo), 0.0
                else:
                    dh = ((h_t if c == b else tabs[d, 0, st, c])
                          - (h_e if c == a else tabs[d, 0, st, c - 1]))
                    dg = ((g_t if c == b else tabs[d, 1, st, c])
                          - (g_e if c == a else tabs[d, 1, st, c - 1]))
                cum += w * dh
                d_cum += w * dg
                if grad_main:
                    wdh[at + c - a] = w * dh
            if main:
                blk[0, r], blk[1, r], blk[2, r], blk[3, r] = base, d_base, cum, d_cum
            else:
                blk[3 + d, r], blk[3 + n_b + d, r] = d_base, d_cum


@njit(cache=True, error_model="numpy")
def tve_block_grad(lo, hi, fam, tv, e_eta, wdh, ptr, g_dev, g_cell, g_base):
    """Add the cells' gradient of rows ``lo .. hi - 1``, their ``e^eta`` now known.

    ``d log L / d (w H0 increment) = -e^eta``: into ``g_cell`` (full cells, and the end cells
    when ``shared``), the rows' own ``x B`` of the end cells into ``g_dev`` (flat), the
    piecewise baseline's ``g_base``.
    """
    jb, c01, xt, xb, shared = tv[5], tv[6], tv[7], tv[10], tv[11]
    T = xt.shape[1]
    piecewise = fam == PIECEWISE
    own = shared != 1
    for i in range(lo, hi):
        r = i - lo
        a, b = int(c01[0, i]), int(c01[1, i])
        p = ptr[r] - a  # wdh[p + c]: cell c of the row
        e = e_eta[r]
        if piecewise:
            for c in range(a, b + 1):
                g_base[int(jb[c])] -= e * wdh[p + c]
        for q in range(T):  # the full cells
            xq = -e * xt[i, q]
            for c in range(a + 1, b):
                g_cell[q, c] += xq * wdh[p + c]
        g_first = -e * wdh[p + a]
        g_last = -e * wdh[p + b] if b > a else 0.0
        if own:
            for j in range(g_dev.shape[0]):
                g_dev[j] += g_first * xb[1, i, j] + g_last * xb[2, i, j]
        else:
            for q in range(T):
                g_cell[q, a] += g_first * xt[i, q]
                if b > a:
                    g_cell[q, b] += g_last * xt[i, q]


@njit(cache=True, error_model="numpy")
def tve_finish(buf, x, k, cell, centre, d_raw, g_dev, g_cell, grad):
    """Cause ``k``: the shared cells' gradient into ``g_dev``, then into steps and ``log sd``."""
    for q in range(g_dev.shape[0]):
        J, off_sd, off_step, _ = _term(buf, q)
        for c in range(cell.shape[1]):
            gc = g_cell[q, c]
            if gc != 0.0:
                for j in range(J):
                    g_dev[q, j] += gc * cell[q, c, j]
        total = 0.0
        for j in range(J):
            total += g_dev[q, j]
        sd = math.exp(x[off_sd + k])
        tail = 0.0  # d/d step_l = sd sum_{j >= l} d/d d_j; d/d log sd = sum_j d_j d/d d_j
        g_log_sd = 0.0
        for j in range(J - 1, 0, -1):
            g_d = g_dev[q, j] - centre[q, j] * total
            tail += g_d
            g_log_sd += g_d * d_raw[q, j]
            grad[off_step + k * (J - 1) + j - 1] += sd * tail
        grad[off_sd + k] += g_log_sd


@njit(cache=True, error_model="numpy")
def tve_prior(buf, x, grad):
    """``tve_sd`` (log-transformed, its prior) and ``tve_step ~ Normal(0, 1)`` of every term."""
    C = int(buf[H_C])
    total = 0.0
    for q in range(int(buf[H_TVE])):
        J, off_sd, off_step, h = _term(buf, q)
        total += block_prior(buf, h, x, grad, off_sd, C, True)
        for i in range(C * (J - 1)):
            z = x[off_step + i]
            total += -0.5 * z * z - 0.5 * _LOG_2PI
            grad[off_step + i] += -z
    return total


@njit(cache=True, error_model="numpy")
def tve_expand(buf, x, out, pos):
    """``tve_sd`` exponentiated in place; ``tve_dev_<x>`` (cause, J) of each term from ``pos``."""
    C = int(buf[H_C])
    T, nb, jm, bounds, log_bounds, jb, c01, xt, centre, cell, xb, shared = tve_layout(buf)
    dev = np.zeros((T, jm))
    d_raw = np.zeros((T, jm))
    for q in range(T):
        off_sd = _term(buf, q)[1]
        for k in range(C):
            out[out_index(buf, off_sd + k)] = math.exp(x[off_sd + k])
    for q in range(T):
        J = _term(buf, q)[0]
        for k in range(C):
            tve_devs(buf, x, k, centre, dev, d_raw)
            for j in range(J):
                out[pos] = dev[q, j]
                pos += 1
    return pos
