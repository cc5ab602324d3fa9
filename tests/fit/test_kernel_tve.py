"""The native kernel against the PyMC graph for time-varying effects ``tve(x)`` (the reference).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for the
piecewise (``type="pw"``) and smooth (natural and B-spline) effects, one and two causes and
terms, frailties, delayed entry, strata, mm() and every proportional-hazards kernel family
(the graph refuses tve() with AFT families); a tiny fit on the kernel agrees with kernel="pymc".
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import check_kernel, kernel_data

PW = "tve(x1, type='pw', df=3)"
#: (formula, family, causes or None (pooled), delayed entry, priors, family options, keywords)
CASES = [
    (f"x1 + x2 + {PW}", "weibull", None, False, None, {}, {}),
    (f"x1 + {PW} + (1 | g)", "weibull", ["a", "b"], True, None, {}, {}),
    ("x1 + x2 + tve(x1)", "weibull", None, True, None, {}, {}),
    ("x1 + x2 + tve(x1, df=2) + tve(x2, type='pw', df=2) + (1 | g)", "weibull", ["a", "b"],
     True, {"tve_sd": Prior("HalfNormal", sigma=0.3)}, {}, {}),
    ("x1 + tve(x1, basis='bspline', df=4) + (1 | h)", "weibull_ph", None, True, None, {}, {}),
    ("x1 + tve(x1)", "exponential", ["a", "b"], True, None, {}, {}),
    (f"x1 + x2 + {PW}", "exponential", None, True, None, {}, {}),
    ("x1 + tve(x1) + (1 | g)", "gompertz", None, True, None, {}, {}),
    (f"x1 + {PW}", "gompertz", ["a", "b"], False, None, {}, {}),
    ("x1 + tve(x1)", "piecewise", None, True, None, {"n_intervals": 3}, {}),
    (f"x1 + {PW} + (1 | g)", "piecewise", ["a", "b"], True, None, {"n_intervals": 4}, {}),
    ("x1 + tve(x1, df=2)", "weibull", None, True, None, {}, {"strata": "g"}),
    ("x1 + tve(x1, df=2) + (1 | h)", "weibull", None, False, None,
     {"frailty_centring": "centred"}, {}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "options", "kwargs"),
                         CASES, ids=[f"{c[1]}:{c[0]}:{'causes' if c[2] else 'pooled'}:"
                                     f"{'entry' if c[3] else 'noentry'}:{sorted(c[6])}"
                                     for c in CASES])
def test_kernel_equals_pymc_tve(formula, family, causes, entry, priors, options, kwargs):
    kplan = check_kernel(formula, family, causes, entry, priors, options, model_kwargs=kwargs,
                         value_atol=1e-6 if kwargs else 0.0)
    assert kplan.tve and kplan.tve_grid == ("type='pw'" not in formula.split("tve")[1])


@pytest.mark.parametrize("formula", ["z + tve(z, df=2) + mm(x, weights='power')",
                                     "z + tve(z, type='pw', df=2) + mm(x) + (1 | g)"])
def test_kernel_equals_pymc_tve_members(formula):
    from tests.fit.test_kernel_members import _members_data

    kplan = check_kernel(formula, "weibull", ["a", "b"], True, None, {},
                         data=_members_data(), value_atol=1e-6)
    assert kplan.tve and kplan.mm_weights


@pytest.mark.parametrize("formula", ["x1 + x2 + tve(x1, df=2) + tve(x2, type='pw', df=2)",
                                     f"x1 + {PW} + (1 | g)"])
def test_kernel_equals_pymc_tve_across_row_blocks(formula):
    """More rows than one block of ``kernel_tve.tve_block`` (its cells' weights, gradient)."""
    from coalsurv.backend.kernel_tve import TVE_BLOCK

    data = kernel_data(entry=True, causes=("a", "b"), n=TVE_BLOCK + 44)
    kplan = check_kernel(formula, "weibull", ["a", "b"], True, None, {}, data=data, points=2)
    assert kplan.tve and len(data.to_frame()) > TVE_BLOCK


def _fit(formula, kernel, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return coalsurv.SurvivalModel(formula, family="weibull").fit(
            data, draws=200, tune=200, chains=2, random_seed=3, progressbar=False, kernel=kernel)


def test_tve_fits_natively_like_pymc():
    """Tiny fits: the native route is taken and the posterior means agree with the graph's."""
    data = kernel_data(causes=("a",), n=100, seed=11)
    assert _fit(f"x1 + {PW}", "auto", data).sampler["route"] == "native"
    formula = "x1 + tve(x1, df=2)"
    fits = {kernel: _fit(formula, kernel, data) for kernel in ("auto", "pymc")}
    assert fits["auto"].sampler["route"] == "native", fits["auto"].sampler
    assert fits["pymc"].sampler["kernel"] == "pymc"
    for name in ("beta", "shape", "tve_sd_x1", "tve_dev_x1"):
        a, b = (fits[k].idata["posterior"][name] for k in ("auto", "pymc"))
        sd = np.sqrt(0.5 * (a.var(("chain", "draw")) + b.var(("chain", "draw"))))
        # 400 draws each: the difference of two means has SD ~ sd * sqrt(2 / ESS) <~ 0.15 sd
        assert (abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw"))) < 0.5 * sd).all(), name
