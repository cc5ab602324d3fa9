"""Population averages over the rows of ``newdata``, computed in chunks of rows.

A prediction on ``m`` rows and ``S`` draws holds ``S x m x times`` values (times the causes and
the quadrature nodes of unseen group effects while it is evaluated); for the 802 ParlGov
cabinets with 4,000 draws that no longer fits in memory. The population average only needs the
per-draw *sum* over rows, so :func:`average_over_rows` evaluates ``chunk_rows`` rows at a time
and adds each chunk's sum into one accumulator: the extra memory is one chunk's evaluation,
bounded by ``budget_bytes``, whatever the number of rows.

The average is the plain mean over rows of the per-row curves, per draw, then summarised
(equal to ``curve(newdata, summary=False).mean("row")``). Any curve whose row axis is the
second to last (``(draw, row, time)``, ``(draw, cause, row, time)``, and the multi-state
``(draw, state, row, time)``) can use it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from coalsurv.errors import ArgumentError

__all__ = ["DEFAULT_BUDGET_BYTES", "average_over_rows", "chunk_rows"]

#: Memory one chunk's evaluation may take (bytes); 1 GB of extra memory is the promise.
DEFAULT_BUDGET_BYTES = 256 * 2**20


def chunk_rows(n_rows: int, bytes_per_row: float, *,
               budget_bytes: float = DEFAULT_BUDGET_BYTES) -> int:
    """Return how many rows one chunk may hold (at least one, at most ``n_rows``).

    Parameters
    ----------
    n_rows : int
        Rows of newdata.
    bytes_per_row : float
        Estimated peak memory of evaluating one row (all draws, times, causes, nodes and the
        temporaries of the evaluation).
    budget_bytes : float
        Memory one chunk may use.
    """
    per = max(float(bytes_per_row), 1.0)
    return int(max(1, min(n_rows, budget_bytes // per)))


def average_over_rows(evaluate: Callable[[pd.DataFrame], np.ndarray], newdata: pd.DataFrame, *,
                      bytes_per_row: float,
                      budget_bytes: float = DEFAULT_BUDGET_BYTES) -> np.ndarray:
    """Mean over the rows of ``newdata`` of ``evaluate(rows)``, per draw, in chunks.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(frame) -> ndarray`` with the rows of ``frame`` on the second-to-last axis,
        e.g. ``(draw, row, time)`` or ``(draw, cause, row, time)``.
    newdata : DataFrame
        The rows to average over (at least one).
    bytes_per_row : float
        Estimated peak memory of evaluating one row (see :func:`chunk_rows`).
    budget_bytes : float
        Memory one chunk's evaluation may use.

    Returns
    -------
    ndarray
        ``evaluate``'s layout without the row axis, e.g. ``(draw, time)``.
    """
    n = len(newdata)
    if n == 0:
        raise ArgumentError("average=True needs newdata with at least one row")
    size = chunk_rows(n, bytes_per_row, budget_bytes=budget_bytes)
    total = None
    for start in range(0, n, size):
        part = evaluate(newdata.iloc[start:start + size])
        chunk_sum = part.sum(axis=-2)
        del part
        total = chunk_sum if total is None else total + chunk_sum
    return total / n
