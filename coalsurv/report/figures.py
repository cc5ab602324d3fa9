"""Figures and derived quantities of the PDF report (:mod:`coalsurv.report`).

Every function takes a :class:`~coalsurv.Fit` (and what it needs besides) and returns a
matplotlib Figure drawn with the :mod:`coalsurv.plots` functions and house style. Quantities
that average over the data's rows (the marginal survival curve compared with Kaplan–Meier, the
marginal cumulative incidence compared with Aalen–Johansen) are computed here on a thinned set
of posterior draws and in chunks of rows, so that memory stays bounded for large data sets.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "time_grid",
    "marginal_survival",
    "marginal_cif",
    "prior_draws",
    "continuous_covariates",
    "effect_frame",
    "fig_km",
    "fig_prior_predictive",
    "fig_prior_posterior",
    "fig_trace_rank",
    "fig_energy",
    "fig_pareto_k",
    "fig_loo_pit",
    "fig_forest",
    "fig_survival_vs_km",
    "fig_hazard",
    "fig_cif",
    "fig_effects",
    "fig_group_effects",
    "MAX_DRAWS",
    "render_gallery",
]

#: Posterior draws used for row-averaged (marginal) curves and effect curves.
MAX_DRAWS = 300
#: Prior draws for the prior predictive check.
PRIOR_DRAWS = 200
_CHUNK = 50


def _summ(draws: np.ndarray, ci_prob: float) -> dict[str, np.ndarray]:
    lo, hi = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"mean": np.nanmean(draws, axis=0), "lower": np.nanquantile(draws, lo, axis=0),
                "upper": np.nanquantile(draws, hi, axis=0)}


def _predictor(fit, max_draws: int = MAX_DRAWS):
    from coalsurv.fit.predict import Predictor

    return Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)


def _rows(fit) -> pd.DataFrame:
    """Return the data's covariate and group columns (original units), one row per episode."""
    frame = pd.concat([fit.data.covariates, fit.data.groups], axis=1)
    return frame.reset_index(drop=True)


def time_grid(fit, n: int = 60, *, start: float = 0.0) -> np.ndarray:
    """Evenly spaced times from ``start`` to the largest finite observed time."""
    data = fit.data
    upper = np.asarray(data.time_upper, dtype=float)
    t_max = float(np.nanmax(np.concatenate([np.asarray(data.time, float),
                                            upper[np.isfinite(upper)]])))
    return np.linspace(start, max(t_max, 1e-9), n)


def marginal_survival(fit, times, *, ci_prob: float, max_draws: int = MAX_DRAWS,
                      predictor=None) -> pd.DataFrame:
    """Posterior survival averaged over the data's rows (each with its own group effect).

    Returns a frame ``time, mean, lower, upper, ci_prob`` comparable with Kaplan–Meier.
    """
    pred = predictor or _predictor(fit, max_draws)
    rows = _rows(fit)
    total = None
    for start in range(0, len(rows), _CHUNK):
        part = pred.survival(times, rows.iloc[start:start + _CHUNK]).sum(axis=1)
        total = part if total is None else total + part
    stat = _summ(total / len(rows), ci_prob)
    return pd.DataFrame({"time": np.asarray(times, float), **stat, "ci_prob": ci_prob})


def marginal_cif(fit, times, *, ci_prob: float, max_draws: int = 150,
                 predictor=None) -> pd.DataFrame:
    """Cumulative incidence of each cause averaged over the data's rows (tidy, with ``cause``)."""
    pred = predictor or _predictor(fit, max_draws)
    rows = _rows(fit)
    total = None
    for start in range(0, len(rows), _CHUNK):
        part = pred.cumulative_incidence(times, rows.iloc[start:start + _CHUNK],
                                         n_grid=200).sum(axis=2)
        total = part if total is None else total + part
    draws = total / len(rows)  # (draw, cause, time)
    stat = _summ(draws, ci_prob)
    out = []
    for k, cause in enumerate(fit.info.causes):
        out.append(pd.DataFrame({"row": 0, "cause": cause, "time": np.asarray(times, float),
                                 **{key: v[k] for key, v in stat.items()},
                                 "ci_prob": ci_prob}))
    return pd.concat(out, ignore_index=True)


def prior_draws(fit, *, draws: int = PRIOR_DRAWS, random_seed: int | None = None):
    """Draws of the model's parameters from their priors (xarray Dataset: chain, draw, ...)."""
    import pymc as pm

    from coalsurv.fit.model import SurvivalModel

    model, _, _, _ = SurvivalModel.from_spec(fit.spec, priors=fit.priors).build(fit.data)
    names = [v.name for v in model.free_RVs] + [v.name for v in model.deterministics]
    seed = fit.settings.random_seed if random_seed is None else random_seed
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # no "Sampling: [...]" line in the middle of a report
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = pm.sample_prior_predictive(draws=draws, model=model, var_names=names,
                                              random_seed=int(seed))
    finally:
        logger.setLevel(level)
    prior = tree["prior"]
    return prior.to_dataset() if hasattr(prior, "to_dataset") else prior


def derived_squares(cov: pd.DataFrame) -> dict[str, str]:
    """Covariate columns that are the square of another (``power_hhi_sq`` -> ``power_hhi``)."""
    out = {}
    for b in cov.columns:
        for a in cov.columns:
            if a != b and np.allclose(cov[b].to_numpy(float), cov[a].to_numpy(float) ** 2,
                                      rtol=1e-4, atol=1e-5, equal_nan=True):  # rounded CSVs
                out[b] = a
                break
    return out


def continuous_covariates(fit) -> list[str]:
    """Return the model terms that are plain covariates taking more than two values.

    Squares of another covariate are left out: they move with it.
    """
    cov = fit.data.covariates
    derived = derived_squares(cov)
    return [t for t in fit.info.terms
            if t in cov.columns and cov[t].nunique() > 2 and t not in derived]


def effect_frame(fit, variable: str, *, ci_prob: float, n: int = 21,
                 predictor=None) -> pd.DataFrame:
    """Median lifespan against ``variable`` (5th to 95th percentile), others at their means.

    Group effects are set to zero (a typical group). A covariate that is the square of
    ``variable`` moves with it. Columns ``<variable>``, ``mean``, ``lower``, ``upper``,
    ``ci_prob``.
    """
    pred = predictor or _predictor(fit, 200)
    cov = fit.data.covariates
    lo, hi = np.nanquantile(cov[variable], [0.05, 0.95])
    grid = np.linspace(lo, hi, n)
    base = cov.mean().to_frame().T
    newdata = pd.concat([base] * n, ignore_index=True)
    newdata[variable] = grid
    _move_squares(newdata, variable, cov)
    parts = [_median(fit, pred, newdata.iloc[start:start + 7]) for start in range(0, n, 7)]
    draws = np.concatenate(parts, axis=1)
    draws = np.where(np.isfinite(draws), draws, np.nan)
    stat = _summ(draws, ci_prob)
    return pd.DataFrame({variable: grid, **stat, "ci_prob": ci_prob})


def _median(fit, pred, newdata: pd.DataFrame) -> np.ndarray:
    """Median time to any ending, (draw, row), group effects at zero; inf when never reached.

    Closed form for one modelled ending; otherwise overall survival on a grid, with linear
    interpolation at the crossing of 1/2.
    """
    if len(fit.info.causes) == 1:
        with np.errstate(all="ignore"):
            return pred.quantile(0.5, newdata, frailty="zero")
    grid = np.linspace(0.0, 10.0 * float(np.nanmax(np.asarray(fit.data.time, float))), 1500)
    surv = pred.survival(grid, newdata, frailty="zero")  # (draw, row, time)
    below = surv <= 0.5
    first = np.where(below.any(axis=-1), below.argmax(axis=-1), -1)
    j = np.maximum(first, 1)
    s1 = np.take_along_axis(surv, j[..., None], axis=-1)[..., 0]
    s0 = np.take_along_axis(surv, (j - 1)[..., None], axis=-1)[..., 0]
    with np.errstate(all="ignore"):
        frac = np.clip((s0 - 0.5) / (s0 - s1), 0.0, 1.0)
    t = grid[j - 1] + frac * (grid[j] - grid[j - 1])
    return np.where(first >= 0, t, np.inf)


# ---------------------------------------------------------------------------------- figures
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
            times = data._km_times()
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
    stat = _summ(surv, ci_prob)
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
        flat = values.reshape(values.shape[0] * values.shape[1], -1)
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

    names = ["beta", *[p for p in fit.info.family_params if p != "log_rates"],
             *[n for n in fit.idata["posterior"].data_vars if n.startswith("sd_")]]
    pri = _scalar_draws(prior, names)
    post = _scalar_draws(fit.idata["posterior"], names)
    keys = [k for k in post if k in pri][:max_panels]
    if not keys:
        return None
    out = plot_prior_posterior(pri, post, names=keys)
    return out if hasattr(out, "savefig") else out.figure


def _main_vars(fit) -> list[str]:
    post = fit.idata["posterior"]
    names = ["intercept", "beta", *[p if p != "log_rates" else "log_baseline_dev"
                                    for p in fit.info.family_params]]
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


def fig_forest(fit, ratios: pd.DataFrame) -> Any:
    """Forest plot of hazard / time ratios per SD of each covariate."""
    from coalsurv.plots import plot_forest

    ax = plot_forest(ratios, scale="per SD")
    if "cause" in ratios.columns:
        ax.figure.set_size_inches(7.5, ax.figure.get_size_inches()[1])
    return ax.figure


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
            ajf.fit(data._km_times(), code, event_of_interest=1, entry=entry)
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
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows),
                                 squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        plot_effect_curve(frames[name], x=name, ax=ax,
                          ylabel=f"Median lifespan ({fit.time_unit})")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    return fig


def fig_group_effects(fit, effects: pd.DataFrame, factor: str) -> Any:
    """Caterpillar plot of one grouping factor's effects."""
    from coalsurv.plots import plot_group_effects

    frame = effects[effects["factor"] == factor]
    if frame["cause"].nunique() == 1:
        frame = frame.drop(columns="cause")
    scale = "log hazard" if fit.info.kind == "ph" else "log lifespan"
    ax = plot_group_effects(frame, xlabel=f"Group effect ({scale} scale)")
    width, height = ax.figure.get_size_inches()
    ax.figure.set_size_inches(7.0 if "cause" in frame.columns else 6.0, min(height, 9.0))
    return ax.figure


# ---------------------------------------------------------------------------- display tables
def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{float(value):.{digits}g}"


def _interval(lo: Any, hi: Any, digits: int = 3) -> str:
    return f"[{_num(lo, digits)}, {_num(hi, digits)}]"


def _every(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """At most ``n`` rows, evenly spread (first and last kept)."""
    if len(frame) <= n:
        return frame
    idx = np.unique(np.round(np.linspace(0, len(frame) - 1, n)).astype(int))
    return frame.iloc[idx]


def ratio_table(ratios: pd.DataFrame, pct: str) -> pd.DataFrame:
    """Hazard / time ratios, one row per (cause,) term: per SD and per unit side by side."""
    rows = []
    keys = ["cause", "term"] if "cause" in ratios.columns else ["term"]
    for key, part in ratios.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        for scale in ("per SD", "per unit"):
            r = part[part["scale"] == scale]
            if len(r):
                r = r.iloc[0]
                row[f"{scale}: median {pct} interval"] = (
                    f"{_num(r['median'])} {_interval(r['lower'], r['upper'])}")
        row["SD of covariate"] = _num(part["sd_of_covariate"].iloc[0])
        sd_row = part[part["scale"] == "per SD"]
        row["P(ratio > 1)"] = _num(sd_row["prob_above_1"].iloc[0] if len(sd_row) else None, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def worst_convergence(conv: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """Return the ``n`` parameter cells with the largest R-hat."""
    out = conv.sort_values("r_hat", ascending=False).head(n)
    out = out[["parameter", "r_hat", "ess_bulk", "ess_tail", "mcse_over_sd"]].copy()
    out["ess_bulk"] = out["ess_bulk"].round().astype(int)
    out["ess_tail"] = out["ess_tail"].round().astype(int)
    return out.rename(columns={"r_hat": "R-hat", "ess_bulk": "ESS bulk",
                               "ess_tail": "ESS tail", "mcse_over_sd": "MCSE / SD"})


def loo_table(loo: Any, pareto: pd.DataFrame | None) -> pd.DataFrame:
    """PSIS-LOO estimates and the Pareto-k bands."""
    rows = [("elpd_loo (expected log predictive density)", f"{loo.elpd:.1f} (SE {loo.se:.1f})"),
            ("p_loo (effective number of parameters)", f"{loo.p:.1f}")]
    if pareto is not None:
        for _, r in pareto.iterrows():
            rows.append((f"Pareto k {r['range']} ({r['label']})",
                         f"{int(r['count'])} ({100 * float(r['share']):.1f}%)"))
    return pd.DataFrame(rows, columns=["quantity", "value"])


def ppc_table(ppc: pd.DataFrame, unit: str, pct: str, n: int = 9) -> pd.DataFrame:
    """Marginal survival against Kaplan–Meier at a few times."""
    part = _every(ppc, n)
    return pd.DataFrame({
        f"time ({unit})": part["time"].to_numpy(),
        "at risk": part["at_risk"].to_numpy(),
        "Kaplan–Meier [95% CI]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                  part[["km", "km_lower", "km_upper"]].to_numpy()],
        f"model mean [{pct} interval]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                         part[["model_mean", "model_lower",
                                               "model_upper"]].to_numpy()],
        "gap": part["gap"].to_numpy(),
    })


def ppc_cif_table(ppc_cif: pd.DataFrame, unit: str, pct: str, n: int = 4) -> pd.DataFrame:
    """Marginal CIF against Aalen–Johansen, a few times per cause."""
    parts = []
    for cause, part in ppc_cif.groupby("cause", sort=False):
        part = _every(part, n)
        parts.append(pd.DataFrame({
            "ending": cause, f"time ({unit})": part["time"].to_numpy(),
            "Aalen–Johansen [95% CI]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                        part[["aj", "aj_lower", "aj_upper"]].to_numpy()],
            f"model mean [{pct} interval]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                             part[["model_mean", "model_lower",
                                                   "model_upper"]].to_numpy()],
            "gap": part["gap"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def discrimination_table(disc: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Harrell's C and Brier scores with intervals and the no-covariate reference."""
    names = {"c_index": "Harrell's C (higher is better)",
             "brier": "Brier score (lower is better)",
             "integrated_brier": "integrated Brier score, up to the horizon"}
    return pd.DataFrame({
        "metric": [names.get(m, m) for m in disc["metric"]],
        f"horizon ({unit})": [_num(h) for h in disc["horizon"]],
        "mean": disc["mean"].to_numpy(),
        "interval": [f"{100 * p:.0f}%: {_interval(a, b)}" for a, b, p in
                     disc[["lower", "upper", "ci_prob"]].to_numpy()],
        "reference (Kaplan–Meier / chance)": disc["reference"].to_numpy(),
    })


def calibration_table(cal: pd.DataFrame, unit: str, pct: str) -> pd.DataFrame:
    """Predicted against observed survival by risk quintile at each horizon."""
    return pd.DataFrame({
        f"horizon ({unit})": cal["horizon"].to_numpy(),
        "risk group (1 = lowest)": cal["risk_group"].to_numpy(),
        "n": cal["n"].to_numpy(),
        f"predicted S [{pct} interval]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                          cal[["predicted", "predicted_lower",
                                               "predicted_upper"]].to_numpy()],
        "observed S (KM) [95% CI]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                     cal[["observed", "observed_lower",
                                          "observed_upper"]].to_numpy()],
        "z": cal["z"].to_numpy(),
    })


def mle_table(mle: pd.DataFrame, pct: str) -> pd.DataFrame:
    """Posterior against lifelines maximum likelihood, per coefficient."""
    out = pd.DataFrame({
        **({"ending": mle["cause"].to_numpy()} if "cause" in mle.columns else {}),
        "term": mle["term"].to_numpy(),
        f"posterior mean [{pct} interval]": [f"{_num(a)} {_interval(b, c)}" for a, b, c in
                                             mle[["bayes_mean", "bayes_lower",
                                                  "bayes_upper"]].to_numpy()],
        "MLE (SE)": [f"{_num(a)} ({_num(b)})" for a, b in mle[["mle", "mle_se"]].to_numpy()],
        "difference in posterior SDs": mle["diff_in_posterior_sd"].to_numpy(),
        "lifelines model": mle["source"].to_numpy() if "source" in mle else "",
    })
    return out


# ---------------------------------------------------------------------------------- gallery
def _move_squares(frame: pd.DataFrame, variable: str, cov: pd.DataFrame) -> None:
    """Set covariates that are the square of ``variable`` to its square (in place)."""
    for square, base in derived_squares(cov).items():
        if base == variable and square in frame.columns:
            frame[square] = frame[variable] ** 2


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
        _move_squares(profiles, x, cov)
        save("survival_profiles", lambda: plot_survival(
            fit.survival(times, profiles, ci_prob=ci), km=fit.data.kaplan_meier(),
            time_unit=fit.time_unit, label_by=x,
            title=f"Survival at low and high {x} (others at their means)"))
        pred = _predictor(fit, 200)
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
            _move_squares(rows, x, cov)
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
    return written
