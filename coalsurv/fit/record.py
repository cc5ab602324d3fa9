"""Fit: a fitted survival model — summaries, ratios, predictions, save/load.

A Fit holds the ArviZ DataTree (``fit.idata``), the model spec and priors, the data it was fitted
to, the sampler settings, a data hash, package versions and the seed. Predictions are tidy
pandas DataFrames with the interval mass stated in a ``ci_prob`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB
from coalsurv.backend.sampling import SamplerSettings
from coalsurv.build.design import Design, make_design
from coalsurv.build.info import ModelInfo
from coalsurv.errors import ArgumentError, FitFileError
from coalsurv.fit import predictions, tables
from coalsurv.fit.fitfile import read_fit, save_fit
from coalsurv.fit.identity import fit_id
from coalsurv.fit.member_methods import MemberMethods
from coalsurv.fit.pointwise import PointwiseMethods, require_log_likelihood
from coalsurv.fit.predict import Predictor
from coalsurv.fit.sampler_record import sampler_record
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import Prior, PriorSet

__all__ = ["Fit", "DEFAULT_CI_PROB", "load_fit"]

@dataclass
class Fit(MemberMethods, PointwiseMethods):
    """A fitted coalsurv model.

    Attributes
    ----------
    idata : xarray.DataTree
        posterior, sample_stats, log_likelihood, observed_data, constant_data groups.
    spec : ModelSpec
    priors : PriorSet
        Priors as given by the user (defaults where absent).
    resolved_priors : dict of str to Prior
        Priors actually used, with data-based values (``auto``) filled in.
    data : CoalitionData
        The data the model was fitted to.
    info : ModelInfo
        Family, causes, time scale, standardisation constants, group levels.
    settings : SamplerSettings
    data_hash, fit_id, created : str
    versions : dict of str to str
    """

    idata: Any
    spec: ModelSpec
    priors: PriorSet
    resolved_priors: dict[str, Prior]
    data: Any
    design: Design
    info: ModelInfo
    settings: SamplerSettings
    data_hash: str
    versions: dict[str, str]
    created: str
    fit_id: str = ""
    command: str = ""
    _predictor: Predictor | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ basics
    @property
    def family(self):
        """The family object."""
        return self.info.family_object()

    @property
    def sampler(self) -> dict[str, Any]:
        """Which log density ran and how sampling went (:func:`.sampler_record.sampler_record`).

        ``kernel``, ``route``, ``reason``, ``log_likelihood``, ``compiled``, ``divergences``,
        ``max_rhat`` and ``warnings``: a stuck chain shows here as well as on the console.
        """
        return sampler_record(self.idata)

    @property
    def time_unit(self) -> str:
        """Unit of time (days, months, years)."""
        return self.info.time_unit

    @property
    def ratio_name(self) -> str:
        """"hazard ratio" (PH), "odds ratio" (proportional odds) or "time ratio" (AFT)."""
        return {"ph": "hazard ratio", "po": "odds ratio"}.get(self.info.kind, "time ratio")

    @property
    def predictor(self) -> Predictor:
        """Evaluates the model on posterior draws (cached)."""
        if self._predictor is None:
            self._predictor = Predictor(self.info, self.design, self.idata["posterior"])
        return self._predictor

    def __repr__(self) -> str:
        post = self.idata["posterior"]
        return (f"<coalsurv.Fit {self.spec.label!r}: {self.data.n} coalitions, "
                f"{post.sizes['chain']} chains x {post.sizes['draw']} draws, "
                f"time in {self.time_unit}>")

    def _repr_html_(self) -> str:
        from coalsurv.notebook import fit_html

        return fit_html(self)


    # ------------------------------------------------------------------ tables
    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Posterior summary of the main parameters with convergence statistics.

        Coefficients are per SD of their covariate (the model's scale); see
        :meth:`hazard_ratios` for per-unit effects. Columns: ``parameter``, ``mean``, ``sd``,
        ``lower``, ``upper``, ``ci_prob``, ``ess_bulk``, ``ess_tail``, ``r_hat``, ``mcse_mean``.
        Rows: intercept, coefficients, family parameters and group SDs; group effects are in
        :meth:`group_effects`. Convergence is judged on every variable, frailty draws
        ``z_``/``u_`` included (the sampler's warning and :meth:`diagnose` alike): the
        largest R-hat of that set and where it is are in ``attrs["r_hat_worst"]`` and
        ``attrs["r_hat_worst_at"]``.
        """
        return tables.summary(self, ci_prob=ci_prob)


    def hazard_ratios(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Hazard ratios (PH families) or time ratios (AFT families) with credible intervals.

        Two rows per term: ``per SD`` of the covariate in the fitting data and ``per unit`` of
        its original scale. Columns: ``cause`` (several causes only), ``term``, ``scale``,
        ``sd_of_covariate``, ``mean``, ``median``, ``lower``, ``upper``, ``ci_prob``,
        ``prob_above_1`` (posterior probability that the ratio exceeds 1).
        ``attrs["ratio"]`` says which ratio it is.
        """
        return tables.hazard_ratios(self, ci_prob=ci_prob)

    def group_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Frailty (group intercept) effects by level, as multiplicative factors.

        Columns: ``cause``, ``factor``, ``level``, ``n`` (rows in the data), ``mean``,
        ``lower``, ``upper`` (of the log effect), ``ratio_mean`` (mean of exp(effect): hazard
        multiplier for PH, lifespan multiplier for AFT), ``ci_prob``.
        """
        return tables.group_effects(self, ci_prob=ci_prob)

    # ------------------------------------------------------------------ predictions
    def survival(self, times, newdata: pd.DataFrame | None = None, *,
                 ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
                 frailty: str = "conditional", average: bool = False,
                 members: pd.DataFrame | None = None):
        """Posterior survival S(t) (any ending) for covariate profiles.

        Parameters
        ----------
        times : sequence of float
            Times in the data's unit.
        newdata : DataFrame, optional
            Covariate profiles in original units (and group columns for frailty); default the
            mean covariate profile.
        ci_prob : float
            Mass of the equal-tailed credible interval (stated in the ``ci_prob`` column).
        summary : bool
            False returns the posterior draws as an xarray DataArray (draw, row, time).
        frailty : {"conditional", "zero", "marginal"}
            How group effects enter (see :mod:`coalsurv.fit.predict`).
        average : bool
            True returns the population average over the rows of ``newdata`` (the mean of
            the rows' curves per draw, then summarised), computed in chunks of rows so that
            memory stays bounded (:mod:`coalsurv.fit.averaging`): columns ``time``, ``mean``,
            ``lower``, ``upper``, ``ci_prob``, ``n_rows`` (draws (draw, time) when
            ``summary=False``).
        members : DataFrame, optional
            An ``mm()`` model's members of the newdata rows (``id``, ``member``, ``share``,
            member covariates), for new coalitions or other members: seen members keep their
            effects, new ones are integrated over Normal(0, sd_mm)
            (:mod:`coalsurv.fit.member_newdata`). Every prediction takes it.

        Returns
        -------
        DataFrame
            Columns ``row``, ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob`` and newdata's
            columns.
        """
        return predictions.survival(self, times, newdata, ci_prob=ci_prob, summary=summary,
                                    frailty=frailty, average=average, members=members)

    def hazard(self, times, newdata: pd.DataFrame | None = None, *,
               ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
               frailty: str = "conditional", average: bool = False,
               members: pd.DataFrame | None = None):
        """Posterior hazard per time unit (cause-specific when several causes are modelled).

        Same arguments (``average=True`` included) and layout as :meth:`survival`, with a
        ``cause`` column. The average is the mean of the rows' hazards.
        """
        return predictions.hazard(self, times, newdata, ci_prob=ci_prob, summary=summary,
                                  frailty=frailty, average=average, members=members)

    def cumulative_incidence(self, times, newdata: pd.DataFrame | None = None, *,
                             ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
                             frailty: str = "conditional", average: bool = False,
                             members: pd.DataFrame | None = None):
        """Cumulative incidence of each modelled ending, CIF_k(t) = P(T <= t, ending k).

        Same arguments as :meth:`survival` (``average=True`` included); the frame has a
        ``cause`` column.
        """
        return predictions.cumulative_incidence(self, times, newdata, ci_prob=ci_prob,
                                                summary=summary, frailty=frailty,
                                                average=average, members=members)


    def cure_fraction(self, newdata: pd.DataFrame | None = None, *,
                      ci_prob: float = DEFAULT_CI_PROB, summary: bool = True):
        """Posterior cured share of a mixture-cure model (``cure=``) for covariate profiles.

        Parameters
        ----------
        newdata : DataFrame, optional
            Profiles with the cure formula's covariates (original units); default the mean
            profile.
        ci_prob : float
            Mass of the equal-tailed credible interval.
        summary : bool
            False returns the draws (draw, row) as an xarray DataArray.

        Returns
        -------
        DataFrame
            Columns ``row``, ``mean``, ``lower``, ``upper``, ``ci_prob`` and newdata's columns.
        """
        from coalsurv.fit.cure import cure_fraction

        return cure_fraction(self, newdata, ci_prob=ci_prob, summary=summary)

    def time_varying_effect(self, variable: str, times, *, per: str = "unit",
                            ci_prob: float = DEFAULT_CI_PROB, cause: str | None = None):
        """Hazard ratio of a ``tve(x)`` term over time, with its credible band.

        Parameters
        ----------
        variable : str
            The covariate of a ``tve(...)`` term of the formula.
        times : sequence of float
            Times in the data's unit.
        per : {"unit", "sd"}
            Ratio per original unit of the covariate, or per SD.
        ci_prob : float
            Mass of the equal-tailed credible interval.
        cause : str, optional
            The cause whose hazard it is (needed when several causes are modelled).

        Returns
        -------
        DataFrame
            Columns ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob``; ``attrs`` holds
            ``type`` (``"bs"`` smooth in log time, ``"pw"`` piecewise), the ``cuts`` of a
            piecewise effect's intervals and the ``knots`` of a smooth one (data's unit).
        """
        from coalsurv.fit.time_effects import time_varying_effect

        return time_varying_effect(self, variable, times, per=per, ci_prob=ci_prob, cause=cause)

    def median_lifespan(self, newdata: pd.DataFrame | None = None, *,
                        ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional",
                        members: pd.DataFrame | None = None):
        """Posterior median lifespan (time to any ending) for covariate profiles."""
        return predictions.median_lifespan(self, newdata, ci_prob=ci_prob, frailty=frailty,
                                           members=members)

    def rmst(self, horizon: float, newdata: pd.DataFrame | None = None, *,
             ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional",
    members: pd.DataFrame | None = None):
        """Restricted mean survival time: expected lifespan within ``horizon``."""
        return predictions.rmst(self, horizon, newdata, ci_prob=ci_prob, frailty=frailty,
                                members=members)

    def contrast(self, variable: str, values: tuple[float, float], *, times=None,
                 newdata: pd.DataFrame | None = None, quantity: str = "median",
                 ci_prob: float = DEFAULT_CI_PROB,
                 members: pd.DataFrame | None = None) -> pd.DataFrame:
        """Counterfactual contrast: set ``variable`` to two values, compare a quantity.

        Parameters
        ----------
        variable : str
            Covariate to change (original units).
        values : (float, float)
            From and to, e.g. power concentration 0.3 → 0.7.
        quantity : {"median", "rmst", "survival"}
            Median lifespan, RMST up to ``max(times)``, or survival at ``times``.

        Returns
        -------
        DataFrame
            Per row (and time), the quantity at both values and their difference
            (to − from) with credible intervals.
        """
        return predictions.contrast(self, variable, values, times=times, newdata=newdata,
                                    quantity=quantity, ci_prob=ci_prob, members=members)

    def predict_lifespans(self, newdata: pd.DataFrame | None = None, *, random_seed: int = 0,
                          frailty: str = "conditional", members: pd.DataFrame | None = None):
        """Posterior predictive lifespans for new coalitions (xarray: draw, row).

        ``attrs["cause"]`` holds the index of the ending that occurs first in each draw.
        """
        return predictions.predict_lifespans(self, newdata, random_seed=random_seed,
                                             frailty=frailty, members=members)

    # ------------------------------------------------------------------ joint effects, tables
    def term_families(self) -> dict:
        """Each covariate and the model terms it enters (polynomials, interactions).

        Returns a dict of covariate → :class:`coalsurv.fit.terms.TermFamily` (``terms``,
        ``companions``, ``kind``, ``joint``); see :mod:`coalsurv.fit.terms`.
        """
        from coalsurv.fit.effects import families

        return families(self)

    def effect(self, variable: str, *, values=None, reference: float | None = None,
               n: int = 41, ci_prob: float = DEFAULT_CI_PROB,
               max_draws: int = 400) -> pd.DataFrame:
        """Joint effect of one covariate over every term it enters, across its range.

        ``variable`` moves from its 5th to its 95th percentile (or over ``values``) with its
        companions (``x_sq = x ** 2``, ``I(x ** 2)``, ``poly(x, 2)``, ``x:z``), the other
        covariates at their means and group effects at zero.

        Parameters
        ----------
        variable : str
            A covariate of the data (original units).
        values : sequence of float, optional
            Values of the covariate (default ``n`` evenly spaced over the 5th–95th percentile).
        reference : float, optional
            Value the ratio is relative to (default the median in the data).
        n : int
            Points of the default grid.
        ci_prob : float
            Mass of the equal-tailed intervals.
        max_draws : int
            Posterior draws used (evenly thinned).

        Returns
        -------
        DataFrame
            Tidy: ``quantity`` (the hazard / time ratio against ``reference`` per ``cause``, and
            the median lifespan), ``cause``, ``variable``, ``value``, ``median``, ``lower``,
            ``upper``, ``ci_prob``. Point estimates are posterior medians (ratios of polynomial
            terms are skewed). ``attrs``: ``reference``, ``terms``, ``kind``, ``time_unit``.
        """
        from coalsurv.fit.effects import effect

        return effect(self, variable, values=values, reference=reference, n=n,
                      ci_prob=ci_prob, max_draws=max_draws)

    def effect_contrasts(self, variable: str, *, percentiles=((25.0, 75.0), (5.0, 95.0)),
                         values=None, ci_prob: float = DEFAULT_CI_PROB,
                         max_draws: int = 400) -> pd.DataFrame:
        """Joint effect of one covariate between named points (default 25th vs 75th percentile).

        Parameters
        ----------
        variable : str
            A covariate of the data (original units); its companions move with it.
        percentiles : sequence of (float, float)
            Pairs (from, to) of percentiles of the covariate in the data.
        values : sequence of (float, float), optional
            Pairs (from, to) in original units instead of percentiles.
        ci_prob, max_draws
            As in :meth:`effect`.

        Returns
        -------
        DataFrame
            Per contrast: the ratio (to against from) per cause with ``prob_above`` =
            P(ratio > 1), the median lifespan at both points and their difference with
            ``prob_above`` = P(difference > 0); columns ``contrast``, ``variable``, ``from``,
            ``to``, ``quantity``, ``cause``, ``median``, ``lower``, ``upper``, ``ci_prob``.
        """
        from coalsurv.fit.effects import effect_contrasts

        return effect_contrasts(self, variable, percentiles=percentiles, values=values,
                                ci_prob=ci_prob, max_draws=max_draws)

    def plot_forest(self, *, ci_prob: float = DEFAULT_CI_PROB, scale: str = "per SD",
                    contrast=(25.0, 75.0), ax: Any = None, **options: Any) -> Any:
        """Forest plot of the hazard (time) ratios, joint effects for multi-term covariates.

        Plain covariates get one row each (per SD by default); a covariate that enters
        through several terms (``x`` and ``x_sq``, ``I(x ** 2)``, ``poly(x, 2)``, ``x:z``) gets
        one row for its joint ratio between two percentiles (``"x: 75th vs 25th
        percentile"``, a diamond) instead of one meaningless row per term.

        Parameters
        ----------
        ci_prob : float
            Mass of the equal-tailed intervals.
        scale : {"per SD", "per unit", "all"}
            Scale of the plain terms' ratios.
        contrast : (float, float)
            Percentiles (from, to) of the joint contrasts.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on.
        **options
            Further options of :func:`coalsurv.plots.plot_forest` (``title``, ``log_scale``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from coalsurv.fit.effects import forest_contrasts
        from coalsurv.plots import plot_forest

        if scale not in ("per SD", "per unit", "all"):
            raise ArgumentError(f"scale: expected 'per SD', 'per unit' or 'all', got {scale!r}")
        return plot_forest(self.hazard_ratios(ci_prob=ci_prob), scale=scale, ax=ax,
                           contrasts=forest_contrasts(self, percentiles=contrast,
                                                      ci_prob=ci_prob), **options)

    def table(self, kind: str, *, format: str = "latex", ci_prob: float = DEFAULT_CI_PROB,
              **options) -> str:
        """Return a table for a paper as LaTeX (booktabs), Markdown or HTML text.

        Parameters
        ----------
        kind : {"hazard_ratios", "summary", "effects", "comparison", "replication",
                "variance_components"}
            What to tabulate (see :mod:`coalsurv.report.export`): ``effects`` takes
            ``variable=``; ``comparison`` takes ``others={"name": fit}``; ``replication``
            takes ``original=<Fit>``.
        format : {"latex", "markdown", "html"}
            The caption states the interval mass and the time unit.
        ci_prob : float
            Mass of the equal-tailed intervals.
        **options
            ``label=`` (LaTeX label / HTML id, default ``tab:<kind>``) and the kind's options.

        Returns
        -------
        str
        """
        from coalsurv.report.export import table

        return table(self, kind, format=format, ci_prob=ci_prob, **options)

    # ------------------------------------------------------------------ checks, report, io
    def diagnose(self, **kwargs):
        """Convergence and model checks with verdicts (see :mod:`coalsurv.diagnostics`)."""
        from coalsurv.diagnostics import diagnose

        return diagnose(self, **kwargs)

    def sensitivity(self, *, threshold: float = 0.05) -> pd.DataFrame:
        """Power-scaling sensitivity to the prior and the likelihood, per parameter.

        Tidy frame: ``parameter``, ``prior``, ``likelihood``, ``diagnosis`` ("prior-data
        conflict", "strong prior, weak likelihood" or "-"); see :mod:`coalsurv.fit.sensitivity`.
        """
        from coalsurv.fit.sensitivity import sensitivity

        return sensitivity(self, threshold=threshold)

    def loo(self):
        """PSIS-LOO of the pointwise log-likelihood (arviz-stats ELPDData)."""
        import arviz_stats as azs

        require_log_likelihood(self, "fit.loo()")
        return azs.loo(self.idata)

    def report(self, path: str | Path, **kwargs) -> Path:
        """Write the PDF report (see :mod:`coalsurv.report`)."""
        from coalsurv.report import write_report

        return write_report(self, path, **kwargs)

    def save(self, path: str | Path) -> Path:
        """Save to one NetCDF file (posterior, stats, data, spec, priors, hashes, versions)."""
        return save_fit(self, path)


def load_fit(path: str | Path) -> Fit:
    """Load a fit saved by :meth:`Fit.save`; refuses files whose contents do not match.

    Raises
    ------
    FitFileError
        The file cannot be read (:func:`~coalsurv.fit.fitfile.read_fit`), the design rebuilt
        from its data differs from the recorded one, or its posterior does not match its id.
    """
    parts = read_fit(path)
    spec, data, info = parts["spec"], parts["data"], parts["info"]
    design = make_design(spec, data)
    if tuple(design.terms) != tuple(info.terms) or not np.allclose(design.sds, info.sds):
        raise FitFileError(f"fit file {str(path)!r}: the design rebuilt from the stored data "
                           "differs from the recorded one")
    if fit_id(parts["data_hash"], parts["idata"]["posterior"]) != parts["fit_id"]:
        raise FitFileError(
            f"fit file {str(path)!r}: posterior draws do not match the recorded fit id "
            f"{parts['fit_id']!r}; the file was altered after saving")
    return Fit(design=design, **parts)
