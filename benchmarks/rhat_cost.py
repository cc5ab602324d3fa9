"""Where the R-hat check's time goes: ``_stats.rank_rhat`` on 4 x 1000 draws of many columns.

The warm refit of an ``mm()`` model spends about 0.3 s in the sampler's R-hat check (every
floating-point posterior variable is judged: about 1,000 member columns on coalgov). This
times ``rank_rhat`` on standard-normal draws of ``--columns`` columns and prints cProfile's
functions by own time.

Run: ``PYTHONPATH=$PWD python benchmarks/rhat_cost.py [--columns 1000]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import numpy as np

from coalsurv import _stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=1000)
    args = parser.parse_args(argv)
    draws = np.random.default_rng(0).normal(size=(4, 1000, 1, args.columns))
    _stats.rank_rhat(draws)
    start = time.perf_counter()
    _stats.rank_rhat(draws)
    print(f"rank_rhat, {args.columns} columns: {time.perf_counter() - start:.3f} s")
    profile = cProfile.Profile()
    profile.enable()
    _stats.rank_rhat(draws)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
