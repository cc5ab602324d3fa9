"""The joint effect of one covariate: ratio per ending and median lifespan across its range.

Input is the tidy frame of ``Fit.effect(variable)`` (columns ``quantity``, ``cause``,
``variable``, ``value``, ``median``, ``lower``, ``upper``, ``ci_prob``; ``attrs`` with
``reference``, ``ratio``, ``lifespan``, ``time_unit``). Left: the hazard (time) ratio against
the reference value, one colour per ending, log scale; right: the median lifespan. Legend labels
are the endings' names in the colours of their bands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import band_handle, ci_prob_of, legend_with, require_columns
from coalsurv.plots.style import BAND_ALPHA, REFERENCE_COLOR, color, styled

__all__ = ["plot_joint_effect"]


@styled
def plot_joint_effect(effect: pd.DataFrame, *, axes: Any = None,
                      label: str | None = None) -> Any:
    """Ratio per ending (left) and median lifespan (right) against one covariate.

    Parameters
    ----------
    effect : pandas.DataFrame
        The frame of ``Fit.effect(variable)``.
    axes : sequence of two matplotlib Axes, optional
        Where to draw; a new figure with two panels when omitted.
    label : str, optional
        Axis label of the covariate (default its name).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    require_columns(effect, ("quantity", "cause", "value", "median", "lower", "upper"),
                    what="joint effect")
    ci_prob = ci_prob_of(effect, what="joint effect")
    attrs = effect.attrs
    ratio = attrs.get("ratio", "hazard ratio")
    lifespan = attrs.get("lifespan", "median lifespan")
    unit = attrs.get("time_unit")
    variable = label or attrs.get("variable") or str(effect["variable"].iloc[0])
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), constrained_layout=True)
    else:
        fig = axes[0].figure
    ax_r, ax_m = axes
    ratios = effect[effect["quantity"] == ratio]
    for i, cause in enumerate(dict.fromkeys(ratios["cause"])):
        part = ratios[ratios["cause"] == cause].sort_values("value")
        x = part["value"].to_numpy(float)
        ax_r.fill_between(x, part["lower"], part["upper"], color=color(i), alpha=BAND_ALPHA,
                          linewidth=0)
        ax_r.plot(x, part["median"], color=color(i), label=str(cause))
    ax_r.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    if "reference" in attrs:
        ax_r.axvline(attrs["reference"], color=REFERENCE_COLOR, linewidth=0.8, linestyle="--")
    ax_r.set_yscale("log")
    ax_r.yaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    ax_r.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax_r.yaxis.set_minor_formatter(NullFormatter())  # no crowded minor labels
    ax_r.set_xlabel(variable)
    ax_r.set_ylabel(f"{ratio[:1].upper() + ratio[1:]} vs {variable} = "
                    f"{attrs.get('reference', float('nan')):.3g}")
    legend_with(ax_r, [band_handle(ci_prob)], title="ending", fontsize="small", outside=True)
    life = effect[effect["quantity"] == lifespan].sort_values("value")
    x = life["value"].to_numpy(float)
    upper = life["upper"].to_numpy(float)
    finite = np.isfinite(upper)
    ax_m.fill_between(x[finite], life["lower"].to_numpy(float)[finite], upper[finite],
                      color=color(0), alpha=BAND_ALPHA, linewidth=0)
    ax_m.plot(x, life["median"], color=color(0), label="posterior median")
    ax_m.set_xlabel(variable)
    short = lifespan.split(" (")[0]
    ax_m.set_ylabel(short[:1].upper() + short[1:] + (f" ({unit})" if unit else ""))
    legend_with(ax_m, [band_handle(ci_prob)], fontsize="small", outside=True)
    return fig
