"""Time-varying effect terms ``tve(x)`` / ``tve(x, df=4)`` of a formula.

``tve(x, df=J)`` says that the coefficient of the covariate ``x`` on the log hazard changes
with time: it is piecewise constant on ``J`` intervals of follow-up (cut at quantiles of the
event times), with a random-walk smoothing prior on its steps between neighbouring intervals
(see :mod:`coalsurv.build.time_terms`). The term also enters the fixed part as plain ``x``, whose
coefficient is the average log hazard ratio over the intervals.

Only proportional-hazards families take it (an AFT family's effect is a time ratio, constant
by construction), and only for a plain numeric covariate name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coalsurv.errors import SpecError

__all__ = ["DEFAULT_TVE_DF", "TveTerm", "split_tve"]

#: Default number of intervals of a time-varying effect.
DEFAULT_TVE_DF = 4
_MAX_DF = 20
_TVE = re.compile(r"\btve\s*\(([^()]*)\)")
_TVE_OPEN = re.compile(r"\btve\s*\(")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_OPTION = re.compile(r"^([A-Za-z_]+)\s*=\s*(.+)$")


@dataclass(frozen=True)
class TveTerm:
    """One time-varying effect: the covariate and its number of intervals.

    Parameters
    ----------
    variable : str
        Covariate (a plain numeric column name, also a fixed term of the formula).
    df : int
        Number of intervals of follow-up on which the coefficient is constant (>= 2).
    """

    variable: str
    df: int = DEFAULT_TVE_DF

    def __str__(self) -> str:
        return f"tve({self.variable}, df={self.df})"


def _call_text(text: str, start: int) -> str:
    """Return the ``tve(...)`` call starting at ``start``, up to its balanced parenthesis."""
    depth = 0
    for i in range(text.index("(", start), len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    return text[start:]


def _parse_args(inner: str, formula: str) -> TveTerm:
    parts = [p.strip() for p in inner.split(",")]
    name, options = parts[0], parts[1:]
    if not _NAME.match(name):
        raise SpecError(f"formula {formula!r}: tve({inner}) needs a plain covariate name first, "
                        "e.g. 'tve(breadth)' or 'tve(breadth, df=4)'")
    df = DEFAULT_TVE_DF
    for option in options:
        match = _OPTION.match(option)
        if not match or match.group(1) != "df":
            raise SpecError(f"formula {formula!r}: tve({inner}): unknown option {option!r}; "
                            f"the only option is df=<integer 2..{_MAX_DF}>")
        value = match.group(2).strip()
        if not value.isdigit() or not 2 <= int(value) <= _MAX_DF:
            raise SpecError(f"formula {formula!r}: tve({inner}): df must be an integer from 2 "
                            f"to {_MAX_DF} (the number of intervals), got {value!r}")
        df = int(value)
    return TveTerm(name, df)


def split_tve(fixed: str, *, formula: str | None = None) -> tuple[str, tuple[TveTerm, ...]]:
    """Replace each ``tve(x, ...)`` of a fixed-effects formula by ``x``; return the terms.

    Parameters
    ----------
    fixed : str
        Fixed-effects part of a formula (no group terms).
    formula : str, optional
        The whole formula, named in error messages.

    Returns
    -------
    fixed : str
        The formula with plain ``x`` in place of each ``tve(x, ...)``.
    terms : tuple of TveTerm

    Raises
    ------
    SpecError
        A malformed ``tve(...)``, a covariate named twice, or ``tve`` inside another term
        (an interaction or a transformation).
    """
    formula = formula or fixed
    for start in (m.start() for m in _TVE_OPEN.finditer(fixed)):
        if not _TVE.match(fixed, start):
            inner = _call_text(fixed, start)
            raise SpecError(
                f"formula {formula!r}: {inner}: tve() takes the name of one numeric "
                "covariate, e.g. 'tve(breadth)' or 'tve(breadth, df=4)', not an expression; "
                "for a categorical covariate make a 0/1 indicator column per level except a "
                "reference one (CoalitionData.with_covariates) and write tve() of each; for "
                "a transformation add it as a column of its own")
    terms: list[TveTerm] = []
    for match in _TVE.finditer(fixed):
        term = _parse_args(match.group(1), formula)
        if any(t.variable == term.variable for t in terms):
            raise SpecError(f"formula {formula!r}: tve({term.variable}) appears twice")
        terms.append(term)
    pieces = [p.strip() for p in re.split(r"\+(?![^(]*\))", fixed)]
    for piece in pieces:
        if _TVE.search(piece) and not _TVE.fullmatch(piece):
            raise SpecError(f"formula {formula!r}: {piece!r} uses tve() inside another term; "
                            "write tve(x) as a term of its own (e.g. 'tve(breadth) + power')")
    return _TVE.sub(lambda m: m.group(1).split(",")[0].strip(), fixed), tuple(terms)
