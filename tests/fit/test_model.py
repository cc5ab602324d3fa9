"""SurvivalModel and Fit: compile checks for every family, a tiny session fit, predictions,
save/load, reproducibility, compiled-model reuse and bad input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import coalsurv
from coalsurv import ArgumentError, FitFileError, SpecError
from coalsurv.simulation import simulate_single_cause

#: Every registered family under its canonical name (aliases such as "weibull" left out).
FAMILIES = sorted(name for name, fam in coalsurv.families.FAMILIES.items() if fam.name == name)
TINY = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False}


@pytest.fixture(scope="session")
def sim():
    return simulate_single_cause(n_coalitions=200, n_groups=8, seed=11)


@pytest.fixture(scope="session")
def sim_messy():
    """Delayed entry and interval censoring."""
    return simulate_single_cause(n_coalitions=150, n_groups=6, seed=12,
                                 delayed_entry_share=0.3, interval_share=0.2)


@pytest.fixture(scope="session")
def fit(sim):
    model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family="weibull")
    return model.fit(sim.data, random_seed=7, **TINY)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_compiles_with_finite_gradient(family, sim_messy):
    """Compile-only check: finite log density and gradient at the initial point."""
    model, design, info, _ = coalsurv.SurvivalModel(
        "breadth + power_hhi + (1 | group)", family=family).build(sim_messy.data)
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    assert np.all(np.isfinite(model.compile_dlogp()(point)))
    positive = sim_messy.data.time[sim_messy.data.time > 0]
    assert info.time_scale == pytest.approx(float(np.median(positive)), rel=0.01)
    assert design.X.shape == (sim_messy.data.n, 2)
    np.testing.assert_allclose(design.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(design.X.std(axis=0), 1.0)


def test_summary_and_ratios(fit):
    summary = fit.summary(ci_prob=0.9)
    assert {"parameter", "mean", "sd", "lower", "upper", "ci_prob", "ess_bulk", "r_hat"} <= set(
        summary.columns)
    assert {"beta[breadth]", "beta[power_hhi]", "shape", "sd_group"} <= set(summary.parameter)
    assert (summary.ci_prob == 0.9).all()
    assert (summary.ess_bulk == summary.ess_bulk.round()).all()  # a count, not 1426.347729
    ratios = fit.hazard_ratios()
    assert ratios.attrs["ratio"] == "hazard ratio"
    per_unit = ratios.set_index(["term", "scale"])
    # per unit = exp(beta_sd / sd): the quantiles of the per-unit ratio are those of the per-SD
    # ratio raised to 1 / sd (the median of an even number of draws averages two, so compare
    # with the draws themselves)
    sd = per_unit.loc[("breadth", "per SD"), "sd_of_covariate"]
    beta = fit.idata["posterior"]["beta"].values[..., 0, 0].ravel()
    assert sd == pytest.approx(float(fit.data.covariates["breadth"].std(ddof=0)))
    assert per_unit.loc[("breadth", "per unit"), "median"] == pytest.approx(
        float(np.median(np.exp(beta / sd))), rel=1e-12)
    assert per_unit.loc[("breadth", "per unit"), "lower"] == pytest.approx(
        float(np.quantile(np.exp(beta / sd), 0.025)), rel=1e-12)
    summary_beta = summary.set_index("parameter").loc["beta[breadth]"]
    assert summary_beta["mean"] == pytest.approx(float(beta.mean()), rel=1e-12)
    assert (ratios["lower"] <= ratios["median"]).all()
    assert (ratios["median"] <= ratios["upper"]).all()


def test_survival_is_tidy_monotone_and_states_its_mass(fit, sim):
    newdata = pd.DataFrame({"breadth": [0.2, 0.6], "power_hhi": [0.3, 0.7]}, index=[10, 11])
    times = [1, 12, 24, 48]
    curves = fit.survival(times, newdata, ci_prob=0.8)
    assert list(curves.columns[:6]) == ["row", "time", "mean", "lower", "upper", "ci_prob"]
    assert set(curves.row) == {10, 11} and (curves.ci_prob == 0.8).all()
    assert {"breadth", "power_hhi"} <= set(curves.columns)
    for _, one in curves.groupby("row"):
        assert np.all(np.diff(one["mean"].to_numpy()) <= 0)
        assert ((one.lower <= one["mean"]) & (one["mean"] <= one.upper)).all()
    draws = fit.survival(times, newdata, summary=False)
    assert isinstance(draws, xr.DataArray) and draws.dims == ("draw", "row", "time")
    hazard = fit.hazard(times, newdata)
    assert (hazard["mean"] > 0).all() and "cause" in hazard


def test_frailty_modes_and_group_effects(fit):
    newdata = pd.DataFrame({"breadth": [0.4] * 2, "power_hhi": [0.5] * 2,
                            "group": [fit.design.groups[0].levels[0], "unseen"]})
    cond = fit.survival([24], newdata)
    zero = fit.survival([24], newdata, frailty="zero")
    assert cond["mean"].iloc[1] != pytest.approx(zero["mean"].iloc[1], abs=1e-9)  # marginal
    effects = fit.group_effects()
    assert set(effects.level) == set(fit.design.groups[0].levels)
    assert (effects.n > 0).all()


def test_quantities_of_interest(fit):
    newdata = pd.DataFrame({"breadth": [0.2, 0.6], "power_hhi": [0.5, 0.5]})
    med = fit.median_lifespan(newdata)
    assert (med["mean"] > 0).all() and med.attrs["time_unit"] == "months"
    rmst = fit.rmst(36, newdata)
    assert (rmst["upper"] <= 36).all()
    contrast = fit.contrast("power_hhi", (0.3, 0.7), newdata=newdata.iloc[:1])
    assert list(contrast.what) == ["from", "to", "difference"]
    life = fit.predict_lifespans(newdata, random_seed=1)
    assert life["lifespan"].shape[1] == 2 and np.all(life["lifespan"].values > 0)


def test_save_load_identical_and_tamper_refused(fit, tmp_path):
    path = fit.save(tmp_path / "fit.nc")
    loaded = coalsurv.load_fit(path)
    times = [6, 24]
    pd.testing.assert_frame_equal(fit.survival(times), loaded.survival(times))
    pd.testing.assert_frame_equal(fit.hazard_ratios(), loaded.hazard_ratios())
    assert loaded.spec == fit.spec and loaded.data_hash == fit.data_hash
    assert loaded.settings == fit.settings and loaded.versions == fit.versions
    assert (loaded.data.name, loaded.data.source) == (fit.data.name, fit.data.source)

    import h5py

    tampered = tmp_path / "tampered.nc"
    tampered.write_bytes(path.read_bytes())
    with h5py.File(tampered, "r+") as handle:
        handle["posterior/beta"][0, 0, 0, 0] += 1.0
    with pytest.raises(FitFileError, match="altered after saving: posterior differs"):
        coalsurv.load_fit(tampered)
    not_a_fit = tmp_path / "x.nc"
    not_a_fit.write_text("hello", encoding="utf-8")
    with pytest.raises(FitFileError, match="not a readable NetCDF"):
        coalsurv.load_fit(not_a_fit)
    with pytest.raises(FitFileError, match="does not exist"):
        coalsurv.load_fit(tmp_path / "missing.nc")


def test_same_seed_same_draws_and_compiled_reuse_swaps_data(sim):
    from coalsurv.backend import sampling

    sampling.clear_compiled_cache()  # the PyMC path's compiled kernels (kernel="pymc")
    pymc_path = {"draws": 100, "tune": 100, "chains": 2, "progressbar": False,
                 "kernel": "pymc"}
    model = coalsurv.SurvivalModel("breadth + power_hhi", family="exponential")
    first = sim.data.subset(np.arange(sim.data.n) < 100)
    second = sim.data.subset(np.arange(sim.data.n) >= 100)
    a = model.fit(first, random_seed=3, **pymc_path)
    b = model.fit(second, random_seed=3, **pymc_path)
    again = model.fit(first, random_seed=3, **pymc_path)
    assert sampling.compiled_cache_size() == 1  # one compilation served three fits
    post = lambda f: f.idata["posterior"]["beta"].values  # noqa: E731
    np.testing.assert_array_equal(post(a), post(again))
    assert not np.array_equal(post(a), post(b))
    # the pointwise log likelihood and log prior of the warm refit (compiled once, new data
    # swapped in) are PyMC's own for the second data set
    import pymc as pm

    built, *_ = model.build(second)
    for group, compute in (("log_likelihood", pm.compute_log_likelihood),
                           ("log_prior", pm.compute_log_prior)):
        ref = compute(b.idata.copy(), model=built, progressbar=False, extend_inferencedata=False)
        ours = b.idata[group].to_dataset()
        assert set(ours.data_vars) == set(ref.data_vars)
        for name in ref.data_vars:
            assert ours[name].dims == ref[name].dims
            np.testing.assert_allclose(ours[name].values, ref[name].values, rtol=1e-12)
    # a refit through the kernel compiled for other data gives the draws of a fresh compile:
    # nothing data-based (intercept centre, cut points) stays baked into the kernel
    sampling.clear_compiled_cache()
    fresh = model.fit(second, random_seed=3, **pymc_path)
    np.testing.assert_array_equal(post(b), post(fresh))
    assert b.resolved_priors == fresh.resolved_priors


def test_competing_risks_cif_adds_up():
    data = coalsurv.datasets.load_synthetic()
    data = data.subset(np.arange(data.n) < 200)
    fit = coalsurv.SurvivalModel("breadth", family="weibull",
                                 causes=list(data.causes)).fit(data, random_seed=2, **TINY)
    times = [6, 24, 60]
    cif = fit.cumulative_incidence(times).groupby("time")["mean"].sum().to_numpy()
    surv = fit.survival(times)["mean"].to_numpy()
    np.testing.assert_allclose(cif + surv, 1.0, atol=0.01)
    assert set(fit.hazard_ratios().cause) == set(data.causes)


@pytest.mark.parametrize(
    ("formula", "kwargs", "message"),
    [
        ("breadth + nonsense", {}, "unknown column\\(s\\) \\['nonsense'\\]"),
        ("breadth + (1 | country)", {}, "grouping factor \\['country'\\]"),
        ("breadth", {"causes": ["war"]}, "not endings in the data"),
        ("breadth + (1 + power_hhi | group)", {}, "must also be a fixed term"),
    ],
)
def test_bad_specs_name_the_problem(sim, formula, kwargs, message):
    with pytest.raises(SpecError, match=message):
        coalsurv.SurvivalModel(formula, family="weibull", **kwargs).build(sim.data)


def test_bad_fit_arguments(fit, sim):
    model = coalsurv.SurvivalModel("breadth", family="weibull")
    with pytest.raises(ArgumentError, match="draws must be an integer >= 1"):
        model.fit(sim.data, draws=-5)
    with pytest.raises(SpecError, match="needs a CoalitionData"):
        model.fit(sim.frame)
    with pytest.raises(ArgumentError, match="ci_prob"):
        fit.survival([1], ci_prob=1.5)
    with pytest.raises(SpecError, match="missing column"):
        fit.survival([1], pd.DataFrame({"breadth": [0.1]}))
    with pytest.raises(ArgumentError, match="times must be"):
        fit.survival([-1.0])
