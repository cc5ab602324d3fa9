"""Scalar numba twins of the families' formulas, for the native log-density kernel.

Each supported family gives, at one time ``t`` (``log_t = log t``), linear predictor ``eta``
and ancillary parameter ``theta`` (``0.0`` when the family has none; ``log_theta`` its log),
the log hazard and the log survival with their derivatives with respect to ``eta`` and
``theta``::

    log_h, dlog_h_deta, dlog_h_dtheta, log_s, dlog_s_deta, dlog_s_dtheta

The generic kernel (:mod:`coalsurv.backend.kernel`) does censoring, truncation, causes, frailty
and the chain rule through the design matrix. The PyTensor formulas in each family's module
stay the reference: ``tests/fit/test_kernel.py`` checks these against PyMC's automatic
gradient for every family listed in :data:`KERNEL_FAMILIES`. Compiled once and cached on disk
(``cache=True``), so a fresh process loads them instead of compiling.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["KERNEL_FAMILIES", "family_terms"]

#: Family name -> integer code of :func:`family_terms` (only these run natively). The
#: piecewise baseline (code 3) has a vector parameter: the kernel itself evaluates it
#: (:data:`coalsurv.backend.kernel.PIECEWISE`), not :func:`family_terms`.
KERNEL_FAMILIES: dict[str, int] = {"exponential": 0, "weibull_ph": 1, "weibull_aft": 2,
                                   "piecewise": 3}


@njit(cache=True, inline="always", error_model="numpy")
def family_terms(fam, t, log_t, eta, theta, log_theta):
    """Log hazard and log survival at ``t`` with their ``eta`` and ``theta`` derivatives.

    ``log_theta`` is ``log(theta)``, computed once per call of the kernel, not per row.
    """
    if fam == 0:  # exponential: h = e^eta, H = t e^eta
        log_s = -t * math.exp(eta)
        return eta, 1.0, 0.0, log_s, log_s, 0.0
    if fam == 1:  # Weibull PH: h = k t^(k-1) e^eta, H = t^k e^eta
        log_h = log_theta + (theta - 1.0) * log_t + eta
        log_s = -math.exp(theta * log_t + eta)
        return log_h, 1.0, 1.0 / theta + log_t, log_s, log_s, log_s * log_t
    # Weibull AFT: h = k t^(k-1) e^(-k eta), H = (t e^-eta)^k
    r = log_t - eta
    log_h = log_theta - log_t + theta * r
    log_s = -math.exp(theta * r)
    return log_h, -theta, 1.0 / theta + r, log_s, -theta * log_s, log_s * r
