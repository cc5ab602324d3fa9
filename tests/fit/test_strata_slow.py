"""Statistical validation of stratified baselines: per-stratum Weibull baselines recovered.

Independent simulated data: three strata with Weibull shapes 0.8, 1.2, 1.6 and scales 6, 12,
24 months, one shared covariate (log hazard ratio 0.5 per unit); censoring uniform on (2, 60)
months. Each stratum's shape and its median lifespan at x = 0 (``scale * log(2) ** (1 /
shape)``) and the shared hazard ratio must lie in their credible intervals, seven checks with
a family-wise 90% level (Bonferroni: each interval 1 - 0.1 / 7 = 98.6%).

History (honest record): with seven pointwise 90% intervals (about a 50% chance that one
misses even when calibrated) stratum C's median missed (truth 19.09 months, band
19.48-22.03); the shapes and the other medians were covered.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv

pytestmark = pytest.mark.slow

SHAPES = {"A": 0.8, "B": 1.2, "C": 1.6}
SCALES = {"A": 6.0, "B": 12.0, "C": 24.0}


def _simulate(n=1200, seed=31):
    rng = np.random.default_rng(seed)
    stratum = rng.choice(list(SHAPES), n)
    x = rng.normal(size=n)
    k = np.array([SHAPES[s] for s in stratum])
    lam = np.array([SCALES[s] for s in stratum])
    t = lam * (rng.exponential(size=n) / np.exp(0.5 * x)) ** (1 / k)
    censor = rng.uniform(2, 60, n)
    df = pd.DataFrame({"duration": np.minimum(t, censor),
                       "ended": np.where(t <= censor, "ended", "censored"), "x": x,
                       "stratum": stratum})
    return coalsurv.CoalitionData.from_frame(df, duration="duration", event="ended",
                                             covariates=["x"], groups=["stratum"],
                                             time_unit="months")


def test_stratified_model_recovers_per_stratum_baselines():
    """Measured: 81-109 s on 2 cores shared with 5 other sessions (1,200 rows, 2 x 1,000)."""
    data = _simulate()
    model = coalsurv.SurvivalModel("x", family="weibull", strata="stratum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=1000, tune=1000, chains=2, random_seed=7,
                        progressbar=False)
    levels = list(fit.info.strata_levels)
    alpha = 0.1 / 7
    q = (alpha / 2, 1 - alpha / 2)
    shape = fit.idata["posterior"]["shape"].values.reshape(-1, 1, len(levels))[:, 0, :]
    for j, level in enumerate(levels):
        lo, hi = np.quantile(shape[:, j], q)
        assert lo <= SHAPES[level] <= hi, (level, lo, hi)
    new = pd.DataFrame({"x": 0.0, "stratum": levels})
    median = fit.median_lifespan(new, ci_prob=1 - alpha)
    truth = np.array([SCALES[s] * np.log(2) ** (1 / SHAPES[s]) for s in levels])
    assert np.all((median["lower"] <= truth) & (truth <= median["upper"])), (median, truth)
    ratios = fit.hazard_ratios(ci_prob=1 - alpha)
    unit = ratios[(ratios["term"] == "x") & (ratios["scale"] == "per unit")].iloc[0]
    assert unit["lower"] <= np.exp(0.5) <= unit["upper"]
