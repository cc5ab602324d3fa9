r"""Numba twins of the gamma and generalised-gamma families, for the native kernel (issue 23).

:func:`log_inc_gamma` gives :math:`\log P(a, x)` and :math:`\log Q(a, x)` (the regularised
incomplete gamma functions) with their derivatives in the shape :math:`a` and in
:math:`\log x`, to about 1e-14 relative, in log space in both tails (so :math:`\log Q` stays
exact where :math:`Q` underflows): the series of :math:`P` for :math:`x < a + 1` (and, for
shapes below 10, beyond it while :math:`Q \gtrsim 0.1`), the continued fraction of :math:`Q`
(modified Lentz) otherwise, each carried with its derivative in :math:`a`, the other function
as :math:`\log(1 - e^{\log P})`. ``tests/families/test_kernels_gamma.py`` checks them against
:func:`scipy.special.gammainc` / :func:`~scipy.special.gammaincc` and central finite
differences.

:func:`gamma_terms` and :func:`gengamma_terms` return the kernel's six terms (log hazard, log
survival and their derivatives, as :func:`coalsurv.families.kernels.family_terms`) of
:mod:`coalsurv.families.gengamma`, branch for branch as its PyTensor graph: the cap of
:math:`Qw` (of :math:`\log x`) at 650 with a zero derivative beyond, and the generalised gamma's
second-order expansion around the log-normal for :math:`|Q| <` :data:`Q_SERIES` (its
clipped correction included). The one difference: where the leading term of the incomplete
gamma function is below :math:`e^{-500}` the graph takes a two-level tail approximation
(:data:`coalsurv.families.math.TAIL_LOG`), accurate to a few parts in 1e4 of the log there;
these are exact. Not inlined (``inline="never"``): one compiled function each, called by the
kernel's rows.
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.families.gengamma import Q_SERIES
from coalsurv.families.kernels_normal import HALF_LOG_2PI, log_normal_sf

__all__ = ["GAMMA", "GENGAMMA", "EXT_A", "EXT_Q", "MAX_QW", "p_series", "p_fraction", "digamma",
           "log_inc_gamma", "inc_gamma_parts", "gamma_terms",
           "gamma_terms_parts", "gamma_row", "shape_constants", "gengamma_terms", "gengamma_all",
           "gengamma_log_cdf"]

#: Family codes (:data:`coalsurv.families.kernels.KERNEL_FAMILIES`).
GAMMA = 8
GENGAMMA = 9

_EPS = 1e-16
_FPMIN = 1e-300
_MAX_ITER = 200_000
#: Above this ``a`` the series' four-term steps (products of four factors) fall back to one.
_BIG = 1e30
#: Below the shape ``_EXT_A`` the series also serves ``x >= a + 1`` while ``Q``, estimated by
#: the continued fraction's first convergent (``lead / (x + 1 - a)``), is above ``_EXT_Q``:
#: there ``1 - P`` keeps ``log Q`` and its derivatives to about 1e-13 (``P / Q <= 10`` times
#: the series' rounding), and its terms cost less than the fraction's steps, which converge
#: slowly next to ``x = a + 1`` (about 60 at ``a = 1.25``, 300 ns against 40).
_EXT_A = 10.0
_EXT_Q = 0.1
#: Below this ``log(1 - v)`` is ``log1p(-v)`` (a libm call several times slower than ``log``);
#: above it ``log`` of ``1 - v`` loses at most 1e-13 relative.
_SMALL = 1e-3
#: The graph's cap of ``Q w`` and of ``log x`` (``coalsurv.families.gengamma``).
_MAX_QW = 650.0


@njit(cache=True, error_model="numpy", fastmath=False)
def digamma(x):
    """Return the digamma function at ``x > 0`` (recurrence to ``x >= 6``, asymptotic series)."""
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    tail = f * (-1.0 / 12.0 + f * (1.0 / 120.0 + f * (-1.0 / 252.0 + f * (
        1.0 / 240.0 + f * (-1.0 / 132.0 + f * (691.0 / 32760.0 - f / 12.0))))))
    return r + math.log(x) - 0.5 / x + tail


@njit(cache=True, error_model="numpy", fastmath=False)
def _log1mexp(x):
    """``log(1 - e^x)`` for ``x <= 0``."""
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit(cache=True, error_model="numpy", fastmath=False)
def _series_plain(a, x):
    """``sum_n x^n / (a (a+1) ... (a+n))`` (P's series over its lead) and its ``a`` derivative.

    The ``n``-th term's ``a`` derivative is the term times ``-H_n``, ``H_n = sum_{j<=n}
    1/(a+j)``: one division per term. :func:`_series`' form for ``a >`` :data:`_BIG` (where
    its products of four factors could overflow).
    """
    r = 1.0 / a
    term = r
    harm = r
    total, d_total = term, -term * harm
    ap = a
    for _ in range(_MAX_ITER):
        ap += 1.0
        r = 1.0 / ap
        term *= x * r
        harm += r
        d_term = -term * harm
        total += term
        d_total += d_term
        if abs(term) < abs(total) * _EPS and abs(d_term) <= abs(d_total) * _EPS:
            break
    return total, d_total


@njit(cache=True, error_model="numpy", fastmath=False)
def _series(a, x):
    """P's series over its lead and its ``a`` derivative, four terms a step.

    As :func:`_series_plain`, with one division per four terms (``1 / ((a+n+1)(a+n+2)
    (a+n+3)(a+n+4))``, the four reciprocals as products with it), and the four terms each one
    product away from the last step's (their factors ``x^j / ((a+n+1)...(a+n+j))`` off the
    step's dependency chain). Every term is positive (``x > 0``); the stop is tested once a
    step (so up to three terms below 1e-16 of the sum beyond the plain loop's stop).
    """
    if a > _BIG:
        return _series_plain(a, x)
    r = 1.0 / a
    term = r
    harm = r
    total, d_total = r, -r * r
    x2 = x * x
    ap = a
    for _ in range(_MAX_ITER // 4):
        a1 = ap + 1.0
        a2 = ap + 2.0
        a3 = ap + 3.0
        a4 = ap + 4.0
        p12 = a1 * a2
        p34 = a3 * a4
        inv = 1.0 / (p12 * p34)
        i12 = p34 * inv  # 1 / ((a+n+1)(a+n+2))
        i34 = p12 * inv
        r1 = a2 * i12
        r2 = a1 * i12
        r3 = a4 * i34
        r4 = a3 * i34
        q2 = x2 * i12
        t1 = term * (x * r1)
        t2 = term * q2
        t3 = term * (q2 * (x * r3))
        t4 = term * (q2 * (x2 * i34))
        h1 = harm + r1
        h2 = harm + (r1 + r2)
        h3 = h2 + r3
        h4 = h2 + (r3 + r4)
        total += (t1 + t2) + (t3 + t4)
        d_total -= (t1 * h1 + t2 * h2) + (t3 * h3 + t4 * h4)
        term, harm, ap = t4, h4, a4
        if t4 < total * _EPS and t4 * h4 <= -d_total * _EPS:
            break
    return total, d_total


@njit(cache=True, error_model="numpy", fastmath=False)
def _fraction(a, x):
    """Q's continued fraction over its lead (modified Lentz), carried with its ``a`` derivative.

    Two divisions per step (``1/c`` and ``1/d``), every other quotient a product with these.
    (A division-free forward recurrence with a rescaling every four steps was about twice as
    fast, but its convergents wander by rounding once converged, so no test of their change
    stops it reliably at 1e-15: issue 23's gamma-speed notes in DEVELOPING.md.)
    """
    b, db = x + 1.0 - a, -1.0
    c, dc = 1.0 / _FPMIN, 0.0
    d = 1.0 / b
    dd = -db * d * d
    h, dh = d, dd
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        dan = float(i)
        b += 2.0
        dd = dan * d + an * dd + db
        d = an * d + b
        if abs(d) < _FPMIN:
            d = _FPMIN
        ic = 1.0 / c
        dc = db + (dan - an * dc * ic) * ic
        c = b + an * ic
        if abs(c) < _FPMIN:
            c = _FPMIN
        d = 1.0 / d
        dd = -dd * d * d
        delta = d * c
        d_delta = dd * c + d * dc
        dh = dh * delta + h * d_delta
        h *= delta
        if abs(delta - 1.0) < _EPS and abs(d_delta) * abs(h) <= _EPS * (abs(h) + abs(dh)):
            break
    return h, dh


@njit(cache=True, error_model="numpy", fastmath=False)
def inc_gamma_parts(a, x, log_x, lg, psi, side):
    """:func:`log_inc_gamma` given ``lg = lgamma(a)`` and ``psi = digamma(a)``.

    The kernel computes both once per distinct shape (per cause and stratum, per call), not
    per row. ``side``: 0 both logs; 1 ``log Q`` only, -1 ``log P`` only (the other returned
    as 0; the four derivatives always). Two transcendental calls besides the series or
    fraction for one side: ``exp`` of the lead (``P = lead s``, ``Q = lead h``, computed
    before the sum) and one ``log`` (``log1p`` of ``-v`` below :data:`_SMALL`); the ``log x``
    derivatives are ratios (``d log P / d log x = 1 / s`` with ``s`` the series, ``d log Q /
    d log x = -1 / h`` with ``h`` the fraction).
    """
    log_lead = a * log_x - x - lg  # log of x^a e^-x / Gamma(a)
    lead = math.exp(log_lead)  # before the sum: off the row's chain of dependent steps
    log_p, log_q = 0.0, 0.0
    if x < a + 1.0 or (a < _EXT_A and lead > _EXT_Q * (x + 1.0 - a)):
        s, ds = _series(a, x)
        inv_s = 1.0 / s
        dp_a = log_x - psi + ds * inv_s
        p = lead * s
        q = 1.0 - p
        if side <= 0:
            log_p = log_lead + math.log(s)
        if side >= 0:
            log_q = math.log(q) if p > _SMALL else math.log1p(-p)
        r = p / q
        return log_p, log_q, dp_a, -r * dp_a, inv_s, -r * inv_s
    h, dh = _fraction(a, x)
    inv_h = 1.0 / h
    dq_a = log_x - psi + dh * inv_h
    q = lead * h
    p = 1.0 - q
    if side >= 0:
        log_q = log_lead + math.log(h)
    if side <= 0:
        log_p = math.log(p) if q > _SMALL else math.log1p(-q)
    r = q / p
    return log_p, log_q, -r * dq_a, dq_a, r * inv_h, -inv_h


@njit(cache=True, error_model="numpy", fastmath=False)
def log_inc_gamma(a, x, log_x):
    """``log P, log Q`` at ``(a, x)`` and their derivatives in ``a`` and in ``log x``.

    Returns ``(log_p, log_q, dlogp_da, dlogq_da, dlogp_dlogx, dlogq_dlogx)``; ``log_x`` is
    ``log x`` (passed so that it stays exact where ``x`` under- or overflows).
    """
    return inc_gamma_parts(a, x, log_x, math.lgamma(a), digamma(a), 0)


@njit(cache=True, error_model="numpy", fastmath=False)
def shape_constants(a):
    """``lgamma(a), digamma(a)``: once per distinct shape (:func:`gamma_terms_parts`)."""
    return math.lgamma(a), digamma(a)


@njit(cache=True, error_model="numpy", fastmath=False)
def gamma_terms_parts(t, log_t, eta, k, lg, psi):
    """:func:`gamma_terms` given ``lg = lgamma(k)`` and ``psi = digamma(k)``."""
    log_x = log_t - eta
    live = 1.0
    lx = log_x
    if lx > _MAX_QW:
        lx, live = _MAX_QW, 0.0
    x = math.exp(lx)
    log_f = k * log_x - x - lg - log_t
    df_eta = -k + x * live
    df_k = log_x - psi
    _, log_s, _, ds_k, _, ds_lx = inc_gamma_parts(k, x, lx, lg, psi, 1)
    ds_eta = -ds_lx * live
    return log_f - log_s, df_eta - ds_eta, df_k - ds_k, log_s, ds_eta, ds_k


@njit(cache=True, error_model="numpy", fastmath=False)
def gamma_terms(t, log_t, eta, k, log_k):
    """Gamma (shape ``k``, scale ``e^eta``): the six terms of ``family_terms``, ``theta = k``.

    ``log f = k log x - x - lgamma(k) - log t`` with ``x = exp(min(log t - eta, 650))`` (the
    graph's ``log x`` uncapped in the first term), ``log S = log Q(k, x)``.
    """
    return gamma_terms_parts(t, log_t, eta, k, math.lgamma(k), digamma(k))


@njit(cache=True, error_model="numpy", fastmath=False)
def gamma_row(ev, t, log_t, en, log_en, eta, k, lg, psi):
    """Return a row's ``ev log h(t) + log S(t) - log S(entry)``, its ``eta``, ``k`` derivatives.

    The kernel's common row (no cure, no interval-censored ending), with the shape's
    ``lgamma`` and ``digamma`` given (:func:`shape_constants`).
    """
    log_h, dh_eta, dh_k, val, d_eta, d_k = gamma_terms_parts(t, log_t, eta, k, lg, psi)
    val += ev * log_h
    d_eta += ev * dh_eta
    d_k += ev * dh_k
    if en > 0.0:
        _, _, _, log_s0, ds0_eta, ds0_k = gamma_terms_parts(en, log_en, eta, k, lg, psi)
        val -= log_s0
        d_eta -= ds0_eta
        d_k -= ds0_k
    return val, d_eta, d_k


@njit(cache=True, error_model="numpy", fastmath=False)
def _gengamma_w(w, sigma, Q):
    """Near the log-normal (``|Q| < Q_SERIES``): ``log f + log sigma + log t`` and ``log S``.

    Returns ``(lf, lf_w, lf_Q, ls, ls_w, ls_Q)`` of the graph's second-order expansion.
    """
    w2 = w * w
    log_phi = -HALF_LOG_2PI - 0.5 * w2
    lf = log_phi - Q * w * w2 / 6.0 - Q * Q * (w2 * w2 + 2.0) / 24.0
    lf_w = -w - 0.5 * Q * w2 - Q * Q * w * w2 / 6.0
    lf_q = -w * w2 / 6.0 - Q * (w2 * w2 + 2.0) / 12.0
    ls0, ls0_w = log_normal_sf(w)
    poly = w2 * w2 + 2.0 * w2 + 6.0
    corr = Q * (w2 + 2.0) / 6.0 - Q * Q * w * poly / 72.0
    corr_w = Q * w / 3.0 - Q * Q * (5.0 * w2 * w2 + 6.0 * w2 + 6.0) / 72.0
    corr_q = (w2 + 2.0) / 6.0 - Q * w * poly / 36.0
    r = math.exp(log_phi - ls0)
    v = -corr * r
    if v < -0.5 or v > 0.5:  # the graph's clip: a constant beyond
        v = min(max(v, -0.5), 0.5)
        return lf, lf_w, lf_q, ls0 + math.log1p(v), ls0_w, 0.0
    r_w = r * (-w - ls0_w)
    ls = ls0 + math.log1p(v)
    ls_w = ls0_w - (corr_w * r + corr * r_w) / (1.0 + v)
    return lf, lf_w, lf_q, ls, ls_w, -corr_q * r / (1.0 + v)


@njit(cache=True, inline="always", error_model="numpy")
def _gamma_scale(Q, w, log_abs_q):
    """``(1/Q, a = Q^-2, log u, live)`` of the gamma form (``|Q| >= Q_SERIES``).

    ``log u = -2 log|Q| + Q w`` with ``Q w`` capped at ``_MAX_QW`` (``live = 0`` there: its
    ``w`` derivative is zero). One copy for :func:`gengamma_all` and :func:`gengamma_log_cdf`.
    """
    iq = 1.0 / Q
    qw, live = Q * w, 1.0
    if qw > _MAX_QW:
        qw, live = _MAX_QW, 0.0
    return iq, iq * iq, -2.0 * log_abs_q + qw, live


@njit(cache=True, error_model="numpy", fastmath=False)
def gengamma_all(t, log_t, eta, sigma, log_sigma, Q, log_abs_q, lg, psi):
    """Generalised gamma in one pass: ``log h`` and ``log S`` with all their derivatives.

    Returns ``(log_h, d_eta, d_sigma, d_Q, log_S, d_eta, d_sigma, d_Q)``. ``log_abs_q =
    log|Q|``, ``lg`` and ``psi`` the ``lgamma`` and ``digamma`` of ``a = Q^-2`` (used only for
    ``|Q| >= Q_SERIES``): once per cause, not per row.
    """
    if t == math.inf:  # an interval's open upper end: S = 0 (the graph's, up to its cap)
        return math.inf, 0.0, 0.0, 0.0, -math.inf, 0.0, 0.0, 0.0
    inv = 1.0 / sigma
    w = (log_t - eta) * inv
    if abs(Q) < Q_SERIES:
        lf, lf_w, lf_q, ls, ls_w, ls_q = _gengamma_w(w, sigma, Q)
    else:
        iq, a, log_u, live = _gamma_scale(Q, w, log_abs_q)
        u = math.exp(log_u)
        lf = log_abs_q + a * log_u - u - lg
        log_p, log_q, dp_a, dq_a, dp_lu, dq_lu = inc_gamma_parts(a, u, log_u, lg, psi,
                                                                 1 if Q > 0.0 else -1)
        if Q > 0.0:
            ls, ls_a, ls_lu = log_q, dq_a, dq_lu
        else:
            ls, ls_a, ls_lu = log_p, dp_a, dp_lu
        da_q = -2.0 * a * iq
        dlu_q = -2.0 * iq + w * live
        lf_w = (a - u) * Q * live
        lf_q = iq + (log_u - psi) * da_q + (a - u) * dlu_q
        ls_w = ls_lu * Q * live
        ls_q = ls_a * da_q + ls_lu * dlu_q
    log_f = lf - log_sigma - log_t
    f_eta, s_eta = -lf_w * inv, -ls_w * inv
    f_sig, s_sig = -lf_w * w * inv - inv, -ls_w * w * inv
    return (log_f - ls, f_eta - s_eta, f_sig - s_sig, lf_q - ls_q, ls, s_eta, s_sig, ls_q)


@njit(cache=True, error_model="numpy", fastmath=False)
def gengamma_log_cdf(t, log_t, eta, sigma, Q, log_abs_q, lg, psi):
    """``log F(t)`` and its ``eta``, ``sigma`` and ``Q`` derivatives, as the graph's.

    The other incomplete gamma ratio than :func:`gengamma_all`'s ``log S`` (``log P`` for
    ``Q > 0``), or the series' ``log Phi(w) + log1p(corr phi / Phi)`` with the graph's clip:
    exact in the lower tail, where ``log S`` rounds to ``-0`` and ``1 - S`` to 0 (the interval
    row there, :func:`coalsurv.backend.kernel_gengamma.gengamma_row`). ``t = 0`` gives
    ``(-inf, 0, 0, 0)``.
    """
    if t <= 0.0:
        return -math.inf, 0.0, 0.0, 0.0
    inv = 1.0 / sigma
    w = (log_t - eta) * inv
    if abs(Q) < Q_SERIES:
        w2 = w * w
        log_phi = -HALF_LOG_2PI - 0.5 * w2
        lc, d_neg = log_normal_sf(-w)  # log Phi(w); d/dw = -d_neg
        lc_w, lc_q = -d_neg, 0.0
        poly = w2 * w2 + 2.0 * w2 + 6.0
        corr = Q * (w2 + 2.0) / 6.0 - Q * Q * w * poly / 72.0
        r = math.exp(log_phi - lc)
        v = corr * r
        if v < -0.5 or v > 0.5:  # the graph's clip: a constant beyond
            lc += math.log1p(min(max(v, -0.5), 0.5))
        else:
            corr_w = Q * w / 3.0 - Q * Q * (5.0 * w2 * w2 + 6.0 * w2 + 6.0) / 72.0
            corr_q = (w2 + 2.0) / 6.0 - Q * w * poly / 36.0
            r_w = r * (-w - lc_w)
            lc += math.log1p(v)
            lc_w += (corr_w * r + corr * r_w) / (1.0 + v)
            lc_q = corr_q * r / (1.0 + v)
    else:
        iq, a, log_u, live = _gamma_scale(Q, w, log_abs_q)
        log_p, log_q, dp_a, dq_a, dp_lu, dq_lu = inc_gamma_parts(
            a, math.exp(log_u), log_u, lg, psi, -1 if Q > 0.0 else 1)
        if Q > 0.0:
            lc, lc_a, lc_lu = log_p, dp_a, dp_lu
        else:
            lc, lc_a, lc_lu = log_q, dq_a, dq_lu
        lc_w = lc_lu * Q * live
        lc_q = lc_a * (-2.0 * a * iq) + lc_lu * (-2.0 * iq + w * live)
    return lc, -lc_w * inv, -lc_w * w * inv, lc_q


@njit(cache=True, error_model="numpy", fastmath=False)
def gengamma_terms(t, log_t, eta, sigma, log_sigma, Q, direction):
    """Generalised gamma: the six terms, the third and sixth in ``sigma`` or ``Q``.

    ``direction = -1``: derivatives in ``sigma`` (the kernel's ``theta``); ``0``: in ``Q``.
    :func:`gengamma_all` with its constants computed here (the tve tables, the checks).
    """
    log_abs_q, lg, psi = 0.0, 0.0, 0.0
    if abs(Q) >= Q_SERIES:
        log_abs_q = math.log(abs(Q))
        lg, psi = shape_constants(1.0 / (Q * Q))
    r = gengamma_all(t, log_t, eta, sigma, log_sigma, Q, log_abs_q, lg, psi)
    if direction == 0:
        return r[0], r[1], r[3], r[4], r[5], r[7]
    return r[0], r[1], r[2], r[4], r[5], r[6]


#: Public names of the switch's constants and of the two sums, for the kernel's blocks of rows
#: (:mod:`coalsurv.backend.kernel_gamma_rows`), which run ``inc_gamma_parts``' steps in passes.
EXT_A, EXT_Q, MAX_QW = _EXT_A, _EXT_Q, _MAX_QW
p_series = _series
p_fraction = _fraction
