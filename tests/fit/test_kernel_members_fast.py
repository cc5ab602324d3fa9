"""The PH fast loop's mm() passes (``kernel_members_fast``) against ``kernel_members``.

On a members copy plus its section (``native_fast_common.mm_fast_section``, rows in a random
fast order), ``mm_fast_theta`` gives ``kernel_members``' member term of every row and
``mm_fast_grad`` its gradient (``kernel_members.mm_grad`` of the same ``d log L / d eta``),
for every weight function (equal, share, power, logistic; ``sum_to_one`` either way), member
covariates or none, member effects non-centred, centred, on the intercept or absent, each cause
of a two-cause model, at moderate and extreme points; coalitions of one member and several
mm() rows per member included. The whole fast loop against the graph:
test_kernel_fast_members.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.backend import kernel_layout as K
from coalsurv.backend import kernel_members as km
from coalsurv.backend import kernel_members_fast as kmf
from coalsurv.backend import native
from coalsurv.backend.native_fast_common import mm_copy, mm_fast_section


def _data(*, n=30, members=9, seed=4):
    """Two causes; coalitions of 1-5 members (a fifth of one member), shares, a covariate."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(n)]
    rows = []
    for i, cid in enumerate(ids):
        size = 1 if i % 5 == 0 else int(rng.integers(2, 6))
        chosen = rng.choice(members, size=size, replace=False)
        share = rng.dirichlet(np.ones(chosen.size))
        rows += [{"id": cid, "member": f"m{m}", "share": s, "x": rng.normal() + 0.1 * m}
                 for m, s in zip(chosen, share, strict=True)]
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df = pd.DataFrame({"id": ids, "duration": rng.uniform(0.5, 30.0, n),
                       "ended": rng.choice(["a", "b", "censored"], size=n),
                       "z": rng.normal(size=n), "g": rng.choice(["u", "v", "w"], size=n)})
    return cs.CoalitionData.from_frame(df, id="id", duration="duration", event="ended",
                                       covariates=["z"], groups=["g"], members=table,
                                       time_unit="months")


#: (formula, family, family options)
CASES = [
    ("z + mm(x)", "weibull", {}),
    ("z + mm(x, random=False)", "weibull", {}),
    ("z + mm(1, weights='share', sum_to_one=False) + (1 | g)", "exponential", {}),
    ("z + mm(x, weights='power')", "weibull", {}),
    ("z + mm(1, weights='power', sum_to_one=False)", "gompertz", {}),
    ("z + mm(x, weights='power', random=False)", "weibull", {}),
    ("z + mm(x, weights='logistic')", "weibull", {}),
    ("z + mm(x, weights='logistic', sum_to_one=False, random=False)", "exponential", {}),
    ("z + mm(x, weights='power', centring='centred') + (1 | g)", "weibull", {}),
    ("z + mm(x, weights='equal', centring='centred') + (1 | g)", "weibull",
     {"frailty_centring": "centred"}),
    ("z + mm(x, weights='logistic', centring='centred') + (1 | g)", "weibull",
     {"frailty_centring": "centred"}),
    ("z + mm(x, centring='centred')", "weibull", {}),  # w_mm: on the intercept
    ("z + mm(x, weights='power', centring='centred')", "gompertz", {}),
]


def _generic(buf, x, k, R, n):
    """kernel_members' arrays and theta (generic row order)."""
    raw, w, c = np.empty(R), np.empty(R), np.empty(R)
    total, theta = np.empty(n), np.empty(n)
    km.mm_weights(buf, x, raw, w, total)
    km.mm_theta(buf, x, k, w, c, theta)
    return raw, w, total, c, theta


@pytest.mark.parametrize(("formula", "family", "options"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[2])}" for c in CASES])
def test_fast_member_passes_equal_kernel_members(formula, family, options):
    model, _, info, _ = cs.SurvivalModel(formula, family=family,
                                         family_options=options).build(_data())
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    n, R = int(buf[K.H_N]), int(buf[K.H_MM_R])
    rng = np.random.default_rng(8)
    order = rng.permutation(n)  # fast row j is generic row order[j]
    mmb = np.concatenate([mm_copy(buf), mm_fast_section(buf, order.astype(float))])
    sizes = np.diff(np.asarray(km.mm_arrays(buf)[0]))
    assert (sizes == 1).any() and (sizes > 3).any()
    for scale in (0.5, 2.5):  # moderate and extreme points (gamma up to ~e^5, wide effects)
        x = rng.normal(scale=scale, size=kplan.ndim)
        for k in range(int(buf[K.H_C])):
            ref = _generic(buf, x, k, R, n)
            raw, c, tot, theta, zs = kmf.mm_fast_scratch(mmb)
            kmf.mm_fast_theta(mmb, x, k, raw, c, tot, theta, zs)
            np.testing.assert_allclose(theta, ref[4][order], rtol=1e-12,
                                       atol=1e-13 * max(1.0, np.abs(ref[4]).max()))
            g = rng.normal(size=n)
            want, got = np.zeros(kplan.ndim), np.zeros(kplan.ndim)
            km.mm_grad(buf, x, k, g, *ref, want)
            kmf.mm_fast_grad(mmb, x, k, g[order], raw, c, tot, theta, zs, got)
            np.testing.assert_allclose(got, want, rtol=1e-11,
                                       atol=1e-12 * max(1.0, np.abs(want).max()))
