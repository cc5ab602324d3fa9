"""Simulated multi-state histories: coalition -> alliance -> community, dissolution from each.

Theory (``shared/DESIGN.md``): broad shared interests raise transformation (coalition ->
alliance, alliance -> community) and lower dissolution, and participation over time broadens
perceived shared interests, so the effect of breadth on deepening *grows with the coalition's
age*; power concentration has a non-monotone (U-shaped) effect on dissolution (a coalition of
equals and one ruled by a hegemon both break up more than one with a moderate leader); units
in the same group (region) share a frailty per transition.

Each transition ``r -> s`` has a Weibull proportional-hazards intensity
``h(t) = (k / lam) (t / lam)^(k - 1) t^(age * breadth) exp(x'beta + u_group)``
(``age`` > 0 only on coalition -> alliance: the hazard ratio of breadth is
``exp(beta) * t^age``, growing with time), with ``t`` the time since entering ``r``
(``clock="reset"``) or since the coalition formed (``clock="forward"``; entry into ``r`` at
``s`` then draws ``T`` from the intensity left-truncated at ``s``). Its cumulative intensity is
``c t^a`` with ``a = k + age * breadth``, so every latent time is drawn exactly by inversion.
Follow-up ends at a uniform censoring time.

>>> sim = simulate_multistate(50, seed=1)
>>> sim.data.n_units
50
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.data.transitions import CLOCKS, TransitionData
from coalsurv.errors import ArgumentError

__all__ = ["MultiStateParams", "MultiStateSimulation", "simulate_multistate",
           "simulate_histories", "occupancy_from_histories"]


def _default_transitions() -> dict[str, dict[str, Any]]:
    return {
        "coalition -> alliance": {"scale": 8.0, "shape": 1.2, "beta": {"breadth": 1.2},
                                  "age": 0.5},
        "coalition -> dissolution": {"scale": 4.0, "shape": 0.9,
                                     "beta": {"breadth": -0.8, "power_hhi": -6.0,
                                              "power_hhi_sq": 6.0}},
        "alliance -> community": {"scale": 10.0, "shape": 1.3, "beta": {"breadth": 0.8}},
        "alliance -> dissolution": {"scale": 8.0, "shape": 1.0, "beta": {"breadth": -0.5}},
    }


@dataclass(frozen=True)
class MultiStateParams:
    """True parameters of :func:`simulate_multistate` (times in years).

    Attributes
    ----------
    transitions : dict
        Per ``"source -> target"``: Weibull ``scale`` (lam) and ``shape`` (k), log hazard
        ratios ``beta`` per covariate unit (``power_hhi_sq`` = ``power_hhi ** 2``), and ``age``
        (breadth's log hazard ratio grows by ``age * log t``; 0 when absent).
    frailty_sd : float
        SD of the normal group (region) effect, drawn independently per transition.
    n_groups : int
    follow_up : (float, float)
        Censoring time ~ Uniform(low, high).
    """

    transitions: dict[str, dict[str, Any]] = field(default_factory=_default_transitions)
    frailty_sd: float = 0.4
    n_groups: int = 12
    follow_up: tuple[float, float] = (5.0, 30.0)

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Transition key -> (source, target)."""
        return {k: tuple(x.strip() for x in k.split("->")) for k in self.transitions}

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return {"transitions": self.transitions, "frailty_sd": self.frailty_sd,
                "n_groups": self.n_groups, "follow_up": list(self.follow_up)}


@dataclass
class MultiStateSimulation:
    """Result of :func:`simulate_multistate`: sojourns, units and the truth."""

    data: TransitionData
    units: pd.DataFrame
    params: MultiStateParams
    clock: str
    group_effects: dict[str, np.ndarray]
    seed: int

    def true_occupancy(self, times, profile: dict[str, float], *, n: int = 200_000,
                       seed: int = 12345, frailty: bool | str = True) -> pd.DataFrame:
        """Return the true state occupancy of one covariate profile, from ``n`` paths.

        Uncensored histories of ``n`` units with the profile's covariates. ``frailty``:
        ``True`` draws a fresh group effect per unit and transition from its normal
        distribution, ``False`` sets it to 0, ``"realized"`` puts each unit in a group drawn
        uniformly and uses that group's simulated effects (the population of this data
        set's groups). Columns ``time``, ``state``, ``occupancy``.
        """
        rng = np.random.default_rng(seed)
        units = pd.DataFrame({c: np.full(n, float(v)) for c, v in profile.items()})
        if frailty == "realized":
            codes = rng.integers(0, self.params.n_groups, n)
            effects = {k: v[codes] for k, v in self.group_effects.items()}
        else:
            sd = self.params.frailty_sd if frailty else 0.0
            effects = {k: sd * rng.standard_normal(n) for k in self.params.transitions}
        hist = simulate_histories(units, self.params, clock=self.clock, rng=rng,
                                  effects=effects, censor=np.full(n, np.inf))
        return occupancy_from_histories(hist, np.asarray(times, float), self.states)

    @property
    def states(self) -> tuple[str, ...]:
        """States in order of first appearance."""
        out: list[str] = []
        for a, b in self.params.pairs().values():
            for s in (a, b):
                if s not in out:
                    out.append(s)
        return tuple(out)


def _unit_covariates(n: int, rng: np.random.Generator, n_groups: int) -> pd.DataFrame:
    breadth = rng.beta(2.0, 2.0, n)
    power = rng.uniform(0.2, 1.0, n)
    return pd.DataFrame({"breadth": breadth, "power_hhi": power, "power_hhi_sq": power ** 2,
                         "region": [f"r{g:02d}" for g in rng.integers(0, n_groups, n)]})


def simulate_histories(units: pd.DataFrame, params: MultiStateParams, *, clock: str,
                       rng: np.random.Generator, effects: dict[str, np.ndarray],
                       censor: np.ndarray, initial: str = "coalition") -> pd.DataFrame:
    """Simulate the sojourns of ``units`` (vectorised over units); one row per sojourn.

    ``effects`` gives each unit's frailty per transition; ``censor`` each unit's end of
    follow-up (``inf`` for none). Columns ``unit``, ``state``, ``start``, ``stop``, ``to``.
    """
    n = len(units)
    pairs = params.pairs()
    state = np.full(n, initial, dtype=object)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    rows = []
    for _ in range(20):
        if not active.any():
            break
        best, target = np.full(n, np.inf), np.full(n, None, dtype=object)
        for key, (src, dst) in pairs.items():
            here = active & (state == src)
            if not here.any():
                continue
            p = params.transitions[key]
            lin = effects[key].copy()
            for cov, b in p["beta"].items():
                lin += b * units[cov].to_numpy()
            a = p["shape"] + p.get("age", 0.0) * units["breadth"].to_numpy()
            c = p["shape"] * np.exp(lin) / (p["scale"] ** p["shape"] * a)
            e = rng.exponential(size=n)
            if clock == "reset":
                sojourn = (e / c) ** (1 / a)
            else:
                sojourn = ((c * now ** a + e) / c) ** (1 / a) - now
            better = here & (sojourn < best)
            best = np.where(better, sojourn, best)
            target = np.where(better, dst, target)
        leave = now + best
        cut = leave >= censor
        stop = np.where(cut, censor, leave)
        to = np.where(cut, "censored", target)
        idx = np.flatnonzero(active)
        rows.append(pd.DataFrame({"unit": idx, "state": state[idx], "start": now[idx],
                                  "stop": stop[idx], "to": to[idx]}))
        sources = {s for s, _ in pairs.values()}
        moved = active & ~cut
        now = np.where(moved, leave, now)
        state = np.where(moved, target, state)
        active = moved & np.isin(state, list(sources))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["unit", "start"], kind="stable").reset_index(drop=True)


def occupancy_from_histories(hist: pd.DataFrame, times: np.ndarray,
                             states: tuple[str, ...]) -> pd.DataFrame:
    """Empirical occupancy of uncensored histories at ``times`` (absorbing states kept)."""
    n = hist["unit"].nunique()
    out = []
    last = hist.groupby("unit").tail(1)
    for t in times:
        inside = hist[(hist["start"] <= t) & (hist["stop"] > t)]
        counts = inside["state"].value_counts()
        done = last[(last["stop"] <= t) & (last["to"] != "censored")]["to"].value_counts()
        for s in states:
            out.append({"time": float(t), "state": s,
                        "occupancy": (counts.get(s, 0) + done.get(s, 0)) / n})
    return pd.DataFrame(out)


def simulate_multistate(n: int = 600, *, clock: str = "reset",
                        params: MultiStateParams | None = None, seed: int = 0,
                        time_unit: str = "years") -> MultiStateSimulation:
    """Simulate ``n`` coalitions' multi-state histories with known parameters.

    Parameters
    ----------
    n : int
        Number of coalitions.
    clock : {"reset", "forward"}
        Time scale of the true intensities.
    params : MultiStateParams, optional
        Defaults: breadth raises deepening (its effect growing with age on coalition ->
        alliance) and lowers dissolution; U-shaped power concentration effect on
        dissolution from a coalition; region frailty SD 0.4 per transition.
    seed : int
    time_unit : str
        Unit of the times (the defaults are in years).

    Returns
    -------
    MultiStateSimulation
        ``data`` (TransitionData with covariates ``breadth``, ``power_hhi``, ``power_hhi_sq``
        and group ``region``), ``units``, ``params``, ``group_effects``, ``true_occupancy()``.
    """
    if not isinstance(n, int) or n < 1:
        raise ArgumentError(f"n must be an integer >= 1, got {n!r}")
    if clock not in CLOCKS:
        raise ArgumentError(f"clock={clock!r}: expected one of {CLOCKS}")
    params = params or MultiStateParams()
    rng = np.random.default_rng(seed)
    units = _unit_covariates(n, rng, params.n_groups)
    codes = units["region"].str[1:].astype(int).to_numpy()
    group_effects = {k: params.frailty_sd * rng.standard_normal(params.n_groups)
                     for k in params.transitions}
    effects = {k: v[codes] for k, v in group_effects.items()}
    censor = rng.uniform(*params.follow_up, n)
    hist = simulate_histories(units, params, clock=clock, rng=rng, effects=effects,
                              censor=censor)
    frame = hist.join(units, on="unit")
    data = TransitionData.from_frame(
        frame, id="unit", state="state", start="start", stop="stop", to="to",
        covariates=["breadth", "power_hhi", "power_hhi_sq"], groups="region",
        time_unit=time_unit, transitions=list(params.transitions), name="simulated multi-state")
    return MultiStateSimulation(data=data, units=units, params=params, clock=clock,
                                group_effects=group_effects, seed=seed)
