"""The gamma families' rows in blocks (``kernel_gamma_rows``) equal the row-by-row functions.

``gamma_rows`` (vectorised exp / log passes, P's series by Horner's rule over a coefficient
table) against ``kernels_gamma.gamma_row`` and ``kernel_gengamma.gengamma_row`` row by row,
which ``tests/families/test_kernels_gamma.py`` checks against scipy and the kernel-vs-graph
tests against the PyMC graph: strata (a shape or ``Q`` per stratum), shape covariates (a
shape per row), delayed entry, events and censoring, ``Q`` of both signs and next to 0 (the
log-normal expansion), more rows than a block, and ``x`` from 1e-6 to beyond the switch.
"""

from __future__ import annotations

import numpy as np
import pytest

from coalsurv.backend.kernel_gamma_rows import GAMMA_BLOCK, gamma_rows
from coalsurv.backend.kernel_gengamma import gengamma_row, q_constants
from coalsurv.families.kernels_gamma import GAMMA, GENGAMMA, gamma_row, shape_constants


def _rows(n, seed):
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(-4.0, 3.5, n))
    entry = np.where(rng.uniform(size=n) < 0.4, t * rng.uniform(0.05, 0.9, n), 0.0)
    log_entry = np.where(entry > 0, np.log(np.where(entry > 0, entry, 1.0)), 0.0)
    event = (rng.uniform(size=n) < 0.6).astype(float)[None, :]
    strata = rng.integers(0, 3, n).astype(float)
    eta = rng.normal(0.5, 1.2, n)
    return t, np.log(t), entry, log_entry, event, strata, eta


@pytest.mark.parametrize(("per_row", "ts"), [(False, 3), (True, 3), (False, 1)])
def test_gamma_rows_equal_gamma_row(per_row, ts):
    """Strata, shape covariates, and one shape for all rows (the points' branch-free loops)."""
    n = GAMMA_BLOCK + 77
    t, log_t, entry, log_entry, event, strata, eta = _rows(n, 1)
    theta_s = np.array([0.4, 1.3, 6.5])
    if ts == 1:
        strata[:] = 0.0
        theta_s = theta_s[1:2]
    th = theta_s[strata.astype(int)] * (np.exp(np.random.default_rng(2).normal(0, 0.3, n))
                                        if per_row else 1.0)
    lg_s = np.array([shape_constants(a)[0] for a in theta_s])
    psi_s = np.array([shape_constants(a)[1] for a in theta_s])
    d_eta, d_th, rows = np.zeros(n), np.zeros(n), np.zeros(n)
    e = np.zeros(0)
    total = gamma_rows(GAMMA, 0, t, log_t, entry, log_entry, event, strata, ts, per_row, eta, th,
                       np.log(th), theta_s, lg_s, psi_s, e, e, e, e, d_eta, d_th, e, rows, True)
    for i in range(n):
        lg, psi = shape_constants(th[i])
        want = gamma_row(event[0, i], t[i], log_t[i], entry[i], log_entry[i], eta[i], th[i],
                         lg, psi)
        got = (rows[i], d_eta[i], d_th[i])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=str(i))
    assert total == pytest.approx(rows.sum(), rel=1e-13)


@pytest.mark.parametrize("qs", [(-0.8, 0.45, 1.7), (2e-4, -1.1, 0.05), (0.7,)])
def test_gengamma_rows_equal_gengamma_row(qs):
    n = GAMMA_BLOCK + 31
    t, log_t, entry, log_entry, event, strata, eta = _rows(n, 3)
    b = np.array(qs)
    if b.size == 1:
        strata[:] = 0.0
    sigma = np.exp(np.random.default_rng(4).normal(0.0, 0.4, n))
    const = np.array([q_constants(q) for q in b]).T.copy()
    d_eta, d_th, rows, g_q = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(b.size)
    theta_s = np.ones(b.size)
    total = gamma_rows(GENGAMMA, 0, t, log_t, entry, log_entry, event, strata, b.size, True,
                       eta, sigma, np.log(sigma), theta_s, np.zeros(0), np.zeros(0), b,
                       const[0], const[1], const[2], d_eta, d_th, g_q, rows, True)
    want_q = np.zeros(b.size)
    for i in range(n):
        s = int(strata[i])
        want = gengamma_row(0, 0, 0.0, event[0, i], False, entry[i] > 0, t[i], log_t[i], 0.0,
                            0.0, entry[i], log_entry[i], eta[i], sigma[i], np.log(sigma[i]),
                            b[s], const[0, s], const[1, s], const[2, s])
        want_q[s] += want[4]
        np.testing.assert_allclose((rows[i], d_eta[i], d_th[i]), want[:3], rtol=1e-11,
                                   atol=1e-11, err_msg=str(i))
    np.testing.assert_allclose(g_q, want_q, rtol=1e-10, atol=1e-10)
    assert total == pytest.approx(rows.sum(), rel=1e-13)


@pytest.mark.parametrize("shape", [0.05, 0.3, 1.3, 4.0, 14.7, 50.0])
def test_gamma_rows_equal_scipy_over_a_wide_grid(shape):
    """Censored rows' ``log Q(k, x)`` and its ``k`` and ``eta`` slopes against scipy.

    ``x`` from 1e-8 to far beyond the mean (down to ``Q`` ~ 1e-250), in one call (several
    blocks, every range of ``x`` of the Horner passes, the series past ``x = a + 1`` and the
    continued fraction); the ``k`` slope against a central difference of scipy's
    ``gammaincc`` in ``log`` (step 1e-5 relative), the ``eta`` slope against its closed form.
    """
    sc = pytest.importorskip("scipy.special")
    hi = {0.05: 560.0, 0.3: 565.0, 1.3: 570.0, 4.0: 580.0, 14.7: 620.0, 50.0: 700.0}[shape]
    x = np.concatenate([np.geomspace(1e-8, shape, 300), np.linspace(shape, hi, 300)[1:]])
    n = x.size
    t = np.full(n, 2.0)
    eta = np.log(t) - np.log(x)
    e, z = np.zeros(0), np.zeros(n)
    event, strata = np.zeros((1, n)), np.zeros(n)
    lg, psi = shape_constants(shape)
    d_eta, d_th, rows = np.zeros(n), np.zeros(n), np.zeros(n)
    th = np.full(n, shape)
    gamma_rows(GAMMA, 0, t, np.log(t), z, z, event, strata, 1, False, eta, th, np.log(th),
               np.array([shape]), np.array([lg]), np.array([psi]), e, e, e, e, d_eta, d_th, e,
               rows, True)
    q = sc.gammaincc(shape, x)
    ok = q > 1e-250
    assert ok.sum() > 500
    np.testing.assert_allclose(rows[ok], np.log(q[ok]), rtol=1e-12, atol=1e-13)
    # d log Q / d eta = x^k e^-x / (Gamma(k) Q)
    lead = np.exp(shape * np.log(x) - x - sc.gammaln(shape))
    np.testing.assert_allclose(d_eta[ok], lead[ok] / q[ok], rtol=1e-10, atol=1e-14)
    h = 1e-5 * shape
    fd = (np.log(sc.gammaincc(shape + h, x)) - np.log(sc.gammaincc(shape - h, x))) / (2 * h)
    good = ok & (sc.gammaincc(shape + h, x) > 1e-250)
    np.testing.assert_allclose(d_th[good], fd[good], rtol=2e-6, atol=2e-7)
