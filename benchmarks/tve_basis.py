"""Which spline basis and df should ``tve(x)`` default to? (issue 22).

``python benchmarks/tve_basis.py N SEEDS [--shapes a,b] [--draws D] [basis:df ...]``
simulates N episodes per seed and true shape of the log hazard ratio per unit of
x ~ U(-1.5, 1.5) (Weibull baseline H0 = 0.062 t^1.5, so the median lifespan at x = 0 is about
5; censoring U(2, 25)):

- ``loglinear``: 0.8 - 0.6 log t (the first benchmark's truth);
- ``step``: 0.6 - 1.2 / (1 + exp(-(log t - log 5) / 0.15)), a change from 0.6 to -0.6 within
  a factor 1.5 of t = 5;
- ``quadratic``: 0.5 - 0.25 (log t - 1.2)^2, a rise and fall in log t (log t clipped to
  [-1.5, 3], so the hazard stays finite near 0);
- ``constant``: 0.5 (proportional hazards; a tve should find no change).

Lifespans come from inverse-transform sampling of the cumulative hazard integrated on a fine
log-spaced grid (trapezoids; no coalsurv code). Each configuration ``basis:df`` (``natural``,
``bspline``, or ``pw`` for the piecewise form with df intervals) is fitted as
``tve(x, df=D, basis=B)`` (Weibull PH, 2 chains x D draws after D tuning steps; default
D = 500) and scored over 60 log-spaced times spanning the middle 90% of follow-up (5th to 95th
percentile of the observed times): the largest (``max_err``) and root-mean-square error of the
posterior median log hazard ratio against the truth, the 90% band's coverage of those times,
PSIS-LOO's ELPD, the smallest bulk ESS of the tve parameters, divergences and wall time. One
line per fit; the table of the run is in BENCHMARKS.md ("Smooth tve: basis and df").
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

CONFIGS = [(b, d) for b in ("natural", "bspline") for d in (2, 3, 4, 5)] + [("pw", 4)]

TRUTHS = {
    "loglinear": lambda t: 0.8 - 0.6 * np.log(t),
    "step": lambda t: 0.6 - 1.2 / (1.0 + np.exp(-(np.log(t) - np.log(5.0)) / 0.15)),
    "quadratic": lambda t: 0.5 - 0.25 * (np.clip(np.log(t), -1.5, 3.0) - 1.2) ** 2,
    "constant": lambda t: np.full_like(np.asarray(t, dtype=float), 0.5),
}


def simulate(n: int, seed: int, shape: str = "loglinear") -> pd.DataFrame:
    """Episodes by inverse-transform sampling of the numerically integrated hazard."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, n)
    grid = np.exp(np.linspace(np.log(1e-5), np.log(60.0), 20000))
    h = 0.062 * 1.5 * grid ** 0.5 * np.exp(np.outer(x, TRUTHS[shape](grid)))
    steps = np.diff(grid) * 0.5 * (h[:, 1:] + h[:, :-1])
    big_h = np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)
    e = rng.exponential(size=n)
    t = np.array([np.interp(e[i], big_h[i], grid) if e[i] < big_h[i, -1] else grid[-1]
                  for i in range(n)])
    censor = rng.uniform(2.0, 25.0, n)
    return pd.DataFrame({"duration": np.minimum(t, censor),
                         "ended": np.where(t <= censor, "ended", "censored"), "x": x})


def score(fit, frame: pd.DataFrame, shape: str) -> dict:
    """Largest and RMS error of the log hazard ratio over the middle 90%, band coverage."""
    lo, hi = np.quantile(frame["duration"], [0.05, 0.95])
    times = np.exp(np.linspace(np.log(lo), np.log(hi), 60))
    eff = fit.time_varying_effect("x", times, ci_prob=0.9)
    true = TRUTHS[shape](times)
    err = np.log(eff["median"].to_numpy() if "median" in eff else eff["mean"].to_numpy()) - true
    inside = (eff["lower"] <= np.exp(true)) & (np.exp(true) <= eff["upper"])
    return {"max_err": float(np.abs(err).max()), "rms_err": float(np.sqrt(np.mean(err ** 2))),
            "coverage": float(np.mean(inside))}


def main(n: int, seeds: list[int], shapes: list[str], configs, draws: int) -> None:
    import arviz_stats as azs

    import coalsurv

    for seed in seeds:
        for shape in shapes:
            frame = simulate(n, seed, shape)
            data = coalsurv.CoalitionData.from_frame(frame, duration="duration", event="ended",
                                                     covariates=["x"], time_unit="months")
            for basis, df in configs:
                term = (f"tve(x, type='pw', df={df})" if basis == "pw" else
                        f"tve(x, df={df}, basis='{basis}')")
                model = coalsurv.SurvivalModel(term, family="weibull")
                start = time.time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = model.fit(data, draws=draws, tune=draws, chains=2, random_seed=seed,
                                    progressbar=False)
                    wall = time.time() - start
                    row = score(fit, frame, shape)
                    elpd = float(fit.loo().elpd)
                post = fit.idata["posterior"].to_dataset()
                ess = azs.ess(post[["beta", *[v for v in post.data_vars if "tve" in v]]])
                min_ess = min(float(ess[v].min()) for v in ess.data_vars)
                print(f"shape={shape} seed={seed} n={n} basis={basis} df={df} "
                      f"max_err={row['max_err']:.3f} rms_err={row['rms_err']:.3f} "
                      f"coverage90={row['coverage']:.2f} elpd_loo={elpd:.1f} "
                      f"min_ess_bulk={min_ess:.0f} "
                      f"divergences={int(fit.idata['sample_stats']['diverging'].sum())} "
                      f"wall={wall:.0f}s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("seeds", help="comma-separated seeds")
    parser.add_argument("configs", nargs="*", help="basis:df, e.g. natural:3 bspline:4 pw:4")
    parser.add_argument("--shapes", default=",".join(TRUTHS))
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_intermixed_args()
    chosen = [(a.split(":")[0], int(a.split(":")[1])) for a in args.configs] or CONFIGS
    main(args.n, [int(s) for s in args.seeds.split(",")], args.shapes.split(","), chosen,
         args.draws)
