"""The one check of ``newdata`` (covariate profiles) for every prediction of a single fit.

:func:`check_newdata` is called by :func:`coalsurv.fit.predictions.profiles`, which every
prediction taking ``newdata`` goes through (survival, hazard, cumulative incidence, median
lifespan, RMST, contrast, predicted lifespans, cure fraction). It refuses, naming the rows or
columns:

- a table without rows;
- repeated index labels: each row is one profile, named by its label in the output's ``row``
  column, and tidy outputs join newdata's columns back by that label (a repeated label gave
  every combination, covariates attached to the wrong rows);
- text, dates or time spans in a column that is a (numeric) covariate of the fitting data;
  numbers stored as text-free ``object`` columns are read as numbers;
- a grouping column of the model (frailty or strata) that is absent while a column of nearly
  the same name is there (``"Group"`` for ``"group"``): a row without the group column silently
  gets the population-averaged curve, so a misspelling would change the answer unseen.

Group labels are read as the data's were (:func:`coalsurv.data.values.labels_as_str`: a whole
float ``3.0`` is the level ``"3"``).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import pandas as pd

from coalsurv._format import rows_note
from coalsurv.data.values import labels_as_str
from coalsurv.errors import ArgumentError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["check_newdata"]


def check_newdata(fit: Fit, newdata: pd.DataFrame) -> pd.DataFrame:
    """Return ``newdata`` ready for the predictor, or raise one error listing its problems.

    Parameters
    ----------
    fit : Fit
    newdata : pandas.DataFrame
        One covariate profile per row, in original units.

    Returns
    -------
    pandas.DataFrame
        A copy: text-free ``object`` covariate columns as numbers, group columns as the
        data's labels.

    Raises
    ------
    ArgumentError
        No rows, a row index of several levels, or repeated index labels.
    SpecError
        Text, dates or spans in a covariate column; a misspelt group column.
    """
    if len(newdata) == 0:
        raise ArgumentError(f"newdata has no rows (columns {list(newdata.columns)}); give one "
                            "row per covariate profile")
    if isinstance(newdata.index, pd.MultiIndex):
        raise ArgumentError(f"newdata: a row index of {newdata.index.nlevels} levels "
                            f"{list(newdata.index.names)}; each row is one profile named by "
                            "one label: give a flat index (e.g. newdata.reset_index())")
    repeated = newdata.index[newdata.index.duplicated(keep=False)]
    if len(repeated):
        labels = list(dict.fromkeys(repeated.tolist()))
        raise ArgumentError(
            f"newdata: repeated index labels {labels[:10]!r}"
            f"{' and more' if len(labels) > 10 else ''}; each row is one profile, named by its "
            "label in the output's 'row' column: give unique labels (e.g. "
            "newdata.reset_index(drop=True))")
    out = newdata.copy()
    problems: list[str] = []
    covariates = set(fit.data.covariate_names)
    for column in out.columns:
        if column in covariates:
            out[column] = _numeric_column(out[column], column, problems)
    for column in _group_columns(fit):
        if column in out.columns:
            if out[column].notna().all():  # missing labels are refused by the design
                out[column] = labels_as_str(out[column])
            continue
        unknown = [str(c) for c in out.columns
                   if c not in covariates and c not in fit.data.group_names]
        near = [c for c in unknown if c.lower() == str(column).lower()] or \
            difflib.get_close_matches(str(column), unknown, n=1, cutoff=0.8)
        if near:
            problems.append(
                f"column {column!r} (a grouping factor of the model) is absent but {near[0]!r} "
                f"is there: rename it to {column!r} (rows without the group column get the "
                "population-averaged curve)")
    if problems:
        raise SpecError("newdata cannot be used for predictions", problems)
    return out


def _group_columns(fit: Fit) -> list[str]:
    """Return the data columns of the model's grouping factors (frailty, slopes, strata)."""
    columns = [c for g in fit.design.groups for c in g.term.columns]
    if fit.info.strata:
        columns.append(fit.info.strata)
    return list(dict.fromkeys(columns))


def _numeric_column(values: pd.Series, column, problems: list[str]) -> pd.Series:
    """Return a covariate column as numbers (kept as they are when already numeric or bool)."""
    kind = values.dtype.kind
    if kind in "biuf":
        return values
    if kind in "mM":
        what = "dates" if kind == "M" else "time spans (Timedelta)"
        problems.append(f"column {column!r}: holds {what}; the covariate is a number")
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    text = values.notna().to_numpy() & numbers.isna().to_numpy()
    if text.any():
        first = values[text].iloc[0]
        problems.append(f"column {column!r}: expected numbers (a covariate), found {first!r} "
                        f"in {rows_note(values.index[text])}")
        return values
    return numbers.astype(float)


