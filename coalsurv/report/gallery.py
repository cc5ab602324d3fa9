"""Every coalsurv plot of a fit as PNG files: :func:`render_gallery` (``coalsurv gallery``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coalsurv.fit.members import TYPICAL
from coalsurv.report.curves import (
    continuous_covariates,
    effect_frame,
    marginal_cif,
    marginal_survival,
    move_squares,
    prior_draws,
    thinned_predictor,
    time_grid,
)
from coalsurv.report.figures import (
    fig_cif,
    fig_effects,
    fig_energy,
    fig_forest,
    fig_group_effects,
    fig_hazard,
    fig_km,
    fig_loo_pit,
    fig_pareto_k,
    fig_prior_posterior,
    fig_prior_predictive,
    fig_survival_vs_km,
    fig_trace_rank,
)
from coalsurv.report.members import fig_member_effects

__all__ = ["render_gallery"]


def render_gallery(fit, folder, *, progress=None, dpi: int = 150) -> list:
    """Render every coalsurv plot for ``fit`` to PNG files in ``folder`` (``coalsurv gallery``).

    Returns the paths written (each atomically).
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    from coalsurv._io import atomic_write_with
    from coalsurv.plots import (
        plot_cumulative_incidence,
        plot_effect_curve,
        plot_survival,
    )

    folder = Path(folder)
    say = progress or (lambda _m: None)
    written: list = []
    ci = 0.95

    def save(name: str, make) -> None:
        say(f"gallery: {name}")
        fig = make()
        fig = fig if hasattr(fig, "savefig") else fig.figure
        try:
            written.append(atomic_write_with(
                folder / f"{name}.png",
                lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight",
                                        facecolor="white")))
        finally:
            plt.close(fig)

    say("gallery: diagnostics (LOO, PIT)")
    diag = fit.diagnose()
    prior = prior_draws(fit)
    times = time_grid(fit, 60)
    cov = fit.data.covariates
    save("data_kaplan_meier", lambda: fig_km(fit))
    save("prior_predictive", lambda: fig_prior_predictive(fit, prior, ci_prob=ci))
    pp = fig_prior_posterior(fit, prior)
    if pp is not None:
        save("prior_posterior", lambda: pp)
    save("trace_rank", lambda: fig_trace_rank(fit))
    save("energy", lambda: fig_energy(fit))
    if diag.loo is not None:
        save("pareto_k", lambda: fig_pareto_k(fit, diag.loo.pareto_k))
    if diag.loo_pit is not None:
        save("loo_pit", lambda: fig_loo_pit(diag.loo_pit))
    ratios = fit.hazard_ratios(ci_prob=ci)
    if len(ratios):
        save("forest", lambda: fig_forest(fit, ratios))
    save("survival_vs_km", lambda: fig_survival_vs_km(
        fit, marginal_survival(fit, times, ci_prob=ci)))
    names = continuous_covariates(fit)
    if names:
        x = names[0]
        profiles = cov.mean().to_frame().T
        profiles = profiles.loc[profiles.index.repeat(2)].reset_index(drop=True)
        profiles[x] = np.nanquantile(cov[x], [0.1, 0.9])
        profiles.attrs["mm"] = TYPICAL  # an mm() model's typical coalition
        move_squares(profiles, x, cov)
        save("survival_profiles", lambda: plot_survival(
            fit.survival(times, profiles, ci_prob=ci), km=fit.data.kaplan_meier(),
            time_unit=fit.time_unit, label_by=x,
            title=f"Survival at low and high {x} (others at their means)"))
        pred = thinned_predictor(fit, 200)
        save("effect_curves", lambda: fig_effects(
            fit, {n: effect_frame(fit, n, ci_prob=ci, predictor=pred) for n in names[:4]}))
    save("hazard", lambda: fig_hazard(fit, ci_prob=ci))
    if len(fit.info.causes) > 1:
        cif = marginal_cif(fit, time_grid(fit, 40), ci_prob=ci)
        save("cumulative_incidence", lambda: fig_cif(fit, cif))
        save("cumulative_incidence_stacked", lambda: plot_cumulative_incidence(
            cif, time_unit=fit.time_unit, stacked=True,
            title="How coalitions have ended by t (posterior means, stacked)"))
        if names:
            x = names[0]
            grid = np.linspace(*np.nanquantile(cov[x], [0.05, 0.95]), 15)
            rows = pd.concat([cov.mean().to_frame().T] * len(grid), ignore_index=True)
            rows[x] = grid
            rows.attrs["mm"] = TYPICAL
            move_squares(rows, x, cov)
            horizon = float(np.quantile(np.asarray(fit.data.time, float), 0.5))
            at = fit.cumulative_incidence([horizon], rows, ci_prob=ci)
            at[x] = grid[at["row"].to_numpy()]
            save("incidence_effect", lambda: plot_effect_curve(
                at, x=x, by="cause",
                ylabel=f"P(ended that way within {horizon:.3g} {fit.time_unit})",
                title=f"Each ending within {horizon:.3g} {fit.time_unit} against {x}"))
    effects = fit.group_effects(ci_prob=ci)
    for factor in dict.fromkeys(effects["factor"]) if len(effects) else []:
        save(f"group_effects_{factor}", lambda f=factor: fig_group_effects(fit, effects, f))
    if fit.info.members and fit.info.members["random"]:
        save("member_effects", lambda: fig_member_effects(fit, fit.member_effects(ci_prob=ci)))
    return written
