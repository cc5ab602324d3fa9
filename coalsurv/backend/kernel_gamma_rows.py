r"""The gamma and generalised gamma's common rows of the native kernel, in blocks (issue 23).

The common row (no cure, no interval-censored ending, no spells) is ``ev log h(t) + log S(t) -
log S(entry)``; each of its survival terms is a regularised incomplete gamma function
(:func:`coalsurv.families.kernels_gamma.inc_gamma_parts`). Evaluated row by row, three of its
four transcendental calls (``x = e^{log x}``, the lead ``e^{a log x - x - lgamma(a)}`` and one
``log``) were libm calls, about half of a row's time next to the series itself. Here a block
of rows is evaluated in passes over their *points* (each row's exit at ``0..rows-1``, then the
entries of the delayed rows; :func:`_gamma_points` / :func:`_gengamma_points`):

1. the points' ``log x`` (the gamma's ``log t - eta``; the generalised gamma's ``log u = -2
   log|Q| + Q w``, both capped at 650 as the graph), then one loop of branch-free
   :func:`coalsurv.backend.kernel_fastmath.fexp` for ``x`` and the lead, which LLVM
   vectorises;
2. per point the series of ``P`` or the continued fraction of ``Q`` with their ``a``
   derivatives (the same switch and functions as ``inc_gamma_parts``; :func:`_sums`), then in
   one branch-free loop the ``a`` and ``log x`` derivatives of the log the family needs
   (``log Q``; the generalised gamma's ``log P`` for ``Q < 0``) and the argument of its
   logarithm (:func:`_finish`);
3. one loop of :func:`~coalsurv.backend.kernel_fastmath.flog` and
   :func:`~coalsurv.backend.kernel_fastmath.flog1p` for that logarithm (``log lead + log s``
   or ``log(1 - v)``), vectorised;

then the rows' values and derivatives as :func:`coalsurv.families.kernels_gamma.gamma_row` /
:func:`~coalsurv.backend.kernel_gengamma.gengamma_row`, in one loop over the exits and one over
the entries (:func:`_gamma_vals` / :func:`_gengamma_vals`). The generalised gamma's strata with
``|Q| <`` :data:`coalsurv.families.gengamma.Q_SERIES` (the log-normal expansion) take
:func:`coalsurv.families.kernels_gamma.gengamma_all` row by row. :func:`gamma_rows` is called
by :func:`coalsurv.backend.kernel_rows.row_terms` once per cause, after its first sweep has
stored every row's ``eta`` and family parameter; its second sweep applies the chain rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fastmath import fexp, flog, flog1p
from coalsurv.families.gengamma import Q_SERIES
from coalsurv.families.kernels_gamma import (
    EXT_A,
    EXT_Q,
    GAMMA,
    MAX_QW,
    gengamma_all,
    p_fraction,
    p_series,
    shape_constants,
)

__all__ = ["GAMMA_BLOCK", "TABLE_TERMS", "series_table", "gamma_rows"]

#: Rows per block (points: twice that, exit and entry).
GAMMA_BLOCK = 256
#: Coefficients of P's series tabulated per shape (the series' terms beyond: term by term).
TABLE_TERMS = 96
#: Shapes above this keep the term-by-term series (no table).
_TABLE_A = 1e6
_EPS = 1e-16
#: Upper ends of the ranges of ``x`` whose series share a degree (that of their largest ``x``)
_BUCKETS = np.array([0.25, 1.0, 4.0, np.inf])
_N_BUCKETS = 4
# the scratch's fields, one row of it per field, a column per point
_LX, _A, _LG, _PSI, _X, _LOGLEAD, _LEAD, _M, _N, _USE, _DA, _DLU, _LS = range(13)


@njit(cache=True, error_model="numpy", fastmath=False)
def _exps(sc, m):
    """Pass 1: ``x = e^{log x}`` and the lead ``e^{a log x - x - lgamma(a)}`` (vectorised)."""
    for p in range(m):
        sc[_X, p] = fexp(sc[_LX, p])
    for p in range(m):
        ll = sc[_A, p] * sc[_LX, p] - sc[_X, p] - sc[_LG, p]
        sc[_LOGLEAD, p] = ll
        sc[_LEAD, p] = fexp(ll)


@njit(cache=True, error_model="numpy", fastmath=False)
def series_table(a, c, d):
    """Fill ``c[n] = 1 / (a (a+1) ... (a+n))`` and ``d[n] = dc[n]/da = -c[n] sum_j 1/(a+j)``."""
    r = 1.0 / a
    c[0], d[0] = r, -r * r
    harm = r
    for n in range(1, c.shape[0]):
        r = 1.0 / (a + n)
        harm += r
        c[n] = c[n - 1] * r
        d[n] = -c[n] * harm


@njit(cache=True, error_model="numpy", fastmath=False)
def _degree(c, d, x):
    """Terms the series needs at ``x`` (and at every smaller ``x``), or -1 beyond the table.

    The ratio of the ``n``-th term to the sum (and of their ``a`` slopes) grows with ``x``, so
    the block's largest ``x`` sets the degree; four terms beyond the first below 1e-16.
    """
    total, d_total, pw = c[0], d[0], 1.0
    for n in range(1, c.shape[0] - 4):
        pw *= x
        term, d_term = c[n] * pw, d[n] * pw
        total += term
        d_total += d_term
        if term < total * _EPS and -d_term <= -d_total * _EPS:
            return n + 4
    return -1


@njit(cache=True, error_model="numpy", fastmath=False)
def _horner(c, d, deg, hx, hs, hd, cnt):
    """``sum_n c_n x^n`` and ``sum_n d_n x^n`` to degree ``deg`` at ``cnt`` points (vectorised)."""
    for r in range(cnt):
        hs[r] = c[deg]
        hd[r] = d[deg]
    for n in range(deg - 1, -1, -1):
        cn, dn = c[n], d[n]
        for r in range(cnt):
            hs[r] = hs[r] * hx[r] + cn
            hd[r] = hd[r] * hx[r] + dn


@njit(cache=True, error_model="numpy", fastmath=False)
def _sums(sc, m, skip, ptab, tab_c, tab_d, hx, hp, cnt, x_max, hs, hd):
    """Pass 2a: the series or the fraction of each point (``inc_gamma_parts``' switch).

    Stores each point's sum in ``M`` (P's series over its lead ``s``, or Q's fraction over
    its lead ``h``), its ``a`` slope in ``DA`` and which one in ``USE`` (1: the series), for
    :func:`_finish`. The series of points whose shape has a coefficient table (``ptab[p] >=
    0``: ``tab_c``, ``tab_d``, :func:`series_table`) by Horner's rule over all of them at
    once in ranges of ``x`` (``_BUCKETS``), to the degree the range's largest ``x`` needs
    (:func:`_degree`); the others term by term. The table points go straight to their (table,
    range)'s row of ``hx`` / ``hp`` (``cnt`` of them, their largest ``x`` in ``x_max``).
    ``skip[p]``: not evaluated here.
    """
    n_key = cnt.shape[0]
    for key in range(n_key):
        cnt[key] = 0
        x_max[key] = 0.0
    for p in range(m):
        if skip[p]:
            sc[_M, p], sc[_DA, p], sc[_USE, p] = 1.0, 0.0, 1.0
            continue
        a, x, lead = sc[_A, p], sc[_X, p], sc[_LEAD, p]
        if x < a + 1.0 or (a < EXT_A and lead > EXT_Q * (x + 1.0 - a)):
            sc[_USE, p] = 1.0
            if ptab[p] < 0:
                sc[_M, p], sc[_DA, p] = p_series(a, x)
            else:  # by Horner below, with the points of its table and range of x
                key = ptab[p] * _N_BUCKETS + (0 if x < _BUCKETS[0] else 1 if x < _BUCKETS[1]
                                              else 2 if x < _BUCKETS[2] else 3)
                c = cnt[key]
                hp[key, c] = p
                hx[key, c] = x
                cnt[key] = c + 1
                x_max[key] = max(x_max[key], x)
        else:
            sc[_USE, p] = 0.0
            sc[_M, p], sc[_DA, p] = p_fraction(a, x)
    for key in range(n_key):
        n_pt = cnt[key]
        if n_pt == 0:
            continue
        j = key // _N_BUCKETS
        hp_k, hx_k = hp[key], hx[key]
        deg = _degree(tab_c[j], tab_d[j], x_max[key])
        if deg < 0:  # beyond the table: term by term
            for r in range(n_pt):
                sc[_M, hp_k[r]], sc[_DA, hp_k[r]] = p_series(sc[_A, hp_k[r]], hx_k[r])
            continue
        _horner(tab_c[j], tab_d[j], deg, hx_k, hs, hd, n_pt)
        for r in range(n_pt):
            sc[_M, hp_k[r]], sc[_DA, hp_k[r]] = hs[r], hd[r]


@njit(cache=True, error_model="numpy", fastmath=False)
def _finish(sc, m, up, skip):
    """Pass 2b: from each point's sum, the ``a`` and ``log x`` derivatives of the log it needs.

    ``up[p]``: the point needs ``log Q`` (else ``log P``). With ``v = lead s`` (``P``) or
    ``lead h`` (``Q``) in ``N``: the log of the sum's own function (``log lead + log M``,
    ``USE = 1``; ``a`` slope ``log x - psi + M'/M``, ``log x`` slope ``1/s`` or ``-1/h``) or
    of the other one (``log(1 - N)``, ``USE = 0``; both slopes times ``-v / (1 - v)``). One
    branch-free loop (its two divisions vectorised); skipped points: ``log 1 - 0``.
    """
    for p in range(m):
        s = sc[_M, p]
        inv = 1.0 / s
        dl_a = sc[_LX, p] - sc[_PSI, p] + sc[_DA, p] * inv
        v = sc[_LEAD, p] * s
        r = v / (1.0 - v)
        ser = sc[_USE, p] > 0.0
        own = ser != up[p]  # the series and log P, or the fraction and log Q
        dl_lx = inv if ser else -inv
        sc[_N, p] = v
        sc[_USE, p] = 1.0 if own else 0.0
        sc[_DA, p] = dl_a if own else -r * dl_a
        sc[_DLU, p] = dl_lx if own else -r * dl_lx
    for p in range(m):
        if skip[p]:
            sc[_M, p], sc[_N, p], sc[_USE, p] = 1.0, 0.0, 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def _logs(sc, m):
    """Pass 3: each point's log (``log lead + log M`` or ``log(1 - N)``), vectorised."""
    for p in range(m):
        l1 = sc[_LOGLEAD, p] + flog(sc[_M, p])
        l2 = flog1p(-sc[_N, p])
        sc[_LS, p] = l1 if sc[_USE, p] > 0.0 else l2


@njit(cache=True, error_model="numpy", fastmath=False)
def gamma_rows(fam, k, t, log_t, entry, log_entry, event, strata, ts, per_row, eta_r, th_r,
               lth_r, theta_s, lg_s, psi_s, b_k, lq_s, lgq_s, psiq_s, d_eta_r, d_th_r, g_k,
               rows_out, want_grad):
    """Cause ``k``'s common rows of the gamma (``fam == GAMMA``) or generalised gamma.

    ``eta_r``, ``th_r``, ``lth_r``: each row's ``eta``, family parameter (the gamma's shape,
    the generalised gamma's ``sigma``) and its log; ``strata`` (``ts`` family parameters per
    cause: the row's stratum picks its constants); ``per_row``: shape covariates (the gamma's
    ``lgamma``, ``digamma`` per row, no series table). The gamma's shapes per stratum
    ``theta_s`` and their constants ``lg_s``, ``psi_s``; the generalised gamma's ``Q`` per
    stratum (or one) ``b_k`` with ``log|Q|``, ``lgamma``, ``digamma`` of ``Q^-2`` (``lq_s``,
    ``lgq_s``, ``psiq_s``). Writes each row's
    ``d/d eta`` and ``d/d theta`` (``d_eta_r``, ``d_th_r``), adds ``d/dQ`` to ``g_k`` and the
    rows' values to ``rows_out`` (when not empty); returns their sum.
    """
    n = eta_r.shape[0]
    gam = fam == GAMMA
    n_q = b_k.shape[0]
    B = GAMMA_BLOCK
    sc = np.empty((13, 2 * B))
    at_e = np.empty(B, np.int64)
    up = np.empty(2 * B, np.bool_)
    skip = np.empty(2 * B, np.bool_)
    # P's series coefficients per shape (per stratum; the generalised gamma's per Q), once
    n_tab = (0 if per_row else ts) if gam else n_q
    tab_c, tab_d = np.zeros((n_tab, TABLE_TERMS)), np.zeros((n_tab, TABLE_TERMS))
    tab_ok = np.zeros(n_tab, np.bool_)
    for j in range(n_tab):
        a_j = theta_s[j] if gam else (1.0 / (b_k[j] * b_k[j]) if abs(b_k[j]) >= Q_SERIES
                                      else 0.0)
        if 0.0 < a_j < _TABLE_A:
            tab_ok[j] = True
            series_table(a_j, tab_c[j], tab_d[j])
    ptab = np.empty(2 * B, np.int64)
    n_key = max(n_tab, 1) * _N_BUCKETS  # the table points per (table, range of x)
    hx, hp = np.empty((n_key, 2 * B)), np.empty((n_key, 2 * B), np.int64)
    cnt, x_max = np.empty(n_key, np.int64), np.empty(n_key)
    hs, hd = np.empty(2 * B), np.empty(2 * B)
    total = 0.0
    for lo in range(0, n, B):
        hi = min(lo + B, n)
        if gam:
            m = _gamma_points(sc, lo, hi, log_t, entry, log_entry, strata, ts, per_row, eta_r,
                              th_r, lg_s, psi_s, tab_ok, at_e, up, skip, ptab)
        else:
            m = _gengamma_points(sc, lo, hi, log_t, entry, log_entry, strata, ts, eta_r, th_r,
                                 b_k, lq_s, lgq_s, psiq_s, tab_ok, at_e, up, skip, ptab)
        _exps(sc, m)
        _sums(sc, m, skip, ptab, tab_c, tab_d, hx, hp, cnt, x_max, hs, hd)
        _finish(sc, m, up, skip)
        _logs(sc, m)
        if gam:
            total += _gamma_vals(sc, lo, hi, at_e, k, event, log_t, log_entry, eta_r, th_r,
                                 d_eta_r, d_th_r, rows_out)
        else:
            total += _gengamma_vals(sc, lo, hi, at_e, skip, k, event, t, log_t, entry,
                                    log_entry, strata, eta_r, th_r, lth_r, b_k, lq_s, lgq_s,
                                    psiq_s, d_eta_r, d_th_r, g_k, rows_out, want_grad)
    return total


@njit(cache=True, error_model="numpy", fastmath=False)
def _gamma_points(sc, lo, hi, log_t, entry, log_entry, strata, ts, per_row, eta_r, th_r, lg_s,
                  psi_s, tab_ok, at_e, up, skip, ptab):
    """Fill the gamma's points of rows ``lo:hi``: exits at ``0..hi-lo-1``, then the entries.

    Stores each point's capped ``log x``, shape and its constants, table and side; the entry
    point of row ``lo + r`` in ``at_e[r]`` (-1: none). Returns the number of points. One
    shape for all rows (no strata, no shape covariates): the exits in branch-free loops.
    """
    nb = hi - lo
    n_tab = tab_ok.shape[0]
    first = 0
    if ts == 1 and not per_row:
        for r in range(nb):
            i = lo + r
            sc[_LX, r] = min(log_t[i] - eta_r[i], MAX_QW)
            sc[_A, r] = th_r[i]
        tp = 0 if n_tab > 0 and tab_ok[0] else -1
        lg, psi = lg_s[0], psi_s[0]
        for r in range(nb):
            sc[_LG, r], sc[_PSI, r] = lg, psi
            ptab[r], up[r], skip[r] = tp, True, False
        first = 1  # the entries below
    m = nb
    for e in range(first, 2):
        m = 0 if e == 0 else nb
        for r in range(nb):
            i = lo + r
            if e == 1:
                if not entry[i] > 0.0:
                    at_e[r] = -1
                    continue
                at_e[r] = m
            p = r if e == 0 else m
            st = int(strata[i]) if ts > 1 else 0
            lt = log_t[i] if e == 0 else log_entry[i]
            sc[_LX, p] = min(lt - eta_r[i], MAX_QW)
            sc[_A, p] = th_r[i]
            if per_row:
                sc[_LG, p], sc[_PSI, p] = shape_constants(th_r[i])
            else:
                sc[_LG, p], sc[_PSI, p] = lg_s[st], psi_s[st]
            ptab[p] = st if n_tab > 0 and tab_ok[st] else -1
            up[p] = True
            skip[p] = False
            if e == 1:
                m += 1
    return m


@njit(cache=True, error_model="numpy", fastmath=False)
def _gengamma_points(sc, lo, hi, log_t, entry, log_entry, strata, ts, eta_r, th_r, b_k, lq_s,
                     lgq_s, psiq_s, tab_ok, at_e, up, skip, ptab):
    """:func:`_gamma_points` of the generalised gamma (``log u``, ``a = Q^-2``, side by ``Q``).

    A point whose ``|Q| <`` ``Q_SERIES`` is skipped by the passes (``skip``). One ``Q`` away
    from 0 (the common case): the exits in branch-free loops.
    """
    nb = hi - lo
    n_q = b_k.shape[0]
    first = 0
    if n_q == 1 and abs(b_k[0]) >= Q_SERIES:
        q = b_k[0]
        a, base, lg, psi = 1.0 / (q * q), -2.0 * lq_s[0], lgq_s[0], psiq_s[0]
        for r in range(nb):
            i = lo + r
            w = (log_t[i] - eta_r[i]) * (1.0 / th_r[i])  # as gengamma_all rounds it
            sc[_LX, r] = base + min(q * w, MAX_QW)
        tp = 0 if tab_ok[0] else -1
        for r in range(nb):
            sc[_A, r], sc[_LG, r], sc[_PSI, r] = a, lg, psi
            ptab[r], up[r], skip[r] = tp, q > 0.0, False
        first = 1  # the entries below
    m = nb
    for e in range(first, 2):
        m = 0 if e == 0 else nb
        for r in range(nb):
            i = lo + r
            if e == 1:
                if not entry[i] > 0.0:
                    at_e[r] = -1
                    continue
                at_e[r] = m
            p = r if e == 0 else m
            qs = (int(strata[i]) if ts > 1 else 0) if n_q > 1 else 0
            lt = log_t[i] if e == 0 else log_entry[i]
            q = b_k[qs]
            ptab[p] = qs if tab_ok[qs] else -1
            up[p] = q > 0.0
            if abs(q) < Q_SERIES:  # the log-normal expansion: row by row (_gengamma_vals)
                skip[p] = True
                sc[_LX, p], sc[_A, p], sc[_LG, p], sc[_PSI, p] = 0.0, 1.0, 0.0, 0.0
            else:
                skip[p] = False
                w = (lt - eta_r[i]) * (1.0 / th_r[i])  # as gengamma_all rounds it
                sc[_LX, p] = -2.0 * lq_s[qs] + min(q * w, MAX_QW)
                sc[_A, p] = 1.0 / (q * q)
                sc[_LG, p], sc[_PSI, p] = lgq_s[qs], psiq_s[qs]
            if e == 1:
                m += 1
    return m


@njit(cache=True, error_model="numpy", fastmath=False)
def _gamma_vals(sc, lo, hi, at_e, k, event, log_t, log_entry, eta_r, th_r, d_eta_r, d_th_r,
                rows_out):
    """Return rows ``lo:hi``'s summed value (the gamma) from the passes' points.

    :func:`coalsurv.families.kernels_gamma.gamma_row`'s value (added to ``rows_out`` when not
    empty) and its ``eta`` and shape derivatives (``d_eta_r``, ``d_th_r``); the exits in one
    loop, then the entries.
    """
    tot = 0.0
    nb = hi - lo
    ev_k = event[k]
    keep = rows_out.shape[0] > 0
    for r in range(nb):
        i = lo + r
        ev = ev_k[i]
        kk = th_r[i]
        log_x = log_t[i] - eta_r[i]  # uncapped in k log x (the graph's)
        live = 1.0 if log_x <= MAX_QW else 0.0
        x = sc[_X, r]
        log_f = kk * log_x - x - sc[_LG, r] - log_t[i]
        log_s, ds_k, ds_eta = sc[_LS, r], sc[_DA, r], -sc[_DLU, r] * live
        val = log_s + ev * (log_f - log_s)
        tot += val
        d_eta_r[i] = ds_eta + ev * (-kk + x * live - ds_eta)
        d_th_r[i] = ds_k + ev * (log_x - sc[_PSI, r] - ds_k)
        if keep:
            rows_out[i] += val
    for r in range(nb):
        pe = at_e[r]
        if pe >= 0:
            i = lo + r
            live0 = 1.0 if log_entry[i] - eta_r[i] <= MAX_QW else 0.0
            tot -= sc[_LS, pe]
            d_eta_r[i] += sc[_DLU, pe] * live0
            d_th_r[i] -= sc[_DA, pe]
            if keep:
                rows_out[i] -= sc[_LS, pe]
    return tot


@njit(cache=True, inline="always", error_model="numpy")
def _gg_point(sc, p, log_t, eta, sigma, log_sigma, q, log_abs_q, lg, psi):
    """:func:`coalsurv.families.kernels_gamma.gengamma_all` at point ``p`` of the passes."""
    inv = 1.0 / sigma
    w = (log_t - eta) * inv
    iq = 1.0 / q
    a = iq * iq
    live = 1.0 if q * w <= MAX_QW else 0.0
    log_u = sc[_LX, p]
    u = sc[_X, p]
    lf = log_abs_q + a * log_u - u - lg
    ls, ls_a, ls_lu = sc[_LS, p], sc[_DA, p], sc[_DLU, p]
    da_q = -2.0 * a * iq
    dlu_q = -2.0 * iq + w * live
    lf_w = (a - u) * q * live
    lf_q = iq + (log_u - psi) * da_q + (a - u) * dlu_q
    ls_w = ls_lu * q * live
    ls_q = ls_a * da_q + ls_lu * dlu_q
    log_f = lf - log_sigma - log_t
    f_eta, s_eta = -lf_w * inv, -ls_w * inv
    f_sig, s_sig = -lf_w * w * inv - inv, -ls_w * w * inv
    return log_f - ls, f_eta - s_eta, f_sig - s_sig, lf_q - ls_q, ls, s_eta, s_sig, ls_q


@njit(cache=True, error_model="numpy", fastmath=False)
def _gengamma_vals(sc, lo, hi, at_e, skip, k, event, t, log_t, entry, log_entry, strata, eta_r,
                   th_r, lth_r, b_k, lq_s, lgq_s, psiq_s, d_eta_r, d_th_r, g_k, rows_out,
                   want_grad):
    """:func:`_gamma_vals` of the generalised gamma (``gengamma_row``'s common row).

    Adds ``d/dQ`` to ``g_k`` (per stratum when ``Q`` is). A skipped point (``|Q| <``
    ``Q_SERIES``) takes :func:`gengamma_all` itself.
    """
    tot = 0.0
    nb = hi - lo
    n_q = b_k.shape[0]
    ev_k = event[k]
    keep = rows_out.shape[0] > 0
    first = 0
    if n_q == 1 and abs(b_k[0]) >= Q_SERIES:  # one Q away from 0: no branch a row
        q, lq, lg, psi = b_k[0], lq_s[0], lgq_s[0], psiq_s[0]
        g_q = 0.0
        for r in range(nb):
            i = lo + r
            v = _gg_point(sc, r, log_t[i], eta_r[i], th_r[i], lth_r[i], q, lq, lg, psi)
            ev = ev_k[i]
            val = ev * v[0] + v[4]
            tot += val
            d_eta_r[i] = ev * v[1] + v[5]
            d_th_r[i] = ev * v[2] + v[6]
            g_q += ev * v[3] + v[7]
            if keep:
                rows_out[i] += val
        if want_grad:
            g_k[0] += g_q
        first = nb
    for r in range(first, nb):
        i = lo + r
        qs = int(strata[i]) if n_q > 1 else 0
        q, lq, lg, psi = b_k[qs], lq_s[qs], lgq_s[qs], psiq_s[qs]
        if skip[r]:
            v = gengamma_all(t[i], log_t[i], eta_r[i], th_r[i], lth_r[i], q, lq, lg, psi)
        else:
            v = _gg_point(sc, r, log_t[i], eta_r[i], th_r[i], lth_r[i], q, lq, lg, psi)
        ev = ev_k[i]
        val = ev * v[0] + v[4]
        tot += val
        d_eta_r[i] = ev * v[1] + v[5]
        d_th_r[i] = ev * v[2] + v[6]
        if want_grad:
            g_k[qs] += ev * v[3] + v[7]
        if keep:
            rows_out[i] += val
    for r in range(nb):
        pe = at_e[r]
        if pe >= 0:
            i = lo + r
            qs = int(strata[i]) if n_q > 1 else 0
            q, lq, lg, psi = b_k[qs], lq_s[qs], lgq_s[qs], psiq_s[qs]
            if skip[pe]:
                v = gengamma_all(entry[i], log_entry[i], eta_r[i], th_r[i], lth_r[i], q, lq, lg,
                                 psi)
            else:
                v = _gg_point(sc, pe, log_entry[i], eta_r[i], th_r[i], lth_r[i], q, lq, lg, psi)
            tot -= v[4]
            d_eta_r[i] -= v[5]
            d_th_r[i] -= v[6]
            if want_grad:
                g_k[qs] -= v[7]
            if keep:
                rows_out[i] -= v[4]
    return tot
