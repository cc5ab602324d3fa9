"""Family options of a :class:`~coalsurv.spec.ModelSpec`: which keys a family takes, and checks.

Every family takes :data:`COMMON_OPTIONS`; the others are declared by the family
(``Family.options``). :func:`check_family_options` lists every problem of a table of options.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["COMMON_OPTIONS", "CENTRING_CHOICES", "SPLINE_OPTIONS", "allowed_options",
           "check_family_options"]


#: Options every family takes; the others are declared by the family (``Family.options``),
#: plus ``n_intervals`` (cut points chosen from the data) for a family that takes ``cuts``.
#: ``tve_cuts`` fixes the interval bounds of ``tve(x)`` terms (data unit) instead of the
#: event-time quantiles of the data; ``tve_knots`` fixes the knots (boundary ones included,
#: data unit) of smooth ``tve(x, type="bs")`` terms. ``standardise`` fixes the
#: standardisation constants of fixed-effect terms (term -> [mean, sd], original units)
#: instead of the data's mean and SD, so that "per SD" means the same in every data set
#: (simulation-based calibration).
#: ``frailty_centring`` chooses how frailty intercepts ``(1 | g)`` are sampled: ``"auto"`` (the
#: default: centred where the data inform every level, see ``build.info.centred_groups``),
#: ``"centred"`` or ``"noncentred"``, for every factor or as a table factor -> choice.
COMMON_OPTIONS = ("time_scale", "tve_cuts", "tve_knots", "standardise", "frailty_centring")
#: The Royston-Parmar spline's options (family ``rp``) instead of its family-level knots:
#: ``k`` internal knots at event-time quantiles (default 1) or ``knots`` (internal knots, data
#: unit), ``bknots`` (the two boundary knots, data unit; default the first and last event
#: times) and ``scale`` (``"hazard"``, the default, or ``"odds"``).
SPLINE_OPTIONS = ("k", "knots", "bknots", "scale")
#: The choices of ``frailty_centring``.
CENTRING_CHOICES = ("auto", "centred", "noncentred")


def allowed_options(family: str) -> tuple[str, ...]:
    """Return the keys of ``family_options`` that ``family`` takes."""
    from coalsurv.families import get_family

    if get_family(family).name == "rp":
        return COMMON_OPTIONS + SPLINE_OPTIONS
    declared = tuple(get_family(family).options)
    return COMMON_OPTIONS + (("n_intervals",) if "cuts" in declared else ()) + declared


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_family_options(family: str, options: object) -> list[str]:
    """Problems with ``family_options`` of ``family`` (empty when they are valid).

    Every family takes ``time_scale`` (a finite number > 0, in the data's time unit);
    ``piecewise`` also takes ``n_intervals`` (an integer >= 1) or ``cuts`` (increasing finite
    numbers > 0), not both. Any other key is a problem.
    """
    if not isinstance(options, dict):
        return [f"family_options must be a table (dict) of options, got {type(options).__name__}"]
    allowed = allowed_options(family)
    problems = [
        f"unknown option {key!r} for family {family!r}; allowed options: {list(allowed)}"
        for key in options if key not in allowed
    ]
    if "time_scale" in options:
        tau = options["time_scale"]
        if not (_is_real(tau) and math.isfinite(tau) and tau > 0):
            problems.append(f"time_scale: expected a finite number > 0, got {tau!r}")
    for key in ("tve_cuts", "tve_knots"):
        if key in options:
            problems.extend(_tve_cuts_problems(options[key], key))
    if "standardise" in options:
        problems.extend(_standardise_problems(options["standardise"]))
    if "frailty_centring" in options:
        problems.extend(_centring_problems(options["frailty_centring"]))
    if "n_intervals" in options:
        k = options["n_intervals"]
        if not (isinstance(k, Integral) and not isinstance(k, bool) and k >= 1):
            problems.append(f"n_intervals: expected an integer >= 1, got {k!r}")
    if "cuts" in options:
        problems.extend(_cut_problems("cuts", options["cuts"]))
        if "n_intervals" in options:
            problems.append("give cuts= or n_intervals=, not both")
    if "k" in allowed:
        problems.extend(_spline_problems(options))
    return problems


def _spline_problems(options: dict) -> list[str]:
    """Problems of the spline options ``k``, ``knots``, ``bknots``, ``scale`` (family rp)."""
    problems = []
    if "k" in options:
        k = options["k"]
        if not (isinstance(k, Integral) and not isinstance(k, bool) and k >= 0):
            problems.append(f"k: expected an integer >= 0 (the number of internal knots), "
                            f"got {k!r}")
        if "knots" in options:
            problems.append("give k= (knots at event-time quantiles) or knots=, not both")
    if "knots" in options:
        problems.extend(_cut_problems("knots", options["knots"]))
    if "bknots" in options:
        b = options["bknots"]
        problems.extend(_cut_problems("bknots", b))
        if isinstance(b, (list, tuple)) and len(b) != 2:
            problems.append(f"bknots: expected two boundary knots [lower, upper], got {b!r:.80}")
    if "scale" in options and options["scale"] not in ("hazard", "odds"):
        problems.append(f"scale: expected 'hazard' (log cumulative hazard, proportional "
                        f"hazards) or 'odds' (log cumulative odds, proportional odds), got "
                        f"{options['scale']!r}")
    return problems


def _centring_problems(value: object) -> list[str]:
    """Problems of ``frailty_centring``: a choice, or a table factor -> choice."""
    choices = value.values() if isinstance(value, dict) else [value]
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        return [f"frailty_centring: table keys must be factor names, got {list(value)!r}"]
    bad = [c for c in choices if not (isinstance(c, str) and c in CENTRING_CHOICES)]
    if bad:
        return [f"frailty_centring: expected one of {list(CENTRING_CHOICES)} (or a table factor "
                f"-> choice), got {bad[0]!r}"]
    return []


def _tve_cuts_problems(value: object, key: str = "tve_cuts") -> list[str]:
    """Problems of ``tve_cuts`` / ``tve_knots``: a table covariate -> increasing times > 0."""
    if not isinstance(value, dict) or not value:
        return [f"{key}: expected a table covariate -> list of times, e.g. "
                f"{{'breadth': [12, 30]}}, got {value!r:.80}"]
    return [p for name, cuts in value.items() for p in _cut_problems(f"{key}[{name!r}]", cuts)]


def _cut_problems(label: str, cuts: object) -> list[str]:
    """Problems of a list of cut times: finite numbers > 0, strictly increasing."""
    ok = isinstance(cuts, (list, tuple)) and len(cuts) > 0 and all(
        _is_real(c) and math.isfinite(c) and c > 0 for c in cuts)
    if not ok:
        return [f"{label}: expected a list of finite numbers > 0, got {cuts!r:.80}"]
    if any(b <= a for a, b in zip(cuts[:-1], cuts[1:], strict=True)):
        return [f"{label}: must be strictly increasing, got {list(cuts)}"]
    return []


def _standardise_problems(value: object) -> list[str]:
    """Problems of ``standardise``: a table term -> [mean, sd] with a finite mean, sd > 0."""
    if not isinstance(value, dict) or not value:
        return [f"standardise: expected a table term -> [mean, sd], e.g. "
                f"{{'breadth': [0.5, 0.2]}}, got {value!r:.80}"]
    problems = []
    for name, pair in value.items():
        ok = (isinstance(pair, (list, tuple)) and len(pair) == 2
              and all(_is_real(v) and math.isfinite(v) for v in pair) and pair[1] > 0)
        if not ok:
            problems.append(f"standardise[{name!r}]: expected [mean, sd] with sd > 0, got "
                            f"{pair!r:.80}")
    return problems
