"""Where a warm refit's time goes outside NUTS (issue 23): wall seconds per part, no profiler.

``PYTHONPATH=$PWD python benchmarks/warm_parts.py ROW [N]``: fits ``ROW`` of
:mod:`families` once (cold, 4 x 1000 draws), then refits it ``N`` times (default 5) on
jittered data of the same shape and prints each part's median seconds per refit, by wrapping
the functions a refit calls with a timer: the build, the kernel plan and buffers, NUTS
(nutpie's sampler, without the conversion of its trace), the trace's conversion into a
DataTree, the pointwise log likelihood and log prior, the R-hat check and the record (data
hash, fit id). ``rest`` is the wall time outside NUTS and R-hat: issue 23's fixed cost of a
warm refit. ``... cpu`` lines: CPU seconds (``total cpu`` and ``nuts cpu`` the process's, all
threads; ``rhat cpu`` and ``trace cpu`` the main thread's); ``rest cpu`` is all CPU outside
NUTS and R-hat, which work moved to other threads does not hide (a loaded machine's wall
times vary more than CPU times).
"""

import statistics
import sys
import time
import warnings
from collections import defaultdict

sys.path.insert(0, "benchmarks")
import families  # noqa: E402
import family_rows  # noqa: E402

import coalsurv.backend.native as native  # noqa: E402
import coalsurv.backend.sampling as sampling  # noqa: E402
import coalsurv.fit.model as fmodel  # noqa: E402
from coalsurv.backend import native_fast, nutpie_model, nutpie_trace  # noqa: E402,F401
from coalsurv.data.episodes import CoalitionData  # noqa: E402

SPENT: dict = defaultdict(float)
#: CPU seconds: the whole process's during a refit and NUTS (its sampler threads), the main
#: thread's during the R-hat check (other threads may run beside it)
CPU_CLOCK = {"total": time.process_time, "nuts+trace": time.process_time,
             "trace": time.thread_time, "rhat": time.thread_time}


def timed(owner, attr, label):
    inner = getattr(owner, attr, None)
    if inner is None:  # an older tree (A/B runs): not there
        return
    clock = CPU_CLOCK.get(label)

    def wrapper(*a, **k):
        t0 = time.perf_counter()
        c0 = clock() if clock else 0.0
        try:
            return inner(*a, **k)
        finally:
            SPENT[label] += time.perf_counter() - t0
            if clock:
                SPENT[f"{label} cpu"] += clock() - c0

    setattr(owner, attr, wrapper)


def main():
    import nutpie  # noqa: F401
    import pymc.backends.arviz as parviz

    nsample = sys.modules["nutpie.sample"]  # the module (nutpie.sample is its function)

    row = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for owner, attr, label in (
            (fmodel.SurvivalModel, "build", "build"),
            (fmodel.SurvivalModel, "_cache_key", "cache_key"),
            (sampling, "_plan", "plan"),
            (native, "make_buffer", "buffer"),
            (native_fast, "fast_buffer", "fast_buffer"),
            (nutpie_model, "compile_native", "compile_native"),
            (sampling, "_nuts", "nuts+trace"),
            (nsample, "_arrow_to_arviz", "trace"),
            (sys.modules["coalsurv.backend.nutpie_trace"], "sampler_trace", "trace"),
            (parviz, "patch_nutpie_idata", "patch_idata"),
            (native, "log_likelihood_group", "loglik"),
            (native, "log_prior_group", "logprior"),
            (sampling, "worst_rhat", "rhat"),
            (CoalitionData, "data_hash", "data_hash"),
            (getattr(fmodel, "FitIdInBackground", None), "result", "fit_id_wait"),
            (fmodel, "fit_id", "fit_id"),
            (fmodel, "package_versions", "versions"),
            (fmodel.SurvivalModel, "fit", "total")):
        timed(owner, attr, label)
    model = families.make_model(row)
    data, _ = families.load_variant(families.ROWS[row][2])
    kw = dict(draws=1000, tune=1000, chains=4, progressbar=False, kernel="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        family_rows.fit_row(model, data, random_seed=1, **kw)
        news = [families.load_variant(families.ROWS[row][2], jitter=j)[0]
                for j in range(1, n + 1)]
        runs = []
        for j, new in enumerate(news):
            SPENT.clear()
            family_rows.fit_row(model, new, random_seed=2 + j, **kw)
            part = {"trace": 0.0, "trace cpu": 0.0, **SPENT}
            part["nuts"] = part["nuts+trace"] - part["trace"]
            part["rest"] = part["total"] - part["nuts"] - part["rhat"]
            part["nuts cpu"] = part["nuts+trace cpu"] - part["trace cpu"]
            part["rest cpu"] = part["total cpu"] - part["nuts cpu"] - part["rhat cpu"]
            runs.append(part)
    import coalsurv

    print(f"{row}: median seconds of {n} warm refits ({coalsurv.__file__})")
    for label in runs[0]:
        if not label.startswith("nuts+trace"):
            print(f"  {label:15s} {statistics.median(r[label] for r in runs):.4f}")


if __name__ == "__main__":
    main()
