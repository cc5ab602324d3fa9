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


def _hhi_frames(causes=(None,)):
    """Ratios of breadth, hhi and hhi_sq (per SD and per unit) and hhi's joint contrast."""
    rows, joint = [], []
    for cause in causes:
        extra = {"cause": cause} if cause else {}
        for term, m in (("breadth", 1.3), ("hhi", 40.0), ("hhi_sq", 0.02)):
            for scale in ("per SD", "per unit"):
                rows.append({**extra, "term": term, "scale": scale, "median": m,
                             "lower": m / 3, "upper": m * 3, "ci_prob": 0.95})
        joint.append({**extra, "contrast": "75th vs 25th percentile", "variable": "hhi",
                      "terms": "hhi; hhi_sq", "quantity": "hazard ratio", "median": 0.8,
                      "lower": 0.5, "upper": 1.2, "ci_prob": 0.95})
        joint.append({**extra, "contrast": "75th vs 25th percentile", "variable": "hhi",
                      "terms": ("hhi", "hhi_sq"), "quantity": "median lifespan at from",
                      "median": 30.0, "lower": 20.0, "upper": 40.0, "ci_prob": 0.95})
    ratios = pd.DataFrame(rows)
    ratios.attrs.update(ratio="hazard ratio", joint_terms={"hhi": "hhi", "hhi_sq": "hhi"})
    return ratios, pd.DataFrame(joint)


def test_forest_draws_a_polynomial_family_once_as_a_named_contrast():
    ratios, joint = _hhi_frames()
    ax = plots.plot_forest(ratios, contrasts=joint)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["breadth", "hhi: 75th vs 25th percentile"]  # no hhi, no hhi_sq row
    contrast = ax.get_yticklabels()[1]
    assert contrast.get_fontstyle() == "italic" and ax.get_yticklabels()[0].get_fontstyle() \
        == "normal"
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == 1 and list(diamonds[0].get_xdata()) == [0.8]  # ratio rows only
    assert list(diamonds[0].get_ydata()) == [0.0]  # at the contrast's row, below breadth
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "joint effect of a covariate\nin several terms" in texts
    assert "one term, per SD" in texts
    lo, hi = ax.get_xlim()
    assert lo < 0.5 and hi < 40.0  # the per-unit hhi ratio (40 x 3) sets no limit


def test_forest_contrasts_take_the_colour_of_their_cause():
    ratios, joint = _hhi_frames(causes=("dissolution", "alliance"))
    ax = plots.plot_forest(ratios, contrasts=joint)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["breadth",
                                                            "hhi: 75th vs 25th percentile"]
    colours = {(line.get_marker(), to_rgb(line.get_color())) for line in ax.get_lines()
               if line.get_marker() in ("o", "D")}
    assert len(colours) == 4  # circle and diamond in each cause's own colour
    assert {c for _, c in colours} == {to_rgb(plots.style.color(0)),
                                       to_rgb(plots.style.color(1))}


def test_forest_without_contrasts_warns_about_per_term_rows_of_a_family():
    ratios, joint = _hhi_frames()
    with pytest.warns(UserWarning, match=r"\['hhi', 'hhi_sq'\] enter the model jointly"):
        ax = plots.plot_forest(ratios)
    assert "hhi_sq" in [t.get_text() for t in ax.get_yticklabels()]
    with pytest.raises(ValueError, match="0.9 interval"):
        plots.plot_forest(ratios, contrasts=joint.assign(ci_prob=0.9))
    with pytest.raises(ValueError, match="terms"):
        plots.plot_forest(ratios, contrasts=joint.drop(columns="terms"))


def test_pareto_k_legend_covers_no_point():
    k = np.r_[np.linspace(0.0, 0.69, 300), 0.9]
    ax = plots.plot_pareto_k(k)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1 - 1  # beside the panel, not over the points


def test_forest_leaves_out_poly_terms_whose_names_hold_commas():
    terms = ("poly(hhi, 2)[1]", "poly(hhi, 2)[2]")
    ratios = pd.DataFrame([{"term": t, "scale": "per SD", "median": 2.0, "lower": 1.0,
                            "upper": 4.0, "ci_prob": 0.95} for t in ("breadth", *terms)])
    joint = pd.DataFrame([{"contrast": "75th vs 25th percentile", "variable": "hhi",
                           "terms": terms, "median": 0.8, "lower": 0.5, "upper": 1.2,
                           "ci_prob": 0.95}])
    ax = plots.plot_forest(ratios, contrasts=joint)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["breadth",
                                                            "hhi: 75th vs 25th percentile"]


def test_time_varying_effect_panels_sharing_an_axis_keep_both_bands_and_plain_ticks():
    times = np.linspace(1.0, 1460.0, 50)
    fig, axes = plt.subplots(1, 2, sharey=True)
    for ax, (m, w) in zip(axes, [(1.02, 0.12), (0.9, 0.2)], strict=True):
        frame = pd.DataFrame({"time": times, "mean": m, "lower": m - w, "upper": m + w,
                              "ci_prob": 0.9})
        frame.attrs.update(variable="breadth_range", per="sd")
        plots.plot_time_varying_effect(frame, time_unit="days", ax=ax)
    lo, hi = axes[0].get_ylim()
    assert lo <= 0.7 and hi >= 1.14  # the second panel's band did not cut the first's
    fig.canvas.draw()
    ticks = [t.get_text() for t in axes[0].get_yticklabels()]
    assert "1" in ticks and not any("times" in t or "^" in t for t in ticks)
    assert axes[0].get_ylabel() == "Hazard ratio (log scale)"


def test_transition_diagram_writes_a_polynomial_once_as_its_contrast():
    rows = [{"transition": "a -> b", "term": t, "scale": "per SD", "mean": m, "lower": m / 2,
             "upper": m * 2, "ci_prob": 0.95}
            for t, m in (("breadth", 0.8), ("hhi", 0.55), ("hhi_sq", 3.0))]
    ratios = pd.DataFrame(rows)
    ratios.attrs["ratio"] = "hazard ratio"
    joint = pd.DataFrame([{"transition": "a -> b", "variable": "hhi", "terms": ("hhi", "hhi_sq"),
                           "contrast": "75th vs 25th percentile", "quantity": "hazard ratio",
                           "median": 0.9, "lower": 0.7, "upper": 1.2, "ci_prob": 0.95}])
    ax = plots.plot_transition_diagram(["a", "b"], [("a", "b")], ratios, contrasts=joint)
    text = " ".join(t.get_text() for t in ax.texts)
    assert "breadth: 0.80" in text and "hhi, 75th vs 25th pct: 0.90 [0.70, 1.20]" in text
    assert "hhi_sq" not in text and "hhi: 0.55" not in text
    plain = plots.plot_transition_diagram(["a", "b"], [("a", "b")], ratios)
    assert "hhi_sq: 3.00" in " ".join(t.get_text() for t in plain.texts)
