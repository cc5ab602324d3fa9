"""Results of simulation-based calibration: ranks, uniformity tests, interval coverage.

The ranks are kept in the format of the maintained SBC tooling (``simuk``): a DataTree whose
``prior_sbc`` group holds, per quantity, the rank of the true value among the posterior draws,
with dims ``(chain=1, draw=simulation)``; ``arviz_plots.plot_ecdf_pit(tree)`` draws the rank
ECDF with its bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._io import atomic_write_text, atomic_write_with

__all__ = ["Calibration", "COVERAGE_PROBS", "binomial_band", "expected_coverage", "rank_record",
           "RANK_COLUMNS", "batch_totals"]

#: Central interval masses whose coverage is checked.
COVERAGE_PROBS = (0.5, 0.9)
#: Quantiles stored per simulation and quantity (central 50% and 90% intervals).
QUANTILES = (0.05, 0.25, 0.75, 0.95)
#: Columns of :attr:`Calibration.draws`.
RANK_COLUMNS = ("simulation", "quantity", "truth", "rank", "q05", "q25", "q75", "q95")
#: A test fails below this p-value (Bonferroni over the quantities of one model is left to
#: the reader: the tables give the raw p-values).
ALPHA = 0.01


def rank_record(simulation: int, quantity: str, truth: float, draws) -> dict[str, Any]:
    """One row of :attr:`Calibration.draws`: the truth's rank among ``draws`` and quantiles."""
    draws = np.asarray(draws, dtype=float)
    qs = np.quantile(draws, QUANTILES)
    return {"simulation": int(simulation), "quantity": quantity, "truth": float(truth),
            "rank": int(np.sum(draws < truth)),
            **{f"q{round(100 * p):02d}": float(v) for p, v in zip(QUANTILES, qs, strict=True)}}


def expected_coverage(p: float, n_draws: int) -> float:
    """Coverage of the central ``p`` interval of ``n_draws`` posterior draws, if inference is exact.

    The interval's bounds are the draws' sample quantiles (``numpy.quantile``, linear), not
    the posterior's: with exact inference the truth and ``n_draws`` independent posterior
    draws are exchangeable, so the truth's rank ``r`` (draws below it) is uniform on
    ``0..n_draws``. It lies above the lower bound (position ``h = a (n_draws - 1)``,
    ``a = (1 - p) / 2``, between the sorted draws ``floor(h)`` and ``floor(h) + 1``) when
    ``r >= floor(h) + 2``, and with probability ``1 - frac(h)`` when ``r = floor(h) + 1``
    (the truth is uniform within its gap on the probability scale); the upper bound likewise.
    For 100 draws: 0.882 at ``p = 0.9`` (89.1 of 101 ranks) and 0.490 at ``p = 0.5``, less
    than nominal at any number of draws. Autocorrelated draws lower it further.
    """
    n = int(n_draws)
    ranks = np.arange(n + 1)
    h_lo, h_hi = (1 - p) / 2 * (n - 1), (1 + p) / 2 * (n - 1)
    f_lo, f_hi = math.floor(h_lo), math.floor(h_hi)
    above = np.where(ranks >= f_lo + 2, 1.0, np.where(ranks == f_lo + 1, 1 - (h_lo - f_lo), 0.0))
    below = np.where(ranks <= f_hi, 1.0, np.where(ranks == f_hi + 1, h_hi - f_hi, 0.0))
    return float(np.mean(above * below))


def binomial_band(p: float, n: int, *, alpha: float = ALPHA) -> tuple[float, float]:
    """Range of covered counts / n consistent with rate ``p`` (two-sided binomial, 1 - alpha)."""
    from scipy.stats import binom

    lo = binom.ppf(alpha / 2, n, p) / n
    hi = binom.ppf(1 - alpha / 2, n, p) / n
    return float(lo), float(hi)


@dataclass
class Calibration:
    """Simulation-based calibration of one model.

    Attributes
    ----------
    label : str
        The model, for tables and plots.
    draws : pandas.DataFrame
        One row per simulation and quantity: ``simulation``, ``quantity``, ``truth``,
        ``rank`` (of the truth among ``n_rank_draws`` posterior draws), ``q05``, ``q25``,
        ``q75``, ``q95`` (posterior quantiles).
    n_rank_draws : int
        Posterior draws each rank is computed among (ranks lie in 0..n_rank_draws).
    fits : pandas.DataFrame
        The batch frame of :func:`coalsurv.fit_many` (failed simulations listed there).
    settings : dict
        Model, number of rows, seed, sampler settings, censoring time.
    """

    label: str
    draws: pd.DataFrame
    n_rank_draws: int
    fits: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_simulations(self) -> int:
        """Simulations with a finished fit."""
        return int(self.draws["simulation"].nunique()) if len(self.draws) else 0

    @property
    def quantities(self) -> list[str]:
        """Checked quantities in their order of appearance."""
        return list(dict.fromkeys(self.draws["quantity"]))

    def tree(self):
        """Return the ranks as a DataTree with a ``prior_sbc`` group (simuk's format)."""
        from arviz_base import from_dict

        ranks = {q: g.sort_values("simulation")["rank"].to_numpy()[None, :]
                 for q, g in self.draws.groupby("quantity", sort=False)}
        return from_dict({"prior_sbc": ranks}, attrs={"/": {
            "modeling_interface": "coalsurv", "model": self.label,
            "n_rank_draws": int(self.n_rank_draws), "n_simulations": self.n_simulations}})

    def uniformity(self) -> pd.DataFrame:
        """Uniformity of the ranks per quantity.

        ``p_chisq``: chi-square test of the rank histogram (Talts et al. 2018), with
        ``min(20, n // 5)`` equal bins, each expected to hold its share of the possible
        ranks; ``p_pot``: the PIT-ECDF test of ``arviz_stats`` (``pot_c``) that
        ``plot_ecdf_pit`` shows; ``ok`` when both are above
        :data:`ALPHA` (``p_pot`` is NaN only when there are fewer than 2 simulations).
        """
        from scipy.stats import chisquare

        rows = []
        pot = self._pot_values()
        for q, g in self.draws.groupby("quantity", sort=False):
            ranks = g["rank"].to_numpy()
            n = len(ranks)
            bins = max(2, min(20, n // 5))
            edges = np.linspace(0, self.n_rank_draws + 1, bins + 1)
            counts, _ = np.histogram(ranks, bins=edges)
            # the n_rank_draws + 1 possible ranks do not split evenly (101 into 20 bins: one
            # bin holds 6): expect each bin's share of them
            width, _ = np.histogram(np.arange(self.n_rank_draws + 1), bins=edges)
            p_chi = float(chisquare(counts, n * width / width.sum()).pvalue)
            p_pot = pot.get(q, math.nan)
            rows.append({"quantity": q, "n": n, "mean_pit": float(np.mean(
                (ranks + 0.5) / (self.n_rank_draws + 1))), "p_chisq": p_chi, "p_pot": p_pot,
                "ok": bool(p_chi > ALPHA and (math.isnan(p_pot) or p_pot > ALPHA))})
        return pd.DataFrame(rows)

    def _pot_values(self) -> dict[str, float]:
        import warnings

        import arviz_stats  # noqa: F401 - registers the .azstats accessor
        import xarray as xr

        pits = {q: xr.DataArray(((g.sort_values("simulation")["rank"].to_numpy() + 0.5)
                                 / (self.n_rank_draws + 1))[None, :], dims=("chain", "draw"))
                for q, g in self.draws.groupby("quantity", sort=False)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_values, _, _ = xr.Dataset(pits).azstats.uniformity_test(
                dim=["chain", "draw"], method="pot_c")
        return {q: float(p_values[q]) for q in pits}

    def coverage(self, probs=COVERAGE_PROBS) -> pd.DataFrame:
        """Share of simulations whose central interval contains the truth, per quantity.

        The interval is the central ``nominal`` interval of the ranked posterior draws (their
        sample quantiles ``q05``..``q95``). ``expected``: its coverage were inference exact
        (:func:`expected_coverage`, e.g. 0.882 for a 90% interval of 100 draws, not 0.9);
        ``lower``/``upper``: the range of shares consistent with ``expected`` at
        ``1 - ALPHA`` (binomial); ``ok`` when the share lies in it.
        """
        bounds = {0.5: ("q25", "q75"), 0.9: ("q05", "q95")}
        rows = []
        for q, g in self.draws.groupby("quantity", sort=False):
            for p in probs:
                lo_col, hi_col = bounds[p]
                inside = (g["truth"] >= g[lo_col]) & (g["truth"] <= g[hi_col])
                n = len(g)
                expected = expected_coverage(p, self.n_rank_draws)
                lo, hi = binomial_band(expected, n)
                share = float(inside.mean())
                rows.append({"quantity": q, "nominal": p, "n": n, "covered": int(inside.sum()),
                             "share": share, "expected": expected, "lower": lo, "upper": hi,
                             "ok": bool(lo <= share <= hi)})
        return pd.DataFrame(rows)

    def plot(self, *, var_names=None):
        """Rank ECDF differences with simultaneous bands (``arviz_plots.plot_ecdf_pit``)."""
        from arviz_plots import plot_ecdf_pit

        return plot_ecdf_pit(self.tree(), var_names=var_names, group="prior_sbc")

    def save_plot(self, path: str | Path) -> Path:
        """Write the rank-ECDF plot (:meth:`figure`) to ``path`` (PNG)."""
        import matplotlib.pyplot as plt

        fig = self.figure()
        try:
            return atomic_write_with(Path(path), lambda tmp: fig.savefig(tmp, dpi=80),
                                     suffix=".png")
        finally:
            plt.close(fig)

    def figure(self):
        """Return the rank-ECDF plot (:meth:`plot`) as a matplotlib figure, titled, laid out."""
        import matplotlib.pyplot as plt

        pc = self.plot()
        fig = pc.viz["figure"].item() if hasattr(pc, "viz") else plt.gcf()
        rows = -(-len(self.quantities) // 4)  # plot_ecdf_pit wraps at 4 columns
        width = fig.get_size_inches()[0]
        fig.set_size_inches(width, 0.6 + 2.4 * rows)  # room for each row's title and axis label
        if max((len(ax.get_title()) for ax in fig.axes), default=0) > 30:
            for ax in fig.axes:  # long (multi-state) labels: small enough not to run together
                ax.title.set_fontsize(8)
        for ax in fig.axes:  # the y axis says what is drawn (first column)
            spec = ax.get_subplotspec()
            if spec is not None and spec.is_first_col():
                ax.set_ylabel("ECDF − uniform")
        fig.set_layout_engine("constrained")
        fig.suptitle(f"SBC rank ECDF: {self.label} ({self.n_simulations} simulations)")
        return fig

    def save(self, folder: str | Path, *, stem: str | None = None) -> dict[str, Path]:
        """Write the tables, the DataTree and the rank-ECDF plot under ``folder``.

        Files ``STEM_ranks.csv``, ``STEM_uniformity.csv``, ``STEM_coverage.csv``,
        ``STEM_fits.csv``, ``STEM_sbc.nc`` (the DataTree), ``STEM_ecdf.png`` and
        ``STEM_settings.json``.
        """
        import re

        folder = Path(folder)
        stem = stem or re.sub(r"[^A-Za-z0-9._-]+", "_", self.label).strip("_")
        out = {}
        for name, frame in (("ranks", self.draws), ("uniformity", self.uniformity()),
                            ("coverage", self.coverage()), ("fits", self.fits)):
            path = folder / f"{stem}_{name}.csv"
            atomic_write_with(path, lambda tmp, f=frame: f.to_csv(tmp, index=False))
            out[name] = path
        tree = self.tree()
        out["sbc"] = atomic_write_with(folder / f"{stem}_sbc.nc",
                                       lambda tmp: tree.to_netcdf(tmp, engine="h5netcdf"),
                                       suffix=".nc")
        out["ecdf"] = self.save_plot(folder / f"{stem}_ecdf.png")
        import json

        out["settings"] = atomic_write_text(folder / f"{stem}_settings.json",
                                            json.dumps(self.settings, indent=1, default=str))
        return out


def batch_totals(fits: pd.DataFrame, start: float) -> dict[str, Any]:
    """Fits with divergences, wall time since ``start`` and summed sampling time of a run."""
    import time

    return {"divergent_fits": int((fits["divergences"].fillna(0) > 0).sum()),
            "wall_time_s": round(time.perf_counter() - start, 1),
            "sampling_time_s": round(float(fits["sampling_time"].fillna(0).sum()), 1)}
