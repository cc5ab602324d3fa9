"""Stratified baselines (``strata="country"``): a separate baseline per stratum, effects shared.

For stratum ``s`` of a row, cause ``k``'s hazard uses its own baseline::

    eta_k[i] = intercept_k + strata_dev_k[s_i] + X[i] @ beta_k + ...    ("level")
    theta_k[s]  for every scalar family parameter theta (e.g. the Weibull shape)  ("shape")

``strata_parts`` (``ModelInfo.strata_parts``) says which of the two parts are stratified:
both by default, ``("shape",)`` is survreg's ``strata()`` (shared location, a scale per
stratum). ``strata_dev`` (cause, stratum) is a zero-sum normal (prior key ``strata_dev``,
``Normal(0, 1)`` on the log baseline by default): the intercept stays the average log baseline
over strata. For an AFT family the intercept and coefficients are standardised by the
geometric mean of the strata's scales of log T (``coalsurv.build.graph._from_standardised``).
Each scalar family parameter gets the family's default prior (or the prior set's ``shape``
etc.) independently per stratum, under its usual posterior name with dims (cause, stratum).
A vector parameter (the piecewise baseline's interval deviations) stays shared: piecewise
strata differ in level only.
Joint priors that carry a family parameter and per-cause priors of one are refused with strata.
"""

from __future__ import annotations

from coalsurv.errors import PriorError

__all__ = ["stratum_index", "strata_level", "stratified_parameter"]


def stratum_index(design, spell_episode=None):
    """Return the stratum of each row of the linear predictor (episodes, or spells)."""
    import pymc as pm

    idx = pm.Data("idx_strata", design.strata.index, dims="obs")
    return idx if spell_episode is None else idx[spell_episode]


def strata_level(priors, resolved: dict):
    """Zero-sum log-baseline deviations per stratum: (cause, stratum).

    The prior key ``strata_dev`` takes a ``Normal(mu=0, sigma=s)``: the deviations are a
    zero-sum normal of scale ``s`` (default 1), so the intercept stays the strata's average.
    """
    import pymc as pm

    own = sorted(k for k in priors.priors if k.startswith("strata_dev["))
    if own:
        raise PriorError(f"prior keys {own}: give one prior 'strata_dev' for every cause and "
                         "stratum")
    prior = priors.get("strata_dev")
    if prior.dist != "Normal" or prior.params.get("mu") != 0:
        raise PriorError(f"prior 'strata_dev': {prior} is not supported; the stratum "
                         "deviations are zero-sum, give Normal(mu=0, sigma=s)")
    resolved["strata_dev"] = prior
    return pm.ZeroSumNormal("strata_dev", sigma=float(prior.params["sigma"]),
                            dims=("cause", "stratum"))


def stratified_parameter(priors, param, causes, resolved: dict, *, carried=None):
    """One scalar family parameter per (cause, stratum), from its (shared) prior."""
    if carried is not None:
        raise PriorError(f"a joint prior carries {param.key!r}, which strata= makes "
                         "stratum-specific; drop strata= or the parameter from the joint prior")
    own = [f"{param.key}[{c}]" for c in causes if priors.explicit(f"{param.key}[{c}]")]
    if own:
        raise PriorError(f"per-cause priors {own} are not supported with strata=; give one "
                         f"prior {param.key!r} for every cause and stratum")
    prior = priors.get(param.key)
    if param.support == "positive" and prior.support != "positive":
        raise PriorError(f"prior {param.key!r}: {prior} can be negative but {param.key} must "
                         "be positive; use e.g. HalfNormal, LogNormal, Gamma or Exponential")
    resolved[param.key] = prior
    return prior.to_pymc(param.sampled_name, dims=("cause", "stratum"))
