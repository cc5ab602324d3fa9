"""Time-varying covariates (spells): the native kernel against the PyMC graph, side by side.

Data: ``n`` episodes in 20 groups; ``x`` switches from 0 to 1 at a random time in 60% of them
(a second spell), ``z`` is constant; Weibull AFT times by inversion of the clock ``u(t)``
(Cox & Oakes), a group frailty, uniform censoring (no coalsurv code in the generator). Two
models on the same data: ``weibull`` (proportional hazards: a kernel row per spell) and
``weibull_aft`` (the equivalent time over spells), each with ``x + z + (1 | g)``. Every fit
runs in its own fresh process (imports, compile or cache load, sampling, log likelihood), once
untimed to warm both routes' disk caches (numba, PyTensor), then timed; the load average is
printed before and after and the ratio pymc / native per model.

Run: ``python benchmarks/spells.py [n] [draws]`` (default 1000 episodes, 4 x 1000 draws).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

FAMILIES = ("weibull", "weibull_aft")
FORMULA = "x + z + (1 | g)"


def simulated(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Episodes and spells: Weibull AFT (shape 1.5), x = 1 after a switch slows the clock."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    g = rng.integers(0, 20, n)
    u_g = rng.normal(scale=0.3, size=20)[g]
    switch = np.where(rng.random(n) < 0.6, rng.uniform(0, 1.5, n), np.inf)
    eta0 = -0.3 * z + u_g
    eta1 = eta0 + 0.6
    u_star = (-np.log(rng.random(n))) ** (1 / 1.5)
    s = np.where(np.isfinite(switch), switch, 0.0)
    u_switch = np.exp(-eta0) * s
    before = ~np.isfinite(switch) | (u_star <= u_switch)
    t = np.where(before, u_star * np.exp(eta0), s + (u_star - u_switch) * np.exp(eta1))
    c = rng.uniform(0.5, 4.0, n)
    time_, event = np.minimum(t, c), (t <= c).astype(int)
    ids = [f"E{i:04d}" for i in range(n)]
    episodes = pd.DataFrame({"id": ids, "time": time_, "event": event, "z": z,
                             "g": [f"g{k}" for k in g]})
    rows = []
    for i in range(n):
        if switch[i] < time_[i]:
            rows += [(ids[i], 0.0, switch[i], 0.0), (ids[i], switch[i], time_[i], 1.0)]
        else:
            rows.append((ids[i], 0.0, time_[i], 0.0))
    return episodes, pd.DataFrame(rows, columns=["id", "start", "stop", "x"])


def child(family: str, kernel: str, n: int, draws: int) -> None:
    warnings.simplefilter("ignore")
    import coalsurv

    episodes, spells = simulated(n)
    data = coalsurv.CoalitionData.from_frame(episodes, duration="time", event="event", id="id",
                                             covariates=["z"], groups=["g"], spells=spells,
                                             time_unit="years")
    fit = coalsurv.SurvivalModel(FORMULA, family=family).fit(
        data, draws=draws, tune=draws, chains=4, random_seed=1, progressbar=False,
        kernel=kernel)
    table = fit.summary().set_index("parameter")
    print(f"route {fit.sampler['route']}, spells {data.spells.shape[0]}, min bulk ESS "
          f"{table['ess_bulk'].min():.0f}, beta[x] {table.loc['beta[x]', 'mean']:.3f}")


def _run(family: str, kernel: str, n: int, draws: int) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", family, kernel, str(n),
                          str(draws)], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out.strip()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    for family in FAMILIES:  # warm the disk caches of both routes (not timed)
        for kernel in ("auto", "pymc"):
            _run(family, kernel, n, 20)
    print(f"load before: {os.getloadavg()}")
    for family in FAMILIES:
        seconds = {}
        for kernel in ("auto", "pymc"):
            seconds[kernel], out = _run(family, kernel, n, draws)
            print(f"{family} {FORMULA} kernel={kernel}: {seconds[kernel]:.1f} s ({out})")
        print(f"{family}: pymc / native = {seconds['pymc'] / seconds['auto']:.2f}x")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
