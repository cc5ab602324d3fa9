"""Structure of coalsurv.plots figures under Agg: return types, artists, labels, legends."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch

from coalsurv import plots
from coalsurv.plots import style

TIMES = np.linspace(0.0, 36.0, 13)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def legend_text(ax: Axes) -> str:
    leg = ax.get_legend()
    assert leg is not None, "axes has no legend"
    return " | ".join([leg.get_title().get_text()] + [t.get_text() for t in leg.get_texts()])


def labels_top_to_bottom(ax: Axes) -> list[str]:
    pairs = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True)
    return [label for _, label in sorted(pairs, reverse=True)]


def bands(ax: Axes) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def survival_frame(n_rows: int = 2, ci_prob: float = 0.94) -> pd.DataFrame:
    parts = []
    for r in range(n_rows):
        rate = 0.03 * (r + 1)
        mean = np.exp(-rate * TIMES)
        parts.append(pd.DataFrame({
            "row": r, "time": TIMES, "mean": mean, "lower": mean * 0.9,
            "upper": np.minimum(mean * 1.1, 1.0), "ci_prob": ci_prob,
            "fract": 0.5 + 0.1 * r, "country": f"C{r}",
        }))
    return pd.concat(parts, ignore_index=True)


def cif_frame(n_rows: int = 1, causes=("dissolution", "alliance")) -> pd.DataFrame:
    parts = []
    for r in range(n_rows):
        for k, cause in enumerate(causes):
            mean = (0.5 - 0.2 * k) * (1 - np.exp(-0.05 * (r + 1) * TIMES))
            parts.append(pd.DataFrame({
                "row": r, "cause": cause, "time": TIMES, "mean": mean, "lower": mean * 0.8,
                "upper": mean * 1.2, "ci_prob": 0.9,
            }))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def event_data():
    rng = np.random.default_rng(1)
    t = rng.exponential(20.0, 80)
    cause = rng.integers(0, 3, 80)  # 0 censored, 1 dissolution, 2 alliance
    return t, cause


@pytest.fixture(scope="module")
def km(event_data):
    t, cause = event_data
    return KaplanMeierFitter().fit(t, cause > 0, label="observed")


@pytest.fixture(scope="module")
def aj(event_data):
    t, cause = event_data
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns about tied times (jitters them)
        for k, name in ((1, "dissolution"), (2, "alliance")):
            out[name] = AalenJohansenFitter(seed=0).fit(t, cause, event_of_interest=k)
    return out


@pytest.fixture(scope="module")
def idata():
    rng = np.random.default_rng(2)
    chain, draw = 2, 50
    posterior = xr.Dataset(
        {
            "intercept": (("chain", "draw"), rng.normal(size=(chain, draw))),
            "beta": (("chain", "draw", "term"), rng.normal(size=(chain, draw, 3))),
            "sigma": (("chain", "draw", "g", "cause"), rng.gamma(2, size=(chain, draw, 2, 4))),
        },
        coords={"chain": [0, 1], "draw": np.arange(draw), "term": ["fract", "hhi", "breadth"]},
    )
    energy = np.cumsum(rng.normal(size=(chain, draw)), axis=1) * 0.3 + rng.normal(
        size=(chain, draw)
    )
    stats = xr.Dataset({"energy": (("chain", "draw"), energy)})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


# ---------------------------------------------------------------------------------- style


def test_style_labels_and_context():
    assert style.time_label("months") == "Time since formation (months)"
    assert style.per_time_label("Hazard", "years") == "Hazard (per year)"
    assert style.interval_label(0.94) == "94% interval"
    assert style.interval_label(0.975, kind="CI") == "97.5% CI"
    with pytest.raises(ValueError, match="time_unit"):
        style.time_label("")
    with pytest.raises(ValueError, match="ci_prob"):
        style.interval_label(94)
    assert len(set(style.PALETTE)) == len(style.PALETTE) == 8
    before = plt.rcParams["font.size"]
    with plots.coalsurv_style(**{"font.size": 13}) as rc:
        assert plt.rcParams["font.size"] == 13 == rc["font.size"]
        assert plt.rcParams["axes.spines.top"] is False
    assert plt.rcParams["font.size"] == before


def test_public_names_exported():
    for name in plots.__all__:
        assert hasattr(plots, name), name


# ------------------------------------------------------------------------------- survival


def test_plot_survival_rows_bands_and_km(km):
    curves = survival_frame(n_rows=2)
    ax = plots.plot_survival(curves, km=km, time_unit="months", label_by=["fract", "country"],
                             title="S(t)")
    assert isinstance(ax, Axes)
    assert "months" in ax.get_xlabel()
    # 2 model lines + 1 KM step line; 2 model bands + 1 KM CI band
    assert len(ax.lines) == 3
    assert len(bands(ax)) == 3
    text = legend_text(ax)
    assert "94% interval" in text
    assert "fract=0.5, country=C0" in text and "fract=0.6, country=C1" in text
    assert "observed (95% CI)" in text
    assert ax.get_title() == "S(t)"
    assert ax.get_ylim()[0] == 0.0


def test_plot_survival_km_dict_and_existing_axes(km):
    fig, ax0 = plt.subplots()
    ax = plots.plot_survival(survival_frame(1, ci_prob=0.89), km={"A": km, "B": km},
                             time_unit="days", ax=ax0)
    assert ax is ax0
    assert len(ax.lines) == 3
    text = legend_text(ax)
    assert "row 0" in text and "Kaplan–Meier: A" in text and "89% interval" in text


def test_plot_survival_rejects_bad_input():
    curves = survival_frame(1)
    with pytest.raises(ValueError, match="time_unit"):
        plots.plot_survival(curves, time_unit="")
    with pytest.raises(ValueError, match="upper"):
        plots.plot_survival(curves.drop(columns="upper"), time_unit="months")
    mixed = curves.assign(ci_prob=np.r_[0.94, np.full(len(curves) - 1, 0.9)])
    with pytest.raises(ValueError, match="ci_prob"):
        plots.plot_survival(mixed, time_unit="months")
    with pytest.raises(ValueError, match="label_by"):
        plots.plot_survival(curves, time_unit="months", label_by="nope")


def test_plot_survival_ppc(km):
    marginal = survival_frame(1).drop(columns="row")
    ax = plots.plot_survival_ppc(marginal, km, time_unit="years")
    assert isinstance(ax, Axes)
    assert "years" in ax.get_xlabel()
    assert len(ax.lines) == 2 and len(bands(ax)) == 2
    text = legend_text(ax)
    assert "94% interval" in text and "Kaplan–Meier" in text
    with pytest.raises(ValueError, match="one marginal curve"):
        plots.plot_survival_ppc(survival_frame(2), km, time_unit="years")


def test_plot_survival_ppc_accepts_km_frame():
    km_frame = pd.DataFrame({"time": [0, 5, 9], "survival": [1, 0.8, 0.5]})
    ax = plots.plot_survival_ppc(survival_frame(1), km_frame, time_unit="months")
    assert len(ax.lines) == 2 and len(bands(ax)) == 1  # frame without CI: no KM band


def test_plot_hazard_units_and_log_scale():
    curves = survival_frame(2).assign(mean=0.05, lower=0.04, upper=0.06)
    curves.loc[curves["time"] == 0, ["mean", "upper"]] = np.inf  # h(0) of a Weibull, shape < 1
    ax = plots.plot_hazard(curves, time_unit="months", log_scale=True)
    assert ax.get_ylabel() == "Hazard (per month)"
    assert "months" in ax.get_xlabel()
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 2 and len(bands(ax)) == 2
    assert np.isfinite(ax.lines[0].get_ydata()).all()
    assert "94% interval" in legend_text(ax)


# ------------------------------------------------------------------------------ incidence


def test_cif_overlay_with_aalen_johansen(aj):
    cif = cif_frame(n_rows=2)
    ax = plots.plot_cumulative_incidence(cif, time_unit="months", aalen_johansen=aj)
    assert isinstance(ax, Axes)
    assert "months" in ax.get_xlabel()
    # 2 causes x 2 rows model lines + 2 AJ steps; bands: 4 model + 2 AJ CIs
    assert len(ax.lines) == 6
    assert len(bands(ax)) == 6
    text = legend_text(ax)
    assert "90% interval" in text and "Aalen–Johansen: alliance" in text
    assert "dissolution, row 1" in text
    # the two causes get different colours
    colours = {line.get_color() for line in ax.lines[:4]}
    assert len(colours) == 2


def test_cif_panels_returns_figure():
    fig = plots.plot_cumulative_incidence(cif_frame(n_rows=2, causes=("a", "b", "c", "d")),
                                          time_unit="years", layout="panels", title="CIF")
    assert isinstance(fig, Figure)
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 4
    for ax in visible:
        assert "years" in ax.get_xlabel()
        assert len(ax.lines) == 2
        assert "90% interval" in legend_text(ax)
    assert fig._suptitle.get_text() == "CIF"


def test_cif_stacked_one_row(aj):
    cif = cif_frame(n_rows=2)
    ax = plots.plot_cumulative_incidence(cif, time_unit="days", stacked=True, row=1,
                                         aalen_johansen=aj)
    assert len(bands(ax)) == 2  # one stacked area per cause
    assert len(ax.lines) == 2  # stacked AJ steps
    top = ax.lines[1].get_ydata()
    assert np.all(top >= ax.lines[0].get_ydata() - 1e-12)
    assert "days" in ax.get_xlabel()
    with pytest.raises(ValueError, match="row="):
        plots.plot_cumulative_incidence(cif, time_unit="days", stacked=True)
    with pytest.raises(ValueError, match="every cause"):
        plots.plot_cumulative_incidence(cif, time_unit="days", stacked=True, row=0,
                                        aalen_johansen={"alliance": aj["alliance"]})


def test_cif_rejects_unknown_cause(aj):
    with pytest.raises(ValueError, match="absent"):
        plots.plot_cumulative_incidence(cif_frame(), time_unit="months",
                                        aalen_johansen={"merger": aj["alliance"]})


# -------------------------------------------------------------------------------- effects


def ratio_frame(causes=None) -> pd.DataFrame:
    rows = []
    for cause in causes or [None]:
        for term, m in (("fract", 0.7), ("hhi", 1.4), ("breadth", 0.9)):
            for scale, k in (("per SD", 1.0), ("per unit", 1.5)):
                rows.append({"term": term, "scale": scale, "mean": m ** k, "median": m ** k,
                             "lower": 0.8 * m ** k, "upper": 1.25 * m ** k, "ci_prob": 0.94,
                             **({"cause": cause} if cause else {})})
    frame = pd.DataFrame(rows)
    frame.attrs["ratio"] = "hazard ratio"
    return frame


def test_plot_forest_structure():
    ax = plots.plot_forest(ratio_frame(), scale="per SD")
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("Hazard ratio")
    assert labels_top_to_bottom(ax) == ["fract", "hhi", "breadth"]  # input order, top down
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 1
    assert len(ax.lines) == 2  # points + reference line at 1
    assert list(ax.lines[1].get_xdata()) == [1.0, 1.0]
    assert "94% interval" in legend_text(ax)
    assert "94% interval" in ax.get_title()


def test_plot_forest_causes_and_scales():
    frame = ratio_frame(causes=["dissolution", "alliance"])
    frame.attrs["ratio"] = "time ratio"
    assert len(plots.plot_forest(frame).get_yticklabels()) == 3  # per SD only by default
    ax = plots.plot_forest(frame, log_scale=False, scale="all")
    assert ax.get_xscale() == "linear"
    assert ax.get_xlabel() == "Time ratio"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "fract (per SD)" in labels and len(labels) == 6
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 2
    text = legend_text(ax)
    assert "dissolution" in text and "alliance" in text and "94% interval" in text
    with pytest.raises(ValueError, match="positive"):
        plots.plot_forest(ratio_frame().assign(lower=-1.0))


def test_plot_effect_curve():
    x = np.linspace(0.2, 1.0, 9)
    effect = pd.DataFrame({"hhi": x, "mean": 20 - 5 * x, "lower": 18 - 5 * x,
                           "upper": 22 - 5 * x, "ci_prob": 0.8})
    ax = plots.plot_effect_curve(effect, x="hhi", ylabel="Median lifespan (months)",
                                 xlabel="Power concentration (HHI)")
    assert ax.get_ylabel() == "Median lifespan (months)"
    assert ax.get_xlabel() == "Power concentration (HHI)"
    assert len(ax.lines) == 1 and len(bands(ax)) == 1
    assert "80% interval" in legend_text(ax)
    two = pd.concat([effect.assign(cause="a"), effect.assign(cause="b")])
    ax2 = plots.plot_effect_curve(two, x="hhi", ylabel="P(alliance within 24 months)", by="cause")
    labels = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert len(ax2.lines) == 2 and "b" in labels and "cause=b" not in labels  # text names itself


def test_plot_group_effects_sorted():
    rng = np.random.default_rng(3)
    means = rng.normal(size=6)
    effects = pd.DataFrame({"factor": "country", "level": [f"c{i}" for i in range(6)],
                            "mean": means, "lower": means - 0.5, "upper": means + 0.5,
                            "ci_prob": 0.94})
    ax = plots.plot_group_effects(effects)
    assert labels_top_to_bottom(ax) == [f"c{i}" for i in np.argsort(-means)]
    assert ax.get_ylabel() == "country"
    assert "94% interval" in legend_text(ax)
    assert len(ax.lines) == 2  # points + reference line
    both = pd.concat([effects.assign(cause="dissolution"), effects.assign(cause="alliance")])
    ax2 = plots.plot_group_effects(both)
    assert len([c for c in ax2.collections if isinstance(c, LineCollection)]) == 2


# ---------------------------------------------------------------------------- diagnostics


def test_plot_trace_rank_figure(idata):
    fig = plots.plot_trace_rank(idata, var_names=["intercept", "beta"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 4  # intercept + 3 beta components, 2 columns each
    rank_ax, trace_ax = fig.axes[0], fig.axes[1]
    assert len([p for p in rank_ax.patches if isinstance(p, StepPatch)]) == 2  # per chain
    assert len(trace_ax.lines) == 2
    assert fig.axes[2].get_ylabel() == "beta[fract]"


def test_plot_trace_rank_caps_panels(idata):
    fig = plots.plot_trace_rank(idata, max_panels=5)  # 1 + 3 + 8 = 12 components
    assert len(fig.axes) == 10
    assert any("5 of 12" in t.get_text() for t in fig.texts)
    with pytest.raises(ValueError, match="nope"):
        plots.plot_trace_rank(idata, var_names="nope")


def test_plot_energy(idata):
    ax = plots.plot_energy(idata)
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 2  # two stepfilled histograms
    text = legend_text(ax)
    assert "E-BFMI chain 0" in text and "E-BFMI chain 1" in text
    energy = idata["sample_stats"]["energy"].values
    expected = np.mean(np.diff(energy, axis=1) ** 2, axis=1) / np.var(energy, axis=1)
    assert f"{expected[1]:.2f}" in text


def test_plot_pareto_k():
    k = np.array([0.1, 0.2, 0.9, 0.3, 1.2, 0.5])
    ax = plots.plot_pareto_k(k, ids=list("abcdef"))
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in scatters] == [4, 2]
    assert any(np.allclose(line.get_ydata(), 0.7) for line in ax.lines)
    assert "2 of 6 above 0.7" in ax.get_title()
    assert {t.get_text() for t in ax.texts} == {"c", "e"}


@pytest.mark.parametrize("difference", [False, True])
def test_plot_loo_pit(difference):
    pit = np.random.default_rng(4).permutation((np.arange(200) + 0.5) / 200)  # ~uniform
    ax = plots.plot_loo_pit(pit, difference=difference)
    assert len(bands(ax)) == 1 and len(ax.lines) == 2
    assert "94% simultaneous band" in legend_text(ax)
    assert "inside" in ax.get_title()
    skewed = plots.plot_loo_pit(np.linspace(0, 1, 200) ** 3, difference=difference)
    assert "outside" in skewed.get_title()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plots.plot_loo_pit([0.2, 1.5])


def test_plot_prior_posterior():
    rng = np.random.default_rng(5)
    prior = {"beta": rng.normal(0, 2, 400), "sigma": rng.gamma(2, 1, 400)}
    post = {"beta": rng.normal(0.5, 0.2, 400), "sigma": np.full(400, 0.7)}
    ax = plots.plot_prior_posterior(prior, post, names="beta")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2 and len(bands(ax)) == 2
    assert "Prior" in legend_text(ax) and "Posterior" in legend_text(ax)
    fig = plots.plot_prior_posterior(prior, post, names=["beta", "sigma"])
    assert isinstance(fig, Figure)
    assert [a.get_title() for a in fig.axes if a.get_visible()] == ["beta", "sigma"]
    with pytest.raises(ValueError, match="posterior_draws\\['tau'\\]"):
        plots.plot_prior_posterior(prior, post, names=["tau"])
