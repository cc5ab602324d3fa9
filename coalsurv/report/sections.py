"""Sections of the PDF report (:mod:`coalsurv.report`): what each one says.

:class:`ReportSections` builds the title page (with the overall verdict), data, model and
priors (with a prior predictive check), diagnostics, posterior summary with hazard / time
ratios, survival against Kaplan–Meier, hazards and cumulative incidence, effect curves, group
effects, members (:mod:`coalsurv.report.members`), model comparison, maximum-likelihood
comparison (lifelines) and the reproducibility manifest, each as a list of reportlab
flowables made with :class:`coalsurv.report.layout.Layout` from the figures and tables of
:mod:`coalsurv.report.figures`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Spacer

from coalsurv._format import fmt_number, fmt_rhat, fmt_share, unit_singular
from coalsurv._version import __version__
from coalsurv.report import curves as C
from coalsurv.report import figures as F
from coalsurv.report import tables as T
from coalsurv.report.comparisons import ComparisonSections
from coalsurv.report.export import (
    check_label,
    parameter_label,
    reader_text,
    tve_label,
    tve_lines,
    tve_note,
)
from coalsurv.report.layout import VERDICT_COLORS, Layout, esc
from coalsurv.report.members import MemberSections

__all__ = ["ReportSections"]


def _value(check: Any) -> str:
    """Write a check's value: R-hat with the digits its rule needs, others to four digits."""
    return fmt_rhat(check.value) if check.name == "r_hat" else fmt_number(check.value, 4)


class ReportSections(ComparisonSections, MemberSections):
    """Builders of the report's sections, each returning a list of flowables.

    A mixin of :class:`coalsurv.report._Report`, which sets the attributes below; a part that
    cannot be made is replaced by a visible note (see :meth:`attempt`).
    """

    fit: Any
    #: The fit's diagnosis (:class:`coalsurv.diagnostics.Diagnosis`).
    diag: Any
    L: Layout
    title: str
    unit: str
    ci: float
    pct: str
    compare_with: dict[str, Any]
    command: str
    progress: Callable[[str], None]
    failures: list[str]

    def attempt(self, what: str, build) -> list[Any]:
        """Run one part; on failure put a visible note in its place and warn."""
        try:
            return list(build())
        except Exception as exc:
            self.failures.append(what)
            warnings.warn(f"report: {what} could not be made ({type(exc).__name__}: {exc})",
                          stacklevel=2)
            return [self.L.note(f"[{what} could not be made: {type(exc).__name__}: {exc}]")]

    # ------------------------------------------------------------------ title page
    def title_page(self) -> list[Any]:
        """Title page: model, data, versions, overall verdict and contents."""
        L, fit = self.L, self.fit
        data = fit.data
        causes = ", ".join(fit.info.causes) if not fit.info.pooled else "any ending (pooled)"
        kind = {"ph": "proportional hazards", "po": "proportional odds"}.get(
            fit.info.kind, "accelerated failure time")
        facts = [
            ("model", fit.spec.label), ("formula", fit.spec.formula),
            ("family", f"{fit.spec.family} ({kind})"),
            ("endings modelled", causes),
            ("data", data.name or "unnamed data"),
            ("source", getattr(data, "source", None) or "not recorded"),
            ("coalitions", f"{data.n:,} ({sum(data.n_events.values()):,} endings, "
                           f"{int((np.asarray(data.status) == 0).sum()):,} censored); "
                           f"time in {self.unit}"),
            ("fitted", f"{fit.created} (fit id {fit.fit_id})"),
            ("report written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
            ("coalsurv version", fit.versions.get("coalsurv", "?") + f" (report by {__version__})"),
        ]
        d = self.diag
        n_fail, n_warn, n_skip = len(d.failed), len(d.warnings), len(d.skipped)
        headline = {
            "pass": "Overall verdict: PASS — every diagnostic check that could be run passed",
            "warn": f"Overall verdict: WARN — {n_warn} check(s) need attention",
            "fail": f"Overall verdict: FAIL — {n_fail} check(s) failed; do not trust the "
                    "results before fixing them",
        }.get(d.verdict, "Overall verdict: not checked")
        lines = [f"{c.verdict.upper()}: {check_label(c.name)} = {_value(c)}"  # failures first
                 + (f" ({reader_text(c.detail)})" if c.detail else "")
                 for c in (d.failed + d.warnings)[:8]]
        lines.append(f"{len(d)} checks: {n_fail} failed, {n_warn} warned, {n_skip} skipped. "
                     "Details and advice in section 3.")
        return [
            Spacer(1, 1.2 * cm), L.para(esc(self.title), "title"),
            L.text(f"Bayesian survival analysis of {data.name or 'coalition data'} — "
                   f"{fit.family.label} model, time in {self.unit}", "subtitle"),
            *L.key_values(facts, widths=(0.22, 0.78)),
            Spacer(1, 6), L.verdict_box(d.verdict, headline, lines), Spacer(1, 14),
            L.para("<b>Contents</b>", "h2"), L.toc(),
        ]

    # ------------------------------------------------------------------ 1. data
    def data(self) -> list[Any]:
        """Section 1: description of the data, endings, risk table, Kaplan–Meier."""
        L, data, u = self.L, self.fit.data, self.unit
        out = L.section("Data")
        desc = data.describe()
        frame = desc.to_frame()
        frame["value"] = [v if isinstance(v, str) else fmt_share(v) if "share" in str(k)
                          else fmt_number(v, 4) for k, v in zip(frame.iloc[:, 0],
                                                                frame["value"], strict=True)]
        out += L.table(frame, widths=[0.45, 0.35],
            numeric=["value"], caption=f"Description of the data (times in {u}).")
        n = data.n
        events = [{"ending": c, "count": k, "share of coalitions": f"{100 * k / n:.1f}%"}
                  for c, k in data.n_events.items()]
        n_cens = int((np.asarray(data.status) == 0).sum())
        events.append({"ending": f"{data.censored_label} (right-censored)", "count": n_cens,
                       "share of coalitions": f"{100 * n_cens / n:.1f}%"})
        out += L.table(pd.DataFrame(events), widths=[0.4, 0.2, 0.25],
                       numeric=["count", "share of coalitions"],
                       caption="Endings by cause and censored share.")
        q = np.quantile(np.asarray(data.time, float), [0.25, 0.5, 0.75])
        times = np.unique(np.round(np.concatenate([[0.0], q, [float(np.max(data.time))]]), 6))
        risk = data.risk_table(times).rename(columns={"time": f"time ({u})",
                                                      "at_risk": "at risk"})
        labels = ["start", "25% quantile", "median", "75% quantile", "maximum"]
        if len(risk) == len(labels):
            risk.insert(0, "follow-up", labels)
        k = len(risk.columns)
        out += L.table(risk, widths=[min(0.16, 1 / k)] * k,
                       caption=f"Risk table at quartiles of follow-up: coalitions at risk and "
                               f"cumulative endings by cause up to each time ({u}).")
        out += self.attempt("Kaplan–Meier figure", lambda: L.figure(
            F.fig_km(self.fit), "Kaplan–Meier estimate of the time to any ending "
            f"(shaded: 95% confidence interval; delayed entry honoured); time in {u}."
            + (" Right: Aalen–Johansen cumulative incidence of each ending."
               if len(data.causes) > 1 else "")))
        return out

    # ------------------------------------------------------------------ 2. model and priors
    def model(self) -> list[Any]:
        """Section 2: model specification, priors used, prior predictive check."""
        L, fit, u = self.L, self.fit, self.unit
        info = fit.info
        out = L.section("Model and priors")
        kind = {"ph": "proportional hazards: covariates multiply the hazard",
                "po": "proportional odds: covariates multiply the odds of having ended"}.get(
            info.kind, "accelerated failure time: covariates stretch or shrink lifespans")
        groups = ", ".join(str(g) for g in fit.spec.group_terms) or "none"
        spec = [("formula", fit.spec.formula), ("family", f"{fit.spec.family} — {kind}"),
                ("endings", "any ending (pooled)" if info.pooled else
                 ", ".join(info.causes) + (" (cause-specific hazards, fitted jointly)"
                                           if len(info.causes) > 1 else "")),
                ("group terms (frailty)", groups),
                ("internal time scale", f"{fmt_number(info.time_scale)} {u} (times are divided "
                                        "by it inside the model)")]
        if fit.spec.family_options:
            spec.append(("family options", str(fit.spec.family_options)))
        out += L.key_values(spec, caption="Model specification.")
        if info.terms:
            std = pd.DataFrame({"term": list(info.terms), "mean": list(info.means),
                                "SD": list(info.sds)})
            out += L.table(std, widths=[0.4, 0.2, 0.2], caption="Covariates are standardised "
                           "inside the model with these constants (original units); effects "
                           "are reported per SD and per original unit.")
        pri = fit.priors
        rows = [{"parameter": k, "prior used": str(p)} for k, p in fit.resolved_priors.items()]
        out += L.table(pd.DataFrame(rows), widths=[0.35, 0.65], numeric=[],
                       caption=f"Priors actually used (data-based 'auto' values filled in; "
                               f"coefficients per SD of their covariate). Prior set: "
                               f"{pri.name or 'default'}.")
        if pri.description or pri.provenance:
            out.append(L.text(f"Prior set description: {pri.description} "
                              + (f"Provenance: {pri.provenance}" if pri.provenance else ""),
                              "small"))
        out.append(L.sub("Prior predictive check"))
        out.append(L.text("Survival curves implied by the priors alone (before seeing the "
                          "data), at the mean covariate profile. Sensible priors spread the "
                          "curves over plausible lifespans without piling them up at 0 or 1."))
        self.progress("sampling from the priors")

        def prior_parts():
            prior = C.prior_draws(fit)
            parts = L.figure(F.fig_prior_predictive(fit, prior, ci_prob=self.ci),
                             f"Prior predictive survival: 40 single prior draws and the "
                             f"{self.pct} prior interval (shaded) at the mean covariate profile, "
                             f"with the observed Kaplan–Meier curve; time in {u}.", width=0.8)
            several = len(fit.info.causes) > 1
            pp = F.fig_prior_posterior(fit, prior, max_panels=9 if several else 6)
            if pp is not None:
                parts += L.figure(pp, "Prior (grey) and posterior (blue) densities of the "
                                  "main parameters" + (" (the first three of each ending)"
                                                       if several else "")
                                  + ": how much the data taught the model.",
                                  max_height=0.55)
            return parts

        out += self.attempt("prior predictive check", prior_parts)
        return out

    # ------------------------------------------------------------------ 3. diagnostics
    def diagnostics(self) -> list[Any]:
        """Section 3: every diagnostic check with its verdict and advice, plots."""
        L, d, u, pct = self.L, self.diag, self.unit, self.pct
        out = L.section("Diagnostics")
        out.append(L.text(f"Overall verdict: {d.verdict.upper()}. Each check has a verdict "
                          "(pass / warn / fail, or skipped with the reason) and, where it did "
                          "not pass, advice in plain words."))
        rows = [{"check": check_label(c.name), "verdict": c.verdict.upper(), "value": _value(c),
                 "rule": c.threshold,
                 "finding and advice": reader_text(" ".join(t for t in (c.detail, c.advice)
                                                            if t)) or "–"}
                for c in d]
        colours = {(i, 1): VERDICT_COLORS[c.verdict].clone(alpha=0.35) for i, c in enumerate(d)}
        out += L.table(pd.DataFrame(rows), widths=[0.15, 0.09, 0.08, 0.28, 0.4],
                       numeric=["value"], cell_colors=colours, caption="Diagnostic checks.")
        out += [L.note(reader_text(note)) for note in d.notes]
        parts = [
            ("convergence", lambda: L.table(T.worst_convergence(d.convergence),
             widths=[0.36, 0.12, 0.12, 0.12, 0.12], caption="The parameters with the "
             "largest R-hat (rank-normalised split R-hat; effective sample sizes; Monte "
             "Carlo SE of the mean relative to the posterior SD).")),
            ("loo", lambda: L.table(T.loo_table(d.loo, d.pareto_k),
             widths=[0.5, 0.3], numeric=["value"], caption="PSIS-LOO: expected log "
             "predictive density and Pareto k of the importance weights.")),
            ("ppc", lambda: L.table(T.ppc_table(d.ppc, u, pct),
             widths=[0.12, 0.1, 0.27, 0.31, 0.1], caption=f"Posterior predictive check: "
             f"{self.surviving()} by time ({u}), the model's marginal survival "
             f"against Kaplan–Meier.")),
            ("ppc_cif", lambda: L.table(T.ppc_cif_table(d.ppc_cif, u, pct),
             widths=[0.16, 0.12, 0.28, 0.3, 0.1], caption=f"Posterior predictive check "
             f"of each ending: model cumulative incidence against Aalen–Johansen by time "
             f"({u}).")),
            ("discrimination", lambda: L.table(T.discrimination_table(
             d.discrimination, u), widths=[0.34, 0.13, 0.1, 0.22, 0.2],
             caption=f"Discrimination and accuracy ({pct} intervals over posterior "
             f"draws); the reference is chance (C = 0.5) or the Kaplan–Meier prediction "
             f"without covariates (Brier).")),
            ("calibration", lambda: L.table(T.calibration_table(d.calibration, u, pct),
             widths=[0.12, 0.14, 0.07, 0.27, 0.27, 0.08], caption=f"Calibration: mean "
             f"predicted survival against the Kaplan–Meier estimate in quintiles of "
             f"predicted risk at each horizon ({u}); group 1 has the lowest predicted risk "
             f"(highest predicted survival), group 5 the highest; |z| > 1.96 marks a "
             f"miscalibrated group.")),
        ]
        for key, build in parts:
            if getattr(d, key) is not None and (key == "loo" or len(getattr(d, key))):
                out += self.attempt(f"{key} table", build)
        out += self.attempt("trace and rank plot", lambda: L.figure(
            F.fig_trace_rank(self.fit), "Rank histograms per chain (flat when the chains "
            "agree) and traces of the main parameters.", max_height=0.8))
        out += self.attempt("energy plot", lambda: L.figure(
            F.fig_energy(self.fit), "Energy: marginal energy against energy transitions; "
            "E-BFMI below 0.3 means the sampler explores the posterior poorly.",
            width=0.6))
        if d.loo is not None:
            out += self.attempt("Pareto k plot", lambda: L.figure(
                F.fig_pareto_k(self.fit, d.loo.pareto_k), "PSIS-LOO Pareto k per "
                "coalition; above the threshold the leave-one-out estimate is unreliable "
                "for that coalition.", width=0.65))
        if d.loo_pit is not None:
            out += self.attempt("LOO-PIT plot", lambda: L.figure(
                F.fig_loo_pit(d.loo_pit), "LOO-PIT for censored data: ECDF of the "
                "leave-one-out probability integral transform against the uniform, with a "
                "simultaneous 95% band; a calibrated model stays inside.", width=0.6))
        return out

    # ------------------------------------------------------------------ 4. posterior
    def posterior(self) -> list[Any]:
        """Section 4: posterior summary, hazard / time ratios and forest plot."""
        L, fit = self.L, self.fit
        out = L.section("Posterior summary")
        summ = fit.summary(ci_prob=self.ci)
        table = summ[["parameter", "mean", "sd", "lower", "upper", "ess_bulk", "ess_tail",
                      "r_hat"]].rename(columns={"lower": f"{self.pct} lower",
                                               "upper": f"{self.pct} upper",
                                               "ess_bulk": "ESS bulk", "ess_tail": "ESS tail",
                                               "r_hat": "R-hat"})
        table["ESS bulk"] = table["ESS bulk"].round().astype(int)
        table["ESS tail"] = table["ESS tail"].round().astype(int)
        table["R-hat"] = [fmt_rhat(v) for v in table["R-hat"]]
        table["parameter"] = [parameter_label(fit, p) for p in table["parameter"]]
        out += L.table(table, widths=[0.32, 0.09, 0.09, 0.1, 0.1, 0.1, 0.1, 0.09],
                       caption=f"Posterior summary ({self.pct} equal-tailed intervals; "
                               f"coefficients per SD of their covariate, on the log "
                               f"{ {'ph': 'hazard', 'po': 'odds'}.get(fit.info.kind, 'time')} "
                               f"scale; "
                               f"intercept and shape on the internal time scale of "
                               f"{fmt_number(fit.info.time_scale)} {self.unit}).")
        ratios = fit.hazard_ratios(ci_prob=self.ci)
        if len(ratios):
            name = ratios.attrs.get("ratio", fit.ratio_name)
            out.append(L.sub(f"{name[:1].upper() + name[1:]}s"))
            meaning = ("a ratio above 1 means a higher hazard of ending (shorter lifespans)"
                       if fit.info.kind == "ph" else
                       "a ratio above 1 means higher odds of having ended by any time "
                       "(shorter lifespans)" if fit.info.kind == "po" else
                       "a ratio above 1 means longer lifespans")
            out.append(L.text(f"{name[:1].upper() + name[1:]}s per SD and per original unit "
                              f"of each covariate: {meaning}."))
            joint = {t: f.variable for f in fit.term_families().values() if f.joint
                     for t in f.terms}
            rt = T.ratio_table(ratios, self.pct, joint)
            rt["term"] = [tve_label(fit, t) for t in rt["term"]]
            widths = ([0.14] if "cause" in rt.columns else []) + [0.16, 0.22, 0.22, 0.12, 0.12]
            out += L.table(rt, widths=widths, caption=f"{name[:1].upper() + name[1:]}s: "
                           f"posterior median and {self.pct} interval; P(ratio > 1) is the "
                           f"posterior probability that the ratio exceeds 1."
                           + tve_note(fit, "the figure of time-varying effects (section "
                                      "Effect curves)"),
                           numeric=["P(ratio > 1)"])
            out += self.attempt("forest plot", lambda: L.figure(
                F.fig_forest(fit, ratios), F.forest_caption(fit, ci_prob=self.ci),
                width=0.85))
            if joint:
                out.append(L.sub("Joint effects of covariates entering several terms"))
                out += self.attempt("joint effects", lambda: self._joint_table(joint))
        return out

    def _joint_table(self, joint: dict[str, str]) -> list[Any]:
        from coalsurv.report.export import display_table

        frame, caption = display_table(self.fit, "effects", ci_prob=self.ci,
                                       variable=list(dict.fromkeys(joint.values())))
        k = len(frame.columns)
        return self.L.table(frame, caption=caption, numeric=[],
                            widths=([0.14] if k == 6 else []) + [0.19, 0.12, 0.3, 0.2, 0.13])

    def surviving(self) -> str:
        """Return what the survival curve measures (not ended, or not ended a modelled way)."""
        fit = self.fit
        if C.lifespan_words(fit) == "median lifespan":
            return "share of coalitions still in existence"
        return (f"share of coalitions not yet ended by {' or '.join(fit.info.causes)} "
                f"(other endings counted as censoring)")

    # ------------------------------------------------------------------ 5. curves
    def curves(self) -> list[Any]:
        """Section 5: survival against Kaplan–Meier, hazard, cumulative incidence."""
        L, fit, u = self.L, self.fit, self.unit
        out = L.section("Survival, hazard and incidence")
        self.progress("computing marginal survival curves")

        def survival_parts():
            times = C.time_grid(fit, 120)  # fine grid: smooth band edges
            curve = C.marginal_survival(fit, times, ci_prob=self.ci)
            parts = L.figure(F.fig_survival_vs_km(fit, curve),
                             f"Posterior survival averaged over the {fit.data.n:,} coalitions "
                             f"(each with its covariates and group effect; {self.pct} interval "
                             f"shaded) against the Kaplan–Meier estimate; time in {u}.", width=0.8)
            q = np.quantile(np.asarray(fit.data.time, float), [0.25, 0.5, 0.75])
            model_at = C.marginal_survival(fit, q, ci_prob=self.ci)
            km = fit.data.kaplan_meier()
            km_at = km.survival_function_at_times(q).to_numpy()
            table = pd.DataFrame({f"time ({u})": q, "Kaplan–Meier": km_at,
                                  "model mean": model_at["mean"],
                                  f"model {self.pct} lower": model_at["lower"],
                                  f"model {self.pct} upper": model_at["upper"]})
            parts += L.table(table, widths=[0.16] * 5, caption=f"{self.surviving().capitalize()}"
                             f" at quartiles of follow-up ({u}): Kaplan–Meier against the "
                             f"model.")
            return parts

        out += self.attempt("survival against Kaplan–Meier", survival_parts)
        out += self.attempt("hazard curves", lambda: L.figure(
            F.fig_hazard(fit, ci_prob=self.ci), f"Posterior hazard per {unit_singular(u)} "
            f"at the mean covariate profile, population-averaged over group effects "
            f"({self.pct} interval shaded).", width=0.8))

        def median_parts():
            med = fit.median_lifespan(ci_prob=self.ci)
            row = med.iloc[0]

            def get(key: str) -> float:
                return row[key] if key in row else np.nan

            return [L.text(f"{C.lifespan_words(fit).capitalize()} at the mean covariate profile: "
                           f"{fmt_number(get('mean'))} {u} ({self.pct} interval "
                           f"{fmt_number(get('lower'))} to {fmt_number(get('upper'))} {u}).")]

        out += self.attempt("median lifespan", median_parts)
        if len(fit.info.causes) > 1:
            self.progress("computing cumulative incidence")
            out += self.attempt("cumulative incidence", lambda: L.figure(
                F.fig_cif(fit, C.marginal_cif(fit, C.time_grid(fit, 80), ci_prob=self.ci)),
                f"Cumulative incidence of each ending, P(ended that way by t), averaged over "
                f"the coalitions ({self.pct} interval shaded), against Aalen–Johansen "
                f"estimates (dashed); time in {u}.", width=0.85))
        return out

    # ------------------------------------------------------------------ 6. effects
    def effects(self) -> list[Any]:
        """Section 6: median lifespan against each continuous covariate."""
        L, fit = self.L, self.fit
        out = L.section("Effect curves")
        names = C.continuous_covariates(fit)
        if not names:
            out.append(L.note("The model has no continuous covariates."))
            return out
        out.append(L.text(f"Median lifespan ({self.unit}) as each continuous covariate moves "
                          "from its 5th to its 95th percentile in the data, the other "
                          "covariates held at their means, for a typical group (group "
                          "effects at 0); a covariate that is the square of another moves "
                          "with it.", "lead"))
        self.progress("computing effect curves")

        def parts():
            pred = C.thinned_predictor(fit, 600)  # more draws: smoother band edges
            frames = {n: C.effect_frame(fit, n, ci_prob=self.ci, predictor=pred, n=41)
                      for n in names[:6]}
            return L.figure(F.fig_effects(fit, frames), f"Median lifespan ({self.unit}) "
                            f"against each continuous covariate, {self.pct} interval shaded.",
                            max_height=0.75)

        out += self.attempt("effect curves", parts)
        if fit.info.tve:  # time-varying effects: the hazard ratio over follow-up
            out += self.attempt("time-varying effects", lambda: L.figure(
                F.fig_time_varying_effects(fit, ci_prob=self.ci),
                f"Hazard ratio per SD of each tve() term over follow-up, {self.pct} "
                f"interval shaded; {tve_lines(fit)}.", max_height=0.75))
        return out

    # ------------------------------------------------------------------ 7. groups
    def groups(self) -> list[Any]:
        """Section 7: group (frailty) effects per factor."""
        L, fit = self.L, self.fit
        out = L.section("Group effects")
        effects = fit.group_effects(ci_prob=self.ci)
        if effects.empty:
            out.append(L.note("The model has no group (frailty) terms."))
            return out
        what = {"ph": "hazard", "po": "odds of ending"}.get(fit.info.kind, "lifespan")
        out.append(L.text(f"Each group's effect on the log {what} scale (0: a typical "
                          f"group; exp(effect) multiplies the {what}).", "lead"))
        for factor in dict.fromkeys(effects["factor"]):
            out += self.attempt(f"group effects of {factor}", lambda f=factor: L.figure(
                F.fig_group_effects(fit, effects, f), f"Effect of each level of {f} (frailty): "
                f"posterior mean and {self.pct} interval, sorted.", max_height=0.85))
        return out

    # ------------------------------------------------------------------ 10. manifest
    def manifest(self) -> list[Any]:
        """Section 10: what is needed to reproduce the fit."""
        L, fit = self.L, self.fit
        out = [PageBreak(), *L.section("Reproducibility manifest")]
        s = fit.settings
        pairs = [("fit id", fit.fit_id), ("created", fit.created),
                 ("data hash (sha256)", fit.data_hash),
                 ("data", f"{fit.data.name or 'unnamed'}; {fit.data.n:,} coalitions; "
                          f"time in {self.unit}"),
                 ("random seed", str(s.random_seed)),
                 ("sampler", f"{getattr(s, 'backend', 'nutpie')} NUTS: {s.chains} chains x "
                             f"{s.draws} draws after {s.tune} tuning steps, target_accept "
                             f"{s.target_accept}"),
                 ("log density", "{kernel} ({route}) {reason}".format(**fit.sampler).strip()),
                 ("pointwise log likelihood", fit.sampler["log_likelihood"]),
                 ("command", self.command or "not recorded"),
                 ("model spec", json.dumps(fit.spec.to_dict(), sort_keys=True)),
                 ("prior set", f"{fit.priors.name or 'default'} "
                               f"({len(fit.priors.priors)} explicit priors)")]
        pairs += [(f"version: {k}", v) for k, v in sorted(fit.versions.items())]
        if self.failures:
            pairs.append(("parts not made", ", ".join(self.failures)))
        out.append(L.note("Reproduce with the same data (its hash must match), the model "
                          "specification and priors, and the same seed and settings."))
        out += L.key_values(pairs, caption="Everything needed to reproduce this fit.")
        return out
