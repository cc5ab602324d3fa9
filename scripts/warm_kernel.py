"""Compile the native kernel once, into numba's on-disk cache, so later fits start at once.

The kernel (``coalsurv.backend``) is compiled by numba on its first use and cached beside its
sources; that first compile takes minutes (measured 2026-12-06: 259 s of CPU for the first
native fit in a fresh clone, 2 s for the next process). ``make setup`` runs this script so
that neither a user's first fit nor each parallel test worker pays for it.

Run: ``python scripts/warm_kernel.py``.
"""

from __future__ import annotations

import resource
import time
import warnings


def main() -> None:
    """Fit a tiny model on the native route (log density, gradient, draws, pointwise).

    Once with the specialised row loop and once with the generic kernel, so both are cached.
    """
    start = time.time()
    warnings.simplefilter("ignore")
    import coalsurv
    from coalsurv.backend import native_fast
    from coalsurv.datasets.synthetic import load_synthetic

    # twice: the specialised row loop (backend/kernel_fast.py), then the generic kernel
    for fast in (True, False):
        native_fast.ENABLED = fast
        fit = coalsurv.SurvivalModel("breadth + (1 | group)", family="weibull").fit(
            load_synthetic(), draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    native_fast.ENABLED = True
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"native kernel compiled and cached (route {fit.sampler['route']}): "
          f"{time.time() - start:.0f} s wall, {usage.ru_utime + usage.ru_stime:.0f} s CPU")


if __name__ == "__main__":
    main()
