"""Check: power-scaling sensitivity to the prior (prior-data conflict, strong prior).

Wraps :meth:`coalsurv.Fit.sensitivity` (:func:`arviz_stats.psense_summary`) into one
:class:`~coalsurv.diagnostics.checks.Check` named ``prior_sensitivity``: ``pass`` when no
parameter is diagnosed, ``warn`` when some are ("prior-data conflict": both the prior and the
likelihood move the posterior — the data disagree with an informative prior; "strong prior,
weak likelihood": the prior drives the result). The value is the largest prior sensitivity.
"""

from __future__ import annotations

from coalsurv.diagnostics.checks import Check

__all__ = ["prior_sensitivity_check", "THRESHOLD_TEXT"]

THRESHOLD_TEXT = ("power-scaling sensitivity (psense) <= 0.05 for prior and likelihood: pass; "
                  "a parameter diagnosed: warn")


def prior_sensitivity_check(fit) -> Check:
    """Return the ``prior_sensitivity`` check; ``skipped`` (with the reason) if it fails."""
    try:
        table = fit.sensitivity()
    except Exception as exc:  # noqa: BLE001 - a check never breaks diagnose
        text = str(exc).strip().splitlines()
        return Check("prior_sensitivity", None, THRESHOLD_TEXT, "skipped",
                     f"could not be computed ({type(exc).__name__}: {text[0] if text else ''})")
    flagged = table[table["diagnosis"] != "-"]
    value = float(table["prior"].max()) if len(table) else 0.0
    if flagged.empty:
        return Check("prior_sensitivity", value, THRESHOLD_TEXT, "pass")
    detail = "; ".join(f"{r.parameter}: {r.diagnosis}" for r in flagged.itertuples())
    conflict = (flagged["diagnosis"] == "prior-data conflict").any()
    advice = ("the data disagree with an informative prior: check where the prior came from "
              "(discount it, or report both)" if conflict else
              "the prior, not the data, drives these parameters: report a fit under a weaker "
              "prior beside this one")
    return Check("prior_sensitivity", value, THRESHOLD_TEXT, "warn", advice, detail)
