"""TransitionData: validation (one error listing every problem), wide tables, per-transition
episodes under both clocks, and the Aalen–Johansen estimator (against lifelines and by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.data.aalen_johansen import aalen_johansen
from coalsurv.data.transitions import TransitionData
from coalsurv.errors import CoalitionDataError

OPTS = {"id": "id", "state": "state", "start": "start", "stop": "stop", "to": "to"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 1, 1, 2, 3, 3],
        "state": ["coalition", "alliance", "community", "coalition", "coalition", "alliance"],
        "start": [0.0, 2.0, 5.0, 0.0, 1.0, 3.0],
        "stop": [2.0, 5.0, 9.0, 4.0, 3.0, 8.0],
        "to": ["alliance", "community", "censored", "dissolution", "alliance", "censored"],
        "x": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "g": ["a", "a", "a", "b", "b", "b"],
    })


def test_valid_frame_is_read():
    data = TransitionData.from_frame(_frame(), **OPTS, covariates=["x"], groups="g",
                                     time_unit="years")
    assert (data.n_units, data.n) == (3, 6)
    assert data.states == ("coalition", "alliance", "community", "dissolution")
    assert data.observed == {("coalition", "alliance"): 2, ("alliance", "community"): 1,
                             ("coalition", "dissolution"): 1}
    assert coalsurv.TransitionData is TransitionData


def test_every_problem_is_listed_once():
    df = _frame()
    df.loc[1, "start"] = 2.5            # gap after id 1's first sojourn
    df.loc[3, "stop"] = -1.0            # stop <= start (id 2)
    df.loc[5, "state"] = "community"    # id 3: 'alliance' announced, 'community' found
    with pytest.raises(CoalitionDataError) as err:
        TransitionData.from_frame(df, **OPTS)
    text = str(err.value)
    assert "'stop' must be after 'start'" in text and "id 2" in text
    # path checks run once values are valid: fix the value problem, see the path problems
    df.loc[3, "stop"] = 4.0
    with pytest.raises(CoalitionDataError) as err:
        TransitionData.from_frame(df, **OPTS)
    problems = err.value.problems
    assert any("gap" in p and "1" in p for p in problems)
    assert any("is not the next row's 'state'" in p and "3" in p for p in problems)


@pytest.mark.parametrize("change, words", [
    ({"to": [(0, "censored")]}, "rows after a sojourn censored"),
    ({"stop": [(0, 2.5)]}, "overlapping"),
    ({"to": [(3, "coalition")]}, "self-transition"),
    ({"start": [(0, np.nan)]}, "expected finite numbers"),
    ({"state": [(2, None)]}, "missing values"),
])
def test_bad_paths_are_named(change, words):
    df = _frame()
    for col, edits in change.items():
        for row, value in edits:
            df.loc[row, col] = value
    with pytest.raises(CoalitionDataError, match=words):
        TransitionData.from_frame(df, **OPTS)


def test_options_are_checked_first():
    with pytest.raises(CoalitionDataError) as err:
        TransitionData.from_frame(_frame(), id="id", state="nope", start="start", stop="stop",
                                  to="to", covariates=["zz"], time_unit="weeks")
    text = str(err.value)
    assert "state='nope'" in text and "'zz'" in text and "time_unit='weeks'" in text


def test_declared_transitions_and_absorbing_states():
    with pytest.raises(CoalitionDataError) as err:
        TransitionData.from_frame(_frame(), **OPTS,
                                  transitions=["coalition -> alliance", "alliance -> community",
                                               "coalition -> dissolution"])
    # community is absorbing in the declared model, yet id 1 has a sojourn in it
    assert "absorbing" in str(err.value) and "community" in str(err.value)
    df = _frame().drop(index=2)
    df.loc[1, "to"] = "community"
    with pytest.raises(CoalitionDataError, match="'alliance -> community' is observed"):
        TransitionData.from_frame(df, **OPTS, transitions=["coalition -> alliance",
                                                           "coalition -> dissolution"])


def test_wide_table_gives_the_same_sojourns():
    wide = pd.DataFrame({"id": [1, 2], "alliance_at": [2.0, np.nan],
                         "community_at": [5.0, np.nan], "dissolved_at": [np.nan, 4.0],
                         "end": [9.0, 10.0], "x": [0.1, 0.4]})
    data = TransitionData.from_wide(
        wide, id="id", entry_times={"alliance": "alliance_at", "community": "community_at",
                                    "dissolution": "dissolved_at"},
        end="end", absorbing=["dissolution"], covariates=["x"])
    f = data.frame
    assert list(f["state"]) == ["coalition", "alliance", "community", "coalition"]
    assert list(f["to"]) == ["alliance", "community", "censored", "dissolution"]
    assert list(f["stop"]) == [2.0, 5.0, 9.0, 4.0]
    assert list(f["id"]) == [1, 1, 1, 2] and f["id"].dtype.kind == "i"   # ids stay integers
    wide.loc[1, "alliance_at"] = 6.0  # after the absorbing dissolution
    with pytest.raises(CoalitionDataError, match="after the absorbing state 'dissolution'"):
        TransitionData.from_wide(wide, id="id", entry_times={
            "alliance": "alliance_at", "dissolution": "dissolved_at"}, end="end",
            absorbing=["dissolution"])


def test_episodes_per_clock():
    df = _frame()
    df["entered"] = df["start"]
    df.loc[4, "entered"] = 0.5   # id 3 entered the coalition before observation (delayed)
    data = TransitionData.from_frame(df, **OPTS, entered="entered")
    reset = data.episodes("alliance", "community", clock="reset")
    assert list(reset.time) == [3.0, 5.0] and list(reset.entry) == [0.0, 0.0]
    assert list(reset.status) == [1, 0]
    fwd = data.episodes("alliance", "community", clock="forward")
    assert list(fwd.time) == [5.0, 8.0] and list(fwd.entry) == [2.0, 3.0]
    coal = data.episodes("coalition", "alliance", clock="reset")
    # id 3: entered at 0.5, observed from 1.0 to 3.0 -> entry 0.5, time 2.5
    assert np.allclose(coal.entry, [0.0, 0.0, 0.5]) and np.allclose(coal.time, [2.0, 4.0, 2.5])
    # the exit to dissolution censors the coalition -> alliance episode of id 2
    assert list(coal.status) == [1, 0, 1]


def test_aalen_johansen_by_hand():
    data = TransitionData.from_frame(_frame(), **OPTS)
    aj = aalen_johansen(data, [1.0, 2.0, 3.0, 4.0, 5.0], start="coalition")
    occ = aj.pivot(index="time", columns="state", values="occupancy")
    np.testing.assert_allclose(occ.sum(axis=1), 1.0)
    # t=2: id 1 moves, at risk in coalition: ids 1, 2, 3 (3 entered at 1) -> 1/3 in alliance
    assert occ.loc[2.0, "alliance"] == pytest.approx(1 / 3)
    # t=3: id 3 moves, at risk ids 2, 3 -> coalition 2/3 * 1/2
    assert occ.loc[3.0, "coalition"] == pytest.approx(1 / 3)
    # t=4: id 2 dissolves, only it at risk -> coalition empty
    assert occ.loc[4.0, "coalition"] == pytest.approx(0.0)
    assert occ.loc[4.0, "dissolution"] == pytest.approx(1 / 3)
    # t=5: id 1 enters community; alliance at risk: ids 1, 3
    assert occ.loc[5.0, "community"] == pytest.approx(2 / 3 * 1 / 2)


def test_aalen_johansen_matches_lifelines_for_competing_risks():
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(3)
    n = 300
    t_a, t_d, c = rng.exponential(5, n), rng.exponential(8, n), rng.uniform(2, 15, n)
    t = np.minimum(np.minimum(t_a, t_d), c)
    to = np.where(t == c, "censored", np.where(t_a < t_d, "alliance", "dissolution"))
    df = pd.DataFrame({"id": range(n), "state": "coalition", "start": 0.0, "stop": t, "to": to})
    data = TransitionData.from_frame(df, **OPTS)
    times = np.quantile(t, [0.25, 0.5, 0.75])
    ours = aalen_johansen(data, times).pivot(index="time", columns="state", values="occupancy")
    code = pd.Series(to).map({"censored": 0, "alliance": 1, "dissolution": 2}).to_numpy()
    for k, state in ((1, "alliance"), (2, "dissolution")):
        ajf = AalenJohansenFitter(calculate_variance=False, jitter_level=0.0)
        ajf.fit(t, code, event_of_interest=k)
        cif = ajf.cumulative_density_.iloc[:, 0]
        theirs = [cif[cif.index <= u].iloc[-1] for u in times]
        np.testing.assert_allclose(ours[state].to_numpy(), theirs, atol=1e-10)


@pytest.mark.parametrize("times", [["six"], [[1.0, 2.0], [3.0]], [], [1.0, -2.0], 5.0])
def test_aalen_johansen_refuses_bad_times_by_name(times):
    from coalsurv.errors import ArgumentError

    data = TransitionData.from_frame(_frame(), **OPTS)
    with pytest.raises(ArgumentError, match="times must be a non-empty 1-D sequence"):
        aalen_johansen(data, times, start="coalition")
