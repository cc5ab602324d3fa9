"""Which spline basis and df should ``tve(x)`` default to? (issue 22).

``python benchmarks/tve_basis.py N SEEDS [basis:df ...]`` simulates N episodes per seed with a
smooth log-linear hazard ratio ``log HR(t) = 0.8 - 0.6 log t`` (per unit of x ~ U(-1.5, 1.5);
Weibull baseline H0 = 0.062 t^1.5, so the median lifespan at x = 0 is about 5; censoring
U(2, 25)), by inverse-transform sampling of the closed-form cumulative hazard
``H(t | x) = 0.062 * 1.5 e^{0.8x} t^{1.5 - 0.6x} / (1.5 - 0.6x)`` (no coalsurv code), fits
``tve(x, df=D, basis=B)`` (Weibull PH, 2 chains x 500 draws after 500 tuning steps) and prints
per configuration the largest and the root-mean-square error of the log of the posterior mean
hazard ratio against the truth over 60 log-spaced times spanning the middle 90% of follow-up
(5th to 95th percentile of the observed times), the 90% band's coverage of those times and the
fit's wall time. Numbers of the run recorded in DEVELOPING.md ("Smooth time-varying effects").
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

CONFIGS = [("natural", 2), ("natural", 3), ("natural", 4),
           ("bspline", 2), ("bspline", 3), ("bspline", 4)]


def truth(t):
    """Return the true log hazard ratio per unit of x."""
    return 0.8 - 0.6 * np.log(t)


def simulate(n: int, seed: int) -> pd.DataFrame:
    """Episodes by inverse-transform sampling of the closed-form cumulative hazard."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, n)
    lam, k = 0.062, 1.5
    power = k - 0.6 * x  # > 0.6: H finite at every t
    scale = lam * k * np.exp(0.8 * x) / power
    t = (rng.exponential(size=n) / scale) ** (1.0 / power)
    censor = rng.uniform(2.0, 25.0, n)
    return pd.DataFrame({"duration": np.minimum(t, censor),
                         "ended": np.where(t <= censor, "ended", "censored"), "x": x})


def score(fit, frame: pd.DataFrame) -> dict:
    """Largest and RMS error of the log hazard ratio over the middle 90%, band coverage."""
    lo, hi = np.quantile(frame["duration"], [0.05, 0.95])
    times = np.exp(np.linspace(np.log(lo), np.log(hi), 60))
    eff = fit.time_varying_effect("x", times, ci_prob=0.9)
    err = np.log(eff["mean"].to_numpy()) - truth(times)
    inside = (eff["lower"] <= np.exp(truth(times))) & (np.exp(truth(times)) <= eff["upper"])
    return {"max_err": float(np.abs(err).max()), "rms_err": float(np.sqrt(np.mean(err ** 2))),
            "coverage": float(np.mean(inside))}


def main(n: int, seeds: list[int], configs) -> None:
    import coalsurv

    for seed in seeds:
        frame = simulate(n, seed)
        data = coalsurv.CoalitionData.from_frame(frame, duration="duration", event="ended",
                                                 covariates=["x"], time_unit="months")
        for basis, df in configs:
            model = coalsurv.SurvivalModel(f"tve(x, df={df}, basis='{basis}')",
                                           family="weibull")
            start = time.time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = model.fit(data, draws=500, tune=500, chains=2, random_seed=seed,
                                progressbar=False)
            row = score(fit, frame)
            print(f"seed={seed} n={n} basis={basis} df={df} max_err={row['max_err']:.3f} "
                  f"rms_err={row['rms_err']:.3f} coverage90={row['coverage']:.2f} "
                  f"divergences={int(fit.idata['sample_stats']['diverging'].sum())} "
                  f"wall={time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    chosen = [(a.split(":")[0], int(a.split(":")[1])) for a in sys.argv[3:]] or CONFIGS
    main(int(sys.argv[1]), [int(s) for s in sys.argv[2].split(",")], chosen)
