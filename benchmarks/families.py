"""Family table (issue 23): every family and feature on coalgov, coalsurv against plain PyMC.

For each row (a family, or a feature on a family) the model is the coalgov standard one
(run.py's ``COALGOV_TERMS``, a country frailty ``(1 | cname)``), 4 chains x ``--draws`` draws
(as many tuning steps). Each fit runs in a FRESH child process, imports included, like run.py's
``child_coalsurv``:

* **coalsurv** — ``SurvivalModel(...).fit``; ``fit.sampler`` says which kernel ran and why;
  then, in the same process, the **warm** refit: the same ``SurvivalModel`` fitted again on new
  data of the same shape (every duration times U(0.9, 1.1); what cross-validation, bootstrap
  and SBC do; the native kernel swaps the data buffer, the PyMC path reuses its compiled model);
* **baseline** — the same model written by hand in plain PyMC and run with ``pm.sample``
  (``plain_models.BUILDERS`` and ``plain_models_more.BUILDERS``: ``pm.Censored`` where PyMC has
  the distribution, a ``pm.CustomDist`` or ``pm.Potential`` with an explicit log density
  otherwise), on the arrays
  of coalsurv's built model exported before the timing (``plain_models.export``). The
  ``frailty_centring`` rows share the Weibull PH baseline (non-centred frailty);
* **graph** baseline (a row whose baseline is ``"graph"``; none since every row got a
  hand-written model) — the same coalsurv model on the PyMC path (``fit(kernel="pymc")``).

Reported: cold wall time of each process, warm refit time (and / the baseline's cold time), min
bulk ESS over the shared parameters, ESS per second of cold time, divergences, the ratios
coalsurv / baseline, and "same model": the largest |posterior mean difference| / posterior SD
over the shared parameters (``plain_models.agreement``; <= 0.2 says the two are one model).
The table is printed and written to ``--output`` (default ``reports/families_benchmark.md``).

Run: ``make bench-families`` (all rows, 1000 draws: an hour on 2 quiet cores);
``python benchmarks/families.py --draws 300 --rows weibull weibull+cure`` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import family_rows  # noqa: E402
import run  # noqa: E402
from run import SHARED, _min_ess, load, machine  # noqa: E402

GROUP = "cname"
#: the frailty SDs of the rows of family_rows (a second factor; the multi-state row's country)
ROWS_SD = ("sd_decade", "sd_cname__decade", "sd_country")
#: the varying slope's SD of the weibull+slopes row (``(1 + power_hhi | cname)``): counted in
#: the min ESS and compared on both sides (the plain baseline names it the same)
SLOPE_SD = f"sd_{GROUP}_{run.COALGOV_TERMS[0]}"
#: the parameters whose min bulk ESS the table compares, the same list on both sides (those a
#: row's posterior has): until the ninth session the plain side's list lacked the slope's SD
#: and the rp spline's ``rp_slope`` / ``rp_spline``
ESS_NAMES = ("beta", "intercept", "shape", "sigma", "scale", "gamma", f"sd_{GROUP}", "beta_mm",
             "sd_mm", "beta_shape", "rp_slope", "rp_spline", SLOPE_SD, *ROWS_SD)
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
    "piecewise": ("piecewise", {}, "plain", "piecewise"),
    "weibull+interval": ("weibull", {}, "interval", "weibull+interval"),
    # strata by a grouping that is not a covariate (majority is one: level-confounded)
    "weibull+strata": ("weibull", {"strata": "mwc_g"}, "strata", "weibull+strata"),
    "lognormal+strata": ("lognormal", {"strata": "mwc_g"}, "strata", "lognormal+strata"),
    "weibull+shape": ("weibull", {"shape": "n_parties"}, "plain", "weibull+shape"),
    "loglogistic+shape": ("loglogistic", {"shape": "n_parties"}, "plain", "loglogistic+shape"),
    # mm(): the coalition's parties (members table of coalgov), weights share ** gamma
    "weibull+mm(power)": ("weibull", {"mm": "mm(finance + cohesion, weights='power')"},
                          "members", "weibull+mm(power)"),
    "weibull+mm(equal)": ("weibull", {"mm": "mm(finance + cohesion)"}, "members",
                          "weibull+mm(equal)"),
    "weibull+cure": ("weibull", {"cure": "majority"}, "plain", "weibull+cure"),
    "lognormal+cure(probit)": ("lognormal", {"cure": "majority", "cure_link": "probit"},
                               "plain", "lognormal+cure(probit)"),
    "weibull+tve": ("weibull", {"tve": True}, "plain", "weibull+tve"),
    # the piecewise-constant tve (type="pw"): the form a plain PyMC model writes by hand
    "weibull+tve(pw)": ("weibull", {"tve": "pw"}, "plain", "weibull+tve(pw)"),
    "gamma": ("gamma", {}, "plain", "gamma"),
    "gengamma": ("gengamma", {}, "plain", "gengamma"),
    "rp": ("rp", {}, "plain", "rp"),
    # native since issue 23's second round: the rp odds scale, varying slopes (a slope of the
    # first term by country), the piecewise baseline's interval censoring and cure
    "rp(odds)": ("rp", {"family_options": {"scale": "odds"}}, "plain", "rp(odds)"),
    "weibull+slopes": ("weibull", {"slope": True}, "plain", "weibull+slopes"),
    "piecewise+interval": ("piecewise", {}, "interval", "piecewise+interval"),
    "piecewise+cure": ("piecewise", {"cure": "majority"}, "plain", "piecewise+cure"),
    # issue 23's remaining features (benchmarks/family_rows.py: data variants and models;
    # plain_models_rows.py: the baselines): two causes, a second frailty factor crossed or
    # nested, delayed entry, time-varying covariates (spells), replication priors from
    # PriorSet.from_fit (multivariate normal, mixture) and one multi-state transition
    "weibull+causes": ("weibull", {"causes": ["conflict", "other"]}, "causes",
                       "weibull+causes"),
    "weibull+crossed": ("weibull", {"frailty": "(1 | cname) + (1 | decade)"}, "decade",
                        "weibull+crossed"),
    "weibull+nested": ("weibull", {"frailty": "(1 | cname/decade)"}, "decade",
                       "weibull+nested"),
    "weibull+entry": ("weibull", {}, "entry", "weibull+entry"),
    "weibull+spells": ("weibull", {"tvc": "tenure"}, "spells", "weibull+spells"),
    "weibull+joint(mvn)": ("weibull", {"prior_components": 1}, "half_b", "weibull+joint(mvn)"),
    "weibull+joint(mixture)": ("weibull", {"prior_components": 2}, "half_b",
                               "weibull+joint(mixture)"),
    "weibull+multistate": ("weibull", {"multistate": True}, "multistate", "weibull+multistate"),
    "weibull+centred": ("weibull", {"family_options": {"frailty_centring": "centred"}}, "plain",
                        "weibull"),
    "weibull+noncentred": ("weibull", {"family_options": {"frailty_centring": "noncentred"}},
                           "plain", "weibull"),
}


# ----------------------------------------------------------------------------- data


def load_variant(variant: str, *, jitter: int | None = None):
    """``(CoalitionData, terms)`` of coalgov, plain or made into a feature's variant.

    ``jitter``: new data of the same shape for the warm refit (every duration times a factor
    drawn uniformly in [0.9, 1.1] with this seed; covariates, groups and members unchanged).
    """
    import coalsurv

    if variant in family_rows.VARIANTS:
        return family_rows.load_variant(variant, jitter=jitter)
    data, terms, group = load("coalgov")
    if variant == "plain" and jitter is None:
        return data, terms
    frame = data.to_frame().reset_index(drop=True)
    event = next(c for c in ("event", "ended", "status") if c in frame)
    duration = "duration" if "duration" in frame else "time"
    if jitter is not None:
        factor = np.random.default_rng(jitter).uniform(0.9, 1.1, size=len(frame))
        frame[duration] = frame[duration] * factor
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


def make_model(row: str, *, centring: str | None = None):
    """Return the row's ``SurvivalModel`` (a ``MultiStateModel`` for the multi-state row).

    ``centring``: ``frailty_centring`` forced (``"centred"`` / ``"noncentred"``; the same
    model), and the ``mm()`` member effects' ``centring`` with it (so no rotation): the plain
    baselines are written non-centred, so their log density is compared with coalsurv's
    non-centred graph (tests/test_plain_baselines*.py).
    """
    import coalsurv

    family, kwargs, variant, _ = ROWS[row]
    if centring is not None:
        kwargs = {**kwargs, "family_options": {**kwargs.get("family_options", {}),
                                               "frailty_centring": centring}}
    if variant in family_rows.VARIANTS:
        return family_rows.make_model(family, kwargs, GROUP)
    kwargs = dict(kwargs)
    fixed = list(run.COALGOV_TERMS)  # load("coalgov")'s terms, without loading the data twice
    tve = kwargs.pop("tve", False)
    if tve:
        fixed[0] = f"tve({fixed[0]}, type='pw')" if tve == "pw" else f"tve({fixed[0]})"
    if "mm" in kwargs:  # a forced centring holds for the member effects too (not the rotation)
        mm = kwargs.pop("mm")
        fixed.append(mm if centring is None else f"{mm[:-1]}, centring={centring!r})")
    slope = f"1 + {fixed[0]}" if kwargs.pop("slope", False) else "1"
    return coalsurv.SurvivalModel(" + ".join(fixed) + f" + ({slope} | {GROUP})", family=family,
                                  **kwargs)


def export_row(row: str, path: str) -> None:
    """Write the arrays of the row's built coalsurv model, for its plain PyMC baseline."""
    import plain_models

    if ROWS[row][2] in family_rows.VARIANTS:
        import plain_models_rows

        spec = make_model(row)
        model, design, info = family_rows.built(spec, load_variant(ROWS[row][2])[0])
        plain_models_rows.export(model, info, design, path,
                                 prior=getattr(spec, "priors", None) if "joint" in row else None)
        return
    model, _, info, _ = make_model(row).build(load_variant(ROWS[row][2])[0])
    plain_models.export(model, info, path)


def ess_names(posterior) -> list[str]:
    """Return the :data:`ESS_NAMES` in ``posterior`` (a posterior group, a model's variables)."""
    return [n for n in ESS_NAMES if n in posterior]


def child_coalsurv(row: str, draws: int, launched: float, kernel: str = "auto",
                   warm: bool = False) -> dict:
    import warnings

    import plain_models

    model = make_model(row)
    data, _ = load_variant(ROWS[row][2])
    settings = {"draws": draws, "tune": draws, "chains": 4, "progressbar": False,
                "kernel": kernel}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = family_rows.fit_row(model, data, random_seed=1, **settings)
    cold = time.time() - launched
    cpu_cold = time.process_time()  # every thread of this process (nutpie's chains)
    post = fit.idata["posterior"]
    shared = ess_names(post)
    sampler = fit.sampler
    out = {"cold": cold, "ess": _min_ess(fit.idata, shared), "ess_of": shared,
           "kernel": sampler.get("kernel"), "route": sampler.get("route"),
           "reason": sampler.get("reason"), "n": fit.data.n,
           "divergences": int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum()),
           "summary": plain_models.summary(post, (*plain_models.SHARED, SLOPE_SD, *ROWS_SD)),
           "cpu_cold": round(cpu_cold, 2)}
    if warm:  # the same model refitted on new data of the same shape, in this process
        del fit
        new_data, _ = load_variant(ROWS[row][2], jitter=1)
        start, cpu_start = time.time(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refit = family_rows.fit_row(model, new_data, random_seed=2, **settings)
        out.update(warm=time.time() - start, warm_kernel=refit.sampler["kernel"],
                   cpu_warm=round(time.process_time() - cpu_start, 2))
    return out


def child_plain(row: str, draws: int, launched: float, npz: str) -> dict:
    """Fit the row's hand-written plain PyMC model (``plain_models``) on the exported arrays."""
    import plain_models

    idata = plain_models.fit_plain(row, npz, draws)
    cold = time.time() - launched
    post = idata["posterior"]
    names = ess_names(post)
    return {"cold": cold, "ess": _min_ess(idata, names), "ess_of": names,
            "divergences": int(np.asarray(idata["sample_stats"]["diverging"]).sum()),
            "summary": plain_models.summary(post, (*plain_models.SHARED, SLOPE_SD, *ROWS_SD))}


# ----------------------------------------------------------------------------- orchestration


def run_child(args: list[str], timeout: float) -> dict:
    """One measurement in a fresh interpreter of this script (run.py's runner).

    Adds ``cpu``: the CPU seconds (user + system) of the child and every process it waited
    for (PyMC's chain processes), a number that a loaded machine inflates far less than the
    wall times (a coalsurv child also reports ``cpu_cold`` and ``cpu_warm``, its own CPU
    seconds up to the cold fit's end and during the warm refit).
    """
    import resource

    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = used()
    out = run.run_child(args, timeout, script=__file__)
    return {**out, "cpu": round(used() - before, 2)}


def _f(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


TARGETS = {"cold": 0.33, "ess_s": 3.0, "warm": 0.1}


def row_numbers(res: dict) -> dict:
    """Ratios of one row (None where a side is missing)."""
    import plain_models

    ours, base = res["coalsurv"], res.get("baseline") or {}
    out = {"cold": None, "ess_s": None, "warm": None, "agree": None, "agree_at": "",
           "noise": None}
    if "error" in ours or "error" in base or not base:
        return out
    out["cold"] = ours["cold"] / base["cold"]
    out["ess_s"] = (ours["ess"] / ours["cold"]) / (base["ess"] / base["cold"])
    if "warm" in ours:
        out["warm"] = ours["warm"] / base["cold"]
    # the Monte Carlo noise of a mean difference in SDs, from the min bulk ESS of each side
    out["noise"] = (1.0 / ours["ess"] + 1.0 / base["ess"]) ** 0.5
    if ours.get("summary") and base.get("summary"):
        out["agree"], out["agree_at"] = plain_models.agreement(ours["summary"],
                                                               base["summary"])
    return out


def verdict(num: dict) -> str:
    """Which targets a row meets (cold <= 0.33x, ESS/s >= 3x, warm <= 0.1x, same model)."""
    import plain_models

    if num["cold"] is None:
        return "–"
    missed = [k for k, ok in (("cold", num["cold"] <= TARGETS["cold"]),
                              ("ESS/s", num["ess_s"] >= TARGETS["ess_s"]),
                              ("warm", num["warm"] is None or num["warm"] <= TARGETS["warm"]),
                              # a difference over 0.2 SD that is also over 3 x the Monte
                              # Carlo noise (short runs: 0.2 SD can be noise)
                              ("same model", num["agree"] is None
                               or num["agree"] <= max(plain_models.AGREE_SD,
                                                      3.0 * num["noise"]))) if not ok]
    return "met" if not missed else "missed: " + ", ".join(missed)


def table(results: dict) -> list[str]:
    rows = ["| row | kernel (route) | cold coalsurv s | cold PyMC s | cold ratio "
            "| warm s | warm / PyMC cold | min bulk ESS (ours / PyMC) | ESS/s (ours / PyMC) "
            "| ESS/s ratio | divergences (ours / PyMC) | same model: max mean diff / SD "
            "| load (ours / PyMC) | targets |", "|" + "---|" * 14]
    for name, res in results.items():
        ours, base = res["coalsurv"], res.get("baseline")
        if "error" in ours:
            rows.append(f"| {name} | error: {ours['error']} |" + " |" * 12)
            continue
        ess_s = ours["ess"] / ours["cold"]
        kernel = f"{ours['kernel']} ({ours['route']})"
        if ours.get("reason"):
            kernel += f": {ours['reason']}"
        warm = _f(ours.get("warm"))
        if base is None or "error" in base:
            why = "no baseline" if base is None else f"baseline error: {base['error']}"
            rows.append(f"| {name} | {kernel} | {_f(ours['cold'])} | {why} | – | {warm} | – "
                        f"| {_f(ours['ess'], 0)} / – | {_f(ess_s, 1)} / – | – "
                        f"| {ours['divergences']} / – | – | {ours.get('load_1min', '–')} / – "
                        "| – |")
            continue
        num = row_numbers(res)
        b_ess_s = base["ess"] / base["cold"]
        agree = ("–" if num["agree"] is None else
                 f"{num['agree']:.2f} ({num['agree_at']}; MC noise {num['noise']:.2f})")
        if ROWS[name][3] == "graph":
            agree = "– (graph baseline)"
        rows.append(f"| {name} | {kernel} | {_f(ours['cold'])} | {_f(base['cold'])} "
                    f"| {_f(num['cold'])} | {warm} | {_f(num['warm'])} "
                    f"| {_f(ours['ess'], 0)} / {_f(base['ess'], 0)} "
                    f"| {_f(ess_s, 1)} / {_f(b_ess_s, 1)} | {_f(num['ess_s'])} "
                    f"| {ours['divergences']} / {base['divergences']} | {agree} "
                    f"| {ours.get('load_1min', '–')} / {base.get('load_1min', '–')} "
                    f"| {verdict(num)} |")
    return rows


def write_markdown(path: str, info: dict, draws: int, rows: list[str], results: dict) -> None:
    """Write the family table, its settings and the raw numbers as markdown."""
    import plain_models

    text = [
        "# Family table (issue 23)", "",
        f"Written by `make bench-families` (`benchmarks/families.py`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: coalgov with a country frailty "
        f"`(1 | {GROUP})`, 4 chains x {draws} draws (+ {draws} tuning); {info['cpu']}, "
        f"{info['cores']} cores; load (1, 5, 15 min) at start "
        f"{tuple(round(x, 1) for x in info['load'])}, at end "
        f"{tuple(round(x, 1) for x in os.getloadavg())}.", "",
        "cold: a fresh process until the fit returns, imports included (each side in its own "
        "process, run back to back); warm: the same coalsurv model refitted in the same process "
        "on new data of the same shape (durations times U(0.9, 1.1)), divided by the plain "
        "PyMC cold time; ESS/s: min bulk ESS of the shared parameters per second of cold time; "
        "same model: the largest |posterior mean difference| / posterior SD over the shared "
        f"parameters, with the Monte Carlo noise of such a difference, sqrt(1/ESS + 1/ESS) "
        f"(the same model: <= {plain_models.AGREE_SD}, or within 3 x the noise). Targets: cold <= "
        f"{TARGETS['cold']}x, ESS/s >= {TARGETS['ess_s']}x, warm <= {TARGETS['warm']}x.", "",
        *rows, "", "<details><summary>raw results</summary>", "", "```json",
        json.dumps(results, indent=1), "```", "</details>", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(text))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="draws (and tuning) per chain")
    parser.add_argument("--rows", nargs="*", choices=list(ROWS), help="rows to run")
    parser.add_argument("--only", nargs="*", choices=FAMILIES,
                        help="families to run (their plain rows and feature rows)")
    parser.add_argument("--no-baseline", action="store_true", help="coalsurv only")
    parser.add_argument("--no-warm", action="store_true", help="no warm refit")
    parser.add_argument("--output", default=str(run.ROOT / "reports" / "families_benchmark.md"),
                        help="markdown file the table is written to")
    parser.add_argument("--from-log", default=None,
                        help="rebuild the table from the 'row {json}' lines an earlier run "
                             "printed (e.g. an interrupted one)")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.from_log:
        results = {}
        with open(args.from_log, encoding="utf-8") as f:
            for line in f:
                name, _, rest = line.partition(" ")
                if rest.startswith("{") and name in ROWS:
                    results[name] = json.loads(rest)
        rows_md = table(results)
        print("\n".join(rows_md))
        write_markdown(args.output, machine(), args.draws, rows_md, results)
        return 0
    if args.child is not None:
        launched = float(os.environ.get("BENCH_LAUNCHED", time.time()))
        kind, row, draws, *rest = args.child
        if kind == "warmup":  # numba's on-disk cache of the kernel (compiled on first use)
            import coalsurv.backend.kernel  # noqa: F401

            print(json.dumps({"seconds": time.time() - launched}))
            return 0
        if kind == "graph":  # the same coalsurv model on the PyMC path
            out = child_coalsurv(row, int(draws), launched, kernel="pymc")
        elif kind == "plain":
            out = child_plain(ROWS[row][3], int(draws), launched, rest[0])
        else:
            out = child_coalsurv(row, int(draws), launched, warm=rest == ["warm"])
        print(json.dumps(out))
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
    # a fresh checkout compiles the kernel once (minutes) and caches it: not part of a cold fit
    warmup = run_child(["warmup", "-", "0"], 3600)
    print(f"# kernel cache warm-up: {warmup}", flush=True)
    for row in rows:  # the joint rows' replication priors: fitted once, before any timing
        if "prior_components" in ROWS[row][1]:
            family_rows.replication_prior(ROWS[row][1]["prior_components"])
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            warm = [] if args.no_warm else ["warm"]
            res = {"coalsurv": run_child(["coalsurv", row, str(args.draws), *warm], 3600)}
            baseline = ROWS[row][3]
            if baseline == "graph" and not args.no_baseline:
                res["baseline"] = run_child(["graph", row, str(args.draws)], 3600)
            elif baseline is not None and not args.no_baseline:
                npz = os.path.join(tmp, "row.npz")
                export_row(row, npz)  # before the timing: the arrays both fits use
                res["baseline"] = run_child(["plain", row, str(args.draws), npz], 3600)
            results[row] = res
            print(row, json.dumps(res), flush=True)
    rows_md = table(results)
    print("\n".join(rows_md))
    write_markdown(args.output, info, args.draws, rows_md, results)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
