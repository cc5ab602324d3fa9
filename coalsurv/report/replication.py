"""Replication section of the PDF report: this fit as a replication of an original fit.

Shown only when the report is given the original (``fit.report(path, original=orig_fit)``,
:func:`coalsurv.report.write_report`). The table is :func:`coalsurv.fit.replication.replication`
(per original unit of each covariate), with the formulas stated under it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["replication_section", "FORMULA_TEXT"]

#: The formulas, as printed under the table.
FORMULA_TEXT = (
    "Per original unit of each covariate (beta_j / sd_j). covers: the replication's {pct} "
    "equal-tailed interval contains the original posterior mean. overlap: the overlapping "
    "coefficient of the two posteriors' normal approximations, OVL = integral of "
    "min(N(x; m_o, s_o^2), N(x; m_r, s_r^2)) dx (1 identical, 0 disjoint). BF_rep: the "
    "replication Bayes factor (Verhagen & Wagenmakers 2014, normal approximation), "
    "BF_r0 = N(b; m_o, s_o^2 + s_l^2) / N(b; 0, tau^2 + s_l^2), the original posterior "
    "N(m_o, s_o^2) as the proponent's prior against the sceptic's no effect (tau = {tau}); "
    "the replication's likelihood N(b, s_l^2) is recovered from its posterior N(m_r, s_r^2) and "
    "the prior it was fitted with, N(m_p, s_p^2): 1/s_l^2 = 1/s_r^2 - 1/s_p^2, "
    "b = s_l^2 (m_r/s_r^2 - m_p/s_p^2). BF_rep > 1 favours a successful replication, < 1 the "
    "sceptic.")


def replication_frame(original: Any, fit: Any, *, ci_prob: float) -> pd.DataFrame:
    """Display frame of the replication metrics (one row per shared cause and term)."""
    from coalsurv.fit.replication import replication

    table = replication(original, fit, ci_prob=ci_prob)
    frame = pd.DataFrame({
        "cause": table["cause"].astype(str),
        "term": table["term"].astype(str),
        "original": [f"{m:.3g} ({s:.2g})" for m, s in
                     zip(table["original_mean"], table["original_sd"], strict=True)],
        "replication": [f"{m:.3g} ({s:.2g})" for m, s in
                        zip(table["replication_mean"], table["replication_sd"], strict=True)],
        "covers": ["yes" if c else "no" for c in table["covers_original"]],
        "overlap": table["overlap"].astype(float),
        "BF_rep": table["bf_rep"].astype(float),
    })
    frame.attrs.update(table.attrs)
    return frame


def replication_section(L: Any, original: Any, fit: Any, *, ci_prob: float, pct: str,
                        attempt: Any) -> list[Any]:
    """Flowables of the section: heading, what was compared, the table and its formulas."""
    out = L.section("Replication of an original study")
    out.append(L.text(f"This fit ({fit.fit_id}) is read as a replication of fit "
                      f"{original.fit_id} ({original.spec.label}); coefficients are compared "
                      "per original unit, so the two studies' standardisations do not "
                      "matter. Prior of this fit: "
                      f"{getattr(fit.priors, 'name', 'default') or 'default'}."))

    def build() -> list[Any]:
        frame = replication_frame(original, fit, ci_prob=ci_prob)
        if frame.empty:
            return [L.note("The two fits share no coefficient (matched by cause and term).")]
        tau = frame.attrs.get("sceptic_sd", 0.0)
        caption = ("Replication metrics: posterior mean (SD) per original unit in the original "
                   f"and this fit; {FORMULA_TEXT.format(pct=pct, tau=tau)}")
        return L.table(frame, caption=caption, digits=3,
                       widths=[0.12, 0.18, 0.17, 0.17, 0.08, 0.12, 0.16])

    out += attempt("replication", build)
    return out
