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
With time-varying covariates (spells) the uncured curve ``S_u`` of an episode is the
spell-based one (:class:`coalsurv.build.spell_likelihood.SpellCurve`, passed as ``curve=``):
the mixture is over the whole episode, with ``S_u(t)`` accumulated over its spells.
``cure_link`` (logit, probit, cloglog) gives ``pi`` from the linear predictor;
``cure_type="promotion"`` is the non-mixture model ``S = exp(-theta F_u)``, ``theta =
exp(-lin)`` (:mod:`coalsurv.families.cure_links`; its interval term in log form,
:func:`_promotion_loglik`). Random variables:
``cure_intercept`` (scalar) and ``cure_beta`` (``cure_term``, per SD of each cure term).
"""

from __future__ import annotations

import numpy as np

from coalsurv.errors import PriorError
from coalsurv.families import PYTENSOR
from coalsurv.families.cure_links import log_shares, promotion_theta

__all__ = ["FamilyCurve", "cure_logit", "cure_loglik"]


class FamilyCurve:
    """The uncured curve of rows with a constant linear predictor ``eta`` (one cause).

    The interface :func:`cure_loglik` reads (``log_survival``, ``log_cdf``, ``log_hazard``,
    ``log_interval``); :class:`coalsurv.build.spell_likelihood.SpellCurve` is the same for
    episodes whose covariates change over spells.
    """

    def __init__(self, family, params: dict, eta):
        self.family, self.params, self.eta = family, params, eta

    def log_survival(self, t):
        """Log survival of the uncured at ``t``."""
        return self.family.log_survival(t, self.eta, xp=PYTENSOR, **self.params)

    def log_cdf(self, t):
        """Log CDF of the uncured at ``t``."""
        return self.family.log_cdf(t, self.eta, xp=PYTENSOR, **self.params)

    def log_hazard(self, t):
        """Log hazard of the uncured at ``t``."""
        return self.family.log_hazard(t, self.eta, xp=PYTENSOR, **self.params)

    def log_interval(self, lo, hi):
        """``log(S_u(lo) - S_u(hi))``."""
        return self.family.log_interval(lo, hi, self.eta, xp=PYTENSOR, **self.params)


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
                link="logit", cure_type="mixture", curve=None):
    """Per-episode log-likelihood of the cure model (one cause: index 0).

    ``logit`` is the cure linear predictor; ``link`` and ``cure_type`` say how it gives the
    cured share (:mod:`coalsurv.families.cure_links`). ``curve`` is the uncured curve of each
    episode (default: ``family`` at ``eta[0]``, a :class:`FamilyCurve`); its ``log_hazard`` is
    only asked at ``time``.
    """
    import pytensor.tensor as pt

    if curve is None:
        curve = FamilyCurve(family, {name: value[0] for name, value in fam_params.items()},
                            eta[0])
    if cure_type == "promotion":
        return _promotion_loglik(curve, entry, time, event_of, logit, interval=interval)
    log_pi, log1m_pi = log_shares(logit, link, PYTENSOR)
    has_start = pt.gt(entry, 0)
    start_safe = pt.switch(has_start, entry, 1.0)
    ls_entry = pt.switch(has_start,
                         curve.log_survival(start_safe), 0.0)
    log_s_entry = pt.switch(has_start, pt.logaddexp(log_pi, log1m_pi + ls_entry), 0.0)
    ls = curve.log_survival(time)
    lh = curve.log_hazard(time)
    event = log1m_pi + lh + ls
    censored = pt.logaddexp(log_pi, log1m_pi + ls)
    out = pt.switch(pt.gt(event_of[0], 0), event, censored)
    if interval is not None:
        obs, upper, interval_of = interval
        if np.any(obs["interval_of"][0] > 0):
            log_int = curve.log_interval(time, upper)
            out = pt.switch(pt.gt(interval_of[0], 0), log1m_pi + log_int, out)
    return out - log_s_entry


def _promotion_loglik(curve, entry, time, event_of, lin, *, interval=None):
    """Promotion-time cure: ``log S = -theta F_u``, ``log f = log theta + log f_u + log S``.

    An interval ending ``log(S(l) - S(u)) = log S(l) + log(1 - e^{-D})`` with ``log D = -lin
    + log(S_u(l) - S_u(u))`` (:meth:`~coalsurv.families.math.Namespace.log1mexp_exp`): the
    difference of ``-theta F_u`` at both bounds lost all digits where ``F_u`` is near 1 and
    was ``-inf`` where ``S_u(l)`` underflows, though the likelihood is finite.
    """
    import pytensor.tensor as pt

    theta = promotion_theta(lin, PYTENSOR)

    def cdf(t):
        return pt.exp(curve.log_cdf(t))

    has_start = pt.gt(entry, 0)
    start_safe = pt.switch(has_start, entry, 1.0)
    log_s_entry = pt.switch(has_start, -theta * cdf(start_safe), 0.0)
    log_s = -theta * cdf(time)
    lh = curve.log_hazard(time)
    ls_u = curve.log_survival(time)
    out = pt.switch(pt.gt(event_of[0], 0), pt.log(theta) + lh + ls_u + log_s, log_s)
    if interval is not None:
        obs, upper, interval_of = interval
        if np.any(obs["interval_of"][0] > 0):
            # log(S(l) - S(u)) = log S(l) + log(1 - e^-D), D = theta (S_u(l) - S_u(u)) in
            # log form (the uncured interval): no cancellation in F(u) - F(l) near 1
            log_int = log_s + PYTENSOR.log1mexp_exp(-lin + curve.log_interval(time, upper))
            out = pt.switch(pt.gt(interval_of[0], 0), log_int, out)
    return out - log_s_entry
