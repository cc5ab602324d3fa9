"""Coalition episodes as validated canonical arrays: :class:`CoalitionData`.

One row per coalition episode (cabinet, alliance, campaign), with its duration, how it ended
(a cause label, or censored), optional delayed entry, interval censoring, grouping labels
(country, war, era), covariates, time-varying covariate spells and member-level tables.
Validation happens once, at construction, and reports every problem in one
:class:`~coalsurv.errors.CoalitionDataError`. The object is immutable afterwards: arrays are
read-only and methods that change the data return a new object.

Examples
--------
>>> import pandas as pd
>>> from coalsurv.data.episodes import CoalitionData
>>> df = pd.DataFrame({"months": [3.0, 20.0, 7.5], "fell": [1, 0, 1], "fract": [.6, .7, .8]})
>>> CoalitionData.from_frame(df, duration="months", event="fell", time_unit="months")
<coalsurv.CoalitionData: 3 episodes, 2 events (event: 2), 1 censored, time in months>
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.data.describe import (
    DataDescription,
    describe,
    kaplan_meier,
    risk_table,
)
from coalsurv.data.validation import check_new_covariates, parse_canonical, parse_frame
from coalsurv.errors import CoalitionDataError

if TYPE_CHECKING:  # pragma: no cover
    from lifelines import KaplanMeierFitter

__all__ = ["CoalitionData", "DataDescription"]

_ARRAYS = {
    "entry": np.float64,
    "time": np.float64,
    "time_upper": np.float64,
    "status": np.int8,
    "cause_index": np.int64,
}


def _readonly(values: Any, dtype: Any) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


class CoalitionData:
    """Validated coalition episodes: canonical arrays plus labels, groups and covariates.

    Build it with :meth:`from_frame` (user tables) or :meth:`from_canonical` (the output of
    :meth:`to_frame`, e.g. from a saved fit). Attributes follow the contract in DEVELOPING.md:

    Attributes
    ----------
    ids : pandas.Index
        Unique episode ids (named ``"id"``), ``n`` of them; every array is in this order.
    entry, time, time_upper : numpy.ndarray
        Delayed entry (0 when none); exit time (lower bound for interval rows); ``time`` for
        exact events, ``inf`` for right-censored rows, upper bound for interval rows.
    status, cause_index : numpy.ndarray
        int8: 0 right-censored, 1 exact event, 2 interval-censored event; int64 index into
        ``causes`` for events, -1 for censored rows.
    causes, censored_label, time_unit : tuple of str, str, str
        Cause labels (0/1 input gives ``("event",)``); label of censored rows; unit of times.
    covariates, groups : pandas.DataFrame
        Float covariates in raw units; group labels as str (index = ids). Column names in
        ``covariate_names`` and ``group_names``.
    spells, members : pandas.DataFrame or None
        Time-varying covariate spells; member-level table.
    frame, excluded : pandas.DataFrame
        Kept input rows (original columns, index = ids; unnamed when an ``id`` column exists);
        ``id``, ``reason`` of rows left out with ``dropna=True``.
    is_event, n_events : numpy.ndarray of bool, dict
        ``status > 0``; cause label -> number of events.
    name, source : str or None
        Name of the data set; where it came from (citation, path).
    """

    def __init__(
        self,
        *,
        ids: pd.Index,
        entry: np.ndarray,
        time: np.ndarray,
        time_upper: np.ndarray,
        status: np.ndarray,
        cause_index: np.ndarray,
        causes: Sequence[str],
        censored_label: str,
        time_unit: str,
        covariates: pd.DataFrame,
        groups: pd.DataFrame,
        spells: pd.DataFrame | None = None,
        members: pd.DataFrame | None = None,
        frame: pd.DataFrame | None = None,
        excluded: pd.DataFrame | None = None,
        name: str | None = None,
        source: str | None = None,
    ) -> None:
        ids = pd.Index(ids, name="id")
        set_ = object.__setattr__
        set_(self, "ids", ids)
        set_(self, "n", len(ids))
        for key, value in (
            ("entry", entry), ("time", time), ("time_upper", time_upper),
            ("status", status), ("cause_index", cause_index),
        ):
            set_(self, key, _readonly(value, _ARRAYS[key]))
        set_(self, "causes", tuple(str(c) for c in causes))
        set_(self, "censored_label", str(censored_label))
        set_(self, "time_unit", time_unit)
        cov = covariates.astype(float).set_axis(ids, axis=0)
        set_(self, "covariates", cov)
        set_(self, "covariate_names", tuple(cov.columns))
        set_(self, "groups", groups.astype(str).set_axis(ids, axis=0))
        set_(self, "group_names", tuple(groups.columns))
        set_(self, "spells", spells)
        set_(self, "members", members)
        frame = self.to_frame() if frame is None else frame
        set_(self, "frame", frame.set_axis(ids.rename(None) if "id" in frame else ids, axis=0))
        if excluded is None:
            excluded = pd.DataFrame({"id": pd.Series([], dtype=ids.dtype), "reason": []})
        set_(self, "excluded", excluded)
        set_(self, "name", name)
        set_(self, "source", source)
        set_(self, "is_event", _readonly(self.status > 0, bool))
        counts = np.bincount(self.cause_index[self.is_event], minlength=len(self.causes))
        set_(self, "n_events", {c: int(k) for c, k in zip(self.causes, counts, strict=True)})

    def __setattr__(self, key: str, value: object) -> None:
        """Refuse assignment: the object is immutable; derive a new one instead."""
        raise AttributeError(
            f"CoalitionData is immutable: cannot set {key!r}; use subset() or with_covariates()"
        )

    # construction --------------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        duration: str | None = None,
        event: str,
        start: str | None = None,
        end: str | None = None,
        id: str | None = None,
        censored: str = "censored",
        causes: Sequence[str] | None = None,
        entry: str | None = None,
        lower: str | None = None,
        upper: str | None = None,
        groups: str | Sequence[str] | None = None,
        covariates: Sequence[str] | None = None,
        time_unit: str | None = None,
        spells: pd.DataFrame | None = None,
        members: pd.DataFrame | None = None,
        dropna: bool = False,
        name: str | None = None,
        source: str | None = None,
    ) -> CoalitionData:
        """Validate a table with one row per coalition episode.

        Parameters
        ----------
        df : pandas.DataFrame
            Episode table.
        duration : str, optional
            Column of episode lengths in ``time_unit`` (Timedeltas are converted into it, with a
            warning; a date column is refused). Alternative: ``start``/``end``.
        event : str
            How each episode ended: cause labels (str; censored rows carry ``censored``) or
            0/1 (ints, bools or 0.0/1.0; gives the single cause ``"event"``).
        start, end : str, optional
            Date columns; the duration is ``end - start`` converted to ``time_unit``
            (months = days / 30.4375, years = days / 365.25).
        id : str, optional
            Column of unique episode ids; default the index of ``df``.
        censored : str, default "censored"
            Label of right-censored rows in a label column.
        causes : sequence of str, optional
            Allowed cause labels, in this order (default: sorted labels found). For a 0/1
            column, one label naming the cause.
        entry : str, optional
            Delayed entry (left truncation): time since the coalition started when observation
            began; must be before the exit time.
        lower, upper : str, optional
            Interval censoring: rows with both non-missing ended in ``(lower, upper]`` (status
            2; ``lower >= 0``, ``upper > lower``; the duration may be missing there). Censored
            rows may not have an interval.
        groups : str or sequence of str, optional
            Grouping columns (country, war, era; nested or crossed), stored as str labels.
        covariates : sequence of str, optional
            Covariate columns (numeric or bool). ``None`` takes every numeric or bool column
            that has no other role and whose name is not a canonical column name (``id``,
            ``entry``, ``time``, ``time_upper``, ``status``, ``cause``); ``[]`` takes none.
        time_unit : {"days", "months", "years"}
            Unit of all times. Required (no default: a duration in months read as days would
            be silently wrong); leaving it out is a ``CoalitionDataError``.
        spells : pandas.DataFrame, optional
            Time-varying covariates: ``id``, ``start``, ``stop`` (time since coalition start, in
            ``time_unit``) and covariate columns; contiguous per episode from at or before its
            entry to its exit time (``time_upper`` for interval rows).
        members : pandas.DataFrame, optional
            Member-level table: ``id``, ``member``, optional ``share`` (summing to 1 per
            episode), ``position`` and other columns. Either table may be given as a list of
            dicts (one per row); it is converted to a DataFrame.
        dropna : bool, default False
            Exclude rows with missing values in used columns and list them in ``.excluded``
            (never silently). With False, missing values are an error.
        name, source : str, optional
            Name of the data set; citation or path.

        Returns
        -------
        CoalitionData

        Raises
        ------
        coalsurv.errors.CoalitionDataError
            Listing every problem found, each naming the column, row ids and what is expected.
        """
        parts = parse_frame(
            df, duration=duration, event=event, start=start, end=end, id=id, censored=censored,
            causes=causes, entry=entry, lower=lower, upper=upper, groups=groups,
            covariates=covariates, time_unit=time_unit, spells=spells, members=members,
            dropna=dropna, name=name, source=source,
        )
        return cls(**parts)

    @classmethod
    def from_canonical(
        cls,
        frame: pd.DataFrame,
        *,
        time_unit: str,
        causes: Sequence[str],
        censored: str = "censored",
        group_names: Sequence[str] = (),
        covariate_names: Sequence[str] = (),
        name: str | None = None,
        source: str | None = None,
        spells: pd.DataFrame | None = None,
        members: pd.DataFrame | None = None,
    ) -> CoalitionData:
        """Rebuild a :class:`CoalitionData` from :meth:`to_frame` output.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``id, entry, time, time_upper, status, cause`` plus group and covariate
            columns.
        time_unit, causes, censored, group_names, covariate_names, name, source
            As recorded with the frame (e.g. in a saved fit).
        spells, members : pandas.DataFrame, optional
            Tables of the original object, when it had them.

        Returns
        -------
        CoalitionData
            Equal to the original: same :meth:`data_hash`.
        """
        parts = parse_canonical(
            frame, time_unit=time_unit, causes=causes, censored=censored,
            group_names=group_names, covariate_names=covariate_names,
        )
        return cls(**parts, spells=spells, members=members, name=name, source=source)

    def _replace(self, **changes: Any) -> CoalitionData:
        parts = {
            k: getattr(self, k)
            for k in (
                "ids", "entry", "time", "time_upper", "status", "cause_index", "causes",
                "censored_label", "time_unit", "covariates", "groups", "spells", "members",
                "frame", "excluded", "name", "source",
            )
        }
        parts.update(changes)
        return type(self)(**parts)

    # derived objects -----------------------------------------------------------------------
    def subset(self, mask_or_ids: Any) -> CoalitionData:
        """Return a new object with some episodes.

        Parameters
        ----------
        mask_or_ids : array-like of bool (length ``n``) or sequence of ids
            Episodes to keep (ids keep the given order). Causes keep their order even when a
            cause has no event left; ``excluded`` rows of the source table are carried along.

        Returns
        -------
        CoalitionData
        """
        sel = np.asarray(mask_or_ids)
        if sel.dtype == bool:
            if sel.shape != (self.n,):
                msg = f"expected {self.n} values, got {sel.size}"
                raise CoalitionDataError("subset: boolean mask has the wrong length", [msg])
            pos = np.flatnonzero(sel)
        else:
            pos = self.ids.get_indexer(pd.Index(list(mask_or_ids)))
            if (pos < 0).any():
                unknown = pd.Index(list(mask_or_ids))[pos < 0]
                raise CoalitionDataError("subset: unknown ids", [f"ids {fmt_ids(unknown)}"])
        if len(pos) == 0:
            raise CoalitionDataError("subset: no episodes selected", ["select at least one id"])
        ids = self.ids[pos]

        def rows(table: pd.DataFrame | None) -> pd.DataFrame | None:
            if table is None:
                return None
            kept = table[table["id"].isin(ids)]
            order = np.argsort(ids.get_indexer(kept["id"]), kind="stable")
            return kept.iloc[order].reset_index(drop=True)

        return self._replace(
            ids=ids, entry=self.entry[pos], time=self.time[pos], time_upper=self.time_upper[pos],
            status=self.status[pos], cause_index=self.cause_index[pos],
            covariates=self.covariates.iloc[pos], groups=self.groups.iloc[pos],
            spells=rows(self.spells), members=rows(self.members), frame=self.frame.iloc[pos],
        )

    def with_covariates(
        self, df: pd.DataFrame, *, id: str | None = None
    ) -> CoalitionData:
        """Return a new object with extra covariate columns joined by episode id.

        Parameters
        ----------
        df : pandas.DataFrame
            New covariates, one row per episode (extra ids are ignored).
        id : str, optional
            Column of episode ids in ``df``; default its ``id`` column if present, else its
            index.

        Returns
        -------
        CoalitionData

        Raises
        ------
        coalsurv.errors.CoalitionDataError
            Missing or duplicate ids, non-numeric, missing, infinite or constant values, or a
            name clash with existing covariates.
        """
        key = id if id is not None else ("id" if "id" in getattr(df, "columns", ()) else None)
        new = check_new_covariates(df, key=key, ids=self.ids, existing=self.covariate_names)
        return self._replace(covariates=pd.concat([self.covariates, new], axis=1))

    def episode_profiles(self) -> pd.DataFrame:
        """Return each episode's covariates (original units) and group labels, indexed by id.

        The frame a model's formula is evaluated on and predictions for fitted rows start from.
        """
        return pd.concat([self.covariates, self.groups], axis=1)

    def replace_covariates(self, frame: pd.DataFrame) -> CoalitionData:
        """Return a new object whose covariates of ``frame``'s names take ``frame``'s values.

        Columns of ``frame`` that are not yet covariates are added. Used to carry the
        last-spell value of time-varying covariates (:mod:`coalsurv.data.spells`).

        Raises
        ------
        coalsurv.errors.CoalitionDataError
            When ``frame`` is not indexed by exactly this object's ids or holds non-finite values.
        """
        if not isinstance(frame, pd.DataFrame) or not frame.index.equals(self.ids):
            raise CoalitionDataError("replace_covariates: expected a DataFrame indexed by the "
                                     "data's episode ids, in order")
        values = frame.astype(float)
        bad = [str(c) for c in values.columns if not np.all(np.isfinite(values[c].to_numpy()))]
        if bad:
            raise CoalitionDataError("replace_covariates: missing or infinite values",
                                     [f"column {c!r}" for c in bad])
        kept = self.covariates.drop(columns=[c for c in values.columns
                                             if c in self.covariates.columns])
        return self._replace(covariates=pd.concat([kept, values], axis=1))

    def with_excluded(self, excluded: pd.DataFrame) -> CoalitionData:
        """Return a new object whose ``excluded`` table starts with ``excluded`` (id, reason).

        Loaders record the episodes they left out before ``from_frame`` here, in front of the
        rows ``from_frame`` itself dropped, so that nothing is left out silently.
        """
        if not isinstance(excluded, pd.DataFrame) or not {"id", "reason"} <= set(excluded.columns):
            raise CoalitionDataError("with_excluded: expected a DataFrame with columns id, reason")
        parts = [excluded[["id", "reason"]]]
        if len(self.excluded):
            parts.append(self.excluded[["id", "reason"]])
        return self._replace(excluded=pd.concat(parts, ignore_index=True))

    # views ---------------------------------------------------------------------------------
    def cause_labels(self) -> np.ndarray:
        """Return each episode's cause label (the censored label for censored rows)."""
        labels = np.array([*self.causes, self.censored_label], dtype=object)
        return labels[self.cause_index]  # -1 picks the censored label

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy canonical frame.

        Columns ``id, entry, time, time_upper, status, cause`` (cause label; the censored
        label for censored rows), then group columns, then covariate columns.
        """
        base = pd.DataFrame(
            {
                "id": self.ids.to_numpy(), "entry": self.entry, "time": self.time,
                "time_upper": self.time_upper, "status": self.status,
                "cause": self.cause_labels(),
            }
        )
        extra = [t.reset_index(drop=True) for t in (self.groups, self.covariates)]
        return pd.concat([base, *extra], axis=1)

    def kaplan_meier(self, *, label: str | None = None) -> KaplanMeierFitter:
        """Fit a Kaplan-Meier curve of time to any ending, honouring delayed entry.

        Interval-censored events are placed at the midpoint of their interval.

        Parameters
        ----------
        label : str, optional
            Curve label; default the data set's name or ``"any ending"``.

        Returns
        -------
        lifelines.KaplanMeierFitter
            Fitted.
        """
        return kaplan_meier(self, label=label)

    def risk_table(self, times: Sequence[float]) -> pd.DataFrame:
        """Count episodes at risk and cumulative endings at the given times.

        See :func:`coalsurv.data.describe.risk_table`.
        """
        return risk_table(self, times)

    def describe(self) -> DataDescription:
        """Summarise the data: counts, censoring, follow-up, groups, exclusions, KM median."""
        return describe(self)

    def data_hash(self) -> str:
        """Return a sha256 hex digest of the canonical data (stable across runs and platforms).

        Covers ids (as text), entry, time, time_upper, status, cause_index, causes, the
        censored label, time_unit, covariates and groups (names and values), and the spells
        and members tables when present.
        """
        h = hashlib.sha256()
        meta = {
            "ids": [str(i) for i in self.ids], "causes": list(self.causes),
            "censored": self.censored_label, "time_unit": self.time_unit,
            "covariate_names": [str(c) for c in self.covariate_names],
            "group_names": [str(g) for g in self.group_names],
            "groups": self.groups.to_numpy().tolist(),
        }
        h.update(json.dumps(meta, sort_keys=True).encode())
        for key, dtype in _ARRAYS.items():
            little = np.dtype(dtype).newbyteorder("<")
            h.update(np.ascontiguousarray(getattr(self, key), dtype=little).tobytes())
        h.update(np.ascontiguousarray(self.covariates.to_numpy(float), dtype="<f8").tobytes())
        for table in (self.spells, self.members):
            if table is not None:
                h.update(table.to_csv(index=False).encode())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        """Equal when the canonical data are equal (same :meth:`data_hash`)."""
        if not isinstance(other, CoalitionData):
            return NotImplemented
        return self.data_hash() == other.data_hash()

    def __hash__(self) -> int:
        """Hash of :meth:`data_hash`."""
        return hash(self.data_hash())

    # display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        """Lifelines-style one-liner: N, events by cause, censored count, time unit."""
        events = ", ".join(f"{c}: {k}" for c, k in self.n_events.items())
        head = f"{self.name!r}, " if self.name else ""
        n_ev = sum(self.n_events.values())
        return (
            f"<coalsurv.CoalitionData: {head}{self.n} episodes, {n_ev} events ({events}), "
            f"{int((self.status == 0).sum())} censored, time in {self.time_unit}>"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.describe()._repr_html_()
