"""One gradient of the coalgov family rows with tve (issue 23): ``kernel.logp_grad`` CPU time.

The rows of ``families.py`` (coalgov, ``(1 | cname)``): ``weibull``, ``weibull+tve(pw)`` and
``weibull+tve`` by default (or the rows named on the command line), each built by the tree on
``PYTHONPATH``; per row the fastest of 20 blocks of 50 calls in process CPU time, with the tve
cells (interior bounds, largest J, mean cells a row overlaps) and whether the rows share the
cells' bases (only piecewise terms); where the tree's fast row loop takes the row
(``native_fast.fast_buffer``, the piecewise tve since branch ``tvepw2``) its
fast log density beside it (``kernel_fast_tve.tve_fast_logp_grad`` for the piecewise tve,
the function nutpie's callback runs). Compare two trees by running it under each:

``PYTHONPATH=/work/main python benchmarks/tve_grad.py; PYTHONPATH=. python benchmarks/tve_grad.py``
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _best(fn, buf, x, grad) -> float:
    """Fastest of 20 blocks of 50 calls ``fn(buf, x, grad)``, CPU seconds a call."""
    fn(buf, x, grad)
    best = np.inf
    for _ in range(20):
        start = time.process_time()
        for _ in range(50):
            fn(buf, x, grad)
        best = min(best, (time.process_time() - start) / 50)
    return best


def main(rows: list[str]) -> None:
    import families

    from coalsurv.backend import kernel, native
    from coalsurv.backend.kernel_tve import tve_layout

    try:  # trees before the tve fast loop time the generic kernel only
        from coalsurv.backend import native_fast
    except ImportError:
        native_fast = None

    warnings.simplefilter("ignore")
    print("load:", os.getloadavg())
    for row in rows:
        model, _, info, _ = families.make_model(row).build(
            families.load_variant(families.ROWS[row][2])[0])
        kplan, reason = native.plan(model, info, None)
        if kplan is None:
            raise RuntimeError(f"{row}: {reason}")
        buf = native.make_buffer(kplan, model)
        x = np.random.default_rng(0).normal(scale=0.2, size=kplan.ndim)
        grad = np.empty(x.size)
        best = _best(kernel.logp_grad, buf, x, grad)
        fast = native_fast.fast_buffer(kplan, buf) if native_fast is not None else None
        fast_ms = "-"
        if fast is not None:  # the tree's fast row loop takes this row: time it too
            from coalsurv.backend.kernel_fast import fast_logp_grad

            if fast[2] >= 40:  # the piecewise tve loop: what nutpie calls (its own priors)
                from coalsurv.backend.kernel_fast_tve import tve_fast_logp_grad as fast_logp_grad
            fast_ms = f"{1e3 * _best(fast_logp_grad, fast, x, grad):.4f} ms"
        tv = tve_layout(buf)
        extra = ""
        if tv[0] > 0:
            c01 = tv[6]
            extra = (f", {tv[1]} interior bounds, J {tv[2]}, {np.mean(c01[1] - c01[0] + 1):.1f}"
                     f" cells a row, shared bases {tv[11] if np.ndim(tv[11]) == 0 else '-'}")
        print(f"{row}: {1e3 * best:.4f} ms per gradient (generic), fast loop {fast_ms}{extra}",
              flush=True)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main(sys.argv[1:] or ["weibull", "weibull+tve(pw)", "weibull+tve"])
