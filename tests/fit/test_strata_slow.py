"""Statistical validation of stratified baselines: per-stratum Weibull baselines recovered.

Independent simulated data: three strata with Weibull shapes 0.8, 1.2, 1.6 and scales 6, 12,
24 months, one shared covariate (log hazard ratio 0.5 per unit); censoring uniform on (2, 60)
months. The 90% intervals must cover each stratum's shape and its median lifespan at x = 0
(``scale * log(2) ** (1 / shape)``), and the shared hazard ratio.
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
    """Measured: see the report of the session (2 cores shared; 1,200 rows, 2 x 1,000)."""
    data = _simulate()
    model = coalsurv.SurvivalModel("x", family="weibull", strata="stratum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=1000, tune=1000, chains=2, random_seed=7,
                        progressbar=False)
    levels = list(fit.info.strata_levels)
    shape = fit.idata["posterior"]["shape"].values.reshape(-1, 1, len(levels))[:, 0, :]
    for j, level in enumerate(levels):
        lo, hi = np.quantile(shape[:, j], [0.05, 0.95])
        assert lo <= SHAPES[level] <= hi, (level, lo, hi)
    new = pd.DataFrame({"x": 0.0, "stratum": levels})
    median = fit.median_lifespan(new, ci_prob=0.9)
    truth = np.array([SCALES[s] * np.log(2) ** (1 / SHAPES[s]) for s in levels])
    assert np.all((median["lower"] <= truth) & (truth <= median["upper"])), (median, truth)
    ratios = fit.hazard_ratios(ci_prob=0.9)
    unit = ratios[(ratios["term"] == "x") & (ratios["scale"] == "per unit")].iloc[0]
    assert unit["lower"] <= np.exp(0.5) <= unit["upper"]
