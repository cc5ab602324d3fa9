"""Effect summaries: forest plots of hazard/time ratios, effect curves, group caterpillars.

Inputs are tidy frames (``Fit.hazard_ratios()``, effect predictions, group effects) with
``mean``, ``lower``, ``upper`` and ``ci_prob``; the interval's mass is stated in every legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import (
    band_handle,
    ci_prob_of,
    format_value,
    get_ax,
    legend_with,
    log_ticks,
    ordered_unique,
    require_columns,
)
from coalsurv.plots.style import BAND_ALPHA, color, interval_label, styled

__all__ = ["plot_forest", "plot_effect_curve", "plot_group_effects"]

_DODGE = 0.22


def _dodge(n: int) -> np.ndarray:
    """Vertical offsets that spread ``n`` series around each position."""
    if n <= 1:
        return np.zeros(1)
    width = min(_DODGE * (n - 1), 0.6)
    return np.linspace(width / 2, -width / 2, n)


def _interval_rows(
    ax: Any,
    frame: pd.DataFrame,
    positions: dict[Any, float],
    key: str,
    *,
    point: str,
    group_col: str | None,
) -> list[Any]:
    """Points + interval lines; one colour per ``group_col`` value; return group values."""
    groups = ordered_unique(frame[group_col]) if group_col else [None]
    offsets = _dodge(len(groups))
    for g, (value, off) in enumerate(zip(groups, offsets, strict=True)):
        part = frame if value is None else frame[frame[group_col] == value]
        y = part[key].map(positions).to_numpy(float) + off
        ax.hlines(y, part["lower"].to_numpy(float), part["upper"].to_numpy(float),
                  color=color(g), linewidth=1.8)
        ax.plot(part[point].to_numpy(float), y, marker="o", linestyle="none", color=color(g),
                markersize=5, label=None if value is None else str(value))
    return groups


@styled
def plot_forest(
    ratios: pd.DataFrame,
    *,
    ax: Any = None,
    ref: float = 1.0,
    log_scale: bool = True,
    point: str = "median",
    scale: str | None = "per SD",
    title: str | None = None,
) -> Any:
    """Forest plot of hazard ratios (PH families) or time ratios (AFT families).

    Parameters
    ----------
    ratios : pandas.DataFrame
        Frame of ``Fit.hazard_ratios()``: columns ``term``, ``mean``, ``median``, ``lower``,
        ``upper``, ``ci_prob`` and optionally ``scale`` (``"per SD"`` / ``"per unit"``) and
        ``cause`` (one colour per cause). ``ratios.attrs["ratio"]`` (``"hazard ratio"`` or
        ``"time ratio"``) names the x axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    ref : float, default 1.0
        Reference value drawn as a vertical line (no effect).
    log_scale : bool, default True
        Log-scaled x axis, so that ratios r and 1/r lie equally far from 1.
    point : str, default "median"
        Column drawn as the point estimate (``"median"`` or ``"mean"``); falls back to
        ``"mean"`` when ``"median"`` is absent.
    scale : str or None, default "per SD"
        Keep only rows with this ``scale`` (per-SD ratios are comparable across covariates;
        per-unit ratios are not). ``"all"`` or None draws every scale, each label saying its
        scale. Ignored when ``ratios`` has no ``scale`` column.
    title : str, optional
        Axes title; by default the ratio and interval, e.g. "Hazard ratios (94% interval)".

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    if point not in ratios.columns and point == "median":
        point = "mean"
    require_columns(ratios, ("term", point, "lower", "upper"), what="ratios")
    ci_prob = ci_prob_of(ratios, what="ratios")
    frame = ratios
    if scale not in (None, "all") and "scale" in frame.columns:
        frame = frame[frame["scale"] == scale]
        if frame.empty:
            raise ValueError(
                f"no rows with scale={scale!r}; scales are {ordered_unique(ratios['scale'])}"
            )
    if log_scale and (frame[[point, "lower", "upper"]].to_numpy(float) <= 0).any():
        raise ValueError("log_scale=True needs positive ratios (got values <= 0)")
    several_scales = "scale" in frame.columns and frame["scale"].nunique() > 1
    frame = frame.assign(
        _label=frame["term"].astype(str)
        + ((" (" + frame["scale"].astype(str) + ")") if several_scales else "")
    )
    labels = ordered_unique(frame["_label"])
    positions = {lab: float(len(labels) - 1 - i) for i, lab in enumerate(labels)}
    ratio_name = str(ratios.attrs.get("ratio", "ratio"))
    interval = interval_label(ci_prob)
    ax = get_ax(ax, figsize=(6.0, 1.0 + 0.4 * len(labels)))
    group_col = "cause" if "cause" in frame.columns else None
    _interval_rows(ax, frame, positions, "_label", point=point, group_col=group_col)
    ax.axvline(ref, color="0.4", linestyle="--", linewidth=1.0, zorder=0)
    if log_scale:
        ax.set_xscale("log")
        values = np.append(frame[["lower", "upper"]].to_numpy(float).ravel(), ref)
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        pad = (hi / lo) ** 0.05 if hi > lo else 1.1
        ax.set_xlim(lo / pad, hi * pad)
        log_ticks(ax, lo / pad, hi * pad)
    ax.set_yticks(list(positions.values()), list(positions.keys()))
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="y", visible=False)
    xlabel = ratio_name[:1].upper() + ratio_name[1:]
    ax.set_xlabel(xlabel + (" (log scale)" if log_scale else ""))
    ax.set_title(title if title is not None else f"{xlabel}s ({interval})")
    _point_legend(ax, point, interval, grouped=group_col is not None, group_name="cause")
    return ax


def _point_legend(ax: Any, point: str, interval: str, *, grouped: bool, group_name: str) -> None:
    from matplotlib.lines import Line2D

    text = f"{point} and {interval}"
    if grouped:
        legend_with(ax, title=f"{group_name}\n({text})", loc="upper left",
                    bbox_to_anchor=(1.01, 1.0))  # beside the axes: rows fill the plot
    else:
        proxy = Line2D([], [], color=color(0), marker="o", linewidth=1.8, label=text)
        legend_with(ax, [proxy])


@styled
def plot_effect_curve(
    effect: pd.DataFrame,
    *,
    x: str,
    ylabel: str,
    ax: Any = None,
    xlabel: str | None = None,
    by: str | None = None,
    title: str | None = None,
) -> Any:
    """Plot a posterior quantity against a covariate, with its interval band.

    E.g. median lifespan, or P(alliance within t), against power concentration.

    Parameters
    ----------
    effect : pandas.DataFrame
        Columns ``<x>``, ``mean``, ``lower``, ``upper``, ``ci_prob`` (and ``<by>``).
    x : str
        Column on the x axis.
    ylabel : str
        Label of the y axis; name the quantity and, for times, its unit
        (e.g. "Median lifespan (months)").
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    xlabel : str, optional
        Label of the x axis (default: ``x``).
    by : str, optional
        Column splitting the frame into several curves (e.g. ``"cause"``), one colour each.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    require_columns(effect, (x, "mean", "lower", "upper"), what="effect")
    ci_prob = ci_prob_of(effect, what="effect")
    if by is not None and by not in effect.columns:
        raise ValueError(f"by={by!r} is not a column of effect ({list(effect.columns)})")
    ax = get_ax(ax)
    groups = ordered_unique(effect[by]) if by is not None else [None]
    for i, value in enumerate(groups):
        part = effect if value is None else effect[effect[by] == value]
        part = part.sort_values(x)
        xs = part[x].to_numpy(float)
        ax.fill_between(xs, part["lower"].to_numpy(float), part["upper"].to_numpy(float),
                        color=color(i), alpha=BAND_ALPHA, linewidth=0)
        label = ("posterior mean" if value is None else value if isinstance(value, str)
                 else f"{by}={format_value(value)}")  # text labels name themselves
        ax.plot(xs, part["mean"].to_numpy(float), color=color(i), label=label)
    ax.set_xlabel(xlabel if xlabel is not None else x)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    legend_with(ax, [band_handle(ci_prob)])
    return ax


@styled
def plot_group_effects(
    effects: pd.DataFrame,
    *,
    ax: Any = None,
    ref: float = 0.0,
    xlabel: str = "Group effect (linear predictor scale)",
    title: str | None = None,
    factors: Sequence[str] | None = None,
) -> Any:
    """Caterpillar plot of group-level effects (frailties), sorted by posterior mean.

    Parameters
    ----------
    effects : pandas.DataFrame
        Columns ``factor``, ``level``, ``mean``, ``lower``, ``upper``, ``ci_prob`` and
        optionally ``cause`` (one colour per cause, levels sorted by the mean over causes).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    ref : float, default 0.0
        Reference value drawn as a vertical line (no group effect).
    xlabel : str, default "Group effect (linear predictor scale)"
        Label of the x axis.
    title : str, optional
        Axes title; by default "Group effects (94% interval)".
    factors : sequence of str, optional
        Factors to draw, in this order (default: all, in order of appearance).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    require_columns(effects, ("factor", "level", "mean", "lower", "upper"), what="effects")
    ci_prob = ci_prob_of(effects, what="effects")
    all_factors = ordered_unique(effects["factor"])
    factors = list(factors) if factors is not None else all_factors
    unknown = [f for f in factors if f not in all_factors]
    if unknown:
        raise ValueError(f"factors {unknown} are not in effects (has {all_factors})")
    frame = effects[effects["factor"].isin(factors)]
    frame = frame.assign(
        _label=(frame["factor"].astype(str) + ": " if len(factors) > 1 else "")
        + frame["level"].astype(str)
    )
    order: list[str] = []
    for f in factors:  # blocks by factor, sorted by mean within each, largest on top
        means = frame[frame["factor"] == f].groupby("_label", sort=False)["mean"].mean()
        order.extend(means.sort_values(ascending=False).index)
    positions = {lab: float(len(order) - 1 - i) for i, lab in enumerate(order)}
    ax = get_ax(ax, figsize=(6.0, 1.0 + 0.22 * len(order)))
    group_col = "cause" if "cause" in frame.columns else None
    _interval_rows(ax, frame, positions, "_label", point="mean", group_col=group_col)
    ax.axvline(ref, color="0.4", linestyle="--", linewidth=1.0, zorder=0)
    ax.set_yticks(list(positions.values()), list(positions.keys()))
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.grid(axis="y", visible=False)
    if len(factors) == 1:
        ax.set_ylabel(str(factors[0]))
    ax.set_xlabel(xlabel)
    interval = interval_label(ci_prob)
    ax.set_title(title if title is not None else f"Group effects ({interval})")
    _point_legend(ax, "mean", interval, grouped=group_col is not None, group_name="cause")
    return ax
