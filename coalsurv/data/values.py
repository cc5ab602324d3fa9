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

from coalsurv._format import rows_note

__all__ = ["RESERVED", "as_numeric", "as_dates", "labels_as_str", "parse_events"]

#: Column names of the canonical frame; covariates and groups may not use them.
RESERVED = ("id", "entry", "time", "time_upper", "status", "cause")


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


def as_dates(values: pd.Series, *, column: str, ids: pd.Index, problems: list[str]) -> pd.Series:
    """Return ``values`` as datetimes; record unreadable dates in ``problems`` (they become NaT)."""
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
