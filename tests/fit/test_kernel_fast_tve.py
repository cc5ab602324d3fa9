"""The piecewise-tve fast row loop (``backend/kernel_fast_tve.py``) against the PyMC graph.

Every model shape :func:`coalsurv.backend.native_fast_tve.tve_reason` accepts (exponential and
Weibull PH; one or several piecewise tve terms; no frailty or one, non-centred or centred;
delayed entry or not; default and explicit tve priors; segments spanning several blocks) gives
the graph's log density and gradient at random points and the generic kernel's value,
gradient and pointwise log likelihood; smooth terms, other families, causes and strata keep
the generic kernel with a reason; a tiny native fit records the fast loop.
"""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel, kernel_fast_tve, native, native_fast
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import PRIORS_2, FastTol, check_fast, kernel_data, reference

NC, CE = {"frailty_centring": "noncentred"}, {"frailty_centring": "centred"}
PW = "tve(x1, type='pw', df=3)"
#: (formula, family, delayed entry, priors, family options, rows)
CASES = [
    (f"x1 + x2 + {PW}", "weibull", False, None, None, 48),
    (f"x1 + {PW} + (1 | g)", "weibull", True, None, NC, 48),
    ("x1 + x2 + tve(x1, type='pw', df=2) + tve(x2, type='pw', df=4) + (1 | h)", "weibull_ph",
     True, {"tve_sd": Prior("HalfNormal", sigma=0.3)}, CE, 48),
    (f"x2 + {PW}", "exponential", True, None, None, 48),
    (f"x1 + x2 + {PW} + (1 | g)", "exponential", False, PRIORS_2, CE, 48),
    (f"{PW} + (1 | g)", "weibull", True, None, CE, 48),
    (f"x1 + x2 + {PW} + (1 | h)", "weibull", True, None, NC, 700),  # several blocks a cell
]


def _plan(formula, family, *, entry=False, priors=None, options=None, causes=None, n=48,
          **model_kwargs):
    data = kernel_data(entry=entry, n=n)
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, causes=causes,
                                               priors=priors, family_options=options,
                                               **model_kwargs).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


@pytest.mark.parametrize(("formula", "family", "entry", "priors", "options", "n"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:"
                              f"{(c[4] or {}).get('frailty_centring', 'auto')}:{c[5]}"
                              for c in CASES])
def test_tve_fast_loop_equals_pymc(formula, family, entry, priors, options, n):
    model, kplan, buf = _plan(formula, family, entry=entry, priors=priors, options=options, n=n)
    fb = native_fast.fast_buffer(kplan, buf)
    assert fb is not None and int(fb[2]) >= kernel_fast_tve.TVE_CODES

    def own_priors(x, value, grad):  # the loop's own priors (what nutpie calls)
        own = np.empty(kplan.ndim)
        np.testing.assert_allclose(kernel_fast_tve.tve_fast_logp_grad(fb, x, own), value,
                                   rtol=1e-12)
        np.testing.assert_allclose(own, grad, rtol=1e-11, atol=1e-12)

    check_fast(model, kplan, buf, seed=11, tol=FastTol(rows=1e-11), each=own_priors)


@pytest.mark.parametrize(("formula", "family", "kwargs", "why"), [
    ("x1 + tve(x1) + (1 | g)", "weibull", {}, "a smooth tve() term"),
    (f"x1 + {PW} + tve(x2)", "weibull", {}, "a smooth tve() term"),
    (f"x1 + {PW}", "gompertz", {}, "family 'gompertz' with tve()"),
    (f"x1 + {PW}", "piecewise", {"options": {"n_intervals": 3}}, "family 'piecewise'"),
    (f"x1 + {PW} + (1 | g)", "weibull", {"causes": ["a", "b"]}, "several causes"),
    (f"x1 + {PW}", "weibull", {"strata": "h"}, "strata"),
    (f"x1 + {PW} + (1 | g) + (1 | h)", "weibull", {}, "more than one frailty factor"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_other_tve_models_keep_the_generic_kernel(formula, family, kwargs, why):
    _, kplan, buf = _plan(formula, family, **kwargs)
    reason = native_fast.fast_reason(kplan, buf)
    assert why in reason, reason
    assert native_fast.fast_buffer(kplan, buf) is None


def test_a_piecewise_tve_fit_runs_the_fast_loop(tiny_fit, synthetic_small):
    fit = tiny_fit(synthetic_small, "breadth + tve(breadth, type='pw', df=2) + (1 | group)")
    assert fit.sampler["kernel"] == "native"
    assert fit.idata["posterior"].attrs["coalsurv_row_loop"] == "fast"


def test_both_nutpie_routes_run_the_tve_loop_alike():
    """The C callback (``LOGP_TVE_CFUNC``) and the pyfunc route give the same draws."""
    from coalsurv.backend import nutpie_model
    from coalsurv.backend.nutpie_import import import_nutpie

    nutpie = import_nutpie()
    _, kplan, buf = _plan(f"x1 + {PW} + (1 | g)", "weibull", entry=True)
    fb = native_fast.fast_buffer(kplan, buf)
    draws = {}
    for route in ("native", "pyfunc"):
        compiled = nutpie_model.compile_native(kplan, buf, route=route, fast=fb)
        idata = nutpie.sample(compiled, draws=30, tune=30, chains=1, seed=3, progress_bar=False)
        draws[route] = idata["posterior"].to_dataset()
    for name in draws["native"].data_vars:
        np.testing.assert_allclose(draws["native"][name], draws["pyfunc"][name], rtol=1e-10)


def test_exits_and_entries_on_the_cut_points():
    """Rows that end or enter exactly at a cut point, and entries in the open last cell."""
    from tests.fit.kernel_check import kernel_frame

    df = kernel_frame(n=40, seed=8, causes=("a",), entry=True)
    cuts = [5.0, 12.0, 20.0]
    df.loc[:5, "duration"] = [5.0, 12.0, 20.0, 5.0, 12.0, 20.0]
    df.loc[:5, "entry"] = [0.0, 0.0, 0.0, 1.0, 5.0, 12.0]
    df.loc[6:9, "entry"] = [5.0, 12.0, 20.0, 21.0]
    df.loc[6:9, "duration"] = [9.0, 12.5, 28.0, 29.0]
    data = coalsurv.CoalitionData.from_frame(
        df, duration="duration", event="ended", covariates=["x1", "x2"], groups=["g", "h"],
        entry="entry", time_unit="months")
    options = {"tve_cuts": {"x1": cuts}}
    model, _, info, _ = coalsurv.SurvivalModel(
        "x1 + x2 + tve(x1, type='pw') + (1 | g)", family="weibull",
        family_options=options).build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    fb = native_fast.fast_buffer(kplan, buf)
    assert fb is not None, native_fast.fast_reason(kplan, buf)
    assert len(kplan.tve[0].cuts) == 3  # the given cuts (model time)
    on_cut = np.isin(np.asarray(model["time"].get_value()), kplan.tve_bounds)
    assert on_cut.sum() >= 6, on_cut.sum()  # the exits on a cut point
    ref = reference(model)
    rng = np.random.default_rng(5)
    n_free = len(model.free_RVs)
    for _ in range(2):
        x = rng.normal(scale=0.6, size=kplan.ndim)
        point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        out = ref(*point)
        grad = np.empty(kplan.ndim)
        value = kernel_fast_tve.tve_fast_logp_grad(fb, x, grad)
        np.testing.assert_allclose(value, out[0], rtol=1e-9)
        np.testing.assert_allclose(grad, np.concatenate([np.ravel(g) for g in out[1:1 + n_free]]),
                                   rtol=1e-7, atol=1e-8)
    draws = rng.normal(scale=0.6, size=(2, kplan.ndim))
    rows = np.empty((2, int(buf[2])))
    kernel_fast_tve.tve_pointwise_into(fb, draws, rows)
    np.testing.assert_allclose(rows, kernel.pointwise(buf, draws), rtol=1e-11, atol=1e-11)
