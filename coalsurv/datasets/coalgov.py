"""Coalition governments 1939-2014 (``coalgov`` of the R package bml).

One row per party per government in the file; one row per government (``gid``) here, with the
parties kept as the members table. See ``coalsurv.datasets.data_card("coalgov")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.datasets._common import (
    annotate,
    exclusion_table,
    locate_file,
    read_table,
    to_coalition_data,
)

__all__ = ["load_coalgov", "coalgov_governments", "FILENAME", "COVARIATES"]

#: Name of the file in the data folder.
FILENAME = "coalgov.csv"
#: Government-level covariates of the CoalitionData (raw units; see the data card).
COVARIATES = (
    "power_hhi",
    "leader_share",
    "n_parties",
    "majority",
    "mwc",
    "investiture",
    "ideol_heterogeneity",
    "breadth_sd",
    "cohesion_mean",
)
_GOV_COLS = ("cid", "cname", "election", "investiture", "dur_wkb", "event_wkb", "n", "majority",
             "mwc")
_PARTY_COLS = ("pid", "pname", "pseat", "prime", "rile", "rile_SD", "cohesion", "finance",
               "Nmembers")
_REQUIRED = ("gid", *_GOV_COLS, *_PARTY_COLS)


def coalgov_governments(path: str | Path, *, return_members: bool = False) -> Any:
    """Aggregate ``coalgov.csv`` (party rows) into a government-level episode table.

    Parameters
    ----------
    path : str or Path
        The file ``coalgov.csv`` or the folder that contains it.
    return_members : bool, default False
        Also return the party table (``id`` = gid, ``member`` = pid, ``share`` = pseat,
        ``position`` = rile, ``pname``, ``prime``, ``cohesion``, ``finance``, ``Nmembers``).

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``return_members=True``
        Index ``gid``. Columns: ``cid``, ``cname`` (country, ISO alpha-3), ``election`` (date
        of the preceding election), ``dur_wkb`` (days), ``event_wkb`` (1/0), ``ending``
        (``"conflict"`` / ``"censored"``), ``n_parties``, ``majority``, ``mwc``,
        ``investiture``, ``power_hhi``, ``power_hhi_norm``, ``leader_share``, ``leader_ratio``
        (from party seat shares ``pseat``), ``pm_pid`` and ``pm_pseat`` (prime minister's
        party and its share), ``rile_SD`` (the source's value, mean over the government's party
        rows; higher = more cohesive), ``ideol_heterogeneity`` (``-rile_SD``; higher = more
        heterogeneous), ``breadth_range`` and ``breadth_sd`` (negative range and SD of the
        parties' standardised ``rile``), ``cohesion_mean``, ``finance_mean``,
        ``Nmembers_mean`` (unweighted means of the party-level variables).
        ``attrs``: ``checks`` (consistency checks made on the file), ``excluded`` (empty),
        ``excluded_counts``, ``source_file``.
    """
    from coalsurv.data.covariates import interest_breadth, power_concentration

    file = locate_file(path, FILENAME, dataset="coalgov")
    raw = read_table(file, required=_REQUIRED, dataset="coalgov")
    problems = _check_government_constants(raw)
    if problems:
        from coalsurv.errors import CoalitionDataError

        raise CoalitionDataError(f"coalgov: inconsistent rows in {str(file)!r}", problems)

    g = raw.groupby("gid", sort=True)
    gov = g[list(_GOV_COLS)].first()
    gov = gov.rename(columns={"n": "n_parties"})
    gov["election"] = pd.to_datetime(gov["election"])
    gov["ending"] = np.where(gov["event_wkb"].to_numpy() == 1, "conflict", "censored")

    members = pd.DataFrame(
        {
            "id": raw["gid"].to_numpy(),
            "member": raw["pid"].to_numpy(),
            "share": raw["pseat"].to_numpy(dtype=float),
            "position": raw["rile"].to_numpy(dtype=float),
            "pname": raw["pname"].to_numpy(),
            "prime": raw["prime"].to_numpy(),
            "cohesion": raw["cohesion"].to_numpy(dtype=float),
            "finance": raw["finance"].to_numpy(dtype=float),
            "Nmembers": raw["Nmembers"].to_numpy(dtype=float),
        }
    )
    power = power_concentration(members, id="id", share="share")
    breadth = interest_breadth(members, id="id", position="position")
    gov = gov.join(power.drop(columns="n_members")).join(breadth.drop(columns="n_members"))

    pm = raw.loc[raw["prime"] == 1].set_index("gid")
    gov["pm_pid"] = pm["pid"]
    gov["pm_pseat"] = pm["pseat"]
    gov["rile_SD"] = g["rile_SD"].mean()
    gov["ideol_heterogeneity"] = -gov["rile_SD"]
    for col in ("cohesion", "finance", "Nmembers"):
        gov[f"{col}_mean"] = g[col].mean()
    gov.index.name = "gid"

    # consistency checks reported on the card
    own_sd = raw.groupby("gid")["rile"].std(ddof=0)
    gov.attrs["checks"] = {
        "rows": int(len(raw)),
        "governments": int(len(gov)),
        "rile_SD_varies_within_gid": int((g["rile_SD"].nunique() > 1).sum()),
        "corr_rile_SD_vs_party_rile_sd": float(np.corrcoef(gov["rile_SD"], own_sd)[0, 1]),
        "n_equals_party_rows": bool((g.size() == gov["n_parties"]).all()),
        "pseat_sums_to_one": bool(np.allclose(g["pseat"].sum(), 1.0, atol=1e-6)),
    }
    annotate(gov, exclusion_table({}), source_file=str(file))
    return (gov, members) if return_members else gov


def _check_government_constants(raw: pd.DataFrame) -> list[str]:
    """Government-level columns must not vary between a government's party rows."""
    problems = []
    g = raw.groupby("gid")
    for col in _GOV_COLS:
        varies = g[col].nunique(dropna=False)
        bad = varies.index[varies > 1]
        if len(bad):
            problems.append(f"column {col!r} differs between party rows of gid {fmt_ids(bad)}")
    prime = g["prime"].sum()
    bad = prime.index[prime != 1]
    if len(bad):
        problems.append(f"gid {fmt_ids(bad)}: expected exactly one party with prime == 1")
    return problems


def load_coalgov(path: str | Path, *, as_frame: bool = False) -> Any:
    """Load the coalition governments of Rosche's ``coalgov`` data (bml package).

    Size: 2,077 party rows = 628 coalition governments in 29 countries, 1939-2014; 245 ended
    early through conflict, 383 censored for that cause. Nothing is excluded.

    Duration ``dur_wkb`` (days from investiture to termination, 7-1,840); event ``event_wkb``:
    1 = early termination through political conflict (resignation, dissension, loss of
    parliamentary support, head-of-state intervention) more than a year before the scheduled
    end of term, cause label ``"conflict"``; 0 = ended otherwise (regular elections, other
    reasons, or within a year of scheduled elections), treated as censored for that cause.
    Groups: ``cname`` (country). Covariates: see :data:`COVARIATES` and the data card;
    ``ideol_heterogeneity`` is ``-rile_SD`` because the source codes ``rile_SD`` so that higher
    values mean *more cohesive* coalitions (checked against the spread of the parties' ``rile``).
    Members: the parties (``share`` = ``pseat``, ``position`` = ``rile``).

    Parameters
    ----------
    path : str or Path
        The file ``coalgov.csv`` or the folder that contains it.
    as_frame : bool, default False
        Return the derived government table (:func:`coalgov_governments`) instead.

    Returns
    -------
    coalsurv.CoalitionData or pandas.DataFrame
        Cause ``"conflict"``, censored label ``"censored"``, ``time_unit="days"``.

    References
    ----------
    Rosche, B. (2026). Multiple-membership multilevel models (R package bml), data ``coalgov``;
    built on Woldendorp, Keman & Budge as updated by Seki, K. & Williams, L. K. (2014),
    Updating the Party Government data set, *Electoral Studies* 34, 270-279; Manifesto Project
    (Volkens et al. 2016); Political Party Database (Scarrow, Webb & Poguntke 2017).
    """
    frame, members = coalgov_governments(path, return_members=True)
    if as_frame:
        return frame
    return to_coalition_data(
        frame,
        duration="dur_wkb",
        event="ending",
        censored="censored",
        causes=["conflict"],
        groups=["cname"],
        covariates=list(COVARIATES),
        members=members,
        time_unit="days",
        name="coalgov",
        source="coalgov (bml; Seki & Williams 2014 WKB update): " + frame.attrs["source_file"],
    )
