"""coalsurv: Bayesian survival and hierarchical models of coalitions.

The public API is re-exported here and imported lazily, so that ``import coalsurv`` stays fast
and data-only work does not import PyMC.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from coalsurv.errors import (
    CoalitionDataError,
    CoalsurvError,
    FitFileError,
    PriorError,
    SpecError,
)

__version__ = "0.1.0"

_LAZY = {
    "CoalitionData": "coalsurv.data",
    "DataDescription": "coalsurv.data",
    "SurvivalModel": "coalsurv.model",
    "ModelSpec": "coalsurv.spec",
    "Prior": "coalsurv.priors",
    "PriorSet": "coalsurv.priors",
    "Fit": "coalsurv.result",
    "load_fit": "coalsurv.result",
    "simulate": "coalsurv.simulation",
    "SimulationResult": "coalsurv.simulation",
    "Diagnosis": "coalsurv.diagnostics",
    "compare": "coalsurv.diagnostics",
    "covariates": "coalsurv.covariates",
    "datasets": "coalsurv.datasets",
    "families": "coalsurv.families",
    "plots": "coalsurv.plots",
}

__all__ = [
    "CoalsurvError",
    "CoalitionDataError",
    "SpecError",
    "PriorError",
    "FitFileError",
    "__version__",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.data import CoalitionData, DataDescription  # noqa: F401
    from coalsurv.model import SurvivalModel  # noqa: F401
    from coalsurv.priors import Prior, PriorSet  # noqa: F401
    from coalsurv.result import Fit, load_fit  # noqa: F401
    from coalsurv.simulation import SimulationResult, simulate  # noqa: F401
    from coalsurv.spec import ModelSpec  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'coalsurv' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
