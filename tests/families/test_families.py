"""Table-driven checks of the hazard families against scipy.stats, across both backends.

Every parametric family row is compared with scipy for log density, log survival and hazard;
the PyTensor backend must reproduce the NumPy numbers and give finite gradients that match
finite differences; interval probabilities stay finite in the far tail; sampling matches scipy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.special as sc
import scipy.stats as st

from coalsurv.errors import SpecError
from coalsurv.families import (
    FAMILIES,
    NUMPY,
    PYTENSOR,
    Family,
    PiecewiseExponential,
    default_cuts,
    get_family,
)

# ---------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One family with one set of ancillary parameters and its scipy equivalent."""

    id: str
    family: str
    params: dict[str, Any]
    scipy: Callable[..., Any] | None = None  # (eta, **params) -> frozen scipy distribution
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def fam(self) -> Family:
        """The family object of this row."""
        return get_family(self.family, **self.options)


def _gompertz(eta: Any, gamma: float) -> Any:
    return st.gompertz(c=np.exp(eta) / gamma, scale=1.0 / gamma)


def _gengamma(eta: Any, sigma: float, Q: float) -> Any:
    """Return scipy's twin of Prentice's (mu, sigma, Q): gengamma(a=Q^-2, c=Q/sigma, scale)."""
    a = Q**-2.0
    return st.gengamma(a=a, c=Q / sigma, scale=np.exp(eta - sigma / Q * np.log(a)))


CASES = [
    Case("exponential", "exponential", {}, lambda eta: st.expon(scale=np.exp(-eta))),
    Case(
        "weibull_ph-0.7",
        "weibull_ph",
        {"shape": 0.7},
        lambda eta, shape: st.weibull_min(c=shape, scale=np.exp(-eta / shape)),
    ),
    Case(
        "weibull_ph-1.8",
        "weibull",
        {"shape": 1.8},
        lambda eta, shape: st.weibull_min(c=shape, scale=np.exp(-eta / shape)),
    ),
    Case(
        "weibull_aft-0.7",
        "weibull_aft",
        {"shape": 0.7},
        lambda eta, shape: st.weibull_min(c=shape, scale=np.exp(eta)),
    ),
    Case(
        "weibull_aft-2.5",
        "weibull_aft",
        {"shape": 2.5},
        lambda eta, shape: st.weibull_min(c=shape, scale=np.exp(eta)),
    ),
    Case(
        "lognormal-0.5",
        "lognormal",
        {"sigma": 0.5},
        lambda eta, sigma: st.lognorm(s=sigma, scale=np.exp(eta)),
    ),
    Case(
        "lognormal-1.6",
        "lognormal",
        {"sigma": 1.6},
        lambda eta, sigma: st.lognorm(s=sigma, scale=np.exp(eta)),
    ),
    Case(
        "loglogistic-0.8",
        "loglogistic",
        {"shape": 0.8},
        lambda eta, shape: st.fisk(c=shape, scale=np.exp(eta)),
    ),
    Case(
        "loglogistic-3",
        "loglogistic",
        {"shape": 3.0},
        lambda eta, shape: st.fisk(c=shape, scale=np.exp(eta)),
    ),
    Case("gompertz-0.4", "gompertz", {"gamma": 0.4}, _gompertz),
    Case("gompertz-0.7", "gompertz", {"gamma": 0.7}, _gompertz),
    Case("gengamma-weibull", "gengamma", {"sigma": 0.8, "Q": 1.0}, _gengamma),
    Case("gengamma-0.3", "gengamma", {"sigma": 0.6, "Q": 0.3}, _gengamma),
    Case("gengamma-2", "gengamma", {"sigma": 1.3, "Q": 2.0}, _gengamma),
    Case("gengamma-neg", "gengamma", {"sigma": 0.5, "Q": -0.7}, _gengamma),
    Case("gengamma-0.02", "gengamma", {"sigma": 0.7, "Q": 0.02}, _gengamma),
    Case("gengamma--0.02", "gengamma", {"sigma": 0.7, "Q": -0.02}, _gengamma),
    Case("gamma-0.7", "gamma", {"shape": 0.7},
         lambda eta, shape: st.gamma(a=shape, scale=np.exp(eta))),
    Case("gamma-2.5", "gamma", {"shape": 2.5},
         lambda eta, shape: st.gamma(a=shape, scale=np.exp(eta))),
    # Royston-Parmar without internal knots: the Weibull (hazard) and log-logistic (odds)
    Case("rp-weibull", "rp", {"rp_slope": 1.4},
         lambda eta, rp_slope: st.weibull_min(c=rp_slope, scale=np.exp(-eta / rp_slope)),
         options={"log_knots": [-1.0, 1.5]}),
    Case("rp-loglogistic", "rp", {"rp_slope": 0.8},
         lambda eta, rp_slope: st.fisk(c=rp_slope, scale=np.exp(-eta / rp_slope)),
         options={"log_knots": [-2.0, 0.5], "scale": "odds"}),
]
SCIPY_CASES = [c for c in CASES if c.scipy is not None]
# Rows without a scipy twin, still checked across backends and for gradients.
EXTRA_CASES = [
    Case("gompertz-neg", "gompertz", {"gamma": -0.6}),
    Case("gompertz-tiny", "gompertz", {"gamma": 1e-9}),
    # Q ~ 0: the series around the log-normal (scipy's gengamma cannot take a = Q^-2 there)
    Case("gengamma-0", "gengamma", {"sigma": 0.7, "Q": 0.0}),
    Case("gengamma-tiny", "gengamma", {"sigma": 0.7, "Q": 1e-6}),
    Case("gengamma-series", "gengamma", {"sigma": 0.9, "Q": -5e-4}),
    # Royston-Parmar splines (tests/families/test_spline.py checks them against quad)
    Case("rp-2", "rp", {"rp_slope": 1.3, "rp_spline": np.array([1.5, -2.0])},
         options={"log_knots": [-2.0, -0.5, 0.3, 1.5]}),
    Case("rp-odds-1", "rp", {"rp_slope": 0.9, "rp_spline": np.array([0.7])},
         options={"log_knots": [-1.5, 0.2, 1.9], "scale": "odds"}),
    Case(
        "piecewise",
        "piecewise",
        {"log_rates": np.log([0.3, 0.8, 0.5, 1.4])},
        options={"cuts": [0.5, 1.5, 3.0]},
    ),
]
ALL_CASES = CASES + EXTRA_CASES

T = np.array([0.05, 0.4, 1.0, 2.5, 6.0])
ETA = np.array([-0.7, 0.0, 1.2])


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


# ---------------------------------------------------------------------------- scipy agreement


@pytest.mark.parametrize("case", SCIPY_CASES, ids=_ids(SCIPY_CASES))
def test_matches_scipy(case: Case) -> None:
    """Log density, log survival, hazard, H and S agree with scipy.stats."""
    fam = case.fam
    t = T[None, :]
    eta = ETA[:, None]
    dist = case.scipy(eta, **case.params)
    np.testing.assert_allclose(
        fam.log_density(t, eta, **case.params), dist.logpdf(t), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        fam.log_survival(t, eta, **case.params), dist.logsf(t), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        fam.hazard(t, eta, **case.params), dist.pdf(t) / dist.sf(t), rtol=1e-9
    )
    np.testing.assert_allclose(
        fam.cumulative_hazard(t, eta, **case.params), -dist.logsf(t), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(fam.survival(t, eta, **case.params), dist.sf(t), rtol=1e-10)


@pytest.mark.parametrize("case", SCIPY_CASES, ids=_ids(SCIPY_CASES))
def test_quantile_and_median_match_scipy(case: Case) -> None:
    """quantile(0.5) is scipy's median; other quantiles match ppf."""
    fam = case.fam
    eta = ETA[:, None]
    dist = case.scipy(eta, **case.params)
    np.testing.assert_allclose(fam.quantile(0.5, eta, **case.params), dist.median(), rtol=1e-9)
    p = np.array([0.01, 0.3, 0.9, 0.999])
    np.testing.assert_allclose(fam.quantile(p, eta, **case.params), dist.ppf(p), rtol=1e-8)


@pytest.mark.parametrize("case", SCIPY_CASES, ids=_ids(SCIPY_CASES))
def test_rvs_matches_scipy_ks(case: Case) -> None:
    """Inverse-transform draws pass a KS test against the scipy CDF."""
    fam = case.fam
    eta = 0.4
    draws = fam.rvs(eta, rng=np.random.default_rng(20240611), size=2000, **case.params)
    assert draws.shape == (2000,)
    assert np.all(draws > 0)
    result = st.kstest(draws, case.scipy(eta, **case.params).cdf)
    assert result.pvalue > 0.01


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_quantile_inverts_survival(case: Case) -> None:
    """S(quantile(p)) = 1 - p for every family (also those without scipy twin)."""
    fam = case.fam
    p = np.array([0.02, 0.25, 0.5, 0.8, 0.97])[None, :]
    eta = ETA[:, None]
    q = fam.quantile(p, eta, **case.params)
    s = fam.survival(q, eta, **case.params)
    finite = np.isfinite(q)
    np.testing.assert_allclose(s[finite], np.broadcast_to(1 - p, s.shape)[finite], rtol=1e-9)


def test_weibull_ph_and_aft_are_one_family() -> None:
    """beta_PH = -shape * beta_AFT: the same distribution in both parametrisations."""
    k = 1.7
    eta_aft = ETA[:, None]
    ph, aft = get_family("weibull_ph"), get_family("weibull_aft")
    t = T[None, :]
    np.testing.assert_allclose(
        ph.log_density(t, -k * eta_aft, shape=k), aft.log_density(t, eta_aft, shape=k)
    )
    np.testing.assert_allclose(
        ph.log_survival(t, -k * eta_aft, shape=k), aft.log_survival(t, eta_aft, shape=k)
    )


@pytest.mark.parametrize("sigma", [0.4, 1.0, 1.7])
def test_gengamma_special_cases(sigma: float) -> None:
    """Q = 1 is the Weibull (shape 1/sigma), Q = sigma the gamma, Q -> 0 the log-normal.

    Many points, both tails: log density, log survival, log CDF and quantiles.
    """
    gg = get_family("gengamma")
    t = np.geomspace(1e-4, 1e4, 41)[None, :]
    eta = np.array([-1.0, 0.0, 0.8])[:, None]
    p = np.linspace(0.001, 0.999, 25)[None, :]
    twins = [
        (1.0, get_family("weibull_aft"), {"shape": 1.0 / sigma}),
        (sigma, get_family("gamma"), {"shape": sigma**-2}),
        (0.0, get_family("lognormal"), {"sigma": sigma}),
    ]
    for Q, twin, params in twins:
        for method in ("log_density", "log_survival", "log_cdf"):
            mine = getattr(gg, method)(t, eta, sigma=sigma, Q=Q)
            # gamma: u = a t e^-mu ~ Gamma(a), so its scale is e^mu / a
            shift = np.log(sigma**-2) if twin.name == "gamma" else 0.0
            theirs = getattr(twin, method)(t, eta - shift, **params)
            finite = np.isfinite(theirs)
            np.testing.assert_allclose(mine[finite], theirs[finite], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(gg.quantile(p, eta, sigma=sigma, Q=1.0),
                               get_family("weibull_aft").quantile(p, eta, shape=1 / sigma),
                               rtol=1e-10)
    ln = get_family("lognormal")
    # the series branch: within O(Q) of the log-normal, continuous across the switch
    for Q in (1e-7, -1e-7):
        np.testing.assert_allclose(gg.log_density(t, eta, sigma=sigma, Q=Q),
                                   ln.log_density(t, eta, sigma=sigma), rtol=1e-5, atol=1e-6)
    from coalsurv.families.gengamma import Q_SERIES

    for side in (1.0, -1.0):
        inside = gg.log_survival(t, eta, sigma=sigma, Q=side * Q_SERIES * (1 - 1e-9))
        outside = gg.log_survival(t, eta, sigma=sigma, Q=side * Q_SERIES * (1 + 1e-9))
        ok = inside > -30  # the incomplete gamma of a = 1e6 is itself approximate far out
        np.testing.assert_allclose(inside[ok], outside[ok], rtol=1e-5, atol=1e-6)


def test_exponential_is_weibull_with_shape_one() -> None:
    """Weibull with shape 1 is the exponential."""
    t, eta = T[None, :], ETA[:, None]
    np.testing.assert_allclose(
        get_family("exponential").log_density(t, eta),
        get_family("weibull").log_density(t, eta, shape=1.0),
    )


def test_gompertz_small_gamma_is_exponential_and_cure_fraction() -> None:
    """Small gamma gives the exponential; negative gamma gives a cure fraction."""
    gomp, expo = get_family("gompertz"), get_family("exponential")
    t, eta = T[None, :], ETA[:, None]
    for gamma in (0.0, 1e-12, -1e-12):
        np.testing.assert_allclose(
            gomp.log_survival(t, eta, gamma=gamma), expo.log_survival(t, eta), rtol=1e-9
        )
    # gamma < 0: S(inf) = exp(-e^eta / |gamma|); hazard falls with time
    gamma, eta0 = -0.5, -0.3
    cure = np.exp(-np.exp(eta0) / 0.5)
    np.testing.assert_allclose(gomp.survival(np.inf, eta0, gamma=gamma), cure)
    np.testing.assert_allclose(gomp.survival(200.0, eta0, gamma=gamma), cure, rtol=1e-12)
    draws = gomp.rvs(eta0, rng=np.random.default_rng(3), size=4000, gamma=gamma)
    assert abs(np.mean(np.isinf(draws)) - cure) < 4 * np.sqrt(cure * (1 - cure) / 4000)
    assert np.isinf(gomp.quantile(0.999, eta0, gamma=gamma))
    assert gomp.survival(np.inf, eta0, gamma=0.3) == 0.0


# ---------------------------------------------------------------------------- broadcasting


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_broadcast_draws_by_rows(case: Case) -> None:
    """Parameters of shape (draws, 1[, K]) against times of shape (1, n) give (draws, n)."""
    fam = case.fam
    scale = np.array([0.9, 1.0, 1.1])
    batched = {}
    for name, value in case.params.items():
        value = np.asarray(value, dtype=float)
        batched[name] = value[None, None, ...] * scale.reshape((3, 1) + (1,) * value.ndim)
    t = T[None, :]
    eta = np.linspace(-0.5, 0.5, T.size)[None, :]
    for method in ("log_density", "log_survival", "log_interval"):
        args = (t, 2 * t, eta) if method == "log_interval" else (t, eta)
        out = getattr(fam, method)(*args, **batched)
        assert out.shape == ((3, T.size) if case.params else (1, T.size))
        for d in range(out.shape[0]):
            single = {name: value[d, 0] for name, value in batched.items()}
            flat = tuple(np.ravel(a) for a in args)
            np.testing.assert_allclose(out[d], getattr(fam, method)(*flat, **single))
    if case.params:
        assert fam.rvs(eta, rng=np.random.default_rng(0), **batched).shape == (3, T.size)


# ---------------------------------------------------------------------------- edge values


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_edges_and_log_interval(case: Case) -> None:
    """Values at t = 0 and inf; log_interval and log_cdf against direct formulas."""
    fam = case.fam
    eta = 0.3
    p = case.params
    assert fam.log_survival(0.0, eta, **p) == 0.0
    assert fam.log_cdf(0.0, eta, **p) == -np.inf
    assert np.isfinite(fam.log_hazard(0.0, eta, **p))
    lo, hi = np.array([0.2, 1.0, 2.0]), np.array([0.9, 1.3, 5.0])
    direct = np.log(fam.survival(lo, eta, **p) - fam.survival(hi, eta, **p))
    np.testing.assert_allclose(fam.log_interval(lo, hi, eta, **p), direct, rtol=1e-10)
    # hi = inf gives log S(lo) minus any cure fraction; lo = 0 gives log F(hi)
    s_inf = fam.survival(np.inf, eta, **p)
    np.testing.assert_allclose(
        fam.log_interval(lo, np.inf, eta, **p), np.log(fam.survival(lo, eta, **p) - s_inf)
    )
    np.testing.assert_allclose(
        fam.log_interval(0.0, hi, eta, **p), np.log1p(-fam.survival(hi, eta, **p)), rtol=1e-10
    )
    np.testing.assert_allclose(
        fam.log_cdf(hi, eta, **p), np.log1p(-fam.survival(hi, eta, **p)), rtol=1e-10
    )


FAR_TAIL = [
    # (case, lo far in the upper tail so that S(lo) underflows to 0)
    (Case("weibull_ph", "weibull_ph", {"shape": 2.0}), 40.0),
    (Case("weibull_aft", "weibull_aft", {"shape": 2.0}), 40.0),
    (Case("lognormal", "lognormal", {"sigma": 0.5}), 1e9),
    (Case("loglogistic", "loglogistic", {"shape": 3.0}), 1e120),
    (Case("exponential", "exponential", {}), 1000.0),
    (Case("gompertz", "gompertz", {"gamma": 0.2}), 40.0),
    (Case("gengamma", "gengamma", {"sigma": 0.5, "Q": 1.0}), 40.0),
    (Case("gengamma-neg", "gengamma", {"sigma": 0.5, "Q": -0.7}), 1e120),
    (Case("gamma", "gamma", {"shape": 2.0}), 1000.0),
    (
        Case("piecewise", "piecewise", {"log_rates": np.log([0.5, 2.0])}, options={"cuts": [1.0]}),
        1000.0,
    ),
]


@pytest.mark.parametrize(("case", "far"), FAR_TAIL, ids=[c.id for c, _ in FAR_TAIL])
def test_log_interval_far_upper_tail_is_finite(case: Case, far: float) -> None:
    """S(lo) and S(hi) underflow to 0, yet log{S(lo) - S(hi)} is finite."""
    fam, p = case.fam, case.params
    lo = np.array([far, far, far])
    hi = np.array([far * 1.5, far * (1 + 1e-9), np.inf])
    log_s_lo = fam.log_survival(lo, 0.0, **p)
    log_s_hi = fam.log_survival(hi, 0.0, **p)
    assert np.all(fam.survival(lo, 0.0, **p) == 0.0) and np.all(log_s_lo < -700)
    out = fam.log_interval(lo, hi, 0.0, **p)
    assert np.all(np.isfinite(out))
    with np.errstate(divide="ignore"):
        expected = log_s_lo + np.log(-np.expm1(log_s_hi - log_s_lo))
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    assert out[2] == log_s_lo[2]


@pytest.mark.parametrize(("case", "far"), FAR_TAIL, ids=[c.id for c, _ in FAR_TAIL])
def test_log_interval_far_lower_tail_is_finite(case: Case, far: float) -> None:
    """Near t = 0, S rounds to 1 for log-normal; log F and interval masses stay finite."""
    fam, p = case.fam, case.params
    hi = np.array([1e-10, 2e-10])
    lo = np.array([0.0, 1e-10])
    out = fam.log_interval(lo, hi, 0.0, **p)
    assert np.all(np.isfinite(out))
    log_f = fam.log_cdf(hi, 0.0, **p)
    np.testing.assert_allclose(out[0], log_f[0])
    with np.errstate(divide="ignore"):
        expected = log_f[1] + np.log(-np.expm1(log_f[0] - log_f[1]))
    np.testing.assert_allclose(out[1], expected, rtol=1e-10)


def test_lognormal_lower_tail_against_scipy() -> None:
    """Where S rounds to 1, log F and interval masses still match scipy."""
    fam = get_family("lognormal")
    t = np.array([1e-10, 1e-9, 1e-3, 0.01])
    dist = st.lognorm(s=0.5, scale=1.0)
    assert np.all(fam.log_survival(t, 0.0, sigma=0.5)[:2] == 0.0)  # S rounds to 1
    log_f = dist.logcdf(t)
    np.testing.assert_allclose(fam.log_cdf(t, 0.0, sigma=0.5), log_f, rtol=1e-12)
    np.testing.assert_allclose(
        fam.log_interval(t[:-1], t[1:], 0.0, sigma=0.5),
        log_f[1:] + np.log(-np.expm1(log_f[:-1] - log_f[1:])),
        rtol=1e-10,
    )


# ---------------------------------------------------------------------------- PyTensor backend

_EPS = 1e-6
# The full rewrite pipeline (stabilisation, fusion: what PyMC/nutpie graphs go through) with the
# Python linker: compiling is cheap and no C/numba cache is needed, so the table stays fast on
# a cold machine. The smaller graphs further down use the default (numba) linker.
TABLE_MODE = pytensor.compile.mode.Mode(linker="py", optimizer="fast_run")
GAMMA_MODE = pytensor.compile.mode.Mode(linker="numba", optimizer="fast_run")


def _symbolic(value: Any, name: str) -> pt.TensorVariable:
    return pt.dvector(name) if np.ndim(value) else pt.dscalar(name)


# One row per family (compiling every row would cost more than it tells).
PT_CASES = [
    c
    for c in ALL_CASES
    if c.id
    in {
        "exponential",
        "weibull_ph-0.7",
        "weibull_aft-2.5",
        "lognormal-0.5",
        "loglogistic-0.8",
        "gompertz-0.4",
        "gompertz-neg",
        "gompertz-tiny",
        "piecewise",
        "gengamma-0.3",
        "gengamma-neg",
        "gengamma-series",
        "gamma-2.5",
        "rp-2",
        "rp-odds-1",
    }
]


# The incomplete gamma families compile for minutes under numba (measured 150 s for the first
# gengamma row, 55 s for gamma on the shared 2-core machine): their rows are slow tests; the
# NumPy rows against scipy above stay fast.
PT_PARAMS = [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.family in ("gengamma", "gamma")
                          else []) for c in PT_CASES]


@functools.cache
def _compiled(case_id: str) -> tuple[Callable[..., list[np.ndarray]], list[str]]:
    """Values and gradients of one row, compiled once per test session.

    Outputs: log density, log survival, log interval (t, hi), then the gradients of
    ``sum(log density) + sum(log interval)`` with respect to eta and each parameter.
    """
    case = next(c for c in ALL_CASES if c.id == case_id)
    fam = case.fam
    t_var, hi_var, eta_var = pt.dvector("t"), pt.dvector("hi"), pt.dvector("eta")
    pvars = {k: _symbolic(v, k) for k, v in case.params.items()}
    logd = fam.log_density(t_var, eta_var, xp=PYTENSOR, **pvars)
    logs = fam.log_survival(t_var, eta_var, xp=PYTENSOR, **pvars)
    logi = fam.log_interval(t_var, hi_var, eta_var, xp=PYTENSOR, **pvars)
    grads = pt.grad(logd.sum() + logi.sum(), [eta_var, *pvars.values()])
    # the incomplete gamma families' graphs hold Elemwise nodes of over 32 inputs, which the
    # Python linker cannot run: their rows take the numba linker (as nutpie does); so do the
    # Royston-Parmar splines' (one fused node over every knot's basis term)
    mode = GAMMA_MODE if fam.name in ("gengamma", "gamma", "rp") else TABLE_MODE
    fn = pytensor.function(
        [t_var, hi_var, eta_var, *pvars.values()], [logd, logs, logi, *grads], mode=mode
    )
    return fn, list(pvars)


def _evaluate(case: Case, t: np.ndarray, hi: np.ndarray, eta: np.ndarray) -> list[np.ndarray]:
    fn, names = _compiled(case.id)
    return fn(t, hi, eta, *[np.asarray(case.params[k], dtype=float) for k in names])


def _numpy_total(fam: Family, t, hi, eta, params) -> float:
    return float(
        np.sum(fam.log_density(t, eta, **params)) + np.sum(fam.log_interval(t, hi, eta, **params))
    )


@pytest.mark.parametrize("case", PT_PARAMS)
def test_pytensor_matches_numpy_with_finite_difference_gradients(case: Case) -> None:
    """PyTensor reproduces NumPy; gradients in eta and params match central differences."""
    t = np.array([0.1, 0.7, 1.2, 2.0, 4.5])
    hi = np.array([0.3, 1.1, 2.4, np.inf, 9.0])
    eta = np.array([-0.4, 0.1, 0.6, -1.0, 0.2])
    logd, logs, logi, g_eta, *g_params = _evaluate(case, t, hi, eta)
    fam, params = case.fam, case.params
    names = list(params)
    np.testing.assert_allclose(logd, fam.log_density(t, eta, **params), rtol=1e-12)
    np.testing.assert_allclose(logs, fam.log_survival(t, eta, **params), rtol=1e-12)
    np.testing.assert_allclose(logi, fam.log_interval(t, hi, eta, **params), rtol=1e-12)
    assert np.all(np.isfinite(g_eta))
    # d/d eta_i by central differences (each eta_i enters only row i)
    fd_eta = np.array(
        [
            (
                _numpy_total(fam, t, hi, eta + _EPS * np.eye(5)[i], params)
                - _numpy_total(fam, t, hi, eta - _EPS * np.eye(5)[i], params)
            )
            / (2 * _EPS)
            for i in range(5)
        ]
    )
    np.testing.assert_allclose(g_eta, fd_eta, rtol=1e-5, atol=1e-6)
    for name, grad in zip(names, g_params, strict=True):
        value = np.asarray(params[name], dtype=float)
        assert np.all(np.isfinite(grad))
        flat = value.reshape(-1)
        fd = []
        for j in range(flat.size):
            step = np.zeros_like(flat)
            step[j] = _EPS
            up = {**params, name: (flat + step).reshape(value.shape)}
            down = {**params, name: (flat - step).reshape(value.shape)}
            fd.append(
                (_numpy_total(fam, t, hi, eta, up) - _numpy_total(fam, t, hi, eta, down))
                / (2 * _EPS)
            )
        np.testing.assert_allclose(grad, np.reshape(fd, value.shape), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", PT_PARAMS)
def test_pytensor_gradients_finite_at_zero_and_infinite_times(case: Case) -> None:
    """Rows with t = 0 (left-censored lower bound) or hi = inf must not poison gradients."""
    t = np.array([0.0, 0.0, 1.0, 2.0, 0.5])
    hi = np.array([1.0, np.inf, np.inf, 3.0, 0.6])
    eta = np.array([0.2, -0.1, 0.3, 0.0, 0.5])
    _, logs, logi, *grads = _evaluate(case, t, hi, eta)
    assert logs[0] == 0.0 and logs[1] == 0.0
    assert np.all(np.isfinite(logi))
    for g in grads:
        assert np.all(np.isfinite(g))


def test_default_linker_gradients_at_edges() -> None:
    """Default (numba) linker, as nutpie uses: rows at t = 0 or hi = inf keep gradients finite.

    ``t = 0`` enters a hazard (clamped to a tiny time), a delayed-entry survival term and the
    lower bound of an interval; ``hi = inf`` is a right-censored row written as an interval.
    """
    fam = get_family("weibull_ph")
    lo, hi, eta, shape = pt.dvector("lo"), pt.dvector("hi"), pt.dvector("eta"), pt.dscalar("k")
    total = (
        fam.log_interval(lo, hi, eta, xp=PYTENSOR, shape=shape).sum()
        + fam.log_density(lo, eta, xp=PYTENSOR, shape=shape).sum()
        - fam.log_survival(lo, eta, xp=PYTENSOR, shape=shape).sum()
    )
    fn = pytensor.function([lo, hi, eta, shape], [total, *pt.grad(total, [eta, shape])])
    value, g_eta, g_shape = fn(
        np.array([0.0, 0.0, 1.0]), np.array([0.5, 2.0, 3.0]), np.array([0.1, -0.2, 0.3]), 1.0
    )
    assert np.isfinite(value) and np.all(np.isfinite(g_eta)) and np.isfinite(g_shape)
    _, g_eta, g_shape = fn(
        np.array([0.0, 0.0, 1.0]), np.array([0.5, np.inf, 3.0]), np.array([0.1, -0.2, 0.3]), 1.3
    )
    assert np.all(np.isfinite(g_eta)) and np.isfinite(g_shape)


# ---------------------------------------------------------------------------- math shim


@pytest.mark.parametrize("xp", [NUMPY, PYTENSOR], ids=["numpy", "pytensor"])
def test_math_namespace_stable_composites(xp) -> None:
    """log_ndtr, log1mexp, logdiffexp, expm1_over_x are accurate in both backends."""
    z = np.array([-1e4, -40.0, -5.0, -1.0, 0.0, 3.0, 40.0])
    x = np.array([-800.0, -5.0, -0.7, -0.69, -1e-12, -np.inf])
    a, b = np.array([0.0, -700.0, -3.0, -np.inf]), np.array([-1e-15, -900.0, -np.inf, -np.inf])
    y = np.array([-50.0, -1e-3, -1e-7, 0.0, 1e-7, 1e-3, 30.0])

    def run(fn, *args):
        if xp is NUMPY:
            return fn(*args)
        syms = [pt.dvector() for _ in args]
        return pytensor.function(syms, fn(*syms))(*args)

    np.testing.assert_allclose(run(xp.log_ndtr, z), sc.log_ndtr(z), rtol=1e-12)
    with np.errstate(divide="ignore"):
        expected = np.log(-np.expm1(x))
        expected[:2] = np.log1p(-np.exp(x[:2]))
    np.testing.assert_allclose(run(xp.log1mexp, x), expected, rtol=1e-12)
    np.testing.assert_allclose(run(xp.log1mexp, np.array([-1e-300])), np.log(1e-300))
    expected = np.array([np.log(1e-15), -700.0, -3.0, -np.inf])
    np.testing.assert_allclose(run(xp.logdiffexp, a, b), expected, rtol=1e-6)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(y == 0, 1.0, np.expm1(y) / y)
    np.testing.assert_allclose(run(xp.expm1_over_x, y), expected, rtol=1e-12)


def test_log_ndtr_gradient_deep_tail() -> None:
    """The derivative of log Phi stays finite and accurate at z = -40 and beyond."""
    z = pt.dvector("z")
    grad = pytensor.function([z], pt.grad(PYTENSOR.log_ndtr(z).sum(), z))
    z0 = np.array([-1e4, -40.0, -1.0, 0.0, 10.0])
    expected = np.exp(st.norm.logpdf(z0) - sc.log_ndtr(z0))  # d log Phi / dz = phi / Phi
    np.testing.assert_allclose(grad(z0), expected, rtol=1e-7)


# ---------------------------------------------------------------------------- piecewise


def test_piecewise_hand_computed_example() -> None:
    """Exposures, intervals, H, hazard and median against a worked example."""
    fam = get_family("piecewise", cuts=[1.0, 2.5])
    log_rates = np.log([0.2, 0.5, 1.0])
    t = np.array([0.0, 0.5, 1.0, 2.0, 3.0, np.inf])
    expected_exposure = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.5, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [1.0, 1.5, 0.5],
            [1.0, 1.5, np.inf],
        ]
    )
    np.testing.assert_array_equal(fam.exposure_matrix(t), expected_exposure)
    np.testing.assert_array_equal(fam.interval_index(t), [0, 0, 0, 1, 2, 2])
    # H0(3) = 0.2 * 1 + 0.5 * 1.5 + 1.0 * 0.5 = 1.45 ; H0(2) = 0.7
    eta = 0.3
    expected_h = np.array([0.0, 0.1, 0.2, 0.7, 1.45, np.inf]) * np.exp(eta)
    np.testing.assert_allclose(fam.cumulative_hazard(t, eta, log_rates=log_rates), expected_h)
    np.testing.assert_allclose(
        fam.log_hazard(t[1:], eta, log_rates=log_rates), np.log([0.2, 0.2, 0.5, 1.0, 1.0]) + eta
    )
    # median: H0 = log 2 * e^-0.3 = 0.5135 lies in interval 2 -> 1 + (0.5135 - 0.2) / 0.5
    np.testing.assert_allclose(
        fam.quantile(0.5, eta, log_rates=log_rates), 1 + (np.log(2) * np.exp(-eta) - 0.2) / 0.5
    )
    assert fam.n_intervals == 3 and fam.param_shapes == {"log_rates": (3,)}


def test_piecewise_with_equal_rates_is_exponential() -> None:
    """Equal log rates reduce the piecewise family to the exponential."""
    fam = get_family("piecewise", cuts=default_cuts([0.3, 1.0, 2.0, 4.0, 9.0], [1, 1, 0, 1, 1]))
    expo = get_family("exponential")
    log_rate = -0.4
    log_rates = np.full(fam.n_intervals, log_rate)
    t, eta = T[None, :], ETA[:, None]
    np.testing.assert_allclose(
        fam.log_density(t, eta, log_rates=log_rates), expo.log_density(t, eta + log_rate)
    )
    np.testing.assert_allclose(
        fam.quantile([0.1, 0.5, 0.9], 0.2, log_rates=log_rates),
        expo.quantile([0.1, 0.5, 0.9], 0.2 + log_rate),
    )
    draws = fam.rvs(0.2, rng=np.random.default_rng(5), size=2000, log_rates=log_rates)
    assert st.kstest(draws, st.expon(scale=np.exp(-(0.2 + log_rate))).cdf).pvalue > 0.01


def test_piecewise_precomputed_forms_match_time_forms() -> None:
    """Exposure/interval-index forms (for the builder) equal the forms from t."""
    fam = get_family("piecewise", cuts=[0.5, 1.5, 3.0])
    t = np.array([0.2, 0.5, 0.9, 1.7, 3.0, 7.0])
    eta = np.linspace(-0.5, 0.5, t.size)
    exposure, index = fam.exposure_matrix(t), fam.interval_index(t)
    lr = pt.dvector("log_rates")
    fn = pytensor.function(
        [lr],
        [
            fam.log_survival_from_exposure(exposure, eta, lr, xp=PYTENSOR),
            fam.log_hazard_from_interval(index, eta, lr, xp=PYTENSOR),
        ],
    )
    log_rates = np.log([0.3, 0.8, 0.5, 1.4])
    log_s, log_h = fn(log_rates)
    np.testing.assert_allclose(log_s, fam.log_survival(t, eta, log_rates=log_rates))
    np.testing.assert_allclose(log_h, fam.log_hazard(t, eta, log_rates=log_rates))
    # NumPy with posterior draws: log_rates (draws, K) against n rows
    draws = np.stack([log_rates, log_rates + 0.1])
    out = fam.log_survival_from_exposure(exposure, eta, draws[:, None, :])
    assert out.shape == (2, t.size)
    np.testing.assert_allclose(out[1], log_s * np.exp(0.1))


def test_default_cuts() -> None:
    """Cuts sit at de-duplicated event-time quantiles; bad cuts are refused."""
    times = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 5.0, 8.0, 13.0, 100.0])
    events = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0])
    cuts = default_cuts(times, events, n_intervals=4)
    np.testing.assert_allclose(cuts, np.unique(np.quantile(times[:8], [0.25, 0.5, 0.75])))
    assert np.all(np.diff(cuts) > 0)
    assert default_cuts(times, np.zeros(9)).size == 0
    with pytest.raises(ValueError, match="strictly increasing"):
        PiecewiseExponential([2.0, 1.0])


# ---------------------------------------------------------------------------- registry


def test_registry_names_labels_and_params() -> None:
    """Registry holds every name with label, kind and parameter supports."""
    assert set(FAMILIES) == {
        "exponential",
        "weibull",
        "weibull_ph",
        "weibull_aft",
        "lognormal",
        "loglogistic",
        "gompertz",
        "piecewise",
        "gengamma",
        "generalised_gamma",
        "generalized_gamma",
        "gamma",
        "rp",
        "royston_parmar",
        "spline",
    }
    assert get_family("weibull") is get_family("weibull_ph")
    assert get_family("rp", scale="odds").kind == "po"  # the spline on the odds scale
    assert get_family("Weibull-AFT").name == "weibull_aft"
    for fam in FAMILIES.values():
        assert fam.kind in ("ph", "aft")
        assert fam.label
        assert set(fam.param_support) == set(fam.params)
        assert set(fam.param_support.values()) <= {"positive", "real"}
    assert get_family("weibull").label == "Weibull (proportional hazards)"
    assert get_family("gompertz").param_support == {"gamma": "real"}


def test_every_registered_family_has_a_table_row() -> None:
    """Adding a family to the registry needs only its module and a row in ``CASES``."""
    registered = {fam.name for fam in FAMILIES.values()}
    assert registered == {case.fam.name for case in ALL_CASES}


def test_parameters_are_declared_as_data() -> None:
    """Every family declares each parameter's support, default prior and posterior name."""
    from coalsurv.spec.priors import DEFAULT_PRIORS, Prior

    for fam in FAMILIES.values():
        assert fam.params == tuple(p.name for p in fam.parameters)
        for param in fam.parameters:
            dist, params = param.prior
            assert DEFAULT_PRIORS[param.key] == Prior(dist, **params)
            assert param.support == Prior(dist, **params).support or param.vector
            assert param.prior_text.startswith(f"{param.key} ~ {dist}(")
    pw = get_family("piecewise").parameters[0]
    assert (pw.vector, pw.key, pw.posterior_name) == ("interval", "rw_sd", "log_baseline_dev")
    assert get_family("piecewise").scalar_parameters == ()
    assert get_family("lognormal").param_defaults == {"sigma": "sigma ~ LogNormal(mu=0, sigma=0.5)"}


def test_get_family_errors() -> None:
    """Unknown names and options raise SpecError listing what is valid."""
    with pytest.raises(SpecError, match="unknown family") as err:
        get_family("cox")
    assert "weibull_aft" in str(err.value) and "piecewise" in str(err.value)
    with pytest.raises(SpecError, match="takes no options"):
        get_family("weibull", cuts=[1.0])
    with pytest.raises(SpecError, match="cuts"):
        get_family("piecewise", cuts=[3.0, 1.0])
    with pytest.raises(ValueError, match="no cut points"):
        get_family("piecewise").log_survival(1.0, 0.0, log_rates=np.zeros(2))
    with pytest.raises(TypeError, match="shape"):
        get_family("weibull").log_survival(1.0, 0.0)
    pw = get_family("piecewise", cuts=[1.0])
    assert pw == get_family("piecewise", cuts=np.array([1.0])) and pw != get_family("piecewise")
