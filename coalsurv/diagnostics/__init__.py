r"""Convergence and model checks of a fitted model, each with a verdict and advice in plain words.

:func:`diagnose` (also ``Fit.diagnose()``) returns a :class:`Diagnosis`: a list of
:class:`Check` values (``pass`` / ``warn`` / ``fail``, or ``skipped`` with the reason when a check
cannot be computed — a check never makes :func:`diagnose` fail) and the tables behind them.

Sampler checks (thresholds after Vehtari et al. 2021, *Rank-normalization ... R-hat*, and Betancourt
2017, *A conceptual introduction to HMC*):

=============  ==========================================================  ======================
check          value                                                       pass / warn / fail
=============  ==========================================================  ======================
r_hat          largest rank-normalised split R-hat of any parameter        < 1.01 / < 1.05 / else
ess_bulk       smallest bulk effective sample size                         > 400 / > 100 / else
ess_tail       smallest tail (5 % and 95 % quantile) ESS                   > 400 / > 100 / else
divergences    share of post-warm-up draws that diverged                   0 / <= 0.5 % / else
e_bfmi         smallest energy Bayesian fraction of missing information    >= 0.3 / >= 0.2 / else
tree_depth     share of draws that hit the maximum tree depth              < 1 % / else warn
mcse           largest Monte Carlo SE of a posterior mean / posterior SD    < 0.1 / < 0.2 / else
=============  ==========================================================  ======================

Any divergence at least warns: even a few mean the sampler met curvature it could not follow,
and the draws near there are missing. Tree-depth saturation costs time, not validity (warn only).

Model checks (``checks=True``):

* ``pareto_k`` — PSIS-LOO (``arviz_stats.loo``): share of rows with Pareto :math:`\hat k > 0.7`
  (0 pass, <= 10 % warn, else fail); such rows dominate their leave-one-out estimate.
* ``ppc_km`` — posterior predictive check: the model's marginal survival
  :math:`\bar S(t) = n^{-1}\sum_i S(t \mid x_i)` (per draw, fitted rows with their own group
  effects) against Kaplan–Meier at 25 times up to the 90th percentile of follow-up; largest
  absolute gap of the posterior mean (< 0.05 pass, < 0.1 warn). With several modelled endings
  ``ppc_cif`` compares each marginal cumulative incidence with the Aalen–Johansen estimate.
* ``loo_pit`` — randomised LOO-PIT for censored data. For row :math:`i` with PSIS-LOO weights
  :math:`w_{is}` (``arviz_stats.loo`` smoothed log weights, self-normalised) the leave-one-out
  predictive CDF of the time to an ending is
  :math:`F_i(t) = \sum_s w_{is}\{1 - S_s(t)/S_s(e_i)\}` (conditional on surviving to entry
  :math:`e_i`). An exact ending at :math:`t_i` gives :math:`\mathrm{PIT}_i = F_i(t_i)`; a row
  right-censored at :math:`c_i` gives a uniform draw on :math:`(F_i(c_i), 1)` and an
  interval-censored one a uniform draw on :math:`(F_i(l_i), F_i(u_i))` (fixed seed). Under a
  correct model the values are uniform; the value is the largest ECDF deviation, judged against
  the 95 % Dvoretzky–Kiefer–Wolfowitz band :math:`\varepsilon` (<= ε pass, <= 1.5 ε warn).
* ``calibration`` — rows split into quintiles of predicted risk :math:`1 - \bar S_i(h)` at each
  horizon; the group's mean predicted survival against its Kaplan–Meier estimate, with
  :math:`z` = difference / combined SD; share of cells with :math:`|z| > 1.96`
  (<= 20 % pass, <= 40 % warn).
* ``mle_agreement`` — posterior means against the maximum-likelihood fit of the same model
  (:func:`mle_side_by_side`), largest difference in posterior SDs (<= 1 pass, else warn: the prior
  is informative there). Interval-censored rows enter the MLE with their bounds (lifelines'
  ``fit_interval_censoring``, or the family likelihood); a model with group terms is compared
  with the frailty-free MLE of its fixed effects, and the check's detail and advice say so.
  Skipped only without covariates, or for ``piecewise`` with interval-censored rows.

Tables without a verdict: ``discrimination`` — Harrell's C (``lifelines.utils.concordance_index``;
score ``-eta`` for PH, ``eta`` for AFT, predicted survival at the median follow-up with several
endings), Graf et al.'s (1999) IPCW Brier score at ``horizons`` and the integrated Brier score up
to the last horizon, each per posterior draw (at most ``max_draws``, evenly thinned) and
summarised by mean and equal-tailed interval, with the Kaplan–Meier (no-covariate) reference.
Interval-censored endings are placed at the midpoint of their interval for KM, C and Brier;
delayed entry is honoured by KM but not by C and Brier.
"""

from coalsurv.diagnostics.checks import VERDICTS, Check, Diagnosis  # noqa: F401 (VERDICTS: public)
from coalsurv.diagnostics.comparison import compare
from coalsurv.diagnostics.mle import mle_side_by_side
from coalsurv.diagnostics.run import diagnose
from coalsurv.diagnostics.sampler import convergence_table

__all__ = ["Check", "Diagnosis", "diagnose", "compare", "mle_side_by_side", "convergence_table"]
