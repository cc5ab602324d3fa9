"""Survival and hazard curves from tidy prediction frames, with Kaplan–Meier overlays.

Inputs are the tidy frames of ``Fit.survival(times, newdata)`` / ``Fit.hazard(...)``: one row
per (``row``, ``time``) with columns ``mean``, ``lower``, ``upper``, ``ci_prob`` (constant) and
the covariates of ``newdata``. Each profile (``row``) is drawn as a posterior-mean line with its
equal-tailed interval band; the legend states the band's mass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import (
    band_handle,
    ci_prob_of,
    draw_steps,
    empirical_steps,
    get_ax,
    legend_with,
    ordered_unique,
    require_columns,
    row_labels,
    set_time_limits,
)
from coalsurv.plots.style import (
    BAND_ALPHA,
    REFERENCE_COLOR,
    color,
    interval_label,
    per_time_label,
    styled,
    time_label,
)

__all__ = ["plot_survival", "plot_survival_ppc", "plot_hazard"]

_CURVE_COLUMNS = ("row", "time", "mean", "lower", "upper")


def _draw_curves(
    ax: Any, curves: pd.DataFrame, *, label_by: Any, what: str
) -> tuple[list[Any], float]:
    """Draw one mean line + band per ``row``; return the rows drawn and the band mass."""
    require_columns(curves, _CURVE_COLUMNS, what=what)
    ci_prob = ci_prob_of(curves, what=what)
    rows = ordered_unique(curves["row"])
    labels = row_labels(curves, rows, label_by)
    for i, r in enumerate(rows):
        part = curves[curves["row"] == r].sort_values("time")
        values = part[["time", "mean", "lower", "upper"]].to_numpy(float)
        t, mean, lower, upper = values[np.isfinite(values).all(axis=1)].T  # e.g. h(0) = inf
        ax.fill_between(t, lower, upper, color=color(i), alpha=BAND_ALPHA, linewidth=0)
        ax.plot(t, mean, color=color(i), label=labels[r])
    return rows, ci_prob


def _km_items(km: Any) -> list[tuple[str | None, Any]]:
    if km is None:
        return []
    if isinstance(km, Mapping):
        return [(str(k), v) for k, v in km.items()]
    return [(None, km)]


@styled
def plot_survival(
    curves: pd.DataFrame,
    *,
    km: Any = None,
    time_unit: str | None = None,
    ax: Any = None,
    label_by: str | Sequence[str] | None = None,
    title: str | None = None,
) -> Any:
    """Posterior survival curves S(t), one line and interval band per covariate profile.

    Parameters
    ----------
    curves : pandas.DataFrame
        Tidy frame of ``Fit.survival(times, newdata)``: columns ``row``, ``time``, ``mean``,
        ``lower``, ``upper``, ``ci_prob`` (one value) and the covariates of ``newdata``.
    km : lifelines.KaplanMeierFitter or dict of str to KaplanMeierFitter, optional
        Kaplan–Meier estimate(s) drawn as step functions with their confidence band (light).
        A dict maps legend labels to fitters; with one per profile (in the profiles' order)
        each takes the colour of its profile's curve. A DataFrame with ``time``, ``survival`` (and
        optionally ``lower``, ``upper``, ``ci_prob``) is accepted in place of a fitter.
    time_unit : str, optional
        Unit of ``time`` (``"days"``, ``"months"``, ``"years"``); printed on the x axis;
        default the frame's ``attrs["time_unit"]``, set by predictions.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label_by : str or sequence of str, optional
        Columns of ``curves`` whose values name each profile in the legend
        (``"fract=0.6, hhi=0.3"``); by default profiles are named ``"row N"``.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import pandas as pd
    >>> t = [0.0, 6.0, 12.0]
    >>> curves = pd.DataFrame({"row": 0, "time": t, "mean": [1, .7, .5], "lower": [1, .6, .4],
    ...                        "upper": [1, .8, .6], "ci_prob": 0.94})
    >>> ax = plot_survival(curves, time_unit="months")
    >>> ax.get_xlabel()
    'Time since formation (months)'
    """
    time_unit = time_unit or curves.attrs.get("time_unit")
    xlabel = time_label(time_unit)
    ax = get_ax(ax)
    rows, ci_prob = _draw_curves(ax, curves, label_by=label_by, what="survival curves")
    items = _km_items(km)
    for j, (name, fitter) in enumerate(items):
        steps = empirical_steps(
            fitter, estimate="survival_function_", value_columns=("survival", "estimate"),
            default_label="Kaplan–Meier",
        )
        if name is not None:
            label = f"Kaplan–Meier: {name}"
        elif steps.label.startswith("Kaplan"):
            label = steps.label
        else:
            label = f"Kaplan–Meier: {steps.label}"
        # one Kaplan–Meier per profile (same order): the colour of that profile's curve
        col = (REFERENCE_COLOR if len(items) == 1 else color(j) if len(items) == len(rows)
               else color(len(rows) + j))
        draw_steps(ax, steps, color=col, linestyle="--", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Survival probability S(t)")
    ax.set_ylim(0.0, 1.02)
    set_time_limits(ax, curves["time"])
    if title is not None:
        ax.set_title(title)
    legend_with(ax, [band_handle(ci_prob)])
    return ax


@styled
def plot_survival_ppc(
    model_curve: pd.DataFrame,
    km: Any,
    *,
    time_unit: str | None = None,
    ax: Any = None,
    title: str | None = "Posterior predictive check: survival",
) -> Any:
    """Posterior predictive check: marginal model survival band against Kaplan–Meier.

    Parameters
    ----------
    model_curve : pandas.DataFrame
        The model's marginal (population-averaged) survival curve: columns ``time``, ``mean``,
        ``lower``, ``upper``, ``ci_prob``; a ``row`` column, if present, must hold one value.
    km : lifelines.KaplanMeierFitter or pandas.DataFrame
        Kaplan–Meier estimate on the observed data (or a frame ``time``, ``survival``
        [, ``lower``, ``upper``, ``ci_prob``]).
    time_unit : str, optional
        Unit of ``time``, printed on the x axis; default the frame's
        ``attrs["time_unit"]``, set by predictions.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    title : str or None, default "Posterior predictive check: survival"
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    time_unit = time_unit or model_curve.attrs.get("time_unit")
    xlabel = time_label(time_unit)
    frame = model_curve
    if isinstance(frame, pd.DataFrame) and "row" not in frame.columns:
        frame = frame.assign(row=0)
    require_columns(frame, _CURVE_COLUMNS, what="model_curve")
    if frame["row"].nunique() != 1:
        raise ValueError(
            "model_curve must be one marginal curve; found rows "
            f"{ordered_unique(frame['row'])[:10]} (average over rows first)"
        )
    ci_prob = ci_prob_of(frame, what="model_curve")
    ax = get_ax(ax)
    part = frame.sort_values("time")
    t = part["time"].to_numpy(float)
    ax.fill_between(
        t, part["lower"].to_numpy(float), part["upper"].to_numpy(float), color=color(0),
        alpha=BAND_ALPHA, linewidth=0,
        label=f"Posterior predictive S(t), {interval_label(ci_prob)}",
    )
    ax.plot(t, part["mean"].to_numpy(float), color=color(0), label="Posterior predictive mean")
    steps = empirical_steps(
        km, estimate="survival_function_", value_columns=("survival", "estimate"),
        default_label="Kaplan–Meier (observed)",
    )
    draw_steps(ax, steps, color=REFERENCE_COLOR, label="Kaplan–Meier (observed)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Survival probability S(t)")
    ax.set_ylim(0.0, 1.02)
    set_time_limits(ax, t)
    if title:
        ax.set_title(title)
    legend_with(ax)
    return ax


@styled
def plot_hazard(
    curves: pd.DataFrame,
    *,
    time_unit: str | None = None,
    ax: Any = None,
    label_by: str | Sequence[str] | None = None,
    title: str | None = None,
    log_scale: bool = False,
) -> Any:
    """Posterior hazard curves h(t) per unit of time, one line and band per profile.

    Parameters
    ----------
    curves : pandas.DataFrame
        Tidy frame with columns ``row``, ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob``
        (hazard per ``time_unit``) and the covariates of ``newdata``.
    time_unit : str, optional
        Unit of ``time`` (default the frame's ``attrs["time_unit"]``, which fit predictions
        set); printed on the x axis and in the y label ("per month").
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label_by : str or sequence of str, optional
        Columns naming each profile in the legend; default ``"row N"``.
    title : str, optional
        Axes title.
    log_scale : bool, default False
        Log-scaled y axis (hazards spanning orders of magnitude).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    time_unit = time_unit or curves.attrs.get("time_unit")
    """
    xlabel = time_label(time_unit)
    ylabel = per_time_label("Hazard", time_unit)
    ax = get_ax(ax)
    _, ci_prob = _draw_curves(ax, curves, label_by=label_by, what="hazard curves")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log_scale:
        if (curves[["lower", "mean", "upper"]].to_numpy(float) <= 0).any():
            raise ValueError("log_scale=True needs positive hazards")
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0.0)
    set_time_limits(ax, curves["time"])
    if title is not None:
        ax.set_title(title)
    legend_with(ax, [band_handle(ci_prob)])
    return ax
