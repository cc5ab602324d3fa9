"""Scores of the fitted rows: Harrell's C, IPCW Brier and integrated Brier, calibration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_number
from coalsurv._stats import summarise
from coalsurv.diagnostics.checks import Check, Diagnosis, graded
from coalsurv.diagnostics.common import SurvivalPass, fitted_rows, kaplan_meier, km_at


def discrimination_table(fit, diag: Diagnosis, p: SurvivalPass) -> None:
    """Harrell's C and IPCW Brier scores per posterior draw (no verdict)."""
    from lifelines.utils import concordance_index

    out, ci_prob, n = p.out, diag.ci_prob, p.s_ref.shape[1]
    if len(fit.info.causes) == 1:
        eta, _ = p.pred.eta(fitted_rows(fit))
        score = -eta[:, 0, :] if fit.info.kind == "ph" else eta[:, 0, :]
        score_kind = "-eta (PH)" if fit.info.kind == "ph" else "eta (AFT)"
    else:
        score, score_kind = p.s_ref, f"S(t = {fmt_number(float(p.t_ref))} {fit.time_unit})"
    n_c = min(p.n_draws, max(50, 400_000 // max(n, 1)))
    take = np.unique(np.linspace(0, p.n_draws - 1, n_c).round().astype(int))
    c_draws = np.array([concordance_index(out.exit, score[s], out.event) for s in take])
    rows = [_metric_row("c_index", np.nan, c_draws, ci_prob, 0.5)]
    s_km = km_at(kaplan_meier(out.exit, out.event), p.brier_grid)[0]
    bs_ref = (s_km ** 2 * p.w_died + (1 - s_km) ** 2 * p.w_alive).mean(axis=0)
    for h in p.horizons:
        j = int(np.searchsorted(p.brier_grid, h))
        rows.append(_metric_row("brier", float(h), p.brier[:, j], ci_prob, float(bs_ref[j])))
    span = float(p.brier_grid[-1])
    grid0 = np.concatenate([[0.0], p.brier_grid])
    ibs = np.trapezoid(np.concatenate([np.zeros((p.n_draws, 1)), p.brier], axis=1), grid0,
                       axis=1) / span
    ibs_ref = float(np.trapezoid(np.concatenate([[0.0], bs_ref]), grid0) / span)
    rows.append(_metric_row("integrated_brier", span, ibs, ci_prob, ibs_ref))
    disc = pd.DataFrame(rows)
    disc.attrs.update(score=score_kind, draws=int(p.n_draws), c_draws=int(take.size),
                      reference="C: 0.5 (chance); Brier: Kaplan-Meier for everyone",
                      time_unit=fit.time_unit)
    diag.discrimination = disc


def calibration_check(fit, diag: Diagnosis, p: SurvivalPass) -> Check:
    """Predicted vs Kaplan-Meier survival by quintile of predicted risk at each horizon.

    Risk group 1 holds the rows with the lowest predicted risk (highest predicted survival at
    that horizon), risk group 5 the highest risk (lowest predicted survival).
    """
    from scipy.stats import norm

    out, ci_prob = p.out, diag.ci_prob
    zq = float(norm.ppf(0.5 + ci_prob / 2))
    rows = []
    for j, h in enumerate(p.horizons):
        q = min(5, p.s_h.shape[1])
        risk_rank = pd.Series(-p.s_h[:, :, j].mean(axis=0)).rank(method="first")
        # risk rank grows as predicted survival falls: label 0 = lowest risk (highest survival)
        group = pd.qcut(risk_rank, q, labels=False).to_numpy()
        for g in range(q):
            m = group == g
            draws = p.s_h[:, m, j].mean(axis=1)
            ps = summarise(draws, ci_prob)
            kmf = kaplan_meier(out.exit[m], out.event[m], entry=out.entry[m], ci_prob=ci_prob)
            obs, lo, hi = (float(v[0]) for v in km_at(kmf, np.array([h])))
            se = float(np.sqrt(np.var(draws, ddof=1) + ((hi - lo) / (2 * zq)) ** 2))
            rows.append({"horizon": float(h), "risk_group": g + 1, "n": int(m.sum()),
                         "predicted": float(ps["mean"]), "predicted_lower": float(ps["lower"]),
                         "predicted_upper": float(ps["upper"]), "observed": obs,
                         "observed_lower": lo, "observed_upper": hi,
                         "z": (float(ps["mean"]) - obs) / se if se > 0 else np.nan})
    cal = pd.DataFrame(rows)
    cal.attrs.update(ci_prob=ci_prob, time_unit=fit.time_unit)
    diag.calibration = cal
    off = np.abs(cal["z"].to_numpy()) > 1.96
    return graded(
        "calibration", float(off.mean()),
        "share of (horizon, risk quintile) cells with |z| > 1.96: <= 20% pass; <= 40% warn",
        good=lambda v: v <= 0.2, ok=lambda v: v <= 0.4,
        detail=f"{int(off.sum())} of {off.size} cells off",
        advice="predicted survival misses the observed survival in some risk groups: check the "
               "functional form of covariates (non-linear terms, interactions) and the "
               "proportional-hazards / AFT assumption")


def _metric_row(metric: str, horizon: float, draws: np.ndarray, ci_prob: float,
                reference: float) -> dict[str, Any]:
    s = summarise(np.asarray(draws, dtype=float), ci_prob)
    return {"metric": metric, "horizon": horizon, "mean": float(s["mean"]),
            "lower": float(s["lower"]), "upper": float(s["upper"]), "ci_prob": ci_prob,
            "reference": reference}
