"""``make validate``: simulation-based calibration and coverage of every model, one command.

Each model of :data:`MODELS` is calibrated with :func:`coalsurv.sbc` (100 simulations of 100
coalitions by default) through the batch runner; per model the rank table, the uniformity
and coverage tables, the rank-ECDF plot and the settings go under ``reports/validation/``,
and ``summary.csv`` / ``SUMMARY.md`` list every model's verdict. The fit files go to a
scratch folder, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv._io import atomic_write_text, atomic_write_with

__all__ = ["ValidationModel", "MODELS", "QUICK", "run_validation", "rejudge"]


@dataclass(frozen=True)
class ValidationModel:
    """One model to calibrate."""

    key: str
    formula: str
    family: str
    causes: tuple[str, ...] | None = None
    family_options: dict[str, Any] = field(default_factory=dict)
    cure: str | None = None
    #: Covariates on the family's ancillary parameter (``SurvivalModel(..., shape=)``).
    shape: str | None = None
    #: A multi-state model: these transitions, each with ``formula`` (calibrated from whole
    #: simulated paths, :mod:`coalsurv.batch.sbc_multistate`), under ``clock``.
    transitions: tuple[str, ...] | None = None
    clock: str = "reset"
    #: Sampler settings of this model's fits (e.g. ``{"target_accept": 0.95}``); options given
    #: to :func:`run_validation` take precedence.
    sampler: dict[str, Any] = field(default_factory=dict)

    def model(self):
        """Return the :class:`~coalsurv.SurvivalModel` (or :class:`~coalsurv.MultiStateModel`)."""
        from coalsurv.fit.model import SurvivalModel

        if self.transitions:
            from coalsurv.fit.multistate import MultiStateModel

            return MultiStateModel({t: self.formula for t in self.transitions},
                                   family=self.family, clock=self.clock, name=self.key,
                                   family_options=dict(self.family_options) or None)
        return SurvivalModel(self.formula, family=self.family,
                             causes=list(self.causes) if self.causes else None,
                             family_options=dict(self.family_options), name=self.key,
                             cure=self.cure, shape=self.shape)


_X = "breadth + power_hhi"
#: Every family, the frailty model, competing causes, the flexible baseline, tve, cure and a
#: multi-state model.
MODELS = (
    ValidationModel("weibull", _X, "weibull"),
    ValidationModel("weibull_aft", _X, "weibull_aft"),
    ValidationModel("exponential", _X, "exponential"),
    ValidationModel("lognormal", _X, "lognormal"),
    ValidationModel("loglogistic", _X, "loglogistic"),
    ValidationModel("gompertz", _X, "gompertz"),
    ValidationModel("gamma", _X, "gamma"),
    # measured (100 x 100 rows, 2 x 250 draws): the intercept fails (chi2 p 0.008, 90%
    # coverage 78%) with median min bulk ESS 124 and R-hat up to 1.09: the location and Q
    # are correlated and these short chains under-mix; longer chains are the next check
    ValidationModel("gengamma", _X, "gengamma"),
    ValidationModel("piecewise", _X, "piecewise", family_options={"n_intervals": 4}),
    ValidationModel("weibull_frailty", "breadth + (1 | group)", "weibull"),
    ValidationModel("competing", "breadth + (1 | group)", "weibull",
                    causes=("dissolution", "alliance")),
    # the synthetic notebook's model: three endings, four covariates, a group frailty
    ValidationModel("notebook_competing",
                    "breadth + power_hhi + power_hhi_sq + n_members + (1 | group)", "weibull",
                    causes=("dissolution", "goal_reached", "alliance")),
    # a time-varying effect (three intervals) and a mixture cure fraction
    # target_accept 0.95: at 0.8, 37 of 100 fits diverged (the random walk's SD near zero)
    ValidationModel("tve", "tve(breadth, type='pw', df=3) + power_hhi", "weibull",
                    sampler={"target_accept": 0.95}),
    ValidationModel("cure", _X, "weibull", cure="breadth"),
    # covariates on the ancillary parameter: the Weibull shape and the log-normal sigma
    ValidationModel("weibull_shape", _X, "weibull", shape="breadth"),
    ValidationModel("lognormal_shape", _X, "lognormal", shape="power_hhi"),
    # a multi-state model: whole paths simulated, transition data built as a user would
    ValidationModel("multistate", _X, "weibull", clock="reset",
                    transitions=("formation -> alliance", "formation -> dissolved",
                                 "alliance -> integrated")),
    # the same transitions on the clock-forward time scale (delayed entry)
    ValidationModel("multistate_forward", _X, "weibull", clock="forward",
                    transitions=("formation -> alliance", "formation -> dissolved",
                                 "alliance -> integrated")),
)
#: The quick subset of the fast suite.
QUICK = ("weibull", "lognormal")


def run_validation(out: str | Path, *, keys=None, n_simulations: int = 100, n_rows: int = 100,
                   seed: int = 20261201, scratch: str | Path | None = None, client=None,
                   progress: bool = True, **sbc_options) -> pd.DataFrame:
    """Calibrate the models ``keys`` (default all of :data:`MODELS`) and write the tables.

    Returns
    -------
    pandas.DataFrame
        One row per model: simulations, failed fits, fits with divergences, the worst
        uniformity p-values, the quantities failing uniformity or coverage, wall and
        sampling time.
    """
    from coalsurv.batch.sbc import sbc

    out = Path(out)
    scratch = Path(scratch) if scratch else out / ".fits"
    by_key = {m.key: m for m in MODELS}
    chosen = list(MODELS) if keys is None else [by_key[k] for k in keys]
    rows = []
    for spec in chosen:
        start = time.perf_counter()
        options = {**spec.sampler, **sbc_options}
        # one scratch folder per request: a rerun resumes only the same simulations and fits
        request = hashlib.sha256(json.dumps([spec.key, n_simulations, n_rows, seed, options],
                                            sort_keys=True, default=str).encode()).hexdigest()
        result = sbc(spec.model(), n_simulations=n_simulations, n_rows=n_rows, seed=seed,
                     client=client, out=scratch / f"{spec.key}-{request[:10]}",
                     progress=progress, label=spec.key, **options)
        result.save(out, stem=spec.key)
        uni, cov = result.uniformity(), result.coverage()
        rows.append({
            "model": spec.key, "family": spec.family, "formula": spec.formula,
            "causes": ",".join(spec.causes or spec.transitions or ()),
            "simulations": result.n_simulations,
            "failed": result.settings["failed"],
            "divergent_fits": result.settings["divergent_fits"],
            **_verdict_columns(uni, cov),
            "wall_time_s": round(time.perf_counter() - start, 1),
            "sampling_time_s": result.settings["sampling_time_s"]})
        summary = _merged(out / "summary.csv", rows)
        atomic_write_with(out / "summary.csv", lambda tmp, s=summary: s.to_csv(tmp, index=False))
        atomic_write_text(out / "SUMMARY.md", _markdown(summary, n_simulations, n_rows, seed,
                                                        sbc_options))
    return pd.DataFrame(rows)


def _verdict_columns(uni: pd.DataFrame, cov: pd.DataFrame) -> dict[str, Any]:
    return {"min_p_chisq": float(uni["p_chisq"].min()), "min_p_pot": float(uni["p_pot"].min()),
            "uniformity_fail": ";".join(uni.loc[~uni["ok"], "quantity"]),
            "coverage_fail": ";".join(f"{q}@{p:g}" for q, p in
                                      cov.loc[~cov["ok"], ["quantity", "nominal"]].values)}


def rejudge(out: str | Path, *, keys=None) -> pd.DataFrame:
    """Judge the saved ranks under ``out`` again, without refitting.

    For each model (default: every model with a ``MODEL_ranks.csv``) the uniformity and
    coverage tables and the rank-ECDF plot are recomputed from ``MODEL_ranks.csv`` and
    ``MODEL_settings.json`` with the current rules of
    :class:`coalsurv.batch.calibration.Calibration`, and the verdict
    columns of ``summary.csv`` / ``SUMMARY.md`` are replaced (sizes and times kept). For a
    change of the verdict rules, not of the models.

    Returns
    -------
    pandas.DataFrame
        The new summary.
    """
    from coalsurv.batch.calibration import Calibration
    from coalsurv.errors import ArgumentError

    out = Path(out)
    summary_path = out / "summary.csv"
    if not summary_path.exists():
        raise ArgumentError(f"{summary_path}: no summary to rejudge (run the validation first)")
    summary = pd.read_csv(summary_path, keep_default_na=False)
    chosen = list(keys) if keys is not None else [
        m for m in summary["model"] if (out / f"{m}_ranks.csv").exists()]
    missing = [k for k in chosen if not (out / f"{k}_ranks.csv").exists()
               or k not in set(summary["model"])]
    if missing:
        raise ArgumentError(f"rejudge: no saved ranks or summary row for {missing} in {out}")
    settings = {}
    for key in chosen:
        settings[key] = json.loads((out / f"{key}_settings.json").read_text(encoding="utf-8"))
        n_rank_draws = settings[key]["chains"] * settings[key]["draws"] // settings[key]["thin"]
        draws = pd.read_csv(out / f"{key}_ranks.csv")
        if int(draws["rank"].max()) > n_rank_draws:
            raise ArgumentError(f"{key}_ranks.csv: ranks above the {n_rank_draws} draws its "
                                "settings give")
        result = Calibration(key, draws, n_rank_draws, pd.DataFrame(), settings[key])
        uni, cov = result.uniformity(), result.coverage()
        for name, frame in (("uniformity", uni), ("coverage", cov)):
            atomic_write_with(out / f"{key}_{name}.csv",
                              lambda tmp, f=frame: f.to_csv(tmp, index=False))
        result.save_plot(out / f"{key}_ecdf.png")
        row = summary.index[summary["model"] == key][0]
        for column, value in _verdict_columns(uni, cov).items():
            summary.loc[row, column] = value
    atomic_write_with(summary_path, lambda tmp: summary.to_csv(tmp, index=False))
    first = settings[chosen[0]] if chosen else {}
    atomic_write_text(out / "SUMMARY.md", _markdown(
        summary, first.get("n_simulations"), first.get("n_rows", first.get("n_units")),
        first.get("seed"), {}, note=f"Verdicts rejudged from the saved ranks of "
        f"{', '.join(chosen)} (`coalsurv batch validate --rejudge`)."))
    return summary


def _merged(path: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of this run, replacing the same models' rows of an earlier run (kept otherwise)."""
    new = pd.DataFrame(rows)
    if not path.exists():
        return new
    old = pd.read_csv(path, keep_default_na=False)
    old = old[~old["model"].isin(new["model"])]
    order = {m.key: i for i, m in enumerate(MODELS)}
    merged = pd.concat([old, new], ignore_index=True)
    return merged.sort_values("model", key=lambda s: s.map(order), kind="stable",
                              ignore_index=True)


def _markdown(summary: pd.DataFrame, n_simulations, n_rows, seed, options, *,
              note: str = "") -> str:
    lines = ["# Simulation-based calibration and coverage", "",
             f"Generated by `make validate` (`coalsurv batch validate`): {n_simulations} "
             f"simulations of {n_rows} coalitions per model, seed {seed}"
             f"{', options ' + json.dumps(options) if options else ''}. "
             f"{note + ' ' if note else ''}Ranks among 100 thinned "
             "posterior draws; a quantity fails uniformity when the chi-square or PIT-ECDF "
             "(pot_c) p-value is below 0.01, and coverage when the share of 50% / 90% intervals "
             "containing the truth lies outside the 99% binomial range around the share an "
             "exact posterior gives with intervals from 100 draws (49.0% / 88.2%, "
             "`calibration.expected_coverage`). Files per model: `MODEL_uniformity.csv`, "
             "`MODEL_coverage.csv`, `MODEL_ranks.csv`, `MODEL_ecdf.png`, `MODEL_sbc.nc` "
             "(simuk's `prior_sbc` DataTree).", "",
             "| model | sims | failed | divergent fits | min p (chi2) | min p (pot) | "
             "uniformity fails | coverage fails | wall s | sampling s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(f"| {r.model} | {r.simulations} | {r.failed} | {r.divergent_fits} | "
                     f"{r.min_p_chisq:.3g} | {r.min_p_pot:.3g} | {r.uniformity_fail or '-'} | "
                     f"{r.coverage_fail or '-'} | {r.wall_time_s} | {r.sampling_time_s} |")
    return "\n".join(lines) + "\n"
