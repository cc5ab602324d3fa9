"""Shared helpers of the real-data loaders: locating files, reading tables, exclusions.

Private to :mod:`coalsurv.datasets`. Every loader derives a plain pandas episode table first
(one row per coalition, with the columns its data card lists) and then hands it to
:meth:`coalsurv.data.CoalitionData.from_frame`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.errors import CoalitionDataError

__all__ = [
    "DataFileNotFoundError",
    "locate_file",
    "locate_folder",
    "read_table",
    "exclusion_table",
    "count_reasons",
    "annotate",
    "to_coalition_data",
]


class DataFileNotFoundError(CoalitionDataError, FileNotFoundError):
    """A data file a loader needs is not where the user said it is.

    Both a :class:`coalsurv.CoalitionDataError` (so the CLI reports it as a user error) and a
    :class:`FileNotFoundError`.
    """


def locate_file(path: str | Path, filename: str, *, dataset: str) -> Path:
    """Return the data file given either the file itself or the folder that holds it.

    Parameters
    ----------
    path : str or Path
        The file, or a folder containing ``filename``.
    filename : str
        Expected file name (e.g. ``"coalgov.csv"``).
    dataset : str
        Data set name for the error message.

    Returns
    -------
    Path

    Raises
    ------
    DataFileNotFoundError
        Naming the path that was given and the file that was expected there.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        f = p / filename
        if f.is_file():
            return f
        present = sorted(x.name for x in p.iterdir())[:10]
        raise DataFileNotFoundError(
            f"{dataset}: expected the file {filename!r} in the folder {str(p)!r}",
            [f"files found there: {present}" if present else "the folder is empty"],
        )
    if p.is_file():
        return p
    raise DataFileNotFoundError(
        f"{dataset}: path {str(p)!r} does not exist; give the file {filename!r} "
        "or the folder that contains it"
    )


def locate_folder(path: str | Path, filenames: Sequence[str], *, dataset: str) -> Path:
    """Return the folder holding all of ``filenames`` (a file path means its folder).

    Raises
    ------
    DataFileNotFoundError
        Naming the folder and every expected file that is missing.
    """
    p = Path(path).expanduser()
    folder = p.parent if p.is_file() else p
    if not folder.is_dir():
        raise DataFileNotFoundError(
            f"{dataset}: folder {str(folder)!r} does not exist; expected a folder with "
            f"{list(filenames)}"
        )
    missing = [f for f in filenames if not (folder / f).is_file()]
    if missing:
        raise DataFileNotFoundError(
            f"{dataset}: the folder {str(folder)!r} lacks the expected files {missing}",
            [f"expected all of {list(filenames)}"],
        )
    return folder


def read_table(
    file: Path, *, required: Sequence[str], dataset: str, **read_kw: Any
) -> pd.DataFrame:
    """Read a delimited text table and check that it has the ``required`` columns.

    Raises
    ------
    coalsurv.CoalitionDataError
        When the file cannot be parsed or lacks columns (all missing ones listed).
    """
    try:
        df = pd.read_csv(file, **read_kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CoalitionDataError(
            f"{dataset}: could not read {str(file)!r} as a table", [str(exc).splitlines()[0]]
        ) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise CoalitionDataError(
            f"{dataset}: {str(file)!r} is not the expected table",
            [f"missing columns {missing}", f"columns found: {list(df.columns)[:20]}"],
        )
    return df


def exclusion_table(reasons: Mapping[object, str] | pd.Series) -> pd.DataFrame:
    """Build the ``DataFrame(id, reason)`` of episodes a loader left out, in given order."""
    s = pd.Series(reasons, dtype=object)
    return pd.DataFrame({"id": s.index.to_numpy(), "reason": s.to_numpy(dtype=object)})


def count_reasons(excluded: pd.DataFrame, reasons: Sequence[str]) -> dict[str, int]:
    """Count excluded episodes per reason, every reason listed (0 when none)."""
    return {r: int((excluded["reason"] == r).sum()) for r in reasons}


def annotate(frame: pd.DataFrame, excluded: pd.DataFrame, **info: Any) -> pd.DataFrame:
    """Attach exclusions and derivation facts to ``frame.attrs`` as plain Python values.

    ``attrs["excluded"]`` maps each excluded id to its reason; ``attrs["excluded_counts"]``
    counts them per reason. Only plain values go into ``attrs`` (pandas compares and deep-copies
    ``attrs`` on most operations, which fails for DataFrames).
    """
    frame.attrs["excluded"] = {
        _plain(i): str(r) for i, r in zip(excluded["id"], excluded["reason"], strict=True)
    }
    frame.attrs.setdefault("excluded_counts", {})
    for key, value in info.items():
        frame.attrs[key] = value
    return frame


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def to_coalition_data(
    frame: pd.DataFrame, *, excluded: pd.DataFrame | None = None, **options: Any
) -> Any:
    """Build a :class:`coalsurv.data.CoalitionData` from a derived episode table.

    ``excluded`` (``DataFrame(id, reason)``) lists the episodes the loader left out before;
    they are put in front of any rows ``from_frame`` drops itself in the data's ``excluded``.
    """
    from coalsurv.data.episodes import CoalitionData

    data = CoalitionData.from_frame(frame, **options)
    if excluded is None or not len(excluded):
        return data
    return data.with_excluded(excluded)
