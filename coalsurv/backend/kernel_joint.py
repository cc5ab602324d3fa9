"""Joint and mixture coefficient priors in the native kernel (numba, cached; issue 23).

A joint prior (:mod:`coalsurv.build.joint_terms`) makes the graph sample one block per cause,
``beta_joint_z`` (standard normal; the values are ``T mu + L z``) or, for a mixture,
``beta_joint`` itself, and compute ``intercept``, ``beta``, the family parameter and the
frailty SDs it carries as deterministics of it. The kernel's likelihood reads those parameters
at fixed blocks of its unconstrained vector, so with a joint prior the kernel works on an
*extended* vector: the graph's free values ``x`` (length ``n0``), then the kernel's blocks of
the carried parameters (length ``n1 - n0``, on the kernel's scale: log of a positive
parameter), filled by the plan's affine map ``x_ext = a + M x`` (sparse rows;
:func:`coalsurv.backend.plan_joint.joint_layout` reads ``a`` and ``M`` off the graph). The
generic kernel runs on the extended vector (its priors of the carried blocks are
``NONE_CODE``: no density, no Jacobian) and its gradient flows back through ``M'``.

The priors the generic kernel does not see are added here: the "loose" blocks (the joint
block ``beta_joint_z`` with its standard normal, separate coefficients ``beta_<term>`` that
fill the rest of a carried ``beta``) with their prior codes, and each mixture block
``v ~ sum_k w_k MvNormal(m_k, L_k L_k')``: per component the triangular solves
``L_k u = v - m_k`` and ``L_k' s = u`` give ``log N_k = -|u|^2 / 2 - log det L_k - p/2 log 2 pi``
and ``d log N_k / dv = -s``; the mixture is their log-sum-exp and its gradient the
responsibilities' average of ``-s``. Section at ``buf[ext_base + E_JOINT]`` (-1: none)::

    n0, n1, loose blocks, mixture blocks, nnz, nb, ne, nd  (head, JOINT_HEAD values)
    a (n1 - n0), row pointers (n1 - n0 + 1), columns (nnz), coefficients (nnz)
    per loose block: offset, size, log-transformed, code, p1, p2, p3
    per mixture block: offset, p, K, then log w (K), means (K p), L (K p p), log det L (K)

``nb``, ``ne``, ``nd`` are the expansion's parts: the graph's free blocks, the carried
blocks and the generic kernel's deterministics (:func:`joint_expand_order`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_layout import E_JOINT, H_NDIM, ext_base
from coalsurv.backend.kernel_priors import value_prior

__all__ = ["JOINT_HEAD", "LOOSE_WIDTH", "joint_base", "graph_ndim",
           "joint_extend", "joint_back", "joint_expand_order", "mixture_logp"]

#: Values before the arrays of the joint section.
JOINT_HEAD = 8
#: Values per loose block: offset, size, log-transformed, code, p1, p2, p3.
LOOSE_WIDTH = 7
_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, inline="always", error_model="numpy")
def joint_base(buf):
    """Where the joint section starts (-1: no joint prior)."""
    return int(buf[ext_base(buf) + E_JOINT])


@njit(cache=True, inline="always", error_model="numpy")
def graph_ndim(buf):
    """Length of the graph's unconstrained vector (the sampler's ``x``)."""
    jd = joint_base(buf)
    return int(buf[H_NDIM]) if jd < 0 else int(buf[jd])


@njit(cache=True, error_model="numpy")
def joint_extend(buf, x):
    """Return the extended vector: ``x``, then the carried blocks ``a + M x``."""
    jd = joint_base(buf)
    n0, n1, nnz = int(buf[jd]), int(buf[jd + 1]), int(buf[jd + 4])
    ne = n1 - n0
    a = jd + JOINT_HEAD
    rp = a + ne
    col = rp + ne + 1
    cf = col + nnz
    xe = np.empty(n1)
    xe[:n0] = x[:n0]
    for e in range(ne):
        v = buf[a + e]
        for q in range(int(buf[rp + e]), int(buf[rp + e + 1])):
            v += buf[cf + q] * x[int(buf[col + q])]
        xe[n0 + e] = v
    return xe


@njit(cache=True, error_model="numpy")
def mixture_logp(buf, h, v, g_v):
    """Log density of the mixture at ``buf[h]`` at ``v``; its gradient into ``g_v``."""
    p, K = int(buf[h + 1]), int(buf[h + 2])
    lw = h + 3
    mu = lw + K
    chol = mu + K * p
    logdet = chol + K * p * p
    lp = np.empty(K)
    s = np.empty((K, p))
    u = np.empty(p)
    for k in range(K):
        L = chol + k * p * p
        for i in range(p):  # forward: L u = v - m
            r = v[i] - buf[mu + k * p + i]
            for j in range(i):
                r -= buf[L + i * p + j] * u[j]
            u[i] = r / buf[L + i * p + i]
        q = 0.0
        for i in range(p):
            q += u[i] * u[i]
        for i in range(p - 1, -1, -1):  # backward: L' s = u
            r = u[i]
            for j in range(i + 1, p):
                r -= buf[L + j * p + i] * s[k, j]
            s[k, i] = r / buf[L + i * p + i]
        lp[k] = buf[lw + k] - 0.5 * q - buf[logdet + k] - 0.5 * p * _LOG_2PI
    top = lp.max()
    total = 0.0
    for k in range(K):
        total += math.exp(lp[k] - top)
    value = top + math.log(total)
    for i in range(p):
        g_v[i] = 0.0
    for k in range(K):
        r = math.exp(lp[k] - value)  # responsibility of component k
        for i in range(p):
            g_v[i] -= r * s[k, i]
    return value


@njit(cache=True, error_model="numpy")
def joint_back(buf, x, ge, grad):
    """Map the extended gradient back to ``x`` (``M'``); add the loose and mixture priors.

    Returns the priors' log density (with the log-transform Jacobians of loose blocks).
    """
    jd = joint_base(buf)
    n0, n1, n_loose, n_mix, nnz = (int(buf[jd]), int(buf[jd + 1]), int(buf[jd + 2]),
                                   int(buf[jd + 3]), int(buf[jd + 4]))
    ne = n1 - n0
    a = jd + JOINT_HEAD
    rp = a + ne
    col = rp + ne + 1
    cf = col + nnz
    for i in range(n0):
        grad[i] = ge[i]
    for e in range(ne):
        for q in range(int(buf[rp + e]), int(buf[rp + e + 1])):
            grad[int(buf[col + q])] += buf[cf + q] * ge[n0 + e]
    h = cf + nnz
    total = 0.0
    for _ in range(n_loose):
        off, size, log_t = int(buf[h]), int(buf[h + 1]), buf[h + 2] == 1.0
        code = int(buf[h + 3])
        for i in range(size):
            total += value_prior(code, buf[h + 4], buf[h + 5], buf[h + 6], x, grad, off + i,
                                 log_t)
        h += LOOSE_WIDTH
    for _ in range(n_mix):
        off, p, K = int(buf[h]), int(buf[h + 1]), int(buf[h + 2])
        g_v = np.empty(p)
        total += mixture_logp(buf, h, x[off:off + p], g_v)
        for i in range(p):
            grad[off + i] += g_v[i]
        h += 3 + K + K * p + K * p * p + K
    return total


@njit(cache=True, error_model="numpy")
def joint_expand_order(buf, out_ext, out):
    """Reorder the generic expansion to the graph's: free, deterministics, carried.

    The generic expansion of the extended vector is the graph's free blocks (``nb``), the
    carried blocks (``ne``), then its deterministics (``nd``); the plan traces the carried
    blocks after the deterministics.
    """
    jd = joint_base(buf)
    nb, ne, nd = int(buf[jd + 5]), int(buf[jd + 6]), int(buf[jd + 7])
    for i in range(nb):
        out[i] = out_ext[i]
    for i in range(nd):
        out[nb + i] = out_ext[nb + ne + i]
    for i in range(ne):
        out[nb + nd + i] = out_ext[nb + i]
    return nb + ne + nd
