"""Joint coefficient priors in the graph: multivariate normal or mixture over carried parameters.

:func:`joint_parts` turns a PriorSet's joint keys (``beta_unit[*]``, ``beta_unit[cause:*]``;
a :class:`~coalsurv.spec.joint.JointPrior` or :class:`~coalsurv.spec.mixture.JointMixture`)
into random variables of the model being built by :func:`coalsurv.build.graph.build_model`
(called inside its ``pm.Model`` context), after checking them against the new design's terms
(one PriorError listing every mismatch); :func:`joint_scalar` reads a carried family parameter
or frailty SD back out of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.build.design import Design
from coalsurv.build.info import ModelInfo, var_name
from coalsurv.errors import PriorError
from coalsurv.spec.joint import INTERCEPT_TERM, JointPrior
from coalsurv.spec.mixture import JointMixture
from coalsurv.spec.moments import joint_name
from coalsurv.spec.priors import Prior, PriorSet

__all__ = ["joint_parts", "joint_scalar"]


def _joint_prior(priors: PriorSet, cause: str, several: bool) -> tuple[str, JointPrior] | None:
    for key in ((f"beta_unit[{cause}:*]", "beta_unit[*]") if several else ("beta_unit[*]",)):
        prior = priors.explicit(key)
        if prior is not None:
            return key, prior
    return None


def _check_joint(key: str, joint: JointPrior, priors: PriorSet, cause: str,
                 terms: tuple[str, ...], parameters: dict[str, str]) -> list[str]:
    """Problems of a joint prior against the new design's terms (collected, raised once).

    Every term of the joint prior must be in the design (drop others explicitly with
    :meth:`PriorSet.without_terms`); a design term outside it needs its own explicit prior
    (``beta[term]`` / ``beta_unit[term]``) — the default ``beta`` is never used silently.
    """
    problems = [f"{key}: {t!r} is not a term or parameter of the new study's model (its "
                f"parameters: {', '.join(parameters) or 'none'}; drop it with "
                f"PriorSet.without_terms([{t!r}]))" for t in joint.terms
                if t not in terms and t != INTERCEPT_TERM and t not in parameters]
    for t in terms:
        if t in joint.terms:
            continue
        own = [k for k in (f"beta_unit[{cause}:{t}]", f"beta[{cause}:{t}]", f"beta_unit[{t}]",
                           f"beta[{t}]") if priors.explicit(k) is not None]
        if not own:
            problems.append(f"{key}: the new study's term {t!r} is not in the joint prior; give "
                            f"it its own prior (key 'beta[{t}]') or drop it from the formula")
    return problems


def joint_parts(priors: PriorSet, design: Design, info: ModelInfo,
                 resolved: dict[str, Prior]) -> dict[str, dict[str, Any]]:
    """Random variables of the joint coefficient priors: ``{cause: {term: tensor}}``.

    Per unit, ``(a, b) ~ MvNormal(mu, cov)`` over the prior's terms, where ``a`` (term
    ``(intercept)``, present when the intercept was carried) is the log baseline at raw
    covariates zero. The model's parameters are the linear map ``T (a, b)``: per-SD
    coefficients ``beta_j = sd_j b_j`` and the intercept at the new data's means
    ``intercept = a + sum_j mean_j b_j``; so ``(intercept, beta) ~ MvNormal(T mu, T cov T')``,
    sampled non-centred as ``T mu + L z`` with ``L L' = T cov T'`` and ``z ~ Normal(0, 1)``.
    Carried family parameters and frailty SDs (``log(shape)``, ``log(sd[factor])``) map
    unchanged and are exponentiated. Empty when the priors have no joint key (the default).
    """
    import pymc as pm
    import pytensor.tensor as pt

    causes = info.causes
    several = len(causes) > 1
    found = {cause: _joint_prior(priors, cause, several) for cause in causes}
    if all(j is None for j in found.values()):
        return {}
    terms = design.terms if design.X.shape[1] else ()
    family = info.family_object()
    parameters = {joint_name(p.key, p.support): p.support for p in family.scalar_parameters}
    parameters.update({joint_name(f"sd[{g.term.factor}]", "positive"): "positive"
                       for g in design.groups if g.term.intercept})
    problems = [p for cause, j in found.items() if j is not None
                for p in _check_joint(j[0], j[1], priors, cause, terms, parameters)]
    with_int = [c for c, j in found.items() if j is not None and INTERCEPT_TERM in j[1].terms]
    if with_int and len(with_int) != len(causes):
        problems.append(f"the intercept is carried for causes {with_int} only; carry it for "
                        f"every cause or none")
    if problems:
        raise PriorError("the joint coefficient prior does not match the new study's terms: "
                         + "; ".join(problems), problems=problems)
    out: dict[str, dict[str, Any]] = {}
    for cause, item in found.items():
        if item is None:
            out[cause] = {}
            continue
        key, prior = item
        resolved[key] = prior
        names = list(prior.terms)
        T = np.zeros((len(names), len(names)))
        for i, name in enumerate(names):
            if name == INTERCEPT_TERM or name in parameters:
                T[i, i] = 1.0
            if name == INTERCEPT_TERM:
                for j2, other in enumerate(names):
                    if other in design.terms:
                        T[i, j2] = float(design.means[design.terms.index(other)])
            elif name not in parameters:
                T[i, i] = float(design.sds[design.terms.index(name)])
        prefix = f"beta_{var_name(cause)}_" if several else "beta_"
        if isinstance(prior, JointMixture):
            # a mixture has no non-centred form: sample the mapped parameters themselves
            comps = [pm.MvNormal.dist(mu=T @ np.asarray(c.mu), chol=_chol(T, c.cov))
                     for c in prior.components]
            values = pm.Mixture(prefix + "joint", w=np.asarray(prior.weights),
                                comp_dists=comps, shape=len(names))
        else:
            z = pm.Normal(prefix + "joint_z", 0.0, 1.0, shape=len(names))
            values = (pt.as_tensor_variable(T @ np.asarray(prior.mu))
                      + pt.dot(pt.as_tensor_variable(_chol(T, prior.cov)), z))
        out[cause] = {name: values[i] for i, name in enumerate(names)}
    return out


def _chol(T: np.ndarray, cov) -> np.ndarray:
    """Cholesky factor of ``T cov T'`` (the joint prior mapped to the model's parameters)."""
    mapped = T @ np.asarray(cov) @ T.T
    return np.linalg.cholesky((mapped + mapped.T) / 2.0)


def joint_scalar(joint: dict[str, dict[str, Any]], causes: tuple[str, ...], name: str,
                  support: str):
    """Return the per-cause vector of a parameter carried in the joint prior, or None."""
    import pytensor.tensor as pt

    if not joint or any(name not in joint.get(c, {}) for c in causes):
        return None
    parts = [joint[c][name] for c in causes]
    stacked = pt.stack(parts)
    return pt.exp(stacked) if support == "positive" else stacked
