"""Posterior summaries side by side with the maximum-likelihood fit (lifelines or scipy)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from coalsurv._stats import stack_draws, summarise
from coalsurv.diagnostics.checks import Check, graded, skipped
from coalsurv.diagnostics.common import Outcomes, outcomes

_LIFELINES = {"weibull": ("WeibullAFTFitter", "lambda_"),
              "weibull_ph": ("WeibullAFTFitter", "lambda_"),
              "weibull_aft": ("WeibullAFTFitter", "lambda_"),
              "lognormal": ("LogNormalAFTFitter", "mu_"),
              "loglogistic": ("LogLogisticAFTFitter", "alpha_"),
              "piecewise": ("CoxPHFitter", None)}


def mle_side_by_side(fit, *, ci_prob: float = 0.95) -> pd.DataFrame | None:
    r"""Posterior summaries next to the maximum-likelihood fit of the same fixed-effects model.

    On the per-unit coefficient scale of the model: log hazard ratio (PH) or log time ratio (AFT).
    The MLE comes from lifelines (Weibull/log-normal/log-logistic AFT fitters; Weibull PH via
    :math:`\beta_{PH} = -\rho\,\beta_{AFT}` with a delta-method SE; Cox for ``piecewise``) or
    from scipy with the family's own likelihood (``exponential``, ``gompertz``). Each modelled
    ending is fitted with the others as censoring. Interval-censored rows enter with their
    bounds (lifelines' ``fit_interval_censoring``; the family likelihood's ``log(S(l) - S(u))``
    for the scipy families). A model with group terms is compared with the **frailty-free**
    MLE of the same fixed effects (lifelines fits no frailty; ``attrs["reference"]``), which a
    frailty is expected to move (PH coefficients are attenuated towards zero without it).

    Returns
    -------
    DataFrame or None
        Columns ``cause`` (several endings), ``term``, ``bayes_mean``, ``bayes_lower``,
        ``bayes_upper``, ``mle``, ``mle_se``, ``diff_in_posterior_sd``, ``source``; None when the
        model has no covariates, or is ``piecewise`` with interval-censored rows (the Cox
        partial likelihood has no interval form; ``attrs`` cannot say it, so
        :func:`mle_check` does).
    """
    info = fit.info
    if not info.terms or "beta" not in fit.idata["posterior"]:
        return None
    out = outcomes(fit)
    if out.interval.any() and info.family == "piecewise":
        return None
    sds = np.asarray(info.sds, dtype=float)
    beta = stack_draws(fit.idata["posterior"]["beta"].values) / sds  # (S, K, p) per unit
    raw = fit.design.X * sds + np.asarray(info.means)
    names = [f"x{j}" for j in range(raw.shape[1])]
    rows = []
    for k, cause in enumerate(info.causes):
        event = out.code == k + 1
        est, se, source = _mle_one(fit, raw, names, out, event)
        stat = summarise(beta[:, k, :], ci_prob)
        post_sd = beta[:, k, :].std(axis=0, ddof=1)
        for j, term in enumerate(info.terms):
            rows.append({"cause": cause, "term": term, "bayes_mean": stat["mean"][j],
                         "bayes_lower": stat["lower"][j], "bayes_upper": stat["upper"][j],
                         "mle": est[j], "mle_se": se[j],
                         "diff_in_posterior_sd": (stat["mean"][j] - est[j]) / post_sd[j],
                         "source": source})
    table = pd.DataFrame(rows)
    if len(info.causes) == 1:
        table = table.drop(columns="cause")
    table.attrs.update(
        ci_prob=ci_prob, scale="log hazard ratio per unit" if info.kind == "ph"
        else "log time ratio per unit",
        reference=("frailty-free MLE (the same fixed effects without the group terms"
                   + (" and the mm() term" if info.members else "") + ")"
                   if info.factors or info.members else "MLE of the same model"),
        note=(f"the MLE ignores the {_ignored(info)} (lifelines fits no frailty"
              + (" and no member term" if info.members else "")
              + "): differences in fixed effects are expected"
              if info.factors or info.members else ""))
    return table


def _ignored(info) -> str:
    """Name what the frailty-free MLE leaves out: the group terms and / or the mm() term."""
    parts = (["group terms"] if info.factors else []) + (["mm() term"] if info.members else [])
    return " and the ".join(parts)


def _mle_one(fit, raw: np.ndarray, names: list[str], out: Outcomes, event: np.ndarray):
    family = fit.info.family
    frame = pd.DataFrame(raw, columns=names)
    frame["T"], frame["E"] = out.exit, event.astype(int)
    entry_col = None
    if np.any(out.entry > 0):
        frame["entry"], entry_col = out.entry, "entry"
    interval = out.interval & event
    if family in _LIFELINES:
        import lifelines

        cls_name, param = _LIFELINES[family]
        fitter = getattr(lifelines, cls_name)()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if interval.any():  # exact: l = u; right-censored: u = inf; interval: (l, u]
                frame["L"] = out.time
                frame["U"] = np.where(interval, out.upper, np.where(event, out.time, np.inf))
                fitter.fit_interval_censoring(frame.drop(columns=["T", "E"]), "L", "U",
                                              entry_col=entry_col)
                cls_name += ".fit_interval_censoring"
            else:
                fitter.fit(frame, "T", "E", entry_col=entry_col)
        if param is None:
            return (fitter.params_[names].to_numpy(), fitter.standard_errors_[names].to_numpy(),
                    f"lifelines {cls_name}")
        est = np.array([fitter.params_[(param, c)] for c in names])
        cov = fitter.variance_matrix_
        var = np.array([cov.loc[(param, c), (param, c)] for c in names])
        if family in ("weibull", "weibull_ph"):  # beta_PH = -rho * beta_AFT (delta method)
            r = float(fitter.params_[("rho_", "Intercept")])
            rho = np.exp(r)
            v_rr = cov.loc[("rho_", "Intercept"), ("rho_", "Intercept")]
            v_br = np.array([cov.loc[(param, c), ("rho_", "Intercept")] for c in names])
            var = rho ** 2 * (var + est ** 2 * v_rr + 2 * est * v_br)
            est = -rho * est
        return est, np.sqrt(var), f"lifelines {cls_name}"
    return _scipy_mle(fit, out, event)


def _scipy_mle(fit, out: Outcomes, event: np.ndarray):
    """MLE with the family's own log hazard / log survival (families lifelines lacks)."""
    from scipy.optimize import minimize

    info = fit.info
    fam = info.family_object()
    tau, sds = info.time_scale, np.asarray(info.sds)
    X, p = fit.design.X, fit.design.X.shape[1]
    sizes = [int(np.prod(fam.param_shapes.get(n, ()))) for n in fam.params]  # rp: a vector
    q = sum(sizes)
    offsets = np.cumsum([0, *sizes])
    t, e = out.exit / tau, out.entry / tau
    interval = out.interval & event
    lo, up = out.time / tau, np.where(interval, out.upper, 2.0 * out.time + 1.0) / tau

    def nll(theta):
        eta = theta[0] + X @ theta[1:p + 1]
        tail = theta[p + 1:]
        params = {name: (np.exp(tail[offsets[i]]) if not fam.param_shapes.get(name)
                         else tail[offsets[i]:offsets[i + 1]])  # a vector: on its own scale
                  for i, name in enumerate(fam.params)}
        with np.errstate(all="ignore"):
            log_entry = np.where(e > 0, fam.log_survival(np.maximum(e, 1e-300), eta, **params),
                                 0.0)
            ll = (event * fam.log_hazard(t, eta, **params) + fam.log_survival(t, eta, **params)
                  - log_entry)
            if interval.any():  # log(S(l) - S(u)) - log S(entry)
                ll = np.where(interval, fam.log_interval(lo, up, eta, **params) - log_entry, ll)
        value = -float(np.sum(ll))
        return value if np.isfinite(value) else 1e300

    start = np.zeros(1 + p + q)
    start[0] = info.intercept_centre[0] if info.intercept_centre else 0.0
    res = minimize(nll, start, method="BFGS")
    res = minimize(nll, res.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10,
                                                            "maxiter": 4000})
    theta = res.x
    hess = _hessian(nll, theta)
    cov = np.linalg.pinv(hess)
    est = theta[1:p + 1] / sds
    se = np.sqrt(np.clip(np.diag(cov)[1:p + 1], 0, None)) / sds
    return est, se, "scipy (family likelihood)"


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    n = x.size
    h = np.empty((n, n))
    eye = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            h[i, j] = h[j, i] = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j])
                                 - f(x - eye[i] + eye[j])
                                 + f(x - eye[i] - eye[j])) / (4 * step ** 2)
    return h


def mle_check(fit, table: pd.DataFrame | None) -> Check:
    """Largest |posterior mean - MLE| in posterior SDs.

    With group terms the reference is the frailty-free MLE of the same fixed effects, and the
    check says so (detail and advice): a frailty is expected to move the coefficients.
    """
    thr = "|posterior mean - MLE| <= 1 posterior SD pass; else warn"
    if table is None:
        why = ("the model has no covariates" if not fit.info.terms else
               "piecewise with interval-censored rows: the Cox partial likelihood has no "
               "interval-censored form")
        return skipped("mle_agreement", thr, why)
    d = np.abs(table["diff_in_posterior_sd"].to_numpy())
    i = int(np.nanargmax(d))
    left_out = [f"(1 | {f})" for f in fit.info.factors]
    left_out += [fit.info.members["formula"]] if fit.info.members else []
    frailty = bool(left_out)
    against = ("the frailty-free MLE (" + ", ".join(left_out) + " left out; " if frailty
               else "the MLE (")
    advice = ("the frailty moves the fixed effects: without it PH coefficients shrink towards "
              "zero, by more the larger the group SD — a difference is expected here; check "
              "that it matches the posterior of the group SDs"
              + ("; the left-out mm() term moves them too (its member effects like a frailty, "
                 "its member covariates like omitted variables)" if fit.info.members else "")
              if frailty else
              "the posterior is pulled away from the MLE: the prior is informative relative to "
              "these data — check that it is intended")
    return graded("mle_agreement", float(d[i]), thr, good=lambda v: v <= 1, ok=lambda v: True,
                  detail=f"largest for {table['term'].iloc[i]}; against {against}"
                         f"{table['source'].iloc[i]})", advice=advice)
