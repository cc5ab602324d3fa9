"""Multi-state histories: one row per sojourn of one unit in one state (:class:`TransitionData`).

A unit (a coalition) starts in a state (``coalition``), stays there for a sojourn
``(start, stop]`` and then enters the state named in ``to`` (``alliance``, ``dissolution``, ...)
or is censored (``to`` = the censored label). Times are on each unit's *process clock*: 0 is
the unit's entry into its first state, so a first row with ``start > 0`` is delayed entry (the
unit was observed only from ``start`` on). An optional ``entered`` column gives the time the
unit entered the row's state when that is before ``start`` (delayed entry in the reset clock).

Validation happens once and reports every problem in one
:class:`~coalsurv.errors.CoalitionDataError` (named steps, as for
:class:`~coalsurv.data.episodes.CoalitionData`): missing columns, non-numeric or non-finite
times, ``stop <= start``, overlapping or gapped sojourns of one id, a ``to`` that is not the
next row's ``state``, rows after a censored row, self-transitions, and (when ``transitions`` is
given) transitions not declared and rows after an absorbing state.

:meth:`TransitionData.episodes` turns the sojourns in one state into the
:class:`~coalsurv.data.episodes.CoalitionData` of one transition: the event is entering the
target, every other exit censors the sojourn (cause-specific hazards).

>>> import pandas as pd
>>> df = pd.DataFrame({"unit": [1, 1, 2], "state": ["coalition", "alliance", "coalition"],
...                    "start": [0.0, 4.0, 0.0], "stop": [4.0, 9.0, 3.0],
...                    "to": ["alliance", "censored", "dissolution"]})
>>> TransitionData.from_frame(df, id="unit", state="state", start="start", stop="stop", to="to",
...                          time_unit="days")
<coalsurv.TransitionData: 2 units, 3 sojourns, 2 transitions, time in days>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import TIME_UNITS, fmt_ids, rows_note
from coalsurv.data.episodes import CoalitionData
from coalsurv.data.tables import check_members
from coalsurv.data.values import as_numeric
from coalsurv.errors import CoalitionDataError

__all__ = ["TransitionData", "CLOCKS"]

#: Time scales of a multi-state model: time since the first state, or since entering the state.
CLOCKS = ("forward", "reset")


class TransitionData:
    """Validated sojourns of units in states (see the module docstring).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per sojourn, sorted by unit and start, with columns ``id``, ``state``,
        ``start``, ``stop``, ``entered``, ``to`` and the covariate and group columns.
    states : tuple of str
        Every state named in ``state`` or ``to``, in order of first appearance.
    observed : dict of (str, str) to int
        Number of observed transitions ``(source, target)``.
    covariate_names, group_names : tuple of str
    censored_label, time_unit : str
    n_units, n : int
        Units and sojourns.
    members : pandas.DataFrame or None
        Members of each unit (``id`` = the unit id, ``member``, optional ``share``, member
        covariates), validated as :class:`~coalsurv.data.episodes.CoalitionData`'s members
        table; every sojourn of a unit has the unit's members (``mm()`` terms).
    """

    def __init__(self, frame: pd.DataFrame, *, covariates: Sequence[str], groups: Sequence[str],
                 censored_label: str, time_unit: str, name: str | None = None,
                 members: pd.DataFrame | None = None) -> None:
        self.frame = frame
        self.members = members
        self.covariate_names = tuple(covariates)
        self.group_names = tuple(groups)
        self.censored_label = censored_label
        self.time_unit = time_unit
        self.name = name
        self.n = len(frame)
        self.n_units = int(frame["id"].nunique())
        states: list[str] = []
        for s, t in zip(frame["state"], frame["to"], strict=True):
            for x in (s, t):
                if x != censored_label and x not in states:
                    states.append(x)
        self.states = tuple(states)
        moved = frame[frame["to"] != censored_label]
        self.observed = {(str(a), str(b)): int(k)
                         for (a, b), k in moved.groupby(["state", "to"], sort=False).size().items()}

    def __repr__(self) -> str:
        return (f"<coalsurv.TransitionData: {self.n_units} units, {self.n} sojourns, "
                f"{sum(self.observed.values())} transitions, time in {self.time_unit}>")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, id: str, state: str, start: str, stop: str,
                   to: str, censored: str = "censored", covariates: Sequence[str] | None = None,
                   groups: str | Sequence[str] | None = None, time_unit: str | None = None,
                   entered: str | None = None, transitions: Sequence[Any] | None = None,
                   name: str | None = None,
                   members: pd.DataFrame | None = None) -> TransitionData:
        """Validate a table with one row per sojourn of one unit in one state.

        Parameters
        ----------
        df : pandas.DataFrame
        id, state, start, stop, to : str
            Columns: unit id; state of the sojourn; its start and end on the unit's process
            clock (0 = entry into the first state); the state entered at ``stop`` or the
            ``censored`` label.
        censored : str, default "censored"
            Label of censored sojourns in ``to``.
        covariates : sequence of str, optional
            Numeric columns (may change from one sojourn to the next).
        groups : str or sequence of str, optional
            Grouping columns (frailty terms).
        time_unit : {"days", "months", "years"}
            Required: the unit of ``start`` and ``stop`` (as for ``CoalitionData``).
        entered : str, optional
            Time the unit entered the row's state (default ``start``); only earlier than
            ``start`` for delayed entry.
        transitions : sequence of str or Transition, optional
            Declared transitions (``"coalition -> alliance"``); when given, observed
            transitions outside it and rows after an absorbing state are refused.
        name : str, optional
        members : pandas.DataFrame, optional
            Members of each unit for ``mm()`` terms: ``id`` (the unit id of ``id``),
            ``member``, optional ``share`` (summing to 1 per unit) and member covariates; each
            sojourn of a unit has the unit's members. Validated here as
            ``CoalitionData.from_frame``'s ``members`` (unknown ids, repeated (id, member)
            pairs, negative shares or shares not summing to 1 are refused).

        Raises
        ------
        CoalitionDataError
            One error listing every problem, each naming the column and the ids.
        """
        covariates = [] if covariates is None else list(covariates)
        groups = [groups] if isinstance(groups, str) else list(groups or [])
        problems = _check_options(df, id=id, state=state, start=start, stop=stop, to=to,
                                  censored=censored, covariates=covariates, groups=groups,
                                  time_unit=time_unit, entered=entered)
        if problems:
            raise CoalitionDataError("invalid multi-state data options", problems)
        frame = _canonical(df, id=id, state=state, start=start, stop=stop, to=to,
                           entered=entered, covariates=covariates, groups=groups)
        problems = _check_values(frame, covariates=covariates, groups=groups, columns={
            "id": id, "state": state, "start": start, "stop": stop, "to": to,
            "entered": entered or start}, censored=censored, time_unit=time_unit)
        if not problems:
            problems = _check_paths(frame, censored=censored, stop_col=stop, to_col=to,
                                    state_col=state)
        if not problems and transitions is not None:
            problems = _check_declared(frame, transitions, censored=censored)
        if members is not None:
            members = _check_unit_members(members, frame["id"], problems)
        if problems:
            raise CoalitionDataError(
                f"invalid multi-state data ({len(problems)} problem"
                f"{'s' if len(problems) != 1 else ''})", problems)
        frame[groups] = frame[groups].astype(str)
        return cls(frame.reset_index(drop=True), covariates=covariates, groups=groups,
                   censored_label=censored, time_unit=time_unit, name=name, members=members)

    @classmethod
    def from_wide(cls, df: pd.DataFrame, *, id: str, entry_times: Mapping[str, str], end: str,
                  initial: str = "coalition", absorbing: Sequence[str] = (),
                  censored: str = "censored", covariates: Sequence[str] | None = None,
                  groups: str | Sequence[str] | None = None, time_unit: str | None = None,
                  members: pd.DataFrame | None = None) -> TransitionData:
        """Build sojourns from one row per unit with the time it entered each state.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per unit.
        id : str
            Unit id column.
        entry_times : mapping of str to str
            State -> column of the time the unit entered it (missing = never). The unit is in
            ``initial`` from 0 on.
        end : str
            Column of the end of follow-up (censoring time of the last, non-absorbing state).
        initial : str
            State every unit starts in.
        absorbing : sequence of str
            States that end the history (no sojourn row, no later entry allowed).
        censored, covariates, groups, time_unit
            As in :meth:`from_frame`.
        members : pandas.DataFrame, optional
            Members of each unit (``mm()`` terms), keyed by the unit id of ``id``: as in
            :meth:`from_frame` (validated there, with ``CoalitionData``'s rules).
        """
        covariates = [] if covariates is None else list(covariates)
        group_list = [groups] if isinstance(groups, str) else list(groups or [])
        if not isinstance(df, pd.DataFrame):
            raise CoalitionDataError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
        if not isinstance(entry_times, Mapping):
            raise CoalitionDataError(f"entry_times: expected a mapping of state -> column, got "
                                     f"{type(entry_times).__name__}")
        missing = [c for c in [id, end, *entry_times.values(), *covariates, *group_list]
                   if not isinstance(c, str) or c not in df.columns]
        if missing:
            raise CoalitionDataError("invalid wide multi-state table",
                                     [f"column {c!r} is not in the table" for c in missing])
        problems: list[str] = []
        index = pd.Index(df[id].astype(object))
        times_of = {}
        for c in dict.fromkeys([end, *entry_times.values()]):
            times_of[c] = as_numeric(df[c], column=c, ids=index, problems=problems,
                                     time_unit=time_unit if time_unit in TIME_UNITS else None)
        if problems:
            raise CoalitionDataError("invalid wide multi-state table", problems)
        rows = []
        unit_ids = df[id].to_numpy()
        others = {c: df[c].to_numpy() for c in covariates + group_list}
        for i in range(len(df)):   # not iterrows: it would turn integer ids into floats
            entries = sorted(((float(times_of[c][i]), s) for s, c in entry_times.items()
                              if not np.isnan(times_of[c][i])), key=lambda x: x[0])
            times = [0.0] + [t for t, _ in entries]
            states = [initial] + [s for _, s in entries]
            follow = float(times_of[end][i])
            extra = {c: v[i] for c, v in others.items()}
            uid = unit_ids[i]
            for k, st in enumerate(states):
                if st in absorbing:
                    if k + 1 < len(states):
                        problems.append(f"id {fmt_ids([uid])}: enters {states[k + 1]!r} after the "
                                        f"absorbing state {st!r}")
                    break
                if k + 1 == len(states) and np.isnan(follow):
                    problems.append(f"column {end!r}: id {fmt_ids([uid])} has no end of follow-up "
                                    f"(missing) while in the non-absorbing state {st!r}")
                    break
                stop, to_ = ((times[k + 1], states[k + 1]) if k + 1 < len(states)
                             else (follow, censored))
                rows.append({"id": uid, "state": st, "start": times[k], "stop": stop,
                             "to": to_, **extra})
        if problems:
            raise CoalitionDataError("invalid wide multi-state table", problems)
        long = pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", *extra])
        return cls.from_frame(long, id="id", state="state", start="start", stop="stop",
                              to="to", censored=censored, covariates=covariates,
                              groups=group_list, time_unit=time_unit, members=members)

    # ------------------------------------------------------------------ per transition
    def episodes(self, source: str, target: str, *, clock: str,
                 columns: Sequence[str] | None = None) -> CoalitionData:
        """Return the sojourns in ``source`` as episodes whose event is entering ``target``.

        Exits to other states and censored sojourns are censored at ``stop``.

        Parameters
        ----------
        source, target : str
        clock : {"forward", "reset"}
            ``forward``: time since the unit's first state, entry at the sojourn's start;
            ``reset``: time since entering ``source`` (entry at ``start - entered``).
        columns : sequence of str, optional
            Keep only these covariate and group columns (those the transition's model uses):
            a covariate constant within ``source``'s sojourns is then refused only where it
            is used. Default: every column.
        """
        if clock not in CLOCKS:
            raise CoalitionDataError(f"clock={clock!r}: expected one of {CLOCKS}")
        rows = self.frame[self.frame["state"] == source]
        if rows.empty:
            raise CoalitionDataError(f"no sojourns in state {source!r}; the data's states "
                                     f"are {list(self.states)}")
        if clock == "forward":
            entry, time = rows["start"].to_numpy(), rows["stop"].to_numpy()
        else:
            entry = (rows["start"] - rows["entered"]).to_numpy()
            time = (rows["stop"] - rows["entered"]).to_numpy()
        ep = pd.DataFrame({
            "sojourn": [f"{i}#{k}" for i, k in zip(rows["id"], rows.index, strict=True)],
            "time": time, "entry": entry,
            "event": np.where(rows["to"] == target, target, self.censored_label),
        })
        keep = None if columns is None else set(columns)
        covariates = [c for c in self.covariate_names if keep is None or c in keep]
        groups = [c for c in self.group_names if keep is None or c in keep]
        for c in covariates + groups:
            ep[c] = rows[c].to_numpy()
        members = None
        if self.members is not None:  # each sojourn has its unit's members
            link = pd.DataFrame({"id": rows["id"].to_numpy(), "sojourn": ep["sojourn"]})
            members = link.merge(self.members, on="id", how="inner", sort=False)
            members = members.drop(columns="id").rename(columns={"sojourn": "id"})
        return CoalitionData.from_frame(
            ep, duration="time", event="event", id="sojourn", censored=self.censored_label,
            causes=[target], entry="entry", covariates=covariates,
            groups=groups or None, time_unit=self.time_unit, members=members,
            name=f"{source} -> {target}")

    def check_declared(self, transitions: Sequence[Any]) -> None:
        """Refuse observed transitions outside ``transitions`` and rows after absorbing states."""
        problems = _check_declared(self.frame, transitions, censored=self.censored_label)
        if problems:
            raise CoalitionDataError("multi-state data do not fit the declared transitions",
                                     problems)

    def to_frame(self) -> pd.DataFrame:
        """Return the canonical sojourn table (a copy)."""
        return self.frame.copy()

    def data_hash(self) -> str:
        """SHA-256 of the canonical table."""
        import hashlib

        text = self.frame.to_csv(index=False, float_format="%.17g")
        if self.members is not None:
            text += "\nmembers\n" + self.members.to_csv(index=False, float_format="%.17g")
        return hashlib.sha256(text.encode()).hexdigest()


def _check_unit_members(members, unit_ids: pd.Series, problems: list[str]):
    """Validate the members table of the units (CoalitionData's rules, ids = unit ids)."""
    if not isinstance(members, pd.DataFrame):
        problems.append(f"members: expected a pandas DataFrame (id, member, share, member "
                        f"covariates), got {type(members).__name__}")
        return None
    units = pd.Index(pd.unique(unit_ids))
    return check_members(members, ids=units, all_ids=units, problems=problems)


# ---------------------------------------------------------------------- validation steps
def _check_options(df, *, id, state, start, stop, to, censored, covariates, groups,
                   time_unit, entered) -> list[str]:
    """Step 1: option types and column presence."""
    if not isinstance(df, pd.DataFrame):
        return [f"df: expected a pandas DataFrame, got {type(df).__name__}"]
    problems = []
    named = {"id": id, "state": state, "start": start, "stop": stop, "to": to}
    if entered is not None:
        named["entered"] = entered
    for option, col in named.items():
        if not isinstance(col, str):
            problems.append(f"{option}: expected a column name (str), got {col!r}")
        elif col not in df.columns:
            problems.append(f"{option}={col!r}: no such column; columns are {list(df.columns)}")
    for option, cols in (("covariates", covariates), ("groups", groups)):
        for col in cols:
            if col not in df.columns:
                problems.append(f"{option}: column {col!r} is not in the table")
    if not isinstance(censored, str) or not censored:
        problems.append(f"censored: expected a non-empty label (str), got {censored!r}")
    if time_unit is None:
        problems.append(f"time_unit= is required: the unit of start and stop, one of "
                        f"{list(TIME_UNITS)}")
    elif time_unit not in TIME_UNITS:
        problems.append(f"time_unit={time_unit!r}: expected one of {list(TIME_UNITS)}")
    return problems


def _canonical(df, *, id, state, start, stop, to, entered, covariates, groups) -> pd.DataFrame:
    out = pd.DataFrame({
        "id": df[id].to_numpy(), "state": df[state].to_numpy(), "start": df[start].to_numpy(),
        "stop": df[stop].to_numpy(), "to": df[to].to_numpy(),
        "entered": df[entered if entered is not None else start].to_numpy(),
    }, index=pd.RangeIndex(len(df)))
    for c in covariates + groups:
        out[c] = df[c].to_numpy()
    return out


def _check_values(frame, *, covariates, groups, columns, censored, time_unit) -> list[str]:
    """Step 2: ids, labels, numeric finite times, ``entered <= start < stop``, covariates.

    Timedelta time columns are converted into ``time_unit`` (with a warning, as
    :class:`~coalsurv.data.episodes.CoalitionData` does); date columns are refused.
    """
    if frame.empty:
        return [f"the table has no rows: expected one row per sojourn (columns "
                f"{columns['id']!r}, {columns['state']!r}, {columns['start']!r}, "
                f"{columns['stop']!r}, {columns['to']!r})"]
    problems: list[str] = []
    ids = frame["id"]
    index = pd.Index(ids.astype(object))
    for key in ("id", "state", "to"):
        bad = frame[key].isna().to_numpy()
        if bad.any():
            problems.append(f"column {columns[key]!r}: missing values in "
                            f"{rows_note(list(ids[bad]))}")
    for key in ("state", "to"):
        bad = ~frame[key].map(lambda v: isinstance(v, str) or pd.isna(v)).to_numpy()
        if bad.any():
            problems.append(f"column {columns[key]!r}: expected state labels (str), got "
                            f"{fmt_ids(frame[key][bad])} in {rows_note(list(ids[bad]))}")
    bad = (frame["state"] == censored).to_numpy()
    if bad.any():
        problems.append(f"column {columns['state']!r}: the censored label {censored!r} is not a "
                        f"state (it belongs in {columns['to']!r} only), found in "
                        f"{rows_note(list(ids[bad]))}")
    read: dict[str, np.ndarray] = {}
    for key in ("start", "stop", "entered"):
        if key == "entered" and columns["entered"] == columns["start"]:
            values = read["start"]
        elif pd.api.types.is_datetime64_any_dtype(frame[key].dtype):
            problems.append(f"column {columns[key]!r}: holds dates, not times on the process "
                            "clock (0 = the unit's entry into its first state); subtract each "
                            "unit's first date and give numbers in time_unit (or Timedeltas)")
            values = np.full(len(frame), np.nan)
        else:
            found: list[str] = []
            values = as_numeric(frame[key], column=columns[key], ids=index, problems=found,
                                time_unit=time_unit)
            problems += found
            bad = np.isnan(values) & frame[key].isna().to_numpy()
            if bad.any():
                problems.append(f"column {columns[key]!r}: missing values (NaN) in "
                                f"{rows_note(list(ids[bad]))}; expected finite numbers in "
                                "the data's time unit")
        read[key] = values
        frame[key] = values
    if problems:
        return problems
    for cond, msg in ((frame["start"] < 0, f"{columns['start']!r} must be >= 0"),
                      (frame["stop"] <= frame["start"],
                       f"{columns['stop']!r} must be after {columns['start']!r} (stop > start)"),
                      (frame["entered"] > frame["start"],
                       f"{columns['entered']!r} must be <= {columns['start']!r}"),
                      (frame["state"] == frame["to"],
                       f"{columns['to']!r} equals {columns['state']!r} (a self-transition)")):
        if cond.any():
            problems.append(f"{msg}; violated in {rows_note(list(ids[cond.to_numpy()]))}")
    for c in covariates:
        found = []
        values = as_numeric(frame[c], column=c, ids=index, problems=found)
        problems += [f"covariate {p}" for p in found]
        bad = np.isnan(values) & frame[c].isna().to_numpy()
        if bad.any():
            problems.append(f"covariate {c!r}: missing values (NaN), expected finite numbers, in "
                            f"{rows_note(list(ids[bad]))}")
        frame[c] = values
    for c in groups:
        bad = frame[c].isna().to_numpy()
        if bad.any():
            problems.append(f"group {c!r}: missing labels in {rows_note(list(ids[bad]))}")
    return problems


def _check_paths(frame, *, censored, stop_col, to_col, state_col) -> list[str]:
    """Step 3: each id's sojourns chain: no gap or overlap, ``to`` = next state, censored last."""
    frame.sort_values(["id", "start"], inplace=True, kind="stable")
    same = frame["id"].to_numpy()[1:] == frame["id"].to_numpy()[:-1]
    prev, nxt = frame.iloc[:-1], frame.iloc[1:]
    checks = {
        "overlapping sojourns (next start < previous stop)":
            same & (nxt["start"].to_numpy() < prev["stop"].to_numpy()),
        "a gap between sojourns (next start > previous stop)":
            same & (nxt["start"].to_numpy() > prev["stop"].to_numpy()),
        f"rows after a sojourn censored ({to_col!r} = {censored!r})":
            same & (prev["to"].to_numpy() == censored),
        f"{to_col!r} is not the next row's {state_col!r}":
            same & (prev["to"].to_numpy() != nxt["state"].to_numpy())
            & (prev["to"].to_numpy() != censored),
        f"the next sojourn's entry ('entered') differs from the previous {stop_col!r}":
            same & (nxt["entered"].to_numpy() != prev["stop"].to_numpy()),
    }
    problems = []
    for msg, bad in checks.items():
        if bad.any():
            problems.append(f"{msg}: ids {fmt_ids(prev['id'].to_numpy()[bad])}")
    return problems


def _check_declared(frame, transitions, *, censored) -> list[str]:
    """Step 4: observed transitions are declared; nothing follows an absorbing state."""
    pairs = {_pair(t) for t in transitions}
    sources = {a for a, _ in pairs}
    problems = []
    moved = frame[frame["to"] != censored]
    for (a, b), rows in moved.groupby(["state", "to"], sort=False):
        if (a, b) not in pairs:
            problems.append(f"transition '{a} -> {b}' is observed ({len(rows)} sojourns, ids "
                            f"{fmt_ids(rows['id'])}) but not declared; declared: "
                            f"{sorted(f'{x} -> {y}' for x, y in pairs)}")
    stuck = ~frame["state"].isin(sources)
    if stuck.any():
        states = sorted(set(frame["state"][stuck]))
        problems.append(f"rows in states {states} that have no declared transition out "
                        f"(absorbing): ids {fmt_ids(frame['id'][stuck])}; drop them or "
                        "declare their transitions")
    return problems


def _pair(t: Any) -> tuple[str, str]:
    if isinstance(t, str):
        from coalsurv.errors import SpecError

        if t.count("->") != 1:
            raise SpecError(f"transition {t!r}: expected 'from_state -> to_state'")
        a, b = (x.strip() for x in t.split("->"))
        return a, b
    return str(t.source), str(t.target)
