"""Branch-free ``exp`` and ``log`` for the fast row loops (numba, no libm call, vectorisable).

:func:`fexp` (Cody-Waite ``exp``) serves :mod:`coalsurv.backend.kernel_fast` and
:mod:`coalsurv.backend.kernel_fast_aft`; :func:`flog` (fdlibm's ``log`` polynomial with the
exponent taken from the bits), :func:`flog1p` (Kahan's ``log1p``), :func:`softplus_sigmoid`
the log-logistic's pair. :func:`flog` and :func:`flog1p` are compiled with ``fastmath=False``
and :func:`fexp` with ``fastmath={"contract"}`` (fused multiply-adds, no reassociation), given
EXPLICITLY: numba compiles a callee that does not set ``fastmath``
itself with its caller's flags (``TargetOptions.finalize``: ``inherit_if_not_set``) the first
time a caller needs it, and that overload then serves every caller. Called first from the
fast loops' ``fastmath={"reassoc", "contract"}`` blocks, :func:`flog1p` was compiled with
reassociation, which rewrote Kahan's ``log(u) * (y / (u - 1))`` as ``(log(u) y) / (u - 1)``
and gave ``inf`` for ``y`` above ~2.5e305 (``flog1p(3e306)``, also when later called from
Python), and the shifter of :func:`fexp` is exactly the kind of rounding trick reassociation
may undo. They are not ``inline="always"`` (numba-level inlining gives the inlined operations
the caller's fastmath flags; LLVM inlines them keeping their own), and all are branch-free
(selects), so a loop calling them vectorises. The ``inline="always"`` ones
(:func:`softplus_sigmoid`, :func:`erfcx`, :func:`log_normal_sf_fast`, and ``_log_core``
inside :func:`flog` / :func:`flog1p`) hold no rounding trick; they name their locals with a
prefix of their own (``lc_``, ``ss_``, ``ex_``, ``ln_``) so that no inlined local can shadow
a caller's name. ``tests/fit/test_fastmath_flags.py`` compiles a fast-math caller first in a
fresh numba cache and checks the values.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["fexp", "flog", "flog1p", "softplus_sigmoid", "erfcx", "log_normal_sf_fast"]

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # Cody-Waite split of log 2 (hi has 32 significant bits)
_LN2_LO = 1.9082149292705877e-10
_SHIFTER = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer in the low bits
_SHIFTER_BITS = 0x4338000000000000
_HI = 709.0  # exp(x) = inf above (libm: 709.78), 0 below _LO (libm: subnormals to -745)
_LO = -708.0


@intrinsic
def _as_int(typingctx, x):
    """Bits of a float64 as an int64 (no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _as_float(typingctx, i):
    """Bits of an int64 as a float64 (no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


# contraction only (no reassociation): the polynomial and the reduction become fused
# multiply-adds (one rounding each: as exact or more), the shifter's rounding is kept. Without
# it (fastmath=False, 29d233c) the PH fast loop lost 4-20 % per gradient (no FMA in its blocks)
@njit(cache=True, error_model="numpy", fastmath={"contract"})
def fexp(x):
    """``e^x`` without a libm call: Cody-Waite reduction, degree-13 Taylor polynomial, ``2^k``.

    Relative error ~1e-16 on ``[-708, 709]``; ``inf`` above 709, ``0`` below -708, NaN kept.
    Branch-free (selects), so a loop calling it vectorises. Compiled with ``contract`` only:
    reassociation would undo the rounding trick (LLVM inlines it keeping its own flags);
    contraction fuses ``p r + c`` (and the Cody-Waite steps) into FMAs.
    """
    xc = min(max(x, _LO), _HI)
    kf = xc * _LOG2E + _SHIFTER
    k = kf - _SHIFTER
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    two_k = _as_float((_as_int(kf) - _SHIFTER_BITS + 1023) << 52)
    y = p * two_k
    y = math.inf if x > _HI else y
    y = 0.0 if x < _LO else y
    return x if x != x else y


# fdlibm's e_log.c: log(1 + f) = f - hfsq + s (hfsq + R(s^2)), |s| <= 0.1716 (< 1 ulp)
_LG1, _LG2 = 6.666666666666735130e-01, 3.999999999940941908e-01
_LG3, _LG4 = 2.857142874366239149e-01, 2.222219843214978396e-01
_LG5, _LG6 = 1.818357216161805012e-01, 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308  # smallest normal: below it, scale by 2^54 first
_MANT = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_TWO52_BITS = 0x4330000000000000  # 2^52


@njit(cache=True, inline="always", error_model="numpy")
def _log_core(lc_x):
    """Compute :func:`flog`'s value: inlined (numba IR) into :func:`flog` and :func:`flog1p`.

    Both are compiled without ``fastmath``; each is then a leaf LLVM inlines into a loop (a
    function with two calls of its own is not inlined, and its loop not vectorised).
    """
    lc_sub = lc_x < _TINY
    lc_xs = lc_x * 18014398509481984.0 if lc_sub else lc_x  # 2^54
    lc_bits = _as_int(lc_xs)
    # the exponent as a float without an int -> float conversion (none in AVX2): its lc_bits
    # below those of 2^52
    lc_dk = _as_float((lc_bits >> 52) | _TWO52_BITS) - (4503599627370496.0 + 1023.0)
    lc_dk = lc_dk - 54.0 if lc_sub else lc_dk
    lc_m = _as_float((lc_bits & _MANT) | _ONE_BITS)  # [1, 2)
    lc_big = lc_m > _SQRT2
    lc_m = lc_m * 0.5 if lc_big else lc_m  # [sqrt(2)/2, sqrt(2)]
    lc_dk = lc_dk + 1.0 if lc_big else lc_dk
    lc_f = lc_m - 1.0
    lc_s = lc_f / (2.0 + lc_f)
    lc_z = lc_s * lc_s
    lc_w = lc_z * lc_z
    lc_t1 = lc_w * (_LG2 + lc_w * (_LG4 + lc_w * _LG6))
    lc_t2 = lc_z * (_LG1 + lc_w * (_LG3 + lc_w * (_LG5 + lc_w * _LG7)))
    lc_hfsq = 0.5 * lc_f * lc_f
    lc_r = lc_s * (lc_hfsq + (lc_t1 + lc_t2)) + lc_dk * _LN2_LO
    lc_res = lc_dk * _LN2_HI - ((lc_hfsq - lc_r) - lc_f)
    lc_res = -math.inf if lc_x == 0.0 else lc_res
    lc_res = math.inf if lc_x == math.inf else lc_res
    return math.nan if not lc_x >= 0.0 else lc_res


@njit(cache=True, error_model="numpy", fastmath=False)
def flog(x):
    """``log x`` without a libm call: the exponent from the bits, fdlibm's polynomial.

    Within 1 ulp of ``np.log`` for positive finite ``x`` (subnormals included); ``-inf`` at
    0, ``inf`` at ``inf``, NaN below 0 and for NaN. Branch-free.
    """
    return _log_core(x)


@njit(cache=True, error_model="numpy", fastmath=False)
def flog1p(y):
    """``log(1 + y)`` for ``-1 < y < inf`` to a few ulp (Kahan: ``log(u) y / (u - 1)``).

    ``u = 1 + y``; ``y`` itself where ``u`` rounds to 1. Branch-free.
    """
    u = 1.0 + y
    v = _log_core(u) * (y / (u - 1.0))
    return y if u == 1.0 else v


@njit(cache=True, inline="always", error_model="numpy")
def softplus_sigmoid(ss_w):
    """``log(1 + e^w)`` and ``1 / (1 + e^-w)`` from one :func:`fexp` of ``-|w|`` (no overflow).

    Inlined (numba IR) so that a loop calls :func:`fexp` and :func:`flog1p` itself (its own
    operations take the caller's ``fastmath`` flags: none of them is a rounding trick).
    """
    ss_e = fexp(-abs(ss_w))
    ss_sp = max(ss_w, 0.0) + flog1p(ss_e)
    ss_inv = 1.0 / (1.0 + ss_e)
    return ss_sp, ss_inv if ss_w >= 0.0 else ss_e * ss_inv


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-638, as in netlib specfun's CALERF: erf on |x| <= 0.46875 (A / B in x^2),
# erfcx on (0.46875, 4] (C / D in x), erfcx on (4, inf) (P / Q in 1 / x^2)
_CA = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
       3.20937758913846947e03, 1.85777706184603153e-1)
_CB = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
       2.84423683343917062e03)
_CC = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
       2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
       2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_CD = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
       1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
       3.43936767414372164e03, 1.23033935480374942e03)
_CP = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
       1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_CQ = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
       6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 0.56418958354775628695  # 1 / sqrt(pi)
_INV_SQRT2 = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT_2PI = 0.3989422804014327


@njit(cache=True, inline="always", error_model="numpy")
def erfcx(ex_x):
    """``e^(x^2) erfc(x)`` for ``x >= 0``: Cody's three rational functions, all evaluated.

    Branch-free (the range's value is selected; the others may be inf or NaN there). Inlined
    (numba IR) so that a loop calls :func:`fexp` itself.
    """
    ex_s = ex_x * ex_x
    ex_num = _CA[4] * ex_s
    ex_den = ex_s
    for ex_i in range(3):
        ex_num = (ex_num + _CA[ex_i]) * ex_s
        ex_den = (ex_den + _CB[ex_i]) * ex_s
    ex_small = fexp(ex_s) * (1.0 - ex_x * (ex_num + _CA[3]) / (ex_den + _CB[3]))
    ex_num = _CC[8] * ex_x
    ex_den = ex_x
    for ex_i in range(7):
        ex_num = (ex_num + _CC[ex_i]) * ex_x
        ex_den = (ex_den + _CD[ex_i]) * ex_x
    ex_mid = (ex_num + _CC[7]) / (ex_den + _CD[7])
    ex_r = 1.0 / ex_s
    ex_num = _CP[5] * ex_r
    ex_den = ex_r
    for ex_i in range(4):
        ex_num = (ex_num + _CP[ex_i]) * ex_r
        ex_den = (ex_den + _CQ[ex_i]) * ex_r
    ex_big = (_SQRPI - ex_r * (ex_num + _CP[4]) / (ex_den + _CQ[4])) / ex_x
    ex_out = ex_mid if ex_x <= 4.0 else ex_big
    return ex_small if ex_x <= 0.46875 else ex_out


@njit(cache=True, inline="always", error_model="numpy")
def log_normal_sf_fast(ln_z):
    """``log(1 - Phi(z))`` and its derivative ``-phi(z) / (1 - Phi(z))``, branch-free.

    :func:`coalsurv.families.kernels_normal.log_normal_sf` without libm: for ``z >= 0``
    ``log(erfcx(z / sqrt 2) / 2) - z^2 / 2``, below ``log1p(-erfc(|z| / sqrt 2) / 2)``.
    """
    ln_h = 0.5 * ln_z * ln_z
    ln_ex = erfcx(abs(ln_z) * _INV_SQRT2)
    ln_e_h = fexp(-ln_h)
    ln_p = 0.5 * ln_ex * ln_e_h  # 1 - Phi(|z|)
    ln_upper = flog(0.5 * ln_ex) - ln_h
    ln_lower = flog1p(-ln_p)
    ln_lam_up = _SQRT_2_OVER_PI / ln_ex
    ln_lam_lo = ln_e_h * _INV_SQRT_2PI / (1.0 - ln_p)
    ln_pos = ln_z >= 0.0
    return (ln_upper if ln_pos else ln_lower), -(ln_lam_up if ln_pos else ln_lam_lo)
