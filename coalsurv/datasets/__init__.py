"""Data set loaders.

- :func:`load_synthetic` — the bundled synthetic coalition histories made by
  :func:`coalsurv.simulate` (true parameters in its data card).
- :func:`load_synthetic_multistate` — bundled multi-state histories (coalition -> alliance ->
  community) made by :func:`coalsurv.simulate_multistate`.
- :func:`load_parlgov`, :func:`load_coalgov`, :func:`load_atop`, :func:`load_king1990` — readers
  for the real public data sets; each takes the path of the user's copy.
- :func:`load_atop_transformation`, :func:`load_parlgov_transformation` — transformation
  histories (issue 24) from the same files, as multi-state :class:`coalsurv.TransitionData`.

Every loader returns a :class:`coalsurv.CoalitionData` whose ``describe()`` reports what was
derived and what was excluded; the data cards (``coalsurv/datasets/cards/*.md``) say how.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "load_synthetic": "coalsurv.datasets.synthetic",
    "synthetic_path": "coalsurv.datasets.synthetic",
    "load_synthetic_truth": "coalsurv.datasets.synthetic",
    "load_synthetic_multistate": "coalsurv.datasets.multistate",
    "load_synthetic_multistate_truth": "coalsurv.datasets.multistate",
    "load_parlgov": "coalsurv.datasets.parlgov",
    "parlgov_cabinets": "coalsurv.datasets.parlgov",
    "download_parlgov": "coalsurv.datasets.parlgov",
    "load_coalgov": "coalsurv.datasets.coalgov",
    "load_atop": "coalsurv.datasets.atop",
    "load_king1990": "coalsurv.datasets.king1990",
    "load_atop_transformation": "coalsurv.datasets.transformation_atop",
    "load_parlgov_transformation": "coalsurv.datasets.transformation_parlgov",
    "data_card": "coalsurv.datasets.cards",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import loaders on first use."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'coalsurv.datasets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
