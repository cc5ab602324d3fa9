"""The pointwise log likelihood of large fits: float32 storage, left out above a limit.

coalsurv.backend.pointwise / kernel_pointwise, coalsurv.fit.pointwise. Measured: 118 s of wall
time under load 15-17, 8 s of user CPU (one extra tiny fit; the other is the session's).
"""

import warnings

import numpy as np
import pytest
import xarray as xr

import coalsurv
from coalsurv.backend import native, native_fast
from coalsurv.backend.kernel_pointwise import native_pointwise
from coalsurv.backend.pointwise import FLOAT32_ABOVE, storage
from coalsurv.errors import ArgumentError
from coalsurv.fit.model import SurvivalModel

FORMULA = "breadth + (1 | group)"


def _without_ll(fit):
    """A copy of the fit's DataTree without its log_likelihood group."""
    return xr.DataTree.from_dict({f"/{k}": fit.idata[k].to_dataset()
                                  for k in fit.idata.children if k != "log_likelihood"})


def test_storage_thresholds():
    assert storage(10, 100) == "float64"
    assert storage(FLOAT32_ABOVE + 1, 10 * FLOAT32_ABOVE) == "float32"
    assert storage(101, 100) == "skipped"


def test_chunked_float32_gives_the_same_loo(tiny_fit, synthetic_small):
    fit = tiny_fit(synthetic_small, FORMULA)
    assert fit.sampler["kernel"] == "native"
    assert fit.sampler["log_likelihood"] == "float64"
    model, _, info, _ = SurvivalModel.from_spec(fit.spec, priors=fit.priors).build(fit.data)
    kplan, _ = native.plan(model, info, fit.spec.family_options)
    buf = native.make_buffer(kplan, model)
    draws = native.unconstrained_draws(kplan, fit.idata["posterior"].to_dataset())
    stored = np.asarray(fit.idata["log_likelihood"]["lifespan"]).reshape(draws.shape[0], -1)
    # float64 in chunks on two threads: the very numbers the fit stored (the fit's row loop:
    # the specialised one of backend/kernel_fast.py when it fits the model, as here)
    fast = native_fast.fast_buffer(kplan, buf)
    assert fast is not None
    np.testing.assert_array_equal(native_pointwise(buf, draws, fit.data.n, "float64", fast=fast),
                                  stored)
    np.testing.assert_allclose(native_pointwise(buf, draws, fit.data.n, "float64"), stored,
                               rtol=1e-12, atol=1e-12)  # the generic kernel's loop
    as32 = native_pointwise(buf, draws, fit.data.n, "float32", fast=fast)
    assert as32.dtype == np.float32
    np.testing.assert_allclose(as32, stored, rtol=1e-6, atol=1e-6)
    import arviz_stats as azs

    ll32 = fit.idata["log_likelihood"].to_dataset().copy()
    ll32["lifespan"] = ll32["lifespan"].copy(data=as32.reshape(ll32["lifespan"].shape))
    tree = xr.DataTree.from_dict({"posterior": fit.idata["posterior"].to_dataset(),
                                  "log_likelihood": ll32})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = fit.loo(), azs.loo(tree)
    assert abs(a.elpd - b.elpd) < 1e-4 and abs(a.p - b.p) < 1e-4


def test_above_the_limit_the_fit_says_so_and_computes_it_on_demand(tiny_fit, synthetic_small,
                                                                  tmp_path):
    full = tiny_fit(synthetic_small, FORMULA)
    fit = tiny_fit(synthetic_small, FORMULA, pointwise_limit=1000)
    assert "log_likelihood" not in fit.idata.children
    record = fit.sampler["log_likelihood"]
    assert record.startswith("skipped: 400 draws x 120 rows") and "add_log_likelihood" in record
    with pytest.raises(ArgumentError, match="add_log_likelihood"):
        fit.loo()
    with pytest.raises(ArgumentError, match="pointwise log likelihood"):
        coalsurv.compare([fit, full])
    # diagnose() never raises: its LOO check is skipped with the remedy
    diag = fit.diagnose(checks=False)
    (pareto,) = [c for c in diag.results if c.name == "pareto_k"]
    assert pareto.verdict == "skipped" and "add_log_likelihood" in pareto.advice
    # the record survives a save; the loaded fit computes the group on demand
    loaded = coalsurv.load_fit(fit.save(tmp_path / "big.nc"))
    assert loaded.settings.pointwise_limit == 1000
    assert loaded.sampler["log_likelihood"] == record
    loaded.add_log_likelihood()
    assert loaded.sampler["log_likelihood"] == "float64, computed after the fit"
    # same seed, same draws: the same numbers as the fit that kept it
    np.testing.assert_allclose(loaded.idata["log_likelihood"]["lifespan"],
                               full.idata["log_likelihood"]["lifespan"], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert loaded.loo().elpd == pytest.approx(full.loo().elpd, rel=1e-12)


def test_on_demand_through_the_pymc_graph_matches_the_kernel(tiny_fit, synthetic_small):
    from coalsurv.backend.sampling import add_log_likelihood

    fit = tiny_fit(synthetic_small, FORMULA)
    model, _, info, _ = SurvivalModel.from_spec(fit.spec, priors=fit.priors).build(fit.data)
    tree = add_log_likelihood(_without_ll(fit), model, kernel="pymc", dtype="float32")
    got = tree["log_likelihood"]["lifespan"]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, fit.idata["log_likelihood"]["lifespan"], rtol=1e-5,
                               atol=1e-5)


def test_bad_pointwise_limit(synthetic_small):
    with pytest.raises(ArgumentError, match="pointwise_limit"):
        coalsurv.SurvivalModel(FORMULA).fit(synthetic_small, pointwise_limit=-1)
    with pytest.raises(ArgumentError, match="dtype"):
        coalsurv.Fit.add_log_likelihood(object(), dtype="float16")
