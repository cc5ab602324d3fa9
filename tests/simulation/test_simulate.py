"""The coalition-history generator and the bundled synthetic data set."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from coalsurv.datasets.synthetic import load_synthetic, load_synthetic_truth, synthetic_path
from coalsurv.simulation import COVARIATES, default_params, simulate, simulate_single_cause

CAUSES = ("dissolution", "goal_reached", "alliance")


@pytest.fixture(scope="module")
def big():
    """A large simulation for checks of direction and shares (about 0.5 s)."""
    return simulate(n_coalitions=3000, seed=11, delayed_entry_share=0.3, interval_share=0.2)


def _cox(frame: pd.DataFrame, cause: str | None, covariates: list[str]) -> pd.Series:
    """Cause-specific (or any-ending) Cox coefficients, honouring delayed entry."""
    ended = frame["event"] != "censored" if cause is None else frame["event"] == cause
    # interval rows: the midpoint is good enough for a sign check
    t = frame["duration"].fillna((frame["lower"] + frame["upper"]) / 2)
    d = frame[["entry", *covariates]].assign(T=t, E=ended.astype(int))
    return CoxPHFitter().fit(d, "T", "E", entry_col="entry").params_


def test_same_seed_same_tables():
    kw = dict(n_coalitions=150, seed=3, delayed_entry_share=0.3, interval_share=0.2)
    a, b = simulate(**kw), simulate(**kw)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.members, b.members)
    assert a.truth == b.truth
    assert a.data.data_hash() == b.data.data_hash()
    other = simulate(**{**kw, "seed": 4})
    assert not np.allclose(a.frame["power_hhi"], other.frame["power_hhi"])


def test_result_structure_and_truth_is_json():
    sim = simulate(n_coalitions=120, n_groups=7, seed=1)
    assert sim.data.n == 120 and len(sim.frame) == 120
    assert sim.data.causes == CAUSES
    assert sim.data.time_unit == "months"
    assert sim.data.group_names == ("group",)
    assert sim.frame["group"].nunique() <= 7
    assert tuple(sim.data.covariate_names) == COVARIATES
    assert set(sim.members["id"]) == set(sim.frame["id"])
    shares = sim.members.groupby("id")["share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    assert sim.members.groupby("id").size().between(2, 6).all()
    truth = json.loads(json.dumps(sim.truth))
    assert truth == sim.truth
    assert set(truth["causes"]) == set(CAUSES)
    assert truth["causes"]["alliance"]["shape"] > 1  # transformation rises with age
    diss = truth["causes"]["dissolution"]["coefficients"]
    assert diss["power_hhi_sq"] > 0 and diss["breadth"] < 0
    assert len(truth["frailty"]["group_effects"]) == 7
    counts = sim.frame["event"].value_counts()
    for label, n in counts.items():
        assert truth["counts"][label] == n
    # intercept = -k log(scale) - sum beta * reference
    c = truth["causes"]["goal_reached"]
    ref = truth["reference"]
    alpha = -c["shape"] * np.log(c["scale"]) - sum(
        b * ref[x] for x, b in c["coefficients"].items()
    )
    assert c["intercept"] == pytest.approx(alpha)


def test_covariates_match_member_table():
    from coalsurv.data.covariates import coalition_covariates

    sim = simulate(n_coalitions=80, seed=2)
    issues = [c for c in sim.members.columns if c.startswith("issue_")]
    cov = coalition_covariates(sim.members, share="share", position="position", issues=issues)
    frame = sim.frame.set_index("id")
    np.testing.assert_allclose(frame["power_hhi"], cov["power_hhi"].loc[frame.index])
    np.testing.assert_allclose(frame["breadth"], cov["interest_jaccard"].loc[frame.index])
    np.testing.assert_allclose(frame["ideological_breadth"], cov["breadth_sd"].loc[frame.index])


def test_truncation_and_intervals(big):
    frame, latent = big.frame, big.latent
    exact = frame["duration"].notna()
    assert (frame.loc[exact, "duration"] > frame.loc[exact, "entry"]).all()
    iv = frame["lower"].notna()
    assert iv.sum() > 0
    assert (frame.loc[iv, "lower"] >= frame.loc[iv, "entry"]).all()
    assert (frame.loc[iv, "upper"] - frame.loc[iv, "lower"] <= 12 + 1e-9).all()
    t = latent.loc[iv, "true_time"]
    assert (frame.loc[iv, "lower"] < t).all() and (t <= frame.loc[iv, "upper"]).all()
    assert (frame.loc[iv, "event"] != "censored").all()
    # exact rows report the true time or the censoring time
    np.testing.assert_allclose(
        frame.loc[exact, "duration"],
        np.minimum(latent.loc[exact, "true_time"], latent.loc[exact, "censor_time"]),
    )
    # left truncation drops coalitions, so more are generated than observed
    assert big.truth["n_generated"] > 3000
    assert (big.data.status == 2).sum() == iv.sum()


def test_censoring_shares_as_configured(big):
    frame = big.frame
    events = frame["event"] != "censored"
    # a fifth of the endings are interval-censored
    share = frame.loc[events, "lower"].notna().mean()
    assert share == pytest.approx(0.2, abs=0.03)
    # delayed entry: 30% drawn, fewer observed (those that ended early are unseen)
    delayed = (frame["entry"] > 0).mean()
    assert 0.15 < delayed < 0.3
    # administrative censoring only: every censored row ends at the horizon
    adm = simulate(n_coalitions=800, seed=5, admin_censor=24.0, random_censor_rate=0.0)
    cens = adm.frame["event"] == "censored"
    assert cens.any()
    np.testing.assert_allclose(adm.frame.loc[cens, "duration"], 24.0)
    assert adm.frame["duration"].max() <= 24.0
    # random censoring only: censoring times are exponential with the set mean
    rnd = simulate(n_coalitions=2000, seed=6, admin_censor=1e9, random_censor_rate=0.02)
    assert rnd.latent["censor_time"].mean() == pytest.approx(50.0, rel=0.08)
    none = simulate(n_coalitions=300, seed=7, admin_censor=1e9, random_censor_rate=0.0)
    assert (none.frame["event"] != "censored").all()


def test_effects_in_the_right_direction(big):
    covs = ["breadth", "power_hhi", "power_hhi_sq", "n_members", "ideological_breadth"]
    diss = _cox(big.frame, "dissolution", covs)
    assert diss["breadth"] < -1.0
    assert diss["power_hhi_sq"] > 1.0 and diss["power_hhi"] < -1.0  # U shape
    assert diss["n_members"] > 0
    ally = _cox(big.frame, "alliance", ["breadth", "power_hhi"])
    assert ally["breadth"] > 1.0
    goal = _cox(big.frame, "goal_reached", ["breadth", "power_hhi"])
    assert goal["breadth"] > 0 and goal["power_hhi"] > 0


def test_single_cause_and_collapsed():
    single = simulate_single_cause(n_coalitions=1500, seed=2, delayed_entry_share=0.2)
    assert single.data.causes == ("ended",)
    assert set(single.truth["causes"]) == {"ended"}
    coef = _cox(single.frame, None, ["breadth", "power_hhi", "n_members"])
    assert coef["breadth"] < -0.8 and coef["power_hhi"] > 0
    collapsed = simulate(n_coalitions=200, seed=9, collapse_causes=True)
    plain = simulate(n_coalitions=200, seed=9)
    assert collapsed.data.causes == ("ended",)
    assert set(collapsed.frame["event"]) == {"ended", "censored"}
    assert collapsed.truth["collapsed"] is True
    assert set(collapsed.truth["causes"]) == set(CAUSES)
    pd.testing.assert_series_equal(collapsed.frame["duration"], plain.frame["duration"])
    assert (collapsed.latent["true_cause"] == plain.latent["true_cause"]).all()


def test_params_override_units_and_errors():
    sim = simulate(
        n_coalitions=100, seed=1,
        params={"frailty_sd": 0.0, "causes": {"goal_reached": None,
                                               "dissolution": {"coef": {"power_hhi_sq": 0.0}}}},
    )
    assert sim.data.causes == ("dissolution", "alliance")
    assert sim.truth["causes"]["dissolution"]["coefficients"]["power_hhi_sq"] == 0.0
    assert sim.truth["causes"]["dissolution"]["coefficients"]["breadth"] == -2.0
    assert set(sim.truth["frailty"]["group_effects"].values()) == {0.0}
    # time units: the same draws, rescaled
    months = simulate(n_coalitions=60, seed=4, delayed_entry_share=0.3)
    years = simulate(n_coalitions=60, seed=4, delayed_entry_share=0.3, time_unit="years")
    np.testing.assert_allclose(years.frame["duration"] * 12, months.frame["duration"])
    assert years.truth["causes"]["alliance"]["scale"] == pytest.approx(100 / 12)
    assert years.data.time_unit == "years"
    with pytest.raises(ValueError, match="unknown key 'frailty'"):
        simulate(n_coalitions=50, params={"frailty": 1.0})
    with pytest.raises(ValueError, match="unknown covariates"):
        simulate(n_coalitions=50, params={"causes": {"alliance": {"coef": {"gdp": 1.0}}}})
    with pytest.raises(ValueError, match="interval_share"):
        simulate(n_coalitions=50, interval_share=1.5)
    assert default_params()["causes"]["alliance"]["shape"] == 1.8
    assert list(default_params("single")["causes"]) == ["ended"]


# --- bundled data set -----------------------------------------------------------------------
def _card_counts() -> dict[str, int]:
    text = synthetic_path("card").read_text()
    section = text.split("## Counts", 1)[1].split("##", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| (\w+) \| (\d+) \|$", section, re.M)}


def test_bundled_counts_match_card_and_truth():
    data = load_synthetic()
    truth = load_synthetic_truth()
    card = _card_counts()
    assert data.n == 600 == card["total"] == truth["n_coalitions"]
    assert data.time_unit == "months"
    assert data.group_names == ("group",)
    assert data.groups["group"].nunique() == 20
    assert data.causes == CAUSES
    for cause in CAUSES:
        assert data.n_events[cause] == card[cause] == truth["counts"][cause]
    assert int((data.status == 0).sum()) == card["censored"] == truth["counts"]["censored"]
    assert int((data.entry > 0).sum()) == truth["counts"]["delayed_entry"] > 0
    assert int((data.status == 2).sum()) == 0
    assert data.members is not None and len(data.members) == truth["n_members_rows"]


def test_bundled_collapsed_and_frame():
    collapsed = load_synthetic(causes="collapsed")
    assert collapsed.causes == ("ended",)
    assert collapsed.n_events["ended"] == 600 - load_synthetic_truth()["counts"]["censored"]
    frame = load_synthetic(as_frame=True)
    assert list(frame.columns[:7]) == ["id", "group", "duration", "event", "entry", "lower",
                                        "upper"]
    with pytest.raises(ValueError, match="causes"):
        load_synthetic(causes="some")


def test_bundled_file_is_what_the_script_makes():
    """The CSV equals a fresh simulation with the recorded settings (up to rounding)."""
    truth = load_synthetic_truth()
    sim = simulate(**truth["settings"])
    frame = load_synthetic(as_frame=True)
    np.testing.assert_allclose(frame["duration"], sim.frame["duration"], atol=1e-4)
    np.testing.assert_allclose(frame["breadth"], sim.frame["breadth"], atol=1e-6)
    assert (frame["event"] == sim.frame["event"]).all()
    assert truth["causes"] == sim.truth["causes"]


def test_synthetic_path_errors():
    assert synthetic_path().name == "synthetic_coalitions.csv"
    with pytest.raises(ValueError, match="which"):
        synthetic_path("nope")


def test_public_name_is_callable():
    import coalsurv

    result = coalsurv.simulate(n_coalitions=40, seed=8)
    assert isinstance(result, coalsurv.SimulationResult)
    assert result.data.n == 40
