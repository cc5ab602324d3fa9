"""Where a large fit spends its time and memory (issue 23, "Sampling at scale").

Run: ``python benchmarks/scale.py sim100000 1000`` (data set as in ``benchmarks/run.py``,
draws = tune per chain, 4 chains). Options: ``--generic`` switches the specialised row loop
off (:data:`coalsurv.backend.native_fast.ENABLED`) so the generic kernel runs, for a
side-by-side measurement; ``--tune N`` sets the tuning steps per chain (default: ``draws``).
One fresh process: the fit under cProfile (the heavy work is native code, so the profiler's
overhead is small), then one JSON line with the wall and CPU time (user + sys of the whole
process), the peak resident memory, min bulk ESS of the top-level parameters, leapfrog steps
per draw, the load average, and the cumulative time of the fit's stages (NUTS, the pointwise
log likelihood, the log prior, the sampler's R-hat warning, the DataTree patch, building the
model).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

STAGES = {  # (file suffix, function) -> label
    ("sample.py", "sample"): "nuts (nutpie.sample)",
    ("native_buffer.py", "log_likelihood_group"): "pointwise log likelihood",
    ("native_buffer.py", "log_prior_group"): "log prior",
    ("sampling.py", "_warn_in_plain_words"): "sampler warning (R-hat)",
    ("arviz.py", "patch_nutpie_idata"): "patch_nutpie_idata",
    ("model.py", "build"): "build the model",
    ("identity.py", "fit_id"): "fit id",
}


def min_ess(idata, names) -> float:
    """Smallest bulk ESS over the elements of ``names``."""
    import arviz_stats as azs
    import numpy as np

    ess = azs.ess(idata, var_names=names, method="bulk")
    return min(float(np.min(np.asarray(ess[n]))) for n in names)


def steps(idata) -> list[float]:
    """Mean leapfrog steps per draw of each chain, warm-up and kept draws together."""
    import numpy as np

    parts = [np.asarray(idata[g]["n_steps"]) for g in ("warmup_sample_stats", "sample_stats")
             if g in idata.children]
    return [round(float(v), 1) for v in np.concatenate(parts, axis=1).mean(axis=1)]


def main(name: str, draws: int, limit: int | None = None, *, generic: bool = False,
         tune: int | None = None) -> dict:
    """Fit ``name`` with 4 x ``draws`` (+ ``tune`` or ``draws`` tuning); the measurements."""
    launched = time.time()
    import numpy as np
    from run import load

    import coalsurv
    from coalsurv.backend import native_fast

    native_fast.ENABLED = not generic
    tune = draws if tune is None else tune

    data, terms, group = load(name)
    model = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})", family="weibull")
    extra = {} if limit is None else {"pointwise_limit": limit}
    prof = cProfile.Profile()
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof.enable()
        fit = model.fit(data, draws=draws, tune=tune, chains=4, random_seed=1,
                        progressbar=False, **extra)
        prof.disable()
    fit_wall = time.time() - start
    stats = pstats.Stats(prof).stats
    stages = {}
    for (path, _, func), (_, _, _, cum, _) in stats.items():
        for (suffix, fn), label in STAGES.items():
            if func == fn and path.endswith(suffix):
                stages[label] = round(stages.get(label, 0.0) + cum, 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    names = ["beta", "intercept", "shape", f"sd_{group}"]
    attrs = fit.idata["posterior"].attrs
    return {"set": name, "n": data.n, "draws": draws, "tune": tune,
            "row_loop": attrs.get("coalsurv_row_loop", attrs.get("coalsurv_kernel")),
            "whole_process_s": round(time.time()
                                                                                - launched, 1),
            "fit_s": round(fit_wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_mb": round(usage.ru_maxrss / 1024.0), "stages_s": stages,
            "sampling_time": round(float(fit.idata["posterior"].attrs["sampling_time"]), 1),
            "min_ess": round(min_ess(fit.idata, names)), "steps": steps(fit.idata),
            "means": {n: np.round(np.asarray(fit.idata["posterior"][n].mean(("chain", "draw"))),
                                  4).ravel().tolist() for n in names},
            "sds": {n: np.round(np.asarray(fit.idata["posterior"][n].std(("chain", "draw"))),
                                4).ravel().tolist() for n in names},
            "divergences": int(fit.idata["sample_stats"]["diverging"].sum()),
            "log_likelihood": fit.sampler["log_likelihood"][:60],
            "load_1min": round(os.getloadavg()[0], 1)}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("draws", type=int)
    parser.add_argument("limit", type=int, nargs="?")
    parser.add_argument("--generic", action="store_true")
    parser.add_argument("--tune", type=int)
    a = parser.parse_args()
    print(json.dumps(main(a.name, a.draws, a.limit, generic=a.generic, tune=a.tune)))
