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


def _run_fresh(code: str) -> None:
    """Run ``code`` in a fresh interpreter; it must exit 0 having printed ``ok``."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


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
    _run_fresh(code)


def test_dask_collection_shortcut_asks_dask_only_for_dask_graphs():
    """No __dask_graph__ (or a class): False without dask; otherwise dask's own answer."""
    asked = []

    def real(x):
        asked.append(x)
        return True

    check = nutpie_import._no_dask_graph(real)

    class Graph:
        def __dask_graph__(self):
            return {}

    assert check(object()) is False and check(Graph) is False and asked == []
    graph = Graph()
    assert check(graph) is True and asked == [graph]


def test_fresh_process_arviz_base_without_stack_source_and_dask_base():
    """arviz_base imports with inspect.stack restored after it, the lazy jax error still
    names its caller, and building indexed DataArrays does not import dask.base.
    """
    code = (
        "import inspect, sys, numpy as np, pandas as pd, xarray as xr\n"
        "real = inspect.stack\n"
        "from coalsurv.backend.nutpie_import import import_arviz_base, import_nutpie\n"
        "import_nutpie()\n"
        "assert import_arviz_base() is sys.modules['arviz_base']\n"
        "assert inspect.stack is real\n"
        "xr.DataArray(np.zeros((2, 3)), coords={'x': pd.Index([1, 2])}, dims=('x', 'y'))\n"
        "assert 'dask.base' not in sys.modules\n"
        "import arviz_base.io_numpyro as m\n"
        "if type(m.jax).__name__ == 'DelayedImportErrorModule':\n"
        "    try:\n"
        "        m.jax.numpy\n"
        "    except ModuleNotFoundError as e:\n"
        "        assert 'io_numpyro.py, line' in str(e), str(e)\n"
        "import dask.array as da\n"
        "a = xr.DataArray(da.zeros(4, chunks=2), coords={'z': np.arange(4)}, dims='z')\n"
        "assert a.chunks == ((2, 2),), a.chunks\n"
        "print('ok')\n")
    _run_fresh(code)


def _same_tree(ours, theirs) -> None:
    """The same groups, variables, coordinates (in order), dtypes and attributes."""
    assert list(ours.children) == list(theirs.children)
    for group in theirs.children:
        a, b = ours[group].to_dataset(), theirs[group].to_dataset()
        a.attrs.pop("created_at", None), b.attrs.pop("created_at", None)
        assert a.identical(b), group
        assert list(a.variables) == list(b.variables) and list(a.coords) == list(b.coords)
        assert all(a[v].dtype == b[v].dtype for v in b.variables)
        assert list(a.attrs.items()) == list(b.attrs.items())


def test_trace_from_dict_builds_nutpies_groups_as_arviz_does(monkeypatch, synthetic_small):
    """Nutpie's own from_dict call of a real fit (captured): our groups equal ArviZ's."""
    import warnings

    import arviz_base

    import coalsurv
    from coalsurv.backend import nutpie_trace
    from coalsurv.backend.nutpie_trace import from_dict

    calls = []

    class Spy:
        def from_dict(self, data, **kwargs):
            calls.append((data, kwargs))
            return arviz_base.from_dict(data, **kwargs)

        def __getattr__(self, name):
            return getattr(arviz_base, name)

    def spy(data, **kwargs):  # the call of nutpie_trace.sampler_trace (tested nutpie)
        calls.append((data, kwargs))
        return from_dict(data, **kwargs)

    nutpie_import.import_nutpie()
    monkeypatch.setattr(sys.modules["nutpie.sample"], "arviz", Spy())  # other nutpie versions
    monkeypatch.setattr(nutpie_trace, "from_dict", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coalsurv.SurvivalModel("breadth + (1 | group)").fit(
            synthetic_small, draws=30, tune=30, chains=2, progressbar=False, random_seed=3)
    data, kwargs = calls[0]
    assert "chain" in data["sample_stats"]  # nutpie's stats named like the sample dims
    _same_tree(from_dict(data, **kwargs), arviz_base.from_dict(data, **kwargs))
    _same_tree(from_dict(data, **{**kwargs, "save_warmup": False}),
               arviz_base.from_dict(data, **{**kwargs, "save_warmup": False}))


def test_trace_from_dict_leaves_other_calls_to_arviz():
    """A call outside nutpie's shape (a variable named like a dim, other options) goes to
    ArviZ itself.
    """
    import numpy as np

    from coalsurv.backend.nutpie_trace import _handled

    dims = ("chain", "draw")
    post = {"a": np.zeros((2, 5, 3))}
    assert _handled({"posterior": post}, {"dims": {"a": ["k"]}}, dims)
    assert not _handled({"posterior": {**post, "k": np.zeros((2, 5))}},
                        {"dims": {"a": ["k"]}}, dims)
    assert not _handled({"posterior": post}, {"name": "x"}, dims)
    assert not _handled({"observed_data": post}, {}, dims)
    assert not _handled({"posterior": post}, {"attrs": {"prior": {}}}, dims)
