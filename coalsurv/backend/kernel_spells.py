r"""The native kernel's time-varying covariates (spells): each episode's curve over its spells.

With spells the kernel's rows are *spell rows* (``H_N`` of them, sorted by episode): each row
has its own linear predictor ``eta_ij`` (its covariates, its episode's frailty levels, stratum
and mm() term) and family parameter. The spell section of the buffer (at ``buf[H_SPELLS]``,
packed by :func:`coalsurv.backend.native_spells.spell_section`) says how the rows make the
episodes' log likelihood, as :mod:`coalsurv.build.graph` does:

* mode 1 (proportional hazards, no cure, no interval-censored ending): each spell row is an
  ordinary row on ``(max(a_ij, entry_i), b_ij]`` with the event on the last spell
  (:func:`coalsurv.build.spells.spell_arrays`), so :func:`coalsurv.backend.kernel_rows.row_terms`
  evaluates it unchanged; the section maps each row to its episode (pointwise output). The
  exponential, Weibull PH and Gompertz families run these rows on the PH fast row loop
  (:mod:`coalsurv.backend.kernel_fast`), whose pointwise values are summed per episode by
  :func:`row_episodes` (read from its generic copy) and :func:`episode_sums`;
* mode 2 (AFT families, interval-censored endings, cure): the episode's curve
  (:class:`coalsurv.build.spell_likelihood.SpellCurve`). :func:`episode_curves` takes every
  row's ``eta`` and ``theta`` and returns each episode's value and each row's ``d/d eta`` and
  ``d/d theta``; ``row_terms`` then applies the chain rule row by row as for any row.

Mode 2, per episode ``i`` (spells ``j = lo .. hi - 1``, last spell ``J``) and cause::

    PH:  log S_i(T) = sum_j [F(min(b_j, T) | eta_j) - F(min(a_j, T) | eta_j)]   (F = log S,
         F(0) = 0), log h_i(t) = log h(t | eta_J)
    AFT: tau_i(T) = sum_j exp(eta_J - eta_j) max(min(b_j, T) - a_j, 0),
         log S_i(T) = log S(tau_i(T) | eta_J), log h_i(t) = log h(tau_i(t) | eta_J)

(``a_j = max(start, 0)``, ``b_J = inf``). The AFT derivatives in ``tau`` come from the family's
own ``eta`` derivatives: ``S(t | eta) = S0(t e^-eta)`` gives ``d log S / d log t = -d log S /
d eta`` and ``d log h / d log t = -d log h / d eta - 1``. The episode's value combines ``log
h_i(t)``, ``log S_i(t)``, ``log S_i(upper)`` and ``log S_i(entry)``: ``d log h + log S - log
S(entry)``, ``log(S(t) - S(upper)) - log S(entry)`` or the cure rows of
:func:`coalsurv.backend.kernel_cure.cure_row` (linear in the four values' derivatives, so two
calls give the weights of each). Cost: O(spells) per cause. The generalised gamma's ``Q`` (and
``sigma``) are the last spell's, as the graph's (its parameters per spell row, the family at
``tau`` of the last row): with stratified shapes the episode's stratum's (issue 23).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_cure import cure_row_at as cure_row  # a call, not inlined
from coalsurv.backend.kernel_gengamma import q_constants
from coalsurv.backend.kernel_layout import (
    H_C,
    H_CURE,
    H_CURE_DATA,
    H_CURE_LINK,
    H_CURE_Q,
    H_FAM,
    H_N,
    H_OFF_CBETA,
    H_OFF_CINT,
    H_SPELLS,
    layout,
)
from coalsurv.backend.kernel_spline import RP, rp_basis_grad, rp_log_time_slope, rp_point, terms
from coalsurv.families.kernels import interval_terms
from coalsurv.families.kernels_gamma import GENGAMMA, gengamma_all

__all__ = ["SPELL_HEAD", "spell_section", "n_episodes", "row_episodes", "episode_sums",
           "episode_curves"]

#: Entries before the spell section's arrays: mode, episodes, AFT (1/0), interval rows (1/0).
SPELL_HEAD = 4


@njit(cache=True, error_model="numpy")
def spell_section(buf):
    """Return the spell section: mode (0 none), episodes and the arrays (views).

    ``(mode, E, aft, has_interval, row_episode (m,), ptr (E + 1,), last (E,), a (m,), b (m,),
    time (E,), entry (E,), upper (E,), event (C, E), interval (C, E))``; the per-episode
    arrays are empty in mode 1.
    """
    d = int(buf[H_SPELLS])
    m = int(buf[H_N])
    C = int(buf[H_C])
    if d <= 0:
        e = buf[:0]
        return 0, m, 0, 0, e, e, e, e, e, e, e, e, e.reshape((C, 0)), e.reshape((C, 0))
    mode, E = int(buf[d]), int(buf[d + 1])
    aft, has_int = int(buf[d + 2]), int(buf[d + 3])
    d += SPELL_HEAD
    row_ep = buf[d:d + m]
    d += m
    q = E if mode == 2 else 0
    r = m if mode == 2 else 0
    ptr = buf[d:d + q + (1 if q else 0)]
    d += ptr.shape[0]
    last = buf[d:d + q]
    d += q
    a = buf[d:d + r]
    d += r
    b = buf[d:d + r]
    d += r
    t = buf[d:d + q]
    d += q
    entry = buf[d:d + q]
    d += q
    upper = buf[d:d + q]
    d += q
    event = buf[d:d + C * q].reshape((C, q))
    d += C * q
    interval = buf[d:d + C * q].reshape((C, q))
    return mode, E, aft, has_int, row_ep, ptr, last, a, b, t, entry, upper, event, interval


@njit(cache=True, error_model="numpy")
def n_episodes(buf):
    """Rows of the pointwise log likelihood: episodes (spell models) or the kernel's rows."""
    d = int(buf[H_SPELLS])
    return int(buf[d + 1]) if d > 0 else int(buf[H_N])


@njit(cache=True, error_model="numpy")
def row_episodes(buf, m):
    """Each of ``m`` spell rows' episode (rows in the buffer's order); empty without spells.

    ``m``: the rows, given, so that a buffer whose rows were taken out (``H_N = 0``: the
    fast loops' priors copy, :mod:`coalsurv.backend.native_fast`) still says them.
    """
    d = int(buf[H_SPELLS])
    if d <= 0:
        return buf[:0]
    return buf[d + SPELL_HEAD:d + SPELL_HEAD + m]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=False)
def episode_sums(rows, row_ep, out):
    """``out[e]`` = the sum of ``rows`` over episode ``e``'s spell rows (``row_ep``: each row's).

    The rows' order of :func:`coalsurv.backend.kernel_rows.row_terms`'s ``rows_out``
    sums (the buffer's), so a spell model's pointwise values are the generic kernel's sums.
    """
    out[:] = 0.0
    for i in range(rows.shape[0]):
        out[int(row_ep[i])] += rows[i]


@njit(cache=True, error_model="numpy")
def _curve(fam, aft, hazard, T, lo, hi, J, eta_r, th_r, lth_r, a, b, d_eta, d_th, spl, b_sp,
           direction):
    """``log h_i(T)`` (``hazard``) or ``log S_i(T)`` of one episode, its row derivatives.

    Writes ``d/d eta`` and ``d/d theta`` of rows ``lo .. hi - 1`` into ``d_eta[0:hi - lo]``,
    ``d_th[0:hi - lo]``. The rp spline (hazard scale, PH): ``d_th`` along ``direction``
    (:func:`coalsurv.backend.kernel_spline.rp_terms`: -1 ``rp_slope``, ``j`` ``b_j``).
    """
    for r in range(hi - lo):
        d_eta[r] = 0.0
        d_th[r] = 0.0
    if not aft:
        if hazard:  # the last spell's hazard at T
            out = terms(fam, T, math.log(T), eta_r[J], th_r[J], lth_r[J], spl, b_sp, direction)
            d_eta[J - lo], d_th[J - lo] = out[1], out[2]
            return out[0]
        val = 0.0
        for r in range(lo, hi):
            top = min(b[r], T)
            bottom = min(a[r], T)
            if top > 0.0:
                out = terms(fam, top, math.log(top), eta_r[r], th_r[r], lth_r[r], spl, b_sp,
                            direction)
                val += out[3]
                d_eta[r - lo] += out[4]
                d_th[r - lo] += out[5]
            if bottom > 0.0:
                out = terms(fam, bottom, math.log(bottom), eta_r[r], th_r[r], lth_r[r], spl,
                            b_sp, direction)
                val -= out[3]
                d_eta[r - lo] -= out[4]
                d_th[r - lo] -= out[5]
        return val
    tau = 0.0  # the equivalent time at the last spell's eta
    eta_j = eta_r[J]
    for r in range(lo, hi):
        length = max(min(b[r], T) - a[r], 0.0)
        if length > 0.0:
            w = math.exp(eta_j - eta_r[r]) * length
            tau += w
            d_eta[r - lo] = w  # kept: exp(eta_J - eta_j) |spell in (0, T]|
    if tau <= 0.0:  # no time elapsed: log S = 0 (a hazard is only asked at exit times)
        for r in range(hi - lo):
            d_eta[r] = 0.0
        return 0.0
    out = terms(fam, tau, math.log(tau), eta_j, th_r[J], lth_r[J], spl, b_sp, direction)
    if hazard:
        val, f_eta, f_th = out[0], out[1], out[2]
        g = (-f_eta - 1.0) / tau  # d F / d tau
    else:
        val, f_eta, f_th = out[3], out[4], out[5]
        g = -f_eta / tau
    if fam == RP:  # the odds scale: not S0(t e^-eta), the spline's own d/d log t
        g = rp_log_time_slope(hazard, math.log(tau), eta_j, th_r[J], spl, b_sp) / tau
    own = d_eta[J - lo]
    for r in range(hi - lo):
        d_eta[r] = -g * d_eta[r]  # d tau / d eta_j = -exp(eta_J - eta_j) |...|, j != J
    d_eta[J - lo] = f_eta + g * (tau - own)  # d tau / d eta_J = tau - |(a_J, b_J] n (0, T]|
    d_th[J - lo] = f_th
    return val


@njit(cache=True, error_model="numpy", fastmath=False)
def _curve_gengamma(hazard, T, lo, hi, J, eta_r, th_r, lth_r, a, b, d_eta, d_th, q, lq, lgq,
                    psiq):
    """:func:`_curve` of the generalised gamma (AFT), with ``d/dQ`` in the same pass.

    ``q``, ``lq``, ``lgq``, ``psiq``: the last spell's ``Q`` (its stratum's with stratified
    shapes) and its constants (:func:`coalsurv.backend.kernel_gengamma.q_constants`). Fills
    ``d_eta`` and ``d_th`` (``d/d sigma``, on the last spell only) as :func:`_curve` does and
    returns ``(value, d/dQ)``: one :func:`coalsurv.families.kernels_gamma.gengamma_all` per
    curve instead of one along ``sigma`` and one more along ``Q``.
    """
    tau = 0.0  # the equivalent time at the last spell's eta
    eta_j = eta_r[J]
    for r in range(lo, hi):
        d_eta[r - lo] = 0.0
        d_th[r - lo] = 0.0
        length = max(min(b[r], T) - a[r], 0.0)
        if length > 0.0:
            w = math.exp(eta_j - eta_r[r]) * length
            tau += w
            d_eta[r - lo] = w
    if tau <= 0.0:  # no time elapsed: log S = 0
        for r in range(hi - lo):
            d_eta[r] = 0.0
        return 0.0, 0.0
    out = gengamma_all(tau, math.log(tau), eta_j, th_r[J], lth_r[J], q, lq, lgq, psiq)
    if hazard:
        val, f_eta, f_th, f_q = out[0], out[1], out[2], out[3]
        g = (-f_eta - 1.0) / tau
    else:
        val, f_eta, f_th, f_q = out[4], out[5], out[6], out[7]
        g = -f_eta / tau
    own = d_eta[J - lo]
    for r in range(hi - lo):
        d_eta[r] = -g * d_eta[r]
    d_eta[J - lo] = f_eta + g * (tau - own)
    d_th[J - lo] = f_th
    return val, f_q


@njit(cache=True, error_model="numpy")
def _curve_spline(aft, hazard, T, lo, hi, J, eta_r, th_r, a, b, spl, b_sp, weight, g_sp):
    """Add ``weight`` x the gradient in ``rp_spline`` of one curve (:func:`_curve`) to ``g_sp``.

    ``log h(T | eta_J)`` or ``sum_j F(min(b_j, T)) - F(min(a_j, T))`` (hazard scale), or the
    family at the equivalent time ``tau(T)`` (odds scale; ``tau`` does not depend on ``b``):
    each evaluation's ``d/ds`` and ``d/ds'`` times the basis
    (:func:`coalsurv.backend.kernel_spline.rp_basis_grad`), O(K) per evaluation instead of
    one more curve per coefficient.
    """
    if aft:
        tau = 0.0
        for r in range(lo, hi):
            length = max(min(b[r], T) - a[r], 0.0)
            if length > 0.0:
                tau += math.exp(eta_r[J] - eta_r[r]) * length
        if tau <= 0.0:
            return
        x = math.log(tau)
        _, dh, inv, _, dsv = rp_point(x, eta_r[J], th_r[J], spl, b_sp)
        if hazard:
            rp_basis_grad(x, spl, weight * dh, weight * inv, g_sp)
        else:
            rp_basis_grad(x, spl, weight * dsv, 0.0, g_sp)
        return
    if hazard:
        x = math.log(T)
        _, dh, inv, _, _ = rp_point(x, eta_r[J], th_r[J], spl, b_sp)
        rp_basis_grad(x, spl, weight * dh, weight * inv, g_sp)
        return
    for r in range(lo, hi):
        top = min(b[r], T)
        bottom = min(a[r], T)
        if top > 0.0:
            x = math.log(top)
            rp_basis_grad(x, spl, weight * rp_point(x, eta_r[r], th_r[r], spl, b_sp)[4], 0.0,
                          g_sp)
        if bottom > 0.0:
            x = math.log(bottom)
            rp_basis_grad(x, spl, -weight * rp_point(x, eta_r[r], th_r[r], spl, b_sp)[4], 0.0,
                          g_sp)


@njit(cache=True, error_model="numpy")
def episode_curves(buf, x, k, eta_r, th_r, lth_r, d_eta_r, d_th_r, rows_out, grad, want_grad,
                   spl, b_sp, g_sp):
    """Cause ``k``'s log likelihood of every episode from its spell rows (mode 2).

    ``eta_r``, ``th_r``, ``lth_r``: each spell row's linear predictor, family parameter and
    its log. Fills each row's ``d/d eta`` and ``d/d theta`` (``d_eta_r``, ``d_th_r``), adds
    each episode's value to ``rows_out`` (when not empty) and, with cure, the cure block's
    gradient to ``grad``. The rp spline (hazard scale): ``spl``, the cause's ``rp_spline``
    ``b_sp``; its gradient goes to ``g_sp`` (the episode's value is linear in its curves'
    derivatives with weights ``w``; each used curve's gradient by :func:`_curve_spline`). The
    generalised gamma: ``b_sp`` holds ``Q`` (one, or one per stratum with stratified shapes:
    the episode's last spell's stratum picks it), each curve by :func:`_curve_gengamma` with
    ``d/dQ`` in the same pass, into ``g_sp[stratum]``. Returns the sum over episodes.
    """
    fam = int(buf[H_FAM])
    (_, E, aft, has_int, _, ptr, last, a, b, t, entry, upper, event,
     interval) = spell_section(buf)
    cure = int(buf[H_CURE])
    link = int(buf[H_CURE_LINK])
    n_c = int(buf[H_CURE_Q]) if cure > 0 else 0
    z_cure = buf[int(buf[H_CURE_DATA]):int(buf[H_CURE_DATA]) + int(buf[H_N]) * n_c].reshape(
        (int(buf[H_N]), n_c))
    # the generalised gamma: Q (b_sp: one per cause, or per stratum with stratified shapes)
    # and its constants, once; each episode reads its last spell's (its stratum's)
    gg = fam == GENGAMMA
    n_q = b_sp.shape[0] if gg else 0
    strata = layout(buf)[17]
    q_lq, q_lg, q_psi = np.zeros(n_q), np.zeros(n_q), np.zeros(n_q)
    for j in range(n_q):
        q_lq[j], q_lg[j], q_psi[j] = q_constants(b_sp[j])
    f_q = np.zeros(4)  # d/dQ of the four values
    qs = 0
    longest = 1
    for e in range(E):
        longest = max(longest, int(ptr[e + 1]) - int(ptr[e]))
    dq_eta = np.zeros((4, longest))  # log h(t), log S(t), log S(upper), log S(entry)
    dq_th = np.zeros((4, longest))
    sc_eta = np.zeros(longest)  # scratch of the spline's directions
    sc_th = np.zeros(longest)
    times = np.zeros(4)
    vals = np.zeros(4)
    w = np.zeros(4)
    total = 0.0
    # plain bools, not numba literals: one compiled _curve serves all four calls
    hazard, survival = bool(True), bool(False)  # noqa: UP018
    for e in range(E):
        lo, hi, J = int(ptr[e]), int(ptr[e + 1]), int(last[e])
        ev = event[k, e]
        is_int = has_int == 1 and interval[k, e] > 0.0
        has_entry = entry[e] > 0.0
        for q in range(4):
            vals[q] = 0.0
            f_q[q] = 0.0
        if gg:  # one pass per curve: d/dQ with the rest
            qs = int(strata[J]) if n_q > 1 else 0
            qv, lq, lgq, psiq = b_sp[qs], q_lq[qs], q_lg[qs], q_psi[qs]
            if ev > 0.0 and not is_int:
                vals[0], f_q[0] = _curve_gengamma(hazard, t[e], lo, hi, J, eta_r, th_r, lth_r,
                                                  a, b, dq_eta[0], dq_th[0], qv, lq, lgq, psiq)
            vals[1], f_q[1] = _curve_gengamma(survival, t[e], lo, hi, J, eta_r, th_r, lth_r, a,
                                              b, dq_eta[1], dq_th[1], qv, lq, lgq, psiq)
            if is_int:
                vals[2], f_q[2] = _curve_gengamma(survival, upper[e], lo, hi, J, eta_r, th_r,
                                                  lth_r, a, b, dq_eta[2], dq_th[2], qv, lq, lgq,
                                                  psiq)
            if has_entry:
                vals[3], f_q[3] = _curve_gengamma(survival, entry[e], lo, hi, J, eta_r, th_r,
                                                  lth_r, a, b, dq_eta[3], dq_th[3], qv, lq, lgq,
                                                  psiq)
        elif ev > 0.0 and not is_int:
            vals[0] = _curve(fam, aft, hazard, t[e], lo, hi, J, eta_r, th_r, lth_r, a, b,
                             dq_eta[0], dq_th[0], spl, b_sp, -1)
        if not gg:
            vals[1] = _curve(fam, aft, survival, t[e], lo, hi, J, eta_r, th_r, lth_r, a, b,
                             dq_eta[1], dq_th[1], spl, b_sp, -1)
        if is_int and not gg:
            vals[2] = _curve(fam, aft, survival, upper[e], lo, hi, J, eta_r, th_r, lth_r, a, b,
                             dq_eta[2], dq_th[2], spl, b_sp, -1)
        if has_entry and not gg:
            vals[3] = _curve(fam, aft, survival, entry[e], lo, hi, J, eta_r, th_r, lth_r, a, b,
                             dq_eta[3], dq_th[3], spl, b_sp, -1)
        if cure > 0:  # cure_row is linear in the derivatives it is given: read the weights
            lin = x[int(buf[H_OFF_CINT])]
            for j in range(n_c):
                lin += z_cure[J, j] * x[int(buf[H_OFF_CBETA]) + j]
            val, w[0], w[1], d_lin = cure_row(
                cure, link, lin, ev, is_int, has_entry, vals[0], 1.0, 0.0, vals[1], 0.0, 1.0,
                vals[2], 0.0, 0.0, vals[3], 0.0, 0.0)
            _, w[2], w[3], _ = cure_row(
                cure, link, lin, ev, is_int, has_entry, vals[0], 0.0, 0.0, vals[1], 0.0, 0.0,
                vals[2], 1.0, 0.0, vals[3], 0.0, 1.0)
            if want_grad:
                grad[int(buf[H_OFF_CINT])] += d_lin
                for j in range(n_c):
                    grad[int(buf[H_OFF_CBETA]) + j] += d_lin * z_cure[J, j]
        elif is_int:  # log(S(t) - S(upper)) - log S(entry)
            val, w[1], w[2] = interval_terms(vals[1], 1.0, 0.0, vals[2], 0.0, 1.0)
            w[0] = 0.0
            w[3] = -1.0 if has_entry else 0.0
            val += w[3] * vals[3]
        else:
            w[0] = ev if ev > 0.0 else 0.0
            w[1], w[2] = 1.0, 0.0
            w[3] = -1.0 if has_entry else 0.0
            val = w[0] * vals[0] + vals[1] + w[3] * vals[3]
        total += val
        if rows_out.shape[0] > 0:
            rows_out[e] += val
        if want_grad:
            for r in range(hi - lo):
                de, dt = 0.0, 0.0
                for q in range(4):
                    if w[q] != 0.0:  # an unused value's derivatives may be inf
                        de += w[q] * dq_eta[q, r]
                        dt += w[q] * dq_th[q, r]
                d_eta_r[lo + r] = de
                d_th_r[lo + r] = dt
            times[0], times[1], times[2], times[3] = t[e], t[e], upper[e], entry[e]
            if fam == RP:  # rp_spline: each used curve's gradient, analytic
                for q in range(4):
                    if w[q] != 0.0:
                        _curve_spline(aft, q == 0, times[q], lo, hi, J, eta_r, th_r, a, b,
                                      spl, b_sp, w[q], g_sp)
            if gg:  # Q: the episode's stratum's
                for q in range(4):
                    if w[q] != 0.0:
                        g_sp[qs] += w[q] * f_q[q]
            for j in range(g_sp.shape[0] if fam != RP and not gg else 0):  # each curve along b_j
                for q in range(4):
                    if w[q] != 0.0:
                        _curve(fam, aft, q == 0, times[q], lo, hi, J, eta_r, th_r, lth_r, a, b,
                               sc_eta, sc_th, spl, b_sp, j)
                        for r in range(hi - lo):
                            g_sp[j] += w[q] * sc_th[r]
    return total
