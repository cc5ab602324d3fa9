"""Spells (time-varying covariates) on the PH fast row loop (``backend/kernel_fast.py``).

Under proportional hazards without cure or interval-censored endings a spell model's rows are
spell rows with delayed entry at the spell's start and the event on the episode's last spell
(spell mode 1, :mod:`coalsurv.backend.kernel_spells`), which the PH loop takes as any rows;
its pointwise log likelihood is summed per episode. Checked against the PyMC graph (log density
and gradient) and the generic kernel (value, gradient, pointwise per episode) at random and
large points: exponential, Weibull PH and Gompertz, several frailty levels sampled non-centred
or centred, delayed entry of the episode (spells from 0 or from entry), censored and event
episodes, mm(). The spell models the PH loop does not implement keep their routes with a
reason; a tiny spells fit runs the fast loop.
"""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel, native, native_fast
from tests.fit.kernel_check import FastTol, check_fast, fast_rows, reference
from tests.fit.test_kernel_spells import _spell_data

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
#: (formula, family, delayed entry, spells from 0, family options, members)
CASES = [
    ("x1 + x2", "weibull", False, True, None, False),
    ("x1 + x2 + (1 | g)", "weibull", True, False, NC, False),
    ("x1 + (1 | h)", "weibull", True, True, CE, False),
    ("x1 + x2 + (1 | g)", "exponential", True, False, None, False),
    ("x1 + (1 | h)", "gompertz", True, False, NC, False),
    ("x1 + x2", "gompertz", False, True, None, False),
    ("x1 + mm(mx, weights='power') + (1 | g)", "weibull", True, False, None, True),
]


def _plan(formula, family, *, entry, from_zero, options=None, members=False, **kwargs):
    data = _spell_data(causes=("a",), entry=entry, from_zero=from_zero, members=members)
    assert data.spells["id"].duplicated().any()
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, family_options=options,
                                               **kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


@pytest.mark.parametrize(("formula", "family", "entry", "from_zero", "options", "members"),
                         CASES, ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:"
                                     f"{'zero' if c[3] else 'fromentry'}" for c in CASES])
def test_fast_spells_equal_pymc_and_the_generic_kernel(formula, family, entry, from_zero,
                                                       options, members):
    model, kplan, buf = _plan(formula, family, entry=entry, from_zero=from_zero,
                              options=options, members=members)
    assert kplan.spells == 1
    ref, points = reference(model), []
    fb = check_fast(model, kplan, buf, seed=5, graph=ref, draws=None,
                    more=lambda rng: [rng.choice([-1.8, 1.8], size=kplan.ndim)],  # large, +-
                    tol=FastTol(grad_atol=1e-9, rows=1e-11),
                    each=lambda x, value, grad: points.append(x))
    # the pointwise log likelihood: one value per episode (also the graph's)
    episodes = model["time"].get_value().size
    rows = fast_rows(fb, buf, points, tol=FastTol(rows=1e-11))
    assert rows.shape == (len(points), episodes)
    n_free = len(model.free_RVs)
    graph = np.array([ref(*[x[b.offset:b.offset + b.size].reshape(b.free_shape)
                            for b in kplan.blocks])[1 + n_free] for x in points])
    np.testing.assert_allclose(rows, graph.reshape(rows.shape), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(("formula", "family", "kwargs", "why"), [
    ("x1 + (1 | g)", "weibull_aft", {}, "time-varying covariates"),
    ("x1 + (1 | g)", "lognormal", {}, "time-varying covariates"),
    ("x1 + (1 | g)", "gengamma", {}, "family 'gengamma'"),
    # piecewise: the end loop's (kernel_fast_end), which refuses spells
    ("x1 + (1 | g)", "piecewise", {"family_options": {"n_intervals": 3}},
     "time-varying covariates"),
    ("x1 + (1 | g)", "weibull", {"cure": "x2"}, "time-varying covariates"),
    ("x1 + (1 | g)", "rp", {}, "time-varying covariates"),
    ("x1 + (1 | g)", "weibull", {"causes": ["a", "b"]}, "several causes"),
    ("x1 + (1 | g) + tve(x2, type='pw', df=2)", "weibull", {}, "time-varying covariates"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_other_spell_models_keep_their_route(formula, family, kwargs, why):
    causes = tuple(kwargs.get("causes", ("a",)))
    data = _spell_data(causes=causes, entry=True, from_zero=True, n=30)
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, **kwargs).build(data)
    kplan, reason = native.plan(model, info, None)
    assert kplan is not None and kplan.spells, reason
    buf = native.make_buffer(kplan, model)
    reason = native_fast.fast_reason(kplan, buf)
    assert why in reason, reason
    assert native_fast.fast_buffer(kplan, buf) is None


def test_a_spells_fit_runs_the_fast_loop(tiny_fit):
    """A tiny Weibull spells fit: the PH fast loop, its log likelihood per episode."""
    data = _spell_data(causes=("a",), entry=True, from_zero=False, n=60, seed=3)
    fit = tiny_fit(data, "x1 + x2 + (1 | g)")
    post = fit.idata["posterior"]
    assert post.attrs["coalsurv_row_loop"] == "fast", post.attrs
    ll = fit.idata["log_likelihood"]["lifespan"]
    assert ll.sizes["obs"] == 60
    model, _, info, _ = coalsurv.SurvivalModel("x1 + x2 + (1 | g)").build(data)
    kplan, _ = native.plan(model, info, None)
    buf = native.make_buffer(kplan, model)
    generic = kernel.pointwise(buf, native.unconstrained_draws(kplan, post.to_dataset()))
    np.testing.assert_allclose(ll.values.reshape(generic.shape), generic, rtol=1e-10,
                               atol=1e-10)
