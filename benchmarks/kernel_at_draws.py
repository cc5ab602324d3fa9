"""The native kernel's gradient at posterior draws of family-table rows (issue 23).

A gradient error shows in NUTS as a low acceptance or a small adapted step size; the kernel
tests check the gradient at random points of small synthetic models. This script checks it
where the sampler actually is: it fits a row's coalsurv model on coalgov (native kernel,
2 chains x 300 draws), takes ``--points`` posterior draws, maps them to the unconstrained
vector the kernel samples, and compares the kernel's gradient (the fast row loop when the row
takes one, else the generic kernel) with

* central finite differences of the kernel's own log density (step ``1e-6`` per coordinate),
* the PyMC graph's gradient (``tests.fit.kernel_check.reference``, the reference).

Prints per row the largest |difference| / (|gradient| + 1) of each comparison and the largest
|log density difference| against the graph.

Run: ``PYTHONPATH=$PWD python benchmarks/kernel_at_draws.py loglogistic gompertz
weibull+interval [--noncentred | --centred]`` (frailty_centring forced; default auto).
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import families  # noqa: E402


def unconstrained(kplan, posterior, chain: int, draw: int) -> np.ndarray:
    """Return the unconstrained vector of one posterior draw (log of positive blocks)."""
    x = np.empty(kplan.ndim)
    for b in kplan.blocks:
        if b.zerosum:
            raise ValueError(f"block {b.name}: zero-sum blocks are not mapped here")
        v = np.asarray(posterior[b.name])[chain, draw].ravel()
        x[b.offset:b.offset + b.size] = np.log(v) if b.log_transformed else v
    return x


def check_row(row: str, n_points: int, seed: int = 3, centring: str | None = None) -> dict:
    from coalsurv.backend import kernel, kernel_fast, native, native_fast
    from tests.fit.kernel_check import reference

    spec = families.make_model(row, centring=centring)
    data, _ = families.load_variant(families.ROWS[row][2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = spec.fit(data, draws=300, tune=300, chains=2, random_seed=seed,
                       progressbar=False)
        model, _, info, _ = spec.build(data)
    kplan, reason = native.plan(model, info, spec.spec.family_options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    fb = native_fast.fast_buffer(kplan, buf)

    def logp_grad(x):
        grad = np.empty(kplan.ndim)
        value = (kernel_fast.fast_logp_grad(fb, x, grad) if fb is not None
                 else kernel.logp_grad(buf, x, grad))
        return value, grad

    ref = reference(model)
    n_free = len(model.free_RVs)
    post = fit.idata["posterior"]
    rng = np.random.default_rng(seed)
    worst = {"fd": 0.0, "graph": 0.0, "logp": 0.0}
    for _ in range(n_points):
        x = unconstrained(kplan, post, int(rng.integers(2)), int(rng.integers(300)))
        value, grad = logp_grad(x)
        h = 1e-6
        fd = np.empty_like(x)
        for j in range(x.size):
            e = np.zeros_like(x)
            e[j] = h
            fd[j] = (logp_grad(x + e)[0] - logp_grad(x - e)[0]) / (2 * h)
        point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        out = ref(*point)
        g_ref = np.concatenate([np.ravel(g) for g in out[1:1 + n_free]])
        worst["fd"] = max(worst["fd"], float(np.max(np.abs(grad - fd) / (np.abs(grad) + 1))))
        worst["graph"] = max(worst["graph"],
                             float(np.max(np.abs(grad - g_ref) / (np.abs(g_ref) + 1))))
        worst["logp"] = max(worst["logp"], abs(value - float(out[0])))
    return {"row": row, "centred": list(info.centred_groups),
            "loop": "fast" if fb is not None else "generic", "ndim": kplan.ndim,
            **{k: f"{v:.1e}" for k, v in worst.items()}}


def main(argv: list[str]) -> int:
    points = 10
    centring = None
    for choice in ("centred", "noncentred"):
        if f"--{choice}" in argv:
            argv, centring = [a for a in argv if a != f"--{choice}"], choice
    for row in argv or ["loglogistic", "gompertz", "weibull+interval", "weibull"]:
        print(check_row(row, points, centring=centring), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
