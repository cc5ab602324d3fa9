"""Plots of coalsurv results: survival, hazards, incidence, effects, diagnostics.

Pure matplotlib functions of tidy pandas frames and arrays (``Fit.plot_*`` methods call them).
Every function takes ``ax=None`` (a new figure when omitted) and returns the Axes, or the
Figure for multi-panel plots. Time axes always carry their unit and every band states its mass.
"""

from __future__ import annotations

from coalsurv.plots.diagnostics import (
    plot_energy,
    plot_loo_pit,
    plot_pareto_k,
    plot_prior_posterior,
    plot_trace_rank,
)
from coalsurv.plots.effects import plot_effect_curve, plot_forest, plot_group_effects
from coalsurv.plots.incidence import plot_cumulative_incidence
from coalsurv.plots.joint import plot_joint_effect
from coalsurv.plots.members import plot_member_effects
from coalsurv.plots.multistate import (
    plot_state_occupancy,
    plot_transition_diagram,
    plot_transition_hazards,
)
from coalsurv.plots.prior import plot_prior_predictive
from coalsurv.plots.speccurve import plot_spec_curve
from coalsurv.plots.style import (
    FONT_SIZES,
    PALETTE,
    RC,
    coalsurv_style,
    interval_label,
    per_time_label,
    time_label,
)
from coalsurv.plots.survival import plot_hazard, plot_survival, plot_survival_ppc
from coalsurv.plots.time_effects import plot_time_varying_effect

__all__ = [
    "PALETTE",
    "FONT_SIZES",
    "RC",
    "coalsurv_style",
    "time_label",
    "per_time_label",
    "interval_label",
    "plot_joint_effect",
    "plot_survival",
    "plot_survival_ppc",
    "plot_hazard",
    "plot_prior_predictive",
    "plot_spec_curve",
    "plot_cumulative_incidence",
    "plot_state_occupancy",
    "plot_transition_hazards",
    "plot_transition_diagram",
    "plot_forest",
    "plot_effect_curve",
    "plot_group_effects",
    "plot_member_effects",
    "plot_trace_rank",
    "plot_energy",
    "plot_pareto_k",
    "plot_loo_pit",
    "plot_prior_posterior",
    "plot_time_varying_effect",
]
