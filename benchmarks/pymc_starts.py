"""The PyMC route's start guard on the model whose chain stuck: coalgov ``weibull+shape``.

``families.make_model("weibull+shape")`` (coalgov, ``(1 | cname)``, ``shape="n_parties"``) with
``kernel="pymc"``, 4 chains x 300 draws after 300 tuning, for each seed given: before the guard
seed 1 had chain 3 stuck (``sd_cname`` mean 1.15 against 0.76, R-hat 1.62; BENCHMARKS.md,
"Sampling robustness"). Prints per seed the divergences, the largest R-hat, each chain's
``sd_cname`` mean and the seconds (one process; the first fit compiles the graph).

Run: ``python benchmarks/pymc_starts.py [seed ...]`` (default seeds 1 and 2).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main() -> None:
    warnings.simplefilter("ignore")
    from families import ROWS, load_variant, make_model

    seeds = [int(s) for s in sys.argv[1:]] or [1, 2]
    data = load_variant(ROWS["weibull+shape"][2])[0]
    model = make_model("weibull+shape")
    print(f"load before: {os.getloadavg()}")
    for seed in seeds:
        start = time.perf_counter()
        fit = model.fit(data, draws=300, tune=300, chains=4, random_seed=seed,
                        progressbar=False, kernel="pymc")
        sd = np.asarray(fit.idata["posterior"]["sd_cname"]).mean(axis=1).ravel()
        print(f"seed {seed}: route {fit.sampler['route']}, compiled {fit.sampler['compiled']}, "
              f"divergences {fit.sampler['divergences']}, max R-hat "
              f"{fit.sampler['max_rhat']:.3f}, sd_cname chain means {np.round(sd, 3)}, "
              f"{time.perf_counter() - start:.1f} s")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
