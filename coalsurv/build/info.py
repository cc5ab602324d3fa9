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

from coalsurv.build.cure import check_cure
from coalsurv.build.design import Design
from coalsurv.build.time_terms import check_tve, tve_cuts
from coalsurv.endings import Endings
from coalsurv.families import Family, default_cuts, get_family
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
    cure: str = ""
    cure_terms: tuple[str, ...] = ()
    strata: str = ""
    strata_levels: tuple[str, ...] = ()
    strata_parts: tuple[str, ...] = ()
    shape: str = ""
    shape_terms: tuple[str, ...] = ()
    cure_link: str = "logit"
    cure_type: str = "mixture"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelInfo:
        """Rebuild from :meth:`to_dict`."""
        kwargs = dict(data)
        for key in ("family_params", "causes", "terms", "means", "sds", "factors", "cuts",
                    "intercept_centre", "time_varying", "cure_terms",
                    "strata_levels", "strata_parts", "shape_terms"):
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


def model_info(spec: ModelSpec, data, design: Design, priors: PriorSet | None = None) -> ModelInfo:
    """Resolve family, causes, time scale and intercept centres for ``data``.

    The internal time scale is ``family_options["time_scale"]`` when given, else the time
    scale of the study whose posterior became these priors when they carry its intercept,
    else the median follow-up of ``data``.
    """
    family = spec.family_object
    check_tve(spec, data, design)
    check_cure(spec, design)
    endings = Endings.resolve(spec.causes, data.causes)
    causes, pooled = endings.causes, endings.pooled
    inherited = priors.provenance.get("time_scale") if (
        priors is not None and priors.provenance.get("include_intercept")) else None
    tau = float(spec.family_options.get("time_scale", 0) or inherited or _time_scale(data))
    obs = observed_arrays(data, causes, pooled, tau)
    cuts: tuple[float, ...] = ()
    if spec.family == "piecewise":
        if "cuts" in spec.family_options:
            cuts = tuple(float(c) / tau for c in spec.family_options["cuts"])
        else:
            any_event = obs["event_of"].sum(axis=0) + obs["interval_of"].sum(axis=0) > 0
            n_int = int(spec.family_options.get("n_intervals", 8))
            cuts = tuple(float(c) for c in default_cuts(obs["time"], any_event, n_intervals=n_int))
    exposure = float(np.sum(np.maximum(obs["time"] - obs["entry"], 1e-12)))
    centres = []
    for k in range(len(causes)):
        n_events = float(obs["event_of"][k].sum() + obs["interval_of"][k].sum())
        n_events = max(n_events, 0.5)
        centres.append(math.log(n_events / exposure) if family.kind == "ph"
                       else math.log(exposure / n_events))
    levels = {g.term.factor: list(g.levels) for g in design.groups}
    slopes = {g.term.factor: list(g.term.slopes) for g in design.groups if g.term.slopes}
    return ModelInfo(
        family=spec.family, kind=family.kind, family_params=tuple(family.params), causes=causes,
        pooled=pooled, time_scale=tau, time_unit=data.time_unit, terms=design.terms,
        means=tuple(float(m) for m in design.means), sds=tuple(float(s) for s in design.sds),
        factors=tuple(g.term.factor for g in design.groups), levels=levels, slopes=slopes,
        cuts=cuts, intercept_centre=tuple(centres), spells=design.spells is not None,
        time_varying=tuple(design.spells.variables) if design.spells is not None else (),
        tve=tve_cuts(spec, obs, tau), cure=spec.cure or "",
        cure_terms=design.cure.terms if design.cure is not None else (),
        strata=spec.strata or "",
        strata_levels=design.strata.levels if design.strata is not None else (),
        strata_parts=spec.resolved_strata_parts,
        shape=spec.shape or "",
        shape_terms=design.shape.terms if design.shape is not None else (),
        cure_link=spec.cure_link or "logit", cure_type=spec.cure_type or "mixture",
    )
