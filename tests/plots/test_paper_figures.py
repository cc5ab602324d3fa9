"""Figures fit for a paper: legends match what is drawn and cover nothing (issue 14)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from matplotlib.colors import to_rgb

from coalsurv import plots
from tests.plots.test_plots import idata, survival_frame  # noqa: F401 - fixture reused


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_trace_legend_sits_beside_the_first_trace(idata):  # noqa: F811
    fig = plots.plot_trace_rank(idata, var_names=["intercept", "beta"])
    fig.canvas.draw()
    trace = fig.axes[1]
    legend = trace.get_legend()
    box = legend.get_window_extent()
    assert box.x0 >= trace.get_window_extent().x1 - 1  # right of the panel, not over it


def test_legend_swatches_take_the_colour_of_their_bands():
    frame = survival_frame(2).assign(ending=lambda f: np.where(f["row"] == 0, "dissolution",
                                                               "alliance"))
    frame.attrs["time_unit"] = "months"
    ax = plots.plot_survival(frame, label_by="ending")
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["dissolution", "alliance"]  # not "ending=dissolution"
    assert labels[2] == "shaded: 94% interval"
    assert ax.get_xlabel() == "Time since formation (months)"  # unit from the frame
    lines = [line for line in ax.get_lines() if line.get_label() in labels[:2]]
    bands = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    for line in lines:
        assert any(np.allclose(to_rgb(line.get_color()), b, atol=1e-3) for b in bands)
    handles = legend.legend_handles
    assert handles[0].get_facecolor()[:3] != (0.5, 0.5, 0.5)  # no grey swatch


def test_kaplan_meier_per_profile_takes_its_profiles_colour():
    frame = survival_frame(2).assign(cabinet=lambda f: np.where(f["row"] == 0, "minority",
                                                                "majority"))
    rng = np.random.default_rng(0)
    km = {name: KaplanMeierFitter().fit(rng.exponential(20, 40), label=name)
          for name in ("minority", "majority")}
    ax = plots.plot_survival(frame, km=km, time_unit="months", label_by="cabinet")
    colours = {line.get_label(): to_rgb(line.get_color()) for line in ax.get_lines()}
    assert colours["minority"] == colours["Kaplan–Meier: minority (95% CI)"]
    assert colours["majority"] == colours["Kaplan–Meier: majority (95% CI)"]
    assert colours["minority"] != colours["majority"]


def test_forest_plot_shows_per_sd_ratios_only_by_default():
    rows = []
    for term in ("breadth", "hhi"):
        for scale, m in (("per SD", 1.2), ("per unit", 5.0)):
            rows.append({"term": term, "scale": scale, "median": m, "lower": m / 2,
                         "upper": m * 2, "ci_prob": 0.95})
    ax = plots.plot_forest(pd.DataFrame(rows))
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["breadth", "hhi"]
