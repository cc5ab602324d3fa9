r"""Breadth and depth of the members' shared interests: position spread, issue overlap and depth.

**Sign convention:** positional breadth is the *negative* spread, so larger values mean
broader agreement; see :mod:`coalsurv.data.covariates` for the formulas. Invalid input raises
:class:`coalsurv.errors.CoalitionDataError` naming the columns and the coalition ids concerned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.data.covariates.checks import check_columns, check_ids
from coalsurv.errors import CoalitionDataError

__all__ = ["interest_breadth"]


def _positional(members: pd.DataFrame, id: str, position: str) -> pd.DataFrame:
    x = pd.to_numeric(members[position], errors="coerce")
    bad = members.loc[~np.isfinite(x.to_numpy(dtype=float)), id]
    if len(bad):
        raise CoalitionDataError(
            f"column {position!r}: missing or non-numeric position in coalitions "
            f"{fmt_ids(bad)} (expected a number for every member)"
        )
    grouped = x.groupby(members[id].to_numpy(), sort=True)
    spread = grouped.max() - grouped.min()
    sd = grouped.std(ddof=0)
    return pd.DataFrame({"breadth_range": -spread, "breadth_sd": -sd}).astype(float)


def _issue_matrix(
    members: pd.DataFrame, id: str, issues: str | Sequence[str], member: str
) -> tuple[pd.Series, np.ndarray]:
    """Return the coalition id of each member and the member x issue-area matrix."""
    if isinstance(issues, str):  # long format: one row per member per issue held
        check_columns(members, [member, issues], "interest_breadth (long issue table)")
        missing = members.loc[members[issues].isna(), id]
        if len(missing):
            raise CoalitionDataError(
                f"column {issues!r}: missing issue area in coalitions {fmt_ids(missing)}"
            )
        held = pd.crosstab([members[id], members[member]], members[issues]).clip(upper=1)
        return pd.Series(held.index.get_level_values(0)), held.to_numpy(dtype=float)
    cols = list(issues)
    if not cols:
        raise CoalitionDataError("issues: give at least one issue-area column")
    check_columns(members, cols, "interest_breadth (issue columns)")
    x = members[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    problems = []
    for c in cols:
        bad = members.loc[~np.isfinite(x[c].to_numpy()), id]
        if len(bad):
            problems.append(
                f"column {c!r}: missing or non-numeric value in coalitions {fmt_ids(bad)} "
                f"(expected 0/1 or a non-negative intensity)"
            )
        neg = members.loc[x[c] < 0, id]
        if len(neg):
            problems.append(f"column {c!r}: negative value in coalitions {fmt_ids(neg)}")
    if problems:
        raise CoalitionDataError("invalid issue portfolios", problems)
    return members[id].reset_index(drop=True), x.to_numpy()


def _portfolio(ids: pd.Series, x: np.ndarray) -> pd.DataFrame:
    held = (x > 0).astype(float)
    k = x.shape[1]
    hcols = [f"h{j}" for j in range(k)]
    base = pd.DataFrame(held, columns=hcols)
    base["g"] = ids.to_numpy()
    grp = base.groupby("g", sort=True)[hcols]
    n_all = grp.min().sum(axis=1)
    n_any = grp.max().sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shared = n_all / n_any.where(n_any > 0)

    # pairwise measures: self-merge within coalition, keep i < j
    xcols = [f"x{j}" for j in range(k)]
    wide = pd.DataFrame(x, columns=xcols)
    wide["g"] = ids.to_numpy()
    wide["r"] = np.arange(len(wide))
    pairs = wide.merge(wide, on="g", suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["r_a"] < pairs["r_b"]]
    a = pairs[[c + "_a" for c in xcols]].to_numpy()
    b = pairs[[c + "_b" for c in xcols]].to_numpy()
    inter = np.minimum(a, b).sum(axis=1)
    union = np.maximum(a, b).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    pair_stats = pd.DataFrame({"g": pairs["g"].to_numpy(), "jac": jac, "depth": inter})
    means = pair_stats.groupby("g", sort=True)[["jac", "depth"]].mean()
    out = pd.DataFrame({"shared_issue_share": shared})
    out["interest_jaccard"] = means["jac"].reindex(out.index)
    out["interest_depth"] = means["depth"].reindex(out.index)
    return out


def interest_breadth(
    members: pd.DataFrame,
    *,
    id: str = "id",
    position: str | None = None,
    issues: str | Sequence[str] | None = None,
    member: str = "member",
) -> pd.DataFrame:
    r"""Breadth and depth of the members' shared interests, one row per coalition.

    **Sign convention: larger means broader agreement.** Positional breadth is the *negative*
    spread of the members' positions, so a coalition of identical positions scores 0 (the
    maximum) and ideologically wider coalitions score below 0.

    Columns, when ``position`` is given (positions :math:`x_i`, e.g. left–right):

    - ``breadth_range`` :math:`= -(\max_i x_i - \min_i x_i)`;
    - ``breadth_sd`` :math:`= -\sqrt{\tfrac1n \sum_i (x_i - \bar x)^2}` (population SD).

    Columns, when ``issues`` is given (issue sets :math:`A_i`, or intensities :math:`x_{ik}`):

    - ``shared_issue_share`` :math:`= |\bigcap_i A_i| / |\bigcup_i A_i|` (NaN when no member
      holds any issue area);
    - ``interest_jaccard``: mean over pairs :math:`i<j` of
      :math:`\sum_k \min(x_{ik}, x_{jk}) / \sum_k \max(x_{ik}, x_{jk})`, i.e. the Jaccard
      overlap :math:`|A_i \cap A_j| / |A_i \cup A_j|` for 0/1 data (a pair holding no issue
      areas at all overlaps 0);
    - ``interest_depth``: mean over pairs of :math:`\sum_k \min(x_{ik}, x_{jk})`, the number of
      issue areas a pair shares for 0/1 data (intensity-weighted overlap otherwise).

    The pairwise measures are ``NaN`` for single-member coalitions (no pairs).
    ``n_members`` is always included.

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member per coalition (wide issues), or one row per member per issue area
        held (long issues).
    id : str, default "id"
        Coalition id column.
    position : str, optional
        Column of member positions on one dimension.
    issues : str or sequence of str, optional
        Wide format: a list of issue-area columns holding 0/1 (or booleans, or non-negative
        intensities). Long format: the name of one column holding the issue-area label, with
        ``member`` identifying members; each row marks an issue area a member holds.
    member : str, default "member"
        Member column, used with long-format ``issues`` only.

    Returns
    -------
    pandas.DataFrame
        Indexed by coalition id (sorted).

    Raises
    ------
    CoalitionDataError
        Missing columns; missing ids; missing positions (naming the coalition ids); missing,
        non-numeric or negative issue values.
    """
    needed = [id] + ([position] if position is not None else [])
    check_columns(members, needed, "interest_breadth")
    check_ids(members, id)
    if position is None and issues is None:
        raise CoalitionDataError("interest_breadth: give position=, issues= or both")
    if isinstance(issues, str):  # long format: members are (id, member) pairs
        check_columns(members, [member], "interest_breadth (long issue table)")
        n = members.drop_duplicates([id, member]).groupby(id, sort=True).size()
    else:
        n = members.groupby(id, sort=True).size()
    out = pd.DataFrame({"n_members": n.astype(np.int64)})
    if position is not None:
        out = out.join(_positional(members, id, position))
    if issues is not None:
        ids, x = _issue_matrix(members, id, issues, member)
        out = out.join(_portfolio(ids, x))
    out.index.name = id
    return out
