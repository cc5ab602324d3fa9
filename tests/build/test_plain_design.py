"""A formula of plain numeric columns skips formulaic: the same design, bit for bit.

``make_design`` takes such columns directly (:func:`coalsurv.build.design.plain_columns`) and
builds formulaic's spec only when new data need it (:class:`~coalsurv.build.design.
LazyFormulaicSpec`); everything else goes through formulaic as before.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.build import design as design_module
from coalsurv.spec.modelspec import ModelSpec


def _data(n: int = 60, seed: int = 3):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.arange(n), "t": rng.exponential(size=n) + 0.1, "d": rng.binomial(1, 0.7, n),
        "a": rng.normal(size=n) * 1e3 + 7.0, "b": rng.integers(0, 50, n),
        "c": rng.normal(size=n).astype("float32"), "u": rng.integers(0, 9, n).astype("uint8"),
        "flag": rng.integers(0, 2, n).astype(bool), "era": rng.choice(["x", "y", "z"], n),
        "g": np.repeat(["p", "q", "r", "s"], n // 4)})
    return coalsurv.CoalitionData.from_frame(
        df, duration="t", event="d", id="id", covariates=["a", "b", "c", "u", "flag"],
        groups=["g", "era"], time_unit="days")


@pytest.mark.parametrize("formula", ["a + b + c + u + (1 | g)", "u + c + a + (1 | g)", "b"])
def test_plain_columns_give_formulaics_design_bit_for_bit(formula, monkeypatch):
    data = _data()
    spec = ModelSpec(formula=formula, family="weibull")
    fast = design_module.make_design(spec, data)
    assert isinstance(fast._formulaic_spec, design_module.LazyFormulaicSpec)
    monkeypatch.setattr(design_module, "plain_columns", lambda fixed, frame: None)
    slow = design_module.make_design(spec, data)
    assert not isinstance(slow._formulaic_spec, design_module.LazyFormulaicSpec)
    assert fast.terms == slow.terms
    for name in ("means", "sds", "X"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    new = data.episode_profiles().iloc[:7].copy()
    new.iloc[0, 0] = 1.5e4
    np.testing.assert_array_equal(fast.transform(new), slow.transform(new))
    assert fast._formulaic_spec.resolve() == slow._formulaic_spec  # formulaic's ModelSpec
    for twin in (copy.deepcopy(fast), pickle.loads(pickle.dumps(fast))):
        np.testing.assert_array_equal(twin.transform(new), slow.transform(new))


@pytest.mark.parametrize("fixed", ["flag + a", "era + a", "a + a", "log(a)", "a:b", "a * b",
                                   "center(a)", "a + missing", "lambda + a", "a - 1"])
def test_anything_but_plain_numeric_columns_goes_through_formulaic(fixed):
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1, 5, 2], "lambda": [0.5, 1.0, 2.0],
                          "flag": [True, False, True], "era": ["x", "y", "x"]})
    assert design_module.plain_columns("a + b", frame) == ("a", "b")
    assert design_module.plain_columns(fixed, frame) is None
    frame["b"] = frame["b"].astype("Int64")  # nullable: formulaic's business
    assert design_module.plain_columns("a + b", frame) is None


def test_a_missing_newdata_column_is_named_through_the_lazy_spec():
    data = _data()
    fit_design = design_module.make_design(ModelSpec(formula="a + b", family="weibull"), data)
    with pytest.raises(coalsurv.errors.SpecError, match="missing column"):
        fit_design.transform(pd.DataFrame({"a": [1.0]}))
