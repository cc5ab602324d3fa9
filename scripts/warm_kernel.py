"""Compile the native kernel once, into numba's on-disk cache, so later fits start at once.

The kernel (``coalsurv.backend``) is compiled by numba on its first use and cached beside its
sources; that first compile takes a minute or two (issue 23, 2026-12-06, this script with the
cache cleared: 305 s of CPU before the kernel was compiled as one specialization with fewer
inlined copies, 93 s after; the next process loads it in about 2 s). ``make setup`` runs this
script so that neither a user's first fit nor each parallel test worker pays for it.

Every model shares the same compiled kernel (the model is in the data buffer), so one fit
compiles it all; the second, tiny Royston-Parmar fit compiles what only the rp plan calls
from Python (its spline formulas' check against the family). Afterwards a fresh process's
rp, tve, spells, cure or pointwise (float32 too) fit compiles nothing. Spells of the PH
families run on the PH fast loop with the same signatures as the Weibull fit below (their
per-episode pointwise sum is compiled inside ``fast_pointwise_into``): checked after this
script with ``NUMBA_DEBUG_CACHE=1``, a tiny Weibull spells fit saved nothing (2026-12-07).

Run: ``python scripts/warm_kernel.py``.
"""

from __future__ import annotations

import resource
import time
import warnings


def main() -> None:
    """Fit tiny models on the native route (log density, gradient, draws, pointwise).

    Weibull once with the specialised row loop and once with the generic kernel, a Weibull
    cure model (the cure / interval fast loop), rp, and a piecewise tve (its own fast loop),
    so all five are cached; and the rank R-hat kernel that judges every fit.
    """
    start = time.time()
    warnings.simplefilter("ignore")
    import coalsurv
    from coalsurv.backend import native_fast
    from coalsurv.datasets.synthetic import load_synthetic

    data = load_synthetic()
    # twice: the specialised row loop (backend/kernel_fast.py), then the generic kernel
    for fast in (True, False):
        native_fast.ENABLED = fast
        fit = coalsurv.SurvivalModel("breadth + (1 | group)", family="weibull").fit(
            data, draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    native_fast.ENABLED = True
    # the cure / interval fast loop (backend/kernel_fast_end.py), its draws and pointwise
    coalsurv.SurvivalModel("breadth + (1 | group)", family="weibull", cure="breadth").fit(
        data, draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    coalsurv.SurvivalModel("breadth", family="rp").fit(
        data, draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    # the piecewise-tve fast loop (backend/kernel_fast_tve.py) and its pointwise entry
    coalsurv.SurvivalModel("breadth + tve(breadth, type='pw', df=2) + (1 | group)",
                           family="weibull").fit(
        data, draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    # mm() members nested in the frailty's levels: the rotated member effects' callbacks
    # (backend/kernel_rotation*.py) on the fast row loop and on the generic kernel
    nested = _nested_members(data)
    for fast in (True, False):
        native_fast.ENABLED = fast
        coalsurv.SurvivalModel("breadth + mm(1) + (1 | group)", family="weibull").fit(
            nested, draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    native_fast.ENABLED = True
    # the kernel's own pointwise entry, which the kernel-vs-graph tests call directly (a fit
    # uses backend/kernel_pointwise.py): otherwise each test worker compiles it (~1 min)
    import numpy as np

    from coalsurv.backend import kernel, native
    model, _, info, _ = coalsurv.SurvivalModel("breadth + (1 | group)",
                                               family="weibull").build(data)
    kplan, _ = native.plan(model, info, {})
    kernel.pointwise(native.make_buffer(kplan, model), np.zeros((1, kplan.ndim)))
    # the R-hat check after every fit (coalsurv/_rank_kernel.py): each fit above ran it;
    # named here, with the bulk-ESS scores summary tables and the batch runner ask for
    from coalsurv._stats import rank_diagnostics
    rank_diagnostics(np.random.default_rng(0).normal(size=(2, 20, 3)), ess=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"native kernel compiled and cached (route {fit.sampler['route']}): "
          f"{time.time() - start:.0f} s wall, {usage.ru_utime + usage.ru_stime:.0f} s CPU")


def _nested_members(data):
    """Return ``data`` (one cause) with members: each coalition 1-2 of its group's three."""
    import numpy as np
    import pandas as pd

    import coalsurv

    rng = np.random.default_rng(1)
    frame = data.frame[["id", "group", "duration", "event", "breadth"]].copy()
    frame["event"] = np.where(frame["event"] == "censored", "censored", "end")
    rows = [{"id": i, "member": f"{g}-{m}"} for i, g in zip(frame["id"], frame["group"],
                                                             strict=True)
            for m in rng.choice(3, size=rng.integers(1, 3), replace=False)]
    return coalsurv.CoalitionData.from_frame(
        frame, id="id", duration="duration", event="event", covariates=["breadth"],
        groups=["group"], members=pd.DataFrame(rows), time_unit=data.time_unit)


if __name__ == "__main__":
    main()
