"""Variance decomposition of the linear predictor by level: coalition, member, group.

For each posterior draw and cause, the linear predictor of fitted coalition ``i`` is split
into its parts (the baseline intercept is a constant and has no variance)::

    eta_i = x_i' beta                                   coalition level (fixed effects)
          + sum_k w_ik x_ik' beta_mm                    member covariates (mm(), weighted)
          + sum_k w_ik u_k                              member effects (mm(), weighted)
          + u_g[g(i)]   for each group factor g         group frailties (country, era)

and each part's variance is taken over the fitted coalitions (the finite-population variance,
ddof=0, as in Gelman & Pardoe's (2006) variance decompositions; bml's idea of splitting the
explained variation between coalition, member and country levels). The table reports each
component's posterior mean and equal-tailed interval and its **share**
``V_c / sum_c V_c`` of the summed component variances (per draw, then summarised). The shares
ignore the covariances between parts (a correlated coalition covariate and member term share
explained variation that neither owns) and the baseline hazard's own randomness; group
slopes, time-varying effects and stratum levels are not components.

``method="bml"`` is bml's ``varDecomp`` instead (Rosche 2026): model-based variances of the
random components only, the member effects' ``sd_mm^2 * mean_i sum_k w_ik^2`` (the mean
summed squared weight, per draw for estimated weights) and each group's ``sd_g^2``, with
shares among them (bml's ICCs of a Cox model, which has no residual variance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import check_ci_prob, summarise
from coalsurv.build.members import weights
from coalsurv.errors import ArgumentError
from coalsurv.fit.members import theta_draws

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["METHODS", "variance_components"]

#: Finite-population variances of every part of eta, or bml's model-based random components.
METHODS = ("finite", "bml")

COLUMNS = ["cause", "component", "level", "mean", "lower", "upper", "share", "share_lower",
           "share_upper", "ci_prob"]


def _parts(fit: Fit) -> dict[tuple[str, str], np.ndarray]:
    """(component, level) -> draws of that part of eta, (draw, cause, coalition)."""
    pred = fit.predictor
    frame = fit.data.episode_profiles()  # indexed by id: the fitted coalitions
    out: dict[tuple[str, str], np.ndarray] = {}
    X = fit.design.transform(frame)
    if X.shape[1]:
        out[("coalition covariates", "coalition")] = np.einsum(
            "skp,mp->skm", pred.draws["beta"], X)
    rows = fit.design.members
    if rows is not None:
        covariates = theta_draws(pred, frame, frailty="zero")[0]
        if rows.term.variables:
            out[("member covariates", "member")] = covariates
        if rows.term.random:
            out[("member effects", "member")] = theta_draws(pred, frame)[0] - covariates
    for g, code in zip(fit.design.groups, fit.design.group_codes(frame), strict=True):
        if g.term.intercept:
            out[(f"group {g.term.factor}", "group")] = pred.draws[f"u_{g.name}"][:, :, code]
    return out


def _model_variances(fit: Fit) -> dict[tuple[str, str], np.ndarray]:
    """Bml's components: (component, level) -> variance draws (draw, cause)."""
    pred = fit.predictor
    d, rows, out = pred.draws, fit.design.members, {}
    if rows is not None and rows.term.random:
        names = fit.info.members["weight_params"]
        fixed = None if rows.term.weight_params else weights(
            rows.term, rows.share, rows.size, rows.coalition, rows.n_episodes, {})
        w2 = np.empty(pred.n_draws)
        for s in range(pred.n_draws):
            w = fixed if fixed is not None else weights(
                rows.term, rows.share, rows.size, rows.coalition, rows.n_episodes,
                {p: float(d[names[p]][s]) for p in rows.term.weight_params})
            w2[s] = np.sum(w**2) / rows.n_episodes  # mean over coalitions of sum_k w_ik^2
        out[("member effects", "member")] = d["sd_mm"] ** 2 * w2[:, None]
    for g in fit.design.groups:
        if g.term.intercept:
            out[(f"group {g.term.factor}", "group")] = d[f"sd_{g.name}"] ** 2
    return out


def variance_components(fit: Fit, *, method: str = "finite", ci_prob: float) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.variance_components` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    if method not in METHODS:
        raise ArgumentError(f"method={method!r}; expected one of {list(METHODS)}")
    if method == "bml":
        var = _model_variances(fit)
    else:
        var = {key: v.var(axis=2) for key, v in _parts(fit).items()}  # (draw, cause)
    if not var:
        return pd.DataFrame(columns=COLUMNS)
    total = sum(var.values())
    rows = []
    for k, cause in enumerate(fit.info.causes):
        for (component, level), v in var.items():
            stat = summarise(v[:, k], ci_prob)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = summarise(np.where(total[:, k] > 0, v[:, k] / total[:, k], np.nan),
                                  ci_prob, skip_nan=True)
            rows.append({"cause": cause, "component": component, "level": level,
                         "mean": float(stat["mean"]), "lower": float(stat["lower"]),
                         "upper": float(stat["upper"]), "share": float(share["mean"]),
                         "share_lower": float(share["lower"]),
                         "share_upper": float(share["upper"]), "ci_prob": ci_prob})
    out = pd.DataFrame(rows, columns=COLUMNS)
    if len(fit.info.causes) == 1:
        out = out.drop(columns="cause")
    out.attrs.update(scale="log hazard" if fit.info.kind == "ph" else "log time",
                     n_coalitions=fit.data.n, method=method)
    return out
