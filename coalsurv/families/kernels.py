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

from coalsurv.families.kernels_gamma import GAMMA, GENGAMMA, gamma_terms
from coalsurv.families.kernels_normal import HALF_LOG_2PI, log_normal_sf

__all__ = ["KERNEL_FAMILIES", "PER_BASELINE", "SCALE_SIGN", "family_terms", "family_terms_at",
           "interval_terms", "log_cdf_terms", "log_normal_sf", "sigmoid", "softplus"]

#: Family name -> integer code of :func:`family_terms` (only these run natively). The
#: piecewise baseline (code 3) has a vector parameter: the kernel itself evaluates it
#: (:data:`coalsurv.backend.kernel.PIECEWISE`), not :func:`family_terms`; so does the
#: Royston-Parmar spline (code 7, :mod:`coalsurv.backend.kernel_spline`). The gamma (8) and
#: generalised gamma (9) are in :mod:`coalsurv.families.kernels_gamma`; the latter's second
#: parameter ``Q`` rides in the spline's extension slot (``kernel_spline.terms``).
KERNEL_FAMILIES: dict[str, int] = {"exponential": 0, "weibull_ph": 1, "weibull_aft": 2,
                                   "piecewise": 3, "lognormal": 4, "loglogistic": 5,
                                   "gompertz": 6, "rp": 7, "gamma": GAMMA,
                                   "gengamma": GENGAMMA}

#: Families whose ancillary parameter is sampled per unit of the baseline hazard
#: (``theta = sampled x exp(intercept)``, a real number): the Gompertz ageing.
PER_BASELINE: tuple[str, ...] = ("gompertz",)

#: AFT families: the scale of log T is ``exp(sign * log theta)`` (``1/shape`` or ``sigma``;
#: the gamma's ``1/sqrt(shape)``, sign -1/2).
#: Their priors are on eta/sigma (``intercept_std``, ``beta_std``), which the kernel scales.
SCALE_SIGN: dict[str, float] = {"weibull_aft": -1, "lognormal": 1, "loglogistic": -1,
                                "gamma": -0.5, "gengamma": 1}

@njit(cache=True, inline="always", error_model="numpy")
def softplus(u):
    """``log(1 + e^u)`` without overflow."""
    if u > 0.0:
        return u + math.log1p(math.exp(-u))
    return math.log1p(math.exp(u))


@njit(cache=True, inline="always", error_model="numpy")
def sigmoid(u):
    """``1 / (1 + e^-u)`` without overflow."""
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


@njit(cache=True, inline="always", error_model="numpy")
def _expm1_over_x(x):
    """``(e^x - 1) / x``, 1 at 0 (the series below ``|x| = 1e-5``, as the families' own)."""
    if abs(x) < 1e-5:
        return 1.0 + x * (0.5 + x / 6.0)
    return math.expm1(x) / x


@njit(cache=True, inline="always", error_model="numpy")
def _gompertz_dgamma(x):
    """``(x e^x - e^x + 1) / x^2``: the Gompertz cumulative hazard's ``gamma`` derivative / t^2."""
    if abs(x) < 1e-3:
        return 0.5 + x * (1.0 / 3.0 + x * (0.125 + x / 30.0))
    return (x * math.exp(x) - math.expm1(x)) / (x * x)


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
    if fam == 4:  # log-normal: z = (log t - eta) / sigma, S = 1 - Phi(z)
        z = (log_t - eta) / theta
        log_s, d_z = log_normal_sf(z)  # d log S / dz = -lambda(z)
        lam = -d_z
        log_h = -log_t - log_theta - HALF_LOG_2PI - 0.5 * z * z - log_s
        return (log_h, (z - lam) / theta, (z * (z - lam) - 1.0) / theta,
                log_s, lam / theta, lam * z / theta)
    if fam == 6:  # Gompertz: h = e^(eta + gamma t), H = e^eta t expm1(gamma t) / (gamma t)
        e = math.exp(eta)
        if t == math.inf:  # S(inf): the cured share exp(e^eta / gamma) when gamma < 0
            if theta < 0.0:
                return math.inf, 0.0, 0.0, e / theta, e / theta, -e / (theta * theta)
            return math.inf, 0.0, 0.0, -math.inf, 0.0, 0.0
        log_s = -e * t * _expm1_over_x(theta * t)
        return eta + theta * t, 1.0, t, log_s, log_s, -e * t * t * _gompertz_dgamma(theta * t)
    if fam == 5:  # log-logistic: u = k (log t - eta), S = 1 / (1 + e^u)
        r = log_t - eta
        u = theta * r
        soft = softplus(u)
        sig = sigmoid(u)
        sig_neg = sigmoid(-u)
        log_h = log_theta - log_t + u - soft
        return (log_h, -theta * sig_neg, 1.0 / theta + r * sig_neg,
                -soft, theta * sig, -sig * r)
    if fam == GAMMA:  # gamma: coalsurv.families.kernels_gamma
        return gamma_terms(t, log_t, eta, theta, log_theta)
    if fam == GENGAMMA:  # needs Q: coalsurv.backend.kernel_spline.terms calls gengamma_terms
        return math.nan, math.nan, math.nan, math.nan, math.nan, math.nan
    # Weibull AFT: h = k t^(k-1) e^(-k eta), H = (t e^-eta)^k
    r = log_t - eta
    log_h = log_theta - log_t + theta * r
    log_s = -math.exp(theta * r)
    return log_h, -theta, 1.0 / theta + r, log_s, -theta * log_s, log_s * r


@njit(cache=True, error_model="numpy", fastmath=False)
def family_terms_at(fam, t, log_t, eta, theta, log_theta):
    """:func:`family_terms` compiled once as a function of its own: a call, not a copy.

    ``family_terms`` is inlined (numba IR) where every row needs it (a row's exit time); the
    kernel's other uses call this instead, so the compile does not repeat its body for each.
    """
    return family_terms(fam, t, log_t, eta, theta, log_theta)


@njit(cache=True, error_model="numpy", fastmath=False)
def log_cdf_terms(fam, t, log_t, eta, theta):
    """``log F(t)`` and its ``eta`` and ``theta`` derivatives, for the log-normal and log-logistic.

    Exact in the lower tail, where ``log S`` rounds to ``-0`` and ``F = 1 - S`` to 0 (the
    interval row there: :func:`coalsurv.backend.kernel_ending.lean_row`). ``t = 0`` gives
    ``(-inf, 0, 0)``.
    """
    if t <= 0.0:
        return -math.inf, 0.0, 0.0
    if fam == 4:  # log F = log Phi(z) = log(1 - Phi(-z)), z = (log t - eta) / sigma
        z = (log_t - eta) / theta
        log_f, d_neg = log_normal_sf(-z)  # d log F / dz = -d_neg
        return log_f, d_neg / theta, d_neg * z / theta
    u = theta * (log_t - eta)  # log-logistic: log F = -softplus(-u)
    sig_neg = sigmoid(-u)
    return -softplus(-u), -theta * sig_neg, (log_t - eta) * sig_neg


@njit(cache=True, inline="always", error_model="numpy")
def _log1mexp(x):
    """``log(1 - e^x)`` for ``x <= 0``, accurate on both sides of ``-log 2``."""
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit(cache=True, inline="always", error_model="numpy")
def interval_terms(log_sl, dl_eta, dl_th, log_su, du_eta, du_th):
    """``log(S(l) - S(u))`` and its ``eta`` and ``theta`` derivatives from both ends' terms.

    The survival form where ``S(u) <= 1/2``, else the distribution-function form (as
    :meth:`coalsurv.families.base.Family.log_interval`), so neither cancels nor underflows.
    """
    if log_su == -math.inf:  # u = inf: right-censored at l
        return log_sl, dl_eta, dl_th
    if log_su <= -0.6931471805599453:
        val = log_sl + _log1mexp(log_su - log_sl)
    else:
        log_fl = _log1mexp(log_sl) if log_sl < 0.0 else -math.inf
        log_fu = _log1mexp(log_su)
        val = log_fu + _log1mexp(log_fl - log_fu)
    wl = math.exp(log_sl - val)
    wu = math.exp(log_su - val)
    return val, wl * dl_eta - wu * du_eta, wl * dl_th - wu * du_th
