"""The lean cure and interval rows of the native kernel (coalsurv.backend.kernel_ending).

``ending`` (a row's value and its terms' weights from the values alone) against the shared
formulas it replaces in the row loop (``kernel_spline.combine``, read with unit derivatives),
for every cure kind and link, exact, right- and interval-censored endings, delayed entry and
the tails; ``interval_weights`` against ``Family.log_interval`` far in either tail; the cure
patterns (distinct rows of ``Z_cure``) against the PyMC graph with a factor as the cure
covariate (a few patterns shared by many rows), for a family, the piecewise baseline and
interval rows.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coalsurv.backend.kernel_cure import cure_shares
from coalsurv.backend.kernel_ending import cure_patterns, ending, interval_weights
from coalsurv.backend.kernel_spline import combine_at
from tests.fit.kernel_check import check_kernel, interval_data, kernel_data


def _combine_weights(cure, link, lin, ev, is_int, has_entry, log_h, log_s, log_su, log_s0):
    """Value, the four weights and ``d/d lin`` by the shared ``combine`` (unit derivatives)."""
    args = (cure, link, lin, ev, is_int, has_entry)
    val, w_h, w_t, d_lin = combine_at(*args, log_h, 1.0, 0.0, log_s, 0.0, 1.0, log_su, 0.0,
                                      0.0, log_s0, 0.0, 0.0)
    _, w_u, w_0, _ = combine_at(*args, log_h, 0.0, 0.0, log_s, 0.0, 0.0, log_su, 1.0, 0.0,
                                log_s0, 0.0, 1.0)
    return val, w_h, w_t, w_u, w_0, d_lin


@pytest.mark.parametrize(("cure", "link"), [(0, 0), (1, 0), (1, 1), (1, 2), (2, 0)])
def test_ending_equals_the_shared_combination(cure, link):
    rng = np.random.default_rng(cure * 3 + link)
    for lin, (ev, is_int, has_entry) in itertools.product(
            (-4.0, -0.3, 0.0, 0.7, 5.0),
            [(1.0, False, False), (0.0, False, True), (1.0, False, True), (0.0, False, False),
             (0.0, True, False), (0.0, True, True)]):
        for log_s in (-1e-9, -0.2, -0.69, -0.7, -3.0, -40.0):
            log_su = log_s - rng.choice([1e-7, 0.01, 0.5, 4.0, np.inf])
            log_s0 = log_s + rng.uniform(0.0, -log_s) if has_entry else 0.0
            log_h = rng.normal()
            if cure == 1:
                c = cure_shares(link, lin)
            else:
                c = (np.exp(-lin), 0.0, 0.0, 0.0)
            got = ending(cure, lin, *c, ev, is_int, has_entry, log_h, log_s, log_su, log_s0)
            want = _combine_weights(cure, link, lin, ev, is_int, has_entry, log_h, log_s,
                                    log_su if is_int else 0.0, log_s0)
            if not is_int:
                want = (*want[:3], 0.0, *want[4:])
            if not np.all(np.isfinite(want)):  # S(l) - S(u) below double precision (both)
                assert not np.isfinite(got[0]) or got[0] < -30.0
                continue
            # near-equal bounds make the weights large (1e7 at log S(l) - log S(u) = 1e-7)
            # and d/d lin a difference of such terms: both forms then err by ~eps x weight
            cond = max(1.0, *np.abs(want[1:5]))
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12 * cond,
                                       err_msg=f"{lin} {ev} {is_int} {has_entry} {log_s} "
                                               f"{log_su}")


def test_interval_weights_match_the_family_in_both_tails():
    """log(S(l) - S(u)) equals Family.log_interval; the weights are d/d log S(l), log S(u)."""
    from coalsurv.families import get_family
    from coalsurv.families.kernels import KERNEL_FAMILIES, family_terms

    for name, theta in (("weibull_ph", 1.4), ("lognormal", 0.8), ("loglogistic", 2.0),
                        ("gompertz", 0.3), ("gamma", 1.7)):
        fam, code = get_family(name), KERNEL_FAMILIES[name]
        for lo, hi, eta in ((1e-6, 2e-6, 0.0), (0.5, 0.5001, 0.3), (1.0, 3.0, -1.0),
                            (40.0, 41.0, -2.0), (1.0, np.inf, 0.5)):
            a = family_terms(code, lo, np.log(lo), eta, theta, np.log(theta))
            b = family_terms(code, hi, np.log(hi), eta, theta, np.log(theta))
            val, w_l, w_u = interval_weights(a[3], b[3])
            want = float(fam.log_interval(lo, hi, eta, **{fam.params[0]: theta}))
            np.testing.assert_allclose(val, want, rtol=1e-7, err_msg=f"{name} {lo} {hi}")
            if np.isfinite(hi):  # d/d log S: S(l) / (S(l) - S(u)) and -S(u) / (...)
                np.testing.assert_allclose([w_l, w_u], [np.exp(a[3] - val),
                                                        -np.exp(b[3] - val)], rtol=1e-6)


def test_cure_patterns_are_the_distinct_rows():
    z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    count, index, rows = cure_patterns(z)
    assert count[0] == 3
    np.testing.assert_array_equal(rows.reshape(3, 2)[index.astype(int)], z)


#: (family, options, cure formula, link, cure type, interval-censored data)
PATTERN_CASES = [
    ("weibull", None, "g", "logit", "mixture", False),
    ("lognormal", None, "g + h", "probit", "mixture", True),
    ("piecewise", {"n_intervals": 3}, "h", "cloglog", "mixture", True),
    ("piecewise", {"n_intervals": 4}, "g", None, "promotion", False),
    ("loglogistic", None, "g", None, "promotion", True),
]


@pytest.mark.parametrize(("family", "options", "cure", "link", "kind", "interval"),
                         PATTERN_CASES, ids=[f"{c[0]}:cure={c[2]}:{c[3]}:{c[4]}:int={c[5]}"
                                             for c in PATTERN_CASES])
def test_kernel_equals_pymc_with_factor_cure_covariates(family, options, cure, link, kind,
                                                        interval):
    data = interval_data(causes=("a",)) if interval else kernel_data(causes=("a",), entry=True)
    kplan = check_kernel("x1 + (1 | g)", family, None, True, None, options or {}, data=data,
                         model_kwargs={"cure": cure, "cure_link": link, "cure_type": kind})
    assert kplan.cure == kind
