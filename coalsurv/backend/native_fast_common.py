"""What every fast row loop's buffer packs the same way (numpy; no numba).

:func:`coalsurv.backend.native_fast.fast_buffer` (exponential, Weibull PH, Gompertz, rp) and
:func:`coalsurv.backend.native_fast_aft.aft_buffer` (the AFT families) both read each row's
frailty level from the generic buffer and write the same header values 3-12 (``n, P, L``,
the parameter offsets, the frailty's mode and offsets, the intercept centre).
:func:`mm_copy` packs the members copy that ends a fast buffer of a model with ``mm()``
(:func:`coalsurv.backend.kernel_fast_base.mm_buffer`), :func:`mm_fast_section` what follows
it on the PH loop (:mod:`coalsurv.backend.kernel_members_fast`).
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend import kernel_layout as K

__all__ = ["frailty_levels", "fill_common_head", "mm_copy", "mm_fast_section"]


def frailty_levels(buf: np.ndarray, n: int, G: int, idx) -> tuple[np.ndarray, int]:
    """Return each row's level of the (at most one) frailty factor and the number of levels.

    Without a frailty (``G = 0``) every row is level 0 of 1.
    """
    if G:
        return np.asarray(idx[0]).astype(np.int64), int(buf[K.H_GROUPS + 2])
    return np.zeros(n, np.int64), 1


def fill_common_head(head: np.ndarray, buf: np.ndarray, *, n: int, P: int, L: int, G: int,
                     centre) -> None:
    """Write header values 3-12 of a fast buffer from the generic buffer ``buf``."""
    head[3], head[4], head[5] = n, P, L
    head[6], head[7], head[8] = buf[K.H_OFF_INT], buf[K.H_OFF_BETA], buf[K.H_OFF_THETA]
    if G:
        hb = K.H_GROUPS
        head[9], head[10], head[11] = buf[hb + 7], buf[hb], buf[hb + 1]
    else:
        head[9], head[10], head[11] = -1, -1, -1
    head[12] = centre[0] if int(buf[K.H_CENTRED]) == 1 else 0.0


def mm_copy(buf: np.ndarray) -> np.ndarray:
    """Return the members copy of a fast buffer: the whole generic buffer, its rows counted.

    :mod:`coalsurv.backend.kernel_members` runs on it as on the generic buffer (the header,
    the intercept centre, the mm() section, per-term prior tables: every offset valid),
    while the fast buffer's own generic copy has ``H_N = 0`` and ``H_MM_R = 0`` (the priors
    without the member blocks, whose weights pass it would repeat).
    """
    return np.array(buf, dtype=float)


def mm_fast_section(buf: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Return the PH fast loop's members section (:mod:`~.kernel_members_fast`).

    ``[length, n, R, Q | coal | member | X column-major | W | WX]`` from the generic buffer's
    mm() arrays, rows in the fast loop's order (``order``: each fast row's original
    position): each membership's row (its fast position) and member (int64 bits), the member
    covariates by column and, for fixed weights, each row's sum of weights and of weighted
    covariates (zeros otherwise).
    """
    n, Q = int(buf[K.H_N]), int(buf[K.H_MM_Q])
    d = int(buf[K.H_MM_DATA]) + 1  # after the levels' mode (kernel_members.mm_arrays)
    R_all = int(buf[K.H_MM_R])
    start = np.asarray(buf[d:d + n + 1]).astype(np.int64)
    R = int(start[-1])
    d += n + 1
    member = np.asarray(buf[d:d + R]).astype(np.int64)
    d += R_all
    share = np.asarray(buf[d:d + R], dtype=float)
    d += 2 * R_all
    X = np.asarray(buf[d:d + R_all * Q], dtype=float).reshape(R_all, Q)[:R]
    coal = np.repeat(np.arange(n), np.diff(start))
    order = np.asarray(order, dtype=np.int64)
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    W, WX = np.zeros(n), np.zeros((Q, n))
    if int(buf[K.H_MM_WEIGHTS]) == 0:  # fixed weights: the data's
        W = np.bincount(coal, share, minlength=n)[order]
        for j in range(Q):
            WX[j] = np.bincount(coal, share * X[:, j], minlength=n)[order]
    parts = [pos[coal].view(np.float64), member.view(np.float64), X.T.reshape(-1), W,
             WX.reshape(-1)]
    head = np.array([4.0 + sum(p.size for p in parts), n, R, Q])
    return np.concatenate([head, *parts])
