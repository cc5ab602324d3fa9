"""Native log density and gradient of the survival likelihood (numba, cached on disk).

One generic kernel covers every structure :mod:`coalsurv.backend.native` accepts. It is split
by concern: :mod:`~coalsurv.backend.kernel_layout` (the buffer's header and arrays, shared
helpers), :mod:`~coalsurv.backend.kernel_rows` (the likelihood of every row and its gradient),
:mod:`~coalsurv.backend.kernel_priors` (the priors' densities),
:mod:`~coalsurv.backend.kernel_expand` (the traced variables of a draw), and this module:
the log posterior, the pointwise log likelihood and nutpie's expansion callback (the
log-density callback is :mod:`~coalsurv.backend.kernel_callback`'s).

All data and the parameter layout travel in one float64 buffer (header, then arrays), handed to
nutpie as the ``user_data`` pointer of two C callbacks (the other in
:mod:`~coalsurv.backend.kernel_callback`): new data (also a different ``N``) is a
new buffer, never a recompile. The callbacks have fixed signatures and no dynamic globals, so
numba caches them on disk and a fresh process loads them. Every function uses numba's
``error_model="numpy"``: a division by zero or overflow gives inf/nan (reported to nutpie as a
non-finite log density, i.e. a rejected point), never an exception inside a C callback.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

from coalsurv.backend.kernel_expand import expand as _expand_core
from coalsurv.backend.kernel_joint import (
    graph_ndim,
    joint_back,
    joint_base,
    joint_expand_order,
    joint_extend,
)
from coalsurv.backend.kernel_layout import (
    GROUP_WIDTH,
    H_C,
    H_CURE,
    H_CURE_Q,
    H_G,
    H_GROUPS,
    H_K,
    H_MM_R,
    H_N,
    H_NEXP,
    H_OFF_BETA,
    H_OFF_BSHAPE,
    H_OFF_CBETA,
    H_OFF_CINT,
    H_OFF_INT,
    H_OFF_RWSD,
    H_OFF_SDEV,
    H_OFF_STEP,
    H_OFF_THETA,
    H_P,
    H_PER_BASELINE,
    H_PRIOR_BETA,
    H_PRIOR_BSHAPE,
    H_PRIOR_CBETA,
    H_PRIOR_CINT,
    H_PRIOR_INT,
    H_PRIOR_RWSD,
    H_PRIOR_THETA,
    H_Q,
    H_S,
    H_SDEV_SIGMA,
    H_STD,
    H_THETA_S,
    H_TVE,
    PIECEWISE,
    header_names,
    intercept,
    zerosum_grad,
    zerosum_values,
)
from coalsurv.backend.kernel_members import mm_prior
from coalsurv.backend.kernel_priors import PRIOR_CODES, block_prior, prior_pointwise
from coalsurv.backend.kernel_rows import row_terms
from coalsurv.backend.kernel_slopes import slope_prior
from coalsurv.backend.kernel_spells import n_episodes
from coalsurv.backend.kernel_spline import spline_bound, spline_prior
from coalsurv.backend.kernel_tve import tve_prior

__all__ = ["PRIOR_CODES", "PIECEWISE", "logp_grad", "expand", "pointwise", "prior_pointwise",
           "EXPAND_CFUNC", "H_GROUPS", "GROUP_WIDTH", "header_names"]

_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, error_model="numpy")
def _strata_prior(buf, x, grad):
    """``strata_dev ~ ZeroSumNormal(sigma)`` per cause (PyMC's density: S - 1 free values)."""
    C = int(buf[H_C])
    S = int(buf[H_S])
    off = int(buf[H_OFF_SDEV])
    sigma = buf[H_SDEV_SIGMA]
    v = np.zeros(S)
    g_v = np.zeros(S)
    total = 0.0
    for k in range(C):
        zerosum_values(x, off + k * (S - 1), S, v)
        for s in range(S):
            r = v[s] / sigma
            total += -0.5 * r * r
            g_v[s] = -r / sigma
        total -= (S - 1) * (0.5 * _LOG_2PI + math.log(sigma))
        zerosum_grad(g_v, S, grad, off + k * (S - 1))
    return total


@njit(cache=True, error_model="numpy")
def logp_grad(buf, x, grad):
    """Unnormalised log posterior on the unconstrained scale; its gradient into ``grad``.

    With a joint prior the generic kernel runs on the extended vector
    (:mod:`coalsurv.backend.kernel_joint`) and its gradient is mapped back to ``x``.
    """
    if joint_base(buf) < 0:
        return _logp_core(buf, x, grad)
    xe = joint_extend(buf, x)
    ge = np.empty(xe.size)
    total = _logp_core(buf, xe, ge)
    return total + joint_back(buf, x, ge, grad)


@njit(cache=True, error_model="numpy")
def expand(buf, x, out):
    """Every traced variable of ``x`` into ``out`` (:mod:`~coalsurv.backend.kernel_expand`)."""
    if joint_base(buf) < 0:
        return _expand_core(buf, x, out)
    out_ext = np.empty(out.size)
    _expand_core(buf, joint_extend(buf, x), out_ext)
    return joint_expand_order(buf, out_ext, out)


@njit(cache=True, error_model="numpy")
def _logp_core(buf, x, grad):
    """Return the generic kernel's log posterior (``x``: extended with a joint prior)."""
    C = int(buf[H_C])
    P = int(buf[H_P])
    G = int(buf[H_G])
    grad[:] = 0.0
    empty = np.zeros(0)
    # bool(): a plain bool, not numba's literal True, which would compile row_terms once more;
    # a fast row loop's priors copy has no rows (H_N = 0): row_terms' set-up alone (its ~30
    # scratch arrays) took 3.5 us of a 10 us Weibull gradient on coalgov
    total = 0.0
    if int(buf[H_N]) > 0:
        total = row_terms(buf, x, grad, bool(True), empty)  # noqa: UP018
    total += block_prior(buf, H_PRIOR_INT, x, grad, int(buf[H_OFF_INT]), C, False)
    if P > 0:
        total += block_prior(buf, H_PRIOR_BETA, x, grad, int(buf[H_OFF_BETA]), C * P, False)
    if int(buf[H_OFF_THETA]) >= 0:  # log-transformed unless sampled per baseline (real)
        total += block_prior(buf, H_PRIOR_THETA, x, grad, int(buf[H_OFF_THETA]),
                             C * int(buf[H_THETA_S]), int(buf[H_PER_BASELINE]) != 1)
    if int(buf[H_Q]) > 0:
        total += block_prior(buf, H_PRIOR_BSHAPE, x, grad, int(buf[H_OFF_BSHAPE]),
                             C * int(buf[H_Q]), False)
    if int(buf[H_OFF_SDEV]) >= 0:
        total += _strata_prior(buf, x, grad)
    if int(buf[H_MM_R]) > 0:
        total += mm_prior(buf, x, grad)
    if int(buf[H_TVE]) > 0:
        total += tve_prior(buf, x, grad)
    # rp_spline's prior and the graph's rp_monotone bound (0 or -inf); varying slopes
    total += spline_prior(buf, x, grad) + spline_bound(buf, x) + slope_prior(buf, x, grad)
    if int(buf[H_CURE]) > 0:
        total += block_prior(buf, H_PRIOR_CINT, x, grad, int(buf[H_OFF_CINT]), 1, False)
        if int(buf[H_CURE_Q]) > 0:
            total += block_prior(buf, H_PRIOR_CBETA, x, grad, int(buf[H_OFF_CBETA]),
                                 int(buf[H_CURE_Q]), False)
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
    ts = int(buf[H_THETA_S])
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
                a, scale, big_a = intercept(buf, x, k)
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
                        for s in range(ts):
                            grad[int(buf[H_OFF_THETA]) + k * ts + s] += (
                                d_mean * buf[H_STD] * scale * a / ts)
            continue
        for i in range(C * n_lev):  # z ~ Normal(0, 1)
            z = x[off_z + i]
            total += -0.5 * z * z - 0.5 * _LOG_2PI
            grad[off_z + i] += -z
    return total


@njit(cache=True, error_model="numpy")
def pointwise(buf, draws):
    """Pointwise log likelihood ``(n_draws, n)`` of unconstrained draws ``(n_draws, ndim)``.

    ``n`` episodes (with spells the kernel's rows are spell rows, summed into their episode).
    """
    n = n_episodes(buf)
    out = np.zeros((draws.shape[0], n))
    grad = np.zeros(0)
    joint = joint_base(buf) >= 0
    for s in range(draws.shape[0]):
        x = joint_extend(buf, draws[s]) if joint else draws[s]
        row_terms(buf, x, grad, bool(False), out[s])  # noqa: UP018 (logp_grad's bool)
    return out


_EXPAND_SIG = numba.types.int64(numba.types.uint64, numba.types.uint64,
                                numba.types.CPointer(numba.types.double),
                                numba.types.CPointer(numba.types.double), numba.types.voidptr)


@numba.cfunc(_EXPAND_SIG, cache=True, error_model="numpy")
def EXPAND_CFUNC(dim, expanded, x_, out_, user_data_):  # noqa: N802 - a C callback
    """Expand callback of nutpie: the traced variables of one draw."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    buf = numba.carray(user_data_, (int(length),), np.float64)
    if dim != graph_ndim(buf) or expanded != int(buf[H_NEXP]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    expand(buf, x, out)
    return 0
