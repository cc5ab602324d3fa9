"""What is modelled, as immutable values: :class:`ModelSpec` and :class:`PriorSet`.

Both round-trip through TOML/JSON with a schema version (:mod:`coalsurv.spec.modelspec`,
:mod:`coalsurv.spec.priors`); :mod:`coalsurv.spec.moments` turns posterior draws into prior
distributions for :meth:`PriorSet.from_fit`.
"""

from __future__ import annotations

from coalsurv.spec.joint import JointPrior
from coalsurv.spec.modelspec import SPEC_SCHEMA, GroupTerm, ModelSpec, parse_formula
from coalsurv.spec.priors import PRIOR_SCHEMA, Prior, PriorSet

__all__ = ["GroupTerm", "JointPrior", "ModelSpec", "PRIOR_SCHEMA", "Prior", "PriorSet",
           "SPEC_SCHEMA", "parse_formula"]
