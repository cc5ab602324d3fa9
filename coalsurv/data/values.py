"""Column readers shared by the table checks: numbers, dates, labels and event columns.

Every reader appends one-line problem strings to a list instead of raising, so that a caller
can report *all* problems of a table at once. Each problem names the column, the row ids (at
most :data:`coalsurv._format.MAX_IDS` of them, then "and N more") and what is expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Number

import numpy as np
import pandas as pd

from coalsurv._format import TIME_UNITS, rows_note, unit_singular

__all__ = ["RESERVED", "as_numeric", "as_dates", "labels_as_str", "parse_events"]

#: Column names of the canonical frame; covariates and groups may not use them.
RESERVED = ("id", "entry", "time", "time_upper", "status", "cause")


def _coerce(values: pd.Series) -> pd.Series:
    """Each value as a float (NaN when it is not a number: str, list, dict, date ...)."""
    try:
        return pd.to_numeric(values, errors="coerce").astype(float)
    except (TypeError, ValueError):
        def one(v: object) -> float:
            if isinstance(v, (str, Number, np.number)) and not isinstance(v, bool):
                try:
                    return float(v)
                except (TypeError, ValueError):
                    return np.nan
            return np.nan
        return pd.Series([one(v) for v in values], index=values.index, dtype=float)


def _examples(values: pd.Series, bad: np.ndarray) -> str:
    """Up to three distinct offending values, written with ``repr`` (lists and dicts too)."""
    return ", ".join(list(dict.fromkeys(repr(v) for v in values[bad]))[:3])


def _time_span(
    values: pd.Series, *, column: str, time_unit: str | None, problems: list[str],
    notes: list[str] | None = None,
) -> np.ndarray | None:
    """Read a Timedelta column in ``time_unit`` (stated in a warning); refuse datetimes.

    Returns None when ``values`` holds neither (the caller reads numbers).
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        problems.append(
            f"column {column!r}: holds dates ({values.dtype}), not lengths of time; give dates "
            "as start= and end= columns, or lengths as numbers in time_unit"
        )
        return np.full(len(values), np.nan)
    if not pd.api.types.is_timedelta64_dtype(values.dtype):
        return None
    if time_unit not in TIME_UNITS:
        problems.append(
            f"column {column!r}: holds time spans ({values.dtype}); expected plain numbers here"
        )
        return np.full(len(values), np.nan)
    days = values.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400.0
    per = ("" if time_unit == "days" else
           f" (1 {unit_singular(time_unit)} = {TIME_UNITS[time_unit]:g} days)")
    note = f"column {column!r}: Timedelta values converted to {time_unit}{per}"
    if notes is not None:
        notes.append(note)
    warnings.warn(note, UserWarning, stacklevel=2)
    return days / TIME_UNITS[time_unit]


def as_numeric(
    values: pd.Series, *, column: str, ids: pd.Index, problems: list[str],
    allow_bool: bool = False, time_unit: str | None = None, notes: list[str] | None = None,
) -> np.ndarray:
    """Return ``values`` as float64; record non-numeric and infinite values in ``problems``.

    Missing values stay NaN: the caller knows whether they are allowed. A column of dates is
    refused. A Timedelta column is converted into ``time_unit`` when one is given (a column of
    times: duration, entry, bounds, spell limits; a warning states the conversion) and refused
    otherwise (a covariate); the conversion is also appended to ``notes``.
    """
    if pd.api.types.is_bool_dtype(values.dtype) and not allow_bool:
        problems.append(f"column {column!r}: expected numbers, found a boolean column")
        return np.full(len(values), np.nan)
    span = _time_span(values, column=column, time_unit=time_unit, problems=problems,
                      notes=notes)
    if span is not None:
        out = span
    elif pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        coerced = _coerce(values)
        bad = np.asarray(coerced.isna()) & ~np.asarray(values.isna())
        if bad.any():
            problems.append(
                f"column {column!r}: expected numbers, found non-numeric values "
                f"({_examples(values, bad)}) in {rows_note(ids[bad])}"
            )
        out = coerced.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(out)
    if inf.any():
        problems.append(f"column {column!r}: infinite values in {rows_note(ids[inf])}")
    return out


def as_dates(values: pd.Series, *, column: str, ids: pd.Index, problems: list[str]) -> pd.Series:
    """Return ``values`` as datetimes; record unreadable dates in ``problems`` (they become NaT).

    Numbers and time spans are refused rather than read as nanoseconds since 1970.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    kind = ("time spans (Timedelta)" if pd.api.types.is_timedelta64_dtype(values.dtype)
            else "numbers" if pd.api.types.is_numeric_dtype(values.dtype) else None)
    if kind is not None:
        problems.append(
            f"column {column!r}: holds {kind}, not dates; give lengths of time as duration= "
            "(in time_unit), or dates such as '1998-10-27' as start=/end="
        )
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
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


def labels_as_str(values: pd.Series) -> np.ndarray:
    """Group labels as str (whole floats such as ``3.0`` read as ``"3"``)."""
    if pd.api.types.is_float_dtype(values.dtype):
        num = values.to_numpy(dtype=float)
        if np.all(np.isfinite(num)) and np.all(num == np.round(num)):
            return num.astype(np.int64).astype(str).astype(object)
    return values.astype(str).to_numpy(dtype=object)


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
