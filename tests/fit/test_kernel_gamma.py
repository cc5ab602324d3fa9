"""The native kernel against the PyMC graph for the gamma and generalised gamma (issue 23).

Rows of the kernel-vs-graph table (:func:`tests.fit.test_kernel._check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points): pooled and
two causes, delayed entry, frailties (centred or not), strata (level; the gamma's shape per
stratum), shape covariates, interval censoring, cure, the gamma with time-varying covariates,
the generalised gamma's stratified shapes with time-varying covariates (nothing falls back); a
tiny native fit of each agrees with ``kernel="pymc"``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.spec.priors import Prior
from tests.fit.test_kernel import _check_kernel, _data, _interval_data

#: (formula, family, causes, entry, priors, SurvivalModel keywords with family_options)
SLOW = pytest.mark.slow  # each 20-65 s at load ~9 on 2 cores (the reference's compile)
CASES = [
    ("x1 + x2", "gamma", None, False, None, {}),
    ("x1 + (1 | g)", "gamma", ["a", "b"], True, {"shape": Prior("Gamma", alpha=2.0, beta=1.5)},
     {}),
    pytest.param("x1 + (1 | h)", "gamma", None, True, None,
                 {"strata": "g", "strata_parts": ("level", "shape")}, marks=SLOW),
    pytest.param("x1 + (1 | h)", "gamma", ["a", "b"], True, None, {"shape": "x2"}, marks=SLOW),
    pytest.param("x1 + (1 | g) + (1 | h)", "gamma", None, True, None,
                 {"family_options": {"frailty_centring": "centred"}}, marks=SLOW),
    ("x1 + x2", "gengamma", None, False, None, {}),
    pytest.param("x1 + (1 | g)", "gengamma", ["a", "b"], True,
                 {"Q": Prior("Normal", mu=0.5, sigma=0.8),
                  "sigma": Prior("Gamma", alpha=2.0, beta=1.5)}, {}, marks=SLOW),
    pytest.param("x1 + (1 | h)", "gengamma", None, True, None,
                 {"strata": "g", "strata_parts": ("level",)}, marks=SLOW),
    pytest.param("x1 + (1 | h)", "gengamma", ["a", "b"], True, None, {"shape": "x2"},
                 marks=SLOW),
    pytest.param("x1 + (1 | g) + (1 | h)", "gengamma", None, True, None,
                 {"family_options": {"frailty_centring": "centred"}}, marks=SLOW),
    # stratified shapes: sigma and Q per (cause, stratum), Q's prior about both branches
    pytest.param("x1 + (1 | h)", "gengamma", ["a", "b"], True,
                 {"Q": Prior("Normal", mu=0.3, sigma=0.6)},
                 {"strata": "g", "strata_parts": ("level", "shape")}, marks=SLOW),
    # Q ~ Normal(0, 1e-3): the expansion around the log-normal and the incomplete gamma
    ("x1 + (1 | g)", "gengamma", None, False, {"Q": Prior("Normal", mu=0.0, sigma=1e-3)}, {}),
]


#: episodes of the fast rows' data (the slow rows keep :func:`_data`'s 48)
FAST_ROWS = 24


def _split(kwargs):
    kwargs = dict(kwargs)
    return kwargs.pop("family_options", {}), kwargs


def _id(case):
    c = case.values if hasattr(case, "values") else case
    return f"{c[1]}:{c[0]}:{c[2]}:{sorted(c[5])}:{bool(c[4])}"


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "kwargs"), CASES,
                         ids=[_id(c) for c in CASES])
def test_kernel_equals_pymc_gamma_families(formula, family, causes, entry, priors, kwargs,
                                           request):
    options, kwargs = _split(kwargs)
    # the fast rows on FAST_ROWS episodes: the reference runs the incomplete gamma's gradient
    # (a scalar loop) element by element in Python, most of their time (the four fast rows at
    # load 12-14: 300 s with 48 rows, 177 s with 24); the slow rows keep 48
    n = 48 if request.node.get_closest_marker("slow") else FAST_ROWS
    kplan = _check_kernel(formula, family, causes, entry, priors, options, model_kwargs=kwargs,
                          value_atol=1e-6, data=_data(entry=entry, n=n))
    assert kplan.family == family


@pytest.mark.parametrize(("family", "kwargs"), [
    pytest.param("gamma", {}, marks=SLOW), pytest.param("gengamma", {}, marks=SLOW),
    pytest.param("gamma", {"shape": "x2"}, marks=SLOW),
    pytest.param("gengamma", {"cure": "x2", "cure_link": "probit"}, marks=SLOW),  # 24 s
    pytest.param("gamma", {"cure": "1", "cure_type": "promotion"}, marks=SLOW),
], ids=["gamma", "gengamma", "gamma-shape", "gengamma-cure-probit", "gamma-promotion"])
def test_kernel_equals_pymc_interval_censored_and_cure(family, kwargs):
    # the gamma's interval graph adds more than 32 operands and its promotion-time cure needs
    # the stabilising rewrites: check_kernel's last reference (C linker, FAST_COMPILE's
    # rewrites) takes those rows
    data = _interval_data()
    kplan = _check_kernel("x1 + (1 | h)", family, None, True, None, {}, data=data,
                          model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.family == family


@pytest.mark.slow  # ~60 s at load ~9 (each)
@pytest.mark.parametrize("family", ["gamma", "gengamma"])
def test_gamma_families_with_spells_equal_pymc(family):
    from tests.fit.test_kernel_spells import _spell_data

    kplan = _check_kernel("x1 + x2 + (1 | g)", family, None, True, None, {},
                          data=_spell_data(causes=("a",)))
    assert kplan.spells == 2


# Stratified shapes (sigma and Q per cause and stratum) with time-varying covariates: each
# episode's curve at its last spell's stratum's sigma and Q (kernel_spells._curve_gengamma),
# the last model issue 23 had on the graph only. Strata g (3 levels), frailty h, delayed entry.
SPELL_STRATA = [
    pytest.param(("a",), False, {}, id="pooled"),
    pytest.param(("a", "b"), False, {}, marks=SLOW, id="causes"),
    pytest.param(("a",), True, {}, marks=SLOW, id="interval"),
    pytest.param(("a",), False, {"cure": "x2", "cure_link": "probit"}, marks=SLOW, id="cure"),
]


@pytest.mark.parametrize(("causes", "interval", "extra"), SPELL_STRATA)
def test_gengamma_stratified_shapes_with_spells_equal_pymc(causes, interval, extra):
    from tests.fit.test_kernel_spells import _spell_data

    data = _spell_data(causes=causes, interval=interval, n=FAST_ROWS)
    kplan = _check_kernel("x1 + x2 + (1 | h)", "gengamma", list(causes) if len(causes) > 1
                          else None, True, {"Q": Prior("Normal", mu=0.3, sigma=0.6)}, {},
                          data=data, value_atol=1e-6,
                          model_kwargs={"strata": "g", "strata_parts": ("level", "shape"),
                                        **extra})
    assert kplan.spells == 2 and kplan.strata_theta


def test_tiny_gengamma_fit_with_stratified_shapes_and_spells_is_native():
    from tests.fit.test_kernel_spells import _spell_data

    model = coalsurv.SurvivalModel("x1", family="gengamma", strata="g",
                                   strata_parts=("shape",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(_spell_data(causes=("a",), n=30), draws=100, tune=100, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native" and fit.sampler["route"] == "native", fit.sampler
    assert fit.idata["posterior"]["Q"].shape[-1] == 3  # one Q per stratum
    assert np.isfinite(fit.idata["posterior"]["Q"].to_numpy()).all()


# Measured on the shared 2-core machine (load ~9): gamma 60 s, gengamma 68 s (slow), mostly
# the PyMC graph's compile.
@pytest.mark.parametrize("family", [pytest.param("gamma", marks=pytest.mark.slow),  # 14 s
                                    pytest.param("gengamma", marks=pytest.mark.slow)])
def test_tiny_native_fit_agrees_with_pymc(family):
    data = _data(causes=("a",), n=80, seed=3)
    model = coalsurv.SurvivalModel("x1", family=family)
    settings = {"draws": 300, "tune": 300, "chains": 2, "random_seed": 2, "progressbar": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = model.fit(data, **settings)
        slow = model.fit(data, kernel="pymc", **settings)
    assert fast.sampler["route"] == "native", fast.sampler
    assert slow.sampler["route"] == "pymc"
    for name in ("beta", "intercept", *[p.posterior_name for p in fast.family.parameters]):
        a = fast.idata["posterior"][name].to_numpy()
        b = slow.idata["posterior"][name].to_numpy()
        sd = np.hypot(a.std(), b.std())
        assert abs(a.mean() - b.mean()) < 0.5 * sd + 0.03, (name, a.mean(), b.mean())
