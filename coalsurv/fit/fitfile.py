"""Save and load fits as one NetCDF file (DataTree) with JSON attributes; no pickle.

Layout: the ArviZ groups (posterior, sample_stats, log_likelihood, observed_data,
constant_data) plus ``coalsurv_data`` (the canonical data table the model was fitted to). The
root attributes hold JSON strings:

==================  =================================================================
``schema``          ``coalsurv.fit/2``
``spec``            ModelSpec.to_dict()
``priors``          PriorSet.to_dict() as given; ``resolved_priors``: priors used
``info``            ModelInfo.to_dict() (family, causes, time scale, standardisation)
``settings``        sampler settings (draws, tune, chains, seed, target_accept)
``data_meta``       time unit, causes, censored label, group and covariate names
``data_hash``       sha256 of the canonical data (checked on load)
``fit_id``          hash of data hash + posterior values (checked on load)
``versions``        package versions; ``created``; ``command``
``digests``         JSON: one sha256 per part (each group above, each record above)
``seal``            sha256 over the part digests
==================  =================================================================

The file is written by :func:`write_netcdf`: xarray encodes each group for NetCDF-4 and h5py
writes the groups, variables, dimension scales and attributes exactly as
``DataTree.to_netcdf(engine="h5netcdf")`` would (tested object for object), without
h5netcdf's per-variable bookkeeping (about 5 ms per variable, most of a small fit's save).

:func:`read_fit` refuses a file of another schema (an older ``coalsurv.fit/1`` file has no
seal), a file whose seal or any part digest does not match (naming the parts that differ:
``spec``, ``info``, ``posterior`` ...), a truncated or unreadable file, and a file whose JSON
or data hash does not match, and
:func:`coalsurv.load_fit` one whose posterior checksum does not, with a
:class:`~coalsurv.errors.FitFileError` naming what differs. This module only (de)serialises;
:func:`coalsurv.fit.record.load_fit` assembles the :class:`~coalsurv.Fit`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv._io import atomic_write_with
from coalsurv.backend.sampling import SamplerSettings
from coalsurv.build.info import ModelInfo
from coalsurv.data.episodes import CoalitionData
from coalsurv.errors import CoalsurvError, FitFileError
from coalsurv.fit.identity import dataset_digest, record_digest, seal
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import PriorSet, prior_from_dict

__all__ = ["save_fit", "read_fit", "write_netcdf", "fit_groups", "FIT_SCHEMA"]

FIT_SCHEMA = "coalsurv.fit/2"
#: Root attributes covered by the seal (every record of the file).
RECORDS = ("spec", "priors", "resolved_priors", "info", "settings", "data_meta", "data_hash",
           "fit_id", "versions", "created", "command")
_ARVIZ_GROUPS = ("posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data")


def _clean(ds):
    """Drop object-typed variables (not representable in NetCDF) from a dataset."""
    drop = [name for name in ds.data_vars if ds.variables[name].dtype == object]
    return ds.drop_vars(drop) if drop else ds


def _frame_dataset(frame: pd.DataFrame):
    """Convert a DataFrame to a NetCDF-safe Dataset.

    Text columns become fixed strings and the dtypes are recorded.
    """
    import xarray as xr

    out = {}
    for col in frame.columns:
        values = frame[col].to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(frame[col]):
            values = frame[col].astype(str).to_numpy().astype(str)
        out[str(col)] = ("row", values)
    dtypes = json.dumps({str(c): str(t) for c, t in frame.dtypes.items()})
    return xr.Dataset(out, attrs={"dtypes": dtypes})


def _dataset_frame(ds) -> pd.DataFrame:
    """Inverse of :func:`_frame_dataset`."""
    frame = ds.to_dataframe().reset_index(drop=True)
    dtypes = json.loads(ds.attrs.get("dtypes", "{}"))
    for col, dtype in dtypes.items():
        if col in frame and dtype != "object":
            frame[col] = frame[col].astype(dtype)
    return frame


def fit_groups(fit) -> dict[str, Any]:
    """Return the groups of ``fit``'s file, name -> xarray.Dataset, in file order."""
    groups = {}
    for name in _ARVIZ_GROUPS:
        if name in fit.idata.children:
            groups[name] = _clean(fit.idata[name].to_dataset())
    groups["coalsurv_data"] = _frame_dataset(fit.data.to_frame())
    for extra in ("members", "spells"):
        table = getattr(fit.data, extra)
        if table is not None:
            groups[f"coalsurv_{extra}"] = _frame_dataset(table.reset_index(drop=True))
    return groups


def save_fit(fit, path: str | Path) -> Path:
    """Write ``fit`` to ``path`` (``.nc``) atomically."""
    if not isinstance(path, str | Path):
        raise FitFileError(f"fit file: expected a path ending in .nc, got {path!r:.60}")
    path = Path(path)
    if path.suffix != ".nc":
        raise FitFileError(f"fit file {str(path)!r}: use the .nc suffix (NetCDF)")
    groups = fit_groups(fit)
    data = fit.data
    attrs = {
        "schema": FIT_SCHEMA,
        "spec": json.dumps(fit.spec.to_dict()),
        "priors": json.dumps(fit.priors.to_dict()),
        "resolved_priors": json.dumps({k: p.to_dict() for k, p in fit.resolved_priors.items()}),
        "info": json.dumps(fit.info.to_dict()),
        "settings": json.dumps(fit.settings.to_dict()),
        "data_meta": json.dumps({
            "time_unit": data.time_unit, "causes": list(data.causes),
            "censored": data.censored_label, "group_names": list(data.group_names),
            "covariate_names": list(data.covariate_names), "name": data.name, "source": data.source,
        }),
        "data_hash": fit.data_hash,
        "fit_id": fit.fit_id,
        "versions": json.dumps(fit.versions),
        "created": fit.created,
        "command": fit.command or "",
    }
    digests = {f"group {k}": dataset_digest(v) for k, v in groups.items()}
    digests.update({f"record {k}": record_digest(attrs[k]) for k in RECORDS})
    attrs["digests"] = json.dumps(digests, sort_keys=True)
    attrs["seal"] = seal(digests)
    return atomic_write_with(path, lambda tmp: write_netcdf(tmp, attrs, groups), suffix=".nc")


def write_netcdf(path: str | Path, attrs: dict[str, Any], groups: dict[str, Any]) -> None:
    """Write root attributes and one group per dataset as a NetCDF-4 file.

    The file is the one ``DataTree.to_netcdf(engine="h5netcdf")`` writes — the same groups,
    variables, dimension scales, netCDF-4 attributes and xarray encodings (xarray encodes
    the variables) — but written with h5py directly: h5netcdf's bookkeeping costs about 5 ms
    per variable, most of a small fit's save. Anything the direct writer does not cover
    (compression or chunking encodings, non-index coordinates, scalar variables, other
    dtypes) is written by xarray itself.

    Parameters
    ----------
    path : str or Path
        The file (overwritten).
    attrs : dict
        Root attributes (text or numbers).
    groups : dict of str to xarray.Dataset
        The child groups of the root, in order.
    """
    encoded = _encoded_groups(groups) if _plain_attrs(attrs) else None
    if encoded is None:
        import xarray as xr

        tree = xr.DataTree.from_dict(
            {"/": xr.Dataset(attrs=attrs), **{f"/{k}": v for k, v in groups.items()}})
        tree.to_netcdf(path, engine="h5netcdf")
        return
    _write_h5(Path(path), attrs, encoded)


#: Encodings of a variable the direct writer leaves to xarray (compression, chunks, ...).
_STORE_ENCODINGS = ("compression", "compression_opts", "shuffle", "chunksizes", "fletcher32",
                    "zlib", "complevel", "szip", "zstd", "bzip2", "blosc", "endian",
                    "significant_digits", "quantize_mode")
_NOT_A_VARIABLE = b"This is a netCDF dimension but not a netCDF variable."


def _plain_attr(value: Any) -> bool:
    """Say whether the direct writer stores ``value`` as h5netcdf does (text, numbers)."""
    import numbers

    import numpy as np

    def number(v):
        return isinstance(v, numbers.Real | np.integer | np.floating) and not isinstance(
            v, bool | np.bool_)

    if isinstance(value, str) or number(value):
        return True
    if isinstance(value, list | tuple):
        return all(isinstance(v, str) for v in value) or all(number(v) for v in value)
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iuf"


def _plain_attrs(attrs: dict) -> bool:
    return all(isinstance(k, str) and "/" not in k and not k.startswith("_")
               and _plain_attr(v) for k, v in attrs.items())


def _encoded_groups(groups: dict[str, Any]) -> dict[str, Any] | None:
    """Encode each group as xarray does for NetCDF-4; None where the direct writer cannot.

    Returns ``{group: (attrs, {name: (variable, h5 dtype, fill value)})}``, variables in
    xarray's write order.
    """
    try:
        from xarray.backends.common import ensure_dtype_not_object
        from xarray.backends.netCDF4_ import _encode_nc4_variable
        from xarray.coding.strings import is_unicode_dtype
        from xarray.conventions import cf_encoder, encode_dataset_coordinates
    except ImportError:  # pragma: no cover - another xarray: let xarray write
        return None
    import h5py

    out = {}
    for group, ds in groups.items():
        if not isinstance(group, str) or "/" in group or not _plain_attrs(ds.attrs):
            return None
        if any(ds[c].dims != (c,) for c in ds.coords):
            return None  # a non-index coordinate: xarray writes a 'coordinates' attribute
        try:
            variables, attrs = cf_encoder(*encode_dataset_coordinates(ds))
            variables = {name: _encode_nc4_variable(ensure_dtype_not_object(var, name=name),
                                                    name=name)
                         for name, var in variables.items()}
        except (TypeError, ValueError, AttributeError):
            return None  # xarray refuses it (and says why) or encodes otherwise
        plan = {}
        for name, var in variables.items():
            enc = var.encoding
            if (not isinstance(name, str) or "/" in name or var.ndim == 0
                    or any(enc.get(k) for k in _STORE_ENCODINGS)
                    or (name in ds.dims and var.dims != (name,))):
                return None
            vattrs = dict(var.attrs)
            fill = vattrs.pop("_FillValue", None)
            if not _plain_attrs(vattrs):
                return None
            if "dtype" in enc or is_unicode_dtype(var.dtype):
                if enc.get("dtype", str) is not str or fill is not None:
                    return None
                dtype = h5py.string_dtype()
            elif var.dtype.kind in "iuf":
                dtype = var.dtype
            else:
                return None
            plan[name] = (var, vattrs, dtype, fill)
        out[group] = (attrs, plan)
    return out


def _set_attr(h5attrs, key: str, value: Any) -> None:
    """Store an attribute as h5netcdf does (numbers as one-element arrays)."""
    import numpy as np

    if np.isscalar(value) and not isinstance(value, str | bytes):
        value = np.atleast_1d(value)
    h5attrs[key] = value


def _write_h5(path: Path, attrs: dict, encoded: dict) -> None:
    """Write encoded groups in the layout of h5netcdf (see :func:`write_netcdf`)."""
    import h5py
    import numpy as np

    from coalsurv._version import __version__

    dimid = 0
    with h5py.File(path, "w", track_order=True) as handle:
        for key, value in attrs.items():
            _set_attr(handle.attrs, key, value)
        for group, (gattrs, plan) in encoded.items():
            node = handle.create_group(group, track_order=True)
            sizes: dict[str, int] = {}
            for var, *_ in plan.values():
                sizes |= dict(zip(var.dims, var.shape, strict=True))
            ids = {}
            scales = {}
            for dim, size in sizes.items():  # dimensions without a variable come first
                ids[dim], dimid = dimid, dimid + 1
                if dim not in plan:
                    scales[dim] = node.create_dataset(dim, shape=(size,), dtype=">f4",
                                                      track_order=True)
            datasets = {}
            for name, (var, _, dtype, fill) in plan.items():
                values = np.asarray(var.values)
                if dtype.kind == "O":
                    values = values.astype(object)
                datasets[name] = node.create_dataset(
                    name, shape=values.shape, dtype=dtype, data=values,
                    fillvalue=None if fill is None else np.asarray(fill, dtype=dtype),
                    track_order=True)
                if name in sizes:
                    scales[name] = datasets[name]
            for dim, scale in scales.items():
                scale.attrs["_Netcdf4Dimid"] = np.array(ids[dim], dtype=np.int32)
                if dim in plan:
                    scale.make_scale(dim)
                    scale.attrs["_Netcdf4Coordinates"] = np.array([ids[dim]], dtype=np.int32)
                else:
                    scale.make_scale(_NOT_A_VARIABLE + f"{sizes[dim]:10}".encode("ascii"))
            for name, (var, vattrs, dtype, fill) in plan.items():
                dataset = datasets[name]
                if name not in sizes:
                    for axis, dim in enumerate(var.dims):
                        dataset.dims[axis].attach_scale(scales[dim])
                    dataset.attrs["_Netcdf4Coordinates"] = np.array(
                        [ids[d] for d in var.dims], dtype=np.int32)
                    dataset.attrs["_Netcdf4Dimid"] = np.array(ids[var.dims[0]], dtype=np.int32)
                if fill is not None:
                    _set_attr(dataset.attrs, "_FillValue", np.asarray(fill, dtype=dtype)[()])
                for key, value in vattrs.items():
                    _set_attr(dataset.attrs, key, value)
            for key, value in gattrs.items():
                _set_attr(node.attrs, key, value)
        properties = (f"version=2,coalsurv={__version__},hdf5={h5py.version.hdf5_version},"
                      f"h5py={h5py.__version__}")
        handle.attrs["_NCProperties"] = np.array(
            properties, dtype=h5py.string_dtype(encoding="ascii", length=len(properties)))


def _json_attr(attrs: dict, key: str, path: Path):
    if key not in attrs:
        raise FitFileError(
            f"fit file {str(path)!r} lacks the {key!r} record; it was not written by Fit.save"
        )
    try:
        return json.loads(attrs[key])
    except (TypeError, json.JSONDecodeError):
        raise FitFileError(
            f"fit file {str(path)!r}: record {key!r} is not valid JSON (file damaged?)"
        ) from None


def _check_schema(schema: object, path: Path) -> None:
    """Refuse a file of another schema, saying whether it is older or newer."""
    if schema == FIT_SCHEMA:
        return
    name, _, version = str(schema).rpartition("/")
    ours = int(FIT_SCHEMA.rpartition("/")[2])
    if name == "coalsurv.fit" and version.isdigit():
        why = (f"it was written by an older coalsurv (schema {schema!r}: no seal over all its "
               "records); refit the model, or read it with the coalsurv that wrote it"
               if int(version) < ours else
               f"it was written by a newer coalsurv (schema {schema!r}); upgrade coalsurv")
        raise FitFileError(f"fit file {str(path)!r}: expected {FIT_SCHEMA!r}; {why}")
    raise FitFileError(f"fit file {str(path)!r} has schema {schema!r}; expected {FIT_SCHEMA!r}")


def _check_seal(tree, attrs: dict, path: Path) -> None:
    """Recompute every part digest and the seal; name the parts that differ."""
    stored = _json_attr(attrs, "digests", path)
    if not isinstance(stored, dict) or not isinstance(attrs.get("seal"), str):
        raise FitFileError(f"fit file {str(path)!r}: the seal is missing or damaged")
    now = {f"group {k}": dataset_digest(tree[k].to_dataset()) for k in tree.children}
    now.update({f"record {k}": record_digest(attrs[k]) for k in RECORDS if k in attrs})
    differ = sorted(p for p in set(stored) | set(now) if stored.get(p) != now.get(p))
    if differ:
        names = ", ".join(p.split(" ", 1)[1] + (" (missing)" if p not in now else
                                                  " (not sealed)" if p not in stored else "")
                          for p in differ)
        raise FitFileError(
            f"fit file {str(path)!r} was altered after saving: {names} "
            f"differ{'s' if len(differ) == 1 else ''} from the sealed contents",
            [f"{p}: sealed {str(stored.get(p))[:12]}, found {str(now.get(p))[:12]}"
             for p in differ])
    if seal(stored) != attrs["seal"]:
        raise FitFileError(f"fit file {str(path)!r}: the seal does not match its part digests "
                           "(the digests were edited)")


def read_fit(path: str | Path) -> dict[str, Any]:
    """Read the parts of a fit written by :func:`save_fit`, checking schema and data hash.

    Returns
    -------
    dict
        ``idata``, ``spec``, ``priors``, ``resolved_priors``, ``data``, ``info``, ``settings``,
        ``data_hash``, ``versions``, ``created``, ``fit_id``, ``command`` — the fields of a
        :class:`~coalsurv.Fit` except its design, which the caller rebuilds from the data.

    Raises
    ------
    FitFileError
        The file is missing, not a coalsurv fit, of another schema, or its data do not match
        the data hash recorded when it was saved.
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise FitFileError(f"fit file {str(path)!r} does not exist")
    try:
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            tree = tree.load()
    except Exception as exc:
        raise FitFileError(
            f"fit file {str(path)!r} is not a readable NetCDF file ({type(exc).__name__})"
        ) from None
    attrs = dict(tree.attrs)
    _check_schema(attrs.get("schema"), path)
    missing = [g for g in ("posterior", "coalsurv_data") if g not in tree.children]
    if missing:
        raise FitFileError(f"fit file {str(path)!r} lacks group(s) {missing}")
    _check_seal(tree, attrs, path)
    try:
        spec = ModelSpec.from_dict(_json_attr(attrs, "spec", path), source=f"{path} spec")
        priors = PriorSet.from_dict(_json_attr(attrs, "priors", path), source=f"{path} priors")
        resolved = {k: prior_from_dict(v, key=k)
                    for k, v in _json_attr(attrs, "resolved_priors", path).items()}
        info = ModelInfo.from_dict(_json_attr(attrs, "info", path))
        settings = SamplerSettings(**_json_attr(attrs, "settings", path))
        meta = _json_attr(attrs, "data_meta", path)
        frame = _dataset_frame(tree["coalsurv_data"].to_dataset())
        extras = {name: _dataset_frame(tree[f"coalsurv_{name}"].to_dataset())
                  for name in ("members", "spells") if f"coalsurv_{name}" in tree.children}
        data = CoalitionData.from_canonical(
            frame, time_unit=meta["time_unit"], causes=tuple(meta["causes"]),
            censored=meta["censored"], group_names=tuple(meta["group_names"]),
            covariate_names=tuple(meta["covariate_names"]), name=meta.get("name"),
            source=meta.get("source"), **extras)
    except FitFileError:
        raise
    except (CoalsurvError, KeyError, TypeError, ValueError) as exc:
        raise FitFileError(
            f"fit file {str(path)!r}: stored records are inconsistent ({exc})"
        ) from None
    recorded = attrs.get("data_hash")
    if data.data_hash() != recorded:
        raise FitFileError(
            f"fit file {str(path)!r}: the stored data do not match the recorded data hash "
            f"({str(recorded)[:12]}...); the file was altered after saving")
    idata = xr.DataTree.from_dict({f"/{k}": tree[k].to_dataset() for k in _ARVIZ_GROUPS
                                   if k in tree.children})
    return {"idata": idata, "spec": spec, "priors": priors, "resolved_priors": resolved,
            "data": data, "info": info, "settings": settings, "data_hash": recorded,
            "versions": _json_attr(attrs, "versions", path),
            "created": str(attrs.get("created", "")), "fit_id": str(attrs.get("fit_id", "")),
            "command": str(attrs.get("command", ""))}
