"""Rank deficiency and near-collinearity are found before sampling and name the terms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.build.collinearity import CollinearityWarning
from coalsurv.errors import SpecError


def _data(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    g = np.repeat(["a", "b", "c", "d"], n // 4)
    level = {"a": 0.0, "b": 1.0, "c": 1.0, "d": 3.0}
    x1 = rng.normal(size=n)
    df = pd.DataFrame({"id": np.arange(n), "t": rng.exponential(size=n) + 0.1,
                       "d": rng.binomial(1, 0.7, size=n), "x1": x1,
                       "x2": x1 + rng.normal(scale=0.02, size=n),  # near copy of x1
                       "rule": [level[v] for v in g], "g": g})
    return coalsurv.CoalitionData.from_frame(
        df, duration="t", event="d", id="id", covariates=["x1", "x2", "rule"],
        groups=["g"], time_unit="days")


def _warnings(formula, data):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        coalsurv.SurvivalModel(formula, family="weibull").build(data)
    return [str(w.message) for w in seen if issubclass(w.category, CollinearityWarning)]


def test_covariate_constant_within_a_fixed_factor_is_refused_by_name():
    """King 1990's invest + C(country): invest is a combination of the country dummies."""
    with pytest.raises(SpecError, match="rank deficient") as err:
        coalsurv.SurvivalModel("x1 + rule + C(g) + (1 | g)", family="weibull").build(_data())
    (problem,) = err.value.problems
    assert "'rule'" in problem and "C(g)[T.b]" in problem and "'x1'" not in problem


def test_near_collinear_terms_warn_with_condition_number_and_vif():
    (text,) = _warnings("x1 + x2 + rule", _data())
    assert "condition number" in text and "x1 (VIF" in text and "x2 (VIF" in text
    assert "rule (VIF" not in text


def test_frailty_spanned_by_fixed_effects_warns_and_group_level_covariate_does_not():
    (text,) = _warnings("x1 + C(g) + (1 | g)", _data())
    assert "(1 | g) is spanned" in text and "C(g)[T.d]" in text
    assert _warnings("x1 + rule + (1 | g)", _data()) == []  # a group-level covariate is fine


def test_checks_scale_to_many_rows_and_groups():
    """N = 10^5 and 500 groups: no n x n or n x levels matrix (a full SVD needed 75 GB)."""
    from types import SimpleNamespace

    from coalsurv.build.collinearity import check_collinearity

    rng = np.random.default_rng(0)
    n = 100_000
    X = rng.standard_normal((n, 3))
    group = SimpleNamespace(term=SimpleNamespace(intercept=True, factor="g"), name="g",
                            levels=list(range(500)), index=rng.integers(0, 500, n))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_collinearity("a + b + c", ("a", "b", "c"), X, (group,))
    X[:, 2] = X[:, 0] - X[:, 1]
    with pytest.raises(SpecError, match="rank deficient"):
        check_collinearity("a + b + c", ("a", "b", "c"), X, ())
