"""mm(centring="rotation"): members nested in a frailty factor (build/member_rotation.py).

The kernel (the section of ``backend/plan_rotation.py`` and ``backend/kernel_rotation.py``
around the generic kernel and the fast row loops) against the graph's log density and gradient
at random points, for equal and power weights, singleton levels, PH and AFT fast loops; the
traced values against the graph's deterministics; ``"auto"`` picks the rotation on nested
members and keeps the old rule otherwise; ``"rotation"`` where members do not nest is refused.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.backend import kernel, kernel_fast, native, native_fast, nutpie_model
from coalsurv.backend.kernel_rotation import ROT_EXPAND_CFUNC, rot_back, rot_expand, rot_forward
from coalsurv.backend.plan_rotation import rotation_section
from coalsurv.errors import SpecError
from coalsurv.spec.joint import JointPrior
from tests.fit.kernel_check import reference


def nested_data(*, n=40, seed=3, per=(3, 1, 4, 2), entry=True, nested=True, causes=("a",)):
    """Coalitions whose members sit in their level of ``g`` (level v: a single member)."""
    rng = np.random.default_rng(seed)
    levels = ("u", "v", "w", "x")
    ids = [f"c{i}" for i in range(n)]
    g = np.array([levels[i % len(levels)] for i in range(n)])
    pool = {lv: [f"{lv}{j}" for j in range(k)] for lv, k in zip(levels, per, strict=True)}
    rows = []
    for i, (cid, lv) in enumerate(zip(ids, g, strict=True)):
        own = pool[lv] if nested or i % 7 else pool["u"]  # one coalition of w, x: u's members
        chosen = rng.choice(own, size=rng.integers(1, len(own) + 1), replace=False)
        share = rng.dirichlet(np.ones(chosen.size))
        rows += [{"id": cid, "member": m, "share": s, "x": rng.normal()}
                 for m, s in zip(chosen, share, strict=True)]
    df = pd.DataFrame({"id": ids, "duration": rng.uniform(0.5, 30.0, n),
                       "ended": rng.choice([*causes, "censored"], size=n),
                       "z": rng.normal(size=n),
                       "g": g})
    df["entry"] = np.where(rng.uniform(size=n) < 0.5, 0.0, df["duration"] * 0.4) if entry else 0.0
    return cs.CoalitionData.from_frame(df, id="id", duration="duration", event="ended",
                                       entry="entry", covariates=["z"], groups=["g"],
                                       members=pd.DataFrame(rows), time_unit="months")


CASES = [("z + mm(x, weights='power') + (1 | g)", "weibull"),
         ("z + mm(x) + (1 | g)", "weibull"),
         ("z + mm(1, weights='share', centring='rotation') + (1 | g)", "exponential"),
         ("z + mm(x, weights='power') + (1 | g)", "weibull_aft")]


@pytest.mark.parametrize(("formula", "family"), CASES)
def test_rotation_kernel_equals_graph(formula, family):
    model, _, info, _ = cs.SurvivalModel(formula, family=family).build(nested_data())
    assert info.members["centring"] == "rotation" and info.members["rotation_group"] == "g"
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None and kplan.rotation is not None, reason
    buf = native.make_buffer(kplan, model)
    section = rotation_section(kplan)
    assert native_fast.fast_reason(kplan, buf) == ""
    fb = native_fast.fast_buffer(kplan, buf)
    ref = reference(model)
    n_free = len(model.free_RVs)
    sizes = [int(np.prod(s)) for _, _, s in kplan.rotation.outer]
    ends = np.cumsum(sizes)
    names = [n for n, _, _ in kplan.traced]
    tsizes = [int(np.prod(s)) for _, _, s in kplan.traced]
    tends = np.cumsum(tsizes)
    data = np.concatenate([buf, section])
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.normal(scale=0.7, size=kplan.ndim)
        point = [x[e - s:e].reshape(shape) for e, s, (_, _, shape)
                 in zip(ends, sizes, kplan.rotation.outer, strict=True)]
        out = ref(*point)
        want_grad = np.concatenate([np.ravel(g) for g in out[1:1 + n_free]])
        xi, gi, grad = np.empty(x.size), np.empty(x.size), np.empty(x.size)
        rot_forward(section, x, xi)
        value = kernel.logp_grad(buf, xi, gi)
        rot_back(section, x, xi, gi, grad)
        np.testing.assert_allclose(value, out[0], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(kernel.pointwise(buf, xi[None, :])[0],  # per episode
                                   np.ravel(out[1 + n_free]), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-7, atol=1e-8)
        fgi, fgrad = np.empty(x.size), np.empty(x.size)  # the fast loop (PH or AFT)
        np.testing.assert_allclose(kernel_fast.fast_logp_grad(fb, xi, fgi), value, rtol=1e-10)
        rot_back(section, x, xi, fgi, fgrad)
        np.testing.assert_allclose(fgrad, want_grad, rtol=1e-7, atol=1e-8)
        # the C callbacks nutpie calls, on [buffer | section]
        for fast in (False, True):
            cb = nutpie_model._rotation_callback(fast)
            g2 = np.empty(x.size)
            both = np.concatenate([fb if fast else buf, section])
            np.testing.assert_allclose(nutpie_model._call_callback(cb, both, x, g2), value,
                                       rtol=1e-10)
            np.testing.assert_allclose(g2, grad, rtol=1e-9, atol=1e-10)
        # traced values: the graph's deterministics (u_g, z_g, u_mm, z_mm, ...) and free values
        inner = np.empty(kplan.nexp)
        kernel.expand(buf, xi, inner)
        traced = np.empty(kplan.ntraced)
        rot_expand(section, x, xi, inner, traced)
        got = {n: traced[e - s:e] for n, s, e in zip(names, tsizes, tends, strict=True)}
        dets = [d.name for d in model.deterministics] + [rv.name for rv in model.free_RVs]
        for name, value_ in zip(dets, out[-len(dets):], strict=True):
            np.testing.assert_allclose(got[name], np.ravel(value_), rtol=1e-9, atol=1e-10,
                                       err_msg=name)
        # a = v + u: the likelihood's member totals are the graph's
        of = kplan.rotation.of
        np.testing.assert_allclose(got["u_g"][of] + got["u_mm"],
                                   np.exp(x[kplan.block("sd_g").offset]) * xi[kplan.block(
                                       "z_g").offset:][of] + np.exp(x[kplan.block(
                                           "sd_mm").offset]) * got["z_mm"], rtol=1e-12)
        cb_expand = np.empty(kplan.ntraced)  # the expand callback on [generic buffer | section]
        ptr = ctypes.POINTER(ctypes.c_double)
        assert ROT_EXPAND_CFUNC.ctypes(x.size, traced.size, x.ctypes.data_as(ptr),
                                       cb_expand.ctypes.data_as(ptr), data.ctypes.data) == 0
        np.testing.assert_array_equal(cb_expand, traced)


def test_auto_picks_rotation_only_when_nested():
    model = cs.SurvivalModel("z + mm(x, weights='power') + (1 | g)", family="weibull")
    info = model.build(nested_data())[2]
    assert info.members["centring"] == "rotation" and not info.members["centred"]
    info = model.build(nested_data(nested=False))[2]
    assert info.members["centring"] in ("centred", "noncentred")
    assert info.members["rotation_group"] == ""
    info = cs.SurvivalModel("z + mm(x, centring='noncentred') + (1 | g)").build(nested_data())[2]
    assert info.members["centring"] == "noncentred"


@pytest.mark.parametrize(("formula", "needle"), [
    ("z + mm(x, centring='rotation') + (1 | g)", "sits in coalitions of levels"),
    ("z + mm(x, centring='rotation')", "no frailty intercept"),
    ("z + mm(x, centring='rotation', sum_to_one=False) + (1 | g)", "sum_to_one=False")])
def test_rotation_refused_where_it_cannot_hold(formula, needle):
    data = nested_data(nested=False) if "sits" in needle else nested_data()
    with pytest.raises(SpecError) as err:
        cs.SurvivalModel(formula, family="weibull").build(data)
    text = str(err.value) + " ".join(getattr(err.value, "problems", []))
    assert needle in text and "centring='rotation'" in text


def test_rotation_with_several_causes_falls_back_with_a_reason():
    """The graph rotates every cause; the kernel one: the plan says why not (PyMC path)."""
    data = nested_data(causes=("a", "b"))
    auto = cs.SurvivalModel("z + mm(x) + (1 | g)", causes=["a", "b"]).build(data)[2]
    assert auto.members["centring"] != "rotation"  # auto keeps the kernel's forms
    model, _, info, _ = cs.SurvivalModel("z + mm(x, centring='rotation') + (1 | g)",
                                         causes=["a", "b"]).build(data)
    assert info.members["centring"] == "rotation"
    assert {"zm_g", "s_g", "e_mm"} <= {v.name for v in model.free_RVs}
    kplan, reason = native.plan(model, info, {})
    assert kplan is None and "several causes" in reason


def test_auto_keeps_the_native_forms_under_a_joint_prior():
    """A joint prior: the kernel does not rotate, so "auto" keeps a form it samples natively."""
    data = nested_data()
    priors = cs.PriorSet({"beta_unit[*]": JointPrior(["z"], [0.0], [[0.25]])})
    model, _, info, _ = cs.SurvivalModel("z + mm(x) + (1 | g)", family="weibull",
                                         priors=priors).build(data)
    assert info.members["centring"] != "rotation" and info.members["rotation_group"] == ""
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
