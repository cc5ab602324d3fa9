"""The native route's time-varying covariates (spells): which graph, and the buffer's rows.

:mod:`coalsurv.build.graph` builds a spell model's likelihood on spell rows: per spell row under
proportional hazards without cure or interval-censored endings (mode 1), over each episode's
spell curve otherwise (mode 2, :mod:`coalsurv.build.spell_likelihood`). :func:`spell_mode`
reads which one the built model holds; :func:`spell_buffer` gives the kernel's rows (the spell
rows, sorted by episode, with their episode's frailty levels, stratum, cure covariates and mm()
membership rows) and the spell section of the buffer (:mod:`coalsurv.backend.kernel_spells`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPELL_DATA", "spell_mode", "spell_problem", "spell_buffer"]

#: The graph's data containers of a spell model (next to the episode ones).
SPELL_DATA = ("X_spell", "spell_episode", "spell_start", "spell_stop", "spell_event_of",
              "spell_episode_of", "spell_from", "spell_to", "spell_is_last", "spell_last_of")


def _value(named, name: str) -> np.ndarray:
    return np.asarray(named[name].get_value())


def spell_mode(family, info, named) -> int:
    """1: a row per spell (PH, no cure, no interval rows); 2: the episodes' spell curves."""
    interval = np.any(_value(named, "interval_of") > 0)
    return 2 if (getattr(info, "cure", "") or family.kind != "ph" or interval) else 1


def spell_problem(named) -> str:
    """Why the spell rows are not ones the kernel implements ("" when they are)."""
    episode = _value(named, "spell_episode").astype(np.int64)
    n = _value(named, "time").size
    last = _value(named, "spell_is_last") > 0
    last_of = _value(named, "spell_last_of").astype(np.int64)
    if not np.array_equal(episode, _value(named, "spell_episode_of").astype(np.int64)):
        return "spells: the two spell -> episode indices differ"
    if (episode.min(initial=0) < 0 or episode.max(initial=-1) >= n
            or np.bincount(episode, minlength=n).min(initial=1) < 1
            or np.bincount(episode[last], minlength=n).max(initial=0) != 1
            or not np.all(last[last_of]) or not np.array_equal(episode[last_of], np.arange(n))):
        return "spells: not every episode has its spells with exactly one last spell"
    if not np.all(_value(named, "spell_stop") > 0):
        return "spells: a spell ends at or below zero"
    return ""


class _Data:
    """A ``pm.Data`` stand-in: the kernel's row-level value of a container."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def get_value(self):
        return self.value


def spell_buffer(kplan, named) -> tuple[dict, list[np.ndarray]]:
    """Return the kernel's rows (spell rows, sorted by episode) and the buffer's spell section.

    Returns the model's named variables with every row-level container replaced by its spell
    rows' values (``X``, ``time``, ``entry``, ``event_of``, ``interval_of`` (zeros: interval
    rows are the episodes' business, mode 2), ``idx_*``, ``Z_cure``, the mm() rows repeated per
    spell row) and the section's arrays: mode, episodes, AFT, interval flag, each row's
    episode, and in mode 2 the CSR pointers, each episode's last row, the spells' bounds on
    ``(0, inf)`` and the episodes' times, entries, upper bounds, events and interval flags.
    """
    C = kplan.causes
    episode = _value(named, "spell_episode").astype(np.int64)
    order = np.argsort(episode, kind="stable")
    ep = episode[order]
    m, n = ep.size, _value(named, "time").size
    rows = dict(named)
    over = {"X": _value(named, "X_spell").reshape(m, -1)[order],
            "time": _value(named, "spell_stop")[order],
            "entry": _value(named, "spell_start")[order],
            "event_of": _value(named, "spell_event_of").reshape(C, m)[:, order],
            "interval_of": np.zeros((C, m))}
    for name in named:
        if name.startswith("idx_") or name in ("Z_cure", "Z_shape"):
            over[name] = _value(named, name)[ep]
        elif name == "X_tve" or (name.startswith("tve_index_") and name[10:].isdigit()):
            # tve() on spell rows (mode 1): the covariates and the interval of each row's stop
            over[name] = _value(named, name).reshape(m, -1)[order].reshape(-1)
    if "mm_coalition" in named:  # each spell row gets its episode's membership rows
        over.update(_mm_rows(named, ep, n))
    rows.update({name: _Data(value) for name, value in over.items()})
    interval = _value(named, "interval_of").reshape(C, n).astype(float)
    # the equivalent time (AFT families; rp on the odds scale, the graph's curve for kind "po")
    equivalent = kplan.std != 0 or (kplan.spline_knots is not None
                                    and kplan.spline_scale == "odds")
    head = [np.array([kplan.spells, n, float(equivalent), float(np.any(interval > 0))]),
            ep.astype(float)]
    if kplan.spells == 1:
        return rows, head
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(ep, minlength=n))])
    return rows, head + [
        ptr.astype(float), position[_value(named, "spell_last_of").astype(np.int64)].astype(float),
        _value(named, "spell_from").astype(float)[order],
        _value(named, "spell_to").astype(float)[order],
        _value(named, "time").astype(float), _value(named, "entry").astype(float),
        _value(named, "time_upper").astype(float),
        _value(named, "event_of").reshape(C, n).astype(float).ravel(), interval.ravel()]


def _mm_rows(named, ep: np.ndarray, n: int) -> dict:
    """Return the mm() rows of each spell row's episode, with the spell row as coalition."""
    coalition = _value(named, "mm_coalition").astype(np.int64)
    order = np.argsort(coalition, kind="stable")
    counts = np.bincount(coalition, minlength=n)
    start = np.concatenate([[0], np.cumsum(counts)])
    per_row = counts[ep]
    row = np.repeat(np.arange(ep.size), per_row)
    within = np.arange(row.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    pick = order[start[ep][row] + within]
    out = {"mm_coalition": row}
    for name in ("mm_member", "mm_share", "mm_size", "mm_weight", "mm_X"):
        if name in named:
            out[name] = _value(named, name)[pick]
    return out
