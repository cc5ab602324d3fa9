"""Sampling robustness (issue 23): native starts, flagged stuck chains, tve warm refit and default.

Issue 23: with shape covariates a unit jitter of ``beta_shape`` at a row several SD out gave a
start at log density -1e11 and a chain stuck through short tuning (coalgov ``weibull+shape``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.backend import native
from coalsurv.backend.kernel import logp_grad
from coalsurv.backend.native_buffer import START_BUDGET
from coalsurv.backend.sampling import CoalsurvSamplingWarning, SamplerSettings, sample
from coalsurv.fit.sampler_record import sampler_record


def _outlier_data(n=80, seed=4):
    """Weibull data whose shape covariate has one row 8 SD out (after standardising)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    z[0] = 9.0
    t = 2.0 * rng.weibull(1.3, size=n) + 0.05
    return CoalitionData.from_frame(pd.DataFrame({"duration": t, "z": z, "ended": "end"}),
                                    duration="duration", event="ended", covariates=["z"],
                                    time_unit="months")


def test_far_out_jittered_starts_are_pulled_towards_the_centre():
    model, _, info, _ = SurvivalModel("z", family="weibull", shape="z").build(_outlier_data())
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    plain, guarded = native.initial_point(kplan), native.initial_point(kplan, buf)
    centre = np.concatenate([np.full(b.size, native.support(b)) for b in kplan.blocks])
    grad = np.empty(kplan.ndim)
    floor = logp_grad(buf, centre, grad) - START_BUDGET * (80 + kplan.ndim)
    before = [logp_grad(buf, plain(s), grad) for s in range(20)]
    after = [logp_grad(buf, guarded(s), grad) for s in range(20)]
    assert min(before) < floor  # some unguarded start is far out (else the test says nothing)
    assert min(after) >= floor and np.all(np.isfinite(after))
    for s in range(20):  # same seed, same start; good starts keep their full jitter
        np.testing.assert_array_equal(guarded(s), guarded(s))
        if before[s] >= floor:
            np.testing.assert_array_equal(guarded(s), plain(s))


def _fake_idata(stuck: bool):
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(4, 100))
    if stuck:
        draws[3] += 5.0  # one chain elsewhere
    diverging = np.zeros((4, 100), dtype=bool)
    diverging[3, :7] = stuck
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"beta": (("chain", "draw"), draws)}),
        "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), diverging)})})


def test_a_stuck_chain_is_flagged_on_the_console_and_in_the_record():
    from coalsurv.backend import sampling

    settings = SamplerSettings(draws=100, tune=100, chains=4, random_seed=1)
    idata = _fake_idata(stuck=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampling._warn_in_plain_words(idata, settings)
    said = [str(w.message) for w in caught if w.category is CoalsurvSamplingWarning]
    record = sampler_record(idata)
    assert record["divergences"] == 7 and record["max_rhat"] > 1.5
    assert record["warnings"] == tuple(said) and len(said) == 2
    assert "7 of 400 draws diverged" in said[0] and "R-hat" in said[1]
    calm = _fake_idata(stuck=False)
    sampling._warn_in_plain_words(calm, settings)
    record = sampler_record(calm)
    assert record["divergences"] == 0 and record["warnings"] == () and record["max_rhat"] < 1.05


def test_native_fit_records_that_nothing_was_compiled():
    data = _outlier_data(n=40)
    model, _, info, _ = SurvivalModel("z", family="weibull").build(data)
    settings = SamplerSettings(draws=30, tune=30, chains=1, random_seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = sample(model, settings, progressbar=False, native=(info, {}))
    record = sampler_record(idata)
    assert record["kernel"] == "native" and record["compiled"] == "none"
    assert np.isnan(record["max_rhat"]) and isinstance(record["divergences"], int)


def test_smooth_tve_refit_on_new_data_compiles_nothing_and_samples_at_0_9():
    """The grid and knots come from the event times: new data move them, the kernel stays."""
    from coalsurv.fit.model import TVE_TARGET_ACCEPT

    rng = np.random.default_rng(3)
    n = 40
    frame = pd.DataFrame({"duration": rng.weibull(1.3, n) * 10 + 0.5, "x": rng.normal(size=n),
                          "ended": rng.choice(["end", "censored"], n)})
    model = SurvivalModel("tve(x, df=2)", family="weibull")
    fits, bounds = [], []
    for factor in (np.ones(n), rng.uniform(0.9, 1.1, n)):  # same shape, jittered durations
        data = CoalitionData.from_frame(frame.assign(duration=frame["duration"] * factor),
                                        duration="duration", event="ended", covariates=["x"],
                                        time_unit="months")
        pm_model, _, info, _ = model.build(data)
        kplan, reason = native.plan(pm_model, info, {})
        assert kplan is not None, reason
        bounds.append(np.asarray(kplan.tve_bounds))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(model.fit(data, draws=30, tune=30, chains=1, progressbar=False))
    # the grid moved (even its number of cells: 75 and 76 here); the buffer carries it
    assert bounds[0].shape != bounds[1].shape or not np.allclose(bounds[0], bounds[1])
    for fit in fits:
        assert fit.sampler["kernel"] == "native" and fit.sampler["compiled"] == "none"
        assert fit.settings.target_accept == TVE_TARGET_ACCEPT == 0.9
