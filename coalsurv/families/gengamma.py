r"""Generalised gamma (Prentice 1974) and gamma families (accelerated failure time).

Generalised gamma (``gengamma``), location :math:`\mu = \eta`, scale :math:`\sigma > 0`, shape
:math:`Q` (any real). With :math:`w = (\log t - \eta)/\sigma`, :math:`a = Q^{-2}` and
:math:`u = a\, e^{Q w}` (a standard gamma variable of shape :math:`a`):

.. math::

    \log f(t) = \log|Q| - \log\sigma - \log t + a \log u - u - \log\Gamma(a), \qquad
    S(t) = \begin{cases} Q(a, u) & Q > 0 \\ P(a, u) & Q < 0, \end{cases}

with :math:`P`, :math:`Q` the regularised incomplete gamma functions. :math:`Q = 1` is the
Weibull (shape :math:`1/\sigma`), :math:`Q = \sigma` the gamma, :math:`Q = 0` the
log-normal (:math:`\log T \sim \mathrm{Normal}(\eta, \sigma)`), :math:`Q = -1` the inverse
Weibull. For :math:`|Q| <` :data:`Q_SERIES` the second-order expansion in :math:`Q` is used
(exact at 0, error :math:`O(Q^3)`): :math:`a` grows without bound, and the incomplete gamma
functions of scipy and PyTensor lose accuracy in the tails for :math:`a \gtrsim 10^7`
(:math:`\log P(10^8, a - 6\sqrt{a})` is off by 0.34) and their gradient in :math:`a` turns
``nan`` near :math:`10^{10}`:

.. math::

    \log f = \log\phi(w) - \tfrac{Q}{6} w^3 - \tfrac{Q^2}{24}(w^4 + 2) - \log\sigma - \log t,
    \qquad S = \Phi(-w) - \phi(w)\left[\tfrac{Q}{6}(w^2 + 2)
    - \tfrac{Q^2}{72} w (w^4 + 2 w^2 + 6)\right].

scipy equivalent (:math:`Q \ne 0`): ``gengamma(a=Q**-2, c=Q/sigma,
scale=exp(eta) * a**(-sigma/Q))``.

Gamma (``gamma``), shape :math:`k > 0`, scale :math:`e^{\eta}`: with :math:`x = t e^{-\eta}`,
:math:`\log f = k\log x - x - \log\Gamma(k) - \log t`, :math:`S = Q(k, x)`; scipy
``gamma(a=k, scale=exp(eta))``. Its scale of log T is taken as :math:`1/\sqrt{k}` (the SD of
log T is :math:`\sqrt{\psi'(k)} \approx 1/\sqrt{k}`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import Namespace

__all__ = ["GenGamma", "Gamma", "gengamma", "gamma", "Q_SERIES"]

#: Below this |Q| the generalised gamma uses its first-order expansion around the log-normal.
Q_SERIES = 1e-3
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: Cap of ``Q w`` (so that ``u = a e^{Q w}`` stays finite far in a tail).
_MAX_QW = 650.0


def _split(Q: Any, xp: Namespace):
    """Where the series is used, and Q made safe for each branch (double-where pattern)."""
    small = (Q < Q_SERIES) & (Q > -Q_SERIES)
    q_direct = xp.where(small, 1.0, Q)
    q_series = xp.where(small, Q, 0.0)
    return small, q_direct, q_series


def _direct(t: Any, eta: Any, xp: Namespace, sigma: Any, Q: Any):
    """Return log f, log S, log F of the generalised gamma for |Q| away from 0."""
    log_t = xp.log(t)
    w = (log_t - eta) / sigma
    a = 1.0 / xp.square(Q)
    log_u = -2.0 * xp.log(xp.maximum(Q, -Q)) + xp.minimum(Q * w, _MAX_QW)
    u = xp.exp(log_u)
    log_f = (xp.log(xp.maximum(Q, -Q)) - xp.log(sigma) - log_t + a * log_u - u
             - xp.gammaln(a))
    upper, lower = xp.log_gammaincc(a, u), xp.log_gammainc(a, u)
    positive = Q > 0
    return log_f, xp.where(positive, upper, lower), xp.where(positive, lower, upper)


def _series(t: Any, eta: Any, xp: Namespace, sigma: Any, Q: Any):
    """Return log f, log S, log F to second order in Q (around the log-normal)."""
    log_t = xp.log(t)
    w = (log_t - eta) / sigma
    w2 = xp.square(w)
    log_phi = -_HALF_LOG_2PI - 0.5 * w2
    log_f = (log_phi - Q * w * w2 / 6.0 - xp.square(Q) * (xp.square(w2) + 2.0) / 24.0
             - xp.log(sigma) - log_t)
    log_s0, log_f0 = xp.log_ndtr(-w), xp.log_ndtr(w)
    corr = _correction(w, w2, Q)
    bound = 0.5  # the expansion holds where the correction is small; keep log1p finite
    log_s = log_s0 + xp.log1p(xp.minimum(xp.maximum(-corr * xp.exp(log_phi - log_s0),
                                                     -bound), bound))
    log_cdf = log_f0 + xp.log1p(xp.minimum(xp.maximum(corr * xp.exp(log_phi - log_f0),
                                                       -bound), bound))
    return log_f, log_s, log_cdf


def _correction(w: Any, w2: Any, Q: Any) -> Any:
    """``(F - Phi(w)) / phi(w)`` to second order in Q."""
    return Q * (w2 + 2.0) / 6.0 - Q * Q * w * (w2 * w2 + 2.0 * w2 + 6.0) / 72.0


class GenGamma(Family):
    r"""Generalised gamma (Prentice), AFT: location :math:`\eta`, scale ``sigma``, shape ``Q``."""

    name = "gengamma"
    aliases = ("generalised_gamma", "generalized_gamma")
    label = "Generalised gamma (accelerated failure time)"
    kind = "aft"
    shape_parameter = "sigma"
    parameters = (
        Parameter("sigma", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                  "scale of log lifespan"),
        Parameter("Q", "real", ("Normal", {"mu": 0.0, "sigma": 1.0}),
                  "shape: 0 log-normal, 1 Weibull, sigma gamma"),
    )

    def _parts(self, t: Any, eta: Any, xp: Namespace, sigma: Any, Q: Any):
        small, q_direct, q_series = _split(Q, xp)
        d = _direct(t, eta, xp, sigma, q_direct)
        s = _series(t, eta, xp, sigma, q_series)
        return [xp.where(small, b, a) for a, b in zip(d, s, strict=True)]

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any, Q: Any) -> Any:
        log_f, log_s, _ = self._parts(t, eta, xp, sigma, Q)
        return log_f - log_s

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any, Q: Any) -> Any:
        return self._parts(t, eta, xp, sigma, Q)[1]

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, *, sigma: Any, Q: Any) -> Any:
        return self._parts(t, eta, xp, sigma, Q)[2]

    def _log_time_scale(self, xp: Namespace, *, sigma: Any, Q: Any) -> Any:
        return sigma

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, sigma: Any, Q: Any) -> np.ndarray:
        import scipy.special as sc  # at first use: not on a fit's path

        sigma = np.asarray(sigma, dtype=float)
        Q = np.asarray(Q, dtype=float)
        small = np.abs(Q) < Q_SERIES
        q = np.where(small, 1.0, Q)
        a = 1.0 / q**2
        u = np.where(q > 0, sc.gammaincinv(a, p), sc.gammainccinv(a, p))
        w_direct = (np.log(u) - np.log(a)) / q
        q_small = np.where(small, Q, 0.0)
        z = sc.ndtri(p)
        w_series = z + q_small * (z**2 - 1.0) / 6.0  # Cornish-Fisher, then Newton steps
        for _ in range(3):
            w2 = w_series**2
            cdf = sc.ndtr(w_series) + st_phi(w_series) * _correction(w_series, w2, q_small)
            dens = st_phi(w_series) * np.exp(-q_small * w_series * w2 / 6.0
                                             - q_small**2 * (w2**2 + 2.0) / 24.0)
            step = np.where(np.isfinite(w_series), (cdf - p) / dens, 0.0)
            w_series = w_series - np.where(np.isfinite(step), step, 0.0)
        return np.exp(eta + sigma * np.where(small, w_series, w_direct))


def st_phi(w: np.ndarray) -> np.ndarray:
    """Return the standard normal density (NumPy)."""
    return np.exp(-0.5 * w**2 - _HALF_LOG_2PI)


class Gamma(Family):
    r"""Gamma, AFT: shape :math:`k`, scale :math:`e^{\eta}`, :math:`S = Q(k, t e^{-\eta})`."""

    name = "gamma"
    label = "Gamma (accelerated failure time)"
    kind = "aft"
    shape_parameter = "shape"
    parameters = (
        Parameter("shape", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                  "gamma shape (hazard rises to a plateau when > 1)"),
    )

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        log_t = xp.log(t)
        log_x = log_t - eta
        x = xp.exp(xp.minimum(log_x, _MAX_QW))
        log_f = shape * log_x - x - xp.gammaln(shape) - log_t
        return log_f - xp.log_gammaincc(shape, x)

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        x = xp.exp(xp.minimum(xp.log(t) - eta, _MAX_QW))
        return xp.log_gammaincc(shape, x)

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, *, shape: Any) -> Any:
        x = xp.exp(xp.minimum(xp.log(t) - eta, _MAX_QW))
        return xp.log_gammainc(shape, x)

    def _log_time_scale(self, xp: Namespace, *, shape: Any) -> Any:
        return 1.0 / xp.sqrt(shape)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, shape: Any) -> np.ndarray:
        import scipy.special as sc  # at first use: not on a fit's path

        return np.exp(eta) * sc.gammaincinv(np.asarray(shape, dtype=float), p)


gengamma = GenGamma()
gamma = Gamma()
