"""Issue 26, "hard to read": legends beside the bands, readable ticks, labelled SBC panels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from coalsurv import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _beside(ax) -> bool:
    """Whether the axes' legend lies right of its plotting area (cannot cover a band)."""
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    return legend.x0 >= ax.get_window_extent().x1 - 1


def _band_frame(n=20):
    t = np.linspace(0.0, 30.0, n)
    return t, pd.DataFrame({"time": t, "mean": np.full(n, 1.2), "lower": np.full(n, 0.8),
                            "upper": np.full(n, 1.8), "ci_prob": 0.95})


def test_time_varying_effect_legend_is_beside_the_band():
    _, frame = _band_frame()
    frame.attrs.update(variable="x", per="sd", cuts=[10.0, 20.0])
    ax = plots.plot_time_varying_effect(frame, time_unit="months")
    assert _beside(ax)


def test_joint_effect_legends_are_beside_their_panels():
    rows = []
    for q, name in (("hazard ratio", "dissolution"), ("median lifespan", "any")):
        for v in np.linspace(0, 1, 9):
            rows.append({"quantity": q, "cause": name, "value": v, "median": 1 + v,
                         "lower": 0.5 + v, "upper": 2 + v, "variable": "power_hhi"})
    frame = pd.DataFrame(rows)
    frame.attrs.update(ci_prob=0.95, ratio="hazard ratio", lifespan="median lifespan",
                       time_unit="months", reference=0.5, variable="power_hhi")
    fig = plots.plot_joint_effect(frame)
    fig.canvas.draw()
    left, right = fig.axes[:2]
    assert _beside(left) and _beside(right)
    # the left panel's legend does not run into the right panel
    assert left.get_legend().get_window_extent().x1 <= right.get_window_extent().x0


def test_state_occupancy_legend_is_beside_the_stacked_areas():
    rows = []
    for t in np.linspace(0, 10, 11):
        p = np.exp(-t / 5)
        for state, m in (("coalition", p), ("dissolution", 1 - p)):
            rows.append({"row": 0, "time": t, "state": state, "mean": m, "lower": m,
                         "upper": m, "ci_prob": 0.95})
    ax = plots.plot_state_occupancy(pd.DataFrame(rows), time_unit="years")
    assert _beside(ax)


def test_spec_curve_log_axis_has_several_tick_labels_and_legend_beside():
    rows = [{"median": m, "lower": m * 0.9, "upper": m * 1.12, "ci_prob": 0.95,
             "ratio": "hazard ratio", "formula": f, "family": "weibull", "data": "x"}
            for m, f in ((0.98, "a"), (1.05, "b"), (1.08, "a"), (1.1, "b"))]
    fig = plots.plot_spec_curve(pd.DataFrame(rows))
    fig.canvas.draw()
    top = fig.axes[0]
    labels = [t.get_text() for t in top.get_yticklabels() if t.get_text()]
    assert len(labels) >= 3 and "1" in labels, labels
    assert _beside(top)


def test_sbc_panels_have_a_y_label_and_titles_clear_the_row_above():
    from coalsurv.batch.calibration import Calibration

    rng = np.random.default_rng(2)
    rows = [{"simulation": i, "quantity": f"coalition -> dissolution: beta[dissolution, x{q}]",
             "truth": 0.0, "rank": int(rng.integers(0, 100)), "q05": -1.0, "q25": -1.0,
             "q75": 1.0, "q95": 1.0} for q in range(6) for i in range(40)]
    fig = Calibration("test", pd.DataFrame(rows), 99, pd.DataFrame()).figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()]
    first = [ax for ax in panels if ax.get_subplotspec().is_first_col()]
    assert first and all(ax.get_ylabel() == "ECDF − uniform" for ax in first)
    for ax in panels:
        title = ax.title.get_window_extent(renderer)
        for other in panels:
            if other is not ax and other.xaxis.label.get_text():
                label = other.xaxis.label.get_window_extent(renderer)
                assert not title.overlaps(label), (ax.get_title(), other.get_title())


def test_report_effect_panels_share_one_legend_off_the_bands():
    import types

    from coalsurv.report.figures import fig_effects

    frames = {}
    for name in ("breadth", "power_hhi"):
        x = np.linspace(0, 1, 9)
        frames[name] = pd.DataFrame({name: x, "mean": 20 + x, "lower": 15 + x,
                                     "upper": 30 + x, "ci_prob": 0.95})
    fig = fig_effects(types.SimpleNamespace(time_unit="months"), frames)
    fig.canvas.draw()
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert len(fig.legends) == 1
    box = fig.legends[0].get_window_extent()
    assert all(box.y1 <= ax.get_window_extent().y0 for ax in fig.axes)  # under the panels
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[0] == "posterior mean" and texts[1].startswith("shaded: 95%")


def test_transition_diagram_arrows_stop_at_boxes_and_no_text_overlaps():
    from matplotlib.patches import FancyArrowPatch

    states = ["coalition", "alliance", "dissolution", "community"]
    transitions = [("coalition", "alliance"), ("coalition", "dissolution"),
                   ("alliance", "community"), ("alliance", "dissolution")]
    ratios = pd.DataFrame([{"transition": f"{a} -> {b}", "term": "breadth", "scale": "per SD",
                            "mean": 1.5, "lower": 1.1, "upper": 2.0, "ci_prob": 0.95}
                           for a, b in transitions])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plots.plot_transition_diagram(states, transitions, ratios, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = {t.get_text(): t.get_bbox_patch().get_window_extent(renderer)
             for t in ax.texts if t.get_text() in states}
    arrows = [t.arrow_patch for t in ax.texts
              if isinstance(getattr(t, "arrow_patch", None), FancyArrowPatch)]
    assert len(arrows) == len(transitions)
    for arrow in arrows:
        ends = arrow.get_path().vertices[[0, -1]]  # display coordinates
        for box in boxes.values():
            for x, y in ends:
                assert not (box.x0 + 2 < x < box.x1 - 2 and box.y0 + 2 < y < box.y1 - 2)
    texts = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not a.overlaps(b)
    assert any("breadth: 1.50 [1.10, 2.00]" in t.get_text() for t in ax.texts)
