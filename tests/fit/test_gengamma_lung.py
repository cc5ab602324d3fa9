"""Generalised gamma and gamma on real data (R survival's ``lung``) against maximum likelihood.

References, each independent of coalsurv:

- generalised gamma: lifelines' ``GeneralizedGammaRegressionFitter`` (Prentice's mu, sigma,
  lambda = Q; covariates on mu), whose estimates here are survreg's published Weibull fit of
  ``Surv(time, status) ~ age + sex`` on lung (6.27, -0.0123, 0.382, log scale -0.281) up to
  Q = 0.986, i.e. the data say "Weibull";
- gamma: the log likelihood written in this file (scipy's ``gammaincc`` and ``gammaln``)
  maximised by ``scipy.optimize.minimize``.

Under coalsurv's weak default priors the posterior medians (per original unit) must lie within
0.4 posterior SD of the MLE (0.2 before the native kernel ran these, issue 23: the gap moves
with the seed on either route; measured for the gamma shape, median 1.498 / 1.475 on the PyMC
graph and 1.484 / 1.489 natively with seeds 1 / 2, MLE 1.522, posterior SD 0.14, i.e. 0.17 to
0.34 SD on the graph itself). Measured on the shared 2-core machine: 37 s (gengamma) and
~25 s (gamma) on the graph, 19 s and 5 s natively, 2 chains x 1000 draws each.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.special as sc

from coalsurv import CoalitionData, SurvivalModel

pytestmark = pytest.mark.slow


def _lung():
    from lifelines.datasets import load_lung

    df = load_lung()[["time", "status", "age", "sex"]].dropna().reset_index(drop=True)
    df["ended"] = np.where(df["status"] == 1, "death", "censored")
    return df


def _fit(df, family):
    data = CoalitionData.from_frame(df, duration="time", event="ended",
                                    covariates=["age", "sex"], time_unit="days")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SurvivalModel("age + sex", family=family).fit(
            data, draws=1000, tune=1000, chains=2, random_seed=1, progressbar=False)


def _per_unit(fit):
    """Draws of the AFT intercept (raw covariates at 0, data's time unit) and slopes per unit."""
    post = fit.idata["posterior"]
    beta = post["beta"].values.reshape(-1, len(fit.info.terms))
    per_unit = beta / np.asarray(fit.info.sds)
    intercept = (post["intercept"].values.reshape(-1) + np.log(fit.info.time_scale)
                 - per_unit @ np.asarray(fit.info.means))
    return intercept, per_unit


def _close(draws, reference, name, tol=0.4):
    gap = abs(np.median(draws) - reference) / np.std(draws)
    assert gap < tol, f"{name}: posterior median {np.median(draws):.4g} vs MLE {reference:.4g} " \
                      f"({gap:.2f} posterior SD)"


def test_gengamma_on_lung_matches_lifelines_mle():
    from lifelines import GeneralizedGammaRegressionFitter

    df = _lung()
    mle = GeneralizedGammaRegressionFitter(penalizer=0.0).fit(
        df[["time", "status", "age", "sex"]], "time", "status",
        regressors={"mu_": "age + sex + 1", "sigma_": "1", "lambda_": "1"}).params_
    fit = _fit(df, "gengamma")
    intercept, per_unit = _per_unit(fit)
    post = fit.idata["posterior"]
    _close(intercept, mle[("mu_", "Intercept")], "intercept")
    _close(per_unit[:, 0], mle[("mu_", "age")], "age")
    _close(per_unit[:, 1], mle[("mu_", "sex")], "sex")
    _close(post["sigma"].values.reshape(-1), np.exp(mle[("sigma_", "Intercept")]), "sigma")
    _close(post["Q"].values.reshape(-1), mle[("lambda_", "Intercept")], "Q")


def _gamma_mle(df):
    """Gamma AFT MLE: shape k, log scale = b0 + b1 age + b2 sex; right-censored."""
    t, d = df["time"].to_numpy(float), (df["status"] == 1).to_numpy()
    X = np.column_stack([np.ones(len(df)), df["age"], df["sex"]])

    def nll(p):
        k = np.exp(p[0])
        x = t * np.exp(-(X @ p[1:]))
        log_f = k * np.log(x) - x - sc.gammaln(k) - np.log(t)
        log_s = np.log(np.maximum(sc.gammaincc(k, x), 1e-300))
        return -np.sum(np.where(d, log_f, log_s))

    start = np.array([0.0, np.log(t.mean()), 0.0, 0.0])
    res = so.minimize(nll, start, method="Nelder-Mead",
                      options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-10})
    assert res.success
    return np.exp(res.x[0]), res.x[1:]


def test_gamma_on_lung_matches_scipy_mle():
    df = _lung()
    shape, coef = _gamma_mle(df)
    fit = _fit(df, "gamma")
    intercept, per_unit = _per_unit(fit)
    shape_name = next(p.posterior_name for p in fit.family.parameters)
    _close(intercept, coef[0], "intercept")
    _close(per_unit[:, 0], coef[1], "age")
    _close(per_unit[:, 1], coef[2], "sex")
    _close(fit.idata["posterior"][shape_name].values.reshape(-1), shape, "shape")
