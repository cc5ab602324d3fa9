"""Counterfactual members of one coalition: "without party k", "party k with twice the seats".

:meth:`coalsurv.Fit.member_counterfactual` predicts one coalition twice on the same posterior
draws — with its members as they are (*factual*) and with a changed members table
(*counterfactual*: members dropped, shares multiplied) — and reports both and their paired
difference (counterfactual minus factual). Both go through the ``members=`` path of
predictions (:mod:`coalsurv.fit.member_newdata`): the weights are recomputed from the changed
shares with each draw's weight parameters, seen members keep their posterior effects. A
multiplied share changes the weights only where the weights read shares (``share``,
``power``, ``logistic``): an equal-weights model gives a difference of exactly 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv._stats import check_ci_prob, check_times, summarise
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.fit.member_newdata import check_members

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["QUANTITIES", "member_counterfactual"]

#: What the counterfactual compares.
QUANTITIES = ("median", "rmst", "survival", "hazard")


def _coalition_row(fit: Fit, coalition, newdata) -> pd.DataFrame:
    if newdata is None:
        profiles = fit.data.episode_profiles()
        if coalition not in profiles.index:
            raise SpecError(f"member_counterfactual: {coalition!r} is not a coalition of the "
                            "fitting data; for a new coalition pass newdata= (its row, id "
                            "column or index) and members=")
        return profiles.loc[[coalition]]
    labels = pd.Index(newdata["id"] if "id" in newdata.columns else newdata.index)
    hit = labels == coalition
    if hit.sum() != 1:
        raise SpecError(f"member_counterfactual: newdata has {int(hit.sum())} rows with id "
                        f"{coalition!r}; give exactly one")
    return newdata.loc[hit]


def _changed(table: pd.DataFrame, coalition, drop, shares) -> pd.DataFrame:
    present = set(table["member"].astype(str))
    problems = []
    drop = [str(m) for m in ([drop] if isinstance(drop, str) else list(drop))]
    shares = {str(k): v for k, v in (shares or {}).items()}
    unknown = [m for m in [*drop, *shares] if m not in present]
    if unknown:
        problems.append(f"members {unknown} are not members of coalition {coalition!r}; its "
                        f"members: {fmt_ids(sorted(present))}")
    bad = {k: v for k, v in shares.items()
           if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating)
           or not np.isfinite(v) or v <= 0}
    if bad:
        problems.append(f"shares= multiplies a member's share: finite numbers > 0, got {bad}")
    if shares and "share" not in table.columns:
        problems.append("shares= needs a 'share' column in the members table")
    if not drop and not shares:
        problems.append("nothing changes: give drop= (members to remove) and/or shares= "
                        "({member: factor})")
    if present and present <= set(drop):
        problems.append(f"drop= removes every member of coalition {coalition!r}")
    if problems:
        raise ArgumentError("member_counterfactual: invalid change", problems)
    out = table.loc[~table["member"].astype(str).isin(drop)].copy()
    if shares:
        factor = out["member"].astype(str).map(shares).fillna(1.0).to_numpy(dtype=float)
        out["share"] = pd.to_numeric(out["share"], errors="coerce").to_numpy() * factor
    return out


def _evaluate(predictor, row, quantity, t):
    if quantity == "median":
        return predictor.quantile(0.5, row)
    if quantity == "rmst":
        return predictor.rmst(float(t.max()), row)
    if quantity == "survival":
        return predictor.survival(t, row)
    return predictor.hazard_by_cause(t, row).sum(axis=1)  # all-cause hazard


def member_counterfactual(fit: Fit, coalition, *, drop=(), shares: dict | None = None,
                          quantity: str = "median", times=None,
                          newdata: pd.DataFrame | None = None,
                          members: pd.DataFrame | None = None,
                          ci_prob: float) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.member_counterfactual` (see there)."""
    from coalsurv.fit.predictions import predictor_for, profiles

    ci_prob = check_ci_prob(ci_prob)
    if fit.design.members is None:
        raise SpecError(f"member_counterfactual: {fit.spec.formula!r} has no mm() term")
    if quantity not in QUANTITIES:
        raise ArgumentError(f"quantity={quantity!r}; expected one of {list(QUANTITIES)}")
    if quantity == "rmst" and times is None:
        raise ArgumentError("member_counterfactual(quantity='rmst') needs times=[horizon]")
    t = None
    if quantity in ("rmst", "survival", "hazard"):
        t = check_times(times if times is not None else [np.median(fit.data.time)],
                        time_unit=fit.time_unit)
    row = _coalition_row(fit, coalition, None if newdata is None else profiles(fit, newdata))
    table = members if members is not None else fit.data.members
    if not isinstance(table, pd.DataFrame) or "id" not in table.columns:
        check_members(fit, row, table)  # the members table's own errors
    table = table.loc[table["id"] == coalition]
    if table.empty:
        raise SpecError(f"member_counterfactual: coalition {coalition!r} has no rows in the "
                        "members table")
    changed = _changed(table, coalition, drop, shares)
    a = _evaluate(predictor_for(fit, row, table), row, quantity, t)
    b = _evaluate(predictor_for(fit, row, changed), row, quantity, t)
    parts = []
    for label, d in (("factual", a), ("counterfactual", b), ("difference", b - a)):
        flat = {k: np.ravel(v) for k, v in summarise(d[:, 0], ci_prob).items()}
        part = pd.DataFrame({"what": label, "coalition": coalition, **flat})
        if t is not None:
            part.insert(2, "time", t)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["ci_prob"] = ci_prob
    out.attrs.update(quantity=quantity, drop=[str(m) for m in ([drop] if isinstance(
        drop, str) else drop)], shares=dict(shares or {}), time_unit=fit.time_unit)
    return out
