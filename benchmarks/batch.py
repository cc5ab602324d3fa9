"""Batch overhead: 100 small fits through ``coalsurv.fit_many`` against their sampling time.

The issue's measure: the wall time of 100 fits on the local cluster against the sum of their
sampling times (nutpie's own clock). Printed and written to
``reports/validation/batch_overhead.md``:

* ``wall / sum(sampling)`` — the issue's ratio (target <= 1.3), and the same without the
  start of the embedded cluster (timed on its own);
* ``workers x wall / sum(sampling)`` — the issue's ratio per worker: what the fits cost
  beyond sampling when the workers' parallelism is not counted as a gain;
* the per-fit time on a worker outside the sampler (data, model build, fit bookkeeping,
  pointwise log likelihood, the fit-file write), median over the fits.

Run: ``.venv/bin/python benchmarks/batch.py [--fits 100] [--rows 200 1000] [--family weibull]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def simulated(seed: int, *, rows: int):
    """One simulated data set (the synthetic generator's covariates and groups)."""
    from coalsurv.simulation import simulate

    return simulate(n_coalitions=rows, n_groups=max(2, rows // 10), seed=seed).data


def main(argv=None) -> int:
    import functools

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=100)
    parser.add_argument("--rows", type=int, nargs="+", default=[200, 1000],
                        help="coalitions per data set; one batch (one table row) per value")
    parser.add_argument("--family", default="weibull")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "reports" / "validation" /
                                                "batch_overhead.md"))
    args = parser.parse_args(argv)

    import coalsurv

    model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family=args.family,
                                   causes=["dissolution"])
    load = os.getloadavg()
    kernel = "native" if args.family in ("weibull", "exponential") else "pymc"
    from coalsurv.batch.cluster import batch_client

    rows = []
    for n_rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="coalsurv-batch-bench-") as out:
            start = time.perf_counter()
            # the embedded cluster fit_many starts itself, started here to time its start
            with batch_client(None, n_workers=args.workers) as client:
                started = time.perf_counter() - start
                frame = coalsurv.fit_many(model, functools.partial(simulated, rows=n_rows),
                                          seeds=range(args.fits), out=out, client=client,
                                          draws=args.draws, tune=args.draws, chains=2,
                                          progress=False)
                fitting = time.perf_counter() - start - started
            wall = time.perf_counter() - start
        ok = frame[frame["status"] == "ok"]
        sampling = float(ok["sampling_time"].sum())
        outside = (ok["elapsed"] - ok["sampling_time"]).median()
        rows.append(f"| {n_rows} | {len(ok)} / {len(frame)} | {wall:.1f} | {started:.1f} | "
                    f"{sampling:.1f} | {wall / sampling:.2f} | {fitting / sampling:.2f} | "
                    f"{args.workers * wall / sampling:.2f} | "
                    f"{ok['sampling_time'].median():.2f} | {outside:.2f} |")
        print(rows[-1], flush=True)
    lines = [
        "# Batch overhead of `coalsurv.fit_many`",
        "",
        f"Written by `benchmarks/batch.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"; load average at start {tuple(round(x, 1) for x in load)}, at end "
        f"{tuple(round(x, 1) for x in os.getloadavg())} (2-core shared machine).",
        "",
        f"{args.fits} fits of `{model.spec.formula}` ({args.family}, {kernel} kernel) per row, "
        f"to simulated data sets, 2 chains x {args.draws} draws after {args.draws} tuning "
        f"steps, one core per fit, on a local cluster of {args.workers} worker processes "
        "(cluster start and the first fit on each worker, imports and kernel compile, "
        "included; the cluster start alone in its own column). Outside sampling, per fit on "
        "a worker: simulating the data set, building the model, the fit's bookkeeping, the "
        "pointwise log likelihood, R-hat/ESS of the row and the fit-file write (NetCDF, "
        "about 75 variables).",
        "",
        "| coalitions | fits ok | wall s | of which cluster start s | sum of sampling s "
        "| wall / sampling | (wall - cluster start) / sampling | workers x wall / sampling "
        "| median sampling s per fit | median s per fit outside sampling |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
