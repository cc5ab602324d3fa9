"""The PyMC route's start guard (issue 23): far-out jittered starts are pulled in, as natively.

``backend/pymc_start.guard_starts`` wraps the compiled graph's initial points with the native
route's rule (``native_buffer.START_BUDGET``); the data are the native guard's test's
(``test_robust_sampling.py``): a shape covariate with one row 8 SD out, where a unit jitter of
``beta_shape`` can start at an astronomically low log density. nutpie's own jitter stayed
within the budget at most seeds here, so the test's starts are deliberately far out (log
shape 4 above its centre).
"""

from __future__ import annotations

import dataclasses
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
    """The graph compiled by nutpie, and a copy whose starts are deliberately far out."""
    model, _, _, _ = SurvivalModel("z", family="weibull", shape="z").build(_outlier_data())
    nutpie = import_nutpie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False,
                                          initial_points=initial_points(model))
    point = model.initial_point()
    sizes = [np.size(point[model.rvs_to_values[rv].name]) for rv in model.free_RVs]
    at = int(np.sum(sizes[:[rv.name for rv in model.free_RVs].index("shape")]))
    centre = centre_point(model)

    def far(seed):  # a unit jitter, but log shape 4 above its centre (shape x 55): far out
        jitter = np.random.default_rng(seed).uniform(-1.0, 1.0, size=centre.size)
        jitter[at] = 4.0
        return centre + jitter

    return model, dataclasses.replace(plain, initial_point_func=far)


def test_far_out_starts_of_the_graph_are_pulled_in_and_the_route_uses_the_guard(
        compiled, monkeypatch):
    model, far = compiled
    logp = _log_density(far)
    centre = centre_point(model)
    floor = logp(centre) - START_BUDGET * (80 + centre.size)
    before = [logp(far.initial_point_func(s)) for s in range(8)]
    assert max(before) < floor  # every unguarded start is far out (else the test says nothing)
    guarded = guard_starts(far, model)
    after = [logp(guarded.initial_point_func(s)) for s in range(8)]
    assert min(after) >= floor and np.all(np.isfinite(after))
    np.testing.assert_array_equal(guarded.initial_point_func(3), guarded.initial_point_func(3))
    # kernel="pymc" hands nutpie the guarded starts (its sampler stubbed, the model cached)
    seen = {}

    class Stop(Exception):
        pass

    def nuts(compiled_model, settings, progressbar):
        seen["starts"] = [compiled_model.initial_point_func(s) for s in range(8)]
        raise Stop

    monkeypatch.setattr(sampling, "_nuts", nuts)
    monkeypatch.setitem(sampling._COMPILED, "pymc-start-test", far)
    with pytest.raises(Stop):
        sampling.sample(model, sampling.SamplerSettings(draws=10, tune=10, chains=2,
                                                        kernel="pymc"),
                        progressbar=False, cache_key="pymc-start-test")
    assert min(logp(x) for x in seen["starts"]) >= floor
