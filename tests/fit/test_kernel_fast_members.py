"""mm() member blocks on the PH fast row loop (``backend/kernel_fast.py``) against the graph.

Every weight function (equal, share, power, logistic; ``sum_to_one`` either way), member
covariates or none, member effects sampled non-centred, centred (``u_mm``) or on the intercept
(``w_mm``) or absent, next to no frailty or one (every mode), delayed entry or none, for the
exponential, Weibull PH and Gompertz families: the fast loop gives the graph's log density and
gradient at random points, the generic kernel's (to rounding), and the generic kernel's
pointwise log likelihood; per-term and member-block priors too. rp and the AFT families keep
refusing ``mm()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.backend import native, native_fast
from coalsurv.spec.priors import Prior
from tests.fit.kernel_check import FastTol, check_fast


def members_data(*, entry=True, n=36, members=10, seed=5):
    """One cause; coalitions of 1-4 members (rows unsorted), shares, a member covariate."""
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
                       "ended": rng.choice(["a", "censored"], size=n),
                       "z": rng.normal(size=n), "g": rng.choice(["u", "v", "w"], size=n)})
    df["entry"] = np.where(rng.uniform(size=n) < 0.5, 0.0, df["duration"] * 0.4) if entry else 0.0
    return cs.CoalitionData.from_frame(df, id="id", duration="duration", event="ended",
                                       entry="entry", covariates=["z"], groups=["g"],
                                       members=table, time_unit="months")


CE, NC = {"frailty_centring": "centred"}, {"frailty_centring": "noncentred"}
#: (formula, family, delayed entry, family options)
CASES = [
    ("z + mm(x)", "weibull", True, {}),
    ("z + mm(x, random=False)", "weibull", False, {}),
    ("z + mm(1, weights='share')", "exponential", True, {}),
    ("z + mm(x, weights='share', sum_to_one=False) + (1 | g)", "weibull", True, NC),
    ("z + mm(x, weights='power') + (1 | g)", "gompertz", True, {}),
    ("z + mm(x, weights='power') + (1 | g)", "weibull", True, "priors"),
    ("z + mm(x, weights='power', sum_to_one=False)", "exponential", False, {}),
    ("z + mm(x, weights='logistic')", "weibull", True, {}),
    ("z + mm(x, weights='logistic', sum_to_one=False) + (1 | g)", "exponential", True, CE),
    ("z + mm(x, weights='power', centring='centred')", "gompertz", False, {}),
    ("z + mm(x, weights='power', centring='centred') + (1 | g)", "weibull", True, CE),
    ("z + mm(x, weights='equal', centring='centred') + (1 | g)", "weibull", True, {}),
    ("z + mm(x, weights='logistic', centring='centred')", "exponential", True, {}),
]


#: per-term and member-block priors (a prior table in the buffer: the members copy's mm_prior)
PRIORS = {"mm_gamma": Prior("Gamma", alpha=2.0, beta=2.0), "mm_sd": Prior("Exponential", lam=3.0),
          "beta[z]": Prior("Normal", mu=0.2, sigma=2.0)}


def _plan(formula, family, entry, options):
    priors = PRIORS if options == "priors" else None
    options = {} if options == "priors" else options
    model, _, info, _ = cs.SurvivalModel(formula, family=family, priors=priors,
                                         family_options=options).build(
        members_data(entry=entry))
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    return model, kplan, native.make_buffer(kplan, model)


@pytest.mark.parametrize(("formula", "family", "entry", "options"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'entry' if c[2] else 'noentry'}:{i}"
                              for i, c in enumerate(CASES)])
def test_fast_members_equal_pymc(formula, family, entry, options):
    model, kplan, buf = _plan(formula, family, entry, options)
    assert kplan.mm_weights
    # the graph sums in another order (test_kernel_members: value_atol 1e-6)
    check_fast(model, kplan, buf, seed=7, scale=0.5, tol=FastTol(graph_atol=1e-6))


@pytest.mark.parametrize("family", ["rp"])  # AFT: its own loop (test_kernel_fast_aft_cure_mm)
def test_other_fast_loops_refuse_members(family):
    _, kplan, buf = _plan("z + mm(x, weights='power')", family, False, {})
    assert "mm()" in native_fast.fast_reason(kplan, buf)
    assert native_fast.fast_buffer(kplan, buf) is None
