"""Centred against non-centred frailty where levels are thinly observed (issue 23).

``frailty_centring="auto"`` centres a frailty intercept only when the 10th percentile of events
per level is >= ``build.info.CENTRE_MIN_EVENTS`` (20). On coalgov (29 countries, 245 events,
10th percentile 1.8) it keeps the non-centred form, yet the centred one doubled the min bulk
ESS of every family-table row over 8 seeds (``ess_seeds.py --sides native_centred``). Whether a
looser rule is safe depends on the frailty SD, which no rule knows before the fit: centred
levels with little data and a small SD make a funnel. This script simulates Weibull PH +
``(1 | group)`` data (run.py's design: four covariates, ~30% censored) with ``--groups``
levels, ``--rows`` rows and frailty SD ``--sd`` (several values), fits each with the frailty
forced centred and non-centred (4 chains x ``--draws``), and prints per fit: events per level
(10th percentile, median), min bulk ESS and where, sd_group's bulk ESS, divergences, steps per
draw and the posterior mean of sd_group.

Run: ``PYTHONPATH=$PWD python benchmarks/centring_thin.py --groups 30 --rows 630 --sd 0.05 0.25
0.5 --seeds 1 2``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ess_seeds import sampler_stats  # noqa: E402
from run import TERMS, _from_simple  # noqa: E402


def frame(n: int, groups: int, sd: float, seed: int):
    """Weibull PH (shape 1.3) + Normal(0, sd) frailty, four covariates, ~30% censored."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(TERMS)))
    g = np.arange(n) % groups  # every level has rows
    u = rng.normal(scale=sd, size=groups)
    eta = -0.5 + X @ np.array([0.4, -0.3, 0.2, 0.0]) + u[g]
    t = (-np.log(rng.uniform(size=n)) / np.exp(eta)) ** (1.0 / 1.3) * 365.0
    c = rng.uniform(0, 3.0 * np.median(t), size=n)
    out = pd.DataFrame(X, columns=TERMS)
    out["duration"] = np.maximum(np.minimum(t, c), 1.0)
    out["ended"] = (t <= c).astype(int)
    out["group"] = [f"g{k:03d}" for k in g]
    return out


def main(argv=None) -> int:
    import coalsurv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--rows", type=int, default=630)
    parser.add_argument("--sd", nargs="+", type=float, default=[0.05, 0.25, 0.5])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args(argv)
    print(f"# load {os.getloadavg()}; {args.rows} rows, {args.groups} groups", flush=True)
    print("| true sd | seed | events/level q10, median | centring | min bulk ESS (at) "
          "| sd ESS | div. | steps | sd mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sd in args.sd:
        for seed in args.seeds:
            df = frame(args.rows, args.groups, sd, seed)
            ev = df.groupby("group")["ended"].sum().to_numpy()
            data = _from_simple(df, TERMS, "group")
            for choice in ("centred", "noncentred"):
                model = coalsurv.SurvivalModel(" + ".join(TERMS) + " + (1 | group)",
                                               family="weibull",
                                               family_options={"frailty_centring": choice})
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = model.fit(data, draws=args.draws, tune=args.draws, chains=4,
                                    random_seed=seed, progressbar=False)
                s = sampler_stats(fit.idata, ("beta", "intercept", "shape", "sd_group"),
                                  "sd_group")
                sd_mean = float(np.asarray(fit.idata["posterior"]["sd_group"]).mean())
                print(f"| {sd} | {seed} | {np.quantile(ev, 0.1):.1f}, {np.median(ev):.1f} "
                      f"| {choice} | {s['ess']:.0f} ({s['min_at']}) | {s['ess_sd']:.0f} "
                      f"| {s['div']} | {s['steps']:.1f} | {sd_mean:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
