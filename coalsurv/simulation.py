r"""Theory-grounded generator of coalition histories with known true parameters.

Generative story (all times in months unless ``time_unit`` says otherwise; defaults in
:func:`default_params`):

1. **Groups.** ``n_groups`` countries / wars / eras, labelled ``G01, G02, …``, each with a shared
   log-normal frailty: a log-hazard shift :math:`b_g \sim N(0, \sigma_b^2)`, ``frailty_sd``
   :math:`= \sigma_b`, the same shift for every ending. Each coalition belongs to a group drawn
   uniformly.
2. **Members.** A coalition has :math:`n \in \{2, …, 6\}` members (uniform). Power shares are
   Dirichlet(:math:`\alpha`) — a coalition is rarely one of equals. Left–right positions (0–10)
   scatter around a coalition centre with a coalition-specific spread (log-normal). Issue
   portfolios over ``n_issues`` areas: each coalition has a cohesion :math:`c \sim`
   Beta(a, b) and a core agenda (each area with probability ``issue_prevalence``); a member holds
   a core area with probability :math:`0.35 + 0.6c` and any other area with probability
   :math:`0.35(1-c)` (at least one area each). Cohesive coalitions therefore share more.
3. **Covariates** (from :mod:`coalsurv.covariates`, raw units, one row per coalition):
   ``n_members``; ``power_hhi`` (Herfindahl index of shares) and ``power_hhi_sq`` (its square);
   ``leader_share``; ``banzhaf_max`` (largest Banzhaf index, simple majority quota);
   ``breadth`` = ``interest_jaccard`` (mean pairwise Jaccard overlap of issue portfolios, 0–1);
   ``ideological_breadth`` = ``breadth_sd`` (**minus** the SD of positions: larger = closer).
4. **Endings.** Three cause-specific Weibull proportional-hazards models (latent competing
   times, independent given covariates and frailty):

   .. math::

       h_c(t \mid x, g) = \frac{k_c}{\lambda_c}\Big(\frac{t}{\lambda_c}\Big)^{k_c-1}
       \exp\Big\{\sum_j \beta_{cj}(x_j - r_j) + b_g\Big\}

   with shape :math:`k_c`, scale :math:`\lambda_c` (months, at the reference covariate profile
   :math:`r`) and coefficients per *raw* unit. Equivalently, in :mod:`coalsurv.families`' form
   ``weibull_ph`` with :math:`H = t^{k} e^{\eta}`, :math:`\eta = \alpha_c + \sum_j \beta_{cj}
   x_j + b_g` and intercept :math:`\alpha_c = -k_c \log\lambda_c - \sum_j \beta_{cj} r_j`
   (in ``truth``). ``dissolution`` falls with breadth and is U-shaped in power concentration
   (quadratic in ``power_hhi``: both coalitions of equals and hegemonic ones break up more
   easily; minimum at ``power_hhi`` = 0.5); ``goal_reached`` (disbanding once the goal is met)
   rises with breadth and concentration (a leader drives to the goal); ``alliance``
   (transformation) rises strongly with breadth and with age (:math:`k > 1`).
5. **Observation.** Administrative censoring at a fixed horizon after formation
   (``admin_censor``) and random exponential censoring (``random_censor_rate``). Delayed entry:
   a share ``delayed_entry_share`` of generated coalitions is observed only from a time
   ``U(0, entry_max)`` after formation; those that ended (or were censored) before it are never
   seen (left truncation). Generation continues until ``n_coalitions`` *observed* coalitions
   exist; ``truth["n_generated"]`` counts all. Interval censoring: a share ``interval_share`` of
   the observed endings is known only to a calendar year since formation, ``(lower, upper]``
   with ``lower = max(entry, 12⌊t/12⌋)``, ``upper = min(12⌊t/12⌋ + 12, censoring time)``; their
   ``duration`` is missing (NaN).

Everything is deterministic given ``seed`` (one :class:`numpy.random.Generator`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.data.covariates import coalition_covariates

__all__ = [
    "SimulationResult",
    "simulate",
    "simulate_single_cause",
    "default_params",
    "COVARIATES",
    "MONTHS_PER_UNIT",
]

#: Covariate columns of the simulated episode table (raw units).
COVARIATES = (
    "n_members",
    "power_hhi",
    "power_hhi_sq",
    "leader_share",
    "banzhaf_max",
    "breadth",
    "ideological_breadth",
)
#: Length of one month in each time unit (defaults are stated in months).
MONTHS_PER_UNIT = {"days": 30.4375, "months": 1.0, "years": 1.0 / 12.0}
_SCHEMA = "coalsurv.simulate/1"

_DEFAULTS: dict[str, Any] = {
    "frailty_sd": 0.5,
    "members": {
        "min_members": 2,
        "max_members": 6,
        "share_concentration": 1.0,
        "n_issues": 8,
        "issue_prevalence": 0.4,
        "cohesion_a": 1.5,
        "cohesion_b": 1.5,
        "position_spread": 1.2,
    },
    "reference": {
        "n_members": 4.0,
        "power_hhi": 0.5,
        "power_hhi_sq": 0.25,
        "leader_share": 0.6,
        "banzhaf_max": 0.7,
        "breadth": 0.4,
        "ideological_breadth": -1.2,
    },
    "causes": {
        "dissolution": {
            "shape": 0.9,
            "scale": 100.0,
            "coef": {
                "breadth": -2.0,
                "power_hhi": -4.0,
                "power_hhi_sq": 4.0,
                "n_members": 0.15,
                "ideological_breadth": 0.3,
            },
        },
        "goal_reached": {
            "shape": 1.2,
            "scale": 110.0,
            "coef": {"breadth": 0.8, "power_hhi": 1.5},
        },
        "alliance": {
            "shape": 1.8,
            "scale": 100.0,
            "coef": {"breadth": 2.5, "power_hhi": -1.0},
        },
    },
    "entry_max": 36.0,
    "interval_width": 12.0,
    "admin_censor": 96.0,
    "random_censor_rate": 1.0 / 200.0,
}

_SINGLE_CAUSE = {
    "ended": {
        "shape": 1.2,
        "scale": 60.0,
        "coef": {"breadth": -1.5, "power_hhi": 1.0, "n_members": 0.1},
    }
}


def default_params(kind: str = "competing") -> dict[str, Any]:
    """Default generator parameters, times in months (a fresh, editable copy).

    Parameters
    ----------
    kind : {"competing", "single"}
        Three competing endings (:func:`simulate`) or one ending ``"ended"``
        (:func:`simulate_single_cause`).

    Returns
    -------
    dict
        Keys ``frailty_sd``, ``members``, ``reference``, ``causes`` (cause -> ``shape``,
        ``scale``, ``coef``), ``entry_max``, ``interval_width``, ``admin_censor``,
        ``random_censor_rate``.
    """
    if kind not in ("competing", "single"):
        raise ValueError(f"kind: expected 'competing' or 'single', got {kind!r}")
    params = copy.deepcopy(_DEFAULTS)
    if kind == "single":
        params["causes"] = copy.deepcopy(_SINGLE_CAUSE)
    return params


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


def _merge(base: dict[str, Any], over: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """Deep-merge ``over`` into ``base``; unknown keys are errors, ``None`` removes a cause."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        where = f"{path}{key}"
        if path == "causes." and value is None:
            out.pop(key, None)
        elif path == "causes." and not isinstance(value, Mapping):
            raise ValueError(f"params: {where!r} must be a mapping or None (removes the cause)")
        elif path == "causes." and key not in out:
            out[key] = {"coef": {}, **copy.deepcopy(dict(value))}
        elif path.endswith(".coef.") or path == "causes.":
            out[key] = (
                _merge(out[key], value, where + ".") if isinstance(value, Mapping) else value
            )
        elif key not in out:
            raise ValueError(f"params: unknown key {where!r}; known: {', '.join(out)}")
        elif isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                raise ValueError(f"params: {where!r} must be a mapping")
            out[key] = _merge(out[key], value, where + ".")
        else:
            out[key] = value
    return out


def _validate(params: dict[str, Any]) -> None:
    problems = []
    if not params["causes"]:
        problems.append("causes: at least one cause is needed")
    for name, cause in params["causes"].items():
        for key in ("shape", "scale"):
            v = cause.get(key)
            if not (isinstance(v, int | float) and v > 0):
                problems.append(f"causes.{name}.{key}: expected a positive number, got {v!r}")
        unknown = set(cause.get("coef", {})) - set(COVARIATES)
        if unknown:
            problems.append(
                f"causes.{name}.coef: unknown covariates {sorted(unknown)}; "
                f"known: {', '.join(COVARIATES)}"
            )
        extra = set(cause) - {"shape", "scale", "coef"}
        if extra:
            problems.append(f"causes.{name}: unknown keys {sorted(extra)}")
    m = params["members"]
    if not 1 <= m["min_members"] <= m["max_members"] <= 20:
        problems.append("members: need 1 <= min_members <= max_members <= 20")
    if params["frailty_sd"] < 0:
        problems.append("frailty_sd: must be >= 0")
    if problems:
        raise ValueError("invalid simulation parameters:\n  - " + "\n  - ".join(problems))


def _draw_members(rng: np.random.Generator, m: int, p: dict[str, Any]) -> pd.DataFrame:
    """Member table for ``m`` coalitions numbered 0..m-1."""
    n = rng.integers(p["min_members"], p["max_members"] + 1, size=m)
    k = int(p["n_issues"])
    rows = int(n.sum())
    cid = np.repeat(np.arange(m), n)
    # Dirichlet shares via normalised gammas
    g = rng.gamma(p["share_concentration"], size=rows)
    share = g / np.bincount(cid, weights=g)[cid]
    # positions around a coalition centre with a coalition-specific spread
    centre = rng.uniform(2.0, 8.0, size=m)
    spread = p["position_spread"] * np.exp(0.5 * rng.standard_normal(m))
    position = np.clip(centre[cid] + spread[cid] * rng.standard_normal(rows), 0.0, 10.0)
    # issue portfolios: coalition cohesion and core agenda
    cohesion = rng.beta(p["cohesion_a"], p["cohesion_b"], size=m)
    core = rng.random((m, k)) < p["issue_prevalence"]
    none = ~core.any(axis=1)
    core[none, rng.integers(0, k, size=int(none.sum()))] = True
    prob = np.where(core[cid], 0.35 + 0.6 * cohesion[cid, None], 0.35 * (1 - cohesion[cid, None]))
    held = rng.random((rows, k)) < prob
    empty = np.flatnonzero(~held.any(axis=1))
    for r in empty:  # each member holds at least one area: a random core area
        held[r, rng.choice(np.flatnonzero(core[cid[r]]))] = True
    member = np.arange(rows) - np.repeat(np.cumsum(n) - n, n) + 1
    out = pd.DataFrame({"cid": cid, "member": [f"M{j}" for j in member], "share": share,
                        "position": position})
    for j in range(k):
        out[f"issue_{j + 1}"] = held[:, j].astype(np.int64)
    return out


def _covariates(members: pd.DataFrame, k: int) -> pd.DataFrame:
    cov = coalition_covariates(
        members, id="cid", share="share", position="position",
        issues=[f"issue_{j + 1}" for j in range(k)], quota="majority",
    )
    return pd.DataFrame({
        "n_members": cov["n_members"].astype(float),
        "power_hhi": cov["power_hhi"],
        "power_hhi_sq": cov["power_hhi"] ** 2,
        "leader_share": cov["leader_share"],
        "banzhaf_max": cov["banzhaf_max"],
        "breadth": cov["interest_jaccard"],
        "ideological_breadth": cov["breadth_sd"],
    })


def _simulate(
    base: dict[str, Any], *, n_coalitions: int, n_groups: int, seed: int,
    params: Mapping[str, Any] | None, admin_censor: float | None,
    random_censor_rate: float | None, delayed_entry_share: float, interval_share: float,
    time_unit: str, collapse_causes: bool, generator: str,
) -> SimulationResult:
    from coalsurv.data.episodes import CoalitionData

    if time_unit not in MONTHS_PER_UNIT:
        raise ValueError(f"time_unit: expected one of {list(MONTHS_PER_UNIT)}, got {time_unit!r}")
    if n_coalitions < 2 or n_groups < 1:
        raise ValueError("need n_coalitions >= 2 and n_groups >= 1")
    for name, v in (("delayed_entry_share", delayed_entry_share),
                    ("interval_share", interval_share)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name}: expected a share in [0, 1], got {v!r}")
    f = MONTHS_PER_UNIT[time_unit]
    base = copy.deepcopy(base)  # defaults in months -> time_unit
    for cause in base["causes"].values():
        cause["scale"] *= f
    base["entry_max"] *= f
    base["interval_width"] *= f
    base["admin_censor"] *= f
    base["random_censor_rate"] /= f
    p = _merge(base, params or {})
    if admin_censor is not None:
        p["admin_censor"] = float(admin_censor)
    if random_censor_rate is not None:
        p["random_censor_rate"] = float(random_censor_rate)
    _validate(p)
    if delayed_entry_share > 0 and not 0 < p["entry_max"] < p["admin_censor"]:
        raise ValueError(
            f"params entry_max ({p['entry_max']:g}) must be positive and below admin_censor "
            f"({p['admin_censor']:g}) when delayed_entry_share > 0"
        )
    if p["random_censor_rate"] < 0:
        raise ValueError("random_censor_rate must be >= 0")
    causes = list(p["causes"])
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
        mem = _draw_members(rng, m, p["members"])
        cov = _covariates(mem, k_issues)
        group = rng.integers(0, n_groups, size=m)
        b = frailty[group]
        latent = np.empty((m, len(causes)))
        for j, c in enumerate(causes):
            par = p["causes"][c]
            lin = sum(
                beta * (cov[x].to_numpy() - p["reference"][x])
                for x, beta in par.get("coef", {}).items()
            )
            e = rng.exponential(size=m)
            latent[:, j] = par["scale"] * (e * np.exp(-(lin + b))) ** (1.0 / par["shape"])
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
    truth = _truth(p, causes, frame, labels, frailty, seed=seed, n_groups=n_groups,
                   n_generated=n_generated, time_unit=time_unit, generator=generator,
                   collapse=collapse_causes, delayed_entry_share=delayed_entry_share,
                   interval_share=interval_share)
    return SimulationResult(data=data, members=members, frame=frame, truth=truth, seed=seed,
                            latent=latent_df)


def _truth(p: dict[str, Any], causes: list[str], frame: pd.DataFrame, labels: np.ndarray,
           frailty: np.ndarray, **info: Any) -> dict[str, Any]:
    sd = {c: float(frame[c].std(ddof=1)) for c in COVARIATES}
    table = {}
    for c in causes:
        par = p["causes"][c]
        k, lam = float(par["shape"]), float(par["scale"])
        coef = {x: float(par.get("coef", {}).get(x, 0.0)) for x in COVARIATES}
        alpha = -k * np.log(lam) - sum(b * p["reference"][x] for x, b in coef.items())
        table[c] = {
            "shape": k, "scale": lam, "intercept": float(alpha), "coefficients": coef,
            "coefficients_per_sd": {x: b * sd[x] for x, b in coef.items()},
            "intercept_aft": float(-alpha / k),
            "coefficients_aft": {x: -b / k for x, b in coef.items()},
        }
    events = frame["event"]
    counts = {str(c): int(v) for c, v in events.value_counts().sort_index().items()}
    return {
        "schema": _SCHEMA,
        "generator": f"coalsurv.{info['generator']}",
        "seed": int(info["seed"]),
        "n_coalitions": int(len(frame)),
        "n_generated": int(info["n_generated"]),
        "n_groups": int(info["n_groups"]),
        "time_unit": info["time_unit"],
        "family": "weibull_ph",
        "hazard": "h_c(t) = k_c/scale_c * (t/scale_c)^(k_c-1)"
                  " * exp(sum_j beta_cj*(x_j-ref_j) + b_g)"
                  " = k_c t^(k_c-1) exp(intercept_c + sum_j beta_cj*x_j + b_g)",
        "covariate_scale": "raw: coefficients per original unit of each covariate; "
                           "coefficients_per_sd multiply by the observed sample SD",
        "covariates": list(COVARIATES),
        "covariate_sd": sd,
        "reference": {x: float(v) for x, v in p["reference"].items()},
        "causes": table,
        "collapsed": bool(info["collapse"]),
        "event_labels": sorted(events.unique().tolist()),
        "frailty": {
            "distribution": "lognormal (normal log-hazard shift shared by all causes)",
            "sd": float(p["frailty_sd"]),
            "group_effects": {str(g): float(v) for g, v in zip(labels, frailty, strict=True)},
        },
        "censoring": {
            "admin_censor": float(p["admin_censor"]),
            "random_censor_rate": float(p["random_censor_rate"]),
            "delayed_entry_share": float(info["delayed_entry_share"]),
            "entry_max": float(p["entry_max"]),
            "interval_share": float(info["interval_share"]),
            "interval_width": float(p["interval_width"]),
        },
        "members": {k: (float(v) if isinstance(v, float) else int(v))
                    for k, v in p["members"].items()},
        "counts": {
            **counts,
            "interval": int(frame["lower"].notna().sum()),
            "delayed_entry": int((frame["entry"] > 0).sum()),
        },
    }


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
