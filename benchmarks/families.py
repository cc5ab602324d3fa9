"""Family table (issue 23): every family and feature on coalgov, coalsurv against plain PyMC.

For each row (a family, or a feature on a family) the model is the coalgov standard one
(run.py's ``COALGOV_TERMS``, a country frailty ``(1 | cname)``), 4 chains x ``--draws`` draws
(as many tuning steps). Each fit runs in a FRESH child process, imports included, like run.py's
``child_coalsurv``:

* **coalsurv** — ``SurvivalModel(...).fit``; ``fit.sampler`` says which kernel ran and why;
* **baseline** — the same model in plain PyMC, ``pm.sample``: ``pm.Censored`` where PyMC has
  the distribution (Exponential, Weibull, LogNormal), a ``pm.CustomDist`` with a censored logp
  otherwise (log-logistic, Gompertz). Feature rows whose plain PyMC version is long to write
  (piecewise, interval censoring, tve) have no baseline: the table says so. The
  ``frailty_centring`` rows share the Weibull PH baseline (non-centred frailty).
* **graph** baseline (rows whose baseline is ``"graph"``: strata, shape covariates, mm()) — the
  same coalsurv model on the PyMC path (``fit(kernel="pymc")``: the built graph compiled by
  numba), so the ratio is exactly what the native kernel saves on that model.

Reported: cold wall time of each process, min bulk ESS over the shared parameters (the
coefficients, the intercept, the family's ancillary parameter, the frailty SD), ESS per second
of cold time, and the ratios coalsurv / baseline.

Run: ``python benchmarks/families.py`` (all rows, 1000 draws: many minutes);
``--draws 100 --only weibull lognormal`` for a quick look; ``--rows`` picks rows by name.
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
from run import SHARED, _min_ess, load, machine  # noqa: E402

GROUP = "cname"
FAMILIES = ["exponential", "weibull", "weibull_aft", "lognormal", "loglogistic", "gompertz",
            "piecewise"]
# row name -> (family, SurvivalModel keyword arguments, data variant, baseline family or None)
ROWS: dict[str, tuple[str, dict, str, str | None]] = {
    "exponential": ("exponential", {}, "plain", "exponential"),
    "weibull": ("weibull", {}, "plain", "weibull"),
    "weibull_aft": ("weibull_aft", {}, "plain", "weibull_aft"),
    "lognormal": ("lognormal", {}, "plain", "lognormal"),
    "loglogistic": ("loglogistic", {}, "plain", "loglogistic"),
    "gompertz": ("gompertz", {}, "plain", "gompertz"),
    "piecewise": ("piecewise", {}, "plain", None),
    "weibull+interval": ("weibull", {}, "interval", None),
    # strata by a grouping that is not a covariate (majority is one: level-confounded)
    "weibull+strata": ("weibull", {"strata": "mwc_g"}, "strata", "graph"),
    "lognormal+strata": ("lognormal", {"strata": "mwc_g"}, "strata", "graph"),
    "weibull+shape": ("weibull", {"shape": "n_parties"}, "plain", "graph"),
    "loglogistic+shape": ("loglogistic", {"shape": "n_parties"}, "plain", "graph"),
    # mm(): the coalition's parties (members table of coalgov), weights share ** gamma
    "weibull+mm(power)": ("weibull", {"mm": "mm(finance + cohesion, weights='power')"},
                          "members", "graph"),
    "weibull+mm(equal)": ("weibull", {"mm": "mm(finance + cohesion)"}, "members", "graph"),
    "weibull+cure": ("weibull", {"cure": "majority"}, "plain", "graph"),
    "lognormal+cure(probit)": ("lognormal", {"cure": "majority", "cure_link": "probit"},
                               "plain", "graph"),
    "weibull+tve": ("weibull", {"tve": True}, "plain", None),
    # native since issue 23's second round: the rp spline, varying slopes (a slope of the first
    # term by country), the piecewise baseline's interval censoring and cure
    "rp": ("rp", {}, "plain", "graph"),
    "rp(odds)": ("rp", {"family_options": {"scale": "odds"}}, "plain", "graph"),
    "weibull+slopes": ("weibull", {"slope": True}, "plain", "graph"),
    "piecewise+interval": ("piecewise", {}, "interval", "graph"),
    "piecewise+cure": ("piecewise", {"cure": "majority"}, "plain", "graph"),
    "weibull+centred": ("weibull", {"family_options": {"frailty_centring": "centred"}}, "plain",
                        "weibull"),
    "weibull+noncentred": ("weibull", {"family_options": {"frailty_centring": "noncentred"}},
                           "plain", "weibull"),
}


# ----------------------------------------------------------------------------- data


def load_variant(variant: str):
    """``(CoalitionData, terms)`` of coalgov, plain or made into a feature's variant."""
    import coalsurv

    data, terms, group = load("coalgov")
    if variant == "plain":
        return data, terms
    frame = data.to_frame().reset_index(drop=True)
    event = next(c for c in ("event", "ended", "status") if c in frame)
    duration = "duration" if "duration" in frame else "time"
    extra: dict = {}
    groups = [group]
    if variant == "interval":
        # events known only to the 30-day window they fell in; the first window starts at
        # day 1, not 0: a lower bound of 0 sends the fit to the PyMC graph ("times at or below
        # zero"), and this row measures the kernel's interval censoring
        ended = frame[event].astype(int) == 1
        lower = np.floor(frame[duration] / 30.0) * 30.0
        frame["lower"] = np.where(ended, np.maximum(lower, 1.0), np.nan)
        frame["upper"] = np.where(ended, lower + 30.0, np.nan)
        extra = {"lower": "lower", "upper": "upper"}
    elif variant == "members":  # the parties with a positive seat share (power weights)
        extra = {"members": data.members[data.members["share"] > 0], "id": "id"}
    elif variant == "strata":  # minimal winning coalitions or not (not a covariate)
        frame["mwc_g"] = np.where(frame["mwc"] > 0, "mwc", "other")
        groups = [group, "mwc_g"]
    data = coalsurv.CoalitionData.from_frame(frame, duration=duration, event=event,
                                             covariates=terms, groups=groups, time_unit="days",
                                             **extra)
    return data, terms


# ----------------------------------------------------------------------------- children


def child_coalsurv(row: str, draws: int, launched: float, kernel: str = "auto") -> dict:
    import warnings

    import coalsurv
    from coalsurv.build.info import var_name

    family, kwargs, variant, _ = ROWS[row]
    kwargs = dict(kwargs)
    data, terms = load_variant(variant)
    fixed = list(terms)
    if kwargs.pop("tve", False):
        fixed[0] = f"tve({fixed[0]})"
    if "mm" in kwargs:
        fixed.append(kwargs.pop("mm"))
    slope = f"1 + {terms[0]}" if kwargs.pop("slope", False) else "1"
    model = coalsurv.SurvivalModel(" + ".join(fixed) + f" + ({slope} | {GROUP})", family=family,
                                   **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=draws, tune=draws, chains=4, progressbar=False,
                        random_seed=1, kernel=kernel)
    cold = time.time() - launched
    post = fit.idata["posterior"]
    shared = [n for n in ("beta", "intercept", "shape", "sigma", "scale", "gamma",
                          f"sd_{GROUP}", "beta_mm", "sd_mm", "beta_shape", "rp_slope",
                          "rp_spline", f"sd_{GROUP}_{var_name(terms[0])}") if n in post]
    sampler = fit.sampler
    return {"cold": cold, "ess": _min_ess(fit.idata, shared), "ess_of": shared,
            "kernel": sampler.get("kernel"), "route": sampler.get("route"),
            "reason": sampler.get("reason"), "n": data.n,
            "divergences": int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum())}


def child_baseline(row: str, draws: int, launched: float) -> dict:
    """Fit the same model in plain PyMC (standardised covariates, time / median time)."""
    import pymc as pm
    import pytensor.tensor as pt

    family = ROWS[row][3]
    data, terms = load_variant("plain")
    X = data.covariates[terms].to_numpy(dtype=float)
    X = (X - X.mean(0)) / X.std(0)
    _, codes = np.unique(data.groups[GROUP].to_numpy(), return_inverse=True)
    t = np.asarray(data.time, dtype=float) / np.median(data.time)
    event = (np.asarray(data.status) == 1).astype(float)
    upper = np.where(event == 1, np.inf, t)
    names = ["beta", "alpha", "sd"]
    with pm.Model():
        beta = pm.Normal("beta", 0, 1, shape=X.shape[1])
        alpha = pm.Normal("alpha", 0, 2.5)
        sd = pm.HalfNormal("sd", 1)
        z = pm.Normal("z", 0, 1, shape=int(codes.max()) + 1)
        eta = alpha + pm.math.dot(X, beta) + sd * z[codes]
        if family == "exponential":  # PH: rate exp(eta)
            dist = pm.Exponential.dist(lam=pm.math.exp(eta))
            pm.Censored("t", dist, lower=None, upper=upper, observed=t)
        elif family in ("weibull", "weibull_aft"):
            shape = pm.LogNormal("shape", 0, 0.5)
            names.append("shape")
            # PH: scale exp(-eta / shape); AFT: scale exp(eta)
            scale = pm.math.exp(-eta / shape) if family == "weibull" else pm.math.exp(eta)
            pm.Censored("t", pm.Weibull.dist(alpha=shape, beta=scale), lower=None, upper=upper,
                        observed=t)
        elif family == "lognormal":
            sigma = pm.HalfNormal("sigma", 1)
            names.append("sigma")
            pm.Censored("t", pm.LogNormal.dist(mu=eta, sigma=sigma), lower=None, upper=upper,
                        observed=t)
        elif family == "loglogistic":  # AFT: scale exp(eta), shape k
            shape = pm.LogNormal("shape", 0, 0.5)
            names.append("shape")

            def logp_ll(value, eta, k, d):
                u = k * (pt.log(value) - eta)
                log_s = -pt.log1p(pt.exp(u))
                log_h = pt.log(k) - pt.log(value) + u + log_s
                return d * log_h + log_s

            pm.CustomDist("t", eta, shape, event, logp=logp_ll, observed=t)
        elif family == "gompertz":  # PH: h = exp(eta + g t)
            g = pm.Normal("gamma", 0, 1)
            names.append("gamma")

            def logp_gz(value, eta, g, d):
                cum = pt.exp(eta) * pt.expm1(g * value) / g
                return d * (eta + g * value) - cum

            pm.CustomDist("t", eta, g, event, logp=logp_gz, observed=t)
        else:
            raise ValueError(f"no plain PyMC baseline for {family!r}")
        idata = pm.sample(draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False)
    cold = time.time() - launched
    return {"cold": cold, "ess": _min_ess(idata, names), "ess_of": names, "n": data.n,
            "divergences": int(np.asarray(idata["sample_stats"]["diverging"]).sum())}


# ----------------------------------------------------------------------------- orchestration


def run_child(args: list[str], timeout: float) -> dict:
    """One measurement in a fresh interpreter of this script (run.py's runner)."""
    return run.run_child(args, timeout, script=__file__)


def _f(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: dict) -> list[str]:
    rows = ["| row | kernel (route) | cold coalsurv s | cold PyMC s | cold ratio "
            "| min bulk ESS (ours / PyMC) | ESS/s (ours / PyMC) | ESS/s ratio "
            "| divergences (ours / PyMC) |", "|" + "---|" * 9]
    for name, res in results.items():
        ours, base = res["coalsurv"], res.get("baseline")
        if "error" in ours:
            rows.append(f"| {name} | error: {ours['error']} |" + " |" * 7)
            continue
        ess_s = ours["ess"] / ours["cold"]
        kernel = f"{ours['kernel']} ({ours['route']})"
        if ours.get("reason"):
            kernel += f": {ours['reason']}"
        if base is None or "error" in base:
            why = "no baseline" if base is None else f"baseline error: {base['error']}"
            rows.append(f"| {name} | {kernel} | {_f(ours['cold'])} | {why} | – "
                        f"| {_f(ours['ess'], 0)} / – | {_f(ess_s, 1)} / – | – "
                        f"| {ours['divergences']} / – |")
            continue
        b_ess_s = base["ess"] / base["cold"]
        rows.append(f"| {name} | {kernel} | {_f(ours['cold'])} | {_f(base['cold'])} "
                    f"| {_f(ours['cold'] / base['cold'])} "
                    f"| {_f(ours['ess'], 0)} / {_f(base['ess'], 0)} "
                    f"| {_f(ess_s, 1)} / {_f(b_ess_s, 1)} | {_f(ess_s / b_ess_s)} "
                    f"| {ours['divergences']} / {base['divergences']} |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="draws (and tuning) per chain")
    parser.add_argument("--rows", nargs="*", choices=list(ROWS), help="rows to run")
    parser.add_argument("--only", nargs="*", choices=FAMILIES,
                        help="families to run (their plain rows and feature rows)")
    parser.add_argument("--no-baseline", action="store_true", help="coalsurv only")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        launched = float(os.environ.get("BENCH_LAUNCHED", time.time()))
        kind, row, draws = args.child
        if kind == "graph":  # the same coalsurv model on the PyMC path
            print(json.dumps(child_coalsurv(row, int(draws), launched, kernel="pymc")))
            return 0
        fn = child_coalsurv if kind == "coalsurv" else child_baseline
        print(json.dumps(fn(row, int(draws), launched)))
        return 0
    if not SHARED.is_dir():
        print(f"coalgov needs the real data at {SHARED}")
        return 2
    rows = list(args.rows or ROWS)
    if args.only:
        # --only names families: their plain rows (feature rows only when --rows names them)
        rows = [r for r in rows if (r in args.only) or (args.rows and ROWS[r][0] in args.only)]
    info = machine()
    print(f"# coalgov, (1 | {GROUP}), 4 chains x {args.draws} draws; {info['cpu']}, "
          f"{info['cores']} cores, load {info['load'][0]:.1f}", flush=True)
    results: dict[str, dict] = {}
    for row in rows:
        res = {"coalsurv": run_child(["coalsurv", row, str(args.draws)], 3600)}
        if ROWS[row][3] is not None and not args.no_baseline:
            kind = "graph" if ROWS[row][3] == "graph" else "baseline"
            res["baseline"] = run_child([kind, row, str(args.draws)], 3600)
        results[row] = res
        print(row, json.dumps(res), flush=True)
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
