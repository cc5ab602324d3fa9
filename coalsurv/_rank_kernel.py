"""The rank-normalised split R-hat of many columns of draws at once, in numba (ground layer).

:func:`coalsurv._stats.rank_diagnostics` and :func:`~coalsurv._stats.worst_rhat` (the
sampler's R-hat check after every fit, ``summary()``, the batch runner) call
:func:`rank_columns`, lazily. The work per column:

1. :func:`sort_keys` copies the column's draws into a row and writes integer keys (the value's
   order in the high bits, the draw's position in the low bits), which NumPy sorts;
2. the sorted keys give the sorted values and each one's split chain (first or second half of
   its chain); a column whose values are not then non-decreasing (values equal in all but the
   position bits, or a NaN) is sorted exactly, or judged NaN;
3. the normal score of each sorted position, ``ndtri((rank - 0.375) / (n + 0.25))``, is read
   from a table of every rank and half rank ``1, 1.5, ..., n`` (ties get their average rank, a
   whole or half number), and each split chain's sum and sum of squares are accumulated in the
   same pass (:func:`_scores_rhat`);
4. the folded draws ``|x - median|`` come in sorted order without a second sort: those of the
   values below the median, read downwards, and of those at or above it, read upwards, are each
   non-decreasing (rounding is monotone), so one merge orders them (:func:`_fold`); then 3.

A column with a NaN draw, or whose median is infinite or NaN, has R-hat NaN, as before.
Every function states ``fastmath=False`` (numba would otherwise give a callee its caller's
flags) and ``error_model="numpy"`` (0 / 0 is NaN, not an exception).
"""

from __future__ import annotations

import math
import os

import numpy as np
from numba import njit

__all__ = ["default_threads", "ndtri", "rank_columns", "score_table", "sort_keys",
           "split_rank_rhat"]

#: Columns sorted and judged at a time: 64 x 4 x 1000 draws are 2 MB of values and 2 MB of
#: keys, which stay in the cache between the key pass, the sort and the kernel.
CHUNK = 64


def rank_columns(arrays: list[np.ndarray], *, ess: bool = False, chunk: int = CHUNK,
                 threads: int | None = None):
    """Rank R-hat of every element of ``arrays`` (draws ``(chain, draw, ...)``, alike).

    Parameters
    ----------
    arrays : list of numpy.ndarray
        Draws with the same chains and draws.
    ess : bool
        Also return each array's normal scores (for the bulk ESS).
    chunk : int
        Elements per call of the kernels.
    threads : int, optional
        Threads working on chunks at once (default: the CPUs this process may use, at most
        4): the key pass, NumPy's sort and the kernel all release the GIL, and each element
        is judged alone, so the numbers do not depend on it.

    Returns
    -------
    tuple
        One flat R-hat array per array and, with ``ess``, each array's normal scores
        ``(chain, draws, ...)`` over the draws the split chains use (the middle draw of an
        odd count left out), else None.
    """
    chains, draws = arrays[0].shape[:2]
    half = draws // 2
    n = chains * 2 * half
    shift = max(int(n - 1).bit_length(), 1)
    table = np.full(2 * n + 2, np.nan)
    score_table(n, table)
    rhats, scores, jobs = [], [], []
    for values in arrays:
        if draws % 2:
            values = np.concatenate([values[:, :half], values[:, draws - half:]], axis=1)
        width = int(np.prod(values.shape[2:], dtype=int))
        flat = np.ascontiguousarray(values, dtype=float).reshape(n, width)
        rhats.append(np.empty(width))
        z = np.empty((width if ess else 0, n))
        jobs += [(flat, lo, min(lo + chunk, width), rhats[-1], z)
                 for lo in range(0, width, chunk)]
        if ess:
            scores.append(z.T.reshape(chains, 2 * half, *values.shape[2:]))
    size = min(chunk, max((hi - lo for _, lo, hi, _, _ in jobs), default=0))

    def run(group):
        cols, keys = np.empty((size, n)), np.empty((size, n), np.uint64)
        for flat, lo, hi, rhat, z in group:
            m = hi - lo
            sort_keys(flat, flat.view(np.uint64), lo, cols[:m], keys[:m], shift)
            keys[:m].sort(axis=1)
            split_rank_rhat(cols[:m], keys[:m], shift, chains, table, rhat[lo:hi],
                            z[lo:hi] if ess else z)

    workers = max(1, min(len(jobs), default_threads() if threads is None else threads))
    if workers == 1:
        run(jobs)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, [jobs[w::workers] for w in range(workers)]))
    return rhats, scores if ess else None


def default_threads() -> int:
    """Threads :func:`rank_columns` uses by default: the CPUs this process may use, at most 4."""
    try:
        return min(4, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return min(4, os.cpu_count() or 1)


#: Acklam's rational approximation of the normal quantile (relative error < 1.2e-9), which
#: :func:`ndtri` refines by one Halley step on ``math.erfc``.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)


@njit(cache=True, error_model="numpy", fastmath=False)
def ndtri(p):
    """Return the standard normal quantile of ``p`` in (0, 1), NaN outside (scipy's to 2e-15).

    For ``p > 0.5`` it is ``-ndtri(1 - p)`` (``1 - p`` is exact there), so the refinement
    ``x -= e / (1 + x e / 2)``, ``e = (Phi(x) - q) / phi(x)``, works on a lower tail, where
    ``Phi(x) = erfc(-x / sqrt 2) / 2`` keeps its relative precision. No scipy: importing
    ``scipy.special`` costs a fresh fit about 0.1 s, and nothing else in a fit needs it.
    """
    if not 0.0 < p < 1.0:
        return np.nan
    q = p if p <= 0.5 else 1.0 - p
    if q < 0.02425:
        r = math.sqrt(-2.0 * math.log(q))
        x = ((((((_C[0] * r + _C[1]) * r + _C[2]) * r + _C[3]) * r + _C[4]) * r + _C[5])
             / ((((_D[0] * r + _D[1]) * r + _D[2]) * r + _D[3]) * r + 1.0))
    else:
        r = q - 0.5
        t = r * r
        x = ((((((_A[0] * t + _A[1]) * t + _A[2]) * t + _A[3]) * t + _A[4]) * t + _A[5]) * r
             / (((((_B[0] * t + _B[1]) * t + _B[2]) * t + _B[3]) * t + _B[4]) * t + 1.0))
    if x != 0.0:
        e = (0.5 * math.erfc(-x / math.sqrt(2.0)) - q) * math.sqrt(2.0 * math.pi) * math.exp(
            0.5 * x * x)
        x = x - e / (1.0 + 0.5 * x * e)
    return x if p <= 0.5 else -x


@njit(cache=True, error_model="numpy", fastmath=False)
def score_table(n, table):
    """``table[h] = ndtri((h / 2 - 0.375) / (n + 0.25))`` for ``h >= 2`` (ranks 1, 1.5, ...)."""
    for h in range(2, table.shape[0]):
        table[h] = ndtri((h * 0.5 - 0.375) / (n + 0.25))


@njit(cache=True, error_model="numpy", fastmath=False, nogil=True)
def sort_keys(values, bits, first, cols, keys, shift):
    """Columns ``first .. first + K`` of ``values`` ``(n, k)`` as rows of ``cols`` and keys.

    ``bits`` is ``values`` viewed as ``uint64``. The key of draw ``i`` of a column orders
    like its value (the float's bits with the sign bit flipped, or all bits of a negative
    one) in all but its ``shift`` lowest bits, which hold ``i`` (``n <= 2 ** shift``):
    NumPy sorts these integers about twice as fast as it arg-sorts the floats, and the sorted
    keys give each position's draw. Only values equal in all other bits can come out of
    order; :func:`split_rank_rhat` checks, and sorts such a column exactly. Blocks of eight
    columns (one cache line of a row of ``values``) keep the reads and writes local.
    """
    n = values.shape[0]
    count = cols.shape[0]
    top = np.uint64(1) << np.uint64(63)
    low = np.uint64(shift)
    for j0 in range(0, count, 8):
        j1 = min(j0 + 8, count)
        for i in range(n):
            draw = np.uint64(i)
            for j in range(j0, j1):
                cols[j, i] = values[i, first + j]
                b = bits[i, first + j]
                u = ~b if b & top else b | top
                keys[j, i] = ((u >> low) << low) | draw


@njit(cache=True, error_model="numpy", fastmath=False)
def _scores_rhat(ordered, label, table, size, keep, z, refs, sums, squares):
    """Split R-hat of the normal scores of sorted ``ordered`` (no NaN), one pass.

    Positions ``i .. j - 1`` (0-based) of a run of equal values share the average rank
    ``(i + 1 + j) / 2``, whose score is ``table[i + j + 1]`` (``table[h]`` is the score of
    rank ``h / 2``; a lone value's is ``table[2 i + 2]``). ``label`` is each position's split
    chain (``size`` draws each); with ``keep`` the scores are written to ``z``. Each chain's
    sum and sum of squares are of its scores less its first one, so that a chain of equal
    scores has exactly its score as mean and zero variance (R-hat ``inf`` when such chains
    differ, NaN when all are equal, as NumPy's ``mean`` and ``var`` give).
    """
    n = ordered.shape[0]
    refs[:] = np.nan
    sums[:] = 0.0
    squares[:] = 0.0
    i = 0
    while i < n:
        value = ordered[i]
        j = i + 1
        while j < n and ordered[j] == value:
            j += 1
        score = table[i + j + 1]
        for q in range(i, j):
            c = label[q]
            if np.isnan(refs[c]):
                refs[c] = score
            d = score - refs[c]
            sums[c] += d
            squares[c] += d * d
            if keep:
                z[q] = score
        i = j
    chains = refs.shape[0]
    within = 0.0
    grand = 0.0
    for c in range(chains):
        shifted = sums[c] / size
        within += max(squares[c] - sums[c] * shifted, 0.0) / (size - 1)
        sums[c] = refs[c] + shifted  # the chain's mean
        grand += sums[c]
    within /= chains
    grand /= chains
    spread = 0.0
    for c in range(chains):
        spread += (sums[c] - grand) ** 2
    between = size * spread / (chains - 1)
    return np.sqrt(((size - 1) / size * within + between / size) / within)


@njit(cache=True, error_model="numpy", fastmath=False, nogil=True)
def split_rank_rhat(cols, keys, shift, chains, table, rhat, scores):
    """Rank-normalised split R-hat of each row of ``cols``, the larger of bulk and folded.

    Parameters
    ----------
    cols : (K, n) float64
        Each row one element's draws, chain after chain, ``n = chains * draws`` with an
        even ``draws``: the first and second half of each chain are its split chains.
    keys : (K, n) uint64
        The keys of :func:`sort_keys`, each row sorted.
    shift : int
        Their number of position bits.
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
    mask = (np.uint64(1) << np.uint64(shift)) - np.uint64(1)
    values = np.empty(n)
    label = np.empty(n, np.int64)
    z = np.empty(n)
    work = (np.empty(n), np.empty(n), np.empty(n, np.int64))
    refs, sums, squares = np.empty(splits), np.empty(splits), np.empty(splits)
    keep = scores.shape[0] > 0
    for j in range(k):
        col = cols[j]
        key = keys[j]
        ordered = True
        last = -np.inf
        for i in range(n):
            p = np.int64(key[i] & mask)
            values[i] = col[p]
            label[i] = chain_of[p]
            ordered &= last <= values[i]
            last = values[i]
        if n == 0 or (not ordered and np.isnan(col).any()):
            rhat[j] = np.nan
            if keep:
                scores[j, :] = np.nan
            continue
        if not ordered:  # values equal but in their position bits: sort exactly
            order = np.argsort(col)
            for i in range(n):
                values[i] = col[order[i]]
                label[i] = chain_of[order[i]]
                key[i] = order[i]  # the position bits below
        bulk = _scores_rhat(values, label, table, half, keep, z, refs, sums, squares)
        if keep:
            for i in range(n):
                scores[j, np.int64(key[i] & mask)] = z[i]
        median = (values[n // 2 - 1] + values[n // 2]) / 2
        if np.isnan(bulk) or not np.isfinite(median):
            rhat[j] = np.nan
            continue
        _fold(values, label, median, work)
        tail = _scores_rhat(work[1], work[2], table, half, False, z, refs, sums, squares)
        rhat[j] = np.nan if np.isnan(tail) else max(bulk, tail)


@njit(cache=True, error_model="numpy", fastmath=False)
def _fold(values, label, median, work):
    """``|values - median|`` of sorted ``values`` in ascending order, and their labels.

    Into ``work[1]`` and ``work[2]`` (``work[0]`` holds the distances in the order of
    ``values``): one merge of the values below the median (read downwards) and those at or
    above it (read upwards), without branches on the data.
    """
    n = values.shape[0]
    dist, folded, folded_label = work
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
