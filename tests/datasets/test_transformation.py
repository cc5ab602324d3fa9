"""Transformation histories from ATOP and ParlGov (issue 24): counts agree with the data cards,
histories are valid multi-state paths, bad folders get one clear error, Aalen-Johansen runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coalsurv.data.aalen_johansen import aalen_johansen
from coalsurv.data.transitions import TransitionData
from coalsurv.datasets import load_atop_transformation, load_parlgov_transformation
from coalsurv.datasets.cards import available_cards, card_counts, data_card
from coalsurv.datasets.transformation_atop import EXCLUSION_REASONS as ATOP_REASONS
from coalsurv.datasets.transformation_parlgov import exclusion_reasons
from coalsurv.errors import CoalitionDataError

DESIGNS = [("atop", "deepening", "shallow"), ("atop", "institutionalisation", "deep"),
           ("parlgov", "reformation", "coalition"), ("parlgov", "mergers", "partners")]


def _load(shared: Path, source: str, design: str, **kw):
    if source == "atop":
        return load_atop_transformation(shared / "atop", design=design, **kw)
    return load_parlgov_transformation(shared / "parlgov", design=design, **kw)


@pytest.fixture(scope="module")
def loaded(shared_data: Path):
    return {(s, d): _load(shared_data, s, d) for s, d, _ in DESIGNS}


def _moves(data: TransitionData, source: str, target: str) -> int:
    f = data.frame
    return int(((f["state"] == source) & (f["to"] == target)).sum())


def test_cards_are_registered():
    assert {"atop_transformation", "parlgov_transformation"} <= set(available_cards())
    for name in ("atop_transformation", "parlgov_transformation"):
        text = data_card(name)
        assert "## Caveats" in text and "Exclusions" in text


def test_atop_counts_match_card(loaded, shared_data):
    deep, inst = loaded["atop", "deepening"], loaded["atop", "institutionalisation"]
    ex, ex_i = deep.excluded["reason"], inst.excluded["reason"]
    frame = load_atop_transformation(shared_data / "atop", as_frame=True)
    measured = {
        "shallow_agreements": deep.n_units + len(ex),
        "excluded_deep_in_force": int((ex == ATOP_REASONS[0]).sum()),
        "excluded_no_cinc": int((ex == ATOP_REASONS[1]).sum()),
        "excluded_no_polity": int((ex == ATOP_REASONS[2]).sum()),
        "units": deep.n_units,
        "sojourns": deep.n,
        "shallow_to_deep": _moves(deep, "shallow", "deep"),
        "shallow_to_dissolved": _moves(deep, "shallow", "dissolved"),
        "shallow_censored": _moves(deep, "shallow", "censored"),
        "deep_to_institutionalised": _moves(deep, "deep", "institutionalised"),
        "deep_to_dissolved": _moves(deep, "deep", "dissolved"),
        "deep_censored": _moves(deep, "deep", "censored"),
        "deep_targets": int(frame.loc[frame["state"] == "deep", "atopid"].nunique()),
        "inst_deep_alliances": inst.n_units + len(ex_i),
        "inst_excluded_no_cinc": int((ex_i == ATOP_REASONS[1]).sum()),
        "inst_excluded_no_polity": int((ex_i == ATOP_REASONS[2]).sum()),
        "inst_units": inst.n_units,
        "inst_to_institutionalised": _moves(inst, "deep", "institutionalised"),
        "inst_to_dissolved": _moves(inst, "deep", "dissolved"),
        "inst_censored": _moves(inst, "deep", "censored"),
    }
    assert measured == card_counts("atop_transformation")


def test_parlgov_counts_match_card(loaded, shared_data):
    ref, mer = loaded["parlgov", "reformation"], loaded["parlgov", "mergers"]
    ex, ex_m = ref.excluded["reason"], mer.excluded["reason"]
    reasons, pair_reasons = exclusion_reasons("reformation"), exclusion_reasons("mergers")
    frame = load_parlgov_transformation(shared_data / "parlgov", design="mergers",
                                        as_frame=True)
    ref45, mer45 = (load_parlgov_transformation(shared_data / "parlgov", design=d, since=1945)
                    for d in ("reformation", "mergers"))
    measured = {
        "runs": ref.n_units + len(ex),
        "excluded_single_party": int((ex == reasons[0]).sum()),
        "excluded_no_seats": int((ex == reasons[1]).sum()),
        "excluded_no_left_right": int((ex == reasons[2]).sum()),
        "reformation_units": ref.n_units,
        "reformation_sojourns": ref.n,
        "coalition_to_reformed": _moves(ref, "coalition", "reformed"),
        "coalition_to_dissolved": _moves(ref, "coalition", "dissolved"),
        "coalition_censored": _moves(ref, "coalition", "censored"),
        "reformed_to_reformed_twice": _moves(ref, "reformed", "reformed_twice"),
        "reformed_to_dissolved": _moves(ref, "reformed", "dissolved"),
        "reformed_censored": _moves(ref, "reformed", "censored"),
        "reformed_twice_to_dissolved": _moves(ref, "reformed_twice", "dissolved"),
        "reformed_twice_censored": _moves(ref, "reformed_twice", "censored"),
        "reformation_countries": int(ref.frame["country"].nunique()),
        "pairs": mer.n_units + len(ex_m),
        "pairs_excluded_merged_before": int((ex_m == pair_reasons[0]).sum()),
        "pairs_excluded_no_left_right": int((ex_m == pair_reasons[1]).sum()),
        "pairs_excluded_no_seats": int((ex_m == pair_reasons[2]).sum()),
        "pairs_units": mer.n_units,
        "pairs_merged": _moves(mer, "partners", "merged"),
        "pairs_censored": _moves(mer, "partners", "censored"),
        "pairs_merged_after_observation": frame.attrs["merged_after_observation"],
        "reformation_units_1945": ref45.n_units,
        "coalition_to_reformed_1945": _moves(ref45, "coalition", "reformed"),
        "reformed_to_reformed_twice_1945": _moves(ref45, "reformed", "reformed_twice"),
        "pairs_units_1945": mer45.n_units,
        "pairs_merged_1945": _moves(mer45, "partners", "merged"),
    }
    assert (ref45.excluded["reason"] == "starts before 1945").sum() == 209
    assert measured == card_counts("parlgov_transformation")


@pytest.mark.parametrize(("source", "design", "first"), DESIGNS)
def test_histories_are_valid_paths(loaded, source, design, first):
    data = loaded[source, design]
    f = data.frame
    assert data.time_unit == ("years" if source == "atop" else "days")
    g = f.groupby("id", sort=False)
    heads = g.head(1)
    assert (heads["start"] == 0).all() and (heads["state"] == first).all()
    assert (f["stop"] > f["start"]).all()
    nxt = g["start"].shift(-1)
    chained = nxt.notna()
    assert (nxt[chained] == f.loc[chained, "stop"]).all()
    assert np.isfinite(f[list(data.covariate_names)].to_numpy(dtype=float)).all()
    assert data.excluded["reason"].notna().all()


@pytest.mark.parametrize(("source", "design", "first"), DESIGNS)
def test_aalen_johansen_runs(loaded, source, design, first):
    data = loaded[source, design]
    q = np.quantile(data.frame["stop"], [0.25, 0.5, 0.75])
    aj = aalen_johansen(data, q, start=first)
    sums = aj.groupby("time")["occupancy"].sum()
    assert np.allclose(sums, 1.0)
    assert ((aj["occupancy"] >= -1e-12) & (aj["occupancy"] <= 1 + 1e-12)).all()
    # the first state is left over time
    occ = aj.loc[aj["state"] == first, "occupancy"].to_numpy()
    assert occ[0] <= 1 and np.all(np.diff(occ) <= 1e-12)


def test_atop_members_are_cinc_shares(loaded):
    data = loaded["atop", "deepening"]
    m = data.members
    assert set(m["id"]) == set(data.frame["id"])
    sums = m.groupby("id")["share"].sum()
    assert np.allclose(sums, 1.0)


def test_options_change_counts(shared_data):
    narrow = load_atop_transformation(shared_data / "atop", window=0.0, as_frame=True)
    assert narrow.attrs["counts"]["shallow -> deep"] == 29
    single = load_parlgov_transformation(shared_data / "parlgov", min_parties=1, as_frame=True)
    assert single["id"].nunique() == 845
    with pytest.raises(CoalitionDataError, match="design"):
        load_atop_transformation(shared_data / "atop", design="merge")
    with pytest.raises(CoalitionDataError, match="overlap"):
        load_atop_transformation(shared_data / "atop", overlap=0)


# ---------------------------------------------------------------------------------------------
# bad folders: one clear CoalitionDataError naming the file (and the column)
# ---------------------------------------------------------------------------------------------
def _copy(shared: Path, source: str, tmp: Path, files) -> Path:
    dst = tmp / source
    dst.mkdir()
    for name in files:
        shutil.copy(shared / source / name, dst / name)
    return dst


ATOP_FILES = ("atop-alliance-level.csv", "atop-member-level.csv", "cinc-polity.csv")
PG_FILES = ("view_cabinet.csv", "party_change.csv", "view_election.csv")


def test_missing_folder_and_file(tmp_path, shared_data):
    with pytest.raises(CoalitionDataError, match="does not exist"):
        load_atop_transformation(tmp_path / "nowhere")
    folder = _copy(shared_data, "atop", tmp_path, ATOP_FILES[:2])
    with pytest.raises(CoalitionDataError, match="cinc-polity.csv"):
        load_atop_transformation(folder)
    pg = tmp_path / "pg"
    pg.mkdir()
    shutil.copy(shared_data / "parlgov" / "view_cabinet.csv", pg / "view_cabinet.csv")
    load_parlgov_transformation(pg, design="reformation", as_frame=True)  # enough for it
    with pytest.raises(CoalitionDataError, match="party_change.csv"):
        load_parlgov_transformation(pg, design="mergers")


@pytest.mark.parametrize(("source", "file", "column", "mode"), [
    ("atop", "atop-alliance-level.csv", "defense", "drop"),
    ("atop", "atop-member-level.csv", "phase", "text"),
    ("atop", "cinc-polity.csv", "cinc", "text"),
    ("parlgov", "view_cabinet.csv", "caretaker", "drop"),
    ("parlgov", "party_change.csv", "party_id_new", "drop"),
    ("parlgov", "party_change.csv", "date", "text"),
    ("parlgov", "view_election.csv", "election_date", "text"),
])
def test_malformed_file_names_file_and_column(tmp_path, shared_data, source, file, column,
                                              mode):
    files = ATOP_FILES if source == "atop" else PG_FILES
    folder = _copy(shared_data, source, tmp_path, files)
    df = pd.read_csv(folder / file)
    if mode == "drop":
        df = df.drop(columns=column)
    else:
        df[column] = df[column].astype(object)
        df.loc[df.index[:3], column] = "n/a?"
    df.to_csv(folder / file, index=False)
    load = load_atop_transformation if source == "atop" else load_parlgov_transformation
    kw = {} if source == "atop" else {"design": "mergers"}
    with pytest.raises(CoalitionDataError) as info:
        load(folder, **kw)
    text = str(info.value)
    assert file in text and column in text
