"""The package version and the versions of the libraries that shape a fit's results."""

from __future__ import annotations

import functools
import sys

__all__ = ["__version__", "package_versions"]

__version__ = "0.1.0"

#: Libraries whose versions every fit records (the reproducibility manifest).
RECORDED_PACKAGES = ("coalsurv", "pymc", "pytensor", "nutpie", "arviz-base", "arviz-stats",
                     "numpy", "pandas", "lifelines", "formulaic")


def package_versions() -> dict[str, str]:
    """Versions of Python, coalsurv and the libraries that shape its results.

    Read once per process (the installed packages' metadata; 10-15 ms a call, which a batch
    of many small fits paid per fit); each call returns a fresh dict.
    """
    return dict(_read_versions())


@functools.cache
def _read_versions() -> tuple[tuple[str, str], ...]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in RECORDED_PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "not installed"
    return tuple(out.items())
