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

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, summarise
from coalsurv.build.design import Design, make_design
from coalsurv.build.info import ModelInfo
from coalsurv.errors import ArgumentError, FitFileError, SpecError
from coalsurv.fit.fitfile import read_fit, save_fit
from coalsurv.fit.identity import fit_id
from coalsurv.fit.predict import Predictor
from coalsurv.fit.sampling import SamplerSettings
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import Prior, PriorSet

__all__ = ["Fit", "DEFAULT_CI_PROB", "load_fit"]

@dataclass
class Fit:
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
    def time_unit(self) -> str:
        """Unit of time (days, months, years)."""
        return self.info.time_unit

    @property
    def ratio_name(self) -> str:
        """"hazard ratio" (PH families) or "time ratio" (AFT families)."""
        return "hazard ratio" if self.info.kind == "ph" else "time ratio"

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

    def _cause_frame(self, values: dict[str, np.ndarray], index: pd.MultiIndex) -> pd.DataFrame:
        return pd.DataFrame({k: np.ravel(v) for k, v in values.items()}, index=index).reset_index()

    # ------------------------------------------------------------------ tables
    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Posterior summary of every parameter with convergence statistics.

        Coefficients are per SD of their covariate (the model's scale); see
        :meth:`hazard_ratios` for per-unit effects. Columns: ``parameter``, ``mean``, ``sd``,
        ``lower``, ``upper``, ``ci_prob``, ``ess_bulk``, ``ess_tail``, ``r_hat``, ``mcse_mean``.
        """
        import arviz_stats as azs

        ci_prob = check_ci_prob(ci_prob)
        post = self.idata["posterior"]
        names = ["intercept", "beta"] + [p.posterior_name for p in self.family.parameters]
        names += [n for n in post.data_vars if n.startswith("sd_")]
        names = [n for n in names if n in post.data_vars]
        ess_b = azs.ess(self.idata, var_names=names, method="bulk")
        ess_t = azs.ess(self.idata, var_names=names, method="tail")
        rhat = azs.rhat(self.idata, var_names=names)
        mcse = azs.mcse(self.idata, var_names=names)
        rows = []
        for name in names:
            da = post[name]
            extra = [d for d in da.dims if d not in ("chain", "draw")]

            def cells(arr, extra=extra):
                return (arr.stack(_cell=extra).transpose(..., "_cell") if extra
                        else arr.expand_dims(_cell=[0]))

            flat = cells(da)
            stats = {key: np.asarray(cells(table[name])).reshape(-1)
                     for key, table in (("ess_bulk", ess_b), ("ess_tail", ess_t),
                                        ("r_hat", rhat), ("mcse_mean", mcse))}
            values_all = np.asarray(flat).reshape(-1, flat.sizes["_cell"])
            for i in range(flat.sizes["_cell"]):
                values = values_all[:, i]
                stat = summarise(values, ci_prob)
                rows.append({
                    "parameter": self._param_label(name, flat, i, extra),
                    "mean": stat["mean"], "sd": float(np.std(values, ddof=1)),
                    "lower": stat["lower"], "upper": stat["upper"], "ci_prob": ci_prob,
                    **{key: float(v[i]) for key, v in stats.items()},
                })
        return pd.DataFrame(rows)

    def _param_label(self, name: str, flat, i: int, extra: list[str]) -> str:
        if not extra:
            return name
        cell = flat["_cell"].values[i]
        cell = cell if isinstance(cell, tuple) else (cell,)
        parts = [str(c) for d, c in zip(extra, cell, strict=True)
                 if not (d == "cause" and len(self.info.causes) == 1)]
        return f"{name}[{', '.join(parts)}]" if parts else name

    def hazard_ratios(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Hazard ratios (PH families) or time ratios (AFT families) with credible intervals.

        Two rows per term: ``per SD`` of the covariate in the fitting data and ``per unit`` of
        its original scale. Columns: ``cause`` (several causes only), ``term``, ``scale``,
        ``sd_of_covariate``, ``mean``, ``median``, ``lower``, ``upper``, ``ci_prob``,
        ``prob_above_1`` (posterior probability that the ratio exceeds 1).
        ``attrs["ratio"]`` says which ratio it is.
        """
        ci_prob = check_ci_prob(ci_prob)
        rows = []
        if "beta" in self.idata["posterior"]:
            beta = np.asarray(self.idata["posterior"]["beta"])
            beta = beta.reshape((-1,) + beta.shape[2:])  # (S, K, p)
            for k, cause in enumerate(self.info.causes):
                for j, term in enumerate(self.info.terms):
                    for scale, divisor in (("per SD", 1.0), ("per unit", self.info.sds[j])):
                        ratio = np.exp(beta[:, k, j] / divisor)
                        stat = summarise(ratio, ci_prob)
                        row = {"cause": cause, "term": term, "scale": scale,
                               "sd_of_covariate": self.info.sds[j],
                               "mean": stat["mean"], "median": float(np.median(ratio)),
                               "lower": stat["lower"], "upper": stat["upper"],
                               "ci_prob": ci_prob, "prob_above_1": float(np.mean(ratio > 1))}
                        rows.append(row)
        out = pd.DataFrame(rows, columns=["cause", "term", "scale", "sd_of_covariate", "mean",
                                          "median", "lower", "upper", "ci_prob", "prob_above_1"])
        if len(self.info.causes) == 1:
            out = out.drop(columns="cause")
        out.attrs["ratio"] = self.ratio_name
        return out

    def group_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Frailty (group intercept) effects by level, as multiplicative factors.

        Columns: ``cause``, ``factor``, ``level``, ``n`` (rows in the data), ``mean``,
        ``lower``, ``upper`` (of the log effect), ``ratio_mean`` (mean of exp(effect): hazard
        multiplier for PH, lifespan multiplier for AFT), ``ci_prob``.
        """
        ci_prob = check_ci_prob(ci_prob)
        rows = []
        for g in self.design.groups:
            if not g.term.intercept:
                continue
            u = np.asarray(self.idata["posterior"][f"u_{g.name}"])
            u = u.reshape((-1,) + u.shape[2:])
            counts = np.bincount(g.index, minlength=len(g.levels))
            for k, cause in enumerate(self.info.causes):
                stat = summarise(u[:, k, :], ci_prob)
                for lvl, level in enumerate(g.levels):
                    rows.append({"cause": cause, "factor": g.term.factor, "level": level,
                                 "n": int(counts[lvl]), "mean": stat["mean"][lvl],
                                 "lower": stat["lower"][lvl], "upper": stat["upper"][lvl],
                                 "ratio_mean": float(np.mean(np.exp(u[:, k, lvl]))),
                                 "ci_prob": ci_prob})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ predictions
    def _newdata(self, newdata: pd.DataFrame | None) -> pd.DataFrame:
        if newdata is None:
            frame = pd.concat([self.data.covariates, self.data.groups], axis=1)
            return frame.mean(numeric_only=True).to_frame().T
        if isinstance(newdata, dict):
            newdata = pd.DataFrame(newdata)
        if not isinstance(newdata, pd.DataFrame):
            raise SpecError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
        return newdata

    @staticmethod
    def _times(times) -> np.ndarray:
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < 0):
            raise ArgumentError("times must be a non-empty 1-D sequence of finite times >= 0")
        return t

    def _tidy(self, draws: np.ndarray, times, newdata: pd.DataFrame, ci_prob: float,
              causes: tuple[str, ...] | None = None) -> pd.DataFrame:
        """(draw, [cause,] row, time) draws → tidy frame with newdata columns attached."""
        stat = summarise(draws, ci_prob)
        rows = newdata.index.to_numpy()
        if causes is None:
            idx = pd.MultiIndex.from_product([rows, times], names=["row", "time"])
        else:
            idx = pd.MultiIndex.from_product([list(causes), rows, times],
                                             names=["cause", "row", "time"])
        out = self._cause_frame(stat, idx)
        out["ci_prob"] = ci_prob
        out = out.merge(newdata, left_on="row", right_index=True, how="left")
        out.attrs["time_unit"] = self.time_unit
        return out

    def _draws_xr(self, draws: np.ndarray, times, newdata, name: str, causes=None):
        import xarray as xr

        dims = ["draw", "row", "time"] if causes is None else ["draw", "cause", "row", "time"]
        coords = {"row": newdata.index.to_numpy(), "time": times}
        if causes is not None:
            coords["cause"] = list(causes)
        return xr.DataArray(draws, dims=dims, coords=coords, name=name,
                            attrs={"time_unit": self.time_unit})

    def survival(self, times, newdata: pd.DataFrame | None = None, *,
                 ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
                 frailty: str = "conditional"):
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

        Returns
        -------
        DataFrame
            Columns ``row``, ``time``, ``mean``, ``lower``, ``upper``, ``ci_prob`` and newdata's
            columns.
        """
        ci_prob = check_ci_prob(ci_prob)
        times, newdata = self._times(times), self._newdata(newdata)
        draws = self.predictor.survival(times, newdata, frailty=frailty)
        if not summary:
            return self._draws_xr(draws, times, newdata, "survival")
        return self._tidy(draws, times, newdata, ci_prob)

    def hazard(self, times, newdata: pd.DataFrame | None = None, *,
               ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
               frailty: str = "conditional"):
        """Posterior hazard per time unit (cause-specific when several causes are modelled).

        Same arguments and layout as :meth:`survival`, with a ``cause`` column.
        """
        ci_prob = check_ci_prob(ci_prob)
        times, newdata = self._times(times), self._newdata(newdata)
        draws = self.predictor.hazard_by_cause(times, newdata, frailty=frailty)
        if not summary:
            return self._draws_xr(draws, times, newdata, "hazard", self.info.causes)
        return self._tidy(draws, times, newdata, ci_prob, self.info.causes)

    def cumulative_incidence(self, times, newdata: pd.DataFrame | None = None, *,
                             ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
                             frailty: str = "conditional"):
        """Cumulative incidence of each modelled ending, CIF_k(t) = P(T <= t, ending k).

        Same arguments as :meth:`survival`; the frame has a ``cause`` column.
        """
        ci_prob = check_ci_prob(ci_prob)
        times, newdata = self._times(times), self._newdata(newdata)
        draws = self.predictor.cumulative_incidence(times, newdata, frailty=frailty)
        if not summary:
            return self._draws_xr(draws, times, newdata, "cumulative_incidence", self.info.causes)
        return self._tidy(draws, times, newdata, ci_prob, self.info.causes)

    def _per_row(self, draws: np.ndarray, newdata, ci_prob, name) -> pd.DataFrame:
        stat = summarise(draws, ci_prob)
        out = pd.DataFrame({"row": newdata.index.to_numpy(), **stat, "ci_prob": ci_prob})
        out = out.merge(newdata, left_on="row", right_index=True, how="left")
        out.attrs.update(time_unit=self.time_unit, quantity=name)
        return out

    def median_lifespan(self, newdata: pd.DataFrame | None = None, *,
                        ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional"):
        """Posterior median lifespan (time to any ending) for covariate profiles."""
        ci_prob = check_ci_prob(ci_prob)
        newdata = self._newdata(newdata)
        draws = self.predictor.quantile(0.5, newdata, frailty=frailty)
        return self._per_row(draws, newdata, ci_prob, "median lifespan")

    def rmst(self, horizon: float, newdata: pd.DataFrame | None = None, *,
             ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional"):
        """Restricted mean survival time: expected lifespan within ``horizon``."""
        ci_prob = check_ci_prob(ci_prob)
        newdata = self._newdata(newdata)
        draws = self.predictor.rmst(horizon, newdata, frailty=frailty)
        return self._per_row(draws, newdata, ci_prob, f"RMST to {horizon:g}")

    def contrast(self, variable: str, values: tuple[float, float], *, times=None,
                 newdata: pd.DataFrame | None = None, quantity: str = "median",
                 ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
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
        ci_prob = check_ci_prob(ci_prob)
        base = self._newdata(newdata)
        if variable not in base.columns:
            raise SpecError(f"contrast: {variable!r} is not a column of newdata: {list(base.columns)}")
        lo, hi = (base.copy(), base.copy())
        lo[variable], hi[variable] = values
        if quantity == "median":
            a, b = (self.predictor.quantile(0.5, d) for d in (lo, hi))
        elif quantity == "rmst":
            if times is None:
                raise SpecError("contrast(quantity='rmst') needs times=[horizon]")
            a, b = (self.predictor.rmst(max(np.atleast_1d(times)), d) for d in (lo, hi))
        elif quantity == "survival":
            t = self._times(times if times is not None else [np.median(self.data.time)])
            a, b = (self.predictor.survival(t, d) for d in (lo, hi))
        else:
            raise SpecError(f"quantity={quantity!r}; expected 'median', 'rmst' or 'survival'")
        rows = []
        for label, d in (("from", a), ("to", b), ("difference", b - a)):
            s = summarise(d, ci_prob)
            flat = {k: np.ravel(v) for k, v in s.items()}
            part = pd.DataFrame(flat)
            part.insert(0, "what", label)
            part.insert(1, "row", np.repeat(base.index.to_numpy(), d.shape[-1] if d.ndim == 3 else 1))
            if d.ndim == 3:
                part.insert(2, "time", np.tile(t, len(base)))
            rows.append(part)
        out = pd.concat(rows, ignore_index=True)
        out["ci_prob"] = ci_prob
        out.attrs.update(variable=variable, values=tuple(values), quantity=quantity,
                         time_unit=self.time_unit)
        return out

    def predict_lifespans(self, newdata: pd.DataFrame | None = None, *, random_seed: int = 0,
                          frailty: str = "conditional"):
        """Posterior predictive lifespans for new coalitions (xarray: draw, row).

        ``attrs["cause"]`` holds the index of the ending that occurs first in each draw.
        """
        import xarray as xr

        newdata = self._newdata(newdata)
        rng = np.random.default_rng(random_seed)
        times, cause = self.predictor.sample_lifetimes(newdata, rng=rng, frailty=frailty)
        return xr.Dataset(
            {"lifespan": (("draw", "row"), times), "cause": (("draw", "row"), cause)},
            coords={"row": newdata.index.to_numpy()},
            attrs={"time_unit": self.time_unit, "causes": list(self.info.causes)})

    # ------------------------------------------------------------------ checks, report, io
    def diagnose(self, **kwargs):
        """Convergence and model checks with verdicts (see :mod:`coalsurv.diagnostics`)."""
        from coalsurv.diagnostics import diagnose

        return diagnose(self, **kwargs)

    def loo(self):
        """PSIS-LOO of the pointwise log-likelihood (arviz-stats ELPDData)."""
        import arviz_stats as azs

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
