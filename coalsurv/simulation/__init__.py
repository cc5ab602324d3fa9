r"""Theory-grounded generator of coalition histories with known true parameters.

Generative story (all times in months unless ``time_unit`` says otherwise; defaults in
:func:`default_params`):

1. **Groups.** ``n_groups`` countries / wars / eras, labelled ``G01, G02, …``, each with a shared
   log-normal frailty: a log-hazard shift :math:`b_g \sim N(0, \sigma_b^2)`, ``frailty_sd``
   :math:`= \sigma_b`, the same shift for every ending. Each coalition belongs to a group drawn
   uniformly.
2. **Members.** A coalition has :math:`n \in \{2, …, 6\}` members (uniform). Power shares are
   Dirichlet(:math:`\alpha`) — a coalition is rarely one of equals. Left–right positions (0–10)
   scatter around a coalition centre with a coalition-specific spread (log-normal). Issue
   portfolios over ``n_issues`` areas: each coalition has a cohesion :math:`c \sim`
   Beta(a, b) and a core agenda (each area with probability ``issue_prevalence``); a member holds
   a core area with probability :math:`0.35 + 0.6c` and any other area with probability
   :math:`0.35(1-c)` (at least one area each). Cohesive coalitions therefore share more.
3. **Covariates** (from :mod:`coalsurv.covariates`, raw units, one row per coalition):
   ``n_members``; ``power_hhi`` (Herfindahl index of shares) and ``power_hhi_sq`` (its square);
   ``leader_share``; ``banzhaf_max`` (largest Banzhaf index, simple majority quota);
   ``breadth`` = ``interest_jaccard`` (mean pairwise Jaccard overlap of issue portfolios, 0–1);
   ``ideological_breadth`` = ``breadth_sd`` (**minus** the SD of positions: larger = closer).
4. **Endings.** Three cause-specific Weibull proportional-hazards models (latent competing
   times, independent given covariates and frailty):

   .. math::

       h_c(t \mid x, g) = \frac{k_c}{\lambda_c}\Big(\frac{t}{\lambda_c}\Big)^{k_c-1}
       \exp\Big\{\sum_j \beta_{cj}(x_j - r_j) + b_g\Big\}

   with shape :math:`k_c`, scale :math:`\lambda_c` (months, at the reference covariate profile
   :math:`r`) and coefficients per *raw* unit. Equivalently, in :mod:`coalsurv.families`' form
   ``weibull_ph`` with :math:`H = t^{k} e^{\eta}`, :math:`\eta = \alpha_c + \sum_j \beta_{cj}
   x_j + b_g` and intercept :math:`\alpha_c = -k_c \log\lambda_c - \sum_j \beta_{cj} r_j`
   (in ``truth``). ``dissolution`` falls with breadth and is U-shaped in power concentration
   (quadratic in ``power_hhi``: both coalitions of equals and hegemonic ones break up more
   easily; minimum at ``power_hhi`` = 0.5); ``goal_reached`` (disbanding once the goal is met)
   rises with breadth and concentration (a leader drives to the goal); ``alliance``
   (transformation) rises strongly with breadth and with age (:math:`k > 1`).
5. **Observation.** Administrative censoring at a fixed horizon after formation
   (``admin_censor``) and random exponential censoring (``random_censor_rate``). Delayed entry:
   a share ``delayed_entry_share`` of generated coalitions is observed only from a time
   ``U(0, entry_max)`` after formation; those that ended (or were censored) before it are never
   seen (left truncation). Generation continues until ``n_coalitions`` *observed* coalitions
   exist; ``truth["n_generated"]`` counts all. Interval censoring: a share ``interval_share`` of
   the observed endings is known only to a calendar year since formation, ``(lower, upper]``
   with ``lower = max(entry, 12⌊t/12⌋)``, ``upper = min(12⌊t/12⌋ + 12, censoring time)``; their
   ``duration`` is missing (NaN).

Latent ending times are drawn with the family's own inverse-transform sampling
(``coalsurv.families.get_family("weibull").quantile``). Everything is deterministic given
``seed`` (one :class:`numpy.random.Generator`).

Modules: :mod:`~coalsurv.simulation.params` (defaults and overrides),
:mod:`~coalsurv.simulation.members` (member tables, covariates),
:mod:`~coalsurv.simulation.generator` (the generator), :mod:`~coalsurv.simulation.truth`
(the record of true parameters).
"""

from __future__ import annotations

from coalsurv.simulation.generator import SimulationResult, simulate, simulate_single_cause
from coalsurv.simulation.params import COVARIATES, MONTHS_PER_UNIT, default_params

__all__ = [
    "SimulationResult",
    "simulate",
    "simulate_single_cause",
    "default_params",
    "COVARIATES",
    "MONTHS_PER_UNIT",
]
