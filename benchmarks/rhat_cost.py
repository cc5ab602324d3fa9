"""Where the R-hat check's time goes: ``_stats.rank_rhat`` on 4 x 1000 draws of many columns.

The warm refit of an ``mm()`` model judges every floating-point posterior variable (about
1,000 member columns on coalgov). This times, on standard-normal draws of ``--columns``
columns (or on the posterior variables of ``--npz``, a NumPy ``savez`` of ``(chain, draw,
...)`` arrays), side by side: the numba kernel (``coalsurv._rank_kernel.rank_columns``) on
one thread and on its default threads, and the NumPy code it replaced
(``tests/rank_reference.py``); each the best of ``--repeat`` runs, wall and process CPU
(all threads), with the load average. Then cProfile's functions by own time for one
one-thread run.

Run: ``PYTHONPATH=$PWD python benchmarks/rhat_cost.py [--columns 1250] [--npz FILE]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

import numpy as np

from coalsurv import _rank_kernel


def best(run, repeat: int) -> tuple[float, float]:
    """Best wall and best process CPU seconds of ``repeat`` calls of ``run``."""
    wall = cpu = np.inf
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        run()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    return wall, cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=1250)
    parser.add_argument("--npz", help="posterior arrays (chain, draw, ...) saved by np.savez")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if args.npz:
        with np.load(args.npz) as saved:
            arrays = [saved[k] for k in saved.files if saved[k].dtype.kind == "f"]
    else:
        arrays = [np.random.default_rng(0).normal(size=(4, 1000, 1, args.columns))]
    columns = sum(int(np.prod(a.shape[2:])) for a in arrays)
    from tests.rank_reference import reference_rank_rhat

    _rank_kernel.rank_columns(arrays)  # numba's cache load
    print(f"{columns} columns of {arrays[0].shape[0]} x {arrays[0].shape[1]} draws, "
          f"load {os.getloadavg()[0]:.2f}")
    for name, run in (
            ("kernel, 1 thread", lambda: _rank_kernel.rank_columns(arrays, threads=1)),
            (f"kernel, {_rank_kernel.default_threads()} threads",
             lambda: _rank_kernel.rank_columns(arrays)),
            ("old NumPy code", lambda: [reference_rank_rhat(a) for a in arrays])):
        wall, cpu = best(run, args.repeat if "old" not in name else max(2, args.repeat // 3))
        print(f"  {name:20s} wall {wall:.3f} s, CPU {cpu:.3f} s")
    print(f"load {os.getloadavg()[0]:.2f}")
    profile = cProfile.Profile()
    profile.enable()
    _rank_kernel.rank_columns(arrays, threads=1)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
