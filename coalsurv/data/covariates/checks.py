"""Checks of a members table shared by the covariate builders (columns present, ids given)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.errors import CoalitionDataError

__all__ = ["check_columns", "check_ids"]


def check_columns(members: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise when ``members`` is not a DataFrame or lacks any of ``columns`` (for ``what``)."""
    if not isinstance(members, pd.DataFrame):
        raise CoalitionDataError(
            f"members must be a pandas DataFrame (one row per member per coalition), "
            f"got {type(members).__name__}"
        )
    missing = [c for c in columns if c not in members.columns]
    if missing:
        raise CoalitionDataError(
            f"{what}: members table lacks column(s) {', '.join(map(repr, missing))}",
            [f"available columns: {', '.join(map(str, members.columns))}"],
        )


def check_ids(members: pd.DataFrame, id: str) -> None:
    """Raise when the coalition id column ``id`` is missing in some member rows."""
    bad = members.index[members[id].isna()]
    if len(bad):
        raise CoalitionDataError(
            f"column {id!r}: coalition id missing in members rows {fmt_ids(bad)}"
        )
