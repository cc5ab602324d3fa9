"""Centred vs non-centred mm() member effects: bulk ESS per parameter (issue 23).

``python benchmarks/member_centring.py`` fits Weibull PH ``z + mm(x, weights='power')`` to two
data sets of :func:`coalsurv.simulation.membership.simulate_membership` with
``mm(..., centring=)`` forced each way (2 chains x ``--draws`` draws, native kernel): *rich*
(3,000 coalitions of two of 8 members: hundreds of weighted events per member, where
``"auto"`` centres; *rich40*: 8,000 coalitions of two of 40 members) and *thin* (300
coalitions of 2-5 of 80 members: ``"auto"`` stays non-centred). Prints what ``"auto"`` chose,
the 10th percentile of the weighted events per member, the min bulk ESS of each parameter,
leapfrog steps per draw, seconds and the load.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

NAMES = ["beta", "intercept", "shape", "beta_mm", "sd_mm", "gamma", "u_mm"]


def main(argv=None) -> int:
    import arviz_stats as azs

    import coalsurv
    from coalsurv.build.members import member_events
    from coalsurv.simulation.membership import simulate_membership

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--sets", nargs="*", default=["rich", "thin"],
                        choices=["rich", "rich40", "thin"])
    parser.add_argument("--seed", type=int, default=1, help="data and sampler seed")
    args = parser.parse_args(argv)
    sets = {"rich": dict(n_coalitions=3000, n_members=8, max_size=2, censor_quantile=0.95),
            "rich40": dict(n_coalitions=8000, n_members=40, max_size=2, censor_quantile=0.95),
            "thin": dict(n_coalitions=300, n_members=80)}
    formula = "z + mm(x, weights='power'{})"
    for name in args.sets:
        data, _ = simulate_membership(**sets[name], seed=args.seed)
        _, design, info, _ = coalsurv.SurvivalModel(formula.format("")).build(data)
        events = member_events(design.members, np.asarray([np.asarray(data.status) == 1],
                                                           dtype=float))
        print(f"# {name}: n {data.n}, members {len(design.members.levels)}, weighted events "
              f"per member q10 {np.quantile(events, 0.1):.2f}, auto centred: "
              f"{info.members['centred']}", flush=True)
        for centring in ("centred", "noncentred"):
            model = coalsurv.SurvivalModel(formula.format(f", centring='{centring}'"))
            start = time.time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = model.fit(data, draws=args.draws, tune=args.draws, chains=2,
                                random_seed=args.seed, progressbar=False)
            seconds = time.time() - start
            ess = azs.ess(fit.idata, var_names=NAMES, method="bulk")
            steps = float(np.asarray(fit.idata["sample_stats"]["n_steps"]).mean())
            print(f"{name} {centring}: {fit.sampler['kernel']}, {seconds:.1f} s, steps "
                  f"{steps:.1f}, load {os.getloadavg()[0]:.1f}, min bulk ESS",
                  {k: round(float(np.min(np.asarray(ess[k])))) for k in NAMES}, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
