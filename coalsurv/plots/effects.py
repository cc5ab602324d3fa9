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
    marker: str = "o",
    legend: bool = True,
    groups: list[Any] | None = None,
) -> list[Any]:
    """Points + interval lines; one colour per ``group_col`` value; return group values.

    ``groups`` fixes the order (hence colour) of the values, so two calls share colours.
    """
    if groups is None:
        groups = ordered_unique(frame[group_col]) if group_col else [None]
    offsets = _dodge(len(groups))
    for g, (value, off) in enumerate(zip(groups, offsets, strict=True)):
        part = frame if value is None else frame[frame[group_col] == value]
        if part.empty:
            continue
        y = part[key].map(positions).to_numpy(float) + off
        ax.hlines(y, part["lower"].to_numpy(float), part["upper"].to_numpy(float),
                  color=color(g), linewidth=1.8)
        ax.plot(part[point].to_numpy(float), y, marker=marker, linestyle="none", color=color(g),
                markersize=5 if marker == "o" else 6,
                label=None if value is None or not legend else str(value))
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
    contrasts: pd.DataFrame | None = None,
) -> Any:
    """Forest plot of hazard ratios (PH families) or time ratios (AFT families).

    A covariate that enters through several terms (a square, ``poly(x, 2)``, an interaction)
    has no meaningful ratio per term: give its joint effect in ``contrasts`` and it is drawn as
    one row, ``"<variable>: <contrast>"`` with a diamond, below the plain terms, while the
    single-term rows of its family are left out. ``Fit.plot_forest()`` does this by default.

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
    contrasts : pandas.DataFrame, optional
        Joint effects of covariates entering several terms, one row per covariate (and
        ``cause``): columns ``variable``, ``contrast`` (e.g. "75th vs 25th percentile"),
        ``terms`` (the family's terms: a tuple, or one string with ``;`` between them),
        ``median``,
        ``lower``, ``upper``, ``ci_prob`` (the same mass as ``ratios``); a ``quantity`` column,
        when present, keeps only the rows of the ratio. The rows of ``ratios`` whose ``term``
        is among the ``terms`` are not drawn. Without ``contrasts``, terms that
        ``ratios.attrs["joint_terms"]`` marks as parts of a family are drawn with a warning.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Warns
    -----
    UserWarning
        When per-term rows of a family are drawn because no ``contrasts`` were given.
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
    group_col = "cause" if "cause" in frame.columns else None
    joint = _contrast_rows(contrasts, ratios, ci_prob, point=point, group_col=group_col)
    if joint is not None:
        frame = frame[~frame["term"].isin(joint.attrs["terms"])]
    else:
        _warn_joint(frame)
    several_scales = "scale" in frame.columns and frame["scale"].nunique() > 1
    frame = frame.assign(
        _label=frame["term"].astype(str)
        + ((" (" + frame["scale"].astype(str) + ")") if several_scales else "")
    )
    plain = ordered_unique(frame["_label"])
    labels = plain + (ordered_unique(joint["_label"]) if joint is not None else [])
    positions = {lab: float(len(labels) - 1 - i) for i, lab in enumerate(labels)}
    ratio_name = str(ratios.attrs.get("ratio", "ratio"))
    interval = interval_label(ci_prob)
    beside = group_col is not None or joint is not None  # the legend goes right of the rows
    height = max(1.0 + 0.4 * len(labels), 2.6 if beside else 0.0)  # room for the legend
    ax = get_ax(ax, figsize=(7.5 if beside else 6.0, height))
    groups = ordered_unique(pd.concat([frame[group_col], joint[group_col]]) if joint
                            is not None else frame[group_col]) if group_col else None
    if len(frame):
        _interval_rows(ax, frame, positions, "_label", point=point, group_col=group_col,
                       groups=groups)
    if joint is not None:
        _interval_rows(ax, joint, positions, "_label", point=point, group_col=group_col,
                       marker="D", legend=not len(frame), groups=groups)
        if plain:  # a rule between the per-SD rows and the joint contrasts
            ax.axhline(len(labels) - len(plain) - 0.5, color="0.75", linewidth=0.8)
        frame = pd.concat([frame, joint], ignore_index=True)
    if log_scale and (frame[[point, "lower", "upper"]].to_numpy(float) <= 0).any():
        raise ValueError("log_scale=True needs positive ratios (got values <= 0)")
    ax.axvline(ref, color="0.4", linestyle="--", linewidth=1.0, zorder=0)
    if log_scale:
        ax.set_xscale("log")
        values = np.append(frame[["lower", "upper"]].to_numpy(float).ravel(), ref)
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        pad = (hi / lo) ** 0.05 if hi > lo else 1.1
        ax.set_xlim(lo / pad, hi * pad)
        log_ticks(ax, lo / pad, hi * pad)
    ax.set_yticks(list(positions.values()), list(positions.keys()))
    for tick in ax.get_yticklabels():
        if tick.get_text() in labels[len(plain):]:
            tick.set_fontstyle("italic")  # joint contrasts read apart from per-SD terms
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="y", visible=False)
    xlabel = ratio_name[:1].upper() + ratio_name[1:]
    ax.set_xlabel(xlabel + (" (log scale)" if log_scale else ""))
    ax.set_title(title if title is not None else f"{xlabel}s ({interval})")
    _point_legend(ax, point, interval, grouped=group_col is not None, group_name="cause",
                  plain=bool(len(plain)), joint=joint is not None,
                  per=str(scale) if scale not in (None, "all") else "")
    return ax


def _contrast_rows(contrasts: pd.DataFrame | None, ratios: pd.DataFrame, ci_prob: float, *,
                   point: str, group_col: str | None) -> pd.DataFrame | None:
    """Check ``contrasts`` and label its rows "<variable>: <contrast>"; None when absent."""
    if contrasts is None:
        return None
    frame = contrasts
    if "quantity" in frame.columns:
        frame = frame[frame["quantity"] == ratios.attrs.get("ratio", frame["quantity"].iloc[0])]
    if point not in frame.columns:
        point_col = "median" if "median" in frame.columns else "mean"
        frame = frame.assign(**{point: frame[point_col] if point_col in frame.columns
                                else np.nan})
    require_columns(frame, ("variable", "contrast", "terms", point, "lower", "upper"),
                    what="contrasts")
    mass = ci_prob_of(frame, what="contrasts")
    if not np.isclose(mass, ci_prob):
        raise ValueError(f"contrasts state a {mass:g} interval but ratios a {ci_prob:g} one")
    if group_col is None and "cause" in frame.columns:
        if frame["cause"].nunique() > 1:
            raise ValueError("contrasts have several causes but ratios have no 'cause' column")
        frame = frame.drop(columns="cause")
    elif group_col is not None and "cause" not in frame.columns:
        raise ValueError("ratios have a 'cause' column, contrasts have none")
    terms: set[str] = set()
    for value in frame["terms"]:
        terms.update(t.strip() for t in (value.split(";") if isinstance(value, str)
                                         else value))  # "poly(x, 2)[1]" holds a comma
    frame = frame.assign(_label=frame["variable"].astype(str) + ": "
                         + frame["contrast"].astype(str))
    frame.attrs["terms"] = sorted(terms)
    return frame


def _warn_joint(frame: pd.DataFrame) -> None:
    import warnings

    joint = frame.attrs.get("joint_terms") or {}
    drawn = [t for t in ordered_unique(frame["term"]) if t in joint]
    if drawn:
        names = sorted(set(joint[t] for t in drawn))
        warnings.warn(
            f"plot_forest: terms {drawn} enter the model jointly with others (covariates "
            f"{names}); their ratios one term at a time are not meaningful. Draw "
            "fit.plot_forest(), or pass contrasts=<rows of fit.effect_contrasts(...)>.",
            UserWarning, stacklevel=3)


def _point_legend(ax: Any, point: str, interval: str, *, grouped: bool, group_name: str,
                  plain: bool = True, joint: bool = False, per: str = "") -> None:
    """Legend of what a point and a line are; with joint contrasts, of both kinds of row."""
    from matplotlib.lines import Line2D

    text = f"{point} and {interval}"
    mark = "0.25" if grouped else color(0)  # colour stays for the causes
    kinds = []
    if joint:
        if plain:
            kinds.append(Line2D([], [], color=mark, marker="o", linewidth=1.8,
                                label=f"one term{', ' + per if per else ''}"))
        kinds.append(Line2D([], [], color=mark, marker="D", linewidth=1.8,
                            label="joint effect of a covariate\nin several terms"))
    if grouped:
        legend_with(ax, kinds, title=f"{group_name}\n({text})", loc="upper left",
                    bbox_to_anchor=(1.01, 1.0))  # beside the axes: rows fill the plot
    elif joint:
        legend_with(ax, kinds, title=text, loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
