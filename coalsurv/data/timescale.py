"""Times the model's float64 arithmetic can represent: the extreme-duration rule.

The model works on ``t / tau`` with ``tau`` the internal time scale (the median follow-up,
:attr:`coalsurv.build.ModelInfo.time_scale`) and every family evaluates terms such as
``shape * log(t / tau)`` inside an ``exp``: the Weibull and log-logistic cumulative hazards
``exp(shape log(t / tau) + eta)``, the Gompertz ``exp(gamma t / tau)``, the log-normal
``((log(t / tau) - mu) / sigma)^2``. ``exp`` overflows past 709, so a duration ``1e300`` days
beside a median of 15 (``log(t / tau) = 687``) makes the log-likelihood of its row ``-inf``
for every shape above 1.03: the sampler can only keep parameters that fit no other row, and
the fit says ``S = 1.000`` at 5 days although most coalitions end by day 20.

Rule: every exit time (a duration, or the upper bound of an interval-censored ending) is at
most :data:`MAX_TIME_RATIO` (``1e12``) times the time scale. Then ``log(t / tau) <= 27.7``,
and ``shape * log(t / tau)`` stays below the overflow for any shape a fit reaches (up to 25).
At the short end ``exp`` only underflows to a harmless 0, so the float64 limit is where
``t / tau`` itself stops being a normal number (below ``2.2e-308``: a subnormal duration loses
its digits or becomes 0, and ``log(0) = -inf`` makes a Weibull event's log hazard ``+inf``
for shapes below 1); such exit times are refused too. Entry times and interval lower bounds
lie below their exit time, so the upper limit holds for them; tiny (even subnormal) ones are
harmless (the families take ``S(t) = 1`` at ``t <= 0`` and ``S`` of a tiny ``t`` rounds to
1), so they are kept. A duration 1e12 times the median is not a lifespan in the same unit: a
typo, a sentinel such as ``9e99``, or a unit mix-up. (Within the limits the arithmetic is
exact; whether one row far out in a tail should steer a fit is a modelling question for the
diagnostics, not a float64 one.)
"""

from __future__ import annotations

import numpy as np

from coalsurv._format import fmt_number, rows_note

__all__ = ["MAX_TIME_RATIO", "extreme_time_problems", "median_follow_up"]

#: Largest ratio of an exit time to the time scale.
MAX_TIME_RATIO = 1e12
#: Smallest normal float64: an exit time below it times the scale is refused.
_TINY = float(np.finfo(float).tiny)


def median_follow_up(time: np.ndarray) -> float:
    """Return the median of the positive finite times (the default internal time scale)."""
    t = np.asarray(time, dtype=float)
    t = t[np.isfinite(t) & (t > 0)]
    return float(np.median(t)) if t.size else float("nan")


def extreme_time_problems(exits: dict[str, np.ndarray], ids, scale: float, *,
                          scale_name: str = "the median follow-up") -> list[str]:
    """Problems of exit times too extreme for the model's arithmetic (the module's rule).

    Parameters
    ----------
    exits : dict
        What each array is (``"column 'd'"``) -> exit times (NaN where a row has none).
    ids : sequence
        Row labels, aligned with the arrays.
    scale : float
        The time scale the times are divided by.
    scale_name : str
        How messages name the scale.

    Returns
    -------
    list of str
        One problem per array and direction, naming the rows and the ratio to the scale.
    """
    if not (np.isfinite(scale) and scale > 0):
        return []
    ids = np.asarray(ids, dtype=object)
    problems: list[str] = []
    for what, values in exits.items():
        v = np.asarray(values, dtype=float)
        ok = np.isfinite(v) & (v > 0)
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            ratio = np.where(ok, v / scale, 1.0)
        for bad, limit, worst in ((ratio > MAX_TIME_RATIO, f"over {MAX_TIME_RATIO:.0e}", np.max),
                                  (ratio < _TINY, f"under {_TINY:.3g} (subnormal)", np.min)):
            if bad.any():
                problems.append(
                    f"{what}: values {limit} times {scale_name} ({fmt_number(scale)}; ratio "
                    f"{float(worst(ratio[bad])):.3g}) in {rows_note(ids[bad])}: the model's "
                    "float64 arithmetic on t / scale cannot represent them; fix these "
                    "durations (a typo, a sentinel value, another time unit?) or drop the rows")
    return problems
