"""The native kernel against the PyMC graph for the Royston-Parmar spline (family ``rp``).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points inside the
spline's monotone region) on the hazard and odds scales, with 0 to 3 internal knots, causes,
frailties, delayed entry, interval censoring, strata and cure; the graph's ``rp_monotone``
bound; the formula check; a tiny native fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel, native
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS_2, check_kernel, interval_data, kernel_data, reference

#: (formula, causes, delayed entry, priors, family options, SurvivalModel keywords)
CASES = [
    ("x1 + (1 | g)", None, True, None, {}, {}),
    ("x1 + x2", ["a", "b"], False, None, {"scale": "odds"}, {}),
    ("x1 + x2 + (1 | g) + (1 | h)", None, True, PRIORS_2, {"k": 3}, {}),
    ("x1", ["a", "b"], True, None, {"k": 0}, {}),
    ("x2 + (1 | h)", None, True, {"rp_spline": Prior("Normal", mu=0.0, sigma=0.5)},
     {"k": 1, "scale": "odds", "frailty_centring": "centred"}, {}),
    ("x1 + (1 | h)", None, True, None, {}, {"strata": "g"}),
    ("x1", None, False, None, {"scale": "odds"},
     {"strata": "g", "strata_parts": ("shape", "level")}),
    ("x1 + (1 | g)", None, True, None, {}, {"cure": "x2"}),
]


@pytest.mark.parametrize(("formula", "causes", "entry", "priors", "options", "kwargs"), CASES,
                         ids=[f"{c[0]}:{c[4]}:{sorted(c[5])}" for c in CASES])
def test_kernel_equals_pymc_spline(formula, causes, entry, priors, options, kwargs):
    data = kernel_data(entry=entry, causes=("a",) if kwargs.get("cure") else ("a", "b"))
    kplan = check_kernel(formula, "rp", causes, entry, priors, options, data=data,
                         model_kwargs=kwargs, value_atol=1e-6 if kwargs else 0.0)
    assert kplan.family == "rp" and kplan.spline_scale == options.get("scale", "hazard")
    assert ("rp_spline" in {b.name for b in kplan.blocks}) == (options.get("k", 2) > 0)


@pytest.mark.parametrize("scale", ["hazard", "odds"])
def test_kernel_equals_pymc_spline_interval_censored(scale):
    kplan = check_kernel("x1 + (1 | g)", "rp", None, True, None, {"scale": scale},
                         data=interval_data())
    assert kplan.spline_knots is not None


def test_monotone_bound_matches_the_graph():
    """Where the spline falls somewhere, the kernel gives what the graph gives (-inf or nan)."""
    data = kernel_data(causes=("a",))
    model, _, info, _ = coalsurv.SurvivalModel("x1", family="rp").build(data)
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    ref = reference(model)
    rng = np.random.default_rng(3)
    seen = set()
    for scale in (0.3, 4.0, 8.0):
        for _ in range(6):
            x = rng.normal(scale=scale, size=kplan.ndim)
            point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
            want = float(ref(*point)[0])
            got = kernel.logp_grad(buf, x, np.empty(kplan.ndim))
            seen.add(np.isfinite(want))
            # outside the region both are -inf (or nan: a censored row's 0 x log h = -inf)
            np.testing.assert_allclose(got, want, rtol=1e-9)
    assert seen == {True, False}


def test_changed_spline_formula_is_refused():
    from coalsurv.families.spline import RoystonParmar

    class Shifted(RoystonParmar):
        def _log_survival(self, t, eta, xp, **params):
            return super()._log_survival(t, eta + 1e-3, xp, **params)

    knots = np.array([-1.5, -0.2, 0.4, 1.1])
    for scale in ("hazard", "odds"):
        assert native.formulas_match(RoystonParmar(knots, scale))
        assert not native.formulas_match(Shifted(knots, scale))


def test_spline_fits_natively():
    """A tiny rp fit (odds scale) runs on the kernel, the C-callback route."""
    model = coalsurv.SurvivalModel("x1 + (1 | g)", family="rp", family_options={"scale": "odds"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(kernel_data(causes=("a",), n=80), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native" and fit.sampler["route"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert post.attrs["coalsurv_row_loop"] == "fast"  # one cause, one frailty: kernel_fast_rp
    assert {"rp_slope", "rp_spline", "intercept"} <= set(post.data_vars)
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()


@pytest.mark.parametrize("scale", ["hazard", "odds"])
def test_spline_gradient_cure_interval_entry_and_finite_differences(scale):
    """``rp_spline``'s analytic gradient (``kernel_spline.rp_row``, O(K) a row).

    Cure, interval-censored and delayed-entry rows with three knots, on both scales: the
    graph's gradient (``check_kernel``), and central finite differences of the kernel's own
    log density in every coefficient.
    """
    data = interval_data(causes=("a",))
    options = {"scale": scale, "k": 3}
    check_kernel("x1 + (1 | g)", "rp", None, True, None, options, data=data,
                 model_kwargs={"cure": "x2"}, value_atol=1e-6, points=2)
    model, _, info, _ = coalsurv.SurvivalModel("x1 + (1 | g)", family="rp", cure="x2",
                                               family_options=options).build(data)
    kplan, _ = native.plan(model, info, options)
    buf = native.make_buffer(kplan, model)
    block = kplan.block("rp_spline")
    rng = np.random.default_rng(11)
    grad = np.empty(kplan.ndim)
    x = rng.normal(scale=0.5, size=kplan.ndim)
    while not np.isfinite(kernel.logp_grad(buf, x, grad)):
        x = rng.normal(scale=0.5, size=kplan.ndim)
    step, scratch = 1e-6, np.empty(kplan.ndim)
    for j in range(block.offset, block.offset + block.size):
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        numeric = (kernel.logp_grad(buf, up, scratch) - kernel.logp_grad(buf, down, scratch)) / (
            2 * step)
        np.testing.assert_allclose(grad[j], numeric, rtol=1e-5, atol=1e-6)
