"""Prior predictive in human units: implied median lifespans and survival curves.

Input is the tidy summary of :func:`coalsurv.fit.prior_predictive.prior_predictive`: rows with
``quantity`` (``"median lifespan"``, ``"survival"``, ratios), ``time``, ``unit``, ``q05``,
``median``, ``q95`` and, in ``attrs``, ``absurd_share``, ``limits`` (one day and 1,000 years in
the data's unit) and ``max_share``. Two panels: the prior's 90% interval of a typical
coalition's median lifespan on a log axis with the absurd limits shaded off, and the prior's
survival curve (median line, 90% band) over the summary's times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots._common import require_columns
from coalsurv.plots.style import BAND_ALPHA, REFERENCE_COLOR, color, styled, time_label

__all__ = ["plot_prior_predictive"]

_COLUMNS = ("quantity", "time", "unit", "q05", "median", "q95")


@styled
def plot_prior_predictive(table: pd.DataFrame, *, axes: Any = None,
                          figsize: tuple[float, float] = (9.0, 3.6)) -> np.ndarray:
    """Plot the implied median lifespan and survival curve of a prior predictive summary.

    Parameters
    ----------
    table : pandas.DataFrame
        Summary of ``prior_predictive`` (give it many ``times`` for a smooth curve).
    axes : sequence of two Axes, optional
        Where to draw; default a new figure with two panels.
    figsize : tuple of float
        Size of a new figure.

    Returns
    -------
    numpy.ndarray of Axes
        ``[median lifespan panel, survival panel]``.
    """
    require_columns(table, _COLUMNS, what="prior predictive summary")
    med = table[table["quantity"] == "median lifespan"]
    surv = table[table["quantity"] == "survival"].sort_values("time")
    if med.empty or surv.empty:
        raise ValueError("prior predictive summary needs 'median lifespan' and 'survival' rows")
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=figsize)
    axes = np.asarray(axes).ravel()
    unit = str(med["unit"].iloc[0]) or table.attrs.get("unit", "")
    _median_panel(axes[0], med.iloc[0], unit, table.attrs)
    _survival_panel(axes[1], surv, unit)
    return axes


def _median_panel(ax: Any, row: pd.Series, unit: str, attrs: dict) -> None:
    q05, q50, q95 = (float(row[c]) for c in ("q05", "median", "q95"))
    low, high = attrs.get("limits", (np.nan, np.nan))
    finite = [v for v in (q05, q50, q95, low, high) if np.isfinite(v) and v > 0]
    lo, hi = min(finite) / 10.0, max(finite) * 10.0
    right = q95 if np.isfinite(q95) else hi
    ax.hlines(0.0, q05, right, color=color(0), linewidth=4, label="90% of the prior")
    ax.plot([q50], [0.0], "o", color=REFERENCE_COLOR, label="prior median")
    if np.isfinite(low) and np.isfinite(high):
        ax.axvspan(lo, low, color="0.85", linewidth=0, label="absurd (< 1 day, > 1,000 years)")
        ax.axvspan(high, hi, color="0.85", linewidth=0)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-1.0, 1.0)
    ax.set_yticks([])
    ax.set_xlabel(f"median lifespan of a typical coalition ({unit})")
    share = attrs.get("absurd_share")
    if share is not None:
        ax.set_title(f"{share:.1%} of the prior mass absurd "
                     f"(limit {attrs.get('max_share', 0.01):.0%})")
    ax.legend(loc="upper left", fontsize="small")


def _survival_panel(ax: Any, surv: pd.DataFrame, unit: str) -> None:
    t, q05, q50, q95 = surv[["time", "q05", "median", "q95"]].to_numpy(float).T
    ax.fill_between(t, q05, q95, color=color(0), alpha=BAND_ALPHA, linewidth=0,
                    label="90% of the prior")
    ax.plot(t, q50, color=color(0), label="prior median")
    ax.set_ylim(0.0, 1.0)
    ax.set_xlim(0.0, float(t.max()))
    ax.set_xlabel(time_label(unit) if unit else "time")
    ax.set_ylabel("survival of a typical coalition")
    ax.legend(loc="upper right", fontsize="small")
