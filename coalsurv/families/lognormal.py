r"""Log-normal family (accelerated failure time): :math:`\log T \sim \mathrm{Normal}(\eta, \sigma)`.

With :math:`z = (\log t - \eta)/\sigma`,

.. math::

    \log S(t \mid \eta) = \log\Phi(-z), \qquad \log F(t \mid \eta) = \log\Phi(z), \qquad
    \log f(t \mid \eta) = -\log t - \log\sigma - \tfrac12\log(2\pi) - \tfrac12 z^2, \qquad
    \log h = \log f - \log S.

scipy equivalent: ``lognorm(s=sigma, scale=exp(eta))``. The hazard rises then falls.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import Namespace

__all__ = ["LogNormal", "lognormal"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class LogNormal(Family):
    """Log-normal AFT family with scale ``sigma`` of log T."""

    name = "lognormal"
    label = "Log-normal (accelerated failure time)"
    kind = "aft"
    shape_parameter = "sigma"
    parameters = (
        Parameter("sigma", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                  "SD of log lifespan"),
    )

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any) -> Any:
        z = (xp.log(t) - eta) / sigma
        return xp.log_ndtr(-z)

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any) -> Any:
        return xp.log_ndtr((xp.log(t) - eta) / sigma)

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any) -> Any:
        log_t = xp.log(t)
        z = (log_t - eta) / sigma
        log_f = -log_t - xp.log(sigma) - _HALF_LOG_2PI - 0.5 * xp.square(z)
        return log_f - xp.log_ndtr(-z)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, sigma: Any) -> np.ndarray:
        import scipy.special as sc  # at first use: not on a fit's path

        return np.exp(eta + np.asarray(sigma, dtype=float) * sc.ndtri(p))

    def _log_time_scale(self, xp: Namespace, *, sigma: Any) -> Any:
        return sigma


lognormal = LogNormal()
