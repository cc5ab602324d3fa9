"""Memory of population averages (``average=True``) on 10,000 rows x 4,000 draws.

A Weibull frailty model with three competing endings is fitted to the bundled synthetic data
(2 chains x 2,000 draws = 4,000 draws); predictions then use every draw (no thinning). For
10,000 covariate rows (the synthetic episodes resampled, groups kept) it measures the peak
extra memory that NumPy allocates (``tracemalloc``) while ``fit.survival(..., average=True)``
and ``fit.hazard(..., average=True)`` run, against the memory the per-row draws alone would
take (``summary=False`` without averaging: draws x causes x rows x times x 8 bytes), and checks
the average against the mean of per-row results on the first 300 rows.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/average_memory.py [--rows N] [--draws N]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np


def _peak(call):
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak, seconds


def main(argv=None) -> None:
    import coalsurv
    from coalsurv.fit.predict import Predictor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--draws", type=int, default=4_000, help="total draws (2 chains)")
    args = parser.parse_args(argv)
    data = coalsurv.datasets.load_synthetic()
    model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family="weibull",
                                   causes=list(data.causes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=args.draws // 2, tune=300, chains=2, random_seed=1,
                        progressbar=False)
    fit._predictor = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=None)
    n_draws = fit.predictor.n_draws
    rng = np.random.default_rng(0)
    profiles = data.episode_profiles()
    new = profiles.iloc[rng.integers(0, len(profiles), args.rows)].reset_index(drop=True)
    times = np.linspace(1.0, 60.0, 20)
    n_causes = len(fit.info.causes)
    print(f"{args.rows:,} rows x {n_draws:,} draws x {times.size} times, "
          f"{n_causes} causes ({fit.time_unit})")
    for curve, causes in (("survival", 1), ("hazard", n_causes)):
        method = getattr(fit, curve)
        frame, peak, seconds = _peak(lambda m=method: m(times, new, average=True))
        per_row_bytes = 8.0 * n_draws * causes * args.rows * times.size
        print(f"{curve:>9}(average=True): peak extra memory {peak / 2**20:,.0f} MiB "
              f"({peak / 2**30:.2f} GiB; limit 1 GiB) in {seconds:.1f} s; the per-row draws "
              f"alone would take {per_row_bytes / 2**30:.1f} GiB "
              f"(ratio {per_row_bytes / peak:.1f}x)")
        assert peak < 2**30, f"{curve}: {peak} bytes is over 1 GiB"
        head = new.iloc[:300]
        rows = method(times, head, summary=False).mean("row").values
        avg = method(times, head, summary=False, average=True).values
        print(f"{'':>9} average = mean of per-row results on 300 rows: max abs difference "
              f"{np.max(np.abs(rows - avg)):.1e}")


if __name__ == "__main__":
    main()
