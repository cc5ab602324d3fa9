"""Wide positive priors start chains at most at 1 on both routes (bml's priors stuck chains)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.backend.init import initial_points
from coalsurv.backend.native import plan
from coalsurv.backend.native_buffer import support

WIDE = {"shape": {"dist": "Exponential", "lam": 0.001}, "sd": {"dist": "HalfCauchy", "beta": 25.0}}


def _data():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"t": rng.weibull(1.2, 40) + 0.1, "x": rng.normal(size=40),
                       "g": rng.choice(list("abcd"), 40)})
    df["end"] = np.where(rng.uniform(size=40) < 0.8, "ended", "censored")
    return CoalitionData.from_frame(df, duration="t", event="end", covariates=["x"],
                                    groups=["g"], time_unit="years")


def test_wide_positive_priors_start_at_most_at_one_on_both_routes():
    model = SurvivalModel("x + (1 | g)", family="weibull", priors=WIDE)
    pm_model, _, info, _ = model.build(_data())
    starts = initial_points(pm_model)
    assert set(starts) >= {"shape", "sd_g"}
    assert all(np.all(v <= 1.0) for v in starts.values())
    kplan, reason = plan(pm_model, info)
    assert kplan is not None, reason
    for name in ("shape", "sd_g"):
        assert support(kplan.block(name)) <= 0.0  # log scale: at most 1


def test_default_priors_keep_pymcs_starts():
    """HalfNormal(1) frailty SDs start at 1 and are not listed (golden draws unchanged)."""
    pm_model, _, _, _ = SurvivalModel("x + (1 | g)", family="weibull").build(_data())
    assert "sd_g" not in initial_points(pm_model)
