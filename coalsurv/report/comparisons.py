"""Sections of the PDF report that compare the fit with others: PSIS-LOO and lifelines' MLE.

A mixin of :class:`coalsurv.report.sections.ReportSections` (same attributes).
"""

from __future__ import annotations

from typing import Any

from coalsurv.report import tables as T
from coalsurv.report.layout import Layout

__all__ = ["ComparisonSections"]


class ComparisonSections:
    """Model comparison (section 8) and the maximum-likelihood comparison (section 9)."""

    fit: Any
    diag: Any
    L: Layout
    pct: str
    compare_with: dict[str, Any]

    # ------------------------------------------------------------------ 8. comparison
    def comparison(self) -> list[Any]:
        """Section 8: PSIS-LOO comparison with the fits in ``compare_with``."""
        L = self.L
        out = L.section("Model comparison")
        if not self.compare_with:
            out.append(L.note("No other model was given to compare this one with."))
            return out
        out += self.attempt("model comparison", self._comparison_table)
        return out

    def _comparison_table(self) -> list[Any]:
        from coalsurv.diagnostics import compare

        L, fit = self.L, self.fit
        fits = {"this model": fit, **self.compare_with}
        same = {k: f for k, f in fits.items() if f.data_hash == fit.data_hash
                and (f.info.causes, f.info.pooled) == (fit.info.causes, fit.info.pooled)}
        other = [k for k in fits if k not in same]
        out: list[Any] = []
        if len(same) >= 2:
            table = compare(same).reset_index()
            table["specification"] = [f"{f}: {g}" for f, g in
                                      zip(table["family"], table["formula"], strict=True)]
            keep = [c for c in ("model", "specification", "rank", "elpd", "se", "p",
                                "elpd_diff", "dse", "weight", "n_bad_k") if c in table]
            frame = table[keep].rename(columns={"n_bad_k": "k > 0.7 rows"})
            frame["weight"] = [f"{w:.2f}" for w in frame["weight"].astype(float)]
            frame["rank"] = frame["rank"].astype(int) + 1  # 1 is the best model
            for col in ("elpd", "se", "p", "elpd_diff", "dse"):  # one decimal, all alike
                if col in frame:
                    frame[col] = [f"{float(v):.1f}" for v in frame[col]]
            widths = [0.13, 0.21, 0.07, 0.08, 0.07, 0.07, 0.11, 0.07, 0.09, 0.09]
            out += L.table(frame, widths=widths[:len(keep)], digits=4,
                           caption="Comparison by PSIS-LOO expected log predictive density "
                           "(elpd, higher is better; SE its standard error, p the effective "
                           "number of parameters); elpd_diff relative to the best model with "
                           "its standard error dse — a difference below about 2 dse does not "
                           "separate the models; stacking weights.", max_rows=20)
            if table.attrs.get("note"):
                out.append(L.note(f"Note: {table.attrs['note']}."))
        else:
            out.append(L.note("None of the other fits was fitted to the same data with the "
                              "same endings, so no LOO comparison is possible."))
        if other:
            out.append(L.note(f"Not compared (fitted to different data or modelling other "
                              f"endings, so their LOO values are not comparable): "
                              f"{', '.join(other)}."))
        return out

    # ------------------------------------------------------------------ 9. lifelines
    def lifelines(self) -> list[Any]:
        """Section 9: posterior against the maximum-likelihood fit (lifelines)."""
        L = self.L
        out = L.section("Comparison with maximum likelihood (lifelines)")
        table = self.diag.mle
        if table is None or not len(table):
            out.append(L.note("No maximum-likelihood comparison is available for this model "
                              "(it needs covariates and no interval-censored rows)."))
            return out
        scale = table.attrs.get("scale", "coefficient per original unit")
        out.append(L.text(f"The same fixed-effects model fitted by maximum likelihood, side by "
                          f"side with the posterior ({scale}). Differences of more than about "
                          f"one posterior SD point at informative priors, frailty (which the "
                          f"maximum-likelihood fit ignores) or a problem in either fit."))
        if table.attrs.get("note"):
            out.append(L.note(f"Note: {table.attrs['note']}."))
        frame = T.mle_table(table, self.pct)
        k = len(frame.columns)
        widths = ([0.14] if k == 6 else []) + [0.16, 0.27, 0.15, 0.12, 0.16]
        out += L.table(frame, widths=widths, caption=f"Posterior against maximum likelihood "
                       f"({scale}).", max_rows=60)
        return out

