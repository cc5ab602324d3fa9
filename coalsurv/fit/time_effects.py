"""Time-varying effects ``tve(x)`` on posterior draws: curves and the hazard ratio over time.

The model (:mod:`coalsurv.build.time_terms`) makes the per-SD coefficient of ``x`` on cause
``k``'s log hazard ``beta_k,x + dev_k,x[j]`` on interval ``j`` of follow-up. Predictions add
``x_std * dev[j(t)]`` to the log hazard and integrate the cumulative hazard exactly, interval by
interval (:func:`tve_log_survival`); :func:`time_varying_effect` is the hazard ratio
``exp(beta(t))`` per SD or per original unit of ``x`` at the times asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, check_times, summarise
from coalsurv.build.time_terms import tve_interval_index
from coalsurv.errors import ArgumentError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["TveDraws", "sample_by_cell_rates", "time_varying_effect"]


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


class TveDraws:
    """The posterior deviations of every ``tve`` term and their rows' standardised values.

    Parameters
    ----------
    info : ModelInfo
    design : Design
    draws : dict of str to ndarray
        Stacked posterior draws (``tve_dev_<x>`` of shape (draw, cause, interval)).
    """

    def __init__(self, info, design, draws: dict[str, np.ndarray]):
        self.names = tuple(info.tve)
        self.cuts = [np.asarray(info.tve[n], dtype=float) for n in self.names]
        self.columns = [design.terms.index(n) for n in self.names]
        self.devs = [draws[f"tve_dev_{_safe(n)}"] for n in self.names]
        bounds = np.unique(np.concatenate([[0.0], *self.cuts, [np.inf]]))
        self.bounds = bounds

    def log_hazard_shift(self, t: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
        """``sum_x x_std dev_k,x[j(t)]``: shape (draw, row, 1, time)."""
        out = 0.0
        for col, cuts, dev in zip(self.columns, self.cuts, self.devs, strict=True):
            j = tve_interval_index(cuts, t)
            out = out + dev[:, k, :][:, j][:, None, None, :] * X[None, :, col, None, None]
        return out

    def log_survival(self, family, t: np.ndarray, e: np.ndarray, params: dict,
                     X: np.ndarray, k: int) -> np.ndarray:
        """Log survival of cause ``k`` with the time-varying effects: (draw, row, node, time).

        ``t`` has shape (1, 1, 1, time) and ``e`` (draw, row, node, 1) (model time scale).
        The family's cumulative hazard ``H0`` is evaluated once at the times and once at the
        cut points; with ``j(t)`` the interval of ``t``::

            H(t) = sum_{i < j(t)} exp(s_i) (H0(c_i) - H0(c_{i-1}))
                   + exp(s_j(t)) (H0(t) - H0(c_{j(t)-1}))
        """
        inner = self.bounds[1:-1]  # finite cut points > 0 (union over the tve terms)
        shape = np.broadcast_shapes(e.shape[:3] + (1,), np.shape(t))
        base = e.shape[:3]

        def cumhaz(times):
            with np.errstate(over="ignore", under="ignore", divide="ignore"):
                return -np.asarray(family.log_survival(times, e, **params), dtype=float)

        h_t = np.broadcast_to(cumhaz(t), shape)
        lower = np.zeros(base + (inner.size + 1,))  # H0 at each interval's start
        if inner.size:
            lower[..., 1:] = np.broadcast_to(cumhaz(inner.reshape(1, 1, 1, -1)),
                                             base + (inner.size,))
        shifts = [self.log_hazard_shift(np.array([c]), X, k) for c in inner]
        shifts.append(self._last_shift(X, k))
        rate = np.exp(np.concatenate([np.broadcast_to(sh, base[:2] + (1, 1)) for sh in shifts],
                                     axis=-1))  # (draw, row, 1, interval)
        with np.errstate(invalid="ignore", over="ignore"):
            width = np.diff(lower, axis=-1)
            full = np.where(np.isnan(width), np.inf, width) * rate[..., :-1]
        before = np.concatenate([np.zeros(full.shape[:3] + (1,)), np.cumsum(full, axis=-1)],
                                axis=-1)
        j = np.broadcast_to(tve_interval_index(inner, t), shape)

        def at(values):
            return np.take_along_axis(np.broadcast_to(values, shape[:3] + values.shape[-1:]),
                                      j, axis=-1)

        with np.errstate(invalid="ignore", over="ignore"):
            part = h_t - at(lower)
            part = np.where(np.isnan(part), np.inf, part)
            total = at(before) + at(rate) * part
        return -total

    def sample_times(self, family, e: np.ndarray, params: dict, X: np.ndarray, k: int, *,
                     rng: np.random.Generator) -> np.ndarray:
        """Lifespans of cause ``k`` under the time-varying effects, by exact inversion.

        The cumulative hazard is ``sum_j exp(shift_j) (H0(min(t, c_j)) - H0(c_{j-1}))`` with
        ``H0 = -log S`` of the family at ``e``; a unit exponential draw is located in its
        interval and the family's quantile gives the time inside it.

        Parameters
        ----------
        family : Family
        e : ndarray
            Linear predictor, (draw, row), model time scale.
        params : dict
            The family's parameters broadcasting against ``e``.
        X : ndarray
            Standardised design of the rows, (row, term).
        k : int
            Cause.
        rng : numpy.random.Generator

        Returns
        -------
        numpy.ndarray
            (draw, row) times on the model's time scale.
        """
        def rate_of(c: int) -> np.ndarray:
            hi = self.bounds[c + 1]
            shift = (self.log_hazard_shift(np.array([hi]), X, k) if np.isfinite(hi)
                     else self._last_shift(X, k))
            return np.exp(np.asarray(shift)[:, :, 0, 0])

        return sample_by_cell_rates(family, e, params, self.bounds, rate_of, rng=rng)

    def _last_shift(self, X: np.ndarray, k: int) -> np.ndarray:
        out = 0.0
        for col, dev in zip(self.columns, self.devs, strict=True):
            out = out + dev[:, k, -1][:, None, None, None] * X[None, :, col, None, None]
        return out


def sample_by_cell_rates(family, e: np.ndarray, params: dict, bounds, rate_of, *,
                         rng: np.random.Generator) -> np.ndarray:
    """Lifespans whose hazard is the family's times a rate constant on each cell of ``bounds``.

    A unit exponential draw is located in its cell of the cumulative hazard
    ``sum_c rate_c (H(hi_c) - H(lo_c))``; inside it the family's quantile gives the time.

    Parameters
    ----------
    family, e, params
        The family, its linear predictor (draw, row) and parameters broadcasting against ``e``.
    bounds : sequence of float
        Cell bounds on the model's time scale, from 0 to ``inf``.
    rate_of : callable
        ``rate_of(c)`` -> the (draw, row) hazard multiplier on cell ``c``.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        (draw, row) times on the model's time scale (``inf`` beyond the last cell).
    """
    target = rng.exponential(size=e.shape)
    out = np.full(e.shape, np.inf)
    done = np.zeros(e.shape, dtype=bool)
    used = np.zeros(e.shape)

    def cumhaz(t: float) -> np.ndarray:
        if t == 0.0:
            return np.zeros(e.shape)
        if not np.isfinite(t):
            return np.full(e.shape, np.inf)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return -np.broadcast_to(family.log_survival(np.full(e.shape, t), e, **params),
                                    e.shape)

    h_hi = cumhaz(bounds[0])
    for c, hi in enumerate(bounds[1:]):
        rate = np.broadcast_to(rate_of(c), e.shape)
        h_lo, h_hi = h_hi, cumhaz(hi)
        with np.errstate(invalid="ignore", over="ignore"):
            piece = rate * (h_hi - h_lo)
        hit = ~done & (used + piece >= target)
        if hit.any():
            inner = h_lo + (target - used) / rate
            times = family.quantile(-np.expm1(-inner), e, **params)
            out[hit] = np.broadcast_to(times, e.shape)[hit]
            done |= hit
        used = used + np.where(done, 0.0, piece)
        if done.all():
            break
    return out


def time_varying_effect(fit: Fit, variable: str, times, *, per: str = "unit",
                        ci_prob: float = DEFAULT_CI_PROB, cause: str | None = None):
    """Compute :meth:`coalsurv.Fit.time_varying_effect` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    tve = fit.info.tve
    if not isinstance(variable, str) or variable not in fit.design.terms:
        raise SpecError(f"time_varying_effect: {variable!r} is not a term of the model; its "
                        f"terms: {list(fit.design.terms)}")
    if not tve:
        raise SpecError(f"this model has no time-varying effect; write tve({variable}) in the "
                        "formula to let its hazard ratio change over time")
    if variable not in tve:
        raise SpecError(f"{variable!r} has no time-varying effect; terms with one: {list(tve)}")
    if per not in ("unit", "sd"):
        raise ArgumentError(f"per={per!r}; expected 'unit' (per original unit) or 'sd'")
    causes = fit.info.causes
    if cause is None and len(causes) > 1:
        raise ArgumentError(f"several causes are modelled ({list(causes)}); pass cause=")
    if cause is not None and cause not in causes:
        raise ArgumentError(f"cause={cause!r} is not a modelled cause: {list(causes)}")
    k = causes.index(cause) if cause is not None else 0
    t = check_times(times, time_unit=fit.time_unit)
    pred = fit.predictor
    col = fit.design.terms.index(variable)
    beta = pred.draws["beta"][:, k, col]
    dev = pred.draws[f"tve_dev_{_safe(variable)}"][:, k, :]
    tau = fit.info.time_scale
    smooth = variable in (getattr(fit.info, "tve_splines", None) or {})
    if smooth:  # beta + sum_j dev_j B_j(log t) (build/time_splines.py)
        from coalsurv.fit.tve_grid import spline_log_hr

        with np.errstate(divide="ignore"):
            log_hr = beta[:, None] + spline_log_hr(fit.info, variable, dev,
                                                   np.log(np.maximum(t / tau, 1e-300)))
    else:
        log_hr = beta[:, None] + dev[:, tve_interval_index(tve[variable], t / tau)]
    if per == "unit":
        log_hr = log_hr / float(fit.design.sds[col])
    stat = summarise(np.exp(log_hr), ci_prob)
    out = pd.DataFrame({"time": t, **stat, "ci_prob": ci_prob})
    out.attrs.update(time_unit=fit.time_unit, variable=variable, per=per, cause=causes[k],
                     type="bs" if smooth else "pw",
                     cuts=[] if smooth else [c * tau for c in tve[variable]],
                     knots=[float(np.exp(c)) * tau for c in tve[variable]] if smooth else [])
    return out
