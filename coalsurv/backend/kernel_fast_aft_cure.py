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
the uncured rows. Every row is computed in every pass (branch-free: an event row's
log-sum-exp is computed and multiplied by 0).
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
def _parts(fam, lt, s, w, sc, at_entry):
    """``z``, ``LS``, ``DS`` (exit, or entry when ``at_entry``); at the exit ``LF``, ``GF``.

    ``LF`` goes into the value row and ``GF`` into ``g`` (the combination reads them).
    """
    rz, rls, rds = (_Z0, _LS0, _DS0) if at_entry else (_Z, _LS, _DS)
    for i in range(w):
        sc[rz, i] = sc[_C, i] * (lt[s + i] - sc[_ETA, i])
    if fam == 0:  # Weibull AFT: log S = -e^z, log f = log k - log t + z - e^z
        for i in range(w):
            z = sc[rz, i]
            ez = fexp(z)
            sc[rls, i] = -ez
            sc[rds, i] = -ez
            if not at_entry:
                sc[_VAL, i] = sc[_LTH, i] - lt[s + i] + z - ez
                sc[_G, i] = 1.0 - ez
    elif fam == 1:  # log-logistic: log S = -sp(z), log f = log k - log t + z - 2 sp(z)
        for i in range(w):
            z = sc[rz, i]
            sp, sg = softplus_sigmoid(z)
            sc[rls, i] = -sp
            sc[rds, i] = -sg
            if not at_entry:
                sc[_VAL, i] = sc[_LTH, i] - lt[s + i] + z - 2.0 * sp
                sc[_G, i] = 1.0 - 2.0 * sg
    else:  # log-normal (c = 1/sigma): log f = -log t - log sigma - log(2 pi)/2 - z^2/2
        for i in range(w):
            z = sc[rz, i]
            log_s, d_s = log_normal_sf_fast(z)
            sc[rls, i] = log_s
            sc[rds, i] = d_s
            if not at_entry:
                sc[_VAL, i] = -lt[s + i] - sc[_LTH, i] - HALF_LOG_2PI - 0.5 * z * z
                sc[_G, i] = -z


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _gather(tab, pat, s, w, sc, kind):
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
        p = int(pat[s + i])
        sc[_P1, i] = tab[p, 1]
        sc[_P2, i] = tab[p, c2]
        sc[_P3, i] = tab[p, 3]
        sc[_P4, i] = tab[p, 4]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _scatter(tab, pat, s, w, sc, g_pat):
    """Add the rows' ``d/d lin`` to their patterns' sums."""
    if tab.shape[0] == 1:
        t = 0.0
        for i in range(w):
            t += sc[_DL, i]
        g_pat[0] += t
        return
    for i in range(w):
        g_pat[int(pat[s + i])] += sc[_DL, i]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def cure_exit(fam, kind, lt, ev, tab, pat, s, w, sc, g_pat):
    """Rows ``s:s+w``' cured exit terms: value, ``g``, ``g z + d`` and ``d/d lin``."""
    _parts(fam, lt, s, w, sc, False)
    _gather(tab, pat, s, w, sc, kind)
    if kind == 1:  # mixture: P1..P4 = log pi, its derivative, log(1 - pi), its derivative
        for i in range(w):
            d = ev[s + i]
            lp, l1 = sc[_P1, i], sc[_P3, i]
            b = l1 + sc[_LS, i]
            big = max(lp, b)
            r = fexp(-abs(lp - b))
            lse = big + flog1p(r)
            q = 1.0 / (1.0 + r)
            pb = q if b >= lp else r * q
            pa = r * q if b >= lp else q
            sc[_VAL, i] = d * (l1 + sc[_VAL, i]) + (1.0 - d) * lse
            g = d * sc[_G, i] + (1.0 - d) * pb * sc[_DS, i]
            sc[_G, i] = g
            sc[_GZ, i] = g * sc[_Z, i] + d
            sc[_DL, i] = d * sc[_P4, i] + (1.0 - d) * (pa * sc[_P2, i] + pb * sc[_P4, i])
    else:  # promotion time: P1 = th = e^-lin, P2 = lin; log S = -th (1 - S_u)
        for i in range(w):
            d = ev[s + i]
            th = sc[_P1, i]
            su = fexp(sc[_LS, i])
            big_f = 1.0 - su
            sc[_VAL, i] = -th * big_f + d * (sc[_VAL, i] - sc[_P2, i])
            g = th * su * sc[_DS, i] + d * sc[_G, i]
            sc[_G, i] = g
            sc[_GZ, i] = g * sc[_Z, i] + d
            sc[_DL, i] = th * big_f - d
    _scatter(tab, pat, s, w, sc, g_pat)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def cure_entry(fam, kind, le, tab, pat, s, w, sc, g_pat):
    """Subtract rows ``s:s+w``' cured log survival at their (delayed) entry."""
    _parts(fam, le, s, w, sc, True)
    if kind == 1:
        for i in range(w):
            lp, l1 = sc[_P1, i], sc[_P3, i]
            b = l1 + sc[_LS0, i]
            big = max(lp, b)
            r = fexp(-abs(lp - b))
            q = 1.0 / (1.0 + r)
            pb = q if b >= lp else r * q
            pa = r * q if b >= lp else q
            sc[_VAL, i] -= big + flog1p(r)
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
    _scatter(tab, pat, s, w, sc, g_pat)
