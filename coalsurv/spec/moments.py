"""Turn a posterior into priors for a replication study (power prior, normal approximation).

Coefficients are carried **per original unit** of each covariate (keys ``beta_unit[term]``,
or ``beta_unit[cause:term]`` with several causes), because a one-SD change means different
things in a new data set; the builder converts them to the new data's SD scale. Positive
parameters (shapes, group SDs) become log-normal priors fitted to the log draws. A discount
``a0`` in (0, 1] divides the posterior variance by ``a0`` (the power prior's weight).

With ``joint=True`` the coefficients of each cause are one multivariate normal
(``("MvNormal", {"terms", "mu", "cov"})`` keyed ``beta_unit[*]``, or ``beta_unit[cause:*]``
with several causes): per-unit draws ``b_j = beta_j / sd_j``, mean vector ``mean(b)`` and
covariance ``cov(b) / a0`` (sample covariance, ddof=1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv._stats import stack_draws

__all__ = ["posterior_to_priors"]

#: A prior as plain data: distribution name and its parameters (wrapped by PriorSet.from_fit).
PriorSpec = tuple[str, dict[str, Any]]


def _draws(fit, name: str) -> np.ndarray:
    return stack_draws(fit.idata["posterior"][name])


def _normal(values: np.ndarray, discount: float) -> PriorSpec:
    return "Normal", {"mu": float(np.mean(values)),
                      "sigma": float(np.std(values, ddof=1) / np.sqrt(discount))}


def _lognormal(values: np.ndarray, discount: float) -> PriorSpec:
    logs = np.log(values)
    return "LogNormal", {"mu": float(np.mean(logs)),
                         "sigma": float(np.std(logs, ddof=1) / np.sqrt(discount))}


def _mvnormal(values: np.ndarray, terms, discount: float) -> PriorSpec:
    cov = np.atleast_2d(np.cov(values, rowvar=False, ddof=1)) / discount
    cov = (cov + cov.T) / 2.0
    return "MvNormal", {"terms": list(terms), "mu": [float(v) for v in values.mean(axis=0)],
                        "cov": cov.tolist()}


def posterior_to_priors(fit, *, discount: float, include_intercept: bool, joint: bool = False,
                        include_frailty: bool = True) -> dict[str, PriorSpec]:
    """Priors keyed like :class:`~coalsurv.PriorSet` from ``fit``'s posterior, as plain data.

    Parameters
    ----------
    fit : Fit
    discount : float
        Power-prior weight a0 in (0, 1].
    include_intercept : bool
        Also carry the intercept (valid only at the same internal time scale, which the
        prior set then records and the builder reuses).
    joint : bool
        Coefficients as one multivariate normal per cause instead of independent normals.
    include_frailty : bool
        Carry the group SDs ``sd[factor]``.
    """
    info = fit.info
    several = len(info.causes) > 1
    out: dict[str, PriorSpec] = {}
    post = fit.idata["posterior"]
    if "beta" in post:
        beta = _draws(fit, "beta")
        per_unit = beta / np.asarray(info.sds)[None, None, :]
        for k, cause in enumerate(info.causes):
            if joint:
                key = f"beta_unit[{cause}:*]" if several else "beta_unit[*]"
                values, terms = per_unit[:, k, :], list(info.terms)
                if include_intercept:  # log baseline at raw x = 0, re-centred by the builder
                    alpha = _draws(fit, "intercept")[:, k] - values @ np.asarray(info.means)
                    values, terms = np.column_stack([alpha, values]), ["(intercept)", *terms]
                out[key] = _mvnormal(values, terms, discount)
                continue
            for j, term in enumerate(info.terms):
                key = f"beta_unit[{cause}:{term}]" if several else f"beta_unit[{term}]"
                out[key] = _normal(beta[:, k, j] / info.sds[j], discount)
    for param in fit.family.scalar_parameters:
        if param.posterior_name not in post:  # pragma: no cover - every fit has them
            continue
        values = _draws(fit, param.posterior_name)
        for k, cause in enumerate(info.causes):
            key = f"{param.key}[{cause}]" if several else param.key
            moments = _lognormal if param.support == "positive" else _normal
            out[key] = moments(values[:, k], discount)
    for g in fit.design.groups if include_frailty else ():
        if g.term.intercept:
            values = _draws(fit, f"sd_{g.name}")
            out[f"sd[{g.term.factor}]"] = _lognormal(values.mean(axis=1) if several
                                                     else values[:, 0], discount)
    if include_intercept and not (joint and "beta" in post):
        values = _draws(fit, "intercept")
        for k, cause in enumerate(info.causes):
            key = f"intercept[{cause}]" if several else "intercept"
            out[key] = _normal(values[:, k], discount)
    return out
