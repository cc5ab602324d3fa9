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
            coords=coords, index_origin=index_origin, skip_event_dims=False,
            check_conventions=True)
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
