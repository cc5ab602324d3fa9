"""Ratio benchmarks: coalsurv against baselines measured in the same process.

1. Weibull frailty model on coalgov (governments in 29 countries), 4 chains x 1000 draws:
   coalsurv vs a hand-written plain PyMC model with ``pm.Censored`` (the DESIGN baseline).
   Reported: wall time (build + compile + sample) and min bulk ESS per second, as ratios.
2. Refit with new data of the same shape (compiled-kernel reuse) vs a first fit.
3. Weibull AFT without frailty on King et al. 1990: coalsurv vs lifelines' MLE (time ratio;
   the MLE is the floor, the price of a full posterior).

Run: ``.venv/bin/python benchmarks/run.py [--quick]``. Prints ratios, never bare times alone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _min_ess(idata, names) -> float:
    import arviz_stats as azs

    ess = azs.ess(idata, var_names=names, method="bulk")
    return min(float(ess[n].min()) for n in names)


def plain_pymc_weibull_frailty(data, terms, draws, tune, seed):
    """Plain PyMC baseline: Weibull PH via pm.Censored on a Weibull likelihood."""
    import pymc as pm

    X = data.covariates[terms].to_numpy()
    X = (X - X.mean(0)) / X.std(0)
    levels, codes = np.unique(data.groups.iloc[:, 0].to_numpy(), return_inverse=True)
    n_groups = len(levels)
    t = np.asarray(data.time) / np.median(data.time)
    event = np.asarray(data.is_event)
    upper = np.where(event, np.inf, t)
    with pm.Model():
        beta = pm.Normal("beta", 0, 1, shape=X.shape[1])
        alpha = pm.Normal("alpha", 0, 2.5)
        shape = pm.LogNormal("shape", 0, 1)
        sd = pm.HalfNormal("sd", 1)
        z = pm.Normal("z", 0, 1, shape=n_groups)
        eta = alpha + X @ beta + sd * z[codes]
        # Weibull PH: scale lambda = exp(-eta / shape)
        lam = pm.math.exp(-eta / shape)
        pm.Censored("t", pm.Weibull.dist(alpha=shape, beta=lam), lower=None, upper=upper,
                    observed=t)
        idata = pm.sample(draws=draws, tune=tune, chains=4, random_seed=seed, progressbar=False)
    return idata


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="250 draws instead of 1000")
    args = parser.parse_args(argv)
    draws = 250 if args.quick else 1000

    import coalsurv

    if not SHARED.is_dir():
        print(f"benchmarks need the real data at {SHARED}")
        return 2
    coalgov = coalsurv.datasets.load_coalgov(SHARED / "coalgov")
    terms = ["power_hhi", "n_parties", "majority", "ideol_heterogeneity"]

    start = time.perf_counter()
    base = plain_pymc_weibull_frailty(coalgov, terms, draws, draws, 1)
    t_base = time.perf_counter() - start
    ess_base = _min_ess(base, ["beta", "alpha", "shape", "sd"])

    model = coalsurv.SurvivalModel(" + ".join(terms) + " + (1 | cname)", family="weibull")
    start = time.perf_counter()
    fit = model.fit(coalgov, draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False)
    t_ours = time.perf_counter() - start
    ess_ours = _min_ess(fit.idata, ["beta", "intercept", "shape", "sd_cname"])

    print(f"coalgov Weibull frailty, 4 x {draws} draws (baseline: plain PyMC + pm.Censored)")
    print(f"  wall time ratio coalsurv / plain PyMC       : {t_ours / t_base:6.2f}")
    print(f"  min bulk ESS ratio coalsurv / plain PyMC    : {ess_ours / ess_base:6.2f}")
    print(f"  min bulk ESS per second ratio               : "
          f"{(ess_ours / t_ours) / (ess_base / t_base):6.2f}")

    start = time.perf_counter()
    model.fit(coalgov, draws=draws, tune=draws, chains=4, random_seed=2, progressbar=False)
    t_refit = time.perf_counter() - start
    print(f"  refit (compiled kernel reused) / first fit  : {t_refit / t_ours:6.2f}")

    import pandas as pd
    from lifelines import WeibullAFTFitter

    king = pd.read_csv(SHARED / "king1990/coalition.txt", sep=r"\s+")
    cols = ["invest", "polar", "numst2", "crisis"]
    kdata = coalsurv.CoalitionData.from_frame(king, duration="duration", event="ciep12",
                                              covariates=cols, time_unit="months")
    start = time.perf_counter()
    WeibullAFTFitter().fit(king[cols + ["duration", "ciep12"]], "duration", "ciep12")
    t_mle = time.perf_counter() - start
    start = time.perf_counter()
    coalsurv.SurvivalModel(" + ".join(cols), family="weibull_aft").fit(
        kdata, draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False)
    t_bayes = time.perf_counter() - start
    print(f"King 1990 Weibull AFT: coalsurv posterior / lifelines MLE time: {t_bayes / t_mle:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
