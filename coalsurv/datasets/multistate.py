"""The bundled synthetic multi-state data set (made by :func:`coalsurv.simulate_multistate`).

600 simulated coalitions: coalition -> alliance -> community, dissolution from each, with
known parameters (``datasets/synthetic_multistate_truth.json``, data card
``datasets/synthetic_multistate.md``). Regenerate with
``.venv/bin/python datasets/make_multistate.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["load_synthetic_multistate", "load_synthetic_multistate_truth", "multistate_path"]

_FILES = {"sojourns": "synthetic_multistate.csv", "truth": "synthetic_multistate_truth.json",
          "card": "synthetic_multistate.md"}
TRANSITIONS = ("coalition -> alliance", "coalition -> dissolution", "alliance -> community",
               "alliance -> dissolution")


def multistate_path(which: str = "sojourns") -> Path:
    """Path of one file of the bundled multi-state set (``sojourns``, ``truth``, ``card``)."""
    if which not in _FILES:
        raise ValueError(f"which: expected one of {list(_FILES)}, got {which!r}")
    path = Path(__file__).resolve().parents[2] / "datasets" / _FILES[which]
    if not path.is_file():
        raise FileNotFoundError(f"bundled multi-state data file {path} is absent; regenerate "
                                "it with `.venv/bin/python datasets/make_multistate.py`")
    return path


def load_synthetic_multistate_truth() -> dict[str, Any]:
    """Return the true parameters, group effects and settings of the bundled set."""
    return json.loads(multistate_path("truth").read_text())


def load_synthetic_multistate(*, as_frame: bool = False) -> Any:
    """Load the bundled multi-state histories as a ``TransitionData`` (or its table).

    Examples
    --------
    >>> data = load_synthetic_multistate()
    >>> data.n_units
    600
    """
    frame = pd.read_csv(multistate_path(), dtype={"id": str, "region": str})
    if as_frame:
        return frame
    from coalsurv.data.transitions import TransitionData

    return TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to",
        covariates=["breadth", "power_hhi", "power_hhi_sq"], groups="region",
        time_unit="years", transitions=TRANSITIONS, name="coalsurv synthetic multi-state")
