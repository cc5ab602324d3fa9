"""Recovery of a smooth hazard ratio by the default smooth ``tve(x)`` (issue 22, slow).

Independent data (no coalsurv code): a Weibull PH baseline ``H0(t) = 0.062 t^1.5`` and one
covariate x ~ U(-1.5, 1.5) whose log hazard ratio per unit is ``0.8 - 0.6 log t``; then
``H(t | x) = 0.062 * 1.5 e^{0.8 x} t^{1.5 - 0.6 x} / (1.5 - 0.6 x)`` in closed form, inverted
for the lifespans; censoring U(2, 25). ``tve(x)`` with its default basis must put the log of
the posterior mean hazard ratio within 0.15 of the truth at 60 log-spaced times spanning the
middle 90% of follow-up (5th to 95th percentile of the observed times; the log of the mean
exceeds the mean log by about half the posterior variance, < 0.01 here), and its 90% band must
contain the truth at no fewer than 90% of those times.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv

pytestmark = pytest.mark.slow


def _truth(t):
    return 0.8 - 0.6 * np.log(t)


def _simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, n)
    power = 1.5 - 0.6 * x  # > 0.6: H finite at every t
    scale = 0.062 * 1.5 * np.exp(0.8 * x) / power
    t = (rng.exponential(size=n) / scale) ** (1.0 / power)
    censor = rng.uniform(2.0, 25.0, n)
    return pd.DataFrame({"duration": np.minimum(t, censor),
                         "ended": np.where(t <= censor, "ended", "censored"), "x": x})


# Size: 1,000 rows, data seed 1, sampler seed 1, 2 x 500 draws after 500 tuning steps: the
# data and settings of the run recorded in DEVELOPING.md ("smooth time-varying effects",
# benchmarks/tve_basis.py before its extension: max error 0.036, RMS 0.025, band covering all
# 60 times, 0 divergences, 3,074 s wall on the loaded 2-core machine). A 600-row version
# (seed 7) FAILED here: max error 0.207 at the 95th percentile of follow-up (the fitted
# effect flattens over the last decile, where few events remain), 3,948 s at load 15; 400
# rows gave 0.21 in the basis benchmark. So 1,000 rows is the smallest size with a recorded
# pass. This test passed on the native kernel at the end of the third session: 31 s on the
# quiet 2-core machine (`pytest -m slow tests/fit/test_tve_smooth_recovery.py`).
def test_default_smooth_tve_recovers_a_log_linear_hazard_ratio():
    frame = _simulate(1000, seed=1)
    data = coalsurv.CoalitionData.from_frame(frame, duration="duration", event="ended",
                                             covariates=["x"], time_unit="months")
    model = coalsurv.SurvivalModel("tve(x)", family="weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=500, tune=500, chains=2, random_seed=1, progressbar=False)
    lo, hi = np.quantile(frame["duration"], [0.05, 0.95])
    times = np.exp(np.linspace(np.log(lo), np.log(hi), 60))
    eff = fit.time_varying_effect("x", times, ci_prob=0.9)
    assert eff.attrs["type"] == "bs"
    err = np.log(eff["mean"].to_numpy()) - _truth(times)
    assert np.abs(err).max() < 0.15, pd.DataFrame({"time": times, "err": err})
    inside = (eff["lower"] <= np.exp(_truth(times))) & (np.exp(_truth(times)) <= eff["upper"])
    assert inside.mean() >= 0.9, eff.assign(truth=np.exp(_truth(times)))
    assert int(fit.idata["sample_stats"]["diverging"].sum()) == 0
