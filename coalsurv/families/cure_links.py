r"""Cure models' cured share from a linear predictor: links and the promotion-time model.

One formula for NumPy predictions and PyTensor graphs (``xp``), as the families.

Mixture cure (``cure_type="mixture"``): :math:`S(t) = \pi + (1 - \pi) S_u(t)` with the cured
share :math:`\pi` given by the link of the linear predictor :math:`\ell`:

=============  =====================================  ===================================
link           :math:`\pi`                            :math:`\log\pi`, :math:`\log(1-\pi)`
=============  =====================================  ===================================
``logit``      :math:`1/(1 + e^{-\ell})`               :math:`-\mathrm{softplus}(\mp\ell)`
``probit``     :math:`\Phi(\ell)`                      :math:`\log\Phi(\pm\ell)`
``cloglog``    :math:`1 - \exp(-e^{\ell})`             :math:`\mathrm{log1mexp}(-e^{\ell})`,
                                                       :math:`-e^{\ell}`
=============  =====================================  ===================================

Promotion-time (non-mixture) cure (``cure_type="promotion"``): :math:`S(t) = \exp\{-\theta
F_u(t)\}`, cured share :math:`\pi = e^{-\theta}`, with :math:`\theta = e^{-\ell}` so that, as in
the mixture, a larger :math:`\ell` means more cured coalitions (:math:`\log(-\log\pi) = -\ell`).
Its population hazard is :math:`\theta f_u(t)`.
"""

from __future__ import annotations

from typing import Any

from coalsurv.families.math import Namespace

__all__ = ["CURE_LINKS", "CURE_TYPES", "log_cured_share", "log_shares", "promotion_theta"]

CURE_LINKS = ("logit", "probit", "cloglog")
CURE_TYPES = ("mixture", "promotion")


def log_shares(lin: Any, link: str, xp: Namespace):
    r"""Return :math:`(\log\pi, \log(1-\pi))` of a mixture cure's cured share."""
    lin = xp.asarray(lin)
    if link == "logit":
        return -xp.logaddexp(0.0, -lin), -xp.logaddexp(0.0, lin)
    if link == "probit":
        return xp.log_ndtr(lin), xp.log_ndtr(-lin)
    if link == "cloglog":
        rate = xp.exp(lin)
        return xp.log1mexp(-rate), -rate
    raise ValueError(f"cure link {link!r}; expected one of {CURE_LINKS}")


def promotion_theta(lin: Any, xp: Namespace) -> Any:
    r"""Return :math:`\theta = e^{-\ell}` of the promotion-time model (cured share e^{-theta})."""
    return xp.exp(-xp.asarray(lin))


def log_cured_share(lin: Any, link: str, cure_type: str, xp: Namespace) -> Any:
    r"""Return :math:`\log\pi` for either cure type."""
    if cure_type == "promotion":
        return -promotion_theta(lin, xp)
    return log_shares(lin, link, xp)[0]
