"""The mm() member passes of the native kernel (``kernel_members``) on their own.

``mm_weights`` and ``mm_theta`` against a plain NumPy computation of the weights and member
terms, and ``mm_grad`` against central finite differences of ``g . theta_k(x)`` (random
``g``), for every weight function (equal, share, power, logistic; ``sum_to_one`` either way),
member covariates or none, member effects non-centred, centred (``u_mm``), on the intercept
(``w_mm``, PH and AFT: the intercept's log theta term) or absent, each cause of a two-cause
model, at moderate and extreme points; coalitions of one member included. The whole-kernel
checks against the PyMC graph are test_kernel_members.py and test_kernel_fast_members.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.backend import kernel_layout as K
from coalsurv.backend import kernel_members as km
from coalsurv.backend import native


def _data(*, n=30, members=9, seed=11):
    """Two causes; coalitions of 1-4 members (several of one member), shares, a covariate."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(n)]
    rows = []
    for i, cid in enumerate(ids):
        size = 1 if i % 5 == 0 else int(rng.integers(1, 5))
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


#: (formula, family, family options); two causes each
CASES = [
    ("z + mm(x)", "weibull", {}),
    ("z + mm(x, weights='share', sum_to_one=False) + (1 | g)", "weibull", {}),
    ("z + mm(1, weights='power')", "exponential", {}),
    ("z + mm(x, weights='power', sum_to_one=False)", "weibull", {}),
    ("z + mm(x, weights='logistic')", "weibull_aft", {}),
    ("z + mm(x, weights='logistic', sum_to_one=False, random=False)", "weibull", {}),
    ("z + mm(x, weights='power', centring='centred') + (1 | g)", "weibull", {}),
    ("z + mm(x, weights='equal', centring='centred') + (1 | g)", "weibull",
     {"frailty_centring": "centred"}),
    ("z + mm(x, weights='logistic', centring='centred')", "weibull_aft", {}),
]


def _reference(buf, x, k):
    """Raw weights, weights, totals, each row's c and theta_k in NumPy."""
    start, member, share, size, X = (np.asarray(a) for a in km.mm_arrays(buf))
    n, R = start.size - 1, int(start[-1])
    share, size, X, member = share[:R], size[:R], X[:R], member[:R].astype(int)
    coal = np.repeat(np.arange(n), np.diff(start).astype(int))
    mode = int(buf[K.H_MM_WEIGHTS])
    if mode == 0:
        raw = share.copy()
    elif mode == 1:
        raw = np.exp(np.exp(x[int(buf[K.H_OFF_W1])]) * share)  # share holds log share
    else:
        q = x[int(buf[K.H_OFF_W1])] + x[int(buf[K.H_OFF_W2])] * share
        raw = 1.0 / (1.0 + (size - 1.0) * np.exp(-q))
    total = np.ones(n)
    if mode != 0 and int(buf[K.H_MM_SUM]) == 1:
        total = np.bincount(coal, raw, minlength=n)
    w = raw / total[coal]
    Q = X.shape[1]
    c = X @ x[int(buf[K.H_OFF_BMM]) + k * Q:int(buf[K.H_OFF_BMM]) + (k + 1) * Q]
    off_sd = int(buf[K.H_OFF_SDMM])
    if off_sd >= 0:
        lev = int(buf[K.H_OFF_ZMM]) + k * int(buf[K.H_MM_LEVELS]) + member
        centring = km.mm_mode(buf)
        sd = 1.0 if centring > 0 else np.exp(x[off_sd + k])
        shift = K.intercept(buf, x, k)[2] if centring == 2 else 0.0
        c = c + (sd * x[lev] - shift)
    return raw, w, total, c, np.bincount(coal, w * c, minlength=n)


def _theta(buf, x, k, R, n):
    raw, w, c = np.empty(R), np.empty(R), np.empty(R)
    total, theta = np.empty(n), np.empty(n)
    km.mm_weights(buf, x, raw, w, total)
    km.mm_theta(buf, x, k, w, c, theta)
    return raw, w, total, c, theta


@pytest.mark.parametrize(("formula", "family", "options"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[2])}" for c in CASES])
def test_member_passes_equal_numpy_and_finite_differences(formula, family, options):
    model, _, info, _ = cs.SurvivalModel(formula, family=family,
                                         family_options=options).build(_data())
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    assert kplan.mm_weights
    buf = native.make_buffer(kplan, model)
    n, R = int(buf[K.H_N]), int(buf[K.H_MM_R])
    sizes = np.diff(np.asarray(km.mm_arrays(buf)[0]))
    assert (sizes == 1).any() and (sizes > 2).any()
    rng = np.random.default_rng(3)
    for scale in (0.5, 2.5):  # moderate and extreme points (gamma up to ~e^5, wide effects)
        x = rng.normal(scale=scale, size=kplan.ndim)
        for k in range(int(buf[K.H_C])):
            got = _theta(buf, x, k, R, n)
            for a, b in zip(got, _reference(buf, x, k), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
            g = rng.normal(size=n)
            grad = np.zeros(kplan.ndim)
            km.mm_grad(buf, x, k, g, *got, grad)
            fd = np.empty(kplan.ndim)
            for j in range(kplan.ndim):
                h = 1e-6 * max(1.0, abs(x[j]))
                up, down = x.copy(), x.copy()
                up[j] += h
                down[j] -= h
                fd[j] = (g @ _theta(buf, up, k, R, n)[4] - g @ _theta(buf, down, k, R, n)[4]) \
                    / (2 * h)
            np.testing.assert_allclose(grad, fd, rtol=1e-6,
                                       atol=1e-7 * max(1.0, np.abs(fd).max()))
