"""Priors of the native kernel's blocks: log densities and their derivatives (numba, cached).

The prior codes name PyMC's distributions as the plan reads them from the built graph
(:func:`coalsurv.backend.native.plan`); parameters are the constants stored in each op.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["PRIOR_CODES", "TABLE_CODE", "NONE_CODE", "prior_logp", "block_prior", "value_prior",
           "prior_pointwise"]

#: PyMC distribution name -> prior code of :func:`prior_logp` (parameters as stored in the op).
PRIOR_CODES = {"Normal": 0, "HalfNormal": 1, "LogNormal": 2, "Exponential": 3, "Gamma": 4,
               "StudentT": 5, "Cauchy": 6, "HalfCauchy": 7}

#: Prior "code" of a block of separate variables with a prior each (a table in the buffer).
TABLE_CODE = -5
#: Prior "code" of a block the graph computes from a joint prior (no density, no Jacobian here:
#: the joint prior is added by :mod:`coalsurv.backend.kernel_joint`).
NONE_CODE = -6

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


@njit(cache=True, error_model="numpy")
def prior_logp(code, v, p1, p2, p3):
    """Log density of a prior at ``v`` (constrained scale) and its derivative in ``v``."""
    if code == 0:  # Normal(mu, sigma)
        r = (v - p1) / p2
        return -0.5 * r * r - math.log(p2) - 0.5 * _LOG_2PI, -r / p2
    if code == 1:  # HalfNormal(loc, sigma)
        r = (v - p1) / p2
        return -0.5 * r * r - math.log(p2) + 0.5 * math.log(2.0 / math.pi), -r / p2
    if code == 2:  # LogNormal(mu, sigma)
        lv = math.log(v)
        r = (lv - p1) / p2
        return -lv - math.log(p2) - 0.5 * _LOG_2PI - 0.5 * r * r, (-1.0 - r / p2) / v
    if code == 3:  # Exponential(scale)
        return -math.log(p1) - v / p1, -1.0 / p1
    if code == 4:  # Gamma(alpha, scale)
        return ((p1 - 1.0) * math.log(v) - v / p2 - math.lgamma(p1) - p1 * math.log(p2),
                (p1 - 1.0) / v - 1.0 / p2)
    if code == 5:  # StudentT(nu, mu, sigma)
        r = (v - p2) / p3
        lp = (math.lgamma(0.5 * (p1 + 1.0)) - math.lgamma(0.5 * p1) - 0.5 * math.log(p1 * math.pi)
              - math.log(p3) - 0.5 * (p1 + 1.0) * math.log1p(r * r / p1))
        return lp, -(p1 + 1.0) * r / (p3 * (p1 + r * r))
    if code == 6:  # Cauchy(alpha, beta)
        r = (v - p1) / p2
        return -_LOG_PI - math.log(p2) - math.log1p(r * r), -2.0 * r / (p2 * (1.0 + r * r))
    # HalfCauchy(loc, beta)
    r = (v - p1) / p2
    return math.log(2.0) - _LOG_PI - math.log(p2) - math.log1p(r * r), -2.0 * r / (
        p2 * (1.0 + r * r))


@njit(cache=True, inline="always", error_model="numpy")
def block_prior(buf, h, x, grad, off, size, log_transformed):
    """Add a block's prior (with the log-transform Jacobian) to ``grad``; return its log p.

    Code :data:`TABLE_CODE`: one prior per value (separate variables of the graph stacked
    into one block), ``code, p1, p2, p3`` each, from buffer position ``p1``. Code
    :data:`NONE_CODE`: nothing (a block carried by a joint prior).
    """
    if int(buf[h]) == NONE_CODE:
        return 0.0
    table = int(buf[h]) == TABLE_CODE
    total = 0.0
    for i in range(size):
        hh = int(buf[h + 1]) + 4 * i if table else h
        total += value_prior(int(buf[hh]), buf[hh + 1], buf[hh + 2], buf[hh + 3], x, grad,
                             off + i, log_transformed)
    return total


@njit(cache=True, inline="always", error_model="numpy")
def value_prior(code, p1, p2, p3, x, grad, i, log_transformed):
    """One sampled value ``x[i]``'s prior: add its gradient to ``grad[i]``; return its log p.

    ``log_transformed``: ``x[i]`` is the log of the prior's value (a positive parameter), and
    the log transform's Jacobian is included.
    """
    y = x[i]
    if log_transformed:
        v = math.exp(y)
        lp, d = prior_logp(code, v, p1, p2, p3)
        grad[i] += d * v + 1.0
        return lp + y
    lp, d = prior_logp(code, y, p1, p2, p3)
    grad[i] += d
    return lp


@njit(cache=True, error_model="numpy")
def prior_pointwise(code, p1, p2, p3, values):
    """Log prior density of each value (constrained scale, no Jacobian), elementwise."""
    flat = values.ravel()
    out = np.empty(flat.size)
    for i in range(flat.size):
        out[i] = prior_logp(code, flat[i], p1, p2, p3)[0]
    return out.reshape(values.shape)
