"""Ratio benchmarks: coalsurv against a plain PyMC baseline, each fit in a fresh process.

For each data set (coalgov: 628 governments in 29 countries; simulated Weibull PH + frailty
data at N = 10^3, 10^4, 10^5 in 500 groups) and the standard model (Weibull PH, four
covariates, a frailty per group), 4 chains x 1000 draws:

* **cold** — a fresh Python process, imports included, until the fit returns (coalsurv:
  ``SurvivalModel(...).fit``, which also computes the pointwise log likelihood and log prior;
  baseline: a hand-written PyMC model with ``pm.Censored`` and ``pm.sample``);
* **warm** — in the same coalsurv process, a refit of new data of the same structure
  (a bootstrap resample of the rows: what cross-validation, bootstrap and SBC do);
* sampling-only time, min bulk ESS over the top-level parameters, ESS per second of cold wall
  time, divergences, peak resident memory of the process;
* ratios coalsurv / baseline measured in the same run.

Also: the log density + gradient of the Weibull frailty model at N = 10^5, the kernel against
a hand-written NumPy version of the same formula.

Run: ``make bench`` (``.venv/bin/python benchmarks/run.py``); ``--quick`` for 250 draws and the
small data sets only; ``--baseline-max-n`` limits the baseline's simulated sizes (default
10^4: plain PyMC at 10^5 takes many minutes). Prints the table and writes ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TERMS = ["x1", "x2", "x3", "x4"]
COALGOV_TERMS = ["power_hhi", "n_parties", "majority", "ideol_heterogeneity"]


# ----------------------------------------------------------------------------- data


def simulated_frame(n: int, *, groups: int = 500, seed: int = 1):
    """Weibull PH + normal frailty: shape 1.3, four covariates, about 30% censored."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(TERMS)))
    g = rng.integers(0, groups, size=n)
    u = rng.normal(scale=0.5, size=groups)
    eta = -0.5 + X @ np.array([0.4, -0.3, 0.2, 0.0]) + u[g]
    shape = 1.3
    t = (-np.log(rng.uniform(size=n)) / np.exp(eta)) ** (1.0 / shape) * 365.0
    c = rng.uniform(0, 3.0 * np.median(t), size=n)
    frame = pd.DataFrame(X, columns=TERMS)
    frame["duration"] = np.maximum(np.minimum(t, c), 1.0)
    frame["ended"] = (t <= c).astype(int)
    frame["group"] = [f"g{k:03d}" for k in g]
    return frame


def load(name: str, *, resample: int | None = None):
    """``(CoalitionData, terms, group column)`` of a benchmark data set (optionally resampled)."""
    import coalsurv

    if name == "coalgov":
        data = coalsurv.datasets.load_coalgov(SHARED / "coalgov")
        terms, group = COALGOV_TERMS, "cname"
        if resample is not None:
            rows = np.random.default_rng(resample).integers(0, data.n, size=data.n)
            frame = data.to_frame().iloc[rows].reset_index(drop=True)
            frame["id"] = np.arange(len(frame))
            data = _from_simple(frame, terms, group, event=_event_column(frame))
        return data, terms, group
    n = int(name.removeprefix("sim"))
    frame = simulated_frame(n, seed=1 if resample is None else 100 + resample)
    return _from_simple(frame, TERMS, "group"), TERMS, "group"


def _event_column(frame):
    for column in ("event", "ended", "status"):
        if column in frame:
            return column
    raise KeyError(f"no event column among {list(frame.columns)}")


def _from_simple(frame, terms, group, event="ended"):
    import coalsurv

    duration = "duration" if "duration" in frame else "time"
    return coalsurv.CoalitionData.from_frame(frame, duration=duration, event=event,
                                             covariates=terms, groups=[group], time_unit="days")


# ----------------------------------------------------------------------------- one run


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _min_ess(idata, names) -> float:
    import arviz_stats as azs

    ess = azs.ess(idata, var_names=names, method="bulk")
    return min(float(np.min(np.asarray(ess[n]))) for n in names)


def _steps(idata) -> list[float]:
    """Mean leapfrog steps per draw of each chain, warm-up and kept draws together."""
    steps = [np.asarray(idata[g]["n_steps"]) for g in ("warmup_sample_stats", "sample_stats")
             if g in idata.children]
    return [round(float(v), 1) for v in np.concatenate(steps, axis=1).mean(axis=1)]


def _divergences(idata) -> int:
    return int(np.asarray(idata["sample_stats"]["diverging"]).sum())


def child_coalsurv(name: str, draws: int, launched: float, kernel: str,
                   warm: bool = True) -> dict:
    """Cold fit (imports included) and a warm refit of resampled data, in this process."""
    import warnings

    import coalsurv

    data, terms, group = load(name)
    model = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})", family="weibull")
    settings = {"draws": draws, "tune": draws, "chains": 4, "progressbar": False,
                "kernel": kernel}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, random_seed=1, **settings)
    cold = time.time() - launched
    peak = _peak_mb()
    out = {"cold": cold, "sampling": fit.idata["posterior"].attrs["sampling_time"],
           "peak_mb": peak, "kernel": fit.sampler["kernel"], "route": fit.sampler["route"],
           "n": data.n}
    names = ["beta", "intercept", "shape", f"sd_{group}"]
    out.update(ess=_min_ess(fit.idata, names), divergences=_divergences(fit.idata),
               steps=_steps(fit.idata))
    if warm:
        del fit
        new_data, _, _ = load(name, resample=1)
        start = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refit = model.fit(new_data, random_seed=2, **settings)
        out.update(warm=time.time() - start, warm_kernel=refit.sampler["kernel"],
                   warm_sampling=refit.idata["posterior"].attrs["sampling_time"])
    return out


def child_baseline(name: str, draws: int, launched: float) -> dict:
    """Plain PyMC: Weibull PH via ``pm.Censored`` on a Weibull likelihood, ``pm.sample``."""
    import pymc as pm

    data, terms, group = load(name)
    X = data.covariates[terms].to_numpy()
    X = (X - X.mean(0)) / X.std(0)
    _, codes = np.unique(data.groups[group].to_numpy(), return_inverse=True)
    t = np.asarray(data.time) / np.median(data.time)
    event = np.asarray(data.status) == 1
    upper = np.where(event, np.inf, t)
    with pm.Model():
        beta = pm.Normal("beta", 0, 1, shape=X.shape[1])
        alpha = pm.Normal("alpha", 0, 2.5)
        shape = pm.LogNormal("shape", 0, 0.5)
        sd = pm.HalfNormal("sd", 1)
        z = pm.Normal("z", 0, 1, shape=int(codes.max()) + 1)
        eta = alpha + pm.math.dot(X, beta) + sd * z[codes]
        lam = pm.math.exp(-eta / shape)  # Weibull PH: scale = exp(-eta / shape)
        pm.Censored("t", pm.Weibull.dist(alpha=shape, beta=lam), lower=None, upper=upper,
                    observed=t)
        idata = pm.sample(draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False)
    cold = time.time() - launched
    peak = _peak_mb()
    stats = idata["sample_stats"]
    sampling = float(stats.attrs.get("sampling_time", idata["posterior"].attrs.get(
        "sampling_time", np.nan)))
    return {"cold": cold, "sampling": sampling, "ess": _min_ess(idata, ["beta", "alpha",
                                                                         "shape", "sd"]),
            "divergences": _divergences(idata), "steps": _steps(idata), "peak_mb": peak,
            "n": data.n}


def child_logp(n: int = 100_000, repeats: int = 200) -> dict:
    """Kernel log density + gradient vs a hand-written NumPy one (same model, same point)."""
    import coalsurv
    from coalsurv.backend import kernel, native

    data, terms, group = load(f"sim{n}")
    model, _, info, _ = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})",
                                               family="weibull").build(data)
    kplan, reason = native.plan(model, info, {})
    if kplan is None:
        raise RuntimeError(reason)
    buf = native.make_buffer(kplan, model)
    named = model.named_vars
    X = np.asarray(named["X"].get_value())
    tt = np.asarray(named["time"].get_value())
    d = np.asarray(named["event_of"].get_value())[0]
    idx = np.asarray(named[f"idx_{group}"].get_value())
    centre = float(np.asarray(named["intercept_centre"].get_value())[0])
    log_t = np.log(tt)
    x = np.random.default_rng(0).normal(scale=0.3, size=kplan.ndim)
    off = {b.name: b.offset for b in kplan.blocks}
    p, G = X.shape[1], kplan.levels[0]

    # the frailty of 500 well-filled groups is sampled centred (build.info.centred_groups:
    # w = intercept + u ~ Normal(intercept, sd)); a thinner one non-centred (z = u / sd)
    centred = group in info.centred_groups

    def numpy_logp_grad(x):
        a = x[off["intercept_offset"]] + centre
        b = x[off["beta"]:off["beta"] + p]
        k = np.exp(x[off["shape"]])
        sd = np.exp(x[off[f"sd_{group}"]])
        if centred:
            w = x[off[f"w_{group}"]:off[f"w_{group}"] + G]
            eta = X @ b + w[idx]
        else:
            z = x[off[f"z_{group}"]:off[f"z_{group}"] + G]
            eta = a + X @ b + sd * z[idx]
        H = np.exp(k * log_t + eta)
        ll = np.sum(d * (np.log(k) + (k - 1.0) * log_t + eta) - H)
        dl = d - H
        gz = np.bincount(idx, weights=dl, minlength=G)
        g_shape = [np.sum(d * (1.0 / k + log_t) - H * log_t) * k]
        if centred:  # the likelihood's gradient plus the hierarchical prior's w ~ N(a, sd)
            r = (w - a) / sd
            ll += np.sum(-0.5 * r ** 2) - G * np.log(sd)
            grad = np.concatenate([[np.sum(r) / sd], X.T @ dl, g_shape,
                                   [np.sum(r ** 2) - G], gz - r / sd])
        else:
            grad = np.concatenate([[dl.sum()], X.T @ dl, g_shape, [np.sum(gz * z) * sd],
                                   gz * sd])
        return ll, grad

    grad = np.empty(kplan.ndim)
    kernel.logp_grad(buf, x, grad)
    numpy_logp_grad(x)

    def timed(fn, count):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        return (time.perf_counter() - start) / count

    # blocks of the two alternated, the fastest block of each: a shared machine's other jobs
    # slow whichever runs beside them, and the best block is the one they disturbed least
    blocks = 10
    t_kernel, t_numpy = [], []
    for _ in range(blocks):
        t_kernel.append(timed(lambda: kernel.logp_grad(buf, x, grad), repeats // blocks))
        t_numpy.append(timed(lambda: numpy_logp_grad(x), repeats // blocks))
    return {"kernel_ms": 1e3 * min(t_kernel), "numpy_ms": 1e3 * min(t_numpy), "n": n}


# ----------------------------------------------------------------------------- orchestration


def logp_median(runs: int = 5) -> dict:
    """Time the log density in ``runs`` fresh processes; return the run of the median ratio.

    One process's kernel time varies between runs on this machine (1.4-2.0 ms at 10^5 rows,
    bimodal, with NumPy's steady at ~1.0 ms), so one run decides nothing.
    """
    done = [run_child(["logp", "100000"], 900) for _ in range(runs)]
    good = sorted((r for r in done if "error" not in r),
                  key=lambda r: r["kernel_ms"] / r["numpy_ms"])
    if not good:
        return done[0]
    ratios = [round(r["kernel_ms"] / r["numpy_ms"], 2) for r in good]
    return {**good[len(good) // 2], "ratios": ratios}


def run_child(args: list[str], timeout: float, *, script: str = __file__) -> dict:
    """Run one measurement in a fresh interpreter of ``script``; its last output line is JSON."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg",
               BENCH_LAUNCHED=repr(time.time()))
    try:
        out = subprocess.run([sys.executable, script, "--child", *args], capture_output=True,
                             text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        return {"error": " ".join((out.stderr or out.stdout).strip().splitlines()[-1:])}
    return {**json.loads(lines[-1]), "load_1min": round(os.getloadavg()[0], 1)}


def machine() -> dict:
    """CPU, cores, memory, load and versions of this run."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")) / 1024 ** 2
    except (OSError, StopIteration):
        mem = float("nan")
    from importlib.metadata import version

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "load": os.getloadavg(),
            "versions": {p: version(p) for p in ("coalsurv", "pymc", "nutpie", "numba",
                                                  "pytensor")}}


def _fmt(value, digits=2):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(results: dict) -> list[str]:
    """Markdown rows: one per data set."""
    head = ("| data | N | cold coalsurv s | cold PyMC s | cold ratio | warm s | warm / PyMC cold "
            "| sampling s (ours / PyMC) | min bulk ESS (ours / PyMC) | ESS/s (ours / PyMC) "
            "| ESS/s ratio | divergences (ours / PyMC) | peak MB (ours / PyMC) | kernel "
            "| load (ours / PyMC) |")
    rows = [head, "|" + "---|" * 15]
    for name, res in results.items():
        ours, base = res["coalsurv"], res.get("baseline") or {}
        if "error" in ours:
            rows.append(f"| {name} | | error: {ours['error']} |" + " |" * 12)
            continue
        b_cold = base.get("cold")
        ess_s = ours["ess"] / ours["cold"]
        b_ess_s = base["ess"] / base["cold"] if "ess" in base else None
        rows.append(
            f"| {name} | {ours['n']} | {_fmt(ours['cold'])} | {_fmt(b_cold)} "
            f"| {_fmt(ours['cold'] / b_cold if b_cold else None)} | {_fmt(ours.get('warm'))} "
            f"| {_fmt(ours['warm'] / b_cold if b_cold and 'warm' in ours else None)} "
            f"| {_fmt(ours['sampling'])} / {_fmt(base.get('sampling'))} "
            f"| {_fmt(ours['ess'], 0)} / {_fmt(base.get('ess'), 0)} "
            f"| {_fmt(ess_s, 1)} / {_fmt(b_ess_s, 1)} "
            f"| {_fmt(ess_s / b_ess_s if b_ess_s else None)} "
            f"| {ours['divergences']} / {base.get('divergences', '–')} "
            f"| {_fmt(ours['peak_mb'], 0)} / {_fmt(base.get('peak_mb'), 0)} "
            f"| {ours['kernel']} ({ours['route']}) "
            f"| {ours.get('load_1min', '–')} / {base.get('load_1min', '–')} |")
        if "error" in base:
            rows.append(f"| {name} baseline | | error: {base['error']} |" + " |" * 12)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="250 draws, coalgov and 10^3 only")
    parser.add_argument("--baseline-max-n", type=int, default=10_000,
                        help="largest simulated N the plain PyMC baseline runs at")
    parser.add_argument("--sets", nargs="*", default=None,
                        help="data sets (coalgov sim1000 sim10000 sim100000)")
    parser.add_argument("--kernel", default="auto", choices=("auto", "pymc"))
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--from-log", default=None,
                        help="rebuild the table and BENCHMARKS.md from a log of an earlier run "
                             "(its per-data-set lines), measuring only the log density")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.from_log:
        return from_log(Path(args.from_log), Path(args.output), 250 if args.quick else 1000)
    if args.child is not None:
        launched = float(os.environ.get("BENCH_LAUNCHED", time.time()))
        kind, *rest = args.child
        if kind == "coalsurv":
            out = child_coalsurv(rest[0], int(rest[1]), launched, rest[2],
                                 warm=rest[3:] != ["nowarm"])
        elif kind == "baseline":
            out = child_baseline(rest[0], int(rest[1]), launched)
        else:
            out = child_logp(int(rest[0]))
        print(json.dumps(out))
        return 0

    draws = 250 if args.quick else 1000
    sets = args.sets or (["coalgov", "sim1000"] if args.quick else
                         ["coalgov", "sim1000", "sim10000", "sim100000"])
    if "coalgov" in sets and not SHARED.is_dir():
        print(f"coalgov needs the real data at {SHARED}; skipped")
        sets.remove("coalgov")
    info = machine()
    results: dict[str, dict] = {}
    for name in sets:
        n = 628 if name == "coalgov" else int(name.removeprefix("sim"))
        res = {"coalsurv": run_child(["coalsurv", name, str(draws), args.kernel], 1800)}
        if name == "coalgov" or n <= args.baseline_max_n:
            res["baseline"] = run_child(["baseline", name, str(draws)], 1800)
        results[name] = res
        print(name, json.dumps(res), flush=True)
    logp = logp_median()
    info["load_end"] = os.getloadavg()
    rows = table(results)
    print("\n".join(rows))
    if "error" not in logp:
        print(f"log density + gradient at N = 10^5: kernel {logp['kernel_ms']:.2f} ms, "
              f"NumPy {logp['numpy_ms']:.2f} ms (ratio {logp['kernel_ms'] / logp['numpy_ms']:.2f})")
    write_markdown(Path(args.output), info, rows, results, logp, draws)
    return 0


def from_log(log: Path, output: Path, draws: int) -> int:
    """Table and BENCHMARKS.md from the ``name {json}`` lines an earlier run printed."""
    results = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        name, _, rest = line.partition(" ")
        if rest.startswith("{"):
            results[name] = json.loads(rest)
    info = machine()
    logp = logp_median()
    info["load_end"] = os.getloadavg()
    rows = table(results)
    print("\n".join(rows))
    write_markdown(output, info, rows, results, logp, draws)
    return 0


def write_markdown(path: Path, info: dict, rows: list[str], results: dict, logp: dict,
                   draws: int) -> None:
    """BENCHMARKS.md: machine, table, log-density timing and the raw numbers."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`benchmarks/run.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",  # noqa: E501
        "",
        "## Machine",
        f"- CPU: {info['cpu']}, {info['cores']} cores, {info['memory_gb']:.0f} GB memory",
        f"- {info['platform']}, Python {info['python']}",
        f"- load average (1, 5, 15 min) at start {tuple(round(x, 1) for x in info['load'])}, "
        f"at end {tuple(round(x, 1) for x in info['load_end'])} (a shared machine: read ratios)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        "",
        f"## Standard model, 4 chains x {draws} draws (+ {draws} tuning)",
        "Weibull PH + four covariates + a frailty per group. cold: fresh process, imports "
        "included; warm: refit of resampled data in the same process; ESS/s: min bulk ESS per "
        "second of cold wall time. Baseline: plain PyMC with `pm.Censored` and `pm.sample`.",
        "",
        *rows,
        "",
    ]
    if "error" not in logp:
        lines += [f"Log density + gradient at N = 10^5 (500 groups): kernel "
                  f"{logp['kernel_ms']:.2f} ms, hand-written NumPy {logp['numpy_ms']:.2f} ms, "
                  f"ratio {logp['kernel_ms'] / logp['numpy_ms']:.2f} (target <= 1.5); the "
                  f"median of {len(logp.get('ratios', [0]))} fresh processes, whose ratios "
                  f"were {logp.get('ratios')}.", ""]
    lines += ["<details><summary>raw results</summary>", "", "```json",
              json.dumps({"results": results, "logp": logp}, indent=1), "```", "</details>", ""]
    notes = ""
    if path.exists():  # hand-written notes below the marker survive a rerun
        old = path.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            notes = old[old.index(NOTES_MARKER):]
    path.write_text("\n".join(lines) + "\n" + (notes or NOTES_MARKER + "\n"), encoding="utf-8")


NOTES_MARKER = "<!-- notes: kept when make bench rewrites the table above -->"


if __name__ == "__main__":
    raise SystemExit(main())
