"""King, Alt, Burns & Laver (1990) cabinet durations.

The classic benchmark of parametric cabinet-duration models: 314 cabinets in 14 parliamentary
democracies, 1945-1987 (14 named countries in the file plus 10 cabinets whose country is
``NA`` there). See the data card,
``coalsurv.datasets.data_card("king1990")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.datasets._common import (
    annotate,
    exclusion_table,
    locate_file,
    read_table,
    to_coalition_data,
)

__all__ = ["load_king1990", "king1990_cabinets", "FILENAME", "COVARIATES"]

#: Name of the file in the data folder.
FILENAME = "coalition.txt"
#: Covariates kept, in raw units (see the data card).
COVARIATES = ("invest", "fract", "polar", "numst2", "crisis")
_REQUIRED = ("duration", "ciep12", *COVARIATES, "country")


def king1990_cabinets(path: str | Path) -> pd.DataFrame:
    """Read ``coalition.txt`` into an episode table (one row per cabinet).

    Parameters
    ----------
    path : str or Path
        The file ``coalition.txt`` or the folder that contains it.

    Returns
    -------
    pandas.DataFrame
        Index ``cabinet`` (1-314, the file's row labels); columns ``duration`` (months),
        ``ciep12`` (1 fell / 0 censored), ``ending`` (``"fell"`` / ``"censored"``),
        ``invest``, ``fract``, ``polar``, ``numst2``, ``crisis``, ``country``.

    Raises
    ------
    coalsurv.datasets._common.DataFileNotFoundError
        When the file is not there (both a ``CoalitionDataError`` and a ``FileNotFoundError``).
    coalsurv.CoalitionDataError
        When the file lacks the expected columns.

    Notes
    -----
    ``attrs`` holds ``excluded`` (id -> reason; empty here), ``excluded_counts`` and
    ``source_file``.
    """
    file = locate_file(path, FILENAME, dataset="king1990")
    df = read_table(file, required=_REQUIRED, dataset="king1990", sep=r"\s+")
    df = df.loc[:, list(_REQUIRED)].copy()
    df.index = pd.Index(np.asarray(df.index), name="cabinet")
    df["ending"] = np.where(df["ciep12"].to_numpy() == 1, "fell", "censored")
    # The file writes R's NA (unquoted) as the country of rows 265-274; keep that literal
    # label rather than guessing the country (see the data card).
    df["country"] = df["country"].astype(object).where(df["country"].notna(), "NA").astype(str)
    return annotate(df, exclusion_table({}), source_file=str(file))


def load_king1990(path: str | Path, *, as_frame: bool = False) -> Any:
    """Load the King et al. (1990) cabinet durations.

    Size: 314 cabinets (271 fell, 43 censored); 15 country groups: 14 named in the file and
    the label ``"NA"`` for 10 cabinets (rows 265-274) whose country the file leaves missing;
    duration in months (0.5-59). Nothing is excluded.

    Columns used: ``duration`` (months), ``ciep12`` (event: 1 = the cabinet fell, 0 = censored,
    i.e. it ended within 12 months of the constitutional inter-election period), covariates
    ``invest`` (legal investiture requirement), ``fract`` (party-system fractionalisation,
    coded x1000), ``polar`` (polarisation: support for extremist parties), ``numst2``
    (1 = majority government), ``crisis`` (duration of the formation crisis, days); group
    ``country``.

    Parameters
    ----------
    path : str or Path
        The file ``coalition.txt`` or the folder that contains it.
    as_frame : bool, default False
        Return the derived episode table (:func:`king1990_cabinets`) instead.

    Returns
    -------
    coalsurv.CoalitionData or pandas.DataFrame
        Single cause ``"fell"``; censored label ``"censored"``; ``time_unit="months"``.

    References
    ----------
    King, G., Alt, J. E., Burns, N. E. and Laver, M. (1990). A unified model of cabinet
    dissolution in parliamentary democracies. *American Journal of Political Science* 34(3),
    846-870. doi:10.2307/2111401. Data: ICPSR 1115, as distributed with the R package Zelig.

    Examples
    --------
    >>> from coalsurv.datasets import load_king1990
    >>> data = load_king1990("../shared/data/king1990")  # doctest: +SKIP
    >>> data.n, data.n_events  # doctest: +SKIP
    (314, {'fell': 271})
    """
    frame = king1990_cabinets(path)
    if as_frame:
        return frame
    return to_coalition_data(
        frame,
        duration="duration",
        event="ending",
        censored="censored",
        causes=["fell"],
        groups=["country"],
        covariates=list(COVARIATES),
        time_unit="months",
        name="king1990",
        source=(
            "King, Alt, Burns & Laver (1990), ICPSR 1115 (Zelig distribution): "
            + frame.attrs["source_file"]
        ),
    )
