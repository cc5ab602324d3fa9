"""The members section of the PDF report (``mm()`` models, issue 21).

A mixin of :class:`coalsurv.report.sections.ReportSections` (same attributes): the member
term and its weights, the estimates of its parameters (member covariates, the SD of member
effects, the weight parameters with what they mean), a caterpillar plot of the member
effects and the variance decomposition by level (:meth:`coalsurv.Fit.variance_components`).
Models without an ``mm()`` term get no section.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv._format import fmt_interval, fmt_number
from coalsurv.report.export import display_table, parameter_label
from coalsurv.report.layout import Layout

__all__ = ["MemberSections", "fig_member_effects"]

_WEIGHTS = {
    "equal": "every member counts equally (w = 1/n)",
    "share": "members count in proportion to their shares",
    "power": "w proportional to share^gamma with gamma estimated: gamma = 0 is equal "
             "influence, 1 proportional to the shares, large values hand the coalition to "
             "its largest member",
    "logistic": "bml's logistic weights w proportional to 1 / (1 + (n - 1) exp(-(b0 + b1 "
                "share))), b0 and b1 estimated",
}


def fig_member_effects(fit: Any, effects, *, max_members: int = 40) -> Any:
    """Caterpillar plot of the member effects (one panel; causes coloured)."""
    from coalsurv.plots import plot_member_effects

    scale = "log hazard" if fit.info.kind == "ph" else "log lifespan"
    ax = plot_member_effects(effects, max_members=max_members,
                             xlabel=f"Member effect ({scale} scale)")
    n = min(effects["member"].nunique(), max_members)
    ax.figure.set_size_inches(7.0 if "cause" in effects.columns else 6.0,
                              min(1.2 + 0.2 * n, 9.0))
    return ax.figure


class MemberSections:
    """The members section (after the group effects)."""

    fit: Any
    L: Layout
    pct: str
    ci: float
    attempt: Any

    def member_section(self) -> list[Any]:
        """Members: weights, parameter estimates, member effects, variance decomposition."""
        L, fit = self.L, self.fit
        mm = fit.info.members
        if not mm:
            return []
        rows = fit.design.members
        out = L.section("Members (multiple membership)")
        sizes = np.bincount(rows.coalition, minlength=rows.n_episodes)
        out.append(L.text(
            f"The term {mm['formula']} adds to each coalition's linear predictor the weighted "
            f"sum over its members of their covariates' effects and their own effects "
            f"(theta_i = sum_k w_ik (x_ik' beta_m + u_k), u_k ~ Normal(0, sd_mm)): "
            f"{len(rows.levels):,} members in {len(rows.coalition):,} memberships, "
            f"{fmt_number(sizes.mean())} members per coalition on average (from "
            f"{sizes.min()} to {sizes.max()}). Weights: {_WEIGHTS[mm['weights']]}"
            + ("" if mm["sum_to_one"] else "; not normalised to sum to one") + ".", "lead"))
        out += self.attempt("member parameters", self._member_parameters)
        if mm["random"]:
            effects = fit.member_effects(ci_prob=self.ci)
            out += self.attempt("member effects", lambda: L.figure(
                fig_member_effects(fit, effects),
                f"Effect of each member (u_k; in brackets the number of coalitions it "
                f"belongs to): posterior mean and {self.pct} interval, sorted. A member in "
                f"few coalitions is shrunk towards 0.", max_height=0.85))
        out.append(L.sub("Variance decomposition by level"))
        out += self.attempt("variance decomposition", self._variance_table)
        return out

    def _member_parameters(self) -> list[Any]:
        L, fit = self.L, self.fit
        summ = fit.summary(ci_prob=self.ci)
        names = set(fit.info.members["weight_params"].values())
        keep = summ[[("mm(" in p) or p.startswith("sd_mm") or p in names
                     for p in summ["parameter"]]]
        frame = keep[["parameter", "mean", "sd"]].assign(
            parameter=[parameter_label(fit, p) for p in keep["parameter"]],
            interval=[fmt_interval(a, b) for a, b in keep[["lower", "upper"]].to_numpy()],
            **{"R-hat": [f"{v:.3f}" for v in keep["r_hat"]]})
        frame = frame.rename(columns={"interval": f"{self.pct} interval", "sd": "SD"})
        scale = "hazard" if fit.info.kind == "ph" else "time"
        return L.table(frame, widths=[0.42, 0.12, 0.12, 0.22, 0.12],
                       caption=f"Parameters of the members term: member covariates per SD "
                       f"over the membership rows on the log {scale} scale (ratios per unit "
                       f"in the ratio table), the SD of the member effects and the weight "
                       f"parameters; posterior mean, SD and {self.pct} interval.")

    def _variance_table(self) -> list[Any]:
        out = []
        for method in ("finite", "bml"):
            frame, caption = display_table(self.fit, "variance_components", ci_prob=self.ci,
                                           method=method)
            if frame.empty:
                continue
            widths = ([0.12] if "ending" in frame.columns else []) + [0.26, 0.14, 0.24, 0.24]
            out += self.L.table(frame, widths=widths, caption=caption)
        return out
