"""The structures of issue 22 take the native kernel: strata, shape covariates, cure, rp and
the gamma families (issue 23). The last refusal, the generalised gamma with stratified shapes
and time-varying covariates, is gone: test_kernel_gamma.py checks that model against the graph
(``test_gengamma_stratified_shapes_with_spells_equal_pymc``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.backend.native import plan


def _data(n=40):
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"duration": rng.weibull(1.2, n) * 6 + 0.2,
                       "ended": rng.choice(["end", "censored"], n), "x": rng.normal(size=n),
                       "z": rng.normal(size=n), "sex": rng.choice(["f", "m"], n)})
    return CoalitionData.from_frame(df, duration="duration", event="ended",
                                    covariates=["x", "z"], groups=["sex"], time_unit="months")


@pytest.mark.parametrize("options", [
    {"family": "weibull"},
    {"family": "weibull", "strata": "sex"},
    {"family": "weibull", "strata": "sex", "strata_parts": ("shape",)},
    {"family": "weibull_aft", "strata": "sex", "strata_parts": ("level",)},
    {"family": "weibull", "shape": "z"},
    {"family": "lognormal", "shape": "z"},
    {"family": "weibull", "cure": "1", "cure_link": "probit"},
    {"family": "weibull", "cure": "1", "cure_type": "promotion"},
    {"family": "rp"},
    {"family": "rp", "family_options": {"scale": "odds", "k": 1}},
    {"family": "piecewise", "cure": "z", "family_options": {"n_intervals": 3}},
    {"family": "gamma", "strata": "sex", "strata_parts": ("shape",), "shape": "z"},
    {"family": "gengamma", "strata": "sex", "strata_parts": ("level",), "shape": "z",
     "cure": "1"},
    {"family": "gengamma", "strata": "sex", "strata_parts": ("shape",)},
], ids=str)
def test_plain_weibull_strata_and_shape_take_it(options):
    model = SurvivalModel("x", **options)
    pm_model, _, info, _ = model.build(_data())
    kernel_plan, reason = plan(pm_model, info, model.spec.family_options)
    assert kernel_plan is not None, reason


@pytest.mark.parametrize(("formula", "family"), [
    ("tve(x, type='pw', df=2) + z", "rp"),
    ("tve(x, type='pw', df=2) + z + (1 + z | sex)", "weibull"),
])
def test_tve_with_rp_or_varying_slopes_is_accepted(formula, family):
    """Checked against the graph together: ``tests/fit/test_kernel_combos.py``."""
    model = SurvivalModel(formula, family=family)
    pm_model, _, info, _ = model.build(_data())
    kernel_plan, reason = plan(pm_model, info, model.spec.family_options)
    assert kernel_plan is not None and kernel_plan.tve, reason
