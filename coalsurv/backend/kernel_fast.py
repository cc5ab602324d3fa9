"""A specialised row loop for the common large-N model: PH, right censoring, one frailty.

The model (:mod:`coalsurv.backend.native_fast` decides when a plan is exactly this shape)::

    eta_i = intercept (+ centre) + X[i] beta + u[g_i]
    log L = sum_i d_i log h(t_i) - sum_i e^eta_i (H0(t_i) - H0(entry_i))

with the exponential (``log h = eta``, ``H0(t) = t``), the Weibull PH (``log h = log k + (k -
1) log t + eta``, ``H0(t) = t^k``) or the Gompertz baseline (``log h = eta + gamma t``, ``H0(t)
= (e^(gamma t) - 1) / gamma``, ``gamma = ageing e^intercept`` as the graph samples it; the
buffer then holds the times where the others hold their logs), one cause, right censoring,
delayed entry, at most one frailty factor sampled non-centred, centred, or centred on the
intercept. The event part is linear in the parameters, so its data-constant sums (events ``D``,
``sum d log t``, ``sum d x``, events per level) are computed once when the buffer is packed;
per evaluation the rows only compute ``r_i = exp(k log t_i + eta_i)`` (minus the same at the
entry) and accumulate ``sum r``, ``sum r log t``, ``sum r x`` and ``sum r`` per level. The rows
are sorted by level (and, within a level, rows with delayed entry first), the design matrix is
stored column by column, and the loops are branch-free blocks of at most :data:`BLOCK` rows
with a polynomial ``exp`` (:func:`fexp`) so LLVM vectorises them; sums are reassociated
(``fastmath`` with ``reassoc`` and ``contract`` only: infinities and NaN keep their meaning).

Buffers of the AFT families (family code ``>= AFT_CODES``) go to
:mod:`coalsurv.backend.kernel_fast_aft` from :func:`fast_rows` and :func:`fast_pointwise_into`.
:func:`fexp` lives in :mod:`coalsurv.backend.kernel_fastmath` (re-exported here).

The priors are the generic kernel's: :func:`coalsurv.backend.kernel.logp_grad` on a copy of
the generic buffer with no rows (``H_N = 0``) adds exactly the priors' log density and
gradient. The generic buffer stays the reference for the pointwise log likelihood and the
traced variables.

Fast buffer (float64): ``[length, start of the generic copy, fam, n, P, L, off_int, off_beta,
off_theta, mode, off_sd, off_levels, centred, D, sum d log t, any entry]`` (:data:`F_HEAD`
values), then ``sum d x`` (P), events per level (L), level starts (L + 1), the end of each
level's delayed-entry rows (L), ``X`` by column (P n), ``log t`` (n), ``log entry`` (n), the
event indicator (n), each row's original position (n), then the generic copy. ``L`` is 1
without a frailty (``mode = -1``).

``mm()`` member blocks (exponential, Weibull PH, Gompertz): ``eta_i`` gains each row's member
term ``theta_i``, computed once per evaluation (:func:`~coalsurv.backend.kernel_fast_base.mm_setup`,
from the members copy at the buffer's end), so the event part adds ``sum d theta`` per
evaluation; the blocks' ``d log L / d eta_i = d_i - r_i`` go by fast row to
:func:`~coalsurv.backend.kernel_members_fast.mm_fast_grad` (the generic kernel's quantities in
two sweeps of the memberships, on a section of data-only sums after the copy).

Family codes 10 and above are the Royston-Parmar spline's (:mod:`coalsurv.backend.kernel_fast_rp`,
its own section before the generic copy): :func:`fast_rows` and :func:`fast_pointwise_into`
hand them over. :func:`fexp`, :data:`BLOCK` and :data:`F_HEAD` live in
:mod:`coalsurv.backend.kernel_fast_base` (shared with it).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

from coalsurv.backend.kernel import logp_grad
from coalsurv.backend.kernel_fast_aft import AFT_CODES, aft_pointwise_into, aft_rows
from coalsurv.backend.kernel_fast_base import (
    BLOCK,
    F_HEAD,
    FASTMATH,
    entry_runs,
    fast_arrays,
    fexp,
    generic_copy,
    has_member_copy,
    level_grads,
    level_sums,
    level_u,
    mm_buffer,
    mm_setup,
)
from coalsurv.backend.kernel_fast_end import END_CODES, end_pointwise_into, end_rows
from coalsurv.backend.kernel_fast_rp import RP_HAZARD, rp_fast_rows, rp_pointwise_into
from coalsurv.backend.kernel_fast_tve import TVE_CODES, tve_fast_rows, tve_pointwise_into
from coalsurv.backend.kernel_layout import H_NDIM, LOGP_SIG, callback_status
from coalsurv.backend.kernel_members import mm_prior
from coalsurv.backend.kernel_members_fast import mm_fast_grad
from coalsurv.backend.kernel_spells import episode_sums, row_episodes

__all__ = ["BLOCK", "F_HEAD", "fexp", "fast_logp_grad", "fast_rows", "fast_pointwise_into",
           "LOGP_FAST_CFUNC"]

_FM = FASTMATH


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _block(X_all, log_t_all, log_en_all, s, e, beta, off_all, th, entry, r_all, acc, s_rx):
    """Rows ``s:e`` (any levels; all with delayed entry if ``entry``, else none).

    ``r_all`` holds every row: ``a + u`` of each row's level on entry, ``r_i`` on exit, with
    ``eta_i = a + u + X[i] beta (+ off_i``, the mm() member term, when ``off_all`` has rows)
    and ``r_i = e^(k log t_i + eta_i) (- e^(k log entry_i + eta_i))``. Adds ``sum r`` and
    ``sum r log t`` (less the entry's) into ``acc[0:2]`` and ``sum r x`` into ``s_rx``. As
    :func:`_block_gompertz`: 1-D views of rows ``s:e`` indexed from 0, so LLVM vectorises.
    """
    w = e - s
    P = beta.shape[0]
    log_t, log_en, r = log_t_all[s:e], log_en_all[s:e], r_all[s:e]
    for j in range(P):
        b = beta[j]
        xj = X_all[j, s:e]
        for i in range(w):
            r[i] += xj[i] * b
    if off_all.shape[0] > 0:  # mm(): each row's member term (fast row order)
        off = off_all[s:e]
        for i in range(w):
            r[i] += off[i]
    s_r = 0.0
    s_rl = 0.0
    if entry:  # delayed-entry rows: minus the entry's term
        for i in range(w):
            eta = r[i]
            lt = log_t[i]
            v = fexp(th * lt + eta)
            le = log_en[i]
            v0 = fexp(th * le + eta)
            s_r += v - v0
            s_rl += v * lt - v0 * le
            r[i] = v - v0
    else:
        for i in range(w):
            lt = log_t[i]
            v = fexp(th * lt + r[i])
            s_r += v
            s_rl += v * lt
            r[i] = v
    acc[0] += s_r
    acc[1] += s_rl
    for j in range(P):
        tot = 0.0
        xj = X_all[j, s:e]
        for i in range(w):
            tot += r[i] * xj[i]
        s_rx[j] += tot


# inlined in numba's IR (its operations take the caller's fastmath flags, the blocks' _FM: no
# rounding trick here, selects and a series near 0; fexp keeps its own): as a call, LLVM did
# not inline it and the blocks' loops ran scalar (10.6 us against 6.7 for coalgov's 628 rows).
# Locals prefixed gh_ (kernel_fastmath: an inlined local must not shadow a caller's name)
@njit(cache=True, inline="always", error_model="numpy", fastmath=_FM)
def _gompertz_h(gh_x, gh_t, gh_ig):
    """``t (e^x - 1) / x`` and ``t^2 (x e^x - e^x + 1) / x^2`` at ``x = gamma t`` (series near 0).

    The Gompertz baseline's cumulative hazard (times ``e^-eta``) and its ``gamma`` derivative,
    as :func:`coalsurv.families.kernels.family_terms` (selects, no branches). ``gh_ig = 1 /
    gamma`` (once per evaluation): ``t (e^x - 1) / x = (e^x - 1) / gamma`` and the derivative
    is ``(t e^x - H) / gamma``, no division per row (where ``|x|`` is below the series'
    switches ``gh_ig`` may be infinite: the select drops that side).
    """
    gh_ex = fexp(gh_x)
    gh_h = (gh_ex - 1.0) * gh_ig
    gh_h = gh_h if abs(gh_x) >= 1e-5 else gh_t * (1.0 + gh_x * (0.5 + gh_x * (1.0 / 6.0)))
    gh_d = (gh_t * gh_ex - gh_h) * gh_ig
    gh_d = (gh_d if abs(gh_x) >= 1e-3 else gh_t * gh_t * (
        0.5 + gh_x * (1.0 / 3.0 + gh_x * (0.125 + gh_x * (1.0 / 30.0)))))
    return gh_h, gh_d


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _block_gompertz(X_all, t_all, t0_all, s, e, beta, off_all, gam, ig, entry, r_all, acc,
                    s_rx):
    """Rows ``s:e`` (any levels), Gompertz baseline: ``r_i = e^eta_i (H0(t_i) - H0(entry_i))``.

    ``r_all`` holds every row (not a block's scratch): ``a + u`` of each row's level on entry,
    ``r_i`` on exit. ``t_all`` and ``t0_all`` are the times (not their logs); ``acc[1]``
    collects ``d r / d gamma``. The loops index 1-D views of rows ``s:e`` from 0 (one per
    column of ``X``: a 2-D ``[:, s:e]`` view is not contiguous): indexed ``s + i`` (numba's
    negative-index wraparound on each access) they did not vectorise.
    """
    w = e - s
    P = beta.shape[0]
    t, t0, r = t_all[s:e], t0_all[s:e], r_all[s:e]
    for j in range(P):
        b = beta[j]
        xj = X_all[j, s:e]
        for i in range(w):
            r[i] += xj[i] * b
    if off_all.shape[0] > 0:  # mm(): each row's member term (fast row order)
        off = off_all[s:e]
        for i in range(w):
            r[i] += off[i]
    s_r = 0.0
    s_g = 0.0
    for i in range(w):
        ee = fexp(r[i])
        big_h, d_h = _gompertz_h(gam * t[i], t[i], ig)
        if entry:  # loop-invariant: unswitched
            h0, d0 = _gompertz_h(gam * t0[i], t0[i], ig)
            big_h -= h0
            d_h -= d0
        v = ee * big_h
        s_r += v
        s_g += ee * d_h
        r[i] = v
    acc[0] += s_r
    acc[1] += s_g
    for j in range(P):
        tot = 0.0
        xj = X_all[j, s:e]
        for i in range(w):
            tot += r[i] * xj[i]
        s_rx[j] += tot


@njit(cache=True, error_model="numpy")
def fast_rows(fb, x, grad):
    """Return the rows' log likelihood; add its gradient into ``grad`` (see the module doc)."""
    fam = int(fb[2])
    if fam >= TVE_CODES:  # piecewise tve() (kernel_fast_tve)
        return tve_fast_rows(fb, x, grad)
    if fam >= END_CODES:  # cure or interval endings (kernel_fast_end)
        return end_rows(fb, x, grad)
    if fam >= AFT_CODES:  # the location-scale families: kernel_fast_aft
        return aft_rows(fb, x, grad)
    if fam >= RP_HAZARD:  # the rp spline (kernel_fast_rp)
        return rp_fast_rows(fb, x, grad)
    return _ph_rows(fb, x, grad)


@njit(cache=True, error_model="numpy")
def _ph_rows(fb, x, grad):
    """:func:`fast_rows` of the exponential, Weibull PH and Gompertz families."""
    fam = int(fb[2])
    P, L = int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    D, s_dlt = fb[13], fb[14]
    s_dx, d_lev, start, mid, X, log_t, log_en, ev, order = fast_arrays(fb)
    a = x[off_int] + fb[12]
    beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
    th, log_th = 1.0, 0.0
    if fam == 1:
        log_th = x[off_theta]
        th = math.exp(log_th)
    gam = x[off_theta] * math.exp(a) if fam == 2 else 0.0  # Gompertz: ageing e^intercept
    entry = fb[15] > 0.0
    sd = math.exp(x[off_sd]) if mode == 0 else 1.0
    acc = np.zeros(2)
    s_rx = np.zeros(P)
    d_a = 0.0
    total = D * a
    for j in range(P):
        total += s_dx[j] * beta[j]
    mmb = mm_buffer(fb)
    mm = mmb.shape[0] > 0
    none = np.empty(0)
    off, raw, c, tot, theta, zs = none, none, none, none, none, none
    if mm:
        off, raw, c, tot, theta, zs = mm_setup(mmb, x)
    g_row = np.zeros(theta.shape[0])  # d log L / d eta_i by fast row (mm() only)
    for i in range(off.shape[0]):  # the event part's member terms: sum d theta
        total += ev[i] * off[i]
    lev_r = np.empty(L)  # each level's sum r
    # every row in blocks across the levels (coalgov's ~20 rows a level left the vector loops
    # mostly in their scalar remainders), then each level's sum
    n = int(fb[3])
    rr = np.empty(n)  # a + u of each row's level, then r (Gompertz: log_t, log_en the times)
    for lev in range(L):
        base = a + level_u(x, mode, off_lev, lev, sd, a)
        for i in range(int(start[lev]), int(start[lev + 1])):
            rr[i] = base
    if fam == 2:  # Gompertz
        ig = 1.0 / gam  # inf at gamma = 0: _gompertz_h's series then
        for b0 in range(0, n, BLOCK):
            b1 = min(b0 + BLOCK, n)
            _block_gompertz(X, log_t, log_en, b0, b1, beta, off, gam, ig, entry, rr, acc, s_rx)
            _row_grad(ev, b0, b1, rr[b0:b1], g_row)
    else:  # runs of delayed-entry and of plain rows (within a level the entry rows first)
        runs = entry_runs(start, mid)
        for k in range(runs.shape[0]):
            b0, e = runs[k, 0], runs[k, 1]
            while b0 < e:
                b1 = min(b0 + BLOCK, e)
                _block(X, log_t, log_en, b0, b1, beta, off, th, runs[k, 2] == 1, rr, acc, s_rx)
                _row_grad(ev, b0, b1, rr[b0:b1], g_row)
                b0 = b1
    level_sums(rr, start, lev_r)
    for lev in range(L):
        total += d_lev[lev] * level_u(x, mode, off_lev, lev, sd, a)
        lev_r[lev] = d_lev[lev] - lev_r[lev]  # d log L / d u of this level
    d_a = level_grads(grad, x, mode, off_sd, off_lev, sd, lev_r, d_a)
    total -= acc[0]
    d_a += D - acc[0]
    grad[off_int] += d_a
    for j in range(P):
        grad[off_beta + j] += s_dx[j] - s_rx[j]
    if fam == 1:
        total += D * log_th + (th - 1.0) * s_dlt
        grad[off_theta] += D + th * (s_dlt - acc[1])  # d / d log k
    if fam == 2:  # log h = eta + gamma t (s_dlt: sum d t); gamma = ageing e^a
        total += gam * s_dlt
        d_gam = s_dlt - acc[1]
        grad[off_theta] += d_gam * math.exp(a)
        grad[off_int] += d_gam * gam
    if mm:  # the member blocks' gradient through theta (kernel_members_fast)
        mm_fast_grad(mmb, x, 0, g_row, raw, c, tot, theta, zs, grad)
    return total


@njit(cache=True, error_model="numpy")
def _row_grad(ev, s, e, r, g_row):
    """mm() only (``g_row`` has rows): ``d log L / d eta = d - r`` of rows ``s:e``."""
    if g_row.shape[0] > 0:
        for i in range(e - s):
            g_row[s + i] = ev[s + i] - r[i]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FM)
def _pw_block(X, log_t, log_en, ev, order, s, e, m, base, beta, off, th, log_th, row, out):
    """Each row's log likelihood of rows ``s:e`` (``s:m`` with delayed entry) into ``out``."""
    w = e - s
    P = beta.shape[0]
    for i in range(w):
        row[i] = base
    for j in range(P):
        b = beta[j]
        for i in range(w):
            row[i] += X[j, s + i] * b
    if off.shape[0] > 0:  # mm(): each row's member term
        for i in range(w):
            row[i] += off[s + i]
    for i in range(w):
        eta = row[i]
        lt = log_t[s + i]
        v = fexp(th * lt + eta)
        v0 = fexp(th * log_en[s + i] + eta)
        v0 = v0 if s + i < m else 0.0
        row[i] = ev[s + i] * (log_th + (th - 1.0) * lt + eta) - (v - v0)
    for i in range(w):
        out[int(order[s + i])] = row[i]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FM)
def _pw_gompertz(X, t, t0, ev, order, s, e, base, beta, off, gam, ig, row, out):
    """:func:`_pw_block` for the Gompertz baseline (``t``, ``t0``: the times; ``ig``: 1 / gamma)."""
    w = e - s
    P = beta.shape[0]
    for i in range(w):
        row[i] = base
    for j in range(P):
        b = beta[j]
        for i in range(w):
            row[i] += X[j, s + i] * b
    if off.shape[0] > 0:  # mm(): each row's member term
        for i in range(w):
            row[i] += off[s + i]
    for i in range(w):
        eta = row[i]
        big_h = (_gompertz_h(gam * t[s + i], t[s + i], ig)[0]
                 - _gompertz_h(gam * t0[s + i], t0[s + i], ig)[0])
        row[i] = ev[s + i] * (eta + gam * t[s + i]) - fexp(eta) * big_h
    for i in range(w):
        out[int(order[s + i])] = row[i]


@njit(cache=True, nogil=True, error_model="numpy")
def fast_pointwise_into(fb, draws, out):
    """Each row's log likelihood (original row order) for each unconstrained draw, into ``out``.

    The same values as :func:`coalsurv.backend.kernel.pointwise` (up to rounding). Spells
    (spell mode 1): the rows are spell rows, their values summed into their episode's
    (``out`` has a column per episode; :func:`coalsurv.backend.kernel_spells.episode_sums`).
    """
    fam = int(fb[2])
    if fam >= TVE_CODES:  # piecewise tve() (kernel_fast_tve)
        tve_pointwise_into(fb, draws, out)
        return
    if fam >= END_CODES:  # cure or interval endings (kernel_fast_end)
        end_pointwise_into(fb, draws, out)
        return
    if fam >= AFT_CODES:  # the location-scale families: kernel_fast_aft
        aft_pointwise_into(fb, draws, out)
        return
    if fam >= RP_HAZARD:  # the rp spline (kernel_fast_rp)
        rp_pointwise_into(fb, draws, out)
        return
    P, L = int(fb[4]), int(fb[5])
    off_int, off_beta, off_theta = int(fb[6]), int(fb[7]), int(fb[8])
    mode, off_sd, off_lev = int(fb[9]), int(fb[10]), int(fb[11])
    _, _, start, mid, X, log_t, log_en, ev, order = fast_arrays(fb)
    row = np.empty(BLOCK)
    mmb = mm_buffer(fb)
    off = np.empty(0)
    # spells (PH, a row per spell): rows into ``spell``, summed per episode (kernel_spells)
    row_ep = row_episodes(generic_copy(fb), int(fb[3]))
    spell = np.empty(row_ep.shape[0])
    for d in range(draws.shape[0]):
        x = draws[d]
        dest = spell if row_ep.shape[0] > 0 else out[d]
        if mmb.shape[0] > 0:  # mm(): this draw's member terms (fast row order)
            off = mm_setup(mmb, x)[0]
        a = x[off_int] + fb[12]
        beta = x[off_beta:off_beta + P] if P > 0 else x[:0]
        th, log_th = 1.0, 0.0
        if fam == 1:
            log_th = x[off_theta]
            th = math.exp(log_th)
        gam = x[off_theta] * math.exp(a) if fam == 2 else 0.0
        sd = math.exp(x[off_sd]) if mode == 0 else 1.0
        for lev in range(L):
            u = level_u(x, mode, off_lev, lev, sd, a)
            s, m, e = int(start[lev]), int(mid[lev]), int(start[lev + 1])
            for b0 in range(s, e, BLOCK):
                if fam == 2:
                    _pw_gompertz(X, log_t, log_en, ev, order, b0, min(b0 + BLOCK, e), a + u,
                                 beta, off, gam, 1.0 / gam, row, dest)
                else:
                    _pw_block(X, log_t, log_en, ev, order, b0, min(b0 + BLOCK, e), m, a + u,
                              beta, off, th, log_th, row, dest)
        if row_ep.shape[0] > 0:
            episode_sums(spell, row_ep, out[d])


@njit(cache=True, error_model="numpy")
def fast_logp_grad(fb, x, grad):
    """Log posterior and gradient: :func:`fast_rows` plus the generic kernel's priors."""
    grad[:] = 0.0
    gen = generic_copy(fb)  # the other loops' copies carry their own tails (has_member_copy)
    if not has_member_copy(int(fb[2])):
        return logp_grad(gen, x, grad) + fast_rows(fb, x, grad)
    total = logp_grad(gen, x, grad)  # the copy has no rows: the priors only
    mmb = mm_buffer(fb)
    if mmb.shape[0] > 0:  # mm(): the member blocks' prior (the copy above leaves them out)
        total += mm_prior(mmb, x, grad)
    return total + fast_rows(fb, x, grad)


@numba.cfunc(LOGP_SIG, cache=True, error_model="numpy")
def LOGP_FAST_CFUNC(dim, x_, out_, logp_, user_data_):  # noqa: N802 - a C callback
    """Log-density callback of nutpie on the fast buffer (codes as the generic callback's)."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    fb = numba.carray(user_data_, (int(length),), np.float64)
    if dim != int(fb[int(fb[1]) + H_NDIM]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    value = fast_logp_grad(fb, x, out)
    logp[0] = value
    return callback_status(out, value)
