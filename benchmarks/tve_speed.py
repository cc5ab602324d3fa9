"""Cost of the smooth tve against the piecewise one: the same data, the same sampler settings.

Data: ``n`` rows, a Weibull baseline (shape 1.2) and log HR(t) = 0.8 - 0.6 log t for a standard
normal ``x`` (inverse transform of the cumulative hazard on a fine grid, no coalsurv code),
uniform censoring. Each model is fitted in its own fresh process (imports and compilation
included) with 4 x ``draws`` draws; the ratio smooth / piecewise is printed.

Run: ``python benchmarks/tve_speed.py [n] [draws]`` (default 1000 rows, 1000 draws).
Measured 2026-12-06 on the quiet 2-core machine: ``tve(x, type='pw', df=4)`` 35 s; ``tve(x)``
had not finished after 400 s.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

MODELS = ("tve(x, type='pw', df=4)", "tve(x)")


def simulated(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    grid = np.exp(np.linspace(np.log(1e-4), np.log(50.0), 4000))
    t = np.empty(n)
    for i in range(n):
        h = 1.2 * grid ** 0.2 * np.exp(x[i] * (0.8 - 0.6 * np.log(grid)))
        H = np.concatenate([[0.0], np.cumsum(np.diff(grid) * 0.5 * (h[1:] + h[:-1]))])
        e = rng.exponential()
        t[i] = np.interp(e, H, grid) if e < H[-1] else grid[-1]
    c = rng.uniform(0.5, 4.0, n)
    return pd.DataFrame({"d": np.minimum(t, c), "e": np.where(t <= c, "end", "censored"),
                         "x": x})


def child(formula: str, n: int, draws: int) -> None:
    warnings.simplefilter("ignore")
    import coalsurv

    data = coalsurv.CoalitionData.from_frame(simulated(n), duration="d", event="e",
                                             covariates=["x"], time_unit="years")
    fit = coalsurv.SurvivalModel(formula, family="weibull").fit(
        data, draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False)
    print(f"{fit.sampler['route']} min bulk ESS {fit.summary()['ess_bulk'].min():.0f}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seconds = {}
    for formula in MODELS:
        start = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--child", formula, str(n), str(draws)],
                             capture_output=True, text=True, check=True).stdout.strip()
        seconds[formula] = time.perf_counter() - start
        print(f"{formula}: {seconds[formula]:.1f} s, {out}")
    print(f"smooth / piecewise cold time: {seconds[MODELS[1]] / seconds[MODELS[0]]:.1f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
