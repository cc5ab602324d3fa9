"""Property tests of sojourn tables (hypothesis).

Valid random histories — state paths along the declared transitions (a recurrent state
included), increasing times, delayed entry, the last sojourn censored or ending in the
absorbing state — round-trip through ``TransitionData.from_frame`` -> ``to_frame`` (same rows,
same values, whatever the row order given). One random corruption of such a table (overlapping
or gapped sojourns, ``stop <= start``, an unknown ``to``, a row after absorption or after a
censored row, NaN, text, infinity or a negative time, the censored label as a state, a
self-transition, no rows) raises :class:`CoalitionDataError` and nothing else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalsurv.data.transitions import TransitionData
from coalsurv.errors import CoalitionDataError

#: Declared transitions: 'alliance -> coalition' makes 'coalition' recurrent.
OUT = {"coalition": ["alliance", "dissolution"],
       "alliance": ["community", "dissolution", "coalition"],
       "community": ["dissolution"]}
DECLARED = [f"{a} -> {b}" for a, targets in OUT.items() for b in targets]
OPTS = {"id": "id", "state": "state", "start": "start", "stop": "stop", "to": "to",
        "covariates": ["x"], "transitions": DECLARED}
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def histories(draw, min_rows: int = 1) -> pd.DataFrame:
    """A valid sojourn table of 1-5 units (rows in random order)."""
    text_ids = draw(st.booleans())
    rows = []
    for unit in range(draw(st.integers(1, 5))):
        uid = f"u{unit}" if text_ids else unit * 3 + 1
        now = draw(st.sampled_from([0.0, 0.0, 0.5, 2.25]))    # delayed entry now and then
        state = "coalition"
        for step in range(draw(st.integers(1, 6))):
            stay = draw(st.floats(0.01, 10.0, allow_nan=False))
            last = step == 5 or draw(st.booleans())
            target = "censored" if last and draw(st.booleans()) else \
                draw(st.sampled_from(OUT[state]))
            rows.append({"id": uid, "state": state, "start": now, "stop": now + stay,
                         "to": target, "x": draw(st.floats(-5, 5, allow_nan=False))})
            now += stay
            if target == "censored" or target not in OUT:
                break
            if last:
                rows[-1]["to"] = "censored"
                break
            state = target
    df = pd.DataFrame(rows)
    order = draw(st.permutations(range(len(df))))
    return df.iloc[list(order)].reset_index(drop=True)


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    out = df.sort_values(["id", "start"], kind="stable").reset_index(drop=True)
    out = out.assign(entered=out["start"])
    return out[["id", "state", "start", "stop", "to", "entered", "x"]]


@SETTINGS
@given(histories())
def test_valid_histories_round_trip(df):
    data = TransitionData.from_frame(df, **OPTS)
    pd.testing.assert_frame_equal(data.to_frame(), _canonical(df))
    assert data.n == len(df) and data.n_units == df["id"].nunique()
    assert set(data.states) <= {"coalition", "alliance", "community", "dissolution"}


def _pick(draw, df, *, multi=False):
    """Position (in df) of a random row; with ``multi`` one followed by its unit's next row."""
    ordered = df.sort_values(["id", "start"], kind="stable")
    if multi:
        same = ordered["id"].to_numpy()[1:] == ordered["id"].to_numpy()[:-1]
        firsts = ordered.index[:-1][same]
        if len(firsts) == 0:
            return None
        first = draw(st.sampled_from(list(firsts)))
        return first, ordered.index[list(ordered.index).index(first) + 1]
    return draw(st.sampled_from(list(df.index)))


#: Corruptions of a valid table; the first two are errors only against declared transitions
#: (a last ``to`` never seen before is otherwise a new absorbing state).
KINDS = ["unknown to", "after absorption", "overlap", "gap", "stop<=start", "after censored",
         "nan", "text time", "infinite", "negative start", "censored state", "self", "no rows"]


def _corrupt(draw, df: pd.DataFrame, kind: str) -> pd.DataFrame | None:
    """Corruption ``kind`` of a valid table (None when it does not apply to this one)."""
    df = df.copy()
    if kind in ("overlap", "gap", "after censored"):
        pair = _pick(draw, df, multi=True)
        if pair is None:
            return None
        a, b = pair
        if kind == "overlap":
            df.loc[b, "start"] = (df.loc[a, "start"] + df.loc[a, "stop"]) / 2
        elif kind == "gap":
            df.loc[b, "start"] = df.loc[a, "stop"] + draw(st.floats(0.001, 1.0))
        else:
            df.loc[a, "to"] = "censored"
        return df
    if kind == "no rows":
        return df.iloc[:0]
    if kind == "after absorption":
        last = df.sort_values(["id", "start"], kind="stable").groupby("id").tail(1)
        row = df.loc[draw(st.sampled_from(list(last.index)))]
        extra = {**row.to_dict(), "state": "dissolution", "start": row["stop"],
                 "stop": row["stop"] + 1.0, "to": "censored"}
        df.loc[row.name, "to"] = "dissolution"
        return pd.concat([df, pd.DataFrame([extra])], ignore_index=True)
    i = _pick(draw, df)
    if kind == "stop<=start":
        df.loc[i, "stop"] = df.loc[i, "start"] - draw(st.floats(0.0, 1.0))
    elif kind == "unknown to":
        df.loc[i, "to"] = "nowhere"
    elif kind == "nan":
        col = draw(st.sampled_from(["id", "state", "start", "stop", "to", "x"]))
        df[col] = df[col].astype(object)
        df.loc[i, col] = np.nan
    elif kind == "text time":
        col = draw(st.sampled_from(["start", "stop"]))
        df[col] = df[col].astype(object)
        df.loc[i, col] = "soon"
    elif kind == "infinite":
        df.loc[i, draw(st.sampled_from(["stop", "x"]))] = np.inf
    elif kind == "negative start":
        df.loc[i, "start"] = -draw(st.floats(0.001, 5.0))
    elif kind == "censored state":
        df.loc[i, "state"] = "censored"
    else:  # a self-transition
        df.loc[i, "to"] = df.loc[i, "state"]
    return df


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_corruption_raises_coalition_data_error_only(kind, data):
    df = data.draw(histories())
    bad = _corrupt(data.draw, df, kind)
    if bad is None:
        return
    declared = kind in KINDS[:2] or data.draw(st.booleans())
    opts = OPTS if declared else {k: v for k, v in OPTS.items() if k != "transitions"}
    with pytest.raises(CoalitionDataError):
        TransitionData.from_frame(bad, **opts)
