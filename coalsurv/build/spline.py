"""The Royston–Parmar spline baseline (family ``rp``): knots from the data, coefficients, bound.

Knots (:func:`spline_knots_for`) are flexsurv's: boundary knots at the log of the first and
last event time, ``k`` internal knots at quantiles of the log event times
(``family_options`` ``k``, default :data:`DEFAULT_K`), or the given ``knots`` / ``bknots``
(data unit). Event times are the exit times of exact endings of any modelled cause, plus the
midpoints of interval-censored endings; one knot set serves every cause. The knots are stored
in :class:`~coalsurv.build.info.ModelInfo` (``knots``, log model time) so that saved fits and
predictions rebuild the same basis.

Coefficients (:func:`spline_coefficients`): ``rp_spline[cause, knot] ~ prior "rp_spline"``
(default ``Normal(0, 2)``, on the basis divided by ``(kmax - kmin)^2``; see
:mod:`coalsurv.families.spline`). :func:`monotone_bound` confines the parameters to an
increasing spline: a ``pm.Potential`` of 0 where the exact minimum slope of every cause (and
stratum) is positive and ``-inf`` elsewhere, i.e. the priors truncated to the valid region.
"""

from __future__ import annotations

import math

import numpy as np

from coalsurv._format import fmt_number
from coalsurv.errors import SpecError

__all__ = ["DEFAULT_K", "spline_knots_for", "spline_coefficients", "monotone_bound"]

#: Internal knots when ``family_options`` gives neither ``k`` nor ``knots``.
DEFAULT_K = 2


def spline_knots_for(options: dict, obs: dict, time_scale: float) -> tuple[float, ...]:
    """All knots (log model time; boundary first and last) of the spline for these data.

    Raises
    ------
    coalsurv.errors.SpecError
        Too few distinct event times for ``k`` knots (tied quantiles), or given knots that do
        not lie strictly inside the boundary knots.
    """
    any_event = obs["event_of"].sum(axis=0) > 0
    interval = obs["interval_of"].sum(axis=0) > 0
    times = np.concatenate([obs["time"][any_event],
                            0.5 * (obs["time"] + obs["time_upper"])[interval]])
    times = times[np.isfinite(times) & (times > 0)]
    if "bknots" in options:
        lo, hi = (math.log(float(b) / time_scale) for b in options["bknots"])
    elif np.unique(times).size < 2:
        raise SpecError("family 'rp' needs at least two distinct event times for its boundary "
                        f"knots; the data have {np.unique(times).size}",
                        ["give family_options bknots=[lower, upper] (data unit)"])
    else:
        lo, hi = float(np.log(times.min())), float(np.log(times.max()))
    if "knots" in options:
        inner = [math.log(float(c) / time_scale) for c in options["knots"]]
        bad = [c for c, x in zip(options["knots"], inner, strict=True) if not lo < x < hi]
        if bad:
            span = (f"({fmt_number(math.exp(lo) * time_scale)}, "
                    f"{fmt_number(math.exp(hi) * time_scale)})")
            raise SpecError("family_options knots: internal knots must lie strictly inside the "
                            "boundary knots", [f"knot {c!r} is outside {span} (data unit; "
                                               + ("bknots)" if "bknots" in options else
                                                  "the first and last event times)")
                                               for c in bad])
        return (lo, *inner, hi)
    k = int(options.get("k", DEFAULT_K))
    log_times = np.log(times)
    log_times = log_times[(log_times >= lo) & (log_times <= hi)]
    if not k:
        return (lo, hi)
    distinct = np.unique(log_times).size
    fix = [f"use fewer internal knots (k <= {max(distinct - 2, 0)}) or give knots= (data unit)"]
    if k + 2 > distinct:
        raise SpecError(f"family_options k={k}: {k} internal and 2 boundary knots need at least "
                        f"{k + 2} distinct event times; the data have {distinct}", fix)
    knots = np.concatenate([[lo], np.quantile(log_times, np.arange(1, k + 1) / (k + 1)), [hi]])
    if np.any(np.diff(knots) <= 0):
        raise SpecError(f"family_options k={k}: knots at quantiles of the log event times tie "
                        f"(tied event times): {np.round(np.exp(knots) * time_scale, 6).tolist()}",
                        fix)
    return tuple(float(v) for v in knots)


def spline_coefficients(priors, param, causes: tuple[str, ...], resolved: dict):
    """``rp_spline[cause, knot]`` under the prior ``rp_spline`` (a real prior per value)."""
    prior = priors.get(param.key)
    resolved[param.key] = prior
    return prior.to_pymc(param.posterior_name, dims=("cause", "knot"))


def monotone_bound(family, slope, spline) -> None:
    """Add the potential that keeps every cause's (and stratum's) spline increasing.

    ``slope`` is (cause,) or (cause, stratum); ``spline`` (cause, knot).
    """
    import pymc as pm
    import pytensor.tensor as pt

    from coalsurv.families import PYTENSOR

    coef = spline if slope.ndim == 1 else spline[:, None, :]
    lowest = family.min_slope(slope, coef, xp=PYTENSOR)
    pm.Potential("rp_monotone", pt.switch(pt.all(pt.gt(lowest, 0.0)), 0.0, -np.inf))
