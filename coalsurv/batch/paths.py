"""Whole multi-state paths drawn from a :class:`~coalsurv.MultiStateModel`'s prior.

Used by the simulation-based calibration of multi-state models
(:mod:`coalsurv.batch.sbc_multistate`). A template of units (covariates and groups, constant
per unit) and paths on it fix every data-based choice of each transition's model
(:func:`pin_multistate`). Given one prior draw of every transition, :func:`simulate_paths`
moves each unit from the initial state: out of a state every modelled transition draws a
latent exit time, the earliest wins, and follow-up ends at a fixed administrative censoring
time. The paths become :class:`~coalsurv.TransitionData` exactly as a user's would
(:meth:`TransitionData.from_frame`), so the episode construction (at-risk sets, entry times,
censoring by competing exits) is part of what the calibration checks.

Clocks: ``"reset"`` draws each sojourn afresh with the family's own sampler
(:meth:`Predictor.sample_lifetimes`, exact); ``"forward"`` draws the exit time of a unit that
entered the state at ``s`` from the transition's law left-truncated at ``s``,
``S(T) = S(s) U``, inverting ``log S`` numerically on a ~4,500-point grid up to the censoring
time (a time beyond it is censored anyway).

Group (frailty) effects: a group level that the template's sojourns in a transition's source
state contain gets its drawn effect; a level they lack gets a fresh normal effect per sojourn
(reset) or the marginal law (forward). Templates whose every group reaches every state avoid
this; the default template has no group effects in its formulas.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.batch.simulate import PinnedModel, one_draw, pin_model
from coalsurv.errors import ArgumentError, SpecError

__all__ = ["PinnedMultiState", "template_units", "template_paths", "pin_multistate",
           "simulate_paths", "paths_from_prior", "episodes_from_prior", "DEFAULT_HORIZON"]

#: Administrative censoring time of the default template (years).
DEFAULT_HORIZON = 10.0
_MAX_STEPS = 50


@dataclass
class PinnedMultiState:
    """A multi-state model whose transitions' priors no longer depend on the data."""

    model: Any                      # MultiStateModel with every transition's model pinned
    template: Any                   # TransitionData of the template paths
    units: pd.DataFrame             # one row per unit: id, covariates, groups
    pinned: dict[str, PinnedModel]  # per transition key, pinned on the template's episodes
    initial: str
    censor_at: float

    @property
    def covariates(self) -> list[str]:
        """Covariate columns of the units."""
        return list(self.template.covariate_names)

    @property
    def groups(self) -> list[str]:
        """Group columns of the units."""
        return list(self.template.group_names)


def template_units(*, n_rows: int, seed: int) -> pd.DataFrame:
    """Return the default template's units: ``id``, covariates and ``group``.

    Covariates ``breadth``, ``power_hhi`` and ``power_hhi_sq``;
    ``breadth ~ Beta(2, 2)``, ``power_hhi ~ Uniform(0.2, 1)`` (as
    :func:`coalsurv.simulate_multistate`), ``group`` one of ``max(2, min(20, n_rows // 10))``.
    """
    if not isinstance(n_rows, int) or isinstance(n_rows, bool) or n_rows < 10:
        raise ArgumentError(f"n_rows: expected an integer >= 10, got {n_rows!r}")
    rng = np.random.default_rng([int(seed), 7])
    power = rng.uniform(0.2, 1.0, n_rows)
    n_groups = max(2, min(20, n_rows // 10))
    return pd.DataFrame({"id": [f"u{j:04d}" for j in range(n_rows)],
                         "breadth": rng.beta(2.0, 2.0, n_rows), "power_hhi": power,
                         "power_hhi_sq": power ** 2,
                         "group": [f"g{g:02d}" for g in rng.integers(0, n_groups, n_rows)]})


def simulate_paths(units: pd.DataFrame, transitions: Mapping[str, tuple[str, str]], *,
                   initial: str, censor_at: float,
                   exit_time: Callable[[str, np.ndarray, np.ndarray], np.ndarray]
                   ) -> pd.DataFrame:
    """Move every unit from ``initial`` until an absorbing state or ``censor_at``.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with an ``id`` column (other columns are copied to every sojourn).
    transitions : mapping of str to (str, str)
        Transition key -> (source, target).
    initial : str
        State every unit starts in at time 0.
    censor_at : float
        End of follow-up of every unit.
    exit_time : callable
        ``exit_time(key, rows, entered)``: latent time (process clock) at which the units at
        positions ``rows``, in the key's source state since ``entered``, would take
        transition ``key``; each must be later than ``entered`` (``inf`` for never).

    Returns
    -------
    pandas.DataFrame
        One row per sojourn: ``id``, ``state``, ``start``, ``stop``, ``to`` (the state entered
        or ``"censored"``) and the units' other columns.
    """
    n = len(units)
    sources = {s for s, _ in transitions.values()}
    if initial not in sources:
        raise ArgumentError(f"initial={initial!r}: no modelled transition leaves it; "
                            f"states with exits: {sorted(sources)}")
    state = np.full(n, initial, dtype=object)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    rows = []
    for _ in range(_MAX_STEPS):
        if not active.any():
            break
        best, target = np.full(n, np.inf), np.full(n, None, dtype=object)
        for key, (src, dst) in transitions.items():
            idx = np.flatnonzero(active & (state == src))
            if idx.size == 0:
                continue
            t = np.asarray(exit_time(key, idx, now[idx]), dtype=float)
            better = t < best[idx]
            best[idx[better]] = t[better]
            target[idx[better]] = dst
        cut = active & (best >= censor_at)
        idx = np.flatnonzero(active)
        rows.append(pd.DataFrame({"unit": idx, "state": state[idx], "start": now[idx],
                                  "stop": np.where(cut, censor_at, best)[idx],
                                  "to": np.where(cut, "censored", target)[idx]}))
        moved = active & ~cut
        now = np.where(moved, best, now)
        state = np.where(moved, target, state)
        active = moved & np.isin(state, list(sources))
    else:
        if active.any():
            raise ArgumentError(f"paths: {int(active.sum())} unit(s) still moving after "
                                f"{_MAX_STEPS} transitions; the draw cycles too fast")
    hist = pd.concat(rows, ignore_index=True).sort_values(["unit", "start"], kind="stable")
    extra = units.drop(columns=["id"]).reset_index(drop=True)
    out = hist.join(extra, on="unit")
    out.insert(0, "id", units["id"].to_numpy()[out["unit"].to_numpy()])
    return out.drop(columns=["unit"]).reset_index(drop=True)


def _to_data(hist: pd.DataFrame, model, *, covariates, groups, time_unit, name):
    from coalsurv.data.transitions import TransitionData

    return TransitionData.from_frame(hist, id="id", state="state", start="start", stop="stop",
                                     to="to", covariates=covariates, groups=groups or None,
                                     time_unit=time_unit, transitions=list(model.transitions),
                                     name=name)


def template_paths(model, units: pd.DataFrame, *, censor_at: float = DEFAULT_HORIZON,
                   initial: str | None = None, seed: int = 0, time_unit: str = "years"):
    """Template paths on ``units``: every transition a constant hazard, mean ``censor_at / 3``.

    Only their structure and time scale matter: they fix each transition's time scale,
    intercept centre and standardisation (:func:`pin_multistate`).
    """
    rng = np.random.default_rng([int(seed), 11])
    mean = float(censor_at) / 3.0
    pairs = {k: (t.source, t.target) for k, t in model.transitions.items()}
    hist = simulate_paths(units, pairs, initial=initial or model.endings.states[0],
                          censor_at=float(censor_at),
                          exit_time=lambda key, idx, now: now + rng.exponential(mean, idx.size))
    covariates = [c for c in units.columns if c != "id" and pd.api.types.is_numeric_dtype(
        units[c])]
    groups = [c for c in units.columns if c not in covariates and c != "id"]
    return _to_data(hist, model, covariates=covariates, groups=groups, time_unit=time_unit,
                    name="sbc template")


def _standardise(design) -> dict[str, list[float]]:
    """Standardisation constants of a design (and its cure design) as a spec option."""
    out = {}
    for d in (design, design.cure):
        if d is not None:
            out.update({t: [float(m), float(s)] for t, m, s in zip(d.terms, d.means, d.sds,
                                                                   strict=True)})
    return out


def pin_multistate(model, template, *, censor_at: float, initial: str | None = None
                   ) -> PinnedMultiState:
    """Pin every transition's model to its episodes in ``template``.

    Each transition is pinned with :func:`coalsurv.batch.simulate.pin_model` (time scale,
    ``"auto"`` intercept centre, cut points) and its covariates' standardisation constants are
    fixed to the template episodes' (``family_options["standardise"]``): the sojourns in a
    state differ from one simulated data set to the next, and "per SD" must keep one meaning
    for the prior to be the same in every fit.
    """
    from coalsurv.fit.model import SurvivalModel
    from coalsurv.spec.modelspec import ModelSpec

    if getattr(model, "joint", None) is not None:
        raise SpecError("multi-state SBC pins one model per transition; a joint model (shared "
                        "effects or frailty) is not supported here yet — run sbc on its "
                        "joint SurvivalModel (MultiStateModel.joint_survival_model)")
    if not np.isfinite(censor_at) or censor_at <= 0:
        raise ArgumentError(f"censor_at: expected a positive time, got {censor_at!r}")
    episodes = model.episodes(template)
    pinned = {}
    for key, sub in model.models.items():
        first = pin_model(sub, episodes[key], censor_at=censor_at)
        consts = _standardise(first.design)
        if consts:
            spec = first.model.spec.to_dict()
            spec["family_options"] = {**spec["family_options"], "standardise": consts}
            new = SurvivalModel.from_spec(ModelSpec.from_dict(spec), priors=first.model.priors)
            _, design, info, _ = new.build(episodes[key])
            first = PinnedModel(model=new, template=episodes[key], info=info, design=design,
                                censor_at=float(censor_at))
        pinned[key] = first
    ms = copy.copy(model)
    ms.models = {key: p.model for key, p in pinned.items()}
    columns = list(template.covariate_names) + list(template.group_names)
    units = (template.frame.groupby("id", sort=False).head(1)[["id", *columns]]
             .reset_index(drop=True))
    return PinnedMultiState(model=ms, template=template, units=units, pinned=pinned,
                            initial=initial or model.endings.states[0],
                            censor_at=float(censor_at))


def _truncated_times(pred, rows: pd.DataFrame, entered: np.ndarray, horizon: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Exit times given survival to ``entered``: ``log S(T) = log S(entered) + log U``."""
    grid = np.unique(np.concatenate([np.geomspace(horizon * 1e-9, horizon, 1500),
                                     np.linspace(0.0, horizon, 3001)]))
    log_s = pred.log_survival_by_cause(grid, rows, frailty="conditional")[0, 0]  # (row, grid)
    log_s = np.minimum.accumulate(np.where(np.isfinite(log_s), log_s, -np.inf), axis=1)
    out = np.full(len(rows), np.inf)
    targets = np.log(rng.uniform(size=len(rows)))
    for r in range(len(rows)):
        neg = -log_s[r]
        target = np.interp(entered[r], grid, log_s[r]) + targets[r]
        if target >= log_s[r, -1]:  # otherwise the exit lies beyond follow-up
            out[r] = np.interp(-target, neg, grid)
    return np.maximum(out, np.nextafter(entered, np.inf))


def paths_from_prior(pinned: PinnedMultiState, priors: Mapping[str, Any], i: int, *,
                     seed: int):
    """Simulate data set number ``i``: every unit's path given prior draw ``i``.

    Parameters
    ----------
    pinned : PinnedMultiState
    priors : mapping of str to xarray.Dataset
        Prior draws of each transition's parameters (:meth:`SurvivalModel.sample_prior`).
    i : int
        The draw.
    seed : int
        With ``i``, seeds the latent times (the same ``(seed, i)``, the same paths).

    Returns
    -------
    TransitionData
        Built from the paths with :meth:`TransitionData.from_frame` and the model's
        transitions declared.
    """
    from coalsurv.fit.predict import Predictor

    rng = np.random.default_rng([int(seed), int(i), 3])
    preds = {key: Predictor(p.info, p.design, one_draw(priors[key], i), max_draws=None)
             for key, p in pinned.pinned.items()}
    profiles = pinned.units.drop(columns=["id"])
    clock = pinned.model.clock

    def exit_time(key, idx, entered):
        rows = profiles.iloc[idx].reset_index(drop=True)
        if clock == "reset":
            t, _ = preds[key].sample_lifetimes(rows, rng=rng, frailty="conditional")
            return np.maximum(entered + t[0], np.nextafter(entered, np.inf))
        return _truncated_times(preds[key], rows, entered, pinned.censor_at, rng)

    pairs = {k: (t.source, t.target) for k, t in pinned.model.transitions.items()}
    hist = simulate_paths(pinned.units, pairs, initial=pinned.initial,
                          censor_at=pinned.censor_at, exit_time=exit_time)
    return _to_data(hist, pinned.model, covariates=pinned.covariates, groups=pinned.groups,
                    time_unit=pinned.template.time_unit, name=f"sbc-{i:04d}")


def episodes_from_prior(pinned: PinnedMultiState, priors: Mapping[str, Any], i: int,
                        key: str, *, seed: int):
    """Return the episodes of transition ``key`` in data set ``i``, as the model fits them.

    Raises the model's :class:`~coalsurv.errors.SpecError` when some transition of the data
    set has no event (the whole data set cannot be fitted; each transition's job fails with
    the same reason).
    """
    return pinned.model.episodes(paths_from_prior(pinned, priors, i, seed=seed))[key]
