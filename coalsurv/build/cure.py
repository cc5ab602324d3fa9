"""Mixture-cure model in the graph: the cured share and the episode log-likelihood.

A share ``pi_i`` of coalitions never ends this way ("cured"); the others follow the family's
(uncured) survival ``S_u``::

    S(t) = pi + (1 - pi) S_u(t),   logit(pi_i) = cure_intercept + Z_std[i] @ cure_beta

with ``Z`` the cure formula's design (standardised like the main design). Likelihood of an
episode observed from ``entry``::

    exact ending:     log(1 - pi) + log h_u(t) + log S_u(t)      - log S(entry)
    right-censored:   log(pi + (1 - pi) S_u(t))                  - log S(entry)
    interval:         log(1 - pi) + log(S_u(lower) - S_u(upper)) - log S(entry)

It is defined for one ending (pooled, or one modelled cause whose other endings censor it);
with competing causes the cured share of each cause is not identified from cause-specific
hazards alone, so several causes are refused (:func:`coalsurv.spec.modelspec.check_cure_formula`).
Time-varying covariates (spells) are refused too: a spell row would need the cure mixture
over the whole episode, not per spell. ``cure_link`` (logit, probit, cloglog) gives ``pi`` from
the linear predictor; ``cure_type="promotion"`` is the non-mixture model ``S = exp(-theta
F_u)``, ``theta = exp(-lin)`` (:mod:`coalsurv.families.cure_links`). Random variables:
``cure_intercept`` (scalar) and ``cure_beta`` (``cure_term``, per SD of each cure term).
"""

from __future__ import annotations

import numpy as np

from coalsurv.errors import PriorError, SpecError
from coalsurv.families import PYTENSOR
from coalsurv.families.cure_links import log_shares, promotion_theta

__all__ = ["check_cure", "cure_logit", "cure_loglik"]


def check_cure(spec, design) -> None:
    """Refuse a cure model together with time-varying covariates of the main formula."""
    if spec.cure is not None and design.spells is not None:
        raise SpecError(f"cure={spec.cure!r} with time-varying covariates "
                        f"{list(design.spells.variables)} is not supported: the cure mixture is "
                        "over a whole episode; give constant covariates or drop cure=")


def _prior(priors, key: str, resolved: dict):
    prior = priors.get(key)
    if "auto" in prior.params.values():
        raise PriorError(f"prior {key!r}: 'auto' is only allowed for the intercept's mu")
    resolved[key] = prior
    return prior


def cure_logit(priors, cure_design, resolved: dict):
    """Random variables of the cured share; the logit of ``pi`` per episode (obs,)."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept = _prior(priors, "cure_intercept", resolved).to_pymc("cure_intercept")
    logit = intercept + pt.zeros(cure_design.X.shape[0])
    if cure_design.terms:
        Z = pm.Data("Z_cure", cure_design.X, dims=("obs", "cure_term"))
        chosen = [_prior(priors, f"cure_beta[{t}]" if priors.explicit(f"cure_beta[{t}]")
                         else "cure_beta", resolved) for t in cure_design.terms]
        if all(c == chosen[0] for c in chosen):
            beta = chosen[0].to_pymc("cure_beta", dims="cure_term")
        else:
            beta = pm.Deterministic("cure_beta", pt.stack(
                [c.to_pymc(f"cure_beta_{i}") for i, c in enumerate(chosen)]), dims="cure_term")
        logit = logit + pt.dot(Z, beta)
    return logit


def cure_loglik(family, fam_params, eta, entry, time, event_of, logit, *, interval=None,
                link="logit", cure_type="mixture"):
    """Per-episode log-likelihood of the cure model (one cause: index 0).

    ``logit`` is the cure linear predictor; ``link`` and ``cure_type`` say how it gives the
    cured share (:mod:`coalsurv.families.cure_links`).
    """
    import pytensor.tensor as pt

    if cure_type == "promotion":
        return _promotion_loglik(family, fam_params, eta, entry, time, event_of, logit,
                                 interval=interval)
    params = {name: value[0] for name, value in fam_params.items()}
    eta0 = eta[0]
    log_pi, log1m_pi = log_shares(logit, link, PYTENSOR)
    has_start = pt.gt(entry, 0)
    start_safe = pt.switch(has_start, entry, 1.0)
    ls_entry = pt.switch(has_start,
                         family.log_survival(start_safe, eta0, xp=PYTENSOR, **params), 0.0)
    log_s_entry = pt.switch(has_start, pt.logaddexp(log_pi, log1m_pi + ls_entry), 0.0)
    ls = family.log_survival(time, eta0, xp=PYTENSOR, **params)
    lh = family.log_hazard(time, eta0, xp=PYTENSOR, **params)
    event = log1m_pi + lh + ls
    censored = pt.logaddexp(log_pi, log1m_pi + ls)
    out = pt.switch(pt.gt(event_of[0], 0), event, censored)
    if interval is not None:
        obs, upper, interval_of = interval
        if np.any(obs["interval_of"][0] > 0):
            log_int = family.log_interval(time, upper, eta0, xp=PYTENSOR, **params)
            out = pt.switch(pt.gt(interval_of[0], 0), log1m_pi + log_int, out)
    return out - log_s_entry


def _promotion_loglik(family, fam_params, eta, entry, time, event_of, lin, *, interval=None):
    """Promotion-time cure: ``log S = -theta F_u``, ``log f = log theta + log f_u + log S``."""
    import pytensor.tensor as pt

    params = {name: value[0] for name, value in fam_params.items()}
    eta0 = eta[0]
    theta = promotion_theta(lin, PYTENSOR)

    def cdf(t):
        return pt.exp(family.log_cdf(t, eta0, xp=PYTENSOR, **params))

    has_start = pt.gt(entry, 0)
    start_safe = pt.switch(has_start, entry, 1.0)
    log_s_entry = pt.switch(has_start, -theta * cdf(start_safe), 0.0)
    log_s = -theta * cdf(time)
    lh = family.log_hazard(time, eta0, xp=PYTENSOR, **params)
    ls_u = family.log_survival(time, eta0, xp=PYTENSOR, **params)
    out = pt.switch(pt.gt(event_of[0], 0), pt.log(theta) + lh + ls_u + log_s, log_s)
    if interval is not None:
        obs, upper, interval_of = interval
        if np.any(obs["interval_of"][0] > 0):
            log_int = PYTENSOR.logdiffexp(log_s, -theta * cdf(upper))
            out = pt.switch(pt.gt(interval_of[0], 0), log_int, out)
    return out - log_s_entry
