"""The short "paper" report: what a journal article needs, figures also as separate files.

``fit.report(path, style="paper")``: a results page with the coefficients table (hazard or time
ratios; covariates that enter through several terms marked, their joint effects in a second
table), the forest plot of the ratios (joint contrasts for multi-term covariates), the survival
figure (model against Kaplan–Meier) and, with competing endings, the
cumulative-incidence figure, one joint-effect figure per covariate entering several terms (else
the median lifespan against the first continuous covariates), and an appendix with every
diagnostic check and the posterior summary. Each figure is also written as its own file
(``<report>_figures/figure<N>_<name>.pdf`` or ``.svg``) to include in a manuscript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.platypus import CondPageBreak, Paragraph, Spacer

from coalsurv._format import fmt_number, fmt_share
from coalsurv.report import curves as C
from coalsurv.report import figures as F
from coalsurv.report.export import check_label, display_table, reader_text, tve_lines
from coalsurv.report.layout import FRAME_HEIGHT, VERDICT_COLORS, Layout, esc

__all__ = ["FIGURE_FORMATS", "PaperReport", "figures_folder"]

FIGURE_FORMATS = ("pdf", "svg")


def figures_folder(path: Path) -> Path:
    """Folder of the separate figure files of the report at ``path``."""
    return path.with_name(f"{path.stem}_figures")


class PaperReport:
    """Builds the story of the paper-style report and writes its figures as files."""

    def __init__(self, fit: Any, diag: Any, *, title: str, path: Path, ci_prob: float,
                 figure_format: str = "pdf", progress: Any = None):
        self.fit, self.diag, self.title = fit, diag, title
        self.ci = ci_prob
        self.pct = f"{100 * ci_prob:g}%"
        self.L = Layout(title)
        self.unit = fit.time_unit
        self.folder = figures_folder(path)
        self.format = figure_format
        self.progress = progress or (lambda _msg: None)
        self.written: list[Path] = []

    # ------------------------------------------------------------------ helpers
    def heading(self, title: str) -> list[Any]:
        """Return an unnumbered heading (no page break: the paper report is short)."""
        return [Spacer(1, 8), Paragraph(esc(title), self.L.styles["h1"])]

    def figure(self, fig: Any, name: str, caption: str, **kwargs: Any) -> list[Any]:
        """Save ``fig`` as its own file, then place it in the report."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"figure{self.L.n_figures + 1}_{name}.{self.format}"
        fig.savefig(target, format=self.format, bbox_inches="tight", facecolor="white")
        self.written.append(target)
        return self.L.figure(fig, caption, **kwargs)

    def table(self, kind: str, **options: Any) -> list[Any]:
        """Return the display table ``kind`` of :mod:`coalsurv.report.export` as flowables."""
        frame, caption = display_table(self.fit, kind, ci_prob=self.ci, **options)
        k = len(frame.columns)
        return self.L.table(frame, caption=caption, widths=_widths(frame, k))

    # ------------------------------------------------------------------ story
    def story(self) -> list[Any]:
        """Return the flowables of the whole report (and write the figure files)."""
        fit, L, d = self.fit, self.L, self.diag
        data = fit.data
        n_cens = int((data.status == 0).sum())
        out: list[Any] = [L.text(self.title, "title")]
        s = fit.settings
        out.append(L.text(
            f"{_family_words(fit)} model of {data.n:,} coalitions in "
            f"{data.name or 'the data'} ({sum(data.n_events.values()):,} endings, "
            f"{n_cens:,} censored, {fmt_share(n_cens / data.n)}); formula "
            f"{fit.spec.formula}; time in {self.unit}. NUTS: {s.chains} chains of "
            f"{s.draws:,} draws after {s.tune:,} tuning steps, seed {s.random_seed}. "
            f"Intervals are {self.pct} equal-tailed credible intervals.", "subtitle"))
        col = VERDICT_COLORS.get(d.verdict, VERDICT_COLORS["skipped"])
        out.append(L.para(f'<font color="{col.hexval().replace("0x", "#")}"><b>Checks: '
                          f'{d.verdict.upper()}</b></font> — {len(d.failed)} failed, '
                          f'{len(d.warnings)} need attention, {len(d.skipped)} not applicable '
                          f'of {len(d)} (Appendix A).'))
        out += self.heading("Results")
        self.progress("paper: coefficients table")
        out += self.table("hazard_ratios")
        joint = [v for v, fam in fit.term_families().items() if fam.joint]
        if joint:
            self.progress("paper: joint effects")
            out += self.table("effects", variable=joint)
        if fit.info.members:  # an mm() model: the variance split by level
            self.progress("paper: variance decomposition")
            out += self.table("variance_components")
        out += self._figures(joint)
        out.append(CondPageBreak(0.35 * FRAME_HEIGHT))
        out += self.heading("Appendix A. Diagnostics")
        rows = [{"check": check_label(c.name),
                 "verdict": c.verdict.upper(),
                 "value": fmt_number(c.value, 4), "rule": c.threshold,
                 "finding": reader_text(" ".join(t for t in (c.detail, c.advice) if t)) or "–"}
                for c in d]
        import pandas as pd

        colours = {(i, 1): VERDICT_COLORS[c.verdict].clone(alpha=0.35) for i, c in enumerate(d)}
        out += L.table(pd.DataFrame(rows), widths=[0.14, 0.09, 0.09, 0.3, 0.38],
                       cell_colors=colours, caption="Convergence and model checks with their "
                       "rules (Vehtari et al. 2021 for R-hat and ESS; PSIS-LOO Pareto k).")
        out += [L.note(reader_text(note)) for note in d.notes]
        out += self.heading("Appendix B. Posterior summary")
        out += self.table("summary")
        if self.written:
            out.append(L.note("Figures written as separate files: "
                              + ", ".join(p.name for p in self.written)
                              + f" (in {self.folder})."))
        return out

    def _figures(self, joint: list[str]) -> list[Any]:
        fit, u = self.fit, self.unit
        from coalsurv.fit.effects import lifespan_label

        out: list[Any] = []
        ratios = fit.hazard_ratios(ci_prob=self.ci)
        if len(ratios):
            self.progress("paper: forest plot")
            out += self.figure(F.fig_forest(fit, ratios), "forest",
                               F.forest_caption(fit, ci_prob=self.ci), width=0.85)
        if fit.info.tve:
            self.progress("paper: time-varying effects")
            out += self.figure(F.fig_time_varying_effects(fit, ci_prob=self.ci),
                               "time_varying_effects",
                               f"Time-varying effects: the {fit.ratio_name} per SD of "
                               f"{', '.join(fit.info.tve)} over follow-up ({u}), posterior "
                               f"mean with its {self.pct} interval shaded; "
                               f"{tve_lines(fit)}.", width=0.85)
        self.progress("paper: survival figure")
        curve = C.marginal_survival(fit, C.time_grid(fit, 120), ci_prob=self.ci)
        several = len(fit.info.causes) > 1
        what = ("share of coalitions that have not ended" if lifespan_label(fit) ==
                "median lifespan" else
                f"share without {' or '.join(fit.info.causes)} (other endings censored)")
        out += self.figure(F.fig_survival_vs_km(fit, curve), "survival",
                           f"Posterior survival ({what}) averaged over the {fit.data.n:,} "
                           f"coalitions, {self.pct} interval shaded, against the Kaplan–Meier "
                           f"estimate; time in {u}.", width=0.8)
        if several:
            self.progress("paper: cumulative incidence figure")
            cif = C.marginal_cif(fit, C.time_grid(fit, 80), ci_prob=self.ci)
            out += self.figure(F.fig_cif(fit, cif), "incidence",
                               f"Cumulative incidence of each ending averaged over the "
                               f"coalitions ({self.pct} interval shaded) against "
                               f"Aalen–Johansen estimates (dashed); time in {u}.", width=0.8)
        from coalsurv.plots import plot_joint_effect

        names = joint or C.continuous_covariates(fit)[:2]
        for name in names[:3]:
            self.progress(f"paper: effect of {name}")
            eff = fit.effect(name, ci_prob=self.ci)
            terms = eff.attrs["terms"]
            what = (f"Joint effect of {name} (terms: {', '.join(terms)})" if len(terms) > 1
                    else f"Effect of {name}")
            out += self.figure(plot_joint_effect(eff), f"effect_{_safe(name)}",
                               f"{what} from its 5th to its "
                               f"95th percentile, the other covariates at their means, a "
                               f"typical group: left, the {fit.ratio_name} against {name} = "
                               f"{fmt_number(eff.attrs['reference'])} (its median) for each "
                               f"ending; right, the {eff.attrs['lifespan']} ({u}). Posterior "
                               f"medians with {self.pct} intervals shaded.", width=1.0)
        return out


def _family_words(fit: Any) -> str:
    """Return "Weibull (proportional hazards)": the family's label, its kind said once."""
    label = fit.family.label
    kind = {"ph": "proportional hazards", "po": "proportional odds"}.get(
        fit.info.kind, "accelerated failure time")
    return label if "(" in label else f"{label} ({kind})"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")


def _widths(frame: Any, k: int) -> list[float]:
    """Column widths by the longest text of each column (fractions of the text width)."""
    longest = [max([len(str(c))] + [len(str(v)) for v in frame[c]]) for c in frame.columns]
    total = float(sum(min(n, 40) + 4 for n in longest))
    return [(min(n, 40) + 4) / total for n in longest][:k]
