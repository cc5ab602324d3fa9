"""Smooth time-varying effects ``tve(x, type="bs")`` on posterior draws.

The graph (:mod:`coalsurv.build.time_splines`) integrates the cumulative hazard by a midpoint
rule on a grid of cells in log time; :class:`GridTveDraws` does the same on posterior draws
(the same cells, from the same :class:`~coalsurv.build.info.ModelInfo`), so predictions and
the likelihood agree. It has the interface of :class:`coalsurv.fit.time_effects.TveDraws`
(piecewise terms only, exact) and takes piecewise terms beside smooth ones (constant on each
cell).
"""

from __future__ import annotations

import numpy as np

from coalsurv.build.time_splines import spline_basis, tve_bounds
from coalsurv.build.time_terms import tve_interval_index
from coalsurv.fit.time_effects import sample_by_cell_rates

__all__ = ["GridTveDraws", "spline_log_hr"]


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def spline_log_hr(info, name: str, dev: np.ndarray, log_t: np.ndarray) -> np.ndarray:
    """``sum_j dev_j B_j(log t)``: (draw, time) from ``dev`` (draw, coefficient)."""
    spline = info.tve_splines[name]
    basis = spline_basis(log_t, info.tve[name], spline["basis"], int(spline["df"]))
    return dev @ basis.T


class GridTveDraws:
    """Posterior deviations of the tve terms of a model with at least one smooth term.

    Parameters
    ----------
    info : ModelInfo
    design : Design
    draws : dict of str to ndarray
        Stacked posterior draws (``tve_dev_<x>`` of shape (draw, cause, coefficient or
        interval)).
    """

    def __init__(self, info, design, draws: dict[str, np.ndarray]):
        self.info = info
        self.names = tuple(info.tve)
        self.columns = [design.terms.index(n) for n in self.names]
        self.devs = [draws[f"tve_dev_{_safe(n)}"] for n in self.names]
        self.bounds = np.concatenate([[0.0], tve_bounds(info), [np.inf]])
        lo, hi = self.bounds[1], self.bounds[-2]
        cell_mid = 0.5 * (np.log(np.r_[lo, self.bounds[1:-1]])
                          + np.log(np.r_[self.bounds[1:-1], hi]))
        self.cell_mid = cell_mid  # log-midpoint of each cell (outer ones: their finite end)

    def _f(self, q: int, k: int, t: np.ndarray) -> np.ndarray:
        """Term ``q``'s deviation at the times ``t`` (model scale): (draw, time)."""
        name, dev = self.names[q], self.devs[q][:, k, :]
        if name in self.info.tve_splines:
            with np.errstate(divide="ignore"):
                return spline_log_hr(self.info, name, dev, np.log(np.maximum(t, 1e-300)))
        return dev[:, tve_interval_index(self.info.tve[name], t)]

    def _shift_at_log(self, s: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
        """``sum_x x_std f_k,x`` at log times ``s`` of shape (1, row or 1, 1, time)."""
        out = 0.0
        for q, col in enumerate(self.columns):
            f = self._f(q, k, np.exp(s).ravel()).reshape((-1,) + s.shape[1:])
            out = out + f * X[None, :, col, None, None]
        return out

    def log_hazard_shift(self, t: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
        """``sum_x x_std f_k,x(t)``: shape (draw, row, 1, time)."""
        t = np.asarray(t, dtype=float).ravel()
        out = 0.0
        for q, col in enumerate(self.columns):
            out = out + self._f(q, k, t)[:, None, None, :] * X[None, :, col, None, None]
        return out

    def _cell_shifts(self, X: np.ndarray, k: int) -> np.ndarray:
        """Shift at each cell's log-midpoint (piecewise terms: the cell's interval)."""
        upper = self.bounds[1:]
        out = 0.0
        for q, col in enumerate(self.columns):
            name, dev = self.names[q], self.devs[q][:, k, :]
            if name in self.info.tve_splines:
                f = spline_log_hr(self.info, name, dev, self.cell_mid)
            else:
                j = np.where(np.isfinite(upper), tve_interval_index(self.info.tve[name], upper),
                             len(self.info.tve[name]))
                f = dev[:, j]
            out = out + f[:, None, None, :] * X[None, :, col, None, None]
        return out

    def log_survival(self, family, t: np.ndarray, e: np.ndarray, params: dict,
                     X: np.ndarray, k: int) -> np.ndarray:
        """Log survival of cause ``k`` from 0 to ``t``: (draw, row, node, time).

        ``t`` has shape (1, 1, 1, time) and ``e`` (draw, row, node, 1) (model time scale).
        Full cells before ``t`` weight the family's cumulative hazard over the cell by
        ``exp(shift)`` at the cell's log-midpoint; the cell holding ``t`` by the shift at the
        log-midpoint of its part up to ``t`` (the graph's rule).
        """
        inner = self.bounds[1:-1]
        shape = np.broadcast_shapes(e.shape[:3] + (1,), np.shape(t))
        base = e.shape[:3]
        times = np.asarray(t, dtype=float)

        def cumhaz(at):
            with np.errstate(over="ignore", under="ignore", divide="ignore"):
                return -np.asarray(family.log_survival(at, e, **params), dtype=float)

        h_t = np.broadcast_to(cumhaz(t), shape)
        lower = np.zeros(base + (inner.size + 1,))  # H0 at each cell's start
        lower[..., 1:] = np.broadcast_to(cumhaz(inner.reshape(1, 1, 1, -1)), base + (inner.size,))
        rate = np.exp(self._cell_shifts(X, k))  # (draw, row, 1, cell)
        with np.errstate(invalid="ignore", over="ignore"):
            full = np.diff(lower, axis=-1) * rate[..., :-1]
        before = np.concatenate([np.zeros(full.shape[:3] + (1,)), np.cumsum(full, axis=-1)],
                                axis=-1)
        j = tve_interval_index(inner, times)  # cell of each time
        start = self.bounds[j]
        with np.errstate(divide="ignore"):
            mid = 0.5 * (np.log(np.where(start > 0, start, inner[0]))
                         + np.log(np.maximum(times, 1e-300)))
        part_rate = np.exp(self._shift_at_log(mid, X, k))  # (draw, row, 1, time)
        jj = np.broadcast_to(j, shape)

        def at(values):
            return np.take_along_axis(np.broadcast_to(values, shape[:3] + values.shape[-1:]),
                                      jj, axis=-1)

        with np.errstate(invalid="ignore", over="ignore"):
            part = h_t - at(lower)
            part = np.where(np.isnan(part), np.inf, part)
            total = at(before) + part_rate * part
        return -total

    def sample_times(self, family, e: np.ndarray, params: dict, X: np.ndarray, k: int, *,
                     rng: np.random.Generator) -> np.ndarray:
        """Lifespans of cause ``k`` by inversion of the cell-wise cumulative hazard.

        A unit exponential draw is located in its cell; inside it the cell's midpoint shift
        is used (the likelihood's part-of-cell midpoint differs by a fraction of one cell's
        width, :data:`coalsurv.build.time_splines.CELL_WIDTH`), and the family's quantile
        gives the time.

        Returns
        -------
        numpy.ndarray
            (draw, row) times on the model's time scale.
        """
        shifts = self._cell_shifts(X, k)[:, :, 0, :]  # (draw, row, cell)
        return sample_by_cell_rates(family, e, params, self.bounds,
                                    lambda c: np.exp(shifts[..., c]), rng=rng)
