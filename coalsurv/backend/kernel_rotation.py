"""The rotated member effects on the kernel: the map to its non-centred form and back.

``mm(..., centring="rotation")`` (:mod:`coalsurv.build.member_rotation`,
:mod:`coalsurv.backend.plan_rotation`): the sampled point ``x'`` holds ``zm`` (C values) where
the kernel reads ``z_<g>`` and ``s`` (C) then ``e`` (K - C) where it reads ``z_mm`` (K). Per
level ``c`` (``n_c`` members, in the section's order)::

    cos = sd_g / S_c, sin = sd_mm / (sqrt(n_c) S_c), S_c = sqrt(sd_g^2 + sd_mm^2 / n_c)
    z_g[c] = cos zm_c - sin s_c,   y_c = sin zm_c + cos s_c
    z_mm[k_i] = y_c / sqrt(n_c) + (H e_c)_i          (H: the Helmert basis, O(n_c))

:func:`rot_forward` computes ``x`` (the kernel's), :func:`rot_back` the gradient in ``x'`` from
the kernel's in ``x``: the orthogonal part, plus the angle's ``phi_c`` dependence
(``d phi / d log sd_g = -sin cos``, ``d phi / d log sd_mm = sin cos``; ``d z_g / d phi = -y``,
``d y / d phi = z_g``). The map is orthogonal given the SDs, so the log density is the
kernel's (no Jacobian). :func:`rot_expand` writes the traced values; ``ROT_EXPAND_CFUNC`` is
nutpie's expand callback on ``[buffer | section]``. The log-density callbacks are in
:mod:`coalsurv.backend.kernel_rotation_callback` (generic kernel) and
:mod:`coalsurv.backend.kernel_rotation_fast` (fast row loops).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

from coalsurv.backend.kernel import expand

__all__ = ["R_NDIM", "R_NEXP", "ROT_EXPAND_CFUNC", "rot_back", "rot_expand", "rot_forward",
           "rotation_parts"]

R_C, R_K, R_ZM, R_S, R_SDG, R_SDM, R_EXP_ZM, R_EXP_S, R_NEXP, R_NDIM, R_DATA = range(1, 12)


@njit(cache=True, fastmath=False, error_model="numpy")
def _angle(rot, c, sdg, sdm):
    n = rot[R_DATA + c]
    S = math.sqrt(sdg * sdg + sdm * sdm / n)
    return math.sqrt(n), sdg / S, sdm / (math.sqrt(n) * S)


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_forward(rot, xo, xi):
    """Write the kernel's non-centred point ``xi`` of the sampled point ``xo``."""
    C, K = int(rot[R_C]), int(rot[R_K])
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    start, members = R_DATA + C, R_DATA + 2 * C + 1
    qs, iq = members + K, members + 2 * K  # 1 / sqrt(i (i + 1)) and i / sqrt(i (i + 1))
    for i in range(xo.size):
        xi[i] = xo[i]
    sdg, sdm = math.exp(xo[int(rot[R_SDG])]), math.exp(xo[int(rot[R_SDM])])
    for c in range(C):
        rn, co, si = _angle(rot, c, sdg, sdm)
        zm, s = xo[ozm + c], xo[os_ + c]
        xi[ozm + c] = co * zm - si * s
        zbar = (si * zm + co * s) / rn
        b0, n = int(rot[start + c]), int(rot[R_DATA + c])
        eo = os_ + C + b0 - c  # level c's n_c - 1 contrasts
        tail = 0.0
        for i in range(n - 1, 0, -1):
            ej = xo[eo + i - 1]
            xi[os_ + int(rot[members + b0 + i])] = zbar + tail - ej * rot[iq + b0 + i]
            tail += ej * rot[qs + b0 + i]
        xi[os_ + int(rot[members + b0])] = zbar + tail
    return K


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_back(rot, xo, xi, gi, go):
    """Write the gradient ``go`` in the sampled point from the kernel's ``gi`` at ``xi``."""
    C, K = int(rot[R_C]), int(rot[R_K])
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    start, members = R_DATA + C, R_DATA + 2 * C + 1
    qs, iq = members + K, members + 2 * K
    for i in range(gi.size):
        go[i] = gi[i]
    sdg, sdm = math.exp(xo[int(rot[R_SDG])]), math.exp(xo[int(rot[R_SDM])])
    acc = 0.0
    for c in range(C):
        rn, co, si = _angle(rot, c, sdg, sdm)
        b0, n = int(rot[start + c]), int(rot[R_DATA + c])
        eo = os_ + C + b0 - c
        prefix = gi[os_ + int(rot[members + b0])]
        for i in range(1, n):
            gk = gi[os_ + int(rot[members + b0 + i])]
            go[eo + i - 1] = prefix * rot[qs + b0 + i] - gk * rot[iq + b0 + i]
            prefix += gk
        gv, gy = gi[ozm + c], prefix / rn
        zm, s = xo[ozm + c], xo[os_ + c]
        go[ozm + c] = gv * co + gy * si
        go[os_ + c] = gy * co - gv * si
        acc += (gy * xi[ozm + c] - gv * (si * zm + co * s)) * si * co
    go[int(rot[R_SDG])] -= acc
    go[int(rot[R_SDM])] += acc
    return C


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_expand(rot, xo, xi, inner, out):
    """Write the traced values into ``out``.

    The kernel's expansion ``inner`` of ``xi`` with the sampled blocks as sampled, then
    ``z_<g>`` and ``z_mm`` (the kernel's ``xi`` slots).
    """
    C, K, ni = int(rot[R_C]), int(rot[R_K]), int(rot[R_NEXP])
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    ezm, es = int(rot[R_EXP_ZM]), int(rot[R_EXP_S])
    for i in range(ni):  # element loops: numba's slice assignment is several times slower
        out[i] = inner[i]
    for c in range(C):
        out[ezm + c] = xo[ozm + c]
        out[ni + c] = xi[ozm + c]
    for k in range(K):
        out[es + k] = xo[os_ + k]
        out[ni + C + k] = xi[os_ + k]
    return ni + C + K


@njit(cache=True, inline="always", error_model="numpy")
def rotation_parts(user_data_):
    """Return ``(buffer, section)`` of ``[buffer | section]`` behind a callback's pointer."""
    length = int(numba.carray(user_data_, (1,), np.float64)[0])
    head = numba.carray(user_data_, (length + 1,), np.float64)
    full = numba.carray(user_data_, (length + int(head[length]),), np.float64)
    return numba.carray(user_data_, (length,), np.float64), full[length:]


_EXPAND_SIG = numba.types.int64(numba.types.uint64, numba.types.uint64,
                                numba.types.CPointer(numba.types.double),
                                numba.types.CPointer(numba.types.double), numba.types.voidptr)


@numba.cfunc(_EXPAND_SIG, cache=True, error_model="numpy")
def ROT_EXPAND_CFUNC(dim, expanded, x_, out_, user_data_):  # noqa: N802 - a C callback
    """Expand callback of nutpie on ``[generic buffer | rotation section]``."""
    buf, rot = rotation_parts(user_data_)
    ni = int(rot[R_NEXP])
    if dim != int(rot[R_NDIM]) or expanded != ni + int(rot[R_C]) + int(rot[R_K]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    xi = np.empty(dim)
    inner = np.empty(ni)
    rot_forward(rot, x, xi)
    expand(buf, xi, inner)
    rot_expand(rot, x, xi, inner, out)
    return 0
