"""Model half of time-varying covariates: spell rows of the design and their likelihood arrays.

The data half (the spells table, last-spell values) is :mod:`coalsurv.data.spells`; this module
decides whether a model uses spells, refuses what the closed-form spell likelihood cannot
express, and lays out the spell rows for the graph builder (see :mod:`coalsurv.build.graph`).
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
    """Refuse spell models that the closed-form spell likelihood cannot express.

    Raises
    ------
    SpecError
        For an AFT family (weibull_aft, lognormal, loglogistic) or interval-censored episodes.
    """
    from coalsurv.families import FAMILIES

    family = spec.family_object
    if family.kind != "ph":
        ph = sorted(n for n, f in FAMILIES.items() if f.kind == "ph")
        aft = sorted(n for n, f in FAMILIES.items() if f.kind != "ph")
        raise SpecError(
            f"time-varying covariates need a proportional-hazards family; family "
            f"{spec.family!r} is an accelerated-failure-time family (AFT families: {aft}) and "
            f"the formula uses spell column(s) {list(variables)}. Use one of {ph}, or drop "
            "the time-varying terms. (Why: under an AFT model a covariate that changes at time "
            "s rescales the clock from s on, S(t) = S0(integral of exp(-eta(u)) du), a "
            "likelihood coalsurv does not build; under proportional hazards each spell adds "
            "its own cumulative hazard.)")
    interval = np.asarray(data.status) == 2
    if interval.any():
        ids = list(np.asarray(data.ids)[interval][:5])
        raise SpecError(
            f"time-varying covariates (spell column(s) {list(variables)}) with interval-censored "
            f"episodes are not supported yet: {int(interval.sum())} episodes (e.g. {ids}) are "
            "interval-censored; drop them or their spells, or use time-constant covariates")


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
