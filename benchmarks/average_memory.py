"""Memory of population averages (``average=True``) on 10,000 rows x 4,000 draws.

A Weibull frailty model (any ending) is fitted to the bundled synthetic data (2 chains x 2,000
draws = 4,000 draws); predictions then use every draw (no thinning). For 10,000 covariate rows
(the synthetic episodes resampled, groups kept) at 5 times it measures the peak extra memory
that NumPy allocates (``tracemalloc``) while ``fit.survival(..., average=True)`` and
``fit.hazard(..., average=True)`` run, and for 802 rows (the ParlGov cabinets' count) the
cumulative incidence (evaluated on a 400-point grid), against the memory the per-row draws
would take (draws x rows x evaluated times x 8 bytes), and checks each average against the mean
of per-row results on the first 300 rows.

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
    parser.add_argument("--cif-rows", type=int, default=802)
    args = parser.parse_args(argv)
    data = coalsurv.datasets.load_synthetic()
    model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family="weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=args.draws // 2, tune=300, chains=2, random_seed=1,
                        progressbar=False)
    fit._predictor = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=None)
    n_draws = fit.predictor.n_draws
    rng = np.random.default_rng(0)
    profiles = data.episode_profiles()
    new_all = profiles.iloc[rng.integers(0, len(profiles), args.rows)].reset_index(drop=True)
    times = np.linspace(1.0, 60.0, 5)
    print(f"{n_draws:,} draws x {times.size} times ({fit.time_unit})")
    for curve, n_rows, n_eval in (("survival", args.rows, times.size),
                                  ("hazard", args.rows, times.size),
                                  ("cumulative_incidence", args.cif_rows, 2 * 400)):
        method = getattr(fit, curve)
        new = new_all.iloc[:n_rows]
        frame, peak, seconds = _peak(lambda m=method, n=new: m(times, n, average=True))
        per_row_bytes = 8.0 * n_draws * n_rows * n_eval
        print(f"{curve}(average=True) on {n_rows:,} rows: peak extra memory "
              f"{peak / 2**20:,.0f} MiB "
              f"({peak / 2**30:.2f} GiB; limit 1 GiB) in {seconds:.1f} s; the per-row draws "
              f"alone would take {per_row_bytes / 2**30:.1f} GiB "
              f"(ratio {per_row_bytes / peak:.1f}x)")
        assert peak < 2**30, f"{curve}: {peak} bytes is over 1 GiB"
        head = new.iloc[:300]
        rows = method(times, head, summary=False).mean("row").values
        avg = method(times, head, summary=False, average=True).values
        print("  average = mean of per-row results on 300 rows: max abs difference "
              f"{np.max(np.abs(rows - avg)):.1e}")


if __name__ == "__main__":
    main()
