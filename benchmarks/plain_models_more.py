"""Plain PyMC baselines of the family table's rows that had only coalsurv's graph to compare with.

The same conventions as :mod:`plain_models` (its helpers are reused): the model a user would
write by hand in PyMC for the row, with coalsurv's default priors, reading the arrays that
:func:`plain_models.export` wrote from coalsurv's built model. Rows: the Royston-Parmar spline
on the odds scale, a varying slope ``(1 + power_hhi | cname)``, the piecewise baseline with
interval censoring and with a mixture cure, log-normal strata, log-logistic shape covariates,
the log-normal with a probit cure and the smooth time-varying effect ``tve(x)`` (its
quadrature on the exported grid). ``tests/test_plain_baselines.py`` checks that each one's
log density equals coalsurv's at random points.
"""

from __future__ import annotations

import numpy as np
from plain_models import (
    aft_eta,
    censor_upper,
    linear_eta,
    linear_terms,
    piecewise_baseline,
    rp_spline,
    weibull_censored,
)


def _log_pi(lp, link: str):
    """``(log pi, log(1 - pi))`` of the cured share with linear predictor ``lp``."""
    import pymc as pm
    import pytensor.tensor as pt

    if link == "logit":
        return -pt.softplus(-lp), -pt.softplus(lp)
    std = pm.Normal.dist(0.0, 1.0)
    return pm.logcdf(std, lp), pm.logcdf(std, -lp)


def _cure(d):
    """Cure intercept and coefficients (coalsurv's default priors) and their linear predictor."""
    import pymc as pm

    c0 = pm.Normal("cure_intercept", 0.0, 1.5)
    c1 = pm.Normal("cure_beta", 0.0, 1.0, shape=d["Z_cure"].shape[1])
    return c0 + pm.math.dot(d["Z_cure"], c1)


def model_rp_odds(d):
    """Royston-Parmar on the odds scale: ``log((1 - S) / S) = eta + s(log t)``."""
    import pymc as pm
    import pytensor.tensor as pt

    x, s, ds = rp_spline(d)
    log_s = -pt.softplus(s)
    log_h = pt.log(ds) - x - pt.softplus(-s)  # h = sigmoid(s) ds/dlog t / t
    # a vector parameter does not broadcast with the rows: the log likelihood as a Potential
    pm.Potential("lifespan", (d["event_of"] * log_h + log_s).sum())


def model_slopes(d):
    """Weibull PH with a country intercept and a country slope of the first covariate."""
    import pymc as pm

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    idx = d["idx_cname"]
    sd = pm.HalfNormal("sd_cname_power_hhi", 1.0)
    z = pm.Normal("z_cname_power_hhi", 0.0, 1.0, shape=int(idx.max()) + 1)
    eta = linear_eta(d, intercept, beta, u) + sd * z[idx] * d["X"][:, 0]
    weibull_censored(d, shape, eta)


def model_piecewise_interval(d):
    """Piecewise baseline; events known to a window (lower, upper]: ``log(S(l) - S(u))``."""
    import pymc as pm
    import pytensor.tensor as pt

    eta, dev, exposure, _ = piecewise_baseline(d)
    inside = d["interval_of"] > 0
    upper = np.where(inside, d["time_upper"], d["time"])
    rate = pt.exp(dev)
    log_s = -pt.exp(eta) * pt.dot(exposure(d["time"]), rate)
    log_s_up = -pt.exp(eta) * pt.dot(exposure(upper), rate)
    loglik = pt.switch(inside, pm.math.logdiffexp(log_s, log_s_up), log_s)
    pm.Potential("lifespan", loglik.sum())


def model_piecewise_cure(d):
    """Piecewise baseline, mixture cure (logit link): ``S = pi + (1 - pi) S_u``."""
    import pymc as pm
    import pytensor.tensor as pt

    eta, dev, exposure, where = piecewise_baseline(d)
    t = d["time"]
    log_h = eta + dev[where(t)]
    log_s = -pt.exp(eta) * pt.dot(exposure(t), pt.exp(dev))
    log_pi, log1m_pi = _log_pi(_cure(d), "logit")
    loglik = pt.switch(d["event_of"] > 0, log1m_pi + log_h + log_s,
                       pt.logaddexp(log_pi, log1m_pi + log_s))
    pm.Potential("lifespan", loglik.sum())


def model_lognormal_strata(d):
    """Log-normal AFT with a level and a sigma per stratum; priors on ``eta / sigma``.

    The location's scale is the geometric mean of the strata's sigmas (survreg's ``strata()``).
    """
    import pymc as pm

    s = d["idx_strata"]
    n_strata = int(s.max()) + 1
    sigma = pm.LogNormal("sigma", 0.0, 0.5, shape=n_strata)
    scale = pm.math.exp(pm.math.mean(pm.math.log(sigma)))
    dev = pm.ZeroSumNormal("strata_dev", sigma=1.0, shape=n_strata)
    mu = aft_eta(d, scale) + dev[s]
    dist = pm.LogNormal.dist(mu=mu, sigma=sigma[s])
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def model_loglogistic_shape(d):
    """Log-logistic AFT whose shape depends on covariates: ``k_i = k exp(Z_i @ beta_shape)``."""
    import pymc as pm
    import pytensor.tensor as pt

    shape = pm.LogNormal("shape", 0.0, 0.5)
    beta_shape = pm.Normal("beta_shape", 0.0, 0.5, shape=d["Z_shape"].shape[1])
    eta = aft_eta(d, 1.0 / shape)
    k = shape * pm.math.exp(pm.math.dot(d["Z_shape"], beta_shape))

    def logp(t, eta, k, event):
        z = k * (pt.log(t) - eta)
        log_s = -pt.softplus(z)
        return event * (pt.log(k) - pt.log(t) + z + log_s) + log_s

    pm.CustomDist("lifespan", eta, k, d["event_of"], logp=logp, observed=d["time"])


def model_lognormal_cure_probit(d):
    """Log-normal AFT, mixture cure with the probit link."""
    import pymc as pm
    import pytensor.tensor as pt

    sigma = pm.LogNormal("sigma", 0.0, 0.5)
    mu = aft_eta(d, sigma)
    lp = _cure(d)
    dist = pm.LogNormal.dist(mu=mu, sigma=sigma)
    t = d["time"]
    log_f, log_s = pm.logp(dist, t), pm.logccdf(dist, t)
    log_pi, log1m_pi = _log_pi(lp, "probit")
    loglik = pt.switch(d["event_of"] > 0, log1m_pi + log_f,
                       pt.logaddexp(log_pi, log1m_pi + log_s))
    pm.Potential("lifespan", loglik.sum())


def model_tve_bs(d):
    """Weibull PH with a smooth effect of power_hhi: log HR ``beta + sum_j B_j(log t) dev_j``.

    ``B`` is the cubic spline basis in log time (coalsurv's knots); ``dev`` a random walk of
    ``tve_sd`` steps recentred so that ``sum_j c_j dev_j = 0`` (``c``: the basis means). The
    cumulative hazard ``int exp(x f(u)) dH(u)`` is the midpoint rule a user writes on a grid
    of cells in log time: each row's exact Weibull ``H`` over its part of a cell (the grid's
    points clipped to the row's ``(0, t]``), weighted by ``exp(x f)`` at the part's
    log-midpoint. The basis at the rows' times and at the cells' midpoints is data (SciPy,
    computed once before the model: here the arrays exported from coalsurv's model).
    """
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = linear_eta(d, intercept, beta, u)
    x = d["X_tve"][:, 0]
    centre = d["tve_centre_0"]
    tve_sd = pm.HalfNormal("tve_sd_power_hhi", 0.5)
    step = pm.Normal("tve_step_power_hhi", 0.0, 1.0, shape=centre.size - 1)
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(tve_sd * step)])
    dev = pm.Deterministic("tve_dev_power_hhi", walk - pt.dot(walk, centre))

    t, points = d["time"], d["tve_points"]  # (row, cell + 1): the cell bounds clipped to t
    inside = points > 0
    log_points = np.log(np.where(inside, points, 1.0))
    # t^k at the points (0 at 0); H = e^eta t^k, so each part's increment is e^eta times this
    power = pt.switch(inside, pt.exp(shape * log_points), 0.0)
    f_cells = pt.dot(d["tve_basis_cells_0"], dev)  # (row, cell)
    cum = pt.exp(eta) * pt.sum(pt.exp(x[:, None] * f_cells) * (power[:, 1:] - power[:, :-1]),
                               axis=1)
    log_h = (pt.log(shape) + (shape - 1.0) * np.log(t) + eta
             + x * pt.dot(d["tve_basis_time_0"], dev))
    # a vector parameter does not broadcast with the rows: the log likelihood as a Potential
    pm.Potential("lifespan", (d["event_of"] * log_h - cum).sum())


#: row of the family table -> hand-written model builder (added to ``plain_models.BUILDERS``).
BUILDERS = {
    "rp(odds)": model_rp_odds,
    "weibull+slopes": model_slopes,
    "piecewise+interval": model_piecewise_interval,
    "piecewise+cure": model_piecewise_cure,
    "lognormal+strata": model_lognormal_strata,
    "loglogistic+shape": model_loglogistic_shape,
    "lognormal+cure(probit)": model_lognormal_cure_probit,
    "weibull+tve": model_tve_bs,
}
