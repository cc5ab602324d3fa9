"""The rank-normalised split R-hat of many columns of draws at once, in numba (ground layer).

:func:`coalsurv._stats.rank_diagnostics` (the sampler's R-hat check after every fit,
``summary()``, the batch runner) calls it; nothing else imports numba through here. The work
per column, once NumPy's (SIMD) ``argsort`` has sorted it:

1. the sorted values and, for each, its split chain (first or second half of its chain);
2. the normal score of each sorted position, ``ndtri((rank - 0.375) / (n + 0.25))``, read from
   a table of every rank and half rank ``1, 1.5, ..., n`` (ties get their average rank, a
   whole or half number: the same bits as evaluating ``ndtri`` at it);
3. the split R-hat of the scores, from per-split-chain sums (shifted by the column's first
   score, so that a constant column gives exactly zero variance and NaN, as before);
4. the folded draws ``|x - median|`` in sorted order without a second sort: the values below
   the median, read downwards, and those at or above it, read upwards, are each sorted by
   their distance to the median (rounding is monotone), so one merge orders them; then 2 and
   3 again.

A column with a NaN draw, or whose median is infinite or NaN, has R-hat NaN, as before.
Every function states ``fastmath=False`` (numba would otherwise give a callee its caller's
flags) and ``error_model="numpy"`` (0 / 0 is NaN, not an exception).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["split_rank_rhat", "transpose_into"]


@njit(cache=True, error_model="numpy", fastmath=False)
def transpose_into(values, out, start):
    """Write the columns of ``values`` ``(n, k)`` into rows ``start .. start + k`` of ``out``.

    ``out`` is ``(K, n)``; blocks of eight columns (one cache line of a row of ``values``)
    keep both the reads and the writes local.
    """
    n, k = values.shape
    for j0 in range(0, k, 8):
        j1 = min(j0 + 8, k)
        for i in range(n):
            for j in range(j0, j1):
                out[start + j, i] = values[i, j]


@njit(cache=True, error_model="numpy", fastmath=False)
def _sorted_scores(ordered, table, z):
    """Normal score of each position of sorted ``ordered`` (no NaN), ties averaged, into ``z``.

    Positions ``i .. j - 1`` (0-based) of a run of equal values share the average rank
    ``(i + 1 + j) / 2``, whose score is ``table[i + j + 1]`` (``table[h]`` is the score of
    rank ``h / 2``); a lone value's is ``table[2 i + 2]``.
    """
    n = ordered.shape[0]
    i = 0
    while i < n:
        value = ordered[i]
        j = i + 1
        while j < n and ordered[j] == value:
            j += 1
        score = table[i + j + 1]
        for q in range(i, j):
            z[q] = score
        i = j


@njit(cache=True, error_model="numpy", fastmath=False)
def _split_rhat(z, label, chains, size, refs, sums, means):
    """Split R-hat of scores ``z`` whose split chain is ``label`` (``chains`` of ``size``).

    Two passes (means, then squared deviations), as NumPy's ``mean`` and ``var(ddof=1)``;
    the sums are shifted by each chain's first score, so that a chain of equal scores has
    exactly its score as mean and zero variance (R-hat ``inf`` when the chains differ, NaN
    when all are equal, as before).
    """
    n = z.shape[0]
    refs[:] = np.nan
    sums[:] = 0.0
    for i in range(n):
        c = label[i]
        if np.isnan(refs[c]):
            refs[c] = z[i]
        sums[c] += z[i] - refs[c]
    for c in range(chains):
        means[c] = refs[c] + sums[c] / size
    sums[:] = 0.0
    for i in range(n):
        d = z[i] - means[label[i]]
        sums[label[i]] += d * d
    within = 0.0
    grand = 0.0
    for c in range(chains):
        within += sums[c] / (size - 1)
        grand += means[c]
    within /= chains
    grand /= chains
    spread = 0.0
    for c in range(chains):
        spread += (means[c] - grand) ** 2
    between = size * spread / (chains - 1)
    return np.sqrt(((size - 1) / size * within + between / size) / within)


@njit(cache=True, error_model="numpy", fastmath=False)
def split_rank_rhat(cols, order, chains, table, rhat, scores):
    """Rank-normalised split R-hat of each row of ``cols``, the larger of bulk and folded.

    Parameters
    ----------
    cols : (K, n) float64
        Each row one element's draws, chain after chain, ``n = chains * draws`` with an
        even ``draws``: the first and second half of each chain are its split chains.
    order : (K, n) int64
        ``np.argsort(cols, axis=1)`` (NaN last).
    chains : int
    table : (2 n + 2,) float64
        ``table[h] = ndtri((h / 2 - 0.375) / (n + 0.25))``.
    rhat : (K,) float64
        Output.
    scores : (K, n) or (0, n) float64
        Output when it has rows: each draw's bulk normal score (NaN for a column with a NaN),
        in the place of the draw in ``cols``.
    """
    k, n = cols.shape
    draws = n // chains if chains else 0
    half = draws // 2
    splits = 2 * chains
    chain_of = np.empty(n, np.int64)
    for p in range(n):
        chain = p // draws
        chain_of[p] = chain + chains * ((p - chain * draws) >= half)
    values = np.empty(n)
    label = np.empty(n, np.int64)
    work = (np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64))
    refs, sums, means = np.empty(splits), np.empty(splits), np.empty(splits)
    z = work[0]
    keep = scores.shape[0] > 0
    for j in range(k):
        col = cols[j]
        rank = order[j]
        for i in range(n):
            p = rank[i]
            values[i] = col[p]
            label[i] = chain_of[p]
        if n == 0 or np.isnan(values[n - 1]):
            rhat[j] = np.nan
            if keep:
                scores[j, :] = np.nan
            continue
        _sorted_scores(values, table, z)
        if keep:
            for i in range(n):
                scores[j, rank[i]] = z[i]
        bulk = _split_rhat(z, label, splits, half, refs, sums, means)
        median = (values[n // 2 - 1] + values[n // 2]) / 2
        if np.isnan(bulk) or not np.isfinite(median):
            rhat[j] = np.nan
            continue
        _fold(values, label, median, work)
        _sorted_scores(work[2], table, z)
        tail = _split_rhat(z, work[3], splits, half, refs, sums, means)
        rhat[j] = np.nan if np.isnan(tail) else max(bulk, tail)


@njit(cache=True, error_model="numpy", fastmath=False)
def _fold(values, label, median, work):
    """``|values - median|`` of sorted ``values`` in ascending order, and their labels.

    Into ``work[2]`` and ``work[3]`` (``work[1]`` holds the distances in the order of
    ``values``): one merge of the values below the median (read downwards) and those at or
    above it (read upwards), without branches on the data.
    """
    n = values.shape[0]
    dist, folded, folded_label = work[1], work[2], work[3]
    for i in range(n):
        dist[i] = abs(values[i] - median)
    upper = n // 2
    while upper > 0 and values[upper - 1] >= median:
        upper -= 1
    while upper < n and values[upper] < median:
        upper += 1
    lower = upper - 1
    q = 0
    while lower >= 0 and upper < n:
        below = dist[lower]
        above = dist[upper]
        take = below <= above
        folded[q] = below if take else above
        folded_label[q] = label[lower] if take else label[upper]
        lower -= take
        upper += 1 - take
        q += 1
    while lower >= 0:
        folded[q] = dist[lower]
        folded_label[q] = label[lower]
        lower -= 1
        q += 1
    while upper < n:
        folded[q] = dist[upper]
        folded_label[q] = label[upper]
        upper += 1
        q += 1
