"""The normal tail of the native kernel: ``log(1 - Phi(z))`` with its derivative (numba).

One module of its own so that both :mod:`coalsurv.families.kernels` (the log-normal family,
the probit cure) and :mod:`coalsurv.families.kernels_gamma` (the generalised gamma's
expansion around the log-normal) import it: ``kernels`` imports ``kernels_gamma``, so the
latter cannot import ``kernels``.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["HALF_LOG_2PI", "SQRT2", "log_normal_sf"]

#: ``sqrt(2)`` and ``log(2 pi) / 2``.
SQRT2 = math.sqrt(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True, inline="always", error_model="numpy")
def log_normal_sf(z):
    """``log(1 - Phi(z))`` and its derivative ``-phi(z) / (1 - Phi(z))``, both tails stable.

    ``erfc`` in the body; past ``z = 30`` (where ``erfc`` nears underflow) the asymptotic
    series of ``erfcx``, whose seventh term is below 1e-13 there.
    """
    if z < -1.0:
        log_sf = math.log1p(-0.5 * math.erfc(-z / SQRT2))
    elif z < 30.0:
        log_sf = math.log(0.5 * math.erfc(z / SQRT2))
    else:
        x2 = 0.5 * z * z
        inv = 1.0 / (2.0 * x2)
        series = 1.0
        term = 1.0
        for n in range(1, 7):
            term *= -(2.0 * n - 1.0) * inv
            series += term
        log_sf = -x2 - math.log(z) - HALF_LOG_2PI + math.log(series)
    log_pdf = -0.5 * z * z - HALF_LOG_2PI
    return log_sf, -math.exp(log_pdf - log_sf)
