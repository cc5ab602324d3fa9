"""The hazard ratio of a time-varying effect ``tve(x)`` over time, with its band.

Input: the tidy frame of ``Fit.time_varying_effect(x, times)`` (columns ``time``, ``mean``,
``lower``, ``upper``, ``ci_prob``; ``attrs`` with ``variable``, ``per`` and the ``cuts`` of the
intervals on which the effect is constant, or ``type="bs"`` and the ``knots`` of a smooth
effect, drawn as a curve with its knots marked).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import (
    band_handle,
    ci_prob_of,
    get_ax,
    legend_with,
    log_ticks,
    require_columns,
)
from coalsurv.plots.style import BAND_ALPHA, REFERENCE_COLOR, color, styled, time_label

__all__ = ["plot_time_varying_effect"]


@styled
def plot_time_varying_effect(effect: pd.DataFrame, *, time_unit: str, ax: Any = None,
                             label: str | None = None, title: str | None = None) -> Any:
    """Hazard ratio of a ``tve(x)`` term against time: mean line, interval band, HR = 1.

    Parameters
    ----------
    effect : DataFrame
        ``Fit.time_varying_effect(...)`` output.
    time_unit : str
        The data's time unit (axis label).
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the line (default: the variable and its unit of change).
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    what = "plot_time_varying_effect"
    require_columns(effect, ("time", "mean", "lower", "upper"), what=what)
    ci_prob = ci_prob_of(effect, what=what)
    ax = get_ax(ax)
    part = effect.sort_values("time")
    t, mean, lower, upper = part[["time", "mean", "lower", "upper"]].to_numpy(float).T
    variable = effect.attrs.get("variable", "x")
    per = effect.attrs.get("per", "unit")
    name = label or f"{variable} (per {'SD' if per == 'sd' else 'unit'})"
    smooth = effect.attrs.get("type") == "bs"
    cuts = [float(c) for c in effect.attrs.get("knots" if smooth else "cuts", [])]
    if smooth:  # a curve in time; the knots marked
        ax.fill_between(t, lower, upper, color=color(0), alpha=BAND_ALPHA, linewidth=0)
        ax.plot(t, mean, color=color(0), label=name)
    else:
        x, values = _steps(t, np.column_stack([mean, lower, upper]), cuts)
        ax.fill_between(x, values[:, 1], values[:, 2], step="post", color=color(0),
                        alpha=BAND_ALPHA, linewidth=0)
        ax.step(x, values[:, 0], where="post", color=color(0), label=name)
    ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle="--")
    for cut in cuts:
        if t.min() <= cut <= t.max():
            ax.axvline(cut, color=REFERENCE_COLOR, linewidth=0.5, linestyle=":")
    ax.set_yscale("log")
    ax.autoscale_view()  # limits over every panel sharing this y axis (sharey=True)
    log_ticks(ax, *ax.get_ylim(), axis="y")  # 0.8, 0.9, 1 rather than 8 x 10^-1
    ax.set_xlabel(time_label(time_unit))
    ax.set_ylabel("Hazard ratio (log scale)")
    if np.all(np.isfinite([t.min(), t.max()])):
        ax.set_xlim(t.min(), t.max())
    legend_with(ax, [band_handle(ci_prob)], outside=True)
    ax.set_title(title or f"Time-varying effect of {variable}")
    return ax


def _steps(t: np.ndarray, values: np.ndarray, cuts: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Step edges and the value on each step, changing exactly at the cut points.

    The effect is constant on the intervals ``(c_{j-1}, c_j]`` of
    ``coalsurv.build.time_terms.tve_interval_index``; each interval takes the value of the
    frame's rows inside it (all equal) and is drawn from its lower to its upper cut, clipped to
    the frame's times. An interval with no row is left empty (NaN). Without cuts (a frame not
    made by ``time_varying_effect``) each value is drawn back to the previous time.
    Returns ``x`` (edges, one more than the steps) and ``values`` with the last step repeated
    (the form ``step(where="post")`` draws).
    """
    if not cuts:
        if t.size < 2:
            return t, values
        return t, np.vstack([values[1:], values[-1:]])
    inner = [c for c in sorted(cuts) if t.min() < c < t.max()]
    edges = np.array([t.min(), *inner, t.max()])
    j = np.searchsorted(np.asarray(sorted(cuts)), t, side="left")  # interval of each time
    steps = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        mid = np.searchsorted(np.asarray(sorted(cuts)), 0.5 * (a + b), side="left")
        rows = np.flatnonzero(j == mid)
        steps.append(values[rows[0]] if rows.size else np.full(values.shape[1], np.nan))
    steps = np.array(steps)
    return edges, np.vstack([steps, steps[-1:]])
