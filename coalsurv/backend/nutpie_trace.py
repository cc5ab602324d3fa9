"""nutpie's draws into a DataTree without ArviZ's per-variable DataArray alignment.

nutpie turns its arrow trace into ``posterior``, ``sample_stats`` and their ``warmup_``
groups with ``arviz.from_dict``; ArviZ builds one ``DataArray`` per variable (each with its
own indexes) and then aligns them all into a ``Dataset``: 0.1-0.3 s per fit, cold or warm,
for a few dozen variables. :func:`from_dict` builds the same groups directly (one variable per
array, each dimension's index once): the same dims, coordinates (in the same order), values
(the arrays themselves, not copies) and attributes. ArviZ's own helpers name the dims and
coordinates (:func:`arviz_base.base.generate_dims_coords`, with its convention warnings) and
make the attributes (:func:`arviz_base.make_attrs`).

It accepts exactly the calls nutpie makes (group names without ``data``, ``predictions`` or
``log_likelihood``; ``coords``, ``dims``, ``save_warmup`` and ``attrs`` of groups); any other
call goes to ``arviz_base.from_dict`` unchanged. :class:`coalsurv.backend.nutpie_import` hands
it to nutpie.
"""

from __future__ import annotations

__all__ = ["from_dict"]

_OWN = {"coords", "dims", "save_warmup", "attrs"}


def _handled(data, kwargs, sample_dims) -> bool:
    """Whether :func:`from_dict` builds this call itself (else ArviZ does).

    Not when a variable is named like a dimension other than a sample dim (xarray's merge
    decides those), nor a sample-dim variable with dims of its own.
    """
    if set(kwargs) - _OWN or not isinstance(data, dict):
        return False
    attrs, dims = kwargs.get("attrs") or {}, kwargs.get("dims") or {}
    named = {d for group in data.values() for name in group for d in dims.get(name, [])}
    clash = any(name in named or (name in sample_dims and dims.get(name))
                for group in data.values() for name in group)
    return not clash and all(
        not any(word in str(group) for word in ("data", "predictions", "log_likelihood"))
        for group in data) and all(group in data for group in attrs)


def _coords_of(coords, name, var_dims):
    """Return the coordinates ``generate_dims_coords`` can use for variable ``name``.

    It deep-copies the whole ``coords`` for every variable (a model's every coordinate, the
    rows' ids too, for each of some 40 variables: a third of the conversion) and keeps those
    of the variable's dims: its given dims and the ``{name}_dim_{k}`` it names itself.
    """
    if not coords:
        return coords
    own = f"{name}_dim_"
    return {k: v for k, v in coords.items()
            if k in var_dims or (isinstance(k, str) and k.startswith(own))}


def _dataset(group_data, *, attrs, coords, dims, sample_dims, index_origin):
    """One group: what ``arviz_base.dict_to_dataset`` returns for nutpie's arguments."""
    import xarray as xr
    from arviz_base import make_attrs
    from arviz_base.base import generate_dims_coords

    dims = dims or {}
    variables, index = {}, {}
    for name, values in group_data.items():
        if name in sample_dims:  # nutpie's "chain" and "draw" stats: the index wins (merge)
            continue
        wanted = list(dims.get(name, []))
        var_dims = [d for d in sample_dims if d not in wanted] + wanted
        var_dims, var_coords = generate_dims_coords(
            values.shape if hasattr(values, "shape") else (), var_name=name, dims=var_dims,
            coords=_coords_of(coords, name, var_dims), index_origin=index_origin,
            skip_event_dims=False, check_conventions=True)
        variables[name] = xr.Variable(var_dims, values)
        for dim in var_dims:  # first seen, as the aligned DataArrays' merge keeps them
            index.setdefault(dim, var_coords[dim])
    attrs = make_attrs(attrs=attrs, inference_library=None, sample_dims=sample_dims)
    return xr.Dataset(variables, coords=index, attrs=attrs)


def from_dict(data, **kwargs):
    """``arviz_base.from_dict`` for nutpie's call (see the module); other calls go to ArviZ."""
    import arviz_base
    from arviz_base import rcParams
    from xarray import DataTree

    sample_dims = rcParams["data.sample_dims"]
    if not _handled(data, kwargs, sample_dims):
        return arviz_base.from_dict(data, **kwargs)
    attrs = kwargs.get("attrs") or {}
    save_warmup = kwargs.get("save_warmup")
    if save_warmup is None:
        save_warmup = rcParams["data.save_warmup"]
    index_origin = rcParams["data.index_origin"]
    groups = {group: _dataset(values, attrs=attrs.get(group), coords=kwargs.get("coords"),
                              dims=kwargs.get("dims"), sample_dims=sample_dims,
                              index_origin=index_origin)
              for group, values in data.items()
              if not (save_warmup is False and "warmup" in group)}
    return DataTree.from_dict(groups)



#: nutpie versions whose raw trace :func:`sampler_trace` converts (the same arguments,
#: groups and values as nutpie's ``_extract`` were checked against these).
TESTED_NUTPIE = ("0.16.",)

#: nutpie's sampler settings whose sample-stat variables it leaves out when unset
#: (``nutpie.sample._BackgroundSampler._extract``).
_SKIPS = {
    "store_gradient": ["gradient"],
    "store_unconstrained": ["unconstrained_draw"],
    "adapt_options.mass_matrix_options.store_mass_matrix": [
        "mass_matrix_inv", "mass_matrix_eigvals", "mass_matrix_stds"],
    "store_divergences": [
        "divergence_start", "divergence_end", "divergence_momentum",
        "divergence_start_gradient"],
    "store_transformed": ["transformed_position", "transformed_gradient", "transformation_mu"],
}


def _fill_value(dtype):
    """Return nutpie's value where a chain has no draw: NaN, None or 0 (its ``np.full``)."""
    import numpy as np

    if dtype in (np.float64, np.float32):
        return np.nan
    return None if dtype == np.dtype("O") else 0


def _add_arrow_data(data, max_length, batch, chain, n_chains, dims, skip_vars, written):
    """Nutpie's ``_add_arrow_data`` with each array written once (see :func:`sampler_trace`).

    The same arrays, dtypes, values and fill values; ``written`` records the chains filled
    per variable (the others get the fill value at the end).
    """
    import numpy as np
    import pyarrow

    num_draws = batch.num_rows
    for name in batch.column_names:
        if name in skip_vars:
            continue
        col = batch.column(name)
        meta = col.field.metadata
        item_dims = meta.get(b"dims", [])
        if item_dims:
            item_dims = item_dims.decode("utf-8").split(",")
        item_shape = meta.get(b"shape", [])
        if item_shape:
            item_shape = item_shape.decode("utf-8").split(",")
        item_shape = [int(s) for s in item_shape]
        col = pyarrow.array(col)
        is_null = col.is_null() if col.null_count else None
        if hasattr(col, "flatten"):
            col = col.flatten()
        dtype = col.type.to_pandas_dtype()
        if name not in data:  # np.empty: every element is written below or at the end
            data[name] = np.empty([n_chains, max_length, *item_shape], dtype=dtype)
            dims[name] = item_dims
            written[name] = set()
        dest = data[name][chain]
        fill = _fill_value(dtype)
        if num_draws < max_length:
            dest[num_draws:] = fill
        values = col.to_numpy(zero_copy_only=False)
        if is_null is None:
            dest[:num_draws] = values.reshape((num_draws, *item_shape))
        else:  # nutpie's way: the draws that are not null, the fill value elsewhere
            is_null = is_null.to_numpy(zero_copy_only=False)
            if values.shape[0] == num_draws:
                values = values[~is_null]
            dest[:num_draws] = fill
            dest[:num_draws][~is_null] = values.reshape(((~is_null).sum(), *item_shape))
        written[name].add(chain)


def _nested(settings: dict, name: str):
    """Return nutpie's nested setting ``name`` (``a.b.c``), False when absent."""
    for part in name.split("."):
        if part not in settings:
            return False
        settings = settings[part]
    return settings


def raw_trace_ok(nutpie) -> bool:
    """Whether :func:`sampler_trace` knows this nutpie's sampler (:data:`TESTED_NUTPIE`)."""
    return getattr(nutpie, "__version__", "").startswith(TESTED_NUTPIE)


def sampler_trace(sampler, results, *, warmup_draws: bool = False):
    """Return the DataTree nutpie's ``sampler.wait()`` returns, from its raw ``results``.

    ``sampler``: the ``_BackgroundSampler`` nutpie's ``sample`` returns with ``blocking=False,
    return_raw_trace=True``, ``results`` what its ``wait()`` returned. The same groups,
    variables, dims, coordinates, values and attributes as nutpie's own ``_extract``
    (``tests/fit/test_warm_refit.py`` compares them), except:

    * each array is written once: nutpie fills every array with NaN (``np.full``) and then
      copies each chain's draws over it;
    * ``warmup_posterior`` (the tuning draws of every traced variable: as large as the
      posterior, and never stored in a fit file) only with ``warmup_draws``;
      ``warmup_sample_stats`` is kept.

    Other stores than arrow, reparameterised names and unconstrained draws go to nutpie's
    own conversion.
    """
    import json

    import pandas as pd
    from nutpie import __version__

    model = sampler._compiled_model
    if (not results.is_arrow() or getattr(model, "reparameterized_names", None)
            or sampler._store_unconstrained):
        sampler._return_raw_trace = False
        return sampler._extract(results)
    settings = sampler._settings.as_dict()
    skip_vars = [n for key, names in _SKIPS.items() if not _nested(settings["settings"], key)
                 for n in names]
    draw_batches, stat_batches = results.get_arrow_trace()
    n_chains = len(draw_batches)
    num_tuning = []
    max_tuning = max_posterior = 0
    for draw, stat in zip(draw_batches, stat_batches, strict=True):
        tuning = stat.column("tuning").to_numpy().sum()
        max_tuning = max(max_tuning, tuning)
        max_posterior = max(max_posterior, draw.num_rows - tuning)
        num_tuning.append(tuning)
    groups: dict = {"posterior": {}, "sample_stats": {}, "warmup_posterior": {},
                    "warmup_sample_stats": {}}
    dims: dict = {}
    written: dict = {}
    for i, batch in enumerate(draw_batches):  # nutpie's order: tuning, then kept, per chain
        if warmup_draws:
            _add_arrow_data(groups["warmup_posterior"], max_tuning, batch.slice(0, num_tuning[i]),
                            i, n_chains, dims, [], written.setdefault("warmup_posterior", {}))
        _add_arrow_data(groups["posterior"], max_posterior,
                        batch.slice(num_tuning[i], batch.num_rows - num_tuning[i]), i, n_chains,
                        dims, [], written.setdefault("posterior", {}))
    for i, batch in enumerate(stat_batches):
        _add_arrow_data(groups["warmup_sample_stats"], max_tuning, batch.slice(0, num_tuning[i]),
                        i, n_chains, dims, skip_vars, written.setdefault("warmup_sample_stats", {}))
        _add_arrow_data(groups["sample_stats"], max_posterior,
                        batch.slice(num_tuning[i], batch.num_rows - num_tuning[i]), i, n_chains,
                        dims, skip_vars, written.setdefault("sample_stats", {}))
    for group, names in written.items():  # a chain without this variable: the fill value
        for name, chains in names.items():
            for chain in set(range(n_chains)) - chains:
                groups[group][name][chain] = _fill_value(groups[group][name].dtype)
    if not warmup_draws:
        del groups["warmup_posterior"]
    attrs = {"inference_library": "nutpie", "inference_library_version": __version__,
             "inference_library_settings": json.dumps(settings)}
    return from_dict(groups, dims=dims,
                     coords={name: pd.Index(vals) for name, vals in model.coords.items()},
                     save_warmup=sampler._save_warmup, attrs={"sample_stats": attrs})
