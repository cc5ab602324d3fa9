"""Do coalitions transform? ParlGov histories of re-formation and of party mergers (issue 24).

Two designs, both in days on each unit's process clock:

- ``"reformation"``: a *run* of cabinets of one country with the same set of governing parties
  (caretaker cabinets skipped) starts in ``coalition``; the same parties forming a cabinet
  again after a new election is a re-formation (``coalition -> reformed -> reformed_twice``);
  the run's end is ``dissolved``; the latest run of a country is censored.
- ``"mergers"``: a pair of parties that governed together starts in ``partners`` at their first
  joint cabinet; ``merged`` when ``party_change.csv`` links them into one party; censored when
  they stop standing as two parties (the first election after the last one both stood in) or
  at the snapshot date.

:func:`parlgov_transformation` derives the sojourn table, :func:`load_parlgov_transformation`
returns the :class:`coalsurv.data.transitions.TransitionData`. See
``coalsurv.datasets.data_card("parlgov_transformation")`` for the rules and counts.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.datasets._common import (
    annotate,
    count_reasons,
    exclusion_table,
    locate_folder,
    read_table,
)
from coalsurv.errors import CoalitionDataError

__all__ = [
    "load_parlgov_transformation",
    "parlgov_transformation",
    "DESIGNS",
    "TRANSITIONS",
    "COVARIATES",
    "FILES",
    "EXCLUSION_REASONS",
    "exclusion_reasons",
]

DESIGNS = ("reformation", "mergers")
#: Files each design reads.
FILES = {"reformation": ("view_cabinet.csv",),
         "mergers": ("view_cabinet.csv", "party_change.csv", "view_election.csv")}
TRANSITIONS = {
    "reformation": ("coalition -> reformed", "coalition -> dissolved",
                    "reformed -> reformed_twice", "reformed -> dissolved",
                    "reformed_twice -> dissolved"),
    "mergers": ("partners -> merged",),
}
#: Covariates per design (at the first cabinet of the run / of the pair).
COVARIATES = {
    "reformation": ("power_hhi", "majority", "lr_range", "n_parties"),
    "mergers": ("power_hhi", "majority", "lr_distance"),
}
def exclusion_reasons(design: str, *, since: int | None = None,
                      min_parties: int = 2) -> tuple[str, ...]:
    """Exclusion reasons of a design in words, in the order they are checked."""
    if design == "mergers":
        return ("merged on or before their first joint cabinet", "a party lacks left_right",
                "the pair holds no seats")
    first = (f"starts before {since}",) if since is not None else ()
    return (*first, f"fewer than {min_parties} governing parties",
            "governing parties without seats", "a governing party lacks left_right")


#: Exclusion reasons of the defaults (all years, ``min_parties=2``).
EXCLUSION_REASONS = {d: exclusion_reasons(d) for d in DESIGNS}
NONPARTISAN = "no party affiliation"
SNAPSHOT_FILE = "viewcalc_parliament_composition.csv"
_CABINET_COLS = ("country_name_short", "cabinet_id", "start_date", "election_id", "caretaker",
                 "cabinet_party", "party_id", "party_name_english", "seats",
                 "election_seats_total", "left_right")
_CHANGE_COLS = ("party_id", "party_id_new", "date")
_ELECTION_COLS = ("country_name_short", "election_type", "election_date", "party_id")
_STATES = ("coalition", "reformed", "reformed_twice")


def _read(folder: Path, design: str) -> tuple[pd.DataFrame, Any, Any]:
    raw = read_table(folder / "view_cabinet.csv", required=_CABINET_COLS,
                     dataset="parlgov_transformation")
    problems = []
    for c in ("cabinet_id", "election_id", "caretaker", "cabinet_party", "party_id", "seats",
              "election_seats_total", "left_right"):
        v = pd.to_numeric(raw[c], errors="coerce")
        if (v.isna() & raw[c].notna()).any():
            problems.append(f"view_cabinet.csv column {c!r}: non-numeric values")
        raw[c] = v
    raw["start"] = pd.to_datetime(raw["start_date"], errors="coerce")
    if raw["start"].isna().any():
        problems.append("view_cabinet.csv column 'start_date': unreadable dates")
    change = election = None
    if design == "mergers":
        election = read_table(folder / "view_election.csv", required=_ELECTION_COLS,
                              dataset="parlgov_transformation")
        election["date"] = pd.to_datetime(election["election_date"], errors="coerce",
                                          format="%Y-%m-%d")
        if election["date"].isna().any():
            problems.append("view_election.csv column 'election_date': unreadable dates")
        change = read_table(folder / "party_change.csv", required=_CHANGE_COLS,
                            dataset="parlgov_transformation")
        change["date"] = pd.to_datetime(change["date"], errors="coerce", format="%Y-%m-%d")
        for c in ("party_id", "party_id_new"):
            change[c] = pd.to_numeric(change[c], errors="coerce")
        if change[list(_CHANGE_COLS)].isna().any().any():
            bad = [c for c in _CHANGE_COLS if change[c].isna().any()]
            problems.append(f"party_change.csv columns {bad}: missing or unreadable values")
    if problems:
        raise CoalitionDataError("parlgov_transformation: malformed ParlGov files", problems)
    return raw, change, election


def _snapshot(folder: Path, raw: pd.DataFrame) -> pd.Timestamp:
    """Return the data's snapshot date (as in :mod:`coalsurv.datasets.parlgov`)."""
    snap = folder / SNAPSHOT_FILE
    if snap.is_file():
        try:
            calc = pd.read_csv(snap, usecols=["calculation_date"])["calculation_date"]
            date = pd.to_datetime(calc, errors="coerce").max()
            if pd.notna(date):
                return pd.Timestamp(date).normalize()
        except (ValueError, pd.errors.ParserError):
            pass
    return pd.Timestamp(raw["start"].max())


def _cabinets(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per cabinet (ordered per country, successor start) and its partisan parties."""
    cab = raw.groupby("cabinet_id").agg(
        country=("country_name_short", "first"), start=("start", "first"),
        election_id=("election_id", "first"), caretaker=("caretaker", "first"),
        seats_total=("election_seats_total", "first"))
    cab = cab.sort_values(["country", "start"], kind="stable")
    cab["next_start"] = cab.groupby("country")["start"].shift(-1)
    gov = raw.loc[(raw["cabinet_party"] == 1) & (raw["party_name_english"] != NONPARTISAN)]
    cab["parties"] = gov.groupby("cabinet_id")["party_id"].agg(frozenset).reindex(cab.index)
    cab["parties"] = cab["parties"].map(lambda p: p if isinstance(p, frozenset) else frozenset())
    return cab, gov


def _cabinet_covariates(cab_ids, gov: pd.DataFrame, cab: pd.DataFrame) -> pd.DataFrame:
    g = gov.loc[gov["cabinet_id"].isin(cab_ids)].groupby("cabinet_id")
    out = pd.DataFrame(index=pd.Index(cab_ids, name="cabinet_id"))
    seats = g["seats"].sum().reindex(out.index)
    out["gov_seats"] = seats
    out["power_hhi"] = g["seats"].apply(
        lambda s: float(((s / s.sum()) ** 2).sum()) if s.sum() > 0 else np.nan).reindex(out.index)
    out["majority"] = (seats / cab["seats_total"].reindex(out.index) > 0.5).astype(float)
    out["lr_range"] = g["left_right"].agg(lambda s: s.max() - s.min() if s.notna().all()
                                          else np.nan).reindex(out.index)
    return out


# ---------------------------------------------------------------------------------------------
# designs
# ---------------------------------------------------------------------------------------------
def _reformation(raw, censor, *, since, min_parties):
    cab, gov = _cabinets(raw)
    runs = []
    for _, g in cab.groupby("country", sort=False):
        cur = None
        for cid, r in g.iterrows():
            if r["caretaker"] == 1:
                continue
            if cur is not None and r["parties"] == cur["parties"]:
                cur["cabinets"].append(cid)
                continue
            cur = {"id": cid, "country": r["country"], "parties": r["parties"],
                   "cabinets": [cid]}
            runs.append(cur)
    reasons = exclusion_reasons("reformation", since=since, min_parties=min_parties)
    cov = _cabinet_covariates([r["id"] for r in runs], gov, cab)
    rows, excluded = [], {}
    for run in runs:
        first = cab.loc[run["id"]]
        c = cov.loc[run["id"]]
        checks = (*((first["start"].year < since,) if since is not None else ()),
                  len(run["parties"]) < min_parties,
                  not c["gov_seats"] > 0, np.isnan(c["lr_range"]))
        hit = [t for t, bad in zip(reasons, checks, strict=True) if bad]
        if hit:
            excluded[run["id"]] = hit[0]
            continue
        t0 = first["start"]
        last = cab.loc[run["cabinets"][-1]]
        end = last["next_start"] if pd.notna(last["next_start"]) else censor
        final = "dissolved" if pd.notna(last["next_start"]) else "censored"
        # re-formations: the first cabinet of each later election of the run
        elections, starts = [first["election_id"]], []
        for cid in run["cabinets"][1:]:
            e = cab.at[cid, "election_id"]
            if e not in elections:
                elections.append(e)
                starts.append(cab.at[cid, "start"])
        starts = starts[: len(_STATES) - 1]
        times = [0.0] + [(s - t0).days for s in starts] + [(end - t0).days]
        extra = {"country": run["country"], "n_parties": float(len(run["parties"])),
                 "power_hhi": c["power_hhi"], "majority": c["majority"],
                 "lr_range": c["lr_range"], "year": int(t0.year),
                 "n_elections": len(elections), "n_cabinets": len(run["cabinets"])}
        for k in range(len(starts) + 1):
            to = _STATES[k + 1] if k < len(starts) else final
            rows.append({"id": run["id"], "state": _STATES[k], "start": float(times[k]),
                         "stop": float(times[k + 1]), "to": to, **extra})
    cols = ["id", "state", "start", "stop", "to", "country", *COVARIATES["reformation"],
            "year", "n_elections", "n_cabinets"]
    return pd.DataFrame(rows, columns=cols), exclusion_table(excluded), reasons


def _elections(election: pd.DataFrame) -> dict[Any, tuple[np.ndarray, dict[Any, np.ndarray]]]:
    """Country -> (sorted parliament election dates, party -> dates it stood)."""
    e = election.loc[election["election_type"] == "parliament"]
    out = {}
    for country, g in e.groupby("country_name_short"):
        dates = np.sort(g["date"].unique())
        by_party = {p: np.sort(d["date"].unique()) for p, d in g.groupby("party_id")}
        out[country] = (dates, by_party)
    return out


def _observed_until(elections, country, a, b, t0, censor) -> pd.Timestamp:
    """First parliament election after the last one both parties stood in (or ``censor``)."""
    none = np.array([], "datetime64[ns]")
    dates, by_party = elections.get(country, (none, {}))
    both = np.intersect1d(by_party.get(a, none), by_party.get(b, none))
    last = max(pd.Timestamp(both.max()), t0) if len(both) else t0
    after = dates[dates > np.datetime64(last)]
    return pd.Timestamp(after.min()) if len(after) and after.min() < censor else censor


def _mergers(raw, change, election, censor, *, since):
    cab, gov = _cabinets(raw)
    if since is not None:
        cab = cab.loc[cab["start"].dt.year >= since]
    cab = cab.loc[cab["parties"].map(len) >= 2]
    gov = gov.loc[gov["cabinet_id"].isin(cab.index)]
    pairs: dict[tuple, Any] = {}
    for cid in cab.sort_values("start", kind="stable").index:
        for a, b in combinations(sorted(cab.at[cid, "parties"]), 2):
            pairs.setdefault((a, b), cid)
    into: dict[Any, list] = {}
    for r in change.itertuples(index=False):
        into.setdefault(r.party_id, []).append((r.date, r.party_id_new))
    reasons = exclusion_reasons("mergers")
    elections = _elections(election)
    rows, excluded, late = [], {}, 0
    for (a, b), cid in pairs.items():
        uid = f"{a}-{b}"
        t0 = cab.at[cid, "start"]
        merges = [d for d, n in into.get(a, []) if n == b] + \
                 [d for d, n in into.get(b, []) if n == a]
        succ_a = {n: d for d, n in into.get(a, [])}
        merges += [max(d, succ_a[n]) for d, n in into.get(b, []) if n in succ_a]
        m = gov.loc[(gov["cabinet_id"] == cid) & gov["party_id"].isin([a, b])]
        m = m.drop_duplicates("party_id")
        lr, seats = m["left_right"], m["seats"]
        merged = min(merges) if merges else None
        checks = (merged is not None and merged <= t0, lr.isna().any() or len(lr) < 2,
                  not seats.sum() > 0)
        hit = [t for t, bad in zip(reasons, checks, strict=True) if bad]
        if hit:
            excluded[uid] = hit[0]
            continue
        end = _observed_until(elections, cab.at[cid, "country"], a, b, t0, censor)
        if merged is not None and merged <= end:
            stop, to = merged, "merged"
        else:
            stop, to = end, "censored"
            late += merged is not None
        share = seats / seats.sum()
        rows.append({"id": uid, "state": "partners", "start": 0.0,
                     "stop": float((stop - t0).days), "to": to,
                     "country": cab.at[cid, "country"], "party_a": a, "party_b": b,
                     "power_hhi": float((share ** 2).sum()),
                     "majority": float(gov.loc[gov["cabinet_id"] == cid, "seats"].sum()
                                       / cab.at[cid, "seats_total"] > 0.5),
                     "lr_distance": float(abs(lr.iloc[0] - lr.iloc[1])),
                     "first_cabinet": cid, "year": int(t0.year)})
    cols = ["id", "state", "start", "stop", "to", "country", "party_a", "party_b",
            *COVARIATES["mergers"], "first_cabinet", "year"]
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["merged_after_observation"] = late
    return out, exclusion_table(excluded), reasons


def parlgov_transformation(
    path: str | Path,
    *,
    design: str = "reformation",
    since: int | None = None,
    min_parties: int = 2,
) -> pd.DataFrame:
    """Derive the sojourn table of a transformation design from the ParlGov CSV files.

    Rules (details, exclusions and counts in the data card ``parlgov_transformation``):

    - ``"reformation"``: per country, cabinets in start order; caretaker cabinets are skipped;
      consecutive cabinets with the same set of partisan governing parties (ministers without
      party not counted) form a run. Time 0: the run's first cabinet. The first cabinet of the
      run after a new election (``election_id`` not seen before in the run) is a re-formation
      (``coalition -> reformed``, then ``reformed -> reformed_twice``; later ones stay in
      ``reformed_twice``). The run ends (``dissolved``) when the cabinet following its last one
      starts (a caretaker included); the latest run of a country is censored at the snapshot
      date. Covariates of the run's first cabinet: seat Herfindahl among the governing
      parties, majority (governing seats / ``election_seats_total`` > 0.5), left-right range,
      number of parties.
    - ``"mergers"``: pairs of partisan parties in a cabinet since ``since`` with two or more
      parties. Time 0: their first joint cabinet. ``merged``: ``party_change.csv`` links one
      into the other (``party_id -> party_id_new``) or both into one successor (the later of
      the two dates), counted while both are observed: until the first parliament election
      after the last one both stood in (``view_election.csv``), else the snapshot date, where
      the pair is censored. Covariates: seat Herfindahl of the pair, majority of that
      cabinet, left-right distance.

    Parameters
    ----------
    path : str or Path
        The ParlGov CSV folder (``view_cabinet.csv``; ``party_change.csv`` and
        ``view_election.csv`` for mergers).
    design : {"reformation", "mergers"}
    since : int, optional
        Keep only runs (reformation) or cabinets (mergers) starting in this year or later;
        default all (ParlGov starts in 1900).
    min_parties : int, default 2
        Reformation: fewest partisan governing parties of a run (1 keeps single-party runs).

    Returns
    -------
    pandas.DataFrame
        One row per sojourn (``id``, ``state``, ``start``, ``stop`` in days, ``to``, ``country``,
        covariates and descriptors); ``attrs``: ``excluded``, ``excluded_counts``, ``counts``,
        ``censor_date``, ``design``, ``source_folder``.
    """
    if design not in DESIGNS:
        raise CoalitionDataError(f"design={design!r}: expected one of {list(DESIGNS)}")
    folder = locate_folder(path, FILES[design], dataset="parlgov_transformation")
    raw, change, election = _read(folder, design)
    censor = _snapshot(folder, raw)
    since = None if since is None else int(since)
    if design == "reformation":
        out, excluded, reasons = _reformation(raw, censor, since=since,
                                              min_parties=int(min_parties))
    else:
        out, excluded, reasons = _mergers(raw, change, election, censor, since=since)
    moved = out.loc[out["to"] != "censored"]
    counts = {f"{a} -> {b}": int(k) for (a, b), k in moved.groupby(["state", "to"]).size().items()}
    info = {"merged_after_observation": out.attrs["merged_after_observation"]} \
        if design == "mergers" else {}
    annotate(out, excluded, **info, excluded_counts=count_reasons(excluded, reasons), counts=counts,
             censor_date=censor.strftime("%Y-%m-%d"), design=design, source_folder=str(folder))
    return out


def load_parlgov_transformation(
    path: str | Path,
    *,
    design: str = "reformation",
    since: int | None = None,
    min_parties: int = 2,
    as_frame: bool = False,
) -> Any:
    """Load ParlGov transformation histories as multi-state data (time in days).

    Development version 2023-11-04, defaults (all years): ``"reformation"`` keeps 635
    coalition runs in 35 countries (22 more lack a left-right position): 100 re-formed after
    an election, 26 of them a second time; 519 + 69 + 25 dissolved, 22 censored. ``"mergers"``
    keeps 1,170 of 1,346 co-governing pairs: 61 merged, 1,109 censored. ``since=1945``: 499
    runs (74 and 18 re-formations), 1,054 pairs (52 mergers). Exact counts and exclusions in
    ``data_card("parlgov_transformation")`` (checked by the tests) and ``data.excluded``.

    Parameters
    ----------
    path, design, since, min_parties
        See :func:`parlgov_transformation`.
    as_frame : bool, default False
        Return the sojourn table instead.

    Returns
    -------
    coalsurv.data.transitions.TransitionData or pandas.DataFrame
        Groups: ``country``; covariates :data:`COVARIATES` of the design; ``excluded``
        (DataFrame id, reason) attached as an attribute.
    """
    from coalsurv.data.transitions import TransitionData

    frame = parlgov_transformation(path, design=design, since=since, min_parties=min_parties)
    if as_frame:
        return frame
    data = TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to",
        covariates=list(COVARIATES[design]), groups="country", time_unit="days",
        transitions=TRANSITIONS[design], name=f"parlgov transformation ({design})")
    data.excluded = exclusion_table(frame.attrs["excluded"])
    return data
