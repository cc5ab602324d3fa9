"""Loaders of the real data sets: counts on ../shared/data agree with the data cards.

The expected numbers live in one place, the ``## Measured counts`` table of each data card
(``coalsurv/datasets/cards/*.md``); these tests recount them from the loaded data.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coalsurv.datasets import (
    data_card,
    download_parlgov,
    load_atop,
    load_coalgov,
    load_king1990,
    load_parlgov,
    parlgov_cabinets,
)
from coalsurv.datasets.atop import atop_alliances, date_bounds
from coalsurv.datasets.cards import available_cards, card_counts
from coalsurv.datasets.coalgov import coalgov_governments
from coalsurv.datasets.parlgov import EXCLUSION_REASONS as PARLGOV_REASONS
from coalsurv.errors import CoalitionDataError

LOADERS = {
    "king1990": load_king1990,
    "coalgov": load_coalgov,
    "parlgov": load_parlgov,
    "atop": load_atop,
}


def _censored(data) -> int:
    return int((data.status == 0).sum())


def _level_counts(data, group: str) -> dict[str, int]:
    return data.groups[group].value_counts().to_dict()


# ---------------------------------------------------------------------------------------------
# fixtures: each data set loaded once
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def king(shared_data: Path):
    return load_king1990(shared_data / "king1990")


@pytest.fixture(scope="module")
def coalgov(shared_data: Path):
    return load_coalgov(shared_data / "coalgov")


@pytest.fixture(scope="module")
def parlgov(shared_data: Path):
    return load_parlgov(shared_data / "parlgov")


@pytest.fixture(scope="module")
def parlgov_frame(shared_data: Path):
    return parlgov_cabinets(shared_data / "parlgov")


@pytest.fixture(scope="module")
def atop(shared_data: Path):
    return load_atop(shared_data / "atop")


@pytest.fixture(scope="module")
def atop_nocinc(shared_data: Path):
    return load_atop(shared_data / "atop", cinc=False)


# ---------------------------------------------------------------------------------------------
# counts agree with the cards
# ---------------------------------------------------------------------------------------------
def test_king1990_counts_match_card(king, shared_data):
    rows = pd.read_csv(shared_data / "king1990" / "coalition.txt", sep=r"\s+")
    measured = {
        "rows": len(rows),
        "episodes": king.n,
        "events_fell": king.n_events["fell"],
        "censored": _censored(king),
        "groups_country": king.groups["country"].nunique(),
        "country_na": int((king.groups["country"] == "NA").sum()),
        "excluded": len(king.excluded),
    }
    assert measured == card_counts("king1990")
    assert king.n == 314 and king.time_unit == "months"
    assert king.causes == ("fell",)
    assert king.covariate_names == ("invest", "fract", "polar", "numst2", "crisis")
    assert king.name == "king1990" and "King" in king.source


def test_coalgov_counts_match_card(coalgov, shared_data):
    raw = pd.read_csv(shared_data / "coalgov" / "coalgov.csv")
    frame = coalgov.frame
    measured = {
        "party_rows": len(raw),
        "episodes": coalgov.n,
        "events_conflict": coalgov.n_events["conflict"],
        "censored": _censored(coalgov),
        "groups_cname": coalgov.groups["cname"].nunique(),
        "majority": int(frame["majority"].sum()),
        "mwc": int(frame["mwc"].sum()),
        "rile_sd_varies": int((raw.groupby("gid")["rile_SD"].nunique() > 1).sum()),
        "excluded": len(coalgov.excluded),
    }
    assert measured == card_counts("coalgov")
    # the numbers the data README states
    assert (coalgov.n, coalgov.groups["cname"].nunique(), coalgov.n_events["conflict"]) == (
        628, 29, 245
    )
    assert coalgov.time_unit == "days" and coalgov.name == "coalgov" and coalgov.source


def test_coalgov_members_and_power(coalgov):
    mb = coalgov.members
    assert len(mb) == card_counts("coalgov")["party_rows"]
    sums = mb.groupby("id")["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    hhi = (mb["share"] ** 2).groupby(mb["id"]).sum()
    np.testing.assert_allclose(
        coalgov.covariates.loc[hhi.index, "power_hhi"].to_numpy(), hhi.to_numpy()
    )
    assert (coalgov.covariates["leader_share"] >= 1 / coalgov.covariates["n_parties"] - 1e-12).all()


def test_coalgov_rile_sd_sign_is_cohesion(coalgov):
    """Higher rile_SD = parties closer together, so heterogeneity is its negative."""
    frame = coalgov.frame
    own_sd = coalgov.members.groupby("id")["position"].std(ddof=0).loc[frame.index]
    assert np.corrcoef(frame["rile_SD"], own_sd)[0, 1] < -0.5
    np.testing.assert_allclose(frame["ideol_heterogeneity"], -frame["rile_SD"])
    assert np.corrcoef(frame["ideol_heterogeneity"], own_sd)[0, 1] > 0.5


def test_parlgov_counts_match_card(parlgov, parlgov_frame, shared_data):
    raw = pd.read_csv(
        shared_data / "parlgov" / "view_cabinet.csv",
        usecols=["cabinet_id", "country_name_short"],
    )
    counts = parlgov_frame.attrs["excluded_counts"]
    by_key = dict(zip(
        ("excluded_before_since", "excluded_few_parties", "excluded_zero_day",
         "excluded_missing_seats", "excluded_missing_positions"),
        (counts[r] for r in PARLGOV_REASONS),
        strict=True,
    ))
    frame = parlgov.frame
    measured = {
        "cabinets_total": raw["cabinet_id"].nunique(),
        "countries_total": raw["country_name_short"].nunique(),
        "episodes": parlgov.n,
        "events_election": parlgov.n_events["election"],
        "events_replaced": parlgov.n_events["replaced"],
        "censored": _censored(parlgov),
        "groups_country": parlgov.groups["country"].nunique(),
        "excluded": len(parlgov.excluded),
        **by_key,
        "zero_seat_cabinets": int((frame["zero_seat_parties"] > 0).sum()),
        "nonpartisan_cabinets": int(frame["nonpartisan"].sum()),
        "caretaker": int(frame["caretaker"].sum()),
        "majority": int(frame["majority"].sum()),
    }
    assert measured == card_counts("parlgov")
    assert parlgov.causes == ("election", "replaced")
    assert parlgov.name == "parlgov" and "ParlGov" in parlgov.source


def test_parlgov_exclusions_are_counted_not_silent(parlgov, parlgov_frame):
    excluded = parlgov.excluded
    assert set(excluded["reason"]) <= set(PARLGOV_REASONS)
    assert not set(excluded["id"]) & set(parlgov.ids)
    assert len(parlgov_frame.attrs["excluded"]) == len(excluded)
    assert sum(parlgov_frame.attrs["excluded_counts"].values()) == len(excluded)
    assert parlgov.n + len(excluded) == parlgov_frame.attrs["n_cabinets_total"]
    described = parlgov.describe()
    assert described.n_excluded == len(excluded)
    assert described.excluded_by_reason == {
        r: k for r, k in parlgov_frame.attrs["excluded_counts"].items() if k
    }


def test_parlgov_derivation(parlgov_frame, shared_data):
    f = parlgov_frame
    ended = f[f["ending"] != "censored"]
    days = (pd.to_datetime(ended["end_date"]) - pd.to_datetime(ended["start_date"])).dt.days
    np.testing.assert_array_equal(days.to_numpy(), ended["duration"].to_numpy())
    new_election = ended["successor_election_id"] != ended["election_id"]
    assert ((ended["ending"] == "election") == new_election).all()
    # the censored cabinets are the latest of their country, censored at the snapshot date
    cens = f[f["ending"] == "censored"]
    assert cens["country"].is_unique
    assert f.attrs["censor_date"] == "2023-11-04"
    assert (cens["end_date"] == "2023-11-04").all()
    assert (f["n_parties"] >= 2).all() and (pd.to_datetime(f["start_date"]).dt.year >= 1945).all()
    np.testing.assert_array_equal(f["majority"], (f["seat_share"] > 0.5).astype(int))
    assert (f["breadth_range"] <= 0).all() and (f["breadth_sd"] <= 0).all()


def test_parlgov_options_change_counts(shared_data):
    f1 = parlgov_cabinets(shared_data / "parlgov", min_parties=1, since=1990,
                          censor_date="2023-12-31")
    assert (f1["n_parties"] >= 1).all() and (f1["year"] >= 1990).all()
    assert f1.attrs["censor_rule"] == "censor_date= given"
    assert (f1.loc[f1["ending"] == "censored", "end_date"] == "2023-12-31").all()
    with pytest.raises(CoalitionDataError, match="min_parties"):
        parlgov_cabinets(shared_data / "parlgov", min_parties=0)


def test_parlgov_download_via_file_url(tmp_path, shared_data, monkeypatch):
    url = (shared_data / "parlgov").resolve().as_uri()
    cache = tmp_path / "cache"
    folder = download_parlgov(cache_dir=cache, url=url)
    assert folder == cache
    assert (cache / "view_cabinet.csv").read_bytes() == (
        shared_data / "parlgov" / "view_cabinet.csv"
    ).read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == [
        "view_cabinet.csv", "viewcalc_parliament_composition.csv"
    ]
    # cached: a second call (even with a broken address) does not download again
    mtime = (cache / "view_cabinet.csv").stat().st_mtime_ns
    download_parlgov(cache_dir=cache, url=url + "/missing")
    assert (cache / "view_cabinet.csv").stat().st_mtime_ns == mtime
    # path=None downloads (here: the environment variable's file:// address) and loads
    monkeypatch.setenv("COALSURV_PARLGOV_URL", url)
    data = load_parlgov(cache_dir=tmp_path / "env-cache")
    assert data.n == card_counts("parlgov")["episodes"]
    assert (tmp_path / "env-cache" / "view_cabinet.csv").is_file()
    # without the snapshot file, censoring falls back to the latest date in view_cabinet.csv
    (cache / "viewcalc_parliament_composition.csv").unlink()
    frame = parlgov_cabinets(cache / "view_cabinet.csv")
    assert frame.attrs["censor_rule"].startswith("latest start_date")
    assert frame.attrs["censor_date"] < "2023-11-04"


def test_parlgov_failed_download_leaves_no_file(tmp_path, shared_data):
    url = (shared_data / "parlgov" / "no-such-folder").resolve().as_uri()
    cache = tmp_path / "cache"
    with pytest.raises(CoalitionDataError, match="could not download") as err:
        download_parlgov(cache_dir=cache, url=url)
    assert "no-such-folder/view_cabinet.csv" in str(err.value)
    leftovers = list(cache.iterdir()) if cache.exists() else []
    assert leftovers == []


def test_atop_counts_match_card(atop, atop_nocinc, shared_data):
    folder = shared_data / "atop"
    eras = {"pre1914": "pre-1914", "1914_1945": "1914-1945", "1946_1991": "1946-1991",
            "post1991": "post-1991"}
    measured = {
        "alliances": len(pd.read_csv(folder / "atop-alliance-level.csv", usecols=["atopid"])),
        "member_spells": len(pd.read_csv(folder / "atop-member-level.csv", usecols=["atopid"])),
    }
    for data, suffix in ((atop_nocinc, "_nocinc"), (atop, "")):
        levels = _level_counts(data, "era")
        measured |= {
            f"episodes{suffix}": data.n,
            f"events_ended{suffix}": data.n_events["ended"],
            f"censored{suffix}": _censored(data),
            f"interval{suffix}": int((data.status == 2).sum()),
        }
        if suffix == "":
            reasons = atop.excluded["reason"]
            measured |= {
                "excluded": len(atop.excluded),
                "excluded_no_cinc": int(reasons.str.contains("CINC").sum()),
                "excluded_no_polity": int(reasons.str.contains("polity2").sum()),
            }
        measured |= {f"era_{k}{suffix}": levels.get(v, 0) for k, v in eras.items()}
    expected = card_counts("atop")
    assert {k: measured[k] for k in expected} == expected
    assert set(measured) == set(expected)
    assert atop.time_unit == "years" and atop.causes == ("ended",)
    assert atop_nocinc.n == 745 and len(atop_nocinc.excluded) == 0


def test_atop_interval_and_censoring(atop_nocinc):
    d = atop_nocinc
    f = d.frame
    interval = d.status == 2
    assert (d.time[interval] < d.time_upper[interval]).all()
    assert (d.time[interval] >= 0).all()
    assert f.loc[interval, "duration"].isna().all()
    assert (f.loc[interval, "date_precision"] == "interval").all()
    # bounds contain every duration consistent with the unknown date parts
    lo = (f["end_earliest"] - f["start_latest"]).dt.days / 365.25
    hi = (f["end_latest"] - f["start_earliest"]).dt.days / 365.25
    np.testing.assert_allclose(d.time[interval], lo[interval].clip(lower=0))
    np.testing.assert_allclose(d.time_upper[interval], hi[interval])
    censored = d.status == 0
    assert (f.loc[censored, "ineffect"] == 1).all() and np.isinf(d.time_upper[censored]).all()
    expected = (pd.Timestamp("2016-09-06") - f.loc[censored, "start_latest"]).dt.days / 365.25
    np.testing.assert_allclose(d.time[censored], expected)
    # termination codes stay codes: no labels are invented
    codes = set(f["termmode"])
    assert codes <= {"1", "2", "3", "4", "5", "6", "in force", "not coded"}


def test_atop_cinc_covariates(atop, shared_data):
    cov = atop.covariates
    assert {"power_hhi", "leader_share", "regime_similarity", "n_members"} <= set(cov)
    assert ((cov["power_hhi"] > 0) & (cov["power_hhi"] <= 1)).all()
    assert (cov["regime_similarity"] <= 0).all()
    mb = atop.members
    shares = mb.dropna(subset=["cinc_share"]).groupby("id")["cinc_share"]
    np.testing.assert_allclose(shares.sum().to_numpy(), 1.0)
    hhi = (mb["cinc_share"] ** 2).groupby(mb["id"]).sum()
    np.testing.assert_allclose(cov.loc[hhi.index, "power_hhi"], hhi)
    frame, members = atop_alliances(shared_data / "atop", return_members=True)
    assert len(frame) == atop.n and len(members) == len(mb)


def test_date_bounds_partial_dates():
    year = pd.Series([1900, 1900, 1900, 1900])
    month = pd.Series([2, 2, 0, np.nan])
    day = pd.Series([10, np.nan, 5, 0])
    lo, hi = date_bounds(year, month, day)
    assert list(lo.dt.strftime("%Y-%m-%d")) == ["1900-02-10", "1900-02-01", "1900-01-01",
                                               "1900-01-01"]
    assert list(hi.dt.strftime("%Y-%m-%d")) == ["1900-02-10", "1900-02-28", "1900-12-31",
                                               "1900-12-31"]


# ---------------------------------------------------------------------------------------------
# frames, bad paths, cards
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_as_frame_is_a_plain_printable_table(name, shared_data):
    frame = LOADERS[name](shared_data / name, as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    text = repr(pd.concat([frame, frame]))  # attrs hold plain values only
    assert str(frame.columns[0]) in text and f"{2 * len(frame)} rows" in text
    assert isinstance(frame.attrs["excluded"], dict)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("king1990", "coalition.txt"),
        ("coalgov", "coalgov.csv"),
        ("parlgov", "view_cabinet.csv"),
        ("atop", "atop-alliance-level.csv"),
    ],
)
def test_bad_paths_name_the_path_and_the_file(name, expected, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as err:
        LOADERS[name](missing)
    assert isinstance(err.value, CoalitionDataError)
    assert str(missing) in str(err.value) or str(missing.parent) in str(err.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CoalitionDataError) as err:
        LOADERS[name](empty)
    assert isinstance(err.value, FileNotFoundError)
    assert expected in str(err.value) and str(empty) in str(err.value)


def test_wrong_table_lists_missing_columns(tmp_path):
    (tmp_path / "coalgov.csv").write_text("gid,cname\n1,AAA\n")
    with pytest.raises(CoalitionDataError, match="missing columns") as err:
        load_coalgov(tmp_path)
    assert "dur_wkb" in str(err.value)
    (tmp_path / "coalition.txt").write_text('"duration" "country"\n"1" 3 "x"\n')
    with pytest.raises(CoalitionDataError, match="ciep12"):
        load_king1990(tmp_path / "coalition.txt")


def test_cards_exist_and_state_source_and_counts():
    assert available_cards() == ("atop", "atop_transformation", "coalgov", "king1990",
                                 "parlgov", "parlgov_transformation")
    for name in available_cards():
        card = data_card(name)
        assert "## Source and licence" in card and "## Measured counts" in card
        assert card_counts(name)["episodes" if name in LOADERS else "units"
                                 if name.startswith("atop") else "pairs_units"] > 0
    assert data_card("ParlGov") == data_card("parlgov")
    with pytest.raises(KeyError, match="available"):
        data_card("nope")


def test_coalgov_frame_function_matches_loader(coalgov, shared_data):
    frame, members = coalgov_governments(shared_data / "coalgov", return_members=True)
    assert list(frame.index) == list(coalgov.ids)
    assert frame.attrs["checks"]["pseat_sums_to_one"]
    assert len(members) == len(coalgov.members)
    assert os.fspath(shared_data / "coalgov") in frame.attrs["source_file"]
