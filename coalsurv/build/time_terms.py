"""Time-varying effects ``tve(x, df=J)`` in the graph: parameters and likelihood.

The coefficient of ``x`` (per SD) on the log hazard of cause ``k`` is piecewise constant in
time on ``J`` intervals ``(c_{j-1}, c_j]`` (``c_0 = 0``, ``c_J = inf``; the interior cuts at
quantiles of the event times, on the model's time scale)::

    beta_k,x(t) = beta_k,x + dev_k,x[j(t)]
    dev = d - mean(d),  d[0] = 0,  d[j] = d[j-1] + tve_sd_k,x * tve_step[j]   (random walk)

so ``beta_k,x`` is the average log hazard ratio over the intervals and neighbouring intervals
are smoothed towards each other. For a proportional-hazards family the cumulative hazard is
then exact, with no numerical integration: on each interval the hazard is the family's hazard
times ``exp(x dev_j)``, so::

    H_i(entry, t) = sum_j exp(x_i dev_j) [H_k(min(t, c_j)) - H_k(max(entry, c_{j-1}))]_+
    log h_i(t)    = log h_k(t | eta_i) + x_i dev_{j(t)}

With every ``dev_j = 0`` this telescopes to the plain model's ``H_k(t) - H_k(entry)``.
Random variables: ``tve_sd`` (cause, tve_term), ``tve_step`` (cause, tve_term, tve_step),
``tve_dev`` (cause, tve_term, tve_interval).
"""

from __future__ import annotations

import numpy as np

from coalsurv.build.time_splines import spline_centre, spline_knots
from coalsurv.errors import SpecError
from coalsurv.families import PYTENSOR, default_cuts

__all__ = ["check_tve", "tve_cuts", "tve_interval_index", "tve_loglik", "tve_parameters",
           "tve_safe_name", "tve_splines"]


def check_tve(spec, data, design) -> None:
    """Refuse ``tve()`` terms this model cannot fit, naming the covariate and why.

    Each ``tve(x)`` needs ``x`` to be a numeric fixed term of the design; the model must have
    no interval-censored episodes. With time-varying covariates (spells) only the piecewise
    effects are fitted (each spell row is split at their cut points).
    """
    terms = spec.tve_terms
    if not terms:
        return
    problems = [f"tve({t.variable}): {t.variable!r} is not a numeric covariate term of the "
                f"formula's design; terms: {list(design.terms)}"
                for t in terms if t.variable not in design.terms]
    if design.spells is not None:  # spells are split at the piecewise effects' cut points
        problems += [f"tve({t.variable}, type={t.type!r}) with time-varying covariates (spells) "
                     f"{list(design.spells.variables)} is not supported: use the piecewise "
                     f"tve({t.variable}, type='pw') or constant covariates"
                     for t in terms if t.type != "pw"]
    interval = np.flatnonzero(np.asarray(data.status) == 2)
    if interval.size:
        from coalsurv._format import fmt_ids

        problems.append(f"tve() needs exact or right-censored times; interval-censored "
                        f"episodes {fmt_ids(np.asarray(data.ids)[interval])}")
    if problems:
        raise SpecError(f"formula {spec.formula!r}: its time-varying effects cannot be fitted",
                        problems)


def tve_cuts(spec, obs: dict, time_scale: float, *,
             check: bool = True) -> dict[str, list[float]]:
    """Return the cut points of piecewise tve terms and the knots of smooth ones.

    Cut points: interior, model time scale (``tve(x, type="pw", df=J)``); knots: log model
    time, boundary ones included (``tve(x, type="bs")``).

    Cuts: the ``j / J`` quantiles of the event times of any modelled ending (fewer when they
    tie), unless ``family_options["tve_cuts"]`` gives them (data unit). Refused (one
    SpecError, naming the covariate, the interval and its event count): a cut at or beyond
    the longest follow-up, and an interval without an event of any modelled ending, where
    that step of the effect would be fitted on its prior alone. ``check=False`` skips that
    refusal: a model pinned for simulation-based calibration (its priors' provenance has
    ``pinned_for``) fits every data set its prior simulates with the template's cuts, and
    there a prior-only step is what the calibration must see (refusing would drop the
    replicates of some prior draws and bias the ranks).

    Knots (:func:`coalsurv.build.time_splines.spline_knots`): the extreme log event times
    and quantiles between, unless ``family_options["tve_knots"]`` gives them (data unit);
    refused when the event times cannot carry the term's ``df``.
    """
    fixed = spec.family_options.get("tve_cuts", {})
    given = spec.family_options.get("tve_knots", {})
    any_event = obs["event_of"].sum(axis=0) > 0
    cuts: dict[str, list[float]] = {}
    problems: list[str] = []
    for t in spec.tve_terms:
        if t.type == "bs" and t.variable in given:
            cuts[t.variable] = [float(np.log(float(c) / time_scale)) for c in given[t.variable]]
        elif t.type == "bs":
            knots, bad = spline_knots(t.variable, t.df, t.basis, np.log(obs["time"][any_event]))
            cuts[t.variable] = knots
            problems += bad
        else:
            cuts[t.variable] = ([float(c) / time_scale for c in fixed[t.variable]]
                                if t.variable in fixed else
                                [float(c) for c in default_cuts(obs["time"], any_event,
                                                                n_intervals=t.df)])
            if check:
                problems += _cut_problems(t.variable, cuts[t.variable], obs, any_event,
                                          time_scale, t.variable in fixed)
    if problems:
        raise SpecError(f"formula {spec.formula!r}: the intervals of its time-varying effects "
                        "(or the knots of its smooth ones) cannot all be fitted from the data",
                        problems)
    return cuts


def tve_splines(spec, knots: dict[str, list[float]]) -> dict[str, dict]:
    """Return the smooth terms' basis record ``{x: {"basis", "df", "centre"}}`` (ModelInfo)."""
    return {t.variable: {"basis": t.basis, "df": t.df,
                         "centre": spline_centre(knots[t.variable], t.basis, t.df)}
            for t in spec.tve_terms if t.type == "bs"}


def _cut_problems(name: str, cuts: list[float], obs: dict, any_event: np.ndarray,
                  time_scale: float, given: bool) -> list[str]:
    """Problems of one term's cut points: beyond follow-up, or intervals without events."""
    from coalsurv._format import fmt_number

    source = f"tve_cuts[{name!r}]" if given else f"tve({name}) (cuts at event-time quantiles)"
    longest = float(np.max(obs["time"]))
    problems = [f"{source}: cut {fmt_number(c * time_scale)} is at or beyond the longest "
                f"follow-up ({fmt_number(longest * time_scale)}); cuts must lie in (0, "
                f"{fmt_number(longest * time_scale)})" for c in cuts if c >= longest]
    counts = np.bincount(tve_interval_index(cuts, obs["time"][any_event]),
                         minlength=len(cuts) + 1)
    bounds = [0.0, *cuts, np.inf]
    for j, count in enumerate(counts):
        if count == 0:
            lo, hi = (fmt_number(b * time_scale) for b in bounds[j:j + 2])
            problems.append(
                f"{source}: interval {j + 1} of {len(counts)}, ({lo}, {hi}"
                f"{']' if j < len(cuts) else ')'}, has 0 events: "
                f"the effect of {name!r} there would be its prior alone; move the cuts inside "
                "the follow-up (or use fewer intervals: df=)")
    return problems


def tve_interval_index(cuts, times) -> np.ndarray:
    """Interval ``j`` of each time, for intervals ``(c_{j-1}, c_j]``."""
    return np.searchsorted(np.asarray(cuts, dtype=float), np.asarray(times, dtype=float),
                           side="left")


def tve_parameters(priors, tve: dict[str, list[float]], n_causes: int, resolved: dict,
                   splines: dict[str, dict] | None = None):
    """Random variables of the time-varying effects; the deviations per term.

    A piecewise term's deviations ``tve_dev_<x>`` (cause, interval) sum to zero; a smooth
    term's (``splines``: :func:`tve_splines`) are the spline coefficients ``tve_dev_<x>``
    (cause, coefficient) with ``sum_j c_j dev_j = 0`` (:mod:`coalsurv.build.time_splines`).
    Both are a random walk ``d`` of ``tve_sd`` steps from ``d[0] = 0``, recentred.

    Returns
    -------
    list of tensor
        One ``(cause, interval)`` or ``(cause, coefficient)`` tensor per term.
    """
    import pymc as pm
    import pytensor.tensor as pt

    splines = splines or {}
    out = []
    for name, cuts in tve.items():
        key = f"tve_sd[{name}]" if priors.explicit(f"tve_sd[{name}]") else "tve_sd"
        prior = priors.get(key)
        if prior.support != "positive":
            from coalsurv.errors import PriorError

            raise PriorError(f"prior {key!r}: {prior} can be negative but a random-walk SD "
                             "must be positive; use e.g. HalfNormal")
        resolved[key] = prior
        safe = _safe(name)
        sd = prior.to_pymc(f"tve_sd_{safe}", dims="cause")
        n_int = int(splines[name]["df"]) + 1 if name in splines else len(cuts) + 1
        step = pm.Normal(f"tve_step_{safe}", 0.0, 1.0, shape=(n_causes, n_int - 1))
        d = pt.concatenate([pt.zeros((n_causes, 1)), pt.cumsum(sd[:, None] * step, axis=1)],
                           axis=1)
        if name in splines:
            centre = pt.dot(d, np.asarray(splines[name]["centre"], dtype=float))
            dev = pm.Deterministic(f"tve_dev_{safe}", d - centre[:, None],
                                   dims=("cause", f"tve_coef_{safe}"))
        else:
            dev = pm.Deterministic(f"tve_dev_{safe}", d - d.mean(axis=1, keepdims=True),
                                   dims=("cause", f"tve_interval_{safe}"))
        out.append(dev)
    return out


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def tve_safe_name(name: str) -> str:
    """Return the term's name in the graph's variables (``tve_sd_<safe>``, ``tve_dev_<safe>``)."""
    return _safe(name)


def tve_coords(tve: dict[str, list[float]],
               splines: dict[str, dict] | None = None) -> dict[str, list[int]]:
    """Model coordinates of the intervals (or spline coefficients) of each term."""
    splines = splines or {}
    return {(f"tve_coef_{_safe(name)}" if name in splines else f"tve_interval_{_safe(name)}"):
            list(range(int(splines[name]["df"]) + 1 if name in splines else len(cuts) + 1))
            for name, cuts in tve.items()}


def tve_loglik(family, fam_params, eta, n_causes, entry, time, event_of, *, x_tve, devs,
               tve, index):
    """Log-likelihood of each episode with time-varying effects, summed over causes.

    Parameters
    ----------
    x_tve : tensor, shape (obs, q)
        Standardised covariates of the ``q`` tve terms.
    devs : list of tensor
        :func:`tve_parameters` output, one (cause, interval) tensor per term.
    tve : dict
        Term -> interior cuts (model time scale).
    index : list of ndarray
        Interval of each episode's exit time per term (:func:`tve_interval_index`).
    """
    import pytensor.tensor as pt

    total = 0.0
    for k in range(n_causes):
        params_k = {name: value[k] for name, value in fam_params.items()}
        eta_k = eta[k]
        log_h = family.log_hazard(time, eta_k, xp=PYTENSOR, **params_k)
        for q, dev in enumerate(devs):
            log_h = log_h + x_tve[:, q] * dev[k][index[q]]
        # cumulative hazard on the common refinement of every term's intervals
        bounds = np.unique(np.concatenate([[0.0], *[np.asarray(c) for c in tve.values()],
                                           [np.inf]]))
        cum = 0.0
        for lo_c, hi_c in zip(bounds[:-1], bounds[1:], strict=True):
            lo = pt.clip(entry, lo_c, hi_c)
            hi = pt.clip(time, lo_c, hi_c)
            piece = (family.log_survival(lo, eta_k, xp=PYTENSOR, **params_k)
                     - family.log_survival(hi, eta_k, xp=PYTENSOR, **params_k))
            shift = 0.0
            for q, (dev, cuts) in enumerate(zip(devs, tve.values(), strict=True)):
                j = int(tve_interval_index(cuts, [hi_c])[0]) if np.isfinite(hi_c) else len(cuts)
                shift = shift + x_tve[:, q] * dev[k][j]
            cum = cum + pt.exp(shift) * piece
        total = total + event_of[k] * log_h - cum
    return total
