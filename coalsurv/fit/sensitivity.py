"""Power-scaling sensitivity of each parameter to the prior and to the likelihood.

Uses the maintained implementation, :func:`arviz_stats.psense_summary` (Kallioinen et al.
2024, the method of R's priorsense): the prior (or the likelihood) is raised to a power
``alpha`` near 1 (0.99 and 1.01), the posterior reweighted by Pareto-smoothed importance
sampling, and the sensitivity is the derivative of the cumulative Jensen–Shannon distance of
each parameter's marginal with respect to ``log2(alpha)``. Values above ``threshold`` (0.05)
are sensitive. Diagnosis: both sensitive — **prior-data conflict**; prior sensitive but not
the likelihood — **strong prior, weak likelihood**; otherwise ``-``.

Only the top-level priors are scaled (``intercept``/``intercept_offset``, ``beta`` or the
joint prior's ``*_joint_z``, family parameters, group SDs); the standard-normal level effects
``z_*`` and random-walk steps are part of the hierarchical likelihood structure, not prior
information, and are left alone. The fit needs a ``log_prior`` group (added by
:func:`coalsurv.backend.sampling.sample`; older fits get it by rebuilding the model).
"""

from __future__ import annotations

import contextlib
import io
import logging

import numpy as np
import pandas as pd

__all__ = ["sensitivity", "DIAGNOSES", "SENSITIVITY_THRESHOLD"]

#: psense_summary's diagnosis texts mapped to coalsurv's.
DIAGNOSES = {"potential prior-data conflict": "prior-data conflict",
             "potential strong prior / weak likelihood": "strong prior, weak likelihood"}
SENSITIVITY_THRESHOLD = 0.05
_HIERARCHICAL = ("z_", "u_", "w_", "rw_step")  # level priors: part of the model


def _with_log_prior(fit):
    idata = fit.idata
    if "log_prior" in idata.children:
        return idata
    from coalsurv.backend.sampling import add_log_prior
    from coalsurv.fit.model import SurvivalModel

    model, _, _, _ = SurvivalModel.from_spec(fit.spec, priors=fit.priors).build(fit.data)
    idata = add_log_prior(idata, model)
    fit.idata = idata
    return idata


def parameter_names(fit) -> list[str]:
    """Posterior variables whose sensitivity is reported (no level effects)."""
    post = fit.idata["posterior"]
    return [v for v in post.data_vars
            if not v.startswith(("z_", "u_", "v_", "w_", "rw_step", "intercept_offset"))
            and v not in ("beta_std", "intercept_std")  # AFT: the same as beta, intercept
            and "joint_z" not in v]


def sensitivity(fit, *, threshold: float = SENSITIVITY_THRESHOLD) -> pd.DataFrame:
    """Tidy power-scaling sensitivity per parameter.

    Parameters
    ----------
    fit : Fit
    threshold : float
        Sensitivity above which a parameter counts as sensitive (psense's default 0.05).

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter`` (e.g. ``beta[any, power_hhi]``), ``prior``, ``likelihood``
        (sensitivities), ``diagnosis`` (``"prior-data conflict"``, ``"strong prior, weak
        likelihood"`` or ``"-"``); ``attrs["threshold"]``.
    """
    import arviz_stats as azs

    from coalsurv.fit.pointwise import require_log_likelihood

    require_log_likelihood(fit, "fit.sensitivity() (power-scaling the likelihood)")
    idata = _with_log_prior(fit)
    prior_vars = [v for v in idata["log_prior"].data_vars if not v.startswith(_HIERARCHICAL)]
    # its advice is printed and logged ("We detected potential issues..."); ours is returned
    with contextlib.redirect_stdout(io.StringIO()), _quiet_psense_log():
        table = azs.psense_summary(idata, var_names=parameter_names(fit), threshold=threshold,
                                   prior_var_names=prior_vars, round_to=6)
    out = pd.DataFrame({
        "parameter": [str(i) for i in table.index],
        "prior": np.asarray(table["prior"], dtype=float),
        "likelihood": np.asarray(table["likelihood"], dtype=float),
        "diagnosis": [DIAGNOSES.get(str(d), "-") for d in table["diagnosis"]],
    })
    out.attrs["threshold"] = threshold
    return out


class _DropPsenseAdvice(logging.Filter):
    """Drops arviz_stats.psense's "We detected potential issues..." log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("We detected potential issues")


@contextlib.contextmanager
def _quiet_psense_log():
    """While psense runs, its own advice does not reach the log (coalsurv's check says it)."""
    logger, drop = logging.getLogger("arviz_stats.psense"), _DropPsenseAdvice()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
