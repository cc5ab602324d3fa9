r"""Log-logistic family (accelerated failure time), shape :math:`k > 0`.

With :math:`u = k(\log t - \eta)`, i.e. :math:`e^{u} = (t e^{-\eta})^{k}`,

.. math::

    S(t \mid \eta) = \frac{1}{1 + (t e^{-\eta})^{k}}, \qquad
    \log S = -\log(1 + e^{u}), \qquad \log F = u - \log(1 + e^{u}), \qquad
    \log h = \log k - \log t + u - \log(1 + e^{u}).

scipy equivalent: ``fisk(c=k, scale=exp(eta))``. The hazard is unimodal for :math:`k > 1` and
decreasing for :math:`k \le 1`; the survival odds are proportional (log odds of failure is
linear in :math:`\eta`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import Namespace

__all__ = ["LogLogistic", "loglogistic"]


class LogLogistic(Family):
    r"""Log-logistic AFT family: :math:`S = 1/(1 + (t e^{-\eta})^{k})`."""

    name = "loglogistic"
    label = "Log-logistic (accelerated failure time)"
    kind = "aft"
    shape_parameter = "shape"
    parameters = (
        Parameter("shape", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                  "shape (hazard rises then falls when > 1)"),
    )

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        u = shape * (xp.log(t) - eta)
        return -xp.logaddexp(0.0, u)

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        u = shape * (xp.log(t) - eta)
        return u - xp.logaddexp(0.0, u)

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        log_t = xp.log(t)
        u = shape * (log_t - eta)
        return xp.log(shape) - log_t + u - xp.logaddexp(0.0, u)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, shape: Any) -> np.ndarray:
        shape = np.asarray(shape, dtype=float)
        return np.exp(eta + (np.log(p) - np.log1p(-p)) / shape)

    def _log_time_scale(self, xp: Namespace, *, shape: Any) -> Any:
        return 1.0 / shape


loglogistic = LogLogistic()
