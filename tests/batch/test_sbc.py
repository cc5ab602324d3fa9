"""Simulation-based calibration: the simulator, the rank tables and a quick calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.batch.calibration import (
    Calibration,
    binomial_band,
    expected_coverage,
    rank_record,
)
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


def test_chisquare_expects_each_bin_to_hold_its_share_of_the_ranks():
    """Ranks 0..100 each 500 times are exactly uniform: the chi-square must not reject them.

    101 possible ranks in 20 bins: the first holds 6 of them. Expecting equal counts, the
    test rejected this perfectly uniform table (chi-square 94 on 19 df, p ~ 1e-11).
    """
    cal = _calibration(np.repeat(np.arange(101), 500), n_rank_draws=100)
    assert cal.uniformity().loc[0, "p_chisq"] == pytest.approx(1.0)


def test_coverage_flags_intervals_that_always_or_never_cover():
    always = _calibration(np.arange(100)).coverage()
    assert list(always["share"]) == [1.0, 1.0]
    assert not always["ok"].any()  # 50% intervals covering every time are too wide
    never = _calibration(np.arange(100), truth_inside=False).coverage()
    assert not never["ok"].any()


def test_coverage_of_exact_inference_passes():
    """Truth and 100 posterior draws exchangeable (exact inference): coverage must pass.

    The central 90% interval of 100 draws' sample quantiles covers such a truth 88.2% of the
    time, not 90%: judged against 0.9, 10,000 exact simulations failed (share ~0.882 below
    the 99% range 0.892-0.908); the tve SBC's random-walk SD was flagged partly by this.
    """
    rng = np.random.default_rng(20261201)
    x = rng.standard_normal((10_000, 101))
    rows = pd.DataFrame([rank_record(i, "x", row[0], row[1:]) for i, row in enumerate(x)])
    table = Calibration("exact", rows, 100, pd.DataFrame()).coverage().set_index("nominal")
    assert table.loc[0.9, "expected"] == pytest.approx(89.1 / 101)
    assert table.loc[0.5, "expected"] == pytest.approx(49.5 / 101)
    assert table.loc[0.9, "share"] < binomial_band(0.9, 10_000)[0]  # the nominal rate's range
    assert table["ok"].all(), table


@pytest.mark.parametrize("n_draws, p", [(100, 0.9), (100, 0.5), (37, 0.9), (20, 0.5)])
def test_expected_coverage_matches_exchangeable_simulation(n_draws, p):
    rng = np.random.default_rng(n_draws)
    x = rng.uniform(size=(100_000, n_draws + 1))
    lo, hi = np.quantile(x[:, 1:], [(1 - p) / 2, (1 + p) / 2], axis=1)
    share = np.mean((x[:, 0] >= lo) & (x[:, 0] <= hi))
    assert expected_coverage(p, n_draws) == pytest.approx(share, abs=0.004)
    assert expected_coverage(p, n_draws) < p


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


def test_a_model_with_its_own_intercept_priors_is_marked_pinned_too():
    """The build's SBC exemptions (tve intervals without events) need the mark in every case."""
    from coalsurv.spec.priors import Prior

    model = coalsurv.SurvivalModel("breadth", family="weibull", causes=["dissolution"],
                                   priors={"intercept": Prior("Normal", mu=-1.0, sigma=1.0)})
    template = template_data(model, n_rows=40, seed=3)
    pinned = pin_model(model, template)
    assert pinned.model.priors.provenance["pinned_for"] == "simulation-based calibration"
    assert pinned.model.priors.get("intercept[dissolution]").params["mu"] == -1.0


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


# Measured: 69 s on the shared 2-core machine (PyMC graph refits; the kernel lacks rp).
@pytest.mark.slow
def test_quick_sbc_of_a_spline_model(inline_client):
    """Royston-Parmar spline, 20 replicates of 60 coalitions: knots pinned, ranks well formed.

    The prior draws respect the monotone bound (rejection in ``sample_prior``), so every
    simulated data set comes from an increasing spline.
    """
    model = coalsurv.SurvivalModel("breadth", family="rp", family_options={"k": 1})
    template = template_data(model, n_rows=60, seed=11)
    pinned = pin_model(model, template)
    assert pinned.info.knots == pin_model(pinned.model, template).info.knots
    assert {"knots", "bknots"} <= set(pinned.model.spec.family_options)
    result = coalsurv.sbc(model, n_simulations=20, n_rows=60, seed=11, client=inline_client,
                          draws=100, tune=200, chains=2, thin=2, progress=False)
    assert result.settings["failed"] == 0 and result.n_simulations == 20
    assert {"rp_slope[any]", "beta[any, breadth]"} <= set(result.quantities)
    ranks = result.draws["rank"]
    assert ranks.between(0, result.n_rank_draws).all()
    uni = result.uniformity()
    assert (uni["p_chisq"] > 1e-4).all(), uni


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


def test_tve_simulated_data_follow_the_models_math_written_independently():
    """The SBC's tve data sets against the model's survival, written here from the math.

    ``S_i(t) = exp(-sum_j exp(eta_i + x_i dev_j) [min(t, c_j)^k - c_{j-1}^k]_+)`` (Weibull PH,
    model time scale; ``x`` standardised by the template's SDs, population ``ddof=0``;
    ``dev`` the prior draw's own deviations on the pinned cuts): the pooled share of
    simulated coalitions still going at each time equals the mean of ``S_i(t)``.
    """
    model = coalsurv.SurvivalModel("tve(breadth, type='pw', df=3) + power_hhi",
                                   family="weibull")
    template = template_data(model, n_rows=100, seed=20261201)
    pinned = pin_model(model, template)
    prior = pinned.model.sample_prior(template, draws=30, random_seed=20261201)
    dev_all = prior["tve_dev_breadth"].values[0, :, 0, :]
    i = int(np.argmax(np.abs(dev_all).max(axis=1)))  # the draw with the largest deviations
    draw = prior.isel(chain=0, draw=i)
    frame = template.to_frame()
    raw = frame[["breadth", "power_hhi"]].to_numpy(float)
    x = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    eta = float(draw["intercept"].values[0]) + x @ draw["beta"].values[0]
    k = float(draw["shape"].values[0])
    step = draw["tve_step_breadth"].values[0]
    d = np.r_[0.0, np.cumsum(float(draw["tve_sd_breadth"].values[0]) * step)]
    dev = d - d.mean()
    np.testing.assert_allclose(dev, dev_all[i])
    edges = np.r_[0.0, pinned.info.tve["breadth"], np.inf]

    def survival(t, dev):
        cum = sum(np.exp(eta + x[:, 0] * dev[j])
                  * np.clip(min(t, edges[j + 1]) ** k - edges[j] ** k, 0.0, None)
                  for j in range(3))
        return np.exp(-cum).mean()

    reps = 150
    times = np.stack([simulate_from_prior(pinned, prior, i, seed=s).to_frame()["time"]
                      for s in range(reps)]) / pinned.info.time_scale
    grid = np.r_[0.5 * edges[1], edges[1:3], 0.5 * (edges[2] + 2.0), 1.999]
    empirical = (times[..., None] > grid).mean(axis=(0, 1))
    expected = np.array([survival(t, dev) for t in grid])
    # 15,000 coalitions (150 sets of 100; rows differ): binomial SE at most 0.004
    np.testing.assert_allclose(empirical, expected, atol=0.015)
    flat = np.array([survival(t, np.zeros(3)) for t in grid])
    assert np.abs(flat - expected).max() > 0.03  # the deviations matter at this draw


def test_rejudge_recomputes_verdicts_from_saved_ranks_without_fits(tmp_path):
    """``batch validate --rejudge``: tables and summary from the saved ranks and settings."""
    import json

    from coalsurv.batch.validate import rejudge

    rng = np.random.default_rng(2)
    for key, ranks in (("weibull", rng.integers(0, 101, size=100)),
                       ("exponential", np.zeros(100, dtype=int))):  # piled up: must fail
        frame = _calibration(ranks, n_rank_draws=100).draws
        frame.to_csv(tmp_path / f"{key}_ranks.csv", index=False)
        (tmp_path / f"{key}_settings.json").write_text(json.dumps(
            {"chains": 2, "draws": 250, "thin": 5, "n_simulations": 100, "n_rows": 100,
             "seed": 1}))
    pd.DataFrame({"model": ["weibull", "exponential"], "simulations": [100, 100],
                  "failed": [0, 0], "divergent_fits": [0, 0], "min_p_chisq": [0.5, 0.5],
                  "min_p_pot": [0.5, 0.5], "uniformity_fail": ["", ""],
                  "coverage_fail": ["old", "old"], "wall_time_s": [1.0, 2.0],
                  "sampling_time_s": [0.5, 1.0]}).to_csv(tmp_path / "summary.csv", index=False)
    summary = rejudge(tmp_path).set_index("model")
    assert summary.loc["exponential", "uniformity_fail"] == "beta[any, x]"
    assert summary.loc["weibull", "uniformity_fail"] == ""
    assert summary.loc["weibull", "wall_time_s"] == 1.0  # sizes and times kept
    assert "expected" in pd.read_csv(tmp_path / "weibull_coverage.csv").columns
    assert "rejudged from the saved ranks" in (tmp_path / "SUMMARY.md").read_text()
    with pytest.raises(coalsurv.ArgumentError, match="no saved ranks"):
        rejudge(tmp_path, keys=["gompertz"])
