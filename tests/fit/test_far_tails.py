"""Interval rows in the lower tail (``F ~ e^-800``): the generic kernel equals the graph.

Where ``F(u) = 1 - S(u)`` is below ``e^-745`` the generic kernel's ``log S`` rounds to ``-0``
and ``1 - S`` to 0: the log-normal and log-logistic interval rows were ``-inf`` and the
generalised gamma's ``nan``, while the graph's ``Family.log_interval`` takes ``log F(u) +
log1mexp(log F(l) - log F(u))`` there, finite. The kernel now takes the same form from each
family's ``log F`` (``kernels.log_cdf_terms``, ``kernels_gamma.gengamma_log_cdf``). Checked:
graph = generic kernel (value and gradient) at points that put the rows in that tail, with no
cure and either cure type; the log-normal rows against ``scipy.special.log_ndtr``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import log_ndtr

import coalsurv
from coalsurv.backend import kernel, native
from tests.fit.kernel_check import reference

#: (entry, lower, upper) interval rows, or (entry, time, None, ending), months
ROWS = [(0.0, 1.0, 3.0), (0.5, 2.0, 2.2), (0.0, 0.3, 9.0), (1.0, 4.0, 40.0),
        (0.2, 4.0, None, "a"), (0.0, 6.0, None, "censored")]
#: family -> points (eta, log shape[, Q]) that put rows' log F(upper) far below -745: the
#: intercept (scaled by the shape in these AFT families) is set to give ``eta``
POINTS = {
    "lognormal": [(18.0, np.log(0.4)), (12.0, np.log(0.25))],
    "loglogistic": [(45.0, np.log(20.0)), (30.0, np.log(30.0))],
    "gengamma": [(288.0, np.log(0.4), 1.0), (120.0, np.log(0.3), 0.4), (18.0, np.log(0.4), 0.0),
                 (5.0, np.log(0.5), -1.0)],
}


def _data():
    rows = []
    for r in ROWS:
        if r[2] is None:
            rows.append({"entry": r[0], "duration": r[1], "ended": r[3], "lo": np.nan,
                         "up": np.nan})
        else:
            rows.append({"entry": r[0], "duration": np.nan, "ended": "a", "lo": r[1],
                         "up": r[2]})
    return coalsurv.CoalitionData.from_frame(
        pd.DataFrame(rows), duration="duration", event="ended", lower="lo", upper="up",
        entry="entry", time_unit="months")


def _log_interval_normal(z_l, z_u):
    """``log(Phi(z_u) - Phi(z_l))`` in float64 from scipy's ``log_ndtr``."""
    a, b = log_ndtr(z_u), log_ndtr(z_l)
    return a + np.log(-np.expm1(b - a))


@pytest.mark.parametrize("cure", [None, "mixture", "promotion"])
@pytest.mark.parametrize("family", list(POINTS))
def test_lower_tail_interval_rows_graph_equals_generic_kernel(family, cure):
    """Every row finite; the generic kernel's value and gradient equal the graph's."""
    warnings.simplefilter("ignore")
    kwargs = {"cure": "1", "cure_type": cure} if cure else {}
    model, _, info, _ = coalsurv.SurvivalModel("1", family=family, **kwargs).build(_data())
    kplan, reason = native.plan(model, info, None)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    ref = reference(model)
    data = {d.name: d.get_value() for d in model.data_vars}
    centre = float(data["intercept_centre"][0])
    n_free = len(model.free_RVs)
    for point in POINTS[family]:
        x = np.array([1.0 - centre, *point[1:]] + ([1.5] if cure else []))
        assert kplan.ndim == len(x)
        args = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        x[0] = point[0] / float(ref(*args)[3 + n_free][0]) - centre  # eta = scale (x0 + centre)
        out = ref(*[x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks])
        np.testing.assert_allclose(out[3 + n_free], point[0], rtol=1e-12)
        rows = kernel.pointwise(buf, x[None])[0]
        assert np.all(np.isfinite(out[1 + n_free])) and np.all(np.isfinite(rows)), (x, rows)
        np.testing.assert_allclose(rows, out[1 + n_free], rtol=1e-10, atol=1e-15,
                                   err_msg=f"{x}")
        if family == "lognormal" and cure is None:  # the rows against scipy
            eta, sigma = point[0], float(out[-1][0])
            z_l, z_u = ((np.log(data[v]) - eta) / sigma for v in ("time", "time_upper"))
            boxed = data["interval_of"][0] > 0
            want = _log_interval_normal(z_l[boxed], z_u[boxed])
            assert np.min(log_ndtr(z_u[boxed])) < -745  # the regime: F(u) underflows
            entry = data["entry"][boxed]
            want -= np.where(entry > 0, log_ndtr(-(np.log(np.where(entry > 0, entry, 1.0))
                                                   - eta) / sigma), 0.0)
            np.testing.assert_allclose(rows[boxed], want, rtol=1e-12)
        grad = np.empty(kplan.ndim)
        value = kernel.logp_grad(buf, x, grad)
        grad_graph = np.concatenate([np.ravel(g) for g in out[1:1 + n_free]])
        np.testing.assert_allclose(value, out[0], rtol=1e-10, err_msg=f"{x}")
        if not np.all(np.isfinite(grad_graph)):  # the graph's incomplete gamma gradient at
            # u ~ e^-720 (Q = 1) is nan: central differences of the graph's value instead
            grad_graph, tol = np.empty(kplan.ndim), 1e-6
            for j in range(kplan.ndim):
                h = np.zeros(kplan.ndim)
                h[j] = 1e-5 * max(1.0, abs(x[j]))
                up, down = (ref(*[v[b.offset:b.offset + b.size].reshape(b.free_shape)
                                  for b in kplan.blocks])[0] for v in (x + h, x - h))
                grad_graph[j] = (up - down) / (2.0 * h[j])
        else:
            tol = 1e-7
        np.testing.assert_allclose(grad, grad_graph, rtol=tol,
                                   atol=1e-9 * np.max(np.abs(grad_graph)), err_msg=f"{x}")
