"""The fast row loops' shared pieces: the block size, the header length and the ``fastmath`` flags.

:mod:`coalsurv.backend.kernel_fast` (exponential, Weibull PH, Gompertz) and
:mod:`coalsurv.backend.kernel_fast_rp` (the Royston-Parmar spline) both run branch-free blocks
of at most :data:`BLOCK` rows calling :func:`~coalsurv.backend.kernel_fastmath.fexp`
(re-exported here), on buffers whose first :data:`F_HEAD` values mean the same
(:mod:`coalsurv.backend.kernel_fast`'s module doc); :func:`fast_arrays` returns the views of
the arrays both buffers hold after that header, and :func:`fast_end` where they end (the rp
section's start).

``mm()`` member blocks (the PH loop's family codes only, :func:`has_member_copy`): the fast
buffer then ends, after the generic copy (:func:`generic_copy`), with a members
copy (:func:`coalsurv.backend.native_fast_common.mm_copy`: the whole generic buffer, rows
counted). :func:`mm_buffer` returns it (empty
without ``mm()``); :func:`mm_setup` computes the weights and each row's member term
``theta_i`` once per evaluation with :mod:`coalsurv.backend.kernel_members_fast` (on the
copy and the section after it, whose rows are in the fast loop's order); the loop adds
``theta_i`` to ``eta_i``, collects ``d log L / d eta_i`` by fast row and hands it to
:func:`~coalsurv.backend.kernel_members_fast.mm_fast_grad`. The generic
copy then has ``H_MM_R = 0`` (its priors pass would compute the weights again): the member
blocks' prior is :func:`~coalsurv.backend.kernel_members.mm_prior` on the members copy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_fastmath import fexp
from coalsurv.backend.kernel_members_fast import mm_fast_scratch, mm_fast_theta

__all__ = ["BLOCK", "F_HEAD", "FASTMATH", "MEMBER_COPY_CODES", "entry_runs", "fexp",
           "fast_arrays", "fast_end", "generic_copy", "has_member_copy", "level_effects",
           "level_grads", "level_sums", "level_u", "mm_buffer", "mm_setup"]

#: Rows per block of the vectorised loops (a block's scratch stays in L1).
BLOCK = 256
#: Header length of the fast buffer.
F_HEAD = 16

#: Family codes below this are the PH loop's (exponential 0, Weibull PH 1, Gompertz 2): the
#: only fast buffers with a members copy (:func:`has_member_copy`).
MEMBER_COPY_CODES = 3

#: ``fastmath`` flags of the blocked loops: reassociation and contraction only (infinities
#: and NaN keep their meaning).
FASTMATH = {"reassoc", "contract"}


@njit(cache=True, error_model="numpy")
def fast_arrays(fb):
    """Return views of the fast buffer's row arrays (:mod:`coalsurv.backend.kernel_fast`'s order).

    ``sum d x`` (P), events per level (L), level starts (L + 1), the end of each level's
    delayed-entry rows (L), ``X`` by column (P, n), ``log t``, ``log entry``, the event
    indicator and each row's original position (n each).
    """
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    o = F_HEAD
    s_dx = fb[o:o + P]
    o += P
    d_lev = fb[o:o + L]
    o += L
    start = fb[o:o + L + 1]
    o += L + 1
    mid = fb[o:o + L]
    o += L
    X = fb[o:o + P * n].reshape((P, n))
    o += P * n
    log_t = fb[o:o + n]
    o += n
    log_en = fb[o:o + n]
    o += n
    ev = fb[o:o + n]
    o += n
    order = fb[o:o + n]
    return s_dx, d_lev, start, mid, X, log_t, log_en, ev, order


@njit(cache=True, error_model="numpy")
def fast_end(fb):
    """Where the arrays of :func:`fast_arrays` end (the rp section starts there)."""
    n, P, L = int(fb[3]), int(fb[4]), int(fb[5])
    return F_HEAD + P + 3 * L + 1 + P * n + 4 * n


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def level_sums(r, start, out):
    """Each level's sum of ``r`` (rows ``start[l]:start[l + 1]``) into ``out``.

    The Gompertz and rp loops run their rows in blocks across the levels (a level of coalgov
    has ~20 rows: too few for the vector loops) and sum each level's row terms afterwards.
    """
    for lev in range(out.shape[0]):
        tot = 0.0
        for i in range(int(start[lev]), int(start[lev + 1])):
            tot += r[i]
        out[lev] = tot


@njit(cache=True, error_model="numpy", fastmath=False)
def level_u(x, mode, off_lev, lev, sd, a):
    """Return the frailty effect ``u`` of level ``lev`` of a fast buffer's frailty factor.

    ``mode`` (fast buffer head): 0 non-centred (``sd z``), 1 centred (``u``), 2 centred on
    the intercept ``a`` (``w - a``), -1 no frailty (0).
    """
    if mode == 0:
        return sd * x[off_lev + lev]
    if mode == 1:
        return x[off_lev + lev]
    if mode == 2:
        return x[off_lev + lev] - a
    return 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def level_effects(x, mode, off_sd, off_lev, a, u):
    """Each level's frailty effect (:func:`level_u`) into ``u``; return ``sd`` (1 unless mode 0).

    ``a``: what mode 2 centres on (the intercept; the AFT loop's ``a`` times its scale).
    """
    sd = math.exp(x[off_sd]) if mode == 0 else 1.0
    for lev in range(u.shape[0]):
        u[lev] = level_u(x, mode, off_lev, lev, sd, a)
    return sd


@njit(cache=True, error_model="numpy", fastmath=False)
def level_grads(grad, x, mode, off_sd, off_lev, sd, g, d_a):
    """Add each level's ``d log L / d u`` (``g``) to its frailty parameters' gradient.

    The chain rule of every fast loop (PH, rp, AFT, cure / interval end, piecewise tve), once
    per evaluation over the levels. ``mode`` as :func:`level_u`: 0 non-centred (``u = sd
    z``: ``sd g`` to ``z``, ``u g`` to ``log sd``), 1 centred (``g`` to ``u``), 2 centred on
    the intercept (``g`` to ``w``, ``-g`` to the centring value), -1 no frailty (nothing).
    Returns ``d_a`` (the caller's ``d / d a`` so far) less the levels' ``g`` in mode 2.
    """
    if mode == 0:
        for lev in range(g.shape[0]):
            grad[off_lev + lev] += g[lev] * sd
            grad[off_sd] += g[lev] * (sd * x[off_lev + lev])  # u, as level_u's mode 0
    elif mode >= 1:
        for lev in range(g.shape[0]):
            grad[off_lev + lev] += g[lev]
            if mode == 2:
                d_a -= g[lev]
    return d_a


@njit(cache=True, error_model="numpy", fastmath=False)
def entry_runs(start, mid):
    """Return the row runs ``(s, e, entry)`` of the blocked passes, levels merged.

    Within a level the delayed-entry rows come first (``start:mid``); consecutive rows of the
    same kind are one run whatever their level, so a buffer without delayed entry is one run
    (coalgov's ~20 rows a level left the vector loops mostly in their scalar remainders;
    the rp and the exponential / Weibull PH loops).
    """
    L = mid.shape[0]
    out = np.empty((2 * L, 3), np.int64)
    k = 0
    for lev in range(L):
        s, m, e = int(start[lev]), int(mid[lev]), int(start[lev + 1])
        if m > s:
            out[k, 0], out[k, 1], out[k, 2] = s, m, 1
            k += 1
        if e > m:
            if k > 0 and out[k - 1, 2] == 0 and out[k - 1, 1] == m:
                out[k - 1, 1] = e
            else:
                out[k, 0], out[k, 1], out[k, 2] = m, e, 0
                k += 1
    return out[:k]


@njit(cache=True, error_model="numpy", fastmath=False)
def has_member_copy(fam):
    """Whether a fast buffer of family code ``fam`` may end with a members copy.

    Only the PH loop's codes (below :data:`MEMBER_COPY_CODES`: exponential 0, Weibull PH 1,
    Gompertz 2): their generic copy is then read up to its own length (``H_LEN``) and the
    members copy follows. Every other loop's buffer (rp, AFT, cure / interval end, tve)
    holds other tails after its generic copy, which is read to the buffer's end.
    """
    return 0 <= fam < MEMBER_COPY_CODES


@njit(cache=True, error_model="numpy", fastmath=False)
def generic_copy(fb):
    """Return the fast buffer's generic copy (:func:`has_member_copy`: how far it reaches)."""
    g0 = int(fb[1])
    if has_member_copy(int(fb[2])):
        return fb[g0:g0 + int(fb[g0])]  # its own length (H_LEN): a members copy may follow
    return fb[g0:]


@njit(cache=True, error_model="numpy", fastmath=False)
def mm_buffer(fb):
    """Return the fast buffer's members copy (after the generic copy), empty without mm().

    Empty for every family code without one (:func:`has_member_copy`), whatever follows.
    """
    if not has_member_copy(int(fb[2])):
        return fb[:0]
    g0 = int(fb[1])
    return fb[g0 + int(fb[g0]):int(fb[0])]  # the generic copy's own length is its H_LEN


@njit(cache=True, error_model="numpy")
def mm_setup(mmb, x):
    """Compute each row's member term for one evaluation (one cause), in the fast row order.

    Returns ``theta``, then what :func:`~coalsurv.backend.kernel_members_fast.mm_fast_grad`
    needs (:func:`~coalsurv.backend.kernel_members_fast.mm_fast_theta`'s arrays: the raw
    weights, each membership's ``c``, each row's sum of raw weights, ``theta`` again and the
    fixed weights' ``zs``).
    """
    raw, c, tot, theta, zs = mm_fast_scratch(mmb)
    mm_fast_theta(mmb, x, 0, raw, c, tot, theta, zs)
    return theta, raw, c, tot, theta, zs
