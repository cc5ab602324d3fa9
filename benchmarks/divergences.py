"""Divergences of one family-table row at a given target_accept (issue 23, sampling robustness).

Fits ``families.make_model(ROW)`` to coalgov (4 chains x DRAWS draws after 1000 tuning steps,
the given seed and target_accept) in this process, prints the divergences per chain, the
gradient evaluations per draw, each tve / frailty / coefficient variable's mean and SD (and
their means over the divergent draws), and saves the draws to ``--save`` for comparing two
runs' posteriors.

Run (the two rows of BENCHMARKS.md, "Sampling robustness"):
``PYTHONPATH=. python benchmarks/divergences.py weibull+tve 1000 1 0.8`` and ``... 0.9``;
``"weibull+tve(pw)"`` likewise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402


def main(row: str, draws: int, seed: int, target_accept: float, save: str | None) -> None:
    model = families.make_model(row)
    data, _ = families.load_variant(families.ROWS[row][2])
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, random_seed=seed, draws=draws, tune=1000, chains=4,
                        progressbar=False, target_accept=target_accept)
    post, stats = fit.idata["posterior"], fit.idata["sample_stats"]
    div = np.asarray(stats["diverging"])
    print(f"{row} target_accept={target_accept} seed={seed}: {time.time() - start:.1f} s, "
          f"divergences per chain {div.sum(axis=1).tolist()}, gradient evaluations per draw "
          f"{np.asarray(stats['n_steps']).mean():.1f}")
    names = [v for v in post.data_vars if v.startswith(("tve_", "sd_", "beta"))]
    for name in names:
        values = np.asarray(post[name]).reshape(div.shape[0], div.shape[1], -1)
        at = values[div].mean(axis=0).round(3) if div.any() else "-"
        print(f"  {name}: mean {values.mean((0, 1)).round(3)} sd {values.std((0, 1)).round(3)}"
              f" at divergences {at}")
    if save:
        np.savez(save, div=div, **{name: np.asarray(post[name]) for name in names})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=list(families.ROWS))
    parser.add_argument("draws", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("target_accept", type=float)
    parser.add_argument("--save", default=None, help="an .npz file for the draws")
    args = parser.parse_args()
    main(args.row, args.draws, args.seed, args.target_accept, args.save)
