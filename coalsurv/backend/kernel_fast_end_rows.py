"""The row formulas of the cure / interval fast loop (:mod:`coalsurv.backend.kernel_fast_end`).

Branch-free and inlined into the loop's blocks (numba IR, ``inline="always"``) so that its
row loops vectorise: :func:`fomexp` (``1 - e^-x`` without cancellation), :func:`log_add`,
one exact or right-censored row with a mixture cure or none (:func:`mix_row`), one interval
row (:func:`int_row`), one promotion-time row (:func:`promotion_row`), and the Gompertz
cumulative hazard (:func:`gompertz_h`, a call of its own with the loop's ``fastmath`` flags).
The formulas are the module doc's of :mod:`coalsurv.backend.kernel_fast_end`.
"""

from __future__ import annotations

import math

from numba import njit

from coalsurv.backend.kernel_fast_base import FASTMATH
from coalsurv.backend.kernel_fastmath import fexp, flog, flog1p

__all__ = ["fomexp", "gompertz_h", "log_add", "mix_row", "int_row", "promotion_row"]

_FM = FASTMATH


# inlined (numba IR) so that the row loops calling it vectorise (a call of its own was not
# inlined by LLVM: a scalar loop); no rounding trick in it (fexp keeps its own flags)
@njit(cache=True, inline="always", error_model="numpy")
def fomexp(om_x):
    """``1 - e^-x`` for ``x >= 0`` (``inf``: 1), to a few ulp; branch-free.

    A degree-12 series below 0.35 (truncation < 3e-16 relative), ``1 - e^-x`` above
    (cancellation at most 2.5 ulp).
    """
    om_s = 1.0 - om_x * (1.0 / 12.0)
    om_s = 1.0 - om_x * (1.0 / 11.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 10.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 9.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 8.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 7.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 6.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 5.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 4.0) * om_s
    om_s = 1.0 - om_x * (1.0 / 3.0) * om_s
    om_s = 1.0 - om_x * 0.5 * om_s
    om_small = om_x * om_s
    om_big = 1.0 - fexp(-om_x)
    return om_small if om_x < 0.35 else om_big


@njit(cache=True, error_model="numpy", fastmath=_FM)
def gompertz_h(x, t):
    """``t (e^x - 1) / x`` and ``t^2 (x e^x - e^x + 1) / x^2`` at ``x = gamma t``.

    As :func:`coalsurv.backend.kernel_fast`'s helper (selects and a series near 0).
    """
    ex = fexp(x)
    em1 = ex - 1.0
    e1 = em1 / x if abs(x) >= 1e-5 else 1.0 + x * (0.5 + x / 6.0)
    g1 = ((x * ex - em1) / (x * x) if abs(x) >= 1e-3
          else 0.5 + x * (1.0 / 3.0 + x * (0.125 + x / 30.0)))
    return t * e1, t * t * g1


@njit(cache=True, inline="always", error_model="numpy")
def log_add(la_a, la_b):
    """``log(e^a + e^b)`` and the shares of ``e^a`` and ``e^b`` (branch-free)."""
    la_m = max(la_a, la_b)
    la_r = fexp(-abs(la_a - la_b))
    la_inv = 1.0 / (1.0 + la_r)
    la_first = la_a >= la_b
    return (la_m + flog1p(la_r), la_inv if la_first else la_r * la_inv,
            la_r * la_inv if la_first else la_inv)


@njit(cache=True, inline="always", error_model="numpy")
def mix_row(mx_kd, mx_ht, mx_lh, mx_c1, mx_c2, mx_c3, mx_c4):
    """Return an exact (kind 0) or censored row, mixture or no cure: ``val, d_eta, w_t, d_lin``.

    No cure: ``c1 = -inf``, ``c2 = c3 = c4 = 0`` (the censored share is then 1).
    """
    mx_v, mx_pa, mx_pb = log_add(mx_c1, mx_c3 - mx_ht)
    mx_ex = mx_kd == 0.0
    return (mx_c3 + mx_lh - mx_ht if mx_ex else mx_v,
            1.0 - mx_ht if mx_ex else -mx_pb * mx_ht,
            1.0 if mx_ex else mx_pb,
            mx_c4 if mx_ex else mx_pa * mx_c2 + mx_pb * mx_c4)


@njit(cache=True, inline="always", error_model="numpy")
def int_row(ir_ht, ir_hu):
    """Return ``log(S(l) - S(u)) = -H(l) + log(1 - e^-dH)``: ``val, d_eta, w_t, w_u``."""
    ir_dh = ir_hu - ir_ht
    ir_fin = ir_hu < math.inf
    ir_om = fomexp(ir_dh)
    ir_q = (1.0 - ir_om) / ir_om if ir_fin else 0.0
    return (-ir_ht + flog(ir_om), -ir_ht + (ir_q * ir_dh if ir_fin else 0.0), 1.0 + ir_q,
            -ir_q)


@njit(cache=True, inline="always", error_model="numpy")
def promotion_row(pr_kd, pr_ht, pr_hu, pr_lh, pr_th, pr_lin):
    """Return a promotion-time row (``theta = e^-lin``): ``val, d_eta, w_t, w_u, d_lin``."""
    pr_st = fexp(-pr_ht)
    pr_ft = fomexp(pr_ht)
    pr_a = -pr_th * pr_ft
    pr_wa = pr_th * pr_st  # d a / d log S(l)
    # interval: log(e^a - e^b), b = -theta F(u); D = a - b = theta S(l) (1 - e^-dH)
    pr_fin = pr_hu < math.inf
    pr_su = fexp(-pr_hu)
    pr_omh = fomexp(pr_hu - pr_ht)
    pr_d = pr_th * pr_st * pr_omh
    # D below 1e-200 (or underflowed with S(l)): log(1 - e^-D) = log D = -lin - H(l) +
    # log(1 - e^-dH) in log form, q theta S(l) = 1 / (1 - e^-dH), q D = 1 (else -inf, nan)
    pr_tiny = pr_d < 1e-200
    pr_om = fomexp(pr_d)
    pr_q = (1.0 - pr_om) / pr_om
    pr_wb = pr_th * pr_su if pr_fin else 0.0  # -d b / d log S(u)
    pr_qa = 1.0 / pr_omh if pr_tiny else pr_q * pr_wa  # q theta S(l)
    pr_qb = pr_qa - 1.0 if pr_tiny else pr_q * pr_wb  # q theta S(u)
    pr_lg = flog(pr_omh if pr_tiny else pr_om) + (-pr_lin - pr_ht if pr_tiny else 0.0)
    pr_dea = -pr_wa * pr_ht
    pr_deb = pr_qb * pr_hu if pr_fin else 0.0
    pr_is0 = pr_kd == 0.0
    pr_is2 = pr_kd == 2.0
    val = pr_a + (pr_lg if pr_is2 else (pr_lh - pr_lin - pr_ht if pr_is0 else 0.0))
    d_eta = (pr_dea - pr_qa * pr_ht + pr_deb if pr_is2
             else pr_dea + (1.0 - pr_ht if pr_is0 else 0.0))
    w_t = pr_wa + pr_qa if pr_is2 else pr_wa + (1.0 if pr_is0 else 0.0)
    w_u = -pr_qb if pr_is2 else 0.0
    d_lin = pr_th * pr_ft - ((1.0 if pr_tiny else pr_q * pr_d) if pr_is2
                             else (1.0 if pr_is0 else 0.0))
    return val, d_eta, w_t, w_u, d_lin
