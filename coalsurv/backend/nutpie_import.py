"""Import nutpie without importing all of arviz (seconds in a fresh process).

nutpie imports the ArviZ 0.x name space eagerly; coalsurv needs only two of its functions on
the sampling path, so the import goes through a proxy that loads them on first use.

Also: xarray imports ``dask.array`` (and scipy.fftpack through it) the first time it builds
a DataArray, only to ask whether the data are a dask array; :func:`defer_dask_check` answers
"no" without that import while ``dask.array`` has not been imported (no dask array can exist
before), and asks xarray's own check once it has; and xarray's ``is_dask_collection``
(called on every index it builds) imports ``dask.base`` (and jinja2, psutil, multiprocessing
through it) only to ask whether the object has a ``__dask_graph__``: :func:`defer_dask_check`
answers "no" without the import for objects that have none (dask's own first test), and asks
dask otherwise.

And: ``arviz_base`` imports its numpyro converter, which asks ``lazy_loader`` for jax; where
jax is not installed, ``lazy_loader`` records the caller's line with ``inspect.stack()``, which
reads the source of every frame on the stack and scans ``sys.modules`` for each frozen
import frame (0.1-0.2 s in a fresh process).
:func:`import_arviz_base` imports it with the frames' source left unread (the only change:
the error message of a later ``jax`` attribute access lacks the caller's source line).
"""

from __future__ import annotations

import sys

__all__ = ["import_nutpie", "import_arviz_base", "defer_dask_check"]


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


def _no_dask_graph(real):
    """``is_dask_collection`` answering False for objects without ``__dask_graph__``.

    dask's own function returns False for those first (and for classes); only the rest need
    it, so ``dask.base`` is imported for them alone.
    """

    def is_dask_collection(x) -> bool:
        if isinstance(x, type) or not hasattr(x, "__dask_graph__"):
            return False
        return real(x)

    is_dask_collection._coalsurv_shortcut = True  # type: ignore[attr-defined]
    return is_dask_collection


def _defer_dask_collection() -> None:
    """Put :func:`_no_dask_graph` in front of xarray's ``is_dask_collection`` (once)."""
    try:
        from xarray.namedarray import utils
    except ImportError:  # pragma: no cover - xarray is a dependency
        return
    real = getattr(utils, "is_dask_collection", None)
    if real is None or getattr(real, "_coalsurv_shortcut", False):
        return
    utils.is_dask_collection = _no_dask_graph(real)


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
    _defer_dask_collection()
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
    ``from_dict`` is :func:`coalsurv.backend.nutpie_trace.from_dict` (the same DataTree,
    built without ArviZ's per-variable alignment).
    """

    _FROM_BASE = ("from_dict", "dict_to_dataset")

    def __getattr__(self, name):
        import importlib

        if name == "from_dict":  # the same groups, without ArviZ's per-variable alignment
            import_arviz_base()
            from coalsurv.backend.nutpie_trace import from_dict

            return from_dict
        if name in self._FROM_BASE:
            return getattr(import_arviz_base(), name)
        return getattr(importlib.import_module("arviz"), name)


def import_arviz_base():
    """Import ``arviz_base`` without reading the stack's source (see the module); return it."""
    if "arviz_base" in sys.modules:
        return sys.modules["arviz_base"]
    import inspect

    stack = inspect.stack

    def frames_only(context: int = 1):
        """``inspect.stack()`` without source files or lines (no ``getmodule`` scans)."""
        out, frame = [], sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            out.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name,
                                         None, None))
            frame = frame.f_back
        return out

    inspect.stack = frames_only  # type: ignore[assignment]
    try:
        import arviz_base
    finally:
        if inspect.stack is frames_only:
            inspect.stack = stack  # type: ignore[assignment]
    return arviz_base


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
