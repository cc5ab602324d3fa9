"""One joint graph for a multi-state model: effects and a frailty shared across transitions.

Thin real histories (30-100 events per transition, issue 24) need transitions that borrow
strength from each other, which separate per-transition fits cannot do. The joint form is
mstate's stacked one: every sojourn in state ``r`` gives one row per transition ``r -> s``
declared out of ``r`` (event = the sojourn ended by entering ``s``; every other exit censors
it), with entry and exit on the model's clock (forward: delayed entry at the sojourn's start;
reset: time since entering ``r``, delayed when the unit entered ``r`` before its first row).
The multi-state likelihood is the product of these rows' survival terms, so ONE
:class:`~coalsurv.fit.model.SurvivalModel` on the stacked rows, stratified by transition
(``strata="ms_transition"``: each transition its own baseline level and shape), is the joint
model:

* a covariate ``x`` in a transition's formula enters as the column ``x__<source>_to_<target>``
  (``x`` on that transition's rows, 0 elsewhere): its own effect, standardised by the SD of
  ``x`` in that transition's sojourns (the same "per SD" as a separate fit);
* a covariate shared by a set of transitions (``shared={"x": [keys]}``) enters as one column
  ``x__shared`` (``x`` on those transitions' rows): one coefficient for all of them,
  standardised by the SD of ``x`` over their rows;
* a shared frailty ``frailty="(1 | country)"`` is an ordinary group term of the stacked model:
  one effect per country, entering every transition's hazard;
* ``strata="era"`` (``model_options``) crosses the transition strata with ``era``.

Predictions of transition ``k`` are the joint fit evaluated on rows carrying ``k``'s stratum
and indicator columns (:meth:`JointLayout.newdata`); the occupancy code reads them through
:class:`TransitionPredictor`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coalsurv.data.episodes import CoalitionData
from coalsurv.endings import parse_transition
from coalsurv.errors import SpecError
from coalsurv.fit.predict import Predictor
from coalsurv.spec.members import split_mm
from coalsurv.spec.modelspec import parse_formula

__all__ = ["JointLayout", "make_layout", "TransitionPredictor", "JointTransition",
           "TRANSITION_COLUMN",
           "JOINT_CAUSE", "SHARED_SUFFIX"]

#: Group column of the stacked rows naming their transition (the strata of the joint model).
TRANSITION_COLUMN = "ms_transition"
#: The one modelled ending of the stacked rows: the sojourn ended by the row's transition.
JOINT_CAUSE = "moved"
#: Suffix of a shared covariate's column.
SHARED_SUFFIX = "shared"
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class JointLayout:
    """How a multi-state model maps onto the stacked rows of one joint graph.

    Attributes
    ----------
    keys : tuple of str
        Transition keys ("a -> b"), in the model's order.
    columns : tuple of (column, covariate, keys)
        Each model column: the covariate it carries and the transitions whose rows carry it.
    frailty : str
        Shared group terms (``"(1 | country)"``), or ``""``.
    strata : str
        A group column crossed with the transition strata, or ``""``.
    """

    keys: tuple[str, ...]
    columns: tuple[tuple[str, str, tuple[str, ...]], ...]
    frailty: str = ""
    strata: str = ""

    # ------------------------------------------------------------------ structure
    @property
    def formula(self) -> str:
        """The stacked model's formula."""
        parts = [c for c, _, _ in self.columns] or ["1"]
        return " + ".join(parts + ([self.frailty] if self.frailty else []))

    @property
    def factors(self) -> list[str]:
        """Group columns of the shared frailty."""
        if not self.frailty:
            return []
        return list(dict.fromkeys(c for g in parse_formula(self.frailty)[1] for c in g.columns))

    def covariates(self, key: str | None = None) -> list[str]:
        """Covariates of the model (of transition ``key`` only when given)."""
        return list(dict.fromkeys(cov for _, cov, keys in self.columns
                                  if key is None or key in keys))

    def label(self, keys: tuple[str, ...]) -> str:
        """Reader's label of a set of transitions (one key, or ``shared (k1; k2)``)."""
        return keys[0] if len(keys) == 1 else f"shared ({'; '.join(keys)})"

    def to_dict(self) -> dict:
        """Plain JSON-able record (the multi-state fit file's manifest)."""
        return {"keys": list(self.keys), "frailty": self.frailty, "strata": self.strata,
                "columns": [[c, cov, list(keys)] for c, cov, keys in self.columns]}

    @classmethod
    def from_dict(cls, record: Mapping) -> JointLayout:
        """Inverse of :meth:`to_dict`."""
        return cls(keys=tuple(record["keys"]), frailty=str(record["frailty"]),
                   strata=str(record["strata"]),
                   columns=tuple((str(c), str(cov), tuple(keys))
                                 for c, cov, keys in record["columns"]))

    # ------------------------------------------------------------------ data
    def check_data(self, data) -> None:
        """Refuse data lacking a covariate, a frailty column with nothing shared (one error)."""
        problems = []
        for _, cov, keys in self.columns:
            if cov not in data.covariate_names:
                problems.append(f"covariate {cov!r} (transitions {list(keys)}) is not a "
                                f"covariate of the data; covariates: "
                                f"{list(data.covariate_names)}")
        for col in [*self.factors, *([self.strata] if self.strata else [])]:
            if col not in data.group_names:
                what = "the shared frailty" if col in self.factors else "strata"
                problems.append(f"{what} column {col!r} is not a group column of the data; "
                                f"group columns: {list(data.group_names)} (groups=[...])")
        if TRANSITION_COLUMN in (*data.covariate_names, *data.group_names):
            problems.append(f"the data have a column {TRANSITION_COLUMN!r}, the name the joint "
                            "model gives its transition strata; rename it")
        if not problems:
            for col in self.factors:
                seen: dict[str, set] = {}
                for key in self.keys:
                    rows = data.frame[data.frame["state"] == parse_transition(key).source]
                    for level in set(rows[col].astype(str)):
                        seen.setdefault(level, set()).add(key)
                if not any(len(ks) > 1 for ks in seen.values()):
                    problems.append(
                        f"frailty {self.frailty!r}: no level of {col!r} occurs in the sojourns "
                        f"of two transitions ({', '.join(self.keys)}), so a frailty shared "
                        "across transitions has nothing to share; give each transition its "
                        "own group term instead")
        if problems:
            raise SpecError("the multi-state data do not fit the joint model", problems)

    def stack(self, data, clock: str) -> CoalitionData:
        """Return the stacked rows: one per (sojourn, transition out of its state)."""
        self.check_data(data)
        parts = []
        for i, key in enumerate(self.keys):
            t = parse_transition(key)
            rows = data.frame[data.frame["state"] == t.source]
            if clock == "forward":
                entry, time = rows["start"].to_numpy(), rows["stop"].to_numpy()
            else:
                entry = (rows["start"] - rows["entered"]).to_numpy()
                time = (rows["stop"] - rows["entered"]).to_numpy()
            part = pd.DataFrame({
                "row": [f"{u}#{k}@{i}" for u, k in zip(rows["id"], rows.index, strict=True)],
                "time": time, "entry": entry,
                "event": np.where(rows["to"] == t.target, JOINT_CAUSE, data.censored_label)})
            part[TRANSITION_COLUMN] = self._stratum(key, rows)
            for col, cov, keys in self.columns:
                part[col] = rows[cov].to_numpy(float) if key in keys else 0.0
            for col in self.factors:
                part[col] = rows[col].astype(str).to_numpy()
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        return CoalitionData.from_frame(
            frame, duration="time", event="event", id="row", censored=data.censored_label,
            causes=[JOINT_CAUSE], entry="entry", covariates=[c for c, _, _ in self.columns],
            groups=[TRANSITION_COLUMN, *self.factors], time_unit=data.time_unit,
            name=f"{data.name or 'histories'}: stacked transitions")

    def _stratum(self, key: str, rows: pd.DataFrame) -> np.ndarray:
        if not self.strata:
            return np.full(len(rows), key, dtype=object)
        return np.array([f"{key} | {v}" for v in rows[self.strata].astype(str)], dtype=object)

    def standardise(self, data) -> dict[str, list[float]]:
        """Centre and scale of each column: SD of the covariate over its transitions' sojourns.

        Raises
        ------
        SpecError
            A covariate constant over the sojourns of the transitions it enters.
        """
        out, problems = {}, []
        for col, cov, keys in self.columns:
            sources = {parse_transition(k).source for k in keys}
            values = np.concatenate([data.frame.loc[data.frame["state"] == s, cov].to_numpy(float)
                                     for s in sources])
            sd = float(np.nanstd(values)) if values.size else 0.0
            if not sd > 0:
                problems.append(f"covariate {cov!r} is constant over the sojourns of "
                                f"{self.label(keys)}: it has no estimable effect there")
                continue
            # the centre: the column's mean over all stacked rows (0 on other transitions)
            n = {k: int((data.frame["state"] == parse_transition(k).source).sum())
                 for k in self.keys}
            total = sum(float(np.nansum(data.frame.loc[data.frame["state"]
                                                       == parse_transition(k).source, cov]))
                        for k in keys)
            out[col] = [total / sum(n.values()), sd]
        if problems:
            raise SpecError("the joint multi-state model cannot standardise its columns",
                            problems)
        return out

    def newdata(self, key: str, newdata: pd.DataFrame) -> pd.DataFrame:
        """Return ``newdata`` as rows of transition ``key`` (stratum and indicator columns)."""
        missing = [c for c in self.covariates(key) if c not in newdata.columns]
        if self.strata and self.strata not in newdata.columns:
            missing.append(self.strata)
        if missing:
            raise SpecError(f"newdata needs the columns {missing} for transition {key!r} of "
                            f"the joint multi-state model (its covariates"
                            f"{' and strata' if self.strata else ''})")
        out = newdata.copy()
        out[TRANSITION_COLUMN] = self._stratum(key, newdata)
        for col, cov, keys in self.columns:
            out[col] = pd.to_numeric(newdata[cov], errors="coerce").to_numpy(float) \
                if key in keys else 0.0
        return out

    # ------------------------------------------------------------------ reading a fit
    def drop_added(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Drop the columns :meth:`newdata` adds (predictions echo newdata's columns)."""
        added = [TRANSITION_COLUMN, *(c for c, _, _ in self.columns), "cause"]
        return frame.drop(columns=[c for c in added if c in frame])

    def transition_of(self, text: str) -> tuple[str, str]:
        """(transition label, text with columns written as their covariates) of a table cell."""
        for col, cov, keys in sorted(self.columns, key=lambda c: -len(c[0])):
            if re.search(rf"(?<![\w]){re.escape(col)}(?![\w])", text):
                return self.label(keys), re.sub(rf"(?<![\w]){re.escape(col)}(?![\w])", cov,
                                                text)
        for key in sorted(self.keys, key=len, reverse=True):
            if re.search(rf"(?<=[\[ ,(]){re.escape(key)}(?=[\], |)]|$)", text):
                return key, text
        return "all", text

    def relabel(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """Add a leading ``transition`` column to a table of the joint fit (cells rewritten)."""
        frame = frame.drop(columns=[c for c in ("cause",) if c in frame]).copy()
        pairs = [self.transition_of(str(v)) for v in frame[column]]
        frame[column] = [text for _, text in pairs]
        frame.insert(0, "transition", [label for label, _ in pairs])
        return frame


def make_layout(formulas: Mapping[str, str], *, shared, frailty: str,
                strata: str = "") -> tuple[JointLayout | None, list[str]]:
    """Return the layout of a joint model (None when nothing is shared) and the problems."""
    if not shared and not frailty:  # separate fits: their formulas are checked by each model
        return None, []
    keys = tuple(formulas)
    problems: list[str] = []
    named: dict[str, list[str]] = {}
    for key, formula in formulas.items():
        try:
            fixed, groups = parse_formula(formula)
        except SpecError as exc:
            problems.append(f"transition {key!r}: {exc}")
            continue
        if split_mm(formula)[1] is not None:
            problems.append(f"transition {key!r}: mm() members terms are not supported with "
                            "shared effects or a shared frailty (one joint graph of stacked "
                            "sojourns); fit the transitions separately (no shared=, "
                            "frailty='per_transition') to use mm()")
        if groups:
            problems.append(f"transition {key!r}: group terms ({', '.join(map(str, groups))}) "
                            "in a transition's formula are not supported with shared effects "
                            "or a shared frailty; give the frailty once, frailty='(1 | g)'")
        terms = [p.strip() for p in fixed.split("+") if p.strip() not in ("", "1")]
        bad = [p for p in terms if not _PLAIN.match(p)]
        if bad:
            problems.append(f"transition {key!r}: terms {bad} are not plain covariate names; "
                            "the joint multi-state model takes plain names (make a column "
                            "for a transformed covariate)")
        named[key] = [p for p in terms if _PLAIN.match(p)]
    share_of: dict[str, tuple[str, ...]] = {}
    if shared is not None and not isinstance(shared, Mapping):
        problems.append(f"shared: expected a mapping of covariate to a list of transition "
                        f"keys, e.g. {{'x': ['a -> b', 'b -> c']}}, got {type(shared).__name__}")
        shared = {}
    for cov, value in (shared or {}).items():
        if isinstance(value, str) or not isinstance(value, list | tuple):
            problems.append(f"shared[{cov!r}]: expected a list of transition keys, got "
                            f"{value!r}")
            continue
        canon = []
        for k in value:
            c = _canon(k)
            if c not in keys:
                problems.append(f"shared[{cov!r}]: {k!r} is not a transition of the model; "
                                f"transitions: {list(keys)}")
            elif c in canon:
                problems.append(f"shared[{cov!r}]: transition {c!r} is named twice")
            else:
                canon.append(c)
                if cov not in named.get(c, [cov]):
                    problems.append(f"shared[{cov!r}]: transition {c!r}'s formula "
                                    f"{formulas[c]!r} does not name {cov!r}; add it there "
                                    "or leave the transition out of the shared list")
        if len(value) < 2:
            problems.append(f"shared[{cov!r}]: {len(value)} transition(s) given; an effect is "
                            "shared by at least two transitions")
        share_of[cov] = tuple(k for k in keys if k in canon)
    tokens = _tokens(keys)
    columns = []
    for key in keys:
        for cov in named.get(key, []):
            if key in share_of.get(cov, ()):
                col = (f"{cov}__{SHARED_SUFFIX}", cov, share_of[cov])
                if col not in columns:
                    columns.append(col)
            else:
                columns.append((f"{cov}__{tokens[key]}", cov, (key,)))
    if frailty:
        try:
            fixed, groups = parse_formula(frailty)
            if fixed.strip() not in ("", "1") or not groups or any(
                    g.slopes or not g.intercept for g in groups):
                raise SpecError("not a frailty")
        except SpecError:
            problems.append(f"frailty={frailty!r}: expected 'per_transition' or one group "
                            "intercept shared across transitions, e.g. '(1 | country)'")
    if not (share_of or frailty):
        return None, problems
    order = sorted(columns, key=lambda c: (c[0].endswith(f"__{SHARED_SUFFIX}"),))
    return JointLayout(keys=keys, columns=tuple(order), frailty=frailty or "",
                       strata=strata or ""), problems


def _canon(key) -> str:
    try:
        return str(parse_transition(key))
    except (SpecError, TypeError, AttributeError):
        return str(key)


def _tokens(keys: tuple[str, ...]) -> dict[str, str]:
    """Identifier-safe names of the transitions (``source_to_target``; ``t<i>`` on a clash)."""
    out = {}
    for i, key in enumerate(keys):
        t = parse_transition(key)
        tok = re.sub(r"\W+", "_", f"{t.source}_to_{t.target}").strip("_")
        out[key] = tok if tok and tok not in out.values() else f"t{i}"
    return out


class TransitionPredictor:
    """One transition's hazards from the joint fit's :class:`~coalsurv.fit.predict.Predictor`.

    Offers what the occupancy code reads (``n_draws``, ``info``, ``family``, ``eta``,
    ``params``, ``log_survival_by_cause``), each on ``newdata`` made rows of the transition.
    """

    def __init__(self, base, layout: JointLayout, key: str):
        self.base, self.layout, self.key = base, layout, key
        self.n_draws, self.info, self.family = base.n_draws, base.info, base.family
        #: the group effects of the joint fit are one frailty shared by all transitions
        self.shared_frailty = bool(layout.frailty)

    def eta(self, newdata, *, frailty: str = "conditional"):
        """See :meth:`coalsurv.fit.predict.Predictor.eta`."""
        return self.base.eta(self.layout.newdata(self.key, newdata), frailty=frailty)

    def params(self, k: int, newdata=None):
        """See :meth:`coalsurv.fit.predict.Predictor.params` (per stratum: needs newdata)."""
        if newdata is None:
            newdata = pd.DataFrame({c: [0.0] for c in self.layout.covariates(self.key)})
        return self.base.params(k, self.layout.newdata(self.key, newdata))

    def log_survival_by_cause(self, times, newdata, *, frailty: str = "conditional"):
        """See :meth:`coalsurv.fit.predict.Predictor.log_survival_by_cause`."""
        return self.base.log_survival_by_cause(times, self.layout.newdata(self.key, newdata),
                                               frailty=frailty)


class JointTransition:
    """Transition ``key`` of a joint fit, as the occupancy code reads a transition's fit."""

    def __init__(self, fit, layout: JointLayout, key: str):
        self.fit, self.layout, self.key = fit, layout, key
        self.idata, self.info, self.design = fit.idata, fit.info, fit.design

    def transition_predictor(self, max_draws: int) -> TransitionPredictor:
        """Return the transition's predictor over at most ``max_draws`` joint-fit draws."""
        return TransitionPredictor(Predictor(self.info, self.design, self.idata["posterior"],
                                             max_draws=max_draws), self.layout, self.key)
