"""Warm refit of family rows in two coalsurv trees side by side, in process CPU seconds.

A warm refit (the same ``SurvivalModel`` fitted again in one process: cross-validation,
bootstrap, SBC) is mostly NUTS steps, so its CPU time follows the per-gradient cost and is far
less disturbed by other jobs on a shared machine than its wall time. Per tree (each in fresh
processes, ``PYTHONPATH=<tree>``, the trees alternating for ``--rounds`` rounds): fit the row
of ``families.py`` once (untimed), refit it twice with new seeds on the same data, keep the
smaller CPU (all threads of the process) and wall time; print both per tree, their ratio new /
old, the row loop each tree ran, with ``uptime``'s load.

Run: ``python benchmarks/warm_cpu.py OLD_TREE NEW_TREE [--rounds 2] [--draws 1000] --rows rp
"rp(odds)"`` (``--rows`` last).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(rows: list[str], draws: int) -> dict:
    """``{row: [wall s, CPU s, row loop]}`` of the best of two warm refits in this process."""
    sys.path.insert(0, HERE)
    import families

    warnings.simplefilter("ignore")
    out = {}
    for row in rows:
        model = families.make_model(row)
        data, _ = families.load_variant(families.ROWS[row][2])
        settings = {"draws": draws, "tune": draws, "chains": 4, "progressbar": False}
        model.fit(data, random_seed=1, **settings)
        best = [float("inf"), float("inf"), ""]
        for seed in (2, 3):
            cpu, wall = _cpu(), time.perf_counter()
            fit = model.fit(data, random_seed=seed, **settings)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            best = [min(best[0], wall), min(best[1], cpu),
                    fit.idata["posterior"].attrs.get("coalsurv_row_loop", "?")]
        out[row] = best
    return out


def main() -> None:
    argv = sys.argv[1:]
    rows = argv[argv.index("--rows") + 1:]
    argv = argv[:argv.index("--rows")]
    opts = {k: int(argv[argv.index(k) + 1]) for k in ("--rounds", "--draws") if k in argv}
    trees = [a for i, a in enumerate(argv) if not a.startswith("--")
             and (i == 0 or not argv[i - 1].startswith("--"))]
    labels = {"old": os.path.abspath(trees[0]), "new": os.path.abspath(trees[1])}
    print("load before:", os.getloadavg())
    got: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(opts.get("--rounds", 2)):
        for label, tree in labels.items():
            env = dict(os.environ, PYTHONPATH=tree, MPLBACKEND="Agg")
            res = subprocess.run([sys.executable, __file__, "--child",
                                  str(opts.get("--draws", 1000)), *rows], env=env,
                                 capture_output=True, text=True, check=True).stdout
            got[label].append(json.loads(res.strip().splitlines()[-1]))
            print(f"  {label} done, load {os.getloadavg()[0]:.1f}", flush=True)
    print("load after:", os.getloadavg())
    for row in rows:
        old = [min(r[row][k] for r in got["old"]) for k in (0, 1)]
        new = [min(r[row][k] for r in got["new"]) for k in (0, 1)]
        print(f"{row} ({got['old'][0][row][2]} -> {got['new'][0][row][2]}): CPU old "
              f"{old[1]:.2f} s, new {new[1]:.2f} s, new / old {new[1] / old[1]:.2f}; wall old "
              f"{old[0]:.2f} s, new {new[0]:.2f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[3:], int(sys.argv[2]))))
    else:
        main()
