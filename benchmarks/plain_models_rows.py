"""Plain PyMC baselines of the family table's rows made in :mod:`family_rows` (issue 23).

The conventions of :mod:`plain_models`: the model a user writes by hand in PyMC, with
coalsurv's default priors, on the arrays coalsurv's built model holds (written by
:func:`export` before any timing). Every row is the Weibull PH model
``h = k t^(k-1) e^eta`` of the coalgov covariates, written with ``pm.Censored`` (PyMC has the
Weibull), and:

* ``weibull+causes`` — two causes, each its own intercept, coefficients, shape and country
  frailty (cause-specific hazards; the likelihood is one censored Weibull per cause, the other
  cause's endings censoring it);
* ``weibull+crossed`` / ``weibull+nested`` — a second frailty factor (``decade``, or the
  country's decades ``cname:decade``), each non-centred with its own HalfNormal(1) SD;
* ``weibull+entry`` — delayed entry: ``log S(entry) = -e^eta entry^k`` comes off each row
  (a ``pm.Potential`` beside the censored Weibull);
* ``weibull+spells`` — one row per spell with its own ``eta`` (the time-varying ``tenure``),
  censored at the spell's stop unless the episode ends there, minus ``log S`` at its start;
* ``weibull+joint(mvn)`` / ``weibull+joint(mixture)`` — the replication prior of
  ``PriorSet.from_fit``: per original unit ``theta = (log shape, log sd, b) ~ MvNormal(mu,
  cov)`` (non-centred, ``theta = mu + chol(cov) z``) or a mixture of MvNormals (sampled
  itself), the model's coefficients ``beta_j = sd_j b_j`` (``sd_j`` the covariate's SD);
* ``weibull+multistate`` — one transition of ParlGov re-formation histories (a country
  frailty ``(1 | country)``): the plain Weibull on that transition's episodes.

``tests/test_plain_baselines_rows.py`` checks that each has coalsurv's log density at random
points.
"""

from __future__ import annotations

import numpy as np


def export(model, info, design, path, prior=None) -> None:
    """``plain_models.export`` plus what these rows need (causes, covariate SDs, the prior)."""
    import plain_models
    import pytensor

    plain_models.export(model, info, path)
    with np.load(path) as f:
        out = {k: f[k] for k in f.files}
    for var in model.named_vars.values():  # the per-cause arrays, whole
        if isinstance(var, pytensor.compile.sharedvalue.SharedVariable) and var.name in (
                "event_of", "intercept_centre"):
            out[var.name + "_all"] = np.asarray(var.get_value())
    out["design_terms"] = np.asarray(design.terms, dtype=str)
    out["design_sds"] = np.asarray(design.sds, dtype=float)
    if prior is not None:  # the replication prior's one key (beta_unit[*])
        (joint,) = [p for k, p in prior.priors.items() if k.startswith("beta_unit")]
        out["joint_terms"] = np.asarray(joint.terms, dtype=str)
        if hasattr(joint, "components"):
            out["joint_weights"] = np.asarray(joint.weights, dtype=float)
            out["joint_mu"] = np.asarray([c.mu for c in joint.components], dtype=float)
            out["joint_cov"] = np.asarray([c.cov for c in joint.components], dtype=float)
        else:
            out["joint_mu"] = np.asarray(joint.mu, dtype=float)
            out["joint_cov"] = np.asarray(joint.cov, dtype=float)
    np.savez(path, **out)


# ----------------------------------------------------------------------------- pieces


def factors(d) -> list[str]:
    """Return the grouping factors of the model (``idx_<factor>`` arrays), in graph order."""
    return [k.removeprefix("idx_") for k in d if k.startswith("idx_")]


def frailty(d, rows=None):
    """``sum_g sd_g z_g[level]`` over the factors, each non-centred with a HalfNormal(1) SD."""
    import pymc as pm

    total = 0.0
    for g in factors(d):
        idx = d[f"idx_{g}"] if rows is None else d[f"idx_{g}"][rows]
        sd = pm.HalfNormal(f"sd_{g}", 1.0)
        z = pm.Normal(f"z_{g}", 0.0, 1.0, shape=int(d[f"idx_{g}"].max()) + 1)
        total = total + sd * z[idx]
    return total


def intercept_and_beta(d, beta=None):
    """Intercept ``Normal(centre, 1)`` (sampled as the offset) and ``Normal(0, 1)`` coefficients."""
    import pymc as pm

    offset = pm.Normal("intercept_offset", 0.0, 1.0)
    intercept = pm.Deterministic("intercept", offset + float(d["intercept_centre"]))
    if beta is None:
        beta = pm.Normal("beta", 0.0, 1.0, shape=d["X"].shape[1])
    return intercept, beta


def weibull_rows(name, shape, eta, t, ended, start=None):
    """Censored Weibull PH rows (scale ``exp(-eta / k)``), minus ``log S(start)`` where > 0."""
    import pymc as pm

    dist = pm.Weibull.dist(alpha=shape, beta=pm.math.exp(-eta / shape))
    pm.Censored(name, dist, lower=None, upper=np.where(ended, np.inf, t), observed=t)
    if start is not None and np.any(start > 0):
        late = np.flatnonzero(start > 0)  # log S(a) = -e^eta a^k: added back (truncation)
        pm.Potential(name + "_entry",
                     pm.math.sum(pm.math.exp(eta[late] + shape * np.log(start[late]))))


# ----------------------------------------------------------------------------- models


def model_weibull(d):
    """Weibull PH with every frailty factor and delayed entry (where an entry is > 0)."""
    import pymc as pm

    intercept, beta = intercept_and_beta(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = intercept + pm.math.dot(d["X"], beta) + frailty(d)
    weibull_rows("lifespan", shape, eta, d["time"], d["event_of"] > 0, start=d["entry"])


def model_causes(d):
    """Cause-specific Weibull PH hazards, each cause its own parameters and country frailty."""
    import pymc as pm

    events, centre = d["event_of_all"], d["intercept_centre_all"]
    n_causes, p = events.shape[0], d["X"].shape[1]
    idx = d["idx_cname"]
    offset = pm.Normal("intercept_offset", 0.0, 1.0, shape=n_causes)
    intercept = pm.Deterministic("intercept", offset + centre)
    beta = pm.Normal("beta", 0.0, 1.0, shape=(n_causes, p))
    shape = pm.LogNormal("shape", 0.0, 0.5, shape=n_causes)
    sd = pm.HalfNormal("sd_cname", 1.0, shape=n_causes)
    z = pm.Normal("z_cname", 0.0, 1.0, shape=(n_causes, int(idx.max()) + 1))
    for k in range(n_causes):  # the other cause's endings censor this one
        eta = intercept[k] + pm.math.dot(d["X"], beta[k]) + sd[k] * z[k][idx]
        weibull_rows(f"lifespan_{k}", shape[k], eta, d["time"], events[k] > 0)


def model_spells(d):
    """Weibull PH over start/stop spells: each spell censored at its stop, truncated at start."""
    import pymc as pm

    episode = d["spell_episode"]
    intercept, beta = intercept_and_beta(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = intercept + pm.math.dot(d["X_spell"], beta) + frailty(d, rows=episode)
    weibull_rows("lifespan", shape, eta, d["spell_stop"], d["spell_event_of"][0] > 0,
                 start=d["spell_start"])


def model_joint(d):
    """Weibull PH under the replication prior: coefficients, log shape and log SD jointly."""
    import pymc as pm
    import pytensor.tensor as pt

    terms = [str(t) for t in d["joint_terms"]]
    design = [str(t) for t in d["design_terms"]]
    # per original unit -> the model's scale: beta_j = sd_j b_j (a covariate's SD; 1 otherwise)
    scale = np.array([d["design_sds"][design.index(t)] if t in design else 1.0 for t in terms])
    if "joint_weights" in d:  # a mixture of MvNormals: sampled itself (no non-centred form)
        comps = [pm.MvNormal.dist(mu=scale * mu, chol=scale[:, None] * np.linalg.cholesky(cov))
                 for mu, cov in zip(d["joint_mu"], d["joint_cov"], strict=True)]
        theta = pm.Mixture("beta_joint", w=d["joint_weights"], comp_dists=comps,
                           shape=len(terms))
    else:
        z = pm.Normal("beta_joint_z", 0.0, 1.0, shape=len(terms))
        chol = scale[:, None] * np.linalg.cholesky(d["joint_cov"])
        theta = scale * d["joint_mu"] + pt.dot(chol, z)
    beta = pm.Deterministic("beta", pt.stack([theta[terms.index(t)] for t in design]))
    intercept, _ = intercept_and_beta(d, beta=beta)
    shape = pm.Deterministic("shape", pt.exp(theta[terms.index("log(shape)")]))
    sd = pm.Deterministic("sd_cname", pt.exp(theta[terms.index("log(sd[cname])")]))
    z_c = pm.Normal("z_cname", 0.0, 1.0, shape=int(d["idx_cname"].max()) + 1)
    eta = intercept + pm.math.dot(d["X"], beta) + sd * z_c[d["idx_cname"]]
    weibull_rows("lifespan", shape, eta, d["time"], d["event_of"] > 0)


#: row of the family table -> hand-written model builder (added to ``plain_models.BUILDERS``).
BUILDERS = {
    "weibull+causes": model_causes,
    "weibull+crossed": model_weibull,
    "weibull+nested": model_weibull,
    "weibull+entry": model_weibull,
    "weibull+spells": model_spells,
    "weibull+joint(mvn)": model_joint,
    "weibull+joint(mixture)": model_joint,
    "weibull+multistate": model_weibull,
}
