"""The plotted prior predictive: structure of the returned artists."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from coalsurv.plots import plot_prior_predictive


def _table(q95_median=400.0):
    times = np.array([10.0, 20.0, 30.0, 40.0])
    rows = [{"quantity": "median lifespan", "cause": "all", "term": "", "time": np.nan,
             "unit": "months", "q05": 2.0, "median": 20.0, "q95": q95_median,
             "share_absurd": 0.004},
            {"quantity": "hazard ratio per SD", "cause": "all", "term": "x", "time": np.nan,
             "unit": "", "q05": 0.2, "median": 1.0, "q95": 5.0, "share_absurd": np.nan}]
    for t, s in zip(times, (0.8, 0.6, 0.45, 0.3), strict=True):
        rows.append({"quantity": "survival", "cause": "all", "term": "", "time": t,
                     "unit": "months", "q05": s - 0.2, "median": s, "q95": s + 0.1,
                     "share_absurd": np.nan})
    table = pd.DataFrame(rows[::-1])  # unsorted on purpose
    table.attrs.update(absurd_share=0.004, max_share=0.01, limits=(1 / 30.4375, 12000.0),
                       unit="months")
    return table


def test_two_panels_median_interval_and_survival_band():
    axes = plot_prior_predictive(_table())
    assert axes.shape == (2,)
    med, surv = axes
    assert med.get_xscale() == "log" and "median lifespan" in med.get_xlabel()
    assert "months" in med.get_xlabel() and med.get_title() == (
        "0.4% of the prior mass absurd (limit 1%)")
    (interval,) = med.collections[:1]
    (segment,) = interval.get_segments()
    assert segment[:, 0].tolist() == [2.0, 400.0]  # the prior's 5% .. 95%
    (point,) = med.get_lines()
    assert point.get_xdata().tolist() == [20.0]
    shaded = [p for p in med.patches]
    assert len(shaded) == 2  # below one day and above 1,000 years
    assert shaded[1].get_x() == pytest.approx(12000.0)
    (line,) = surv.get_lines()
    assert line.get_xdata().tolist() == [10.0, 20.0, 30.0, 40.0]  # sorted by time
    assert line.get_ydata().tolist() == [0.8, 0.6, 0.45, 0.3]
    assert len(surv.collections) == 1 and surv.get_ylim() == (0.0, 1.0)
    assert "months" in surv.get_xlabel()
    plt.close("all")


def test_infinite_upper_quantile_draws_to_the_edge_and_given_axes_are_used():
    fig, given = plt.subplots(1, 2)
    axes = plot_prior_predictive(_table(q95_median=np.inf), axes=given)
    assert axes[0] is given[0] and axes[1] is given[1]
    (segment,) = axes[0].collections[0].get_segments()
    assert segment[1, 0] == pytest.approx(axes[0].get_xlim()[1])
    plt.close(fig)


def test_missing_rows_or_columns_are_refused():
    table = _table()
    with pytest.raises(ValueError, match="survival"):
        plot_prior_predictive(table[table["quantity"] != "survival"])
    with pytest.raises(ValueError):
        plot_prior_predictive(table.drop(columns="q95"))
