"""Figures of the PDF report (:mod:`coalsurv.report`).

Every function takes a :class:`~coalsurv.Fit` (and what it needs besides: curves from
:mod:`coalsurv.report.curves`, tables of the diagnosis) and returns a matplotlib Figure drawn
with the :mod:`coalsurv.plots` functions and house style.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._stats import stack_draws, summarise
from coalsurv.data.describe import exit_times
from coalsurv.report.curves import time_grid

__all__ = [
    "fig_cif",
    "fig_effects",
    "fig_energy",
    "fig_forest",
    "fig_group_effects",
    "fig_hazard",
    "fig_km",
    "fig_loo_pit",
    "fig_pareto_k",
    "fig_prior_posterior",
    "fig_prior_predictive",
    "fig_survival_vs_km",
    "fig_trace_rank",
    "forest_caption",
]


def _style():
    from coalsurv.plots import coalsurv_style

    return coalsurv_style()


def fig_km(fit) -> Any:
    """Kaplan–Meier of time to any ending (left) and Aalen–Johansen CIFs (right, several causes)."""
    import matplotlib.pyplot as plt
    from lifelines import AalenJohansenFitter

    from coalsurv.plots.style import REFERENCE_COLOR, color, interval_label, time_label

    data = fit.data
    several = len(data.causes) > 1
    with _style():
        fig, axes = plt.subplots(1, 2 if several else 1, figsize=(9.0 if several else 6.0, 3.6),
                                 squeeze=False)
        km = data.kaplan_meier()
        ax = axes[0, 0]
        sf = km.survival_function_
        ci = km.confidence_interval_
        ax.fill_between(sf.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post",
                        color=REFERENCE_COLOR, alpha=0.15, linewidth=0,
                        label=interval_label(1 - km.alpha, kind="CI"))
        ax.step(sf.index, sf.iloc[:, 0], where="post", color=REFERENCE_COLOR,
                label="Kaplan–Meier, any ending")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, float(sf.index.max()))
        ax.set_xlabel(time_label(data.time_unit))
        ax.set_ylabel("Share still in existence S(t)")
        ax.set_title("Kaplan–Meier: time to any ending")
        ax.legend(loc="best")
        if several:
            ax = axes[0, 1]
            times = exit_times(data)
            labels = data.cause_labels()
            entry = data.entry if (np.asarray(data.entry) > 0).any() else None
            for k, cause in enumerate(data.causes):
                code = np.where(labels == cause, 1, np.where(data.is_event, 2, 0))
                ajf = AalenJohansenFitter(calculate_variance=False, seed=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ajf.fit(times, code, event_of_interest=1, entry=entry)
                cif = ajf.cumulative_density_
                ax.step(cif.index, cif.iloc[:, 0], where="post", color=color(k), label=cause)
            ax.set_ylim(bottom=0)
            ax.set_xlim(0, float(np.nanmax(times)))
            ax.set_xlabel(time_label(data.time_unit))
            ax.set_ylabel("Cumulative incidence")
            ax.set_title("Aalen–Johansen: each ending")
            ax.legend(loc="best")
    return fig


def fig_prior_predictive(fit, prior, *, ci_prob: float) -> Any:
    """Survival curves implied by the priors at the mean covariate profile, with KM."""
    import matplotlib.pyplot as plt

    from coalsurv.fit.predict import Predictor
    from coalsurv.plots.style import REFERENCE_COLOR, color, interval_label, time_label

    pred = Predictor(fit.info, fit.design, prior, max_draws=None)
    times = time_grid(fit, 80)
    from coalsurv.fit.predictions import profiles

    newdata = profiles(fit, None)
    with np.errstate(all="ignore"):
        surv = pred.survival(times, newdata)[:, 0, :]
    surv = np.where(np.isfinite(surv), surv, np.nan)
    stat = summarise(surv, ci_prob, skip_nan=True)
    km = fit.data.kaplan_meier().survival_function_
    with _style():
        fig, ax = plt.subplots(figsize=(6.0, 3.6))
        for i in range(min(40, surv.shape[0])):
            ax.plot(times, surv[i], color=color(0), alpha=0.25, linewidth=0.7,
                    label="single prior draws" if i == 0 else None)
        ax.fill_between(times, stat["lower"], stat["upper"], color=color(0), alpha=0.15,
                        linewidth=0, label=f"prior {interval_label(ci_prob)}")
        ax.step(km.index, km.iloc[:, 0], where="post", color=REFERENCE_COLOR, linewidth=1.6,
                label="Kaplan–Meier (observed)")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, float(times[-1]))
        ax.set_xlabel(time_label(fit.time_unit))
        ax.set_ylabel("Survival probability S(t)")
        ax.set_title(f"Prior predictive survival ({surv.shape[0]} prior draws, mean profile)")
        ax.legend(loc="best")
    return fig


def _scalar_draws(source, names: list[str]) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        if name not in source:
            continue
        values = np.asarray(source[name], dtype=float)
        flat = stack_draws(values)
        flat = flat.reshape(flat.shape[0], -1)
        dims = [d for d in source[name].dims if d not in ("chain", "draw")]
        if flat.shape[1] == 1:
            out[name] = flat[:, 0]
            continue
        coords = [list(map(str, source[name][d].values)) for d in dims]
        import itertools

        for i, combo in enumerate(itertools.product(*coords)):
            out[f"{name}[{', '.join(combo)}]"] = flat[:, i]
    return out


def fig_prior_posterior(fit, prior, *, max_panels: int = 6) -> Any:
    """Prior and posterior densities of the main parameters."""
    from coalsurv.plots import plot_prior_posterior

    names = ["beta", *[p.posterior_name for p in fit.family.scalar_parameters],
             *[n for n in fit.idata["posterior"].data_vars if n.startswith("sd_")]]
    pri = _scalar_draws(prior, names)
    post = _scalar_draws(fit.idata["posterior"], names)
    keys = [k for k in post if k in pri]
    causes = list(fit.info.causes)
    if len(causes) > 1:  # the same number of panels for every ending, none dropped
        per = max(1, max(max_panels, len(causes)) // len(causes))
        keys = [k for c in causes for k in [k for k in keys if f"[{c}," in k
                                            or k.endswith(f"[{c}]")][:per]]
    keys = keys[:max(max_panels, len(causes))]
    if not keys:
        return None
    out = plot_prior_posterior(pri, post, names=keys)
    return out if hasattr(out, "savefig") else out.figure


def _main_vars(fit) -> list[str]:
    post = fit.idata["posterior"]
    names = ["intercept", "beta", *[p.posterior_name for p in fit.family.parameters]]
    names += [n for n in post.data_vars if n.startswith("sd_")]
    return [n for n in names if n in post.data_vars]


def fig_trace_rank(fit, *, max_panels: int = 8) -> Any:
    """Rank histograms and traces of the main parameters."""
    from coalsurv.plots import plot_trace_rank

    fig = plot_trace_rank(fit.idata, var_names=_main_vars(fit), max_panels=max_panels)
    axes = fig.axes
    rows = len(axes) // 2
    for r in range(rows):  # names inside the trace panels: rotated labels collide when short
        rank_ax, trace_ax = axes[2 * r], axes[2 * r + 1]
        name = rank_ax.get_ylabel()
        rank_ax.set_ylabel("")
        trace_ax.text(0.01, 0.96, name, transform=trace_ax.transAxes, ha="left", va="top",
                      fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0,
                                        "pad": 1.5})
    fig.set_size_inches(8.0, 1.15 * rows + 0.9)  # fits an A4 text block at full width
    return fig


def fig_energy(fit) -> Any:
    """Energy plot with E-BFMI per chain."""
    from coalsurv.plots import plot_energy

    return plot_energy(fit.idata).figure


def fig_pareto_k(fit, pareto_k) -> Any:
    """PSIS-LOO Pareto k per coalition."""
    from coalsurv.plots import plot_pareto_k

    ids = [str(i) for i in fit.data.ids]
    ax = plot_pareto_k(pareto_k, ids=ids)
    ax.figure.set_size_inches(6.0, 3.0)
    return ax.figure


def fig_loo_pit(loo_pit: pd.DataFrame) -> Any:
    """ECDF of LOO-PIT values against the uniform."""
    from coalsurv.plots import plot_loo_pit

    ax = plot_loo_pit(loo_pit["pit"].to_numpy(float), ci_prob=0.95)
    ax.figure.set_size_inches(5.5, 3.6)
    return ax.figure


def fig_forest(fit, ratios: pd.DataFrame, contrasts: pd.DataFrame | None = None) -> Any:
    """Forest plot of hazard / time ratios per SD; multi-term covariates as joint contrasts.

    ``contrasts``: rows of :func:`coalsurv.fit.effects.forest_contrasts` (computed when
    omitted) drawn in place of the single-term rows of their covariates.
    """
    from coalsurv.fit.effects import forest_contrasts
    from coalsurv.plots import plot_forest

    if contrasts is None:
        contrasts = forest_contrasts(fit, ci_prob=float(ratios["ci_prob"].iloc[0]))
    return plot_forest(ratios, scale="per SD", contrasts=contrasts).figure


def forest_caption(fit, *, ci_prob: float) -> str:
    """Caption of :func:`fig_forest`: what each kind of row is."""
    from coalsurv.fit.effects import families

    name = fit.ratio_name[:1].upper() + fit.ratio_name[1:]
    joint = [f for f in families(fit).values() if f.joint]
    text = (f"{name}s per SD of each covariate: posterior median and {100 * ci_prob:g}% "
            f"interval (log scale).")
    if joint:
        names = ", ".join(f"{f.variable} (terms {', '.join(f.terms)})" for f in joint)
        text += (f" Covariates entering several terms, {names}, are drawn once, as the joint "
                 f"{fit.ratio_name} of all their terms between the 75th and the 25th "
                 f"percentile of the covariate (diamonds, italic labels), the other "
                 f"covariates at their means.")
    tve = getattr(fit.info, "tve", None) or {}
    if tve:
        text += (f" The ratio of {', '.join(tve)} changes over follow-up (tve): drawn is its "
                 f"geometric mean over follow-up (intervals, or log time for a spline); its "
                 f"ratio over time is in the time-varying-effect figure.")
    return text


def fig_survival_vs_km(fit, curve: pd.DataFrame) -> Any:
    """Marginal posterior survival (averaged over coalitions) against Kaplan–Meier."""
    from coalsurv.plots import plot_survival_ppc

    km = fit.data.kaplan_meier(label="Kaplan–Meier (observed)")
    ax = plot_survival_ppc(curve, km, time_unit=fit.time_unit,
                           title="Posterior survival averaged over coalitions vs Kaplan–Meier")
    ax.figure.set_size_inches(6.5, 3.8)
    return ax.figure


def fig_hazard(fit, *, ci_prob: float) -> Any:
    """Hazard of each modelled ending at the mean covariate profile."""
    from coalsurv.plots import plot_hazard

    times = time_grid(fit, 60)
    times = times[1:]  # h(0) can be infinite (Weibull shape < 1)
    frame = fit.hazard(times, ci_prob=ci_prob)
    ending = frame["cause"].replace({"any": "any ending"}) if fit.info.pooled else frame["cause"]
    frame = frame.assign(row=frame["cause"], ending=ending)
    several = len(fit.info.causes) > 1
    ax = plot_hazard(frame, time_unit=fit.time_unit, label_by="ending",
                     title="Hazard " + ("of each ending " if several else "")
                     + "at the mean covariate profile")
    ax.figure.set_size_inches(6.5, 3.6)
    return ax.figure


def fig_cif(fit, cif: pd.DataFrame) -> Any:
    """Marginal posterior CIFs against Aalen–Johansen estimates."""
    from lifelines import AalenJohansenFitter

    from coalsurv.plots import plot_cumulative_incidence

    data = fit.data
    labels = data.cause_labels()
    entry = data.entry if (np.asarray(data.entry) > 0).any() else None
    aj = {}
    for cause in fit.info.causes:
        code = np.where(labels == cause, 1, np.where(data.is_event, 2, 0))
        ajf = AalenJohansenFitter(calculate_variance=False, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ajf.fit(exit_times(data), code, event_of_interest=1, entry=entry)
        aj[cause] = ajf
    ax = plot_cumulative_incidence(cif, time_unit=fit.time_unit, aalen_johansen=aj,
                                   title="Cumulative incidence of each ending "
                                   "(averaged over coalitions)")
    ax.figure.set_size_inches(6.5, 4.0)
    return ax.figure


def fig_effects(fit, frames: dict[str, pd.DataFrame]) -> Any:
    """Median lifespan against each continuous covariate (one panel each)."""
    import matplotlib.pyplot as plt

    from coalsurv.plots import coalsurv_style, plot_effect_curve

    names = list(frames)
    ncols = min(2, len(names))
    nrows = -(-len(names) // ncols)
    with coalsurv_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(8.0 if ncols == 2 else 6.5,
                                                        3.0 * nrows + 0.4), squeeze=False,
                                 layout="constrained")
    for ax, name in zip(axes.ravel(), names, strict=False):
        plot_effect_curve(frames[name], x=name, ax=ax,
                          ylabel=f"Median lifespan ({fit.time_unit})")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    _one_legend(fig, axes.ravel()[:len(names)])
    return fig


def _one_legend(fig: Any, axes: Any) -> None:
    """Replace the panels' (equal) legends by one under the panels, off every band.

    Needs the figure's constrained layout (``loc="outside ..."``).
    """
    legend = axes[0].get_legend()
    if legend is None:
        return
    handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    handles = getattr(legend, "_coalsurv_handles", None) or handles
    for ax in axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
               fontsize="small", frameon=False)


def fig_time_varying_effects(fit, *, ci_prob: float) -> Any:
    """Hazard ratio (per SD) of each ``tve(x)`` term over follow-up, one panel per term/cause."""
    import matplotlib.pyplot as plt

    from coalsurv.plots import coalsurv_style, plot_time_varying_effect

    times = time_grid(fit)
    times = times[times > 0]
    panels = [(name, cause) for name in fit.info.tve for cause in fit.info.causes]
    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    # the size of the report's other figures (6-8 in wide), so its fonts print at their size
    size = (6.5, 3.6) if ncols == 1 else (8.0, 3.2 * nrows + 0.4)
    with coalsurv_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False,
                                 layout="constrained")
    for ax, (name, cause) in zip(axes.ravel(), panels, strict=False):
        frame = fit.time_varying_effect(name, times, per="sd", ci_prob=ci_prob, cause=cause)
        label = name if len(fit.info.causes) == 1 else f"{name}: {cause}"
        plot_time_varying_effect(frame, time_unit=fit.time_unit, ax=ax, title=label)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if len(panels) > 1:  # a legend beside the left panel would run into the right one
        _one_legend(fig, axes.ravel()[:len(panels)])
    return fig


def fig_group_effects(fit, effects: pd.DataFrame, factor: str) -> Any:
    """Caterpillar plot of one grouping factor's effects."""
    from coalsurv.plots import plot_group_effects

    frame = effects[effects["factor"] == factor]
    if frame["cause"].nunique() == 1:
        frame = frame.drop(columns="cause")
    scale = {"ph": "log hazard", "po": "log odds"}.get(fit.info.kind, "log lifespan")
    ax = plot_group_effects(frame, xlabel=f"Group effect ({scale} scale)")
    width, height = ax.figure.get_size_inches()
    ax.figure.set_size_inches(7.0 if "cause" in frame.columns else 6.0, min(height, 9.0))
    return ax.figure
