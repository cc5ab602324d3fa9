"""The shared kernel-vs-graph check of the native kernel's tests (the PyMC graph: reference).

:func:`check_kernel` plans and packs a model, then compares the kernel's log density,
gradient, pointwise log likelihood and every traced variable with one compiled PyTensor
function of the built model (:func:`reference`) at random points; :func:`check_log_prior`
compares each free variable's prior log density with PyMC's ``compute_log_prior``. The data
makers (:func:`kernel_frame`, :func:`kernel_data`, :func:`interval_data`) and the prior sets
are shared by ``tests/fit/test_kernel*.py``.

The fast row loops' tests (``tests/fit/test_kernel_fast*.py``) share :func:`check_fast`: the
fast loop (:func:`coalsurv.backend.kernel_fast.fast_logp_grad`, what nutpie calls) against the
generic kernel and the graph at random points, against the generic kernel at extreme points
(where both may overflow, alike), and its pointwise log likelihood against the generic
kernel's; :func:`fast_point` and :func:`fast_rows` are its two halves, with the tolerances
of :class:`FastTol`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pytensor.compile.mode import Mode

import coalsurv
from coalsurv.backend import kernel, kernel_fast, native, native_fast
from coalsurv.spec.priors import Prior

#: the reference's PyTensor mode (:func:`reference`): compile speed over run speed
REFERENCE_MODE = Mode(linker="py", optimizer=None)
#: The last reference :func:`check_kernel` tries: FAST_COMPILE's rewrites on the C linker.
C_REFERENCE_MODE = Mode(linker="cvm", optimizer="fast_compile")

__all__ = ["PRIORS", "PRIORS_2", "kernel_frame", "kernel_data", "interval_data", "reference",
           "check_kernel", "check_log_prior", "FastTol", "fast_point", "fast_rows", "check_fast"]

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


@dataclass(frozen=True)
class FastTol:
    """Tolerances of the fast loop's comparisons (:func:`fast_point`, :func:`fast_rows`).

    Against the generic kernel: ``value`` (relative), ``grad`` and ``grad_atol`` (times the
    largest generic gradient element when ``grad_scaled``). Against the graph: the value at
    relative 1e-9 and ``graph_atol``, the gradient at relative 1e-7 and ``graph_grad_atol``
    (times its largest element when ``graph_scaled``). The pointwise rows: ``rows`` relative
    and ``rows_atol`` (default ``rows``) absolute, times ``max(1, largest |row|)`` when
    ``rows_scaled``.
    """

    value: float = 1e-11
    grad: float = 1e-9
    grad_atol: float = 1e-10
    grad_scaled: bool = False
    graph_atol: float = 0.0
    graph_grad_atol: float = 1e-8
    graph_scaled: bool = False
    rows: float = 1e-12
    rows_atol: float | None = None
    rows_scaled: bool = False


def fast_point(fb, buf, x, *, tol=FastTol(), kplan=None, ref=None, overflow=False):
    """The fast loop's log density and gradient at ``x`` equal the generic kernel's (and graph's).

    ``ref`` (with ``kplan``): the graph (:func:`reference`) too. Where the generic kernel
    overflows (nutpie rejects the point) the fast loop must too: allowed only with
    ``overflow`` (extreme points), when the values must be the same (``-inf``, ``nan``).
    Returns ``(value, grad)``, or None at such a point.
    """
    grad, generic = np.empty(x.size), np.empty(x.size)
    value = kernel_fast.fast_logp_grad(fb, x, grad)
    want = kernel.logp_grad(buf, x, generic)
    finite = bool(np.isfinite(want) and np.isfinite(generic).all())
    assert finite == bool(np.isfinite(value) and np.isfinite(grad).all()), (value, want)
    if not finite:
        assert overflow, (value, want)  # only the extreme points may overflow
        if not np.isfinite(want):
            np.testing.assert_array_equal(value, want)
        return None
    np.testing.assert_allclose(value, want, rtol=tol.value)
    scale = np.abs(generic).max() if tol.grad_scaled else 1.0
    np.testing.assert_allclose(grad, generic, rtol=tol.grad, atol=tol.grad_atol * scale)
    if ref is not None:
        out = ref(*[x[b.offset:b.offset + b.size].reshape(b.free_shape) for b in kplan.blocks])
        np.testing.assert_allclose(value, out[0], rtol=1e-9, atol=tol.graph_atol)
        g = np.concatenate([np.ravel(v) for v in out[1:1 + len(kplan.blocks)]])
        scale = np.abs(g).max() if tol.graph_scaled else 1.0
        np.testing.assert_allclose(grad, g, rtol=1e-7, atol=tol.graph_grad_atol * scale)
    return value, grad


def fast_rows(fb, buf, draws, *, tol=FastTol()):
    """The fast loop's pointwise log likelihood at ``draws`` equals the generic kernel's.

    Returns the rows (one column per episode: spells are summed per episode).
    """
    draws = np.asarray(draws, dtype=float)
    want = kernel.pointwise(buf, draws)
    rows = np.full(want.shape, np.nan)
    kernel_fast.fast_pointwise_into(fb, draws, rows)
    scale = max(1.0, np.abs(want).max()) if tol.rows_scaled else 1.0
    atol = tol.rows if tol.rows_atol is None else tol.rows_atol
    np.testing.assert_allclose(rows, want, rtol=tol.rows, atol=atol * scale)
    return rows


def check_fast(model, kplan, buf, *, seed, scale=0.6, points=3, more=(), extremes=(),
               draws=3, draws_scale=None, graph=True, tol=FastTol(), each=None):
    """Check a fast loop against the generic kernel and the graph; return the fast buffer.

    A fast loop must take the plan. At ``points`` random points (``rng.normal(scale=)``,
    ``rng = default_rng(seed)``; points where the generic kernel is not finite are drawn
    again, its value checked equal, when ``extremes`` is ``"redraw"``), then the points
    ``more`` (or ``more(rng)``'s): :func:`fast_point` with the graph (:func:`reference`, or
    the compiled ``graph`` itself; none when ``graph`` is False). Then one
    point per scale in ``extremes`` (a sequence), against the generic kernel only: at least
    half of them finite. Then the pointwise rows (:func:`fast_rows`) at ``draws`` random
    draws (scale ``draws_scale``, default ``scale``), or, with ``draws=None``, at the
    checked points. ``each(x, value, grad)``: a further check at every checked point.
    """
    assert native_fast.fast_reason(kplan, buf) == ""
    fb = native_fast.fast_buffer(kplan, buf)
    ref = graph if callable(graph) else reference(model) if graph else None
    rng = np.random.default_rng(seed)
    redraw = isinstance(extremes, str)
    checked = []
    while len(checked) < points:
        x = rng.normal(scale=scale, size=kplan.ndim)
        got = fast_point(fb, buf, x, tol=tol, kplan=kplan, ref=ref, overflow=redraw)
        if got is None:
            continue
        checked.append(x)
        if each is not None:
            each(x, *got)
    for x in more(rng) if callable(more) else more:
        checked.append(np.asarray(x, dtype=float))
        got = fast_point(fb, buf, checked[-1], tol=tol, kplan=kplan, ref=ref)
        if each is not None:
            each(checked[-1], *got)
    if not redraw and len(extremes):
        finite = [fast_point(fb, buf, rng.normal(scale=s, size=kplan.ndim), tol=tol,
                             overflow=True) is not None for s in extremes]
        assert sum(finite) >= len(finite) / 2, finite
    if draws is None:
        fast_rows(fb, buf, checked, tol=tol)
    else:
        sc = scale if draws_scale is None else draws_scale
        fast_rows(fb, buf, rng.normal(scale=sc, size=(draws, kplan.ndim)), tol=tol)
    return fb
