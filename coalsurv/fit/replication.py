r"""Replication metrics between an original and a replication fit, per coefficient.

Coefficients are compared **per original unit** of each covariate (``beta_j / sd_j``), so the
two studies' standardisations do not matter. For each coefficient of each cause present in
both fits (matched by name):

* ``covers_original``: whether the replication's equal-tailed ``ci_prob`` interval contains
  the original posterior mean.
* ``overlap``: the overlapping coefficient of the two posteriors' normal approximations,
  :math:`\mathrm{OVL} = \int \min\{N(x; m_o, s_o^2),\, N(x; m_r, s_r^2)\}\,dx` (1 = identical,
  0 = disjoint), computed by quadrature on a fine grid.
* ``bf_rep``: the replication Bayes factor of Verhagen & Wagenmakers (2014) in its normal
  approximation. The proponent's hypothesis :math:`H_r` takes the original posterior
  :math:`N(m_o, s_o^2)` as the prior of the effect; the sceptic's :math:`H_0` says there is no
  effect, :math:`\delta = 0` (``sceptic_sd=0``) or, with ``sceptic_sd = \tau > 0``, a sceptical
  prior :math:`N(0, \tau^2)`. The replication data enter through their likelihood for the
  effect, approximated as :math:`N(\hat b; \delta, s_\ell^2)`, so

  .. math::

      \mathrm{BF}_{r0} = \frac{p(y_{rep} \mid H_r)}{p(y_{rep} \mid H_0)}
      = \frac{N(\hat b;\, m_o,\, s_o^2 + s_\ell^2)}{N(\hat b;\, 0,\, \tau^2 + s_\ell^2)}.

  :math:`\hat b` and :math:`s_\ell` are recovered from the replication posterior
  :math:`N(m_r, s_r^2)` and the prior the replication was fitted with, :math:`N(m_p, s_p^2)`
  (its marginal for a joint prior), by subtracting precisions:
  :math:`s_\ell^{-2} = s_r^{-2} - s_p^{-2}`,
  :math:`\hat b = s_\ell^2 (m_r / s_r^2 - m_p / s_p^2)` (exact for normal prior and
  likelihood). When the replication was fitted with the original posterior as its prior
  this equals the Savage–Dickey ratio :math:`N(0; m_o, s_o^2) / N(0; m_r, s_r^2)` inverted.
  ``BF > 1`` favours a successful replication, ``< 1`` the sceptic. Non-normal priors of the
  replication other than Normal / joint MvNormal give ``NaN`` with a note.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, stack_draws
from coalsurv.errors import ArgumentError
from coalsurv.spec.joint import JointPrior
from coalsurv.spec.mixture import JointMixture

__all__ = ["replication", "replication_bayes_factor", "normal_overlap", "likelihood_from_posterior"]


def _log_normal_pdf(x: float, mu: float, var: float) -> float:
    return -0.5 * (math.log(2 * math.pi * var) + (x - mu) ** 2 / var)


def replication_bayes_factor(b_hat: float, se: float, original_mean: float, original_sd: float,
                             *, sceptic_sd: float = 0.0) -> float:
    r"""Return the replication Bayes factor :math:`\mathrm{BF}_{r0}` (normal approximation).

    Parameters
    ----------
    b_hat, se : float
        The replication's likelihood for the effect, :math:`N(\hat b, s_\ell^2)`.
    original_mean, original_sd : float
        The original posterior, the proponent's prior.
    sceptic_sd : float
        0 for the point null :math:`\delta = 0`, else the SD of a sceptical ``N(0, tau^2)``.

    Returns
    -------
    float
        ``N(b_hat; m_o, s_o^2 + se^2) / N(b_hat; 0, tau^2 + se^2)``.
    """
    if se <= 0 or original_sd <= 0 or sceptic_sd < 0:
        raise ArgumentError("se and original_sd must be > 0 and sceptic_sd >= 0")
    log_bf = (_log_normal_pdf(b_hat, original_mean, original_sd ** 2 + se ** 2)
              - _log_normal_pdf(b_hat, 0.0, sceptic_sd ** 2 + se ** 2))
    return float(math.exp(min(log_bf, 700.0)))


def likelihood_from_posterior(post_mean: float, post_sd: float, prior_mean: float,
                              prior_sd: float) -> tuple[float, float]:
    """Return the normal likelihood ``(b_hat, se)`` implied by a normal posterior and prior.

    Precisions subtract: ``1/se^2 = 1/post_sd^2 - 1/prior_sd^2``; NaNs when the posterior is
    not narrower than the prior (the data carry no information the approximation can see).
    """
    precision = 1.0 / post_sd ** 2 - 1.0 / prior_sd ** 2
    if not np.isfinite(precision) or precision <= 0:
        return float("nan"), float("nan")
    var = 1.0 / precision
    return float(var * (post_mean / post_sd ** 2 - prior_mean / prior_sd ** 2)), math.sqrt(var)


def normal_overlap(m1: float, s1: float, m2: float, s2: float, *, n_grid: int = 20001) -> float:
    """Overlapping coefficient ``integral of min(N(m1, s1^2), N(m2, s2^2))`` by quadrature."""
    lo = min(m1 - 10 * s1, m2 - 10 * s2)
    hi = max(m1 + 10 * s1, m2 + 10 * s2)
    x = np.linspace(lo, hi, n_grid)
    p1 = np.exp(-0.5 * ((x - m1) / s1) ** 2) / (s1 * math.sqrt(2 * math.pi))
    p2 = np.exp(-0.5 * ((x - m2) / s2) ** 2) / (s2 * math.sqrt(2 * math.pi))
    return float(np.trapezoid(np.minimum(p1, p2), x))


def _per_unit(fit) -> np.ndarray:
    return stack_draws(fit.idata["posterior"]["beta"]) / np.asarray(fit.info.sds)[None, None, :]


def _prior_moments(fit, cause: str, j: int) -> tuple[float, float] | None:
    """Per-unit normal prior ``(mean, sd)`` the fit used for one coefficient, or None."""
    term, sd = fit.info.terms[j], float(fit.info.sds[j])
    priors = fit.priors
    several = len(fit.info.causes) > 1
    for key in ((f"beta_unit[{cause}:*]",) if several else ()) + ("beta_unit[*]",):
        joint = priors.explicit(key)
        if isinstance(joint, JointMixture) and term in joint.terms:
            return None  # a mixture is not normal: the normal-theory Bayes factor does not apply
        if isinstance(joint, JointPrior) and term in joint.terms:
            i = joint.terms.index(term)
            return joint.mu[i], math.sqrt(joint.cov[i][i])
    for key, per_unit in ((f"beta_unit[{cause}:{term}]", True), (f"beta[{cause}:{term}]", False),
                          (f"beta_unit[{term}]", True), (f"beta[{term}]", False),
                          ("beta", False)):
        prior = priors.explicit(key) if key != "beta" else priors.get("beta")
        if prior is None:
            continue
        if prior.dist != "Normal":
            return None
        mu, sigma = float(prior.params["mu"]), float(prior.params["sigma"])
        return (mu, sigma) if per_unit else (mu / sd, sigma / sd)
    return None  # pragma: no cover - "beta" always resolves


def replication(original_fit, replication_fit, *, ci_prob: float = DEFAULT_CI_PROB,
                sceptic_sd: float = 0.0) -> pd.DataFrame:
    """Compare a replication fit with the original, coefficient by coefficient.

    Parameters
    ----------
    original_fit, replication_fit : Fit
        Fits of the same terms (matched by name; causes matched by name).
    ci_prob : float
        Mass of the replication's equal-tailed interval used for ``covers_original``.
    sceptic_sd : float
        The sceptic's prior SD per original unit (0: the point null of Verhagen &
        Wagenmakers 2014).

    Returns
    -------
    pandas.DataFrame
        One row per shared (cause, term): ``cause``, ``term``, ``original_mean``,
        ``original_sd``, ``replication_mean``, ``replication_sd``, ``replication_lower``,
        ``replication_upper``, ``ci_prob``, ``covers_original``, ``overlap``, ``bf_rep``,
        ``log10_bf_rep``, ``note`` (per original unit; formulas in the module docstring).
    """
    ci_prob = check_ci_prob(ci_prob)
    if sceptic_sd < 0:
        raise ArgumentError(f"sceptic_sd must be >= 0, got {sceptic_sd!r}")
    o_info, r_info = original_fit.info, replication_fit.info
    shared = [t for t in r_info.terms if t in o_info.terms]
    causes = [c for c in r_info.causes if c in o_info.causes]
    if not shared or not causes:
        raise ArgumentError(
            f"the fits share no coefficient: original terms {list(o_info.terms)} causes "
            f"{list(o_info.causes)}, replication terms {list(r_info.terms)} causes "
            f"{list(r_info.causes)}")
    o_draws, r_draws = _per_unit(original_fit), _per_unit(replication_fit)
    tail = (1 - ci_prob) / 2
    rows = []
    for cause in causes:
        ko, kr = o_info.causes.index(cause), r_info.causes.index(cause)
        for term in shared:
            jo, jr = o_info.terms.index(term), r_info.terms.index(term)
            o, r = o_draws[:, ko, jo], r_draws[:, kr, jr]
            mo, so = float(o.mean()), float(o.std(ddof=1))
            mr, sr = float(r.mean()), float(r.std(ddof=1))
            lower, upper = (float(v) for v in np.quantile(r, [tail, 1 - tail]))
            note, bf = "", float("nan")
            moments = _prior_moments(replication_fit, cause, jr)
            if moments is None:
                note = "replication prior is not normal: no Bayes factor"
            else:
                b_hat, se = likelihood_from_posterior(mr, sr, *moments)
                if np.isfinite(se):
                    bf = replication_bayes_factor(b_hat, se, mo, so, sceptic_sd=sceptic_sd)
                else:
                    note = "replication posterior not narrower than its prior: no Bayes factor"
            rows.append({"cause": cause, "term": term, "original_mean": mo, "original_sd": so,
                         "replication_mean": mr, "replication_sd": sr,
                         "replication_lower": lower, "replication_upper": upper,
                         "ci_prob": ci_prob, "covers_original": bool(lower <= mo <= upper),
                         "overlap": normal_overlap(mo, so, mr, sr), "bf_rep": bf,
                         "log10_bf_rep": math.log10(bf) if bf > 0 else float("nan"),
                         "note": note})
    out = pd.DataFrame(rows)
    out.attrs.update(scale="per original unit", sceptic_sd=sceptic_sd,
                     original=original_fit.fit_id, replication=replication_fit.fit_id)
    return out
