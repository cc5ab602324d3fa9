"""Joint effects of a covariate over every term it enters (polynomials, interactions).

``fit.effect("power_hhi")`` moves one covariate across its range, moving its companions with it
(``power_hhi_sq = power_hhi ** 2``; formula-native ``I(x ** 2)`` and ``poly(x, 2)`` are
re-evaluated by the design), all other covariates at their means and group effects at zero (a
typical group). It reports, per value, the hazard ratio (time ratio for AFT families) against a
reference value and the median lifespan; ``fit.effect_contrasts("power_hhi")`` compares named
points (25th against 75th percentile, ...). Point estimates are posterior medians: ratios of
polynomial terms are heavily skewed, and their means mislead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, crossing_time
from coalsurv.errors import ArgumentError
from coalsurv.fit.members import TYPICAL
from coalsurv.fit.predict import Predictor
from coalsurv.fit.terms import TermFamily, term_families

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["DEFAULT_CONTRASTS", "effect", "effect_contrasts", "families", "forest_contrasts",
           "lifespan_label"]

#: Named contrasts of :func:`effect_contrasts`: percentiles of the covariate in the data.
DEFAULT_CONTRASTS = ((25.0, 75.0), (5.0, 95.0))


def families(fit: Fit) -> dict[str, TermFamily]:
    """Each covariate of the fit and the model terms it enters (see :mod:`coalsurv.fit.terms`)."""
    return term_families(tuple(fit.info.terms), fit.data.covariates)


def lifespan_label(fit: Fit) -> str:
    """Return what "lifespan" means here: time to any ending, or to the modelled ones.

    When the model leaves some endings out (they count as censoring), the median of its
    survival curve is the median time to a *modelled* ending, not the median lifespan.
    """
    info, data = fit.info, fit.data
    if info.pooled or set(info.causes) >= set(data.causes):
        return "median lifespan"
    return (f"median time to {' or '.join(info.causes)} (other endings counted as censoring)")


def _family(fit: Fit, variable: str) -> TermFamily:
    fams = families(fit)
    if variable not in fams:
        raise ArgumentError(
            f"effect: {variable!r} is not a covariate of the model; expected one of "
            f"{sorted(fams)}")
    return fams[variable]


def _profiles(fit: Fit, fam: TermFamily, values: np.ndarray) -> pd.DataFrame:
    """Covariate profiles at ``values`` of the variable, the rest at their means."""
    cov = fit.data.covariates
    base = cov.mean(numeric_only=True).to_frame().T
    frame = pd.concat([base] * len(values), ignore_index=True)
    frame[fam.variable] = values
    for companion in fam.companions:
        frame[companion] = values ** 2
    frame.attrs["mm"] = TYPICAL  # an mm() model's typical coalition (member term 0)
    return frame


def _median_times(fit: Fit, pred: Predictor, newdata: pd.DataFrame) -> np.ndarray:
    """Median time to a modelled ending, (draw, row), typical group; inf when never reached.

    Closed form for one ending without time-varying effects or a cure fraction; otherwise
    survival on a fine grid with linear interpolation at the crossing of 1/2 (no step artefacts
    in the curves and bands: a tve model's curves were staircases of the grid's spacing).
    """
    if len(fit.info.causes) == 1 and pred.tve is None and not fit.info.cure:
        with np.errstate(all="ignore"):
            return pred.quantile(0.5, newdata, frailty="zero")
    t_max = 10.0 * float(np.nanmax(np.asarray(fit.data.time, float)))
    grid = np.linspace(0.0, t_max, 1500)
    out = []
    for start in range(0, len(newdata), 8):
        surv = pred.survival(grid, newdata.iloc[start:start + 8], frailty="zero")
        out.append(crossing_time(surv, grid, 0.5))
    return np.concatenate(out, axis=1)


def _quantiles(draws: np.ndarray, ci_prob: float) -> dict[str, np.ndarray]:
    """Posterior median and equal-tailed interval over axis 0 (infinite draws kept)."""
    a = (1 - ci_prob) / 2
    lo, med, hi = np.quantile(draws, [a, 0.5, 1 - a], axis=0)
    return {"median": med, "lower": lo, "upper": hi}


def _check_values(values, name: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ArgumentError(f"effect: {name} must be numbers, got {values!r}") from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ArgumentError(f"effect: {name} must be a non-empty 1-D sequence of finite "
                            f"numbers, got {values!r}")
    return arr


def _check_count(value, name: str, low: int) -> int:
    """Return an integer option (``n``, ``max_draws``) of at least ``low``, or refuse it."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer) or (
            value < low):
        raise ArgumentError(f"effect: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def effect(fit: Fit, variable: str, *, values=None, reference: float | None = None,
           n: int = 41, ci_prob: float = DEFAULT_CI_PROB, max_draws: int = 400) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.effect` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    n, max_draws = _check_count(n, "n", 2), _check_count(max_draws, "max_draws", 1)
    fam = _family(fit, variable)
    x = fit.data.covariates[variable].to_numpy(float)
    if values is None:
        lo, hi = np.nanquantile(x, [0.05, 0.95])
        values = np.linspace(lo, hi, n)
    values = _check_values(values, "values")
    ref = float(np.nanmedian(x)) if reference is None else float(
        _check_values(reference, "reference")[0])
    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    profiles = _profiles(fit, fam, np.append(values, ref))
    eta, _ = pred.eta(profiles, frailty="zero")  # (draw, cause, row)
    ratio = np.exp(eta[:, :, :-1] - eta[:, :, -1:])
    ratio_name = fit.ratio_name
    rows = []
    for k, cause in enumerate(fit.info.causes):
        stat = _quantiles(ratio[:, k, :], ci_prob)
        rows.append(pd.DataFrame({"quantity": ratio_name, "cause": cause, "value": values,
                                  **stat, "ci_prob": ci_prob}))
    med = _median_times(fit, pred, profiles.iloc[:-1])
    stat = _quantiles(med, ci_prob)
    label = lifespan_label(fit)
    rows.append(pd.DataFrame({"quantity": label, "cause": "any modelled ending",
                              "value": values, **stat, "ci_prob": ci_prob}))
    out = pd.DataFrame(pd.concat(rows, ignore_index=True))
    out.insert(2, "variable", variable)
    out.attrs.update(variable=variable, reference=ref, terms=fam.terms, kind=fam.kind,
                     ratio=ratio_name, lifespan=label, time_unit=fit.time_unit,
                     n_draws=pred.n_draws)
    return out


def effect_contrasts(fit: Fit, variable: str, *, percentiles=DEFAULT_CONTRASTS,
                     values=None, ci_prob: float = DEFAULT_CI_PROB,
                     max_draws: int = 400) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.effect_contrasts` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    max_draws = _check_count(max_draws, "max_draws", 1)
    fam = _family(fit, variable)
    x = fit.data.covariates[variable].to_numpy(float)
    pairs, names = [], []
    if values is not None:
        for pair in values:
            a, b = _check_values(pair, "values (pairs of from, to)")[:2]
            pairs.append((a, b))
            names.append(f"{variable} {a:g} vs {b:g}")
    else:
        for pair in percentiles:
            pa, pb = _check_values(pair, "percentiles (pairs of from, to)")[:2]
            if not (0 <= pa <= 100 and 0 <= pb <= 100):
                raise ArgumentError(f"effect_contrasts: percentiles must lie in [0, 100], "
                                    f"got {pair!r}")
            a, b = np.nanpercentile(x, [pa, pb])
            pairs.append((float(a), float(b)))
            names.append(f"{_ordinal(pb)} vs {_ordinal(pa)} percentile")
    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    flat = np.asarray(pairs, dtype=float).ravel()
    profiles = _profiles(fit, fam, flat)
    eta, _ = pred.eta(profiles, frailty="zero")
    med = _median_times(fit, pred, profiles)
    label = lifespan_label(fit)
    a = (1 - ci_prob) / 2
    rows = []
    for i, name in enumerate(names):
        lo_i, hi_i = 2 * i, 2 * i + 1
        base = {"contrast": name, "variable": variable, "from": pairs[i][0], "to": pairs[i][1]}
        for k, cause in enumerate(fit.info.causes):
            r = np.exp(eta[:, k, hi_i] - eta[:, k, lo_i])
            rows.append({**base, "quantity": fit.ratio_name, "cause": cause,
                         "median": float(np.median(r)),
                         "lower": float(np.quantile(r, a)), "upper": float(np.quantile(r, 1 - a)),
                         "ci_prob": ci_prob, "prob_above": float(np.mean(r > 1))})
        m0, m1 = med[:, lo_i], med[:, hi_i]
        with np.errstate(invalid="ignore"):
            diff = m1 - m0
        for what, draws in ((f"{label} at from", m0), (f"{label} at to", m1),
                            (f"difference in {label} (to - from)", diff)):
            rows.append({**base, "quantity": what, "cause": "any modelled ending",
                         "median": float(np.median(draws)),
                         "lower": float(np.quantile(draws, a)),
                         "upper": float(np.quantile(draws, 1 - a)), "ci_prob": ci_prob,
                         "prob_above": float(np.mean(draws > 0)) if "difference" in what
                         else np.nan})
    out = pd.DataFrame(rows)
    out.attrs.update(variable=variable, terms=fam.terms, kind=fam.kind, ratio=fit.ratio_name,
                     lifespan=label, time_unit=fit.time_unit, n_draws=pred.n_draws)
    return out


def forest_contrasts(fit: Fit, *, percentiles=(25.0, 75.0), ci_prob: float = DEFAULT_CI_PROB,
                     max_draws: int = 400) -> pd.DataFrame | None:
    """Rows of the forest plot for covariates entering several terms; None when there are none.

    One row per such covariate (and cause): its joint ratio between two percentiles, from
    :func:`effect_contrasts`, with the family's ``terms`` (a tuple) in each row: the
    ``contrasts=`` frame of :func:`coalsurv.plots.plot_forest`.
    """
    parts = []
    for name, fam in families(fit).items():
        if not fam.joint:
            continue
        con = effect_contrasts(fit, name, percentiles=[percentiles], ci_prob=ci_prob,
                               max_draws=max_draws)
        con = con[con["quantity"] == fit.ratio_name]
        parts.append(con.assign(terms=[fam.terms] * len(con)))
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(ratio=fit.ratio_name, ci_prob=ci_prob)
    return out


def _ordinal(p: float) -> str:
    n = int(round(p))
    if abs(p - n) > 1e-9:
        return f"{p:g}th"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
