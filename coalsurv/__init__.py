"""coalsurv: Bayesian survival and hierarchical models of coalitions.

The public API is re-exported here and imported lazily, so that ``import coalsurv`` stays fast
and data-only work does not import PyMC.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from coalsurv._version import __version__
from coalsurv.errors import (
    ArgumentError,
    BatchError,
    CoalitionDataError,
    CoalsurvError,
    FitFileError,
    PriorError,
    SpecError,
)

_LAZY = {
    "CoalitionData": "coalsurv.data.episodes",
    "DataDescription": "coalsurv.data.describe",
    "SurvivalModel": "coalsurv.fit.model",
    "ModelSpec": "coalsurv.spec.modelspec",
    "Prior": "coalsurv.spec.priors",
    "PriorSet": "coalsurv.spec.priors",
    "JointPrior": "coalsurv.spec.joint",
    "replication": "coalsurv.fit.replication",
    "Fit": "coalsurv.fit.record",
    "load_fit": "coalsurv.fit.record",
    "Endings": "coalsurv.endings",
    "TransitionData": "coalsurv.data.transitions",
    "MultiStateModel": "coalsurv.fit.multistate",
    "MultiStateFit": "coalsurv.fit.multistate_fit",
    "load_multistate": "coalsurv.fit.multistate_file",
    "aalen_johansen": "coalsurv.data.aalen_johansen",
    "simulate_multistate": "coalsurv.simulation.multistate",
    "simulate": "coalsurv.simulation",
    "SimulationResult": "coalsurv.simulation",
    "Diagnosis": "coalsurv.diagnostics",
    "compare": "coalsurv.diagnostics",
    "covariates": "coalsurv.data.covariates",
    "datasets": "coalsurv.datasets",
    "families": "coalsurv.families",
    "plots": "coalsurv.plots",
    "fit_many": "coalsurv.batch",
    "sbc": "coalsurv.batch",
    "coverage": "coalsurv.batch",
    "spec_curve": "coalsurv.batch",
}

#: Lazy names that are modules rather than attributes of a module.
_MODULES = {"covariates", "datasets", "families", "plots"}

__all__ = [
    "ArgumentError",
    "BatchError",
    "CoalsurvError",
    "CoalitionDataError",
    "SpecError",
    "PriorError",
    "FitFileError",
    "__version__",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.batch import coverage, fit_many, sbc, spec_curve  # noqa: F401
    from coalsurv.data.aalen_johansen import aalen_johansen  # noqa: F401
    from coalsurv.data.describe import DataDescription  # noqa: F401
    from coalsurv.data.episodes import CoalitionData  # noqa: F401
    from coalsurv.data.transitions import TransitionData  # noqa: F401
    from coalsurv.endings import Endings  # noqa: F401
    from coalsurv.fit.model import SurvivalModel  # noqa: F401
    from coalsurv.fit.multistate import MultiStateModel  # noqa: F401
    from coalsurv.fit.multistate_file import load_multistate  # noqa: F401
    from coalsurv.fit.multistate_fit import MultiStateFit  # noqa: F401
    from coalsurv.fit.record import Fit, load_fit  # noqa: F401
    from coalsurv.fit.replication import replication  # noqa: F401
    from coalsurv.simulation import SimulationResult, simulate  # noqa: F401
    from coalsurv.simulation.multistate import simulate_multistate  # noqa: F401
    from coalsurv.spec.joint import JointPrior  # noqa: F401
    from coalsurv.spec.modelspec import ModelSpec  # noqa: F401
    from coalsurv.spec.priors import Prior, PriorSet  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'coalsurv' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name in _MODULES else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
