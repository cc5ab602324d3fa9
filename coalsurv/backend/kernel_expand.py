"""The native kernel's expansion: every traced variable of one unconstrained point (numba).

Order (:attr:`coalsurv.backend.native.KernelPlan.expanded`): the free blocks in ``x`` order on
the constrained scale (log-transformed ones exponentiated, ``strata_dev``'s ``S - 1`` values per
cause mapped to its ``S`` zero-sum ones), then ``intercept`` (``intercept_std`` for AFT
families; when sampled as an offset from the data's centre), then the per-baseline parameter
(Gompertz ``gamma``), then for AFT families ``intercept`` and ``beta`` (their standardised
values times the scale of log T), then ``log_baseline_dev`` (piecewise), then ``u_<g>`` (and
``z_<g>``), then mm()'s, then ``tve_dev_<x>`` of each tve() term, then the varying slopes'
``v_<g>_<x>``, then the blocks stacked from separate variables (per-cause or per-term priors:
``intercept``, ``beta``, the family parameter).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_layout import (
    E_STACKED,
    E_STACKED_DATA,
    GROUP_WIDTH,
    H_C,
    H_CENTRED,
    H_DATA,
    H_G,
    H_GROUPS,
    H_K,
    H_MM_R,
    H_NDIM,
    H_OFF_BETA,
    H_OFF_INT,
    H_OFF_RWSD,
    H_OFF_SDEV,
    H_OFF_STEP,
    H_OFF_THETA,
    H_P,
    H_PER_BASELINE,
    H_S,
    H_STD,
    H_THETA_S,
    H_TVE,
    baseline_dev,
    ext_base,
    intercept,
    out_index,
    zerosum_values,
)
from coalsurv.backend.kernel_members import mm_expand
from coalsurv.backend.kernel_slopes import slope_expand
from coalsurv.backend.kernel_tve import tve_expand

__all__ = ["expand"]


@njit(cache=True, error_model="numpy")
def expand(buf, x, out):
    """Every traced variable from the unconstrained point ``x`` into ``out``; its length."""
    ndim = int(buf[H_NDIM])
    C = int(buf[H_C])
    P = int(buf[H_P])
    std = buf[H_STD]
    G = int(buf[H_G])
    d = int(buf[H_DATA])
    S = int(buf[H_S])
    off_sdev = int(buf[H_OFF_SDEV])
    ts = int(buf[H_THETA_S])
    for i in range(ndim):
        if off_sdev >= 0 and off_sdev <= i < off_sdev + C * (S - 1):
            continue
        out[out_index(buf, i)] = x[i]
    if off_sdev >= 0:  # S zero-sum values per cause from S - 1
        sdev = np.zeros(S)
        for k in range(C):
            zerosum_values(x, off_sdev + k * (S - 1), S, sdev)
            for s in range(S):
                out[off_sdev + k * S + s] = sdev[s]
    off_theta = int(buf[H_OFF_THETA])
    per_baseline = int(buf[H_PER_BASELINE]) == 1
    if off_theta >= 0 and not per_baseline:
        for i in range(off_theta, off_theta + C * ts):
            out[out_index(buf, i)] = math.exp(x[i])
    for g in range(G):
        off_sd = int(buf[H_GROUPS + GROUP_WIDTH * g])
        for k in range(C):
            out[out_index(buf, off_sd + k)] = math.exp(x[off_sd + k])
    K = int(buf[H_K])
    if K > 0:
        off_rw = int(buf[H_OFF_RWSD])
        for k in range(C):
            out[out_index(buf, off_rw + k)] = math.exp(x[off_rw + k])
    pos = ndim + (C if off_sdev >= 0 else 0)
    if int(buf[H_CENTRED]) == 1:
        for k in range(C):
            out[pos] = x[int(buf[H_OFF_INT]) + k] + buf[d + k]
            pos += 1
    if per_baseline:  # the family's parameter: sampled x e^intercept (cause[, stratum])
        for k in range(C):
            for s in range(ts):
                out[pos] = x[off_theta + k * ts + s] * math.exp(intercept(buf, x, k)[0])
                pos += 1
    if std != 0.0:  # intercept (cause), then beta (cause, term): standardised x scale
        for k in range(C):
            out[pos] = intercept(buf, x, k)[2]
            pos += 1
        off_beta = int(buf[H_OFF_BETA])
        for k in range(C):
            scale = intercept(buf, x, k)[1]
            for j in range(P):
                out[pos] = x[off_beta + k * P + j] * scale
                pos += 1
    if K > 0:  # log_baseline_dev (cause, interval)
        dev = np.zeros(K)
        for k in range(C):
            baseline_dev(x, int(buf[H_OFF_STEP]), k, K, dev)
            for j in range(K):
                out[pos] = dev[j]
                pos += 1
    for g in range(G):  # u = sd z (non-centred), z = u / sd (centred), u and z (on intercept)
        hb = H_GROUPS + GROUP_WIDTH * g
        off_sd, off_z, n_lev = int(buf[hb]), int(buf[hb + 1]), int(buf[hb + 2])
        mode = int(buf[hb + 7])
        if mode == 2:  # u_<g> = w - intercept, then z_<g> = u / sd
            for k in range(C):
                big_a = intercept(buf, x, k)[2]
                for lev in range(n_lev):
                    out[pos] = x[off_z + k * n_lev + lev] - big_a
                    pos += 1
            for k in range(C):
                sd = math.exp(x[off_sd + k])
                big_a = intercept(buf, x, k)[2]
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
    if int(buf[H_MM_R]) > 0:  # sd_mm and gamma exponentiated, then u_mm (cause, member)
        pos = mm_expand(buf, x, out, pos)
    if int(buf[H_TVE]) > 0:  # tve_sd exponentiated, then tve_dev_<x> (cause, J) per term
        pos = tve_expand(buf, x, out, pos)
    pos = slope_expand(buf, x, out, pos)  # sd of each slope, then v_<g>_<x> (cause, level)
    e = ext_base(buf)
    d = int(buf[e + E_STACKED_DATA])
    for j in range(int(buf[e + E_STACKED])):  # separate variables stacked (cause[, term])
        off, size, positive = int(buf[d + 3 * j]), int(buf[d + 3 * j + 1]), buf[d + 3 * j + 2]
        for i in range(size):
            out[pos] = math.exp(x[off + i]) if positive == 1.0 else x[off + i]
            pos += 1
    return pos
