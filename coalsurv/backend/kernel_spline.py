r"""The Royston-Parmar spline (family ``rp``) in the native kernel, and one row's likelihood.

As :mod:`coalsurv.families.spline` (the reference; ``native.formulas_match`` checks these on a
grid): with ``x = log t``, ``s(x) = eta + gamma x + sum_j b_j w_j(x)`` (``gamma`` the family
parameter ``rp_slope``, ``b`` the cause's ``rp_spline``) and ``s'(x) = gamma + sum_j b_j
w_j'(x)``, where ``w_j(x) = u_j(x) - u_j(0) - u_j'(0) x`` is flexsurv's basis ``u_j =
v_j / (kmax - kmin)^2`` centred at the model time scale. Hazard scale: ``log h = log s' - x +
c(s)``, ``log S = -e^{c(s)}`` with ``c`` the family's soft cap above 600; odds scale: ``log h =
log s' - x + s - softplus(s)``, ``log S = -softplus(s)``. ``log h = -inf`` where ``s' <= 0``.

Every parameter enters through ``s`` and ``s'`` only, so one evaluation gives the
derivatives in ``eta`` (``d/ds``) and in one *direction*: ``gamma`` (``direction = -1``:
``ds/dgamma = x``, ``ds'/dgamma = 1``) or ``b_j`` (``direction = j``: ``w_j(x)``,
``w_j'(x)``). :func:`combine` combines a row's evaluations (exit, upper bound, entry; cure)
linearly in the derivatives with weights that depend on the values only. The spline is
linear in ``b``, so :func:`rp_row` (the kernel's rp rows) takes ``rp_spline``'s gradient
analytically: one evaluation per time point for ``eta`` and ``gamma``, then each point's
``d/ds`` and ``d/ds'`` (:func:`rp_point`) weighted and spread over the basis
(:func:`rp_basis_grad`): O(K) a row, where one evaluation per coefficient was O(K^2).

The spline's constants travel in the buffer (``E_SPLINE_DATA``): ``odds, K, kmin, kmax, (kmax
- kmin)^2``, then the ``K`` internal knots, ``lambda_j``, ``u_j(0)`` and ``u_j'(0)``, all
computed by the family itself (:func:`spline_constants`). The monotonicity bound of the graph
(``rp_monotone``: ``-inf`` unless the exact minimum of ``s'`` over the line is positive for
every cause and stratum) is :func:`spline_bound`, exact as :meth:`RoystonParmar.min_slope`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from coalsurv.backend.kernel_cure import cure_row
from coalsurv.backend.kernel_layout import (
    E_SPLINE_DATA,
    E_SPLINE_K,
    E_SPLINE_OFF,
    E_SPLINE_PRIOR,
    H_C,
    H_FAM,
    H_N,
    H_OFF_THETA,
    H_THETA_S,
    ext_base,
)
from coalsurv.backend.kernel_priors import block_prior
from coalsurv.families.kernels import (
    family_terms,
    family_terms_at,
    interval_terms,
    sigmoid,
    softplus,
)
from coalsurv.families.kernels_gamma import GENGAMMA, gengamma_terms

__all__ = ["RP", "rp_point", "rp_basis_grad", "rp_row", "rp_log_time_slope", "rp_terms",
           "terms", "terms_at",
           "combine", "combine_at", "spline_bound", "spline_prior",
           "spline_constants", "spline_rows", "spline_basis", "spline_arrays",
           "min_slope"]

#: Family code of the Royston-Parmar spline (``KERNEL_FAMILIES["rp"]``).
RP = 7
_MAX_S = 600.0  # coalsurv.families.spline._MAX_S: the soft cap of s on the hazard scale


def spline_constants(family) -> np.ndarray:
    """Return the spline's constants for the buffer, from the family's own basis (NumPy)."""
    from coalsurv.families.math import NUMPY

    knots = family.log_knots
    kmin, kmax, inner = knots[0], knots[-1], knots[1:-1]
    lam = (kmax - inner) / (kmax - kmin)
    zero = np.zeros(())
    u0 = family._raw_terms(zero, NUMPY, 0) if inner.size else np.zeros(0)
    u1 = family._raw_terms(zero, NUMPY, 1) if inner.size else np.zeros(0)
    head = [float(family.scale == "odds"), float(inner.size), kmin, kmax, family.basis_scale]
    return np.concatenate([head, inner, lam, np.ravel(u0), np.ravel(u1)]).astype(float)


def spline_rows(family, t, entry, upper) -> np.ndarray:
    """Return the rows' basis for the buffer ``(4, n, K)``: data, computed once (NumPy).

    ``w_j`` and ``w_j'`` at ``log t``, ``w_j`` at the log entry and the log upper bound (zero
    where a row has no entry or no finite upper bound), from the family's own basis.
    """
    from coalsurv.families.math import NUMPY

    t, entry, upper = (np.asarray(v, dtype=float) for v in (t, entry, upper))
    K = family.log_knots.size - 2
    out = np.zeros((4, t.size, K))
    if K == 0:
        return out
    out[0] = family._terms(np.log(np.maximum(t, 1e-300)), NUMPY, 0)
    out[1] = family._terms(np.log(np.maximum(t, 1e-300)), NUMPY, 1)
    for q, times in ((2, entry), (3, upper)):
        ok = np.isfinite(times) & (times > 0)
        out[q] = np.where(ok[:, None], family._terms(np.log(np.where(ok, times, 1.0)), NUMPY,
                                                      0), 0.0)
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _basis(x, spl, j, order):
    """``w_j`` and ``w_j'`` at ``x`` (order 1), or ``u_j''`` (order 2, as ``w_j''``)."""
    K = int(spl[1])
    kmin, kmax, scale = spl[2], spl[3], spl[4]
    lam = spl[5 + K + j]
    p = max(x - spl[5 + j], 0.0)
    a = max(x - kmin, 0.0)
    c = max(x - kmax, 0.0)
    if order == 2:
        return (6.0 * p - lam * (6.0 * a) - (1.0 - lam) * (6.0 * c)) / scale, 0.0
    raw = (p * p * p - lam * (a * a * a) - (1.0 - lam) * (c * c * c)) / scale
    raw1 = (3.0 * p * p - lam * (3.0 * a * a) - (1.0 - lam) * (3.0 * c * c)) / scale
    return raw - spl[5 + 2 * K + j] - spl[5 + 3 * K + j] * x, raw1 - spl[5 + 3 * K + j]


@njit(cache=True, inline="always", error_model="numpy")
def rp_point(log_t, eta, theta, spl, b):
    """``log h, d log h/ds, d log h/ds', log S, d log S/ds`` of the spline at ``x = log t``.

    ``d/ds`` is ``d/d eta``; along a coefficient ``b_j`` the derivatives are ``d/ds w_j(x) +
    d/ds' w_j'(x)`` (:func:`rp_basis_grad`), along ``gamma`` ``d/ds x + d/ds'``.
    """
    K = int(spl[1])
    lin = 0.0
    ds = theta
    for j in range(K):
        w, w1 = _basis(log_t, spl, j, 1)
        lin += b[j] * w
        ds += b[j] * w1
    s = eta + (theta * log_t + lin)
    if ds > 0.0:
        log_ds, inv = math.log(ds), 1.0 / ds
    else:
        log_ds, inv = -math.inf, 0.0
    if spl[0] == 1.0:  # odds: log S = -softplus(s)
        sig = sigmoid(s)
        soft = softplus(s)
        return log_ds - log_t + s - soft, 1.0 - sig, inv, -soft, -sig
    dc = 1.0
    if s > _MAX_S:
        dc = 1.0 / (1.0 + (s - _MAX_S))
        s = _MAX_S + math.log1p(s - _MAX_S)
    hz = math.exp(s)
    return log_ds - log_t + s, dc, inv, -hz, -hz * dc


@njit(cache=True, inline="always", error_model="numpy")
def rp_basis_grad(log_t, spl, w_s, w_s1, g):
    """Add ``w_s w_j(x) + w_s1 w_j'(x)`` to ``g[j]`` for every coefficient (O(K)).

    The gradient in ``rp_spline`` of any value whose derivatives in ``s`` and ``s'`` at
    ``x = log t`` are ``w_s`` and ``w_s1``: the spline is linear in its coefficients.
    """
    if w_s == 0.0 and w_s1 == 0.0:
        return
    for j in range(g.shape[0]):
        w, w1 = _basis(log_t, spl, j, 1)
        g[j] += w_s * w + w_s1 * w1


@njit(cache=True, error_model="numpy", fastmath=False)
def rp_log_time_slope(hazard, log_t, eta, theta, spl, b):
    """``d/d log t`` of ``log h`` (``hazard``) or ``log S`` at ``t``, the parameters fixed.

    ``log S`` moves with ``s``: ``d log S/ds s'``; ``log h = log s' - x + ...``: ``d log h/ds
    s' + s''/s' - 1``. For the equivalent time of the odds scale's spell curves
    (:mod:`coalsurv.backend.kernel_spells`), where ``S(t | eta) = S0(t e^-eta)`` does not hold.
    """
    _, dh, inv, _, dsv = rp_point(log_t, eta, theta, spl, b)
    ds, d2 = theta, 0.0
    for j in range(int(spl[1])):
        ds += b[j] * _basis(log_t, spl, j, 1)[1]
        d2 += b[j] * _basis(log_t, spl, j, 2)[0]
    if hazard:
        return dh * ds + inv * d2 - 1.0
    return dsv * ds


@njit(cache=True, inline="always", error_model="numpy")
def rp_terms(log_t, eta, theta, spl, b, direction):
    """``log h, d/d eta, d/d direction, log S, d/d eta, d/d direction`` of the spline at t."""
    log_h, dh, inv, log_s, dsv = rp_point(log_t, eta, theta, spl, b)
    if direction < 0:
        dw, dw1 = log_t, 1.0
    else:
        dw, dw1 = _basis(log_t, spl, direction, 1)
    return log_h, dh, dh * dw + inv * dw1, log_s, dsv, dsv * dw


@njit(cache=True, inline="always", error_model="numpy")
def _rp_survival(s, odds):
    """``log S`` and ``d log S/ds`` at ``s`` (odds: ``-softplus``; hazard: ``-e^c(s)``)."""
    if odds:
        return -softplus(s), -sigmoid(s)
    dc = 1.0
    if s > _MAX_S:
        dc = 1.0 / (1.0 + (s - _MAX_S))
        s = _MAX_S + math.log1p(s - _MAX_S)
    hz = math.exp(s)
    return -hz, -hz * dc


@njit(cache=True, inline="always", error_model="numpy")
def _rp_s(log_x, eta, theta, b, basis, q, i):
    """``s`` at a row's time ``q`` (0 exit, 2 entry, 3 upper bound) from its stored basis."""
    lin = 0.0
    for j in range(b.shape[0]):
        lin += b[j] * basis[q, i, j]
    return eta + (theta * log_x + lin)


@njit(cache=True, error_model="numpy", fastmath=False)
def rp_row(cure, link, cure_lin, ev, is_int, has_entry, log_t, log_up, log_en, eta, theta, spl,
           b, basis, i, want_grad, g_b):
    """Row ``i`` as :func:`row_value` (``direction = -1``), ``rp_spline``'s gradient to ``g_b``.

    ``basis``: the rows' basis from the buffer (:func:`spline_rows`: ``w_j`` and ``w_j'`` at
    ``log t``, ``w_j`` at the log entry and log upper bound; data, computed once by the plan).
    The analytic gradient, O(K) per row: :func:`combine` is linear in the terms' derivatives
    with weights that depend on the values only, the weights of ``log h(t)``, ``log S(t)``,
    ``log S(upper)`` and ``log S(entry)`` (plain rows: ``ev``, 1, 0, -1; interval and cure
    rows: read by two calls of :func:`combine_at` with unit derivatives); each term's
    derivative in ``b_j`` is its ``d/ds w_j(x) (+ d/ds' w_j'(x))``. Formulas as
    :func:`rp_point`. A call of its own (not inlined into the row loop).
    """
    odds = spl[0] == 1.0
    lin, ds = 0.0, theta
    for j in range(b.shape[0]):
        lin += b[j] * basis[0, i, j]
        ds += b[j] * basis[1, i, j]
    s = eta + (theta * log_t + lin)
    if ds > 0.0:
        log_ds, inv = math.log(ds), 1.0 / ds
    else:
        log_ds, inv = -math.inf, 0.0
    if odds:  # log S = -softplus(s)
        log_s, dsv = -softplus(s), -sigmoid(s)
        log_h, dh = log_ds - log_t + s + log_s, 1.0 + dsv
    else:  # log S = -e^c(s), c the soft cap
        c, dh = s, 1.0
        if s > _MAX_S:
            dh = 1.0 / (1.0 + (s - _MAX_S))
            c = _MAX_S + math.log1p(s - _MAX_S)
        log_s = -math.exp(c)
        log_h, dsv = log_ds - log_t + c, log_s * dh
    log_su, dsu, dsu_th = 0.0, 0.0, 0.0
    if is_int:
        log_su, dsu = _rp_survival(_rp_s(log_up, eta, theta, b, basis, 3, i), odds)
        dsu_th = dsu * log_up
    log_s0, ds0, ds0_th = 0.0, 0.0, 0.0
    if has_entry:
        log_s0, ds0 = _rp_survival(_rp_s(log_en, eta, theta, b, basis, 2, i), odds)
        ds0_th = ds0 * log_en
    val, d_eta, d_th, d_cure = combine(
        cure, link, cure_lin, ev, is_int, has_entry, log_h, dh, dh * log_t + inv, log_s, dsv,
        dsv * log_t, log_su, dsu, dsu_th, log_s0, ds0, ds0_th)
    if want_grad and b.shape[0] > 0:
        if cure == 0 and not is_int:  # ev log h(t) + log S(t) - log S(entry)
            w_h, w_s, w_u, w_0 = ev, 1.0, 0.0, -1.0
        else:
            _, w_h, w_s, _ = combine_at(cure, link, cure_lin, ev, is_int, has_entry, log_h, 1.0,
                                        0.0, log_s, 0.0, 1.0, log_su, 0.0, 0.0, log_s0, 0.0, 0.0)
            _, w_u, w_0, _ = combine_at(cure, link, cure_lin, ev, is_int, has_entry, log_h, 0.0,
                                        0.0, log_s, 0.0, 0.0, log_su, 1.0, 0.0, log_s0, 0.0, 1.0)
        a_t, c_t = w_h * dh + w_s * dsv, w_h * inv
        a_u = w_u * dsu if is_int else 0.0
        a_0 = w_0 * ds0 if has_entry else 0.0
        for j in range(b.shape[0]):
            g_b[j] += (a_t * basis[0, i, j] + c_t * basis[1, i, j] + a_0 * basis[2, i, j]
                       + a_u * basis[3, i, j])
    return val, d_eta, d_th, d_cure


@njit(cache=True, inline="always", error_model="numpy")
def terms(fam, t, log_t, eta, theta, log_theta, spl, b, direction):
    """Return the family's terms at ``t`` (:func:`family_terms`; :func:`rp_terms` for rp).

    The generalised gamma's ``Q`` (per cause) rides in the spline's slot: ``b[0]``, its
    derivative the ``direction = 0`` one (:mod:`coalsurv.families.kernels_gamma`).
    """
    if fam == RP:
        return rp_terms(log_t, eta, theta, spl, b, direction)
    if fam == GENGAMMA:
        return gengamma_terms(t, log_t, eta, theta, log_theta, b[0], direction)
    return family_terms(fam, t, log_t, eta, theta, log_theta)


@njit(cache=True, inline="always", error_model="numpy")
def terms_at(fam, t, log_t, eta, theta, log_theta, spl, b, direction):
    """:func:`terms` through :func:`family_terms_at`: a call, for the rows' rarer terms."""
    if fam == RP:
        return rp_terms(log_t, eta, theta, spl, b, direction)
    if fam == GENGAMMA:
        return gengamma_terms(t, log_t, eta, theta, log_theta, b[0], direction)
    return family_terms_at(fam, t, log_t, eta, theta, log_theta)


@njit(cache=True, inline="always", error_model="numpy")
def combine(cure, link, cure_lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s, ds_eta,
            ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th):
    """One row's value from its terms at exit, upper bound and entry (see :func:`row_value`).

    Linear in the derivatives (``eta`` and ``theta`` alike) with weights that depend on the
    values only: a unit ``theta`` derivative in one term returns that term's weight.
    """
    if cure > 0:
        return cure_row(cure, link, cure_lin, ev, is_int, has_entry, log_h, dh_eta, dh_th,
                        log_s, ds_eta, ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th)
    if is_int:
        val, d_eta, d_th = interval_terms(log_s, ds_eta, ds_th, log_su, dsu_eta, dsu_th)
    else:
        val = ev * log_h + log_s
        d_eta = ev * dh_eta + ds_eta
        d_th = ev * dh_th + ds_th
    if has_entry:
        val -= log_s0
        d_eta -= ds0_eta
        d_th -= ds0_th
    return val, d_eta, d_th, 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def combine_at(cure, link, cure_lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s, ds_eta,
               ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th):
    """:func:`combine` compiled once as a function of its own (scalars only): a call.

    For the piecewise baseline's interval and cure rows, whose four weights would otherwise
    inline four copies of the cure formulas into the row loop (issue 23's cold compile).
    """
    return combine(cure, link, cure_lin, ev, is_int, has_entry, log_h, dh_eta, dh_th, log_s,
                   ds_eta, ds_th, log_su, dsu_eta, dsu_th, log_s0, ds0_eta, ds0_th)


@njit(cache=True, error_model="numpy", fastmath=False)
def spline_arrays(buf, x):
    """Return the spline's constants, ``rp_spline``'s values ``(C * K,)`` and ``K``."""
    e = ext_base(buf)
    d = int(buf[e + E_SPLINE_DATA])
    if d < 0:
        return buf[:0], x[:0], 0
    K = int(buf[d + 1])
    spl = buf[d:d + 5 + 4 * K]
    off = int(buf[e + E_SPLINE_OFF])
    if off < 0:
        return spl, x[:0], 0
    return spl, x[off:off + int(buf[H_C]) * K], K


@njit(cache=True, error_model="numpy", fastmath=False)
def spline_basis(buf):
    """Return the rows' basis (:func:`spline_rows`, ``(4, n, K)``), after the constants."""
    e = ext_base(buf)
    d = int(buf[e + E_SPLINE_DATA])
    if d < 0 or int(buf[H_FAM]) != RP:
        return buf[:0].reshape((4, 0, 0))
    K = int(buf[d + 1])
    n = int(buf[H_N])
    at = d + 5 + 4 * K
    return buf[at:at + 4 * n * K].reshape((4, n, K))


@njit(cache=True, inline="always", error_model="numpy")
def _slope_at(x, spl, b, theta):
    """``s'(x) - eta`` derivative: ``gamma + sum_j b_j w_j'(x)``."""
    ds = theta
    for j in range(int(spl[1])):
        ds += b[j] * _basis(x, spl, j, 1)[1]
    return ds


@njit(cache=True, error_model="numpy", fastmath=False)
def min_slope(spl, b, theta):
    """Exact minimum of ``s'`` over the line (:meth:`RoystonParmar.min_slope`)."""
    K = int(spl[1])
    lowest = math.inf
    for seg in range(K + 1):
        lo = spl[2] if seg == 0 else spl[5 + seg - 1]
        hi = spl[3] if seg == K else spl[5 + seg]
        d2a = 0.0
        d2b = 0.0
        for j in range(K):
            d2a += b[j] * _basis(lo, spl, j, 2)[0]
            d2b += b[j] * _basis(hi, spl, j, 2)[0]
        frac = -d2a / (d2b - d2a) if (d2a < 0.0 and d2b > 0.0) else 0.0
        vertex = lo + (hi - lo) * frac
        seg_min = min(min(_slope_at(lo, spl, b, theta), _slope_at(hi, spl, b, theta)),
                      _slope_at(vertex, spl, b, theta))
        lowest = min(lowest, seg_min)
    return lowest


@njit(cache=True, error_model="numpy", fastmath=False)
def spline_bound(buf, x):
    """Return the graph's ``rp_monotone``: 0 if every cause's (stratum's) spline rises; -inf."""
    spl, b, K = spline_arrays(buf, x)
    if K == 0 or int(buf[H_FAM]) != RP:  # the generalised gamma's Q uses the slot: no bound
        return 0.0
    ts = int(buf[H_THETA_S])
    off_theta = int(buf[H_OFF_THETA])
    for k in range(int(buf[H_C])):
        for s in range(ts):
            if not min_slope(spl, b[k * K:(k + 1) * K], math.exp(x[off_theta + k * ts + s])) > 0:
                return -math.inf
    return 0.0


@njit(cache=True, error_model="numpy", fastmath=False)
def spline_prior(buf, x, grad):
    """``rp_spline``'s prior (real, one value per cause and knot) into ``grad``; its log p."""
    e = ext_base(buf)
    off = int(buf[e + E_SPLINE_OFF])
    if off < 0:
        return 0.0
    return block_prior(buf, e + E_SPLINE_PRIOR, x, grad, off,
                       int(buf[H_C]) * int(buf[e + E_SPLINE_K]), False)
