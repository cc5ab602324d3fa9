"""Families of terms (polynomials, interactions) and their joint effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.errors import ArgumentError
from coalsurv.fit.terms import companion_squares, term_families

CAUSES = ["dissolution", "goal_reached", "alliance"]
FORMULA = "breadth + power_hhi + power_hhi_sq + (1 | group)"


def test_term_families_find_companions_formula_powers_and_interactions():
    x = np.linspace(0.1, 0.9, 12)
    cov = pd.DataFrame({"hhi": x, "hhi_sq": x ** 2, "z": np.arange(12.0),
                        "odd2": x ** 2 + 1.0})
    assert companion_squares(cov) == {"hhi_sq": "hhi"}  # odd2 is named like one but is not
    fams = term_families(("hhi", "hhi_sq", "z"), cov)
    assert fams["hhi"].terms == ("hhi", "hhi_sq") and fams["hhi"].kind == "polynomial"
    assert fams["hhi"].joint and not fams["z"].joint and "hhi_sq" not in fams
    native = term_families(("hhi", "I(hhi ** 2)", "hhi:z"), cov[["hhi", "z"]])
    assert native["hhi"].terms == ("hhi", "I(hhi ** 2)", "hhi:z")
    assert native["hhi"].kind == "polynomial and interaction"
    assert native["z"].terms == ("hhi:z",) and native["z"].kind == "interaction"
    poly = term_families(("poly(hhi, 2)[1]", "poly(hhi, 2)[2]"), cov[["hhi"]])
    assert poly["hhi"].kind == "polynomial" and len(poly["hhi"].terms) == 2


@pytest.fixture(scope="module")
def poly_fit(tiny_fit, synthetic_small):
    return tiny_fit(synthetic_small, FORMULA, causes=CAUSES)


def test_joint_effect_is_the_ratio_of_both_terms_together(poly_fit):
    """The ratio at x against the reference equals exp(b1 dx/sd1 + b2 d(x^2)/sd2), per draw."""
    fit = poly_fit
    ref = 0.3
    eff = fit.effect("power_hhi", values=[0.3, 0.6], reference=ref, max_draws=10_000)
    assert eff.attrs["terms"] == ("power_hhi", "power_hhi_sq")
    beta = np.asarray(fit.idata["posterior"]["beta"]).reshape(-1, len(CAUSES), 3)
    j1, j2 = fit.info.terms.index("power_hhi"), fit.info.terms.index("power_hhi_sq")
    for k, cause in enumerate(CAUSES):
        log_r = (beta[:, k, j1] * (0.6 - ref) / fit.info.sds[j1]
                 + beta[:, k, j2] * (0.6 ** 2 - ref ** 2) / fit.info.sds[j2])
        row = eff[(eff["cause"] == cause) & (eff["value"] == 0.6)].iloc[0]
        assert row["median"] == pytest.approx(float(np.median(np.exp(log_r))), rel=1e-9)
        at_ref = eff[(eff["cause"] == cause) & (eff["value"] == 0.3)].iloc[0]
        assert at_ref["median"] == pytest.approx(1.0)
    life = eff[eff["quantity"] == "median lifespan"]
    assert len(life) == 2 and (life["lower"] < life["median"]).all()
    assert eff.attrs["time_unit"] == "months"


def test_effect_contrasts_name_percentiles_and_refuse_bad_input(poly_fit):
    con = poly_fit.effect_contrasts("power_hhi", percentiles=[(25, 75)])
    x = poly_fit.data.covariates["power_hhi"]
    assert set(con["contrast"]) == {"75th vs 25th percentile"}
    assert con["from"].iloc[0] == pytest.approx(np.percentile(x, 25))
    ratio = con[con["quantity"] == "hazard ratio"]
    assert list(ratio["cause"]) == CAUSES and ratio["prob_above"].between(0, 1).all()
    assert "difference in median lifespan (to - from)" in set(con["quantity"])
    with pytest.raises(ArgumentError, match="not a covariate"):
        poly_fit.effect("power_hhi_sq")
    with pytest.raises(ArgumentError, match=r"\[0, 100\]"):
        poly_fit.effect_contrasts("power_hhi", percentiles=[(25, 175)])


def test_median_lifespan_states_its_unit(poly_fit):
    med = poly_fit.median_lifespan()
    assert (med["unit"] == "months").all()


def test_plot_survival_takes_the_unit_from_the_frame(poly_fit):
    from coalsurv.plots import plot_survival

    ax = plot_survival(poly_fit.survival([1.0, 12.0, 24.0]))
    assert ax.get_xlabel() == "Time since formation (months)"
    handles = ax.get_legend().legend_handles
    assert handles[0].get_facecolor()[:3] != (0.5, 0.5, 0.5)  # the band swatch is coloured


def test_progress_lines_per_stage_and_quiet_when_disabled():
    import io

    from coalsurv.fit.progress import Progress

    out = io.StringIO()
    p = Progress(True, stream=out)
    with p.stage("building"):
        pass
    assert "coalsurv: building ..." in out.getvalue() and "building done in" in out.getvalue()
    quiet = io.StringIO()
    with Progress(False, stream=quiet).stage("sampling"):
        pass
    assert quiet.getvalue() == ""
    assert coalsurv.SurvivalModel  # the package imports


def test_lifespan_words_when_other_endings_count_as_censoring():
    """With endings left out of the model, its median is not the median lifespan."""
    import types

    from coalsurv.fit.effects import lifespan_label

    def fake(causes, pooled=False):
        return types.SimpleNamespace(
            info=types.SimpleNamespace(causes=tuple(causes), pooled=pooled),
            data=types.SimpleNamespace(causes=("dissolution", "alliance")))

    assert lifespan_label(fake(["dissolution", "alliance"])) == "median lifespan"
    assert lifespan_label(fake(["any"], pooled=True)) == "median lifespan"
    words = lifespan_label(fake(["dissolution"]))
    assert words.startswith("median time to dissolution") and "censoring" in words
