"""coalsurv._stats' NumPy rank R-hat and bulk ESS are arviz_stats' values, element for element."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.stats import rankdata

from coalsurv._stats import _average_ranks, rank_diagnostics, rank_rhat


def test_average_ranks_are_scipys_with_ties_nan_and_infinity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(401, 8))
    x[:, 1] = 1.0                          # constant: one tie group
    x[::2, 2] = np.round(x[::2, 2])        # some ties
    x[5, 3] = np.nan
    x[7, 4], x[8, 4] = np.inf, -np.inf
    x[:, 6] = rng.integers(0, 5, size=401)  # many runs of ties, at both ends too
    x[:, 7] = np.abs(x[:, 0] - np.median(x[:, 0]))  # folded: the middle pair ties
    np.testing.assert_array_equal(_average_ranks(x), rankdata(x, axis=0, method="average"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # arviz_stats on the constant element
@pytest.mark.parametrize(("chains", "draws"), [(2, 301), (4, 200)])
def test_rank_rhat_and_bulk_ess_equal_arviz_stats(chains, draws):
    import arviz_stats as azs

    rng = np.random.default_rng(chains)
    x = np.cumsum(rng.normal(size=(chains, draws, 5)), axis=1) * 0.1 + rng.normal(
        size=(chains, draws, 5))          # autocorrelated draws
    x[1, :, 1] += 2.0                      # one chain elsewhere: R-hat well above 1
    x[:, :, 2] = 3.0                       # constant element
    x[0, 10, 3] = np.nan                   # an element with a NaN draw
    rhat, ess = rank_diagnostics(x, ess=True)
    da = xr.DataArray(x, dims=("chain", "draw", "k"))
    expected_ess = azs.ess(da, method="bulk").values
    np.testing.assert_allclose(ess, expected_ess, rtol=1e-10)
    assert ess[2] == 2 * (draws // 2) * chains and np.isnan(ess[3])
    keep = [0, 1, 4]
    expected_rhat = azs.rhat(da, method="rank").values
    np.testing.assert_allclose(rhat[keep], expected_rhat[keep], rtol=1e-12)
    assert rhat[1] > 1.1
    np.testing.assert_array_equal(rank_rhat(x), rhat)
    assert rank_diagnostics(x)[1] is None
