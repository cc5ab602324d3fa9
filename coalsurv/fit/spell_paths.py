"""Survival of the fitted episodes along their own spells (time-varying covariates).

:meth:`coalsurv.Fit.survival` takes covariate profiles held constant over time (a spell fit's
``data`` holds each time-varying covariate's last-spell value). :func:`spell_path_survival`
instead follows each fitted episode's spells, with the likelihood's own survival
(:mod:`coalsurv.build.spell_likelihood`): under proportional hazards each spell adds its
cumulative hazard; under an AFT family ``S(t) = S(tau(t) | eta_last)`` with the equivalent
time ``tau(t) = sum_j exp(eta_last - eta_j) |(a_j, b_j] n (0, t]|``. After exit the last
spell's values hold. The curve is conditional on surviving to the episode's entry,
``S(max(t, entry)) / S(entry)`` (1 up to entry), as in the likelihood; group effects are the
fitted ones (conditional). Cure and ``tve()`` fits are refused (not implemented here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, check_times, summarise
from coalsurv.data.spells import spell_frame
from coalsurv.errors import SpecError

__all__ = ["spell_path_survival"]


def spell_path_survival(fit, times, *, ci_prob: float = DEFAULT_CI_PROB,
                        max_draws: int = 500) -> pd.DataFrame:
    """Posterior survival of each fitted episode along its spells (module docstring).

    Parameters
    ----------
    fit : Fit
        A fit whose formula uses time-varying covariates (spells); no cure, no tve.
    times : array_like
        Times in the data's unit (>= 0).
    ci_prob : float, optional
        Probability of the equal-tailed interval.
    max_draws : int, optional
        Use at most this many posterior draws.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, time, mean, lower, upper, ci_prob``; the overall survival (product
        over the modelled causes).
    """
    ci_prob = check_ci_prob(ci_prob)
    times = check_times(times, time_unit=fit.time_unit)
    info, design = fit.info, fit.design
    problems = []
    if design.spells is None:
        problems.append("the fit uses no time-varying covariates (no spell column in its "
                        "formula); use fit.survival")
    if info.cure:
        problems.append("cure models are not supported here; use fit.survival")
    if info.tve:
        problems.append("tve() models are not supported here; use fit.survival")
    if problems:
        raise SpecError("spell_path_survival: this fit cannot be followed along its spells",
                        problems)
    from coalsurv.fit.predict import Predictor

    data = fit.data
    pred = Predictor(info, design, fit.idata["posterior"], max_draws=max_draws)
    frame, episode = spell_frame(data)
    eta, _ = pred.eta(frame, frailty="conditional")  # (draw, cause, spell)
    sp = data.spells
    tau_scale = info.time_scale
    start = np.maximum(sp["start"].to_numpy(float), 0.0) / tau_scale
    is_last = np.zeros(len(sp), bool)
    is_last[np.flatnonzero(np.r_[episode[1:] != episode[:-1], True])] = True
    stop = np.where(is_last, np.inf, sp["stop"].to_numpy(float) / tau_scale)
    entry = np.asarray(data.entry, dtype=float) / tau_scale
    grid = np.maximum(times[None, :] / tau_scale, entry[:, None])  # (episode, time)
    at = np.concatenate([entry[:, None], grid], axis=1)  # entry first
    log_s = 0.0
    for k in range(len(info.causes)):
        params = {n: np.squeeze(v, axis=2) for n, v in pred.params(k, frame).items()}
        log_s = log_s + _log_survival(pred.family, eta[:, k], params, start, stop, episode,
                                      is_last, at, data.n)
    surv = np.exp(log_s[:, :, 1:] - log_s[:, :, :1])  # (draw, episode, time)
    stat = summarise(surv, ci_prob)
    n, m = surv.shape[1:]
    return pd.DataFrame({"id": np.repeat(np.asarray(data.ids), m),
                         "time": np.tile(times, n), "mean": stat["mean"].ravel(),
                         "lower": stat["lower"].ravel(), "upper": stat["upper"].ravel(),
                         "ci_prob": ci_prob})


def _log_survival(family, eta, params, start, stop, episode, is_last, at, n):
    """Log S of each episode at the times ``at`` (episode, time): (draw, episode, time)."""
    t = at[episode]  # (spell, time)
    e = eta[:, :, None]  # (draw, spell, 1)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        if family.kind == "ph":
            rows = (family.log_survival(np.minimum(stop[:, None], t), e, **params)
                    - family.log_survival(np.minimum(start[:, None], t), e, **params))
            out = np.zeros((eta.shape[0], n, at.shape[1]))
            np.add.at(out, (slice(None), episode), rows)
            return out
        last_of = np.zeros(n, dtype=np.int64)
        last_of[episode[is_last]] = np.flatnonzero(is_last)
        length = np.maximum(np.minimum(stop[:, None], t) - start[:, None], 0.0)
        weight = np.exp(eta[:, last_of][:, episode] - eta)[:, :, None]  # (draw, spell, 1)
        tau = np.zeros((eta.shape[0], n, at.shape[1]))
        np.add.at(tau, (slice(None), episode), weight * length[None])
        rows_params = {k: (v[:, last_of] if v.ndim >= 2 and v.shape[1] == len(start) else v)
                       for k, v in params.items()}
        return family.log_survival(tau, eta[:, last_of][:, :, None], **rows_params)
