"""Multi-state plots: stacked state occupancy with bands, transition hazards, a diagram.

Inputs are the tidy frames of :class:`~coalsurv.MultiStateFit`:
``state_occupancy`` (``row``, ``time``, ``state``, ``mean``, ``lower``, ``upper``, ``ci_prob``),
``hazard`` (``transition``, ``row``, ``time``, ``mean``, ``lower``, ``upper``) and
``hazard_ratios`` (``transition``, ``term``, ``scale``, ``mean``, ``lower``, ``upper``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import (
    band_handle,
    ci_prob_of,
    get_ax,
    legend_with,
    ordered_unique,
    require_columns,
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

__all__ = ["cumulative_bands", "plot_state_occupancy", "plot_transition_hazards",
           "plot_transition_diagram"]


def cumulative_bands(draws: np.ndarray, ci_prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed band of the cumulative occupancy over the state axis.

    Parameters
    ----------
    draws : ndarray, shape (draw, row, state, time)
    ci_prob : float

    Returns
    -------
    lower, upper : ndarray, shape (row, state, time)
    """
    cum = np.cumsum(np.asarray(draws, float), axis=2)
    lo = (1 - ci_prob) / 2
    return np.quantile(cum, lo, axis=0), np.quantile(cum, 1 - lo, axis=0)


@styled
def plot_state_occupancy(occupancy: pd.DataFrame, *, row: Any = None, time_unit: str,
                         empirical: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """Stacked state occupancy of one profile over time, with bands at the boundaries.

    The posterior means are stacked (they sum to 1). When the frame has ``cum_lower`` and
    ``cum_upper`` columns (the credible band of the cumulative occupancy of the states up to
    and including this one, as :func:`cumulative_bands` computes from draws), each boundary
    gets its band; otherwise only the means are drawn. An empirical estimate (``time``,
    ``state``, ``occupancy``, e.g. Aalen–Johansen) is drawn as dashed stacked steps.

    Parameters
    ----------
    occupancy : DataFrame
        ``MultiStateFit.state_occupancy`` output (optionally with ``cum_lower``/``cum_upper``).
    row : optional
        Which ``row`` to draw (default the first).
    time_unit : str
    empirical : DataFrame, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    frame = require_columns(occupancy, ("row", "time", "state", "mean", "lower", "upper"),
                            what="state occupancy")
    ci_prob = ci_prob_of(frame, what="state occupancy")
    rows = ordered_unique(frame["row"])
    row = rows[0] if row is None else row
    part = frame[frame["row"] == row]
    states = ordered_unique(part["state"])
    wide = part.pivot(index="time", columns="state", values="mean")[states]
    t = wide.index.to_numpy(float)
    ax = get_ax(ax)
    bottom = np.zeros(t.size)
    banded = {"cum_lower", "cum_upper"} <= set(part.columns)
    for i, state in enumerate(states):
        top = bottom + wide[state].to_numpy(float)
        ax.fill_between(t, bottom, top, color=color(i), alpha=0.55, linewidth=0, label=state)
        if banded and i < len(states) - 1:
            cum = part[part["state"] == state].set_index("time").loc[wide.index]
            ax.fill_between(t, cum["cum_lower"].to_numpy(float),
                            cum["cum_upper"].to_numpy(float), color=REFERENCE_COLOR,
                            alpha=BAND_ALPHA, linewidth=0)
        bottom = top
    if empirical is not None:
        emp = require_columns(empirical, ("time", "state", "occupancy"), what="empirical")
        ew = emp.pivot(index="time", columns="state", values="occupancy")
        cum = np.zeros(len(ew))
        for state in states[:-1]:
            if state in ew:
                cum = cum + ew[state].to_numpy(float)
                ax.step(ew.index.to_numpy(float), cum, where="post", color="black",
                        linestyle="--", linewidth=1.0)
    ax.set_xlabel(time_label(time_unit))
    ax.set_ylabel("Probability of being in state (stacked)")
    ax.set_ylim(0.0, 1.0)
    set_time_limits(ax, t)
    extra = ([band_handle(ci_prob, kind="interval of the stacked sum",
                          color_=REFERENCE_COLOR)] if banded else [])
    legend_with(ax, extra, fontsize="small", outside=True)  # the stacked areas fill the panel
    return ax


@styled
def plot_transition_hazards(hazards: pd.DataFrame, *, time_unit: str, clock: str,
                            row: Any = None, ax: Any = None) -> Any:
    """Hazard of each transition over time (one line and band per transition)."""
    frame = require_columns(hazards, ("transition", "row", "time", "mean", "lower", "upper"),
                            what="transition hazards")
    ci_prob = ci_prob_of(frame, what="transition hazards")
    row = ordered_unique(frame["row"])[0] if row is None else row
    ax = get_ax(ax)
    for i, key in enumerate(ordered_unique(frame["transition"])):
        part = frame[(frame["transition"] == key) & (frame["row"] == row)].sort_values("time")
        t = part["time"].to_numpy(float)
        ax.fill_between(t, part["lower"], part["upper"], color=color(i), alpha=BAND_ALPHA,
                        linewidth=0)
        ax.plot(t, part["mean"], color=color(i), label=key)
    origin = "entering the state" if clock == "reset" else "formation"
    ax.set_xlabel(time_label(time_unit, origin=origin))
    ax.set_ylabel(per_time_label("Transition hazard", time_unit))
    set_time_limits(ax, frame["time"])
    legend_with(ax, [band_handle(ci_prob)], fontsize="small", outside=True)
    return ax


@styled
def plot_transition_diagram(states: Sequence[str], transitions: Sequence[tuple[str, str]],
                            ratios: pd.DataFrame | None = None, *, ax: Any = None,
                            contrasts: pd.DataFrame | None = None) -> Any:
    """States as boxes in a row by depth, numbered arrows; the ratios listed under them.

    Parameters
    ----------
    states : sequence of str
    transitions : sequence of (source, target)
    ratios : DataFrame, optional
        ``hazard_ratios`` output; the ``per SD`` ratios (mean and interval) of each transition
        are written on its arrow.
    ax : matplotlib Axes, optional
    contrasts : DataFrame, optional
        Joint ratios of covariates entering a transition through several terms: columns
        ``transition``, ``variable``, ``contrast``, ``terms`` (tuple), ``median``, ``lower``,
        ``upper`` (the frame of ``forest_contrasts`` per transition). Written in place of
        the per-term ratios of those terms, e.g. "power_hhi, 75th vs 25th pct: 0.81 [...]".
    """
    depth = {states[0]: 0}
    for _ in states:
        for a, b in transitions:
            if a in depth and b not in depth:
                depth[b] = depth[a] + 1
    for s in states:
        depth.setdefault(s, 0)
    levels: dict[int, list[str]] = {}
    for s in states:
        levels.setdefault(depth[s], []).append(s)
    pos = {s: (float(d), -float(i) + (len(levels[d]) - 1) / 2)
           for d, members in levels.items() for i, s in enumerate(members)}
    ax = get_ax(ax, figsize=(7.0, 4.0))
    labels = {}
    ci_text = ""
    if ratios is not None and len(ratios):
        sub = ratios[ratios["scale"] == "per SD"]
        ci_text = interval_label(float(sub["ci_prob"].iloc[0])) if "ci_prob" in sub else ""
        for key, part in sub.groupby("transition", sort=False):
            joint = (contrasts[contrasts["transition"] == key] if contrasts is not None
                     else contrasts)
            if joint is not None and "quantity" in joint and "ratio" in ratios.attrs:
                joint = joint[joint["quantity"] == ratios.attrs["ratio"]]
            skip = {t for terms in (joint["terms"] if joint is not None else []) for t in terms}
            lines = [f"{r.term}: {r.mean:.2f} [{r.lower:.2f}, {r.upper:.2f}]"
                     for r in part.itertuples() if r.term not in skip]
            lines += [f"{r.variable}, {r.contrast.replace('percentile', 'pct')}: "
                      f"{r.median:.2f} [{r.lower:.2f}, {r.upper:.2f}]"
                      for r in (joint.itertuples() if joint is not None else [])]
            labels[key] = "\n".join(lines)
    boxes = {}
    for i, s in enumerate(states):
        x, y = pos[s]
        boxes[s] = ax.text(x, y, s, ha="center", va="center", fontsize="small", zorder=2,
                           bbox={"boxstyle": "round", "facecolor": color(i), "alpha": 0.4})
    key_lines = []
    for k, (a, b) in enumerate(transitions, start=1):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        # arrows stop at the boxes' edges; a numbered mark on each arrow keys it to the list
        # of ratios under the diagram (labels on the arrows crossed the other arrows)
        # drawn after the boxes (zorder), whose outlines are then known: clipped at their edges
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": REFERENCE_COLOR, "lw": 1.2,
                                "patchA": boxes[a].get_bbox_patch(),
                                "patchB": boxes[b].get_bbox_patch(),
                                "shrinkA": 3, "shrinkB": 3})
        ax.text(x0 + 0.5 * (x1 - x0), y0 + 0.5 * (y1 - y0), str(k), ha="center", va="center",
                fontsize="x-small", zorder=4,
                bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white",
                      "edgecolor": REFERENCE_COLOR, "linewidth": 0.8})
        text = labels.get(f"{a} -> {b}")
        key_lines.append(f"({k}) {a} -> {b}" + (": " + "; ".join(text.split("\n"))
                                                 if text else ""))
    ax.text(0.0, -0.02, "\n".join(key_lines), transform=ax.transAxes, ha="left", va="top",
            fontsize="x-small", linespacing=1.4)
    ax.set_xlim(-0.4, max(depth.values()) + 0.4)
    ys = [p[1] for p in pos.values()]
    ax.set_ylim(min(ys) - 0.3, max(ys) + 0.3)
    ax.axis("off")
    title = "Transitions (hazard ratios per SD"
    ax.set_title(f"{title}, {ci_text})" if ci_text else f"{title})", fontsize="small")
    return ax
