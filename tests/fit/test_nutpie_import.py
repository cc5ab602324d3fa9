"""The sampling path's import shortcuts (backend/nutpie_import.py)."""

from __future__ import annotations

import subprocess
import sys

from coalsurv.backend import nutpie_import


def test_deferred_dask_answers_like_xarray():
    """Before dask.array is imported nothing is a dask array; afterwards xarray's own answer."""
    calls = []

    class Real:
        type = ("dask-type",)
        version = "1"

    def factory(name):
        calls.append(name)
        return Real()

    deferred = nutpie_import._DeferredDask(factory)
    saved = sys.modules.pop("dask.array", None)
    try:
        assert deferred.type == () and calls == []
        sys.modules["dask.array"] = object()  # imported now: ask xarray's record
        assert deferred.type == ("dask-type",) and calls == ["dask"]
        assert deferred.version == "1" and calls == ["dask"]
    finally:
        sys.modules.pop("dask.array", None)
        if saved is not None:
            sys.modules["dask.array"] = saved


def test_fresh_process_keeps_dask_out_and_still_sees_dask_arrays():
    code = (
        "import sys, numpy as np, xarray as xr\n"
        "from coalsurv.backend.nutpie_import import import_nutpie\n"
        "import_nutpie()\n"
        "xr.DataArray(np.zeros(3))\n"
        "assert 'dask.array' not in sys.modules\n"
        "import dask.array as da\n"
        "a = xr.DataArray(da.zeros(4, chunks=2))\n"
        "assert a.chunks == ((2, 2),), a.chunks\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
