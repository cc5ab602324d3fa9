"""The native kernel refuses the structures of issue 22 it lacks with a reason (the PyMC path
runs); strata, shape covariates and cure (issue 23) are accepted.
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


CASES = [
    ({"family": "gengamma", "strata": "sex", "strata_parts": ("shape",)},
     "stratified shapes of family 'gengamma'"),
]


@pytest.mark.parametrize(("options", "why"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_new_structures_do_not_take_the_native_path(options, why):
    model = SurvivalModel("x", **options)
    pm_model, _, info, _ = model.build(_data())
    kernel_plan, reason = plan(pm_model, info, model.spec.family_options)
    assert kernel_plan is None
    assert why in reason


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
