"""What a :class:`~coalsurv.data.CoalitionData` holds, in numbers: :class:`DataDescription`.

:func:`describe` counts episodes, endings, censoring, delayed entry, groups and exclusions;
:func:`kaplan_meier` and :func:`risk_table` summarise time to any ending. The
:class:`~coalsurv.data.CoalitionData` methods of the same names call these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._format import fmt_share
from coalsurv.errors import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from lifelines import KaplanMeierFitter

    from coalsurv.data.episodes import CoalitionData

__all__ = ["DataDescription", "describe", "exit_times", "kaplan_meier", "risk_table"]


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class DataDescription:
    """Summary of a :class:`CoalitionData`, as returned by :meth:`CoalitionData.describe`.

    Fields: ``name``; ``n`` episodes kept; ``time_unit`` of every time; ``causes``;
    ``n_events`` (cause -> count); ``n_censored`` and ``censored_share`` (right-censored);
    ``n_interval`` (interval-censored events); ``n_delayed_entry`` (``entry > 0``);
    ``follow_up`` (``min``/``median``/``max`` of ``time``); ``groups`` (column -> number of
    levels); ``km_median``, the Kaplan-Meier median time to any ending (delayed entry honoured,
    interval rows at their midpoint; ``inf`` when the curve stays above 0.5); ``n_excluded``
    and ``excluded_by_reason`` (input rows left out with ``dropna=True``); ``notes``,
    conversions made while reading the table (Timedelta columns into ``time_unit``).
    """

    name: str | None
    n: int
    time_unit: str
    causes: tuple[str, ...]
    n_events: dict[str, int]
    n_censored: int
    censored_share: float
    n_interval: int
    n_delayed_entry: int
    follow_up: dict[str, float]
    groups: dict[str, int]
    km_median: float
    n_excluded: int
    excluded_by_reason: dict[str, int]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Return the description as a two-column frame (``statistic``, ``value``)."""
        u = self.time_unit
        rows: list[tuple[str, object]] = [("name", self.name or ""), ("episodes", self.n)]
        rows += [(f"events: {c}", k) for c, k in self.n_events.items()]
        rows += [
            ("censored", self.n_censored),
            ("censored share", self.censored_share),
            ("interval-censored", self.n_interval),
            ("delayed entry", self.n_delayed_entry),
        ]
        rows += [(f"follow-up {k} ({u})", v) for k, v in self.follow_up.items()]
        rows += [(f"groups: {g} (levels)", k) for g, k in self.groups.items()]
        rows += [(f"Kaplan-Meier median ({u})", self.km_median), ("excluded", self.n_excluded)]
        rows += [(f"excluded: {r}", k) for r, k in self.excluded_by_reason.items()]
        rows += [("note", note) for note in self.notes]
        return pd.DataFrame(rows, columns=["statistic", "value"])

    def __str__(self) -> str:
        """Aligned text table, times with their unit."""
        frame = self.to_frame()
        width = int(frame["statistic"].str.len().max())
        lines = [f"{s:<{width}}  {fmt_share(v) if 'share' in s else _fmt(v)}"
                 for s, v in frame.itertuples(index=False)]
        return "\n".join(["CoalitionData description", *lines])

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        frame["value"] = [fmt_share(v) if "share" in k else _fmt(v)
                          for k, v in frame.itertuples(index=False)]
        return frame.to_html(index=False, escape=True)


def exit_times(data: CoalitionData) -> np.ndarray:
    """Exit time of each episode; interval-censored events at the midpoint of their interval."""
    mid = (data.time + data.time_upper) / 2.0
    return np.where(data.status == 2, mid, data.time)


def kaplan_meier(data: CoalitionData, *, label: str | None = None) -> KaplanMeierFitter:
    """Fit a Kaplan-Meier curve of time to any ending, honouring delayed entry.

    Interval-censored events are placed at the midpoint of their interval.

    Parameters
    ----------
    data : CoalitionData
        The episodes.
    label : str, optional
        Curve label; default the data set's name or ``"any ending"``.

    Returns
    -------
    lifelines.KaplanMeierFitter
        Fitted.
    """
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(label=label or data.name or "any ending")
    entry = data.entry if (data.entry > 0).any() else None
    return kmf.fit(exit_times(data), event_observed=data.is_event, entry=entry)


def risk_table(data: CoalitionData, times: Sequence[float]) -> pd.DataFrame:
    """Count episodes at risk and cumulative endings at the given times.

    An episode is at risk at ``t`` when ``entry <= t <= exit`` (interval rows exit at their
    midpoint, as in :func:`kaplan_meier`).

    Parameters
    ----------
    data : CoalitionData
        The episodes.
    times : sequence of float
        Times in ``data.time_unit``.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``at_risk``, one column per cause (cumulative events by ``t``)
        and one named by the censored label (cumulative censored by ``t``); a cause
        labelled ``time`` or ``at_risk`` would collide with the first two.
    """
    try:
        t = np.asarray(times, dtype=float).reshape(-1)[:, None]
    except (TypeError, ValueError):
        raise ArgumentError(f"risk_table: times must be numbers, got {times!r:.60}") from None
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ArgumentError(f"risk_table: times must be finite and >= 0, got {times!r:.60}")
    exit_ = exit_times(data)[None, :]
    out = {"time": t[:, 0], "at_risk": ((data.entry <= t) & (exit_ >= t)).sum(axis=1)}
    for i, cause in enumerate([*data.causes, data.censored_label]):
        mine = data.cause_index == (i if i < len(data.causes) else -1)
        out[cause] = ((exit_ <= t) & mine[None, :]).sum(axis=1)
    return pd.DataFrame(out)


def describe(data: CoalitionData) -> DataDescription:
    """Summarise the data: counts, censoring, follow-up, groups, exclusions, KM median."""
    n_cens = int((data.status == 0).sum())
    reasons = data.excluded["reason"].value_counts(sort=False) if len(data.excluded) else {}
    km = float(kaplan_meier(data).median_survival_time_) if data.n else float("nan")
    return DataDescription(
        name=data.name,
        n=data.n,
        time_unit=data.time_unit,
        causes=data.causes,
        n_events=dict(data.n_events),
        n_censored=n_cens,
        censored_share=n_cens / data.n if data.n else float("nan"),
        n_interval=int((data.status == 2).sum()),
        n_delayed_entry=int((data.entry > 0).sum()),
        follow_up={
            "min": float(np.min(data.time)),
            "median": float(np.median(data.time)),
            "max": float(np.max(data.time)),
        },
        groups={g: int(data.groups[g].nunique()) for g in data.group_names},
        km_median=km,
        n_excluded=len(data.excluded),
        excluded_by_reason={str(r): int(k) for r, k in dict(reasons).items()},
        notes=tuple(data.frame.attrs.get("notes", ())),
    )
