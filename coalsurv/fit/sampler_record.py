"""``Fit.sampler``: which log density ran, whether anything was compiled, how sampling went.

The sampler (:mod:`coalsurv.backend.sampling`) writes which kernel ran into the posterior's
attributes and how the run went into the sample_stats group's (kept out of the fit id, which
digests the posterior: a refit that reuses a compiled model has the same id), so both travel
with a saved fit; fits saved before an entry existed get its default.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["sampler_record"]


def sampler_record(idata) -> dict[str, Any]:
    """Return the sampler's record of a fit's ``idata``.

    Returns
    -------
    dict
        ``kernel`` ("native" or "pymc"); ``route`` ("native": the kernel's C callbacks,
        "pyfunc": the same kernel through ``nutpie.from_pyfunc``, or "pymc"); ``reason``: why
        the PyMC graph or the pyfunc route was taken (empty otherwise; fits made before the
        native kernel read "pymc"); ``log_likelihood``: "float64", "float32" or "skipped: ..."
        (above ``pointwise_limit``); ``compiled``: "none" (the native kernel is numba-cached
        and the fit's data are a buffer, so a refit on new data compiles nothing), "new" or
        "reused" (the PyMC graph compiled for this fit, or taken from the cache of a model of
        the same structure key), "" when not recorded; ``divergences`` (int); ``max_rhat``:
        the largest rank-normalised R-hat over the judged variables (NaN with one chain or
        when not recorded); ``warnings``: the sampler's warnings as printed (tuple of str).
    """
    attrs = idata["posterior"].attrs
    stats = idata["sample_stats"] if "sample_stats" in idata else None
    run = dict(stats.attrs) if stats is not None else {}
    said = str(run.get("coalsurv_warnings", ""))
    if "coalsurv_divergences" in run:
        divergences = int(run["coalsurv_divergences"])
    else:
        divergences = (int(np.asarray(stats["diverging"]).sum())
                       if stats is not None and "diverging" in stats else 0)
    return {"kernel": str(attrs.get("coalsurv_kernel", "pymc")),
            "route": str(attrs.get("coalsurv_kernel_route", "pymc")),
            "reason": str(attrs.get("coalsurv_kernel_reason", "")),
            "log_likelihood": str(attrs.get("coalsurv_log_likelihood", "float64")),
            "compiled": str(run.get("coalsurv_compiled", "")),
            "divergences": divergences,
            "max_rhat": float(run.get("coalsurv_max_rhat", float("nan"))),
            "warnings": tuple(said.split("\n")) if said else ()}
