"""Joint and mixture replication priors: the native kernel against the PyMC graph, cold.

coalgov (``/work/shared/data/coalgov/coalgov.csv``) split by country (every other country in
sorted order is half A): a Weibull fit of half A, ``power_hhi + n_parties + majority +
(1 | cname)``, 4 x 1000, gives two replication priors with :meth:`PriorSet.from_fit`: one
multivariate normal (``components=1``) and a two-component mixture (``components=2``; BIC
chooses one component on this half);
both carry the coefficients, ``log(shape)`` and ``log(sd[cname])``. Each prior is applied to
half B with ``kernel="auto"`` (native) and ``kernel="pymc"``, every fit in its own fresh
process (imports, cache load or compile, sampling, log likelihood), once untimed with 20
draws to warm both routes' disk caches, then timed; the load average is printed before and
after and the ratio pymc / native per prior.

Run: ``python benchmarks/joint_priors.py [draws]`` (default 4 x 1000).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/data/coalgov/coalgov.csv")
FORMULA = "power_hhi + n_parties + majority + (1 | cname)"


def _halves():
    from coalsurv.datasets import load_coalgov

    data = load_coalgov(DATA)
    g = np.asarray(data.groups["cname"]).astype(str)
    half_a = set(sorted(set(g))[::2])
    mask = np.array([x in half_a for x in g])
    return data.subset(mask), data.subset(~mask)


def child(prior_file: str, kernel: str, draws: int) -> None:
    warnings.simplefilter("ignore")
    import coalsurv

    _, half_b = _halves()
    fit = coalsurv.SurvivalModel(FORMULA, family="weibull",
                                 priors=coalsurv.PriorSet.load(prior_file)).fit(
        half_b, draws=draws, tune=draws, chains=4, random_seed=3, progressbar=False,
        kernel=kernel)
    table = fit.summary().set_index("parameter")
    print(f"route {fit.sampler['route']}, rows {half_b.n}, min bulk ESS "
          f"{table['ess_bulk'].min():.0f}, max R-hat {fit.sampler['max_rhat']:.3f}, "
          f"beta[power_hhi] {table.loc['beta[power_hhi]', 'mean']:.3f}, shape "
          f"{table.loc['shape', 'mean']:.3f}")


def _run(prior_file: str, kernel: str, draws: int) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", prior_file, kernel, str(draws)],
                         capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out.strip()


def main() -> None:
    warnings.simplefilter("ignore")
    import coalsurv

    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    half_a, _ = _halves()
    fit_a = coalsurv.SurvivalModel(FORMULA, family="weibull").fit(
        half_a, draws=1000, tune=1000, chains=4, random_seed=2, progressbar=False)
    folder = Path(tempfile.mkdtemp(prefix="joint_priors_"))
    files = {}
    for label, components in (("mvnormal", 1), ("mixture", 2)):
        prior = coalsurv.PriorSet.from_fit(fit_a, components=components)
        files[label] = str(prior.save(folder / f"{label}.toml"))
        (key,) = [k for k in prior.priors if k.startswith("beta_unit")]
        print(f"{label}: {prior.priors[key]}")
    for path in files.values():  # warm the disk caches of both routes (not timed)
        for kernel in ("auto", "pymc"):
            _run(path, kernel, 20)
    print(f"load before: {os.getloadavg()}")
    for label, path in files.items():
        seconds = {}
        for kernel in ("auto", "pymc"):
            seconds[kernel], out = _run(path, kernel, draws)
            print(f"{label} kernel={kernel}: {seconds[kernel]:.1f} s ({out})")
        print(f"{label}: pymc / native = {seconds['pymc'] / seconds['auto']:.2f}x")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
