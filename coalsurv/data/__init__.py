"""The data layer: validated coalition episodes, their spells and members, covariate builders.

- :class:`CoalitionData` (:mod:`coalsurv.data.episodes`): one row per coalition episode,
  validated in named steps (:mod:`coalsurv.data.validation`, :mod:`coalsurv.data.tables`,
  :mod:`coalsurv.data.values`) and summarised by :class:`DataDescription`
  (:mod:`coalsurv.data.describe`);
- :mod:`coalsurv.data.spells`: start/stop spells of time-varying covariates (data half);
- :mod:`coalsurv.data.covariates`: power concentration and breadth of shared interests.

Nothing here imports PyMC or anything above the data layer.
"""

from __future__ import annotations

from coalsurv.data.describe import DataDescription
from coalsurv.data.episodes import CoalitionData

__all__ = ["CoalitionData", "DataDescription"]
