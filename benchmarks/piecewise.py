"""Flexible baseline: coalsurv's piecewise model against PyMC's Poisson trick, fresh processes.

The issue's target: ESS per second (wall clock of a fresh process, compile included) at least
10x PyMC's piecewise-exponential "Poisson trick" with person-period expansion, 20 intervals,
identified baseline. Both fit coalgov (628 governments, 29 countries) with the standard
covariates and a country frailty, 4 chains x 1000 draws after 1000 tuning steps, on the same
19 interior cut points (quantiles of the ending times):

* coalsurv: ``SurvivalModel(..., family="piecewise", family_options={"cuts": cuts})`` (its
  random-walk baseline, sampled by nutpie with the native kernel);
* baseline: one row per government and interval it was at risk in, events ~ Poisson(exposure
  x exp(log_rate[j] + x beta + sd z[country])), independent Normal(0, 3) log rates (identified
  without an intercept), ``pm.sample``.

Min bulk ESS over the coefficients, the frailty SD and the 20 log rates. Run:
``.venv/bin/python benchmarks/piecewise.py``; prints the ratio and writes
``reports/piecewise_benchmark.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import _divergences, _min_ess, _peak_mb, load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_INTERVALS = 20


def _cuts(data) -> list[float]:
    times = np.asarray(data.time)[np.asarray(data.status) == 1]
    return [float(c) for c in np.quantile(times, np.arange(1, N_INTERVALS) / N_INTERVALS)]


def child(kind: str, launched: float) -> dict:
    """One cold fit in this (fresh) process."""
    import warnings

    data, terms, group = load("coalgov")
    cuts = _cuts(data)
    if kind == "coalsurv":
        import coalsurv

        model = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})",
                                       family="piecewise", family_options={"cuts": cuts})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(data, draws=1000, tune=1000, chains=4, random_seed=1,
                            progressbar=False)
        idata = fit.idata
        sampling = idata["posterior"].attrs["sampling_time"]
        # the log rates themselves (intercept + random-walk deviation), as in the baseline
        post = idata["posterior"].to_dataset()
        log_rates = post["intercept"] + post["log_baseline_dev"]
        idata["posterior"] = post.assign(log_rates=log_rates)
        names = ["beta", "log_rates", f"sd_{group}"]
    else:
        import pymc as pm

        X = data.covariates[terms].to_numpy()
        X = (X - X.mean(0)) / X.std(0)
        _, codes = np.unique(data.groups[group].to_numpy(), return_inverse=True)
        t, entry = np.asarray(data.time, float), np.asarray(data.entry, float)
        ended = np.asarray(data.status) == 1
        edges = np.r_[0.0, cuts, np.inf]
        rows, ints, exposure, events = [], [], [], []
        for i in range(data.n):  # person-period expansion
            for j in range(N_INTERVALS):
                lo, hi = max(entry[i], edges[j]), min(t[i], edges[j + 1])
                if hi > lo:
                    rows.append(i)
                    ints.append(j)
                    exposure.append(hi - lo)
                    events.append(int(ended[i] and edges[j] < t[i] <= edges[j + 1]))
        rows, ints = np.asarray(rows), np.asarray(ints)
        scale = float(np.median(t))
        with pm.Model():
            log_rates = pm.Normal("log_rates", 0.0, 3.0, shape=N_INTERVALS)
            beta = pm.Normal("beta", 0.0, 1.0, shape=X.shape[1])
            sd = pm.HalfNormal("sd", 1.0)
            z = pm.Normal("z", 0.0, 1.0, shape=int(codes.max()) + 1)
            eta = log_rates[ints] + pm.math.dot(X[rows], beta) + sd * z[codes[rows]]
            pm.Poisson("d", mu=np.asarray(exposure) / scale * pm.math.exp(eta),
                       observed=np.asarray(events))
            idata = pm.sample(draws=1000, tune=1000, chains=4, random_seed=1,
                              progressbar=False)
        names = ["beta", "log_rates", "sd"]
        sampling = float(idata["sample_stats"].attrs.get(
            "sampling_time", idata["posterior"].attrs.get("sampling_time", np.nan)))
    cold = time.time() - launched
    return {"cold": cold, "sampling": sampling, "ess": _min_ess(idata, names),
            "divergences": _divergences(idata), "peak_mb": _peak_mb(), "n": data.n}


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], float(os.environ["BENCH_LAUNCHED"]))))
        return 0
    results = {}
    load_start = os.getloadavg()
    for kind in ("coalsurv", "baseline"):
        # a first, discarded run fills the on-disk caches (numba for coalsurv's kernel,
        # PyTensor's compile cache for PyMC): the measured run is a user's next session
        for _ in range(2):
            env = {**os.environ, "BENCH_LAUNCHED": str(time.time()), "MPLBACKEND": "Agg"}
            done = subprocess.run([sys.executable, __file__, "--child", kind],
                                  capture_output=True, text=True, env=env, timeout=1800)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        results[kind] = json.loads(line) if line.startswith("{") else {
            "error": done.stderr[-500:]}
        print(kind, json.dumps(results[kind]), flush=True)
    ours, base = results["coalsurv"], results["baseline"]
    lines = ["# Piecewise baseline: coalsurv vs PyMC's Poisson trick", "",
             f"Written by `benchmarks/piecewise.py` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start "
             f"{tuple(round(x, 1) for x in load_start)}, at end "
             f"{tuple(round(x, 1) for x in os.getloadavg())} (2 cores).", "",
             "coalgov, standard covariates + country frailty, 20 intervals (same cuts), "
             "4 chains x 1000 draws after 1000 tuning, each fit in a fresh process (after a "
             "discarded one that fills the on-disk compile caches).", ""]
    if "error" not in ours and "error" not in base:
        ratio = (ours["ess"] / ours["cold"]) / (base["ess"] / base["cold"])
        lines += ["| | cold s | sampling s | min bulk ESS | ESS/s | divergences | peak MB |",
                  "|---|---|---|---|---|---|---|",
                  *(f"| {k} | {r['cold']:.1f} | {r['sampling']:.1f} | {r['ess']:.0f} | "
                    f"{r['ess'] / r['cold']:.1f} | {r['divergences']} | {r['peak_mb']:.0f} |"
                    for k, r in results.items()),
                  "", f"ESS/s ratio coalsurv / Poisson trick: **{ratio:.2f}** (target >= 10).",
                  ""]
    lines += ["```json", json.dumps(results, indent=1), "```", ""]
    text = "\n".join(lines)
    print(text)
    (ROOT / "reports" / "piecewise_benchmark.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
