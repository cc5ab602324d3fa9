"""The cure/interval fast loop, the generic kernel and the PyMC graph at far points.

Weibull PH with promotion-time cure and interval-censored endings (1,200 rows, the kernel
tests' ``interval_data``), 40 points drawn at ``N(0, 1.5^2)``: prints each point where the
generic kernel, the fast loop and the graph differ (log density beyond 1e-9 relative, or
gradient beyond 1e-6), and how many points each gives ``-inf``.

Before helper branch ``farpt`` (issue 23) 20 of 40 points differed: ``S(L) - S(U)`` as
``logdiffexp(-theta F(L), -theta F(U))`` lost its digits where ``F(L)`` is near 1 (point 10:
row 1112 -36.7085 in the graph and the generic kernel, -36.6568 exact to 14 digits in the fast
loop) and underflowed to ``-inf`` where ``S_u(L)`` does (the fast loop too where its ``D =
theta S_u(L) (1 - e^-dH)`` underflowed). Now all three take ``log S(L) + log(1 - e^-D)``
with ``log D = -lin + log(S_u(L) - S_u(U))`` (``log1mexp_exp``): 0 of 40 differ, none is
``-inf``.

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
    n_free = len(model.free_RVs)
    differ, infinite = 0, {"graph": 0, "generic": 0, "fast": 0}
    for trial in range(40):
        x = rng.normal(scale=1.5, size=kplan.ndim)
        grad, fgrad = np.empty(kplan.ndim), np.empty(kplan.ndim)
        generic = kernel.logp_grad(buf, x, grad)
        fast = kernel_fast.fast_logp_grad(fb, x, fgrad)
        point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        out = ref(*point)
        graph = float(out[0])
        ggrad = np.concatenate([np.ravel(g) for g in out[1:1 + n_free]])
        for name, value in (("graph", graph), ("generic", generic), ("fast", fast)):
            infinite[name] += not np.isfinite(value)
        values = np.array([graph, generic, fast])
        if np.all(np.isfinite(values)) and np.ptp(values) <= 1e-9 * abs(graph) and all(
                np.allclose(g, ggrad, rtol=1e-6, atol=1e-9 * np.abs(ggrad).max())
                for g in (grad, fgrad)):
            continue
        differ += 1
        print(f"point {trial}: generic {generic}, fast {fast}, graph {graph}")
    print(f"{differ} of 40 points differ; -inf points: {infinite}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
