"""Members of the coalitions being predicted: the ``members=`` table of a prediction.

``fit.survival(times, newdata, members=table)`` (and every other prediction) predicts the rows
of ``newdata`` — new coalitions or fitted ones with other members — from the member table
``table`` (columns ``id``, ``member``, ``share`` where the weights read it, and the ``mm()``
term's member covariates; other columns are ignored). A newdata row is matched to its
members by its ``id`` column, else by its index label. For each row ``i`` and posterior draw::

    theta_i = sum_k w_ik (x_ik' beta_mm + u_k)

with the weights ``w_ik`` of the new shares under the draw's ``gamma`` (or ``b0``, ``b1``).
A member seen in fitting (matched by its label) has its posterior ``u_k``; a *new* member's
``u_k ~ Normal(0, sd_mm)`` is integrated out: its part ``sum_{k new} w_ik u_k`` is normal with
variance ``sd_mm^2 sum_{k new} w_ik^2``, added to the variance the predictor integrates by
Gauss–Hermite quadrature (as for an unseen frailty level), so each draw's curve is averaged
over the new members' effects. ``frailty="zero"`` sets every member effect to 0.

Refused (one SpecError listing every problem): a model without ``mm()``, no ``newdata``, a
table that is not a DataFrame or lacks a column, repeated (id, member) pairs, member
covariates or shares that are missing or not numbers (coalition and member named), shares not
positive where the weights read them, ids of the table that are no newdata row and newdata
rows without members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.build.members import weights
from coalsurv.errors import ArgumentError, SpecError

__all__ = ["NewMembers", "check_members", "member_rows_of", "new_theta"]


@dataclass(frozen=True)
class NewMembers:
    """Membership rows of the predicted coalitions (one per (newdata row, member)).

    Attributes
    ----------
    row : ndarray of int
        Position of the row's coalition in newdata.
    member : ndarray of int
        Index into the fit's member levels; -1 for a member not seen in fitting.
    share, size : ndarray
        Share (ones when the weights do not read it) and the coalition's number of members.
    X : ndarray, shape (rows, q)
        Member covariates standardised with the fitting data's means and SDs.
    n_rows : int
        Rows of newdata.
    """

    row: np.ndarray
    member: np.ndarray
    share: np.ndarray
    size: np.ndarray
    X: np.ndarray
    n_rows: int


def _labels(newdata: pd.DataFrame) -> pd.Index:
    return pd.Index(newdata["id"] if "id" in newdata.columns else newdata.index)


def member_rows_of(members: pd.DataFrame, newdata: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``members`` of the coalitions in ``newdata`` (a chunk of rows)."""
    return members.loc[members["id"].isin(_labels(newdata))]


def _numbers(values: pd.Series) -> np.ndarray:
    if values.dtype.kind in "biuf":
        return values.to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def check_members(fit, newdata: pd.DataFrame | None, members) -> NewMembers:
    """Validate ``members`` for the rows of ``newdata``; return their membership rows.

    Raises
    ------
    ArgumentError
        ``members`` is not a DataFrame, the model has no ``mm()`` term, or ``newdata`` is None.
    SpecError
        Every problem of the table, listed (see the module docstring).
    """
    rows = fit.design.members
    if rows is None:
        raise ArgumentError(f"members= is for models with an mm() term; {fit.spec.formula!r} "
                            "has none")
    if not isinstance(members, pd.DataFrame):
        raise ArgumentError(f"members: expected a pandas DataFrame (id, member, share, member "
                            f"covariates), got {type(members).__name__}")
    if newdata is None:
        raise ArgumentError("members= needs newdata: one row per coalition (its coalition "
                            "covariates), matched to the members table by an 'id' column or "
                            "the index")
    term = rows.term
    need = ["id", "member", *(["share"] if term.needs_share else []), *term.variables]
    missing = [c for c in need if c not in members.columns]
    if missing:
        raise SpecError("members: the table cannot be used for predictions", [
            f"missing column(s) {missing}; the mm() term {term} needs {need} (found "
            f"{list(members.columns)})"])
    problems: list[str] = []
    if len(members) == 0:
        raise SpecError("members: the table has no rows; give each coalition's members")
    labels = _labels(newdata)
    ids = members["id"]
    pairs = pd.Series(list(zip(ids, members["member"].astype(str), strict=True)), dtype=object)
    repeated = pairs[pairs.duplicated(keep=False)]
    if len(repeated):
        problems.append(f"(id, member) pairs listed more than once: "
                        f"{fmt_ids(list(dict.fromkeys(repeated)))}")
    pos = labels.get_indexer(ids) if labels.is_unique else np.full(len(ids), -1)
    if not labels.is_unique:
        problems.append("newdata ids are not unique; each coalition is one row")
    elif np.any(pos < 0):
        problems.append(f"members: ids {fmt_ids(pd.Index(ids[pos < 0]).unique())} are not "
                        "rows of newdata (matched by its 'id' column, else its index)")
    without = labels[np.bincount(pos[pos >= 0], minlength=len(labels)) == 0]
    if labels.is_unique and len(without):
        problems.append(f"newdata rows {fmt_ids(without)} have no members in the members "
                        "table")
    columns = []
    for v in term.variables:
        values = _numbers(members[v])
        bad = ~np.isfinite(values)
        if bad.any():
            problems.append(f"members.{v}: missing or not a number for (coalition, member) "
                            f"{fmt_ids(pairs[bad].tolist())}")
        columns.append(values)
    share = np.ones(len(members))
    if term.needs_share:
        share = _numbers(members["share"])
        bad = ~(share > 0) | ~np.isfinite(share)
        if bad.any():
            problems.append(f"members.share: shares must be positive numbers for weights="
                            f"{term.weights!r}; not so for (coalition, member) "
                            f"{fmt_ids(pairs[bad].tolist())}")
    if problems:
        raise SpecError("members: the table cannot be used for predictions", problems)
    raw = np.column_stack(columns) if columns else np.zeros((len(members), 0))
    lookup = {lvl: i for i, lvl in enumerate(rows.levels)}
    size = np.bincount(pos, minlength=len(labels)).astype(float)
    return NewMembers(row=pos.astype(np.int64),
                      member=np.array([lookup.get(m, -1) for m in members["member"].astype(str)],
                                      dtype=np.int64),
                      share=share, size=size[pos],
                      X=(raw - rows.means) / np.where(rows.sds > 0, rows.sds, 1.0),
                      n_rows=len(labels))


def new_theta(predictor, new: NewMembers, *, frailty: str = "conditional"):
    """Member term of the predicted coalitions: mean (draw, cause, row) and variance.

    The variance is that of the new members' effects, integrated by the predictor.
    """
    info, d = predictor.info, predictor.draws
    rows = predictor.design.members
    term, names = rows.term, info.members["weight_params"]
    S, K, m = predictor.n_draws, len(info.causes), new.n_rows
    contrib = np.zeros((S, K, len(new.row)))
    if term.variables:
        contrib += np.einsum("skq,rq->skr", d["beta_mm"], new.X)
    known = new.member >= 0
    use_u = term.random and frailty != "zero"
    if use_u:
        contrib[:, :, known] += d["u_mm"][:, :, new.member[known]]
    theta, var = np.zeros((S, K, m)), np.zeros((S, K, m))
    fixed = None if term.weight_params else weights(term, new.share, new.size, new.row, m, {})
    for s in range(S):
        w = fixed if fixed is not None else weights(
            term, new.share, new.size, new.row, m,
            {p: float(d[names[p]][s]) for p in term.weight_params})
        w2 = np.bincount(new.row, weights=np.where(known, 0.0, w**2), minlength=m)
        for k in range(K):
            theta[s, k] = np.bincount(new.row, weights=w * contrib[s, k], minlength=m)
            if use_u:
                var[s, k] = d["sd_mm"][s, k] ** 2 * w2
    return theta, var
