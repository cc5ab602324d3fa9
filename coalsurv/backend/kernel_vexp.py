"""A branch-free ``exp`` for loops LLVM vectorises (numba, cached): :func:`fexp`.

The same function as :func:`coalsurv.backend.kernel_fast.fexp`, in a module of its own so that
the generic kernel's modules (:mod:`coalsurv.backend.kernel_tve`) can use it: ``kernel_fast``
imports ``kernel``, which imports ``kernel_tve``, so importing it from there would be a circle.
This numba has no SVML, so ``math.exp`` in a loop is a libm call per element; a loop calling
:func:`fexp` (inlined by LLVM) runs 4-8 elements per instruction.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["fexp"]

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
