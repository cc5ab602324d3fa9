"""Prior predictive checks in human units: what a prior set says before seeing any outcome.

:func:`prior_predictive` draws the parameters from their priors (:func:`sample_prior`, no
outcome data) and translates them to quantities a researcher can judge: the implied **median
lifespan** of a typical coalition (every covariate at its mean in the data, group effect 0) in
the data's time unit, **hazard ratios per SD** of each covariate (time ratios for AFT
families), and **survival at a few times**. The summary is a tidy frame: ``quantity``,
``cause``, ``term``, ``time``, ``unit``, ``q05``, ``median``, ``q95``, ``share_absurd``.

A prior is *absurd* (:class:`AbsurdPriorWarning`) when more than ``max_share`` (1%) of its
mass puts the typical median lifespan over 1,000 years or under one day.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from coalsurv._format import TIME_UNITS
from coalsurv.backend.sampling import sample_prior
from coalsurv.errors import ArgumentError
from coalsurv.fit.predict import Predictor

__all__ = ["AbsurdPriorWarning", "prior_predictive", "absurd_share", "ABSURD_LIMITS"]

#: Bounds of plausible median lifespans, in days: one day and 1,000 years.
ABSURD_LIMITS = (1.0, 1000.0 * 365.25)


class AbsurdPriorWarning(UserWarning):
    """The priors put much mass on impossible coalition lifespans."""


def _typical_profile(data, design) -> pd.DataFrame:
    cov = data.covariates
    row = {c: [float(cov[c].mean())] for c in cov.columns}
    frame = pd.DataFrame(row)
    for g in design.groups:
        frame[g.term.factor] = ["(unseen)"]
    if design.strata is not None:  # stratified baselines: the most common stratum
        counts = np.bincount(design.strata.index)
        frame[design.strata.term.factor] = [design.strata.levels[int(counts.argmax())]]
    frame.attrs["mm"] = "typical"  # an mm() model's typical coalition (fit/members.py)
    return frame


def _medians(predictor: Predictor, profile: pd.DataFrame, unit: str) -> np.ndarray:
    """Median lifespan per prior draw, in the data's unit (inf when never reached)."""
    if len(predictor.info.causes) == 1:
        return np.asarray(predictor.quantile(0.5, profile, frailty="zero"))[:, 0]
    days = TIME_UNITS.get(unit, 1.0)
    grid = np.geomspace(0.01 / days, 1e5 * 365.25 / days, 400)
    surv = predictor.survival(grid, profile, frailty="zero")[:, 0, :]
    below = surv <= 0.5
    return np.where(below.any(axis=-1), grid[below.argmax(axis=-1)], np.inf)


def absurd_share(medians: np.ndarray, unit: str) -> float:
    """Share of median lifespans (in ``unit``) over 1,000 years or under one day."""
    days = TIME_UNITS.get(unit, 1.0)
    low, high = (limit / days for limit in ABSURD_LIMITS)
    m = np.asarray(medians, dtype=float)
    return float(np.mean(~np.isfinite(m) | (m > high) | (m < low) | np.isnan(m)))


def prior_predictive(model, data, *, draws: int = 1000, times=None, random_seed: int = 0,
                     max_share: float = 0.01, warn: bool = True) -> pd.DataFrame:
    """Summarise what the model's priors imply, in the data's time unit.

    Parameters
    ----------
    model : SurvivalModel
        Formula, family and priors (the priors being checked).
    data : CoalitionData
        Supplies covariate means and SDs, groups and the time unit (outcomes are not used
        except for the data-based intercept centre of the default prior).
    draws : int
        Prior draws.
    times : sequence of float, optional
        Times (data unit) for survival; default the quartiles of follow-up.
    random_seed : int
        Seed of the prior draws.
    max_share : float
        Largest acceptable share of prior mass on absurd median lifespans.
    warn : bool
        Emit :class:`AbsurdPriorWarning` when the share exceeds ``max_share``.

    Returns
    -------
    pandas.DataFrame
        Tidy summary; ``attrs["absurd_share"]`` and ``attrs["absurd"]`` (bool) give the verdict
        and ``attrs["limits"]`` the bounds in the data's unit.
    """
    if not 0 < max_share < 1:
        raise ArgumentError(f"max_share must be in (0, 1), got {max_share!r}")
    pm_model, design, info, _ = model.build(data)
    prior = sample_prior(pm_model, draws=draws, random_seed=random_seed)
    predictor = Predictor(info, design, prior, max_draws=None)
    profile = _typical_profile(data, design)
    unit = info.time_unit
    if times is None:
        times = np.quantile(np.asarray(data.time, dtype=float), [0.25, 0.5, 0.75])
    times = np.asarray(times, dtype=float).ravel()
    rows = []
    medians = _medians(predictor, profile, unit)
    share = absurd_share(medians, unit)
    rows.append(_row("median lifespan", "all", "", np.nan, unit, medians, share))
    ratio = {"ph": "hazard ratio per SD", "po": "odds ratio per SD"}.get(info.kind,
                                                                         "time ratio per SD")
    if "beta" in prior and info.terms:
        beta = predictor.draws["beta"]
        for k, cause in enumerate(info.causes):
            for j, term in enumerate(info.terms):
                rows.append(_row(ratio, cause, term, np.nan, "", np.exp(beta[:, k, j]), np.nan))
    with np.errstate(all="ignore"):
        surv = predictor.survival(times, profile, frailty="zero")[:, 0, :]
    for i, t in enumerate(times):
        rows.append(_row("survival", "all", "", float(t), unit, surv[:, i], np.nan))
    out = pd.DataFrame(rows)
    days = TIME_UNITS.get(unit, 1.0)
    out.attrs.update(absurd_share=share, absurd=share > max_share, max_share=max_share,
                     limits=tuple(limit / days for limit in ABSURD_LIMITS), unit=unit,
                     priors=model.priors.name)
    if warn and share > max_share:
        warnings.warn(
            f"prior set {model.priors.name!r}: {share:.1%} of the prior mass puts the median "
            f"lifespan of a typical coalition over 1,000 years or under one day (limit "
            f"{max_share:.0%}); tighten the intercept or shape priors (coalsurv priors check)",
            AbsurdPriorWarning, stacklevel=2)
    return out


def _row(quantity, cause, term, time, unit, values, share) -> dict:
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    q = np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else [np.inf] * 3
    if finite.size < v.size:  # infinite medians count at the top
        q = np.quantile(np.where(np.isfinite(v), v, np.inf), [0.05, 0.5, 0.95])
    return {"quantity": quantity, "cause": cause, "term": term, "time": time, "unit": unit,
            "q05": float(q[0]), "median": float(q[1]), "q95": float(q[2]),
            "share_absurd": share}
