"""The PyMC route's start guard (issue 23): far-out jittered starts are pulled in, as natively.

``backend/pymc_start.guard_starts`` wraps the compiled graph's initial points with the native
route's rule (``native_buffer.START_BUDGET``); the data are the native guard's test's
(``test_robust_sampling.py``): a shape covariate with one row 8 SD out, where a unit jitter of
``beta_shape`` starts at an astronomically low log density.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from coalsurv import SurvivalModel
from coalsurv.backend import sampling
from coalsurv.backend.init import initial_points
from coalsurv.backend.native_buffer import START_BUDGET
from coalsurv.backend.nutpie_import import import_nutpie
from coalsurv.backend.pymc_start import _log_density, centre_point, guard_starts
from tests.fit.test_robust_sampling import _outlier_data


@pytest.fixture(scope="module")
def compiled():
    model, _, _, _ = SurvivalModel("z", family="weibull", shape="z").build(_outlier_data())
    nutpie = import_nutpie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model, nutpie.compile_pymc_model(model, backend="numba", freeze_model=False,
                                                initial_points=initial_points(model))


def test_far_out_jittered_starts_of_the_graph_are_pulled_towards_the_centre(compiled):
    model, plain = compiled
    guarded = guard_starts(plain, model)
    logp = _log_density(plain)
    centre = centre_point(model)
    floor = logp(centre) - START_BUDGET * (80 + centre.size)
    before = [logp(plain.initial_point_func(s)) for s in range(20)]
    after = [logp(guarded.initial_point_func(s)) for s in range(20)]
    assert min(before) < floor  # some unguarded start is far out (else the test says nothing)
    assert min(after) >= floor and np.all(np.isfinite(after))
    for s in range(20):  # same seed, same start; good starts keep their full jitter
        np.testing.assert_array_equal(guarded.initial_point_func(s),
                                      guarded.initial_point_func(s))
        if before[s] >= floor:
            np.testing.assert_array_equal(guarded.initial_point_func(s),
                                          plain.initial_point_func(s))


def test_the_pymc_route_samples_from_guarded_starts(compiled, monkeypatch):
    """``kernel="pymc"`` hands nutpie the guarded initial points (its sampler is stubbed)."""
    model, plain = compiled
    seen = {}

    class Stop(Exception):
        pass

    def nuts(compiled_model, settings, progressbar):
        seen["starts"] = [compiled_model.initial_point_func(s) for s in range(20)]
        raise Stop

    monkeypatch.setattr(sampling, "_nuts", nuts)
    monkeypatch.setitem(sampling._COMPILED, "pymc-start-test", plain)
    with pytest.raises(Stop):
        sampling.sample(model, sampling.SamplerSettings(draws=10, tune=10, chains=2,
                                                        kernel="pymc"),
                        progressbar=False, cache_key="pymc-start-test")
    logp = _log_density(plain)
    floor = logp(centre_point(model)) - START_BUDGET * (80 + plain.n_dim)
    assert min(logp(x) for x in seen["starts"]) >= floor
