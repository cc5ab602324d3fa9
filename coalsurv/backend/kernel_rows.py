"""The native kernel's likelihood: every row's log likelihood and its gradient (numba, cached).

Per cause ``k`` (``C`` causes)::

    eta_k[i] = intercept_k + X[i] beta_k + sum_g u_gk[idx_g[i]] + strata_dev_k[s_i]
               + sum_s v_sk[idx_s[i]] X[i, col_s]      (varying slopes, kernel_slopes)

with exact, right- and interval-censored endings and delayed entry. The family's formulas come
from :func:`coalsurv.families.kernels.family_terms`, at the row's family parameter
``theta_k[s_i] * exp(Z[i] beta_shape_k)`` (one value per cause, or per cause and stratum with
stratified shapes; ``Z`` the shape covariates, when present). For AFT families the sampled
intercept and coefficients are on eta/sigma (``intercept_std``, ``beta_std``; issue 13):
``eta_k = s_k (intercept_std_k + X beta_std_k) + frailties + strata_dev`` with the scale of log
T ``s_k = exp(sign mean_s log theta_ks)`` (header ``H_STD``), and the chain rule runs through
``s_k``. An interval-censored ending of cause ``k`` in ``(l, u]`` contributes ``log(S(l) -
S(u))`` instead of ``log h(l) + log S(l)``. Cure and interval rows of a ``family_terms``
family are :func:`coalsurv.backend.kernel_ending.lean_row` (the ending's weights from the
terms' values; the cure link once per distinct row of ``Z_cure``); the Royston-Parmar spline's
are :func:`~coalsurv.backend.kernel_spline.rp_row` (``rp_spline``'s gradient analytic).

The piecewise-exponential baseline (family code :data:`PIECEWISE`, ``K`` intervals) is the
one vector-parameter family, handled here rather than in ``family_terms``: per cause
``log h = dev[j(t)] + eta`` and ``log S(t) - log S(entry) = -e^eta (H0(t) - H0(entry))`` with
``H0(t) = sum_{m < j(t)} e^dev[m] w[m] + e^dev[j(t)] (t - c[j(t)])`` (interval widths ``w``,
lower bounds ``c``), ``dev = d - mean(d)``, ``d = (0, cumsum(rw_step))``,
``rw_step ~ Normal(0, rw_sd)``: the model :mod:`coalsurv.build.graph` builds. The buffer holds
per row the interval of ``t`` and of the entry and the time spent in that interval, so a row
costs O(1) and the gradient in ``dev`` O(n + K) (full intervals summed once per interval).

With time-varying covariates the rows are spell rows (:mod:`coalsurv.backend.kernel_spells`):
under proportional hazards without cure or interval rows each is an ordinary row on its spell;
otherwise a first sweep keeps every row's ``eta``, the episodes' curves give each row's
``d/d eta`` and ``d/d theta``, and a second sweep applies the same chain rule as above.

Interval-censored and cure rows of the piecewise baseline weigh their terms by
:func:`coalsurv.backend.kernel_piecewise.pw_row` (:func:`~coalsurv.backend.kernel_ending.ending`'s
weights) into the same sums.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_ending import cure_grad, cure_table, lean_row
from coalsurv.backend.kernel_gamma_rows import gamma_rows
from coalsurv.backend.kernel_gengamma import gengamma_row, q_constants
from coalsurv.backend.kernel_layout import (
    E_SPLINE_OFF,
    GROUP_WIDTH,
    H_CENTRED,
    H_CURE,
    H_CURE_LINK,
    H_FAM,
    H_GROUPS,
    H_INTERVAL,
    H_K,
    H_MM_R,
    H_OFF_BETA,
    H_OFF_BSHAPE,
    H_OFF_INT,
    H_OFF_SDEV,
    H_OFF_STEP,
    H_OFF_THETA,
    H_PER_BASELINE,
    H_Q,
    H_S,
    H_STD,
    H_THETA_S,
    PIECEWISE,
    baseline_dev,
    ext_base,
    layout,
    zerosum_grad,
    zerosum_values,
)
from coalsurv.backend.kernel_members import (
    mm_coalitions,
    mm_grad_rows,
    mm_theta_rows,
    mm_weights_rows,
)
from coalsurv.backend.kernel_piecewise import pw_row, upper_arrays
from coalsurv.backend.kernel_slopes import (
    slope_count,
    slope_eta,
    slope_grad,
    slope_row_grad,
    slope_total,
    slope_values,
)
from coalsurv.backend.kernel_spells import episode_curves, spell_section
from coalsurv.backend.kernel_spline import RP, rp_row, spline_arrays, spline_basis
from coalsurv.backend.kernel_tve import (
    TVE_BLOCK,
    tve_block,
    tve_block_grad,
    tve_devs,
    tve_finish,
    tve_layout,
    tve_tables,
)
from coalsurv.families.kernels import family_terms
from coalsurv.families.kernels_gamma import GAMMA, GENGAMMA, gamma_row, shape_constants

__all__ = ["row_terms"]


@njit(cache=True, error_model="numpy")
def row_terms(buf, x, grad, want_grad, rows_out):
    """Log likelihood (and its gradient into ``grad`` when ``want_grad``) of every row.

    Per cause: the frailty effects ``u = sd * z`` of every level are computed once, the rows
    accumulate ``d log L / d eta`` per coefficient, level and stratum, and the chain rule to
    ``z``, ``log sd`` and the unconstrained stratum deviations is applied once after the rows.
    """
    fam = int(buf[H_FAM])
    std = buf[H_STD]
    per_baseline = int(buf[H_PER_BASELINE]) == 1
    (n, C, P, G, centre, X, t, log_t, entry, log_entry, event, idx, pw, width, interval, upper,
     log_upper, strata, Z) = layout(buf)
    has_interval = int(buf[H_INTERVAL]) == 1
    K = int(buf[H_K])
    off_step = int(buf[H_OFF_STEP])
    dev = np.zeros(K)
    rates = np.zeros(K)
    h_start = np.zeros(K)  # baseline cumulative hazard at each interval's start
    g_dev = np.zeros(K)
    full = np.zeros(K)  # sum of e^eta of rows whose exposure covers intervals < j entirely
    part = np.zeros(K)  # sum of e^eta x time spent in interval j (rows ending/entering in j)
    off_int = int(buf[H_OFF_INT])
    off_beta = int(buf[H_OFF_BETA])
    off_theta = int(buf[H_OFF_THETA])
    S = int(buf[H_S])
    off_sdev = int(buf[H_OFF_SDEV])
    ts = int(buf[H_THETA_S])
    Q = int(buf[H_Q])
    off_bs = int(buf[H_OFF_BSHAPE])
    theta_s = np.zeros(ts)
    log_theta_s = np.zeros(ts)
    lg_s, psi_s = np.zeros(ts), np.zeros(ts)  # the gamma's lgamma, digamma of each shape
    # d log L / d theta per stratum (with shape covariates: / d log theta, row by row)
    d_theta = np.zeros(ts)
    sdev = np.zeros(S)
    g_sdev = np.zeros(S)
    g_bshape = np.zeros(Q)
    off_sd = np.empty(G, np.int64)
    off_z = np.empty(G, np.int64)
    n_lev = np.empty(G, np.int64)
    lev_start = np.zeros(G + 1, np.int64)
    mode = np.zeros(G, np.int64)  # 0: levels z (u = sd z); 1: u itself; 2: w (u = w - intercept)
    for g in range(G):
        hb = H_GROUPS + GROUP_WIDTH * g
        off_sd[g], off_z[g], n_lev[g] = int(buf[hb]), int(buf[hb + 1]), int(buf[hb + 2])
        mode[g] = int(buf[hb + 7])
        lev_start[g + 1] = lev_start[g] + n_lev[g]
    R = int(buf[H_MM_R])  # mm() membership rows: weights once, the member term per cause
    mm_raw, mm_w, mm_c = np.zeros(R), np.zeros(R), np.zeros(R)
    m_n = n if R > 0 else 0
    mm_total, mm_eta, g_row = np.zeros(m_n), np.zeros(m_n), np.zeros(m_n)
    mm_coal = mm_coalitions(buf) if R > 0 else np.zeros(0, np.int64)  # each row's coalition
    if R > 0:
        mm_weights_rows(buf, x, mm_raw, mm_w, mm_total, mm_coal)
    cure = int(buf[H_CURE])  # cure (one cause): lin = cure_intercept + Z_cure cure_beta
    cure_link = int(buf[H_CURE_LINK])
    # the link once per distinct row of Z_cure (kernel_ending); d/d lin summed per pattern
    c_tab, c_pat = cure_table(buf, x)
    g_pat = np.zeros(c_tab.shape[0])
    pat = 0
    tv = tve_layout(buf)  # tve() terms (coalsurv.backend.kernel_tve), unpacked once
    T, nb, jm, t_centre, t_cell = tv[0], tv[1], tv[2], tv[8], tv[9]
    t_dev, d_raw, g_tdev = np.zeros((T, jm)), np.zeros((T, jm)), np.zeros((T, jm))
    t_dev_f, g_tdev_f = t_dev.reshape(T * jm), g_tdev.reshape(T * jm)  # flat views
    # the rows' eta-free tve parts, a block of rows at a time (kernel_tve.tve_block)
    t_rows = TVE_BLOCK if T > 0 else 0
    t_e, t_ptr, t_wdh = np.zeros(t_rows), np.zeros(t_rows + 1, np.int64), np.zeros(
        t_rows * (nb + 1))
    f_cell, g_cell = np.zeros((T, nb + 1)), np.zeros((T, nb + 1))
    SL = slope_count(buf)  # varying slopes (coalsurv.backend.kernel_slopes)
    sl_start = np.zeros(SL + 1, np.int64)
    v_sl, g_sl = np.zeros(slope_total(buf)), np.zeros(slope_total(buf))
    up_j, up_tau = upper_arrays(buf)  # piecewise: interval of each upper bound, time in it
    spl, spline_b, n_b = spline_arrays(buf, x)  # the rp spline (coalsurv.backend.kernel_spline)
    # H0, dH0/dtheta at the bounds and their cell increments; then along each rp_spline b_j
    tabs = np.zeros((1 + (n_b if T > 0 else 0), 4, ts, nb + 1))
    tab, tab_b = tabs[0], tabs[1:]
    g_spline = np.zeros(C * n_b)
    # the generalised gamma's Q (cause, stratum with stratified shapes: n_b = ts), its log|Q|,
    # lgamma and digamma of a = Q^-2
    lq_s, lgq_s, psiq_s = np.zeros(n_b), np.zeros(n_b), np.zeros(n_b)
    rp_basis = spline_basis(buf)  # the rows' basis at log t, log entry, log upper (data)
    t_blk = np.zeros((4 + 2 * n_b, t_rows))
    # spells (coalsurv.backend.kernel_spells): rows are spell rows; mode 2 makes each episode's
    # curve from its rows' eta (a first sweep), then the rows' chain rule (a second one)
    section = spell_section(buf)
    sp_mode, row_ep = section[0], section[4]
    # the gamma families' common rows: the same two sweeps, the rows in blocks in between
    # (kernel_gamma_rows.gamma_rows)
    g_rows = (fam == GAMMA or fam == GENGAMMA) and cure == 0 and not has_interval and sp_mode == 0
    curve = sp_mode == 2 or g_rows
    sweeps = 2 if curve and want_grad else 1
    c_n = n if curve else 0
    eta_r, th_r, lth_r, lin_r = np.zeros(c_n), np.zeros(c_n), np.zeros(c_n), np.zeros(c_n)
    d_eta_r, d_th_r = np.zeros(c_n), np.zeros(c_n)
    u = np.empty(lev_start[G])
    g_u = np.empty(lev_start[G])
    g_beta = np.empty(P)
    sds = np.empty(G)
    total = 0.0
    for k in range(C):
        a = x[off_int + k]
        if int(buf[H_CENTRED]) == 1:
            a += centre[k]
        mean_log_theta = 0.0
        for s in range(ts):
            if off_theta >= 0 and per_baseline:  # theta = sampled x e^intercept (real)
                theta_s[s] = x[off_theta + k * ts + s] * math.exp(a)
            elif off_theta >= 0:
                log_theta_s[s] = x[off_theta + k * ts + s]
                theta_s[s] = math.exp(log_theta_s[s])
                mean_log_theta += log_theta_s[s] / ts
            if fam == GAMMA:
                lg_s[s], psi_s[s] = shape_constants(theta_s[s])
        beta = x[off_beta + k * P:off_beta + (k + 1) * P] if P > 0 else x[:0]
        bshape = x[off_bs + k * Q:off_bs + (k + 1) * Q] if Q > 0 else x[:0]
        scale = math.exp(std * mean_log_theta) if std != 0.0 else 1.0
        big_a = a * scale  # the intercept on the eta scale
        if off_sdev >= 0:
            zerosum_values(x, off_sdev + k * (S - 1), S, sdev)
        if R > 0:
            mm_theta_rows(buf, x, k, mm_w, mm_c, mm_eta, mm_coal)
        if SL > 0:
            slope_values(buf, x, k, v_sl, sl_start)
            g_sl[:] = 0.0
        for g in range(G):
            sds[g] = math.exp(x[off_sd[g] + k])
            for lev in range(n_lev[g]):
                v = x[off_z[g] + k * n_lev[g] + lev]
                u[lev_start[g] + lev] = (sds[g] * v if mode[g] == 0 else v if mode[g] == 1
                                         else v - big_a)
        d_lin = 0.0  # sum of d log L / d eta x (intercept + X beta): the scale's chain rule
        g_u[:] = 0.0
        g_beta[:] = 0.0
        d_theta[:] = 0.0
        g_sdev[:] = 0.0
        g_bshape[:] = 0.0
        if K > 0:
            baseline_dev(x, off_step, k, K, dev)
            for m in range(K):
                rates[m] = math.exp(dev[m])
                h_start[m] = h_start[m - 1] + rates[m - 1] * width[m - 1] if m > 0 else 0.0
            g_dev[:] = 0.0
            full[:] = 0.0
            part[:] = 0.0
        b_k = spline_b[k * n_b:(k + 1) * n_b]
        if fam == GENGAMMA:  # Q's constants, once per cause (kernel_gengamma)
            for s in range(n_b):
                lq_s[s], lgq_s[s], psiq_s[s] = q_constants(b_k[s])
        g_k = g_spline[k * n_b:(k + 1) * n_b]
        if T > 0:
            tve_devs(buf, x, k, t_centre, t_dev, d_raw)
            tve_tables(fam, tv, rates, theta_s, log_theta_s, t_dev, tab, f_cell, spl, b_k, -1)
            for j in range(tab_b.shape[0]):  # rp: the tables along each rp_spline coefficient
                tve_tables(fam, tv, rates, theta_s, log_theta_s, t_dev, tab_b[j], f_cell, spl,
                           b_k, j)
            g_tdev[:] = 0.0
            g_cell[:] = 0.0
        d_a = 0.0
        for it in range(sweeps * n):
            i = it % n
            if curve and it >= n:  # second sweep: the first one's values, no eta again
                eta, lin, theta, log_theta = eta_r[i], lin_r[i], th_r[i], lth_r[i]
                st = int(strata[i]) if ts > 1 else 0
            else:
                eta = a
                for j in range(P):
                    eta += X[i, j] * beta[j]
                lin = eta
                if std != 0.0:
                    eta = scale * lin
                for g in range(G):
                    eta += u[lev_start[g] + int(idx[g, i])]
                if off_sdev >= 0:
                    eta += sdev[int(strata[i])]
                if R > 0:
                    eta += mm_eta[i]
                if SL > 0:
                    eta += slope_eta(buf, X, i, v_sl, sl_start)
                st = int(strata[i]) if ts > 1 else 0
                theta, log_theta = theta_s[st], log_theta_s[st]
                if Q > 0:  # log theta_i = log theta + Z[i] beta_shape
                    for j in range(Q):
                        log_theta += Z[i, j] * bshape[j]
                    theta = math.exp(log_theta)
            if curve and it < n:  # first sweep: the rows' eta, then every episode's curve
                eta_r[i], th_r[i], lth_r[i], lin_r[i] = eta, theta, log_theta, lin
                if i == n - 1 and g_rows:
                    total += gamma_rows(fam, k, t, log_t, entry, log_entry, event, strata, ts,
                                        Q > 0, eta_r, th_r, lth_r, theta_s, lg_s, psi_s, b_k, lq_s,
                                        lgq_s, psiq_s, d_eta_r, d_th_r, g_k, rows_out,
                                        want_grad)
                elif i == n - 1:
                    total += episode_curves(buf, x, k, eta_r, th_r, lth_r, d_eta_r, d_th_r,
                                            rows_out, grad, want_grad, spl, b_k,
                                            g_spline[k * n_b:(k + 1) * n_b])
                continue
            ev = event[k, i]
            cure_lin, c1, c2, c3, c4 = 0.0, 0.0, 0.0, 0.0, 0.0
            if cure > 0:
                pat = int(c_pat[i]) if c_pat.shape[0] > 0 else 0
                cure_lin, c1, c2, c3, c4 = (c_tab[pat, 0], c_tab[pat, 1], c_tab[pat, 2],
                                            c_tab[pat, 3], c_tab[pat, 4])
            is_int = has_interval and interval[k, i] > 0.0
            d_cure, d_th = 0.0, 0.0
            if curve:  # second sweep: this spell row's share of its episode's derivatives
                val, d_eta, d_th = 0.0, d_eta_r[i], d_th_r[i]
            elif T > 0:  # kernel_tve: the eta-free parts per block of rows, then e^eta
                r_b = i % TVE_BLOCK
                if r_b == 0:
                    tve_block(i, min(i + TVE_BLOCK, n), k, fam, tv, theta_s, log_theta_s, Z,
                              bshape, strata, event, t, log_t, entry, log_entry, pw, tabs,
                              f_cell, t_dev_f, dev, rates, want_grad, g_tdev_f, g_cell, g_dev,
                              spl, b_k, t_blk, t_wdh, t_ptr)
                e_b = math.exp(eta)
                val = t_blk[0, r_b] + ev * eta - e_b * t_blk[2, r_b]
                d_eta = ev - e_b * t_blk[2, r_b]
                d_th = t_blk[1, r_b] - e_b * t_blk[3, r_b]
                t_e[r_b] = e_b
                if want_grad:
                    for j in range(n_b):  # rp_spline's gradient
                        g_spline[k * n_b + j] += t_blk[4 + j, r_b] - e_b * t_blk[4 + n_b + j,
                                                                                   r_b]
                    if r_b == TVE_BLOCK - 1 or i == n - 1:
                        tve_block_grad(i - r_b, i + 1, fam, tv, t_e, t_wdh, t_ptr, g_tdev_f,
                                       g_cell, g_dev)
            elif fam == PIECEWISE and (is_int or cure > 0):  # kernel_piecewise: term weights
                e = math.exp(eta)
                j, j0 = int(pw[0, i]), int(pw[2, i])
                ju = int(up_j[i]) if is_int else 0
                big_hu = h_start[ju] + rates[ju] * up_tau[i] if is_int else 0.0
                val, d_eta, d_cure, w_h, w_t, w_u, w_0 = pw_row(
                    cure, cure_lin, c1, c2, c3, c4, ev, is_int, entry[i] > 0.0, dev[j] + eta,
                    eta, h_start[j] + rates[j] * pw[1, i], big_hu,
                    h_start[j0] + rates[j0] * pw[3, i])
                if want_grad:
                    g_dev[j] += w_h
                    full[j] += w_t * e
                    part[j] += w_t * e * pw[1, i]
                    if w_u != 0.0:
                        full[ju] += w_u * e
                        part[ju] += w_u * e * up_tau[i]
                    if w_0 != 0.0:
                        full[j0] += w_0 * e
                        part[j0] += w_0 * e * pw[3, i]
            elif fam == PIECEWISE:  # d/d dev collected in g_dev, full and part
                e = math.exp(eta)
                j, j0 = int(pw[0, i]), int(pw[2, i])
                log_s = -e * (h_start[j] + rates[j] * pw[1, i]
                              - h_start[j0] - rates[j0] * pw[3, i])
                val = ev * (dev[j] + eta) + log_s
                d_eta = ev + log_s
                if want_grad:
                    g_dev[j] += ev
                    full[j] += e
                    part[j] += e * pw[1, i]
                    full[j0] -= e
                    part[j0] -= e * pw[3, i]
            elif fam == GAMMA and cure == 0 and not is_int:  # shape constants per shape
                if Q > 0:
                    lg, psi = shape_constants(theta)
                else:
                    lg, psi = lg_s[st], psi_s[st]
                val, d_eta, d_th = gamma_row(ev, t[i], log_t[i], entry[i], log_entry[i], eta,
                                             theta, lg, psi)
            elif fam == GENGAMMA:  # one pass: d/dQ with the rest (kernel_gengamma)
                qs = st if n_b > 1 else 0
                val, d_eta, d_th, d_cure, d_q = gengamma_row(
                    cure, cure_link, cure_lin, ev, is_int, entry[i] > 0.0, t[i], log_t[i],
                    upper[i] if is_int else 0.0, log_upper[i] if is_int else 0.0, entry[i],
                    log_entry[i], eta, theta, log_theta, b_k[qs], lq_s[qs], lgq_s[qs],
                    psiq_s[qs])
                if want_grad:
                    g_spline[k * n_b + qs] += d_q
            elif fam != RP and cure == 0 and not is_int:
                # the common row, straight from family_terms: through the old general
                # row_value (which also carried rp, the generalised gamma's Q, cure and interval
                # rows) a Weibull gradient at 10^5 rows took 6.6 ms of CPU against 2.2 ms
                log_h, dh_eta, d_th, val, d_eta, ds_th = family_terms(
                    fam, t[i], log_t[i], eta, theta, log_theta)
                val += ev * log_h
                d_eta += ev * dh_eta
                d_th = ev * d_th + ds_th
                if entry[i] > 0.0:
                    _, _, _, log_s0, ds0_eta, ds0_th = family_terms(
                        fam, entry[i], log_entry[i], eta, theta, log_theta)
                    val -= log_s0
                    d_eta -= ds0_eta
                    d_th -= ds0_th
            elif fam == RP:  # the rp spline: rp_spline's gradient analytic, O(K) a row
                val, d_eta, d_th, d_cure = rp_row(
                    cure, cure_link, cure_lin, ev, is_int, entry[i] > 0.0, log_t[i],
                    log_upper[i] if is_int else 0.0, log_entry[i], eta, theta, spl, b_k,
                    rp_basis, i, want_grad, g_k)
            else:  # any other family with cure or an interval: the lean row (kernel_ending)
                val, d_eta, d_th, d_cure = lean_row(
                    fam, cure, cure_lin, c1, c2, c3, c4, ev, is_int, entry[i] > 0.0, t[i],
                    log_t[i], upper[i] if is_int else 0.0, log_upper[i] if is_int else 0.0,
                    entry[i], log_entry[i], eta, theta, log_theta)
            if want_grad and cure > 0:
                g_pat[pat] += d_cure
            total += val
            if rows_out.shape[0] > 0:
                rows_out[i if sp_mode == 0 else int(row_ep[i])] += val
            if want_grad:
                d_a += d_eta
                if per_baseline or Q == 0:  # times theta after the rows (not per baseline)
                    d_theta[st] += d_th
                else:
                    d_th *= theta  # d / d log theta_i
                    d_theta[st] += d_th
                    for j in range(Q):
                        g_bshape[j] += d_th * Z[i, j]
                if std != 0.0:
                    d_lin += d_eta * lin
                for j in range(P):
                    g_beta[j] += d_eta * X[i, j]
                for g in range(G):
                    g_u[lev_start[g] + int(idx[g, i])] += d_eta
                if off_sdev >= 0:
                    g_sdev[int(strata[i])] += d_eta
                if R > 0:
                    g_row[i] = d_eta
                if SL > 0:
                    slope_row_grad(buf, X, i, d_eta, g_sl, sl_start)
        if want_grad:
            d_big_a = 0.0  # through u = w - intercept (levels centred on the intercept)
            for j in range(P):
                grad[off_beta + k * P + j] += g_beta[j] * scale
            for j in range(Q):
                grad[off_bs + k * Q + j] += g_bshape[j]
            if off_sdev >= 0:
                zerosum_grad(g_sdev, S, grad, off_sdev + k * (S - 1))
            if R > 0:
                mm_grad_rows(buf, x, k, g_row, mm_raw, mm_w, mm_total, mm_c, mm_eta, mm_coal,
                             grad)
            if T > 0:
                tve_finish(buf, x, k, t_cell, t_centre, d_raw, g_tdev, g_cell, grad)
            if SL > 0:
                slope_grad(buf, x, k, g_sl, sl_start, grad)
            if n_b > 0 and k == C - 1:  # rp_spline (cause, knot)
                off_b = int(buf[ext_base(buf) + E_SPLINE_OFF])
                for j in range(C * n_b):
                    grad[off_b + j] += g_spline[j]
            if cure > 0:  # one cause: the cure block's gradient once
                cure_grad(buf, g_pat, grad)
            for g in range(G):
                for lev in range(n_lev[g]):
                    pos = off_z[g] + k * n_lev[g] + lev
                    d_u = g_u[lev_start[g] + lev]
                    if mode[g] == 0:
                        grad[pos] += d_u * sds[g]
                        grad[off_sd[g] + k] += d_u * sds[g] * x[pos]  # d/d log sd
                    else:
                        grad[pos] += d_u
                        if mode[g] == 2:
                            d_big_a -= d_u
            grad[off_int + k] += d_a * scale + d_big_a * scale
            for s in range(ts):
                if off_theta >= 0 and per_baseline:  # theta = x e^a: d/dx and d/da
                    grad[off_theta + k * ts + s] += d_theta[s] * math.exp(a)
                    grad[off_int + k] += d_theta[s] * theta_s[s]
                elif off_theta >= 0:  # d/d log theta: the family's, then through the scale
                    d_log = d_theta[s] * theta_s[s] if Q == 0 else d_theta[s]
                    grad[off_theta + k * ts + s] += (d_log + std * scale * d_lin / ts
                                                     + std * scale * a * d_big_a / ts)
            if K > 0:  # exposure of interval m: w[m] x (rows past m) + time of rows in m
                covering = 0.0
                for m in range(K - 1, -1, -1):
                    g_dev[m] -= rates[m] * (width[m] * covering + part[m])
                    covering += full[m]
                # dev = d - mean(d); d[j] = sum of steps 1..j
                mean_g = 0.0
                for m in range(K):
                    mean_g += g_dev[m]
                mean_g /= K
                tail = 0.0
                for m in range(K - 1, 0, -1):
                    tail += g_dev[m] - mean_g
                    grad[off_step + k * (K - 1) + m - 1] += tail
    return total
