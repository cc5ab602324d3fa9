"""Pointwise log likelihood and log prior of PyMC-path fits, compiled once per structure.

:func:`pymc.compute_log_likelihood` and :func:`pymc.compute_log_prior` compile a PyTensor
function on every call (about a second each); a warm refit — a fold, a bootstrap replicate,
a simulation-based calibration fit — would pay that every time although only the data
changed. Here the two functions are compiled once per structure key and kept with the model
they were compiled from; a refit swaps the new data into that model's shared variables (the
data containers of :func:`coalsurv.build.build_model`), exactly as the sampler's compiled
kernel does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["add_log_densities", "log_prior_group", "clear_density_cache", "density_cache_size",
           "shared_variables"]


@dataclass
class _Densities:
    """The two compiled point functions and the (untransformed) model they read data from."""

    umodel: Any
    likelihood: Any
    prior: Any
    observed: tuple[str, ...]
    free: tuple[str, ...]


_CACHE: dict[str, _Densities] = {}
_MAX_CACHE = 8


def density_cache_size() -> int:
    """Return the number of compiled log-density pairs kept in this process."""
    return len(_CACHE)


def clear_density_cache() -> None:
    """Forget every compiled log-density pair."""
    _CACHE.clear()


def shared_variables(model) -> dict[str, Any]:
    """``name -> SharedVariable`` of the model's data containers (what a refit swaps)."""
    import pytensor

    return {var.name: var for var in model.named_vars.values()
            if isinstance(var, pytensor.compile.sharedvalue.SharedVariable)}


def _compile(model) -> _Densities:
    from pymc.model.transform.conditioning import remove_value_transforms

    umodel = remove_value_transforms(model)
    observed = tuple(rv.name for rv in umodel.observed_RVs)
    free = tuple(rv.name for rv in umodel.free_RVs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        likelihood = umodel.compile_fn(inputs=umodel.value_vars,
                                       outs=umodel.logp(vars=list(umodel.observed_RVs),
                                                        sum=False),
                                       on_unused_input="ignore")
        prior = umodel.compile_fn(inputs=umodel.value_vars,
                                  outs=umodel.logp(vars=list(umodel.free_RVs), sum=False),
                                  on_unused_input="ignore")
    return _Densities(umodel, likelihood, prior, observed, free)


def _densities(model, cache_key: str | None) -> _Densities:
    entry = _CACHE.get(cache_key) if cache_key else None
    if entry is None:
        entry = _compile(model)
        if cache_key:
            if len(_CACHE) >= _MAX_CACHE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[cache_key] = entry
        return entry
    targets = shared_variables(entry.umodel)
    for name, var in shared_variables(model).items():
        if name in targets:
            targets[name].set_value(var.get_value())
    return entry


def _evaluate(fn, names, model, posterior):
    """``name -> array (chain, draw, *dims)`` of ``fn`` over every posterior draw."""
    import xarray as xr

    # the untransformed model's inputs are named and typed like the random variables
    dtypes = {rv.name: rv.type.dtype for rv in model.free_RVs}
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    values = {n: np.asarray(posterior[n].transpose("chain", "draw", ...), dtype=dtype)
              for n, dtype in dtypes.items()}
    outs: dict[str, list] = {n: [] for n in names}
    for c in range(n_chain):
        for d in range(n_draw):
            point = {n: v[c, d] for n, v in values.items()}
            for n, out in zip(names, fn(point), strict=True):
                outs[n].append(out)
    dims = {n: list(model.named_vars_to_dims.get(n, ())) for n in names}
    coords = {k: np.asarray(v) for k, v in model.coords.items() if v is not None}
    data = {}
    for n in names:
        arr = np.asarray(outs[n]).reshape(n_chain, n_draw, *np.shape(outs[n][0]))
        var_dims = dims[n][:arr.ndim - 2]  # a multivariate density drops its event dims
        if len(var_dims) < arr.ndim - 2:
            var_dims = [*var_dims, *(f"{n}_dim_{j}" for j in range(len(var_dims), arr.ndim - 2))]
        data[n] = xr.DataArray(arr, dims=["chain", "draw", *var_dims],
                               coords={"chain": posterior["chain"].values,
                                       "draw": posterior["draw"].values,
                                       **{d: coords[d] for d in var_dims if d in coords}})
    return xr.Dataset(data)


def add_log_densities(idata, model, cache_key: str | None, *, likelihood: str = "float64",
                      prior: bool = True):
    """Add the ``log_likelihood`` and ``log_prior`` groups to ``idata`` (in place).

    Parameters
    ----------
    idata : xarray.DataTree
        With a ``posterior`` group of ``model``'s free variables.
    model : pymc.Model
    cache_key : str, optional
        Structure key; the compiled functions of an earlier model with the same key are reused
        with ``model``'s data.
    likelihood : {"float64", "float32", "skipped"}
        How the pointwise log likelihood is stored (:mod:`coalsurv.backend.pointwise`).
    prior : bool
        Add the ``log_prior`` group too.

    Returns
    -------
    xarray.DataTree
    """
    from xarray import DataTree

    entry = _densities(model, cache_key)
    posterior = idata["posterior"].to_dataset()
    if likelihood != "skipped":
        idata["log_likelihood"] = DataTree(_evaluate(entry.likelihood, entry.observed, model,
                                                     posterior).astype(likelihood))
    if prior:
        idata["log_prior"] = DataTree(_evaluate(entry.prior, entry.free, model, posterior))
    return idata


def log_prior_group(idata, model):
    """``idata`` with a ``log_prior`` group added when it has none (fits saved before it)."""
    from xarray import DataTree

    if "log_prior" in getattr(idata, "children", {}):
        return idata
    entry = _compile(model)
    idata["log_prior"] = DataTree(_evaluate(entry.prior, entry.free, model,
                                            idata["posterior"].to_dataset()))
    return idata
