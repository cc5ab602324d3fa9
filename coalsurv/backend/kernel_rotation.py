"""The rotated member effects on the kernel: the map to its non-centred form and back.

``mm(..., centring="rotation")`` (:mod:`coalsurv.build.member_rotation`,
:mod:`coalsurv.backend.plan_rotation`): the sampled point ``x'`` holds ``zm`` (C values) where
the kernel reads ``z_<g>`` and ``s`` (C) then ``e`` (K - C) where it reads ``z_mm`` (K), per
cause (``zm``, ``s``, ``e`` and the kernel's ``z_<g>``, ``z_mm`` are (cause, ...) blocks; the
sampled ``s`` of every cause come before their ``e``). Per cause and level ``c`` (``n_c``
members, in the section's order)::

    cos = sd_g / S_c, sin = sd_mm / (sqrt(n_c) S_c), S_c = sqrt(sd_g^2 + sd_mm^2 / n_c)
    z_g[c] = cos zm_c - sin s_c,   y_c = sin zm_c + cos s_c
    z_mm[k_i] = y_c / sqrt(n_c) + (H e_c)_i          (H: the Helmert basis, O(n_c))

:func:`rot_forward` computes ``x`` (the kernel's), :func:`rot_back` the gradient in ``x'`` from
the kernel's in ``x``: the orthogonal part, plus the angle's ``phi_c`` dependence
(``d phi / d log sd_g = -sin cos``, ``d phi / d log sd_mm = sin cos``; ``d z_g / d phi = -y``,
``d y / d phi = z_g``). Each cause's ``log sd_g`` and ``log sd_mm`` are read through an affine
row of ``x'`` in the section: the SD's own slot, or, where a joint prior carries ``sd_<g>``
(:mod:`coalsurv.backend.kernel_joint`), that prior's row ``a + M x'``, through which the
angle's gradient flows back. The map is orthogonal given the SDs, so the log density is the
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

R_Q, R_C, R_K, R_ZM, R_S, R_EXP_ZM, R_EXP_S, R_NEXP, R_NDIM, R_DATA = range(1, 11)


@njit(cache=True, fastmath=False, error_model="numpy")
def _parts(rot):
    """``(Q, C, K)`` and where the arrays after the header start (see rotation_section)."""
    Q, C, K = int(rot[R_Q]), int(rot[R_C]), int(rot[R_K])
    start = R_DATA + C
    members = start + C + 1
    qs = members + K  # 1 / sqrt(i (i + 1))
    iq = qs + K  # i / sqrt(i (i + 1))
    ptr = iq + K  # the log SDs' affine rows: 2 Q + 1 pointers, 2 Q constants, columns, coefs
    a0 = ptr + 2 * Q + 1
    col = a0 + 2 * Q
    cf = col + int(rot[ptr + 2 * Q])
    return Q, C, K, start, members, qs, iq, ptr, a0, col, cf


@njit(cache=True, fastmath=False, error_model="numpy")
def _log_sd(rot, ptr, a0, col, cf, r, x):
    """Row ``r`` (sd_<g>[q]: q, sd_mm[q]: Q + q) of the log SDs: ``a + sum_j m_j x[c_j]``."""
    v = rot[a0 + r]
    for j in range(int(rot[ptr + r]), int(rot[ptr + r + 1])):
        v += rot[cf + j] * x[int(rot[col + j])]
    return v


@njit(cache=True, fastmath=False, error_model="numpy")
def _log_sd_back(rot, ptr, col, cf, r, g, go):
    """Add ``g`` times row ``r``'s coefficients to the gradient ``go``."""
    for j in range(int(rot[ptr + r]), int(rot[ptr + r + 1])):
        go[int(rot[col + j])] += rot[cf + j] * g
    return 0


@njit(cache=True, fastmath=False, error_model="numpy")
def _angle(rot, c, sdg, sdm):
    n = rot[R_DATA + c]
    S = math.sqrt(sdg * sdg + sdm * sdm / n)
    return math.sqrt(n), sdg / S, sdm / (math.sqrt(n) * S)


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_forward(rot, xo, xi):
    """Write the kernel's non-centred point ``xi`` of the sampled point ``xo``."""
    Q, C, K, start, members, qs, iq, ptr, a0, col, cf = _parts(rot)
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    for i in range(xo.size):
        xi[i] = xo[i]
    for q in range(Q):
        sdg = math.exp(_log_sd(rot, ptr, a0, col, cf, q, xo))
        sdm = math.exp(_log_sd(rot, ptr, a0, col, cf, Q + q, xo))
        zq, sq, eq, uq = ozm + q * C, os_ + q * C, os_ + Q * C + q * (K - C), os_ + q * K
        for c in range(C):
            rn, co, si = _angle(rot, c, sdg, sdm)
            zm, s = xo[zq + c], xo[sq + c]
            xi[zq + c] = co * zm - si * s
            zbar = (si * zm + co * s) / rn
            b0, n = int(rot[start + c]), int(rot[R_DATA + c])
            eo = eq + b0 - c  # level c's n_c - 1 contrasts
            tail = 0.0
            for i in range(n - 1, 0, -1):
                ej = xo[eo + i - 1]
                xi[uq + int(rot[members + b0 + i])] = zbar + tail - ej * rot[iq + b0 + i]
                tail += ej * rot[qs + b0 + i]
            xi[uq + int(rot[members + b0])] = zbar + tail
    return K


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_back(rot, xo, xi, gi, go):
    """Write the gradient ``go`` in the sampled point from the kernel's ``gi`` at ``xi``."""
    Q, C, K, start, members, qs, iq, ptr, a0, col, cf = _parts(rot)
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    for i in range(gi.size):
        go[i] = gi[i]
    for q in range(Q):
        sdg = math.exp(_log_sd(rot, ptr, a0, col, cf, q, xo))
        sdm = math.exp(_log_sd(rot, ptr, a0, col, cf, Q + q, xo))
        zq, sq, eq, uq = ozm + q * C, os_ + q * C, os_ + Q * C + q * (K - C), os_ + q * K
        acc = 0.0
        for c in range(C):
            rn, co, si = _angle(rot, c, sdg, sdm)
            b0, n = int(rot[start + c]), int(rot[R_DATA + c])
            eo = eq + b0 - c
            prefix = gi[uq + int(rot[members + b0])]
            for i in range(1, n):
                gk = gi[uq + int(rot[members + b0 + i])]
                go[eo + i - 1] = prefix * rot[qs + b0 + i] - gk * rot[iq + b0 + i]
                prefix += gk
            gv, gy = gi[zq + c], prefix / rn
            zm, s = xo[zq + c], xo[sq + c]
            go[zq + c] = gv * co + gy * si
            go[sq + c] = gy * co - gv * si
            acc += (gy * xi[zq + c] - gv * (si * zm + co * s)) * si * co
        # the angle's dependence on log sd_<g> (-acc) and log sd_mm (+acc), through their
        # rows (a column: the SD's own slot, or the joint prior's block that carries it)
        _log_sd_back(rot, ptr, col, cf, q, -acc, go)
        _log_sd_back(rot, ptr, col, cf, Q + q, acc, go)
    return C


@njit(cache=True, fastmath=False, error_model="numpy")
def rot_expand(rot, xo, xi, inner, out):
    """Write the traced values into ``out``.

    The kernel's expansion ``inner`` of ``xi`` with the sampled blocks as sampled, then
    ``z_<g>`` and ``z_mm`` (the kernel's ``xi`` slots).
    """
    Q, C, K, ni = int(rot[R_Q]), int(rot[R_C]), int(rot[R_K]), int(rot[R_NEXP])
    ozm, os_ = int(rot[R_ZM]), int(rot[R_S])
    ezm, es = int(rot[R_EXP_ZM]), int(rot[R_EXP_S])
    for i in range(ni):  # element loops: numba's slice assignment is several times slower
        out[i] = inner[i]
    for c in range(Q * C):
        out[ezm + c] = xo[ozm + c]
        out[ni + c] = xi[ozm + c]
    for k in range(Q * K):
        out[es + k] = xo[os_ + k]
        out[ni + Q * C + k] = xi[os_ + k]
    return ni + Q * (C + K)


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
    if dim != int(rot[R_NDIM]) or expanded != ni + int(rot[R_Q]) * (int(rot[R_C])
                                                         + int(rot[R_K])):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    xi = np.empty(dim)
    inner = np.empty(ni)
    rot_forward(rot, x, xi)
    expand(buf, xi, inner)
    rot_expand(rot, x, xi, inner, out)
    return 0
