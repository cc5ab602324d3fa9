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


def test_normal_scores_and_median_are_the_per_value_formula_bit_for_bit():
    from scipy.special import ndtri

    from coalsurv._stats import _normal_scores, _sorted_median

    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 37, 7))
    x[:, :, 1] = np.round(x[:, :, 1])           # runs of ties
    x[2, 5, 2] = np.nan                          # a NaN element
    x[0, 0, 3], x[3, 3, 3] = np.inf, -np.inf
    x[:, :, 4] = 2.0                             # constant
    x[:, :9, 5], x[:, 9:20, 5] = -0.0, 0.0       # signed zeros tie
    flat = x.reshape(-1, 7)
    z, ordered = _normal_scores(x)
    expected = ndtri((_average_ranks(flat) - 0.375) / (flat.shape[0] + 0.25)).reshape(x.shape)
    assert z.tobytes() == expected.tobytes()    # NaN's bits too
    median, expected_median = _sorted_median(ordered), np.median(x, axis=(0, 1))
    np.testing.assert_array_equal(median, expected_median)  # a zero's sign may differ ...
    assert np.abs(x - median).tobytes() == np.abs(x - expected_median).tobytes()  # ... unseen
