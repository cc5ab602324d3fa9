"""Which kernel loop the family table's rows take, and one log density + gradient's cost.

For each row of ``families.ROWS`` named (default: the rows of :mod:`family_rows`), build the
row's model on its data, plan the native kernel (``native.plan``: empty reason = native), ask
the fast row loop (``native_fast.fast_reason``: empty = the fast loop takes it, else why not)
and time one log density and gradient (best of 15 repeats of a batch, CPU time) with the
generic kernel and, where it applies, the fast loop.

Run: ``PYTHONPATH=$PWD python benchmarks/rows_grad.py [rows ...]`` (quote the load beside it).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402
import family_rows  # noqa: E402


def _ms(f) -> float:
    f()
    start = time.perf_counter()
    f()
    calls = max(5, int(0.05 / max(time.perf_counter() - start, 1e-6)))
    best = np.inf
    for _ in range(15):
        start = time.process_time()
        for _ in range(calls):
            f()
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e3


def main(rows: list[str]) -> None:
    from coalsurv.backend import kernel, kernel_fast, native, native_fast

    warnings.simplefilter("ignore")
    print(f"load {os.getloadavg()}")
    for row in rows:
        model, _, info = family_rows.built(families.make_model(row),
                                           families.load_variant(families.ROWS[row][2])[0])
        kplan, reason = native.plan(model, info, None)
        if reason:
            print(f"{row}: PyMC graph ({reason})")
            continue
        buf = native.make_buffer(kplan, model)
        x = np.random.default_rng(0).normal(scale=0.2, size=kplan.ndim)
        g = np.empty(x.size)
        generic = _ms(lambda: kernel.logp_grad(buf, x, g))  # noqa: B023
        why = native_fast.fast_reason(kplan, buf)
        fast = "-"
        if not why:
            fb = native_fast.fast_buffer(kplan, buf)
            fast = f"{_ms(lambda: kernel_fast.fast_logp_grad(fb, x, g)):.4f}"  # noqa: B023
        print(f"{row}: ndim {kplan.ndim}, generic {generic:.4f} ms, fast {fast} ms"
              f"{'; fast loop: ' + why if why else ''}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:] or [r for r, v in families.ROWS.items() if v[2] in family_rows.VARIANTS])
