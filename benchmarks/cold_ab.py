"""Cold fits of two trees side by side: CPU (user + sys) and wall of each fresh process.

Each row's coalsurv child of ``families.py`` (``--child coalsurv ROW DRAWS``) or, for the
``coalgov-*`` rows, of ``members.py`` runs once per tree, the trees alternating, ``--pairs``
times. CPU time of the child is robust to other processes' load (wall time is not); the
medians and their ratio (second tree / first) are printed.

Run: ``python benchmarks/cold_ab.py /work/main /work/wt-coldpath --rows weibull loglogistic
gompertz coalgov-equal coalgov-power --pairs 3``.
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


def one(tree: str, row: str, draws: int) -> tuple[float, float]:
    """``(cpu, cold wall)`` of one cold fit of ``row`` with ``tree`` on the path."""
    script = "members.py" if row.startswith("coalgov-") else "families.py"
    extra = ["auto", "1"] if script == "members.py" else []
    cmd = [sys.executable, os.path.join(tree, "benchmarks", script), "--child", "coalsurv", row,
           str(draws), *extra]
    env = dict(os.environ, PYTHONPATH=tree, BENCH_LAUNCHED=str(time.time()))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise SystemExit(f"{tree} {row}: {out.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, json.loads(out.stdout.strip().splitlines()[-1])["cold"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, help="two source trees (before, after)")
    parser.add_argument("--rows", nargs="+", default=["weibull"])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args(argv)
    seen: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for pair in range(args.pairs):
        for tree in args.trees:
            for row in args.rows:
                cpu, cold = one(tree, row, args.draws)
                seen.setdefault((row, tree), []).append((cpu, cold))
                print(f"pair {pair + 1} {tree} {row}: cpu {cpu:.2f} s, cold {cold:.2f} s, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    first, second = args.trees
    for row in args.rows:
        a = [statistics.median(x[i] for x in seen[(row, first)]) for i in (0, 1)]
        b = [statistics.median(x[i] for x in seen[(row, second)]) for i in (0, 1)]
        print(f"{row}: cpu {a[0]:.2f} -> {b[0]:.2f} s ({b[0] / a[0]:.3f}x), cold wall "
              f"{a[1]:.2f} -> {b[1]:.2f} s ({b[1] / a[1]:.3f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
