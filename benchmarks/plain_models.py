"""Plain PyMC baselines of the family table's feature rows (issue 23), written as a user would.

Each row of :data:`BUILDERS` is one hand-written PyMC model: the same likelihood and priors as
coalsurv's model of that row (coalgov, the four standard covariates, a non-centred country
frailty ``(1 | cname)``), written with ``pm.Censored`` where PyMC has the distribution
(Weibull, Gamma) and a ``pm.CustomDist`` with an explicit log density otherwise (interval
censoring, the piecewise baseline, cure, the piecewise tve, the generalised gamma, the
Royston-Parmar spline). Nothing of coalsurv is imported when they are sampled.

Their inputs are the arrays a user prepares with NumPy before writing the model:
standardised covariates, time divided by the median follow-up, the crude-rate centre of the
intercept prior, group / stratum / member indices, the piecewise and tve cut points, the spline
knots. :func:`export` takes them from coalsurv's built model of the row (its ``pm.Data``
values and ``ModelInfo``) and writes them to an ``.npz`` file before any timing, so that both
fits see exactly the same numbers; the baseline's timed process then only loads that file
(cheaper than the pandas reading and preparing a user would do: the comparison favours the
baseline). That each baseline *is* coalsurv's model is checked on the draws: the posterior
means of the shared parameters agree within ``AGREE_SD`` posterior SDs
(:func:`agreement`, a column of the family table).

Priors (coalsurv's defaults, ``coalsurv.spec.priors``): coefficients Normal(0, 1) per SD (on
``eta / sigma`` for AFT families), intercept Normal(centre, 1), shapes and sigma
LogNormal(0, 0.5), group SDs HalfNormal(1), strata deviations ZeroSumNormal(1), shape
coefficients Normal(0, 0.5), cure intercept Normal(0, 1.5) and coefficients Normal(0, 1),
tve random-walk SD HalfNormal(0.5), piecewise random-walk SD LogNormal(-1.4, 0.5), member SD
HalfNormal(1), power weight HalfNormal(1.5), generalised gamma Q Normal(0, 1), spline slope
LogNormal(0, 0.5) and coefficients Normal(0, 1).
"""

from __future__ import annotations

import numpy as np

#: The largest |mean difference| / posterior SD at which a baseline counts as the same model.
AGREE_SD = 0.2
#: Parameters compared between the fits (those each model has).
SHARED = ("beta", "intercept", "shape", "sigma", "Q", "ageing", "sd_cname", "strata_dev",
          "beta_shape", "cure_intercept", "cure_beta", "beta_mm", "sd_mm", "gamma", "rw_sd",
          "log_baseline_dev", "tve_sd_power_hhi", "tve_dev_power_hhi", "rp_slope", "rp_spline")


# ----------------------------------------------------------------------------- inputs


def export(model, info, path) -> None:
    """Write the arrays of coalsurv's built ``model`` (and the cut points, knots) to ``path``."""
    import pytensor

    out = {}
    for var in model.named_vars.values():
        if not isinstance(var, pytensor.compile.sharedvalue.SharedVariable):
            continue
        value = np.asarray(var.get_value())
        out[var.name] = value[0] if var.name in ("event_of", "interval_of",
                                                 "intercept_centre") else value
    out["cuts"] = np.asarray(info.cuts, dtype=float)
    for q, (name, cuts) in enumerate((info.tve or {}).items()):
        out[f"tve_cuts_{q}"] = np.asarray(cuts, dtype=float)  # a smooth term's: its knots
        if name in (info.tve_splines or {}):  # the basis means (sum_j c_j dev_j = 0)
            out[f"tve_centre_{q}"] = np.asarray(info.tve_splines[name]["centre"], dtype=float)
    if info.family == "rp":
        out["log_knots"] = np.asarray(info.family_object().log_knots, dtype=float)
    np.savez(path, **out)


def summary(posterior, names) -> dict[str, list[list[float]]]:
    """``{name: [means, sds]}`` of each parameter (flattened, the cause axis dropped)."""
    out = {}
    for name in names:
        if name in posterior:
            v = np.asarray(posterior[name])
            v = v.reshape(v.shape[0] * v.shape[1], -1)
            out[name] = [v.mean(0).tolist(), v.std(0).tolist()]
    return out


def agreement(ours: dict, base: dict) -> tuple[float, str]:
    """Largest ``|mean ours - mean baseline| / max(sd)`` over the shared parameters, and where."""
    worst, where = 0.0, ""
    for name, (m1, s1) in ours.items():
        if name not in base or len(base[name][0]) != len(m1):
            continue
        m2, s2 = base[name]
        for j, (a, b, sa, sb) in enumerate(zip(m1, m2, s1, s2, strict=True)):
            z = abs(a - b) / max(sa, sb, 1e-12)
            if z > worst:
                worst, where = z, f"{name}[{j}]"
    return worst, where


# ----------------------------------------------------------------------------- models


def linear_terms(d, *, aft=False):
    """Intercept, coefficients and the country frailty: ``(eta, intercept, beta)``.

    AFT families put the priors on ``eta / sigma``: the caller scales (``aft=True`` returns
    the standardised intercept and coefficients).
    """
    import pymc as pm

    X, idx = d["X"], d["idx_cname"]
    suffix = "_std" if aft else ""
    offset = pm.Normal("intercept_offset", 0.0, 1.0)
    intercept = pm.Deterministic("intercept" + suffix, offset + float(d["intercept_centre"]))
    beta = pm.Normal("beta" + suffix, 0.0, 1.0, shape=X.shape[1])
    sd = pm.HalfNormal("sd_cname", 1.0)
    z = pm.Normal("z_cname", 0.0, 1.0, shape=int(idx.max()) + 1)
    return intercept, beta, sd * z[idx]


def linear_eta(d, intercept, beta, u):
    import pymc as pm

    return intercept + pm.math.dot(d["X"], beta) + u


def censor_upper(d):
    """``pm.Censored``'s upper bound: the time of right-censored rows, inf for events."""
    return np.where(d["event_of"] > 0, np.inf, d["time"])


def weibull_censored(d, shape, eta):
    """Weibull PH, ``h = k t^(k-1) e^eta``: PyMC's Weibull with scale ``exp(-eta / k)``."""
    import pymc as pm

    dist = pm.Weibull.dist(alpha=shape, beta=pm.math.exp(-eta / shape))
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def _weibull_parts(t, eta, k):
    """Return log h and log S of the Weibull PH."""
    import pytensor.tensor as pt

    log_t = pt.log(t)
    return pt.log(k) + (k - 1.0) * log_t + eta, -pt.exp(k * log_t + eta)


def model_exponential(d):
    """Exponential PH: rate ``e^eta``."""
    import pymc as pm

    intercept, beta, u = linear_terms(d)
    dist = pm.Exponential.dist(lam=pm.math.exp(linear_eta(d, intercept, beta, u)))
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def model_weibull(d):
    """Weibull PH."""
    import pymc as pm

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    weibull_censored(d, shape, linear_eta(d, intercept, beta, u))


def model_weibull_aft(d):
    """Weibull AFT: scale ``e^eta``, priors on ``eta * k``."""
    import pymc as pm

    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = aft_eta(d, 1.0 / shape)
    dist = pm.Weibull.dist(alpha=shape, beta=pm.math.exp(eta))
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def model_lognormal(d):
    """Log-normal AFT, priors on ``eta / sigma``."""
    import pymc as pm

    sigma = pm.LogNormal("sigma", 0.0, 0.5)
    dist = pm.LogNormal.dist(mu=aft_eta(d, sigma), sigma=sigma)
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def model_loglogistic(d):
    """Log-logistic AFT (no PyMC distribution): ``S = 1 / (1 + (t e^-eta)^k)``."""
    import pymc as pm
    import pytensor.tensor as pt

    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = aft_eta(d, 1.0 / shape)

    def logp(t, eta, k, event):
        z = k * (pt.log(t) - eta)
        log_s = -pt.softplus(z)
        return event * (pt.log(k) - pt.log(t) + z + log_s) + log_s

    pm.CustomDist("lifespan", eta, shape, d["event_of"], logp=logp, observed=d["time"])


def model_gompertz(d):
    """Gompertz PH, ``h = e^(eta + gamma t)``; prior on ``ageing = gamma e^-intercept``."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    ageing = pm.Normal("ageing", 0.0, 0.5)
    gamma = pm.Deterministic("gamma", ageing * pm.math.exp(intercept))
    eta = linear_eta(d, intercept, beta, u)

    def logp(t, eta, g, event):
        g = pt.switch(pt.abs(g) < 1e-10, 1e-10, g)  # H = e^eta t at g = 0
        return event * (eta + g * t) - pt.exp(eta) * pt.expm1(g * t) / g

    pm.CustomDist("lifespan", eta, gamma, d["event_of"], logp=logp, observed=d["time"])


def model_interval(d):
    """Weibull PH; events known to a window (lower, upper]: ``log(S(l) - S(u))``."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = linear_eta(d, intercept, beta, u)
    upper = np.where(d["interval_of"] > 0, d["time_upper"], 1.0)

    def logp(t, eta, k, inside, upper):
        _, log_s = _weibull_parts(t, eta, k)
        _, log_s_up = _weibull_parts(upper, eta, k)
        return pt.switch(inside > 0, pm.math.logdiffexp(log_s, log_s_up), log_s)

    pm.CustomDist("lifespan", eta, shape, d["interval_of"], upper, logp=logp,
                  observed=d["time"])


def model_strata(d):
    """Weibull PH with a baseline (level and shape) per stratum."""
    import pymc as pm

    intercept, beta, u = linear_terms(d)
    s = d["idx_strata"]
    n_strata = int(s.max()) + 1
    dev = pm.ZeroSumNormal("strata_dev", sigma=1.0, shape=n_strata)
    shape = pm.LogNormal("shape", 0.0, 0.5, shape=n_strata)
    weibull_censored(d, shape[s], linear_eta(d, intercept, beta, u) + dev[s])


def model_shape(d):
    """Weibull PH whose shape depends on covariates: ``k_i = k exp(Z_i @ beta_shape)``."""
    import pymc as pm

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    beta_shape = pm.Normal("beta_shape", 0.0, 0.5, shape=d["Z_shape"].shape[1])
    shape_i = shape * pm.math.exp(pm.math.dot(d["Z_shape"], beta_shape))
    weibull_censored(d, shape_i, linear_eta(d, intercept, beta, u))


def _member_term(d, weights: str):
    """``sum_m w_m (x_m @ beta_mm + sd_mm z_m)`` per coalition; weights equal or share^gamma."""
    import pymc as pm
    import pytensor.tensor as pt

    coal, member = d["mm_coalition"], d["mm_member"]
    n = len(d["time"])
    beta_mm = pm.Normal("beta_mm", 0.0, 1.0, shape=d["mm_X"].shape[1])
    sd_mm = pm.HalfNormal("sd_mm", 1.0)
    z_mm = pm.Normal("z_mm", 0.0, 1.0, shape=int(member.max()) + 1)
    if weights == "power":
        gamma = pm.HalfNormal("gamma", 1.5)
        raw = pm.math.exp(gamma * np.log(d["mm_share"]))
        w = raw / pt.zeros(n)[coal].inc(raw)[coal]
    else:
        w = 1.0 / np.bincount(coal, minlength=n)[coal]
    contrib = pm.math.dot(d["mm_X"], beta_mm) + sd_mm * z_mm[member]
    return pt.zeros(n)[coal].inc(w * contrib)


def model_mm(weights):
    def build(d):
        import pymc as pm

        intercept, beta, u = linear_terms(d)
        shape = pm.LogNormal("shape", 0.0, 0.5)
        eta = linear_eta(d, intercept, beta, u) + _member_term(d, weights)
        weibull_censored(d, shape, eta)

    build.__doc__ = f"Weibull PH + mm(finance + cohesion), {weights} weights."
    return build


def model_cure(d):
    """Weibull PH mixture cure, logit link: ``S = pi + (1 - pi) S_u``."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = linear_eta(d, intercept, beta, u)
    c0 = pm.Normal("cure_intercept", 0.0, 1.5)
    c1 = pm.Normal("cure_beta", 0.0, 1.0, shape=d["Z_cure"].shape[1])
    logit = c0 + pm.math.dot(d["Z_cure"], c1)

    def logp(t, eta, k, logit, event):
        log_h, log_s = _weibull_parts(t, eta, k)
        log_pi, log1m_pi = -pt.softplus(-logit), -pt.softplus(logit)
        return pt.switch(event > 0, log1m_pi + log_h + log_s,
                         pt.logaddexp(log_pi, log1m_pi + log_s))

    pm.CustomDist("lifespan", eta, shape, logit, d["event_of"], logp=logp, observed=d["time"])


def piecewise_baseline(d):
    """``(eta, dev, exposure(t), where(t))``: the piecewise baseline's sum-to-zero random walk."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    eta = linear_eta(d, intercept, beta, u)
    cuts = d["cuts"]
    lower, upper = np.concatenate([[0.0], cuts]), np.concatenate([cuts, [np.inf]])
    rw_sd = pm.LogNormal("rw_sd", -1.4, 0.5)
    step = pm.Normal("rw_step", 0.0, rw_sd, shape=len(cuts))
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(step)])
    dev = pm.Deterministic("log_baseline_dev", walk - walk.mean())

    def exposure(t):  # time spent in each interval up to t
        return np.clip(np.asarray(t)[:, None] - lower, 0.0, upper - lower)

    def where(t):  # interval of each exit, (c_j-1, c_j]
        return np.searchsorted(cuts, t, side="left")

    return eta, dev, exposure, where


def model_piecewise(d):
    """Piecewise-constant baseline hazard: a sum-to-zero random walk of log rates (K cuts)."""
    import pymc as pm
    import pytensor.tensor as pt

    eta, dev, exposure, where = piecewise_baseline(d)
    t = d["time"]
    # a vector parameter does not broadcast with the rows: the log likelihood as a Potential
    loglik = (d["event_of"] * (eta + dev[where(t)])
              - pt.exp(eta) * pt.dot(exposure(t), pt.exp(dev)))
    pm.Potential("lifespan", loglik.sum())


def model_tve_pw(d):
    """Weibull PH with a piecewise-constant effect of power_hhi: log HR ``beta + dev_j``."""
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = linear_eta(d, intercept, beta, u)
    cuts = d["tve_cuts_0"]
    x = d["X_tve"][:, 0]
    where = np.searchsorted(cuts, d["time"], side="left")
    tve_sd = pm.HalfNormal("tve_sd_power_hhi", 0.5)
    step = pm.Normal("tve_step_power_hhi", 0.0, 1.0, shape=len(cuts))
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(tve_sd * step)])
    dev = pm.Deterministic("tve_dev_power_hhi", walk - walk.mean())
    bounds = np.concatenate([[0.0], cuts, [np.inf]])

    t = d["time"]
    log_h, _ = _weibull_parts(t, eta, shape)
    cum = 0.0
    for j, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        # cumulative baseline hazard inside (lo, hi], times the effect there
        a = pt.exp(shape * np.log(np.clip(t, lo, hi)) + eta)
        b = pt.exp(shape * np.log(lo) + eta) if lo > 0 else 0.0
        cum = cum + pt.exp(x * dev[j]) * (a - b)
    # a vector parameter does not broadcast with the rows: the log likelihood as a Potential
    pm.Potential("lifespan", (d["event_of"] * (log_h + x * dev[where]) - cum).sum())


def aft_eta(d, log_time_scale):
    """AFT location from the standardised intercept and coefficients: ``(eta, ...)``."""
    import pymc as pm

    intercept_std, beta_std, u = linear_terms(d, aft=True)
    intercept = pm.Deterministic("intercept", intercept_std * log_time_scale)
    beta = pm.Deterministic("beta", beta_std * log_time_scale)
    return linear_eta(d, intercept, beta, u)


def model_gamma(d):
    """Gamma AFT: ``T / e^eta ~ Gamma(k, 1)``, priors on ``eta * sqrt(k)``."""
    import pymc as pm

    shape = pm.LogNormal("shape", 0.0, 0.5)
    eta = aft_eta(d, 1.0 / pm.math.sqrt(shape))
    dist = pm.Gamma.dist(alpha=shape, beta=pm.math.exp(-eta))
    pm.Censored("lifespan", dist, lower=None, upper=censor_upper(d), observed=d["time"])


def model_gengamma(d):
    """Generalised gamma (Prentice) AFT: ``w = (log t - eta) / sigma``, shape Q (Q != 0)."""
    import pymc as pm
    import pytensor.tensor as pt

    sigma = pm.LogNormal("sigma", 0.0, 0.5)
    Q = pm.Normal("Q", 0.0, 1.0)
    eta = aft_eta(d, sigma)

    def logp(t, eta, sigma, Q, event):
        # coalsurv switches to a series around the log-normal for |Q| < 1e-3; here Q is kept
        # at least 1e-3 from 0 (the density is continuous in Q there)
        Q = pt.switch(pt.abs(Q) < 1e-3, pt.switch(Q < 0, -1e-3, 1e-3), Q)
        log_t = pt.log(t)
        a = 1.0 / Q ** 2
        log_u = -2.0 * pt.log(pt.abs(Q)) + Q * (log_t - eta) / sigma
        uu = pt.exp(log_u)
        log_f = pt.log(pt.abs(Q)) - pt.log(sigma) - log_t + a * log_u - uu - pt.gammaln(a)
        log_s = pt.switch(Q > 0, pt.log(pt.gammaincc(a, uu)), pt.log(pt.gammainc(a, uu)))
        return pt.switch(event > 0, log_f, log_s)

    pm.CustomDist("lifespan", eta, sigma, Q, d["event_of"], logp=logp, observed=d["time"])


def spline_basis(x, knots, order):
    """Flexsurv's natural-cubic basis / (kmax - kmin)^2, centred at x = 0 (coalsurv's rp)."""
    kmin, kmax, inner = knots[0], knots[-1], knots[1:-1]
    lam = (kmax - inner) / (kmax - kmin)

    def raw(x, order):
        def cube(v):
            pos = np.maximum(v, 0.0)
            return (pos ** 3, 3.0 * pos ** 2)[order]

        col = np.asarray(x, dtype=float)[..., None]
        out = cube(col - inner) - lam * cube(col - kmin) - (1.0 - lam) * cube(col - kmax)
        return out / (kmax - kmin) ** 2

    zero = np.zeros(())
    if order == 1:
        return raw(x, 1) - raw(zero, 1)
    return raw(x, 0) - raw(zero, 0) - raw(zero, 1) * np.asarray(x)[..., None]


def rp_spline(d):
    """Return the rp rows' ``(log t, s, s')``, with ``rp_slope``, ``rp_spline``, ``rp_monotone``.

    ``s = eta + slope log t + w(log t) @ coef`` on either scale (hazard: ``log H = s``; odds:
    ``log((1 - S) / S) = s``), the prior truncated to increasing splines.
    """
    import pymc as pm
    import pytensor.tensor as pt

    intercept, beta, u = linear_terms(d)
    eta = linear_eta(d, intercept, beta, u)
    knots = d["log_knots"]
    x = np.log(d["time"])
    w0, w1 = spline_basis(x, knots, 0), spline_basis(x, knots, 1)
    slope = pm.LogNormal("rp_slope", 0.0, 0.5)
    coef = pm.Normal("rp_spline", 0.0, 1.0, shape=len(knots) - 2)
    # the prior truncated to increasing splines: s' > 0 on a fine grid over the knots' span
    grid = spline_basis(np.linspace(knots[0], knots[-1], 400), knots, 1)
    pm.Potential("rp_monotone", pt.switch(pt.all(slope + pt.dot(grid, coef) > 0), 0.0, -np.inf))
    return x, eta + slope * x + pt.dot(w0, coef), slope + pt.dot(w1, coef)


def model_rp(d):
    """Royston-Parmar: ``log H = eta + s(log t)``, an increasing natural cubic spline."""
    import pymc as pm
    import pytensor.tensor as pt

    x, s, ds = rp_spline(d)
    # a vector parameter does not broadcast with the rows: the log likelihood as a Potential
    pm.Potential("lifespan", (d["event_of"] * (pt.log(ds) - x + s) - pt.exp(s)).sum())


#: row of the family table -> hand-written model builder (reads the exported arrays).
BUILDERS = {
    "exponential": model_exponential,
    "weibull": model_weibull,
    "weibull_aft": model_weibull_aft,
    "lognormal": model_lognormal,
    "loglogistic": model_loglogistic,
    "gompertz": model_gompertz,
    "piecewise": model_piecewise,
    "weibull+interval": model_interval,
    "weibull+strata": model_strata,
    "weibull+shape": model_shape,
    "weibull+mm(power)": model_mm("power"),
    "weibull+mm(equal)": model_mm("equal"),
    "weibull+cure": model_cure,
    "weibull+tve(pw)": model_tve_pw,
    "gamma": model_gamma,
    "gengamma": model_gengamma,
    "rp": model_rp,
}


def builder(row: str):
    """Return the hand-written model builder of a row (here, or plain_models_more / _rows)."""
    if row in BUILDERS:
        return BUILDERS[row]
    import plain_models_more
    import plain_models_rows

    return {**plain_models_more.BUILDERS, **plain_models_rows.BUILDERS}[row]


def fit_plain(row: str, npz: str, draws: int, *, seed: int = 1):
    """Build the row's plain model from the exported arrays and ``pm.sample`` it (4 chains)."""
    import pymc as pm

    with np.load(npz) as f:
        d = {k: f[k] for k in f.files}
    with pm.Model():
        builder(row)(d)
        idata = pm.sample(draws=draws, tune=draws, chains=4, random_seed=seed,
                          progressbar=False, compute_convergence_checks=False)
    return idata
