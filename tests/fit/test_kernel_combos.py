"""The native kernel against the PyMC graph for combinations of structures (issue 23).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for what each
structure's own table checks alone: tve() with time-varying covariates (spells), with shape
covariates, with varying slopes and with the rp spline baseline (hazard scale); spells with
varying slopes and with rp on the hazard scale (cure and interval rows over the episodes'
spell curves included). What stays refused names its reason. A tiny native fit of tve with
spells and shape covariates agrees with ``kernel="pymc"`` within Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from tests.fit.kernel_check import check_kernel, kernel_data
from tests.fit.test_kernel_spells import _spell_data

PW = "tve(x1, type='pw', df=2)"
#: spells rows: (formula, family, causes or None, delayed entry, spells from 0, family
#: options, SurvivalModel keywords)
SPELL_CASES = [
    (f"x1 + x2 + {PW}", "weibull", None, True, True, {}, {}),
    ("x1 + tve(x1, type='pw', df=3) + (1 | g)", "exponential", ["a", "b"], True, False, {}, {}),
    (f"x1 + {PW}", "piecewise", None, True, False, {"n_intervals": 3}, {}),
    (f"x1 + x2 + {PW} + (1 | h)", "gompertz", None, False, True, {}, {}),
    (f"x1 + {PW}", "weibull", None, True, False, {}, {"strata": "g"}),
    (f"x1 + {PW}", "weibull", None, True, False, {}, {"shape": "x2"}),
    (f"x1 + {PW} + (1 | g)", "rp", None, True, False, {}, {}),
    ("x1 + (1 + x1 | g)", "weibull", ["a", "b"], True, False, {}, {}),
    ("x1 + x2 + (0 + x1 | g)", "lognormal", ["a", "b"], True, True, {}, {}),
    (f"x1 + {PW} + (1 + x1 | h)", "weibull_ph", None, True, False, {}, {}),
    ("x1 + x2 + (1 | g)", "rp", None, True, False, {}, {}),
    ("x1", "rp", ["a", "b"], True, True, {"k": 1}, {}),
    ("x1 + (1 + x1 | g)", "rp", None, True, False, {}, {}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "from_zero", "options",
                          "kwargs"), SPELL_CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[6])}" for c in SPELL_CASES])
def test_kernel_equals_pymc_spells_combinations(formula, family, causes, entry, from_zero,
                                                options, kwargs):
    data = _spell_data(causes=tuple(causes or ("a", "b")), entry=entry, from_zero=from_zero)
    kplan = check_kernel(formula, family, causes, entry, None, options, data=data,
                         model_kwargs=kwargs, value_atol=1e-6 if kwargs else 0.0)
    assert kplan.spells and bool(kplan.tve) == ("tve(" in formula)
    assert bool(kplan.slopes) == ("+ x1 |" in formula or "0 + x1" in formula)


#: episode rows: (formula, family, causes, delayed entry, family options, SurvivalModel keywords)
CASES = [
    ("x1 + tve(x1, df=2)", "weibull", None, True, {}, {"shape": "x2"}),
    ("x1 + tve(x1, type='pw', df=3) + (1 | g)", "weibull_ph", ["a", "b"], True, {},
     {"shape": "x2"}),
    ("x1 + tve(x1, df=2)", "weibull", None, False, {}, {"shape": "x2", "strata": "g"}),
    ("x1 + tve(x1, df=2) + (1 + x1 | g)", "weibull", None, True, {}, {}),
    (f"x1 + x2 + {PW} + (0 + x2 | h)", "exponential", ["a", "b"], True, {}, {}),
    ("x1 + tve(x1, df=2) + (1 | g)", "rp", None, True, {}, {}),
    (f"x1 + x2 + {PW}", "rp", ["a", "b"], False, {"k": 1}, {}),
    ("x1 + tve(x1, df=2)", "rp", None, True, {"k": 0}, {}),
    (f"x1 + {PW}", "rp", None, True, {}, {"strata": "g"}),
    (f"x1 + {PW} + (1 + x1 | g)", "rp", None, True, {}, {}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "options", "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[4])}:{sorted(c[5])}" for c in CASES])
def test_kernel_equals_pymc_tve_combinations(formula, family, causes, entry, options, kwargs):
    data = kernel_data(entry=entry, causes=tuple(causes or ("a",)))
    kplan = check_kernel(formula, family, causes, entry, None, options, data=data,
                         model_kwargs=kwargs, value_atol=1e-6 if kwargs else 0.0)
    assert kplan.tve and bool(kplan.shape_terms) == ("shape" in kwargs)


#: the rp spline (hazard scale) over the episodes' spell curves (mode 2): cure, interval rows
CURVE_CASES = [
    ("x1 + (1 | g)", {"cure": "x2"}, False),
    ("x1 + x2", {}, True),
    ("x1 + (1 + x1 | h)", {"cure": "1", "cure_type": "promotion"}, False),
]


@pytest.mark.parametrize(("formula", "kwargs", "interval"), CURVE_CASES,
                         ids=[f"{c[0]}:{sorted(c[1].items())}:{c[2]}" for c in CURVE_CASES])
def test_kernel_equals_pymc_spells_rp_curves(formula, kwargs, interval):
    data = _spell_data(causes=("a",), interval=interval)
    kplan = check_kernel(formula, "rp", None, True, None, {}, data=data, model_kwargs=kwargs,
                         value_atol=1e-6)
    assert kplan.spells == 2 and kplan.spline_knots is not None


#: the rp spline on the odds scale over the episodes' spell curves: the graph's equivalent time
ODDS_CASES = [
    ("x1 + (1 | g)", {}, False),
    ("x1 + x2", {"cure": "x2"}, False),
    ("x1", {}, True),
]


@pytest.mark.parametrize(("formula", "kwargs", "interval"), ODDS_CASES,
                         ids=[f"{c[0]}:{sorted(c[1].items())}:{c[2]}" for c in ODDS_CASES])
def test_kernel_equals_pymc_spells_rp_odds(formula, kwargs, interval):
    """Spells with rp on the odds scale (kind "po"): the equivalent time, native.

    ``d/d tau`` from the spline's own slope (``kernel_spline.rp_log_time_slope``), not the AFT
    families' ``S0(t e^-eta)``. (tve needs PH: the spec refuses it with rp on the odds scale.
    Joint and mixture priors run natively: ``test_kernel_joint.py``.)
    """
    data = _spell_data(causes=("a",), interval=interval)
    kplan = check_kernel(formula, "rp", None, True, None, {"scale": "odds"}, data=data,
                         model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.spells == 2 and kplan.spline_scale == "odds"


# slow: a numba compile of the PyMC graph (14.9 s quiet, 96 s at load ~12); the same structure
# (tve, spells, shape covariates) equals the graph exactly in SPELL_CASES above, and
# test_kernel_tve.py / test_kernel_spells.py keep a native-vs-PyMC fit of each in the fast suite
@pytest.mark.slow
def test_tve_with_spells_and_shape_fits_natively_like_pymc():
    """A tiny fit of tve() with spells and shape covariates: native, agrees with the graph."""
    import warnings

    data = _spell_data(causes=("a",), n=80, seed=3)
    fits = {}
    for kernel in ("auto", "pymc"):
        model = coalsurv.SurvivalModel(f"x1 + x2 + {PW}", family="weibull", shape="x2")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[kernel] = model.fit(data, draws=200, tune=200, chains=2, random_seed=3,
                                     progressbar=False, kernel=kernel)
    assert fits["auto"].sampler["route"] == "native", fits["auto"].sampler
    assert fits["pymc"].sampler["kernel"] == "pymc"
    a = fits["auto"].summary().set_index("parameter")
    b = fits["pymc"].summary().set_index("parameter")
    assert list(a.index) == list(b.index)
    assert {"tve_sd_x1", "beta_shape"} <= {p.split("[")[0] for p in a.index}
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
