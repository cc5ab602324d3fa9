"""The warm refit of family-table rows, two trees side by side (the R-hat check's share).

Each child process (``PYTHONPATH`` = one tree) fits a ``families.py`` row cold (4 x 1000,
seed 1) and then refits the same ``SurvivalModel`` on the jittered data (``load_variant(...,
jitter=1)``, seed 2), as ``families.py``'s warm column and ``/tmp/prof_cold.py`` do. It
reports the warm refit's wall time, NUTS' wall time inside it, and the wall and process CPU
of the sampler's R-hat check (``sampling.worst_rhat``) inside it. The trees alternate (their
order swapped every pair), ``--pairs`` times; medians per tree are printed with the load.

Run: ``python benchmarks/warm_refit_ab.py /work/main /work/wt-rhatfast --rows
"weibull+mm(power)" "weibull+mm(equal)" --pairs 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings


def child(row: str) -> dict:
    """Cold fit and warm refit of ``row`` in this fresh process; the warm refit's timings."""
    sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))  # the tree's own harness
    import families
    import family_rows

    from coalsurv.backend import sampling

    rec = {"nuts_wall": 0.0, "rhat_cpu": 0.0, "rhat_wall": 0.0}
    nuts, worst = sampling._nuts, sampling.worst_rhat

    def timed_nuts(*args, **kwargs):
        wall = time.perf_counter()
        out = nuts(*args, **kwargs)
        rec["nuts_wall"] += time.perf_counter() - wall
        return out

    def timed_rhat(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        out = worst(*args, **kwargs)
        rec["rhat_cpu"] += time.process_time() - cpu
        rec["rhat_wall"] += time.perf_counter() - wall
        return out

    model = families.make_model(row)
    data, _ = families.load_variant(families.ROWS[row][2])
    new, _ = families.load_variant(families.ROWS[row][2], jitter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        family_rows.fit_row(model, data, random_seed=1, draws=1000, tune=1000, chains=4,
                            progressbar=False, kernel="auto")
        sampling._nuts, sampling.worst_rhat = timed_nuts, timed_rhat
        wall = time.perf_counter()
        family_rows.fit_row(model, new, random_seed=2, draws=1000, tune=1000, chains=4,
                            progressbar=False, kernel="auto")
    rec["warm_wall"] = time.perf_counter() - wall
    return rec


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", help="two source trees (before, after)")
    parser.add_argument("--rows", nargs="+", default=["weibull+mm(power)"])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if len(args.trees) != 2:
        parser.error("give two trees")
    keys = ("warm_wall", "nuts_wall", "rhat_wall", "rhat_cpu")
    seen: dict[tuple[str, str], list[dict]] = {}
    for pair in range(args.pairs):
        for tree in (args.trees if pair % 2 == 0 else args.trees[::-1]):
            for row in args.rows:
                out = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "--child", row],
                    env=dict(os.environ, PYTHONPATH=tree), cwd=tree, capture_output=True,
                    text=True, check=False)
                if out.returncode:
                    raise SystemExit(f"{tree} {row}: {out.stderr[-2000:]}")
                rec = json.loads(out.stdout.strip().splitlines()[-1])
                seen.setdefault((row, tree), []).append(rec)
                print(f"pair {pair + 1} {tree} {row}: warm {rec['warm_wall']:.2f} s (NUTS "
                      f"{rec['nuts_wall']:.2f} s), R-hat wall {rec['rhat_wall']:.3f} s, CPU "
                      f"{rec['rhat_cpu']:.3f} s, load {os.getloadavg()[0]:.1f}", flush=True)
    for row in args.rows:
        a, b = ({k: statistics.median(r[k] for r in seen[(row, tree)]) for k in keys}
                for tree in args.trees)
        print(f"{row}: warm {a['warm_wall']:.2f} -> {b['warm_wall']:.2f} s (NUTS "
              f"{a['nuts_wall']:.2f} -> {b['nuts_wall']:.2f} s); R-hat wall "
              f"{a['rhat_wall']:.3f} -> {b['rhat_wall']:.3f} s, CPU {a['rhat_cpu']:.3f} -> "
              f"{b['rhat_cpu']:.3f} s (medians of {args.pairs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
