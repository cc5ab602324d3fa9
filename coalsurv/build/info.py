"""ModelInfo: the plain record of what predictions need besides the posterior.

Built from a spec, the data and their design before the graph (:mod:`coalsurv.build.graph`):
family, modelled endings, the internal time scale, standardisation constants and group levels.
Saved fits store it as JSON, so every field is plain data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalsurv.build.design import Design
from coalsurv.build.members import member_info
from coalsurv.build.spline import spline_knots_for
from coalsurv.build.time_terms import check_tve, tve_cuts, tve_splines
from coalsurv.build.tve_knots import given_knot_problems
from coalsurv.data.timescale import extreme_time_problems
from coalsurv.endings import Endings
from coalsurv.errors import CoalitionDataError, SpecError
from coalsurv.families import Family, default_cuts, get_family
from coalsurv.spec.joint import is_joint_key
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import PriorSet

__all__ = ["ModelInfo", "model_info", "observed_arrays", "var_name"]


@dataclass(frozen=True)
class ModelInfo:
    """What predictions need besides the posterior: family, causes, scales, levels.

    Stored as JSON in saved fits, so every field is plain data.
    """

    family: str
    kind: str
    family_params: tuple[str, ...]
    causes: tuple[str, ...]
    pooled: bool
    time_scale: float
    time_unit: str
    terms: tuple[str, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]
    factors: tuple[str, ...] = ()
    levels: dict[str, list[str]] = field(default_factory=dict)
    slopes: dict[str, list[str]] = field(default_factory=dict)
    cuts: tuple[float, ...] = ()
    intercept_centre: tuple[float, ...] = ()
    spells: bool = False
    time_varying: tuple[str, ...] = ()
    tve: dict[str, list[float]] = field(default_factory=dict)
    tve_splines: dict[str, dict] = field(default_factory=dict)
    cure: str = ""
    cure_terms: tuple[str, ...] = ()
    strata: str = ""
    strata_levels: tuple[str, ...] = ()
    centred_groups: tuple[str, ...] = ()
    members: dict[str, Any] = field(default_factory=dict)
    strata_parts: tuple[str, ...] = ()
    shape: str = ""
    shape_terms: tuple[str, ...] = ()
    cure_link: str = "logit"
    cure_type: str = "mixture"
    knots: tuple[float, ...] = ()
    spline_scale: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelInfo:
        """Rebuild from :meth:`to_dict`."""
        kwargs = dict(data)
        for key in ("family_params", "causes", "terms", "means", "sds", "factors", "cuts",
                    "intercept_centre", "time_varying", "cure_terms",
                    "strata_levels", "centred_groups", "strata_parts", "shape_terms", "knots"):
            kwargs[key] = tuple(kwargs.get(key, ()))
        if kwargs.get("strata") and not kwargs["strata_parts"]:  # files before strata_parts
            kwargs["strata_parts"] = ("level", "shape") if kwargs["family_params"] and \
                kwargs["family"] != "piecewise" else ("level",)
        return cls(**kwargs)

    @property
    def endings(self) -> Endings:
        """The modelled endings (transitions) as an :class:`~coalsurv.endings.Endings`."""
        return Endings.from_causes(self.causes, pooled=self.pooled)

    def family_object(self) -> Family:
        """Return the family, with cut points for the piecewise baseline."""
        if self.family == "piecewise":
            return get_family("piecewise", cuts=np.asarray(self.cuts))
        if self.knots:  # the Royston-Parmar spline (coalsurv.build.spline)
            return get_family(self.family, log_knots=np.asarray(self.knots),
                              scale=self.spline_scale or "hazard")
        return get_family(self.family)


def var_name(text: str) -> str:
    """Return a safe variable-name fragment for a term or factor."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def observed_arrays(data, causes: tuple[str, ...], pooled: bool, time_scale: float) -> dict:
    """Arrays of the likelihood: scaled times and per-cause event masks (:class:`Endings`)."""
    event_of, interval_of = Endings.from_causes(causes, pooled=pooled).event_masks(data)
    status = np.asarray(data.status)
    upper = np.where(status == 2, data.time_upper, 2.0 * data.time + 1.0)
    return {
        "entry": np.asarray(data.entry, dtype=float) / time_scale,
        "time": np.asarray(data.time, dtype=float) / time_scale,
        "time_upper": upper / time_scale,
        "event_of": event_of,
        "interval_of": interval_of,
    }


def _time_scale(data) -> float:
    tau = float(np.median(np.asarray(data.time)[np.asarray(data.time) > 0]))
    digits = -int(math.floor(math.log10(tau))) + 2
    return float(round(tau, digits))


def _check_times_on_scale(data, tau: float, scale_name: str) -> None:
    """Refuse exit times the model cannot represent on the time scale ``tau``.

    :mod:`coalsurv.data.timescale` (the rule): ``from_frame`` checks it against the median
    follow-up; here it is checked against the scale actually used (a given ``time_scale``,
    one inherited with the priors, or tables built without ``from_frame``).
    """
    status = np.asarray(data.status)
    exits = {"durations (exit times)": np.where(status == 2, np.nan, data.time),
             "interval upper bounds": np.where(status == 2, data.time_upper, np.nan)}
    problems = extreme_time_problems(exits, data.ids, tau, scale_name=scale_name)
    if problems:
        raise CoalitionDataError(f"times too extreme for the model's time scale {tau:g} "
                                 f"{data.time_unit}", problems)


def model_info(spec: ModelSpec, data, design: Design, priors: PriorSet | None = None) -> ModelInfo:
    """Resolve family, causes, time scale and intercept centres for ``data``.

    The internal time scale is ``family_options["time_scale"]`` when given, else the time
    scale of the study whose posterior became these priors when they carry its intercept,
    else the median follow-up of ``data``.
    """
    family = spec.family_object
    check_tve(spec, data, design)
    endings = Endings.resolve(spec.causes, data.causes)
    causes, pooled = endings.causes, endings.pooled
    inherited = priors.provenance.get("time_scale") if (
        priors is not None and priors.provenance.get("include_intercept")) else None
    tau = float(spec.family_options.get("time_scale", 0) or inherited or _time_scale(data))
    _check_times_on_scale(data, tau, "family_options time_scale" if "time_scale" in
                          spec.family_options else "the inherited time scale" if inherited
                          else "the time scale (median follow-up)")
    obs = observed_arrays(data, causes, pooled, tau)
    cuts: tuple[float, ...] = ()
    if spec.family == "piecewise":
        if "cuts" in spec.family_options:
            cuts = tuple(float(c) / tau for c in spec.family_options["cuts"])
        else:
            any_event = obs["event_of"].sum(axis=0) + obs["interval_of"].sum(axis=0) > 0
            n_int = int(spec.family_options.get("n_intervals", 8))
            cuts = tuple(float(c) for c in default_cuts(obs["time"], any_event, n_intervals=n_int))
    knots = (spline_knots_for(spec.family_options, obs, tau) if family.name == "rp" else ())
    exposure = float(np.sum(np.maximum(obs["time"] - obs["entry"], 1e-12)))
    centres = []
    for k in range(len(causes)):
        n_events = float(obs["event_of"][k].sum() + obs["interval_of"][k].sum())
        n_events = max(n_events, 0.5)
        centres.append(math.log(n_events / exposure) if family.kind != "aft"
                       else math.log(exposure / n_events))
    pinned = priors is not None and priors.provenance.get("pinned_for")
    tve = tve_cuts(spec, obs, tau, check=not pinned)
    knot_problems = [] if pinned else given_knot_problems(spec, obs, tau)
    if knot_problems:
        raise SpecError(f"formula {spec.formula!r}: the knots given for its smooth "
                        "time-varying effects (tve_knots) cannot all be fitted from the data",
                        knot_problems)
    levels = {g.term.factor: list(g.levels) for g in design.groups}
    slopes = {g.term.factor: list(g.term.slopes) for g in design.groups if g.term.slopes}
    # mm(): the form of the member effects (build.members.member_info); a factor the members
    # rotate with (build.member_rotation) is sampled by the rotation, not centred
    # (a joint prior: the kernel does not rotate under one, so "auto" keeps the other forms)
    joint = priors is not None and any(is_joint_key(k) for k in priors.priors)
    members = member_info(design.members, tuple(family.params),
                          obs["event_of"] + obs["interval_of"], design.groups,
                          formula=spec.formula, joint=joint)
    return ModelInfo(
        family=spec.family, kind=family.kind, family_params=tuple(family.params), causes=causes,
        pooled=pooled, time_scale=tau, time_unit=data.time_unit, terms=design.terms,
        means=tuple(float(m) for m in design.means), sds=tuple(float(s) for s in design.sds),
        factors=tuple(g.term.factor for g in design.groups), levels=levels, slopes=slopes,
        cuts=cuts, intercept_centre=tuple(centres), spells=design.spells is not None,
        time_varying=tuple(design.spells.variables) if design.spells is not None else (),
        tve=tve, tve_splines=tve_splines(spec, tve), cure=spec.cure or "",
        cure_terms=design.cure.terms if design.cure is not None else (),
        strata=spec.strata or "",
        strata_levels=design.strata.levels if design.strata is not None else (),
        centred_groups=tuple(g for g in centred_groups(spec, design, obs)
                             if g != members.get("rotation_group")),
        members=members,
        strata_parts=spec.resolved_strata_parts,
        shape=spec.shape or "",
        shape_terms=design.shape.terms if design.shape is not None else (),
        cure_link=spec.cure_link or "logit", cure_type=spec.cure_type or "mixture",
        knots=knots, spline_scale=getattr(family, "scale", "") if knots else "",
    )


#: ``frailty_centring="auto"`` centres a frailty intercept when the 10th percentile of events
#: per level (the fewest over causes) is at least this: each level's own data then pin its
#: effect (likelihood precision ~ events, against a prior precision 1/sd^2 of order 1-10),
#: where the non-centred form mixes slowly (N = 10^5 rows in 500 groups: issue 23).
CENTRE_MIN_EVENTS = 20.0
#: ... or, for the model's only frailty factor (no ``mm()`` term), when the mean events per
#: level times a moment estimate of the frailty variance (:func:`frailty_variance`) is at
#: least this, for every cause: the levels' data precision (~ events) against the prior
#: precision 1/sd^2. Centred on the intercept, the levels of coalgov's ``(1 | cname)`` (29
#: countries, 8.4 events each, estimate 2.75) doubled the min bulk ESS of most family-table
#: rows over 2-8 seeds; simulated levels with 4 events each or a small SD (estimate <= 0.6) mix
#: worse centred, with divergences (BENCHMARKS.md, "Why some native rows mixed worse than
#: plain PyMC").
CENTRE_MIN_INFORMATION = 1.5


def frailty_variance(X: np.ndarray, exposure: np.ndarray, events: np.ndarray,
                     index: np.ndarray, n_levels: int) -> float:
    """Moment estimate of a frailty's variance from the events per level (0 if none).

    An exponential Poisson regression without the frailty (``log E[d_i] = log exposure_i +
    a + X_i b``, Newton steps) gives each level's expected events ``E_j``; with observed
    ``O_j``, a log-normal frailty of variance ``s^2`` makes ``Var O_j ~ E_j + s^2 E_j^2``, so
    ``s^2 = sum((O_j - E_j)^2 - O_j) / sum(E_j^2)``, floored at 0. A rough guide for the
    centring choice only, never part of the model. No events: 0 (nothing to estimate).
    """
    if not events.sum() > 0:
        return 0.0
    Z = np.column_stack([np.ones(len(exposure)), X]) if X.size else np.ones((len(exposure), 1))
    theta = np.zeros(Z.shape[1])
    theta[0] = math.log(max(events.sum(), 0.5) / exposure.sum())
    for _ in range(25):
        mu = exposure * np.exp(np.clip(Z @ theta, -50.0, 50.0))
        hess = (Z * mu[:, None]).T @ Z + 1e-8 * np.eye(Z.shape[1])
        try:
            step = np.linalg.solve(hess, Z.T @ (events - mu))
        except np.linalg.LinAlgError:
            return 0.0  # no estimate: the events rule alone decides
        if not np.isfinite(step).all():
            return 0.0
        theta = theta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu = exposure * np.exp(np.clip(Z @ theta, -50.0, 50.0))
    observed = np.bincount(index, weights=events, minlength=n_levels)
    expected = np.bincount(index, weights=mu, minlength=n_levels)
    value = float(((observed - expected) ** 2 - observed).sum() / max((expected ** 2).sum(),
                                                                      1e-300))
    return max(value, 0.0) if np.isfinite(value) else 0.0


def _informed_levels(design: Design, obs: dict, g, events: np.ndarray) -> bool:
    """Whether every cause's mean events per level x frailty variance reach the threshold."""
    exposure = np.maximum(obs["time"] - obs["entry"], 1e-12)
    X = np.asarray(design.X, dtype=float)
    if X.ndim != 2 or X.shape[0] != exposure.size or not np.isfinite(X).all():
        X = np.empty((exposure.size, 0))  # a design by spell row: the intercept only
    n_levels = len(g.levels)
    for k in range(events.shape[0]):
        s2 = frailty_variance(X, exposure, events[k], np.asarray(g.index), n_levels)
        if events[k].sum() / n_levels * s2 < CENTRE_MIN_INFORMATION:
            return False
    return True


def centred_groups(spec: ModelSpec, design: Design, obs: dict) -> tuple[str, ...]:
    """Names of the frailty intercepts sampled centred (``u ~ Normal(0, sd)``).

    ``family_options["frailty_centring"]``: ``"auto"`` (default), ``"centred"`` or
    ``"noncentred"``, for every factor or per factor (a table). Varying slopes stay
    non-centred. The choice changes how NUTS moves, never the model (tested). ``"auto"``
    centres a factor whose levels all have many events (:data:`CENTRE_MIN_EVENTS`) or, the
    model's only frailty factor without ``mm()`` terms, whose levels' events outweigh the
    estimated frailty variance's prior precision (:data:`CENTRE_MIN_INFORMATION`).
    """
    choice = spec.family_options.get("frailty_centring", "auto")
    if isinstance(choice, dict):
        known = [g.term.factor for g in design.groups if g.term.intercept]
        unknown = sorted(set(choice) - set(known))
        if unknown:
            raise SpecError(f"frailty_centring names factors without a frailty intercept in "
                            f"the formula: {unknown}; frailty intercepts: {known}")
    events = obs["event_of"] + obs["interval_of"]
    out = []
    for g in design.groups:
        if not g.term.intercept:
            continue
        want = choice.get(g.term.factor, "auto") if isinstance(choice, dict) else choice
        if want == "auto":
            per_level = np.stack([np.bincount(g.index, weights=events[k],
                                              minlength=len(g.levels))
                                  for k in range(events.shape[0])])
            only = (len(design.groups) == 1 and design.members is None)
            want = ("centred" if np.quantile(per_level, 0.1, axis=1).min() >= CENTRE_MIN_EVENTS
                    or (only and _informed_levels(design, obs, g, events)) else "noncentred")
        if want == "centred":
            out.append(g.name)
    return tuple(out)
