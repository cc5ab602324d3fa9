r"""Gompertz family (proportional hazards): log-linear baseline hazard in time.

Rate of ageing :math:`\gamma \in \mathbb{R}`:

.. math::

    h(t \mid \eta) = e^{\eta + \gamma t}, \qquad
    H(t \mid \eta) = e^{\eta}\, \frac{e^{\gamma t} - 1}{\gamma}
                   = e^{\eta}\, t\, \frac{\mathrm{expm1}(\gamma t)}{\gamma t},

with the limit :math:`H = t e^{\eta}` (exponential) at :math:`\gamma = 0`. For
:math:`\gamma < 0` the hazard dies out and a cure fraction
:math:`S(\infty \mid \eta) = \exp(-e^{\eta}/|\gamma|)` never fails; :meth:`Gompertz.rvs`
returns ``inf`` for those units.

scipy equivalent for :math:`\gamma > 0`: ``gompertz(c=exp(eta)/gamma, scale=1/gamma)``.

Prior scale: the prior (key ``ageing``) is on :math:`a = \gamma / e^{\alpha}`, the ageing
rate per unit of the baseline hazard :math:`e^{\alpha}` at the covariate means (``alpha`` the
intercept); the builder records :math:`\gamma = a\, e^{\alpha}`. At the means the cured share
is then :math:`\exp(1/a)` for :math:`a < 0`, whatever the baseline: a prior directly on
:math:`\gamma` cannot say "rarely a cured majority", because any negative :math:`\gamma`
cures most coalitions of a slow baseline. Default ``ageing ~ Normal(0, 0.5)``: a cured
majority (``a < -1/log 2``) has prior probability 0.2%.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import NUMPY, Namespace

__all__ = ["Gompertz", "gompertz"]


class Gompertz(Family):
    r"""Gompertz PH family: :math:`h = e^{\eta + \gamma t}`."""

    name = "gompertz"
    label = "Gompertz (proportional hazards)"
    kind = "ph"
    parameters = (
        Parameter("gamma", "real", ("Normal", {"mu": 0.0, "sigma": 0.5}),
                  "ageing: change of the log hazard per unit of baseline cumulative hazard "
                  "(gamma = ageing x baseline hazard)", prior_key="ageing", per_baseline=True),
    )

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, gamma: Any) -> Any:
        return eta + gamma * t

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, gamma: Any) -> Any:
        return -xp.exp(eta) * t * xp.expm1_over_x(gamma * t)

    def _log_survival_at_inf(self, eta: Any, xp: Namespace, *, gamma: Any) -> Any:
        gamma = xp.asarray(gamma)
        cured = gamma < 0
        gamma_safe = xp.where(cured, gamma, -1.0)
        return xp.where(cured, xp.exp(eta) / gamma_safe, -xp.inf)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, gamma: Any) -> np.ndarray:
        # Solve H0(t) = a with a = -log(1 - p) e^{-eta}:  t = log1p(gamma a) / gamma
        #                                                  = a * log1p(gamma a) / (gamma a).
        gamma = np.asarray(gamma, dtype=float)
        a = -np.log1p(-p) * np.exp(-eta)
        x = gamma * a
        never = x <= -1.0
        x_safe = np.where(never, 0.0, x)
        return np.where(never, np.inf, a * NUMPY.log1p_over_x(x_safe))


gompertz = Gompertz()
