"""Rotated against non-centred member effects on coalgov (issue 21, ``mm(centring=)``).

Parties nested in countries: ``majority + mm(finance + cohesion, weights=...) + (1 | cname)``
(``members.py``'s rows ``coalgov-equal`` / ``coalgov-power``), fitted by coalsurv on the native
kernel with ``centring="rotation"`` (what ``"auto"`` picks there) and ``"noncentred"``
(the form before), alternately in one process, per seed. Prints per fit: the bulk ESS of
``sd_cname``, ``sd_mm`` and the minimum over the summary parameters, the gradient
evaluations (sum of nutpie's ``n_steps`` over the kept draws), ESS per 1,000 gradients
(load-free), the fit's wall time, nutpie's sampling time, the row loop and the load; then
the means over seeds and the ratio rotation / non-centred.

Run: ``python benchmarks/member_rotation.py coalgov-power --seeds 1 2 3 4`` (``--draws``,
default 1000 draws + 1000 tuning steps, 4 chains); ``--grad``: only the microseconds per call
of the two forms' log-density callbacks on the fast row loop, side by side (:func:`grad`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import members  # noqa: E402

FORMS = ("rotation", "noncentred")


def one(row: str, form: str, seed: int, draws: int) -> dict:
    """Fit ``row`` in ``form`` once; return its ESS, gradient count and time."""
    import coalsurv

    data, formula = members.load_row(row, form)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = coalsurv.SurvivalModel(formula).fit(data, draws=draws, tune=draws, chains=4,
                                                  random_seed=seed, progressbar=False)
    wall = time.perf_counter() - start
    assert fit.info.members["centring"] == form, fit.info.members
    s = fit.summary().set_index("parameter")
    grads = int(np.asarray(fit.idata["sample_stats"]["n_steps"]).sum())
    ess = s["ess_bulk"]
    sd = {k: float(ess[[p for p in ess.index if p.startswith(k)]].min())
          for k in ("sd_cname", "sd_mm")}
    return {"row": row, "form": form, "seed": seed, "min_ess": float(ess.min()),
            "min_at": str(ess.idxmin()), **sd, "grads": grads,
            "ess_per_1000_grads": 1000.0 * float(ess.min()) / grads,
            "wall_s": round(wall, 2),
            "sampling_s": round(float(fit.idata["posterior"].attrs.get("sampling_time",
                                                                     np.nan)), 2),
            "kernel": fit.sampler.get("kernel"),
            "row_loop": fit.idata["posterior"].attrs.get("coalsurv_row_loop"),
            "load": os.getloadavg()[0]}


def grad(row: str, rounds: int = 5, calls: int = 2000) -> dict:
    """Microseconds per log-density call nutpie makes (the fast loop's C callback), per form.

    The rotated callback on ``[fast buffer | section]`` against the non-centred model's
    callback, alternating, the fastest of ``rounds`` blocks of ``calls`` calls each (wall).
    """
    import coalsurv
    from coalsurv.backend import native, native_fast, nutpie_model
    from coalsurv.backend.kernel_fast import LOGP_FAST_CFUNC
    from coalsurv.backend.plan_rotation import rotation_section

    setups = {}
    for form in FORMS:
        data, formula = members.load_row(row, form)
        model, _, info, _ = coalsurv.SurvivalModel(formula).build(data)
        kplan, reason = native.plan(model, info, {})
        buf = native.make_buffer(kplan, model)
        fb = native_fast.fast_buffer(kplan, buf)
        assert kplan is not None and fb is not None, reason
        if form == "rotation":
            setups[form] = (nutpie_model._rotation_callback(True),
                            np.concatenate([fb, rotation_section(kplan)]), kplan.ndim)
        else:
            setups[form] = (LOGP_FAST_CFUNC, fb, kplan.ndim)
    best = {form: np.inf for form in setups}
    for _ in range(rounds):
        for form, (callback, data, ndim) in setups.items():
            x = np.random.default_rng(1).normal(scale=0.3, size=ndim)
            g = np.empty(ndim)
            nutpie_model._call_callback(callback, data, x, g)
            start = time.perf_counter()
            for _ in range(calls):
                nutpie_model._call_callback(callback, data, x, g)
            best[form] = min(best[form], (time.perf_counter() - start) / calls * 1e6)
    return {"row": row, **{f"{k}_us": round(v, 1) for k, v in best.items()},
            "ratio": round(best["rotation"] / best["noncentred"], 3),
            "load": os.getloadavg()[0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=["coalgov-equal", "coalgov-power"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--grad", action="store_true",
                        help="only time the log-density callbacks (grad())")
    args = parser.parse_args(argv)
    if args.grad:
        print(json.dumps(grad(args.row)))
        return 0
    results = []
    for seed in args.seeds:
        for form in (FORMS if seed % 2 else FORMS[::-1]):  # alternate which goes first
            results.append(one(args.row, form, seed, args.draws))
            print(json.dumps(results[-1]), flush=True)
    for key in ("min_ess", "sd_cname", "sd_mm", "ess_per_1000_grads", "wall_s", "sampling_s"):
        mean = {f: float(np.mean([r[key] for r in results if r["form"] == f])) for f in FORMS}
        print(f"{key}: rotation {mean['rotation']:.1f}, noncentred {mean['noncentred']:.1f}, "
              f"ratio {mean['rotation'] / mean['noncentred']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
