"""Helpers shared by the diagnostics modules.

Observed outcomes on the model's terms, Kaplan-Meier step functions, per-row posterior log
survival, and the single pass over the fitted rows that PPC, Brier scores and calibration share.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._stats import log_mean_exp

__all__ = ["K_THRESHOLD", "PPC_POINTS", "Outcomes", "SurvivalPass", "chunks", "fitted_rows",
           "kaplan_meier", "km_at", "outcomes", "row_log_survival", "step", "survival_pass"]

#: Times at which the posterior predictive curves are compared with KM / Aalen–Johansen.
PPC_POINTS = 25
#: Pareto k above which a row's PSIS-LOO estimate is unreliable.
K_THRESHOLD = 0.7


@dataclass(frozen=True)
class Outcomes:
    """Observed outcomes on the model's terms: modelled endings only, pooled or per cause."""

    exit: np.ndarray      # exact time, or the midpoint of an interval
    time: np.ndarray      # lower bound (= exit for exact rows)
    upper: np.ndarray     # upper bound of interval rows, inf otherwise
    entry: np.ndarray
    code: np.ndarray      # 0 censored (or an ending not modelled), k + 1 for modelled cause k
    interval: np.ndarray  # bool: interval-censored ending

    @property
    def event(self) -> np.ndarray:
        """Whether each row ended in a modelled way."""
        return self.code > 0


def outcomes(fit) -> Outcomes:
    """Return the fit's observed outcomes on the model's terms (interval rows at their midpoint)."""
    data, info = fit.data, fit.info
    status = np.asarray(data.status)
    cause = np.asarray(data.cause_index)
    time = np.asarray(data.time, dtype=float)
    upper = np.asarray(data.time_upper, dtype=float)
    if info.pooled:
        code = np.where(cause >= 0, 1, 0)
    else:
        code = np.zeros(data.n, dtype=int)
        for k, label in enumerate(info.causes):
            code[cause == data.causes.index(label)] = k + 1
    interval = (status == 2) & (code > 0)
    exit_ = np.where(interval, 0.5 * (time + upper), time)
    return Outcomes(exit_, time, np.where(interval, upper, np.inf),
                    np.asarray(data.entry, dtype=float), code, interval)


def fitted_rows(fit) -> pd.DataFrame:
    """Covariates and group labels of the fitted rows (original units, index = ids)."""
    return fit.data.episode_profiles()


def kaplan_meier(times, events, *, entry=None, ci_prob=0.95):
    """Kaplan–Meier fit (lifelines) with delayed entry when any ``entry`` is positive."""
    from lifelines import KaplanMeierFitter

    entry = entry if entry is not None and np.any(entry > 0) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter().fit(times, event_observed=events, entry=entry,
                                       alpha=1 - ci_prob)


def step(index: np.ndarray, values: np.ndarray, t: np.ndarray, *, left: bool = False,
         start: float = 1.0) -> np.ndarray:
    """Right-continuous step function through (index, values) at t (left limit if ``left``)."""
    pos = np.searchsorted(index, t, side="left" if left else "right") - 1
    return np.where(pos >= 0, values[np.maximum(pos, 0)], start)


def km_at(kmf, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate and its interval at times ``t`` (NaN bounds become 0 and 1)."""
    idx = np.asarray(kmf.survival_function_.index, dtype=float)
    est = step(idx, kmf.survival_function_.iloc[:, 0].to_numpy(), t)
    ci = kmf.confidence_interval_survival_function_
    lo = step(idx, ci.iloc[:, 0].to_numpy(), t)
    hi = step(idx, ci.iloc[:, 1].to_numpy(), t)
    return est, np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def row_log_survival(pred, times: np.ndarray, newdata: pd.DataFrame) -> np.ndarray:
    """Log S(t_i | x_i) of each row at its own time, per draw: (draw, row), summed over causes."""
    t = np.asarray(times, dtype=float) / pred.info.time_scale
    eta, free_sd = pred.eta(newdata)
    nodes, weights = pred.quadrature(free_sd)
    total = np.zeros((eta.shape[0], eta.shape[2]))
    for k in range(eta.shape[1]):
        e = eta[:, k, :, None, None] + free_sd[:, k, :, None, None] * nodes[None, None, :, None]
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            ls = pred.cause_log_survival(t[None, :, None, None], e, k, newdata)
        ls = np.broadcast_to(ls, e.shape)
        total += log_mean_exp(ls, weights, axis=2)[..., 0]
    return total


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices of ``range(n)`` of at most ``size`` rows each."""
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _brier_weights(out: Outcomes, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IPCW weights (Graf et al. 1999) of each row at each time: (row, time) x 2."""
    censor = kaplan_meier(out.exit, ~out.event)
    idx = np.asarray(censor.survival_function_.index, dtype=float)
    g = censor.survival_function_.iloc[:, 0].to_numpy()
    g_own = step(idx, g, out.exit, left=True)  # G(T_i-)
    g_t = step(idx, g, grid)
    with np.errstate(divide="ignore"):
        inv_own = np.where(g_own > 0, 1 / g_own, 0.0)
        inv_t = np.where(g_t > 0, 1 / g_t, 0.0)
    died = (out.exit[:, None] <= grid[None, :]) & out.event[:, None]
    alive = out.exit[:, None] > grid[None, :]
    return died * inv_own[:, None], alive * inv_t[None, :]


@dataclass
class SurvivalPass:
    """Posterior survival of the fitted rows, computed once (in chunks of rows)."""

    out: Outcomes
    n_draws: int
    ppc_grid: np.ndarray
    brier_grid: np.ndarray
    horizons: np.ndarray
    t_ref: float
    w_died: np.ndarray
    w_alive: np.ndarray
    ppc_mean: np.ndarray   # (draw, time): marginal survival over rows
    brier: np.ndarray      # (draw, time): IPCW Brier score
    s_h: np.ndarray        # (draw, row, horizon)
    s_ref: np.ndarray      # (draw, row): S at the median follow-up
    pred: Any


def survival_pass(fit, *, horizons: np.ndarray, max_draws: int) -> SurvivalPass:
    """Posterior survival of the fitted rows at every time PPC, Brier and calibration need."""
    from coalsurv.fit.predict import Predictor

    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    out, newdata = outcomes(fit), fitted_rows(fit)
    if not out.event.any():
        raise ValueError("no modelled endings in the data")
    n, n_draws = len(newdata), pred.n_draws
    t_ref = float(np.median(out.exit))
    ppc_grid = np.linspace(0, float(np.quantile(out.exit, 0.9)), PPC_POINTS + 1)[1:]
    brier_grid = np.unique(np.concatenate([np.linspace(0, float(horizons.max()), 31)[1:],
                                           horizons]))
    times = np.unique(np.concatenate([ppc_grid, brier_grid, horizons, [t_ref]]))
    pos = {name: np.searchsorted(times, g) for name, g in
           (("ppc", ppc_grid), ("brier", brier_grid), ("h", horizons), ("ref", [t_ref]))}
    w_died, w_alive = _brier_weights(out, brier_grid)
    ppc_sum = np.zeros((n_draws, ppc_grid.size))
    bs_sum = np.zeros((n_draws, brier_grid.size))
    s_h = np.empty((n_draws, n, horizons.size))
    s_ref = np.empty((n_draws, n))
    for rows in chunks(n, max(1, 400_000 // max(1, n_draws * times.size))):
        s = pred.survival(times, newdata.iloc[rows])  # (draw, row, time)
        ppc_sum += s[:, :, pos["ppc"]].sum(axis=1)
        sb = s[:, :, pos["brier"]]
        bs_sum += (np.einsum("srt,rt->st", sb ** 2, w_died[rows])
                   + np.einsum("srt,rt->st", (1 - sb) ** 2, w_alive[rows]))
        s_h[:, rows] = s[:, :, pos["h"]]
        s_ref[:, rows] = s[:, :, pos["ref"][0]]
    return SurvivalPass(out, n_draws, ppc_grid, brier_grid, horizons, t_ref, w_died, w_alive,
                 ppc_sum / n, bs_sum / n, s_h, s_ref, pred)
