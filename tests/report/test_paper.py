"""Outputs for a paper: number formatting, verdict weighting, exported tables, the paper report."""

from __future__ import annotations

import numpy as np
import pytest

from coalsurv._format import fmt_number, fmt_prob, fmt_rhat, fmt_share
from coalsurv.errors import ArgumentError, CoalsurvError

CAUSES = ["dissolution", "goal_reached", "alliance"]
FORMULA = "breadth + power_hhi + power_hhi_sq + (1 | group)"


def test_numbers_keep_their_digits_and_thresholds_show():
    assert fmt_number(0.73) == "0.730" and fmt_number(0.926) == "0.926"  # same digits
    assert fmt_number(1100.0) == "1,100" and fmt_number(0.0) == "0"
    assert fmt_rhat(1.008) == "1.008" and fmt_rhat(1.0096) == "1.0096"  # never "1.01"
    assert fmt_prob(1.0) == "> 0.999" and fmt_prob(0.0) == "< 0.001"
    assert fmt_prob(0.5) == "0.500" and fmt_share(0.1867) == "18.7%"


class _Loo:
    def __init__(self, k):
        import xarray as xr

        self.pareto_k = xr.DataArray(np.asarray(k, float), dims="obs")
        self.good_k = 0.7


@pytest.mark.parametrize(("n_bad", "for_comparison", "verdict"), [
    (0, False, "pass"), (1, False, "pass"), (1, True, "warn"), (30, False, "warn"),
    (120, False, "fail")])
def test_one_influential_row_is_a_note_unless_loo_compares_models(
        monkeypatch, n_bad, for_comparison, verdict):
    import types

    import arviz_stats

    from coalsurv.diagnostics.predictive import loo_tables

    k = np.r_[np.full(n_bad, 0.9), np.full(600 - n_bad, 0.2)]
    monkeypatch.setattr(arviz_stats, "loo", lambda *a, **kw: _Loo(k))
    fit = types.SimpleNamespace(idata=types.SimpleNamespace(children={"log_likelihood": None}),
                                data=types.SimpleNamespace(ids=np.arange(600) + 1))
    _, table, check = loo_tables(fit, for_comparison=for_comparison)
    assert check.verdict == verdict
    assert "(0.70, 0.7]" not in " ".join(table["range"])  # no empty, mislabelled band
    if n_bad == 1:
        assert "id 1" in check.detail


@pytest.fixture(scope="module")
def poly_fit(tiny_fit, synthetic_small):
    return tiny_fit(synthetic_small, FORMULA, causes=CAUSES)


def test_latex_table_is_booktabs_with_mass_and_unit(poly_fit):
    tex = poly_fit.table("hazard_ratios", format="latex")
    for token in (r"\begin{tabular}", r"\toprule", r"\midrule", r"\bottomrule",
                  r"\caption{", "95\\% equal-tailed", "months", r"power\_hhi\_sq"):
        assert token in tex, token
    assert "joint effect of power\\_hhi" in tex  # no per-unit ratio of a polynomial term alone
    body = tex.split(r"\midrule")[1]
    assert " 0.000 " not in body and " 1.000 " not in body
    summary = poly_fit.table("summary", format="markdown")
    assert summary.startswith("Table: Posterior summary") and "| R-hat |" in summary
    assert "z_group" not in summary and "u_group" not in summary
    assert "alliance: breadth (per SD)" in summary
    html = poly_fit.table("effects", format="html")
    assert html.startswith('<table id="tab:effects"><caption>')
    assert "75th vs 25th percentile" in html and "median lifespan" in html
    with pytest.raises(ArgumentError, match="table kind"):
        poly_fit.table("ratios")
    with pytest.raises(ArgumentError, match="table format"):
        poly_fit.table("summary", format="docx")
    with pytest.raises(ArgumentError, match="needs others"):
        poly_fit.table("comparison")


def test_joint_effect_figure_legend_matches_its_bands(poly_fit):
    from matplotlib.colors import to_rgb

    from coalsurv.plots import plot_joint_effect

    fig = plot_joint_effect(poly_fit.effect("power_hhi", n=5))
    ax = fig.axes[0]
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:3] == CAUSES and labels[3].startswith("shaded: 95%")
    lines = {line.get_label(): to_rgb(line.get_color()) for line in ax.get_lines()
             if line.get_label() in CAUSES}
    bands = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    for cause in CAUSES:
        assert any(np.allclose(lines[cause], b, atol=1e-3) for b in bands)
    assert ax.get_yscale() == "log"
    assert "Median lifespan (months)" == fig.axes[1].get_ylabel()


def test_paper_report_has_tables_figures_appendix_and_figure_files(poly_fit, tmp_path):
    from pypdf import PdfReader

    out = poly_fit.report(tmp_path / "paper.pdf", style="paper", title="Power and breadth")
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    flat = " ".join(text.split())
    for token in ("Power and breadth", "Table 1.", "Hazard ratios", "Table 2.",
                  "75th vs 25th percentile", "Figure 1.", "(diamonds, italic labels)",
                  "Figure 2.", "Kaplan", "Figure 3.", "Cumulative incidence", "Figure 4.",
                  "Joint effect of power_hhi",
                  "Appendix A. Diagnostics", "Appendix B. Posterior summary", "R-hat",
                  "time in months"):
        assert token in flat, token
    assert "compare_with" not in flat
    assert "z_group" not in flat and "u_group" not in flat
    files = sorted(p.name for p in (tmp_path / "paper_figures").iterdir())
    assert files == ["figure1_forest.pdf", "figure2_survival.pdf", "figure3_incidence.pdf",
                     "figure4_effect_power_hhi.pdf"]
    assert (tmp_path / "paper_figures" / files[0]).read_bytes()[:4] == b"%PDF"
    with pytest.raises(CoalsurvError, match="report style"):
        poly_fit.report(tmp_path / "x.pdf", style="poster")
    with pytest.raises(CoalsurvError, match="figure_format"):
        poly_fit.report(tmp_path / "x.pdf", style="paper", figure_format="png")


def test_comparison_and_replication_tables(poly_fit):
    md = poly_fit.table("comparison", others={"copy": poly_fit}, format="markdown")
    rows = [line for line in md.splitlines() if line.startswith("| this model")
            or line.startswith("| copy")]
    ranks = sorted(line.split(" | ")[2] for line in rows)
    assert ranks == ["1", "2"]  # ranks count from 1
    assert r"(1 \| group)" in md  # a pipe inside a cell is escaped
    tex = poly_fit.table("replication", original=poly_fit)
    assert "log hazard ratio per original unit" in tex and r"\toprule" in tex
    with pytest.raises(ArgumentError, match="unknown option"):
        poly_fit.table("summary", variable="breadth")


def test_ratio_table_points_polynomial_terms_to_their_joint_effect():
    import pandas as pd

    from coalsurv.report.tables import ratio_table

    rows = [{"term": t, "scale": s, "median": 5.41, "lower": 0.0641, "upper": 574.0,
             "sd_of_covariate": 0.2, "prob_above_1": 0.9996}
            for t in ("breadth", "power_hhi_sq") for s in ("per SD", "per unit")]
    table = ratio_table(pd.DataFrame(rows), "95%", joint={"power_hhi_sq": "power_hhi"})
    poly = table.set_index("term").loc["power_hhi_sq"]
    assert poly["per SD: median 95% interval"] == "joint effect of power_hhi (table below)"
    assert poly["per unit: median 95% interval"] == "joint effect of power_hhi (table below)"
    assert poly["P(ratio > 1)"] == "—"
    alone = table.set_index("term").loc["breadth"]
    assert alone["P(ratio > 1)"] == "> 0.999" and "574" in alone["per SD: median 95% interval"]


def test_fit_forest_plot_shows_the_joint_contrast_not_the_square(poly_fit):
    from coalsurv.report.figures import fig_forest

    ax = poly_fit.plot_forest()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["breadth", "power_hhi: 75th vs 25th percentile"]
    con = poly_fit.effect_contrasts("power_hhi", percentiles=[(25, 75)], max_draws=400)
    ratio = con[(con["quantity"] == "hazard ratio") & (con["cause"] == "alliance")]
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == len(CAUSES)  # one per ending, at its posterior median
    assert any(np.isclose(d.get_xdata()[0], ratio["median"].iloc[0]) for d in diamonds)
    report_ax = fig_forest(poly_fit, poly_fit.hazard_ratios()).axes[0]  # the report's figure
    assert [t.get_text() for t in report_ax.get_yticklabels()] == labels
    wide = poly_fit.plot_forest(contrast=(5, 95), scale="all")
    wide_labels = [t.get_text() for t in wide.get_yticklabels()]
    assert "power_hhi: 95th vs 5th percentile" in wide_labels
    assert not any(t.startswith("power_hhi_sq") for t in wide_labels)


def test_fit_forest_plot_of_formula_native_polynomial_and_interaction(tiny_fit, synthetic_small):
    poly = tiny_fit(synthetic_small, "breadth + poly(power_hhi, 2)", draws=100, tune=100)
    labels = [t.get_text() for t in poly.plot_forest().get_yticklabels()]
    assert labels == ["breadth", "power_hhi: 75th vs 25th percentile"]
    inter = tiny_fit(synthetic_small, "breadth + power_hhi + breadth:power_hhi + n_members",
                     draws=100, tune=100)
    labels = [t.get_text() for t in inter.plot_forest().get_yticklabels()]
    assert labels == ["n_members", "power_hhi: 75th vs 25th percentile",
                      "breadth: 75th vs 25th percentile"]  # x:z moves with either


def test_parameter_labels_drop_the_one_ending_of_a_single_cause_fit():
    import types

    from coalsurv.report.export import parameter_label

    one = types.SimpleNamespace(info=types.SimpleNamespace(causes=("any",)))
    assert parameter_label(one, "beta[any, majority]") == "majority (per SD)"
    assert parameter_label(one, "sd_cname[any]") == "SD of cname effects"
    assert parameter_label(one, "shape[any]") == "shape"
    three = types.SimpleNamespace(info=types.SimpleNamespace(causes=tuple(CAUSES)))
    assert parameter_label(three, "beta[alliance, breadth]") == "alliance: breadth (per SD)"
    assert parameter_label(three, "sd_group[alliance]") == "SD of group effects (alliance)"


@pytest.fixture(scope="module")
def tve_fit(tiny_fit, synthetic_small):
    return tiny_fit(synthetic_small, "tve(breadth, df=3) + power_hhi", causes=["dissolution"])


def test_paper_report_of_a_tve_model_says_the_ratio_changes_and_draws_it(tve_fit, tmp_path):
    """Issue 26: the tve covariate's ratio is marked as changing over time, with its figure."""
    from pypdf import PdfReader

    out = tve_fit.report(tmp_path / "paper.pdf", style="paper")
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    for token in ("breadth (changes over time)", "Time-varying effect (tve): the ratio of "
                  "breadth changes over follow-up", "geometric mean",
                  "Time-varying effects: the hazard ratio per SD of breadth over follow-up",
                  "Effect of power_hhi from its 5th"):
        assert token in flat, token
    assert "(terms: power_hhi)" not in flat and "Joint effect of power_hhi" not in flat
    files = sorted(p.name for p in (tmp_path / "paper_figures").iterdir())
    assert "figure2_time_varying_effects.pdf" in files, files


def test_effect_curve_of_a_tve_model_is_smooth_not_a_staircase(tve_fit):
    """Issue 26: the median lifespan of a tve model is interpolated, not read off a grid."""
    eff = tve_fit.effect("power_hhi", n=21)
    life = eff[eff["quantity"] == eff.attrs["lifespan"]].sort_values("value")
    median = life["median"].to_numpy(float)
    assert np.isfinite(median).all()
    assert np.unique(np.round(median, 9)).size == median.size, median  # no flat steps
    # not read off the 2,000-point grid of Predictor.quantile (steps of 2.5% of the time scale)
    grid = np.linspace(0, 50.0 * tve_fit.info.time_scale, 2000)
    on_grid = np.isclose(median[:, None], grid[None, :], rtol=0, atol=1e-9).any(axis=1)
    assert on_grid.mean() < 0.5, median
