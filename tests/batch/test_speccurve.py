"""Specification curves: one effect across formulas, families and data codings."""

from __future__ import annotations

import pandas as pd
import pytest

import coalsurv
from coalsurv.errors import ArgumentError


def test_spec_curve_tabulates_the_term_across_specifications(tmp_path, inline_client,
                                                             synthetic_small):
    table = coalsurv.spec_curve(
        synthetic_small, term="breadth",
        formulas={"breadth only": "breadth", "with power": "breadth + power_hhi"},
        families=["weibull"], out=tmp_path, client=inline_client, progress=False,
        draws=100, tune=100, chains=2)
    assert len(table) == 2 and set(table["status"]) == {"ok"}
    assert set(table["formula"]) == {"breadth", "breadth + power_hhi"}
    assert (table["lower"] < table["median"]).all() and (table["median"] < table["upper"]).all()
    assert list(table["median"]) == sorted(table["median"])
    assert set(table["ratio"]) == {"hazard ratio"}
    fit = coalsurv.load_fit(table.loc[0, "file"])
    ratios = fit.hazard_ratios()
    row = ratios[(ratios["term"] == "breadth") & (ratios["scale"] == "per unit")].iloc[0]
    assert table.loc[0, "median"] == pytest.approx(row["median"])


def test_spec_curve_refuses_a_term_missing_from_a_formula(tmp_path, synthetic_small):
    with pytest.raises(ArgumentError, match="must be in every specification") as info:
        coalsurv.spec_curve(synthetic_small, term="breadth",
                            formulas=["breadth", "power_hhi"], out=tmp_path, progress=False)
    assert any("power_hhi" in p for p in info.value.problems)


def test_plot_spec_curve_draws_one_point_per_estimated_specification():
    frame = pd.DataFrame({
        "formula": ["a", "a", "b", "b"], "family": ["weibull", "lognormal"] * 2,
        "data": ["all"] * 4, "ratio": ["hazard ratio"] * 4,
        "median": [0.5, 0.8, 1.2, None], "lower": [0.3, 0.5, 0.9, None],
        "upper": [0.9, 1.3, 1.6, None], "ci_prob": [0.95] * 3 + [None]})
    fig = coalsurv.plots.plot_spec_curve(frame)
    top, bottom = fig.axes
    assert len(top.lines[0].get_xdata()) == 3
    assert "1 without an estimate" in top.get_title()
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels == ["formula: a", "formula: b", "family: weibull", "family: lognormal",
                      "data: all"]
