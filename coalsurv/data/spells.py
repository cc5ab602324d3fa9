"""Time-varying covariates given as start/stop spells, without person-period expansion.

A :class:`~coalsurv.data.CoalitionData` may carry a ``spells`` table (``id, start, stop`` plus
time-varying covariate columns; contiguous per episode, last stop == exit time). When the
model formula uses a spell column, each spell row ``j`` of episode ``i`` on ``(a_ij, b_ij]``
gets its own linear predictor ``eta_ij`` (the spell's covariates, the episode's time-constant
covariates and the episode's group effects), and the episode's log-likelihood is::

    sum_j [log S(b_ij | eta_ij) - log S(max(a_ij, entry_i) | eta_ij)]   (spells ending after entry)
    + d_i * log h(t_i | eta_iJ)                                          (event in the last spell)

which is exact for proportional-hazards families (the cumulative hazard over a spell is the
baseline's increment times ``exp(eta_ij)``). AFT families (time-varying acceleration), cure
models and interval-censored endings use the episode's survival over its spells instead
(:mod:`coalsurv.build.spell_likelihood`).

Predictions (survival, hazards, incidence) take a covariate profile **held constant over
time**. So that fitted-row predictions, diagnostics and reports keep working, a spell fit's
``Fit.data`` carries each time-varying covariate also as an episode covariate holding the
episode's **last** spell value (its value at exit); see :func:`with_last_spell_covariates`.
The model itself always uses the spell rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv.errors import SpecError

__all__ = [
    "SPELL_KEYS",
    "last_spell_mask",
    "last_spell_values",
    "spell_covariate_names",
    "spell_frame",
    "with_last_spell_covariates",
]

#: Key columns of a spells table; every other column is a time-varying covariate.
SPELL_KEYS = ("id", "start", "stop")


def spell_covariate_names(data) -> tuple[str, ...]:
    """Time-varying covariate columns of ``data.spells`` (empty without spells)."""
    if data.spells is None:
        return ()
    return tuple(str(c) for c in data.spells.columns if c not in SPELL_KEYS)


def spell_frame(data) -> tuple[pd.DataFrame, np.ndarray]:
    """Covariate and group columns of every spell row, and each row's episode position.

    Each spell row holds its episode's covariates and groups, with the spell's own values
    for the time-varying columns (they override episode covariates of the same name).
    """
    spells = data.spells
    pos = data.ids.get_indexer(pd.Index(spells["id"]))
    if (pos < 0).any():  # pragma: no cover - validated by CoalitionData
        raise SpecError("spells name episodes that are not in the data")
    episode = data.episode_profiles().iloc[pos].reset_index(drop=True)
    varying = list(spell_covariate_names(data))
    episode = episode.drop(columns=[c for c in varying if c in episode.columns])
    frame = pd.concat([episode, spells[varying].reset_index(drop=True).astype(float)], axis=1)
    return frame, pos


def _last_rows(data) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each episode and of its last spell row (spells ordered by start)."""
    spells = data.spells
    pos = data.ids.get_indexer(pd.Index(spells["id"]))
    order = np.lexsort((spells["stop"].to_numpy(float), pos))
    sorted_pos = pos[order]
    is_last = np.r_[sorted_pos[1:] != sorted_pos[:-1], True]
    last_of = np.full(data.n, -1)
    last_of[sorted_pos[is_last]] = order[is_last]
    return pos, last_of


def last_spell_values(data, columns=None) -> pd.DataFrame:
    """Each episode's time-varying covariates in its last spell (the values at exit).

    Parameters
    ----------
    data : CoalitionData
        With a ``spells`` table.
    columns : sequence of str, optional
        Spell columns to return; default all time-varying columns.

    Returns
    -------
    pandas.DataFrame
        Index = ``data.ids``, one float column per time-varying covariate.
    """
    if data.spells is None:
        raise SpecError("the data have no spells table (pass spells=... to from_frame)")
    names = list(spell_covariate_names(data) if columns is None else columns)
    unknown = [c for c in names if c not in data.spells.columns or c in SPELL_KEYS]
    if unknown:
        raise SpecError(f"{unknown} are not time-varying covariates of the spells table; "
                        f"spell covariates: {list(spell_covariate_names(data))}")
    _, last_of = _last_rows(data)
    values = data.spells[names].to_numpy(float)[last_of]
    return pd.DataFrame(values, index=data.ids, columns=names)


def last_spell_mask(data) -> np.ndarray:
    """Boolean mask of the spell rows that are the last spell of their episode."""
    _, last_of = _last_rows(data)
    mask = np.zeros(len(data.spells), dtype=bool)
    mask[last_of] = True
    return mask


def with_last_spell_covariates(data, columns) -> object:
    """Return ``data`` with each time-varying covariate also as a last-spell episode covariate.

    Used for the ``data`` of a spell fit so that fitted-row predictions, diagnostics and
    reports (which take one constant covariate profile per episode) find every formula
    column. An episode covariate of the same name is replaced. The model itself uses the
    spell rows; a design built from the returned object equals one built from ``data``.
    """
    columns = list(columns)
    if not columns:
        return data
    return data.replace_covariates(last_spell_values(data, columns))
