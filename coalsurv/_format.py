"""Text shared by every layer: numbers, id lists, verdicts, time units (imports nothing above).

One place decides how a number, a list of row ids, a verdict or a time unit is written, so
messages, tables, reports and notebooks agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "MAX_IDS",
    "TIME_UNITS",
    "VERDICTS",
    "VERDICT_COLOURS",
    "VERDICT_RANK",
    "fmt_estimate",
    "fmt_ids",
    "fmt_interval",
    "fmt_number",
    "fmt_prob",
    "fmt_rhat",
    "fmt_share",
    "rows_note",
    "unit_singular",
    "worst_verdict",
]

#: Most row ids named in one problem line.
MAX_IDS = 5

#: Time units and their length in days.
TIME_UNITS: dict[str, float] = {"days": 1.0, "months": 30.4375, "years": 365.25}
_UNIT_SINGULAR = {"days": "day", "months": "month", "years": "year", "weeks": "week"}

#: Verdicts of checks, best first (``skipped`` means the check did not apply).
VERDICTS = ("pass", "warn", "fail", "skipped")
#: Severity of verdicts: the overall verdict of several checks is the worst one.
VERDICT_RANK = {"skipped": -1, "pass": 0, "warn": 1, "fail": 2}
#: Colours of verdicts (Okabe–Ito, as in the figures).
VERDICT_COLOURS = {"pass": "#009E73", "warn": "#E69F00", "fail": "#D55E00", "skipped": "#888888"}


def worst_verdict(verdicts: Iterable[str]) -> str:
    """Return the most severe verdict among ``verdicts`` (``"skipped"`` when none applied)."""
    ranked = [v for v in verdicts if v != "skipped"]
    return max(ranked, key=VERDICT_RANK.__getitem__) if ranked else "skipped"


def fmt_ids(ids: Iterable[object], *, limit: int = MAX_IDS) -> str:
    """Ids for a problem line: at most ``limit``, then "and N more" (repeats dropped)."""
    ids = list(dict.fromkeys(ids))
    shown = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in ids[:limit])
    more = len(ids) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def rows_note(ids: Sequence[object]) -> str:
    """Rows for a problem line: ``"2 rows (ids 3, 7)"``."""
    n = len(ids)
    return f"{n} row{'s' if n != 1 else ''} (id{'s' if n != 1 else ''} {fmt_ids(ids)})"


def fmt_number(value: Any, digits: int = 3) -> str:
    """Short text of a number: ``digits`` significant digits, integers as such.

    ``None`` and NaN print as "–", infinities as "∞"/"−∞", booleans as "yes"/"no"; very large
    or small magnitudes in scientific notation; thousands separated by commas.
    """
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return "–" if np.isnan(v) else ("∞" if v > 0 else "−∞")
        if v != 0 and (abs(v) >= 10 ** (digits + 2) or abs(v) < 10 ** -(digits + 1)):
            return f"{v:.{digits - 1}e}"
        if abs(v) >= 10 ** digits:
            return f"{v:,.0f}"
        if v == 0:
            return "0"
        # "#" keeps trailing zeros, so 0.730 and 0.926 show the same number of digits
        return f"{v:#.{digits}g}".rstrip(".")
    return str(value)


def fmt_estimate(value: Any, digits: int = 3) -> str:
    """Write an estimate for a table: :func:`fmt_number` (``digits`` significant digits)."""
    return fmt_number(value, digits)


def fmt_interval(lower: Any, upper: Any, digits: int = 3) -> str:
    """Write a credible interval ``"[0.912, 1.34]"`` (both ends by :func:`fmt_number`)."""
    return f"[{fmt_number(lower, digits)}, {fmt_number(upper, digits)}]"


def fmt_prob(p: Any, *, floor: float = 0.001) -> str:
    """Write a posterior probability: three decimals, never exactly 0 or 1 from finite draws.

    Values above ``1 - floor`` print as ``"> 0.999"`` and below ``floor`` as ``"< 0.001"``
    (a share of posterior draws is an estimate, not a certainty).
    """
    if p is None or (isinstance(p, float | np.floating) and np.isnan(p)):
        return "–"
    p = float(p)
    if p > 1 - floor:
        return f"> {1 - floor:.3f}"
    if p < floor:
        return f"< {floor:.3f}"
    return f"{p:.3f}"


def fmt_share(share: Any, decimals: int = 1) -> str:
    """Write a share (0–1) as a percentage: ``0.1867`` → ``"18.7%"``."""
    if share is None or not np.isfinite(float(share)):
        return "–"
    return f"{100 * float(share):.{decimals}f}%"


def fmt_rhat(value: Any, *, threshold: float = 1.01) -> str:
    """R-hat with enough decimals that rounding cannot hide a failure of ``< threshold``.

    Three decimals (``1.008``), and one more whenever three would round onto the threshold
    (``1.0096`` → ``"1.0096"``, never ``"1.01"`` for a value that passes).
    """
    if value is None or not np.isfinite(float(value)):
        return "–"
    v = float(value)
    text = f"{v:.3f}"
    if float(text) == threshold and v != threshold:
        text = f"{v:.4f}"
    return text


def unit_singular(unit: str) -> str:
    """``"months"`` → ``"month"`` (unknown units unchanged)."""
    return _UNIT_SINGULAR.get(unit, unit)
