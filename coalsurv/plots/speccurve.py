"""The specification curve: one effect across a grid of coding choices, with its choices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import ci_prob_of, log_ticks, require_columns
from coalsurv.plots.style import color, interval_label, styled

__all__ = ["plot_spec_curve"]


@styled
def plot_spec_curve(frame: pd.DataFrame, *, choices: Sequence[str] = ("formula", "family", "data"),
                    figsize: tuple[float, float] | None = None) -> Any:
    """Plot the effect per specification (sorted) above a panel marking each one's choices.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`coalsurv.spec_curve`'s table (``median``, ``lower``, ``upper``, ``ci_prob``,
        ``ratio`` and the choice columns); rows without an estimate are left out of the top
        panel and counted in its title.
    choices : sequence of str
        Choice columns shown in the lower panel.
    figsize : tuple, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    frame = require_columns(frame, ["median", "lower", "upper", "ci_prob", *choices],
                            what="specification curve")
    ok = frame.dropna(subset=["median"]).sort_values("median", kind="stable")
    ci_prob = ci_prob_of(ok, what="specification curve") if len(ok) else 0.95
    levels = [(c, v) for c in choices for v in dict.fromkeys(ok[c].astype(str))]
    n = len(ok)
    fig, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=figsize or (max(5.0, 0.35 * n + 2), 3 + 0.25 * len(levels)),
        gridspec_kw={"height_ratios": [2, max(1, 0.3 * len(levels))]})
    x = np.arange(n)
    top.vlines(x, ok["lower"], ok["upper"], color=color(0), alpha=0.6,
               label=interval_label(ci_prob))
    top.plot(x, ok["median"], "o", color=color(0), label="posterior median")
    top.axhline(1.0, color="0.4", lw=0.8, ls="--")
    top.set_yscale("log")
    if n:  # several readable ticks (0.8, 0.9, 1, ...) over the intervals and 1, not one label
        values = ok[["lower", "upper"]].to_numpy(float)
        values = values[np.isfinite(values) & (values > 0)]
        lo, hi = min(values.min(initial=1.0), 1.0), max(values.max(initial=1.0), 1.0)
        pad = (hi / lo) ** 0.05
        top.set_ylim(lo / pad, hi * pad)
        log_ticks(top, lo / pad, hi * pad, axis="y")
    ratio = str(ok["ratio"].iloc[0]) if "ratio" in ok and n else "ratio"
    top.set_ylabel(ratio)
    left_out = len(frame) - n
    top.set_title(f"Specification curve: {n} specifications"
                  + (f" ({left_out} without an estimate)" if left_out else ""))
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
               fontsize="small")  # beside the panel: the intervals fill it
    for j, (col, value) in enumerate(levels):
        marks = ok[col].astype(str).to_numpy() == value
        bottom.plot(x[marks], np.full(marks.sum(), j), "s", color="0.2", ms=4)
    bottom.set_yticks(range(len(levels)))
    bottom.set_yticklabels([f"{c}: {v}" for c, v in levels], fontsize="small")
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    bottom.set_xticks(x)
    bottom.set_xticklabels([])
    bottom.set_xlabel("specification (sorted by the effect)")
    return fig
