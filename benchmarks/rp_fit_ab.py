"""rp fits of two coalsurv trees side by side: the wall and CPU time of a warm fit (issue 23).

Each tree in its own fresh process (``PYTHONPATH=<tree>``), the trees alternating for
``--rounds`` rounds. Per scale (hazard, odds): coalgov with ``(1 | cname)`` (run.py's terms),
a tiny fit first (numba cache loads, nothing timed), then 4 chains x 1000 draws after 1000
tuning, timed: wall and process CPU seconds, leapfrog steps per draw. NUTS dominates that fit,
so the CPU ratio new / old is the per-step gradient's.

Run: ``python benchmarks/rp_fit_ab.py OLD_TREE NEW_TREE [--rounds 2]``; prints one JSON line
per fit with ``uptime``'s load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def child(scale: str) -> dict:
    """Fit rp on coalgov in this process (the tree on ``sys.path``); return the timings."""
    import numpy as np

    sys.path.insert(0, HERE)
    import run

    import coalsurv

    warnings.simplefilter("ignore")
    data, terms, group = run.load("coalgov")
    model = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})", family="rp",
                                   family_options={"scale": scale})
    model.fit(data, draws=100, tune=100, chains=2, progressbar=False, random_seed=1)
    wall, cpu = time.time(), time.process_time()
    fit = model.fit(data, draws=1000, tune=1000, chains=4, progressbar=False, random_seed=2)
    wall, cpu = time.time() - wall, time.process_time() - cpu
    steps = float(np.asarray(fit.idata["sample_stats"]["n_steps"]).sum()) / 4000
    return {"wall": round(wall, 2), "cpu": round(cpu, 2), "steps_per_draw": round(steps, 2),
            "kernel": fit.sampler["kernel"]}


def main() -> None:
    """Alternate the two trees' fresh processes; print each fit's timings."""
    if sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return
    trees = sys.argv[1:3]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    for _ in range(rounds):
        for tree in trees:
            for scale in ("hazard", "odds"):
                env = {**os.environ, "PYTHONPATH": tree}
                load = os.getloadavg()[0]
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                                      scale], env=env, capture_output=True, text=True,
                                     check=True)
                print(json.dumps({"tree": tree, "scale": scale, "load": round(load, 2),
                                  **json.loads(out.stdout.strip().splitlines()[-1])}),
                      flush=True)


if __name__ == "__main__":
    main()
