"""Model half of time-varying covariates: spell rows of the design and their likelihood arrays.

The data half (the spells table, last-spell values) is :mod:`coalsurv.data.spells`; this module
decides whether a model uses spells, refuses spell tables that lack the covariate history a
model needs, and lays out the spell rows for the graph builder (see :mod:`coalsurv.build.graph`;
the likelihood over spells of AFT families, cure models and interval-censored endings is
:mod:`coalsurv.build.spell_likelihood`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coalsurv.data.spells import spell_covariate_names
from coalsurv.errors import SpecError
from coalsurv.spec.modelspec import guess_names

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.build.design import Design

__all__ = ["SpellRows", "check_spell_model", "formula_variables", "spell_arrays",
           "time_varying_variables"]


@dataclass(frozen=True)
class SpellRows:
    """Spell-level part of a design: one row per spell, in the data's spell order.

    Attributes
    ----------
    X : ndarray, shape (m, p)
        Standardised fixed-effect matrix of the spell rows (same terms as ``Design.X``).
    episode : ndarray of int, shape (m,)
        Position of each spell's episode in ``data.ids``.
    start, stop : ndarray, shape (m,)
        Spell bounds in the data's time unit.
    last : ndarray of bool, shape (m,)
        True for the last spell of each episode (where an event happens).
    variables : tuple of str
        The time-varying covariates the formula uses.
    """

    X: np.ndarray
    episode: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    last: np.ndarray
    variables: tuple[str, ...]

    @property
    def m(self) -> int:
        """Number of spell rows."""
        return int(self.episode.size)


def formula_variables(fixed_formula: str) -> set[str]:
    """Return the data columns a fixed-effects formula needs."""
    import formulaic

    try:
        return {str(v) for v in formulaic.Formula(f"1 + {fixed_formula}").required_variables}
    except Exception:  # noqa: BLE001 - an unparsable formula is reported by make_design
        return set(guess_names(fixed_formula))


def time_varying_variables(spec, data) -> tuple[str, ...]:
    """Spell columns used by the formula of ``spec``; empty when the model ignores spells."""
    names = spell_covariate_names(data)
    if not names or spec.fixed_formula.strip() in ("", "1"):
        return ()
    used = formula_variables(spec.fixed_formula)
    return tuple(c for c in names if c in used)


def check_spell_model(spec, data, variables: tuple[str, ...]) -> None:
    """Refuse spells that start after 0 for an episode with delayed entry, where it matters.

    Under an AFT family or with ``cure=`` the survival at entry needs the covariates on
    ``(0, entry]`` (:mod:`coalsurv.build.spell_likelihood`): each episode with delayed entry
    must then have spells from 0, its first row holding the values before entry.
    Proportional hazards without cure need spells from entry only.

    Raises
    ------
    SpecError
        Naming the episodes, why and what to do.
    """
    aft = spec.family_object.kind != "ph"
    if not aft and spec.cure is None:
        return
    pos = data.ids.get_indexer(data.spells["id"])
    first = np.full(data.n, np.inf)
    np.minimum.at(first, pos, data.spells["start"].to_numpy(float))
    late = (np.asarray(data.entry, dtype=float) > 0) & (first > 0)
    if late.any():
        from coalsurv._format import fmt_ids

        why = (f"family {spec.family!r} is accelerated failure time (S(entry) = "
               "S0(integral of exp(-eta(s)) ds from 0 to entry))" if aft else
               f"cure={spec.cure!r} mixes over the whole episode (S(entry) = pi + (1 - pi) "
               "S_u(entry))")
        raise SpecError(
            f"time-varying covariates {list(variables)}: {why}, so episodes with delayed entry "
            "need their covariates from time 0",
            [f"episodes {fmt_ids(np.asarray(data.ids)[late])} enter after 0 but their first "
             "spell starts after 0; add a spell from 0 holding the covariates before entry, "
             "or use a proportional-hazards family without cure="])


def spell_arrays(design: Design, data, obs: dict, time_scale: float) -> dict:
    """Scaled spell bounds and per-cause event masks of the spell rows.

    ``start`` is ``max(a_ij, entry_i)`` (0 means no left term); spells ending at or before
    entry get ``start = stop = 1`` so that they contribute exactly zero. The last spell of an
    episode stops at the episode's exit time and carries its event.
    """
    sp = design.spells
    ep = sp.episode
    entry = np.asarray(data.entry, dtype=float)[ep]
    stop = np.where(sp.last, np.asarray(data.time, dtype=float)[ep], sp.stop)
    start = np.maximum(sp.start, entry)
    at_risk = stop > entry
    start = np.where(at_risk, start, time_scale) / time_scale
    stop = np.where(at_risk, stop, time_scale) / time_scale
    event_of = obs["event_of"][:, ep] * (sp.last & at_risk)[None, :]
    return {"start": start, "stop": stop, "event_of": event_of}
