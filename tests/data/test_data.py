"""Tests of coalsurv.data.CoalitionData: validation messages, canonical arrays, round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coalsurv.data.episodes import CoalitionData, DataDescription
from coalsurv.errors import CoalitionDataError

KW = dict(
    duration="dur",
    event="end_type",
    id="cab",
    groups="country",
    covariates=["hhi", "polar"],
    time_unit="months",
)


def base() -> pd.DataFrame:
    """Six cabinets, two causes, two censored."""
    return pd.DataFrame(
        {
            "cab": ["a", "b", "c", "d", "e", "f"],
            "dur": [3.0, 12.0, 7.5, 20.0, 1.0, 30.0],
            "end_type": ["dissolved", "censored", "alliance", "dissolved", "censored", "alliance"],
            "country": ["BE", "BE", "NL", "NL", "DK", "DK"],
            "hhi": [0.5, 0.6, 0.4, 0.7, 0.55, 0.35],
            "polar": [1, 2, 3, 4, 5, 6],
        }
    )


def dates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "begin": ["2000-01-01", "2001-03-01", "2002-01-01"],
            "finish": ["2000-01-31", "2002-03-01", "2002-07-01"],
            "fell": [1, 0, 1],
        }
    )


def setv(col, i, value):
    """Return a mutation that sets one cell of the base frame."""

    def mutate(df):
        df[col] = df[col].astype(object) if not isinstance(value, float) else df[col]
        df.loc[i, col] = value
        return df

    return mutate


def build(mutate=None, **overrides):
    df = base()
    if mutate is not None:
        df = mutate(df)
    kw = {**KW, **overrides}
    return CoalitionData.from_frame(df, **kw)


# --- bad inputs: every message names the column, the row ids and what is expected -------------
BAD = [
    ("missing column", None, dict(duration="length"),
     ["'length'", "not found", "available", "'dur'"]),
    ("non-numeric duration", setv("dur", 1, "long"), {}, ["'dur'", "non-numeric", "'long'", "'b'"]),
    ("nan duration", setv("dur", 2, np.nan), {}, ["'dur'", "missing values", "'c'", "dropna=True"]),
    ("inf covariate", setv("hhi", 0, np.inf), {}, ["'hhi'", "infinite", "'a'"]),
    ("negative duration", setv("dur", 3, -1.0), {}, ["'dur'", "> 0", "'d'"]),
    ("zero duration", setv("dur", 4, 0.0), {}, ["'dur'", "> 0", "'e'"]),
    ("unknown cause", None, dict(causes=["dissolved"]), ["'end_type'", "'alliance'", "'c'", "'f'"]),
    ("numeric event not 0/1", lambda d: d.assign(end_type=[0, 1, 2, 1, 0, 3]), {},
     ["'end_type'", "0 (censored) or 1", "'c'", "'f'"]),
    ("mixed event types", setv("end_type", 0, 1), {}, ["'end_type'", "all cause labels", "'a'"]),
    ("nan event", setv("end_type", 5, None), {}, ["'end_type'", "missing values", "'f'"]),
    ("duplicate ids", setv("cab", 1, "a"), {}, ["'cab'", "duplicate ids", "'a'"]),
    ("duplicate index ids", lambda d: d.set_axis([0, 1, 1, 2, 3, 3]), dict(id=None),
     ["index", "duplicate ids 1, 3"]),
    ("group nan", setv("country", 4, None), {}, ["'country'", "missing values", "'e'"]),
    ("constant covariate", lambda d: d.assign(polar=2), {}, ["'polar'", "constant"]),
    ("all censored", lambda d: d.assign(end_type="censored"), {},
     ["'end_type'", "all 6 rows are censored"]),
    ("unknown time unit", None, dict(time_unit="weeks"), ["time_unit='weeks'", "'months'"]),
    ("two roles", None, dict(covariates=["hhi", "dur"]), ["'dur'", "several roles", "duration"]),
    ("group and covariate", None, dict(groups="polar"), ["'polar'", "groups, covariates"]),
    ("no length", None, dict(duration=None), ["duration=", "start= and end="]),
    ("length twice", lambda d: d.assign(b=1, e=2), dict(start="b", end="e"), ["not both"]),
    ("non-numeric covariate", None, dict(covariates=["country"], groups=None),
     ["'country'", "non-numeric", "'BE'"]),
    ("reserved covariate", lambda d: d.assign(time=d["hhi"] * 2), dict(covariates=["time"]),
     ["'time'", "reserved"]),
    ("censored in causes", None, dict(causes=["censored", "alliance", "dissolved"]),
     ["causes=", "'censored'", "cannot be a cause"]),
    ("0/1 with two causes", lambda d: d.assign(end_type=[1, 0, 1, 1, 0, 1]),
     dict(causes=["a", "b"]), ["causes=", "exactly one"]),
    ("lower without upper", lambda d: d.assign(lo=1.0), dict(lower="lo"), ["lower=", "upper="]),
    ("boolean duration", lambda d: d.assign(dur=True), {}, ["'dur'", "boolean"]),
]


@pytest.mark.parametrize(("case", "mutate", "overrides", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_column_and_ids(case, mutate, overrides, expected):
    with pytest.raises(CoalitionDataError) as info:
        build(mutate, **overrides)
    message = str(info.value)
    for text in expected:
        assert text in message, f"{case}: {text!r} not in\n{message}"
    assert info.value.problems, "problems must list each problem"
    assert all("\n" not in p for p in info.value.problems)


def test_all_problems_collected_at_once():
    df = base()
    df.loc[0, "dur"] = -1.0
    df.loc[1, "hhi"] = np.inf
    df["cab"] = ["a", "a", "c", "d", "e", "f"]
    with pytest.raises(CoalitionDataError) as info:
        CoalitionData.from_frame(df, **{**KW, "causes": ["dissolved"]})
    text = "\n".join(info.value.problems)
    assert len(info.value.problems) >= 4
    for part in ("duplicate ids", "infinite", "> 0", "unknown cause labels"):
        assert part in text


def test_many_ids_are_truncated():
    df = pd.DataFrame({"t": [1.0] * 9 + [2.0], "e": [1] * 10, "x": [np.nan] * 8 + [1.0, 2.0]})
    with pytest.raises(CoalitionDataError, match=r"ids 0, 1, 2, 3, 4 and 3 more"):
        CoalitionData.from_frame(df, duration="t", event="e", time_unit="days")


def test_date_errors():
    df = dates()
    df.loc[1, "finish"] = "2000-01-01"
    df.loc[2, "begin"] = "not a date"
    with pytest.raises(CoalitionDataError) as info:
        CoalitionData.from_frame(df, start="begin", end="finish", event="fell", time_unit="days")
    text = str(info.value)
    assert "'finish': end date before the start date" in text and "(id 1)" in text
    assert "'begin': could not read dates ('not a date')" in text and "(id 2)" in text


def test_entry_errors():
    df = base().assign(ent=[0.0, 12.0, -1.0, 0.0, 0.0, 2.0])
    with pytest.raises(CoalitionDataError) as info:
        build(lambda d: df, entry="ent")
    text = str(info.value)
    assert "'ent': entry must be before the exit time" in text and "'b'" in text
    assert "'ent': entry times must be >= 0" in text and "'c'" in text


def test_interval_errors():
    df = base().assign(lo=[np.nan, 5.0, 2.0, -1.0, np.nan, np.nan],
                       up=[np.nan, 8.0, 2.0, 3.0, np.nan, np.nan])
    with pytest.raises(CoalitionDataError) as info:
        build(lambda d: df, lower="lo", upper="up")
    text = str(info.value)
    assert "interval is given for censored rows" in text and "'b'" in text
    assert "'up': upper bound must be > lower" in text and "'c'" in text
    assert "'lo': lower bound must be >= 0" in text and "'d'" in text


# --- events, dates, intervals, entry ---------------------------------------------------------
def test_labels_sorted_and_canonical_arrays():
    data = build()
    assert data.causes == ("alliance", "dissolved")
    assert list(data.ids) == list("abcdef") and data.ids.name == "id"
    np.testing.assert_array_equal(data.status, [1, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(data.cause_index, [1, -1, 0, 1, -1, 0])
    np.testing.assert_array_equal(data.time_upper, [3.0, np.inf, 7.5, 20.0, np.inf, 30.0])
    assert data.status.dtype == np.int8 and data.cause_index.dtype == np.int64
    assert data.n_events == {"alliance": 2, "dissolved": 2}
    assert data.covariate_names == ("hhi", "polar") and data.group_names == ("country",)
    assert data.covariates.dtypes.eq(float).all() and data.groups["country"].tolist()[0] == "BE"
    assert data.frame.loc["c", "end_type"] == "alliance"
    assert "1 censored" not in repr(data) and "2 censored" in repr(data)
    assert repr(data).startswith("<coalsurv.CoalitionData: 6 episodes, 4 events (alliance: 2")


def test_given_cause_order_is_kept():
    data = build(causes=["dissolved", "alliance"])
    assert data.causes == ("dissolved", "alliance")
    np.testing.assert_array_equal(data.cause_index, [0, -1, 1, 0, -1, 1])


@pytest.mark.parametrize("flags", [[1, 0, 1], [True, False, True], [1.0, 0.0, 1.0]])
def test_binary_events(flags):
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": flags})
    data = CoalitionData.from_frame(df, duration="t", event="e", covariates=[], time_unit="days")
    assert data.causes == ("event",)
    np.testing.assert_array_equal(data.status, [1, 0, 1])
    named = CoalitionData.from_frame(df, duration="t", event="e", causes=["fell"], time_unit="days")
    assert named.causes == ("fell",) and named.n_events == {"fell": 2}


def test_custom_censored_label():
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": ["fell", "ongoing", "fell"]})
    data = CoalitionData.from_frame(df, duration="t", event="e", censored="ongoing",
                                    time_unit="days")
    assert data.causes == ("fell",) and data.censored_label == "ongoing"
    assert data.to_frame()["cause"].tolist() == ["fell", "ongoing", "fell"]


UNITS = [("days", 1.0), ("months", 30.4375), ("years", 365.25)]


@pytest.mark.parametrize(("unit", "factor"), UNITS)
def test_date_columns(unit, factor):
    kw = dict(start="begin", end="finish", event="fell", time_unit=unit)
    data = CoalitionData.from_frame(dates(), **kw)
    np.testing.assert_allclose(data.time, np.array([30.0, 365.0, 181.0]) / factor)
    assert data.time_unit == unit


def test_interval_rows():
    df = pd.DataFrame(
        {
            "t": [4.0, np.nan, 6.0, 9.0],
            "e": [1, 1, 0, 1],
            "lo": [np.nan, 2.0, np.nan, 0.0],
            "up": [np.nan, 5.0, np.nan, 3.0],
        }
    )
    data = CoalitionData.from_frame(df, duration="t", event="e", lower="lo", upper="up",
                                    time_unit="days")
    np.testing.assert_array_equal(data.status, [1, 2, 0, 2])
    np.testing.assert_array_equal(data.time, [4.0, 2.0, 6.0, 0.0])
    np.testing.assert_array_equal(data.time_upper, [4.0, 5.0, np.inf, 3.0])
    assert data.describe().n_interval == 2
    km = data.kaplan_meier()
    assert sorted(km.durations.tolist()) == [1.5, 3.5, 4.0, 6.0]  # midpoints


def test_delayed_entry_and_km():
    from lifelines import KaplanMeierFitter

    df = base().assign(ent=[0.0, 2.0, 0.0, 5.0, 0.0, 0.0])
    data = build(lambda d: df, entry="ent")
    np.testing.assert_array_equal(data.entry, [0, 2, 0, 5, 0, 0])
    assert data.describe().n_delayed_entry == 2
    ref = KaplanMeierFitter().fit(df["dur"], df["end_type"] != "censored", entry=df["ent"])
    km = data.kaplan_meier(label="x")
    pd.testing.assert_series_equal(
        km.survival_function_.iloc[:, 0], ref.survival_function_.iloc[:, 0], check_names=False
    )


# --- dropna -----------------------------------------------------------------------------------
def test_dropna_excludes_and_reports():
    df = base()
    df.loc[1, "hhi"] = np.nan
    df.loc[3, "country"] = None
    df.loc[3, "dur"] = np.nan
    data = build(lambda d: df, dropna=True)
    assert data.n == 4 and list(data.ids) == ["a", "c", "e", "f"]
    assert data.excluded["id"].tolist() == ["b", "d"]
    assert data.excluded["reason"].tolist()[0] == "missing value in 'hhi'"
    assert "'country'" in data.excluded["reason"].tolist()[1]
    desc = data.describe()
    assert desc.n_excluded == 2 and sum(desc.excluded_by_reason.values()) == 2
    assert "excluded" in str(desc)


def test_auto_covariates():
    df = base().assign(note="x", flag=[True, False] * 3)
    data = CoalitionData.from_frame(
        df, duration="dur", event="end_type", id="cab", groups="country", time_unit="days"
    )
    assert data.covariate_names == ("hhi", "polar", "flag")


# --- spells -----------------------------------------------------------------------------------
def spells_ok() -> pd.DataFrame:
    rows = [("a", 0, 1, 1.0), ("a", 1, 3, 2.0), ("b", 0, 12, 1.0), ("c", 0, 7.5, 0.0),
            ("d", 0, 20, 1.0), ("e", 0, 1, 3.0), ("f", 0, 10, 1.0), ("f", 10, 30, 2.0)]
    return pd.DataFrame(rows, columns=["id", "start", "stop", "unemp"])


def test_valid_spells_are_sorted():
    sp = spells_ok().iloc[::-1]
    data = build(spells=sp)
    assert data.spells["id"].tolist() == list("aabcdeff")
    assert data.spells["start"].tolist()[:2] == [0, 1]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.drop(index=1).assign(), "last stop differs"),
        (lambda s: s.assign(start=s["start"].where(s.index != 1, 0.5)), "overlap"),
        (lambda s: s.assign(start=s["start"].where(s.index != 7, 12.0)), "gap"),
        (lambda s: s.assign(start=s["start"].where(s.index != 0, 0.5)), "first spell starts after"),
        (lambda s: s.assign(stop=s["stop"].where(s.index != 6, 0.0)), "start must be < stop"),
        (lambda s: pd.concat([s, pd.DataFrame({"id": ["zz"], "start": [0], "stop": [1]})]),
         "ids not in the episode table: 'zz'"),
        (lambda s: s[s["id"] != "e"], "no spells for episodes 'e'"),
        (lambda s: s.drop(columns="stop"), "missing columns ['stop']"),
    ],
    ids=["end", "overlap", "gap", "late start", "empty spell", "unknown id", "no spells", "column"],
)
def test_bad_spells(change, expected):
    with pytest.raises(CoalitionDataError, match="spells") as info:
        build(spells=change(spells_ok()).reset_index(drop=True))
    assert expected in str(info.value)


def test_spells_honour_entry_and_interval():
    df = base().assign(ent=[0.0, 2.0, 0, 0, 0, 0])
    sp = spells_ok()
    sp.loc[sp["id"] == "b", "start"] = 1.0  # starts before entry 2: fine
    data = build(lambda d: df, entry="ent", spells=sp)
    assert len(data.spells) == 8


# --- members ----------------------------------------------------------------------------------
def members_ok() -> pd.DataFrame:
    ids = list("abcdef")
    return pd.DataFrame(
        {
            "id": [i for i in ids for _ in range(2)],
            "member": ["p", "q"] * 6,
            "share": [0.6, 0.4] * 6,
            "position": np.arange(12.0),
        }
    )


def test_valid_members():
    data = build(members=members_ok())
    assert data.members.shape == (12, 4)


def test_bad_members():
    mb = members_ok()
    mb.loc[0, "share"] = 0.7  # a sums to 1.1
    mb.loc[2:3, "share"] = [1.5, -0.5]  # b: negative
    mb.loc[5, "member"] = "p"  # c: duplicate p
    mb = pd.concat([mb, pd.DataFrame({"id": ["zz"], "member": ["p"], "share": [1.0]})])
    with pytest.raises(CoalitionDataError) as info:
        build(members=mb.reset_index(drop=True))
    text = str(info.value)
    assert "do not sum to 1" in text and "'a': 1.1" in text
    assert "negative shares for episodes 'b'" in text
    assert "duplicate (id, member) pairs ('c', 'p')" in text
    assert "ids not in the episode table: 'zz'" in text


# --- describe, views, hash --------------------------------------------------------------------
def test_describe_by_hand():
    desc = build(name="toy").describe()
    assert isinstance(desc, DataDescription)
    assert (desc.n, desc.n_censored, desc.n_interval, desc.n_delayed_entry) == (6, 2, 0, 0)
    assert desc.censored_share == pytest.approx(1 / 3)
    assert desc.follow_up == {"min": 1.0, "median": 9.75, "max": 30.0}
    assert desc.groups == {"country": 3}
    # KM: events at 3 (6 at risk), 7.5 (4), 20 (2), 30 (1) -> S(7.5) = 5/6 * 3/4 = 0.625,
    # S(20) = 0.3125 -> median 20
    assert desc.km_median == 20.0
    frame = desc.to_frame()
    assert list(frame.columns) == ["statistic", "value"]
    assert frame.set_index("statistic").loc["follow-up max (months)", "value"] == 30.0
    text = str(desc)
    assert "(months)" in text and "events: alliance" in text
    assert "<table" in desc._repr_html_() and "<table" in build()._repr_html_()


def test_risk_table_by_hand():
    table = build().risk_table([0.0, 7.5, 25.0])
    assert list(table.columns) == ["time", "at_risk", "alliance", "dissolved", "censored"]
    assert table["at_risk"].tolist() == [6, 4, 1]
    assert table["alliance"].tolist() == [0, 1, 1]
    assert table["censored"].tolist() == [0, 1, 2]


def test_round_trip_preserves_hash():
    df = base().assign(
        ent=[0.0, 1.0, 0, 0, 0, 0],
        lo=[np.nan, np.nan, 2.0, np.nan, np.nan, np.nan],
        up=[np.nan, np.nan, 7.0, np.nan, np.nan, np.nan],
    )
    data = build(lambda d: df, entry="ent", lower="lo", upper="up", members=members_ok())
    frame = data.to_frame()
    assert list(frame.columns[:6]) == ["id", "entry", "time", "time_upper", "status", "cause"]
    assert list(frame.columns[6:]) == ["country", "hhi", "polar"]
    back = CoalitionData.from_canonical(
        frame, time_unit="months", causes=data.causes, group_names=data.group_names,
        covariate_names=data.covariate_names, members=data.members,
    )
    assert back.data_hash() == data.data_hash()
    np.testing.assert_array_equal(back.status, data.status)
    # through CSV text too
    import io

    text = io.StringIO(frame.to_csv(index=False))
    again = CoalitionData.from_canonical(
        pd.read_csv(text, keep_default_na=False, na_values=[""]), time_unit="months",
        causes=data.causes, group_names=("country",), covariate_names=("hhi", "polar"),
        members=data.members,
    )
    assert again.data_hash() == data.data_hash()


def test_hash_changes_with_data():
    data = build()
    h = data.data_hash()
    assert len(h) == 64 and h == build().data_hash()
    assert build(setv("dur", 0, 3.5)).data_hash() != h
    assert build(time_unit="days").data_hash() != h
    assert build(covariates=["hhi"]).data_hash() != h
    assert build(setv("country", 0, "NL")).data_hash() != h


def test_immutable():
    data = build()
    with pytest.raises(ValueError):
        data.time[0] = 1.0
    with pytest.raises(AttributeError):
        data.n = 3


def test_subset_and_with_covariates():
    data = build(members=members_ok())
    sub = data.subset(data.groups["country"] == "BE")
    assert list(sub.ids) == ["a", "b"] and sub.causes == data.causes
    assert sub.members["id"].unique().tolist() == ["a", "b"]
    assert list(data.subset(["f", "a"]).ids) == ["f", "a"]
    with pytest.raises(CoalitionDataError, match="'zz'"):
        data.subset(["a", "zz"])
    extra = pd.DataFrame({"id": list("fedcba") + ["x"], "age": [6.0, 5, 4, 3, 2, 1, 0]})
    more = data.with_covariates(extra)
    assert more.covariate_names == ("hhi", "polar", "age")
    assert more.covariates["age"].tolist() == [1, 2, 3, 4, 5, 6]
    assert more.data_hash() != data.data_hash()
    with pytest.raises(CoalitionDataError, match="no covariate row for episodes 'a'"):
        data.with_covariates(extra[extra["id"] != "a"])


# --- real data ----------------------------------------------------------------------------------
def test_king1990(shared_data):
    df = pd.read_csv(shared_data / "king1990/coalition.txt", sep=r"\s+")
    data = CoalitionData.from_frame(df, duration="duration", event="ciep12", time_unit="months")
    assert data.n == 314 and data.causes == ("event",)
    assert data.n_events["event"] + data.describe().n_censored == 314
    assert set(data.covariate_names) == {"invest", "fract", "polar", "numst2", "crisis"}
    with pytest.raises(CoalitionDataError, match="'country'"):
        CoalitionData.from_frame(df, duration="duration", event="ciep12", groups="country",
                                 time_unit="days")
    kept = CoalitionData.from_frame(
        df, duration="duration", event="ciep12", groups="country", dropna=True,
        time_unit="days",
    )
    assert kept.n + len(kept.excluded) == 314


def test_duplicate_column_names():
    df = pd.concat([base(), base()[["hhi"]]], axis=1)
    with pytest.raises(CoalitionDataError, match=r"duplicate column names \['hhi'\]"):
        build(lambda d: df)
    data = build(lambda d: df, covariates=["polar"])  # unused duplicate is harmless
    assert data.covariate_names == ("polar",)


def test_auto_covariates_skip_all_empty_columns():
    frame = pd.DataFrame({"duration": [1.0, 2.0, 3.0], "event": [1, 0, 1],
                          "x": [0.1, 0.5, 0.2], "lower": [np.nan] * 3})
    data = CoalitionData.from_frame(frame, duration="duration", event="event", time_unit="days")
    assert data.covariate_names == ("x",)
