"""Parameters of the simulator: defaults (in months), deep-merged overrides, their checks."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from coalsurv._format import TIME_UNITS

__all__ = ["COVARIATES", "MONTHS_PER_UNIT", "default_params", "merge_params", "validate_params"]

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
#: Length of one month in each time unit (defaults are stated in months), from the days per
#: unit of :data:`coalsurv._format.TIME_UNITS` (a month is 30.4375 days).
MONTHS_PER_UNIT = {unit: TIME_UNITS["months"] / days for unit, days in TIME_UNITS.items()}

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


def merge_params(base: dict[str, Any], over: Mapping[str, Any], path: str = "") -> dict[str, Any]:
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
                merge_params(out[key], value, where + ".") if isinstance(value, Mapping) else value
            )
        elif key not in out:
            raise ValueError(f"params: unknown key {where!r}; known: {', '.join(out)}")
        elif isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                raise ValueError(f"params: {where!r} must be a mapping")
            out[key] = merge_params(out[key], value, where + ".")
        else:
            out[key] = value
    return out


def validate_params(params: dict[str, Any]) -> None:
    """Raise ``ValueError`` listing every invalid entry of merged parameters."""
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
