"""The bundled synthetic coalition data set (made by :func:`coalsurv.simulate`).

600 simulated coalitions in 20 groups with three competing endings (``dissolution``,
``goal_reached``, ``alliance``), right censoring and some delayed entry; the true parameters are
known (``datasets/synthetic_truth.json``) and tabulated in the data card
``datasets/synthetic_coalitions.md``. Regenerate with
``.venv/bin/python datasets/make_synthetic.py``.

The files live in the repository's ``datasets/`` folder (not installed as package data), found
relative to this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv.errors import CoalitionDataError
from coalsurv.simulation import COVARIATES

__all__ = ["synthetic_path", "load_synthetic", "load_synthetic_truth", "COVARIATES"]

_FILES = {
    "coalitions": "synthetic_coalitions.csv",
    "members": "synthetic_members.csv",
    "truth": "synthetic_truth.json",
    "card": "synthetic_coalitions.md",
}


def synthetic_path(which: str = "coalitions") -> Path:
    """Path of one file of the bundled synthetic data set.

    Parameters
    ----------
    which : {"coalitions", "members", "truth", "card"}, default "coalitions"
        Episode table (CSV), member table (CSV), true parameters (JSON) or data card
        (Markdown).

    Returns
    -------
    pathlib.Path
        ``<repository>/datasets/<file>``.

    Raises
    ------
    FileNotFoundError
        When the file is absent (e.g. coalsurv installed without its repository), with the
        command that regenerates it.
    """
    if which not in _FILES:
        raise ValueError(f"which: expected one of {list(_FILES)}, got {which!r}")
    path = Path(__file__).resolve().parents[2] / "datasets" / _FILES[which]
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled synthetic data file {path} is absent; it ships with the coalsurv "
            f"repository (datasets/). Regenerate it from the repository root with "
            f"`.venv/bin/python datasets/make_synthetic.py`, or simulate afresh with "
            f"coalsurv.simulate(seed=20240601, delayed_entry_share=0.2)."
        )
    return path


def load_synthetic_truth() -> dict[str, Any]:
    """Return the true parameters of the bundled synthetic data set.

    Returns
    -------
    dict
        The ``truth`` of :func:`coalsurv.simulate` (per-cause ``shape``, ``scale``,
        ``intercept``, ``coefficients`` per raw unit, ``coefficients_per_sd``; ``frailty``;
        ``censoring``; ``counts``) plus the generation ``settings`` and ``command``.
    """
    return json.loads(synthetic_path("truth").read_text())


def load_synthetic(*, causes: str = "all", as_frame: bool = False) -> Any:
    """Load the bundled synthetic coalition histories.

    Parameters
    ----------
    causes : {"all", "collapsed"}, default "all"
        ``"all"``: three competing endings ``dissolution``, ``goal_reached``, ``alliance``.
        ``"collapsed"``: every ending labelled ``"ended"`` (one-cause models).
    as_frame : bool, default False
        Return the episode table (pandas DataFrame) instead of a ``CoalitionData``.

    Returns
    -------
    coalsurv.CoalitionData or pandas.DataFrame
        600 episodes; ``time_unit="months"``, groups ``["group"]``, covariates
        :data:`COVARIATES`, delayed entry in ``entry``, members attached. Columns of the
        table: ``id, group, duration, event, entry, lower, upper`` and the covariates.

    Examples
    --------
    >>> data = load_synthetic()
    >>> data.n, data.causes
    (600, ('dissolution', 'goal_reached', 'alliance'))
    """
    if causes not in ("all", "collapsed"):
        raise CoalitionDataError(f"causes: expected 'all' or 'collapsed', got {causes!r}")
    frame = pd.read_csv(synthetic_path("coalitions"), dtype={"id": str, "group": str})
    labels: tuple[str, ...] = ("dissolution", "goal_reached", "alliance")
    if causes == "collapsed":
        frame["event"] = frame["event"].where(frame["event"] == "censored", "ended")
        labels = ("ended",)
    if as_frame:
        return frame
    from coalsurv.data.episodes import CoalitionData

    members = pd.read_csv(synthetic_path("members"), dtype={"id": str, "member": str})
    return CoalitionData.from_frame(
        frame, duration="duration", event="event", id="id", causes=labels, entry="entry",
        lower="lower", upper="upper", groups=["group"], covariates=list(COVARIATES),
        time_unit="months", members=members, name="coalsurv synthetic coalitions",
        source="datasets/synthetic_coalitions.csv (coalsurv.simulate, seed 20240601)",
    )
