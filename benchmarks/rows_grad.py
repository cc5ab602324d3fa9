"""Which kernel loop the family table's rows take, and one log density + gradient's cost.

For each row of ``families.ROWS`` named (default: the rows of :mod:`family_rows`), build the
row's model on its data, plan the native kernel (``native.plan``: empty reason = native), ask
the fast row loop (``native_fast.fast_reason``: empty = the fast loop takes it, else why not)
and time one log density and gradient (``grads_fast.bench``: best of 15 repeats of a batch,
CPU time) with the generic kernel and, where it applies, the fast loop.

Run: ``PYTHONPATH=$PWD python benchmarks/rows_grad.py [rows ...]`` (quote the load beside it).
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402
import family_rows  # noqa: E402
from grads_fast import bench  # noqa: E402  (one timing loop for both scripts)


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
        generic = bench(kernel.logp_grad, buf, x, g)
        why = native_fast.fast_reason(kplan, buf)
        fast = "-"
        if not why:
            fb = native_fast.fast_buffer(kplan, buf)
            fast = f"{bench(kernel_fast.fast_logp_grad, fb, x, g):.4f}"
        print(f"{row}: ndim {kplan.ndim}, generic {generic:.4f} ms, fast {fast} ms"
              f"{'; fast loop: ' + why if why else ''}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:] or [r for r, v in families.ROWS.items() if v[2] in family_rows.VARIANTS])
