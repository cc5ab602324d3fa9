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
           "log_mean_exp", "rank_diagnostics", "rank_rhat", "stack_draws", "summarise",
           "worst_rhat"]

#: Default mass of equal-tailed credible intervals (stated in every output).
DEFAULT_CI_PROB = 0.95


def check_times(times, *, time_unit: str | None = None, name: str = "times") -> np.ndarray:
    """Return ``times`` as a 1-D float array in the data's time unit.

    Numbers are taken as they are (finite, >= 0, at least one). Time spans (``pd.Timedelta``,
    ``numpy.timedelta64``, a ``TimedeltaIndex``) are converted into ``time_unit`` (days,
    months or years, :data:`coalsurv._format.TIME_UNITS`; a warning states the conversion,
    as for Timedelta columns of the data); without ``time_unit`` they are
    refused, as are dates (times are spans since a coalition's start, not calendar dates),
    text and booleans: read as numbers they would be nanoseconds, or 0 and 1.
    """
    import pandas as pd

    from coalsurv._format import TIME_UNITS, unit_singular

    shown = f"{times!r:.80}"
    kinds, items = _time_kinds(times)
    if "date" in kinds:
        raise ArgumentError(
            f"{name}: got dates ({shown}); expected lengths of time since the start (numbers "
            f"in the data's unit{f', {time_unit}' if time_unit else ''}, or Timedeltas), not "
            "calendar dates")
    if kinds & {"text", "bool", "other"}:
        what = "text" if "text" in kinds else "True/False" if "bool" in kinds else "values"
        raise ArgumentError(f"{name} must be a non-empty 1-D sequence of finite times >= 0; "
                            f"got {what} in {shown}")
    if "span" in kinds:
        if kinds != {"span"}:
            raise ArgumentError(f"{name}: mixes time spans (Timedelta) and numbers in {shown}; "
                                "give one kind")
        if time_unit not in TIME_UNITS:
            raise ArgumentError(f"{name}: got time spans (Timedelta) in {shown}; give numbers "
                                "in the data's time unit")
        spans = pd.to_timedelta(pd.Index(items))
        t = spans.total_seconds().to_numpy(dtype=float, na_value=np.nan) / (
            86400.0 * TIME_UNITS[time_unit])
        per = ("" if time_unit == "days" else
               f" (1 {unit_singular(time_unit)} = {TIME_UNITS[time_unit]:g} days)")
        warnings.warn(f"{name}: Timedelta values converted to {time_unit}{per}", UserWarning,
                      stacklevel=3)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError, OverflowError):
            t = np.array([np.nan])
    if t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ArgumentError(f"{name} must be a non-empty 1-D sequence of finite times >= 0, "
                            f"got {shown}")
    return t


_DTYPE_KINDS = {"i": "number", "u": "number", "f": "number", "m": "span", "M": "date",
                "b": "bool", "U": "text", "S": "text"}


def _time_kinds(times) -> tuple[set[str], list]:
    """Return the kinds of ``times``' elements (by dtype when it has one) and the elements."""
    import pandas as pd

    if isinstance(times, (pd.Index, pd.Series, np.ndarray)) and times.ndim == 1:
        kind = _DTYPE_KINDS.get(getattr(times.dtype, "kind", "O"))
        if kind is not None:
            return {kind}, list(times) if kind == "span" else []
    items = list(times) if isinstance(times, (list, tuple, pd.Index, pd.Series, np.ndarray)) \
        else [times]
    return {_time_kind(v) for v in items}, items


def _time_kind(value) -> str:
    """Return what one element of ``times`` is: number, span, date, text, bool or other."""
    import datetime as dt

    import pandas as pd

    if value is pd.NaT or value is None:
        return "other"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return "text"
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return "span"
    if isinstance(value, (pd.Timestamp, dt.date, np.datetime64)):
        return "date"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if np.ndim(value) > 0:  # nested sequences: the shape check refuses them
        return "number"
    return "other"


def check_ci_prob(ci_prob: Any) -> float:
    """Return ``ci_prob`` as a float, or raise :class:`ArgumentError` unless it is in (0, 1)."""
    number = isinstance(ci_prob, int | float | np.integer | np.floating) and not isinstance(
        ci_prob, bool | np.bool_)
    if not (number and 0 < ci_prob < 1):
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


def _split_chains(values: np.ndarray) -> np.ndarray:
    """``(chain, draw, ...)`` → ``(2 chain, draw // 2, ...)``: first and last halves as chains."""
    draws = values.shape[1]
    half = draws // 2
    return np.concatenate([values[:, :half], values[:, draws - half:]], axis=0)


def rank_rhat(values: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat (Vehtari et al. 2021), the larger of bulk and tail.

    The same statistic as ``arviz_stats.rhat`` (method ``"rank"``), computed by
    :func:`coalsurv._rank_kernel.rank_columns` (numba, one integer sort per element), so that
    a fit does not import arviz_stats (seconds in a fresh process) to decide whether to warn;
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
    return rank_diagnostics(values)[0]


def rank_diagnostics(values: np.ndarray, *, ess: bool = False):
    """Rank R-hat (as :func:`rank_rhat`) and, with ``ess=True``, the bulk ESS of each element.

    Both statistics start from the same rank-normalised split chains, computed once. The
    bulk ESS is arviz_stats' ``ess(method="bulk")`` in NumPy (Geyer's initial monotone
    sequence on the FFT autocovariance), for every element at once instead of one
    ``apply_ufunc`` call per element.

    Parameters
    ----------
    values : numpy.ndarray
        Draws ``(chain, draw, ...)``.
    ess : bool
        Also return the bulk ESS.

    Returns
    -------
    tuple of numpy.ndarray
        ``(rhat, ess_bulk)``, one value per trailing element; ``ess_bulk`` is None unless
        asked for. Elements with a NaN (or infinite) draw get NaN ESS; constant ones the
        number of draws, as in arviz_stats.
    """
    from coalsurv._rank_kernel import rank_columns

    values = np.asarray(values, dtype=float)
    rhat, z = rank_columns([values], ess=ess)
    rhat = rhat[0].reshape(values.shape[2:])
    if not ess:
        return rhat, None
    return rhat, _bulk_ess(_split_chains(z[0]), values)


def _bulk_ess(z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """ESS of rank-normalised split chains ``z`` (arviz_stats' ``_ess``), per trailing element."""
    from scipy.fft import irfft, next_fast_len, rfft

    shape = z.shape[2:]
    width = int(np.prod(shape, dtype=int))  # not -1: no draws (or no elements) is allowed
    z = z.reshape(z.shape[0], z.shape[1], width)
    flat = values.reshape(values.shape[0], values.shape[1], width)
    m, n, k = z.shape
    out = np.full(k, np.nan)
    if n < 2 or values.shape[1] < 4:
        return out.reshape(shape)
    finite = np.isfinite(flat).all(axis=(0, 1))
    span = z.max(axis=(0, 1)) - z.min(axis=(0, 1))
    constant = finite & (span < np.finfo(float).resolution)
    out[constant] = m * n
    todo = np.flatnonzero(finite & ~constant)
    if todo.size:
        x = z[:, :, todo]
        centred = x - x.mean(axis=1, keepdims=True)
        spectrum = rfft(centred, n=next_fast_len(2 * n), axis=1)
        acov = irfft(spectrum * np.conjugate(spectrum), axis=1)[:, :n] / n
        mean_acov = acov.mean(axis=0)                      # (lag, element)
        mean_var = mean_acov[0] * n / (n - 1.0)
        var_plus = mean_var * (n - 1.0) / n
        if m > 1:
            var_plus = var_plus + x.mean(axis=1).var(axis=0, ddof=1)
        rho = 1.0 - (mean_var - mean_acov) / var_plus       # rho[t] for t >= 1
        for j, element in enumerate(todo):
            out[element] = _geyer_ess(rho[:, j], m * n)
    return out.reshape(shape)


def _geyer_ess(rho: np.ndarray, size: int) -> float:
    """ESS from autocorrelations ``rho`` (lag 0 ...) of one element: arviz_stats' ``_ess``."""
    n = rho.shape[0]
    rho_t = np.zeros(n)
    rho_t[0] = even = 1.0
    rho_t[1] = odd = rho[1]
    t = 1
    while t < n - 3 and even + odd > 0.0:  # Geyer's initial positive sequence
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0:
            rho_t[t + 1], rho_t[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        rho_t[max_t + 1] = even
    t = 1
    while t <= max_t - 2:  # Geyer's initial monotone sequence
        if rho_t[t + 1] + rho_t[t + 2] > rho_t[t - 1] + rho_t[t]:
            rho_t[t + 1] = rho_t[t + 2] = (rho_t[t - 1] + rho_t[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * np.sum(rho_t[: max_t + 1]) + np.sum(rho_t[max_t + 1: max_t + 2])
    tau = max(tau, 1 / np.log10(size))
    return float("nan") if np.isnan(rho_t).any() else size / tau


def worst_rhat(idata) -> tuple[float, str]:
    """Largest rank-normalised R-hat over :func:`judged_variables`, and its cell's label.

    The label is ``name[coord, ...]`` with the coordinates of the worst cell (one-cause
    ``cause`` coordinates left out), as in ``Fit.diagnose()``'s tables. Every variable is
    judged in one call of the rank kernel; ``(-inf, "")`` when no R-hat is finite.
    """
    from coalsurv._rank_kernel import rank_columns

    post = idata["posterior"]
    post = post.to_dataset() if hasattr(post, "to_dataset") else post  # a DataTree node
    names = judged_variables(post)
    arrays = [np.asarray(post[name].transpose("chain", "draw", ...)) for name in names]
    best, where = -np.inf, ""
    if not arrays:
        return best, where
    for name, array, values in zip(names, arrays, rank_columns(arrays)[0], strict=True):
        if not values.size or not np.any(np.isfinite(values)):
            continue
        flat = int(np.nanargmax(values))
        if values[flat] > best:
            best, where = float(values[flat]), (name, np.unravel_index(flat, array.shape[2:]))
    if not where:
        return best, where
    name, index = where
    da = post[name].isel(chain=0, draw=0, drop=True)
    parts = [str(np.asarray(da[d].values)[i]) if d in da.coords else str(i)
             for d, i in zip(da.dims, index, strict=True)
             if not (d == "cause" and da.sizes[d] == 1)]
    return best, f"{name}[{', '.join(parts)}]" if parts else name


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
