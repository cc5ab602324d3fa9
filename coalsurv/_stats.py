"""Small numerical helpers on posterior draws, shared by every layer (imports nothing above).

- :func:`stack_draws`: ``(chain, draw, ...)`` → ``(sample, ...)``;
- :func:`summarise`: draws → mean and equal-tailed interval;
- :func:`check_ci_prob`: the one validation of an interval mass;
- :func:`log_mean_exp`: stable ``log(mean(exp(x)))``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from coalsurv.errors import ArgumentError

__all__ = ["DEFAULT_CI_PROB", "check_ci_prob", "check_times", "crossing_time", "judged_variables",
           "average_ranks", "log_mean_exp", "rank_rhat", "stack_draws", "summarise", "worst_rhat"]

#: Default mass of equal-tailed credible intervals (stated in every output).
DEFAULT_CI_PROB = 0.95


def check_times(times) -> np.ndarray:
    """Return ``times`` as a 1-D float array; ArgumentError unless finite, >= 0, non-empty."""
    try:
        t = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        t = np.array([np.nan])
    if t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ArgumentError(f"times must be a non-empty 1-D sequence of finite times >= 0, "
                            f"got {times!r:.60}")
    return t


def check_ci_prob(ci_prob: Any) -> float:
    """Return ``ci_prob`` as a float, or raise :class:`ArgumentError` unless it is in (0, 1)."""
    if isinstance(ci_prob, bool) or not (isinstance(ci_prob, int | float) and 0 < ci_prob < 1):
        raise ArgumentError(f"ci_prob must be a probability in (0, 1), got {ci_prob!r}")
    return float(ci_prob)


def stack_draws(values: Any) -> np.ndarray:
    """Merge the leading ``(chain, draw)`` axes of posterior values into one sample axis."""
    arr = np.asarray(values)
    return arr.reshape((-1,) + arr.shape[2:])


def summarise(draws: np.ndarray, ci_prob: float, axis: int = 0, *,
              skip_nan: bool = False) -> dict[str, np.ndarray]:
    """Posterior mean and equal-tailed ``ci_prob`` interval along ``axis``.

    Parameters
    ----------
    draws : ndarray
    ci_prob : float
    axis : int
        The axis of the draws.
    skip_nan : bool
        Summarise each cell over its non-NaN draws only (e.g. a median lifespan that some
        draws never reach), without a warning for cells where every draw is NaN.

    Returns
    -------
    dict
        ``mean``, ``lower``, ``upper`` arrays (NaN where every draw is NaN).
    """
    lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
    if skip_nan:
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            return {"mean": np.nanmean(draws, axis=axis),
                    "lower": np.nanquantile(draws, lo, axis=axis),
                    "upper": np.nanquantile(draws, hi, axis=axis)}
    with np.errstate(invalid="ignore"):
        return {
            "mean": np.mean(draws, axis=axis),
            "lower": np.quantile(draws, lo, axis=axis),
            "upper": np.quantile(draws, hi, axis=axis),
        }


def log_mean_exp(values: np.ndarray, weights: np.ndarray, *, axis: int) -> np.ndarray:
    """Stable ``log(sum(weights * exp(values)))`` along ``axis`` (weights sum to 1).

    Used to average survival over quadrature nodes or draws on the log scale; a length-one
    axis is returned as it is.
    """
    if values.shape[axis] == 1:
        return np.take(values, 0, axis=axis)
    shape = [1] * values.ndim
    shape[axis] = -1
    w = np.log(weights).reshape(shape)
    with np.errstate(invalid="ignore"):
        top = np.max(values, axis=axis, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        out = np.log(np.sum(np.exp(values - top + w), axis=axis)) + np.squeeze(top, axis=axis)
    return out


def judged_variables(posterior) -> list[str]:
    """Names of the posterior variables whose convergence is judged (one set for every check).

    Every floating-point variable of the posterior group: the main parameters that
    ``Fit.summary()`` lists *and* the frailty draws ``z_*`` (standardised) and ``u_*`` (group
    effects, ``Fit.group_effects()``), random-walk steps and joint-prior draws. A model whose
    group effects have not converged has not converged, so the sampler's warning and
    ``Fit.diagnose()`` both judge this set; ``summary()`` shows R-hat for its rows only.
    """
    return [n for n in posterior.data_vars if posterior[n].dtype.kind == "f"]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks ``1 .. n`` along the first axis, ties given their average rank.

    ``scipy.stats.rankdata(values, axis=0, method="average")`` in NumPy (importing
    ``scipy.stats`` costs most of a second in a fresh process); a column holding NaN is all
    NaN, as scipy's default ``nan_policy="propagate"`` gives.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    flat = values.reshape(n, -1)
    order = np.argsort(flat, axis=0, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=0)
    index = np.broadcast_to(np.arange(n)[:, None], flat.shape)
    starts = np.ones(flat.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    ends = np.ones(flat.shape, dtype=bool)
    ends[:-1] = starts[1:]
    first = np.maximum.accumulate(np.where(starts, index, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, index, n - 1)[::-1], axis=0)[::-1]
    ranks = np.empty(flat.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=0)
    ranks[:, np.isnan(flat).any(axis=0)] = np.nan
    return ranks.reshape(values.shape)


def rank_rhat(values: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat (Vehtari et al. 2021), the larger of bulk and tail.

    The same statistic as ``arviz_stats.rhat`` (method ``"rank"``) in NumPy, so that a fit
    does not import arviz_stats (seconds in a fresh process) to decide whether to warn;
    :func:`worst_rhat` (the sampler's warning, ``summary()`` and ``diagnose()``) uses it.

    Parameters
    ----------
    values : numpy.ndarray
        Draws ``(chain, draw, ...)``.

    Returns
    -------
    numpy.ndarray
        One R-hat per trailing element.
    """
    from scipy.special import ndtri

    values = np.asarray(values, dtype=float)
    chains, draws = values.shape[:2]
    half = draws // 2
    split = np.concatenate([values[:, :half], values[:, draws - half:]], axis=0)

    def normalised(x):
        flat = x.reshape(-1, *x.shape[2:])
        ranks = average_ranks(flat)
        z = ndtri((ranks - 0.375) / (flat.shape[0] + 0.25))
        return z.reshape(x.shape)

    def rhat(x):
        n = x.shape[1]
        means = x.mean(axis=1)
        within = x.var(axis=1, ddof=1).mean(axis=0)
        between = n * means.var(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(((n - 1) / n * within + between / n) / within)

    bulk = rhat(normalised(split))
    folded = np.abs(split - np.median(split, axis=(0, 1)))
    return np.maximum(bulk, rhat(normalised(folded)))


def worst_rhat(idata) -> tuple[float, str]:
    """Largest rank-normalised R-hat over :func:`judged_variables`, and its cell's label.

    The label is ``name[coord, ...]`` with the coordinates of the worst cell (one-cause
    ``cause`` coordinates left out), as in ``Fit.diagnose()``'s tables.
    """
    post = idata["posterior"]
    names = judged_variables(post)
    best = (-np.inf, "")
    for name in names:
        da = post[name].isel(chain=0, draw=0, drop=True)
        values = np.asarray(rank_rhat(np.asarray(post[name].transpose("chain", "draw", ...))),
                            dtype=float)
        if not values.size or not np.any(np.isfinite(values)):
            continue
        flat = int(np.nanargmax(values))
        if values.flat[flat] <= best[0]:
            continue
        index = np.unravel_index(flat, values.shape) if values.ndim else ()
        parts = [str(np.asarray(da[d].values)[i]) if d in da.coords else str(i)
                 for d, i in zip(da.dims, index, strict=True)
                 if not (d == "cause" and da.sizes[d] == 1)]
        best = (float(values.flat[flat]), f"{name}[{', '.join(parts)}]" if parts else name)
    return best


def crossing_time(curve: np.ndarray, grid: np.ndarray, level: float = 0.5) -> np.ndarray:
    """First time a decreasing curve falls to ``level`` (linear between grid points).

    ``curve`` has time last (``(..., len(grid))``); ``inf`` where it never gets there (a
    median lifespan beyond the grid or a cured majority).
    """
    below = curve <= level
    first = np.where(below.any(axis=-1), below.argmax(axis=-1), -1)
    j = np.maximum(first, 1)
    s1 = np.take_along_axis(curve, j[..., None], axis=-1)[..., 0]
    s0 = np.take_along_axis(curve, (j - 1)[..., None], axis=-1)[..., 0]
    with np.errstate(all="ignore"):
        frac = np.clip((s0 - level) / (s0 - s1), 0.0, 1.0)
    t = grid[j - 1] + frac * (grid[j] - grid[j - 1])
    return np.where(first >= 0, t, np.inf)
