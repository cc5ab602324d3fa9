r"""Power concentration of coalitions: Herfindahl index, leader share and ratio, Banzhaf indices.

Shares :math:`s_i` (seats, votes, troops, GDP ...) are normalised to sum to one within each
coalition; see :mod:`coalsurv.data.covariates` for the formulas. Invalid input raises
:class:`coalsurv.errors.CoalitionDataError` naming the columns and the coalition ids concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.data.covariates.checks import check_columns, check_ids
from coalsurv.errors import CoalitionDataError

__all__ = [
    "BANZHAF_RESOLUTION",
    "BANZHAF_MAX_MEMBERS",
    "herfindahl",
    "herfindahl_normalized",
    "leader_share",
    "leader_ratio",
    "banzhaf",
    "power_concentration",
]

#: Integer resolution used to turn fractional shares into voting weights for Banzhaf indices.
BANZHAF_RESOLUTION = 10_000
#: Largest coalition for which Banzhaf indices are computed (exact enumeration).
BANZHAF_MAX_MEMBERS = 20
#: Up to this many members, Banzhaf counts enumerate all sets; above, dynamic programming.
_ENUM_MAX = 10


def _as_floats(values: object, what: str) -> np.ndarray:
    """``values`` as a flat float array; refuse non-numbers (str, nested lists) by name."""
    if isinstance(values, (str, bytes, dict)):
        raise CoalitionDataError(f"{what}: expected a sequence of numbers, got {values!r}")
    try:
        arr = np.asarray(values)
        if arr.dtype == object or arr.dtype.kind in "USV":
            bad = [v for v in arr.ravel().tolist() if not isinstance(v, Real)
                   or isinstance(v, bool)]
            if bad:
                raise ValueError(bad)
        return arr.astype(float).ravel()
    except (TypeError, ValueError) as err:
        found = err.args[0] if err.args and isinstance(err.args[0], list) else None
        found = ", ".join(repr(v) for v in found[:3]) if found else "a ragged or nested sequence"
        raise CoalitionDataError(
            f"{what}: expected a flat sequence of numbers; found {found}"
        ) from None


def _as_shares(shares: Sequence[float] | np.ndarray) -> np.ndarray:
    s = _as_floats(shares, "shares")
    if s.size == 0:
        raise CoalitionDataError("shares: a coalition needs at least one member")
    if not np.all(np.isfinite(s)):
        raise CoalitionDataError("shares: must be finite numbers (found NaN or inf)")
    if np.any(s < 0):
        raise CoalitionDataError("shares: must be non-negative")
    total = s.sum()
    if total <= 0:
        raise CoalitionDataError("shares: must have a positive sum")
    return s / total


# ---------------------------------------------------------------------------------------------
# one coalition
def herfindahl(shares: Sequence[float] | np.ndarray) -> float:
    r"""Herfindahl–Hirschman index of one coalition's power shares.

    .. math:: H = \sum_{i=1}^n s_i^2, \qquad s_i = w_i / \sum_j w_j

    Parameters
    ----------
    shares : array_like
        Non-negative weights of the members (seats, votes, shares); normalised to sum to one.

    Returns
    -------
    float
        :math:`H \in [1/n, 1]`; :math:`1/n` for equal shares, 1 when one member holds all.

    Examples
    --------
    >>> herfindahl([0.5, 0.3, 0.2])
    0.38
    """
    s = _as_shares(shares)
    return float(np.round(np.sum(s**2), 15))


def herfindahl_normalized(shares: Sequence[float] | np.ndarray) -> float:
    r"""Normalised Herfindahl index, 0 for equal shares and 1 for a single holder of all power.

    .. math:: H^* = \frac{H - 1/n}{1 - 1/n}

    A single-member coalition (:math:`n = 1`, where the formula is 0/0) is defined as maximal
    concentration, :math:`H^* = 1`.

    Parameters
    ----------
    shares : array_like
        Non-negative weights of the members; normalised to sum to one.

    Returns
    -------
    float
        :math:`H^* \in [0, 1]`.
    """
    s = _as_shares(shares)
    n = s.size
    if n == 1:
        return 1.0
    h = np.sum(s**2)
    return float((h - 1.0 / n) / (1.0 - 1.0 / n))


def leader_share(shares: Sequence[float] | np.ndarray) -> float:
    r"""Share of the largest member, :math:`s_{(1)} = \max_i s_i`.

    Parameters
    ----------
    shares : array_like
        Non-negative weights of the members; normalised to sum to one.

    Returns
    -------
    float
        In :math:`[1/n, 1]`.
    """
    return float(np.max(_as_shares(shares)))


def leader_ratio(shares: Sequence[float] | np.ndarray) -> float:
    r"""Ratio of the largest to the second-largest share, :math:`s_{(1)} / s_{(2)}`.

    Parameters
    ----------
    shares : array_like
        Non-negative weights of the members.

    Returns
    -------
    float
        :math:`\geq 1`; ``inf`` when the second-largest share is 0 (one member holds all the
        power); ``NaN`` for a single-member coalition, which has no second member.
    """
    s = np.sort(_as_shares(shares))[::-1]
    if s.size == 1:
        return float("nan")
    if s[1] == 0:
        return float("inf")
    return float(s[0] / s[1])


def _integer_weights(w: np.ndarray, resolution: int) -> np.ndarray:
    """Use integer weights as they are; scale fractional ones to ``resolution`` units."""
    if np.allclose(w, np.round(w), rtol=0, atol=1e-9) and np.round(w).sum() <= 10 * resolution:
        return np.round(w).astype(np.int64)
    return np.round(w / w.sum() * resolution).astype(np.int64)


def _swing_counts_enum(weights: np.ndarray, quota: int) -> np.ndarray:
    """Raw Banzhaf swing counts by enumerating all :math:`2^n` sets (small ``n``)."""
    n = weights.size
    masks = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    totals = masks @ weights
    win = totals >= quota
    swing = win[:, None] & (masks == 1) & ((totals[:, None] - weights[None, :]) < quota)
    return swing.sum(axis=0).astype(np.int64)


def _swing_counts(weights: np.ndarray, quota: int) -> np.ndarray:
    """Raw Banzhaf swing counts by dynamic programming over integer weights.

    ``c[k]`` counts the subsets of the other members with total weight ``k``; member ``i`` is a
    swing in ``S`` when ``quota - w_i <= w(S) < quota``. The counts without member ``i`` are the
    convolution of a prefix and a suffix DP, evaluated only over the window that matters.
    """
    n = weights.size
    total = int(weights.sum())
    prefix = [np.zeros(total + 1, dtype=np.int64)]
    prefix[0][0] = 1
    for w in weights:
        nxt = prefix[-1].copy()
        if w:
            nxt[w:] += prefix[-1][:-w]
        else:
            nxt *= 2
        prefix.append(nxt)
    suffix = [np.zeros(total + 1, dtype=np.int64)]
    suffix[0][0] = 1
    for w in weights[::-1]:
        nxt = suffix[-1].copy()
        if w:
            nxt[w:] += suffix[-1][:-w]
        else:
            nxt *= 2
        suffix.append(nxt)
    suffix = suffix[::-1]  # suffix[i] = subsets of members i..n-1
    counts = np.zeros(n, dtype=np.int64)
    a = np.arange(total + 1)
    for i, w in enumerate(weights):
        if w == 0:
            continue  # a member without weight is never pivotal
        left, right = prefix[i], suffix[i + 1]
        cum = np.concatenate([[0], np.cumsum(right)])  # cum[m] = sum_{b < m} right[b]
        hi = np.clip(quota - a, 0, total + 1)
        lo = np.clip(quota - w - a, 0, total + 1)
        counts[i] = int(np.sum(left * (cum[hi] - cum[lo])))
    return counts


def banzhaf(
    weights: Sequence[float] | np.ndarray,
    *,
    quota: str | float = "majority",
    resolution: int = BANZHAF_RESOLUTION,
) -> np.ndarray:
    r"""Normalised Banzhaf power index of each member of a weighted voting game.

    A set of members :math:`S` wins when :math:`w(S) = \sum_{i \in S} w_i \geq q`. Member
    :math:`i` is a *swing* in a winning set :math:`S \ni i` when :math:`S \setminus \{i\}`
    loses. The raw index :math:`\eta_i` counts those sets; the normalised index is

    .. math:: \beta_i = \eta_i / \sum_j \eta_j .

    Counts are exact for up to :data:`BANZHAF_MAX_MEMBERS` members: by enumerating all
    :math:`2^n` sets for small coalitions, by dynamic programming over integer weights
    (:math:`O(n W)` for total weight :math:`W`) for larger ones.

    Parameters
    ----------
    weights : array_like
        Non-negative voting weights. Integer weights (seats, votes) totalling at most
        ``10 * resolution`` are used as they are; other weights are rescaled to integers
        summing to about ``resolution``, which can move a set that ties the quota to the
        other side.
    quota : "majority" or float, default "majority"
        ``"majority"``: a set wins with strictly more than half of the total weight
        (:math:`q = \lfloor W/2 \rfloor + 1` for integer weights). A number: the absolute
        quota :math:`q` in the units of ``weights``.
    resolution : int, default 10_000
        Integer units used for fractional weights.

    Returns
    -------
    numpy.ndarray
        :math:`\beta_i`, summing to one; all ``NaN`` when no member is ever a swing (a quota
        above the total weight).

    Examples
    --------
    >>> banzhaf([50, 49, 1], quota=51)
    array([0.6, 0.2, 0.2])
    >>> banzhaf([3, 2, 2], quota=4)  # unequal weights, equal power
    array([0.33333333, 0.33333333, 0.33333333])
    """
    w = _as_floats(weights, "weights")
    if w.size == 0:
        raise CoalitionDataError("weights: a voting game needs at least one member")
    if w.size > BANZHAF_MAX_MEMBERS:
        raise CoalitionDataError(
            f"weights: exact Banzhaf indices are computed for at most {BANZHAF_MAX_MEMBERS} "
            f"members, got {w.size}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise CoalitionDataError("weights: must be finite, non-negative, with a positive sum")
    integer = np.allclose(w, np.round(w), rtol=0, atol=1e-9)
    iw = _integer_weights(w, resolution)
    total = int(iw.sum())
    if isinstance(quota, str):
        if quota != "majority":
            raise CoalitionDataError(f"quota: expected 'majority' or a number, got {quota!r}")
        q = total // 2 + 1
    elif isinstance(quota, Real) and np.isfinite(quota) and quota > 0:
        scale = 1.0 if integer and iw.sum() == round(w.sum()) else total / w.sum()
        q = int(np.ceil(float(quota) * scale - 1e-9))
    else:
        raise CoalitionDataError(f"quota: expected 'majority' or a positive number, got {quota!r}")
    counts = _swing_counts_enum(iw, q) if iw.size <= _ENUM_MAX else _swing_counts(iw, q)
    if counts.sum() == 0:
        return np.full(w.size, np.nan)
    return counts / counts.sum()


def power_concentration(
    members: pd.DataFrame,
    *,
    id: str = "id",
    share: str = "share",
    quota: str | float | None = None,
) -> pd.DataFrame:
    r"""Power concentration of each coalition from its members' shares.

    Shares :math:`s_i` are normalised within each coalition (raw seats or votes work). Columns
    (see the module docstring for the formulas):

    - ``n_members``: number of member rows;
    - ``power_hhi``: :math:`H = \sum_i s_i^2`;
    - ``power_hhi_norm``: :math:`(H - 1/n)/(1 - 1/n)`, 1 for single-member coalitions;
    - ``leader_share``: :math:`\max_i s_i`;
    - ``leader_ratio``: :math:`s_{(1)}/s_{(2)}`, ``inf`` if :math:`s_{(2)} = 0`, ``NaN`` if
      :math:`n = 1`;
    - with ``quota``: ``banzhaf_max`` (:math:`\max_i \beta_i`) and ``banzhaf_hhi``
      (:math:`\sum_i \beta_i^2`) of the normalised Banzhaf indices :math:`\beta_i`
      (see :func:`banzhaf`).

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member per coalition.
    id : str, default "id"
        Coalition id column.
    share : str, default "share"
        Column of non-negative power weights (shares, seats, votes).
    quota : None, "majority" or float, optional
        Decision rule of the voting game for Banzhaf indices: ``"majority"`` (strictly more than
        half of the coalition's weight) or a fraction in (0, 1] (a set wins with at least that
        share of the weight). ``None`` skips the Banzhaf columns. Integer-valued ``share``
        columns (seats) are used exactly; fractional shares are rescaled to
        :data:`BANZHAF_RESOLUTION` integer units.

    Returns
    -------
    pandas.DataFrame
        Indexed by coalition id (sorted), one row per coalition.

    Raises
    ------
    CoalitionDataError
        Missing columns; missing ids; missing, negative or infinite shares; coalitions whose
        shares sum to 0; a bad ``quota``. Names the coalition ids concerned.
    """
    check_columns(members, [id, share], "power_concentration")
    check_ids(members, id)
    problems = []
    s = pd.to_numeric(members[share], errors="coerce")
    bad_nan = members.loc[~np.isfinite(s.to_numpy(dtype=float)), id]
    if len(bad_nan):
        problems.append(
            f"column {share!r}: missing or non-numeric share in coalitions {fmt_ids(bad_nan)}"
        )
    bad_neg = members.loc[s < 0, id]
    if len(bad_neg):
        problems.append(
            f"column {share!r}: negative share in coalitions {fmt_ids(bad_neg)} "
            f"(expected shares >= 0)"
        )
    if not problems:
        totals = s.groupby(members[id]).sum()
        zero = totals.index[totals <= 0]
        if len(zero):
            problems.append(
                f"column {share!r}: shares sum to 0 in coalitions {fmt_ids(zero)} "
                f"(expected a positive total per coalition)"
            )
    if quota is not None and not (
        quota == "majority"
        or (isinstance(quota, Real) and not isinstance(quota, bool) and 0 < quota <= 1)
    ):
        problems.append(f"quota: expected None, 'majority' or a fraction in (0, 1], got {quota!r}")
    if problems:
        raise CoalitionDataError("invalid members table for power_concentration", problems)

    g = members[id]
    total = s.groupby(g).transform("sum")
    p = s / total
    frame = pd.DataFrame({"g": g.to_numpy(), "p": p.to_numpy(), "p2": (p**2).to_numpy()})
    grouped = frame.groupby("g", sort=True)
    n = grouped.size().astype(np.int64)
    hhi = grouped["p2"].sum()
    out = pd.DataFrame({"n_members": n, "power_hhi": hhi})
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = (hhi - 1.0 / n) / (1.0 - 1.0 / n)
    out["power_hhi_norm"] = norm.where(n > 1, 1.0)
    ranked = frame.sort_values(["g", "p"], ascending=[True, False])
    ranked["rank"] = ranked.groupby("g").cumcount()
    first = ranked.loc[ranked["rank"] == 0].set_index("g")["p"]
    second = ranked.loc[ranked["rank"] == 1].set_index("g")["p"].reindex(out.index)
    out["leader_share"] = first
    with np.errstate(divide="ignore", invalid="ignore"):
        out["leader_ratio"] = np.where(
            second.isna(), np.nan, np.where(second == 0, np.inf, first / second)
        )
    if quota is not None:
        big = n.index[n > BANZHAF_MAX_MEMBERS]
        if len(big):
            raise CoalitionDataError(
                f"quota: Banzhaf indices are exact only for coalitions of at most "
                f"{BANZHAF_MAX_MEMBERS} members; larger: {fmt_ids(big)}"
            )
        codes = pd.Categorical(g, categories=out.index).codes
        order = np.argsort(codes, kind="stable")
        raw = s.to_numpy(dtype=float)[order]
        bounds = np.cumsum(np.r_[0, n.to_numpy()])
        bmax, bhhi = [], []
        for k in range(len(out)):
            w = raw[bounds[k] : bounds[k + 1]]
            if quota == "majority":
                beta = banzhaf(w, quota="majority")
            else:
                beta = banzhaf(w, quota=float(quota) * w.sum())
            bmax.append(np.max(beta))
            bhhi.append(np.sum(beta**2))
        out["banzhaf_max"] = bmax
        out["banzhaf_hhi"] = bhhi
    out.index.name = id
    return out
