"""Sampler checks: R-hat, bulk / tail ESS, MCSE, divergences, E-BFMI and tree depth.

Thresholds after Vehtari et al. (2021) and Betancourt (2017); see :mod:`coalsurv.diagnostics`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv._stats import judged_variables, stack_draws
from coalsurv.diagnostics.checks import Check, graded, reason, skipped


def convergence_table(idata) -> pd.DataFrame:
    """Per parameter cell: mean, sd, rank-normalised R-hat, bulk/tail ESS, MCSE of the mean."""
    import arviz_stats as azs

    post = idata["posterior"]
    names = judged_variables(post)  # the set the sampler's warning judges too
    stats = {"r_hat": azs.rhat(idata, var_names=names),
             "ess_bulk": azs.ess(idata, var_names=names, method="bulk"),
             "ess_tail": azs.ess(idata, var_names=names, method="tail"),
             "mcse_mean": azs.mcse(idata, var_names=names)}
    rows = []
    for name in names:
        da = post[name]
        draws = stack_draws(da.values)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        coords = [list(np.asarray(da[d].values)) if d in da.coords else list(range(da.sizes[d]))
                  for d in extra]
        flat = draws.reshape(draws.shape[0], -1)
        cells = {k: np.asarray(v[name].values, dtype=float).reshape(-1) for k, v in stats.items()}
        for i, index in enumerate(np.ndindex(*[len(c) for c in coords])):
            parts = [str(c[j]) for c, j, d in zip(coords, index, extra, strict=True)
                     if not (d == "cause" and len(c) == 1)]
            sd = float(np.std(flat[:, i], ddof=1)) if flat.shape[0] > 1 else np.nan
            row = {"parameter": f"{name}[{', '.join(parts)}]" if parts else name,
                   "mean": float(np.mean(flat[:, i])), "sd": sd}
            row.update({k: float(v[i]) for k, v in cells.items()})
            row["mcse_over_sd"] = row["mcse_mean"] / sd if sd > 0 else np.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=["parameter", "mean", "sd", "r_hat", "ess_bulk",
                                       "ess_tail", "mcse_mean", "mcse_over_sd"])


def _worst(table: pd.DataFrame, column: str, *, largest: bool) -> tuple[float, str]:
    values = table[column].to_numpy(dtype=float)
    if not np.any(np.isfinite(values)) and not np.any(np.isinf(values)):
        raise ValueError(f"no finite {column} values")
    clean = np.where(np.isnan(values), -np.inf if largest else np.inf, values)
    i = int(np.argmax(clean) if largest else np.argmin(clean))
    return float(values[i]), str(table["parameter"].iloc[i])


def convergence_checks(fit, table: pd.DataFrame) -> list[Check]:
    """R-hat, bulk and tail ESS and MCSE checks from :func:`convergence_table`."""
    out = []
    n_chains = fit.idata["posterior"].sizes["chain"]
    thr = "< 1.01 pass; < 1.05 warn; else fail"
    if n_chains < 2:
        out.append(skipped("r_hat", thr, "needs at least 2 chains; refit with chains=4"))
    else:
        value, where = _worst(table, "r_hat", largest=True)
        out.append(graded(
            "r_hat", value, thr, good=lambda v: v < 1.01, ok=lambda v: v < 1.05,
            detail=f"worst: {where}",
            advice="chains disagree: run longer (e.g. tune=2000, draws=2000); if R-hat stays "
                   f"high, look at the trace of {where} for several modes or a poorly identified "
                   "parameter (a tighter prior helps)"))
    for column, what in (("ess_bulk", "estimates"), ("ess_tail", "interval ends")):
        value, where = _worst(table, column, largest=False)
        out.append(graded(
            column, value, "> 400 pass; > 100 warn; else fail", good=lambda v: v > 400,
            ok=lambda v: v > 100, detail=f"worst: {where}",
            advice=f"too few effective draws for stable {what}: increase draws (ESS grows "
                   "about linearly with draws) or chains"))
    value, where = _worst(table, "mcse_over_sd", largest=True)
    out.append(graded(
        "mcse", value, "MCSE/SD < 0.1 pass; < 0.2 warn; else fail", good=lambda v: v < 0.1,
        ok=lambda v: v < 0.2, detail=f"worst: {where}",
        advice="Monte Carlo error of the posterior mean is large relative to its SD: draw more"))
    return out


def sampler_checks(fit) -> list[Check]:
    """Divergences, E-BFMI and tree-depth checks from the sampler's statistics."""
    import arviz_stats as azs

    out = []
    try:
        stats = fit.idata["sample_stats"]
    except KeyError:
        why = "the fit has no sample_stats group"
        return [skipped(n, "", why) for n in ("divergences", "e_bfmi", "tree_depth")]
    thr = "0 pass; <= 0.5% of draws warn; else fail"
    try:
        div = np.asarray(stats["diverging"]).astype(bool)
        share = float(div.mean())
        out.append(graded(
            "divergences", share, thr, good=lambda v: v == 0, ok=lambda v: v <= 0.005,
            detail=f"{int(div.sum())} of {div.size} draws diverged",
            advice="the posterior may be biased where the sampler could not go: refit with "
                   "target_accept=0.95 (or 0.99); if divergences persist, use tighter priors "
                   + ("on group SDs or fewer group terms" if fit.info.factors else
                      "on rw_sd, or fewer intervals (family_options n_intervals)"
                      if fit.info.family == "piecewise" else
                      "on the coefficients and the family's shape parameter")))
    except Exception as exc:  # noqa: BLE001 - never break diagnose
        out.append(skipped("divergences", thr, reason(exc)))
    thr = ">= 0.3 pass; >= 0.2 warn; else fail (per chain)"
    try:
        bfmi = np.asarray(azs.bfmi(fit.idata)["energy"], dtype=float).ravel()
        chain = int(np.nanargmin(bfmi))
        out.append(graded(
            "e_bfmi", float(bfmi[chain]), thr, good=lambda v: v >= 0.3, ok=lambda v: v >= 0.2,
            detail=f"chain {chain}",
            advice="the sampler explores the energy distribution poorly (heavy tails or a "
                   "funnel): lengthen tuning and use tighter priors on scale parameters"))
    except Exception as exc:  # noqa: BLE001
        out.append(skipped("e_bfmi", thr, reason(exc)))
    thr = "< 1% of draws pass; else warn"
    name = next((n for n in ("maxdepth_reached", "reached_max_treedepth") if n in stats), None)
    if name is None:
        out.append(skipped("tree_depth", thr, "the sampler did not record tree-depth saturation"))
    else:
        share = float(np.asarray(stats[name]).astype(bool).mean())
        out.append(graded(
            "tree_depth", share, thr, good=lambda v: v < 0.01, ok=lambda v: True,
            advice="efficiency, not validity: trajectories hit the maximum length; weakly "
                   "identified parameters or very different scales are the usual cause — "
                   "tighten vague priors"))
    return out
