r"""Piecewise-exponential family (proportional hazards): piecewise-constant baseline hazard.

Interior cut points :math:`0 < c_1 < \dots < c_{K-1}` split time into :math:`K` intervals
:math:`I_k = (c_{k-1}, c_k]` with :math:`c_0 = 0`, :math:`c_K = \infty`. With log baseline
rates :math:`\ell_k` (parameter ``log_rates``, a vector of length :math:`K` on the last axis)

.. math::

    h(t \mid \eta) = e^{\ell_{k(t)} + \eta}, \qquad
    H(t \mid \eta) = e^{\eta} \sum_{k=1}^{K} e^{\ell_k}\, E_k(t), \qquad
    E_k(t) = \min\{\max(t - c_{k-1}, 0),\; c_k - c_{k-1}\},

where :math:`k(t)` is the interval holding :math:`t` and :math:`E_k(t)` the time spent in
interval :math:`k` up to :math:`t` (the *exposure*). An event exactly at a cut point belongs to
the interval that ends there.

Two ways to evaluate
--------------------
* From times (both backends): :meth:`PiecewiseExponential.log_hazard`,
  :meth:`~PiecewiseExponential.log_survival`, ... as for every family; exposures and interval
  indicators are computed inside the graph.
* From precomputed data (fastest in a PyMC graph with fixed observed times): compute
  ``exposure = family.exposure_matrix(t)`` (``n x K``) and ``k = family.interval_index(t)``
  once with NumPy, pass them as data, and call
  :meth:`~PiecewiseExponential.log_survival_from_exposure` and
  :meth:`~PiecewiseExponential.log_hazard_from_interval`.

The builder parametrises ``log_rates`` (e.g. intercept + sum-to-zero random-walk deviations);
the family just takes the :math:`K` log rates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import NUMPY, Namespace

__all__ = ["PiecewiseExponential", "piecewise", "default_cuts"]


def default_cuts(times: Any, events: Any, *, n_intervals: int = 8) -> np.ndarray:
    """Interior cut points at quantiles of the event times, de-duplicated.

    Parameters
    ----------
    times : array_like
        Exit times of all rows.
    events : array_like of bool or int
        Event indicator (non-zero = event); only event times place cuts.
    n_intervals : int, optional
        Number of intervals wanted (default 8); cuts at the ``j / n_intervals`` quantiles,
        ``j = 1 .. n_intervals - 1``. Fewer are returned when event times tie.

    Returns
    -------
    numpy.ndarray
        Strictly increasing positive cut points (possibly empty: one interval).
    """
    if n_intervals < 1:
        raise ValueError("default_cuts: n_intervals must be at least 1")
    times = np.asarray(times, dtype=float)
    events = np.asarray(events).astype(bool)
    event_times = times[events & np.isfinite(times)]
    if event_times.size == 0 or n_intervals == 1:
        return np.array([], dtype=float)
    probs = np.arange(1, n_intervals) / n_intervals
    cuts = np.unique(np.quantile(event_times, probs))
    return cuts[cuts > 0]


class PiecewiseExponential(Family):
    """Piecewise-constant baseline hazard with fixed interior cut points.

    Parameters
    ----------
    cuts : array_like, optional
        Strictly increasing positive interior cut points (``K - 1`` of them for ``K``
        intervals). ``None`` gives a template without cuts (from the registry); use
        :meth:`with_cuts` or ``get_family("piecewise", cuts=...)`` before evaluating.
    """

    name = "piecewise"
    label = "Piecewise exponential (proportional hazards)"
    kind = "ph"
    options = ("cuts",)
    parameters = (
        Parameter("log_rates", "real", ("LogNormal", {"mu": -1.4, "sigma": 0.5}),
                  "log baseline rate per interval: intercept + sum-to-zero random walk",
                  vector="interval", posterior="log_baseline_dev", prior_key="rw_sd"),
    )

    def __init__(self, cuts: Any = None):
        if cuts is None:
            self._cuts: tuple[float, ...] | None = None
            return
        arr = np.atleast_1d(np.asarray(cuts, dtype=float))
        if arr.ndim != 1:
            raise ValueError("piecewise: cuts must be a one-dimensional array")
        if arr.size and (not np.all(np.isfinite(arr)) or arr[0] <= 0 or np.any(np.diff(arr) <= 0)):
            raise ValueError(
                "piecewise: cuts must be finite, positive and strictly increasing; "
                f"got {arr.tolist()}"
            )
        self._cuts = tuple(float(c) for c in arr)

    def _identity(self) -> tuple[Any, ...]:
        return (self.name, self._cuts)

    def __repr__(self) -> str:
        """Show the number of intervals (or that cuts are missing)."""
        if self._cuts is None:
            return "<PiecewiseExponential 'piecewise' (PH; no cuts yet)>"
        return f"<PiecewiseExponential 'piecewise' (PH; {self.n_intervals} intervals)>"

    # ----------------------------------------------------------------- structure

    def with_options(self, *, cuts: Any) -> PiecewiseExponential:
        """Return a copy with the given interior cut points (the family's one option)."""
        return PiecewiseExponential(cuts)

    def with_cuts(self, cuts: Any) -> PiecewiseExponential:
        """Return a copy with the given interior cut points."""
        return PiecewiseExponential(cuts)

    def _require_cuts(self) -> tuple[float, ...]:
        if self._cuts is None:
            raise ValueError(
                "piecewise family has no cut points; use get_family('piecewise', cuts=...) "
                "or family.with_cuts(default_cuts(times, events))"
            )
        return self._cuts

    @property
    def cuts(self) -> np.ndarray:
        """Interior cut points (length ``K - 1``)."""
        return np.asarray(self._require_cuts(), dtype=float)

    @property
    def n_intervals(self) -> int:
        """Number of intervals ``K``."""
        return len(self._require_cuts()) + 1

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{"log_rates": (K,)}``."""
        return {"log_rates": (self.n_intervals,)}

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the intervals, ``(0, c_1, ...)`` and ``(c_1, ..., inf)``."""
        cuts = self.cuts
        return np.concatenate([[0.0], cuts]), np.concatenate([cuts, [np.inf]])

    def exposure_matrix(self, t: Any) -> np.ndarray:
        r"""Time spent in each interval up to ``t``: :math:`E_k(t)` (NumPy).

        Parameters
        ----------
        t : array_like
            Times of any shape; ``inf`` gives the interval widths (``inf`` in the last).

        Returns
        -------
        numpy.ndarray
            Shape ``t.shape + (K,)``.
        """
        lower, upper = self.bounds
        t = np.asarray(t, dtype=float)[..., None]
        with np.errstate(invalid="ignore"):
            return np.minimum(np.maximum(t - lower, 0.0), upper - lower)

    def interval_index(self, t: Any) -> np.ndarray:
        """Index ``k`` (0-based) of the interval :math:`(c_{k-1}, c_k]` holding ``t`` (NumPy).

        Parameters
        ----------
        t : array_like
            Times (``t <= 0`` gives 0).

        Returns
        -------
        numpy.ndarray of int64
            Same shape as ``t``.
        """
        return np.searchsorted(self.cuts, np.asarray(t, dtype=float), side="left").astype(np.int64)

    # ----------------------------------------------------------------- from precomputed data

    def log_survival_from_exposure(
        self, exposure: Any, eta: Any, log_rates: Any, *, xp: Namespace = NUMPY
    ) -> Any:
        r"""Log survival from an exposure matrix: :math:`-e^{\eta}\sum_k e^{\ell_k} E_k`.

        Parameters
        ----------
        exposure : array_like
            ``exposure_matrix(t)``, shape ``(..., n, K)``; must be finite (use it for finite
            observed times; ``log_survival`` handles ``t = inf``).
        eta : array_like
            Linear predictor, broadcasting with ``exposure[..., 0]``, e.g. shape ``(n,)``.
        log_rates : array_like
            Log baseline rates, shape ``(..., K)`` (the last axis indexes intervals).
        xp : Namespace, optional
            Backend namespace.
        """
        return -xp.sum(exposure * xp.exp(log_rates), axis=-1) * xp.exp(eta)

    def log_hazard_from_interval(
        self, interval_index: Any, eta: Any, log_rates: Any, *, xp: Namespace = NUMPY
    ) -> Any:
        r"""Log hazard from interval indices: :math:`\ell_{k} + \eta`.

        Parameters
        ----------
        interval_index : array_like of int
            ``interval_index(t)``, shape ``(n,)``.
        eta : array_like
            Linear predictor, shape broadcasting with ``(n,)``.
        log_rates : array_like
            Log baseline rates, shape ``(..., K)``.
        xp : Namespace, optional
            Backend namespace.
        """
        return log_rates[..., interval_index] + eta

    # ----------------------------------------------------------------- Family hooks (from t)

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, log_rates: Any) -> Any:
        cuts = self.cuts
        lower = np.concatenate([[-np.inf], cuts])
        upper = np.concatenate([cuts, [np.inf]])
        t_col = t[..., None]
        inside = (t_col > lower) & (t_col <= upper)
        return xp.sum(xp.where(inside, log_rates, 0.0), axis=-1) + eta

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, log_rates: Any) -> Any:
        lower, upper = self.bounds
        exposure = xp.minimum(xp.maximum(t[..., None] - lower, 0.0), upper - lower)
        return self.log_survival_from_exposure(exposure, eta, log_rates, xp=xp)

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, log_rates: Any) -> np.ndarray:
        # Invert the piecewise-linear H0 at a = -log(1 - p) e^{-eta}.
        lower, upper = self.bounds
        rates = np.exp(np.asarray(log_rates, dtype=float))
        widths = np.where(np.isinf(upper), 0.0, upper - lower)
        h_start = np.concatenate(
            [np.zeros(rates.shape[:-1] + (1,)), np.cumsum(rates * widths, axis=-1)[..., :-1]],
            axis=-1,
        )
        a = -np.log1p(-p) * np.exp(-eta)
        batch = np.broadcast_shapes(a.shape, rates.shape[:-1])
        k_shape = batch + (rates.shape[-1],)
        a = np.broadcast_to(a, batch)
        h_start = np.broadcast_to(h_start, k_shape)
        rates = np.broadcast_to(rates, k_shape)
        k = np.sum(h_start[..., 1:] < a[..., None], axis=-1)[..., None]
        lo_k = lower[k[..., 0]]
        h_k = np.take_along_axis(h_start, k, axis=-1)[..., 0]
        r_k = np.take_along_axis(rates, k, axis=-1)[..., 0]
        return lo_k + (a - h_k) / r_k


piecewise = PiecewiseExponential()
