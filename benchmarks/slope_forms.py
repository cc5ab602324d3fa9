"""The weibull+slopes row's varying slope centred or not: min bulk ESS over seeds (issue 23).

coalsurv samples a varying slope ``(1 + power_hhi | cname)`` non-centred (``v = sd z``,
``build/graph.py``) whatever ``frailty_centring`` says; ``frailty_centring="auto"`` centres
coalgov's country intercept (``build.info.centred_groups``). This script asks whether the
slope should follow: it fits the family-table row's arrays (``families.export_row``) as a
plain PyMC model in four forms, the same posterior each (the intercept ``C``entred on the
overall intercept, ``w ~ Normal(intercept, sd)``, or ``N``on-centred; then the slope centred,
``v ~ Normal(0, sd_slope)``, or not), with nutpie through ``pm.sample``, 4 chains x
``--draws`` draws (as many tuning steps), serially, and prints per fit the min bulk ESS
over the family table's shared parameters (``ess_seeds.sampler_stats``: where, each
parameter's, steps per draw, divergences) and the slope SD's posterior mean; then per form
the median and range over the seeds. ``CN`` is coalsurv's native form, ``NN`` the plain
baseline's. Two per-level forms keep the intercept centred: ``CP`` partially non-centred
(Papaspiliopoulos, Roberts and Skold 2003: ``v_j = sd^(1 - a_j) t_j``, ``t_j ~ Normal(0,
sd^a_j)``, ``a_j = I_j s2 / (1 + I_j s2)``) and ``CM`` each level centred where ``I_j s2 >=
1.5`` (the intercept rule's threshold, ``build.info.CENTRE_MIN_INFORMATION``), with ``I_j``
the slope's information below and ``s2`` = ``--slope-variance`` (default 0.12, about the
posterior's ``sd_cname_power_hhi^2``: an oracle value, to see whether any per-level form
could help).

The slope's information per level (``--info``): the events of each level weighted by the
squared standardised slope column, ``sum_i d_i x_i^2`` (the intercept's analogue is the events
per level).

Run (CPU heavy: run it alone and quote ``uptime``)::

    PYTHONPATH=$PWD python benchmarks/slope_forms.py --forms CC --seeds 1 2 3 4 5 6
    PYTHONPATH=$PWD python benchmarks/slope_forms.py --info
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402
import plain_models  # noqa: E402
from ess_seeds import NAMES, sampler_stats  # noqa: E402

ROW = "weibull+slopes"


def build(d: dict, intercept_centred: bool, slope: str, s2: float = 0.12) -> None:
    """Build the row's Weibull PH (plain_models_more.model_slopes) in one of the forms.

    ``slope``: ``"C"`` centred, ``"N"`` non-centred, ``"P"`` / ``"M"`` per level (partial /
    mixed, from the slope information times ``s2``).
    """
    import pymc as pm

    X, idx = d["X"], d["idx_cname"]
    n_levels = int(idx.max()) + 1
    offset = pm.Normal("intercept_offset", 0.0, 1.0)
    intercept = pm.Deterministic("intercept", offset + float(d["intercept_centre"]))
    beta = pm.Normal("beta", 0.0, 1.0, shape=X.shape[1])
    sd = pm.HalfNormal("sd_cname", 1.0)
    if intercept_centred:
        u = pm.Normal("w_cname", intercept, sd, shape=n_levels) - intercept
    else:
        u = sd * pm.Normal("z_cname", 0.0, 1.0, shape=n_levels)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    sd_slope = pm.HalfNormal("sd_cname_power_hhi", 1.0)
    if slope == "C":
        v = pm.Normal("v_cname_power_hhi", 0.0, sd_slope, shape=n_levels)
    elif slope in "PM":
        score = slope_information(d) * s2
        a = score / (1.0 + score) if slope == "P" else (score >= 1.5).astype(float)
        v = sd_slope ** (1.0 - a) * pm.Normal("t_cname_power_hhi", 0.0, sd_slope ** a,
                                                shape=n_levels)
    else:
        v = sd_slope * pm.Normal("z_cname_power_hhi", 0.0, 1.0, shape=n_levels)
    eta = intercept + pm.math.dot(X, beta) + u[idx] + v[idx] * X[:, 0]
    plain_models.weibull_censored(d, shape, eta)


def slope_information(d: dict) -> np.ndarray:
    """``sum_i d_i x_i^2`` per level: the events weighted by the squared slope column."""
    idx, x = d["idx_cname"], d["X"][:, 0]
    return np.bincount(idx, weights=d["event_of"] * x * x, minlength=int(idx.max()) + 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", nargs="+", default=["CC", "CN"],
                        choices=["CC", "CN", "NC", "NN", "CP", "CM"])
    parser.add_argument("--slope-variance", type=float, default=0.12,
                        help="s2 of the per-level forms CP and CM")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--info", action="store_true", help="the slope's information only")
    args = parser.parse_args(argv)
    import pymc as pm

    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "row.npz")
        families.export_row(ROW, npz)
        with np.load(npz) as f:
            d = {k: f[k] for k in f.files}
    if args.info:
        info = slope_information(d)
        events = np.bincount(d["idx_cname"], weights=d["event_of"])
        print(f"levels {info.size}; events per level mean {events.mean():.1f}; slope "
              f"information per level mean {info.mean():.1f}, 10th percentile "
              f"{np.quantile(info, 0.1):.2f}")
        return 0
    print(f"# load {os.getloadavg()}, draws {args.draws}, seeds {args.seeds}", flush=True)
    results = []
    for form in args.forms:
        for seed in args.seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pm.Model():
                    build(d, form[0] == "C", form[1], args.slope_variance)
                    idata = pm.sample(draws=args.draws, tune=args.draws, chains=4,
                                      random_seed=seed, progressbar=False,
                                      compute_convergence_checks=False)
            res = {"form": form, "seed": seed, **sampler_stats(idata, NAMES),
                   "sd_slope_mean": round(float(
                       idata["posterior"]["sd_cname_power_hhi"].mean()), 3),
                   "load": round(os.getloadavg()[0], 1)}
            results.append(res)
            print(json.dumps(res), flush=True)
    print("\n| form | min bulk ESS median (range) | sd_cname_power_hhi ESS median | steps/draw "
          "| divergences |")
    print("|---|---|---|---|---|")
    for form in args.forms:
        rs = [r for r in results if r["form"] == form]
        ess = [r["ess"] for r in rs]
        print(f"| {form} | {statistics.median(ess):.0f} ({min(ess):.0f}-{max(ess):.0f}) "
              f"| {statistics.median(r['ess_by']['sd_cname_power_hhi'] for r in rs):.0f} "
              f"| {statistics.median(r['steps'] for r in rs):.1f} "
              f"| {sum(r['div'] for r in rs)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
