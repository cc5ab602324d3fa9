"""Checks of the knots a user gives to smooth time-varying effects (``tve_knots``).

``family_options={"tve_knots": {"x": [...]}}`` fixes the knots of ``tve(x)`` (data unit,
boundary knots included). Knots the data cannot inform are refused, naming the term and the
knot: a knot beyond the longest follow-up (the spline there would be its prior alone) and a
span between two neighbouring knots in which no episode ends by a modelled cause (the
spline's shape there would be its prior alone; the piecewise ``tve_cuts`` refuse an interval
without events in the same way).
"""

from __future__ import annotations

import numpy as np

from coalsurv._format import fmt_number

__all__ = ["given_knot_problems"]


def given_knot_problems(spec, obs: dict, time_scale: float) -> list[str]:
    """Problems of the given ``tve_knots`` against the data (one line each).

    Parameters
    ----------
    spec : ModelSpec
    obs : dict
        :func:`coalsurv.build.info.observed_arrays` (``time`` and ``event_of`` on the model
        time scale).
    time_scale : float
        Data units per model time unit.
    """
    given = spec.family_options.get("tve_knots", {})
    if not given:
        return []
    times = np.asarray(obs["time"], dtype=float) * time_scale
    any_event = np.asarray(obs["event_of"]).sum(axis=0) > 0
    events = times[any_event]
    longest = float(np.max(times)) if times.size else 0.0
    problems = []
    for term in spec.tve_terms:
        if term.type != "bs" or term.variable not in given:
            continue
        knots = [float(k) for k in given[term.variable]]
        label = f"tve_knots[{term.variable!r}]"
        beyond = [k for k in knots if k > longest]
        if beyond:
            listed = ", ".join(fmt_number(k) for k in beyond)
            problems.append(
                f"{label}: knot(s) {listed} lie beyond the longest "
                f"follow-up ({fmt_number(longest)}); knots must lie in (0, "
                f"{fmt_number(longest)}], where the data can inform the effect")
            continue
        for lo, hi in zip(knots[:-1], knots[1:], strict=True):
            if not np.any((events >= lo) & (events <= hi)):
                problems.append(
                    f"{label}: no episode ends between the knots {fmt_number(lo)} and "
                    f"{fmt_number(hi)}: the effect of {term.variable!r} there would be its "
                    "prior alone; move the knots to where events are (or use a smaller df)")
    return problems
