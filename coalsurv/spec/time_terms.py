"""Time-varying effect terms ``tve(x)`` / ``tve(x, type="pw", df=4)`` of a formula.

``tve(x, ...)`` says that the coefficient of the covariate ``x`` on the log hazard changes
with time, in one of two forms (``type=``):

* ``"bs"`` (the default): a smooth function of log time, a cubic spline with ``df`` degrees
  of freedom beyond the constant (``basis="bspline"``, the default, with ``df=5``, or
  ``"natural"``; knots
  at quantiles of the log event times), with a random-walk prior on its coefficients that
  shrinks it towards a constant effect (:mod:`coalsurv.build.time_splines`);
* ``"pw"``: piecewise constant on ``df`` intervals of follow-up (cut at quantiles of the
  event times), with a random-walk smoothing prior on its steps between neighbouring
  intervals (:mod:`coalsurv.build.time_terms`).

The term also enters the fixed part as plain ``x``, whose coefficient is the average log
hazard ratio (over the intervals, or over the event times for a spline).

Only proportional-hazards families take it (an AFT family's effect is a time ratio, constant
by construction), and only for a plain numeric covariate name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coalsurv.errors import SpecError

__all__ = ["DEFAULT_TVE_BASIS", "DEFAULT_TVE_DF", "DEFAULT_TVE_SPLINE_DF", "DEFAULT_TVE_TYPE",
           "TVE_BASES", "TveTerm", "split_tve", "tve_option_problems"]

#: Default number of intervals of a piecewise time-varying effect (``type="pw"``).
DEFAULT_TVE_DF = 4
#: Default degrees of freedom (beyond the constant) of a smooth one (``type="bs"``).
DEFAULT_TVE_SPLINE_DF = 5
#: Default form of ``tve(x)``.
DEFAULT_TVE_TYPE = "bs"
#: Spline bases of ``type="bs"``.
TVE_BASES = ("natural", "bspline")
#: Default basis of ``type="bs"``: chosen by the comparison in README.md ("Which basis the
#: smooth ``tve(x)`` uses") over four true shapes and five data sets each.
DEFAULT_TVE_BASIS = "bspline"
_MAX_DF = 20
_MAX_SPLINE_DF = 10
_TVE = re.compile(r"\btve\s*\(([^()]*)\)")
_TVE_OPEN = re.compile(r"\btve\s*\(")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_OPTION = re.compile(r"^([A-Za-z_]+)\s*=\s*(.+)$")


@dataclass(frozen=True)
class TveTerm:
    """One time-varying effect: the covariate, its form and its degrees of freedom.

    Parameters
    ----------
    variable : str
        Covariate (a plain numeric column name, also a fixed term of the formula).
    df : int
        ``type="pw"``: number of intervals of follow-up on which the coefficient is constant
        (2 .. 20). ``type="bs"``: degrees of freedom of the spline beyond the constant
        (1 .. 10; 1 is a log-linear effect ``beta + gamma log t``).
    type : {"bs", "pw"}
        Smooth in log time (spline) or piecewise constant.
    basis : {"natural", "bspline"}
        Spline basis of ``type="bs"`` (natural cubic spline or cubic B-spline); "" for "pw".
    """

    variable: str
    df: int = DEFAULT_TVE_SPLINE_DF
    type: str = DEFAULT_TVE_TYPE
    basis: str = DEFAULT_TVE_BASIS

    @property
    def degree(self) -> int:
        """Degree of a spline's pieces: 3 (natural), ``min(3, df)`` (B-spline); 0 for "pw"."""
        if self.type == "pw":
            return 0
        return 3 if self.basis == "natural" else min(3, self.df)

    @property
    def n_knots(self) -> int:
        """Knots of a spline (boundary ones included) or cut points of a piecewise effect.

        ``df + 1`` (natural), ``df - degree + 2`` (B-spline), ``df - 1`` (piecewise).
        """
        if self.type == "pw":
            return self.df - 1
        return self.df + 1 if self.basis == "natural" else self.df - self.degree + 2

    def __str__(self) -> str:
        extra = f', basis="{self.basis}"' if self.type == "bs" else ""
        return f'tve({self.variable}, type="{self.type}", df={self.df}{extra})'


def _call_text(text: str, start: int) -> str:
    """Return the ``tve(...)`` call starting at ``start``, up to its balanced parenthesis."""
    depth = 0
    for i in range(text.index("(", start), len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    return text[start:]


_EXAMPLE = "e.g. 'tve(breadth)', 'tve(breadth, df=4)' or 'tve(breadth, type=\"pw\", df=4)'"


def _parse_args(inner: str, formula: str) -> TveTerm:
    parts = [p.strip() for p in inner.split(",")]
    name, options = parts[0], parts[1:]
    if not _NAME.match(name):
        raise SpecError(f"formula {formula!r}: tve({inner}) needs a plain covariate name first, "
                        f"{_EXAMPLE}")
    given: dict[str, str] = {}
    for option in options:
        match = _OPTION.match(option)
        if not match or match.group(1) not in ("type", "df", "basis"):
            raise SpecError(f"formula {formula!r}: tve({inner}): unknown option {option!r}; "
                            "the options are type=\"bs\"|\"pw\", df=<integer> and (for "
                            f"type=\"bs\") basis=\"natural\"|\"bspline\"; {_EXAMPLE}")
        if match.group(1) in given:
            raise SpecError(f"formula {formula!r}: tve({inner}): option {match.group(1)} "
                            "is given twice")
        given[match.group(1)] = match.group(2).strip()
    kind = _text_option(given, "type", ("bs", "pw"), DEFAULT_TVE_TYPE, inner, formula)
    if kind == "pw" and "basis" in given:
        raise SpecError(f"formula {formula!r}: tve({inner}): basis= is an option of the smooth "
                        "form type=\"bs\"; a piecewise effect (type=\"pw\") has none")
    basis = _text_option(given, "basis", TVE_BASES, DEFAULT_TVE_BASIS, inner, formula)
    low, high = (2, _MAX_DF) if kind == "pw" else (1, _MAX_SPLINE_DF)
    value = given.get("df", str(DEFAULT_TVE_DF if kind == "pw" else DEFAULT_TVE_SPLINE_DF))
    if not value.isdigit() or not low <= int(value) <= high:
        what = ("the number of intervals" if kind == "pw"
                else "the spline's degrees of freedom beyond a constant effect")
        raise SpecError(f"formula {formula!r}: tve({inner}): df must be an integer from {low} "
                        f"to {high} for type=\"{kind}\" ({what}), got {value!r}")
    return TveTerm(name, int(value), kind, basis if kind == "bs" else "")


def _text_option(given: dict[str, str], key: str, choices: tuple[str, ...], default: str,
                 inner: str, formula: str) -> str:
    """Read a quoted choice option of ``tve()``: ``key="value"`` (or single quotes)."""
    if key not in given:
        return default
    raw = given[key]
    value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'" else None
    if value not in choices:
        expected = " or ".join(f'"{c}"' for c in choices)
        raise SpecError(f"formula {formula!r}: tve({inner}): {key} must be {expected} (a "
                        f"quoted string), got {raw!r}")
    return value


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
                f"covariate, {_EXAMPLE}, not an expression; "
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


def tve_option_problems(terms: tuple[TveTerm, ...], options: dict) -> list[str]:
    """Problems of ``tve_cuts`` / ``tve_knots`` against the formula's tve terms.

    ``tve_cuts`` (cut times) belong to piecewise terms (``type="pw"``), as many as the term's
    intervals less one; ``tve_knots`` (knot times, boundary ones included) to smooth terms,
    as many as :attr:`TveTerm.n_knots`. The values themselves are checked with the other
    family options (:mod:`coalsurv.spec.options`).
    """
    problems = []
    kinds = {"tve_cuts": ("pw", "cut(s)", 'type="pw"', "a piecewise effect"),
             "tve_knots": ("bs", "knot(s)", 'type="bs"', "a smooth effect")}
    for key, (kind, noun, form, what) in kinds.items():
        table = options.get(key)
        if not isinstance(table, dict):
            continue
        mine = {t.variable: t for t in terms if t.type == kind}
        other = {t.variable: t for t in terms if t.type != kind}
        for name, values in table.items():
            if name in other:
                problems.append(f"{key}[{name!r}]: tve({name}) is not {what} ({form}); "
                                f"{key} are for tve({name}, {form}) terms")
            elif name not in mine:
                problems.append(f"{key}[{name!r}]: the formula has no tve({name}) term; tve "
                                f"terms: {[t.variable for t in terms]}")
            elif isinstance(values, (list, tuple)) and len(values) != mine[name].n_knots:
                term = mine[name]
                problems.append(f"{key}[{name!r}]: {len(values)} {noun} given but {term} "
                                f"takes {term.n_knots}")
    return problems
