"""The hazard ratio of a time-varying effect ``tve(x)`` over time, with its band.

Input: the tidy frame of ``Fit.time_varying_effect(x, times)`` (columns ``time``, ``mean``,
``lower``, ``upper``, ``ci_prob``; ``attrs`` with ``variable``, ``per`` and the ``cuts`` of the
intervals on which the effect is constant).
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
    ax.fill_between(t, lower, upper, step="post", color=color(0), alpha=BAND_ALPHA, linewidth=0)
    ax.step(t, mean, where="post", color=color(0), label=name)
    ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle="--")
    for cut in effect.attrs.get("cuts", []):
        if t.min() <= cut <= t.max():
            ax.axvline(cut, color=REFERENCE_COLOR, linewidth=0.5, linestyle=":")
    ax.set_yscale("log")
    ax.autoscale_view()  # limits over every panel sharing this y axis (sharey=True)
    log_ticks(ax, *ax.get_ylim(), axis="y")  # 0.8, 0.9, 1 rather than 8 x 10^-1
    ax.set_xlabel(time_label(time_unit))
    ax.set_ylabel("Hazard ratio (log scale)")
    if np.all(np.isfinite([t.min(), t.max()])):
        ax.set_xlim(t.min(), t.max())
    legend_with(ax, [band_handle(ci_prob)])
    ax.set_title(title or f"Time-varying effect of {variable}")
    return ax
