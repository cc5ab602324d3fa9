"""Hazard families: log hazard, log survival and sampling, written once for NumPy and PyTensor.

Each family is a small module declaring only its math (see :class:`Family`). Look families up
by name::

    >>> from coalsurv.families import get_family
    >>> fam = get_family("weibull")
    >>> fam.name, fam.kind, fam.params
    ('weibull_ph', 'ph', ('shape',))

Registered names: ``exponential``, ``weibull`` (alias of ``weibull_ph``), ``weibull_ph``,
``weibull_aft``, ``lognormal``, ``loglogistic``, ``gompertz``, ``piecewise`` (needs
``cuts=``), ``gengamma``, ``gamma``, ``rp`` (Royston–Parmar spline; aliases ``spline``,
``royston_parmar``; needs ``log_knots=``, takes ``scale=``).

The registry is found, not written: every module of this package that defines a module-level
instance of a :class:`Family` subclass registers it under its ``name`` and ``aliases``. Adding
a family is one module here plus one row in ``tests/families/test_families.py::CASES``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from coalsurv.errors import SpecError
from coalsurv.families.base import Family, Parameter
from coalsurv.families.exponential import Exponential
from coalsurv.families.gompertz import Gompertz
from coalsurv.families.loglogistic import LogLogistic
from coalsurv.families.lognormal import LogNormal
from coalsurv.families.math import NUMPY, PYTENSOR, Namespace
from coalsurv.families.piecewise import PiecewiseExponential, default_cuts
from coalsurv.families.spline import RoystonParmar, spline_knots
from coalsurv.families.weibull import WeibullAFT, WeibullPH

__all__ = [
    "FAMILIES",
    "NUMPY",
    "PYTENSOR",
    "Namespace",
    "Family",
    "Parameter",
    "Exponential",
    "WeibullPH",
    "WeibullAFT",
    "LogNormal",
    "LogLogistic",
    "Gompertz",
    "PiecewiseExponential",
    "default_cuts",
    "RoystonParmar",
    "spline_knots",
    "get_family",
]

_NOT_FAMILIES = {"base", "math", "cure_links"}


def _discover() -> dict[str, Family]:
    """Every module-level family instance of this package's modules, by name and alias."""
    registry: dict[str, Family] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in _NOT_FAMILIES:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Family) and value.name:
                for key in (value.name, *value.aliases):
                    if registry.setdefault(key, value) is not value:  # pragma: no cover
                        raise RuntimeError(f"two families are registered as {key!r}")
    return registry


#: Registry: name -> family object (``"weibull"`` is an alias of ``"weibull_ph"``; the
#: ``"piecewise"`` entry is a template without cut points).
FAMILIES: dict[str, Family] = _discover()


def get_family(name: str | Family, **options: Any) -> Family:
    """Return the family registered under ``name``.

    Parameters
    ----------
    name : str or Family
        Registry name (case-insensitive; ``-`` and spaces read as ``_``), or a family object,
        returned unchanged when no options are given.
    **options
        Family options, declared by the family (:attr:`Family.options`); ``piecewise`` takes
        ``cuts`` (interior cut points).

    Returns
    -------
    Family

    Raises
    ------
    coalsurv.errors.SpecError
        Unknown name (the message lists the valid ones) or an option the family does not take.
    """
    if isinstance(name, Family):
        if not options:
            return name
        key = name.name
    elif isinstance(name, str):
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
    else:
        raise SpecError(
            f"family must be a name (str), got {type(name).__name__}",
            [f"valid families: {', '.join(FAMILIES)}"],
        )
    if key not in FAMILIES:
        raise SpecError(
            f"unknown family {name!r}",
            [f"valid families: {', '.join(FAMILIES)}"],
        )
    family = FAMILIES[key]
    allowed = family.options
    bad = [k for k in options if k not in allowed]
    if bad:
        takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
        raise SpecError(
            f"family {key!r} {takes}",
            [f"unexpected option {k!r}" for k in bad],
        )
    options = {k: v for k, v in options.items() if v is not None}
    if not options:
        return family
    try:
        return family.with_options(**options)
    except ValueError as err:
        raise SpecError(f"invalid {family.name} family",
                        [f"{k}: {err}" for k in options][:1]) from None
