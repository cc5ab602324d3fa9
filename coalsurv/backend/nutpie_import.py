"""Import nutpie without importing all of arviz (seconds in a fresh process).

nutpie imports the ArviZ 0.x name space eagerly; coalsurv needs only two of its functions on
the sampling path, so the import goes through a proxy that loads them on first use.
"""

from __future__ import annotations

__all__ = ["import_nutpie"]


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
    import sys

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
