r"""Coalition-level covariates from member-level data.

Power concentration lives in :mod:`coalsurv.data.covariates.power`, breadth of shared
interests in :mod:`coalsurv.data.covariates.interests`; both are re-exported here, with
:func:`coalition_covariates` joining them.

The input is a *members table*: one row per member per coalition, with a coalition id column and
member attributes (power share, left–right position, issue portfolio). Every function returns one
row per coalition, indexed by the coalition id, so the result joins directly onto an episode
table.

Two families of measures follow the theory coalsurv is built for:

**Power concentration** (:func:`power_concentration`). Shares :math:`s_i` (seats, votes,
troops, GDP …) are normalised to sum to one within each coalition.

- ``power_hhi``: Herfindahl–Hirschman index :math:`H = \sum_i s_i^2`, in :math:`[1/n, 1]`.
- ``power_hhi_norm``: :math:`H^* = (H - 1/n) / (1 - 1/n)`, in :math:`[0, 1]`; 0 for equal shares.
  A single-member coalition is maximal concentration, :math:`H^* = 1`.
- ``leader_share``: :math:`s_{(1)}`, the largest share.
- ``leader_ratio``: :math:`s_{(1)} / s_{(2)}`, largest over second largest share; ``inf`` when
  the second largest share is 0, ``NaN`` for a single-member coalition (there is no second).
- ``banzhaf_max``, ``banzhaf_hhi``: largest normalised Banzhaf index and the HHI of the Banzhaf
  indices in the weighted voting game the shares define (only when a ``quota`` is given).
- ``n_members``.

**Breadth and depth of shared interests** (:func:`interest_breadth`).

.. important:: **Sign convention.** Positional breadth is reported as the *negative* spread:
   ``breadth_range = -(max - min)`` and ``breadth_sd = -SD`` of the members' positions, so that
   **larger values mean broader agreement** (members closer together), like every other breadth
   measure here. A coalition whose members share one position has breadth 0, the maximum.

- ``breadth_range``, ``breadth_sd``: from positions (population SD, ``ddof=0``).
- ``shared_issue_share``: :math:`|\bigcap_i A_i| / |\bigcup_i A_i|`, the share of the issue
  areas held by any member that are held by all members.
- ``interest_jaccard``: mean over member pairs of the Jaccard overlap
  :math:`|A_i \cap A_j| / |A_i \cup A_j|`.
- ``interest_depth``: mean over member pairs of the number of issue areas the pair shares,
  :math:`|A_i \cap A_j|`.

With issue *intensities* (non-negative weights :math:`x_{ik}` instead of 0/1) the pairwise
measures use their weighted generalisations, which reduce to the above for 0/1 data: overlap
:math:`\sum_k \min(x_{ik}, x_{jk}) / \sum_k \max(x_{ik}, x_{jk})` (Ruzicka) and depth
:math:`\sum_k \min(x_{ik}, x_{jk})`; ``shared_issue_share`` counts an area as held when
:math:`x_{ik} > 0`.

Invalid input raises :class:`coalsurv.errors.CoalitionDataError` naming the columns and the
coalition ids concerned.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from coalsurv.data.covariates.interests import interest_breadth
from coalsurv.data.covariates.power import (
    BANZHAF_MAX_MEMBERS,
    BANZHAF_RESOLUTION,
    banzhaf,
    herfindahl,
    herfindahl_normalized,
    leader_ratio,
    leader_share,
    power_concentration,
)
from coalsurv.errors import CoalitionDataError

__all__ = [
    "BANZHAF_MAX_MEMBERS",
    "BANZHAF_RESOLUTION",
    "herfindahl",
    "herfindahl_normalized",
    "leader_share",
    "leader_ratio",
    "banzhaf",
    "power_concentration",
    "interest_breadth",
    "coalition_covariates",
]


def coalition_covariates(
    members: pd.DataFrame,
    *,
    id: str = "id",
    share: str | None = None,
    position: str | None = None,
    issues: str | Sequence[str] | None = None,
    quota: str | float | None = None,
    member: str = "member",
) -> pd.DataFrame:
    """All coalition-level covariates in one table: power concentration and interest breadth.

    Joins :func:`power_concentration` (when ``share`` is given) and :func:`interest_breadth`
    (when ``position`` or ``issues`` is given) on the coalition id; ``n_members`` appears once.
    With long-format ``issues``, ``share`` and ``position`` must come from a table with one row
    per member; pass the measures separately in that case.

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member per coalition.
    id : str, default "id"
        Coalition id column.
    share, position, issues, quota, member
        As in :func:`power_concentration` and :func:`interest_breadth`.

    Returns
    -------
    pandas.DataFrame
        Indexed by coalition id.

    Raises
    ------
    CoalitionDataError
        As the two functions; also when none of ``share``, ``position``, ``issues`` is given.
    """
    if share is None and position is None and issues is None:
        raise CoalitionDataError("coalition_covariates: give share=, position= or issues=")
    if quota is not None and share is None:
        raise CoalitionDataError("quota: Banzhaf indices need share= (the voting weights)")
    parts = []
    if share is not None:
        parts.append(power_concentration(members, id=id, share=share, quota=quota))
    if position is not None or issues is not None:
        breadth = interest_breadth(members, id=id, position=position, issues=issues, member=member)
        if parts:
            breadth = breadth.drop(columns="n_members")
        parts.append(breadth)
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, how="outer")
    out.index.name = id
    return out
