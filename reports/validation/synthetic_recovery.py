"""Recovery of the bundled synthetic notebook's model over many simulated data sets.

The notebook fits one data set (``coalsurv.simulate(seed=20240601, delayed_entry_share=0.2)``,
600 coalitions) and two true values fall outside their 95% intervals. This script fits the
same model to data sets simulated the same way with other seeds, on the batch runner, and
writes per seed and parameter the truth, the posterior median and 95% interval, and the
distance of the truth from the posterior mean in posterior SDs
(``reports/validation/synthetic_recovery.csv``), which the notebook reads.

Run: ``PYTHONPATH=. .venv/bin/python reports/validation/synthetic_recovery.py [N_SEEDS]``.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import coalsurv

HERE = Path(__file__).resolve().parent
FORMULA = "breadth + power_hhi + power_hhi_sq + n_members + (1 | group)"
CAUSES = ["dissolution", "goal_reached", "alliance"]
SAMPLER = {"draws": 500, "tune": 500, "chains": 2}


def simulated(seed: int):
    """Simulate a data set like the bundled one, with another seed."""
    return coalsurv.simulate(seed=seed, delayed_entry_share=0.2).data


def recovery_rows(seed: int, fit, truth) -> list[dict]:
    """Truth against the posterior, per coefficient (per unit) and shape."""
    post = fit.idata["posterior"]
    rows = []
    beta = np.asarray(post["beta"]).reshape(-1, *post["beta"].shape[2:])
    for k, cause in enumerate(fit.info.causes):
        for j, term in enumerate(fit.info.terms):
            d = beta[:, k, j] / fit.info.sds[j]
            rows.append(_row(seed, cause, term, truth["causes"][cause]["coefficients"][term], d))
        shape = np.asarray(post["shape"]).reshape(-1, len(fit.info.causes))[:, k]
        rows.append(_row(seed, cause, "shape", truth["causes"][cause]["shape"], shape))
    return rows


def _row(seed, cause, parameter, true, d):
    lo, med, hi = np.quantile(d, [0.025, 0.5, 0.975])
    return {"seed": seed, "cause": cause, "parameter": parameter, "true": float(true),
            "median": float(med), "lower": float(lo), "upper": float(hi),
            "covered": bool(lo <= true <= hi),
            "z": float((true - d.mean()) / d.std())}


def main(n_seeds: int) -> pd.DataFrame:
    """Fit seeds 1..n_seeds on the batch runner; write and return the recovery table."""
    model = coalsurv.SurvivalModel(FORMULA, family="weibull", causes=CAUSES)
    seeds = list(range(1, n_seeds + 1))
    frame = coalsurv.fit_many(model, functools.partial(_data), seeds=seeds,
                              out="/tmp/coalsurv-synthetic-recovery", random_seed=3, **SAMPLER)
    rows = []
    for r in frame.itertuples():
        if r.status != "ok":
            print(f"{r.name}: {r.error}", file=sys.stderr)
            continue
        seed = int(r.name.split("-")[1])
        truth = coalsurv.simulate(seed=seed, delayed_entry_share=0.2).truth
        rows.extend(recovery_rows(seed, coalsurv.load_fit(r.file), truth))
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "synthetic_recovery.csv", index=False)
    frame.to_csv(HERE / "synthetic_recovery_fits.csv", index=False)
    return out


def _data(seed: int):
    """Top-level data source (picklable for the workers)."""
    return simulated(seed)


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    print(result.groupby("parameter")["covered"].mean())
    print(f"overall coverage of 95% intervals: {result['covered'].mean():.3f} "
          f"({len(result)} parameter estimates, {result['seed'].nunique()} data sets)")
