"""Native log density and gradient of the survival likelihood (numba, cached on disk).

One generic kernel covers every structure :mod:`coalsurv.backend.native` accepts: per cause ``k``
(``C`` causes), ``eta_k = intercept_k + X beta_k + sum_g sd_gk z_gk[idx_g]``, exact and
right-censored endings with delayed entry, and the priors of every block. The family's own
formulas come from :func:`coalsurv.families.kernels.family_terms`. For AFT families the
sampled intercept and coefficients are on eta/sigma (``intercept_std``, ``beta_std``; issue
13): ``eta_k = s_k (intercept_std_k + X beta_std_k) + frailties`` with the scale of log T
``s_k = exp(sign log theta_k)`` (header ``H_STD``), and the chain rule runs through ``s_k``.
An interval-censored ending of cause ``k`` in ``(l, u]`` contributes ``log(S(l) - S(u))``
(:func:`interval_terms`: the survival or the distribution-function form, as
``Family.log_interval`` chooses) instead of ``log h(l) + log S(l)``.

All data and the parameter layout travel in one float64 buffer (header, then arrays), handed to
nutpie as the ``user_data`` pointer of two C callbacks: new data (also a different ``N``) is a
new buffer, never a recompile. The callbacks have fixed signatures and no dynamic globals, so
numba caches them on disk and a fresh process loads them. Every function uses numba's
``error_model="numpy"``: a division by zero or overflow gives inf/nan (reported to nutpie as a
non-finite log density, i.e. a rejected point), never an exception inside a C callback.

The piecewise-exponential baseline (family code :data:`PIECEWISE`, ``K`` intervals) is the
one vector-parameter family, handled here rather than in ``family_terms``: per cause
``log h = dev[j(t)] + eta`` and ``log S(t) - log S(entry) = -e^eta (H0(t) - H0(entry))`` with
``H0(t) = sum_{m < j(t)} e^dev[m] w[m] + e^dev[j(t)] (t - c[j(t)])`` (interval widths ``w``,
lower bounds ``c``), ``dev = d - mean(d)``, ``d = (0, cumsum(rw_step))``,
``rw_step ~ Normal(0, rw_sd)``: the model :mod:`coalsurv.build.graph` builds. The buffer holds
per row the interval of ``t`` and of the entry and the time spent in that interval, so a row
costs O(1) and the gradient in ``dev`` O(n + K) (full intervals summed once per interval).

Buffer header (indices of ``buf``): see the ``H_*`` constants; per group ``g`` a block of
:data:`GROUP_WIDTH` values at ``H_GROUPS + GROUP_WIDTH * g``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

from coalsurv.backend.kernel_priors import PRIOR_CODES, block_prior, prior_pointwise
from coalsurv.families.kernels import family_terms, interval_terms

__all__ = ["PRIOR_CODES", "PIECEWISE", "logp_grad", "expand", "pointwise", "prior_pointwise",
           "LOGP_CFUNC", "EXPAND_CFUNC", "H_GROUPS", "GROUP_WIDTH", "header_names"]

H_LEN, H_FAM, H_N, H_C, H_P, H_G, H_NDIM, H_NEXP, H_CENTRED = 0, 1, 2, 3, 4, 5, 6, 7, 8
H_OFF_INT, H_OFF_BETA, H_OFF_THETA = 9, 10, 11
H_PRIOR_INT, H_PRIOR_BETA, H_PRIOR_THETA = 12, 16, 20  # code, p1, p2, p3
# piecewise baseline: intervals K (0: not piecewise), offsets of rw_sd and rw_step, rw_sd prior
H_K, H_OFF_RWSD, H_OFF_STEP, H_PRIOR_RWSD = 24, 25, 26, 27
H_DATA = 31  # offset (in buf) where the data arrays start
# AFT families with priors on eta/sigma: the sign of log theta in the scale of log T
# (``scale = exp(sign * log theta)``), 0 when intercept and beta are on the eta scale
H_STD = 32
H_INTERVAL = 33  # 1 when some ending is interval-censored: the buffer then holds the bounds
# 1 when theta is sampled per unit of the baseline hazard: theta = x * exp(intercept), real
# (Gompertz: ageing sampled, gamma = ageing e^intercept a deterministic); else theta = e^x
H_PER_BASELINE = 34
H_GROUPS = 35
GROUP_WIDTH = 8  # off_sd, off of the levels (z or centred u), n_levels, prior code, p1-p3, centred

#: Family code of the piecewise-exponential baseline (vector parameter; see the module doc).
PIECEWISE = 3

_LOG_2PI = math.log(2.0 * math.pi)


def header_names() -> list[str]:
    """Names of the header entries (documentation and tests)."""
    return ["len", "fam", "n", "C", "P", "G", "ndim", "nexp", "centred", "off_int", "off_beta",
            "off_theta", "prior_int", "p1", "p2", "p3", "prior_beta", "p1", "p2", "p3",
            "prior_theta", "p1", "p2", "p3", "K", "off_rw_sd", "off_rw_step", "prior_rw_sd",
            "p1", "p2", "p3", "data", "std", "interval", "per_baseline"]


@njit(cache=True, error_model="numpy")
def _layout(buf):
    n = int(buf[H_N])
    C = int(buf[H_C])
    P = int(buf[H_P])
    G = int(buf[H_G])
    d = int(buf[H_DATA])
    centre = buf[d:d + C]
    d += C
    X = buf[d:d + n * P].reshape((n, P))
    d += n * P
    t = buf[d:d + n]
    d += n
    log_t = buf[d:d + n]
    d += n
    entry = buf[d:d + n]
    d += n
    log_entry = buf[d:d + n]
    d += n
    event = buf[d:d + C * n].reshape((C, n))
    d += C * n
    idx = buf[d:d + G * n].reshape((G, n))
    d += G * n
    m = n if int(buf[H_K]) > 0 else 0  # piecewise only:
    pw = buf[d:d + 4 * m].reshape((4, m))  # interval of t, time in it, the same at entry
    d += 4 * m
    width = buf[d:d + int(buf[H_K])]  # interval widths (the last, unbounded one: 0)
    d += int(buf[H_K])
    q = n if int(buf[H_INTERVAL]) == 1 else 0  # interval-censored endings only:
    interval = buf[d:d + C * q].reshape((C, q))  # which cause ended in (t, upper]
    d += C * q
    upper = buf[d:d + q]
    d += q
    log_upper = buf[d:d + q]
    return (n, C, P, G, centre, X, t, log_t, entry, log_entry, event, idx, pw, width, interval,
            upper, log_upper)


@njit(cache=True, error_model="numpy")
def _baseline_dev(x, off_step, k, K, dev):
    """Sum-to-zero random-walk deviations ``dev`` (length ``K``) of cause ``k``."""
    d = 0.0
    total = 0.0
    dev[0] = 0.0
    for j in range(1, K):
        d += x[off_step + k * (K - 1) + j - 1]
        dev[j] = d
        total += d
    mean = total / K
    for j in range(K):
        dev[j] -= mean


@njit(cache=True, error_model="numpy")
def _row_terms(buf, x, grad, want_grad, rows_out):
    """Log likelihood (and its gradient into ``grad`` when ``want_grad``) of every row.

    Per cause: the frailty effects ``u = sd * z`` of every level are computed once, the rows
    accumulate ``d log L / d eta`` per coefficient and level, and the chain rule to ``z`` and
    ``log sd`` is applied once per level after the row loop.
    """
    fam = int(buf[H_FAM])
    std = buf[H_STD]
    per_baseline = int(buf[H_PER_BASELINE]) == 1
    (n, C, P, G, centre, X, t, log_t, entry, log_entry, event, idx, pw, width, interval, upper,
     log_upper) = _layout(buf)
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
    u = np.empty(lev_start[G])
    g_u = np.empty(lev_start[G])
    g_beta = np.empty(P)
    sds = np.empty(G)
    total = 0.0
    for k in range(C):
        a = x[off_int + k]
        if int(buf[H_CENTRED]) == 1:
            a += centre[k]
        theta, log_theta = 0.0, 0.0
        if off_theta >= 0 and per_baseline:  # theta = sampled x e^intercept (real)
            theta = x[off_theta + k] * math.exp(a)
        elif off_theta >= 0:
            log_theta = x[off_theta + k]
            theta = math.exp(log_theta)
        beta = x[off_beta + k * P:off_beta + (k + 1) * P] if P > 0 else x[:0]
        scale = math.exp(std * log_theta) if std != 0.0 else 1.0
        big_a = a * scale  # the intercept on the eta scale
        for g in range(G):
            sds[g] = math.exp(x[off_sd[g] + k])
            for lev in range(n_lev[g]):
                v = x[off_z[g] + k * n_lev[g] + lev]
                u[lev_start[g] + lev] = (sds[g] * v if mode[g] == 0 else v if mode[g] == 1
                                         else v - big_a)
        d_lin = 0.0  # sum of d log L / d eta x (intercept + X beta): the scale's chain rule
        g_u[:] = 0.0
        g_beta[:] = 0.0
        if K > 0:
            _baseline_dev(x, off_step, k, K, dev)
            for m in range(K):
                rates[m] = math.exp(dev[m])
                h_start[m] = h_start[m - 1] + rates[m - 1] * width[m - 1] if m > 0 else 0.0
            g_dev[:] = 0.0
            full[:] = 0.0
            part[:] = 0.0
        d_a = 0.0
        d_theta = 0.0
        for i in range(n):
            eta = a
            for j in range(P):
                eta += X[i, j] * beta[j]
            lin = eta
            if std != 0.0:
                eta = scale * lin
            for g in range(G):
                eta += u[lev_start[g] + int(idx[g, i])]
            ev = event[k, i]
            if fam == PIECEWISE:  # d/d dev collected in g_dev, full and part
                e = math.exp(eta)
                j, j0 = int(pw[0, i]), int(pw[2, i])
                log_s = -e * (h_start[j] + rates[j] * pw[1, i]
                              - h_start[j0] - rates[j0] * pw[3, i])
                val = ev * (dev[j] + eta) + log_s
                d_eta = ev + log_s
                d_th = 0.0
                if want_grad:
                    g_dev[j] += ev
                    full[j] += e
                    part[j] += e * pw[1, i]
                    full[j0] -= e
                    part[j0] -= e * pw[3, i]
            else:
                log_h, dh_eta, dh_theta, log_s, ds_eta, ds_theta = family_terms(
                    fam, t[i], log_t[i], eta, theta, log_theta)
                if has_interval and interval[k, i] > 0.0:  # ended in (t, upper]
                    _, _, _, log_su, dsu_eta, dsu_theta = family_terms(
                        fam, upper[i], log_upper[i], eta, theta, log_theta)
                    val, d_eta, d_th = interval_terms(log_s, ds_eta, ds_theta, log_su,
                                                      dsu_eta, dsu_theta)
                else:
                    val = ev * log_h + log_s
                    d_eta = ev * dh_eta + ds_eta
                    d_th = ev * dh_theta + ds_theta
                if entry[i] > 0.0:
                    _, _, _, log_s0, ds0_eta, ds0_theta = family_terms(
                        fam, entry[i], log_entry[i], eta, theta, log_theta)
                    val -= log_s0
                    d_eta -= ds0_eta
                    d_th -= ds0_theta
            total += val
            if rows_out.shape[0] > 0:
                rows_out[i] += val
            if want_grad:
                d_a += d_eta
                d_theta += d_th
                if std != 0.0:
                    d_lin += d_eta * lin
                for j in range(P):
                    g_beta[j] += d_eta * X[i, j]
                for g in range(G):
                    g_u[lev_start[g] + int(idx[g, i])] += d_eta
        if want_grad:
            d_big_a = 0.0  # through u = w - intercept (levels centred on the intercept)
            for j in range(P):
                grad[off_beta + k * P + j] += g_beta[j] * scale
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
            if off_theta >= 0 and per_baseline:  # theta = x e^a: d/dx and d/da
                grad[off_theta + k] += d_theta * math.exp(a)
                grad[off_int + k] += d_theta * theta
            elif off_theta >= 0:  # d/d log theta: the family's, then through the scale
                grad[off_theta + k] += (d_theta * theta + std * scale * d_lin
                                        + std * scale * a * d_big_a)
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


@njit(cache=True, inline="always", error_model="numpy")
def _intercept(buf, x, k):
    """Cause ``k``'s sampled intercept (plus the data's centre), the AFT scale, their product."""
    a = x[int(buf[H_OFF_INT]) + k]
    if int(buf[H_CENTRED]) == 1:
        a += buf[int(buf[H_DATA]) + k]
    scale = 1.0
    if buf[H_STD] != 0.0:
        scale = math.exp(buf[H_STD] * x[int(buf[H_OFF_THETA]) + k])
    return a, scale, a * scale


@njit(cache=True, error_model="numpy")
def logp_grad(buf, x, grad):
    """Unnormalised log posterior on the unconstrained scale; its gradient into ``grad``."""
    C = int(buf[H_C])
    P = int(buf[H_P])
    G = int(buf[H_G])
    grad[:] = 0.0
    empty = np.zeros(0)
    total = _row_terms(buf, x, grad, True, empty)
    total += block_prior(buf, H_PRIOR_INT, x, grad, int(buf[H_OFF_INT]), C, False)
    if P > 0:
        total += block_prior(buf, H_PRIOR_BETA, x, grad, int(buf[H_OFF_BETA]), C * P, False)
    if int(buf[H_OFF_THETA]) >= 0:  # log-transformed unless sampled per baseline (real)
        total += block_prior(buf, H_PRIOR_THETA, x, grad, int(buf[H_OFF_THETA]), C,
                             int(buf[H_PER_BASELINE]) != 1)
    K = int(buf[H_K])
    if K > 0:  # rw_sd (log-transformed) and rw_step ~ Normal(0, rw_sd)
        off_rw = int(buf[H_OFF_RWSD])
        off_step = int(buf[H_OFF_STEP])
        total += block_prior(buf, H_PRIOR_RWSD, x, grad, off_rw, C, True)
        for k in range(C):
            log_sd = x[off_rw + k]
            sd = math.exp(log_sd)
            for j in range(K - 1):
                pos = off_step + k * (K - 1) + j
                r = x[pos] / sd
                total += -0.5 * r * r - log_sd - 0.5 * _LOG_2PI
                grad[pos] += -r / sd
                grad[off_rw + k] += r * r - 1.0
    for g in range(G):
        hb = H_GROUPS + GROUP_WIDTH * g
        off_sd = int(buf[hb])
        total += block_prior(buf, hb + 3, x, grad, off_sd, C, True)
        n_lev = int(buf[hb + 2])
        off_z = int(buf[hb + 1])
        mode = int(buf[hb + 7])
        if mode > 0:  # centred: u ~ Normal(0, sd), or w ~ Normal(intercept, sd), per cause
            for k in range(C):
                log_sd = x[off_sd + k]
                sd = math.exp(log_sd)
                a, scale, big_a = _intercept(buf, x, k)
                mean = big_a if mode == 2 else 0.0
                d_mean = 0.0
                for lev in range(n_lev):
                    pos = off_z + k * n_lev + lev
                    r = (x[pos] - mean) / sd
                    total += -0.5 * r * r - log_sd - 0.5 * _LOG_2PI
                    grad[pos] += -r / sd
                    grad[off_sd + k] += r * r - 1.0
                    d_mean += r / sd
                if mode == 2:  # the intercept (and through the AFT scale, log theta)
                    grad[int(buf[H_OFF_INT]) + k] += d_mean * scale
                    if buf[H_STD] != 0.0:
                        grad[int(buf[H_OFF_THETA]) + k] += d_mean * buf[H_STD] * scale * a
            continue
        for i in range(C * n_lev):  # z ~ Normal(0, 1)
            z = x[off_z + i]
            total += -0.5 * z * z - 0.5 * _LOG_2PI
            grad[off_z + i] += -z
    return total


@njit(cache=True, error_model="numpy")
def expand(buf, x, out):
    """Every traced variable from the unconstrained point, in :func:`native.expanded` order.

    Free blocks in ``x`` order on the constrained scale (log-transformed ones exponentiated),
    then ``intercept`` (``intercept_std`` for AFT families; when sampled as an offset from the
    data's centre), then for AFT families ``intercept`` and ``beta`` (their standardised values
    times the scale of log T), then ``log_baseline_dev`` (piecewise), then ``u_<g>``.
    """
    ndim = int(buf[H_NDIM])
    C = int(buf[H_C])
    P = int(buf[H_P])
    std = buf[H_STD]
    G = int(buf[H_G])
    d = int(buf[H_DATA])
    for i in range(ndim):
        out[i] = x[i]
    off_theta = int(buf[H_OFF_THETA])
    per_baseline = int(buf[H_PER_BASELINE]) == 1
    if off_theta >= 0 and not per_baseline:
        for k in range(C):
            out[off_theta + k] = math.exp(x[off_theta + k])
    for g in range(G):
        off_sd = int(buf[H_GROUPS + GROUP_WIDTH * g])
        for k in range(C):
            out[off_sd + k] = math.exp(x[off_sd + k])
    K = int(buf[H_K])
    if K > 0:
        off_rw = int(buf[H_OFF_RWSD])
        for k in range(C):
            out[off_rw + k] = math.exp(x[off_rw + k])
    pos = ndim
    centred = int(buf[H_CENTRED]) == 1
    if centred:
        for k in range(C):
            out[pos] = x[int(buf[H_OFF_INT]) + k] + buf[d + k]
            pos += 1
    if per_baseline:  # the family's parameter: sampled x e^intercept (cause)
        for k in range(C):
            out[pos] = x[off_theta + k] * math.exp(_intercept(buf, x, k)[0])
            pos += 1
    if std != 0.0:  # intercept (cause), then beta (cause, term): standardised x scale
        for k in range(C):
            out[pos] = _intercept(buf, x, k)[2]
            pos += 1
        off_beta = int(buf[H_OFF_BETA])
        for k in range(C):
            scale = math.exp(std * x[off_theta + k])
            for j in range(P):
                out[pos] = x[off_beta + k * P + j] * scale
                pos += 1
    if K > 0:  # log_baseline_dev (cause, interval)
        dev = np.zeros(K)
        for k in range(C):
            _baseline_dev(x, int(buf[H_OFF_STEP]), k, K, dev)
            for j in range(K):
                out[pos] = dev[j]
                pos += 1
    for g in range(G):  # u = sd z (non-centred), z = u / sd (centred), u and z (on intercept)
        hb = H_GROUPS + GROUP_WIDTH * g
        off_sd, off_z, n_lev = int(buf[hb]), int(buf[hb + 1]), int(buf[hb + 2])
        mode = int(buf[hb + 7])
        if mode == 2:  # u_<g> = w - intercept, then z_<g> = u / sd
            for k in range(C):
                big_a = _intercept(buf, x, k)[2]
                for lev in range(n_lev):
                    out[pos] = x[off_z + k * n_lev + lev] - big_a
                    pos += 1
            for k in range(C):
                sd = math.exp(x[off_sd + k])
                big_a = _intercept(buf, x, k)[2]
                for lev in range(n_lev):
                    out[pos] = (x[off_z + k * n_lev + lev] - big_a) / sd
                    pos += 1
            continue
        for k in range(C):
            sd = math.exp(x[off_sd + k])
            for lev in range(n_lev):
                v = x[off_z + k * n_lev + lev]
                out[pos] = v / sd if mode == 1 else sd * v
                pos += 1
    return pos


@njit(cache=True, error_model="numpy")
def pointwise(buf, draws):
    """Pointwise log likelihood ``(n_draws, n)`` of unconstrained draws ``(n_draws, ndim)``."""
    n = int(buf[H_N])
    out = np.zeros((draws.shape[0], n))
    grad = np.zeros(0)
    for s in range(draws.shape[0]):
        _row_terms(buf, draws[s], grad, False, out[s])
    return out


_LOGP_SIG = numba.types.int64(numba.types.uint64, numba.types.CPointer(numba.types.double),
                              numba.types.CPointer(numba.types.double),
                              numba.types.CPointer(numba.types.double), numba.types.voidptr)
_EXPAND_SIG = numba.types.int64(numba.types.uint64, numba.types.uint64,
                                numba.types.CPointer(numba.types.double),
                                numba.types.CPointer(numba.types.double), numba.types.voidptr)


@numba.cfunc(_LOGP_SIG, cache=True, error_model="numpy")
def LOGP_CFUNC(dim, x_, out_, logp_, user_data_):  # noqa: N802 - a C callback
    """Log-density callback of nutpie: 0 ok, 3 non-finite gradient, 4 non-finite log p."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    buf = numba.carray(user_data_, (int(length),), np.float64)
    if dim != int(buf[H_NDIM]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    value = logp_grad(buf, x, out)
    logp[0] = value
    for i in range(dim):
        if not math.isfinite(out[i]):
            return 3
    if not math.isfinite(value):
        return 4
    return 0


@numba.cfunc(_EXPAND_SIG, cache=True, error_model="numpy")
def EXPAND_CFUNC(dim, expanded, x_, out_, user_data_):  # noqa: N802 - a C callback
    """Expand callback of nutpie: the traced variables of one draw."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    buf = numba.carray(user_data_, (int(length),), np.float64)
    if dim != int(buf[H_NDIM]) or expanded != int(buf[H_NEXP]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    expand(buf, x, out)
    return 0
