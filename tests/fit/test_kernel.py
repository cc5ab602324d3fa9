"""The native kernel against the PyMC graph it replaces (the reference).

Table-driven: for every family and term combination the kernel claims, its log density,
gradient, pointwise log likelihood, deterministics and log prior equal PyMC's at random
points; every structure it does not implement falls back with a reason; the internal nutpie
route gives the same draws as the public ``from_pyfunc`` route; a small model's posterior
agrees with the PyMC path within Monte Carlo error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.backend import native, nutpie_model
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import (
    PRIORS,
    PRIORS_2,
    check_kernel,
    check_log_prior,
    interval_data,
    kernel_data,
)

# the names other test modules imported from here before tests/fit/kernel_check.py
_check_kernel, _data, _interval_data = check_kernel, kernel_data, interval_data


#: (formula, family, causes or None (pooled), delayed entry, priors)
CASES = [
    ("x1 + x2", "weibull", None, False, None),
    ("x1 + (1 | g)", "weibull", None, True, None),
    ("x1 + x2 + (1 | g) + (1 | h)", "weibull_ph", ["a", "b"], True, None),
    ("x1 + (1 | g)", "exponential", ["a", "b"], False, None),
    ("x2", "exponential", None, True, None),
    ("x1 + x2 + (1 | g)", "weibull", ["a", "b"], True, PRIORS),
    ("x1 + (1 | h)", "weibull", None, False, PRIORS_2),
    ("x1 + (1 | g)", "weibull_ph", None, True, {"sd": Prior("LogNormal", mu=-1.0, sigma=0.5)}),
    # the piecewise baseline (random walk of log rates): pooled, causes, entry, frailties
    ("x1 + x2", "piecewise", None, False, None),
    ("x1 + (1 | g)", "piecewise", ["a", "b"], True, None),
    ("x1 + x2 + (1 | g) + (1 | h)", "piecewise", None, True,
     {"rw_sd": Prior("HalfNormal", sigma=0.5), "intercept": Prior("Normal", mu=-1.0, sigma=2.0)}),
    # AFT families: intercept and coefficients sampled on eta/sigma, scaled in the kernel
    ("x1 + x2", "weibull_aft", None, False, None),
    ("x1 + (1 | g)", "weibull_aft", ["a", "b"], True, None),
    ("x1 + x2 + (1 | g) + (1 | h)", "lognormal", None, True, None),
    ("x1 + (1 | g)", "lognormal", ["a", "b"], False,
     {"sigma": Prior("Gamma", alpha=2.0, beta=1.5), "sd": Prior("Exponential", lam=2.0)}),
    ("x1 + x2 + (1 | g)", "loglogistic", None, True, PRIORS),
    ("x2", "loglogistic", ["a", "b"], True, PRIORS_2),
    ("1", "lognormal", None, True, {"intercept": Prior("Normal", mu=-1.0, sigma=2.0)}),
    # Gompertz: ageing sampled per unit of the baseline hazard, gamma = ageing e^intercept
    ("x1 + x2", "gompertz", None, False, None),
    ("x1 + (1 | g)", "gompertz", ["a", "b"], True, None),
    ("x2 + (1 | g) + (1 | h)", "gompertz", None, True,
     {"ageing": Prior("Normal", mu=0.2, sigma=0.3), "intercept": Prior("Normal", mu=-1.0,
                                                                       sigma=2.0)}),
]
#: family options per family of CASES
OPTIONS = {"piecewise": {"n_intervals": 5}}


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'causes' if c[2] else 'pooled'}:"
                              f"{'entry' if c[3] else 'noentry'}:{'priors' if c[4] else 'default'}"
                              for c in CASES])
def test_kernel_equals_pymc(formula, family, causes, entry, priors):
    check_kernel(formula, family, causes, entry, priors, OPTIONS.get(family, {}))


#: frailty intercepts sampled centred (u ~ Normal(0, sd)): every factor, or one of two
CENTRED_CASES = [
    ("x1 + (1 | g)", "weibull", None, True, None, {"frailty_centring": "centred"}),
    ("x1 + x2 + (1 | g) + (1 | h)", "weibull", ["a", "b"], False, PRIORS,
     {"frailty_centring": {"g": "centred"}}),
    ("x1 + (1 | g) + (1 | h)", "lognormal", None, True, None, {"frailty_centring": "centred"}),
    ("x1 + (1 | h)", "piecewise", ["a", "b"], True, None,
     {"n_intervals": 4, "frailty_centring": "centred"}),
    ("x2 + (1 | g)", "exponential", None, False, {"sd": Prior("HalfCauchy", beta=0.7)},
     {"frailty_centring": "centred"}),
    ("x1 + (1 | g)", "gompertz", None, True, None, {"frailty_centring": "centred"}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "options"),
                         CENTRED_CASES, ids=[f"{c[1]}:{c[0]}" for c in CENTRED_CASES])
def test_kernel_equals_pymc_centred_frailty(formula, family, causes, entry, priors, options):
    kplan = check_kernel(formula, family, causes, entry, priors, options)
    assert kplan.hier_groups  # the first centred factor is centred on the intercept
    if formula.count("|") > 1 and options["frailty_centring"] == "centred":
        assert kplan.centred_groups  # a second one around zero


INTERVAL_CASES = [
    ("x1 + (1 | g)", "weibull", None),
    ("x1 + x2 + (1 | g) + (1 | h)", "weibull", None),
    ("x1 + (1 | g)", "exponential", None),
    ("x1 + x2 + (1 | h)", "weibull_aft", None),
    ("x1 + (1 | g)", "lognormal", None),
    ("x2 + (1 | g)", "loglogistic", None),
    ("x1 + (1 | g)", "gompertz", None),
]


@pytest.mark.parametrize(("formula", "family", "causes"), INTERVAL_CASES,
                         ids=[f"{c[1]}:{c[0]}:{'causes' if c[2] else 'pooled'}"
                              for c in INTERVAL_CASES])
def test_kernel_equals_pymc_interval_censored(formula, family, causes):
    data = interval_data()
    assert (data.status == 2).sum() >= 5
    kplan = check_kernel(formula, family, causes, True, None, {}, data=data)
    assert kplan is not None


def test_interval_terms_match_the_family_in_both_tails():
    """log(S(l) - S(u)) of the kernel equals Family.log_interval far in either tail."""
    from coalsurv.families import get_family
    from coalsurv.families.kernels import KERNEL_FAMILIES, family_terms, interval_terms

    for name, theta in (("weibull_ph", 1.4), ("lognormal", 0.8), ("loglogistic", 2.0),
                        ("weibull_aft", 0.7), ("exponential", 0.0), ("gompertz", 0.3),
                        ("gamma", 1.7)):
        fam, code = get_family(name), KERNEL_FAMILIES[name]
        params = {fam.params[0]: theta} if fam.params else {}
        for lo, hi, eta in ((1e-6, 2e-6, 0.0), (0.5, 0.5001, 0.3), (1.0, 3.0, -1.0),
                            (40.0, 41.0, -2.0), (1.0, np.inf, 0.5)):
            log_theta = float(np.log(theta)) if theta > 0 else 0.0
            a = family_terms(code, lo, np.log(lo), eta, theta, log_theta)
            b = family_terms(code, hi, np.log(hi), eta, theta, log_theta)
            got = interval_terms(a[3], a[4], a[5], b[3], b[4], b[5])[0]
            want = float(fam.log_interval(lo, hi, eta, **params))
            np.testing.assert_allclose(got, want, rtol=1e-7, err_msg=f"{name} {lo} {hi}")


@pytest.mark.parametrize(("family", "options", "priors"),
                         [("weibull", {}, PRIORS), ("piecewise", {"n_intervals": 4}, None),
                          ("weibull", {"frailty_centring": "centred"}, PRIORS)])
def test_log_prior_equals_pymc(family, options, priors):
    model, _, info, _ = coalsurv.SurvivalModel("x1 + x2 + (1 | g)", family=family,
                                               family_options=options or None,
                                               priors=priors).build(kernel_data(entry=True))
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    check_log_prior(model, kplan)


@pytest.mark.parametrize(("why", "formula", "family", "options", "priors", "interval"), [
    ("q-prior", "x1", "gengamma", {}, {"Q": Prior("Laplace", mu=0.0, b=1.0)}, False),
    ("prior", "x1", "weibull", {}, {"beta": Prior("Laplace", mu=0.0, b=1.0)}, False),
])
def test_unimplemented_structures_fall_back(why, formula, family, options, priors, interval):
    if interval:
        df = pd.DataFrame({"time": [np.nan, 2.0, 3.0, 4.0], "lo": [1.0, np.nan, np.nan, np.nan],
                           "up": [1.5, np.nan, np.nan, np.nan], "event": [1, 0, 1, 1],
                           "x1": [0.0, 1.0, 2.0, 0.5]})
        data = coalsurv.CoalitionData.from_frame(df, duration="time", event="event", lower="lo",
                                                 upper="up", covariates=["x1"], time_unit="days")
    else:
        data = kernel_data(causes=("a",))
    model = coalsurv.SurvivalModel(formula, family=family, family_options=options or None,
                                   priors=priors)
    built, _, info, _ = model.build(data)
    kplan, reason = native.plan(built, info, options)
    assert kplan is None and reason


def test_family_options_fall_back():
    data = kernel_data(causes=("a",))
    built, _, info, _ = coalsurv.SurvivalModel("x1", family="weibull").build(data)
    assert native.plan(built, info, {"time_scale": 2.0})[0] is not None
    kplan, reason = native.plan(built, info, {"cure": True})
    assert kplan is None and "cure" in reason


def test_changed_family_formula_is_refused():
    from coalsurv.families.weibull import WeibullPH

    class Shifted(WeibullPH):
        def _log_hazard(self, t, eta, xp, *, shape):
            return super()._log_hazard(t, eta + 0.01, xp, shape=shape)

    assert native.formulas_match(WeibullPH())
    assert not native.formulas_match(Shifted())


def test_internal_nutpie_route_matches_public_route():
    """Fails when nutpie's internals change: then pin nutpie or update TESTED_NUTPIE."""
    from coalsurv.backend.nutpie_import import import_nutpie

    assert nutpie_model.native_route_available() == "", nutpie_model.native_route_available()
    nutpie = import_nutpie()
    data = kernel_data(causes=("a",), n=30)
    model, _, info, _ = coalsurv.SurvivalModel("x1 + (1 | g)", family="weibull").build(data)
    kplan, _ = native.plan(model, info, {})
    buf = native.make_buffer(kplan, model)
    draws = {}
    for route in ("native", "pyfunc"):
        compiled = nutpie_model.compile_native(kplan, buf, route=route)
        idata = nutpie.sample(compiled, draws=50, tune=50, chains=1, seed=3, progress_bar=False)
        draws[route] = idata["posterior"].to_dataset()
    for name in draws["native"].data_vars:
        np.testing.assert_allclose(draws["native"][name], draws["pyfunc"][name], rtol=1e-10)


def test_native_fit_agrees_with_pymc_and_repeats(tiny_fit, synthetic_small):
    ours = tiny_fit(synthetic_small, "breadth + (1 | group)")
    assert ours.sampler["kernel"] == "native" and ours.sampler["route"] == "native"
    theirs = tiny_fit(synthetic_small, "breadth + (1 | group)", kernel="pymc")
    record = theirs.sampler
    assert {k: record[k] for k in ("kernel", "route", "reason", "log_likelihood")} == {
        "kernel": "pymc", "route": "pymc", "reason": "kernel='pymc' was asked for",
        "log_likelihood": "float64"}
    assert record["compiled"] in ("new", "reused") and ours.sampler["compiled"] == "none"
    a, b = ours.summary().set_index("parameter"), theirs.summary().set_index("parameter")
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    for group in ("posterior", "log_likelihood", "log_prior", "constant_data", "observed_data"):
        ds_a, ds_b = ours.idata[group].to_dataset(), theirs.idata[group].to_dataset()
        assert {v: ds_a[v].dims for v in ds_a} == {v: ds_b[v].dims for v in ds_b}, group
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = coalsurv.SurvivalModel("breadth + (1 | group)", family="weibull").fit(
            synthetic_small, random_seed=1, draws=200, tune=200, chains=2, progressbar=False)
    np.testing.assert_array_equal(again.idata["posterior"]["beta"], ours.idata["posterior"]["beta"])


def test_native_piecewise_fit_agrees_with_pymc(tiny_fit, synthetic_small):
    """The piecewise baseline's native posterior equals the PyMC graph's within MC error."""
    options = {"n_intervals": 4}
    ours = tiny_fit(synthetic_small, "breadth + (1 | group)", family="piecewise",
                    family_options=options)
    assert ours.sampler["kernel"] == "native", ours.sampler
    theirs = tiny_fit(synthetic_small, "breadth + (1 | group)", family="piecewise",
                      family_options=options, kernel="pymc")
    a, b = ours.summary().set_index("parameter"), theirs.summary().set_index("parameter")
    assert any(i.startswith("log_baseline_dev") for i in a.index), list(a.index)
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    for group in ("posterior", "log_likelihood", "log_prior"):
        ds_a, ds_b = ours.idata[group].to_dataset(), theirs.idata[group].to_dataset()
        assert {v: ds_a[v].dims for v in ds_a} == {v: ds_b[v].dims for v in ds_b}, group
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pareto k of a tiny fit
        assert abs(float(ours.loo().elpd) - float(theirs.loo().elpd)) < 2.0


# each row pays a numba compile of the PyMC graph: 9.2-9.4 s quiet, 65-70 s at load ~12. The
# fast suite keeps lognormal (AFT, priors on eta/sigma) and gompertz (ageing per baseline); the
# Weibull AFT and log-logistic rows are slow: their log density, gradient, pointwise terms and
# deterministics equal the graph's exactly in the fast kernel-vs-graph rows above (CASES).
@pytest.mark.parametrize("family", [
    "lognormal", pytest.param("weibull_aft", marks=pytest.mark.slow),
    pytest.param("loglogistic", marks=pytest.mark.slow), "gompertz"])
def test_native_aft_fit_agrees_with_pymc(family, tiny_fit, synthetic_small):
    """AFT families (priors on eta/sigma) and Gompertz (ageing per baseline) sample natively.

    Their posterior equals the graph's within Monte Carlo error.
    """
    ours = tiny_fit(synthetic_small, "breadth + (1 | group)", family=family)
    assert ours.sampler["kernel"] == "native", ours.sampler
    theirs = tiny_fit(synthetic_small, "breadth + (1 | group)", family=family, kernel="pymc")
    a, b = ours.summary().set_index("parameter"), theirs.summary().set_index("parameter")
    assert list(a.index) == list(b.index)
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    for group in ("posterior", "log_likelihood", "log_prior"):
        ds_a, ds_b = ours.idata[group].to_dataset(), theirs.idata[group].to_dataset()
        assert {v: ds_a[v].dims for v in ds_a} == {v: ds_b[v].dims for v in ds_b}, group
    ratios_a, ratios_b = ours.hazard_ratios(), theirs.hazard_ratios()
    assert list(ratios_a.columns) == list(ratios_b.columns)


def test_centring_never_changes_the_posterior(tiny_fit, synthetic_small):
    """Centred and non-centred frailty: the same model, so the same posterior (MC error)."""
    fits = {c: tiny_fit(synthetic_small, "breadth + (1 | group)", family_options={
        "frailty_centring": c}) for c in ("centred", "noncentred")}
    assert fits["centred"].info.centred_groups == ("group",)
    assert fits["noncentred"].info.centred_groups == ()
    assert all(f.sampler["kernel"] == "native" for f in fits.values())
    a, b = (fits[c].summary().set_index("parameter") for c in ("centred", "noncentred"))
    assert list(a.index) == list(b.index)
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    for group in ("posterior", "log_likelihood"):
        ds_a, ds_b = (fits[c].idata[group].to_dataset() for c in ("centred", "noncentred"))
        assert set(ds_a) - {"w_group"} == set(ds_b), group  # w = intercept + u, sampled
    # log_prior holds the prior of what is sampled: w_group (centred) or z_group
    assert set(fits["centred"].idata["log_prior"].to_dataset()) - {"w_group"} == set(
        fits["noncentred"].idata["log_prior"].to_dataset()) - {"z_group"}
    effects = fits["centred"].group_effects()
    assert len(effects) == len(fits["noncentred"].group_effects())


def test_centring_auto_rule_follows_events_per_level():
    """auto: centred where every level has many events, non-centred where levels are thin."""
    from coalsurv.build.info import CENTRE_MIN_EVENTS

    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame({"duration": rng.exponential(10.0, n), "ended": "a",
                       "x1": rng.normal(size=n),
                       "big": rng.choice([f"b{i}" for i in range(10)], size=n),
                       "thin": [f"t{i}" for i in rng.integers(0, 400, size=n)]})
    data = coalsurv.CoalitionData.from_frame(df, duration="duration", event="ended",
                                             covariates=["x1"], groups=["big", "thin"],
                                             time_unit="months")
    _, _, info, _ = coalsurv.SurvivalModel("x1 + (1 | big) + (1 | thin)").build(data)
    assert 2000 / 10 >= CENTRE_MIN_EVENTS > 2000 / 400
    assert info.centred_groups == ("big",)
    forced = coalsurv.SurvivalModel("x1 + (1 | big) + (1 | thin)", family_options={
        "frailty_centring": {"big": "noncentred", "thin": "centred"}})
    assert forced.build(data)[2].centred_groups == ("thin",)
    with pytest.raises(coalsurv.SpecError, match="frailty_centring.*'nope'"):
        coalsurv.SurvivalModel("x1 + (1 | big)", family_options={
            "frailty_centring": {"nope": "centred"}}).build(data)
    with pytest.raises(coalsurv.SpecError, match="frailty_centring: expected one of"):
        coalsurv.SurvivalModel("x1 + (1 | big)", family_options={"frailty_centring": "yes"})


@pytest.mark.slow
def test_native_posterior_equals_pymc_on_coalgov(shared_data):
    """Standard model on coalgov, 4 x 1000: native and PyMC posteriors within MC error.

    Measured 76 s on 2 shared cores (most of it the PyMC path's compile).
    """
    data = coalsurv.datasets.load_coalgov(shared_data / "coalgov")
    formula = "power_hhi + n_parties + majority + ideol_heterogeneity + (1 | cname)"
    fits = {}
    for kernel_choice in ("auto", "pymc"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[kernel_choice] = coalsurv.SurvivalModel(formula, family="weibull").fit(
                data, draws=1000, tune=1000, chains=4, random_seed=5, progressbar=False,
                kernel=kernel_choice)
    assert fits["auto"].sampler["kernel"] == "native"
    a = fits["auto"].summary().set_index("parameter")
    b = fits["pymc"].summary().set_index("parameter")
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.0 * se).all(), pd.concat([a, b], axis=1)
    np.testing.assert_allclose(a["sd"], b["sd"], rtol=0.15)
    loo = {k: float(f.loo().elpd) for k, f in fits.items()}
    assert abs(loo["auto"] - loo["pymc"]) < 1.0, loo
