"""Varying slopes ``(x | g)`` in the native kernel (numba, cached).

As :mod:`coalsurv.build.graph` builds them (uncorrelated, non-centred): per slope ``x`` of
factor ``g`` and cause ``k``, ``sd_<g>_<x> ~ prior`` (positive, log-transformed), ``z_<g>_<x> ~
Normal(0, 1)`` per level, ``v = sd z`` (the deterministic ``v_<g>_<x>``), and row ``i`` adds
``v[idx_g[i]] X[i, x]`` to eta (on the eta scale, after the AFT scaling, like the frailty
intercepts). The buffer holds per slope (from ``E_SLOPE_BLOCKS`` in the extension header) the
offsets of ``sd`` and ``z``, the levels, ``sd``'s prior and the column of ``X``; each slope's
level index per row sits at ``E_SLOPE_DATA`` (``n`` values per slope).
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.backend.kernel_layout import (
    E_SLOPE_BLOCKS,
    E_SLOPE_DATA,
    E_SLOPES,
    H_C,
    H_N,
    SLOPE_WIDTH,
    ext_base,
)
from coalsurv.backend.kernel_levels import expand_levels, level_prior
from coalsurv.backend.kernel_priors import block_prior

__all__ = ["slope_count", "slope_total", "slope_values", "slope_eta", "slope_row_grad",
           "slope_grad", "slope_prior", "slope_expand"]


@njit(cache=True, inline="always", error_model="numpy")
def slope_count(buf):
    """Return the number of varying slopes."""
    return int(buf[ext_base(buf) + E_SLOPES])


@njit(cache=True, inline="always", error_model="numpy")
def _slope_block(buf, s):
    """``off_sd, off_z, n_levels, column`` of slope ``s``; where its header block starts."""
    hb = ext_base(buf) + E_SLOPE_BLOCKS + SLOPE_WIDTH * s
    return int(buf[hb]), int(buf[hb + 1]), int(buf[hb + 2]), int(buf[hb + 7]), hb


@njit(cache=True, error_model="numpy")
def slope_total(buf):
    """Return the levels over all slopes (the length of the per-cause level arrays)."""
    total = 0
    for s in range(slope_count(buf)):
        total += _slope_block(buf, s)[2]
    return total


@njit(cache=True, error_model="numpy")
def slope_values(buf, x, k, v, start):
    """``v = sd z`` of every slope's levels for cause ``k`` into ``v``; level starts ``start``."""
    SL = slope_count(buf)
    start[0] = 0
    for s in range(SL):
        off_sd, off_z, n_lev, _, _ = _slope_block(buf, s)
        start[s + 1] = start[s] + n_lev
        sd = math.exp(x[off_sd + k])
        for lev in range(n_lev):
            v[start[s] + lev] = sd * x[off_z + k * n_lev + lev]


@njit(cache=True, inline="always", error_model="numpy")
def _index(buf, s, i):
    """Row ``i``'s level of slope ``s``."""
    return int(buf[int(buf[ext_base(buf) + E_SLOPE_DATA]) + s * int(buf[H_N]) + i])


@njit(cache=True, inline="always", error_model="numpy")
def slope_eta(buf, X, i, v, start):
    """Row ``i``'s varying-slope part of eta: ``sum_s v_s[idx_s[i]] X[i, column_s]``."""
    total = 0.0
    for s in range(slope_count(buf)):
        col = _slope_block(buf, s)[3]
        total += v[start[s] + _index(buf, s, i)] * X[i, col]
    return total


@njit(cache=True, inline="always", error_model="numpy")
def slope_row_grad(buf, X, i, d_eta, g_v, start):
    """Add row ``i``'s ``d log L / d eta`` to the gradient in each slope's levels ``g_v``."""
    for s in range(slope_count(buf)):
        col = _slope_block(buf, s)[3]
        g_v[start[s] + _index(buf, s, i)] += d_eta * X[i, col]


@njit(cache=True, error_model="numpy")
def slope_grad(buf, x, k, g_v, start, grad):
    """Chain rule of cause ``k`` from the levels' gradient to ``z`` and ``log sd``."""
    for s in range(slope_count(buf)):
        off_sd, off_z, n_lev, _, _ = _slope_block(buf, s)
        sd = math.exp(x[off_sd + k])
        for lev in range(n_lev):
            pos = off_z + k * n_lev + lev
            d_v = g_v[start[s] + lev]
            grad[pos] += d_v * sd
            grad[off_sd + k] += d_v * sd * x[pos]


@njit(cache=True, error_model="numpy")
def slope_prior(buf, x, grad):
    """``sd`` (log-transformed) and ``z ~ Normal(0, 1)`` of every slope; their log p."""
    C = int(buf[H_C])
    total = 0.0
    for s in range(slope_count(buf)):
        off_sd, off_z, n_lev, _, hb = _slope_block(buf, s)
        total += block_prior(buf, hb + 3, x, grad, off_sd, C, True)
        total += level_prior(buf, x, grad, off_sd, off_z, n_lev, False)
    return total


@njit(cache=True, error_model="numpy")
def slope_expand(buf, x, out, pos):
    """``sd`` exponentiated in place, then ``v_<g>_<x> = sd z`` (cause, level) from ``pos``."""
    for s in range(slope_count(buf)):
        off_sd, off_z, n_lev, _, _ = _slope_block(buf, s)
        pos = expand_levels(buf, x, out, pos, off_sd, off_z, n_lev, False)
    return pos
