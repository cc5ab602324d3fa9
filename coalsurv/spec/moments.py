"""Turn a posterior into priors for a replication study (power prior, normal approximation).

Coefficients are carried **per original unit** of each covariate (keys ``beta_unit[term]``,
or ``beta_unit[cause:term]`` with several causes), because a one-SD change means different
things in a new data set; the builder converts them to the new data's SD scale (for AFT
families the independent priors come from ``beta_std`` / ``intercept_std``, the scale on which
the builder puts them: eta / sigma). Positive
parameters (shapes, group SDs) become log-normal priors fitted to the log draws. A discount
``a0`` in (0, 1] divides the posterior variance by ``a0`` (the power prior's weight).

With ``joint=True`` every carried parameter of each cause is one multivariate normal
(``("MvNormal", {"terms", "mu", "cov"})`` keyed ``beta_unit[*]``, or ``beta_unit[cause:*]``
with several causes) over: the per-unit coefficients ``b_j = beta_j / sd_j``, the family's
scalar parameters (positive ones on the log scale: ``log(shape)``), the frailty log-SDs
(``log(sd[factor])``) and, when carried, the intercept at raw covariates zero
(``(intercept)``); mean vector and covariance ``cov / a0`` (sample covariance, ddof=1). This
keeps every posterior correlation of the original study, so the sequential analysis
approximates the joint one (``p(theta | A, B) ∝ p(B | theta) p(theta | A)``, exact when the
posterior of A is normal in these coordinates and the groups of A and B are disjoint).

An ``mm()`` term's parameters are carried as independent priors in both modes
(:func:`_member_priors`): ``beta_unit[mm(x)]`` per unit of the member covariate (its SD over
membership rows), ``mm_sd`` and the weight parameters ``mm_gamma`` (log-normal) or ``mm_b0``,
``mm_b1`` (normal). The member effects ``u_k`` are not carried (the members of a new study
differ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv._stats import stack_draws
from coalsurv.errors import ArgumentError, PriorError
from coalsurv.spec.mixture import MIXTURE_DIST, fit_gaussian_mixture

__all__ = ["check_exportable", "export_posterior", "posterior_to_priors", "resolve_fit"]

#: A prior as plain data: distribution name and its parameters (wrapped by PriorSet.from_fit).
PriorSpec = tuple[str, dict[str, Any]]


def resolve_fit(fit: Any) -> Any:
    """Return the fit :meth:`PriorSet.from_fit` reads (a path is loaded; non-fits refused).

    A path is loaded (a lazy convenience import of the fit layer): a multi-state zip by
    :func:`coalsurv.load_multistate`, any other file by :func:`coalsurv.load_fit` (a missing
    or unreadable file is their :class:`~coalsurv.errors.FitFileError`). Anything else that is
    not a fit is one :class:`~coalsurv.errors.ArgumentError`.
    """
    import os

    if isinstance(fit, str | os.PathLike):
        import zipfile

        from coalsurv.fit.multistate_file import load_multistate
        from coalsurv.fit.record import load_fit

        path = os.fspath(fit)
        return load_multistate(path) if zipfile.is_zipfile(path) else load_fit(path)
    if hasattr(fit, "priors_from_fit") and hasattr(fit, "fits"):
        return fit
    if not all(hasattr(fit, a) for a in ("idata", "spec", "info")):
        raise ArgumentError(f"PriorSet.from_fit: expected a Fit, a MultiStateFit or the path "
                            f"of a saved fit, got {type(fit).__name__}")
    return fit


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


def _mvmixture(values: np.ndarray, terms, discount: float, components: int | str) -> PriorSpec:
    """Gaussian mixture fitted to the draws; covariances divided by ``discount``."""
    weights, means, covs = fit_gaussian_mixture(values, components=components)
    if len(weights) == 1:
        return _mvnormal(values, terms, discount)
    return MIXTURE_DIST, {"terms": list(terms), "weights": weights.tolist(),
                          "mus": means.tolist(), "covs": (covs / discount).tolist()}


def joint_name(key: str, support: str) -> str:
    """Term name of a non-coefficient parameter inside a joint prior.

    ``log(shape)`` for a positive parameter (its log is carried), ``(gamma)`` for a real one,
    ``log(sd[factor])`` for a frailty SD.
    """
    return f"log({key})" if support == "positive" else f"({key})"


def _joint_columns(fit, k: int, per_unit: np.ndarray, include_intercept: bool,
                   include_frailty: bool) -> tuple[np.ndarray, list[str]]:
    """Draws of every carried parameter of cause ``k`` (columns) and their joint term names.

    Order: ``(intercept)`` (log baseline at raw covariates zero), the family's scalar
    parameters (log for positive ones), the frailty log-SDs, then the per-unit coefficients.
    """
    info = fit.info
    post = fit.idata["posterior"]
    columns, names = [], []
    if include_intercept:
        columns.append(_draws(fit, "intercept")[:, k] - per_unit @ np.asarray(info.means))
        names.append("(intercept)")
    for param in fit.family.scalar_parameters:
        if param.sampled_name in post:
            values = _draws(fit, param.sampled_name)[:, k]
            columns.append(np.log(values) if param.support == "positive" else values)
            names.append(joint_name(param.key, param.support))
    for g in fit.design.groups if include_frailty else ():
        if g.term.intercept:
            columns.append(np.log(_draws(fit, f"sd_{g.name}")[:, k]))
            names.append(joint_name(f"sd[{g.term.factor}]", "positive"))
    columns.extend(per_unit.T)
    names.extend(info.terms)
    return np.column_stack(columns), names


def posterior_to_priors(fit, *, discount: float, include_intercept: bool, joint: bool = False,
                        include_frailty: bool = True,
                        components: int | str = 1) -> dict[str, PriorSpec]:
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
    components : int or "auto"
        Components of the joint prior: 1 (a multivariate normal), ``K`` or ``"auto"`` (a
        Gaussian mixture of up to 4 components chosen by BIC; see
        :mod:`coalsurv.spec.mixture`).
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
                values, terms = _joint_columns(fit, k, per_unit[:, k, :], include_intercept,
                                               include_frailty)
                out[key] = (_mvnormal(values, terms, discount) if components == 1
                            else _mvmixture(values, terms, discount, components))
                continue
            # AFT: independent priors are on beta / sigma (coalsurv.build.graph)
            std = _draws(fit, "beta_std") if "beta_std" in post else beta
            for j, term in enumerate(info.terms):
                key = f"beta_unit[{cause}:{term}]" if several else f"beta_unit[{term}]"
                out[key] = _normal(std[:, k, j] / info.sds[j], discount)
    out.update(_member_priors(fit, discount))  # mm(): independent priors, joint or not
    if joint and "beta" in post:
        return out  # every other carried parameter is in the joint prior
    for param in fit.family.scalar_parameters:
        if param.sampled_name not in post:  # pragma: no cover - every fit has them
            continue
        values = _draws(fit, param.sampled_name)  # on the prior's scale
        for k, cause in enumerate(info.causes):
            key = f"{param.key}[{cause}]" if several else param.key
            moments = _lognormal if param.support == "positive" else _normal
            out[key] = moments(values[:, k], discount)
    for g in fit.design.groups if include_frailty else ():
        if g.term.intercept:
            values = _draws(fit, f"sd_{g.name}")
            out[f"sd[{g.term.factor}]"] = _lognormal(values.mean(axis=1) if several
                                                     else values[:, 0], discount)
    if include_intercept:
        values = _draws(fit, "intercept_std" if "intercept_std" in post else "intercept")
        for k, cause in enumerate(info.causes):
            key = f"intercept[{cause}]" if several else "intercept"
            out[key] = _normal(values[:, k], discount)
    return out


def _member_priors(fit, discount: float) -> dict[str, PriorSpec]:
    """Priors of an ``mm()`` term's parameters (none without one).

    Member covariates per unit (``beta_unit[mm(x)]``, per cause with several), the member SD
    (``mm_sd``, ``mm_sd[cause]``) and the weight parameters (``mm_gamma`` log-normal,
    ``mm_b0`` / ``mm_b1`` normal), always as independent priors (also with ``joint=True``).
    """
    mm = getattr(fit.info, "members", None)
    post = fit.idata["posterior"]
    if not mm:
        return {}
    causes = fit.info.causes
    several = len(causes) > 1
    out: dict[str, PriorSpec] = {}
    if mm["terms"] and "beta_mm" in post:
        beta = _draws(fit, "beta_mm")
        for k, cause in enumerate(causes):
            for j, term in enumerate(mm["terms"]):
                key = f"beta_unit[{cause}:{term}]" if several else f"beta_unit[{term}]"
                out[key] = _normal(beta[:, k, j] / mm["sds"][j], discount)
    if "sd_mm" in post:
        sd = _draws(fit, "sd_mm")
        for k, cause in enumerate(causes):
            out[f"mm_sd[{cause}]" if several else "mm_sd"] = _lognormal(sd[:, k], discount)
    for param, name in mm["weight_params"].items():
        moments = _lognormal if param == "gamma" else _normal
        out[f"mm_{param}"] = moments(_draws(fit, name), discount)
    return out


def check_exportable(fit: Any) -> None:
    """Refuse fits whose extra parameters :func:`posterior_to_priors` cannot carry.

    Stratified baselines, mixture-cure parameters and time-varying effects depend on the
    original study's strata or follow-up; a clear PriorError says so instead of dropping them.
    """
    from coalsurv.errors import PriorError

    info = fit.info
    if getattr(info, "shape_terms", ()):
        raise PriorError(
            f"PriorSet.from_fit: the fit has shape covariates (shape={info.shape!r}); their "
            "coefficients beta_shape are not carried yet; refit without shape= to carry the "
            "others")
    if getattr(info, "strata", ""):
        raise PriorError(
            f"PriorSet.from_fit: the fit has stratified baselines (strata={info.strata!r}); "
            "stratum-specific baselines do not transfer to a new study's strata; refit "
            "without strata= to carry the coefficients")
    if getattr(info, "cure", ""):
        raise PriorError(
            f"PriorSet.from_fit: the fit is a mixture-cure model (cure={info.cure!r}); its "
            "cured share is not carried as a prior yet; state cure_intercept / "
            "cure_beta[term] priors for the new study by hand")
    if getattr(info, "tve", None):
        raise PriorError(
            f"PriorSet.from_fit: the fit has time-varying effects {list(info.tve)} (tve "
            "terms), whose interval-specific hazard ratios depend on the original study's "
            "follow-up and are not carried as priors; refit the original model without tve() "
            "to carry its coefficients, or state priors by hand (beta_unit[term], "
            "tve_sd[term])")


def export_posterior(fit, *, discount: float, joint: bool, include_intercept: bool,
                     include_frailty: bool, components: int | str
                     ) -> tuple[dict[str, PriorSpec], dict[str, Any]]:
    """Check :meth:`PriorSet.from_fit` options; return the priors as plain data and provenance.

    Raises PriorError for a discount outside (0, 1] or a component count that is neither a
    positive integer nor ``"auto"`` (independent priors, ``joint=False``, have one component).
    """
    from datetime import UTC, datetime

    from coalsurv._version import __version__

    if isinstance(discount, bool) or not isinstance(discount, int | float) or not (
            0 < discount <= 1):
        raise PriorError(f"discount must be in (0, 1], got {discount!r}")
    check_exportable(fit)
    if not joint:
        components = 1
    elif components != "auto" and (isinstance(components, bool)
                                   or not isinstance(components, int) or components < 1):
        raise PriorError(f"components must be a positive integer or 'auto', got {components!r}")
    moments = posterior_to_priors(fit, discount=discount, include_intercept=include_intercept,
                                  joint=joint, include_frailty=include_frailty,
                                  components=components)
    spec = {k: v for k, v in fit.spec.to_dict().items() if v is not None}
    provenance = {
        "from_fit": fit.fit_id, "data_hash": fit.data_hash, "formula": fit.spec.formula,
        "family": fit.spec.family, "spec": spec, "coalsurv_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "discount": float(discount), "joint": joint, "time_scale": fit.info.time_scale,
        "time_unit": fit.info.time_unit, "include_intercept": include_intercept,
        "include_frailty": include_frailty, "components": components,
    }
    return moments, provenance
