"""coalsurv's rank R-hat and bulk ESS: arviz_stats' values, and the old NumPy code's numbers.

``coalsurv._rank_kernel`` (numba, one integer sort per element) replaced the NumPy code that
``tests/rank_reference.py`` keeps; the kernel must give its numbers to rounding on every kind
of column (ties, NaN and infinite draws, constant columns or chains, odd and even draw counts,
one chain), and the reference must be arviz_stats' and scipy's.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.stats import rankdata

from coalsurv._rank_kernel import rank_columns
from coalsurv._stats import rank_diagnostics, rank_rhat, worst_rhat
from tests.rank_reference import average_ranks, normal_scores, reference_rank_rhat, sorted_median


def test_average_ranks_are_scipys_with_ties_nan_and_infinity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(401, 8))
    x[:, 1] = 1.0                          # constant: one tie group
    x[::2, 2] = np.round(x[::2, 2])        # some ties
    x[5, 3] = np.nan
    x[7, 4], x[8, 4] = np.inf, -np.inf
    x[:, 6] = rng.integers(0, 5, size=401)  # many runs of ties, at both ends too
    x[:, 7] = np.abs(x[:, 0] - np.median(x[:, 0]))  # folded: the middle pair ties
    np.testing.assert_array_equal(average_ranks(x), rankdata(x, axis=0, method="average"))


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
    assert rhat[1] > 1.1 and np.isnan(rhat[2]) and np.isnan(rhat[3])
    np.testing.assert_array_equal(rank_rhat(x), rhat)
    assert rank_diagnostics(x)[1] is None


def test_reference_normal_scores_and_median_are_the_per_value_formula_bit_for_bit():
    from scipy.special import ndtri

    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 37, 7))
    x[:, :, 1] = np.round(x[:, :, 1])           # runs of ties
    x[2, 5, 2] = np.nan                          # a NaN element
    x[0, 0, 3], x[3, 3, 3] = np.inf, -np.inf
    x[:, :, 4] = 2.0                             # constant
    x[:, :9, 5], x[:, 9:20, 5] = -0.0, 0.0       # signed zeros tie
    flat = x.reshape(-1, 7)
    z, ordered = normal_scores(x)
    expected = ndtri((average_ranks(flat) - 0.375) / (flat.shape[0] + 0.25)).reshape(x.shape)
    assert z.tobytes() == expected.tobytes()    # NaN's bits too
    median, expected_median = sorted_median(ordered), np.median(x, axis=(0, 1))
    np.testing.assert_array_equal(median, expected_median)  # a zero's sign may differ ...
    assert np.abs(x - median).tobytes() == np.abs(x - expected_median).tobytes()  # ... unseen


def _awkward(rng, chains, draws):
    """Draws ``(chains, draws, 16)``: one kind of column each, most of them hard ones."""
    x = np.cumsum(rng.normal(size=(chains, draws, 16)), axis=1) * 0.2 + rng.normal(
        size=(chains, draws, 16))
    x[-1, :, 1] += 1.5                                   # a chain elsewhere
    x[:, :, 2] = 3.0                                     # constant: NaN
    x[:, :, 3] = np.round(x[:, :, 3])                    # runs of ties
    x[:, :, 4] = rng.integers(0, 3, size=(chains, draws))  # few values, long tie runs
    x[0, 0, 5] = np.nan                                  # a NaN draw
    x[0, 0, 6], x[-1, -1, 6] = np.inf, -np.inf           # infinite draws, finite median
    x[:, :, 7] = np.inf                                  # infinite median
    x[0, 0, 7] = 0.0
    x[:, :, 8] = np.where(rng.random((chains, draws)) < 0.5, np.inf, -np.inf)  # NaN median
    x[:, :, 9] = -0.0                                    # signed zeros tie
    x[:, : draws // 2, 9] = 0.0
    x[:, 1::3, 9] = 1.0
    x[:, :, 10] = 1.0 + rng.integers(0, 2 ** 10, size=(chains, draws)) * 2.0 ** -52
    x[:, :, 11] = np.arange(chains)[:, None] * 0.25      # each chain constant: inf
    x[:, :, 12] = -np.abs(x[:, :, 12]) * 1e-300          # tiny negatives
    x[:, :, 13] = np.round(np.abs(x[:, :, 13]) * 4)      # folded ties on both sides
    x[0, :, 14] = 7.0                                    # one chain constant
    return x


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference on the NaN columns
@pytest.mark.parametrize(("chains", "draws"), [(4, 200), (3, 101), (1, 60), (2, 7), (2, 3),
                                               (2, 2)])
def test_kernel_gives_the_reference_numbers_on_awkward_columns(chains, draws):
    x = _awkward(np.random.default_rng(draws), chains, draws)
    rhat, scores = rank_columns([x, x[:, :, 1], x[:, :, 3:5]], ess=True)
    expected, expected_z = reference_rank_rhat(x)
    got = rhat[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    # chains each of one value: the reference's NumPy means are inexact (R-hat ~1e15 or inf),
    # the kernel's exact (within-chain variance 0, R-hat inf)
    huge = ~np.isnan(expected) & ~(expected < 1e9)
    np.testing.assert_array_equal(huge, ~np.isnan(got) & ~(got < 1e9))
    finite = np.isfinite(expected) & ~huge
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12)
    np.testing.assert_array_equal(rhat[1], got[[1]])     # the same column, judged alone
    np.testing.assert_array_equal(rhat[2], got[3:5])
    if draws >= 4:
        assert np.isnan(got[[2, 5, 7, 8]]).all()
        # chains of one value each: inf; with one chain it is constant, with two its folded
        # draws are (|value - median| the same for both)
        assert got[11] == np.inf if chains > 2 else np.isnan(got[11])
        assert np.isfinite(got[[0, 1, 3, 4, 6, 9, 10, 12, 13]]).all()
    half = draws // 2
    z = np.concatenate([scores[0][:, :half], scores[0][:, half:]], axis=0)  # split chains
    # bulk scores: the kernel's own ndtri is within 2e-15 of scipy's (NaN in the same places)
    np.testing.assert_allclose(z, expected_z, rtol=0, atol=2e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_kernel_numbers_do_not_depend_on_chunks_or_threads():
    x = _awkward(np.random.default_rng(3), 4, 50)
    x = np.concatenate([x, np.random.default_rng(4).normal(size=(4, 50, 70))], axis=2)
    one, _ = rank_columns([x], chunk=200, threads=1)
    for chunk, threads in ((7, 1), (7, 3), (64, 2)):
        got, _ = rank_columns([x, x[:, :, :5]], chunk=chunk, threads=threads)
        np.testing.assert_array_equal(got[0], one[0])
        np.testing.assert_array_equal(got[1], one[0][:5])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_worst_rhat_names_the_worst_cell_over_all_variables():
    rng = np.random.default_rng(9)
    post = xr.Dataset({
        "a": (("chain", "draw"), rng.normal(size=(2, 100))),
        "b": (("chain", "draw", "group"), rng.normal(size=(2, 100, 3))),
        "c": (("chain", "draw", "cause", "k"), rng.normal(size=(2, 100, 1, 4))),
        "n": (("chain", "draw"), np.ones((2, 100), dtype=int)),  # not judged
    }, coords={"group": ["x", "y", "z"]})
    post["b"][1, :, 2] += 3.0                              # group z's chains disagree
    post["c"][:, :, 0, 0] = 1.0                            # constant: NaN, skipped
    worst, where = worst_rhat({"posterior": post})
    assert where == "b[z]"
    assert worst == pytest.approx(reference_rank_rhat(post["b"].values)[0][2], rel=1e-12)
    assert worst_rhat({"posterior": post[["n"]]}) == (-np.inf, "")


def test_ndtri_table_is_scipys_to_rounding():
    from scipy.special import ndtri

    from coalsurv._rank_kernel import score_table

    for n in (4, 101, 4000, 400_000):
        table = np.full(2 * n + 2, np.nan)
        score_table(n, table)
        expected = ndtri((np.arange(2, 2 * n + 2) * 0.5 - 0.375) / (n + 0.25))
        np.testing.assert_allclose(table[2:], expected, rtol=1e-14, atol=2e-15)
        assert np.isnan(table[:2]).all() and table[n + 1] == -table[n + 1] == 0.0  # median rank


def test_one_draw_or_no_elements_give_nan_or_empty_not_an_error():
    rhat, ess = rank_diagnostics(np.ones((2, 1, 3)), ess=True)
    assert np.isnan(rhat).all() and np.isnan(ess).all() and rhat.shape == ess.shape == (3,)
    rhat, ess = rank_diagnostics(np.ones((2, 5, 0)), ess=True)
    assert rhat.shape == ess.shape == (0,)
