"""Display tables of the PDF report: the numbers of a fit and its diagnosis as short text.

Each function takes a table of :mod:`coalsurv.fit` or :mod:`coalsurv.diagnostics` and returns a
frame ready for :meth:`coalsurv.report.layout.Layout.table`: estimates with their intervals in
one cell, long tables thinned to a few evenly spread rows. Numbers are written by
:func:`coalsurv._format.fmt_number`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_number, fmt_prob, fmt_rhat, fmt_share
from coalsurv.report.export import reader_text

__all__ = [
    "calibration_table",
    "discrimination_table",
    "loo_table",
    "mle_table",
    "ppc_cif_table",
    "ppc_table",
    "ratio_table",
    "worst_convergence",
]


def _interval(lo: Any, hi: Any, digits: int = 3) -> str:
    return f"[{fmt_number(lo, digits)}, {fmt_number(hi, digits)}]"


def _estimates(frame: pd.DataFrame, stem: str, estimate: str | None = None) -> list[str]:
    """Text ``"estimate [lower, upper]"`` per row of ``frame``.

    From the columns ``estimate`` (default ``stem``), ``<stem>_lower`` and ``<stem>_upper``.
    """
    columns = [estimate or stem, f"{stem}_lower", f"{stem}_upper"]
    return [f"{fmt_number(a)} {_interval(b, c)}" for a, b, c in frame[columns].to_numpy()]


def _gap(value: Any, decimals: int = 3) -> str:
    """Write a difference (of probabilities, or a z score) with its sign and fixed decimals."""
    return "–" if not np.isfinite(float(value)) else f"{float(value):+.{decimals}f}"


def _every(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """At most ``n`` rows, evenly spread (first and last kept)."""
    if len(frame) <= n:
        return frame
    idx = np.unique(np.round(np.linspace(0, len(frame) - 1, n)).astype(int))
    return frame.iloc[idx]


def ratio_table(ratios: pd.DataFrame, pct: str, joint: dict[str, str] | None = None
                ) -> pd.DataFrame:
    """Hazard / time ratios, one row per (cause,) term: per SD and per unit side by side.

    ``joint`` maps terms that enter jointly with others (a polynomial) to their covariate:
    their ratios alone (per SD or per unit) mean nothing and are replaced by a pointer to the
    joint effect.
    """
    joint = joint or {}
    rows = []
    keys = ["cause", "term"] if "cause" in ratios.columns else ["term"]
    for key, part in ratios.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        for scale in ("per SD", "per unit"):
            r = part[part["scale"] == scale]
            if len(r):
                r = r.iloc[0]
                row[f"{scale}: median {pct} interval"] = (
                    f"joint effect of {joint[key[-1]]} (table below)"
                    if key[-1] in joint else
                    f"{fmt_number(r['median'])} {_interval(r['lower'], r['upper'])}")
        row["SD of covariate"] = fmt_number(part["sd_of_covariate"].iloc[0])
        sd_row = part[part["scale"] == "per SD"]
        above = sd_row["prob_above_1"].iloc[0] if len(sd_row) else None
        row["P(ratio > 1)"] = "—" if key[-1] in joint else fmt_prob(above)
        rows.append(row)
    return pd.DataFrame(rows)


def worst_convergence(conv: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """Return the ``n`` parameter cells with the largest R-hat."""
    out = conv.sort_values("r_hat", ascending=False).head(n)
    out = out[["parameter", "r_hat", "ess_bulk", "ess_tail", "mcse_over_sd"]].copy()
    out["r_hat"] = [fmt_rhat(v) for v in out["r_hat"]]  # 1.008 is not "1.01"
    out["parameter"] = [reader_text(p) for p in out["parameter"]]
    out["ess_bulk"] = out["ess_bulk"].round().astype(int)
    out["ess_tail"] = out["ess_tail"].round().astype(int)
    return out.rename(columns={"r_hat": "R-hat", "ess_bulk": "ESS bulk",
                               "ess_tail": "ESS tail", "mcse_over_sd": "MCSE / SD"})


def loo_table(loo: Any, pareto: pd.DataFrame | None) -> pd.DataFrame:
    """PSIS-LOO estimates and the Pareto-k bands."""
    rows = [("elpd_loo (expected log predictive density)", f"{loo.elpd:.1f} (SE {loo.se:.1f})"),
            ("p_loo (effective number of parameters)", f"{loo.p:.1f}")]
    if pareto is not None:
        for _, r in pareto.iterrows():
            rows.append((f"Pareto k {r['range']} ({r['label']})",
                         f"{int(r['count'])} ({fmt_share(r['share'])})"))
    return pd.DataFrame(rows, columns=["quantity", "value"])


def ppc_table(ppc: pd.DataFrame, unit: str, pct: str, n: int = 9) -> pd.DataFrame:
    """Marginal survival against Kaplan–Meier at a few times."""
    part = _every(ppc, n)
    return pd.DataFrame({
        f"time ({unit})": part["time"].to_numpy(),
        "at risk": part["at_risk"].to_numpy(),
        "Kaplan–Meier [95% CI]": _estimates(part, "km"),
        f"model mean [{pct} interval]": _estimates(part, "model", "model_mean"),
        "gap": [_gap(g) for g in part["gap"]],
    })


def ppc_cif_table(ppc_cif: pd.DataFrame, unit: str, pct: str, n: int = 4) -> pd.DataFrame:
    """Marginal CIF against Aalen–Johansen, a few times per cause."""
    parts = []
    for cause, part in ppc_cif.groupby("cause", sort=False):
        part = _every(part, n)
        parts.append(pd.DataFrame({
            "ending": cause, f"time ({unit})": part["time"].to_numpy(),
            "Aalen–Johansen [95% CI]": _estimates(part, "aj"),
            f"model mean [{pct} interval]": _estimates(part, "model", "model_mean"),
            "gap": [_gap(g) for g in part["gap"]]}))
    return pd.concat(parts, ignore_index=True)


def discrimination_table(disc: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Harrell's C and Brier scores with intervals and the no-covariate reference."""
    names = {"c_index": "Harrell's C (higher is better)",
             "brier": "Brier score (lower is better)",
             "integrated_brier": "integrated Brier score, up to the horizon"}
    return pd.DataFrame({
        "metric": [names.get(m, m) for m in disc["metric"]],
        f"horizon ({unit})": [fmt_number(h) for h in disc["horizon"]],
        "mean": disc["mean"].to_numpy(),
        "interval": [f"{100 * p:.0f}%: {_interval(a, b)}" for a, b, p in
                     disc[["lower", "upper", "ci_prob"]].to_numpy()],
        "reference (Kaplan–Meier / chance)": disc["reference"].to_numpy(),
    })


def calibration_table(cal: pd.DataFrame, unit: str, pct: str) -> pd.DataFrame:
    """Predicted against observed survival by risk quintile at each horizon."""
    return pd.DataFrame({
        f"horizon ({unit})": cal["horizon"].to_numpy(),
        "risk group (1 = lowest risk)": cal["risk_group"].to_numpy(),
        "n": cal["n"].to_numpy(),
        f"predicted S [{pct} interval]": _estimates(cal, "predicted"),
        "observed S (KM) [95% CI]": _estimates(cal, "observed"),
        "z": [_gap(z, 2) for z in cal["z"]],
    })


def mle_table(mle: pd.DataFrame, pct: str) -> pd.DataFrame:
    """Posterior against lifelines maximum likelihood, per coefficient."""
    out = pd.DataFrame({
        **({"ending": mle["cause"].to_numpy()} if "cause" in mle.columns else {}),
        "term": mle["term"].to_numpy(),
        f"posterior mean [{pct} interval]": _estimates(mle, "bayes", "bayes_mean"),
        "MLE (SE)": [f"{fmt_number(a)} ({fmt_number(b)})"
                     for a, b in mle[["mle", "mle_se"]].to_numpy()],
        "difference in posterior SDs": [_gap(v, 2) for v in mle["diff_in_posterior_sd"]],
        "lifelines model": mle["source"].to_numpy() if "source" in mle else "",
    })
    return out
