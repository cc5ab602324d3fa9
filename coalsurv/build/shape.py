"""Covariates of the family's shape (``shape="x + z"``): the shape regression in the graph.

For the family's declared shape parameter ``k`` (``Family.shape_parameter``: the Weibull,
log-logistic and gamma shape, the log-normal and generalised-gamma sigma) and cause ``c``::

    log k_c[i] = log k_c + Z_std[i] @ beta_shape_c

with ``Z`` the shape formula's design, standardised like the main design, so ``k_c`` (the
family parameter under its usual name) is the shape at the covariates' means and
``beta_shape`` (cause, shape_term) the change of the log shape per SD of each term. Prior keys
``beta_shape`` (default ``Normal(0, 0.5)``: a factor of e either way per SD at 95%) and
``beta_shape[term]``. For AFT families the intercept and coefficients stay standardised by the
shape at the means. With time-varying covariates (spells) the shape covariates must be
episode covariates (constant over an episode: each spell row gets its episode's shape);
time-varying ones are refused (:func:`coalsurv.build.design.make_design`).
"""

from __future__ import annotations

from coalsurv.errors import PriorError

__all__ = ["shape_log_multiplier"]


def shape_log_multiplier(priors, shape_design, causes, resolved: dict):
    """Random variable ``beta_shape`` (cause, shape_term) and ``Z @ beta_shape.T``: (cause, obs)."""
    import pymc as pm
    import pytensor.tensor as pt

    Z = pm.Data("Z_shape", shape_design.X, dims=("obs", "shape_term"))
    chosen = []
    for term in shape_design.terms:
        key = f"beta_shape[{term}]" if priors.explicit(f"beta_shape[{term}]") else "beta_shape"
        prior = priors.get(key)
        if "auto" in prior.params.values():
            raise PriorError(f"prior {key!r}: 'auto' is only allowed for the intercept's mu")
        resolved[key] = prior
        chosen.append(prior)
    if all(c == chosen[0] for c in chosen):
        beta = chosen[0].to_pymc("beta_shape", dims=("cause", "shape_term"))
    else:
        parts = [c.to_pymc(f"beta_shape_{j}", dims="cause") for j, c in enumerate(chosen)]
        beta = pm.Deterministic("beta_shape", pt.stack(parts, axis=1),
                                dims=("cause", "shape_term"))
    del causes
    return pt.dot(beta, Z.T)
