"""Every fast loop's buffer is read as it is written: the generic copy, then a members copy or not.

A fast buffer is ``[the loop's own section, the generic copy (from fb[1]), ...]``; only the PH
loop's family codes (:func:`coalsurv.backend.kernel_fast_base.has_member_copy`) may end with
a members copy after the generic copy, which is then read up to its own length (``H_LEN``);
every other loop's generic copy reaches the buffer's end. For one model per family code,
:func:`~coalsurv.backend.kernel_fast_base.generic_copy` and
:func:`~coalsurv.backend.kernel_fast_base.mm_buffer` split the buffer after ``fb[1]``
exactly, the generic copy's header is whole, and the members copy is there exactly for the
PH loop with ``mm()`` (the whole generic buffer). A stale ``H_LEN`` in another loop's copy (the
bug two branches met: the AFT copy's tails read as members) gives no members copy.
"""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.backend import kernel_layout as K
from coalsurv.backend import native, native_fast
from coalsurv.backend.kernel_fast_aft import AFT_CODES
from coalsurv.backend.kernel_fast_base import (
    MEMBER_COPY_CODES,
    generic_copy,
    has_member_copy,
    mm_buffer,
)
from coalsurv.backend.kernel_fast_end import END_CODES
from coalsurv.backend.kernel_fast_rp import RP_HAZARD, RP_ODDS
from coalsurv.backend.kernel_fast_tve import TVE_CODES
from tests.fit.kernel_check import interval_data, kernel_data
from tests.fit.test_kernel_fast_members import members_data

NC = {"frailty_centring": "noncentred"}
PW = "tve(x1, type='pw', df=2)"
#: (formula, family, data, family options, model options, the fast buffer's family code)
CASES = [
    ("x1 + (1 | g)", "exponential", "plain", NC, {}, 0),
    ("x1 + (1 | g)", "weibull", "plain", None, {}, 1),
    ("x1 + (1 | g)", "gompertz", "plain", NC, {}, 2),
    ("z + mm(x) + (1 | g)", "weibull", "members", NC, {}, 1),
    ("z + mm(x, weights='power')", "gompertz", "members", None, {}, 2),
    ("z + mm(1, weights='share')", "exponential", "members", None, {}, 0),
    ("x1 + (1 | g)", "rp", "plain", NC, {}, RP_HAZARD),
    ("x1 + x2", "rp", "plain", {"scale": "odds", "k": 1}, {}, RP_ODDS),
    ("x1 + (1 | g)", "weibull_aft", "plain", NC, {}, AFT_CODES),
    ("x1 + (1 | g)", "loglogistic", "plain", None, {}, AFT_CODES + 1),
    ("z + mm(x) + (1 | g)", "lognormal", "members", None, {}, AFT_CODES + 2),
    ("z + mm(x, weights='logistic')", "weibull_aft", "members", None,
     {"cure": "g", "cure_type": "promotion"}, AFT_CODES),
    ("x1 + (1 | g)", "exponential", "interval", NC, {}, END_CODES),
    ("x1 + (1 | g)", "weibull", "plain", None, {"cure": "x2"}, END_CODES + 1),
    ("x1 + (1 | g)", "gompertz", "interval", None, {"cure": "x2"}, END_CODES + 2),
    ("x1 + (1 | g)", "piecewise", "plain", {"n_intervals": 3, **NC}, {}, END_CODES + 3),
    (f"x1 + {PW} + (1 | g)", "exponential", "plain", NC, {}, TVE_CODES),
    (f"x1 + {PW} + (1 | g)", "weibull", "plain", None, {}, TVE_CODES + 1),
]
_DATA = {"plain": lambda: kernel_data(causes=("a",), entry=True),
         "interval": lambda: interval_data(causes=("a",)),
         "members": members_data}


def _fast(formula, family, data, options, kwargs):
    model, _, info, _ = coalsurv.SurvivalModel(formula, family=family, family_options=options,
                                               **kwargs).build(_DATA[data]())
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    assert native_fast.fast_reason(kplan, buf) == ""
    return kplan, buf, native_fast.fast_buffer(kplan, buf)


def test_the_member_copy_codes_are_the_ph_loops():
    codes = set(native_fast.FAST_FAMILIES.values())
    assert codes == set(range(MEMBER_COPY_CODES))
    assert all(has_member_copy(c) for c in codes)
    for code in (-1, RP_HAZARD, RP_ODDS, AFT_CODES, AFT_CODES + 2, END_CODES, END_CODES + 3,
                 TVE_CODES, TVE_CODES + 1):
        assert not has_member_copy(code), code


@pytest.mark.parametrize(("formula", "family", "data", "options", "kwargs", "code"), CASES,
                         ids=[f"{c[5]}:{c[1]}:{c[0]}:{'+'.join(c[4])}" for c in CASES])
def test_every_fast_buffer_is_read_as_written(formula, family, data, options, kwargs, code):
    kplan, buf, fb = _fast(formula, family, data, options, kwargs)
    assert int(fb[2]) == code
    assert fb[0] == fb.size
    g0 = int(fb[1])
    gen, mmb = generic_copy(fb), mm_buffer(fb)
    # the generic copy and the members copy (or nothing) split the buffer after fb[1]
    assert g0 + gen.size + mmb.size == fb.size
    np.testing.assert_array_equal(gen, fb[g0:g0 + gen.size])
    assert gen[K.H_LEN] == gen.size  # the copy is whole: its own length is what is read
    assert gen[K.H_NDIM] == kplan.ndim  # the callbacks' dimension check reads it there
    with_copy = has_member_copy(code) and bool(kplan.mm_weights)
    assert (mmb.size > 0) == with_copy
    if with_copy:  # the whole generic buffer, its rows counted; the copy leaves mm() out
        np.testing.assert_array_equal(mmb[:buf.size], buf)
        # then the members section of kernel_members_fast, whole: its own length comes first
        assert mmb.size == buf.size + int(mmb[buf.size])
        assert gen[K.H_MM_R] == 0 and gen[K.H_N] == 0
    if not has_member_copy(code):
        # a stale H_LEN in this loop's copy must not make its tail a members copy
        bad = fb.copy()
        bad[g0] = max(1.0, bad[g0] - 5.0)
        assert mm_buffer(bad).size == 0
        assert generic_copy(bad).size == fb.size - g0
