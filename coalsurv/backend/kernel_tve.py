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

Buffer (at ``H_TVE_DATA``; ``T = H_TVE`` terms, ``nb`` interior cell bounds, ``nb + 1``
cells, ``Jm`` the largest ``J``; bases zero-padded to ``Jm``)::

    nb, Jm, then per term TERM_WIDTH values: J, off_sd, off_step, prior code, p1, p2, p3, 0
    bounds (nb), log bounds (nb), jb (cells), c0 and c1 (2, n), X_tve (n, T), centre (T, Jm),
    cell basis (T, cells, Jm), basis at t (T, n, Jm), first and last cell's (2, T, n, Jm)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_layout import (
    H_C,
    H_N,
    H_TVE,
    H_TVE_DATA,
    PIECEWISE,
    out_index,
)
from coalsurv.backend.kernel_priors import block_prior
from coalsurv.backend.kernel_spline import rp_basis_grad, rp_point
from coalsurv.backend.kernel_spline import terms_at as terms  # a call, not inlined

__all__ = ["TERM_WIDTH", "tve_layout", "tve_devs", "tve_tables", "tve_row_table", "tve_row",
           "tve_row_spline", "tve_finish", "tve_prior", "tve_expand"]

#: Values per term in the buffer's tve table.
TERM_WIDTH = 8
_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, error_model="numpy")
def tve_layout(buf):
    """Return views of the tve arrays (module doc).

    ``(T, nb, Jm, bounds, log_bounds, jb, c01, X_tve, centre, cell_basis, time_basis,
    ends)``; ``c01``: each row's first and last cell (2, n); ``ends``: the basis of those
    two cells (2, T, n, Jm); empty views without tve terms.
    """
    T = int(buf[H_TVE])
    n, d, nb, jm, e = 0, 0, 0, 0, 0  # no tve terms: empty views
    if T > 0:
        n = int(buf[H_N])
        d = int(buf[H_TVE_DATA])
        nb = int(buf[d])
        jm = int(buf[d + 1])
        e = d + 2 + TERM_WIDTH * T
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
    at_t = buf[e:e + T * n * jm].reshape((T, n, jm))
    e += T * n * jm
    ends = buf[e:e + 2 * T * n * jm].reshape((2, T, n, jm))  # first and last cell's basis
    return T, nb, jm, bounds, log_bounds, jb, c01, xt, centre, cell, at_t, ends


@njit(cache=True, error_model="numpy")
def _term(buf, q):
    """``(J, off_sd, off_step, index of the sd prior's code)`` of term ``q``."""
    h = int(buf[H_TVE_DATA]) + 2 + TERM_WIDTH * q
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


@njit(cache=True, error_model="numpy")
def tve_row_table(fam, tv, st, theta, log_theta, i, tab, spl, b, direction):
    """Row ``i``'s own ``H0`` and ``dH0/dtheta`` on its cells (a family parameter per row).

    With shape covariates each row has its own ``theta``: before :func:`tve_row` the bounds
    of the row's cells ``c0_i .. c1_i`` and the increments of its full cells are rewritten in
    ``tab`` (stratum ``st``) at that ``theta``; every row rewrites what it reads.
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


@njit(cache=True, inline="always", error_model="numpy")
def _shift(xt, basis, dev, i):
    """``sum_q x_iq sum_j basis[q, i, j] dev[q, j]``."""
    s = 0.0
    for q in range(dev.shape[0]):
        v = 0.0
        for j in range(dev.shape[1]):
            v += basis[q, i, j] * dev[q, j]
        s += xt[i, q] * v
    return s


@njit(cache=True, inline="always", error_model="numpy")
def _end_shift(xt, ends, end, dev, i):
    """``sum_q x_iq sum_j ends[end, q, i, j] dev[q, j]`` (the row's first or last cell)."""
    s = 0.0
    for q in range(dev.shape[0]):
        v = 0.0
        for j in range(dev.shape[1]):
            v += ends[end, q, i, j] * dev[q, j]
        s += xt[i, q] * v
    return s


@njit(cache=True, inline="always", error_model="numpy")
def tve_row(i, fam, st, ev, eta, theta, log_theta, t, log_t, entry, log_entry, bounds, jb, c01,
            xt, at_t, ends, tab, f_cell, dev, base_dev, rates, j_t, want_grad, g_dev, g_cell,
            g_base, spl, b_sp, direction):
    """Row ``i``'s log likelihood for one cause and its ``eta``, ``theta`` derivatives.

    Proportional hazards: ``log h = log h0 + eta``, one family call at ``t`` (and at the
    entry). Adds the deviations' gradient to ``g_dev`` (T, Jm; the row's own end cells and
    exit time), ``g_cell`` (T, cells; the full cells) and ``g_base`` (the piecewise baseline).
    The rp spline (hazard scale): ``tab`` is :func:`tve_tables`' of ``direction``; with ``j``
    the third value is the derivative in ``rp_spline``'s ``b_j``.
    """
    T, jm = dev.shape[0], dev.shape[1]
    h0, g0, cell_dh, cell_dg = tab[0], tab[1], tab[2], tab[3]
    piecewise = fam == PIECEWISE
    val, d_eta, d_th = 0.0, 0.0, 0.0
    h_t, g_t, h_e, g_e = 0.0, 0.0, 0.0, 0.0
    if piecewise:
        if ev != 0.0:
            val = ev * (base_dev[j_t] + eta)
            if want_grad:
                g_base[j_t] += ev
    else:
        log_h0, _, dh_theta, log_s0, _, ds_theta = terms(fam, t, log_t, 0.0, theta, log_theta,
                                                         spl, b_sp, direction)
        h_t, g_t = -log_s0, -ds_theta
        val = ev * (log_h0 + eta)
        d_th = ev * dh_theta
        if entry > 0.0:
            r = terms(fam, entry, log_entry, 0.0, theta, log_theta, spl, b_sp, direction)
            h_e, g_e = -r[3], -r[5]
    d_eta = ev
    if ev != 0.0:
        val += ev * _shift(xt, at_t, dev, i)
        if want_grad:
            for q in range(T):
                for j in range(jm):
                    g_dev[q, j] += ev * xt[i, q] * at_t[q, i, j]
    a, b = int(c01[0, i]), int(c01[1, i])
    e_eta = math.exp(eta)
    cum, d_cum = 0.0, 0.0
    for end in range(2 if b > a else 1):  # the row's first and last cell: its own parts
        c = a if end == 0 else b
        if piecewise:
            lo = entry if end == 0 else bounds[c - 1]
            hi = t if c == b else bounds[c]
            dh, dg = rates[int(jb[c])] * (hi - lo), 0.0
        else:
            dh = (h_t if c == b else h0[st, c]) - (h_e if end == 0 else h0[st, c - 1])
            dg = (g_t if c == b else g0[st, c]) - (g_e if end == 0 else g0[st, c - 1])
        w = math.exp(_end_shift(xt, ends, end, dev, i))
        cum += w * dh
        d_cum += w * dg
        if want_grad:
            g = -e_eta * w * dh
            if piecewise:
                g_base[int(jb[c])] += g
            for q in range(T):
                for j in range(jm):
                    g_dev[q, j] += g * xt[i, q] * ends[end, q, i, j]
    for c in range(a + 1, b):  # full cells: shared f, H0 increments
        s = 0.0
        for q in range(T):
            s += xt[i, q] * f_cell[q, c]
        w = math.exp(s)
        dh = cell_dh[st, c]
        cum += w * dh
        d_cum += w * cell_dg[st, c]
        if want_grad:
            g = -e_eta * w * dh
            for q in range(T):
                g_cell[q, c] += g * xt[i, q]
            if piecewise:
                g_base[int(jb[c])] += g
    val -= e_eta * cum
    d_eta -= e_eta * cum
    d_th -= e_eta * d_cum
    return val, d_eta, d_th


@njit(cache=True, error_model="numpy")
def tve_row_spline(i, st, ev, eta, theta, log_t, entry, log_entry, c01, xt, ends, tab_b,
                   f_cell, dev, spl, b_sp, g_b):
    """``rp_spline``'s gradient of row ``i`` (:func:`tve_row`'s along every ``b_j`` at once).

    The row's ``-e^eta sum_c w_c (H0(hi_c) - H0(lo_c))`` telescopes onto its cell bounds: bound
    ``c`` (between cells ``c`` and ``c + 1``) weighs ``-e^eta (w_c - w_{c+1})``, the exit
    ``-e^eta w_last``, the entry ``e^eta w_first``; ``dH0/d b_j = -d log S/ds w_j(x)``
    (:func:`coalsurv.backend.kernel_spline.rp_basis_grad`); at the bounds from the tables
    ``tab_b`` (:func:`tve_tables` along each ``b_j``; rp has no shape covariates, so no row
    has a family parameter of its own). O(K (cells + 2)) a row instead of K rows.
    """
    _, dh, inv, _, dsv = rp_point(log_t, 0.0, theta, spl, b_sp)
    e_eta = math.exp(eta)
    a, last = int(c01[0, i]), int(c01[1, i])
    w_a = math.exp(_end_shift(xt, ends, 0, dev, i))
    w_c = w_a
    for c in range(a, last):
        if c + 1 == last:
            w_next = math.exp(_end_shift(xt, ends, 1, dev, i))
        else:
            s = 0.0
            for q in range(dev.shape[0]):
                s += xt[i, q] * f_cell[q, c + 1]
            w_next = math.exp(s)
        wt = -e_eta * (w_c - w_next)
        for j in range(g_b.shape[0]):
            g_b[j] += wt * tab_b[j, 1, st, c]
        w_c = w_next
    rp_basis_grad(log_t, spl, ev * dh + e_eta * w_c * dsv, ev * inv, g_b)
    if entry > 0.0:
        d_0 = rp_point(log_entry, 0.0, theta, spl, b_sp)[4]
        rp_basis_grad(log_entry, spl, -e_eta * w_a * d_0, 0.0, g_b)


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
    T, nb, jm, bounds, log_bounds, jb, c01, xt, centre, cell, at_t, ends = tve_layout(buf)
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
