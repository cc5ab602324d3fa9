"""Hazard families: log hazard, log survival and sampling, written once for NumPy and PyTensor.

Each family is a small module declaring only its math (see :class:`Family`). Look families up
by name::

    >>> from coalsurv.families import get_family
    >>> fam = get_family("weibull")
    >>> fam.name, fam.kind, fam.params
    ('weibull_ph', 'ph', ('shape',))

Registered names: ``exponential``, ``weibull`` (alias of ``weibull_ph``), ``weibull_ph``,
``weibull_aft``, ``lognormal``, ``loglogistic``, ``gompertz``, ``piecewise`` (needs
``cuts=``).
"""

from __future__ import annotations

from typing import Any

from coalsurv.errors import SpecError
from coalsurv.families.base import Family, Parameter
from coalsurv.families.exponential import Exponential, exponential
from coalsurv.families.gompertz import Gompertz, gompertz
from coalsurv.families.loglogistic import LogLogistic, loglogistic
from coalsurv.families.lognormal import LogNormal, lognormal
from coalsurv.families.math import NUMPY, PYTENSOR, Namespace
from coalsurv.families.piecewise import PiecewiseExponential, default_cuts, piecewise
from coalsurv.families.weibull import WeibullAFT, WeibullPH, weibull_aft, weibull_ph

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
    "get_family",
]

#: Registry: name -> family object (``"weibull"`` is an alias of ``"weibull_ph"``; the
#: ``"piecewise"`` entry is a template without cut points).
FAMILIES: dict[str, Family] = {
    "exponential": exponential,
    "weibull": weibull_ph,
    "weibull_ph": weibull_ph,
    "weibull_aft": weibull_aft,
    "lognormal": lognormal,
    "loglogistic": loglogistic,
    "gompertz": gompertz,
    "piecewise": piecewise,
}

_OPTIONS: dict[str, tuple[str, ...]] = {"piecewise": ("cuts",)}


def get_family(name: str | Family, **options: Any) -> Family:
    """Return the family registered under ``name``.

    Parameters
    ----------
    name : str or Family
        Registry name (case-insensitive; ``-`` and spaces read as ``_``), or a family object,
        returned unchanged when no options are given.
    **options
        Family options; only ``piecewise`` takes one, ``cuts`` (interior cut points).

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
    allowed = _OPTIONS.get(key, ())
    bad = [k for k in options if k not in allowed]
    if bad:
        takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
        raise SpecError(
            f"family {key!r} {takes}",
            [f"unexpected option {k!r}" for k in bad],
        )
    family = FAMILIES[key]
    if key == "piecewise" and options.get("cuts") is not None:
        try:
            return PiecewiseExponential(options["cuts"])
        except ValueError as err:
            raise SpecError("invalid piecewise family", [f"cuts: {err}"]) from None
    return family
