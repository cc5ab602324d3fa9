"""The generator: :func:`simulate`, :func:`simulate_single_cause` and :class:`SimulationResult`.

See :mod:`coalsurv.simulation` for the generative story.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.errors import ArgumentError
from coalsurv.families import get_family
from coalsurv.simulation.members import draw_members, member_covariates
from coalsurv.simulation.params import (
    COVARIATES,
    MONTHS_PER_UNIT,
    default_params,
    merge_params,
    validate_params,
)
from coalsurv.simulation.truth import truth_record

__all__ = ["SimulationResult", "simulate", "simulate_single_cause"]


@dataclass(frozen=True)
class SimulationResult:
    """Output of :func:`simulate`.

    Attributes
    ----------
    data : coalsurv.CoalitionData
        The observed episodes, ready to fit (groups ``["group"]``, covariates
        :data:`COVARIATES`, members attached).
    members : pandas.DataFrame
        Member table: ``id, member, share, position, issue_1 … issue_K``.
    frame : pandas.DataFrame
        Episode table: ``id, group, duration, event, entry, lower, upper`` and covariates.
    truth : dict
        True parameters and settings, JSON-serialisable (see :func:`simulate`).
    seed : int
        The seed used.
    latent : pandas.DataFrame
        What the observer does not see: ``id, true_time, true_cause, censor_time, frailty``.
    """

    data: Any
    members: pd.DataFrame
    frame: pd.DataFrame
    truth: dict[str, Any]
    seed: int
    latent: pd.DataFrame

    def __repr__(self) -> str:
        """Short summary: size, endings and seed."""
        counts = self.frame["event"].value_counts().to_dict()
        return f"SimulationResult(n={len(self.frame)}, events={counts}, seed={self.seed})"


def _simulate(
    base: dict[str, Any], *, n_coalitions: int, n_groups: int, seed: int,
    params: Mapping[str, Any] | None, admin_censor: float | None,
    random_censor_rate: float | None, delayed_entry_share: float, interval_share: float,
    time_unit: str, collapse_causes: bool, generator: str,
) -> SimulationResult:
    from coalsurv.data.episodes import CoalitionData

    def is_int(v: object) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool)

    problems = []
    if not isinstance(time_unit, str) or time_unit not in MONTHS_PER_UNIT:
        problems.append(f"time_unit: expected one of {list(MONTHS_PER_UNIT)}, got {time_unit!r}")
    for name, v, low in (("n_coalitions", n_coalitions, 2), ("n_groups", n_groups, 1),
                         ("seed", seed, 0)):
        if not is_int(v) or v < low:
            problems.append(f"{name}: expected an integer >= {low}, got {v!r}")
    for name, v in (("delayed_entry_share", delayed_entry_share),
                    ("interval_share", interval_share)):
        if not (isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0):
            problems.append(f"{name}: expected a share in [0, 1], got {v!r}")
    if problems:
        raise ArgumentError("invalid simulate() arguments", problems)
    f = MONTHS_PER_UNIT[time_unit]
    base = copy.deepcopy(base)  # defaults in months -> time_unit
    for cause in base["causes"].values():
        cause["scale"] *= f
    base["entry_max"] *= f
    base["interval_width"] *= f
    base["admin_censor"] *= f
    base["random_censor_rate"] /= f
    p = merge_params(base, params or {})
    if admin_censor is not None:
        p["admin_censor"] = float(admin_censor)
    if random_censor_rate is not None:
        p["random_censor_rate"] = float(random_censor_rate)
    validate_params(p)
    if delayed_entry_share > 0 and not 0 < p["entry_max"] < p["admin_censor"]:
        raise ValueError(
            f"params entry_max ({p['entry_max']:g}) must be positive and below admin_censor "
            f"({p['admin_censor']:g}) when delayed_entry_share > 0"
        )
    if p["random_censor_rate"] < 0:
        raise ValueError("random_censor_rate must be >= 0")
    causes = list(p["causes"])
    weibull = get_family("weibull")
    k_issues = int(p["members"]["n_issues"])

    rng = np.random.default_rng(seed)
    labels = np.array([f"G{g + 1:0{max(2, len(str(n_groups)))}d}" for g in range(n_groups)])
    frailty = rng.normal(0.0, p["frailty_sd"], size=n_groups)

    kept: list[pd.DataFrame] = []
    kept_members: list[pd.DataFrame] = []
    n_kept = n_generated = 0
    while n_kept < n_coalitions:
        need = n_coalitions - n_kept
        m = int(np.ceil(need / max(0.2, 1.0 - 0.6 * delayed_entry_share))) + 10
        mem = draw_members(rng, m, p["members"])
        cov = member_covariates(mem, k_issues)
        group = rng.integers(0, n_groups, size=m)
        b = frailty[group]
        latent = np.empty((m, len(causes)))
        for j, c in enumerate(causes):
            par = p["causes"][c]
            lin = sum(
                beta * (cov[x].to_numpy() - p["reference"][x])
                for x, beta in par.get("coef", {}).items()
            )
            # an Exp(1) draw E is the uniform U = 1 - exp(-E) of inverse-transform sampling
            u = -np.expm1(-rng.exponential(size=m))
            k = par["shape"]
            eta = -k * np.log(par["scale"]) + lin + b  # log hazard multiplier: H = t^k e^eta
            latent[:, j] = weibull.quantile(u, eta, shape=k)
        first = latent.argmin(axis=1)
        t_true = latent[np.arange(m), first]
        rate = p["random_censor_rate"]
        c_rand = rng.exponential(1.0 / rate, size=m) if rate > 0 else np.full(m, np.inf)
        c_time = np.minimum(p["admin_censor"], c_rand)
        delayed = rng.random(m) < delayed_entry_share
        entry = np.where(delayed, rng.uniform(0.0, p["entry_max"], size=m), 0.0)
        exit_time = np.minimum(t_true, c_time)
        is_event = t_true <= c_time
        interval = is_event & (rng.random(m) < interval_share)
        w = p["interval_width"]
        start = np.floor(t_true / w) * w
        lower = np.where(interval, np.maximum(entry, start), np.nan)
        upper = np.where(interval, np.minimum(start + w, c_time), np.nan)
        batch = pd.DataFrame({
            "group": labels[group], "entry": entry, "exit": exit_time, "is_event": is_event,
            "cause": np.array(causes)[first], "interval": interval, "lower": lower,
            "upper": upper, "true_time": t_true, "censor_time": c_time, "frailty": b,
        }).join(cov)
        batch["cid"] = np.arange(m) + n_generated
        mem["cid"] += n_generated
        obs = batch.loc[batch["exit"] > batch["entry"]].iloc[:need]
        if len(obs) < need:
            n_generated += m
        else:  # stop the count at the last coalition used
            n_generated += int(obs["cid"].iloc[-1]) - n_generated + 1
        kept.append(obs)
        kept_members.append(mem.loc[mem["cid"].isin(obs["cid"])])
        n_kept += len(obs)

    ep = pd.concat(kept, ignore_index=True)
    mem = pd.concat(kept_members, ignore_index=True)
    width = len(str(n_coalitions))
    ids = pd.Series([f"C{i + 1:0{width}d}" for i in range(len(ep))])
    id_of = dict(zip(ep["cid"], ids, strict=True))
    end_label = np.where(ep["is_event"], "ended" if collapse_causes else ep["cause"], "censored")
    frame = pd.DataFrame({
        "id": ids, "group": ep["group"],
        "duration": np.where(ep["interval"], np.nan, ep["exit"]),
        "event": end_label, "entry": ep["entry"], "lower": ep["lower"], "upper": ep["upper"],
    })
    for c in COVARIATES:
        frame[c] = ep[c].to_numpy()
    frame["n_members"] = frame["n_members"].astype(np.int64)
    members = mem.assign(id=mem["cid"].map(id_of)).drop(columns="cid")
    members = members[["id", *[c for c in members.columns if c != "id"]]].reset_index(drop=True)
    latent_df = pd.DataFrame({
        "id": ids, "true_time": ep["true_time"], "true_cause": ep["cause"],
        "censor_time": ep["censor_time"], "frailty": ep["frailty"],
    })
    event_causes = ("ended",) if collapse_causes else tuple(causes)
    data = CoalitionData.from_frame(
        frame, duration="duration", event="event", id="id", causes=event_causes,
        entry="entry", lower="lower", upper="upper", groups=["group"],
        covariates=list(COVARIATES), time_unit=time_unit, members=members,
        name="coalsurv synthetic coalitions", source=f"coalsurv.{generator}(seed={seed})",
    )
    truth = truth_record(p, causes, frame, labels, frailty, seed=seed, n_groups=n_groups,
                   n_generated=n_generated, time_unit=time_unit, generator=generator,
                   collapse=collapse_causes, delayed_entry_share=delayed_entry_share,
                   interval_share=interval_share)
    return SimulationResult(data=data, members=members, frame=frame, truth=truth, seed=seed,
                            latent=latent_df)


def simulate(
    *,
    n_coalitions: int = 600,
    n_groups: int = 20,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    admin_censor: float | None = None,
    random_censor_rate: float | None = None,
    delayed_entry_share: float = 0.0,
    interval_share: float = 0.0,
    time_unit: str = "months",
    collapse_causes: bool = False,
) -> SimulationResult:
    """Simulate coalition histories with three competing endings and a group frailty.

    See the module docstring for the generative story.

    Parameters
    ----------
    n_coalitions : int, default 600
        Number of *observed* coalitions (after left truncation).
    n_groups : int, default 20
        Number of groups (countries / wars) sharing a frailty.
    seed : int, default 0
        Seed of the :class:`numpy.random.Generator`; the same seed gives the same tables.
    params : mapping, optional
        Overrides of :func:`default_params` (deep-merged), in ``time_unit``; e.g.
        ``{"frailty_sd": 0.3, "causes": {"dissolution": {"coef": {"power_hhi_sq": 0.0}}}}``.
        A cause set to ``None`` is removed; a new cause needs ``shape`` and ``scale``.
    admin_censor : float, optional
        Administrative censoring horizon since formation (default 96 months).
    random_censor_rate : float, optional
        Rate of exponential random censoring (default 1/200 per month; 0 switches it off).
    delayed_entry_share : float, default 0
        Share of generated coalitions observed from a delayed entry time ``U(0, entry_max)``.
    interval_share : float, default 0
        Share of observed endings known only to an interval of ``interval_width`` (one year).
    time_unit : {"months", "days", "years"}, default "months"
        Unit of all times; defaults are converted from months.
    collapse_causes : bool, default False
        Label every ending ``"ended"`` (the truth still lists the three cause-specific
        hazards; their sum is not a Weibull hazard — use :func:`simulate_single_cause` for an
        exactly Weibull single ending).

    Returns
    -------
    SimulationResult
        ``truth`` holds, per cause, ``shape``, ``scale`` (at the reference profile),
        ``intercept`` (PH, raw covariates), ``coefficients`` (per raw unit),
        ``coefficients_per_sd``, AFT equivalents; the frailty SD and realised group effects;
        censoring settings; counts.

    Examples
    --------
    >>> sim = simulate(n_coalitions=100, seed=1)
    >>> sim.data.n
    100
    """
    return _simulate(
        default_params("competing"), n_coalitions=n_coalitions, n_groups=n_groups, seed=seed,
        params=params, admin_censor=admin_censor, random_censor_rate=random_censor_rate,
        delayed_entry_share=delayed_entry_share, interval_share=interval_share,
        time_unit=time_unit, collapse_causes=collapse_causes, generator="simulate",
    )


def simulate_single_cause(
    *,
    n_coalitions: int = 600,
    n_groups: int = 20,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    admin_censor: float | None = None,
    random_censor_rate: float | None = None,
    delayed_entry_share: float = 0.0,
    interval_share: float = 0.0,
    time_unit: str = "months",
) -> SimulationResult:
    """Simulate coalitions with one ending ``"ended"``: an exact Weibull PH frailty model.

    Same story and options as :func:`simulate`, with the single cause of
    ``default_params("single")``: shape 1.2, scale 60 months, coefficients ``breadth`` -1.5,
    ``power_hhi`` +1.0, ``n_members`` +0.1 (per raw unit), frailty SD 0.5.

    Returns
    -------
    SimulationResult
        As :func:`simulate`; ``truth["causes"]`` has the one key ``"ended"``.
    """
    return _simulate(
        default_params("single"), n_coalitions=n_coalitions, n_groups=n_groups, seed=seed,
        params=params, admin_censor=admin_censor, random_censor_rate=random_censor_rate,
        delayed_entry_share=delayed_entry_share, interval_share=interval_share,
        time_unit=time_unit, collapse_causes=False, generator="simulate_single_cause",
    )
