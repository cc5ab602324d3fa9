"""Coalition-level covariates checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coalsurv.data.covariates import (
    banzhaf,
    coalition_covariates,
    herfindahl,
    herfindahl_normalized,
    interest_breadth,
    leader_ratio,
    leader_share,
    power_concentration,
)
from coalsurv.data.covariates.power import _swing_counts, _swing_counts_enum
from coalsurv.errors import CoalitionDataError


@pytest.fixture
def members() -> pd.DataFrame:
    """Three coalitions: a = (5, 3, 2) seats, b = two equals, c = one member."""
    return pd.DataFrame(
        {
            "id": ["a", "a", "a", "b", "b", "c"],
            "member": ["A1", "A2", "A3", "B1", "B2", "C1"],
            "seats": [5, 3, 2, 1, 1, 7],
            "lr": [1.0, 2.0, 4.0, 5.0, 5.0, 3.0],
            "econ": [1, 1, 1, 1, 0, 1],
            "social": [1, 0, 1, 1, 1, 0],
            "foreign": [0, 0, 1, 0, 1, 1],
        }
    )


# --- single coalition -----------------------------------------------------------------------
def test_herfindahl_hand_values():
    assert herfindahl([0.5, 0.3, 0.2]) == pytest.approx(0.38)
    assert herfindahl([5, 3, 2]) == pytest.approx(0.38)  # normalised first
    assert herfindahl_normalized([0.5, 0.3, 0.2]) == pytest.approx((0.38 - 1 / 3) / (2 / 3))
    assert herfindahl_normalized([0.5, 0.3, 0.2]) == pytest.approx(0.07)
    assert herfindahl_normalized([1, 1, 1, 1]) == pytest.approx(0.0)
    assert herfindahl_normalized([1, 0, 0]) == pytest.approx(1.0)
    assert herfindahl_normalized([3.0]) == 1.0  # single member: maximal concentration


def test_leader_measures():
    assert leader_share([0.5, 0.3, 0.2]) == pytest.approx(0.5)
    assert leader_ratio([0.2, 0.5, 0.3]) == pytest.approx(0.5 / 0.3)
    assert leader_ratio([4, 0, 0]) == np.inf
    assert np.isnan(leader_ratio([1.0]))


@pytest.mark.parametrize(
    ("weights", "quota", "expected"),
    [
        # {A,B}, {A,C}, {A,B,C} win: A swings in 3 sets, B and C in 1 each
        ([50, 49, 1], 51, [3 / 5, 1 / 5, 1 / 5]),
        # every pair wins, the grand coalition has no swing: unequal weights, equal power
        ([3, 2, 2], 4, [1 / 3, 1 / 3, 1 / 3]),
        # a dictator
        ([4, 2, 1], 4, [1.0, 0.0, 0.0]),
        # UN-like veto: quota needs both large members
        ([2, 2, 1], 4, [0.5, 0.5, 0.0]),
        # simple majority of (5, 3, 2): q = 6, same structure as (50, 49, 1)
        ([5, 3, 2], "majority", [0.6, 0.2, 0.2]),
        # fractional weights with an absolute quota in the same units
        ([0.5, 0.49, 0.01], 0.51, [0.6, 0.2, 0.2]),
        # simple majority of 4 equals (q = 3)
        ([1, 1, 1, 1], "majority", [0.25] * 4),
    ],
)
def test_banzhaf_hand_values(weights, quota, expected):
    np.testing.assert_allclose(banzhaf(weights, quota=quota), expected)


def test_banzhaf_quota_above_total_is_nan():
    assert np.all(np.isnan(banzhaf([1, 1], quota=5)))


def test_banzhaf_dp_agrees_with_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 11))
        w = rng.integers(0, 25, size=n)
        if w.sum() == 0:
            continue
        q = int(rng.integers(1, w.sum() + 2))
        np.testing.assert_array_equal(_swing_counts(w, q), _swing_counts_enum(w, q))
    # a 16-member game goes through the DP path and still sums to one
    beta = banzhaf(np.arange(1, 17), quota="majority")
    assert beta.sum() == pytest.approx(1.0)
    assert np.all(np.diff(beta) >= 0)  # more weight never means less power


def test_banzhaf_rejects_bad_input():
    with pytest.raises(CoalitionDataError, match="non-negative"):
        banzhaf([1, -1])
    with pytest.raises(CoalitionDataError, match="quota"):
        banzhaf([1, 1], quota="unanimity")
    with pytest.raises(CoalitionDataError, match="at most 20"):
        banzhaf(np.ones(21))


# --- many coalitions ------------------------------------------------------------------------
def test_power_concentration_table(members):
    out = power_concentration(members, share="seats", quota="majority")
    assert list(out.index) == ["a", "b", "c"]
    assert out.index.name == "id"
    a, b, c = out.loc["a"], out.loc["b"], out.loc["c"]
    assert a["n_members"] == 3
    assert a["power_hhi"] == pytest.approx(0.38)
    assert a["power_hhi_norm"] == pytest.approx(0.07)
    assert a["leader_share"] == pytest.approx(0.5)
    assert a["leader_ratio"] == pytest.approx(5 / 3)
    assert a["banzhaf_max"] == pytest.approx(0.6)
    assert a["banzhaf_hhi"] == pytest.approx(0.36 + 0.04 + 0.04)
    assert b["power_hhi"] == pytest.approx(0.5)
    assert b["power_hhi_norm"] == pytest.approx(0.0)
    assert b["leader_ratio"] == pytest.approx(1.0)
    assert b["banzhaf_max"] == pytest.approx(0.5)
    assert c["power_hhi"] == 1.0 and c["power_hhi_norm"] == 1.0
    assert np.isnan(c["leader_ratio"])
    assert c["banzhaf_max"] == 1.0


def test_power_concentration_without_quota_and_with_fraction(members):
    out = power_concentration(members, share="seats")
    assert "banzhaf_max" not in out.columns
    # (5, 3, 2) with a 0.8 quota: only {5,3} (8) and the grand coalition (10) win;
    # 5 and 3 swing in both, 2 in none
    frac = power_concentration(members, share="seats", quota=0.8)
    assert frac.loc["a", "banzhaf_max"] == pytest.approx(0.5)


def test_power_concentration_row_order_irrelevant(members):
    shuffled = members.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        power_concentration(members, share="seats", quota="majority"),
        power_concentration(shuffled, share="seats", quota="majority"),
    )


def test_power_concentration_errors(members):
    with pytest.raises(CoalitionDataError, match="'votes'"):
        power_concentration(members, share="votes")
    bad = members.copy()
    bad.loc[1, "seats"] = -2
    bad.loc[5, "seats"] = np.nan
    with pytest.raises(CoalitionDataError) as err:
        power_concentration(bad, share="seats")
    text = str(err.value)
    assert "negative share in coalitions 'a'" in text
    assert "missing or non-numeric share in coalitions 'c'" in text
    assert len(err.value.problems) == 2
    zero = members.copy()
    zero.loc[zero.id == "b", "seats"] = 0
    with pytest.raises(CoalitionDataError, match="sum to 0 in coalitions 'b'"):
        power_concentration(zero, share="seats")
    with pytest.raises(CoalitionDataError, match="quota"):
        power_concentration(members, share="seats", quota=1.5)


def test_positional_breadth_sign_convention(members):
    out = interest_breadth(members, position="lr")
    # larger = broader agreement: b (identical positions) > a (spread over 3 points)
    assert out.loc["a", "breadth_range"] == pytest.approx(-3.0)
    assert out.loc["a", "breadth_sd"] == pytest.approx(-np.std([1.0, 2.0, 4.0]))
    assert out.loc["b", "breadth_range"] == 0.0
    assert out.loc["b", "breadth_sd"] == 0.0
    assert out.loc["b", "breadth_sd"] > out.loc["a", "breadth_sd"]
    assert (out["breadth_range"] <= 0).all()


def test_issue_breadth_hand_values(members):
    out = interest_breadth(members, issues=["econ", "social", "foreign"])
    # a: A1 {econ, social}, A2 {econ}, A3 {econ, social, foreign}
    # all hold {econ}; some hold 3 areas -> 1/3; pairs J = 1/2, 2/3, 1/3; shared 1, 2, 1
    assert out.loc["a", "shared_issue_share"] == pytest.approx(1 / 3)
    assert out.loc["a", "interest_jaccard"] == pytest.approx(0.5)
    assert out.loc["a", "interest_depth"] == pytest.approx(4 / 3)
    # b: {econ, social} and {social, foreign}
    assert out.loc["b", "shared_issue_share"] == pytest.approx(1 / 3)
    assert out.loc["b", "interest_jaccard"] == pytest.approx(1 / 3)
    assert out.loc["b", "interest_depth"] == pytest.approx(1.0)
    # c: a single member has no pairs
    assert out.loc["c", "shared_issue_share"] == 1.0
    assert np.isnan(out.loc["c", "interest_jaccard"])


def test_issue_breadth_long_format_matches_wide(members):
    wide_cols = ["econ", "social", "foreign"]
    long = members.melt(id_vars=["id", "member"], value_vars=wide_cols, var_name="issue")
    long = long.loc[long["value"] == 1, ["id", "member", "issue"]]
    wide = interest_breadth(members, issues=wide_cols)
    from_long = interest_breadth(long, issues="issue")
    pd.testing.assert_frame_equal(wide, from_long, check_dtype=False)


def test_issue_intensities_generalise_jaccard():
    m = pd.DataFrame({"id": [1, 1], "x": [2.0, 1.0], "y": [0.0, 3.0]})
    out = interest_breadth(m, issues=["x", "y"])
    # sum min = 1 + 0, sum max = 2 + 3
    assert out.loc[1, "interest_jaccard"] == pytest.approx(1 / 5)
    assert out.loc[1, "interest_depth"] == pytest.approx(1.0)
    assert out.loc[1, "shared_issue_share"] == pytest.approx(1 / 2)


def test_interest_breadth_errors(members):
    with pytest.raises(CoalitionDataError, match="give position=, issues= or both"):
        interest_breadth(members)
    bad = members.copy()
    bad.loc[[0, 3], "lr"] = np.nan
    with pytest.raises(CoalitionDataError, match="coalitions 'a', 'b'"):
        interest_breadth(bad, position="lr")
    with pytest.raises(CoalitionDataError, match="'health'"):
        interest_breadth(members, issues=["econ", "health"])
    neg = members.copy()
    neg.loc[2, "econ"] = -1
    with pytest.raises(CoalitionDataError, match="negative value in coalitions 'a'"):
        interest_breadth(neg, issues=["econ"])
    noid = members.copy()
    noid.loc[4, "id"] = None
    with pytest.raises(CoalitionDataError, match="coalition id missing in members rows 4"):
        interest_breadth(noid, position="lr")


def test_coalition_covariates_joins(members):
    out = coalition_covariates(
        members, share="seats", position="lr", issues=["econ", "social", "foreign"], quota=0.5
    )
    assert list(out.columns).count("n_members") == 1
    expected = {"power_hhi", "banzhaf_max", "breadth_sd", "interest_jaccard", "n_members"}
    assert expected <= set(out.columns)
    assert out.loc["a", "power_hhi"] == pytest.approx(0.38)
    assert out.loc["a", "breadth_range"] == pytest.approx(-3.0)
    with pytest.raises(CoalitionDataError):
        coalition_covariates(members)
    with pytest.raises(CoalitionDataError, match="quota"):
        coalition_covariates(members, position="lr", quota="majority")
