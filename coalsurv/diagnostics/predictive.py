"""Predictive checks: PSIS-LOO with Pareto k, LOO-PIT, posterior predictive curves.

Marginal survival against Kaplan-Meier and, with several endings, cumulative incidence against
Aalen-Johansen (see :mod:`coalsurv.diagnostics` for the definitions and thresholds).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_number
from coalsurv._stats import stack_draws, summarise
from coalsurv.diagnostics.checks import Check, Diagnosis, graded
from coalsurv.diagnostics.common import (
    K_THRESHOLD,
    PPC_POINTS,
    SurvivalPass,
    chunks,
    fitted_rows,
    kaplan_meier,
    km_at,
    outcomes,
    row_log_survival,
    step,
)

#: Rule of the ``pareto_k`` check in words (also shown when it is skipped).
K_RULE = ("rows with k > 0.7: at most max(1, 0.5% of rows) pass with a note naming them; "
          "<= 10% warn; else fail (any such row warns when LOO compares models)")


def few_influential(n_bad: int, n: int) -> bool:
    """Whether ``n_bad`` rows with k > 0.7 out of ``n`` are few enough to be a note only."""
    return n_bad <= max(1, int(np.floor(0.005 * n)))


def loo_tables(fit, *, for_comparison: bool = False) -> tuple[Any, pd.DataFrame, Check]:
    """PSIS-LOO (pointwise), the table of Pareto-k bands and the ``pareto_k`` check.

    A few influential rows (at most one, or 0.5% of the rows) do not make the whole model
    suspect: the check passes and its detail names them. When ``for_comparison`` is true the
    LOO estimate itself is used (to compare models) and any such row warns.
    """
    import arviz_stats as azs

    from coalsurv.fit.pointwise import require_log_likelihood

    require_log_likelihood(fit, "PSIS-LOO (diagnose's pareto_k and loo_pit)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = azs.loo(fit.idata, pointwise=True)
    k = np.asarray(loo.pareto_k, dtype=float).ravel()
    good = float(min(loo.good_k, K_THRESHOLD))
    bands = [(f"(-inf, {good:.2f}]", "good", k <= good)]
    if good < K_THRESHOLD:  # with many draws good_k is 0.7 itself: no empty "(0.70, 0.7]" band
        bands.append((f"({good:.2f}, 0.70]", "ok", (k > good) & (k <= K_THRESHOLD)))
    bands += [("(0.70, 1]", "bad", (k > K_THRESHOLD) & (k <= 1)), ("(1, inf)", "very bad", k > 1)]
    table = pd.DataFrame([{"range": r, "label": lab, "count": int(m.sum()),
                           "share": float(m.mean())} for r, lab, m in bands])
    bad = k > K_THRESHOLD
    n_bad = int(bad.sum())
    ids = [str(i) for i in np.asarray(fit.data.ids)[bad][:5]]
    where = (f"{n_bad} row{'s' if n_bad != 1 else ''} with k > 0.7"
             + (f" (id{'s' if n_bad != 1 else ''} {', '.join(ids)}"
                + (f" and {n_bad - 5} more" if n_bad > 5 else "") + ")" if ids else ""))
    few = few_influential(n_bad, k.size)
    check = graded(
        "pareto_k", float(bad.mean()), K_RULE,
        good=lambda v: n_bad == 0 or (few and not for_comparison), ok=lambda v: v <= 0.10,
        detail=(where + ("; an influential coalition worth a look, not a problem of the "
                         "model" if few and n_bad else "")),
        advice="PSIS-LOO is unreliable for these influential coalitions: check them for data "
               "errors; a more flexible family or a frailty term often helps; compare models by "
               "K-fold cross-validation if many remain")
    return loo, table, check


def loo_pit_check(fit, loo, *, seed: int) -> tuple[pd.DataFrame, Check]:
    """Randomised LOO-PIT values of the fitted rows and the ``loo_pit`` check."""
    from scipy.special import logsumexp

    pred, out = fit.predictor, outcomes(fit)
    newdata = fitted_rows(fit)
    lw = loo.log_weights
    lw = stack_draws(np.asarray(lw.transpose("chain", "draw", ...), dtype=float))[pred.draw_index]
    lw = lw - logsumexp(lw, axis=0, keepdims=True)
    w = np.exp(lw)
    log_s_entry = row_log_survival(pred, out.entry, newdata)

    def cdf(times: np.ndarray) -> np.ndarray:
        finite = np.isfinite(times)
        ls = row_log_survival(pred, np.where(finite, times, 0.0), newdata)
        f = -np.expm1(np.minimum(ls - log_s_entry, 0.0))
        f = np.where(finite[None, :], f, 1.0)
        return np.clip(np.sum(w * f, axis=0), 0.0, 1.0)

    lower = cdf(out.time)
    upper = np.where(out.interval, cdf(out.upper), np.where(out.event, lower, 1.0))
    rng = np.random.default_rng(seed)
    pit = np.where(out.event & ~out.interval, lower, rng.uniform(lower, np.maximum(upper, lower)))
    status = np.where(~out.event, "censored", np.where(out.interval, "interval", "event"))
    table = pd.DataFrame({"id": np.asarray(fit.data.ids), "status": status, "pit": pit,
                          "lower": lower, "upper": upper})
    table.attrs["method"] = ("randomised LOO-PIT: event F(t); right-censored U(F(c), 1); "
                             "interval U(F(l), F(u)); F is the PSIS-LOO predictive CDF")
    n = pit.size
    eps = float(np.sqrt(np.log(2 / 0.05) / (2 * n)))
    srt = np.sort(pit)
    dev = float(np.max(np.maximum(np.arange(1, n + 1) / n - srt, srt - np.arange(n) / n)))
    mean = float(pit.mean())
    direction = ("observed lifespans tend to be longer than predicted" if mean > 0.55 else
                 "observed lifespans tend to be shorter than predicted" if mean < 0.45 else
                 "the predictive spread is off (U-shaped: too narrow; hump: too wide)")
    check = graded(
        "loo_pit", dev, f"max |ECDF - uniform| <= {eps:.3f} (95% DKW band) pass; "
        f"<= {1.5 * eps:.3f} warn; else fail", good=lambda v: v <= eps, ok=lambda v: v <= 1.5 * eps,
        detail=f"mean PIT {mean:.2f}",
        advice=f"{direction}; try another family (shape of the hazard), missing covariates or "
               "a frailty term")
    table.attrs.update(max_deviation=dev, dkw_eps=eps)
    return table, check


def ppc_km_check(fit, diag: Diagnosis, p: SurvivalPass) -> Check:
    """Marginal survival of the model against Kaplan-Meier of the modelled endings."""
    out, ci_prob, grid = p.out, diag.ci_prob, p.ppc_grid
    kmf = kaplan_meier(out.exit, out.event, entry=out.entry, ci_prob=ci_prob)
    km, km_lo, km_hi = km_at(kmf, grid)
    model = summarise(p.ppc_mean, ci_prob)
    at_risk = ((out.entry[:, None] <= grid) & (out.exit[:, None] >= grid)).sum(axis=0)
    ppc = pd.DataFrame({"time": grid, "km": km, "km_lower": km_lo, "km_upper": km_hi,
                        "model_mean": model["mean"], "model_lower": model["lower"],
                        "model_upper": model["upper"], "gap": model["mean"] - km,
                        "at_risk": at_risk})
    worst = int(np.argmax(np.abs(ppc["gap"].to_numpy())))
    ppc.attrs.update(max_gap=float(np.abs(ppc["gap"]).max()), ci_prob=ci_prob,
                     time_unit=fit.time_unit)
    diag.ppc = ppc
    return graded(
        "ppc_km", ppc.attrs["max_gap"], "max |S_model - KM| < 0.05 pass; < 0.1 warn; else fail",
        good=lambda v: v < 0.05, ok=lambda v: v < 0.1,
        detail=f"largest at t = {fmt_number(float(grid[worst]))} {fit.time_unit} "
               f"(model {model['mean'][worst]:.2f}, KM {km[worst]:.2f})",
        advice="the model's average survival curve departs from Kaplan-Meier: try a more "
               "flexible baseline (family='piecewise', or lognormal/loglogistic for a rising-then-"
               "falling hazard), missing covariates, or a frailty term")


def ppc_cif_check(fit, diag: Diagnosis, *, max_draws: int) -> Check:
    """Marginal CIF of each ending against Aalen-Johansen (sets ``diag.ppc_cif``)."""
    from lifelines import AalenJohansenFitter

    from coalsurv.fit.predict import Predictor

    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    out, newdata = outcomes(fit), fitted_rows(fit)
    grid = np.linspace(0, float(np.quantile(out.exit, 0.9)), PPC_POINTS + 1)[1:]
    total = np.zeros((pred.n_draws, len(fit.info.causes), grid.size))
    for rows in chunks(len(newdata), 50):
        total += pred.cumulative_incidence(grid, newdata.iloc[rows], n_grid=100).sum(axis=2)
    model = summarise(total / len(newdata), diag.ci_prob)
    parts = []
    for k, cause in enumerate(fit.info.causes):
        aj = AalenJohansenFitter(alpha=1 - diag.ci_prob, seed=0)
        entry = out.entry if np.any(out.entry > 0) else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aj.fit(out.exit, out.code, event_of_interest=k + 1, entry=entry)
        idx = np.asarray(aj.cumulative_density_.index, dtype=float)
        est = step(idx, aj.cumulative_density_.iloc[:, 0].to_numpy(), grid, start=0.0)
        ci = aj.confidence_interval_
        parts.append(pd.DataFrame({
            "cause": cause, "time": grid, "aj": est,
            "aj_lower": step(idx, ci.iloc[:, 0].to_numpy(), grid, start=0.0),
            "aj_upper": step(idx, ci.iloc[:, 1].to_numpy(), grid, start=0.0),
            "model_mean": model["mean"][k], "model_lower": model["lower"][k],
            "model_upper": model["upper"][k], "gap": model["mean"][k] - est}))
    table = pd.concat(parts, ignore_index=True)
    worst = int(np.argmax(np.abs(table["gap"].to_numpy())))
    table.attrs.update(max_gap=float(np.abs(table["gap"]).max()), ci_prob=diag.ci_prob)
    diag.ppc_cif = table
    return graded(
        "ppc_cif", table.attrs["max_gap"], "max |CIF_model - AJ| < 0.05 pass; < 0.1 warn",
        good=lambda v: v < 0.05, ok=lambda v: v < 0.1,
        detail=(f"largest for {table['cause'].iloc[worst]} at t = "
                f"{fmt_number(float(table['time'].iloc[worst]))} {fit.time_unit}"),
        advice="the model's incidence of this ending departs from Aalen-Johansen: give that "
               "cause a more flexible baseline or its own covariates")
