"""Min bulk ESS of family-table rows over several seeds: coalsurv against plain PyMC (issue 23).

The family table (``families.py``) runs one seed per row, so a row's ESS/s ratio carries the
luck of that seed. This script fits each row's coalsurv model (native kernel, as
``families.child_coalsurv``) and its hand-written plain PyMC baseline (``plain_models``, as
``families.child_plain``) with several seeds, 4 chains x ``--draws`` draws (as many tuning
steps), serially in one process (no timing here: ESS and sampler statistics only), and prints
per fit: the min bulk ESS over the shared parameters and which parameter it is (``ess_by``:
each parameter's min bulk ESS), the bulk ESS of ``sd_cname``, the mean leapfrog steps per
draw (and per-draw tree depth), the adapted step size, the mean acceptance, divergences and ESS
per 1,000 gradients (min ESS / total leapfrog steps: the sampler's efficiency without the cost
of a gradient). Then, per row and side, the median and range over the seeds.

Sides (``--sides``): ``native`` (``SurvivalModel.fit``, kernel auto), ``graph`` (the same
coalsurv model on the PyMC path: nutpie on the compiled PyMC graph), ``plain`` (the plain
model through ``pm.sample``, as the family table; PyMC 6 hands it to nutpie when it can) and
``plain_pymc`` (the plain model with PyMC's own NUTS, ``nuts_sampler="pymc"``),
``native_centred`` / ``native_noncentred`` (the native fit with ``frailty_centring`` forced).

Run (CPU heavy: run it alone and quote ``uptime``)::

    PYTHONPATH=$PWD python benchmarks/ess_seeds.py --rows loglogistic gompertz \
        weibull+interval weibull --seeds 1 2 3 4 5

``--json FILE`` also writes every fit's numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402

#: the family table's shared parameters (``families.child_coalsurv``), ageing and Q added
NAMES = ("beta", "intercept", "shape", "sigma", "scale", "gamma", "ageing", "Q", "sd_cname",
         "beta_mm", "sd_mm", "beta_shape", "rp_slope", "rp_spline", "sd_cname_power_hhi",
         *families.ROWS_SD)


def sampler_stats(idata, names, sd_name: str = "sd_cname") -> dict:
    """Min bulk ESS (and where), the frailty SD's ESS and the NUTS statistics of one fit."""
    import arviz_stats as azs

    names = [n for n in names if n in idata["posterior"]]
    ess = azs.ess(idata, var_names=names, method="bulk")
    worst, where = np.inf, ""
    by = {n: round(float(np.min(np.asarray(ess[n]))), 1) for n in names}
    for n in names:
        v = np.asarray(ess[n]).ravel()
        j = int(np.argmin(v))
        if v[j] < worst:
            worst, where = float(v[j]), f"{n}[{j}]" if v.size > 1 else n
    st = idata["sample_stats"]
    steps = np.asarray(st["n_steps"], dtype=float)
    depth = next((np.asarray(st[k], dtype=float) for k in ("depth", "tree_depth") if k in st),
                 None)
    accept = next((np.asarray(st[k], dtype=float) for k in ("mean_tree_accept",
                                                            "acceptance_rate") if k in st), None)
    return {"ess": round(worst, 1), "min_at": where, "ess_by": by,
            "ess_sd": round(float(np.min(np.asarray(ess[sd_name]))), 1)
            if sd_name in ess else None,
            "steps": round(float(steps.mean()), 2),
            "depth": None if depth is None else round(float(depth.mean()), 2),
            "step_size": round(float(np.asarray(st["step_size"], dtype=float).mean()), 4),
            "accept": None if accept is None else round(float(accept.mean()), 3),
            "div": int(np.asarray(st["diverging"]).sum()),
            "ess_per_kgrad": round(1000.0 * worst / float(steps.sum()), 2),
            "sampler": "nutpie" if "mean_tree_accept" in st or "depth" in st else "pymc"}


def fit_native(row: str, seed: int, draws: int, kernel: str = "auto",
               centring: str | None = None):
    model = families.make_model(row, centring=centring)  # forced: the same model
    data, _ = families.load_variant(families.ROWS[row][2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = families.family_rows.fit_row(model, data, random_seed=seed, draws=draws,
                                           tune=draws, chains=4, progressbar=False,
                                           kernel=kernel)
    return fit.idata, {"kernel": fit.sampler.get("kernel"),
                       "centred": list(fit.info.centred_groups)}


def fit_plain(row: str, npz: str, seed: int, draws: int, sampler: str | None):
    import plain_models
    import pymc as pm

    with np.load(npz) as f:
        d = {k: f[k] for k in f.files}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pm.Model():
            plain_models.builder(families.ROWS[row][3])(d)
            kwargs = {} if sampler is None else {"nuts_sampler": sampler}
            idata = pm.sample(draws=draws, tune=draws, chains=4, random_seed=seed,
                              progressbar=False, compute_convergence_checks=False, **kwargs)
    return idata, {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=["loglogistic", "gompertz",
                                                       "weibull+interval", "weibull"],
                        choices=list(families.ROWS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--sides", nargs="+", default=["native", "plain"],
                        choices=["native", "native_centred", "native_noncentred", "graph",
                                 "plain", "plain_pymc"])
    parser.add_argument("--json", default=None, help="write every fit's numbers here")
    args = parser.parse_args(argv)
    print(f"# load {os.getloadavg()}, draws {args.draws}, seeds {args.seeds}", flush=True)
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for row in args.rows:
            npz = os.path.join(tmp, "row.npz")
            families.export_row(row, npz)
            for side in args.sides:
                for seed in args.seeds:
                    start = time.time()
                    if side.startswith("native") or side == "graph":
                        idata, extra = fit_native(row, seed, args.draws,
                                                  "pymc" if side == "graph" else "auto",
                                                  side.partition("_")[2] or None)
                    else:
                        idata, extra = fit_plain(row, npz, seed, args.draws,
                                                 None if side == "plain" else "pymc")
                    res = {"row": row, "side": side, "seed": seed,
                           **sampler_stats(idata, NAMES), **extra,
                           "s": round(time.time() - start, 1),
                           "load": round(os.getloadavg()[0], 1)}
                    results.append(res)
                    print(json.dumps(res), flush=True)
    print("\n| row | side | min bulk ESS median (range) | min at (count) | sd_cname ESS median "
          "| steps/draw | step size | accept | ESS per 1k gradients median |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in args.rows:
        for side in args.sides:
            rs = [r for r in results if r["row"] == row and r["side"] == side]
            ess = [r["ess"] for r in rs]
            at: dict[str, int] = {}
            for r in rs:
                at[r["min_at"]] = at.get(r["min_at"], 0) + 1
            sd = [r["ess_sd"] for r in rs if r["ess_sd"] is not None]
            print(f"| {row} | {side} | {np.median(ess):.0f} ({min(ess):.0f}-{max(ess):.0f}) "
                  f"| {', '.join(f'{k} ({v})' for k, v in at.items())} "
                  f"| {np.median(sd):.0f} | {np.median([r['steps'] for r in rs]):.1f} "
                  f"| {np.median([r['step_size'] for r in rs]):.3f} "
                  f"| {np.median([r['accept'] or np.nan for r in rs]):.3f} "
                  f"| {np.median([r['ess_per_kgrad'] for r in rs]):.1f} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
