"""Members benchmark (issue 21): cold fits of ``mm()`` models, coalsurv against plain PyMC.

Rows (Weibull PH, 4 chains x ``--draws`` draws + as many tuning steps, each fit in a FRESH
child process, imports included, like ``families.py``):

* ``coalgov-equal`` — ``majority + mm(finance + cohesion, weights='equal') + (1 | cname)``
  on coalgov (628 governments, 2,077 party memberships, 29 countries);
* ``coalgov-power`` — the same with ``weights='power'`` (``share ** gamma``, gamma estimated),
  on the 2,070 memberships with a positive seat share (power weights need ``share > 0``);
* ``sim10000`` — coalsurv only (no baseline): 10^4 coalitions formed from 10^3 recurring
  members, ``coalsurv.simulation.membership.simulate_membership`` (power weights, gamma 1),
  ``z + mm(x, weights='power')``; the scaling question of the issue.

The baseline is the same model in plain PyMC (``pm.Censored(pm.Weibull)``, ``pm.sample``),
with coalsurv's default priors (coefficients Normal(0, 1) per SD, shape LogNormal(0, 0.5),
SDs HalfNormal(1), gamma HalfNormal(1.5)), standardised covariates (member covariates over
the membership rows) and time / median time. The table reports which route coalsurv took
(``fit.sampler``: the native kernel, or the PyMC graph and why), cold wall times and their
ratio, min bulk ESS over the shared parameters and ESS per second of cold time.

Run: ``python benchmarks/members.py`` (all rows); ``--rows coalgov-equal --draws 300`` for a
quick look; ``--no-baseline``; ``--grad --rows coalgov-equal coalgov-power``: only the time of
one native-kernel log density and gradient per row (no sampling; the generic kernel and,
where it takes the model, the fast row loop, side by side); ``--centring centred`` (or
``noncentred``): coalsurv's member effects forced to that form (``mm(..., centring=)``; the
default ``auto`` is the data rule); ``--seed``. Each row prints the load (``uptime``) and the
bulk ESS of every shared parameter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402
from run import SHARED, _min_ess, machine  # noqa: E402

FORMULA = "majority + mm(finance + cohesion, weights='{w}') + (1 | cname)"
# row -> (weights, data set, has a baseline)
ROWS: dict[str, tuple[str, str, bool]] = {
    "coalgov-equal": ("equal", "coalgov", True),
    "coalgov-power": ("power", "coalgov", True),
    "sim10000": ("power", "sim10000", False),
}
SHARED_NAMES = ("beta", "intercept", "shape", "sd_cname", "sd_mm", "beta_mm", "gamma")


def load_row(row: str, centring: str = "auto"):
    """``(CoalitionData, formula)`` of a row (``centring``: the mm() term's option)."""
    import coalsurv
    from coalsurv.datasets.coalgov import coalgov_governments

    weights, source, _ = ROWS[row]
    if source == "sim10000":
        from coalsurv.simulation.membership import simulate_membership

        data, _ = simulate_membership(10_000, 1_000, gamma=1.0, seed=1)
        return data, _centring(f"z + mm(x, weights='{weights}')", centring)
    gov, members = coalgov_governments(SHARED / "coalgov", return_members=True)
    if weights == "power":
        members = members[members["share"] > 0]
    frame = gov.reset_index()[["gid", "dur_wkb", "ending", "majority", "cname"]]
    data = coalsurv.CoalitionData.from_frame(
        frame, duration="dur_wkb", event="ending", id="gid", censored="censored",
        causes=["conflict"], covariates=["majority"], groups=["cname"], members=members,
        time_unit="days")
    return data, _centring(FORMULA.format(w=weights), centring)


def _centring(formula: str, centring: str) -> str:
    """Return the formula with ``centring=`` in its mm() term (unchanged for ``auto``)."""
    if centring == "auto":
        return formula
    return formula.replace("')", f"', centring='{centring}')", 1)


def child_coalsurv(row: str, draws: int, launched: float, centring: str = "auto",
                   seed: int = 1) -> dict:
    import warnings

    import coalsurv

    data, formula = load_row(row, centring)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = coalsurv.SurvivalModel(formula).fit(data, draws=draws, tune=draws, chains=4,
                                                  progressbar=False, random_seed=seed)
    cold = time.time() - launched
    # after the cold time: only the ESS below needs it (the fit does not; 0.7 s of CPU)
    import arviz_stats as azs

    post = fit.idata["posterior"]
    shared = [n for n in SHARED_NAMES if n in post]
    sampler = fit.sampler
    each = azs.ess(fit.idata, var_names=shared, method="bulk")
    return {"cold": cold, "ess": _min_ess(fit.idata, shared), "ess_of": shared,
            "ess_each": {n: round(float(np.min(np.asarray(each[n])))) for n in shared},
            "formula": formula, "centred": bool(fit.info.members.get("centred")),
            "steps": float(np.asarray(fit.idata["sample_stats"]["n_steps"]).mean()),
            "kernel": sampler.get("kernel"), "route": sampler.get("route"),
            "reason": sampler.get("reason"), "n": data.n,
            "memberships": int(len(data.members)),
            "divergences": int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum())}


def child_baseline(row: str, draws: int, launched: float, centring: str = "auto",
                   seed: int = 1) -> dict:
    """Fit the same model in plain PyMC (standardised covariates, time / median time)."""
    import pandas as pd
    import pymc as pm
    import pytensor.tensor as pt

    weights = ROWS[row][0]
    data, _ = load_row(row)
    x = data.covariates["majority"].to_numpy(dtype=float)
    x = (x - x.mean()) / x.std()
    _, country = np.unique(data.groups["cname"].to_numpy(), return_inverse=True)
    t = np.asarray(data.time, dtype=float) / np.median(data.time)
    event = (np.asarray(data.status) == 1).astype(float)
    upper = np.where(event == 1, np.inf, t)
    mb = data.members
    coal = pd.Index(data.ids).get_indexer(mb["id"])
    member = pd.factorize(mb["member"].astype(str), sort=True)[0]
    M = mb[["finance", "cohesion"]].to_numpy(dtype=float)
    M = (M - M.mean(0)) / M.std(0)
    share = mb["share"].to_numpy(dtype=float)
    n = len(t)
    names = ["beta", "intercept", "shape", "sd_cname", "sd_mm", "beta_mm"]
    with pm.Model():
        beta = pm.Normal("beta", 0, 1)
        intercept = pm.Normal("intercept", np.log(event.sum() / t.sum()), 1)
        shape = pm.LogNormal("shape", 0, 0.5)
        sd_c = pm.HalfNormal("sd_cname", 1)
        z_c = pm.Normal("z_cname", 0, 1, shape=int(country.max()) + 1)
        sd_m = pm.HalfNormal("sd_mm", 1)
        z_m = pm.Normal("z_mm", 0, 1, shape=int(member.max()) + 1)
        beta_m = pm.Normal("beta_mm", 0, 1, shape=2)
        if weights == "power":
            gamma = pm.HalfNormal("gamma", 1.5)
            names.append("gamma")
            raw = pt.exp(gamma * np.log(share))
        else:
            raw = pt.ones(len(share))
        w = raw / pt.zeros(n)[coal].inc(raw)[coal]
        theta = pt.zeros(n)[coal].inc(w * (pt.dot(M, beta_m) + sd_m * z_m[member]))
        eta = intercept + beta * x + sd_c * z_c[country] + theta
        dist = pm.Weibull.dist(alpha=shape, beta=pt.exp(-eta / shape))
        pm.Censored("t", dist, lower=None, upper=upper, observed=t)
        idata = pm.sample(draws=draws, tune=draws, chains=4, random_seed=seed,
                          progressbar=False)
    cold = time.time() - launched
    return {"cold": cold, "ess": _min_ess(idata, names), "ess_of": names, "n": n,
            "divergences": int(np.asarray(idata["sample_stats"]["diverging"]).sum())}


def gradient_cost(rows, repeats: int = 2000) -> dict[str, tuple[float, float | None]]:
    """Microseconds per log density and gradient (best of 5 x ``repeats``) per row.

    ``(generic kernel, fast row loop)``; the second None when the fast loop does not take
    the model (``native_fast.fast_reason``). Timed side by side in one process.
    """
    import coalsurv
    from coalsurv.backend import kernel, kernel_fast, native, native_fast

    def best_of(fn, buf, x, grad):
        fn(buf, x, grad)  # compile / load the cache
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(repeats):
                fn(buf, x, grad)
            best = min(best, (time.perf_counter() - start) / repeats * 1e6)
        return best

    out = {}
    for row in rows:
        data, formula = load_row(row)
        model, _, info, _ = coalsurv.SurvivalModel(formula).build(data)
        kplan, reason = native.plan(model, info, {})
        if kplan is None:
            raise SystemExit(f"{row}: no native kernel ({reason})")
        buf = native.make_buffer(kplan, model)
        x = np.random.default_rng(1).normal(scale=0.3, size=kplan.ndim)
        grad = np.empty(kplan.ndim)
        fb = native_fast.fast_buffer(kplan, buf)
        out[row] = (best_of(kernel.logp_grad, buf, x, grad),
                    None if fb is None else best_of(kernel_fast.fast_logp_grad, fb, x, grad))
    return out


def _uptime() -> str:
    """``uptime``'s load averages (1, 5, 15 min)."""
    return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _f(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: dict) -> list[str]:
    rows = ["| row | N (memberships) | kernel (route) | cold coalsurv s | cold PyMC s "
            "| cold ratio | min bulk ESS (ours / PyMC) | ESS/s (ours / PyMC) | ESS/s ratio "
            "| divergences (ours / PyMC) |", "|" + "---|" * 10]
    for name, res in results.items():
        ours, base = res["coalsurv"], res.get("baseline")
        if "error" in ours:
            rows.append(f"| {name} | error: {ours['error']} |" + " |" * 8)
            continue
        size = f"{ours['n']} ({ours['memberships']})"
        kernel = f"{ours['kernel']} ({ours['route']})"
        if ours.get("reason"):
            kernel += f": {ours['reason']}"
        ess_s = ours["ess"] / ours["cold"]
        if base is None or "error" in base:
            why = "no baseline" if base is None else f"baseline error: {base['error']}"
            rows.append(f"| {name} | {size} | {kernel} | {_f(ours['cold'])} | {why} | – "
                        f"| {_f(ours['ess'], 0)} / – | {_f(ess_s, 1)} / – | – "
                        f"| {ours['divergences']} / – |")
            continue
        b_ess_s = base["ess"] / base["cold"]
        rows.append(f"| {name} | {size} | {kernel} | {_f(ours['cold'])} | {_f(base['cold'])} "
                    f"| {_f(ours['cold'] / base['cold'])} "
                    f"| {_f(ours['ess'], 0)} / {_f(base['ess'], 0)} "
                    f"| {_f(ess_s, 1)} / {_f(b_ess_s, 1)} | {_f(ess_s / b_ess_s)} "
                    f"| {ours['divergences']} / {base['divergences']} |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="draws (and tuning) per chain")
    parser.add_argument("--rows", nargs="*", choices=list(ROWS), help="rows to run")
    parser.add_argument("--no-baseline", action="store_true", help="coalsurv only")
    parser.add_argument("--grad", action="store_true",
                        help="only time one native-kernel gradient per row (microseconds)")
    parser.add_argument("--centring", choices=["auto", "centred", "noncentred", "rotation"],
                        default="auto",
                        help="mm(..., centring=) of coalsurv's fits (default: the data rule)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of every fit")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        launched = float(os.environ.get("BENCH_LAUNCHED", time.time()))
        kind, row, draws, centring, seed = args.child
        fn = child_coalsurv if kind == "coalsurv" else child_baseline
        print(json.dumps(fn(row, int(draws), launched, centring, int(seed))))
        return 0
    rows = list(args.rows or ROWS)
    if args.grad:
        print(f"# load {os.getloadavg()[0]:.1f}")
        for row, (generic, fast) in gradient_cost(rows).items():
            print(f"{row}: {generic:.1f} us per log density and gradient (generic kernel)"
                  + ("" if fast is None else f", {fast:.1f} us (fast row loop), fast / generic "
                     f"{fast / generic:.3f}"))
        print(f"# load after {os.getloadavg()[0]:.1f}")
        return 0
    if any(ROWS[r][1] == "coalgov" for r in rows) and not SHARED.is_dir():
        print(f"coalgov needs the real data at {SHARED}")
        return 2
    info = machine()
    print(f"# mm() rows, 4 chains x {args.draws} draws, centring={args.centring}, seed "
          f"{args.seed}; {info['cpu']}, {info['cores']} cores, load {info['load'][0]:.1f}",
          flush=True)
    results: dict[str, dict] = {}
    extra = [args.centring, str(args.seed)]
    for row in rows:
        print(f"# {row}: uptime before: {_uptime()}", flush=True)
        res = {"coalsurv": run.run_child(["coalsurv", row, str(args.draws), *extra], 3600,
                                         script=__file__)}
        if ROWS[row][2] and not args.no_baseline:
            res["baseline"] = run.run_child(["baseline", row, str(args.draws), *extra], 3600,
                                            script=__file__)
        results[row] = res
        print(row, json.dumps(res), flush=True)
        print(f"# {row}: uptime after: {_uptime()}", flush=True)
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
