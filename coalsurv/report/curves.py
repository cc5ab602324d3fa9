"""Quantities of the PDF report that average over rows or move one covariate.

The marginal survival curve (compared with Kaplan–Meier) and the marginal cumulative incidence
(compared with Aalen–Johansen) average the posterior over the data's rows, each with its own
group effect; they are computed on a thinned set of posterior draws and in chunks of rows, so
that memory stays bounded for large data sets. Effect frames move one continuous covariate
(and its square, if the model has one) with the others at their means; :func:`prior_draws`
gets the prior draws from the fit layer for the prior predictive check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv._stats import crossing_time, summarise
from coalsurv.fit.members import TYPICAL

__all__ = [
    "MAX_DRAWS",
    "PRIOR_DRAWS",
    "continuous_covariates",
    "derived_squares",
    "effect_frame",
    "fitted_rows",
    "marginal_cif",
    "marginal_survival",
    "move_squares",
    "thinned_predictor",
    "prior_draws",
    "time_grid",
]

#: Posterior draws used for row-averaged (marginal) curves and effect curves.
MAX_DRAWS = 300
#: Prior draws for the prior predictive check.
PRIOR_DRAWS = 200
_CHUNK = 50


def thinned_predictor(fit, max_draws: int = MAX_DRAWS):
    """Predictor on at most ``max_draws`` evenly thinned posterior draws of ``fit``."""
    from coalsurv.fit.predict import Predictor

    return Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)


def fitted_rows(fit) -> pd.DataFrame:
    """Return the data's covariate and group columns (original units), one row per episode.

    Indexed by the episode ids, so that an ``mm()`` model finds each coalition's members.
    """
    return fit.data.episode_profiles()


def time_grid(fit, n: int = 60, *, start: float = 0.0) -> np.ndarray:
    """Evenly spaced times from ``start`` to the largest finite observed time."""
    data = fit.data
    upper = np.asarray(data.time_upper, dtype=float)
    t_max = float(np.nanmax(np.concatenate([np.asarray(data.time, float),
                                            upper[np.isfinite(upper)]])))
    return np.linspace(start, max(t_max, 1e-9), n)


def marginal_survival(fit, times, *, ci_prob: float, max_draws: int = MAX_DRAWS,
                      predictor=None) -> pd.DataFrame:
    """Posterior survival averaged over the data's rows (each with its own group effect).

    Returns a frame ``time, mean, lower, upper, ci_prob`` comparable with Kaplan–Meier.
    """
    pred = predictor or thinned_predictor(fit, max_draws)
    rows = fitted_rows(fit)
    total = None
    for start in range(0, len(rows), _CHUNK):
        part = pred.survival(times, rows.iloc[start:start + _CHUNK]).sum(axis=1)
        total = part if total is None else total + part
    stat = summarise(total / len(rows), ci_prob, skip_nan=True)
    return pd.DataFrame({"time": np.asarray(times, float), **stat, "ci_prob": ci_prob})


def marginal_cif(fit, times, *, ci_prob: float, max_draws: int = 150,
                 predictor=None) -> pd.DataFrame:
    """Cumulative incidence of each cause averaged over the data's rows (tidy, with ``cause``)."""
    pred = predictor or thinned_predictor(fit, max_draws)
    rows = fitted_rows(fit)
    total = None
    for start in range(0, len(rows), _CHUNK):
        part = pred.cumulative_incidence(times, rows.iloc[start:start + _CHUNK],
                                         n_grid=200).sum(axis=2)
        total = part if total is None else total + part
    draws = total / len(rows)  # (draw, cause, time)
    stat = summarise(draws, ci_prob, skip_nan=True)
    out = []
    for k, cause in enumerate(fit.info.causes):
        out.append(pd.DataFrame({"row": 0, "cause": cause, "time": np.asarray(times, float),
                                 **{key: v[k] for key, v in stat.items()},
                                 "ci_prob": ci_prob}))
    return pd.concat(out, ignore_index=True)


def prior_draws(fit, *, draws: int = PRIOR_DRAWS, random_seed: int | None = None):
    """Draws of the model's parameters from their priors (xarray Dataset: chain, draw, ...).

    Sampled by the fit layer (:meth:`coalsurv.SurvivalModel.sample_prior`) for the fit's data;
    the seed defaults to the fit's own.
    """
    from coalsurv.fit.model import SurvivalModel

    seed = fit.settings.random_seed if random_seed is None else random_seed
    model = SurvivalModel.from_spec(fit.spec, priors=fit.priors)
    return model.sample_prior(fit.data, draws=draws, random_seed=int(seed))


def lifespan_words(fit) -> str:
    """Return "median lifespan", or the median time to the modelled endings when some are not."""
    from coalsurv.fit.effects import lifespan_label

    return lifespan_label(fit)


def derived_squares(cov: pd.DataFrame) -> dict[str, str]:
    """Covariate columns that are the square of another (``power_hhi_sq`` -> ``power_hhi``)."""
    out = {}
    for b in cov.columns:
        for a in cov.columns:
            if a != b and np.allclose(cov[b].to_numpy(float), cov[a].to_numpy(float) ** 2,
                                      rtol=1e-4, atol=1e-5, equal_nan=True):  # rounded CSVs
                out[b] = a
                break
    return out


def move_squares(frame: pd.DataFrame, variable: str, cov: pd.DataFrame) -> None:
    """Set covariates that are the square of ``variable`` to its square (in place)."""
    for square, base in derived_squares(cov).items():
        if base == variable and square in frame.columns:
            frame[square] = frame[variable] ** 2


def continuous_covariates(fit) -> list[str]:
    """Return the model terms that are plain covariates taking more than two values.

    Squares of another covariate are left out: they move with it.
    """
    cov = fit.data.covariates
    derived = derived_squares(cov)
    return [t for t in fit.info.terms
            if t in cov.columns and cov[t].nunique() > 2 and t not in derived]


def effect_frame(fit, variable: str, *, ci_prob: float, n: int = 21,
                 predictor=None) -> pd.DataFrame:
    """Median lifespan against ``variable`` (5th to 95th percentile), others at their means.

    Group effects are set to zero (a typical group; for an ``mm()`` model a typical
    coalition, member term 0). A covariate that is the square of
    ``variable`` moves with it. Columns ``<variable>``, ``mean``, ``lower``, ``upper``,
    ``ci_prob``.
    """
    pred = predictor or thinned_predictor(fit, 200)
    cov = fit.data.covariates
    lo, hi = np.nanquantile(cov[variable], [0.05, 0.95])
    grid = np.linspace(lo, hi, n)
    base = cov.mean().to_frame().T
    newdata = pd.concat([base] * n, ignore_index=True)
    newdata[variable] = grid
    newdata.attrs["mm"] = TYPICAL  # an mm() model's typical coalition (member term 0)
    move_squares(newdata, variable, cov)
    parts = [_median(fit, pred, newdata.iloc[start:start + 7]) for start in range(0, n, 7)]
    draws = np.concatenate(parts, axis=1)
    draws = np.where(np.isfinite(draws), draws, np.nan)
    stat = summarise(draws, ci_prob, skip_nan=True)
    return pd.DataFrame({variable: grid, **stat, "ci_prob": ci_prob})


def _median(fit, pred, newdata: pd.DataFrame) -> np.ndarray:
    """Median time to any ending, (draw, row), group effects at zero; inf when never reached.

    Closed form for one modelled ending; otherwise overall survival on a grid, with linear
    interpolation at the crossing of 1/2.
    """
    if len(fit.info.causes) == 1:
        with np.errstate(all="ignore"):
            return pred.quantile(0.5, newdata, frailty="zero")
    grid = np.linspace(0.0, 10.0 * float(np.nanmax(np.asarray(fit.data.time, float))), 1500)
    surv = pred.survival(grid, newdata, frailty="zero")  # (draw, row, time)
    return crossing_time(surv, grid, 0.5)
