"""Per-gradient CPU ms of the generic kernel and the fast row loop on coalgov (issue 23).

Usage: ``PYTHONPATH=$PWD python benchmarks/grads_fast.py weibull weibull_aft loglogistic
lognormal`` prints, per family, without and with the country frailty ``(1 | cname)``, the
best of 15 timings of ``kernel.logp_grad`` (generic) and ``kernel_fast.fast_logp_grad`` (fast;
"-" where the fast loop refuses the model) at one random point.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

sys.path.insert(0, "benchmarks")
import run  # noqa: E402

import coalsurv  # noqa: E402
from coalsurv.backend import kernel, kernel_fast, native, native_fast  # noqa: E402


def bench(fn, *args) -> float:
    """Best of 15 CPU times of ``fn(*args)`` in ms (each over enough calls for ~50 ms)."""

    def f():
        fn(*args)

    f()
    s = time.perf_counter()
    f()
    calls = max(5, int(0.05 / max(time.perf_counter() - s, 1e-6)))
    best = np.inf
    for _ in range(15):
        s = time.process_time()
        for _ in range(calls):
            f()
        best = min(best, (time.process_time() - s) / calls)
    return best * 1e3


def main(families: list[str]) -> None:
    """Print the table (see the module doc)."""
    warnings.simplefilter("ignore")
    data, terms, group = run.load("coalgov")
    for frailty in ("", f" + (1 | {group})"):
        formula = " + ".join(terms) + frailty
        for fam in families:
            model, _, info, _ = coalsurv.SurvivalModel(formula, family=fam).build(data)
            kplan, reason = native.plan(model, info, None)
            assert kplan is not None, reason
            buf = native.make_buffer(kplan, model)
            x = np.random.default_rng(0).normal(scale=0.2, size=kplan.ndim)
            g = np.empty(x.size)
            fb = native_fast.fast_buffer(kplan, buf)
            fast = "-" if fb is None else f"{bench(kernel_fast.fast_logp_grad, fb, x, g):.4f}"
            print(f"{fam} {'frailty' if frailty else 'none'} generic "
                  f"{bench(kernel.logp_grad, buf, x, g):.4f} fast {fast}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["weibull", "weibull_aft", "loglogistic", "lognormal"])
