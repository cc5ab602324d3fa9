"""Families of model terms that move together: polynomials and interactions of one covariate.

A covariate ``x`` can enter a model through several terms: itself, a companion column holding
its square (``x_sq``, ``x2``, ``x_2``, ``x^2``, ``x_squared``, checked to be the square of
``x`` in the data), formula-native transforms (``I(x ** 2)``, ``poly(x, 2)[1]``) and
interactions (``x:z``). The coefficient of one such term alone has no meaning (a per-unit
hazard ratio of ``x_sq`` holds ``x`` fixed, which cannot happen); the joint effect of the
family is what a reader needs (:mod:`coalsurv.fit.effects`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TermFamily", "companion_squares", "term_families"]

#: Name endings of a column holding the square of another.
_SQUARE_SUFFIXES = ("_sq", "_squared", "_2", "2", "^2", "**2")


@dataclass(frozen=True)
class TermFamily:
    """One covariate and every model term it enters.

    Attributes
    ----------
    variable : str
        The covariate (a column of the data, original units).
    terms : tuple of str
        Model terms that depend on it (design column names).
    companions : tuple of str
        Data columns that are functions of ``variable`` (its square) and move with it.
    kind : str
        ``"linear"`` (one term), ``"polynomial"`` (powers of the covariate), ``"interaction"``
        or ``"polynomial and interaction"``.
    """

    variable: str
    terms: tuple[str, ...]
    companions: tuple[str, ...]
    kind: str

    @property
    def joint(self) -> bool:
        """Whether the covariate enters through more than one term (a joint effect is needed)."""
        return len(self.terms) > 1


def companion_squares(covariates: pd.DataFrame) -> dict[str, str]:
    """Return the data columns holding the square of another: ``{"hhi_sq": "hhi"}``.

    A column counts when its values equal the other's squared (to the rounding of a CSV),
    whatever its name; among several candidates the one whose name extends the other wins.
    """
    out: dict[str, str] = {}
    numeric = [c for c in covariates.columns if pd.api.types.is_numeric_dtype(covariates[c])]
    for b in numeric:
        vb = covariates[b].to_numpy(float)
        candidates = [a for a in numeric if a != b and np.allclose(
            vb, covariates[a].to_numpy(float) ** 2, rtol=1e-4, atol=1e-5, equal_nan=True)]
        if not candidates:
            continue
        named = [a for a in candidates if any(b == a + s for s in _SQUARE_SUFFIXES)]
        out[b] = (named or candidates)[0]
    return out


def _uses(term: str, variable: str) -> bool:
    """Whether the design column ``term`` is a function of ``variable`` (a whole-word match)."""
    return term == variable or re.search(rf"(?<![\w.]){re.escape(variable)}(?![\w.])",
                                         term) is not None


def _is_power(term: str, variable: str) -> bool:
    return bool(re.fullmatch(rf"I\(\s*{re.escape(variable)}\s*\*\*\s*\d+\s*\)", term)
                or re.match(rf"poly\(\s*{re.escape(variable)}\s*,", term))


def term_families(terms: tuple[str, ...] | list[str],
                  covariates: pd.DataFrame) -> dict[str, TermFamily]:
    """Every covariate of ``covariates`` that enters ``terms``, with the terms it enters.

    Parameters
    ----------
    terms : sequence of str
        Design column names of the model (``ModelInfo.terms``).
    covariates : DataFrame
        The fitted data's covariates in original units.

    Returns
    -------
    dict of str to TermFamily
        Keyed by covariate; companion columns (squares of another covariate) are not keys of
        their own: they belong to the family of the covariate they square.
    """
    squares = companion_squares(covariates)
    out: dict[str, TermFamily] = {}
    for var in covariates.columns:
        if var in squares and squares[var] in covariates.columns:
            continue
        companions = tuple(b for b, a in squares.items() if a == var)
        used = tuple(t for t in terms if _uses(t, var) or any(_uses(t, c) for c in companions))
        if not used:
            continue
        power = any(t in companions or _is_power(t, var) for t in used)
        inter = any(":" in t for t in used)
        kind = ("polynomial and interaction" if power and inter else "polynomial" if power
                else "interaction" if inter else "linear" if len(used) == 1 else "polynomial")
        out[var] = TermFamily(var, used, companions, kind)
    return out
