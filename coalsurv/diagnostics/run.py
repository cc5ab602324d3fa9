"""The entry point :func:`diagnose`: runs every check; one that cannot be computed is skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coalsurv._stats import check_ci_prob
from coalsurv.diagnostics.checks import Diagnosis, reason, skipped
from coalsurv.diagnostics.common import outcomes, survival_pass
from coalsurv.diagnostics.mle import mle_check, mle_side_by_side
from coalsurv.diagnostics.predictive import (
    K_RULE,
    loo_pit_check,
    loo_tables,
    ppc_cif_check,
    ppc_km_check,
)
from coalsurv.diagnostics.sampler import convergence_checks, convergence_table, sampler_checks
from coalsurv.diagnostics.scores import calibration_check, discrimination_table
from coalsurv.diagnostics.sensitivity import prior_sensitivity_check
from coalsurv.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit


def diagnose(fit: Fit, *, ci_prob: float = 0.95, horizons=None, loo: bool = True,
             checks: bool = True, max_draws: int = 200, random_seed: int = 0,
             for_comparison: bool = False) -> Diagnosis:
    """Run sampler diagnostics and model checks on a :class:`~coalsurv.Fit`.

    Parameters
    ----------
    fit : Fit
    ci_prob : float
        Mass of every equal-tailed interval reported.
    horizons : sequence of float, optional
        Times (data unit) for Brier scores and calibration; default the quartiles of follow-up.
    loo : bool
        Compute PSIS-LOO (Pareto k, and the LOO weights that LOO-PIT needs).
    checks : bool
        Model checks (PPC, LOO-PIT, discrimination, calibration, MLE); False gives the sampler
        checks only.
    max_draws : int
        Posterior draws (evenly thinned) for per-draw predictive metrics.
    random_seed : int
        Seed of the randomised PIT for censored rows.
    for_comparison : bool
        The LOO estimate is used to compare models: any row with Pareto k > 0.7 then warns
        (otherwise a single influential row, or 0.5% of rows, passes with a note naming it).

    Returns
    -------
    Diagnosis
        Never raises for a check that cannot be computed: it is ``skipped`` with the reason.
    """
    ci_prob = check_ci_prob(ci_prob)
    if horizons is None:
        horizons = np.quantile(outcomes(fit).exit, [0.25, 0.5, 0.75])
    horizons = np.unique(np.asarray(horizons, dtype=float).ravel())
    if horizons.size == 0 or np.any(~np.isfinite(horizons)) or np.any(horizons <= 0):
        raise SpecError(f"horizons must be positive finite times, got {horizons.tolist()}")
    diag = Diagnosis(results=[], label=fit.spec.label, ci_prob=ci_prob, time_unit=fit.time_unit,
                     horizons=tuple(float(h) for h in horizons))
    results = diag.results
    try:
        diag.convergence = convergence_table(fit.idata)
        results += convergence_checks(fit, diag.convergence)
    except Exception as exc:  # noqa: BLE001 - a check never breaks diagnose
        results += [skipped(n, "", reason(exc))
                    for n in ("r_hat", "ess_bulk", "ess_tail", "mcse")]
    results += sampler_checks(fit)
    k_thr = K_RULE
    if loo:
        try:
            diag.loo, diag.pareto_k, check = loo_tables(fit,
                                                        for_comparison=for_comparison)
            results.append(check)
            if check.verdict == "pass" and check.value:
                diag.notes.append(f"Influential coalitions (PSIS-LOO Pareto k): {check.detail}.")
        except Exception as exc:  # noqa: BLE001
            results.append(skipped("pareto_k", k_thr, reason(exc)))
    else:
        results.append(skipped("pareto_k", k_thr, "loo=False"))
    if not checks:
        return diag
    try:
        survival = survival_pass(fit, horizons=horizons, max_draws=max_draws)
    except Exception as exc:  # noqa: BLE001
        survival = None
        results += [skipped(n, "", reason(exc)) for n in ("ppc_km", "calibration")]
        diag.notes.append(f"discrimination {reason(exc)}")
    if survival is not None:
        for name, step in (("ppc_km", ppc_km_check), ("calibration", calibration_check),
                           ("discrimination", discrimination_table)):
            try:
                check = step(fit, diag, survival)
                if check is not None:
                    results.append(check)
            except Exception as exc:  # noqa: BLE001
                if name == "discrimination":
                    diag.notes.append(f"discrimination {reason(exc)}")
                else:
                    results.append(skipped(name, "", reason(exc)))
    if len(fit.info.causes) > 1:
        try:
            results.append(ppc_cif_check(fit, diag, max_draws=max_draws))
        except Exception as exc:  # noqa: BLE001
            results.append(skipped("ppc_cif", "", reason(exc)))
    pit_thr = "max |ECDF - uniform| within the 95% DKW band"
    if diag.loo is None:
        why = "PSIS-LOO failed (see pareto_k)" if loo else "loo=False"
        results.append(skipped("loo_pit", pit_thr, f"needs PSIS-LOO weights; {why}"))
    else:
        try:
            diag.loo_pit, check = loo_pit_check(fit, diag.loo, seed=random_seed)
            results.append(check)
        except Exception as exc:  # noqa: BLE001
            results.append(skipped("loo_pit", pit_thr, reason(exc)))
    try:
        diag.mle = mle_side_by_side(fit, ci_prob=ci_prob)
        if diag.mle is not None and diag.mle.attrs.get("note"):
            diag.notes.append(f"MLE side by side: {diag.mle.attrs['note']}")
        results.append(mle_check(fit, diag.mle))
    except Exception as exc:  # noqa: BLE001
        results.append(skipped("mle_agreement", "", reason(exc)))
    results.append(prior_sensitivity_check(fit))
    sampler = {"r_hat", "ess_bulk", "ess_tail", "mcse", "divergences", "e_bfmi"}
    if any(c.name in sampler for c in diag.failed):
        diag.notes.insert(0, "sampler checks failed: fix convergence first; the model checks "
                          "describe unreliable draws")
    return diag
