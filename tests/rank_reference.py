"""The NumPy rank R-hat of coalsurv._stats before its numba kernel (coalsurv/_rank_kernel.py).

Kept verbatim (its helpers renamed public) as the reference of tests/test_rank_diagnostics.py:
the kernel must give its numbers (to rounding, 1e-12) on ties, NaN and infinite draws,
constant columns, odd and even draw counts and one chain; this code is itself checked
against arviz_stats and scipy there.
"""

from __future__ import annotations

import numpy as np


def _split_chains(values: np.ndarray) -> np.ndarray:
    """``(chain, draw, ...)`` → ``(2 chain, draw // 2, ...)``: first and last halves as chains."""
    draws = values.shape[1]
    half = draws // 2
    return np.concatenate([values[:, :half], values[:, draws - half:]], axis=0)


def _sorted_columns(flat: np.ndarray):
    """``(order, ordered, index)`` of each column of ``(n, k)``, sorted once.

    ``order`` and ``ordered`` are ``(k, n)``: the sorting permutation of each column and its
    sorted values (NaN last); ``index[j, i]`` is the position of ``ordered[j, i]`` in the
    ``(k, n)`` C-ordered copy of the columns.
    """
    cols = np.ascontiguousarray(flat.T)
    k, n = cols.shape
    order = np.argsort(cols, axis=1)
    index = order + (np.arange(k) * n)[:, None]
    return order, cols.reshape(-1)[index], index


def _tie_runs(ordered: np.ndarray):
    """``(row, first, size)`` of each run of equal neighbours in the sorted ``(k, n)`` columns.

    Few in continuous draws: the middle pair of a folded column.
    """
    row, pos = np.nonzero(ordered[:, 1:] == ordered[:, :-1])  # value at pos equals pos + 1
    if not row.size:
        return row, pos, pos
    new_run = np.concatenate([[True], (row[1:] != row[:-1]) | (pos[1:] != pos[:-1] + 1)])
    end_run = np.concatenate([new_run[1:], [True]])
    first, last = pos[new_run], pos[end_run] + 1
    return row[new_run], first, last - first + 1


def _run_positions(row, first, size):
    """Row and sorted position of every member of each tie run, and the run of each."""
    offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    return np.repeat(row, size), np.repeat(first, size) + offset


def average_ranks(flat: np.ndarray) -> np.ndarray:
    """Ranks along axis 0 of ``(n, k)``, ties averaged: ``scipy.stats.rankdata(method="average")``.

    Each column is sorted once; each run of equal values gets the mean of its positions,
    and a column with a NaN is all NaN (scipy's ``nan_policy="propagate"``). NumPy only:
    ``scipy.stats`` takes a second or two to import in a fresh worker process.
    """
    order, ordered, _ = _sorted_columns(flat)
    k, n = ordered.shape
    sorted_ranks = np.broadcast_to(np.arange(1.0, n + 1), (k, n)).copy()
    row, first, size = _tie_runs(ordered)
    if row.size:
        rows, positions = _run_positions(row, first, size)
        sorted_ranks[rows, positions] = np.repeat((first + (first + size - 1)) / 2.0 + 1.0,
                                                  size)
    ranks = np.empty_like(ordered)
    np.put_along_axis(ranks, order, sorted_ranks, axis=1)
    ranks[np.isnan(ordered[:, -1])] = np.nan  # NaN sorts last
    return ranks.T


def normal_scores(x: np.ndarray):
    """Rank-normalised ``(chain, draw, ...)`` over chains and draws, and the sorted columns.

    ``ndtri((rank - 0.375) / (n + 0.25))`` of each value's average rank (Vehtari et al.
    2021): the same numbers as applying ``ndtri`` to :func:`average_ranks`, with ``ndtri``
    evaluated once per rank ``1..n`` (a table shared by every column) and once per tie run,
    not once per value. Returns the scores (shape of ``x``) and the ``(k, n)`` sorted values
    of each trailing element (NaN last), from which :func:`sorted_median` reads the median.
    """
    from scipy.special import ndtri

    flat = x.reshape(x.shape[0] * x.shape[1], -1)
    n = flat.shape[0]
    order, ordered, index = _sorted_columns(flat)
    z = np.empty(ordered.shape)
    z.reshape(-1)[index] = ndtri((np.arange(1.0, n + 1) - 0.375) / (n + 0.25))
    row, first, size = _tie_runs(ordered)
    if row.size:
        rows, positions = _run_positions(row, first, size)
        tied = ndtri(((first + (first + size - 1)) / 2.0 + 1.0 - 0.375) / (n + 0.25))
        z[rows, order[rows, positions]] = np.repeat(tied, size)
    # NaN sorts last: an element with one is NaN throughout (the NaN ndtri gives for a NaN rank)
    z[np.isnan(ordered[:, -1])] = ndtri((np.array([np.nan]) - 0.375) / (n + 0.25))
    return z.T.reshape(x.shape), ordered


def sorted_median(ordered: np.ndarray) -> np.ndarray:
    """``np.median`` of each row of sorted ``(k, n)`` values (NaN last): the same numbers.

    Only a zero's sign may differ (which of ``-0.0`` and ``0.0`` sorts first), which the
    folded draws ``|x - median|`` do not see.
    """
    n = ordered.shape[1]
    mid = ordered[:, n // 2] if n % 2 else (ordered[:, n // 2 - 1] + ordered[:, n // 2]) / 2
    return np.where(np.isnan(ordered[:, -1]), np.nan, mid)


def _rank_normalised(x: np.ndarray) -> np.ndarray:
    """Rank-normalise each trailing element of ``(chain, draw, ...)`` over chains and draws."""
    return normal_scores(x)[0]


def _split_rhat(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    means = x.mean(axis=1)
    within = x.var(axis=1, ddof=1).mean(axis=0)
    between = n * means.var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(((n - 1) / n * within + between / n) / within)




def reference_rank_rhat(values: np.ndarray):
    """The old ``rank_diagnostics(values)``: rank R-hat and the bulk scores ``z`` (split)."""
    values = np.asarray(values, dtype=float)
    split = _split_chains(values)
    z, ordered = normal_scores(split)
    median = sorted_median(ordered).reshape(split.shape[2:])
    folded = np.abs(split - median)
    return np.maximum(_split_rhat(z), _split_rhat(_rank_normalised(folded))), z
