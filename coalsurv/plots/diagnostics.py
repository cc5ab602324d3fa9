"""Sampler and model-check plots: trace + rank, energy, Pareto k, LOO-PIT, prior vs posterior.

Posterior draws come from an ArviZ DataTree (``idata["posterior"][name]`` with dims
``(chain, draw, ...)``; ``idata["sample_stats"]["energy"]``); other inputs are plain arrays.
Everything is drawn with matplotlib directly, so the returned structure is predictable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coalsurv.plots._common import get_ax, legend_with
from coalsurv.plots.style import (
    BAND_ALPHA,
    LIGHT_BAND_ALPHA,
    REFERENCE_COLOR,
    color,
    interval_label,
    styled,
)

__all__ = [
    "plot_trace_rank",
    "plot_energy",
    "plot_pareto_k",
    "plot_loo_pit",
    "plot_prior_posterior",
]

#: E-BFMI below this suggests the sampler explores the energy distribution poorly.
EBFMI_THRESHOLD = 0.3


def _group(idata: Any, name: str) -> Any:
    """Group ``name`` of a DataTree (or an object exposing it) as an xarray Dataset."""
    try:
        node = idata[name]
    except (KeyError, TypeError) as err:
        node = getattr(idata, name, None)
        if node is None:
            raise ValueError(f"idata has no {name!r} group") from err
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def _chain_draw(values: Any, what: str) -> np.ndarray:
    dims = tuple(getattr(values, "dims", ()))
    if dims[:2] != ("chain", "draw"):
        raise ValueError(f"{what} must have dims (chain, draw, ...); got {dims}")
    return np.asarray(values, dtype=float)


def _panels(ds: Any, var_names: Sequence[str] | None) -> list[tuple[str, np.ndarray]]:
    """(label, (chain, draw) array) per scalar component of the requested variables."""
    names = list(ds.data_vars) if var_names is None else (
        [var_names] if isinstance(var_names, str) else list(var_names)
    )
    unknown = [n for n in names if n not in ds.data_vars]
    if unknown:
        raise ValueError(f"var_names {unknown} are not in the posterior ({list(ds.data_vars)})")
    out = []
    for name in names:
        da = ds[name]
        values = _chain_draw(da, f"posterior[{name!r}]")
        extra = da.dims[2:]
        if not extra:
            out.append((str(name), values))
            continue
        coords = [
            da.coords[d].values if d in da.coords else np.arange(da.sizes[d]) for d in extra
        ]
        for idx in np.ndindex(*values.shape[2:]):
            label = ", ".join(str(coords[k][i]) for k, i in enumerate(idx))
            out.append((f"{name}[{label}]", values[(slice(None), slice(None), *idx)]))
    return out


@styled
def plot_trace_rank(
    idata: Any,
    *,
    var_names: str | Sequence[str] | None = None,
    max_panels: int = 8,
    bins: int | None = None,
    title: str | None = "Rank histograms and traces",
) -> Any:
    """Rank histograms per chain (left) and trace plots (right), one row per parameter.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit results with a ``posterior`` group (dims ``chain``, ``draw``, ...).
    var_names : str or sequence of str, optional
        Variables to show (default: all). Non-scalar variables are flattened into one row
        per component, named ``beta[fract]``.
    max_panels : int, default 8
        At most this many rows; the figure says when some were left out.
    bins : int, optional
        Number of rank bins (default: draws // 10, between 5 and 20). With well-mixed chains
        every chain's histogram is flat around the dashed uniform line.
    title : str or None, default "Rank histograms and traces"
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``2 * rows`` axes: rank histogram, trace, for each row.
    """
    import matplotlib.pyplot as plt
    from scipy.stats import rankdata

    panels = _panels(_group(idata, "posterior"), var_names)
    if not panels:
        raise ValueError("the posterior has no variables to plot")
    total = len(panels)
    panels = panels[: max(1, int(max_panels))]
    n_chain, n_draw = panels[0][1].shape
    nbins = bins if bins is not None else int(np.clip(n_draw // 10, 5, 20))
    edges = np.linspace(0.5, n_chain * n_draw + 0.5, nbins + 1)
    expected = n_draw / nbins
    fig, axes = plt.subplots(
        len(panels), 2, figsize=(8.0, 1.7 * len(panels) + 0.6), squeeze=False,
        gridspec_kw={"width_ratios": [1, 2]},
    )
    draws = np.arange(n_draw)
    for r, (label, values) in enumerate(panels):
        ax_rank, ax_trace = axes[r]
        ranks = rankdata(values, axis=None).reshape(values.shape)
        top = expected
        for c in range(n_chain):
            counts, _ = np.histogram(ranks[c], bins=edges)
            ax_rank.stairs(counts, edges, color=color(c), linewidth=1.3, baseline=None)
            top = max(top, counts.max())
            ax_trace.plot(draws, values[c], color=color(c), linewidth=0.7, alpha=0.85,
                          label=f"chain {c}")
        ax_rank.axhline(expected, color=REFERENCE_COLOR, linestyle="--", linewidth=1.0)
        ax_rank.set_ylim(0.0, 1.15 * top)
        ax_rank.set_yticks([])
        ax_rank.set_ylabel(label)
        ax_rank.grid(False)
        ax_trace.set_xlim(0, n_draw - 1)
    axes[-1, 0].set_xlabel("Rank over all chains")
    axes[-1, 1].set_xlabel("Draw")
    axes[0, 0].set_title("Rank histogram (dashed: uniform)")
    axes[0, 1].set_title("Trace")
    if n_chain <= 8:  # beside the first trace, never over it or its label
        axes[0, 1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1,
                          fontsize="small", borderaxespad=0.0)
    if total > len(panels):
        fig.text(0.99, 0.005, f"showing {len(panels)} of {total} parameters",
                 ha="right", va="bottom", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def e_bfmi(energy: np.ndarray) -> np.ndarray:
    """Estimated Bayesian fraction of missing information per chain.

    Parameters
    ----------
    energy : numpy.ndarray
        Hamiltonian energy, shape ``(chain, draw)``.

    Returns
    -------
    numpy.ndarray
        One value per chain: mean squared energy transition over the energy variance.
    """
    energy = np.atleast_2d(np.asarray(energy, dtype=float))
    return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1)


@styled
def plot_energy(idata: Any, *, ax: Any = None, bins: int = 30) -> Any:
    """Marginal energy against energy-transition distributions, with E-BFMI per chain.

    When the transition histogram is much narrower than the marginal one, HMC cannot
    traverse the posterior's energy levels (low E-BFMI; below 0.3 is flagged).

    Parameters
    ----------
    idata : xarray.DataTree
        Fit results with ``sample_stats["energy"]`` (dims ``chain``, ``draw``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    bins : int, default 30
        Histogram bins (shared by both distributions).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    from matplotlib.lines import Line2D

    stats = _group(idata, "sample_stats")
    if "energy" not in stats:
        raise ValueError("idata['sample_stats'] has no 'energy' (was it sampled with NUTS?)")
    energy = _chain_draw(stats["energy"], "sample_stats['energy']")
    marginal = (energy - energy.mean()).ravel()
    transition = np.diff(energy, axis=1).ravel()
    edges = np.histogram_bin_edges(np.concatenate([marginal, transition]), bins=bins)
    ax = get_ax(ax)
    ax.hist(marginal, bins=edges, density=True, histtype="stepfilled", alpha=0.5,
            color=color(0), label="Marginal energy (centred)")
    ax.hist(transition, bins=edges, density=True, histtype="stepfilled", alpha=0.5,
            color=color(1), label="Energy transition")
    values = e_bfmi(energy)
    extra = [
        Line2D([], [], linestyle="none",
               label=f"E-BFMI chain {c}: {v:.2f}" + (" (low)" if v < EBFMI_THRESHOLD else ""))
        for c, v in enumerate(values)
    ]
    ax.set_xlabel("Energy")
    ax.set_ylabel("Density")
    ax.set_yticks([])
    low = int((values < EBFMI_THRESHOLD).sum())
    ax.set_title("Energy" + (f": {low} chain(s) with E-BFMI < {EBFMI_THRESHOLD}" if low else ""))
    legend_with(ax, extra)
    return ax


@styled
def plot_pareto_k(
    pareto_k: Any,
    *,
    ax: Any = None,
    threshold: float = 0.7,
    ids: Sequence[Any] | None = None,
    max_labels: int = 10,
) -> Any:
    """Pareto k diagnostic of PSIS-LOO per observation, with the reliability threshold.

    Parameters
    ----------
    pareto_k : array-like
        One Pareto k per observation (an xarray DataArray is flattened).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    threshold : float, default 0.7
        Values above it make the LOO estimate for that observation unreliable.
    ids : sequence, optional
        Observation ids (same length as ``pareto_k``); up to ``max_labels`` points above
        the threshold are annotated with theirs.
    max_labels : int, default 10
        Most annotations drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    k = np.asarray(pareto_k, dtype=float).ravel()
    if k.size == 0:
        raise ValueError("pareto_k is empty")
    if ids is not None and len(ids) != k.size:
        raise ValueError(f"ids has {len(ids)} entries but pareto_k has {k.size}")
    idx = np.arange(k.size)
    bad = k > threshold
    ax = get_ax(ax)
    ax.scatter(idx[~bad], k[~bad], s=12, color=color(0), alpha=0.7,
               label=f"k ≤ {threshold:g}: {int((~bad).sum())}")
    ax.scatter(idx[bad], k[bad], s=22, color=color(1), marker="x",
               label=f"k > {threshold:g}: {int(bad.sum())}")
    ax.axhline(threshold, color=REFERENCE_COLOR, linestyle="--", linewidth=1.0,
               label=f"threshold k = {threshold:g}")
    if ids is not None:
        for i in idx[bad][np.argsort(-k[bad])][:max_labels]:
            ax.annotate(str(ids[i]), (i, k[i]), textcoords="offset points", xytext=(3, 3),
                        fontsize="x-small")
    ax.set_xlabel("Observation")
    ax.set_ylabel("Pareto k")
    ax.set_title(f"PSIS-LOO Pareto k: {int(bad.sum())} of {k.size} above {threshold:g}")
    legend_with(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # points fill the panel
    return ax


@styled
def plot_loo_pit(
    pit_values: Any,
    *,
    ax: Any = None,
    ci_prob: float = 0.94,
    difference: bool = False,
) -> Any:
    """ECDF of LOO-PIT values against the uniform, with a simultaneous DKW band.

    For a calibrated model the PIT values are uniform and their ECDF stays inside the band
    (simultaneously over [0, 1], with probability ``ci_prob``; Dvoretzky–Kiefer–Wolfowitz).

    Parameters
    ----------
    pit_values : array-like
        PIT values in [0, 1], one per observation.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    ci_prob : float, default 0.94
        Mass of the simultaneous band.
    difference : bool, default False
        Plot ECDF minus the uniform CDF (easier to read for large samples).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    pit = np.asarray(pit_values, dtype=float).ravel()
    pit = pit[np.isfinite(pit)]
    if pit.size == 0:
        raise ValueError("pit_values has no finite values")
    if (pit < 0).any() or (pit > 1).any():
        raise ValueError("PIT values must lie in [0, 1]")
    band = interval_label(ci_prob, kind="simultaneous band")
    n = pit.size
    eps = float(np.sqrt(np.log(2.0 / (1.0 - ci_prob)) / (2.0 * n)))
    xs = np.concatenate([[0.0], np.sort(pit), [1.0]])
    ecdf = np.concatenate([[0.0], np.arange(1, n + 1) / n, [1.0]])
    grid = np.linspace(0.0, 1.0, 201)
    uniform = grid if difference else np.zeros_like(grid)  # subtracted in difference mode
    lower = np.clip(grid - eps, 0.0, 1.0) - uniform
    upper = np.clip(grid + eps, 0.0, 1.0) - uniform
    ks = float(np.max(np.maximum(np.arange(1, n + 1) / n - np.sort(pit),
                                 np.sort(pit) - np.arange(n) / n)))
    ax = get_ax(ax)
    ax.fill_between(grid, lower, upper, color=REFERENCE_COLOR, alpha=LIGHT_BAND_ALPHA + 0.05,
                    linewidth=0, label=f"{band} (DKW)")
    ax.plot(grid, grid - uniform,
            color=REFERENCE_COLOR, linestyle="--", linewidth=1.0, label="Uniform")
    ax.step(xs, ecdf - (xs if difference else 0.0), where="post", color=color(0),
            label="LOO-PIT ECDF")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("PIT value")
    ax.set_ylabel("ECDF − uniform" if difference else "ECDF")
    verdict = "inside" if ks <= eps else "outside"
    ax.set_title(f"LOO-PIT: max deviation {ks:.3f}, {verdict} the {band}")
    legend_with(ax, loc="upper left")
    return ax


def _draws(source: Mapping[str, Any], name: str, what: str) -> np.ndarray:
    values = np.asarray(source[name], dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError(f"{what}[{name!r}] has no finite draws")
    return values


def _density(ax: Any, values: np.ndarray, grid: np.ndarray, *, col: str, label: str,
             alpha: float) -> None:
    from scipy.stats import gaussian_kde

    if np.ptp(values) <= 0 or values.size < 2:
        ax.axvline(values[0], color=col, label=label)
        return
    dens = gaussian_kde(values)(grid)
    ax.fill_between(grid, dens, color=col, alpha=alpha, linewidth=0)
    ax.plot(grid, dens, color=col, label=label)


@styled
def plot_prior_posterior(
    prior_draws: Mapping[str, Any],
    posterior_draws: Mapping[str, Any],
    *,
    names: str | Sequence[str],
    ax: Any = None,
) -> Any:
    """Prior and posterior densities per parameter (how much the data taught us).

    Parameters
    ----------
    prior_draws, posterior_draws : dict of str to array-like
        Draws per parameter name (flattened; DataArrays are fine).
    names : str or sequence of str
        Parameters to show, one panel each.
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        One Axes per name; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes when one name is given, else the Figure holding one panel per name.
    """
    import matplotlib.pyplot as plt

    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("names is empty")
    missing = [f"prior_draws[{n!r}]" for n in names if n not in prior_draws] + [
        f"posterior_draws[{n!r}]" for n in names if n not in posterior_draws
    ]
    if missing:
        raise ValueError(f"no draws for {', '.join(missing)}")
    if ax is None:
        if len(names) == 1:
            axes = [get_ax(None, figsize=(4.5, 3.2))]
        else:
            ncols = min(3, len(names))
            nrows = -(-len(names) // ncols)
            _, grid_axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows),
                                        squeeze=False)
            flat = list(grid_axes.ravel())
            for extra in flat[len(names):]:
                extra.set_visible(False)
            axes = flat[: len(names)]
    else:
        axes = list(np.ravel(ax))
        if len(axes) != len(names):
            raise ValueError(f"ax has {len(axes)} axes for {len(names)} names")
    for name, a in zip(names, axes, strict=True):
        prior = _draws(prior_draws, name, "prior_draws")
        post = _draws(posterior_draws, name, "posterior_draws")
        lo = min(np.quantile(prior, 0.005), post.min())
        hi = max(np.quantile(prior, 0.995), post.max())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        grid = np.linspace(lo - pad, hi + pad, 256)
        _density(a, prior, grid, col=REFERENCE_COLOR, label="Prior", alpha=LIGHT_BAND_ALPHA)
        _density(a, post, grid, col=color(0), label="Posterior", alpha=BAND_ALPHA)
        a.set_title(str(name))
        a.set_xlabel(str(name))
        a.set_ylabel("Density")
        a.set_yticks([])
        legend_with(a)
    return axes[0] if len(names) == 1 else axes[0].figure
