"""The native kernel's incomplete gamma function and gamma / generalised-gamma terms (issue 23).

``log_inc_gamma`` against scipy's ``gammainc`` / ``gammaincc`` (values, 1e-10 relative, and
deep tails in log space) and central finite differences (derivatives in the shape and in
``log x``) over a grid ``a`` 0.05..50, ``x`` 1e-8..1e3; the gamma and generalised gamma terms
against scipy's distributions and finite differences of themselves.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

from coalsurv.families.kernels_gamma import (
    digamma,
    gamma_terms,
    gengamma_terms,
    inc_gamma_parts,
    log_inc_gamma,
    shape_constants,
)

A_GRID = np.geomspace(0.05, 50.0, 15)
X_GRID = np.geomspace(1e-8, 1e3, 23)


def test_digamma_equals_scipy():
    for a in np.geomspace(1e-3, 1e8, 40):
        np.testing.assert_allclose(digamma(a), sc.digamma(a), rtol=1e-13, atol=1e-13)


def test_incomplete_gamma_values_equal_scipy():
    for a in A_GRID:
        for x in X_GRID:
            log_p, log_q = log_inc_gamma(a, x, math.log(x))[:2]
            for got, want in ((log_p, sc.gammainc(a, x)), (log_q, sc.gammaincc(a, x))):
                if want > 1e-290:
                    np.testing.assert_allclose(math.exp(got), want, rtol=1e-10,
                                               err_msg=f"a={a} x={x}")


def test_incomplete_gamma_deep_tails_in_log_space():
    # Q(2, x) = (1 + x) e^-x exactly; P(a, x) ~ x^a e^-x / Gamma(a + 1) (1 + x / (a + 1))
    for x in (800.0, 1e3, 1e4):
        np.testing.assert_allclose(log_inc_gamma(2.0, x, math.log(x))[1],
                                   math.log1p(x) - x, rtol=1e-13)
    for a, x in ((50.0, 1e-8), (30.0, 1e-12), (400.0, 1.0)):
        lead = a * math.log(x) - x - sc.gammaln(a + 1.0)
        series = sum(x ** n / np.prod(a + np.arange(1, n + 1)) for n in range(6))
        np.testing.assert_allclose(log_inc_gamma(a, x, math.log(x))[0],
                                   lead + math.log(series), rtol=1e-13)
    assert np.isfinite(log_inc_gamma(0.3, 1e3, math.log(1e3))[1])  # Q = e^-1000: underflows


def test_incomplete_gamma_derivatives_equal_finite_differences():
    for a in A_GRID:
        for x in X_GRID:
            lx = math.log(x)
            got = log_inc_gamma(a, x, lx)
            h = 1e-5 * a
            up, down = log_inc_gamma(a + h, x, lx), log_inc_gamma(a - h, x, lx)
            hx = 1e-6
            right = log_inc_gamma(a, math.exp(lx + hx), lx + hx)
            left = log_inc_gamma(a, math.exp(lx - hx), lx - hx)
            for j in (0, 1):  # log P, log Q
                fd_a = (up[j] - down[j]) / (2.0 * h)
                fd_x = (right[j] - left[j]) / (2.0 * hx)
                scale_a = max(1.0, abs(fd_a))
                scale_x = max(1.0, abs(fd_x))
                assert abs(got[2 + j] - fd_a) < 1e-6 * scale_a, (a, x, j, got[2 + j], fd_a)
                assert abs(got[4 + j] - fd_x) < 1e-6 * scale_x, (a, x, j, got[4 + j], fd_x)


def _fd(fn, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (np.array(fn(*up)) - np.array(fn(*down))) / (2.0 * h)


@pytest.mark.parametrize("k", [0.3, 1.0, 2.7, 12.0])
def test_gamma_terms_equal_scipy_and_their_derivatives(k):
    for t in (1e-3, 0.4, 2.0, 30.0):
        for eta in (-1.0, 0.5):
            out = gamma_terms(t, math.log(t), eta, k, math.log(k))
            dist = st.gamma(a=k, scale=math.exp(eta))
            np.testing.assert_allclose(out[3], dist.logsf(t), rtol=1e-10)
            np.testing.assert_allclose(out[0], dist.logpdf(t) - dist.logsf(t), rtol=1e-9,
                                       atol=1e-12)

            def f(eta_, k_, t=t):
                r = gamma_terms(t, math.log(t), eta_, k_, math.log(k_))
                return r[0], r[3]

            d_eta, d_k = _fd(f, (eta, k), 0), _fd(f, (eta, k), 1)
            np.testing.assert_allclose(out[1::3][:2], [d_eta[0], d_eta[1]], rtol=1e-6,
                                       atol=1e-7)
            np.testing.assert_allclose([out[2], out[5]], d_k, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("Q", [-1.3, -0.4, -5e-4, 0.0, 8e-4, 0.6, 1.0, 2.0])
def test_gengamma_terms_equal_scipy_and_their_derivatives(Q):
    sigma = 0.7
    for t in (0.05, 0.8, 4.0):
        for eta in (-0.5, 0.7):
            out = gengamma_terms(t, math.log(t), eta, sigma, math.log(sigma), Q, -1)
            dq = gengamma_terms(t, math.log(t), eta, sigma, math.log(sigma), Q, 0)
            if abs(Q) > 0.1:  # scipy's twin (tests/families/test_families.py)
                a = Q ** -2.0
                dist = st.gengamma(a=a, c=Q / sigma, scale=math.exp(eta - sigma / Q * math.log(a)))
                np.testing.assert_allclose(out[3], dist.logsf(t), rtol=1e-9)
                np.testing.assert_allclose(out[0], dist.logpdf(t) - dist.logsf(t), rtol=1e-8,
                                           atol=1e-10)

            def f(eta_, sigma_, q_, t=t):
                r = gengamma_terms(t, math.log(t), eta_, sigma_, math.log(sigma_), q_, -1)
                return r[0], r[3]

            args = (eta, sigma, Q)
            h_q = 1e-7 if abs(Q) < 1e-3 else 1e-6  # stay on one branch
            np.testing.assert_allclose([out[1], out[4]], _fd(f, args, 0), rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose([out[2], out[5]], _fd(f, args, 1), rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose([dq[2], dq[5]], _fd(f, args, 2, h_q), rtol=1e-5,
                                       atol=1e-6)


def _fd4(fn, v, h):
    """Fourth-order central difference of ``fn`` at ``v`` (step ``h``)."""
    return (8.0 * (fn(v + h) - fn(v - h)) - (fn(v + 2.0 * h) - fn(v - 2.0 * h))) / (12.0 * h)


@pytest.mark.parametrize("a", [0.05, 0.3, 1.25, 3.1, 9.5, 14.7])
def test_incomplete_gamma_near_the_switch_equals_scipy_tightly(a):
    # around x = a + 1, where the series also serves Q >~ 0.1 beyond it (issue 23, gamma
    # speed round): log P, log Q to 1e-13 of scipy, their a-derivatives to 1e-8 of a
    # fourth-order difference of scipy's own functions
    lg, psi = shape_constants(a)
    for x in a + 1.0 + np.array([-0.9, -0.3, -1e-9, 1e-9, 0.2, 0.6, 1.2, 2.0, 3.5, 6.0]):
        got = log_inc_gamma(a, x, math.log(x))
        assert got == inc_gamma_parts(a, x, math.log(x), lg, psi, 0)
        want = (math.log(sc.gammainc(a, x)), math.log(sc.gammaincc(a, x)))
        np.testing.assert_allclose(got[:2], want, rtol=1e-13, atol=1e-15, err_msg=f"x={x}")
        h = 1e-3 * min(1.0, a)
        fd = (_fd4(lambda v, x=x: math.log(sc.gammainc(v, x)), a, h),
              _fd4(lambda v, x=x: math.log(sc.gammaincc(v, x)), a, h))
        np.testing.assert_allclose(got[2:4], fd, rtol=1e-8, atol=1e-10, err_msg=f"x={x}")
