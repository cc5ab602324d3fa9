"""The Royston-Parmar spline family (``rp``) against independent references.

The cumulative hazard must be the integral of the hazard (``scipy.integrate.quad``), survival
``exp(-H)`` and the density ``h S``; the basis is flexsurv's, written out again here; the
exact minimum slope matches a dense grid; where the spline falls the hazard is 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

from coalsurv.families import NUMPY, get_family, spline_knots

KNOTS = [-2.0, -0.5, 0.3, 1.5]
CASES = [
    ("hazard", {"rp_slope": 1.3, "rp_spline": np.array([1.5, -2.0])}),
    ("hazard", {"rp_slope": 0.9, "rp_spline": np.array([-0.5, 1.5])}),
    ("odds", {"rp_slope": 0.9, "rp_spline": np.array([2.0, -1.0])}),
]


def _flexsurv_s(x, eta, gamma, knots):
    """Flexsurv's s(x): gamma0 + gamma1 x + sum_j gamma_{j+1} v_j(x) (written from its docs)."""
    kmin, kmax = knots[0], knots[-1]
    out = eta + gamma[0] * x
    for j, kj in enumerate(knots[1:-1]):
        lam = (kmax - kj) / (kmax - kmin)
        v = (np.maximum(x - kj, 0) ** 3 - lam * np.maximum(x - kmin, 0) ** 3
             - (1 - lam) * np.maximum(x - kmax, 0) ** 3)
        out = out + gamma[j + 1] * v
    return out


@pytest.mark.parametrize(("scale", "params"), CASES)
def test_cumulative_hazard_is_the_integral_of_the_hazard(scale, params):
    """H(t) = quad(h, 0, t); S = exp(-H); f = h S; log H (or log odds) is flexsurv's s."""
    fam = get_family("rp", log_knots=KNOTS, scale=scale)
    assert fam.min_slope(**params) > 0  # an increasing spline: a valid distribution
    eta = 0.3
    for t in (0.02, 0.3, 0.9, 2.0, 7.0, 30.0):
        quad = si.quad(lambda u: fam.hazard(u, eta, **params), 0.0, t, limit=400,
                       epsabs=1e-12, epsrel=1e-10)[0]
        np.testing.assert_allclose(fam.cumulative_hazard(t, eta, **params), quad, rtol=1e-7)
        np.testing.assert_allclose(fam.survival(t, eta, **params),
                                   np.exp(-fam.cumulative_hazard(t, eta, **params)), rtol=1e-12)
        np.testing.assert_allclose(np.exp(fam.log_density(t, eta, **params)),
                                   fam.hazard(t, eta, **params) * fam.survival(t, eta, **params),
                                   rtol=1e-12)
        gamma = fam.flexsurv_gamma(eta, params["rp_slope"], params["rp_spline"])
        s = _flexsurv_s(np.log(t), gamma[0], gamma[1:], KNOTS)
        S = fam.survival(t, eta, **params)
        expected = np.exp(-np.exp(s)) if scale == "hazard" else 1.0 / (1.0 + np.exp(s))
        np.testing.assert_allclose(S, expected, rtol=1e-12)


def test_flexsurv_gamma_and_default_knots():
    """Flexsurv's gammas; knots at the extremes and quantiles of the log event times."""
    fam = get_family("rp", log_knots=KNOTS)
    b = np.array([1.5, -2.0])
    g = fam.flexsurv_gamma(0.2, 1.3, b)
    # the centred basis: s(0) = eta and s'(0) = rp_slope
    x0 = np.array([-1e-6, 0.0, 1e-6])
    s0 = _flexsurv_s(x0, g[0], g[1:], KNOTS)
    np.testing.assert_allclose(s0[1], 0.2, atol=1e-12)
    np.testing.assert_allclose((s0[2] - s0[0]) / 2e-6, 1.3, rtol=1e-6)
    np.testing.assert_allclose(g[2:], b / 3.5**2)
    batch = fam.flexsurv_gamma(np.zeros((4, 1)), np.ones(3), np.zeros((3, 2)))
    assert batch.shape == (4, 3, 4)
    times = np.log([1.0, 2.0, 3.0, 5.0, 8.0])
    np.testing.assert_allclose(spline_knots(times, 1), [0.0, np.log(3.0), np.log(8.0)])
    np.testing.assert_allclose(spline_knots(times, 0), [0.0, np.log(8.0)])


@pytest.mark.parametrize("spline", [[1.5, -2.0], [-6.0, 4.0], [9.0, -14.0], [0.0, 0.0]])
def test_min_slope_is_exact(spline):
    """The closed-form minimum of s'(x) equals a dense grid's (beyond the knots too)."""
    fam = get_family("rp", log_knots=KNOTS)
    x = np.linspace(-8.0, 8.0, 400001)
    grid = fam._dspline(x, NUMPY, 0.7,
                        np.array(spline))
    np.testing.assert_allclose(fam.min_slope(0.7, np.array(spline)), grid.min(), atol=1e-8)
    batch = fam.min_slope(np.array([0.7, 0.2]), np.array([spline, spline]))
    assert batch.shape == (2,)


def test_falling_spline_has_zero_hazard():
    """Where s'(x) <= 0 the hazard is 0 (log hazard -inf), as flexsurv returns."""
    fam = get_family("rp", log_knots=KNOTS)
    params = {"rp_slope": 0.6, "rp_spline": np.array([-0.8, 3.0])}
    assert fam.min_slope(**params) < 0
    t = np.exp(np.linspace(-3, 3, 601))
    x = np.log(t)
    ds = fam._dspline(x, NUMPY,
                      params["rp_slope"], params["rp_spline"])
    log_h = fam.log_hazard(t, 0.0, **params)
    assert np.all(np.isneginf(log_h[ds <= 0])) and np.all(np.isfinite(log_h[ds > 0]))
