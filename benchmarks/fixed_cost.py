"""Fixed cost of a cold fit (CPU outside NUTS), two trees side by side.

Each row (a ``families.py`` row, or ``coalgov-equal`` / ``coalgov-power`` of ``members.py``) is
fitted (4 x 1000, seed 1) in a fresh process with each tree on ``PYTHONPATH``, the trees
alternating (and their order swapped every pair), ``--pairs`` times. The child reports the
process CPU (user + sys) at the fit's return minus the CPU spent inside NUTS (nutpie's call,
all its threads): the fixed cost of a fresh fit (imports, data, build, plan, numba loads,
trace, pointwise log likelihood, R-hat, record), which is load-robust where wall time is not;
also the R-hat check's CPU and NUTS' CPU. Medians per tree and their difference are printed.
This script runs from its own place; each child imports the tree's coalsurv and its
``benchmarks/families.py`` / ``members.py``, so a tree without this file can be compared.

Run: ``python benchmarks/fixed_cost.py /work/main /work/wt-coldfix --rows weibull loglogistic
coalgov-power --pairs 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings


def child(row: str) -> dict:
    """Fit ``row`` once in this (fresh) process; CPU outside NUTS, NUTS and R-hat CPU."""
    sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))  # the tree's own harness
    from coalsurv.backend import sampling

    rec = {"nuts_cpu": 0.0, "nuts_wall": 0.0, "rhat_cpu": 0.0}
    nuts, worst = sampling._nuts, sampling.worst_rhat

    def timed_nuts(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        out = nuts(*args, **kwargs)
        rec["nuts_cpu"] += time.process_time() - cpu
        rec["nuts_wall"] += time.perf_counter() - wall
        return out

    def timed_rhat(*args, **kwargs):
        cpu = time.process_time()
        out = worst(*args, **kwargs)
        rec["rhat_cpu"] += time.process_time() - cpu
        return out

    sampling._nuts, sampling.worst_rhat = timed_nuts, timed_rhat
    if row.startswith("coalgov-"):
        import members

        import coalsurv

        data, formula = members.load_row(row)
        model = coalsurv.SurvivalModel(formula)
    else:
        import families

        model = families.make_model(row)
        data, _ = families.load_variant(families.ROWS[row][2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, draws=1000, tune=1000, chains=4, progressbar=False, random_seed=1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    wall = time.time() - float(os.environ.get("BENCH_LAUNCHED", time.time()))
    rec.update(cpu=cpu, fixed_cpu=cpu - rec["nuts_cpu"], fixed_wall=wall - rec["nuts_wall"])
    return rec


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", help="two source trees (before, after)")
    parser.add_argument("--rows", nargs="+", default=["weibull"])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if len(args.trees) != 2:
        parser.error("give two trees")
    seen: dict[tuple[str, str], list[dict]] = {}
    for pair in range(args.pairs):
        for tree in (args.trees if pair % 2 == 0 else args.trees[::-1]):
            for row in args.rows:
                env = dict(os.environ, PYTHONPATH=tree, BENCH_LAUNCHED=str(time.time()))
                out = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "--child", row], env=env,
                    cwd=tree, capture_output=True, text=True, check=False)
                if out.returncode:
                    raise SystemExit(f"{tree} {row}: {out.stderr[-2000:]}")
                rec = json.loads(out.stdout.strip().splitlines()[-1])
                seen.setdefault((row, tree), []).append(rec)
                print(f"pair {pair + 1} {tree} {row}: fixed CPU {rec['fixed_cpu']:.2f} s, "
                      f"NUTS CPU {rec['nuts_cpu']:.2f} s, R-hat CPU {rec['rhat_cpu']:.3f} s, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    first, second = args.trees
    for row in args.rows:
        a = {k: statistics.median(r[k] for r in seen[(row, first)])
             for k in ("fixed_cpu", "nuts_cpu", "rhat_cpu")}
        b = {k: statistics.median(r[k] for r in seen[(row, second)])
             for k in ("fixed_cpu", "nuts_cpu", "rhat_cpu")}
        print(f"{row}: fixed CPU {a['fixed_cpu']:.3f} -> {b['fixed_cpu']:.3f} s "
              f"({b['fixed_cpu'] - a['fixed_cpu']:+.3f}); R-hat CPU {a['rhat_cpu']:.3f} -> "
              f"{b['rhat_cpu']:.3f} s; NUTS CPU {a['nuts_cpu']:.2f} -> {b['nuts_cpu']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
