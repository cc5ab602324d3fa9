"""Import nutpie without importing all of arviz (seconds in a fresh process).

nutpie imports the ArviZ 0.x name space eagerly; coalsurv needs only two of its functions on
the sampling path, so the import goes through a proxy that loads them on first use.

Also: xarray imports ``dask.array`` (and scipy.fftpack through it) the first time it builds
a DataArray, only to ask whether the data are a dask array; :func:`defer_dask_check` answers
"no" without that import while ``dask.array`` has not been imported (no dask array can exist
before), and asks xarray's own check once it has.
"""

from __future__ import annotations

import sys

__all__ = ["import_nutpie", "defer_dask_check"]


class _DeferredDask:
    """xarray's duck-array record of dask, resolved only once ``dask.array`` is imported.

    ``type`` is what xarray reads on every DataArray (``isinstance(data, type)``): the empty
    tuple while ``dask.array`` is not in ``sys.modules`` (nothing can be a dask array then,
    so the answer is exact); every other attribute, and ``type`` afterwards, come from
    xarray's own ``DuckArrayModule("dask")``.
    """

    def __init__(self, factory):
        self._factory = factory
        self._real = None

    def _resolve(self):
        if self._real is None:
            self._real = self._factory("dask")
        return self._real

    @property
    def type(self):
        """The dask array type, or ``()`` while dask.array is not imported."""
        if self._real is None and "dask.array" not in sys.modules:
            return ()
        return self._resolve().type

    def __getattr__(self, name):
        return getattr(self._resolve(), name)


def defer_dask_check() -> bool:
    """Defer xarray's ``dask.array`` import until dask.array is imported (see the module).

    Returns whether the deferral is in place (False when xarray's internals differ or dask
    arrays are already in use: xarray's own check then runs as before).
    """
    try:
        from xarray.namedarray import pycompat
    except ImportError:  # pragma: no cover - xarray is a dependency
        return False
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    factory = getattr(pycompat, "DuckArrayModule", None)
    if not isinstance(cache, dict) or factory is None:  # pragma: no cover - other xarray
        return False
    if "dask" in cache:
        return isinstance(cache["dask"], _DeferredDask)
    if "dask.array" in sys.modules:
        return False
    cache["dask"] = _DeferredDask(factory)
    return True


class _ArvizProxy:
    """Stand-in for ``arviz`` while nutpie imports: resolves what nutpie calls lazily.

    nutpie imports the whole ``arviz`` package (arviz_stats, arviz_plots and matplotlib:
    seconds in a fresh process) but only calls ``from_dict`` and ``dict_to_dataset``, which
    ``arviz`` re-exports from ``arviz_base``; every other name loads the real package.
    """

    _FROM_BASE = ("from_dict", "dict_to_dataset")

    def __getattr__(self, name):
        import importlib

        module = importlib.import_module("arviz_base" if name in self._FROM_BASE else "arviz")
        return getattr(module, name)


def import_nutpie():
    """Import nutpie without importing all of arviz (see :class:`_ArvizProxy`)."""
    defer_dask_check()
    if "nutpie" in sys.modules or "arviz" in sys.modules:
        import nutpie

        return nutpie
    sys.modules["arviz"] = _ArvizProxy()  # type: ignore[assignment]
    try:
        import nutpie
    finally:
        if isinstance(sys.modules.get("arviz"), _ArvizProxy):
            del sys.modules["arviz"]
    return nutpie
