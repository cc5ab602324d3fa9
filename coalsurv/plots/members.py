"""Caterpillar plot of the member effects of an ``mm()`` model (``fit.member_effects()``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from coalsurv.plots._common import ci_prob_of, require_columns
from coalsurv.plots.effects import plot_group_effects
from coalsurv.plots.style import interval_label

__all__ = ["plot_member_effects"]


def plot_member_effects(
    effects: pd.DataFrame,
    *,
    ax: Any = None,
    max_members: int | None = 40,
    xlabel: str = "Member effect (linear predictor scale)",
    title: str | None = None,
) -> Any:
    """Caterpillar plot of member random effects ``u_k``, sorted by posterior mean.

    Parameters
    ----------
    effects : pandas.DataFrame
        ``fit.member_effects()``: columns ``member``, ``mean``, ``lower``, ``upper``,
        ``ci_prob``, optionally ``n_coalitions`` (shown after the label) and ``cause`` (one
        colour per cause).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    max_members : int or None, default 40
        Draw only this many members: those with the largest and the smallest mean effects
        (half each; the title says how many of how many). None draws all.
    xlabel : str
        Label of the x axis.
    title : str, optional
        Axes title; by default "Member effects (<interval>)" with the count when cut.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(effects, ("member", "mean", "lower", "upper"), what="effects")
    if max_members is not None and (not isinstance(max_members, int) or max_members < 2):
        raise ValueError(f"max_members: expected an integer >= 2 or None, got {max_members!r}")
    means = effects.groupby("member", sort=False)["mean"].mean().sort_values()
    keep = list(means.index)
    if max_members is not None and len(keep) > max_members:
        half = max_members // 2
        keep = keep[:half] + keep[-(max_members - half):]
    frame = effects[effects["member"].isin(keep)]
    label = frame["member"].astype(str)
    if "n_coalitions" in frame.columns:
        label = label + " (" + frame["n_coalitions"].astype(str) + ")"
    frame = frame.assign(factor="member", level=label)
    if title is None:
        title = f"Member effects ({interval_label(ci_prob_of(effects, what='effects'))})"
        if len(keep) < len(means):
            title += f": the {len(keep)} of {len(means)} with the largest and smallest means"
    ax = plot_group_effects(frame.drop(columns=["member"]), ax=ax, xlabel=xlabel, title=title)
    ax.set_ylabel("member (coalitions)" if "n_coalitions" in frame.columns else "member")
    legend = ax.get_legend()
    if legend is not None:  # sorted, largest on top: the lower right is the free corner
        legend.set_loc("lower right")
    return ax
