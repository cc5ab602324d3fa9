"""The shared kernel-vs-graph check of the native kernel's tests (the PyMC graph: reference).

:func:`check_kernel` plans and packs a model, then compares the kernel's log density,
gradient, pointwise log likelihood and every traced variable with one compiled PyTensor
function of the built model (:func:`reference`) at random points; :func:`check_log_prior`
compares each free variable's prior log density with PyMC's ``compute_log_prior``. The data
makers (:func:`kernel_frame`, :func:`kernel_data`, :func:`interval_data`) and the prior sets
are shared by ``tests/fit/test_kernel*.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pytensor.compile.mode import Mode

import coalsurv
from coalsurv.backend import kernel, native
from coalsurv.spec.priors import Prior

#: the reference's PyTensor mode (:func:`reference`): compile speed over run speed
REFERENCE_MODE = Mode(linker="py", optimizer=None)
#: The last reference :func:`check_kernel` tries: FAST_COMPILE's rewrites on the C linker.
C_REFERENCE_MODE = Mode(linker="cvm", optimizer="fast_compile")

__all__ = ["PRIORS", "PRIORS_2", "kernel_frame", "kernel_data", "interval_data", "reference",
           "check_kernel", "check_log_prior"]

PRIORS = {"beta": Prior("StudentT", nu=3.0, mu=0.2, sigma=1.5),
          "intercept": Prior("Cauchy", alpha=0.5, beta=2.0),
          "shape": Prior("Gamma", alpha=2.0, beta=1.5),
          "sd": Prior("Exponential", lam=2.0)}
PRIORS_2 = {"sd": Prior("HalfCauchy", beta=0.7), "shape": Prior("LogNormal", mu=0.1, sigma=0.3),
            "intercept": Prior("Normal", mu=-1.0, sigma=2.0)}


def kernel_frame(*, n=48, seed=4, causes=("a", "b"), entry=False):
    """Episodes with two covariates (``x1``, ``x2``), two factors (``g``, ``h``), causes."""
    rng = np.random.default_rng(seed)
    event = rng.choice([*causes, "censored"], size=n)
    df = pd.DataFrame({"duration": rng.uniform(0.5, 30.0, n), "ended": event,
                       "x1": rng.normal(size=n), "x2": rng.uniform(size=n),
                       "g": rng.choice(["u", "v", "w"], size=n),
                       "h": rng.choice(["p", "q", "r", "s"], size=n)})
    if entry:
        df["entry"] = np.where(rng.uniform(size=n) < 0.5, 0.0, df["duration"] * 0.4)
    return df


def kernel_data(*, causes=("a", "b"), entry=False, seed=4, n=48):
    """:func:`kernel_frame` as :class:`coalsurv.CoalitionData`."""
    df = kernel_frame(causes=causes, entry=entry, seed=seed, n=n)
    return coalsurv.CoalitionData.from_frame(
        df, duration="duration", event="ended", covariates=["x1", "x2"], groups=["g", "h"],
        entry="entry" if entry else None, time_unit="months")


def interval_data(*, causes=("a", "b"), n=60, seed=5):
    """Exact, right- and interval-censored endings (a third of the rows), delayed entry.

    Interval-censored endings are modelled pooled (several causes jointly are refused).
    """
    rng = np.random.default_rng(seed)
    df = kernel_frame(n=n, seed=seed, causes=causes, entry=True)
    lo = df["duration"] * rng.uniform(0.5, 0.95, n)
    boxed = (rng.uniform(size=n) < 0.35) & (df["ended"] != "censored")
    boxed &= lo.to_numpy() > df["entry"].to_numpy()
    df["lo"] = np.where(boxed, lo, np.nan)
    df["up"] = np.where(boxed, df["duration"] * rng.uniform(1.05, 3.0, n), np.nan)
    df.loc[boxed, "duration"] = np.nan
    return coalsurv.CoalitionData.from_frame(
        df, duration="duration", event="ended", lower="lo", upper="up", entry="entry",
        covariates=["x1", "x2"], groups=["g", "h"], time_unit="months")


def reference(model, *, mode=None):
    """One PyTensor function: log p, gradient, pointwise lifespan, deterministics, free values.

    The free variables come last, on the constrained scale (PyMC's backward transforms).
    Compiled for compile speed, not run speed (it runs at a few points): the Python linker
    without graph rewrites (only the two PyMC adds: ``CheckParameterValue`` to -inf and the
    in-place random generators), so no C code and no Elemwise fusion (whose Python form
    refuses over 32 operands); one log density derivation gives the total and the pointwise
    terms, summed pairwise. ``mode``: another PyTensor mode (default :data:`REFERENCE_MODE`;
    :func:`check_kernel` falls back to ``"FAST_COMPILE"``). Measured side by side on the 50
    rows of tests/fit/test_kernel_slopes.py, _priors.py and _spells.py (2 shared cores, load
    2-4): the references 39.8 s (FAST_COMPILE) -> 18.1 s, the three files 58.6 -> 36.3 s.
    """
    import functools
    import operator

    import pytensor.tensor as pt
    from pymc.pytensorf import compile as compile_pymc

    values = [model.rvs_to_values[rv] for rv in model.free_RVs]
    factors = model.logp(sum=False)  # free variables (with Jacobians), observed, potentials
    logp = functools.reduce(operator.add, [pt.sum(f) for f in factors])
    grads = pt.grad(logp, values)
    pointwise = factors[len(model.free_RVs)]  # the (first) observed variable's terms
    dets = model.replace_rvs_by_values([model[d.name] for d in model.deterministics]
                                       + list(model.free_RVs))
    outputs = [logp, *grads, pointwise, *dets]
    return compile_pymc(values, outputs, mode=REFERENCE_MODE if mode is None else mode,
                        on_unused_input="ignore")


def check_kernel(formula, family, causes, entry, priors, options, *, data=None,
                 model_kwargs=None, value_atol=0.0, points=3, survival_model=None):
    """Log density, gradient, pointwise log likelihood and deterministics equal PyMC's.

    Builds ``SurvivalModel(formula, family=, causes=, priors=, family_options=options,
    **model_kwargs)`` on ``data`` (default :func:`kernel_data`), asserts the native plan
    accepts it and compares at ``points`` random points; returns the plan.
    ``value_atol``: PyMC evaluates the constant ``log sigma`` of a prior with (cause, stratum)
    dims in float32 (its parameters are float32 constants there), ~1e-8 per element.
    """
    data = kernel_data(entry=entry) if data is None else data
    if survival_model is None:  # else a SurvivalModel made elsewhere (a multi-state graph)
        survival_model = coalsurv.SurvivalModel(formula, family=family, causes=causes,
                                                priors=priors, family_options=options or None,
                                                **(model_kwargs or {}))
    model, _, info, _ = survival_model.build(data)
    kplan, reason = native.plan(model, info, options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, model)
    try:
        _compare(model, kplan, buf, reference(model), value_atol, points)
    except AssertionError:
        # the graph without rewrites evaluates a few float32 constants of PyMC's priors in
        # another order (seen once in ~200 rows: 5e-8 in one gradient element): the kernel
        # must then equal the rewritten graph (FAST_COMPILE) at the same tolerances
        try:
            _compare(model, kplan, buf, reference(model, mode="FAST_COMPILE"), value_atol,
                     points)
        except Exception:  # noqa: BLE001 - the last reference below raises if it differs too
            # FAST_COMPILE's Python linker cannot run an Add of over 32 inputs (the gamma's
            # interval rows), and the graph without stabilising rewrites can give NaN where
            # the kernel does not (gamma promotion-time cure): the same rewrites on the C
            # linker, whose math differs from NumPy's by ~1e-12
            _compare(model, kplan, buf, reference(model, mode=C_REFERENCE_MODE), value_atol,
                     points)
    return kplan


def _compare(model, kplan, buf, ref, value_atol, points):
    """:func:`check_kernel`'s comparisons at ``points`` random points against ``ref``."""
    rng = np.random.default_rng(7)
    n_free = len(model.free_RVs)
    for _ in range(points):
        x = rng.normal(scale=0.6, size=kplan.ndim)
        grad = np.empty(kplan.ndim)
        # the spline's points inside its monotone region (the bound: test_kernel_spline.py)
        while kplan.spline_knots is not None and not np.isfinite(kernel.logp_grad(buf, x, grad)):
            x = rng.normal(scale=0.6, size=kplan.ndim)
        point = [x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks]
        out = ref(*point)
        value = kernel.logp_grad(buf, x, grad)
        assert np.isfinite(value) or kplan.spline_knots is None, value
        np.testing.assert_allclose(value, out[0], rtol=1e-9, atol=value_atol)
        want_grad = np.concatenate([np.ravel(g) for g in out[1:1 + n_free]])
        np.testing.assert_allclose(grad, want_grad, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(kernel.pointwise(buf, x[None])[0], out[1 + n_free],
                                   rtol=1e-9, atol=1e-12)
        expanded = np.empty(kplan.nexp)
        kernel.expand(buf, x, expanded)
        names = [d.name for d in model.deterministics] + [rv.name for rv in model.free_RVs]
        order = [b.name for b in kplan.blocks] + [n for n, _, _ in kplan.deterministics]
        by_name = dict(zip(names, out[2 + n_free:], strict=True))
        np.testing.assert_allclose(expanded, np.concatenate([np.ravel(by_name[n])
                                                             for n in order]), rtol=1e-12)


def check_log_prior(model, kplan, *, rtol=1e-8, atol=1e-7, seed=2):
    """Each free variable's prior log density (``log_prior_group``) equals PyMC's.

    Draws 5 random values per variable (positive ones exponentiated, zero-sum ones
    recentred); returns the posterior dataset drawn.
    """
    import pymc as pm
    import xarray as xr

    rng = np.random.default_rng(seed)
    values = {}
    for b in kplan.blocks:
        draw = rng.normal(size=(1, 5, *b.shape))
        if b.zerosum:
            draw -= draw.mean(axis=-1, keepdims=True)
        values[b.name] = (("chain", "draw", *b.dims), np.exp(draw) if b.log_transformed else draw)
    posterior = xr.Dataset(values, coords={k: v for k, v in kplan.coords.items() if k != "obs"})
    ours = native.log_prior_group(kplan, posterior)
    theirs = pm.stats.compute_log_prior(xr.DataTree.from_dict({"posterior": posterior}),
                                        model=model, progressbar=False)["log_prior"]
    assert set(ours.data_vars) == set(theirs.data_vars)
    for name in ours.data_vars:
        assert ours[name].dims == theirs[name].dims, name
        # PyMC rounds a constant of one density at ~1e-8 (absolute); the kernel uses math.pi
        np.testing.assert_allclose(ours[name], theirs[name], rtol=rtol, atol=atol, err_msg=name)
    return posterior
