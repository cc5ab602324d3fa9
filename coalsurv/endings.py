"""The ending structure of a model: states, transitions between them, which are modelled.

Every model in coalsurv is a set of transitions out of states:

- a **single ending** ("any ending", causes pooled): ``coalition -> ended``;
- **competing causes**: ``coalition -> dissolution``, ``coalition -> alliance``, ...; each is a
  cause-specific hazard and the causes not modelled censor the episode;
- **multi-state paths** (e.g. ``coalition -> alliance -> community``): transitions out of
  several states, some states absorbing.

:class:`Endings` records this structure as plain data, so that the builder (which hazards to
build and which rows are events of each), predictions (which hazards compete), diagnostics
(which empirical estimator to compare with), reports and plots (how to name each ending) read
one description instead of special-casing "pooled" or "several causes".

>>> e = Endings.competing(("dissolution", "alliance"))
>>> e.causes, e.pooled, [str(t) for t in e.transitions]
(('dissolution', 'alliance'), False, ['coalition -> dissolution', 'coalition -> alliance'])
>>> Endings.pooled_ending().description
'any ending (pooled)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalsurv.errors import SpecError

__all__ = ["Endings", "Transition", "POOLED_CAUSE", "INITIAL_STATE", "parse_transition"]

#: Name of the single modelled "cause" when endings are pooled.
POOLED_CAUSE = "any"
#: Name of the state every episode starts in.
INITIAL_STATE = "coalition"


@dataclass(frozen=True)
class Transition:
    """One transition ``source -> target`` between states."""

    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


def parse_transition(text: str) -> Transition:
    """Read ``"coalition -> alliance"`` into a :class:`Transition`.

    Raises
    ------
    SpecError
        When the text is not ``"state -> state"`` with two different, non-empty names.
    """
    if not isinstance(text, str) or text.count("->") != 1:
        raise SpecError(f"transition {text!r}: expected 'from_state -> to_state', "
                        "e.g. 'coalition -> alliance'")
    source, target = (part.strip() for part in text.split("->"))
    if not source or not target or source == target:
        raise SpecError(f"transition {text!r}: expected two different state names around '->'")
    return Transition(source, target)


@dataclass(frozen=True)
class Endings:
    """Which transitions exist, which are modelled, and which states are absorbing.

    Attributes
    ----------
    transitions : tuple of Transition
        The modelled transitions, in the order of the model's ``cause`` dimension.
    pooled : bool
        True when every ending is pooled into one event (``coalition -> ended``).
    """

    transitions: tuple[Transition, ...]
    pooled: bool = False

    def __post_init__(self) -> None:
        if not self.transitions:
            raise SpecError("a model needs at least one transition")
        seen = [str(t) for t in self.transitions]
        if len(set(seen)) != len(seen):
            raise SpecError(f"transitions {seen} repeat a transition")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def pooled_ending(cls) -> Endings:
        """One ending, whatever its cause: ``coalition -> any``."""
        return cls((Transition(INITIAL_STATE, POOLED_CAUSE),), pooled=True)

    @classmethod
    def competing(cls, causes: Sequence[str]) -> Endings:
        """Cause-specific hazards out of the initial state, one per cause."""
        return cls(tuple(Transition(INITIAL_STATE, str(c)) for c in causes), pooled=False)

    @classmethod
    def from_causes(cls, causes: Sequence[str], *, pooled: bool) -> Endings:
        """Rebuild from the ``causes``/``pooled`` pair recorded in a fitted model."""
        return cls.pooled_ending() if pooled else cls.competing(causes)

    @classmethod
    def resolve(cls, requested: Sequence[str] | None, data_causes: Sequence[str]) -> Endings:
        """Return the endings a spec asks for, checked against the causes present in the data.

        Parameters
        ----------
        requested : sequence of str or None
            The spec's ``causes``; ``None`` pools every ending.
        data_causes : sequence of str
            The cause labels of the data.

        Raises
        ------
        SpecError
            When a requested cause is not an ending in the data.
        """
        if requested is None:
            return cls.pooled_ending()
        unknown = [c for c in requested if c not in data_causes]
        if unknown:
            raise SpecError(
                f"causes {unknown} are not endings in the data; the data's causes are "
                f"{list(data_causes)}")
        return cls.competing(tuple(requested))

    # ------------------------------------------------------------------ structure
    @property
    def causes(self) -> tuple[str, ...]:
        """Target state of each modelled transition (the model's ``cause`` coordinate)."""
        return tuple(t.target for t in self.transitions)

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, sources first, in order of appearance."""
        out: list[str] = []
        for t in self.transitions:
            for state in (t.source, t.target):
                if state not in out:
                    out.append(state)
        return tuple(out)

    @property
    def absorbing(self) -> tuple[str, ...]:
        """States with no modelled transition out of them."""
        sources = {t.source for t in self.transitions}
        return tuple(s for s in self.states if s not in sources)

    @property
    def competing_risks(self) -> bool:
        """True when several causes compete out of the initial state."""
        return len(self.transitions) > 1

    @property
    def description(self) -> str:
        """Human description for reports: ``"any ending (pooled)"`` or the cause labels."""
        return "any ending (pooled)" if self.pooled else ", ".join(self.causes)

    def label(self, cause: str) -> str:
        """Display label of one modelled cause (``"any ending"`` for the pooled one)."""
        return "any ending" if self.pooled and cause == POOLED_CAUSE else cause

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return {"transitions": [str(t) for t in self.transitions], "pooled": self.pooled}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Endings:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(parse_transition(t) for t in data["transitions"]),
                   pooled=bool(data.get("pooled", False)))

    # ------------------------------------------------------------------ data
    def event_masks(self, data: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per modelled cause, which episodes end by it exactly and which in an interval.

        Parameters
        ----------
        data : CoalitionData

        Returns
        -------
        event_of, interval_of : ndarray, shape (n_causes, n)
            1.0 where episode ``i`` ends by cause ``k`` at a known time / in an interval.

        Raises
        ------
        SpecError
            A modelled cause that is not an ending in the data; interval-censored endings
            with several causes modelled jointly, or a
            cause-specific model whose other causes end at interval-censored times.
        """
        status = np.asarray(data.status)
        cause_index = np.asarray(data.cause_index)
        causes = self.causes
        if not self.pooled:
            unknown = [c for c in causes if c not in data.causes]
            if unknown:
                raise SpecError(f"causes {unknown} are not endings in the data; the data's "
                                f"causes are {list(data.causes)}")
        event_of = np.zeros((len(causes), data.n))
        interval_of = np.zeros((len(causes), data.n))
        for k, cause in enumerate(causes):
            mine = (cause_index >= 0) if self.pooled else (cause_index == data.causes.index(cause))
            event_of[k] = (status == 1) & mine
            interval_of[k] = (status == 2) & mine
        if np.any(status == 2):
            if len(causes) > 1:
                raise SpecError(
                    "interval-censored endings with several causes modelled jointly are not "
                    f"supported: {int(np.sum(status == 2))} rows have status 'interval'; model one "
                    "cause at a time or pool endings (causes=None)"
                )
            other = (status == 2) & (interval_of[0] == 0)
            if np.any(other):
                ids = list(np.asarray(data.ids)[other][:5])
                raise SpecError(
                    f"rows {ids} end by another cause at an interval-censored time; a "
                    "cause-specific model cannot censor them at an unknown time — pool endings "
                    "(causes=None)"
                )
        return event_of, interval_of
