"""The native route's pointwise log likelihood in chunks of draws, on two threads.

At most ~64 MB of float64 per chunk and thread, and at least one chunk per thread; each chunk
is written into the stored array (float64 directly, float32 after the kernel's float64
arithmetic). The row loop
(:func:`coalsurv.backend.kernel_rows.row_terms`) runs without the GIL, so two threads use the
two cores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from coalsurv.backend.kernel_joint import joint_base, joint_extend
from coalsurv.backend.kernel_rows import row_terms

__all__ = ["pointwise_into", "native_pointwise"]

_CHUNK_BYTES = 64 * 2 ** 20


@njit(cache=True, nogil=True, error_model="numpy")
def pointwise_into(buf, draws, out):
    """Kernel log likelihood of every row for each unconstrained draw, into ``out`` (float64)."""
    grad = np.zeros(0)
    joint = joint_base(buf) >= 0  # a joint prior: the extended vector (kernel_joint)
    for s in range(draws.shape[0]):
        out[s, :] = 0.0  # row_terms adds each row's terms
        x = joint_extend(buf, draws[s]) if joint else draws[s]
        # bool(): not numba's literal False, which would compile row_terms once more
        row_terms(buf, x, grad, bool(False), out[s])  # noqa: UP018


def native_pointwise(buf: np.ndarray, draws: np.ndarray, n: int, dtype: str,
                     *, threads: int = 2, fast: np.ndarray | None = None) -> np.ndarray:
    """``(n_draws, n)`` pointwise log likelihood of ``draws`` as ``dtype``, in chunks.

    Each chunk is computed in float64 (the kernel's arithmetic) and then stored as ``dtype``;
    only ``threads`` chunks exist at once. ``fast``: the buffer of
    :mod:`coalsurv.backend.kernel_fast`, whose row loop then computes the same values.
    """
    into = pointwise_into
    if fast is not None:
        from coalsurv.backend.kernel_fast import fast_pointwise_into
        from coalsurv.backend.kernel_fast_tve import TVE_CODES, tve_pointwise_into

        fast_into = tve_pointwise_into if fast[2] >= TVE_CODES else fast_pointwise_into

        def into(_, part, dest):  # the fast loop's, with the same contract
            fast_into(fast, part, dest)
    total = draws.shape[0]
    out = np.empty((total, n), dtype=dtype)
    # at most 64 MB a chunk, and at least one chunk a thread (a small fit's few MB were one
    # chunk on one core); each draw's values do not depend on the chunking
    step = max(1, min(total, _CHUNK_BYTES // (8 * max(n, 1)), -(-total // max(threads, 1))))
    if dtype == "float64":  # no copy: chunks straight into the stored array
        def work(start):
            into(buf, draws[start:start + step], out[start:start + step])
    else:
        def work(start):
            chunk = np.empty((min(step, total - start), n))
            into(buf, draws[start:start + step], chunk)
            out[start:start + step] = chunk
    starts = range(0, total, step)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, starts))
    else:
        for start in starts:
            work(start)
    return out
