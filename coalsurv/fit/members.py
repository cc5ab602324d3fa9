"""Multiple membership on the draws: the member term of predictions, member effects, ratios.

Predictions of an ``mm()`` model (:class:`~coalsurv.fit.predict.Predictor`) add each row's
member term ``theta`` (:mod:`coalsurv.build.members`). A row of ``newdata`` is matched to a
fitted coalition by its ``id`` column, else by its index label, and gets that coalition's
``theta`` from the draws (weights, member covariates and member effects). New coalitions
need their members (``members=``, :mod:`coalsurv.fit.member_newdata`); without them they are
refused (a SpecError). The one exception is a
*typical coalition* (member covariates at their means over membership rows, member effect
0, so ``theta = 0`` with weights summing to one): the mean profile of ``newdata=None`` and
any frame with ``attrs["mm"] = "typical"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, summarise
from coalsurv.build.members import weights
from coalsurv.errors import SpecError
from coalsurv.fit.member_newdata import new_theta

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["TYPICAL", "member_effects", "member_ratio_rows", "theta_draws"]

#: ``newdata.attrs["mm"]`` value asking for a typical coalition's member term (0).
TYPICAL = "typical"


def _rows_of(rows, newdata: pd.DataFrame) -> np.ndarray:
    """Episode position of each newdata row (-1: typical coalition); refuses unknown rows."""
    if newdata.attrs.get("mm") == TYPICAL:
        return np.full(len(newdata), -1)
    lookup = {i: k for k, i in enumerate(rows.episode_ids)}
    labels = newdata["id"] if "id" in newdata.columns else newdata.index
    pos = np.array([lookup.get(x, -1) for x in labels], dtype=int)
    if np.any(pos < 0):
        bad = pd.Index(labels)[pos < 0]
        raise SpecError(
            f"this mm() model predicts fitted coalitions only: newdata rows {fmt_ids(bad)} "
            "are not coalitions of the fitting data (matched by an 'id' column, else by the "
            "index). For new coalitions pass their members: members=DataFrame(id, member, "
            "share, member covariates); for a typical coalition (member covariates at "
            "their means, member effect 0) set newdata.attrs['mm'] = 'typical' or pass "
            "newdata=None")
    return pos


def theta_draws(predictor, newdata: pd.DataFrame, *, frailty: str = "conditional"):
    """Member term of each newdata row: mean and variance to integrate, (draw, cause, row).

    ``frailty="zero"`` drops the member effects. With a members table for the predicted
    rows (``predictor.new_members``, :mod:`coalsurv.fit.member_newdata`) the rows' members
    are read from it; the variance is that of new members' effects (0 otherwise).
    """
    if predictor.new_members is not None:
        return new_theta(predictor, predictor.new_members, frailty=frailty)
    rows, info = predictor.design.members, predictor.info
    pos = _rows_of(rows, newdata)
    d = predictor.draws
    S, K = predictor.n_draws, len(info.causes)
    out = np.zeros((S, K, len(newdata)))
    if np.all(pos < 0):
        return out, np.zeros_like(out)
    term = rows.term
    names = info.members["weight_params"]
    contrib = np.zeros((S, K, len(rows.coalition)))
    if term.variables:
        contrib += np.einsum("skq,rq->skr", d["beta_mm"], rows.X)
    if term.random and frailty != "zero":
        contrib += d["u_mm"][:, :, rows.member]
    theta = np.zeros((S, K, rows.n_episodes))
    for s in range(S):
        params = {p: float(d[names[p]][s]) for p in term.weight_params}
        w = weights(term, rows.share, rows.size, rows.coalition, rows.n_episodes, params)
        for k in range(K):
            theta[s, k] = np.bincount(rows.coalition, weights=w * contrib[s, k],
                                      minlength=rows.n_episodes)
    known = pos >= 0
    out[:, :, known] = theta[:, :, pos[known]]
    return out, np.zeros_like(out)


def member_ratio_rows(fit: Fit, ci_prob: float) -> list[dict]:
    """Hazard (time) ratio rows of the member covariates, per SD and per unit."""
    mm = fit.info.members
    post = fit.idata["posterior"]
    if not mm or not mm["terms"] or "beta_mm" not in post:
        return []
    beta = np.asarray(post["beta_mm"])
    beta = beta.reshape((-1,) + beta.shape[2:])
    rows = []
    for k, cause in enumerate(fit.info.causes):
        for j, term in enumerate(mm["terms"]):
            sd = mm["sds"][j]
            for scale, divisor in (("per SD", 1.0), ("per unit", sd)):
                ratio = np.exp(beta[:, k, j] / divisor)
                stat = summarise(ratio, ci_prob)
                rows.append({"cause": cause, "term": term, "scale": scale, "sd_of_covariate": sd,
                             "mean": stat["mean"], "median": float(np.median(ratio)),
                             "lower": stat["lower"], "upper": stat["upper"],
                             "ci_prob": ci_prob, "prob_above_1": float(np.mean(ratio > 1))})
    return rows


def member_effects(fit: Fit, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.member_effects` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    rows = fit.design.members
    columns = ["cause", "member", "mean", "lower", "upper", "n_coalitions", "ci_prob"]
    if rows is None:
        raise SpecError("member_effects(): this model has no mm() term")
    if "u_mm" not in fit.idata["posterior"]:
        raise SpecError("member_effects(): the mm() term has random=False (no member effects)")
    u = np.asarray(fit.idata["posterior"]["u_mm"])
    u = u.reshape((-1,) + u.shape[2:])
    counts = rows.n_coalitions
    out = []
    for k, cause in enumerate(fit.info.causes):
        stat = summarise(u[:, k, :], ci_prob)
        for j, member in enumerate(rows.levels):
            out.append({"cause": cause, "member": member, "mean": stat["mean"][j],
                        "lower": stat["lower"][j], "upper": stat["upper"][j],
                        "n_coalitions": int(counts[j]), "ci_prob": ci_prob})
    frame = pd.DataFrame(out, columns=columns)
    if len(fit.info.causes) == 1:
        frame = frame.drop(columns="cause")
    return frame
