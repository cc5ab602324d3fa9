"""Branch-free ``exp`` and ``log`` for the fast row loops (numba, no libm call, vectorisable).

:func:`fexp` (Cody-Waite ``exp``) serves :mod:`coalsurv.backend.kernel_fast` and
:mod:`coalsurv.backend.kernel_fast_aft`; :func:`flog` (fdlibm's ``log`` polynomial with the
exponent taken from the bits), :func:`flog1p` (Kahan's ``log1p``), :func:`softplus_sigmoid`
the log-logistic's pair. All are compiled WITHOUT ``fastmath`` (reassociation would undo the
rounding tricks) and not ``inline="always"`` (numba-level inlining would give their operations
the caller's fastmath flags; LLVM inlines them keeping their own), and all are branch-free
(selects), so a loop calling them vectorises.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["fexp", "flog", "flog1p", "softplus_sigmoid"]

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


@njit(cache=True, error_model="numpy")
def fexp(x):
    """``e^x`` without a libm call: Cody-Waite reduction, degree-13 Taylor polynomial, ``2^k``.

    Relative error ~1e-16 on ``[-708, 709]``; ``inf`` above 709, ``0`` below -708, NaN kept.
    Branch-free (selects), so a loop calling it vectorises. Compiled without ``fastmath``:
    reassociation would undo the rounding trick (LLVM inlines it keeping its own flags).
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
def _log_core(x):
    """Compute :func:`flog`'s value: inlined (numba IR) into :func:`flog` and :func:`flog1p`.

    Both are compiled without ``fastmath``; each is then a leaf LLVM inlines into a loop (a
    function with two calls of its own is not inlined, and its loop not vectorised).
    """
    sub = x < _TINY
    xs = x * 18014398509481984.0 if sub else x  # 2^54
    bits = _as_int(xs)
    # the exponent as a float without an int -> float conversion (none in AVX2): its bits
    # below those of 2^52
    dk = _as_float((bits >> 52) | _TWO52_BITS) - (4503599627370496.0 + 1023.0)
    dk = dk - 54.0 if sub else dk
    m = _as_float((bits & _MANT) | _ONE_BITS)  # [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m  # [sqrt(2)/2, sqrt(2)]
    dk = dk + 1.0 if big else dk
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    hfsq = 0.5 * f * f
    y = dk * _LN2_HI - ((hfsq - (s * (hfsq + (t1 + t2)) + dk * _LN2_LO)) - f)
    y = -math.inf if x == 0.0 else y
    y = math.inf if x == math.inf else y
    return math.nan if not x >= 0.0 else y


@njit(cache=True, error_model="numpy")
def flog(x):
    """``log x`` without a libm call: the exponent from the bits, fdlibm's polynomial.

    Within 1 ulp of ``np.log`` for positive finite ``x`` (subnormals included); ``-inf`` at
    0, ``inf`` at ``inf``, NaN below 0 and for NaN. Branch-free.
    """
    return _log_core(x)


@njit(cache=True, error_model="numpy")
def flog1p(y):
    """``log(1 + y)`` for ``-1 < y < inf`` to a few ulp (Kahan: ``log(u) y / (u - 1)``).

    ``u = 1 + y``; ``y`` itself where ``u`` rounds to 1. Branch-free.
    """
    u = 1.0 + y
    v = _log_core(u) * (y / (u - 1.0))
    return y if u == 1.0 else v


@njit(cache=True, inline="always", error_model="numpy")
def softplus_sigmoid(w):
    """``log(1 + e^w)`` and ``1 / (1 + e^-w)`` from one :func:`fexp` of ``-|w|`` (no overflow).

    Inlined (numba IR) so that a loop calls :func:`fexp` and :func:`flog1p` itself (its own
    operations take the caller's ``fastmath`` flags: none of them is a rounding trick).
    """
    e = fexp(-abs(w))
    sp = max(w, 0.0) + flog1p(e)
    inv = 1.0 / (1.0 + e)
    return sp, inv if w >= 0.0 else e * inv
