"""Simulation-based calibration: the simulator, the rank tables and a quick calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.batch.calibration import Calibration
from coalsurv.batch.simulate import pin_model, simulate_from_prior, template_data
from coalsurv.build.graph import data_constants


def _calibration(ranks, truth_inside=True, n_rank_draws=99):
    rows = []
    for i, r in enumerate(ranks):
        lo, hi = (-1.0, 1.0) if truth_inside else (1.0, 2.0)
        rows.append({"simulation": i, "quantity": "beta[any, x]", "truth": 0.0, "rank": int(r),
                     "q05": lo, "q25": lo, "q75": hi, "q95": hi})
    return Calibration("test", pd.DataFrame(rows), n_rank_draws, pd.DataFrame())


def test_uniform_ranks_pass_and_piled_up_ranks_fail():
    rng = np.random.default_rng(1)
    good = _calibration(rng.integers(0, 100, size=200))
    assert good.uniformity()["ok"].all()
    bad = _calibration(np.r_[np.zeros(100), rng.integers(0, 100, size=100)])
    table = bad.uniformity()
    assert not table["ok"].any() and table.loc[0, "p_chisq"] < 1e-6


def test_coverage_flags_intervals_that_always_or_never_cover():
    always = _calibration(np.arange(100)).coverage()
    assert list(always["share"]) == [1.0, 1.0]
    assert not always["ok"].any()  # 50% intervals covering every time are too wide
    never = _calibration(np.arange(100), truth_inside=False).coverage()
    assert not never["ok"].any()


def test_tree_is_simuks_prior_sbc_format_and_plots():
    cal = _calibration(np.random.default_rng(2).integers(0, 100, size=50))
    tree = cal.tree()
    ranks = tree["prior_sbc"]["beta[any, x]"]
    assert ranks.dims == ("chain", "draw") and ranks.shape == (1, 50)
    pc = cal.plot()
    assert pc is not None


def test_pinned_model_fixes_data_based_choices_and_simulation_is_seeded():
    model = coalsurv.SurvivalModel("breadth + (1 | group)", family="weibull",
                                   causes=["dissolution", "alliance"])
    template = template_data(model, n_rows=40, seed=3)
    pinned = pin_model(model, template)
    assert pinned.model.spec.family_options["time_scale"] == pinned.info.time_scale
    assert set(pinned.model.priors.priors) == {"intercept[dissolution]", "intercept[alliance]"}
    assert "intercept_centre" not in data_constants(pinned.model.priors, pinned.info)
    prior = pinned.model.sample_prior(template, draws=4, random_seed=5)
    a = simulate_from_prior(pinned, prior, 1, seed=5)
    b = simulate_from_prior(pinned, prior, 1, seed=5)
    c = simulate_from_prior(pinned, prior, 2, seed=5)
    assert a.data_hash() == b.data_hash() != c.data_hash()
    assert set(a.to_frame()["cause"]) <= {"dissolution", "alliance", "censored"}
    assert float(np.max(a.time)) <= pinned.censor_at


def test_quick_sbc_of_a_weibull_model(inline_client):
    """20 replicates of 40 coalitions: runs end to end, every rank table well formed.

    Twenty replicates cannot show miscalibration reliably; the full runs are ``make validate``
    (``reports/validation``). Warm refits on the native kernel: a few seconds in all.
    """
    model = coalsurv.SurvivalModel("breadth", family="weibull")
    result = coalsurv.sbc(model, n_simulations=20, n_rows=40, seed=11, client=inline_client,
                          draws=100, tune=150, chains=2, thin=2, progress=False)
    assert result.settings["failed"] == 0 and result.n_simulations == 20
    tau = result.settings["time_scale"]
    assert set(result.quantities) == {"intercept[any]", "beta[any, breadth]", "shape[any]",
                                      *(f"S(t={f * tau:.4g})" for f in (0.5, 1, 2))}
    ranks = result.draws["rank"]
    assert ranks.between(0, result.n_rank_draws).all()
    uni = result.uniformity()
    assert uni["p_chisq"].between(0, 1).all()
    # a gross error would pile ranks at one end; with 20 replicates none should be extreme
    assert (uni["p_chisq"] > 1e-4).all(), uni
    cover = result.coverage()
    assert set(cover["nominal"]) == {0.5, 0.9}


@pytest.mark.parametrize("kwargs, match", [
    ({"n_simulations": 1}, "n_simulations"),
    ({"n_rows": 3}, "n_rows"),
    ({"thin": 100}, "at least 10"),
])
def test_bad_sbc_arguments(kwargs, match):
    model = coalsurv.SurvivalModel("breadth", family="weibull")
    options = {"n_simulations": 5, "n_rows": 40, "seed": 1, **kwargs}
    with pytest.raises(coalsurv.ArgumentError, match=match):
        coalsurv.sbc(model, **options)
