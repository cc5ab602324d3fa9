"""The simulator's record of its true parameters (JSON-serialisable)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv.simulation.params import COVARIATES

__all__ = ["SCHEMA", "truth_record"]

#: Schema of the truth record.
SCHEMA = "coalsurv.simulate/1"


def truth_record(p: dict[str, Any], causes: list[str], frame: pd.DataFrame, labels: np.ndarray,
           frailty: np.ndarray, **info: Any) -> dict[str, Any]:
    """Record the true parameters per cause (PH and AFT forms), frailty, censoring, counts."""
    sd = {c: float(frame[c].std(ddof=1)) for c in COVARIATES}
    table = {}
    for c in causes:
        par = p["causes"][c]
        k, lam = float(par["shape"]), float(par["scale"])
        coef = {x: float(par.get("coef", {}).get(x, 0.0)) for x in COVARIATES}
        alpha = -k * np.log(lam) - sum(b * p["reference"][x] for x, b in coef.items())
        table[c] = {
            "shape": k, "scale": lam, "intercept": float(alpha), "coefficients": coef,
            "coefficients_per_sd": {x: b * sd[x] for x, b in coef.items()},
            "intercept_aft": float(-alpha / k),
            "coefficients_aft": {x: -b / k for x, b in coef.items()},
        }
    events = frame["event"]
    counts = {str(c): int(v) for c, v in events.value_counts().sort_index().items()}
    return {
        "schema": SCHEMA,
        "generator": f"coalsurv.{info['generator']}",
        "seed": int(info["seed"]),
        "n_coalitions": int(len(frame)),
        "n_generated": int(info["n_generated"]),
        "n_groups": int(info["n_groups"]),
        "time_unit": info["time_unit"],
        "family": "weibull_ph",
        "hazard": "h_c(t) = k_c/scale_c * (t/scale_c)^(k_c-1)"
                  " * exp(sum_j beta_cj*(x_j-ref_j) + b_g)"
                  " = k_c t^(k_c-1) exp(intercept_c + sum_j beta_cj*x_j + b_g)",
        "covariate_scale": "raw: coefficients per original unit of each covariate; "
                           "coefficients_per_sd multiply by the observed sample SD",
        "covariates": list(COVARIATES),
        "covariate_sd": sd,
        "reference": {x: float(v) for x, v in p["reference"].items()},
        "causes": table,
        "collapsed": bool(info["collapse"]),
        "event_labels": sorted(events.unique().tolist()),
        "frailty": {
            "distribution": "lognormal (normal log-hazard shift shared by all causes)",
            "sd": float(p["frailty_sd"]),
            "group_effects": {str(g): float(v) for g, v in zip(labels, frailty, strict=True)},
        },
        "censoring": {
            "admin_censor": float(p["admin_censor"]),
            "random_censor_rate": float(p["random_censor_rate"]),
            "delayed_entry_share": float(info["delayed_entry_share"]),
            "entry_max": float(p["entry_max"]),
            "interval_share": float(info["interval_share"]),
            "interval_width": float(p["interval_width"]),
        },
        "members": {k: (float(v) if isinstance(v, float) else int(v))
                    for k, v in p["members"].items()},
        "counts": {
            **counts,
            "interval": int(frame["lower"].notna().sum()),
            "delayed_entry": int((frame["entry"] > 0).sum()),
        },
    }
