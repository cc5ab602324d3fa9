"""The native kernel against the PyMC graph for mm() member blocks (the reference).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for each weight
function (equal, share, power with ``gamma`` estimated, logistic with ``b0``, ``b1``), with and
without ``sum_to_one``, member covariates and member effects, next to frailties, causes, AFT
families, strata and shape covariates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import check_kernel


def _members_data(*, n=40, members=12, seed=3, causes=("a", "b")):
    """Coalitions of 1-4 members (unsorted rows), shares, a member covariate, delayed entry."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(n)]
    rows = []
    for cid in ids:
        chosen = rng.choice(members, size=rng.integers(1, 5), replace=False)
        share = rng.dirichlet(np.ones(chosen.size))
        rows += [{"id": cid, "member": f"m{m}", "share": s, "x": rng.normal() + 0.1 * m}
                 for m, s in zip(chosen, share, strict=True)]
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df = pd.DataFrame({"id": ids, "duration": rng.uniform(0.5, 30.0, n),
                       "ended": rng.choice([*causes, "censored"], size=n),
                       "z": rng.normal(size=n), "g": rng.choice(["u", "v", "w"], size=n)})
    df["entry"] = np.where(rng.uniform(size=n) < 0.5, 0.0, df["duration"] * 0.4)
    return cs.CoalitionData.from_frame(df, id="id", duration="duration", event="ended",
                                       entry="entry", covariates=["z"], groups=["g"],
                                       members=table, time_unit="months")


#: (formula, family, causes, priors, SurvivalModel keywords)
CASES = [
    ("z + mm(x)", "weibull", None, None, {}),
    ("z + mm(x, random=False)", "weibull", ["a", "b"], None, {}),
    ("z + mm(1, weights='share')", "exponential", None, None, {}),
    ("z + mm(x, weights='share', sum_to_one=False) + (1 | g)", "weibull", None, None, {}),
    ("z + mm(x, weights='power')", "weibull", ["a", "b"], None, {}),
    ("z + mm(x, weights='power') + (1 | g)", "lognormal", None,
     {"mm_gamma": Prior("Gamma", alpha=2.0, beta=2.0)}, {}),
    ("z + mm(x, weights='power', sum_to_one=False)", "loglogistic", None, None, {}),
    ("z + mm(x, weights='logistic')", "weibull_aft", None, None, {}),
    ("z + mm(x, weights='logistic', sum_to_one=False) + (1 | g)", "weibull", ["a", "b"],
     {"mm_b1": Prior("Normal", mu=0.5, sigma=2.0), "mm_sd": Prior("Exponential", lam=3.0)}, {}),
    ("z + mm(x, weights='power')", "gompertz", None, None, {}),
    ("z + mm(x, weights='power') + (1 | g)", "piecewise", None, None,
     {"family_options": {"n_intervals": 3}}),
    ("z + mm(x, weights='power')", "weibull", None, None, {"strata": "g"}),
    ("z + mm(x, weights='logistic')", "lognormal", None, None, {"shape": "z"}),
]


@pytest.mark.parametrize(("formula", "family", "causes", "priors", "kwargs"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[4])}" for c in CASES])
def test_kernel_equals_pymc_members(formula, family, causes, priors, kwargs):
    kwargs = dict(kwargs)
    options = kwargs.pop("family_options", {})
    kplan = check_kernel(formula, family, causes, True, priors, options,
                         data=_members_data(), model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.mm_weights


def test_members_fit_natively():
    """A tiny power-weighted mm() fit runs on the kernel; u_mm is sd_mm z_mm."""
    model = cs.SurvivalModel("z + mm(x, weights='power') + (1 | g)", family="weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(_members_data(n=80, causes=("a",)), draws=200, tune=200, chains=2,
                        random_seed=1, progressbar=False)
    assert fit.sampler["kernel"] == "native", fit.sampler
    post = fit.idata["posterior"]
    assert {"gamma", "beta_mm", "sd_mm", "z_mm", "u_mm"} <= set(post.data_vars)
    np.testing.assert_allclose(post["u_mm"], post["sd_mm"] * post["z_mm"], rtol=1e-12)
    assert np.isfinite(fit.idata["log_likelihood"]["lifespan"]).all()
    assert "gamma" in fit.idata["log_prior"]


#: member effects sampled centred and non-centred, forced, for every weight function (with
#: causes, a frailty, AFT families, sum_to_one either way): (formula, family, causes, family
#: options, the sampled levels). Centred with weights summing to one: ``w_mm`` on the
#: intercept, unless a frailty already is (then ``u_mm``); without sum_to_one: ``u_mm``.
CENTRING_CASES = [
    *[(f"z + mm(x, weights='{w}', centring='centred'{extra}) + (1 | g)", family, causes, {},
       sampled)
      for w, extra, family, causes, sampled in (
          ("equal", "", "weibull", ["a", "b"], "w_mm"),
          ("share", ", sum_to_one=False", "exponential", None, "u_mm"),
          ("power", "", "weibull", ["a", "b"], "w_mm"),
          ("logistic", "", "lognormal", None, "w_mm"),
          ("power", ", sum_to_one=False", "weibull_aft", ["a", "b"], "u_mm"))],
    ("z + mm(x, weights='power', centring='centred') + (1 | g)", "weibull", None,
     {"frailty_centring": "centred"}, "u_mm"),
    ("z + mm(x, weights='logistic', centring='centred')", "loglogistic", ["a", "b"], {},
     "w_mm"),
    ("z + mm(x, weights='power', centring='centred')", "gompertz", None, {}, "w_mm"),
    ("z + mm(x, weights='power', centring='centred')", "piecewise", None, {"n_intervals": 3},
     "w_mm"),
    # the explicit override: one row (the non-centred form is the table above's default)
    ("z + mm(x, weights='power', centring='noncentred') + (1 | g)", "weibull", None, {},
     "z_mm"),
]


@pytest.mark.parametrize(("formula", "family", "causes", "options", "sampled"), CENTRING_CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[3])}" for c in CENTRING_CASES])
def test_kernel_equals_pymc_member_centring(formula, family, causes, options, sampled):
    kplan = check_kernel(formula, family, causes, True, None, options, data=_members_data(),
                         value_atol=1e-6)
    assert {b.name for b in kplan.blocks} & {"u_mm", "z_mm", "w_mm"} == {sampled}


def test_member_kernels_state_their_fastmath_flags():
    """Every non-inlined numba function of kernel_members sets ``fastmath`` itself.

    numba compiles a callee that does not with its first caller's flags; the fast row loops
    (``fastmath={"reassoc", "contract"}``) call ``mm_weights``, ``mm_theta``, ``mm_grad``.
    """
    import numba

    from coalsurv.backend import kernel_members as km

    found = {n: f for n in dir(km) if isinstance(f := getattr(km, n), numba.core.registry
                                                 .CPUDispatcher) and f.__module__ == km.__name__}
    assert {"mm_weights", "mm_theta", "mm_grad", "mm_prior", "mm_expand"} <= set(found)
    loose = [n for n, f in found.items()
             if f.targetoptions.get("inline") != "always" and "fastmath" not in f.targetoptions]
    assert not loose, f"kernel_members functions without an explicit fastmath flag: {loose}"
