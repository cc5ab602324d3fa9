"""Cumulative incidence of competing endings (dissolution, alliance, ...) over time.

Input is the tidy frame of ``Fit.cumulative_incidence(times, newdata)``: columns ``row``,
``cause``, ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob``. Three layouts: one axes with a
colour per cause (rows told apart by line style), one panel per cause (colour per row), or the
posterior means of one profile as stacked areas. Aalen–Johansen estimates can be overlaid as
steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from coalsurv.plots._common import (
    Steps,
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
    LINESTYLES,
    REFERENCE_COLOR,
    color,
    styled,
    time_label,
)

__all__ = ["plot_cumulative_incidence"]

_COLUMNS = ("row", "cause", "time", "mean", "lower", "upper")


def _aj_steps(aalen_johansen: Mapping[Any, Any] | None, causes: list[Any]) -> dict[Any, Steps]:
    if aalen_johansen is None:
        return {}
    if not isinstance(aalen_johansen, Mapping):
        raise TypeError(
            "aalen_johansen must be a dict cause -> AalenJohansenFitter (or DataFrame with "
            f"'time' and 'cif'); got {type(aalen_johansen).__name__}"
        )
    by_text = {str(c): c for c in causes}
    unknown = [k for k in aalen_johansen if str(k) not in by_text]
    if unknown:
        raise ValueError(f"aalen_johansen names cause(s) {unknown} absent from cif {causes}")
    return {
        by_text[str(k)]: empirical_steps(
            v, estimate="cumulative_density_", value_columns=("cif", "estimate", "mean"),
            default_label="Aalen–Johansen",
        )
        for k, v in aalen_johansen.items()
    }


def _draw_band(ax: Any, part: pd.DataFrame, *, col: str, linestyle: Any, label: str) -> None:
    part = part.sort_values("time")
    t = part["time"].to_numpy(float)
    ax.fill_between(
        t, part["lower"].to_numpy(float), part["upper"].to_numpy(float), color=col,
        alpha=BAND_ALPHA, linewidth=0,
    )
    ax.plot(t, part["mean"].to_numpy(float), color=col, linestyle=linestyle, label=label)


def _finish(ax: Any, xlabel: str, ylabel: str, times: Any) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.02)
    set_time_limits(ax, times)


@styled
def plot_cumulative_incidence(
    cif: pd.DataFrame,
    *,
    time_unit: str | None = None,
    stacked: bool = False,
    aalen_johansen: Mapping[Any, Any] | None = None,
    ax: Any = None,
    layout: Literal["overlay", "panels"] = "overlay",
    row: Any = None,
    label_by: str | Sequence[str] | None = None,
    title: str | None = None,
) -> Any:
    """Posterior cumulative incidence functions (CIFs) of competing causes.

    Parameters
    ----------
    cif : pandas.DataFrame
        Tidy frame of ``Fit.cumulative_incidence(times, newdata)``: columns ``row``,
        ``cause``, ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob`` (one value).
    time_unit : str, optional
        Unit of ``time``, printed on the x axis; default the frame's
        ``attrs["time_unit"]``, set by predictions.
    stacked : bool, default False
        Draw the posterior means of one profile as stacked areas (one per cause, in the
        order of ``cif``); the top of the stack is P(ended by t). No interval bands:
        stacked intervals would not be intervals of anything.
    aalen_johansen : dict, optional
        Cause -> fitted ``lifelines.AalenJohansenFitter`` (or DataFrame with ``time``, ``cif``
        and optionally ``lower``, ``upper``, ``ci_prob``), overlaid as step functions. With
        ``stacked=True`` every cause is needed and the steps are stacked too.
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        Where to draw: one Axes (``layout="overlay"`` or ``stacked``) or one Axes per cause
        (``layout="panels"``). New figure when omitted.
    layout : {"overlay", "panels"}, default "overlay"
        ``"overlay"``: one axes, a colour per cause and a line style per row.
        ``"panels"``: one panel per cause, a colour per row.
    row : optional
        With ``stacked=True``, the ``row`` to draw (needed when ``cif`` holds several).
    label_by : str or sequence of str, optional
        Columns naming each row in the legend; default ``"row N"``.
    title : str, optional
        Title (axes title, or figure title for panels).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for ``"overlay"`` and ``stacked``; the Figure for ``layout="panels"``.
    """
    time_unit = time_unit or cif.attrs.get("time_unit")
    xlabel = time_label(time_unit)
    require_columns(cif, _COLUMNS, what="cumulative incidence frame")
    if layout not in ("overlay", "panels"):
        raise ValueError(f"layout must be 'overlay' or 'panels'; got {layout!r}")
    causes = ordered_unique(cif["cause"])
    aj = _aj_steps(aalen_johansen, causes)
    if stacked:
        return _stacked(cif, causes, aj, xlabel=xlabel, ax=ax, row=row, title=title)
    ci_prob = ci_prob_of(cif, what="cumulative incidence frame")
    rows = ordered_unique(cif["row"])
    labels = row_labels(cif, rows, label_by)
    if layout == "panels":
        return _panels(
            cif, causes, rows, labels, aj, ci_prob, xlabel=xlabel, axes=ax, title=title
        )
    ax = get_ax(ax)
    for i, cause in enumerate(causes):
        for j, r in enumerate(rows):
            part = cif[(cif["cause"] == cause) & (cif["row"] == r)]
            if part.empty:
                continue
            label = str(cause) if len(rows) == 1 else f"{cause}, {labels[r]}"
            _draw_band(ax, part, col=color(i), linestyle=LINESTYLES[j % len(LINESTYLES)],
                       label=label)
        if cause in aj:
            draw_steps(ax, aj[cause], color=color(i), linestyle="--",
                       label=f"Aalen–Johansen: {cause}")
    _finish(ax, xlabel, "Cumulative incidence", cif["time"])
    if title is not None:
        ax.set_title(title)
    legend_with(ax, [band_handle(ci_prob)])
    return ax


def _panels(
    cif: pd.DataFrame,
    causes: list[Any],
    rows: list[Any],
    labels: dict[Any, str],
    aj: dict[Any, Steps],
    ci_prob: float,
    *,
    xlabel: str,
    axes: Any,
    title: str | None,
) -> Any:
    import matplotlib.pyplot as plt

    if axes is None:
        ncols = min(3, len(causes))
        nrows = -(-len(causes) // ncols)
        fig, grid = plt.subplots(
            nrows, ncols, figsize=(3.6 * ncols, 3.2 * nrows), sharey=True, squeeze=False
        )
        flat = list(grid.ravel())
        for extra in flat[len(causes):]:
            extra.set_visible(False)
        axes = flat[: len(causes)]
    else:
        axes = list(np.ravel(axes))
        if len(axes) != len(causes):
            raise ValueError(f"layout='panels' needs {len(causes)} axes (one per cause); "
                             f"got {len(axes)}")
        fig = axes[0].figure
    for cause, ax in zip(causes, axes, strict=True):
        for j, r in enumerate(rows):
            part = cif[(cif["cause"] == cause) & (cif["row"] == r)]
            if not part.empty:
                _draw_band(ax, part, col=color(j), linestyle="-", label=labels[r])
        if cause in aj:
            draw_steps(ax, aj[cause], color=REFERENCE_COLOR, linestyle="--",
                       label="Aalen–Johansen")
        _finish(ax, xlabel, "Cumulative incidence", cif["time"])
        ax.set_title(str(cause))
        legend_with(ax, [band_handle(ci_prob)])
    if title is not None:
        fig.suptitle(title)
    return fig


def _stacked(
    cif: pd.DataFrame,
    causes: list[Any],
    aj: dict[Any, Steps],
    *,
    xlabel: str,
    ax: Any,
    row: Any,
    title: str | None,
) -> Any:
    rows = ordered_unique(cif["row"])
    if row is None:
        if len(rows) != 1:
            raise ValueError(
                f"stacked=True draws one profile; cif holds rows {rows[:10]}: pass row=..."
            )
        row = rows[0]
    elif row not in rows:
        raise ValueError(f"row={row!r} is not in cif (rows {rows[:10]})")
    part = cif[cif["row"] == row]
    wide = part.pivot_table(index="time", columns="cause", values="mean", aggfunc="first")
    if wide.isna().any().any():
        raise ValueError("stacked=True needs every cause on the same time grid")
    t = wide.index.to_numpy(float)
    ax = get_ax(ax)
    ax.stackplot(
        t, *[wide[c].to_numpy(float) for c in causes], labels=[str(c) for c in causes],
        colors=[color(i) for i in range(len(causes))], alpha=0.75, linewidth=0,
    )
    if aj:
        missing = [c for c in causes if c not in aj]
        if missing:
            raise ValueError(
                f"stacked=True stacks the Aalen–Johansen steps too: give every cause "
                f"(missing {missing})"
            )
        grid = np.unique(np.concatenate([aj[c].time for c in causes]))
        base = np.zeros_like(grid)
        for i, c in enumerate(causes):
            top = base + aj[c].at(grid)
            ax.step(grid, top, where="post", color=_darker(color(i)), linestyle="--",
                    linewidth=1.4,
                    label=f"Aalen–Johansen: {c} (stacked)")
            base = top
    _finish(ax, xlabel, "Cumulative incidence (stacked)", t)
    ax.set_title(title if title is not None else "Posterior mean cumulative incidence, stacked")
    legend_with(ax)
    return ax


def _darker(col: str, factor: float = 0.6) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(factor * v for v in to_rgb(col))  # type: ignore[return-value]
