"""Cost of the smooth tve against the piecewise one: the same data, the same sampler settings.

Data: ``n`` rows, a Weibull baseline (shape 1.2) and log HR(t) = 0.8 - 0.6 log t for a standard
normal ``x`` (inverse transform of the cumulative hazard on a fine grid, no coalsurv code),
uniform censoring. Each model is fitted in its own fresh process (imports and compilation
included) with 4 x ``draws`` draws (CPU seconds of the child process, and wall time), on
the native kernel (``kernel="auto"``) and, with ``--pymc``, also on the PyMC graph
(``kernel="pymc"``) in the same run. Per fit: sampling time, leapfrog steps per draw (mean
``n_steps``), tree depth, ms per leapfrog step, divergences, min bulk ESS. ``--grad`` first
times one log density and gradient of each model on both routes (median at the initial
point). ``uptime``'s load is printed beside the numbers (a shared machine: only ratios
measured side by side mean anything).

Run: ``python benchmarks/tve_speed.py [n] [draws] [--pymc] [--grad]`` (default 1000 rows,
1000 draws). Measured 2026-12-06 on the quiet 2-core machine, both on the PyMC graph:
``tve(x, type='pw', df=4)`` 35 s; ``tve(x)`` had not finished after 400 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

MODELS = ("tve(x, type='pw', df=4)", "tve(x)")


def simulated(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    grid = np.exp(np.linspace(np.log(1e-4), np.log(50.0), 4000))
    t = np.empty(n)
    for i in range(n):
        h = 1.2 * grid ** 0.2 * np.exp(x[i] * (0.8 - 0.6 * np.log(grid)))
        H = np.concatenate([[0.0], np.cumsum(np.diff(grid) * 0.5 * (h[1:] + h[:-1]))])
        e = rng.exponential()
        t[i] = np.interp(e, H, grid) if e < H[-1] else grid[-1]
    c = rng.uniform(0.5, 4.0, n)
    return pd.DataFrame({"d": np.minimum(t, c), "e": np.where(t <= c, "end", "censored"),
                         "x": x})


def _model_and_data(formula: str, n: int):
    import coalsurv

    data = coalsurv.CoalitionData.from_frame(simulated(n), duration="d", event="e",
                                             covariates=["x"], time_unit="years")
    return coalsurv.SurvivalModel(formula, family="weibull"), data


def child(formula: str, n: int, draws: int, kernel: str) -> None:
    warnings.simplefilter("ignore")
    model, data = _model_and_data(formula, n)
    fit = model.fit(data, draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False,
                    kernel=kernel)
    stats = fit.idata["sample_stats"]
    steps = np.asarray(stats["n_steps"], dtype=float)
    sampling = float(fit.idata["posterior"].attrs.get("sampling_time", np.nan))
    # tune steps are not in n_steps: the per-step cost is over the draws' share of the time
    print(f"route {fit.sampler['route']}, sampling {sampling:.1f} s, {steps.mean():.1f} "
          f"leapfrog steps/draw (depth {np.asarray(stats['depth']).mean():.2f}, max "
          f"{int(np.asarray(stats['depth']).max())}), "
          f"{1e3 * sampling / (2 * steps.sum()):.3f} ms/step (tune ~ draws), "
          f"{int(np.asarray(stats['diverging']).sum())} divergent, "
          f"min bulk ESS {fit.summary()['ess_bulk'].min():.0f}, "
          f"tve_sd mean {float(fit.idata['posterior']['tve_sd_x'].mean()):.3f}")


def gradient_times(n: int, repeats: int = 200) -> None:
    """Median time of one log density + gradient on the kernel and on the PyMC graph."""
    from coalsurv.backend import kernel, native

    warnings.simplefilter("ignore")
    for formula in MODELS:
        spec, data = _model_and_data(formula, n)
        model, _, info, _ = spec.build(data)
        kplan, reason = native.plan(model, info, None)
        buf = native.make_buffer(kplan, model)
        x = native.initial_point(kplan)(1)
        grad = np.empty(kplan.ndim)
        kernel.logp_grad(buf, x, grad)
        times = []
        for _ in range(repeats):
            start = time.process_time()
            kernel.logp_grad(buf, x, grad)
            times.append(time.process_time() - start)
        fn = model.logp_dlogp_function(ravel_inputs=True)  # PyTensor's C backend
        fn.set_extra_values({})
        q = np.concatenate([np.ravel(v) for v in model.initial_point(0).values()])
        fn(q)
        slow = []
        for _ in range(max(10, repeats // 10)):
            start = time.process_time()
            fn(q)
            slow.append(time.process_time() - start)
        print(f"{formula}: gradient native {1e3 * np.median(times):.3f} ms, PyMC (C backend) "
              f"{1e3 * np.median(slow):.3f} ms ({np.median(slow) / np.median(times):.0f}x), "
              f"cells {len(kplan.tve_bounds) + 1}, row-cells "
              f"{int(np.sum(buf_cells(kplan, model)))}")


def buf_cells(kplan, model) -> np.ndarray:
    """Cells each row overlaps (the kernel's cost per row and cause)."""
    entry = np.asarray(model.named_vars["entry"].get_value())
    t = np.asarray(model.named_vars["time"].get_value())
    bounds = np.asarray(kplan.tve_bounds)
    return (np.searchsorted(bounds, t, side="left")
            - np.searchsorted(bounds, entry, side="right") + 1)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1000
    draws = int(args[1]) if len(args) > 1 else 1000
    kernels = ("auto", "pymc") if "--pymc" in sys.argv else ("auto",)
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if "--grad" in sys.argv:
        gradient_times(n)
    seconds = {}
    for kernel in kernels:
        for formula in MODELS:
            start, cpu = time.perf_counter(), os.times()
            out = subprocess.run([sys.executable, __file__, "--child", formula, str(n),
                                  str(draws), kernel],
                                 capture_output=True, text=True, check=True).stdout.strip()
            wall = time.perf_counter() - start
            after = os.times()
            # CPU seconds of the child (all its threads): less sensitive to a loaded machine
            seconds[formula, kernel] = (after.children_user + after.children_system
                                        - cpu.children_user - cpu.children_system)
            print(f"{formula} [kernel={kernel}]: {wall:.1f} s wall, "
                  f"{seconds[formula, kernel]:.1f} s CPU, {out}")
            print("  load:", subprocess.run(["uptime"], capture_output=True,
                                            text=True).stdout.strip())
    for kernel in kernels:
        print(f"smooth / piecewise cold CPU time [kernel={kernel}]: "
              f"{seconds[MODELS[1], kernel] / seconds[MODELS[0], kernel]:.2f}x")
    if len(kernels) == 2:
        for formula in MODELS:
            print(f"{formula}: pymc / native cold CPU time "
                  f"{seconds[formula, 'pymc'] / seconds[formula, 'auto']:.1f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
