"""Fit files (coalsurv.fit.fitfile): what is written is read back whole, and damage is refused."""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv import FitFileError
from coalsurv.fit.fitfile import FIT_SCHEMA, read_fit


@pytest.fixture(scope="module")
def saved(tiny_fit, tmp_path_factory):
    data = coalsurv.datasets.load_synthetic().subset(np.arange(600) < 150)
    fit = tiny_fit(data, "breadth + (1 | group)", causes=["dissolution", "alliance"])
    return fit, fit.save(tmp_path_factory.mktemp("fitfile") / "fit.nc")


def test_read_fit_returns_every_record(saved):
    fit, path = saved
    parts = read_fit(path)
    assert parts["spec"] == fit.spec and parts["priors"] == fit.priors
    assert parts["resolved_priors"] == fit.resolved_priors
    assert parts["info"] == fit.info and parts["settings"] == fit.settings
    assert parts["data"] == fit.data and parts["data_hash"] == fit.data_hash
    assert parts["fit_id"] == fit.fit_id and parts["versions"] == fit.versions
    assert parts["command"] == fit.command and parts["created"] == fit.created
    for group in ("posterior", "sample_stats", "log_likelihood"):
        assert group in parts["idata"].children
    np.testing.assert_array_equal(parts["idata"]["posterior"]["beta"].values,
                                  fit.idata["posterior"]["beta"].values)


def test_loaded_fit_predicts_the_same(saved):
    fit, path = saved
    again = coalsurv.load_fit(path)
    times = [6.0, 24.0]
    a = fit.cumulative_incidence(times, fit.data.covariates.iloc[:3])
    b = again.cumulative_incidence(times, again.data.covariates.iloc[:3])
    np.testing.assert_array_equal(a[["mean", "lower", "upper"]], b[["mean", "lower", "upper"]])


def test_wrong_schema_and_suffix_are_refused(saved, tmp_path):
    import h5py

    fit, path = saved
    copy = tmp_path / "old.nc"
    copy.write_bytes(path.read_bytes())
    with h5py.File(copy, "r+") as handle:
        handle.attrs["schema"] = "coalsurv.fit/0"
    with pytest.raises(FitFileError, match=f"expected {FIT_SCHEMA!r}"):
        read_fit(copy)
    with pytest.raises(FitFileError, match="use the .nc suffix"):
        fit.save(tmp_path / "fit.pickle")


def _layout(path) -> dict:
    """Every HDF5 object of a file: dtype, shape, fill value, attributes, data (refs by name)."""
    import h5py

    def attrs(handle, obj):
        out = {}
        for key in obj.attrs:
            value = obj.attrs[key]
            if key == "REFERENCE_LIST":
                value = sorted((handle[ref].name, int(axis)) for ref, axis in value)
            elif key == "DIMENSION_LIST":
                value = [[handle[ref].name for ref in refs] for refs in value]
            elif key == "_NCProperties":
                value = str(value).split(",")[0]  # the writer's name differs, the version not
            info = obj.attrs.get_id(key)
            out[key] = (str(info.dtype) if key != "_NCProperties" else "", info.shape,
                        repr(value.tolist() if isinstance(value, np.ndarray) else value))
        return out

    layout = {}
    with h5py.File(path, "r") as handle:
        layout["/"] = attrs(handle, handle)

        def visit(name, obj):
            plist = obj.id.get_create_plist()
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                layout[name] = (str(obj.dtype), h5py.check_string_dtype(obj.dtype), obj.shape,
                                obj.chunks, repr(obj.fillvalue), plist.get_layout(),
                                plist.get_attr_creation_order(), attrs(handle, obj),
                                data.tobytes() if data.dtype.kind in "biuf" else data.tolist())
            else:
                layout[name] = (plist.get_link_creation_order(), list(obj), attrs(handle, obj))

        handle.visititems(visit)
    return layout


def _both_ways(attrs, groups, folder):
    """Write with the direct writer and with xarray; return both paths."""
    import xarray as xr

    from coalsurv.fit.fitfile import write_netcdf

    direct, reference = folder / "direct.nc", folder / "xarray.nc"
    write_netcdf(direct, attrs, groups)
    xr.DataTree.from_dict({"/": xr.Dataset(attrs=attrs),
                           **{f"/{k}": v for k, v in groups.items()}}).to_netcdf(
        reference, engine="h5netcdf")
    return direct, reference


def test_the_direct_writer_writes_the_file_xarray_writes(saved, tmp_path):
    """Object for object the same NetCDF-4 file as DataTree.to_netcdf(engine='h5netcdf')."""
    import xarray as xr

    from coalsurv.fit.fitfile import _encoded_groups, fit_groups

    fit, path = saved
    with xr.open_datatree(path, engine="h5netcdf") as tree:
        reread = {k: tree[k].to_dataset().load() for k in tree.children}  # with read encodings
    for label, groups in (("fresh", fit_groups(fit)), ("reread", reread)):
        assert _encoded_groups(groups) is not None, label  # the direct path is taken
        folder = tmp_path / label
        folder.mkdir()
        direct, reference = _both_ways({"schema": FIT_SCHEMA, "note": "text"}, groups, folder)
        ours, theirs = _layout(direct), _layout(reference)
        assert ours.keys() == theirs.keys()
        assert [k for k in ours if ours[k] != theirs[k]] == [], label
        with (xr.open_datatree(direct, engine="h5netcdf") as a,
              xr.open_datatree(reference, engine="h5netcdf") as b):
            xr.testing.assert_identical(a, b)


def test_what_the_direct_writer_does_not_cover_is_written_by_xarray(tmp_path):
    import xarray as xr

    from coalsurv.fit.fitfile import _encoded_groups

    plain = xr.Dataset({"x": (("row",), np.arange(4.0))})
    packed = plain.copy()
    packed["x"].encoding = {"zlib": True, "complevel": 4}
    others = {
        "compressed": packed,
        "non-index coordinate": plain.assign_coords(label=("row", list("abcd"))),
        "scalar": plain.assign(total=6.0),
        "complex": plain.assign(z=("row", np.arange(4) * 1j)),
    }
    assert _encoded_groups({"plain": plain}) is not None
    for label, ds in others.items():
        assert _encoded_groups({"g": ds}) is None, label
        folder = tmp_path / label.replace(" ", "_")
        folder.mkdir()
        direct, _ = _both_ways({"schema": FIT_SCHEMA}, {"g": ds}, folder)
        with xr.open_datatree(direct, engine="h5netcdf") as tree:
            xr.testing.assert_identical(tree["g"].to_dataset().load(), ds)


def test_the_direct_writer_takes_xarray_encodings_of_times_and_flags(tmp_path):
    """CF-encoded times (int64 with units) and booleans (int8 with dtype) as xarray writes them."""
    import xarray as xr

    from coalsurv.fit.fitfile import _encoded_groups

    ds = xr.Dataset({"when": (("row",), np.arange(3).astype("datetime64[D]")),
                     "flag": (("row",), np.array([True, False, True])),
                     "label": (("row",), np.array(["a", "bb", "ccc"]))},
                    coords={"row": [10, 20, 30]}, attrs={"sample_dims": [], "n": 3})
    assert _encoded_groups({"g": ds}) is not None
    direct, reference = _both_ways({"schema": FIT_SCHEMA}, {"g": ds}, tmp_path)
    assert _layout(direct) == _layout(reference)
    with xr.open_datatree(direct, engine="h5netcdf") as tree:
        xr.testing.assert_identical(tree["g"].to_dataset().load(), ds)
