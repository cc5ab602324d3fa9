"""Checks of the tables beside the episode table: spells, members, canonical frames, new covariates.

Like the episode checks (:mod:`coalsurv.data.validation`), every check collects one-line
problems naming the table, column and episode ids; :func:`parse_canonical` and
:func:`check_new_covariates` raise one :class:`~coalsurv.errors.CoalitionDataError` listing
them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coalsurv._format import MAX_IDS, TIME_UNITS, fmt_ids, rows_note
from coalsurv.data.values import RESERVED, as_numeric
from coalsurv.errors import CoalitionDataError

__all__ = ["check_spells", "check_members", "parse_canonical", "check_new_covariates"]

#: Float tolerance when comparing spell boundaries with exit times.
_TOL = 1e-9


def _check_frame_columns(
    frame: pd.DataFrame, *, table: str, required: Sequence[str], problems: list[str]
) -> bool:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems.append(
            f"{table}: missing columns {missing}; available columns: {list(frame.columns)}"
        )
    return not missing


def _numeric_column(
    frame: pd.DataFrame, col: str, *, table: str, problems: list[str], allow_nan: bool = False
) -> np.ndarray:
    rid = pd.Index(frame["id"])
    values = as_numeric(
        frame[col], column=f"{table}.{col}", ids=rid, problems=problems, allow_bool=True
    )
    nan = np.asarray(frame[col].isna())
    if nan.any() and not allow_nan:
        problems.append(f"column '{table}.{col}': missing values (NaN) in {rows_note(rid[nan])}")
    return values


def _unknown_ids(
    frame: pd.DataFrame, *, table: str, all_ids: pd.Index, problems: list[str]
) -> np.ndarray:
    known = np.asarray(frame["id"].isin(all_ids))
    if (~known).any():
        problems.append(
            f"{table}: ids not in the episode table: {fmt_ids(pd.unique(frame['id'][~known]))}"
        )
    return known


def check_spells(
    spells: pd.DataFrame,
    *,
    ids: pd.Index,
    all_ids: pd.Index,
    entry: np.ndarray,
    exit: np.ndarray,
    problems: list[str],
) -> pd.DataFrame | None:
    """Validate time-varying covariate spells ``(id, start, stop, covariates...)``.

    Per episode: first start <= entry, contiguous (no gap, no overlap), ``start < stop``, last
    stop == exit time (``time``; ``time_upper`` for interval rows). Spells of excluded
    episodes (in ``all_ids`` but not ``ids``) are dropped. Returns the spells sorted by episode
    and start, or None when required columns are missing.
    """
    if not _check_frame_columns(
        spells, table="spells", required=("id", "start", "stop"), problems=problems
    ):
        return None
    known = _unknown_ids(spells, table="spells", all_ids=all_ids, problems=problems)
    sp = spells.loc[known & np.asarray(spells["id"].isin(ids))].copy()
    for col in [c for c in sp.columns if c != "id"]:
        sp[col] = _numeric_column(sp, col, table="spells", problems=problems)
    pos = ids.get_indexer(sp["id"])
    order = np.lexsort((sp["start"].to_numpy(), pos))
    sp = sp.iloc[order].reset_index(drop=True)
    pos = pos[order]
    start, stop = sp["start"].to_numpy(), sp["stop"].to_numpy()
    rid = pd.Index(sp["id"])
    bad = ~(start < stop)
    if bad.any():
        problems.append(f"spells: start must be < stop; violated for episodes {fmt_ids(rid[bad])}")
    same = pos[1:] == pos[:-1]
    for kind, hit in (
        ("gap (next start after previous stop)", same & (start[1:] > stop[:-1] + _TOL)),
        ("overlap (next start before previous stop)", same & (start[1:] < stop[:-1] - _TOL)),
    ):
        if hit.any():
            problems.append(
                f"spells: {kind} for episodes {fmt_ids(pd.unique(rid[1:][hit]))}; "
                "spells of an episode must be contiguous"
            )
    first = np.r_[True, ~same] if len(pos) else np.zeros(0, bool)
    last = np.r_[~same, True] if len(pos) else np.zeros(0, bool)
    late = first & (start > entry[pos] + _TOL)
    if late.any():
        problems.append(
            f"spells: first spell starts after the episode's entry time for episodes "
            f"{fmt_ids(rid[late])}; expected first start <= entry (0 without delayed entry)"
        )
    off = last & ~np.isclose(stop, exit[pos], rtol=_TOL, atol=_TOL)
    if off.any():
        problems.append(
            f"spells: last stop differs from the episode's exit time for episodes "
            f"{fmt_ids(rid[off])}; expected last stop == time (time_upper for interval rows)"
        )
    without = ids[~np.isin(np.arange(len(ids)), pos)]
    if len(without):
        problems.append(f"spells: no spells for episodes {fmt_ids(without)}")
    return sp


def check_members(
    members: pd.DataFrame, *, ids: pd.Index, all_ids: pd.Index, problems: list[str]
) -> pd.DataFrame | None:
    """Validate a member table ``(id, member, share?, position?, ...)``.

    ``share`` must be >= 0 and sum to 1 per episode (tolerance 1e-6); (id, member) unique.
    Members of excluded episodes are dropped. Returns the table in episode order, or None
    when required columns are missing.
    """
    if not _check_frame_columns(
        members, table="members", required=("id", "member"), problems=problems
    ):
        return None
    known = _unknown_ids(members, table="members", all_ids=all_ids, problems=problems)
    mb = members.loc[known & np.asarray(members["id"].isin(ids))].copy()
    pos = ids.get_indexer(mb["id"])
    mb = mb.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    dup = mb.duplicated(["id", "member"], keep=False).to_numpy()
    if dup.any():
        pairs = pd.unique(pd.Series(list(zip(mb["id"][dup], mb["member"][dup], strict=True))))
        problems.append(
            f"members: duplicate (id, member) pairs {fmt_ids(pairs)}; each member once per episode"
        )
    for col in ("share", "position"):
        if col in mb.columns:
            mb[col] = _numeric_column(mb, col, table="members", problems=problems)
    if "share" in mb.columns:
        share = mb["share"].to_numpy()
        neg = share < 0
        if neg.any():
            problems.append(
                f"members: negative shares for episodes {fmt_ids(pd.unique(mb['id'][neg]))}; "
                "expected shares >= 0"
            )
        sums = mb.groupby("id", sort=False)["share"].sum()
        off = sums[~np.isclose(sums.to_numpy(), 1.0, rtol=0.0, atol=1e-6)]
        if len(off):
            shown = [f"{i!r}: {s:.6g}" for i, s in off.items()]
            extra = f" and {len(off) - MAX_IDS} more" if len(off) > MAX_IDS else ""
            problems.append(
                f"members: shares do not sum to 1 (tolerance 1e-6) for episodes "
                f"{{{', '.join(shown[:MAX_IDS])}}}{extra}"
            )
    return mb


def parse_canonical(
    frame: pd.DataFrame,
    *,
    time_unit: str,
    causes: Sequence[str],
    censored: str,
    group_names: Sequence[str],
    covariate_names: Sequence[str],
) -> dict[str, object]:
    """Check a canonical frame (``CoalitionData.to_frame`` output); return constructor parts."""
    problems: list[str] = []
    needed = [*RESERVED, *group_names, *covariate_names]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}; available columns: {list(frame.columns)}")
    if time_unit not in TIME_UNITS:
        problems.append(f"time_unit={time_unit!r} is unknown; expected one of {list(TIME_UNITS)}")
    if problems:
        raise CoalitionDataError("invalid canonical frame", problems)
    ids = pd.Index(frame["id"], name="id")
    status = frame["status"].to_numpy()
    labels = frame["cause"].astype(str).to_numpy()
    index = {str(c): i for i, c in enumerate(causes)}
    for bad, msg in (
        (~np.isin(status, (0, 1, 2)), "column 'status': expected 0, 1 or 2"),
        (np.array([lab not in index and lab != censored for lab in labels], bool),
         f"column 'cause': expected one of {list(index)} or {censored!r}"),
        ((status > 0) & (labels == censored), "column 'cause': events labelled as censored"),
    ):
        if bad.any():
            problems.append(f"{msg}; violated in {rows_note(ids[bad])}")
    if problems:
        raise CoalitionDataError("invalid canonical frame", problems)
    pairs = zip(labels, status, strict=True)
    cause_index = [index.get(lab, -1) if s > 0 else -1 for lab, s in pairs]
    return {
        "ids": ids, "entry": frame["entry"].to_numpy(float), "time": frame["time"].to_numpy(float),
        "time_upper": frame["time_upper"].to_numpy(float), "status": status,
        "cause_index": np.array(cause_index, dtype=np.int64), "causes": tuple(index),
        "censored_label": censored, "time_unit": time_unit,
        "covariates": frame[list(covariate_names)].set_axis(ids, axis=0),
        "groups": frame[list(group_names)].set_axis(ids, axis=0),
        "frame": frame.set_axis(ids, axis=0),
    }


def check_new_covariates(
    df: pd.DataFrame, *, key: str | None, ids: pd.Index, existing: Sequence[str]
) -> pd.DataFrame:
    """Check extra covariates joined by episode id; return them as floats indexed by ``ids``."""
    if not isinstance(df, pd.DataFrame):
        raise CoalitionDataError(
            f"with_covariates: expected a pandas DataFrame of covariates, got {type(df).__name__}"
        )
    if key is not None and key not in df.columns:
        raise CoalitionDataError(
            f"with_covariates: key column {key!r} not found; columns: {list(df.columns)}"
        )
    table = df.set_index(key) if key is not None else df
    problems: list[str] = []
    clash = [c for c in table.columns if c in existing or c in RESERVED]
    if clash:
        problems.append(f"columns {clash} clash with existing covariates or canonical names")
    dup = table.index[table.index.duplicated()].unique()
    if len(dup):
        problems.append(f"duplicate ids {fmt_ids(dup)}; expected one row per episode")
    missing = ids[~ids.isin(table.index)]
    if len(missing):
        problems.append(f"no covariate row for episodes {fmt_ids(missing)}")
    if problems:
        raise CoalitionDataError("with_covariates: invalid covariate table", problems)
    joined = table.reindex(ids)
    new: dict[object, np.ndarray] = {}
    for c in joined.columns:
        v = as_numeric(joined[c], column=c, ids=ids, problems=problems, allow_bool=True)
        nan = np.isnan(v)
        if nan.any():
            problems.append(f"column {c!r}: missing values (NaN) in {rows_note(ids[nan])}")
        elif len(ids) > 1 and np.ptp(v) == 0:
            problems.append(f"covariate {c!r} is constant; it has no variance: leave it out")
        new[c] = v
    if problems:
        raise CoalitionDataError("with_covariates: invalid covariate table", problems)
    return pd.DataFrame(new, index=ids, columns=list(joined.columns), dtype=float)
