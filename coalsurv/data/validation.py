"""Validation helpers for :mod:`coalsurv.data`.

Every check appends one-line problem strings to a list instead of raising, so that
:class:`coalsurv.data.CoalitionData` can report *all* problems of a table at once. Each problem
names the column, the row ids (at most :data:`MAX_IDS` of them, then "and N more") and what is
expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from numbers import Number

import numpy as np
import pandas as pd

__all__ = [
    "MAX_IDS",
    "RESERVED",
    "TIME_UNITS",
    "fmt_ids",
    "rows_note",
    "as_numeric",
    "parse_events",
    "check_spells",
    "check_members",
    "parse_frame",
    "parse_canonical",
    "check_new_covariates",
]

#: Most row ids printed in one problem line.
MAX_IDS = 5
#: Days per unit of time.
TIME_UNITS: dict[str, float] = {"days": 1.0, "months": 30.4375, "years": 365.25}
#: Column names of the canonical frame; covariates and groups may not use them.
RESERVED = ("id", "entry", "time", "time_upper", "status", "cause")
#: Float tolerance when comparing spell boundaries with exit times.
_TOL = 1e-9


def fmt_ids(ids: Iterable[object]) -> str:
    """Format ids for a problem line: at most ``MAX_IDS``, then "and N more"."""
    ids = list(ids)
    shown = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in ids[:MAX_IDS])
    more = len(ids) - MAX_IDS
    return f"{shown} and {more} more" if more > 0 else shown


def rows_note(ids: Sequence[object]) -> str:
    """Describe rows for a problem line: ``"2 rows (ids 3, 7)"``."""
    n = len(ids)
    return f"{n} row{'s' if n != 1 else ''} (id{'s' if n != 1 else ''} {fmt_ids(ids)})"


def as_numeric(
    values: pd.Series, *, column: str, ids: pd.Index, problems: list[str], allow_bool: bool = False
) -> np.ndarray:
    """Return ``values`` as float64; record non-numeric and infinite values in ``problems``.

    Missing values stay NaN: the caller knows whether they are allowed.
    """
    if pd.api.types.is_bool_dtype(values.dtype) and not allow_bool:
        problems.append(f"column {column!r}: expected numbers, found a boolean column")
        return np.full(len(values), np.nan)
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        coerced = pd.to_numeric(values, errors="coerce")
        bad = np.asarray(coerced.isna() & values.notna())
        if bad.any():
            examples = ", ".join(repr(v) for v in pd.unique(values[bad])[:3])
            problems.append(
                f"column {column!r}: expected numbers, found non-numeric values ({examples}) "
                f"in {rows_note(ids[bad])}"
            )
        out = coerced.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(out)
    if inf.any():
        problems.append(f"column {column!r}: infinite values in {rows_note(ids[inf])}")
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, (Number, np.number, np.bool_)) and not isinstance(v, str)


def parse_events(
    values: pd.Series,
    *,
    column: str,
    ids: pd.Index,
    censored: str,
    causes: Sequence[str] | None,
    problems: list[str],
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Read an event column of cause labels (str) or 0/1 flags.

    Returns one label per row (censored rows carry ``censored``) and the cause labels: the
    given ``causes``, else the sorted labels found; ``("event",)`` (or the single given label)
    for a 0/1 column.
    """
    if isinstance(causes, str):
        causes = [causes]
    given = None if causes is None else tuple(str(c) for c in causes)
    if given is not None:
        dup = sorted({c for c in given if given.count(c) > 1})
        if dup:
            problems.append(f"causes=: duplicate labels {dup}; each cause must be listed once")
        if censored in given:
            problems.append(
                f"causes=: {censored!r} is the censored label (censored=); it cannot be a cause"
            )
    obj = values.astype(object)
    is_num = np.array([_is_number(v) for v in obj], dtype=bool)
    is_str = np.array([isinstance(v, str) for v in obj], dtype=bool)
    if len(obj) and is_num.all():
        num = obj.to_numpy(dtype=float)
        bad = ~np.isin(num, (0.0, 1.0))
        if bad.any():
            found = ", ".join(str(v) for v in pd.unique(obj[bad])[:3])
            problems.append(
                f"column {column!r}: numeric event values must be 0 (censored) or 1 (event); "
                f"found {found} in {rows_note(ids[bad])}; use str cause labels for several endings"
            )
        if given is not None and len(given) != 1:
            problems.append(
                f"causes=: event column {column!r} is 0/1, so causes= must name exactly one "
                f"cause; got {list(given)}"
            )
        label = given[0] if given is not None and len(given) == 1 else "event"
        labels = np.where(num == 1.0, label, censored).astype(object)
        return labels, (label,)
    if not is_str.all():
        odd = ~is_str
        found = ", ".join(repr(v) for v in pd.unique(obj[odd])[:3])
        problems.append(
            f"column {column!r}: event values must be all cause labels (str) or all 0/1; "
            f"found {found} in {rows_note(ids[odd])}"
        )
        obj = obj.map(str)
    labels = obj.to_numpy(dtype=object)
    seen = sorted(set(labels) - {censored})
    if given is None:
        return labels, tuple(seen)
    unknown = ~np.isin(labels, list(given) + [censored])
    if unknown.any():
        problems.append(
            f"column {column!r}: unknown cause labels {sorted(set(labels[unknown]))} in "
            f"{rows_note(ids[unknown])}; expected one of {list(given)} or {censored!r} (censored)"
        )
    return labels, given


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


def _dates(values: pd.Series, *, column: str, ids: pd.Index, problems: list[str]) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = pd.to_datetime(values, errors="coerce")
    bad = np.asarray(out.isna() & values.notna())
    if bad.any():
        examples = ", ".join(repr(v) for v in pd.unique(values[bad])[:3])
        problems.append(
            f"column {column!r}: could not read dates ({examples}) in {rows_note(ids[bad])}; "
            "expected dates such as '1998-10-27'"
        )
    return out


def _labels_as_str(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_float_dtype(values.dtype):
        num = values.to_numpy(dtype=float)
        if np.all(np.isfinite(num)) and np.all(num == np.round(num)):
            return num.astype(np.int64).astype(str).astype(object)
    return values.astype(str).to_numpy(dtype=object)


def _roles(opts: dict[str, object], problems: list[str]) -> dict[object, list[str]]:
    """Map each used column to its role(s); report columns used in several roles."""
    used: dict[object, list[str]] = {}
    for role, cols in opts.items():
        for c in cols if isinstance(cols, list) else [cols]:
            if c is not None:
                used.setdefault(c, []).append(role)
    for c, rs in used.items():
        if len(rs) > 1:
            problems.append(
                f"column {c!r} is used in several roles ({', '.join(rs)}); "
                "give each column one role"
            )
    return used


def parse_frame(df: pd.DataFrame, **opt: object) -> dict[str, object]:
    """Validate an episode table; return the keyword arguments of ``CoalitionData``.

    ``opt`` are the options of :meth:`coalsurv.data.CoalitionData.from_frame`. Raises one
    :class:`~coalsurv.errors.CoalitionDataError` listing every problem found.
    """
    from coalsurv.errors import CoalitionDataError

    if not isinstance(df, pd.DataFrame):
        raise CoalitionDataError(
            "CoalitionData.from_frame expects a pandas DataFrame", [f"got {type(df).__name__}"]
        )
    problems: list[str] = []
    duration, start, end, event = opt["duration"], opt["start"], opt["end"], opt["event"]
    entry, lower, upper, idcol = opt["entry"], opt["lower"], opt["upper"], opt["id"]
    censored, time_unit = str(opt["censored"]), opt["time_unit"]
    groups, covariates = opt["groups"], opt["covariates"]
    group_cols = [groups] if isinstance(groups, str) else list(groups or [])
    auto_cov = covariates is None
    cov_cols = [] if auto_cov else [covariates] if isinstance(covariates, str) else list(covariates)
    if time_unit not in TIME_UNITS:
        problems.append(f"time_unit={time_unit!r} is unknown; expected one of {list(TIME_UNITS)}")
    used = _roles(
        {
            "id": idcol, "duration": duration, "start": start, "end": end, "event": event,
            "entry": entry, "lower": lower, "upper": upper, "groups": group_cols,
            "covariates": cov_cols,
        },
        problems,
    )
    if duration is None and (start is None or end is None):
        problems.append("give the episode length as duration= (column) or start= and end= (dates)")
    if duration is not None and (start is not None or end is not None):
        problems.append("give the episode length as duration= or as start=/end=, not both")
    if (lower is None) != (upper is None):
        problems.append("interval censoring needs both lower= and upper= columns")
    dupcols = [c for c in pd.unique(df.columns[df.columns.duplicated()]) if auto_cov or c in used]
    if dupcols:
        problems.append(f"the table has duplicate column names {dupcols}")
    for c in [c for c in used if c not in df.columns]:
        problems.append(
            f"column {c!r} ({'/'.join(used[c])}=) not found; available columns: {list(df.columns)}"
        )
    for c in [c for c in group_cols + cov_cols if c in RESERVED]:
        problems.append(f"column {c!r}: name is reserved for the canonical frame; rename it")
    if problems:
        raise CoalitionDataError("invalid CoalitionData options", problems)
    if auto_cov:
        cov_cols = [
            c for c in df.columns
            if c not in used and c not in RESERVED and pd.api.types.is_numeric_dtype(df[c].dtype)
            and not df[c].isna().all()  # an all-empty column carries nothing to model
        ]

    # ids
    all_ids = pd.Index(df.index if idcol is None else df[idcol], name="id")
    where = "index" if idcol is None else f"column {idcol!r}"
    if all_ids.hasnans:
        pos = np.flatnonzero(np.asarray(all_ids.isna()))
        problems.append(f"{where}: missing ids at row positions {fmt_ids(pos)}")
    dup = all_ids[all_ids.duplicated()].unique()
    if len(dup):
        problems.append(f"{where}: duplicate ids {fmt_ids(dup)}; each episode needs a unique id")

    # missing values: error, or exclusion with dropna=True
    interval = np.zeros(len(df), bool)
    if lower is not None and lower in df and upper in df:
        interval = np.asarray(df[lower].notna() & df[upper].notna())
    checked = [event, entry, *group_cols, *cov_cols, duration, start, end, lower, upper]
    masks: dict[object, np.ndarray] = {}
    for c in [c for c in checked if c is not None]:
        m = np.asarray(df[c].isna())
        if c in (duration, end):
            m &= ~interval
        if c in (lower, upper):
            m &= np.asarray(df[upper if c == lower else lower].notna())
        if m.any():
            masks[c] = m
    drop = np.zeros(len(df), bool)
    excluded = pd.DataFrame({"id": pd.Series([], dtype=all_ids.dtype), "reason": []})
    if opt["dropna"] and masks:
        for m in masks.values():
            drop |= m
        reasons = [
            "missing value in " + ", ".join(repr(c) for c, m in masks.items() if m[i])
            for i in np.flatnonzero(drop)
        ]
        excluded = pd.DataFrame({"id": all_ids[drop], "reason": reasons})
    else:
        for c, m in masks.items():
            problems.append(
                f"column {c!r}: missing values (NaN) in {rows_note(all_ids[m])}; fill them, or "
                "pass dropna=True to exclude these rows (they are listed in .excluded)"
            )
    keep = ~drop
    sub, ids, interval = df.iloc[np.flatnonzero(keep)], all_ids[keep], interval[keep]
    n = len(sub)
    unit = TIME_UNITS.get(str(time_unit), 1.0)

    # length of each episode
    if duration is not None:
        t = as_numeric(sub[duration], column=duration, ids=ids, problems=problems)
        bad = ~interval & (t <= 0)
        if bad.any():
            problems.append(
                f"column {duration!r}: durations must be > 0; found zero or negative values in "
                f"{rows_note(ids[bad])}"
            )
    else:
        s_dt = _dates(sub[start], column=start, ids=ids, problems=problems)
        e_dt = _dates(sub[end], column=end, ids=ids, problems=problems)
        days = (e_dt - s_dt).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400.0
        t = days / unit
        for bad, what in ((days < 0, "before"), (days == 0, "on the same day as")):
            bad &= ~interval
            if bad.any():
                problems.append(
                    f"column {end!r}: end date {what} the start date (column {start!r}) in "
                    f"{rows_note(ids[bad])}; expected end after start"
                )

    # events
    labels, causes = parse_events(
        sub[event], column=event, ids=ids, censored=censored, causes=opt["causes"],
        problems=problems,
    )
    is_event = labels != censored
    if n == 0:
        problems.append("no episodes: the table is empty or every row was excluded")
    elif not is_event.any():
        problems.append(
            f"column {event!r}: all {n} rows are censored ({censored!r}); "
            "a survival model needs at least one ending"
        )

    # interval censoring
    time, time_upper = t.copy(), np.where(is_event, t, np.inf)
    if lower is not None:
        lo = as_numeric(sub[lower], column=lower, ids=ids, problems=problems)
        up = as_numeric(sub[upper], column=upper, ids=ids, problems=problems)
        checks = (
            (interval & ~is_event, f"an interval is given for censored rows ({censored!r}); "
             "intervals are for events known to have happened in (lower, upper]"),
            (interval & (lo < 0), f"column {lower!r}: lower bound must be >= 0"),
            (interval & ~(up > lo), f"column {upper!r}: upper bound must be > lower ({lower!r})"),
        )
        for bad, msg in checks:
            if bad.any():
                problems.append(f"{msg}; violated in {rows_note(ids[bad])}")
        time = np.where(interval, lo, time)
        time_upper = np.where(interval, up, time_upper)
    status = np.where(interval, 2, np.where(is_event, 1, 0)).astype(np.int8)

    # delayed entry
    en = np.zeros(n)
    if entry is not None:
        en = as_numeric(sub[entry], column=entry, ids=ids, problems=problems)
        for bad, msg in (
            (en < 0, "entry times must be >= 0"),
            ((~interval & (en >= time)) | (interval & (en > time)),
             "entry must be before the exit time (entry < time; entry <= lower for interval rows)"),
        ):
            if bad.any():
                problems.append(f"column {entry!r}: {msg}; violated in {rows_note(ids[bad])}")

    # groups and covariates
    gdf = pd.DataFrame({g: _labels_as_str(sub[g]) for g in group_cols}, index=ids, dtype=object)
    cov: dict[object, np.ndarray] = {}
    for c in cov_cols:
        v = as_numeric(sub[c], column=c, ids=ids, problems=problems, allow_bool=True)
        fin = v[np.isfinite(v)]
        if n > 1 and len(fin) == n and fin.min() == fin.max():
            problems.append(
                f"covariate {c!r} is constant (every row = {fin[0]:g}); it has no variance to "
                "explain anything: leave it out of covariates="
            )
        cov[c] = v
    cdf = pd.DataFrame(cov, index=ids, columns=cov_cols, dtype=float)

    # spells and members
    exit_time = np.where(status == 2, time_upper, time)
    sp = mb = None
    if opt["spells"] is not None:
        sp = check_spells(
            opt["spells"], ids=ids, all_ids=all_ids, entry=en, exit=exit_time, problems=problems
        )
    if opt["members"] is not None:
        mb = check_members(opt["members"], ids=ids, all_ids=all_ids, problems=problems)

    if problems:
        k = len(problems)
        raise CoalitionDataError(f"invalid coalition data: {k} problem{'s' * (k != 1)}", problems)
    index = {c: i for i, c in enumerate(causes)}
    frame = sub.copy()
    frame.index = ids
    return {
        "ids": ids, "entry": en, "time": time, "time_upper": time_upper, "status": status,
        "cause_index": np.array([index.get(lab, -1) for lab in labels], dtype=np.int64),
        "causes": causes, "censored_label": censored, "time_unit": time_unit,
        "covariates": cdf, "groups": gdf, "spells": sp, "members": mb, "frame": frame,
        "excluded": excluded.reset_index(drop=True), "name": opt["name"], "source": opt["source"],
    }


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
    from coalsurv.errors import CoalitionDataError

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
    from coalsurv.errors import CoalitionDataError

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
