"""The one place that builds PyMC graphs from a spec, priors and data.

Model (for each modelled cause ``k``; one "cause" when endings are pooled)::

    eta_k[i] = intercept_k + X_std[i] @ beta_k + sum_g u_{g,k}[group_g[i]] (+ varying slopes)
    u_{g,k} = sd_{g,k} * z_{g,k},  z ~ Normal(0, 1)           (non-centred frailty; for the
    factors in info.centred_groups the first is centred on the intercept,
    w_{g,k} ~ Normal(intercept_k, sd_{g,k}), u = w - intercept, and the others
    u_{g,k} ~ Normal(0, sd_{g,k}); z = u / sd)

Likelihood, in closed form on the episode rows (no person-period expansion), with time divided
by the model's time scale ``tau`` (the median follow-up, so that baseline parameters are of
order one)::

    exact event of cause k:  log h_k(t) + sum_j log S_j(t) - sum_j log S_j(entry)
    right-censored:                       sum_j log S_j(t) - sum_j log S_j(entry)
    interval (one cause):    log(S(lower) - S(upper))     - log S(entry)

With time-varying covariates (``design.spells``) eta is computed per spell row ``j`` of
episode ``i`` on ``(a_ij, b_ij]``. Proportional hazards: the episode's row is the sum over its
spells ending after entry (accumulated with an indexed increment)::

    sum_j [log S_k(b_ij | eta_kij) - log S_k(max(a_ij, entry_i) | eta_kij)]
    + d_ik * log h_k(t_i | eta_kiJ)                                    (last spell J)

(with ``tve()`` each spell is further split at the effects' cut points). AFT families,
interval-censored endings and cure models use the episode's spell curve
(:mod:`coalsurv.build.spell_likelihood`). The observed ``lifespan`` keeps one log-likelihood
value per episode.

Data enter as ``pm.Data`` containers so the same graph refits new data of the same shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.build.coefficients import coefficient_prior
from coalsurv.build.cure import cure_logit, cure_loglik
from coalsurv.build.design import Design
from coalsurv.build.info import ModelInfo, observed_arrays, var_name
from coalsurv.build.joint_terms import joint_parts, joint_scalar
from coalsurv.build.members import member_theta
from coalsurv.build.shape import shape_log_multiplier
from coalsurv.build.spell_likelihood import spell_curve_data, spell_curves, spell_episode_loglik
from coalsurv.build.spells import spell_arrays
from coalsurv.build.spline import monotone_bound, spline_coefficients
from coalsurv.build.strata import strata_level, stratified_parameter, stratum_index
from coalsurv.build.time_splines import grid_arrays, grid_loglik
from coalsurv.build.time_terms import tve_coords, tve_interval_index, tve_loglik, tve_parameters
from coalsurv.errors import PriorError
from coalsurv.families import PYTENSOR
from coalsurv.spec.joint import INTERCEPT_TERM, is_joint_key
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.moments import joint_name
from coalsurv.spec.priors import Prior, PriorSet

__all__ = ["build_model", "data_constants"]


def _prior(priors: PriorSet, key: str, *, support: str, resolved: dict[str, Prior],
           auto: dict[str, float] | None = None) -> Prior:
    prior = priors.get(key)
    if auto:
        prior = prior.resolve(**auto)
    elif "auto" in prior.params.values():
        raise PriorError(f"prior {key!r}: 'auto' is only allowed for the intercept's mu")
    if support == "positive" and prior.support != "positive":
        raise PriorError(
            f"prior {key!r}: {prior} can be negative but {key} must be positive; use e.g. "
            "HalfNormal, LogNormal, Gamma or Exponential"
        )
    resolved[key] = prior
    return prior


def build_model(spec: ModelSpec, priors: PriorSet, data, design: Design, info: ModelInfo):
    """Build the PyMC model.

    Returns
    -------
    model : pymc.Model
    resolved : dict of str to Prior
        The priors actually used (``auto`` resolved), keyed like :class:`PriorSet`.
    """
    import pymc as pm
    import pytensor.tensor as pt

    family = info.family_object()
    obs = observed_arrays(data, info.causes, info.pooled, info.time_scale)
    n, p = design.X.shape
    spells = design.spells
    coords: dict[str, Any] = {"obs": [str(i) for i in data.ids], "term": list(design.terms),
                              "cause": list(info.causes)}
    if spells is not None:
        coords["spell"] = list(range(spells.m))
    if info.cuts or family.name == "piecewise":
        coords["interval"] = list(range(len(info.cuts) + 1))
        if family.name == "piecewise":  # the random walk's steps into intervals 1 .. K-1
            coords["interval_step"] = list(range(1, len(info.cuts) + 1))
    if len(info.knots) > 2:  # the Royston-Parmar spline's internal knots (build/spline.py)
        coords["knot"] = list(range(1, len(info.knots) - 1))
    if info.tve:
        coords["tve_term"] = list(info.tve)
    if info.cure_terms:
        coords["cure_term"] = list(info.cure_terms)
    if info.strata:
        coords["stratum"] = list(info.strata_levels)
    if info.shape_terms:
        coords["shape_term"] = list(info.shape_terms)
    for g in design.groups:
        coords[f"level_{g.name}"] = list(g.levels)
    coords.update(tve_coords(info.tve, info.tve_splines))
    resolved: dict[str, Prior] = {}
    n_causes = len(info.causes)

    with pm.Model(coords=coords) as model:
        X = pm.Data("X", design.X, dims=("obs", "term"))
        entry = pm.Data("entry", obs["entry"], dims="obs")
        time_upper = pm.Data("time_upper", obs["time_upper"], dims="obs")
        event_of = pm.Data("event_of", obs["event_of"], dims=("cause", "obs"))
        interval_of = pm.Data("interval_of", obs["interval_of"], dims=("cause", "obs"))
        group_idx = {g.name: pm.Data(f"idx_{g.name}", g.index, dims="obs") for g in design.groups}
        time = pm.Data("time", obs["time"], dims="obs")
        # rows of the linear predictor: episodes, or spells when covariates vary over time
        rows_X, rows_idx, n_rows = X, group_idx, n
        if spells is not None:
            sp = spell_arrays(design, data, obs, info.time_scale)
            X_spell = pm.Data("X_spell", spells.X, dims=("spell", "term"))
            spell_episode = pm.Data("spell_episode", spells.episode, dims="spell")
            spell_start = pm.Data("spell_start", sp["start"], dims="spell")
            spell_stop = pm.Data("spell_stop", sp["stop"], dims="spell")
            spell_event_of = pm.Data("spell_event_of", sp["event_of"], dims=("cause", "spell"))
            rows_X, n_rows = X_spell, spells.m
            curve_data = spell_curve_data(design, data, info.time_scale)
            rows_idx = {name: idx[spell_episode] for name, idx in group_idx.items()}

        centre = np.asarray(info.intercept_centre)
        joint = joint_parts(priors, design, info, resolved)
        # AFT priors on eta / sigma (the PH-compatible scale) unless a joint prior is used
        std = family.kind == "aft" and not joint
        i_name, b_name = ("intercept_std", "beta_std") if std else ("intercept", "beta")
        if any(INTERCEPT_TERM in parts for parts in joint.values()):
            intercept = pm.Deterministic("intercept", pt.stack(
                [joint[c][INTERCEPT_TERM] for c in info.causes]), dims="cause")
        elif _centre_as_data(priors, info):
            # Data-based centres differ by cause: sample the offset from the centre. The
            # centre is data (not a constant), so a compiled kernel refits new data rightly.
            resolved["intercept"] = priors.get("intercept").resolve(mu=float(centre.mean()))
            offset = priors.get("intercept").resolve(mu=0.0).to_pymc("intercept_offset",
                                                                     dims="cause")
            centre_data = pm.Data("intercept_centre", centre, dims="cause")
            intercept = pm.Deterministic(i_name, offset + centre_data, dims="cause")
        else:
            intercept = _cause_vector(priors, "intercept", info.causes, "real", resolved,
                                      auto={"mu": float(centre.mean())}, name=i_name)
        beta = (_coefficients(priors, design, info.causes, resolved, joint, name=b_name)
                if p else None)

        fam_params: dict[str, Any] = {}
        fam_base: dict[str, Any] = {}  # scalar parameters per cause, or (cause, stratum)
        strata_rows = (stratum_index(design, spell_episode if spells is not None else None)
                       if info.strata else None)
        shape_strata = strata_rows is not None and "shape" in info.strata_parts
        for param in family.parameters:
            carried = joint_scalar(joint, info.causes, joint_name(param.key, param.support),
                                    param.support)
            if shape_strata and not param.vector:
                value = stratified_parameter(priors, param, info.causes, resolved,
                                             carried=carried)
                if param.per_baseline:
                    value = pm.Deterministic(param.posterior_name, value * pt.exp(
                        intercept)[:, None], dims=("cause", "stratum"))
                fam_base[param.name] = value
                fam_params[param.name] = value[:, strata_rows]
                continue
            if param.vector == "knot":
                fam_base[param.name] = fam_params[param.name] = spline_coefficients(
                    priors, param, info.causes, resolved)
                continue
            if param.vector == "interval":
                fam_params[param.name] = _random_walk_baseline(priors, param, n_causes,
                                                               resolved)
                continue
            if carried is not None:
                value = pm.Deterministic(param.sampled_name, carried, dims="cause")
            else:
                value = _cause_vector(priors, param.key, info.causes, param.support, resolved)
            if param.per_baseline:  # the prior is on the ratio to the baseline hazard
                value = pm.Deterministic(param.posterior_name, value * pt.exp(intercept),
                                         dims="cause")
            fam_base[param.name] = value
            fam_params[param.name] = value
        if "rp_spline" in fam_base:  # an increasing spline (build/spline.py)
            monotone_bound(family, fam_base["rp_slope"], fam_base["rp_spline"])
        if std:
            intercept, beta = _from_standardised(family, fam_base, intercept, beta)
        if design.shape is not None:  # log shape_i = log shape + Z_std[i] @ beta_shape
            name = family.shape_parameter
            value = fam_params[name]
            log_mult = shape_log_multiplier(priors, design.shape, info.causes, resolved)
            if spells is not None:  # constant over an episode: one value per spell row
                log_mult = log_mult[:, spell_episode]
            fam_params[name] = (value if value.ndim == 2 else value[:, None]) * pt.exp(log_mult)

        effects = []
        rotation = None  # mm(): the factor whose levels rotate with the members (member_theta)
        for g in design.groups:
            key = f"sd[{g.term.factor}]"
            carried = joint_scalar(joint, info.causes, joint_name(key, "positive"), "positive")
            if g.term.intercept and carried is not None:
                sd = pm.Deterministic(f"sd_{g.name}", carried, dims="cause")
            elif g.term.intercept:
                sd = _prior(priors, key, support="positive", resolved=resolved).to_pymc(
                    f"sd_{g.name}", dims="cause")
            if g.term.intercept and g.name == (info.members or {}).get("rotation_group"):
                rotation = (g, sd)  # sampled with the member effects (build.member_rotation)
            elif g.term.intercept and g.name == next(iter(info.centred_groups), None):
                # centred on the intercept: w = intercept + u, each level's own data pin it
                # (build.info.centred_groups) and the intercept is their mean, not a ridge
                w = pm.Normal(f"w_{g.name}", intercept[:, None], sd[:, None],
                              dims=("cause", f"level_{g.name}"))
                u = pm.Deterministic(f"u_{g.name}", w - intercept[:, None],
                                     dims=("cause", f"level_{g.name}"))
                pm.Deterministic(f"z_{g.name}", u / sd[:, None],
                                 dims=("cause", f"level_{g.name}"))
                effects.append(u[:, rows_idx[g.name]])
            elif g.term.intercept and g.name in info.centred_groups:
                # centred (a second centred factor): u ~ Normal(0, sd)
                u = pm.Normal(f"u_{g.name}", 0.0, sd[:, None],
                              dims=("cause", f"level_{g.name}"))
                pm.Deterministic(f"z_{g.name}", u / sd[:, None],
                                 dims=("cause", f"level_{g.name}"))
                effects.append(u[:, rows_idx[g.name]])
            elif g.term.intercept:
                z = pm.Normal(f"z_{g.name}", 0.0, 1.0, dims=("cause", f"level_{g.name}"))
                u = pm.Deterministic(f"u_{g.name}", sd[:, None] * z,
                                     dims=("cause", f"level_{g.name}"))
                effects.append(u[:, rows_idx[g.name]])
            for slope in g.term.slopes:
                j = design.terms.index(slope)
                skey = f"sd[{g.term.factor}|{slope}]"
                sname = f"{g.name}_{var_name(slope)}"
                sd = _prior(priors, skey, support="positive", resolved=resolved).to_pymc(
                    f"sd_{sname}", dims="cause")
                z = pm.Normal(f"z_{sname}", 0.0, 1.0, dims=("cause", f"level_{g.name}"))
                v = pm.Deterministic(f"v_{sname}", sd[:, None] * z,
                                     dims=("cause", f"level_{g.name}"))
                effects.append(v[:, rows_idx[g.name]] * rows_X[:, j][None, :])

        eta = intercept[:, None] + pt.zeros((n_causes, n_rows))
        if beta is not None:
            eta = eta + pt.dot(beta, rows_X.T)
        for e in effects:
            eta = eta + e
        if strata_rows is not None and "level" in info.strata_parts:
            eta = eta + strata_level(priors, resolved)[:, strata_rows]
        theta = member_theta(priors, design, info, resolved,  # mm() terms: build/members.py
                             intercept=intercept, rotation=rotation)
        if theta is not None:
            eta = eta + (theta if spells is None else theta[:, spell_episode])

        if info.cure:
            logit = cure_logit(priors, design.cure, resolved)
            curve = (None if spells is None else  # the uncured curve over spells
                     spell_curves(family, fam_params, eta, 1, curve_data, time)[0])
            row_loglik = cure_loglik(family, fam_params, eta, entry, time, event_of, logit,
                                     interval=(obs, time_upper, interval_of),
                                     link=info.cure_link, cure_type=info.cure_type,
                                     curve=curve)
        elif info.tve and spells is not None:  # each spell row split at the tve cuts
            spell_loglik = _tve_loglik(priors, info, design, family, fam_params, eta,
                                       spell_start, spell_stop, spell_event_of, resolved,
                                       spells=True)
            row_loglik = pt.zeros_like(time)[spell_episode].inc(spell_loglik)
        elif info.tve:
            row_loglik = _tve_loglik(priors, info, design, family, fam_params, eta, entry,
                                     time, event_of, resolved)
        elif spells is not None and (family.kind != "ph" or np.any(obs["interval_of"] > 0)):
            row_loglik = spell_episode_loglik(family, fam_params, eta, n_causes, curve_data,
                                              entry, time, event_of,
                                              interval=(obs, time_upper, interval_of))
        elif spells is not None:
            spell_loglik = _segment_loglik(family, fam_params, eta, n_causes, spell_start,
                                           spell_stop, spell_event_of)
            row_loglik = pt.zeros_like(time)[spell_episode].inc(spell_loglik)
        else:
            row_loglik = _segment_loglik(family, fam_params, eta, n_causes, entry, time,
                                         event_of, interval=(obs, time_upper, interval_of))

        def logp(value, loglik):
            return loglik

        pm.CustomDist("lifespan", row_loglik, logp=logp, observed=obs["time"], dims="obs")
    return model, resolved


def _tve_loglik(priors, info, design, family, fam_params, eta, entry, time, event_of, resolved,
                *, spells: bool = False):
    """Row log-likelihood with time-varying effects (:mod:`coalsurv.build.time_terms`).

    Rows are episodes, or spell rows (``spells=True``: ``entry``/``time`` are the spell
    bounds; each spell is split at the effects' cut points).
    """
    import pymc as pm

    devs = tve_parameters(priors, info.tve, len(info.causes), resolved, info.tve_splines)
    cols = [design.terms.index(name) for name in info.tve]
    rows = "spell" if spells else "obs"
    X = design.spells.X if spells else design.X
    x_tve = pm.Data("X_tve", X[:, cols], dims=(rows, "tve_term"))
    if info.tve_splines:  # smooth terms: the quadrature grid (build/time_splines.py)
        arrays = grid_arrays(info, entry.get_value(), time.get_value())
        data = {key: pm.Data(f"tve_{key}", value) for key, value in arrays.items()}
        return grid_loglik(family, fam_params, eta, len(info.causes), time, event_of,
                           x_tve=x_tve, devs=devs, data=data, info=info)
    index = [pm.Data(f"tve_index_{q}", tve_interval_index(cuts, time.get_value()), dims=rows)
             for q, cuts in enumerate(info.tve.values())]
    return tve_loglik(family, fam_params, eta, len(info.causes), entry, time, event_of,
                      x_tve=x_tve, devs=devs, tve=info.tve, index=index)


def _centre_as_data(priors: PriorSet, info: ModelInfo) -> bool:
    """Whether the intercept is sampled as an offset from the data-based centre."""
    auto = priors.get("intercept").params.get("mu") == "auto"
    return auto and not any(priors.explicit(f"intercept[{c}]") for c in info.causes)


def data_constants(priors: PriorSet, info: ModelInfo) -> dict[str, Any]:
    """Values derived from the data that the graph holds as constants, not as data.

    A compiled kernel can refit new data only when these are equal (they belong in its cache
    key): the piecewise cut points; the data-based intercept centre when it is resolved into
    prior means (per-cause intercept priors next to an ``auto`` default, or a joint prior
    carrying the intercept); and the covariates' means and SDs when priors are stated per
    original unit (``beta_unit`` keys and joint priors are converted with them).
    """
    out: dict[str, Any] = {"cuts": list(info.cuts)}
    if info.tve:  # the time-varying effects' cut points, the smooth ones' knots and centres
        out["tve"], out["tve_splines"] = dict(info.tve), dict(info.tve_splines)
    joint = any(is_joint_key(key) for key in priors.priors)
    # an intercept prior with a stated mean (simulation-based calibration pins it) leaves the
    # data-based centre out of the graph: new data of the same shape refits warm
    auto = any(priors.get(f"intercept[{c}]").params.get("mu") == "auto" for c in info.causes)
    if joint or (auto and not _centre_as_data(priors, info)):
        out["intercept_centre"] = list(info.intercept_centre)
    if joint or any(key.startswith("beta_unit") for key in priors.priors):
        out["means"], out["sds"] = list(info.means), list(info.sds)
    return out


def _segment_loglik(family, fam_params, eta, n_causes, start, stop, event_of, *,
                    interval=None):
    """Log-likelihood of each row observed on (start, stop], summed over causes.

    ``sum_k [event_k log h_k(stop) + log S_k(stop) - log S_k(start)]``; rows are episodes
    (start = delayed entry) or spells. With ``interval=(obs, upper, interval_of)``, rows of an
    interval-censored ending use ``log(S(stop) - S(upper)) - log S(start)`` instead.
    """
    import pytensor.tensor as pt

    has_start = pt.gt(start, 0)
    start_safe = pt.switch(has_start, start, 1.0)
    total = 0.0
    for k in range(n_causes):
        params_k = {name: value[k] for name, value in fam_params.items()}
        eta_k = eta[k]
        log_h = family.log_hazard(stop, eta_k, xp=PYTENSOR, **params_k)
        log_s = family.log_survival(stop, eta_k, xp=PYTENSOR, **params_k)
        log_s_start = pt.switch(
            has_start, family.log_survival(start_safe, eta_k, xp=PYTENSOR, **params_k), 0.0)
        contrib = event_of[k] * log_h + log_s - log_s_start
        if interval is not None:
            obs, upper, interval_of = interval
            if np.any(obs["interval_of"][k] > 0):
                log_int = family.log_interval(stop, upper, eta_k, xp=PYTENSOR, **params_k)
                contrib = pt.switch(pt.gt(interval_of[k], 0), log_int - log_s_start, contrib)
        total = total + contrib
    return total


def _from_standardised(family, fam_params, intercept_std, beta_std):
    r"""AFT intercept and coefficients from their standardised values (times sigma).

    The priors of an AFT family's intercept and coefficients are on
    :math:`\eta/\sigma` (``intercept_std``, ``beta_std``), where :math:`\sigma` is the scale
    of log T (:meth:`Family.log_time_scale`: ``1/shape`` or the log-normal ``sigma``). With
    independent priors on :math:`\eta` itself, the Jacobian of
    :math:`(\alpha, \beta, k) \mapsto (-k\alpha, -k\beta, k)` makes the same priors equal to
    a prior proportional to :math:`k^{-(p+1)}` on the PH scale, which pulls the shape down
    under heavy censoring (Rossi: 1/shape 0.769 vs the MLE's 0.712). On the standardised scale
    a Weibull AFT fit is the Weibull PH fit of the same data and priors, coefficient for
    coefficient (:math:`\beta_{AFT} = -\beta_{PH}/k`), and the data-based intercept centre
    (log exposure per event, minus the PH centre) keeps its meaning at ``shape = 1``.

    With stratified shapes (``strata_parts`` with ``"shape"``) :math:`\sigma` is the geometric
    mean of the strata's scales: the location and its coefficients stay shared by the strata
    (survreg's ``strata()``), and the map stays one-to-one per cause.
    """
    import pymc as pm
    import pytensor.tensor as pt

    scale = family.log_time_scale(xp=PYTENSOR, **{p.name: fam_params[p.name]
                                                  for p in family.scalar_parameters})
    if scale.ndim == 2:  # stratified shapes (cause, stratum): their geometric mean
        scale = pt.exp(pt.mean(pt.log(scale), axis=1))
    intercept = pm.Deterministic("intercept", intercept_std * scale, dims="cause")
    beta = (pm.Deterministic("beta", beta_std * scale[:, None], dims=("cause", "term"))
            if beta_std is not None else None)
    return intercept, beta


def _cause_vector(priors: PriorSet, base: str, causes: tuple[str, ...], support: str,
                  resolved: dict[str, Prior], auto: dict[str, float] | None = None, *,
                  name: str | None = None):
    """Build a parameter with one value per cause, named ``name`` (default ``base``).

    Per-cause priors ``base[cause]`` override ``base``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    name = name or base
    chosen = []
    for cause in causes:
        key = f"{base}[{cause}]" if priors.explicit(f"{base}[{cause}]") else base
        chosen.append(_prior(priors, key, support=support, resolved=resolved, auto=auto))
    if all(c == chosen[0] for c in chosen):
        return chosen[0].to_pymc(name, dims="cause")
    parts = [c.to_pymc(f"{name}_{var_name(cause)}") for c, cause in zip(chosen, causes,
                                                                        strict=True)]
    return pm.Deterministic(name, pt.stack(parts), dims="cause")


def _coefficients(priors: PriorSet, design: Design, causes: tuple[str, ...],
                  resolved: dict[str, Prior], joint: dict[str, dict[str, Any]], *,
                  name: str = "beta"):
    """Coefficients (cause, term) on the per-SD scale, named ``name``.

    Terms of a joint prior come from ``joint`` (:func:`coalsurv.build.joint_terms.joint_parts`);
    the others from their most specific prior
    (:func:`~coalsurv.build.coefficients.coefficient_prior`).
    """
    import pymc as pm
    import pytensor.tensor as pt

    several = len(causes) > 1
    chosen = [[coefficient_prior(priors, cause, term, float(sd), resolved)
               if term not in joint.get(cause, {}) else None
               for term, sd in zip(design.terms, design.sds, strict=True)] for cause in causes]
    flat = [c for row in chosen for c in row]
    if all(c is not None and c == flat[0] for c in flat):
        return flat[0].to_pymc(name, dims=("cause", "term"))
    rows = []
    for cause, row in zip(causes, chosen, strict=True):
        prefix = f"{name}_{var_name(cause)}_" if several else f"{name}_"
        rows.append(pt.stack([joint[cause][t] if c is None else c.to_pymc(prefix + var_name(t))
                              for c, t in zip(row, design.terms, strict=True)]))
    return pm.Deterministic(name, pt.stack(rows), dims=("cause", "term"))


def _random_walk_baseline(priors: PriorSet, param, n_causes: int, resolved: dict[str, Prior]):
    """Sum-to-zero random-walk deviations of the log baseline rate around the intercept.

    ``log_rates[k] = intercept + d[k] - mean(d)`` with ``d[0] = 0`` and
    ``d[j] = d[j-1] + rw_step[j]``, ``rw_step ~ Normal(0, rw_sd)``: the intercept is the mean
    log baseline rate, so it does not trade off with a free level per interval, and the random
    walk smooths neighbours. Returns the *deviations* (the intercept is added to eta).

    The steps are centred (sampled as themselves, not as ``rw_sd * eps``): a dozen events per
    interval already pin each step, and the non-centred form then bends into a curved ridge
    in ``(log rw_sd, eps)`` that diverged at default settings (Rossi 1-6 and Stanford heart
    transplant 6-14 of 4,000 draws; centred with the default ``rw_sd ~ LogNormal(-1.4, 0.5)``:
    none, 3 seeds each).
    """
    import pymc as pm
    import pytensor.tensor as pt

    rw_sd = _prior(priors, param.key, support="positive", resolved=resolved).to_pymc(
        param.key, dims="cause")
    steps = pm.Normal("rw_step", 0.0, rw_sd[:, None], dims=("cause", "interval_step"))
    d = pt.concatenate([pt.zeros((n_causes, 1)), pt.cumsum(steps, axis=1)], axis=1)
    dev = pm.Deterministic(param.posterior_name, d - d.mean(axis=1, keepdims=True),
                           dims=("cause", "interval"))
    return dev
