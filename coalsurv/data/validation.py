"""Validation of the episode table in named steps: :func:`parse_frame`.

:func:`parse_frame` runs these steps in order; each appends one-line problem strings to a list
instead of raising, so that :class:`coalsurv.data.CoalitionData` can report *all* problems of
a table at once. Each problem names the column, the row ids (at most
:data:`coalsurv._format.MAX_IDS` of them, then "and N more") and what is expected.

1. :func:`_check_options`: options and column roles (every used column exists, has one role);
2. :func:`automatic_covariates`: with ``covariates=None``, the numeric columns left over;
3. :func:`_read_ids`: unique, non-missing episode ids;
4. :func:`_missing_values`: missing values are errors, or exclusions with ``dropna=True``;
5. :func:`_episode_lengths`: durations, or start/end dates in the time unit;
6. :func:`_read_events`: cause labels or 0/1 flags (:func:`~coalsurv.data.values.parse_events`);
7. :func:`_interval_censoring` and :func:`_delayed_entry`: exit bounds and entry times;
8. :func:`_groups_and_covariates`: group labels and numeric, non-constant covariates;
9. the spells and members tables (:mod:`coalsurv.data.tables`).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from coalsurv._format import TIME_UNITS, fmt_ids, rows_note
from coalsurv.data.tables import (
    check_members,
    check_new_covariates,
    check_spells,
    parse_canonical,
)
from coalsurv.data.values import RESERVED, as_dates, as_numeric, labels_as_str, parse_events
from coalsurv.errors import CoalitionDataError

__all__ = [
    "RESERVED",
    "as_numeric",
    "automatic_covariates",
    "parse_events",
    "check_spells",
    "check_members",
    "parse_frame",
    "parse_canonical",
    "check_new_covariates",
]


def automatic_covariates(
    frame: pd.DataFrame, used_columns: Collection[object]
) -> tuple[list[object], list[object]]:
    """Choose the covariates of ``covariates=None``: numeric columns without another role.

    A column is chosen when it is not in ``used_columns`` (id, duration, event, groups ...),
    its name is not a canonical column name (:data:`~coalsurv.data.values.RESERVED`), its
    dtype is numeric or bool, and it is not empty (an all-missing column carries nothing to
    model).

    Parameters
    ----------
    frame : pandas.DataFrame
        Episode table.
    used_columns : collection
        Columns that already have a role.

    Returns
    -------
    chosen, skipped_empty : list, list
        The chosen covariates and the all-missing columns without a role that were skipped,
        both in the frame's column order.
    """
    free = [c for c in frame.columns if c not in used_columns]
    empty = [c for c in free if frame[c].isna().all()]
    chosen = [
        c for c in free
        if c not in RESERVED and pd.api.types.is_numeric_dtype(frame[c].dtype) and c not in empty
    ]
    return chosen, empty


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


_COLUMN_OPTIONS = ("id", "duration", "start", "end", "event", "entry", "lower", "upper")


def _is_name(value: object) -> bool:
    """Whether ``value`` can name a column (str, or a number for integer column labels)."""
    return isinstance(value, (str, int, np.integer)) and not isinstance(value, bool)


def _option_types(
    opt: dict[str, object], group_cols: object, cov_cols: object, problems: list[str]
) -> None:
    """Step 0: each option has the type it needs (column names, lists of them, flags)."""
    if opt["event"] is None:
        problems.append("event= is required: the column saying how each episode ended")
    for key in _COLUMN_OPTIONS:
        value = opt[key]
        if value is not None and not _is_name(value):
            problems.append(f"{key}=: expected a column name, got {value!r:.60}")
    for key, cols in (("groups", group_cols), ("covariates", cov_cols)):
        if cols is not None and not (isinstance(cols, list) and all(_is_name(c) for c in cols)):
            problems.append(f"{key}=: expected column names, got {cols!r:.60}")
    if opt["time_unit"] is None:
        problems.append(f"time_unit= is required: the unit of the times, one of "
                        f"{list(TIME_UNITS)} (coalsurv does not guess it; the command line "
                        f"asks for --time-unit too)")
    elif not isinstance(opt["time_unit"], str):
        problems.append(f"time_unit=: expected one of {list(TIME_UNITS)}, got "
                        f"{opt['time_unit']!r:.40}")
    if not isinstance(opt["dropna"], (bool, np.bool_)):
        problems.append(f"dropna=: expected True or False, got {opt['dropna']!r:.40}")
    if not isinstance(opt["censored"], str):
        problems.append(f"censored=: expected the label of censored rows (str), got "
                        f"{opt['censored']!r:.40}")


def _as_columns(value: object) -> list[object] | object:
    """Return ``groups=`` / ``covariates=`` as a list (one name becomes a one-item list)."""
    if _is_name(value):
        return [value]
    if isinstance(value, (list, tuple, pd.Index)):
        return list(value)
    return value  # reported by _option_types


def _check_options(
    df: pd.DataFrame, opt: dict[str, object], group_cols: list[object],
    cov_cols: list[object] | None, problems: list[str],
) -> dict[object, list[str]]:
    """Step 1: the options and column roles; return the used columns and their roles."""
    duration, start, end = opt["duration"], opt["start"], opt["end"]
    lower, upper, time_unit = opt["lower"], opt["upper"], opt["time_unit"]
    if time_unit not in TIME_UNITS:
        problems.append(f"time_unit={time_unit!r} is unknown; expected one of {list(TIME_UNITS)}")
    used = _roles(
        {
            "id": opt["id"], "duration": duration, "start": start, "end": end,
            "event": opt["event"], "entry": opt["entry"], "lower": lower, "upper": upper,
            "groups": group_cols, "covariates": cov_cols or [],
        },
        problems,
    )
    if duration is None and (start is None or end is None):
        problems.append("give the episode length as duration= (column) or start= and end= (dates)")
    if duration is not None and (start is not None or end is not None):
        problems.append("give the episode length as duration= or as start=/end=, not both")
    if (lower is None) != (upper is None):
        problems.append("interval censoring needs both lower= and upper= columns")
    auto = cov_cols is None
    dupcols = [c for c in pd.unique(df.columns[df.columns.duplicated()]) if auto or c in used]
    if dupcols:
        problems.append(f"the table has duplicate column names {dupcols}")
    for c in [c for c in used if c not in df.columns]:
        problems.append(
            f"column {c!r} ({'/'.join(used[c])}=) not found; available columns: {list(df.columns)}"
        )
    for c in [c for c in group_cols + (cov_cols or []) if c in RESERVED]:
        problems.append(f"column {c!r}: name is reserved for the canonical frame; rename it")
    return used


def _read_ids(df: pd.DataFrame, idcol: object, problems: list[str]) -> pd.Index:
    """Step 3: the episode ids (index or ``id=`` column), unique and non-missing."""
    all_ids = pd.Index(df.index if idcol is None else df[idcol], name="id")
    where = "index" if idcol is None else f"column {idcol!r}"
    if all_ids.hasnans:
        pos = np.flatnonzero(np.asarray(all_ids.isna()))
        problems.append(f"{where}: missing ids in rows {fmt_ids(df.index[pos])} (index labels)")
    dup = all_ids[all_ids.duplicated()].unique()
    if len(dup):
        problems.append(f"{where}: duplicate ids {fmt_ids(dup)}; each episode needs a unique id")
    return all_ids


def _missing_values(
    df: pd.DataFrame, opt: dict[str, object], columns: list[object], all_ids: pd.Index,
    problems: list[str],
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Step 4: missing values in used ``columns``: problems, or exclusions with ``dropna``.

    Returns the interval-censored rows, the rows to drop and the table of excluded rows.
    """
    duration, end, lower, upper = opt["duration"], opt["end"], opt["lower"], opt["upper"]
    interval = np.zeros(len(df), bool)
    if lower is not None and lower in df and upper in df:
        interval = np.asarray(df[lower].notna() & df[upper].notna())
    masks: dict[object, np.ndarray] = {}
    for c in columns:
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
    return interval, drop, excluded


def _episode_lengths(
    sub: pd.DataFrame, opt: dict[str, object], ids: pd.Index, interval: np.ndarray,
    problems: list[str],
) -> np.ndarray:
    """Step 5: each episode's length in the time unit, from ``duration`` or start/end dates."""
    duration, start, end = opt["duration"], opt["start"], opt["end"]
    if duration is not None:
        t = as_numeric(
            sub[duration], column=duration, ids=ids, problems=problems,
            time_unit=str(opt["time_unit"]), notes=opt["notes"],
        )
        bad = ~interval & (t <= 0)
        if bad.any():
            problems.append(
                f"column {duration!r}: durations must be > 0; found zero or negative values in "
                f"{rows_note(ids[bad])}"
            )
        return t
    s_dt = as_dates(sub[start], column=start, ids=ids, problems=problems)
    e_dt = as_dates(sub[end], column=end, ids=ids, problems=problems)
    days = (e_dt - s_dt).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400.0
    t = days / TIME_UNITS.get(str(opt["time_unit"]), 1.0)
    for bad, what in ((days < 0, "before"), (days == 0, "on the same day as")):
        bad &= ~interval
        if bad.any():
            problems.append(
                f"column {end!r}: end date {what} the start date (column {start!r}) in "
                f"{rows_note(ids[bad])}; expected end after start"
            )
    return t


def _read_events(
    sub: pd.DataFrame, opt: dict[str, object], ids: pd.Index, censored: str,
    problems: list[str],
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Step 6: the label of each ending, the causes, and which rows are events."""
    event = opt["event"]
    labels, causes = parse_events(
        sub[event], column=event, ids=ids, censored=censored, causes=opt["causes"],
        problems=problems,
    )
    is_event = labels != censored
    n = len(sub)
    if n == 0:
        problems.append("no episodes: the table is empty or every row was excluded")
    elif not is_event.any():
        problems.append(
            f"column {event!r}: all {n} rows are censored ({censored!r}); "
            "a survival model needs at least one ending"
        )
    return labels, causes, is_event


def _interval_censoring(
    sub: pd.DataFrame, opt: dict[str, object], ids: pd.Index, t: np.ndarray,
    is_event: np.ndarray, interval: np.ndarray, censored: str, problems: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 7a: ``time``, ``time_upper`` and ``status`` with interval-censored rows."""
    lower, upper = opt["lower"], opt["upper"]
    time, time_upper = t.copy(), np.where(is_event, t, np.inf)
    if lower is not None:
        unit = str(opt["time_unit"])
        lo, up = (as_numeric(sub[c], column=c, ids=ids, problems=problems, time_unit=unit,
                             notes=opt["notes"]) for c in (lower, upper))
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
    return time, time_upper, status


def _delayed_entry(
    sub: pd.DataFrame, opt: dict[str, object], ids: pd.Index, time: np.ndarray,
    interval: np.ndarray, problems: list[str],
) -> np.ndarray:
    """Step 7b: delayed entry times (0 without ``entry=``), before each exit time."""
    entry = opt["entry"]
    if entry is None:
        return np.zeros(len(sub))
    en = as_numeric(
        sub[entry], column=entry, ids=ids, problems=problems, time_unit=str(opt["time_unit"]),
        notes=opt["notes"],
    )
    for bad, msg in (
        (en < 0, "entry times must be >= 0"),
        ((~interval & (en >= time)) | (interval & (en > time)),
         "entry must be before the exit time (entry < time; entry <= lower for interval rows)"),
    ):
        if bad.any():
            problems.append(f"column {entry!r}: {msg}; violated in {rows_note(ids[bad])}")
    return en


def _groups_and_covariates(
    sub: pd.DataFrame, ids: pd.Index, group_cols: list[object], cov_cols: list[object],
    problems: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 8: group labels as str; covariates as floats, none of them constant."""
    n = len(sub)
    gdf = pd.DataFrame({g: labels_as_str(sub[g]) for g in group_cols}, index=ids, dtype=object)
    cov: dict[object, np.ndarray] = {}
    for c in cov_cols:
        v = as_numeric(sub[c], column=c, ids=ids, problems=problems, allow_bool=True)
        fin = v[np.isfinite(v)]
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.std(fin - np.mean(fin)) if len(fin) else 0.0
        if not np.isfinite(spread):
            big = np.abs(v) >= np.sqrt(np.finfo(float).max) / max(n, 1)
            problems.append(
                f"covariate {c!r}: values too large to standardise (the SD overflows; e.g. "
                f"{fin[np.argmax(np.abs(fin))]:g}) in {rows_note(ids[big])}; rescale the column"
            )
        elif n > 1 and len(fin) == n and fin.min() == fin.max():
            problems.append(
                f"covariate {c!r} is constant (every row = {fin[0]:g}); it has no variance to "
                "explain anything: leave it out of covariates="
            )
        cov[c] = v
    return gdf, pd.DataFrame(cov, index=ids, columns=cov_cols, dtype=float)


def _as_table(table: object, name: str, problems: list[str]) -> pd.DataFrame | None:
    """Return a ``spells=`` / ``members=`` table as a DataFrame (row dicts are converted)."""
    if table is None or isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, (list, tuple)) and table and all(isinstance(r, dict) for r in table):
        return pd.DataFrame(list(table))
    problems.append(
        f"{name}=: expected a pandas DataFrame (or a list of dicts, one per row); "
        f"got {type(table).__name__}"
    )
    return None


def parse_frame(df: pd.DataFrame, **opt: object) -> dict[str, object]:
    """Validate an episode table; return the keyword arguments of ``CoalitionData``.

    ``opt`` are the options of :meth:`coalsurv.data.CoalitionData.from_frame`. Runs the steps
    of the module docstring in order and raises one
    :class:`~coalsurv.errors.CoalitionDataError` listing every problem found.
    """
    if not isinstance(df, pd.DataFrame):
        raise CoalitionDataError(
            "CoalitionData.from_frame expects a pandas DataFrame", [f"got {type(df).__name__}"]
        )
    problems: list[str] = []
    opt["notes"] = []  # conversions made while reading (Timedelta -> time_unit)
    groups, covariates = opt["groups"], opt["covariates"]
    group_cols = [] if groups is None else _as_columns(groups)
    cov_cols = None if covariates is None else _as_columns(covariates)
    _option_types(opt, group_cols, cov_cols, problems)
    if problems:
        raise CoalitionDataError("invalid CoalitionData options", problems)
    censored = str(opt["censored"])
    used = _check_options(df, opt, group_cols, cov_cols, problems)
    if problems:
        raise CoalitionDataError("invalid CoalitionData options", problems)
    if cov_cols is None:
        cov_cols, _ = automatic_covariates(df, used)

    all_ids = _read_ids(df, opt["id"], problems)
    checked = [opt[k] for k in ("event", "entry")] + [*group_cols, *cov_cols] + [
        opt[k] for k in ("duration", "start", "end", "lower", "upper")]
    interval, drop, excluded = _missing_values(
        df, opt, [c for c in checked if c is not None], all_ids, problems
    )
    keep = ~drop
    sub, ids, interval = df.iloc[np.flatnonzero(keep)], all_ids[keep], interval[keep]
    t = _episode_lengths(sub, opt, ids, interval, problems)
    labels, causes, is_event = _read_events(sub, opt, ids, censored, problems)
    time, time_upper, status = _interval_censoring(
        sub, opt, ids, t, is_event, interval, censored, problems
    )
    en = _delayed_entry(sub, opt, ids, time, interval, problems)
    gdf, cdf = _groups_and_covariates(sub, ids, group_cols, cov_cols, problems)
    exit_time = np.where(status == 2, time_upper, time)
    sp = mb = None
    spells, members = (_as_table(opt[k], k, problems) for k in ("spells", "members"))
    if spells is not None:
        sp = check_spells(
            spells, ids=ids, all_ids=all_ids, entry=en, exit=exit_time, problems=problems
        )
    if members is not None:
        mb = check_members(members, ids=ids, all_ids=all_ids, problems=problems)

    if problems:
        k = len(problems)
        raise CoalitionDataError(f"invalid coalition data: {k} problem{'s' * (k != 1)}", problems)
    index = {c: i for i, c in enumerate(causes)}
    frame = sub.copy()
    frame.index = ids
    frame.attrs["notes"] = list(opt["notes"])  # shown by describe()
    return {
        "ids": ids, "entry": en, "time": time, "time_upper": time_upper, "status": status,
        "cause_index": np.array([index.get(lab, -1) for lab in labels], dtype=np.int64),
        "causes": causes, "censored_label": censored, "time_unit": opt["time_unit"],
        "covariates": cdf, "groups": gdf, "spells": sp, "members": mb, "frame": frame,
        "excluded": excluded.reset_index(drop=True), "name": opt["name"], "source": opt["source"],
    }
