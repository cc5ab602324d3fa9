"""The cure/interval fast loop, the generic kernel and the PyMC graph at far points.

Weibull PH with promotion-time cure and interval-censored endings (1,200 rows, the kernel
tests' ``interval_data``), 40 points drawn at ``N(0, 1.5^2)``: prints each point where the
generic kernel and the fast loop differ, with the graph's value. At such points ``S(L) - S(U)``
underflows in the graph and the generic kernel (``-inf``), while the fast loop's log-space form
stays finite.

Run: ``PYTHONPATH=$PWD python benchmarks/far_points.py`` (from the repository root).
"""

from __future__ import annotations

import warnings

import numpy as np

import coalsurv
from coalsurv.backend import kernel, kernel_fast, native, native_fast
from tests.fit.kernel_check import interval_data, reference


def main() -> int:
    warnings.simplefilter("ignore")
    options = {"frailty_centring": "noncentred"}
    data = interval_data(causes=("a",), n=1200, seed=8)
    model, _, info, _ = coalsurv.SurvivalModel(
        "x2 + (1 | h)", family="weibull", cure="g", cure_type="promotion",
        family_options=options).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    fb = native_fast.fast_buffer(kplan, buf)
    ref = reference(model)
    rng = np.random.default_rng(17)
    differ = 0
    for trial in range(40):
        x = rng.normal(scale=1.5, size=kplan.ndim)
        grad = np.empty(kplan.ndim)
        generic = kernel.logp_grad(buf, x, grad)
        fast = kernel_fast.fast_logp_grad(fb, x, grad)
        point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        graph = float(ref(*point)[0])
        if np.isfinite(generic) and np.isfinite(fast) and abs(generic - fast) <= 1e-6 * abs(
                generic):
            continue
        differ += 1
        print(f"point {trial}: generic {generic}, fast {fast}, graph {graph}")
    print(f"{differ} of 40 points differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
