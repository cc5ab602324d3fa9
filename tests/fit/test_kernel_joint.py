"""The native kernel against the PyMC graph for joint and mixture priors (issue 23).

A joint prior (``beta_unit[*]``, ``beta_unit[cause:*]``: :class:`~coalsurv.spec.joint.JointPrior`
or :class:`~coalsurv.spec.mixture.JointMixture`) makes the graph sample ``beta_joint_z`` (or the
mixture's ``beta_joint``) and compute the intercept, coefficients, family parameter and frailty
SDs it carries from it (:mod:`coalsurv.build.joint_terms`); the kernel runs on the extended
vector (:mod:`coalsurv.backend.kernel_joint`). Rows of the kernel-vs-graph table
(:func:`tests.fit.kernel_check.check_kernel`): what the joint prior carries, one or several
causes (per-cause keys, separate coefficients beside it), PH, AFT (on eta itself), Gompertz
(per baseline), rp, piecewise, strata, cure, tve(), a centred frailty on a carried intercept,
interval censoring, the joint multi-state graph and separate transitions; the log prior
group against PyMC's; a tiny native fit against ``kernel="pymc"``. Measured: 17 tests in
about 120 s wall (65 s CPU) on 2 cores at load 7.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.backend import native
from coalsurv.spec.joint import JointPrior
from coalsurv.spec.mixture import JointMixture
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import check_kernel, check_log_prior, interval_data, kernel_data


def _cov(p: int, seed: int, scale: float = 0.3) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(p, p))
    return scale * (a @ a.T / p + 0.2 * np.eye(p))


def joint(terms, seed=0):
    """A multivariate normal over ``terms`` with correlations."""
    p = len(terms)
    mu = np.random.default_rng(seed + 50).normal(scale=0.4, size=p)
    return JointPrior(terms, mu.tolist(), _cov(p, seed).tolist())


def mixture(terms, seed=0, k=2):
    """A mixture of ``k`` correlated multivariate normals over ``terms``."""
    p = len(terms)
    rng = np.random.default_rng(seed + 90)
    w = rng.uniform(0.5, 1.5, size=k)
    return JointMixture(terms, (w / w.sum()).tolist(),
                        [rng.normal(scale=0.5, size=p).tolist() for _ in range(k)],
                        [_cov(p, seed + j, 0.2 + 0.2 * j).tolist() for j in range(k)])


ALL = ["(intercept)", "log(shape)", "log(sd[g])", "x1", "x2"]
N = Prior("Normal", mu=0.1, sigma=1.5)
#: (formula, family, causes, entry, priors, family options, model kwargs, carried)
CASES = [
    ("x1 + x2 + (1 | g)", "weibull", None, True, {"beta_unit[*]": joint(ALL)}, {}, {},
     ("intercept", "beta", "shape", "sd_g")),
    ("x1 + x2 + (1 | g)", "weibull", None, True, {"beta_unit[*]": mixture(ALL)}, {}, {},
     ("intercept", "beta", "shape", "sd_g")),
    ("x1 + x2 + (1 | h)", "weibull", ["a", "b"], False,
     {"beta_unit[*]": joint(["(intercept)", "log(shape)", "x1", "x2"], 1)},
     {"frailty_centring": "centred"}, {}, ("intercept", "beta", "shape")),
    ("x1 + x2 + (1 | g)", "weibull", ["a", "b"], True,
     {"beta_unit[a:*]": mixture(["log(shape)", "x1"], 2), "beta[a:x2]": N}, {}, {},
     ("beta",)),
    ("x1 + x2 + (1 | g)", "weibull_aft", None, True,
     {"beta_unit[*]": joint(["log(shape)", "log(sd[g])", "x1", "x2"], 3)}, {}, {},
     ("beta", "shape", "sd_g")),
    ("x1 + x2", "lognormal", ["a", "b"], False,
     {"beta_unit[*]": mixture(["(intercept)", "log(sigma)", "x1", "x2"], 4, k=3)}, {}, {},
     ("intercept", "beta", "sigma")),
    ("x1 + x2 + (1 | g)", "gompertz", None, True,
     {"beta_unit[*]": joint(["(ageing)", "x1", "x2"], 5)}, {}, {}, ("beta", "ageing")),
    ("x1 + (1 | g)", "rp", ["a", "b"], True,
     {"beta_unit[*]": joint(["log(rp_slope)", "log(sd[g])", "x1"], 6)}, {}, {},
     ("beta", "rp_slope", "sd_g")),
    ("x1 + (1 | g)", "piecewise", None, True,
     {"beta_unit[*]": joint(["log(sd[g])", "x1"], 7)}, {"n_intervals": 3}, {},
     ("beta", "sd_g")),
    ("x1 + (1 | h)", "weibull", ["a", "b"], True,
     {"beta_unit[*]": joint(["log(shape)", "log(sd[h])", "x1"], 8)}, {},
     {"strata": "g", "strata_parts": ("level",)}, ("beta", "shape", "sd_h")),
    ("x1 + x2 + (1 | g)", "weibull", None, True,
     {"beta_unit[*]": mixture(["(intercept)", "log(shape)", "x1", "x2"], 12)}, {},
     {"cure": "x2", "cure_link": "probit"}, ("intercept", "beta", "shape")),
    ("x1 + x2 + tve(x1)", "weibull", ["a", "b"], True,
     {"beta_unit[*]": joint(["log(shape)", "x1", "x2"], 13)}, {}, {}, ("beta", "shape")),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "priors", "options", "kwargs",
                          "carried"), CASES,
                         ids=[f"{c[1]}:{sorted(c[4])}:{type(next(iter(c[4].values()))).__name__}"
                              f":{len(c[2] or [1])}" for c in CASES])
def test_kernel_equals_pymc_joint_priors(formula, family, causes, entry, priors, options, kwargs,
                                         carried):
    kplan = check_kernel(formula, family, causes, entry, coalsurv.PriorSet(priors), options,
                         model_kwargs=kwargs)
    assert tuple(b.name for b in kplan.ext_blocks) == carried
    assert kplan.joint is not None


def test_kernel_equals_pymc_joint_prior_interval_censored():
    """Interval-censored endings (pooled) with a mixture carrying the intercept."""
    priors = coalsurv.PriorSet({"beta_unit[*]": mixture(["(intercept)", "log(shape)", "x1",
                                                         "x2"], 9)})
    check_kernel("x1 + x2 + (1 | g)", "weibull", None, True, priors, {},
                 data=interval_data(causes=("a",)))


def _transitions():
    """Histories coalition -> alliance -> dissolution (60 coalitions, one covariate)."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(60):
        x = rng.normal()
        t1 = rng.exponential(8.0)
        to = rng.choice(["alliance", "dissolution", "censored"])
        rows.append((i, "coalition", 0.0, t1, to, x))
        if to == "alliance":
            rows.append((i, "alliance", t1, t1 + rng.exponential(6.0), "dissolution", x))
    return coalsurv.TransitionData.from_frame(
        pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "x"]), id="id",
        state="state", start="start", stop="stop", to="to", covariates=["x"],
        time_unit="months")


A, D, AD = "coalition -> alliance", "coalition -> dissolution", "alliance -> dissolution"


def test_kernel_equals_pymc_joint_prior_multistate_graph():
    """The joint multi-state graph (shared effects, one stacked cause) with a joint prior."""
    data = _transitions()
    a, d, ad = A, D, AD
    ms = coalsurv.MultiStateModel({a: "x", d: "x", ad: "x"}, family="weibull",
                                  shared={"x": [a, ad]})
    model, stacked = ms.joint_survival_model(data)
    terms = list(model.build(stacked)[2].terms)
    model.priors = model.priors.with_priors(**{"beta_unit[*]": joint(terms, 10)})
    kplan = check_kernel(None, None, None, True, None, dict(model.spec.family_options),
                         data=stacked, survival_model=model)
    assert [b.name for b in kplan.ext_blocks] == ["beta"]


def test_kernel_equals_pymc_joint_priors_per_transition():
    """Separate transition models, each with its own joint prior (per transition key)."""
    data = _transitions()
    priors = {A: coalsurv.PriorSet({"beta_unit[*]": joint(["log(shape)", "x"], 14)}),
              D: coalsurv.PriorSet({"beta_unit[*]": mixture(["(intercept)", "x"], 15)}),
              AD: coalsurv.PriorSet({"beta_unit[*]": joint(["x"], 16)})}
    ms = coalsurv.MultiStateModel({A: "x", D: "x", AD: "x"}, family="weibull", priors=priors)
    episodes = ms.episodes(data)
    carried = {A: ["beta", "shape"], D: ["intercept", "beta"], AD: ["beta"]}
    for key, model in ms.models.items():
        kplan = check_kernel(None, None, None, True, None, dict(model.spec.family_options),
                             data=episodes[key], survival_model=model, points=2)
        assert [b.name for b in kplan.ext_blocks] == carried[key], key


def test_log_prior_of_joint_and_mixture_blocks_equals_pymc():
    for prior in (joint(ALL), mixture(ALL)):
        model, _, info, _ = coalsurv.SurvivalModel(
            "x1 + x2 + (1 | g)", family="weibull",
            priors=coalsurv.PriorSet({"beta_unit[*]": prior})).build(kernel_data(causes=("a",)))
        kplan, reason = native.plan(model, info, {})
        assert kplan is not None, reason
        check_log_prior(model, kplan)


# slow: a numba compile of the PyMC graph (11.8 s quiet, 67 s at load ~12); the joint prior's
# log density, gradient and log prior equal the graph's exactly in the fast rows above, and
# tests/spec/test_joint_prior.py fits one natively in the fast suite
@pytest.mark.slow
def test_joint_prior_fits_natively_and_agrees_with_pymc():
    """A tiny fit with a carried joint prior: native and the PyMC graph agree."""
    prior = joint(["(intercept)", "log(shape)", "x1", "x2"], 11)
    model = coalsurv.SurvivalModel("x1 + x2", family="weibull",
                                   priors=coalsurv.PriorSet({"beta_unit[*]": prior}))
    data = kernel_data(causes=("a",), n=120)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kernel in ("auto", "pymc"):
            fits[kernel] = model.fit(data, draws=300, tune=300, chains=2, random_seed=1,
                                     progressbar=False, kernel=kernel)
    assert fits["auto"].sampler["kernel"] == "native", fits["auto"].sampler
    assert fits["pymc"].sampler["kernel"] == "pymc"
    for name in ("intercept", "beta", "shape"):
        a = np.asarray(fits["auto"].idata["posterior"][name])
        b = np.asarray(fits["pymc"].idata["posterior"][name])
        sd = np.sqrt((a.std(axis=(0, 1)) ** 2 + b.std(axis=(0, 1)) ** 2) / 2)
        # two independent runs of 600 draws: the means agree to a few Monte Carlo errors
        assert np.all(np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1))) < 0.35 * sd), name
