"""Posterior tables of a fit: parameter summary, hazard (or time) ratios, group effects.

:class:`~coalsurv.Fit`'s methods of the same names call these functions and document them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, summarise, worst_rhat
from coalsurv.fit.members import member_ratio_rows
from coalsurv.fit.terms import term_families

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["group_effects", "hazard_ratios", "summary"]


def summary(fit: Fit, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.summary` (see there)."""
    import arviz_stats as azs

    ci_prob = check_ci_prob(ci_prob)
    post = fit.idata["posterior"]
    names = ["intercept", "beta"] + [p.posterior_name for p in fit.family.parameters]
    names += [n for n in post.data_vars if n.startswith("sd_")]
    extra = ("cure_intercept", "cure_beta", "strata_dev", "beta_shape")  # cure, strata, shape=
    names += [n for n in post.data_vars
              if n.startswith(("tve_sd_", "tve_dev_")) or n in extra]
    mm = fit.info.members  # mm(): member coefficients, member SD, weight parameters
    names += ["beta_mm", *mm.get("weight_params", {}).values()] if mm else []
    names = [n for i, n in enumerate(names) if n in post.data_vars and n not in names[:i]]
    ess_b = azs.ess(fit.idata, var_names=names, method="bulk")
    ess_t = azs.ess(fit.idata, var_names=names, method="tail")
    rhat = azs.rhat(fit.idata, var_names=names)
    mcse = azs.mcse(fit.idata, var_names=names)
    rows = []
    for name in names:
        da = post[name]
        extra = [d for d in da.dims if d not in ("chain", "draw")]

        def cells(arr, extra=extra):
            return (arr.stack(_cell=extra).transpose(..., "_cell") if extra
                    else arr.expand_dims(_cell=[0]))

        flat = cells(da)
        stats = {key: np.asarray(cells(table[name])).reshape(-1)
                 for key, table in (("ess_bulk", ess_b), ("ess_tail", ess_t),
                                    ("r_hat", rhat), ("mcse_mean", mcse))}
        values_all = np.asarray(flat).reshape(-1, flat.sizes["_cell"])
        for i in range(flat.sizes["_cell"]):
            values = values_all[:, i]
            stat = summarise(values, ci_prob)
            rows.append({
                "parameter": _param_label(fit, name, flat, i, extra).replace("beta_mm[",
                                                                              "beta[", 1),
                "mean": stat["mean"], "sd": float(np.std(values, ddof=1)),
                "lower": stat["lower"], "upper": stat["upper"], "ci_prob": ci_prob,
                # an effective sample size is a count: whole draws (1426, not 1426.347729)
                **{key: float(np.round(v[i])) if key.startswith("ess") else float(v[i])
                   for key, v in stats.items()},
            })
    table = pd.DataFrame(rows)
    if post.sizes.get("chain", 1) > 1:
        table.attrs["r_hat_worst"], table.attrs["r_hat_worst_at"] = worst_rhat(fit.idata)
    return table


def _param_label(fit: Fit, name: str, flat, i: int, extra: list[str]) -> str:
    if not extra:
        return name
    cell = flat["_cell"].values[i]
    cell = cell if isinstance(cell, tuple) else (cell,)
    parts = [str(c) for d, c in zip(extra, cell, strict=True)
             if not (d == "cause" and len(fit.info.causes) == 1)]
    return f"{name}[{', '.join(parts)}]" if parts else name


def hazard_ratios(fit: Fit, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.hazard_ratios` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    rows = []
    if "beta" in fit.idata["posterior"]:
        beta = np.asarray(fit.idata["posterior"]["beta"])
        beta = beta.reshape((-1,) + beta.shape[2:])  # (S, K, p)
        for k, cause in enumerate(fit.info.causes):
            for j, term in enumerate(fit.info.terms):
                for scale, divisor in (("per SD", 1.0), ("per unit", fit.info.sds[j])):
                    ratio = np.exp(beta[:, k, j] / divisor)
                    stat = summarise(ratio, ci_prob)
                    row = {"cause": cause, "term": term, "scale": scale,
                           "sd_of_covariate": fit.info.sds[j],
                           "mean": stat["mean"], "median": float(np.median(ratio)),
                           "lower": stat["lower"], "upper": stat["upper"],
                           "ci_prob": ci_prob, "prob_above_1": float(np.mean(ratio > 1))}
                    rows.append(row)
    rows += member_ratio_rows(fit, ci_prob)
    out = pd.DataFrame(rows, columns=["cause", "term", "scale", "sd_of_covariate", "mean",
                                      "median", "lower", "upper", "ci_prob", "prob_above_1"])
    if len(fit.info.causes) == 1:
        out = out.drop(columns="cause")
    out.attrs["ratio"] = fit.ratio_name
    out.attrs["joint_terms"] = {t: fam.variable for fam in term_families(
        tuple(fit.info.terms), fit.data.covariates).values() if fam.joint for t in fam.terms}
    return out


def group_effects(fit: Fit, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.group_effects` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    rows = []
    for g in fit.design.groups:
        if not g.term.intercept:
            continue
        u = np.asarray(fit.idata["posterior"][f"u_{g.name}"])
        u = u.reshape((-1,) + u.shape[2:])
        counts = np.bincount(g.index, minlength=len(g.levels))
        for k, cause in enumerate(fit.info.causes):
            stat = summarise(u[:, k, :], ci_prob)
            for lvl, level in enumerate(g.levels):
                rows.append({"cause": cause, "factor": g.term.factor, "level": level,
                             "n": int(counts[lvl]), "mean": stat["mean"][lvl],
                             "lower": stat["lower"][lvl], "upper": stat["upper"][lvl],
                             "ratio_mean": float(np.mean(np.exp(u[:, k, lvl]))),
                             "ci_prob": ci_prob})
    return pd.DataFrame(rows)
