r"""Weibull family in two parametrisations: proportional hazards and accelerated failure time.

Proportional hazards (``weibull_ph``), shape :math:`k > 0`:

.. math::

    h(t \mid \eta) = k\, t^{k-1} e^{\eta}, \qquad H(t \mid \eta) = t^{k} e^{\eta}.

Accelerated failure time (``weibull_aft``), :math:`\log T = \eta + \varepsilon/k` with a
standard minimum-Gumbel :math:`\varepsilon`:

.. math::

    S(t \mid \eta) = \exp\{-(t e^{-\eta})^{k}\}, \qquad
    h(t \mid \eta) = k\, t^{k-1} e^{-k\eta}.

Both describe the same distributions (scipy's ``weibull_min(c=k, scale=lambda)`` with
:math:`\lambda = e^{-\eta_{PH}/k} = e^{\eta_{AFT}}`), so :math:`\eta_{PH} = -k\,\eta_{AFT}` and a
coefficient maps as :math:`\beta_{PH} = -k\,\beta_{AFT}`: a hazard ratio :math:`e^{\beta_{PH}}`
corresponds to a time ratio :math:`e^{\beta_{AFT}} = e^{-\beta_{PH}/k}`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import Namespace

__all__ = ["WeibullPH", "WeibullAFT", "weibull_ph", "weibull_aft"]

_SHAPE = Parameter("shape", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                   "Weibull shape (hazard rises with age when > 1)")


class WeibullPH(Family):
    r"""Weibull, proportional hazards: :math:`H = t^{k} e^{\eta}`."""

    name = "weibull_ph"
    aliases = ("weibull",)
    label = "Weibull (proportional hazards)"
    kind = "ph"
    parameters = (_SHAPE,)
    shape_parameter = "shape"

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        return xp.log(shape) + (shape - 1.0) * xp.log(t) + eta

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        return -xp.exp(shape * xp.log(t) + eta)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, shape: Any) -> np.ndarray:
        shape = np.asarray(shape, dtype=float)
        return np.exp((np.log(-np.log1p(-p)) - eta) / shape)


class WeibullAFT(Family):
    r"""Weibull, accelerated failure time: :math:`S = \exp\{-(t e^{-\eta})^{k}\}`."""

    name = "weibull_aft"
    label = "Weibull (accelerated failure time)"
    kind = "aft"
    parameters = (_SHAPE,)
    shape_parameter = "shape"

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        log_t = xp.log(t)
        return xp.log(shape) - log_t + _capped(shape * (log_t - eta), xp)

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        return -xp.exp(_capped(shape * (xp.log(t) - eta), xp))

    def _log_time_scale(self, xp: Namespace, *, shape: Any) -> Any:
        return 1.0 / shape

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, shape: Any) -> np.ndarray:
        shape = np.asarray(shape, dtype=float)
        return np.exp(eta + np.log(-np.log1p(-p)) / shape)


def _capped(u: Any, xp: Namespace) -> Any:
    """``k (log t - eta)``, bent softly above :data:`MAX_LOG_H` so ``exp`` never overflows.

    Above the cap ``u`` becomes ``MAX_LOG_H + log1p(u - MAX_LOG_H)``: still increasing (the
    gradient keeps pointing back to the data), but ``exp`` of it stays finite for any finite
    ``u``. The cap is far beyond any value a fit can use (``-exp(600)`` in log survival), so
    likelihood values elsewhere are exact. Wide shape priors (``k`` of 30 or more during
    warm-up) otherwise overflow to ``inf`` and turn gradients ``nan``.
    """
    over = u > MAX_LOG_H
    u_over = xp.where(over, u, MAX_LOG_H)
    return xp.where(over, MAX_LOG_H + xp.log1p(u_over - MAX_LOG_H), u)


#: Where a log cumulative hazard starts to bend (``exp(600)`` is about ``4e260``).
MAX_LOG_H = 600.0

weibull_ph = WeibullPH()
weibull_aft = WeibullAFT()
