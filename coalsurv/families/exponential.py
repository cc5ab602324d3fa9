r"""Exponential family (proportional hazards): constant hazard.

.. math::

    h(t \mid \eta) = e^{\eta}, \qquad H(t \mid \eta) = t\, e^{\eta}.

No ancillary parameters. ``eta`` is the log rate; :math:`e^{\beta}` is a hazard ratio (the
exponential is also an AFT model with time ratio :math:`e^{-\beta}`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family
from coalsurv.families.math import Namespace

__all__ = ["Exponential", "exponential"]


class Exponential(Family):
    r"""Exponential family: :math:`h = e^{\eta}`."""

    name = "exponential"
    label = "Exponential (constant hazard)"
    kind = "ph"
    parameters = ()

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, **params: Any) -> Any:
        return eta + xp.zeros_like(t)

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, **params: Any) -> Any:
        return -t * xp.exp(eta)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, **params: np.ndarray) -> np.ndarray:
        return -np.log1p(-p) * np.exp(-eta)


exponential = Exponential()
