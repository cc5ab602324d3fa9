"""The prior of one coefficient: the most specific key a prior set states for it."""

from __future__ import annotations

from coalsurv.spec.priors import Prior, PriorSet

__all__ = ["coefficient_prior"]


def coefficient_prior(priors: PriorSet, cause: str, term: str, sd: float,
                      resolved: dict[str, Prior]) -> Prior:
    """Most specific prior of one coefficient, on the per-SD scale of the model.

    Looks up ``beta_unit[cause:term]``, ``beta[cause:term]``, ``beta_unit[term]``,
    ``beta[term]`` and then ``beta``; a per-unit prior is scaled by the covariate's ``sd``.
    The key used is recorded in ``resolved``.
    """
    for key in (f"beta_unit[{cause}:{term}]", f"beta[{cause}:{term}]",
                f"beta_unit[{term}]", f"beta[{term}]"):
        prior = priors.explicit(key)
        if prior is not None:
            resolved[key] = prior
            return prior.scaled(sd, key=key) if key.startswith("beta_unit") else prior
    resolved["beta"] = priors.get("beta")
    return priors.get("beta")
