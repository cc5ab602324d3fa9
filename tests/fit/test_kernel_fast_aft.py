"""The AFT fast row loop (``backend/kernel_fast_aft.py``) against the PyMC graph, and its choice.

Each accepted shape of the Weibull AFT, log-logistic and log-normal families (no frailty or
one, non-centred or centred on the intercept; delayed entry or not; strata with a level
deviation and a family parameter per stratum; shape covariates; per-term priors) gives the
graph's log density and gradient and the generic kernel's, at random points and at extreme
ones, and the generic kernel's pointwise log likelihood; what the loop does not implement is
refused with a reason. The branch-free ``log``, ``log1p`` and softplus equal NumPy's.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erfcx, expit, log_ndtr
from scipy.stats import norm

import coalsurv
from coalsurv.backend import kernel_fast, kernel_fastmath, native, native_fast
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS_2, FastTol, check_fast, interval_data, kernel_data

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
#: (formula, family, delayed entry, priors, family options, model options)
CASES = [
    ("x1 + x2", "loglogistic", False, None, None, {}),
    ("x1 + (1 | g)", "loglogistic", True, PRIORS_2, NC, {}),
    ("x1 + (1 | h)", "loglogistic", True, None, CE, {"shape": "x2"}),
    ("x1 + x2 + (1 | g)", "lognormal", True, {"beta[x1]": Prior("Normal", mu=0.0, sigma=3.0)},
     CE, {}),
    ("x1 + (1 | g)", "lognormal", False, None, NC, {"strata": "h"}),
    ("x2 + (1 | g)", "weibull_aft", True, None, NC, {}),
    ("x1 + (1 | g)", "weibull_aft", True, None, CE, {"strata": "h", "shape": "x2"}),
    ("x1 + x2", "loglogistic", True, None, None, {"strata": "h"}),
]


def _plan(formula, family, *, entry=False, priors=None, options=None, causes=("a",), data=None,
          **model_kwargs):
    data = kernel_data(causes=causes, entry=entry) if data is None else data
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, priors=priors,
                                               causes=list(causes) if len(causes) > 1 else None,
                                               family_options=options,
                                               **model_kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


#: the AFT loops' tolerances: the generic gradient's absolute part scaled by its largest
TOL = FastTol(grad_atol=1e-9, grad_scaled=True)


@pytest.mark.parametrize(("formula", "family", "entry", "priors", "options", "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:"
                              f"{(c[4] or {}).get('frailty_centring', 'auto')}:"
                              f"{'+'.join(c[5]) or 'plain'}" for c in CASES])
def test_aft_fast_loop_equals_pymc(formula, family, entry, priors, options, kwargs):
    model, kplan, buf = _plan(formula, family, entry=entry, priors=priors, options=options,
                              **kwargs)
    # extreme points: z far in both tails (against the kernel), most of them finite
    check_fast(model, kplan, buf, seed=12, extremes=(2.0, 2.0, 3.0, 3.0), draws=4,
               draws_scale=1.5, tol=TOL)


@pytest.mark.parametrize(("formula", "family", "kwargs", "why"), [
    ("x1 + (1 | g)", "loglogistic", {"causes": ("a", "b")}, "several causes"),
    ("x1 + (1 | g) + (1 | h)", "lognormal", {}, "more than one frailty factor"),
    ("x1 + (x1 | g)", "loglogistic", {}, "varying slopes"),
    ("x1 + (1 | g)", "lognormal", {"data": "interval"}, "interval censoring"),
    ("x1 + (1 | g)", "gamma", {}, "family 'gamma'"),
    ("x1 + (1 | g)", "gengamma", {}, "family 'gengamma'"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_other_aft_structures_keep_the_generic_kernel(formula, family, kwargs, why):
    kwargs = dict(kwargs)
    if kwargs.get("data") == "interval":
        kwargs["data"] = interval_data(causes=("a",))
    _, kplan, buf = _plan(formula, family, **kwargs)
    reason = native_fast.fast_reason(kplan, buf)
    assert why in reason, reason
    assert native_fast.fast_buffer(kplan, buf) is None


def test_branch_free_log_equals_numpy():
    @kernel_fast.njit
    def many(x, out):
        for i in range(x.size):
            out[0, i] = kernel_fastmath.flog(x[i])
            out[1, i] = kernel_fastmath.flog1p(x[i] - 1.0 if x[i] < 2.0 else x[i])
            sp, sg = kernel_fastmath.softplus_sigmoid(np.log(x[i]) * (1.0 if i % 2 else -1.0))
            out[2, i], out[3, i] = sp, sg

    rng = np.random.default_rng(5)
    x = np.concatenate([np.exp(rng.uniform(-745.0, 709.0, 200_000)), rng.uniform(0.0, 3.0, 100_000),
                        1.0 + np.ldexp(rng.uniform(-1.0, 1.0, 1000), -40), [5e-324, 1.0, 2.0]])
    out = np.empty((4, x.size))
    many(x, out)
    np.testing.assert_allclose(out[0], np.log(x), rtol=4.5e-16, atol=0)
    y = np.where(x < 2.0, x - 1.0, x)
    ok = y > -1.0
    np.testing.assert_allclose(out[1][ok], np.log1p(y[ok]), rtol=1e-15, atol=0)
    w = np.log(x) * np.where(np.arange(x.size) % 2, 1.0, -1.0)
    # fexp flushes below e^-708 to 0 (libm: subnormals down to e^-745)
    np.testing.assert_allclose(out[2], np.logaddexp(0.0, w), rtol=1e-15, atol=4e-308)
    np.testing.assert_allclose(out[3], expit(w), rtol=1e-15, atol=4e-308)
    edge = np.array([0.0, np.inf, -1.0, np.nan])
    out = np.empty((4, edge.size))
    many(edge, out)
    np.testing.assert_array_equal(out[0, :2], [-np.inf, np.inf])
    assert np.isnan(out[0, 2:]).all()


def test_branch_free_normal_tail_equals_scipy():
    @kernel_fast.njit(error_model="numpy")  # as the loop's (erfcx divides by x^2 at 0)
    def many(x, z, out):
        for i in range(x.size):
            out[0, i] = kernel_fastmath.erfcx(x[i])
        for i in range(z.size):
            out[1, i], out[2, i] = kernel_fastmath.log_normal_sf_fast(z[i])

    x = np.concatenate([np.linspace(0.0, 50.0, 20_001), np.exp(np.linspace(-30.0, 30.0, 2001))])
    z = np.concatenate([np.linspace(-37.0, 37.0, 40_001), np.linspace(-1e3, 1e3, 1001)])
    out = np.empty((3, max(x.size, z.size)))
    many(x, z, out)
    np.testing.assert_allclose(out[0, :x.size], erfcx(x), rtol=2e-15, atol=0)
    # the same accuracy as the generic kernel's libm form (both 2.4e-13 of SciPy's log_ndtr)
    np.testing.assert_allclose(out[1, :z.size], log_ndtr(-z), rtol=5e-13, atol=0)
    lam = np.exp(norm.logpdf(z) - norm.logsf(z))  # phi / (1 - Phi)
    ok = np.abs(z) < 37.0  # beyond, the reference's own exp of a difference loses digits
    np.testing.assert_allclose(-out[2, :z.size][ok], lam[ok], rtol=1e-12, atol=0)
    big = z > 37.0
    np.testing.assert_allclose(-out[2, :z.size][big], lam[big], rtol=1e-9, atol=0)
