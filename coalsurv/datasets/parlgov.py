"""ParlGov cabinets as coalition episodes, with competing endings (election vs replaced).

ParlGov records when each cabinet *starts*, not how or when it ends: a cabinet ends when the
next cabinet of the same country starts. :func:`parlgov_cabinets` derives the episodes,
:func:`load_parlgov` wraps them in a :class:`coalsurv.CoalitionData`, and
:func:`download_parlgov` fetches the public CSV files into a user cache. See
``coalsurv.datasets.data_card("parlgov")`` for the derivation and the measured counts.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.datasets._common import (
    annotate,
    count_reasons,
    exclusion_table,
    locate_file,
    read_table,
    to_coalition_data,
)
from coalsurv.errors import CoalitionDataError

__all__ = [
    "load_parlgov",
    "parlgov_cabinets",
    "download_parlgov",
    "default_cache_dir",
    "DEFAULT_URL",
    "URL_ENV",
    "FILES",
    "COVARIATES",
    "EXCLUSION_REASONS",
]

#: Folder of the ParlGov development version's CSV files (UTF-8); file names are appended.
DEFAULT_URL = "https://www.parlgov.org/data/parlgov-development_csv-utf-8/"
#: Environment variable that overrides :data:`DEFAULT_URL`.
URL_ENV = "COALSURV_PARLGOV_URL"
#: Files :func:`download_parlgov` fetches: the cabinet view (required by the loader) and the
#: parliament-composition view, whose ``calculation_date`` dates the data snapshot.
FILES = ("view_cabinet.csv", "viewcalc_parliament_composition.csv")
#: File the loader reads.
CABINET_FILE = "view_cabinet.csv"
#: File whose ``calculation_date`` column gives the snapshot date (optional).
SNAPSHOT_FILE = "viewcalc_parliament_composition.csv"
#: Covariates of the CoalitionData (raw units).
COVARIATES = (
    "power_hhi",
    "leader_share",
    "breadth_range",
    "breadth_sd",
    "majority",
    "n_parties",
    "caretaker",
)
def exclusion_reasons(*, since: int = 1945, min_parties: int = 2) -> tuple[str, ...]:
    """Exclusion reasons in words, in the order they are checked (a cabinet gets the first)."""
    return (
        f"starts before {since}",
        f"fewer than {min_parties} governing parties",
        "zero-day cabinet (successor starts, or censoring falls, on its start day)",
        "missing seats (governing parties hold no seats in the data)",
        "missing positions (a governing party lacks left_right)",
    )


#: Exclusion reasons of the default loader (``since=1945``, ``min_parties=2``).
EXCLUSION_REASONS = exclusion_reasons()
#: ``party_name_english`` of ParlGov's non-partisan ministers (party.csv: "no party affiliation").
NONPARTISAN = "no party affiliation"
_REQUIRED = (
    "country_name_short", "country_name", "election_date", "start_date", "cabinet_name",
    "caretaker", "cabinet_party", "prime_minister", "seats", "election_seats_total",
    "party_name_short", "party_name_english", "left_right", "election_id", "cabinet_id",
    "previous_cabinet_id", "party_id",
)


# ---------------------------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    """User cache folder for ParlGov files: ``<user cache>/coalsurv/parlgov``.

    Uses :mod:`platformdirs` when it is installed, else ``$XDG_CACHE_HOME`` or ``~/.cache``.
    """
    try:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("coalsurv"))
    except ImportError:  # pragma: no cover - platformdirs ships with most installs
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coalsurv"
    return base / "parlgov"


def download_parlgov(
    *, cache_dir: str | Path | None = None, url: str | None = None, force: bool = False
) -> Path:
    """Download the public ParlGov CSV files into a cache folder and return that folder.

    Files already in the cache are reused unless ``force=True``. Each file is written to a
    temporary name in the cache folder and renamed when complete, so an interrupted download
    never leaves a truncated file behind.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Destination folder; default :func:`default_cache_dir`.
    url : str, optional
        Base address of the CSV folder (``https://``, ``http://`` or ``file://``); the file names
        in :data:`FILES` are appended. Default: ``$COALSURV_PARLGOV_URL`` if set, else
        :data:`DEFAULT_URL` (the ParlGov development version).
    force : bool, default False
        Download again even when the files are cached.

    Returns
    -------
    Path
        The cache folder, holding :data:`FILES`.

    Raises
    ------
    coalsurv.CoalitionDataError
        When a file cannot be fetched (naming the address and the reason).
    """
    from coalsurv._io import atomic_write_with

    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    base = url or os.environ.get(URL_ENV) or DEFAULT_URL
    if not base.endswith("/"):
        base += "/"
    problems = []
    for name in FILES:
        target = folder / name
        if target.is_file() and not force:
            continue
        address = base + name

        def fetch(tmp: Path, address: str = address) -> None:
            with urllib.request.urlopen(address, timeout=60) as resp, open(tmp, "wb") as out:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)

        try:
            atomic_write_with(target, fetch)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append(f"{address}: {getattr(exc, 'reason', exc)}")
    if problems:
        raise CoalitionDataError(
            f"could not download the ParlGov files into {str(folder)!r}",
            problems + [f"set url= or ${URL_ENV} to another copy, or pass path= to local files"],
        )
    return folder


# ---------------------------------------------------------------------------------------------
# derivation
# ---------------------------------------------------------------------------------------------
def _snapshot_date(folder: Path, cabinets: pd.DataFrame) -> tuple[pd.Timestamp, str]:
    """Date up to which the data are current, and how it was found."""
    snap = folder / SNAPSHOT_FILE
    if snap.is_file():
        try:
            calc = pd.read_csv(snap, usecols=["calculation_date"])["calculation_date"]
            date = pd.to_datetime(calc, errors="coerce").max()
        except (ValueError, pd.errors.ParserError):
            date = pd.NaT
        if pd.notna(date):
            return pd.Timestamp(date).normalize(), f"max calculation_date of {SNAPSHOT_FILE}"
    latest = max(cabinets["start"].max(), cabinets["election"].max())
    return pd.Timestamp(latest), "latest start_date/election_date in view_cabinet.csv"


def _cabinet_table(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per cabinet with its successor within the country (by start date)."""
    cab = raw.groupby("cabinet_id", sort=False).agg(
        country=("country_name_short", "first"),
        country_name=("country_name", "first"),
        cabinet_name=("cabinet_name", "first"),
        start_date=("start_date", "first"),
        election_date=("election_date", "first"),
        election_id=("election_id", "first"),
        previous_cabinet_id=("previous_cabinet_id", "first"),
        caretaker=("caretaker", "first"),
        election_seats_total=("election_seats_total", "first"),
    )
    cab["start"] = pd.to_datetime(cab["start_date"])
    cab["election"] = pd.to_datetime(cab["election_date"])
    cab = cab.sort_values(["country", "start"], kind="stable")
    nxt = cab.groupby("country", sort=False)
    cab["successor_id"] = pd.Series(cab.index, index=cab.index).groupby(
        cab["country"], sort=False
    ).shift(-1)
    cab["end"] = nxt["start"].shift(-1)
    cab["successor_election_id"] = nxt["election_id"].shift(-1)
    return cab


def parlgov_cabinets(
    path: str | Path,
    *,
    min_parties: int = 2,
    since: int = 1945,
    censor_date: str | pd.Timestamp | None = None,
    return_members: bool = False,
) -> Any:
    """Derive coalition-cabinet episodes from ParlGov's ``view_cabinet.csv``.

    Per cabinet (all cabinets of a country are ordered by ``start_date`` first, so successors
    are found before any filtering):

    - ``duration`` (days): to the successor's ``start_date`` in the same country; the latest
      cabinet of each country is right-censored at the snapshot date (``censor_date``);
    - ``ending``: ``"election"`` when the successor formed after a new election (its
      ``election_id`` differs), ``"replaced"`` when it formed between elections (same
      ``election_id``), ``"censored"`` for the latest cabinet;
    - governing parties: rows with ``cabinet_party == 1``; ministers without party
      (``party_name_english == "no party affiliation"``) are not counted as a party
      (``nonpartisan`` flag instead);
    - ``power_hhi``, ``power_hhi_norm``, ``leader_share``, ``leader_ratio``: from seat shares
      among the governing parties (:func:`coalsurv.covariates.power_concentration`);
    - ``breadth_range``, ``breadth_sd``: minus the range / SD of the governing parties'
      ``left_right`` (0-10) (:func:`coalsurv.covariates.interest_breadth`); also ``lr_range``,
      ``lr_sd`` with positive sign;
    - ``gov_seats``, ``seat_share`` (governing seats / ``election_seats_total``), ``majority``
      (seat share > 0.5), ``n_parties``, ``caretaker``, ``zero_seat_parties``.

    Exclusions are never silent: each excluded cabinet is listed in ``attrs["excluded"]``
    (cabinet_id -> reason, reasons :data:`EXCLUSION_REASONS`, first applicable reason) and
    counted in ``attrs["excluded_counts"]``.

    Parameters
    ----------
    path : str or Path
        The folder with ``view_cabinet.csv`` (the ParlGov CSV folder) or that file itself.
    min_parties : int, default 2
        Fewest governing parties for a cabinet to count as a coalition (1 keeps single-party
        cabinets too).
    since : int, default 1945
        Keep cabinets that start in this year or later.
    censor_date : str or Timestamp, optional
        Date at which the latest cabinet of each country is censored. Default: the data's
        snapshot date, the latest ``calculation_date`` of
        ``viewcalc_parliament_composition.csv`` when that file is beside ``view_cabinet.csv``
        (2023-11-04 for the development version of that date), else the latest start or
        election date in ``view_cabinet.csv`` (earlier, hence conservative).
    return_members : bool, default False
        Also return the governing parties of the kept cabinets: ``id`` (cabinet_id),
        ``member`` (party_id), ``share`` (of governing seats), ``position`` (left_right),
        ``seats``, ``party_name_short``, ``prime_minister``.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``return_members=True``
        Index ``cabinet_id``; one row per kept cabinet, ordered by country and start date.
        ``attrs``: ``excluded``, ``excluded_counts``, ``censor_date``, ``censor_rule``,
        ``n_cabinets_total``, ``min_parties``, ``since``, ``source_file``.
    """
    frame, members, _ = _derive(path, min_parties=min_parties, since=since,
                                censor_date=censor_date)
    return (frame, members) if return_members else frame


def _derive(
    path: str | Path, *, min_parties: int, since: int, censor_date: str | pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Episode table, members table and exclusion table (see :func:`parlgov_cabinets`)."""
    from coalsurv.data.covariates import interest_breadth, power_concentration

    if int(min_parties) < 1:
        raise CoalitionDataError(f"min_parties must be >= 1, got {min_parties!r}")
    file = locate_file(path, CABINET_FILE, dataset="parlgov")
    raw = read_table(file, required=_REQUIRED, dataset="parlgov")
    cab = _cabinet_table(raw)
    if censor_date is None:
        censor, rule = _snapshot_date(file.parent, cab)
    else:
        censor, rule = pd.Timestamp(censor_date), "censor_date= given"
    late = cab.index[cab["end"].isna() & (cab["start"] > censor)]
    if len(late):
        raise CoalitionDataError(
            f"parlgov: censor_date {censor.date()} is before the start of the latest cabinet",
            [f"cabinet_id {fmt_ids(late)} start later; give a later censor_date="],
        )

    last = cab["end"].isna()
    cab["end"] = cab["end"].where(~last, censor)
    cab["duration"] = (cab["end"] - cab["start"]).dt.days.astype(float)
    cab["ending"] = np.where(
        last, "censored",
        np.where(cab["successor_election_id"] != cab["election_id"], "election", "replaced"),
    )

    gov = raw.loc[raw["cabinet_party"] == 1].copy()
    gov["nonpartisan"] = gov["party_name_english"].eq(NONPARTISAN)
    partisan = gov.loc[~gov["nonpartisan"]]
    pg = partisan.groupby("cabinet_id")
    cab["n_parties"] = pg.size().reindex(cab.index, fill_value=0).astype(int)
    cab["nonpartisan"] = gov.groupby("cabinet_id")["nonpartisan"].any().reindex(
        cab.index, fill_value=False
    ).astype(int)
    cab["gov_seats"] = pg["seats"].sum().reindex(cab.index, fill_value=0).astype(float)
    cab["zero_seat_parties"] = pg["seats"].agg(lambda s: int((s == 0).sum())).reindex(
        cab.index, fill_value=0
    ).astype(int)
    cab["missing_positions"] = pg["left_right"].agg(lambda s: int(s.isna().sum())).reindex(
        cab.index, fill_value=0
    ).astype(int)

    # exclusions, first applicable reason
    checks = (
        cab["start"].dt.year < since,
        cab["n_parties"] < min_parties,
        cab["duration"] <= 0,
        ~(cab["gov_seats"] > 0),
        cab["missing_positions"] > 0,
    )
    reason = pd.Series(None, index=cab.index, dtype=object)
    reasons = exclusion_reasons(since=since, min_parties=min_parties)
    for mask, text in zip(checks, reasons, strict=True):
        reason = reason.where(reason.notna() | ~mask, text)
    excluded = exclusion_table(reason.dropna())
    kept = cab.loc[reason.isna()].copy()

    members = partisan.loc[partisan["cabinet_id"].isin(kept.index)]
    members = pd.DataFrame(
        {
            "id": members["cabinet_id"].to_numpy(),
            "member": members["party_id"].to_numpy(),
            "seats": members["seats"].to_numpy(dtype=float),
            "position": members["left_right"].to_numpy(dtype=float),
            "party_name_short": members["party_name_short"].to_numpy(),
            "prime_minister": members["prime_minister"].to_numpy(),
        }
    )
    if len(kept):
        power = power_concentration(members, id="id", share="seats")
        breadth = interest_breadth(members, id="id", position="position")
        kept = kept.join(power.drop(columns="n_members")).join(
            breadth.drop(columns="n_members")
        )
    else:  # pragma: no cover - only with extreme filters
        for col in ("power_hhi", "power_hhi_norm", "leader_share", "leader_ratio",
                    "breadth_range", "breadth_sd"):
            kept[col] = pd.Series(dtype=float)
    members["share"] = members["seats"] / members.groupby("id")["seats"].transform("sum")
    members = members[["id", "member", "share", "position", "seats", "party_name_short",
                       "prime_minister"]]
    kept["lr_range"] = -kept["breadth_range"]
    kept["lr_sd"] = -kept["breadth_sd"]
    kept["seat_share"] = kept["gov_seats"] / kept["election_seats_total"]
    kept["majority"] = (kept["seat_share"] > 0.5).astype(int)
    kept["year"] = kept["start"].dt.year
    kept["censored_at"] = np.where(kept["ending"] == "censored", censor.strftime("%Y-%m-%d"), "")

    columns = [
        "country", "country_name", "cabinet_name", "start_date", "end", "duration", "ending",
        "election_date", "election_id", "successor_id", "successor_election_id", "caretaker",
        "n_parties", "nonpartisan", "gov_seats", "election_seats_total", "seat_share",
        "majority", "power_hhi", "power_hhi_norm", "leader_share", "leader_ratio",
        "breadth_range", "breadth_sd", "lr_range", "lr_sd", "zero_seat_parties", "year",
        "previous_cabinet_id",
    ]
    out = kept[columns].rename(columns={"end": "end_date"})
    out["end_date"] = out["end_date"].dt.strftime("%Y-%m-%d")
    out.index.name = "cabinet_id"
    annotate(
        out,
        excluded,
        excluded_counts=count_reasons(excluded, reasons),
        censor_date=censor.strftime("%Y-%m-%d"),
        censor_rule=rule,
        n_cabinets_total=int(len(cab)),
        min_parties=int(min_parties),
        since=int(since),
        source_file=str(file),
    )
    return out, members.reset_index(drop=True), excluded


def load_parlgov(
    path: str | Path | None = None,
    *,
    min_parties: int = 2,
    since: int = 1945,
    censor_date: str | pd.Timestamp | None = None,
    cache_dir: str | Path | None = None,
    url: str | None = None,
    as_frame: bool = False,
) -> Any:
    """Load ParlGov coalition cabinets as episodes with two competing endings.

    Size (development version 2023-11-04, defaults): 1,618 cabinets in 37 countries in
    ``view_cabinet.csv``; 802 coalition cabinets since 1945 in 35 countries kept, of which 369
    ended at an election, 411 were replaced between elections and 22 (the latest of their
    country) are censored. 816 excluded: 382 before 1945, 401 with fewer than two partisan
    governing parties, 33 with a governing party lacking ``left_right`` (see the data card,
    ``data_card("parlgov")``, and ``data.excluded``).

    Duration in days (start of the cabinet to the start of its successor). Causes:
    ``"election"`` (the successor formed after a new election) and ``"replaced"`` (between
    elections). Groups: ``country``. Covariates: :data:`COVARIATES` (one that is constant
    under the chosen filters, e.g. ``caretaker``, is left out). Members: the governing
    parties (``share`` of governing seats, ``position`` = ``left_right``).

    Parameters
    ----------
    path : str or Path, optional
        Folder of the ParlGov CSV files (or ``view_cabinet.csv`` itself). ``None`` downloads
        them first with :func:`download_parlgov` (cached).
    min_parties, since, censor_date
        See :func:`parlgov_cabinets`.
    cache_dir, url
        See :func:`download_parlgov`; used only when ``path`` is None.
    as_frame : bool, default False
        Return the episode table of :func:`parlgov_cabinets` instead.

    Returns
    -------
    coalsurv.CoalitionData or pandas.DataFrame

    References
    ----------
    Döring, H. and Manow, P. ParlGov: Parliaments and governments database, development
    version (2023-11-04). doi:10.7910/dvn/2vz5zc. Licence CC0.
    """
    if path is None:
        path = download_parlgov(cache_dir=cache_dir, url=url)
    frame, members, excluded = _derive(
        path, min_parties=min_parties, since=since, censor_date=censor_date
    )
    if as_frame:
        return frame
    covariates = [c for c in COVARIATES if frame[c].nunique() > 1]
    return to_coalition_data(
        frame,
        duration="duration",
        event="ending",
        censored="censored",
        causes=["election", "replaced"],
        groups=["country"],
        covariates=covariates,
        members=members,
        excluded=excluded,
        time_unit="days",
        name="parlgov",
        source="ParlGov (Döring & Manow), development version: " + frame.attrs["source_file"],
    )

