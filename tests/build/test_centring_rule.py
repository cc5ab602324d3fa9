"""frailty_centring="auto": the events-per-level rule and the frailty-variance rule (issue 23).

Builds only (no fits): which frailty intercepts ``auto`` centres on simulated data whose
frailty SD and events per level are known. The choice never changes the model
(tests/fit/test_kernel.py, ``test_centring_never_changes_the_posterior``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.build.info import CENTRE_MIN_INFORMATION, frailty_variance


def _frame(n, groups, sd, seed=1):
    """Weibull PH (shape 1.3) + Normal(0, sd) frailty, two covariates, ~30% censored."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    g = np.arange(n) % groups
    u = rng.normal(scale=sd, size=groups)
    t = (-np.log(rng.uniform(size=n)) / np.exp(-0.5 + X @ [0.4, -0.3] + u[g])) ** (1 / 1.3)
    c = rng.uniform(0, 3.0 * np.median(t), size=n)
    return pd.DataFrame({"duration": np.maximum(np.minimum(t, c), 1e-3) * 365.0,
                         "ended": (t <= c).astype(int), "x1": X[:, 0], "x2": X[:, 1],
                         "g": [f"g{k:03d}" for k in g], "h": [f"h{k % 7}" for k in g]})


def _data(df):
    return coalsurv.CoalitionData.from_frame(df, duration="duration", event="ended",
                                             covariates=["x1", "x2"], groups=["g", "h"],
                                             time_unit="days")


@pytest.mark.parametrize(("sd", "low", "high"), [(0.0, 0.0, 0.03), (0.7, 0.2, 0.9)])
def test_frailty_variance_estimates_the_simulated_variance(sd, low, high):
    df = _frame(2000, 40, sd, seed=2)
    X = df[["x1", "x2"]].to_numpy()
    index = np.unique(df["g"], return_inverse=True)[1]
    s2 = frailty_variance((X - X.mean(0)) / X.std(0), df["duration"].to_numpy() / 365.0,
                          df["ended"].to_numpy(float), index, 40)
    assert low <= s2 <= high, s2
    # no events at all: nothing to estimate, and no error
    assert frailty_variance(X, np.ones(len(X)), np.zeros(len(X)), index, 40) == 0.0
    # duplicated columns, and a covariate that separates the events: finite, no error
    ended = df["ended"].to_numpy(float)
    odd = np.column_stack([X, X[:, :1], ended * 5.0])
    with np.errstate(all="raise"):
        assert np.isfinite(frailty_variance(odd, np.ones(len(X)), ended, index, 40))


@pytest.mark.parametrize(("groups", "sd", "centred"), [
    (30, 0.8, ("g",)),  # ~12 events a level, a large SD: the levels' data pin them
    (30, 0.05, ()),     # a small SD: centred levels would make a funnel
    (100, 0.5, ()),     # ~4 events a level: too thin
])
def test_auto_centres_a_well_informed_frailty(groups, sd, centred):
    data = _data(_frame(630, groups, sd, seed=1))
    _, _, info, _ = coalsurv.SurvivalModel("x1 + x2 + (1 | g)").build(data)
    assert info.centred_groups == centred
    forced = coalsurv.SurvivalModel("x1 + x2 + (1 | g)",
                                    family_options={"frailty_centring": "noncentred"})
    assert forced.build(data)[2].centred_groups == ()


def test_the_variance_rule_is_for_a_single_frailty_factor():
    """Two frailty factors: only the events-per-level rule (the estimate ignores the other).

    ``g`` is centred alone (above); beside ``h`` it is not. ``h`` (7 levels of ~60 events)
    is centred by the events-per-level rule.
    """
    data = _data(_frame(630, 30, 0.8, seed=1))
    _, _, info, _ = coalsurv.SurvivalModel("x1 + x2 + (1 | g) + (1 | h)").build(data)
    assert info.centred_groups == ("h",)
    assert CENTRE_MIN_INFORMATION > 0
