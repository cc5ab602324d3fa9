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
