"""Priors stated on interpretable scales, translated to the model's internal parameters.

A researcher thinks in hazard ratios (or time ratios) and in median lifespans, the model in
coefficients on the log scale and an intercept on a time scale where the median follow-up is
1. These helpers translate, and say how:

* :func:`hazard_ratio_prior` — "the hazard ratio of ``term`` per unit (or per SD) is about
  ``median``, and below ``upper`` with probability ``(1 + ci_prob) / 2``" becomes
  ``beta_unit[term]`` (per unit) or ``beta[term]`` (per SD) ``~ Normal(log median,
  (log upper - log median) / z)`` with ``z`` the standard normal quantile of
  ``(1 + ci_prob) / 2`` (1.96 for 95%), so ``[median^2 / upper, upper]`` is the central
  ``ci_prob`` interval. For AFT families the coefficient is a log **time ratio** (a factor on
  the lifespan), translated the same way.
* :func:`median_lifespan_prior` — "a typical coalition's median lifespan is about ``median``
  (data unit), below ``upper`` with probability ``(1 + ci_prob) / 2``" becomes the intercept's
  ``Normal(mu, sigma)``. Assumption: the translation holds at the **median of each ancillary
  parameter's prior** (e.g. shape 1 under ``LogNormal(0, 0.5)``) and at the **covariates'
  means** (the model standardises covariates, so there the linear predictor is the intercept),
  group effects 0, on the internal time scale ``tau`` (the median follow-up of the study's
  data, which the caller gives). ``mu`` solves ``median_lifespan(mu) = median / tau`` with the
  family's own quantile function and ``sigma = |eta(upper) - mu| / z``.

:meth:`PriorSet.hazard_ratio` and :meth:`PriorSet.median_lifespan` return a copy of the set
with the translated prior and its sentence (:func:`add`: recorded under
``provenance["translations"]``, saved with the file, printed by ``coalsurv priors show``).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy import optimize, stats

from coalsurv.errors import ArgumentError

__all__ = ["Translation", "hazard_ratio_prior", "median_lifespan_prior", "add"]


class Translation(NamedTuple):
    """A prior on an internal parameter and the sentence that explains the translation."""

    key: str
    prior: Any
    sentence: str


def _z(ci_prob: float) -> float:
    if not 0 < ci_prob < 1:
        raise ArgumentError(f"ci_prob must be in (0, 1), got {ci_prob!r}")
    return float(stats.norm.ppf(0.5 + ci_prob / 2))


def _family(family):
    from coalsurv.families import get_family

    return get_family(family)


def _g(x: float) -> str:
    return f"{x:.4g}"


def hazard_ratio_prior(term: str, *, median: float, upper: float, per: str = "unit",
                       ci_prob: float = 0.95, family="weibull", cause: str | None = None
                       ) -> Translation:
    """Translate a median and an upper bound of a ratio into a Normal prior on the coefficient.

    Parameters
    ----------
    term : str
        Covariate term.
    median, upper : float
        Median ratio (hazard ratio for PH families, time ratio for AFT) and the upper end of
        its central ``ci_prob`` interval; ``upper > median > 0``.
    per : {"unit", "sd"}
        Ratio per original unit of the covariate (key ``beta_unit[term]``) or per SD
        (``beta[term]``).
    ci_prob : float
        Probability of the central interval whose upper end is ``upper``.
    family : str or Family
        Decides the wording (hazard or time ratio).
    cause : str, optional
        Cause-specific key (``beta_unit[cause:term]``).
    """
    from coalsurv.spec.priors import Prior

    if per not in ("unit", "sd"):
        raise ArgumentError(f"per must be 'unit' or 'sd', got {per!r}")
    if not (median > 0 and upper > median):
        raise ArgumentError(f"need upper > median > 0, got median={median!r}, upper={upper!r}")
    z = _z(ci_prob)
    mu, sigma = math.log(median), (math.log(upper) - math.log(median)) / z
    inner = f"{cause}:{term}" if cause else term
    key = f"beta_unit[{inner}]" if per == "unit" else f"beta[{inner}]"
    ratio = "hazard ratio" if _family(family).kind == "ph" else "time ratio"
    lower = math.exp(mu - z * sigma)
    sentence = (f"{ratio} of {term} per {'unit' if per == 'unit' else 'SD'}: median "
                f"{_g(median)}, {ci_prob:.0%} interval {_g(lower)} to {_g(upper)} -> {key} ~ "
                f"Normal(mu = log {_g(median)} = {_g(mu)}, sigma = (log {_g(upper)} - log "
                f"{_g(median)}) / {z:.3f} = {_g(sigma)})")
    if _family(family).kind == "aft":
        sentence += ("; AFT coefficient priors are on beta/sigma (sigma the scale of log T), "
                     "so this is the time ratio at sigma = 1, the default prior's median")
    return Translation(key, Prior("Normal", mu=mu, sigma=sigma), sentence)


def _param_median(prior) -> float:
    if prior.dist == "LogNormal":
        return math.exp(float(prior.params.get("mu", 0.0)))
    if prior.dist in ("Normal", "StudentT"):
        return float(prior.params.get("mu", 0.0))
    raise ArgumentError(f"median_lifespan_prior: no closed-form median of a {prior.dist} "
                        "ancillary prior; give that parameter a LogNormal or Normal prior")


def _eta_for(fam, t: float, params: dict) -> float:
    """Linear predictor at which the family's median lifespan is ``t`` (internal scale)."""
    def gap(eta: float) -> float:
        q = float(fam.quantile(0.5, eta, **params))
        return (math.log(q) if np.isfinite(q) and q > 0 else 1e3) - math.log(t)

    lo, hi = -50.0, 50.0
    if np.sign(gap(lo)) == np.sign(gap(hi)):
        raise ArgumentError(f"no intercept gives a median lifespan of {t:g} time-scale units "
                            f"for family {fam.name!r} at {params}")
    return float(optimize.brentq(gap, lo, hi, xtol=1e-12))


def median_lifespan_prior(median: float, upper: float, *, time_scale: float,
                          unit: str = "days", family="weibull", priors=None,
                          ci_prob: float = 0.95, cause: str | None = None) -> Translation:
    """Intercept prior from a median lifespan and its upper bound (data unit).

    Parameters
    ----------
    median, upper : float
        Median lifespan of a typical coalition and the upper end of its central ``ci_prob``
        interval, in the data's time unit; ``upper > median > 0``.
    time_scale : float
        The model's internal time scale ``tau`` in the same unit: the median follow-up of
        the study's data (``fit.info.time_scale``, or the median positive duration rounded to
        three significant digits).
    unit : str
        Time unit, for the sentence.
    family : str or Family
        Family whose quantile function translates (not piecewise).
    priors : PriorSet, optional
        Whose ancillary priors' medians are assumed (default: the defaults).
    ci_prob : float
        Probability of the central interval.
    cause : str, optional
        Cause-specific key ``intercept[cause]``.
    """
    from coalsurv.spec.priors import Prior, PriorSet

    if not (median > 0 and upper > median):
        raise ArgumentError(f"need upper > median > 0, got median={median!r}, upper={upper!r}")
    if not time_scale > 0:
        raise ArgumentError(f"time_scale must be positive, got {time_scale!r}")
    fam = _family(family)
    if any(p.vector is not None for p in fam.parameters):
        raise ArgumentError(f"median_lifespan_prior: family {fam.name!r} has a vector "
                            "baseline; give its intercept prior directly")
    priors = priors if priors is not None else PriorSet()
    params = {p.name: _param_median(priors.get(f"{p.key}[{cause}]" if cause else p.key))
              for p in fam.parameters}
    z = _z(ci_prob)
    mu = _eta_for(fam, median / time_scale, params)
    sigma = abs(_eta_for(fam, upper / time_scale, params) - mu) / z
    key = f"intercept[{cause}]" if cause else "intercept"
    if fam.kind == "aft":  # AFT intercept priors are on eta / sigma (coalsurv.build.graph)
        scale = float(fam.log_time_scale(**params))
        mu, sigma = mu / scale, sigma / scale
    at = ", ".join(f"{k} = {_g(v)}" for k, v in params.items()) or "no ancillary parameter"
    sentence = (f"median lifespan of a typical coalition: {_g(median)} {unit}, {ci_prob:.0%} "
                f"upper bound {_g(upper)} {unit} -> {key} ~ Normal(mu = {_g(mu)}, sigma = "
                f"{_g(sigma)}) on the time scale {_g(time_scale)} {unit} = 1, for "
                f"{fam.name} at the prior medians ({at}) and the covariates' means")
    return Translation(key, Prior("Normal", mu=mu, sigma=sigma), sentence)


def add(priors, *translations: Translation):
    """Return a copy of ``priors`` with the translated priors set and their sentences kept."""
    from coalsurv.spec.priors import PriorSet

    merged = dict(priors.priors)
    said = dict(priors.provenance.get("translations", {}))
    for tr in translations:
        merged[tr.key] = tr.prior
        said[tr.key] = tr.sentence
    return PriorSet(merged, priors.name, priors.description,
                    {**priors.provenance, "translations": said})
