"""Leapfrog steps per draw of nutpie on an iid standard normal, by dimension and target_accept.

The reference for :mod:`mm_geometry`: a perfectly preconditioned posterior of ``d`` dimensions
(``x ~ Normal(0, 1)``, ``d`` values; the adapted diagonal mass matrix is then the identity up
to estimation noise), 4 chains x 1000 draws after 1000 tuning steps, the PyMC graph compiled
by nutpie (numba). Prints per ``(d, target_accept)``: mean ``n_steps``, mean step size, min and
median bulk ESS over the ``d`` values.

Run: ``python benchmarks/mm_steps_iid.py --dims 36 100 200 349 --target-accept 0.8``.
"""

from __future__ import annotations

import argparse
import warnings


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[36, 349])
    ap.add_argument("--target-accept", type=float, nargs="+", default=[0.8])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    import arviz_stats as azs
    import numpy as np
    import nutpie
    import pymc as pm

    warnings.simplefilter("ignore")
    for d in args.dims:
        with pm.Model() as model:
            pm.Normal("x", 0.0, 1.0, shape=d)
        compiled = nutpie.compile_pymc_model(model, backend="numba")
        for ta in args.target_accept:
            idata = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, cores=2,
                                  seed=args.seed, progress_bar=False, target_accept=ta)
            ss = idata["sample_stats"]
            ess = azs.ess(idata["posterior"].to_dataset(), method="bulk")["x"].values
            print(f"d {d:4d} target_accept {ta:.2f} n_steps {float(ss['n_steps'].mean()):6.2f} "
                  f"step {float(ss['step_size'].mean()):.3f} bulk ESS min {ess.min():.0f} "
                  f"median {np.median(ess):.0f}")


if __name__ == "__main__":
    main()
