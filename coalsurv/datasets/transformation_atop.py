"""Do alliances transform? ATOP v4.01 histories shallow -> deep -> institutionalised (issue 24).

A *shallow* agreement (only consultation, neutrality or non-aggression obligations) is at risk
of being *deepened* (a defence or offence pact among largely the same states, signed while it is
in force or soon after) or of ending (*dissolved*); a *deep* alliance is at risk of being
*institutionalised* (a later phase, or a successor among the same states, adds an
institutionalisation provision it lacked) or of ending. :func:`atop_transformation` derives the
sojourn table, :func:`load_atop_transformation` returns it as a
:class:`coalsurv.data.transitions.TransitionData`. See
``coalsurv.datasets.data_card("atop_transformation")`` for the rules and the measured counts.
"""

from __future__ import annotations

from collections import defaultdict
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
from coalsurv.datasets.atop import FILES, atop_alliances, date_bounds, era_of
from coalsurv.errors import CoalitionDataError

__all__ = [
    "load_atop_transformation",
    "atop_transformation",
    "DESIGNS",
    "TRANSITIONS",
    "INSTITUTIONS",
    "COVARIATES",
    "EXCLUSION_REASONS",
]

#: Designs: histories of shallow agreements (shallow -> deep -> institutionalised), or of every
#: deep alliance from its signing (deep -> institutionalised).
DESIGNS = ("deepening", "institutionalisation")
#: Declared transitions per design.
TRANSITIONS = {
    "deepening": ("shallow -> deep", "shallow -> dissolved", "deep -> institutionalised",
                  "deep -> dissolved"),
    "institutionalisation": ("deep -> institutionalised", "deep -> dissolved"),
}
#: Shallow obligations (an agreement with only these is shallow) and deep ones.
SHALLOW = ("consul", "neutral", "nonagg")
DEEP = ("defense", "offense")
#: Institutionalisation variables (coded categories; "adds" = 0 before, non-zero after).
INSTITUTIONS = ("organ1", "milinst", "milaid", "base", "intcom")
#: Those also coded per phase in the member-level file (``milinst`` is alliance-level only).
PHASE_INSTITUTIONS = ("organ1", "milaid", "base", "intcom")
#: Covariates of each sojourn, measured at the signing of the agreement in force.
COVARIATES = ("n_obligations", "power_hhi", "polity2_sd", "n_members", "bilat")
#: Exclusion reasons (first applicable one per candidate unit).
EXCLUSION_REASONS = (
    "signed while the same states already share a deep pact in force",
    "fewer than 2 founding members with CINC data in the signing year",
    "fewer than 2 founding members with polity2 in the signing year",
)
_ALLIANCE_COLS = ("atopid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect",
                  *DEEP, *SHALLOW, "bilat", *INSTITUTIONS)
_MEMBER_COLS = ("atopid", "member", "phase", "yrent", "moent", "dayent", *PHASE_INSTITUTIONS)
_CINC_COLS = ("ccode", "year", "cinc", "polity2")
_YEAR = np.timedelta64(1, "D") * 365.25


def _midpoint(lo: pd.Series, hi: pd.Series) -> pd.Series:
    return lo + (hi - lo) / 2


def _numeric(df: pd.DataFrame, cols: tuple[str, ...], file: str) -> None:
    """Refuse non-numeric values in ``cols`` (one error naming the file and the columns)."""
    problems = []
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce")
        bad = v.isna() & df[c].notna()
        if bad.any():
            problems.append(f"column {c!r}: non-numeric values {list(df[c][bad].astype(str))[:3]}")
        df[c] = v
    if problems:
        raise CoalitionDataError(f"atop_transformation: {file!r} is malformed", problems)


# ---------------------------------------------------------------------------------------------
# agreements: one row per alliance with dates, kind, founding members, codes, covariates
# ---------------------------------------------------------------------------------------------
def _agreements(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Alliance table, founding members (with CINC/polity2) and later phases."""
    al = read_table(folder / FILES[0], required=_ALLIANCE_COLS, dataset="atop_transformation")
    mem = read_table(folder / FILES[1], required=_MEMBER_COLS, dataset="atop_transformation")
    cp = read_table(folder / FILES[2], required=_CINC_COLS, dataset="atop_transformation")
    _numeric(al, _ALLIANCE_COLS, FILES[0])
    _numeric(mem, _MEMBER_COLS, FILES[1])
    _numeric(cp, _CINC_COLS, FILES[2])
    frame, founding = atop_alliances(folder, cinc=False, return_members=True)
    al = al.set_index("atopid").reindex(frame.index)
    censor = pd.Timestamp(frame.attrs["censor_date"])
    out = pd.DataFrame(index=frame.index)
    out["start"] = _midpoint(frame["start_earliest"], frame["start_latest"])
    out["end"] = _midpoint(frame["end_earliest"], frame["end_latest"]).fillna(censor)
    out["ineffect"] = frame["ineffect"]
    deep = (al[list(DEEP)] == 1).any(axis=1)
    shallow = ~deep & (al[list(SHALLOW)] == 1).any(axis=1)
    out["kind"] = np.where(deep, "deep", np.where(shallow, "shallow", "other"))
    out["n_obligations"] = (al[list(DEEP + SHALLOW)] == 1).sum(axis=1).astype(float)
    out["bilat"] = al["bilat"].astype(float)
    out["begyr"] = frame["begyr"]
    out["era"] = era_of(frame["begyr"])

    # institution codes at signing: first phase (member level, max over members) + milinst
    mem = mem.loc[mem["atopid"].isin(out.index)].copy()
    first = mem.loc[mem["phase"] <= 1].groupby("atopid")[list(PHASE_INSTITUTIONS)].max()
    for c in PHASE_INSTITUTIONS:
        out[c] = first[c].reindex(out.index).fillna(al[c]).fillna(0.0)
    out["milinst"] = al["milinst"].fillna(0.0)

    # later phases (phase >= 2): start date, members and codes
    later = mem.loc[mem["phase"] >= 2].copy()
    lo, hi = date_bounds(later["yrent"], later["moent"], later["dayent"])
    later["start"] = _midpoint(lo, hi)
    phases = later.groupby(["atopid", "phase"]).agg(
        start=("start", "min"), members=("member", frozenset),
        **{c: (c, "max") for c in PHASE_INSTITUTIONS}).reset_index()

    # founding members with capabilities and regimes in the signing year
    cp = cp.drop_duplicates(["ccode", "year"])
    founding = founding.assign(year=out["begyr"].reindex(founding["id"]).to_numpy()).merge(
        cp[list(_CINC_COLS)], left_on=["member", "year"], right_on=["ccode", "year"],
        how="left").drop(columns="ccode")
    has = founding["cinc"].notna() & (founding["cinc"] > 0)
    founding["share"] = founding["cinc"].where(has) / founding["cinc"].where(has).groupby(
        founding["id"]).transform("sum")
    g = founding.groupby("id")
    out["members"] = g["member"].agg(frozenset).reindex(out.index)
    out["n_members"] = g.size().reindex(out.index, fill_value=0).astype(float)
    out["n_cinc"] = g["share"].count().reindex(out.index, fill_value=0)
    out["n_polity"] = g["polity2"].count().reindex(out.index, fill_value=0)
    out["power_hhi"] = (founding["share"] ** 2).groupby(founding["id"]).sum(min_count=1)
    out["polity2_sd"] = g["polity2"].std(ddof=0)
    out.attrs.update(frame.attrs)
    return out, founding, phases


def _overlapping(ag: pd.DataFrame, overlap: float) -> dict[Any, list[Any]]:
    """Alliance -> other alliances whose founding members have Jaccard overlap >= ``overlap``."""
    by_state = defaultdict(set)
    for a, ms in ag["members"].items():
        for s in ms:
            by_state[s].add(a)
    pairs: dict[Any, list[Any]] = {}
    for a, ms in ag["members"].items():
        near = set().union(*(by_state[s] for s in ms)) - {a}
        pairs[a] = [b for b in near
                    if len(ms & ag.at[b, "members"]) / len(ms | ag.at[b, "members"]) >= overlap]
    return pairs


def _adds(base: pd.Series, codes: pd.Series | dict) -> list[str]:
    """Institution variables 0 in ``base`` and non-zero in ``codes``."""
    return [c for c in INSTITUTIONS if c in codes and base[c] == 0 and codes[c] > 0]


def _institutionalisation(ag, phases, near, window, overlap) -> pd.DataFrame:
    """Per deep alliance: the first later phase or successor that adds an institution."""
    rows = {}
    by_id = {a: grp for a, grp in phases.groupby("atopid")}
    for d in ag.index[ag["kind"] == "deep"]:
        base, ms = ag.loc[d], ag.at[d, "members"]
        found = []
        for _, ph in by_id.get(d, pd.DataFrame()).iterrows():
            jac = len(ms & ph["members"]) / len(ms | ph["members"])
            added = _adds(base, ph)
            if jac >= overlap and added and ph["start"] > base["start"]:
                found.append((ph["start"], f"phase {int(ph['phase'])}", added))
        limit = base["end"] + window * _YEAR
        for b in near[d]:
            sb = ag.at[b, "start"]
            added = _adds(base, ag.loc[b])
            if base["start"] < sb <= limit and added:
                found.append((sb, f"atopid {b}", added))
        if found:
            t, how, added = min(found, key=lambda x: x[0])
            rows[d] = {"inst_date": t, "inst_by": how, "inst_adds": "|".join(added)}
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["inst_date", "inst_by", "inst_adds"])


# ---------------------------------------------------------------------------------------------
# histories
# ---------------------------------------------------------------------------------------------
def atop_transformation(
    path: str | Path,
    *,
    design: str = "deepening",
    window: float = 1.0,
    overlap: float = 0.5,
    return_members: bool = False,
) -> Any:
    """Derive the sojourn table (years on each unit's process clock) from the ATOP files.

    Rules (details and counts in the data card ``atop_transformation``):

    - *shallow*: an alliance with no ``defense``/``offense`` obligation and at least one of
      ``consul``, ``neutral``, ``nonagg`` (alliance level); *deep*: ``defense`` or ``offense``.
    - same states: Jaccard overlap of the founding members (spells starting in the begin year)
      >= ``overlap``.
    - ``design="deepening"``: units are shallow agreements, from their signing (time 0). A
      shallow agreement signed while the same states share a deep pact in force (signed on or
      before its day, not yet ended) is not at risk and is excluded. Deepening: the first deep
      alliance among the same states signed after it and no later than ``window`` years after
      it ends (any time while in force); the unit then sojourns in ``deep`` in that alliance.
      Without one, ``dissolved`` at its end, or censored at the censoring date while in force.
    - ``design="institutionalisation"``: units are all deep alliances, from their signing.
    - ``deep -> institutionalised``: a later phase of the deep alliance (member level,
      ``phase >= 2``), or another alliance among the same states signed after it and no later
      than ``window`` years after its end, codes non-zero an institution variable
      (:data:`INSTITUTIONS`) that is 0 in the deep alliance's first phase; the earliest such
      date. ``institutionalised`` is absorbing here. Otherwise ``dissolved`` at the deep
      alliance's end, or censored.
    - dates known only to the month: the middle of the month; time unit years of 365.25 days.

    Parameters
    ----------
    path : str or Path
        Folder with ``atop-alliance-level.csv``, ``atop-member-level.csv``, ``cinc-polity.csv``.
    design : {"deepening", "institutionalisation"}
    window : float, default 1.0
        Years after an agreement's end within which a successor still counts.
    overlap : float, default 0.5
        Least Jaccard overlap of founding members for "the same states".
    return_members : bool, default False
        Also return the founding members of each unit's first agreement: ``id``, ``member``
        (COW code), ``year``, ``cinc``, ``share`` (CINC share among members with data),
        ``polity2``.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``return_members=True``
        One row per sojourn: ``id`` (atopid of the unit's first agreement), ``state``,
        ``start``, ``stop``, ``to``, ``atopid`` (the agreement of the sojourn), ``via`` (what
        caused the transition), :data:`COVARIATES`, ``era``, ``begyr``. ``attrs``:
        ``excluded``, ``excluded_counts``, ``counts`` (per transition), ``censor_date``,
        ``design``, ``window``, ``overlap``, ``source_folder``.
    """
    if design not in DESIGNS:
        raise CoalitionDataError(f"design={design!r}: expected one of {list(DESIGNS)}")
    if not (np.isscalar(window) and float(window) >= 0):
        raise CoalitionDataError(f"window={window!r}: expected a number of years >= 0")
    if not (np.isscalar(overlap) and 0 < float(overlap) <= 1):
        raise CoalitionDataError(f"overlap={overlap!r}: expected a number in (0, 1]")
    folder = locate_folder(path, FILES, dataset="atop_transformation")
    ag, founding, phases = _agreements(folder)
    near = _overlapping(ag, float(overlap))
    inst = _institutionalisation(ag, phases, near, float(window), float(overlap))
    wy = float(window) * _YEAR

    reason = pd.Series(None, index=ag.index, dtype=object)
    if design == "deepening":
        units = ag.index[ag["kind"] == "shallow"]
        for s in units:
            if any(ag.at[d, "kind"] == "deep" and ag.at[d, "start"] <= ag.at[s, "start"]
                   < ag.at[d, "end"] for d in near[s]):
                reason[s] = EXCLUSION_REASONS[0]
    else:
        units = ag.index[ag["kind"] == "deep"]
    for mask, text in ((ag["n_cinc"] < 2, EXCLUSION_REASONS[1]),
                       (ag["n_polity"] < 2, EXCLUSION_REASONS[2])):
        reason = reason.where(reason.notna() | ~mask, text)
    reason = reason.reindex(units)
    excluded = exclusion_table(reason.dropna())
    kept = units[reason.isna().to_numpy()]

    rows = []
    for u in kept:
        t0 = ag.at[u, "start"]
        cur, state = u, ag.at[u, "kind"]
        clock = 0.0
        while True:
            a = ag.loc[cur]
            nxt = None
            if state == "shallow":
                cands = [d for d in near[cur] if ag.at[d, "kind"] == "deep"
                         and a["start"] < ag.at[d, "start"] <= a["end"] + wy]
                if cands:
                    d = min(cands, key=lambda x: (ag.at[x, "start"], x))
                    nxt = (ag.at[d, "start"], "deep", d, f"atopid {d}")
            elif cur in inst.index:
                nxt = (inst.at[cur, "inst_date"], "institutionalised", None,
                       f"{inst.at[cur, 'inst_by']} adds {inst.at[cur, 'inst_adds']}")
            if nxt is None:
                stop_date = a["end"]
                to = "dissolved" if a["ineffect"] == 0 else "censored"
                via = "ended" if to == "dissolved" else "in force"
            else:
                stop_date, to, _, via = nxt
            stop = (stop_date - t0) / _YEAR
            rows.append({"id": u, "state": state, "start": clock, "stop": stop, "to": to,
                         "atopid": cur, "via": via,
                         **{c: a[c] for c in COVARIATES}, "era": a["era"],
                         "begyr": int(a["begyr"])})
            if nxt is None or nxt[2] is None:
                break
            cur, state, clock = nxt[2], nxt[1], stop
    out = pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "atopid", "via",
                                      *COVARIATES, "era", "begyr"])
    moved = out.loc[out["to"] != "censored"]
    counts = {f"{a} -> {b}": int(k) for (a, b), k in
              moved.groupby(["state", "to"]).size().items()}
    annotate(out, excluded, excluded_counts=count_reasons(excluded, EXCLUSION_REASONS),
             counts=counts, censor_date=ag.attrs["censor_date"], design=design,
             window=float(window), overlap=float(overlap), source_folder=str(folder))
    if not return_members:
        return out
    members = founding.loc[founding["id"].isin(kept),
                           ["id", "member", "year", "cinc", "share", "polity2"]]
    return out, members.reset_index(drop=True)


def load_atop_transformation(
    path: str | Path,
    *,
    design: str = "deepening",
    window: float = 1.0,
    overlap: float = 0.5,
    as_frame: bool = False,
) -> Any:
    """Load ATOP transformation histories as multi-state data (time in years).

    ``design="deepening"`` (v4.01): 456 shallow agreements; 21 excluded as signed while the same
    states already shared a deep pact in force, 19 for lack of CINC (11) or polity2 (8) data;
    the 416 at risk give 30 deepenings (``shallow -> deep``), 120 dissolutions and 266
    censored; of the 30 deep sojourns 6 end institutionalised, 18 dissolved, 6 censored.
    ``design="institutionalisation"``: the 289 deep alliances, 34 excluded for lack of data,
    255 at risk: 41 institutionalised, 178 dissolved, 36 censored. The counts are in
    ``data_card("atop_transformation")`` (checked by the tests); the exclusions in
    ``data.excluded``.

    States: ``shallow``, ``deep``, ``institutionalised`` (absorbing), ``dissolved``
    (absorbing). Groups: ``era``. Covariates (per sojourn, at the signing of the agreement in
    force): :data:`COVARIATES` — number of obligation types, Herfindahl index of the founding
    members' CINC shares, population SD of their polity2, number of founding members, bilateral.

    Parameters
    ----------
    path, design, window, overlap
        See :func:`atop_transformation`.
    as_frame : bool, default False
        Return the sojourn table instead.

    Returns
    -------
    coalsurv.data.transitions.TransitionData or pandas.DataFrame
        ``excluded`` (DataFrame id, reason) and ``members`` (founding members of each unit's
        first agreement) are attached as attributes.
    """
    from coalsurv.data.transitions import TransitionData

    frame, members = atop_transformation(path, design=design, window=window, overlap=overlap,
                                         return_members=True)
    if as_frame:
        return frame
    data = TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to",
        covariates=list(COVARIATES), groups="era", time_unit="years",
        transitions=TRANSITIONS[design], name=f"atop transformation ({design})")
    data.excluded = exclusion_table(frame.attrs["excluded"])
    data.members = members
    return data
