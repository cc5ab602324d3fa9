"""ATOP v4.01 alliances as coalition episodes, with interval censoring for partial dates.

Alliance spells come from the alliance-level file, founding members and termination codes from
the member-level file, capabilities (CINC) and regime scores (polity2) from ``cinc-polity.csv``.
See ``coalsurv.datasets.data_card("atop")`` for the derivation and the measured counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.datasets._common import (
    annotate,
    count_reasons,
    exclusion_table,
    locate_folder,
    read_table,
    to_coalition_data,
)
from coalsurv.errors import CoalitionDataError

__all__ = [
    "load_atop",
    "atop_alliances",
    "FILES",
    "OBLIGATIONS",
    "COVARIATES",
    "CINC_COVARIATES",
    "ERAS",
    "era_of",
    "EXCLUSION_REASONS",
]

#: Files expected in the data folder: alliance level, member level, capabilities and regimes.
FILES = ("atop-alliance-level.csv", "atop-member-level.csv", "cinc-polity.csv")
#: Obligation indicators kept as covariates.
OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul")
#: Covariates without capability data.
COVARIATES = (*OBLIGATIONS, "wartime", "bilat", "n_members")
#: Covariates added with ``cinc=True``.
CINC_COVARIATES = ("power_hhi", "leader_share", "regime_similarity")
#: Eras by begin year: (label, first year, last year).
ERAS = (
    ("pre-1914", None, 1913),
    ("1914-1945", 1914, 1945),
    ("1946-1991", 1946, 1991),
    ("post-1991", 1992, None),
)
#: Exclusion reasons with ``cinc=True`` (first applicable reason per alliance).
EXCLUSION_REASONS = (
    "fewer than 2 founding members with CINC data in the first year",
    "fewer than 2 founding members with polity2 in the first year",
)
_ALLIANCE_COLS = ("atopid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect",
                  *OBLIGATIONS, "wartime", "bilat")
_MEMBER_COLS = ("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit",
                "ineffect", "termmode", "termcaus")
_CINC_COLS = ("ccode", "year", "cinc", "polity2")
_DAY = np.timedelta64(1, "D")


# ---------------------------------------------------------------------------------------------
# partial dates
# ---------------------------------------------------------------------------------------------
def _known(values: pd.Series) -> pd.Series:
    """Month/day parts: 0 or missing means unknown (NaN)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v.where(v > 0)


def date_bounds(year: pd.Series, month: pd.Series, day: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest calendar day consistent with a partly known date.

    An unknown day (0 or missing) spans the month; an unknown month spans the year (and then
    the day is ignored).

    Returns
    -------
    earliest, latest : pandas.Series of Timestamp
    """
    y = pd.to_numeric(year, errors="coerce").astype(float)
    m, d = _known(month), _known(day)
    d = d.where(m.notna())
    lo = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m.fillna(1), "day": d.fillna(1)}), errors="coerce"
    )
    hi_month_start = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m.fillna(12), "day": 1.0}), errors="coerce"
    )
    month_end = hi_month_start + pd.offsets.MonthEnd(0)
    hi = lo.where(d.notna(), month_end)
    return lo, hi


def era_of(year: pd.Series) -> pd.Series:
    """Return the :data:`ERAS` label of each signing year."""
    out = pd.Series(None, index=year.index, dtype=object)
    for label, first, last in ERAS:
        mask = pd.Series(True, index=year.index)
        if first is not None:
            mask &= year >= first
        if last is not None:
            mask &= year <= last
        out = out.where(~mask, label)
    return out


# ---------------------------------------------------------------------------------------------
# derivation
# ---------------------------------------------------------------------------------------------
def atop_alliances(
    path: str | Path,
    *,
    cinc: bool = True,
    censor_date: str | pd.Timestamp | None = None,
    return_members: bool = False,
) -> Any:
    """Derive alliance episodes (years) from the ATOP v4.01 files.

    - Start: ``begyr/begmo/begday``; end: ``endyr/endmo/endday`` for ended alliances
      (``ineffect == 0``). A month or day of 0 or missing is unknown: the date is only known to
      lie between the first and the last day of that month (or year); see
      :func:`date_bounds`.
    - ``ineffect == 1``: still in force, right-censored at ``censor_date`` (default: the
      latest calendar date recorded anywhere in the alliance- and member-level files, i.e. the
      latest begin, end, entry or exit date, 2016-09-06 in v4.01). The censoring time is
      measured from the *latest* possible start (the time the alliance is known to have lasted).
    - Ended alliances with exact dates get ``duration`` = (end - start) / 365.25 and no bounds.
      Ended alliances with a partly known start or end are interval-censored: ``lower`` =
      max(0, earliest end - latest start), ``upper`` = latest end - earliest start (years), and
      ``duration`` is missing.
    - ``ending``: ``"ended"`` or ``"censored"``. The member-level termination codes are kept
      as coded categories (``termmode``, ``termcaus``: the codes of the member spells that
      exit at the alliance's end year and month; labels need the ATOP codebook).
    - Founding members: distinct ``member`` states whose spell starts in the alliance's
      begin year; ``n_members`` counts them, ``n_members_ever`` all states ever members.
    - With ``cinc=True``: capability shares of the founding members with CINC data in the
      begin year, normalised to sum to 1 among them: ``power_hhi``, ``power_hhi_norm``,
      ``leader_share``, ``leader_ratio``; ``n_cinc_missing`` founding members without CINC
      data; ``polity2_sd`` (population SD of founding members' polity2) and
      ``regime_similarity = -polity2_sd``; ``n_polity_missing``. Alliances with fewer than two
      founding members with CINC (or polity2) data are excluded, with the reason in
      ``attrs["excluded"]``.
    - ``era``: by begin year, see :data:`ERAS`.

    Parameters
    ----------
    path : str or Path
        Folder holding :data:`FILES` (or any file in it).
    cinc : bool, default True
        Add the capability and regime covariates (and exclude alliances lacking them).
    censor_date : str or Timestamp, optional
        Right-censoring date of alliances still in force (e.g. ``"2018-12-31"``, the end of the
        ATOP v4 coverage as its codebook states). Default: the latest date in the data.
    return_members : bool, default False
        Also return the founding members of the kept alliances: ``id`` (atopid), ``member``
        (COW code), and with ``cinc=True`` ``year``, ``cinc``, ``cinc_share`` (among members
        with data), ``polity2``.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``return_members=True``
        Index ``atopid``; ``attrs``: ``excluded`` (atopid -> reason), ``excluded_counts``,
        ``censor_date``, ``censor_rule``, ``source_folder``.
    """
    frame, members, _ = _derive(path, cinc=cinc, censor_date=censor_date)
    return (frame, members) if return_members else frame


def _derive(
    path: str | Path, *, cinc: bool, censor_date: str | pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Episode, founding-member and exclusion tables (see :func:`atop_alliances`)."""
    folder = locate_folder(path, FILES, dataset="atop")
    al = read_table(folder / FILES[0], required=_ALLIANCE_COLS, dataset="atop")
    mem = read_table(folder / FILES[1], required=_MEMBER_COLS, dataset="atop")
    dup = al["atopid"][al["atopid"].duplicated()]
    if len(dup):
        raise CoalitionDataError(
            "atop: duplicate alliances in the alliance-level file", [f"atopid {fmt_ids(dup)}"]
        )
    al = al.set_index("atopid", drop=False).sort_index()

    start_lo, start_hi = date_bounds(al["begyr"], al["begmo"], al["begday"])
    ended = al["ineffect"] == 0
    end_lo, end_hi = date_bounds(
        al["endyr"].where(ended), al["endmo"].where(ended), al["endday"].where(ended)
    )
    if censor_date is None:
        censor, rule = _latest_date(al, mem), "latest date recorded in the ATOP files"
    else:
        censor, rule = pd.Timestamp(censor_date), "censor_date= given"
    problems = []
    bad = al.index[start_lo.isna()]
    if len(bad):
        problems.append(f"unreadable begin dates for atopid {fmt_ids(bad)}")
    bad = al.index[ended & end_lo.isna()]
    if len(bad):
        problems.append(
            f"ended alliances (ineffect == 0) without a readable end date: {fmt_ids(bad)}"
        )
    bad = al.index[~ended & (start_hi >= censor)]
    if len(bad):
        problems.append(
            f"alliances in force that start on or after censor_date {censor.date()}: "
            f"{fmt_ids(bad)}; give a later censor_date="
        )
    if problems:
        raise CoalitionDataError("atop: cannot derive alliance spells", problems)

    exact = ended & (start_lo == start_hi) & (end_lo == end_hi)
    interval = ended & ~exact
    out = pd.DataFrame(index=al.index)
    out["start_earliest"] = start_lo
    out["start_latest"] = start_hi
    out["end_earliest"] = end_lo
    out["end_latest"] = end_hi
    out["ineffect"] = al["ineffect"].astype(int)
    out["ending"] = np.where(ended, "ended", "censored")
    out["date_precision"] = np.where(exact, "exact", np.where(interval, "interval", "censored"))
    duration = pd.Series(np.nan, index=al.index)
    duration[exact] = (end_lo - start_lo)[exact] / _DAY / 365.25
    duration[~ended] = (censor - start_hi)[~ended] / _DAY / 365.25
    out["duration"] = duration
    lower = ((end_lo - start_hi) / _DAY / 365.25).clip(lower=0.0)
    upper = (end_hi - start_lo) / _DAY / 365.25
    out["lower"] = lower.where(interval)
    out["upper"] = upper.where(interval)
    zero = al.index[exact & ~(duration > 0)]
    if len(zero):  # an alliance that ends on the day it begins lasted less than a day
        out.loc[zero, "lower"] = 0.0
        out.loc[zero, "upper"] = 1.0 / 365.25
        out.loc[zero, "duration"] = np.nan
        out.loc[zero, "date_precision"] = "interval"
    for col in (*OBLIGATIONS, "wartime", "bilat"):
        out[col] = pd.to_numeric(al[col], errors="coerce")
    out["begyr"] = al["begyr"].astype(int)
    out["era"] = era_of(out["begyr"])

    # members: founding = entry in the begin year; codes of spells exiting at the end
    mem = mem.loc[mem["atopid"].isin(al.index)].copy()
    mem["begyr"] = al["begyr"].reindex(mem["atopid"]).to_numpy()
    founding = mem.loc[mem["yrent"] == mem["begyr"]].drop_duplicates(["atopid", "member"])
    out["n_members"] = founding.groupby("atopid").size().reindex(out.index, fill_value=0)
    out["n_members_ever"] = (
        mem.drop_duplicates(["atopid", "member"]).groupby("atopid").size()
        .reindex(out.index, fill_value=0)
    )
    out["termmode"], out["termcaus"] = _termination_codes(mem, al)

    excluded = exclusion_table({})
    members = pd.DataFrame({"id": founding["atopid"].to_numpy(),
                            "member": founding["member"].to_numpy()})
    if cinc:
        out, members, excluded = _add_cinc(out, members, folder)
    out.index.name = "atopid"
    annotate(
        out,
        excluded,
        excluded_counts=count_reasons(excluded, EXCLUSION_REASONS) if cinc else {},
        censor_date=censor.strftime("%Y-%m-%d"),
        censor_rule=rule,
        source_folder=str(folder),
    )
    return out, members.reset_index(drop=True), excluded


def _latest_date(al: pd.DataFrame, mem: pd.DataFrame) -> pd.Timestamp:
    """Latest calendar date (earliest reading of partial dates) in the ATOP files."""
    candidates = [
        date_bounds(al["begyr"], al["begmo"], al["begday"])[0],
        date_bounds(al["endyr"].where(al["endyr"] > 0), al["endmo"], al["endday"])[0],
        date_bounds(mem["yrent"], mem["moent"], mem["dayent"])[0],
        date_bounds(mem["yrexit"].where(mem["yrexit"] > 0), mem["moexit"], mem["dayexit"])[0],
    ]
    return pd.Timestamp(max(c.max() for c in candidates))


def _termination_codes(mem: pd.DataFrame, al: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Codes (as str, several joined by '|') of member spells that exit when the alliance ends."""
    ended = al.loc[al["ineffect"] == 0, ["endyr", "endmo"]]
    m = mem.merge(ended, left_on="atopid", right_index=True)
    at_end = m.loc[(m["yrexit"] == m["endyr"]) & (m["moexit"] == m["endmo"])]

    def codes(col: str) -> pd.Series:
        vals = at_end.loc[at_end[col] > 0].groupby("atopid")[col].agg(
            lambda s: "|".join(str(int(v)) for v in sorted(set(s)))
        )
        out = vals.reindex(al.index)
        out[al["ineffect"] == 1] = "in force"
        return out.fillna("not coded")

    return codes("termmode"), codes("termcaus")


def _add_cinc(
    out: pd.DataFrame, members: pd.DataFrame, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from coalsurv.data.covariates import interest_breadth, power_concentration

    cp = read_table(folder / FILES[2], required=_CINC_COLS, dataset="atop")
    cp = cp.drop_duplicates(["ccode", "year"])[list(_CINC_COLS)]
    members = members.assign(year=out["begyr"].reindex(members["id"]).to_numpy())
    members = members.merge(
        cp, left_on=["member", "year"], right_on=["ccode", "year"], how="left"
    ).drop(columns=["ccode"])
    has_cinc = members["cinc"].notna() & (members["cinc"] > 0)
    has_pol = members["polity2"].notna()
    g = members.groupby("id")
    out["n_cinc_missing"] = (out["n_members"] - g["cinc"].apply(
        lambda s: int((s.notna() & (s > 0)).sum())).reindex(out.index, fill_value=0)).astype(int)
    out["n_polity_missing"] = (out["n_members"] - g["polity2"].count().reindex(
        out.index, fill_value=0)).astype(int)
    n_cinc = out["n_members"] - out["n_cinc_missing"]
    n_pol = out["n_members"] - out["n_polity_missing"]

    reason = pd.Series(None, index=out.index, dtype=object)
    for mask, text in zip((n_cinc < 2, n_pol < 2), EXCLUSION_REASONS, strict=True):
        reason = reason.where(reason.notna() | ~mask, text)
    excluded = exclusion_table(reason.dropna())
    kept = out.loc[reason.isna()].copy()

    cm = members.loc[has_cinc & members["id"].isin(kept.index)]
    power = power_concentration(cm, id="id", share="cinc")
    kept = kept.join(power.drop(columns="n_members"))
    pm = members.loc[has_pol & members["id"].isin(kept.index)]
    breadth = interest_breadth(pm, id="id", position="polity2")
    kept["regime_similarity"] = breadth["breadth_sd"]
    kept["polity2_sd"] = -breadth["breadth_sd"]

    members = members.loc[members["id"].isin(kept.index)].copy()
    total = members["cinc"].where(has_cinc).groupby(members["id"]).transform("sum")
    members["cinc_share"] = members["cinc"].where(has_cinc) / total
    members = members[["id", "member", "year", "cinc", "cinc_share", "polity2"]]
    return kept, members.reset_index(drop=True), excluded


def load_atop(
    path: str | Path,
    *,
    cinc: bool = True,
    censor_date: str | pd.Timestamp | None = None,
    as_frame: bool = False,
) -> Any:
    """Load ATOP v4.01 alliances as episodes (years), interval-censored where dates are partial.

    Size (v4.01): 745 alliances begun 1815-2016; 411 ended (397 with exact dates, 14 known only
    to the month at one end: interval-censored), 334 still in force (right-censored at
    2016-09-06). With ``cinc=True`` 53 alliances are excluded because fewer than two founding
    members have CINC (32) or polity2 (21) data in the first year, leaving 692 (373 ended, 10 of
    them interval-censored); counts per reason in the data card and ``data.excluded``.

    One ending, ``"ended"`` (termination codes kept as the coded column ``termmode``: the
    folder holds no codebook to label them). Groups: ``era`` (:data:`ERAS`). Covariates:
    :data:`COVARIATES` (+ :data:`CINC_COVARIATES` with ``cinc=True``). Members: the founding
    members (``cinc_share``, ``polity2``; not ``share``/``position``, since some members lack
    the data).

    Parameters
    ----------
    path : str or Path
        Folder with ``atop-alliance-level.csv``, ``atop-member-level.csv``, ``cinc-polity.csv``.
    cinc : bool, default True
        Add capability concentration and regime similarity (see :func:`atop_alliances`).
    censor_date : str or Timestamp, optional
        See :func:`atop_alliances`.
    as_frame : bool, default False
        Return the episode table of :func:`atop_alliances` instead.

    Returns
    -------
    coalsurv.CoalitionData or pandas.DataFrame
        Cause ``"ended"``, censored label ``"censored"``, ``time_unit="years"``.

    References
    ----------
    Leeds, B. A., Ritter, J. M., Mitchell, S. M. and Long, A. G. (2002). Alliance Treaty
    Obligations and Provisions, 1815-1944. *International Interactions* 28, 237-260; Leeds, B. A.
    (2018). ATOP Codebook, version 4.0. Singer, J. D., Bremer, S. and Stuckey, J. (1972),
    Correlates of War National Material Capabilities (CINC); Marshall, M. G. and Jaggers, K.,
    Polity IV (polity2).
    """
    frame, members, excluded = _derive(path, cinc=cinc, censor_date=censor_date)
    if as_frame:
        return frame
    covariates = list(COVARIATES) + (list(CINC_COVARIATES) if cinc else [])
    return to_coalition_data(
        frame,
        duration="duration",
        event="ending",
        censored="censored",
        causes=["ended"],
        lower="lower",
        upper="upper",
        groups=["era"],
        covariates=covariates,
        members=members,
        excluded=excluded,
        time_unit="years",
        name="atop",
        source="ATOP v4.01 (Leeds et al. 2002) + COW CINC + Polity IV: "
        + frame.attrs["source_folder"],
    )
