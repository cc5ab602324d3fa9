"""The native kernel's float64 buffer: header indices, the data arrays, shared scalar helpers.

All data and the parameter layout travel in one float64 buffer (header, then arrays), handed to
nutpie as the ``user_data`` pointer of the kernel's C callbacks (:mod:`coalsurv.backend.kernel`).
:func:`coalsurv.backend.native.make_buffer` packs it; :func:`layout` unpacks the arrays (views,
no copies). Per frailty group ``g`` a block of :data:`GROUP_WIDTH` values sits at
``H_GROUPS + GROUP_WIDTH * g``.

Strata (:mod:`coalsurv.build.strata`): ``H_S`` strata; ``strata_dev`` (cause, stratum) is a
PyMC ``ZeroSumNormal`` sampled on ``S - 1`` unconstrained values per cause
(:func:`zerosum_values` is PyMC's ``ZeroSumTransform.backward``, :func:`zerosum_grad` its
transpose); a stratified family parameter has ``H_THETA_S = S`` values per cause (else 1).
Shape covariates (:mod:`coalsurv.build.shape`): ``H_Q`` columns of ``Z_shape`` and
``beta_shape`` (cause, shape_term) at ``H_OFF_BSHAPE``. Time-varying effects: ``H_TVE`` terms,
their table and arrays at ``H_TVE_DATA`` (:mod:`coalsurv.backend.kernel_tve`).

After the group blocks, at :func:`ext_base` (``H_GROUPS + GROUP_WIDTH * G``), the extension
header: the Royston-Parmar spline (``E_SPLINE_*``; :mod:`coalsurv.backend.kernel_spline`) and
the varying slopes (``E_SLOPES``, ``E_SLOPE_DATA``, then :data:`SLOPE_WIDTH` values per slope
from ``E_SLOPE_BLOCKS``; :mod:`coalsurv.backend.kernel_slopes`), the piecewise baseline's upper
bounds (``E_PW_UPPER``), the stacked blocks (``E_STACKED``, ``E_STACKED_DATA``) and the
joint-prior section (``E_JOINT``; :mod:`coalsurv.backend.kernel_joint`).
"""

from __future__ import annotations

import math

import numba
from numba import njit

__all__ = ["LOGP_SIG", "callback_status",
           "H_LEN", "H_FAM", "H_N", "H_C", "H_P", "H_G", "H_NDIM", "H_NEXP", "H_CENTRED",
           "H_OFF_INT", "H_OFF_BETA", "H_OFF_THETA", "H_PRIOR_INT", "H_PRIOR_BETA",
           "H_PRIOR_THETA", "H_K", "H_OFF_RWSD", "H_OFF_STEP", "H_PRIOR_RWSD", "H_DATA", "H_STD",
           "H_INTERVAL", "H_PER_BASELINE", "H_S", "H_OFF_SDEV", "H_SDEV_SIGMA", "H_THETA_S",
           "H_Q", "H_OFF_BSHAPE", "H_PRIOR_BSHAPE", "H_MM_R", "H_MM_DATA", "H_MM_WEIGHTS",
           "H_MM_SUM", "H_MM_Q", "H_OFF_BMM", "H_PRIOR_BMM", "H_OFF_SDMM", "H_PRIOR_SDMM",
           "H_OFF_ZMM", "H_MM_LEVELS", "H_OFF_W1", "H_PRIOR_W1", "H_OFF_W2", "H_PRIOR_W2",
           "H_CURE", "H_CURE_LINK", "H_OFF_CINT", "H_PRIOR_CINT", "H_CURE_Q", "H_OFF_CBETA",
           "H_PRIOR_CBETA", "H_CURE_DATA", "H_TVE", "H_TVE_DATA", "H_SPELLS", "H_GROUPS",
           "GROUP_WIDTH", "PIECEWISE",
           "header_names", "layout", "baseline_dev", "intercept", "zerosum_values",
           "zerosum_grad", "out_index", "ext_base", "E_SPLINE_OFF", "E_SPLINE_K",
           "E_SPLINE_PRIOR", "E_SPLINE_DATA", "E_SLOPES", "E_SLOPE_DATA", "E_PW_UPPER",
           "E_STACKED", "E_STACKED_DATA", "E_SLOPE_BLOCKS", "E_JOINT",
           "SLOPE_WIDTH"]

#: Signature of nutpie's log-density C callbacks: ``(dim, x, grad out, logp out, user data)``
#: (:mod:`~coalsurv.backend.kernel_callback`, :mod:`~coalsurv.backend.kernel_fast`,
#: :mod:`~coalsurv.backend.kernel_fast_tve_callback`); :func:`callback_status` is their return code.
LOGP_SIG = numba.types.int64(numba.types.uint64, numba.types.CPointer(numba.types.double),
                             numba.types.CPointer(numba.types.double),
                             numba.types.CPointer(numba.types.double), numba.types.voidptr)


@njit(cache=True, inline="always", error_model="numpy")
def callback_status(out, value):
    """Return code of a log-density C callback: 0 ok, 3 non-finite gradient, 4 non-finite log p."""
    for i in range(out.shape[0]):
        if not math.isfinite(out[i]):
            return 3
    if not math.isfinite(value):
        return 4
    return 0

H_LEN, H_FAM, H_N, H_C, H_P, H_G, H_NDIM, H_NEXP, H_CENTRED = 0, 1, 2, 3, 4, 5, 6, 7, 8
H_OFF_INT, H_OFF_BETA, H_OFF_THETA = 9, 10, 11
H_PRIOR_INT, H_PRIOR_BETA, H_PRIOR_THETA = 12, 16, 20  # code, p1, p2, p3
# piecewise baseline: intervals K (0: not piecewise), offsets of rw_sd and rw_step, rw_sd prior
H_K, H_OFF_RWSD, H_OFF_STEP, H_PRIOR_RWSD = 24, 25, 26, 27
H_DATA = 31  # offset (in buf) where the data arrays start
# AFT families with priors on eta/sigma: the sign of log theta in the scale of log T
# (``scale = exp(sign * mean over strata of log theta)``), 0 when intercept and beta are on
# the eta scale
H_STD = 32
H_INTERVAL = 33  # 1 when some ending is interval-censored: the buffer then holds the bounds
# 1 when theta is sampled per unit of the baseline hazard: theta = x * exp(intercept), real
# (Gompertz: ageing sampled, gamma = ageing e^intercept a deterministic); else theta = e^x
H_PER_BASELINE = 34
H_S = 35  # strata (0: none); the buffer then holds each row's stratum
H_OFF_SDEV = 36  # offset of strata_dev's S - 1 unconstrained values per cause (-1: none)
H_SDEV_SIGMA = 37  # strata_dev ~ ZeroSumNormal(sigma)
H_THETA_S = 38  # values of the family parameter per cause: S when stratified, else 1
H_Q = 39  # shape covariates (0: none); the buffer then holds Z_shape (n, Q)
H_OFF_BSHAPE = 40
H_PRIOR_BSHAPE = 41  # code, p1, p2, p3 of beta_shape
# mm() member blocks (coalsurv.backend.kernel_members): membership rows (0: none), where their
# arrays start, the weights (0: fixed data, 1: power, 2: logistic), sum_to_one, member terms
H_MM_R, H_MM_DATA, H_MM_WEIGHTS, H_MM_SUM, H_MM_Q = 45, 46, 47, 48, 49
H_OFF_BMM, H_PRIOR_BMM = 50, 51  # beta_mm (cause, mm_term) and its prior
H_OFF_SDMM, H_PRIOR_SDMM = 55, 56  # sd_mm (cause) (-1: no member effects) and its prior
H_OFF_ZMM, H_MM_LEVELS = 60, 61  # z_mm (cause, member), members
H_OFF_W1, H_PRIOR_W1 = 62, 63  # gamma (power, log-transformed) or b0 (logistic)
H_OFF_W2, H_PRIOR_W2 = 67, 68  # b1 (logistic)
# cure (coalsurv.backend.kernel_cure): 0 none, 1 mixture, 2 promotion time; the link (0 logit,
# 1 probit, 2 cloglog); cure_intercept and its prior; cure terms, cure_beta and its prior;
# where Z_cure (n, cure terms) starts in the buffer, followed by its distinct rows
# (coalsurv.backend.kernel_ending.cure_patterns: their number U, each row's, the U rows)
H_CURE, H_CURE_LINK, H_OFF_CINT, H_PRIOR_CINT = 72, 73, 74, 75
H_CURE_Q, H_OFF_CBETA, H_PRIOR_CBETA, H_CURE_DATA = 79, 80, 81, 85
# time-varying effects tve() (coalsurv.backend.kernel_tve): terms (0: none), where their table
# and arrays start in the buffer
H_TVE, H_TVE_DATA = 86, 87
# time-varying covariates: where the spell section starts (0: no spells; the rows are then
# episodes), coalsurv.backend.kernel_spells
H_SPELLS = 88
H_GROUPS = 89
GROUP_WIDTH = 8  # off_sd, off of the levels (z or centred u), n_levels, prior code, p1-p3, mode

# extension header at ext_base(buf): rp_spline's offset (-1: none), its values per cause, its
# prior, where the spline's constants start (-1: not rp); varying slopes: their number, where
# their index arrays start; where the piecewise baseline's interval of each upper bound and the
# time spent in it start (-1: none; coalsurv.backend.kernel_piecewise); stacked blocks (separate
# variables of the graph with a prior each: their number, where their offset, size and exp
# flag start; traced last); then per slope off_sd, off_z, n_levels, prior code, p1-p3, column
E_SPLINE_OFF, E_SPLINE_K, E_SPLINE_PRIOR, E_SPLINE_DATA = 0, 1, 2, 6
E_SLOPES, E_SLOPE_DATA, E_PW_UPPER, E_STACKED, E_STACKED_DATA, E_SLOPE_BLOCKS = (7, 8, 9, 10,
                                                                                 11, 13)
E_JOINT = 12  # where the joint-prior section starts (-1: none; coalsurv.backend.kernel_joint)
SLOPE_WIDTH = 8

#: Family code of the piecewise-exponential baseline (vector parameter; see kernel_rows).
PIECEWISE = 3


def header_names() -> list[str]:
    """Names of the header entries (documentation and tests)."""
    return ["len", "fam", "n", "C", "P", "G", "ndim", "nexp", "centred", "off_int", "off_beta",
            "off_theta", "prior_int", "p1", "p2", "p3", "prior_beta", "p1", "p2", "p3",
            "prior_theta", "p1", "p2", "p3", "K", "off_rw_sd", "off_rw_step", "prior_rw_sd",
            "p1", "p2", "p3", "data", "std", "interval", "per_baseline", "S", "off_strata_dev",
            "strata_dev_sigma", "theta_per_cause", "Q", "off_beta_shape", "prior_beta_shape",
            "p1", "p2", "p3", "mm_rows", "mm_data", "mm_weights", "mm_sum_to_one", "mm_Q",
            "off_beta_mm", "prior_beta_mm", "p1", "p2", "p3", "off_sd_mm", "prior_sd_mm", "p1",
            "p2", "p3", "off_z_mm", "mm_levels", "off_w1", "prior_w1", "p1", "p2", "p3",
            "off_w2", "prior_w2", "p1", "p2", "p3", "cure", "cure_link", "off_cure_intercept",
            "prior_cure_intercept", "p1", "p2", "p3", "cure_Q", "off_cure_beta",
            "prior_cure_beta", "p1", "p2", "p3", "cure_data", "tve", "tve_data", "spells"]


@njit(cache=True, inline="always", error_model="numpy")
def ext_base(buf):
    """Where the extension header (spline, varying slopes) starts: after the group blocks."""
    return H_GROUPS + GROUP_WIDTH * int(buf[H_G])


@njit(cache=True, error_model="numpy")
def layout(buf):
    """Return views of the buffer's data arrays (see the module doc for their order)."""
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
    d += q
    s = n if int(buf[H_S]) > 0 else 0  # strata only: each row's stratum
    strata = buf[d:d + s]
    d += s
    Q = int(buf[H_Q])
    Z = buf[d:d + n * Q].reshape((n, Q))
    return (n, C, P, G, centre, X, t, log_t, entry, log_entry, event, idx, pw, width, interval,
            upper, log_upper, strata, Z)


@njit(cache=True, error_model="numpy")
def baseline_dev(x, off_step, k, K, dev):
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


@njit(cache=True, inline="always", error_model="numpy")
def intercept(buf, x, k):
    """Cause ``k``'s sampled intercept (plus the data's centre), the AFT scale, their product.

    The AFT scale of log T is ``exp(sign * mean_s log theta_ks)``: with stratified shapes the
    geometric mean of the strata's scales (:func:`coalsurv.build.graph._from_standardised`).
    """
    a = x[int(buf[H_OFF_INT]) + k]
    if int(buf[H_CENTRED]) == 1:
        a += buf[int(buf[H_DATA]) + k]
    scale = 1.0
    if buf[H_STD] != 0.0:
        ts = int(buf[H_THETA_S])
        off = int(buf[H_OFF_THETA]) + k * ts
        mean = 0.0
        for s in range(ts):
            mean += x[off + s]
        scale = math.exp(buf[H_STD] * mean / ts)
    return a, scale, a * scale


@njit(cache=True, inline="always", error_model="numpy")
def zerosum_values(x, off, S, out):
    """``S`` zero-sum values from the ``S - 1`` unconstrained ones at ``x[off:]`` (PyMC's map)."""
    total = 0.0
    for s in range(S - 1):
        total += x[off + s]
    root = math.sqrt(S)
    norm = total / (root + S)
    for s in range(S - 1):
        out[s] = x[off + s] - norm
    out[S - 1] = -total / root


@njit(cache=True, inline="always", error_model="numpy")
def zerosum_grad(g_v, S, grad, off):
    """Add the gradient in the ``S - 1`` unconstrained values given the one in the ``S`` values."""
    root = math.sqrt(S)
    head = 0.0
    for s in range(S - 1):
        head += g_v[s]
    common = head / (root + S) + g_v[S - 1] / root
    for s in range(S - 1):
        grad[off + s] += g_v[s] - common


@njit(cache=True, inline="always", error_model="numpy")
def out_index(buf, i):
    """Position in the expanded vector of unconstrained value ``i`` (strata_dev has C more)."""
    off = int(buf[H_OFF_SDEV])
    if off >= 0 and i >= off + int(buf[H_C]) * (int(buf[H_S]) - 1):
        return i + int(buf[H_C])
    return i
