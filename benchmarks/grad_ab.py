"""Per-gradient speed of two coalsurv trees side by side: ``logp_grad`` of the same buffers.

Issue 23 (cold start): a change to the kernel's decorators (inlining, specializations) must not
slow the gradient NUTS calls thousands of times. Each tree is timed in its own fresh process
(``PYTHONPATH=<tree>``; its numba cache warm, or compiled first, untimed), the trees
alternating for ``--rounds`` rounds; per model the fastest block of calls in process CPU
time (``run.child_logp``'s rule on a shared machine). Models: Weibull PH + frailty at 10^5
rows (``run.py``'s simulated data); a piecewise tve (``tve_speed.py``'s data, 2,000 rows);
Weibull PH and AFT spells (``spells.py``'s data, 2,000 episodes); Weibull PH, Gompertz,
exponential (the PH fast loop), rp, Weibull + cure, piecewise, gamma and generalised gamma
on coalgov (``(1 | cname)``); Weibull PH with delayed entry and the AFT loop's rows
(``families.py``'s rows ``weibull+entry``, ``weibull_aft``, ``lognormal``, ``loglogistic``,
``lognormal+strata``, ``loglogistic+shape``); Weibull + mm() with equal and power weights
on coalgov (``members.py``'s rows); the cure rows (promotion time, probit, piecewise) and
the interval rows (Weibull, log-normal, piecewise; Weibull with the promotion-time cure) of
``families.py``. Where a tree's specialised row loop (``native_fast.fast_buffer``) takes a
model, its ``fast_logp_grad`` is timed (what NUTS calls); each line names the row loop of
each tree.

Run: ``python benchmarks/grad_ab.py OLD_TREE NEW_TREE [--rounds 3] [--models gamma gengamma]``
(each tree a directory holding ``coalsurv/``; ``--models``, last, keeps the models whose
family part of the name, or whole first word, is one of the words). Prints ms per call per
tree and the ratio new / old, with ``uptime``'s load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _buffers(only=()):
    """``(name, buf, x)`` of each model, built by the tree on ``sys.path``.

    ``only``: keep the models whose family part of the name (before a ``+`` or space), or
    whole first word (``piecewise+cure``), is one of these (all when empty).
    """
    sys.path.insert(0, HERE)
    import run
    import spells
    import tve_speed

    import coalsurv
    from coalsurv.backend import native

    warnings.simplefilter("ignore")
    out = []
    data, terms, group = run.load("sim100000")
    spec = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})", family="weibull")
    out.append(("weibull+frailty 1e5", spec, data))
    spec, data = tve_speed._model_and_data("tve(x, type='pw', df=4)", 2000)
    out.append(("weibull+tve(pw) 2e3", spec, data))
    episodes, sp = spells.simulated(2000)
    data = coalsurv.CoalitionData.from_frame(episodes, duration="time", event="event", id="id",
                                             covariates=["z"], groups=["g"], spells=sp,
                                             time_unit="years")
    for family in ("weibull", "weibull_aft"):
        out.append((f"{family}+spells 2e3", coalsurv.SurvivalModel(spells.FORMULA,
                                                                   family=family), data))
    data, terms, group = run.load("coalgov")
    formula = " + ".join(terms) + f" + (1 | {group})"
    for family in ("weibull", "gompertz", "exponential"):  # the PH fast loop on coalgov
        out.append((f"{family} coalgov", coalsurv.SurvivalModel(formula, family=family), data))
    out.append(("rp coalgov", coalsurv.SurvivalModel(formula, family="rp"), data))
    out.append(("rp(odds) coalgov", coalsurv.SurvivalModel(
        formula, family="rp", family_options={"scale": "odds"}), data))
    out.append(("weibull+cure coalgov", coalsurv.SurvivalModel(formula, family="weibull",
                                                               cure="majority"), data))
    # the plain piecewise baseline (kernel_fast_end's loop since helper branch endpw)
    out.append(("piecewise coalgov", coalsurv.SurvivalModel(formula, family="piecewise"), data))
    # issue 23's lean cure and interval rows (kernel_ending): families.py's cure rows and its
    # interval variant of coalgov (events known to their 30-day window)
    import families

    for name, kwargs in (("weibull+cure(promotion)", {"cure_type": "promotion"}),
                         ("lognormal+cure(probit)", {"cure_link": "probit"}),
                         ("piecewise+cure", {})):
        out.append((f"{name} coalgov", coalsurv.SurvivalModel(
            formula, family=name.split("+")[0], cure="majority", **kwargs), data))
    boxed, _ = families.load_variant("interval")
    for family in ("weibull", "lognormal", "piecewise"):
        out.append((f"{family}+interval coalgov", coalsurv.SurvivalModel(formula,
                                                                         family=family), boxed))
    # the promotion-time cure's interval rows (their log form: helper branch farpt)
    out.append(("weibull+cure(promotion)+interval coalgov", coalsurv.SurvivalModel(
        formula, family="weibull", cure="majority", cure_type="promotion"), boxed))
    for family in ("gamma", "gengamma"):
        out.append((f"{family} coalgov", coalsurv.SurvivalModel(formula, family=family), data))
    # the PH fast loop with delayed entry, and the AFT loop's rows: families.py's rows
    for row in ("weibull+entry", "weibull_aft", "lognormal", "loglogistic", "lognormal+strata",
                "loglogistic+shape"):
        out.append((f"{row} coalgov", families.make_model(row),
                    families.load_variant(families.ROWS[row][2])[0]))
    import members  # issue 21's mm() rows of the family table (the PH fast loop's member blocks)

    for weights in ("equal", "power"):
        mm_data, mm_formula = members.load_row(f"coalgov-{weights}")
        out.append((f"weibull+mm({weights}) coalgov", coalsurv.SurvivalModel(mm_formula),
                    mm_data))
    built = []
    for name, spec, data in out:
        first = name.split()[0]
        if only and not {first, first.split("+")[0], first.split("+")[0].split("(")[0]} & set(
                only):
            continue
        model, _, info, _ = spec.build(data)
        kplan, reason = native.plan(model, info, None)
        if kplan is None:
            raise RuntimeError(f"{name}: {reason}")
        buf = native.make_buffer(kplan, model)
        x = np.random.default_rng(0).normal(scale=0.2, size=kplan.ndim)
        try:  # the tree's specialised row loop, when it has one and it takes the model
            from coalsurv.backend import native_fast
            fast = native_fast.fast_buffer(kplan, buf)
        except ImportError:
            fast = None
        built.append((name, buf if fast is None else fast, x, fast is not None))
    return built


def child(only=(), blocks: int = 30) -> dict:
    """``[ms per log density and gradient call (fastest block), row loop]`` of each model."""
    from coalsurv.backend import kernel

    result = {}
    for name, buf, x, is_fast in _buffers(only):
        grad = np.empty(x.size)
        fn = kernel.logp_grad
        if is_fast:
            from coalsurv.backend import kernel_fast

            fn = kernel_fast.fast_logp_grad
        fn(buf, x, grad)  # compile or load, untimed
        start = time.perf_counter()
        fn(buf, x, grad)
        calls = max(5, int(0.05 / max(time.perf_counter() - start, 1e-6)))
        best = np.inf
        for _ in range(blocks):  # CPU time of this process: less disturbed by other jobs
            start = time.process_time()
            for _ in range(calls):
                fn(buf, x, grad)
            best = min(best, (time.process_time() - start) / calls)
        result[name] = [1e3 * best, "fast" if is_fast else "generic"]
    return result


def main() -> None:
    argv = sys.argv[1:]
    only = _models(argv)
    if "--models" in argv:
        argv = argv[:argv.index("--models")]
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    if "--rounds" in argv:
        argv = argv[:argv.index("--rounds")] + argv[argv.index("--rounds") + 2:]
    args = [a for a in argv if not a.startswith("--")]
    trees = {"old": os.path.abspath(args[0]), "new": os.path.abspath(args[1])}
    print("load before:", os.getloadavg())
    times: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(rounds):
        for label, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=tree)
            out = subprocess.run([sys.executable, __file__, "--child", "--models", *only],
                                 env=env,
                                 capture_output=True, text=True, check=True).stdout
            times[label].append(json.loads(out.strip().splitlines()[-1]))
    print("load after:", os.getloadavg())
    for name in times["old"][0]:
        old = min(r[name][0] for r in times["old"])
        new = min(r[name][0] for r in times["new"])
        loops = f"{times['old'][0][name][1]} -> {times['new'][0][name][1]}"
        print(f"{name} ({loops}): old {old:.4f} ms, new {new:.4f} ms, new / old "
              f"{new / old:.2f} (per round old {[round(r[name][0], 4) for r in times['old']]}, "
              f"new {[round(r[name][0], 4) for r in times['new']]})")


def _models(argv: list[str]) -> tuple[str, ...]:
    """Return the words after ``--models`` (the last option), or none."""
    return tuple(argv[argv.index("--models") + 1:]) if "--models" in argv else ()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(_models(sys.argv))))
    else:
        main()
