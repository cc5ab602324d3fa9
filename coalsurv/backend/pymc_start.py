"""The PyMC route's start guard: a jittered start far below the centre has its jitter halved.

nutpie starts each chain of a compiled PyMC model at PyMC's initial point (the centres of
:func:`coalsurv.backend.init.initial_points`) plus a uniform(-1, 1) jitter on the
unconstrained scale. The native route halves a jitter whose log density falls more than
:data:`~coalsurv.backend.native_buffer.START_BUDGET` nats per row and per unconstrained value
below the centre's (:func:`coalsurv.backend.native_buffer.initial_point`; a ``weibull+shape``
chain of coalgov stuck through 300 tuning steps from a start at log density -1e11).
:func:`guard_starts` gives the PyMC route (``kernel="pymc"`` and every fall-back) the same
rule, with the compiled model's own log density (its numba C callback on its current data):
same seed, same start; a start within the budget keeps its full jitter.
"""

from __future__ import annotations

import ctypes
import dataclasses

import numpy as np

__all__ = ["guard_starts", "centre_point"]


def centre_point(model) -> np.ndarray:
    """Return the undisturbed start (no jitter) on nutpie's flat unconstrained vector."""
    from pymc.initial_point import make_initial_point_fn

    from coalsurv.backend.init import initial_points

    point = make_initial_point_fn(model=model, overrides=initial_points(model), jitter_rvs=set(),
                                  return_transformed=True)(0)
    names = [model.rvs_to_values[rv].name for rv in model.free_RVs]  # nutpie's order
    return np.concatenate([np.asarray(point[n], dtype=float).ravel() for n in names])


def _log_density(compiled):
    """``x -> log p`` of a nutpie ``CompiledPyMCModel`` (-inf where it is not finite)."""
    function = compiled.compiled_logp_func.ctypes
    dim = compiled.n_dim
    as_double = ctypes.POINTER(ctypes.c_double)

    def logp(x: np.ndarray) -> float:
        x = np.ascontiguousarray(x, dtype=float)
        grad, out = np.empty(dim), np.empty(1)
        code = function(dim, x.ctypes.data_as(as_double), grad.ctypes.data_as(as_double),
                        out.ctypes.data_as(as_double), compiled.user_data.ctypes.data)
        return float(out[0]) if code == 0 and np.isfinite(out[0]) else -np.inf

    return logp


def guard_starts(compiled, model):
    """Return ``compiled`` whose initial points halve a jitter that falls too far.

    Parameters
    ----------
    compiled : nutpie CompiledPyMCModel
        The compiled graph, with the data it will sample (after ``with_data``).
    model : pymc.Model
        The model it was compiled from (its initial point is the centre).

    Returns
    -------
    nutpie CompiledPyMCModel
        A copy whose ``initial_point_func`` pulls a start whose log density is more than
        ``START_BUDGET * (rows + n_dim)`` below the centre's (or not finite) towards the
        centre, halving its jitter at most ``START_HALVINGS`` times; ``compiled`` itself
        when the centre's log density is not finite (nothing to measure against).
    """
    from coalsurv.backend.native_buffer import START_BUDGET, START_HALVINGS

    centre = centre_point(model)
    logp = _log_density(compiled)
    base = logp(centre)
    if centre.size != compiled.n_dim or not np.isfinite(base):
        return compiled
    rows = len(model.coords.get("obs", ()))
    floor = base - START_BUDGET * (rows + centre.size)
    inner = compiled.initial_point_func

    def make(seed):
        jitter = np.asarray(inner(seed), dtype=float) - centre
        for _ in range(START_HALVINGS):
            if logp(centre + jitter) >= floor:
                break
            jitter *= 0.5
        return centre + jitter

    return dataclasses.replace(compiled, initial_point_func=make)
