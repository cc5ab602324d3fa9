"""The AFT fast row loop's cure rows: mixture (logit, probit, cloglog) and promotion time.

:mod:`coalsurv.backend.kernel_fast_aft` runs these passes over a block of rows instead of its
uncured exit and entry terms when the plan has a cure (one cause). Per row, from ``z`` (and
``z0`` at a delayed entry) and the row's cure pattern's values (the link evaluated once per
distinct row of ``Z_cure`` by :func:`coalsurv.backend.kernel_ending.cure_table`, as the
generic kernel's lean rows), the uncured family's parts are

    LF = log f(z) = log h + log S (with its direct ``log theta`` term, ``sgn`` per event),
    GF = d LF / dz,  LS = log S(z),  DS = d LS / dz  (and LS0, DS0 at the entry)

and the row combines them as :mod:`coalsurv.backend.kernel_cure` (``d`` the event indicator,
``lp, dlp, l1, dl1`` the pattern's ``log pi``, ``log(1 - pi)`` and their ``lin``
derivatives, ``th = e^-lin`` for the promotion time)::

    mixture:    d (l1 + LF) + (1 - d) log(e^lp + e^(l1 + LS))  - log(e^lp + e^(l1 + LS0))
    promotion:  -th (1 - e^LS) + d (-lin + LF)                  + th (1 - e^LS0)

Each ``log(e^a + e^b)`` is one :func:`~coalsurv.backend.kernel_fastmath.fexp` of ``-|a -
b|`` and one :func:`~coalsurv.backend.kernel_fastmath.flog1p`, its shares from the same ratio
(selected, not branched). The passes fill the block's ``g = d/dz`` (exit plus entry), ``g z +
d`` (the ``log theta`` derivative's factor) and ``d/d lin``; the loop then treats ``g`` as in
the uncured rows. With a cure the buffer sorts the rows by event within delayed entry
(:func:`coalsurv.backend.native_fast_aft.aft_buffer`) and no block mixes events and censored
rows, so each block runs one branch-free pass: an event row of the mixture needs neither
``log S`` (the log-normal's costly tail) nor a log-sum-exp, a censored row no ``log f``.
"""

from __future__ import annotations

from numba import njit

from coalsurv.backend.kernel_fast_base import FASTMATH
from coalsurv.backend.kernel_fastmath import fexp, flog1p, log_normal_sf_fast, softplus_sigmoid
from coalsurv.families.kernels_normal import HALF_LOG_2PI

__all__ = ["CURE_ROWS", "cure_exit", "cure_entry"]

_FM = FASTMATH
# scratch rows shared with kernel_fast_aft (its first seven) and these passes' own
_LTH, _G, _GZ, _VAL = 2, 4, 5, 6
_Z, _LS, _DS, _Z0, _LS0, _DS0, _P1, _P2, _P3, _P4, _DL = 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
#: Scratch rows a cure block needs (kernel_fast_aft's seven and these passes').
CURE_ROWS = 18
_C, _ETA = 3, 1


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _z(lt, b, w, sc, rz):
    """``z = c (log t - eta)`` of the block's rows (data rows ``b:b+w``)."""
    for i in range(w):
        sc[rz, i] = sc[_C, i] * (lt[b + i] - sc[_ETA, i])


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _ls(fam, w, sc, rz, rls, rds):
    """``LS = log S(z)`` and ``DS = d LS / dz`` of the block's rows."""
    if fam == 0:  # Weibull AFT: log S = -e^z
        for i in range(w):
            ez = fexp(sc[rz, i])
            sc[rls, i] = -ez
            sc[rds, i] = -ez
    elif fam == 1:  # log-logistic: log S = -sp(z)
        for i in range(w):
            sp, sg = softplus_sigmoid(sc[rz, i])
            sc[rls, i] = -sp
            sc[rds, i] = -sg
    else:  # log-normal: log(1 - Phi(z))
        for i in range(w):
            log_s, d_s = log_normal_sf_fast(sc[rz, i])
            sc[rls, i] = log_s
            sc[rds, i] = d_s


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _lf(fam, lt, b, w, sc):
    """``LF = log f(z)`` into the value row and ``GF = d LF / dz`` into ``g`` (the block's rows)."""
    if fam == 0:  # Weibull AFT: log f = log k - log t + z - e^z
        for i in range(w):
            z = sc[_Z, i]
            ez = fexp(z)
            sc[_VAL, i] = sc[_LTH, i] - lt[b + i] + z - ez
            sc[_G, i] = 1.0 - ez
    elif fam == 1:  # log-logistic: log f = log k - log t + z - 2 sp(z)
        for i in range(w):
            z = sc[_Z, i]
            sp, sg = softplus_sigmoid(z)
            sc[_VAL, i] = sc[_LTH, i] - lt[b + i] + z - 2.0 * sp
            sc[_G, i] = 1.0 - 2.0 * sg
    else:  # log-normal (c = 1/sigma): log f = -log t - log sigma - log(2 pi)/2 - z^2/2
        for i in range(w):
            z = sc[_Z, i]
            sc[_VAL, i] = -lt[b + i] - sc[_LTH, i] - HALF_LOG_2PI - 0.5 * z * z
            sc[_G, i] = -z


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _gather(tab, pat, b, w, sc, kind):
    """Each row's cure pattern values into the block's scratch ``P1..P4``.

    Mixture: ``tab`` columns 1-4; promotion time: ``e^-lin`` and ``lin`` (columns 1, 0).
    """
    c2 = 0 if kind == 2 else 2
    if tab.shape[0] == 1:
        for r in range(4):
            v = tab[0, c2 if r == 1 else 1 + r]
            for i in range(w):
                sc[_P1 + r, i] = v
        return
    for i in range(w):
        p = int(pat[b + i])
        sc[_P1, i] = tab[p, 1]
        sc[_P2, i] = tab[p, c2]
        sc[_P3, i] = tab[p, 3]
        sc[_P4, i] = tab[p, 4]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _scatter(tab, pat, b, w, sc, g_pat):
    """Add the rows' ``d/d lin`` to their patterns' sums."""
    if tab.shape[0] == 1:
        t = 0.0
        for i in range(w):
            t += sc[_DL, i]
        g_pat[0] += t
        return
    for i in range(w):
        g_pat[int(pat[b + i])] += sc[_DL, i]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _events(fam, kind, lt, b, w, sc):
    """Exit terms of a block of event rows."""
    _lf(fam, lt, b, w, sc)
    if kind == 1:  # mixture: log(1 - pi) + log f
        for i in range(w):
            sc[_VAL, i] += sc[_P3, i]
            sc[_GZ, i] = sc[_G, i] * sc[_Z, i] + 1.0
            sc[_DL, i] = sc[_P4, i]
        return
    _ls(fam, w, sc, _Z, _LS, _DS)  # promotion time: -th (1 - S_u) - lin + log f
    for i in range(w):
        th = sc[_P1, i]
        su = fexp(sc[_LS, i])
        big_f = 1.0 - su
        sc[_VAL, i] += -th * big_f - sc[_P2, i]
        g = th * su * sc[_DS, i] + sc[_G, i]
        sc[_G, i] = g
        sc[_GZ, i] = g * sc[_Z, i] + 1.0
        sc[_DL, i] = th * big_f - 1.0


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _censored(fam, kind, w, sc):
    """Exit terms of a block of right-censored rows."""
    _ls(fam, w, sc, _Z, _LS, _DS)
    if kind == 1:  # mixture: log(pi + (1 - pi) S_u), P1..P4 = log pi, d, log(1 - pi), d
        for i in range(w):
            lp = sc[_P1, i]
            b = sc[_P3, i] + sc[_LS, i]
            r = fexp(-abs(lp - b))
            q = 1.0 / (1.0 + r)
            pb = q if b >= lp else r * q
            pa = r * q if b >= lp else q
            sc[_VAL, i] = max(lp, b) + flog1p(r)
            g = pb * sc[_DS, i]
            sc[_G, i] = g
            sc[_GZ, i] = g * sc[_Z, i]
            sc[_DL, i] = pa * sc[_P2, i] + pb * sc[_P4, i]
        return
    for i in range(w):  # promotion time: -th (1 - S_u)
        th = sc[_P1, i]
        su = fexp(sc[_LS, i])
        big_f = 1.0 - su
        sc[_VAL, i] = -th * big_f
        g = th * su * sc[_DS, i]
        sc[_G, i] = g
        sc[_GZ, i] = g * sc[_Z, i]
        sc[_DL, i] = th * big_f


@njit(cache=True, error_model="numpy", fastmath=_FM)
def cure_exit(fam, kind, events, lt, tab, pat, b, w, sc, g_pat):
    """Rows ``b:b+w``' cured exit terms: value, ``g``, ``g z + d`` and ``d/d lin``.

    ``events``: the block's rows are all events (else all right-censored): with a cure the
    loop's blocks never mix the two (:func:`coalsurv.backend.kernel_fast_aft._evaluate`).
    """
    _gather(tab, pat, b, w, sc, kind)
    _z(lt, b, w, sc, _Z)
    if events:
        _events(fam, kind, lt, b, w, sc)
    else:
        _censored(fam, kind, w, sc)
    _scatter(tab, pat, b, w, sc, g_pat)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def cure_entry(fam, kind, le, tab, pat, b, w, sc, g_pat):
    """Subtract rows ``b:b+w``' cured log survival at their (delayed) entry."""
    _z(le, b, w, sc, _Z0)
    _ls(fam, w, sc, _Z0, _LS0, _DS0)
    if kind == 1:
        for i in range(w):
            lp = sc[_P1, i]
            b0 = sc[_P3, i] + sc[_LS0, i]
            r = fexp(-abs(lp - b0))
            q = 1.0 / (1.0 + r)
            pb = q if b0 >= lp else r * q
            pa = r * q if b0 >= lp else q
            sc[_VAL, i] -= max(lp, b0) + flog1p(r)
            g0 = -pb * sc[_DS0, i]
            sc[_G, i] += g0
            sc[_GZ, i] += g0 * sc[_Z0, i]
            sc[_DL, i] = -(pa * sc[_P2, i] + pb * sc[_P4, i])
    else:
        for i in range(w):
            th = sc[_P1, i]
            s0 = fexp(sc[_LS0, i])
            f0 = 1.0 - s0
            sc[_VAL, i] += th * f0
            g0 = -th * s0 * sc[_DS0, i]
            sc[_G, i] += g0
            sc[_GZ, i] += g0 * sc[_Z0, i]
            sc[_DL, i] = -th * f0
    _scatter(tab, pat, b, w, sc, g_pat)
