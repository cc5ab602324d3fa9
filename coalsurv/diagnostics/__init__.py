r"""Convergence and model checks of a fitted model, each with a verdict and advice in plain words.

:func:`diagnose` (also ``Fit.diagnose()``) returns a :class:`Diagnosis`: a list of
:class:`Check` values (``pass`` / ``warn`` / ``fail``, or ``skipped`` with the reason when a check
cannot be computed — a check never makes :func:`diagnose` fail) and the tables behind them.

Sampler checks (thresholds after Vehtari et al. 2021, *Rank-normalization ... R-hat*, and Betancourt
2017, *A conceptual introduction to HMC*):

=============  ==========================================================  ======================
check          value                                                       pass / warn / fail
=============  ==========================================================  ======================
r_hat          largest rank-normalised split R-hat of any parameter        < 1.01 / < 1.05 / else
ess_bulk       smallest bulk effective sample size                         > 400 / > 100 / else
ess_tail       smallest tail (5 % and 95 % quantile) ESS                   > 400 / > 100 / else
divergences    share of post-warm-up draws that diverged                   0 / <= 0.5 % / else
e_bfmi         smallest energy Bayesian fraction of missing information    >= 0.3 / >= 0.2 / else
tree_depth     share of draws that hit the maximum tree depth              < 1 % / else warn
mcse           largest Monte Carlo SE of a posterior mean / posterior SD    < 0.1 / < 0.2 / else
=============  ==========================================================  ======================

Any divergence at least warns: even a few mean the sampler met curvature it could not follow,
and the draws near there are missing. Tree-depth saturation costs time, not validity (warn only).

Model checks (``checks=True``):

* ``pareto_k`` — PSIS-LOO (``arviz_stats.loo``): share of rows with Pareto :math:`\hat k > 0.7`
  (0 pass, <= 10 % warn, else fail); such rows dominate their leave-one-out estimate.
* ``ppc_km`` — posterior predictive check: the model's marginal survival
  :math:`\bar S(t) = n^{-1}\sum_i S(t \mid x_i)` (per draw, fitted rows with their own group
  effects) against Kaplan–Meier at 25 times up to the 90th percentile of follow-up; largest
  absolute gap of the posterior mean (< 0.05 pass, < 0.1 warn). With several modelled endings
  ``ppc_cif`` compares each marginal cumulative incidence with the Aalen–Johansen estimate.
* ``loo_pit`` — randomised LOO-PIT for censored data. For row :math:`i` with PSIS-LOO weights
  :math:`w_{is}` (``arviz_stats.loo`` smoothed log weights, self-normalised) the leave-one-out
  predictive CDF of the time to an ending is
  :math:`F_i(t) = \sum_s w_{is}\{1 - S_s(t)/S_s(e_i)\}` (conditional on surviving to entry
  :math:`e_i`). An exact ending at :math:`t_i` gives :math:`\mathrm{PIT}_i = F_i(t_i)`; a row
  right-censored at :math:`c_i` gives a uniform draw on :math:`(F_i(c_i), 1)` and an
  interval-censored one a uniform draw on :math:`(F_i(l_i), F_i(u_i))` (fixed seed). Under a
  correct model the values are uniform; the value is the largest ECDF deviation, judged against
  the 95 % Dvoretzky–Kiefer–Wolfowitz band :math:`\varepsilon` (<= ε pass, <= 1.5 ε warn).
* ``calibration`` — rows split into quintiles of predicted risk :math:`1 - \bar S_i(h)` at each
  horizon; the group's mean predicted survival against its Kaplan–Meier estimate, with
  :math:`z` = difference / combined SD; share of cells with :math:`|z| > 1.96`
  (<= 20 % pass, <= 40 % warn).
* ``mle_agreement`` — posterior means against the maximum-likelihood fit of the same model
  (:func:`mle_side_by_side`), largest difference in posterior SDs (<= 1 pass, else warn: the prior
  is informative there). Skipped for models with group terms (the MLE has no frailty).

Tables without a verdict: ``discrimination`` — Harrell's C (``lifelines.utils.concordance_index``;
score ``-eta`` for PH, ``eta`` for AFT, predicted survival at the median follow-up with several
endings), Graf et al.'s (1999) IPCW Brier score at ``horizons`` and the integrated Brier score up
to the last horizon, each per posterior draw (at most ``max_draws``, evenly thinned) and
summarised by mean and equal-tailed interval, with the Kaplan–Meier (no-covariate) reference.
Interval-censored endings are placed at the midpoint of their interval for KM, C and Brier;
delayed entry is honoured by KM but not by C and Brier.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.errors import SpecError

__all__ = ["Check", "Diagnosis", "diagnose", "compare", "mle_side_by_side", "convergence_table"]

VERDICTS = ("pass", "warn", "fail", "skipped")
_RANK = {"skipped": -1, "pass": 0, "warn": 1, "fail": 2}
_COLOURS = {"pass": "#2e7d32", "warn": "#ed6c02", "fail": "#c62828", "skipped": "#757575"}
_PPC_POINTS = 25
_K_THRESHOLD = 0.7


@dataclass(frozen=True)
class Check:
    """One check: its value, the threshold in words, a verdict and what to do about it.

    Attributes
    ----------
    name : str
    value : float or None
        None when skipped.
    threshold : str
        The rule, e.g. ``"< 1.01 pass; < 1.05 warn; else fail"``.
    verdict : {"pass", "warn", "fail", "skipped"}
    advice : str
        Plain-words action for warn/fail; the reason for skipped.
    detail : str
        Where it happened (worst parameter, rows, time).
    """

    name: str
    value: float | None
    threshold: str
    verdict: str
    advice: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        """Reject unknown verdicts."""
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r}; expected one of {VERDICTS}")


def _graded(name: str, value: float, threshold: str, *, good: Callable[[float], bool],
            ok: Callable[[float], bool], advice: str, detail: str = "") -> Check:
    verdict = "pass" if good(value) else "warn" if ok(value) else "fail"
    return Check(name, float(value), threshold, verdict,
                 "" if verdict == "pass" else advice, detail)


@dataclass
class Diagnosis:
    """Result of :func:`diagnose`: checks with verdicts and the tables behind them.

    Attributes
    ----------
    results : list of Check
    label : str
        The model's label.
    convergence : DataFrame
        Per parameter cell: ``parameter``, ``mean``, ``sd``, ``r_hat`` (rank-normalised),
        ``ess_bulk``, ``ess_tail``, ``mcse_mean``, ``mcse_over_sd``.
    loo : ELPDData or None
        PSIS-LOO (pointwise).
    pareto_k : DataFrame or None
        Counts of rows per Pareto-k band.
    ppc : DataFrame or None
        ``time``, ``km``, ``km_lower``, ``km_upper``, ``model_mean``, ``model_lower``,
        ``model_upper``, ``gap``, ``at_risk``; ``attrs["max_gap"]``.
    ppc_cif : DataFrame or None
        Several endings: per ``cause`` and ``time``, ``aj`` (Aalen–Johansen) with interval and the
        model's marginal CIF, ``gap``.
    loo_pit : DataFrame or None
        ``id``, ``status``, ``pit``, ``lower``, ``upper`` (interval a censored PIT was drawn from).
    discrimination : DataFrame or None
        ``metric``, ``horizon``, ``mean``, ``lower``, ``upper``, ``ci_prob``, ``reference``.
    calibration : DataFrame or None
        ``horizon``, ``risk_group`` (1 = lowest risk), ``n``, ``predicted`` (+ ``_lower``,
        ``_upper``), ``observed`` (+ ``_lower``, ``_upper``), ``z``.
    mle : DataFrame or None
        See :func:`mle_side_by_side`.
    notes : list of str
        Remarks on tables without a verdict (e.g. why one is missing).
    """

    results: list[Check]
    label: str = ""
    ci_prob: float = 0.95
    time_unit: str = ""
    horizons: tuple[float, ...] = ()
    convergence: pd.DataFrame | None = None
    loo: Any = None
    pareto_k: pd.DataFrame | None = None
    ppc: pd.DataFrame | None = None
    ppc_cif: pd.DataFrame | None = None
    loo_pit: pd.DataFrame | None = None
    discrimination: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    mle: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """Worst verdict of the computed checks (``"skipped"`` when none was computed)."""
        ranked = [c.verdict for c in self.results if c.verdict != "skipped"]
        return max(ranked, key=_RANK.__getitem__) if ranked else "skipped"

    @property
    def failed(self) -> list[Check]:
        """Checks that failed."""
        return [c for c in self.results if c.verdict == "fail"]

    @property
    def warnings(self) -> list[Check]:
        """Checks that warn."""
        return [c for c in self.results if c.verdict == "warn"]

    @property
    def skipped(self) -> list[Check]:
        """Checks that could not be computed (reason in ``advice``)."""
        return [c for c in self.results if c.verdict == "skipped"]

    @property
    def checks(self) -> pd.DataFrame:
        """The checks as a DataFrame (same as :meth:`to_frame`)."""
        return self.to_frame()

    @property
    def ppc_max_gap(self) -> float | None:
        """Largest |model − KM| of the marginal survival (None when not computed)."""
        return None if self.ppc is None else float(self.ppc.attrs["max_gap"])

    def to_frame(self) -> pd.DataFrame:
        """One row per check: name, verdict, value, threshold, advice, detail."""
        cols = ["name", "verdict", "value", "threshold", "advice", "detail"]
        return pd.DataFrame([{c: getattr(ch, c) for c in cols} for ch in self.results],
                            columns=cols)

    def __iter__(self) -> Iterator[Check]:
        """Iterate over the checks."""
        return iter(self.results)

    def __len__(self) -> int:
        """Return the number of checks."""
        return len(self.results)

    def __getitem__(self, name: str) -> Check:
        """Return the check called ``name``."""
        for check in self.results:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; checks: {[c.name for c in self.results]}")

    def _headline(self) -> str:
        return (f"overall {self.verdict.upper()}: {len(self.failed)} failed, "
                f"{len(self.warnings)} warnings, {len(self.skipped)} skipped")

    def _extras(self) -> list[str]:
        lines = []
        if self.loo is not None:
            lines.append(f"PSIS-LOO elpd {self.loo.elpd:.1f} (SE {self.loo.se:.1f}), "
                         f"p_loo {self.loo.p:.1f}")
        if self.discrimination is not None:
            pct = f"{self.ci_prob:.0%}"
            for _, r in self.discrimination.iterrows():
                if r["metric"] in ("c_index", "integrated_brier"):
                    lines.append(f"{r['metric']} {r['mean']:.3f} [{r['lower']:.3f}, "
                                 f"{r['upper']:.3f}] ({pct} interval; reference "
                                 f"{r['reference']:.3f})")
        return lines + self.notes

    def __str__(self) -> str:
        """Plain-text table of the checks, with advice under each warning or failure."""
        frame = self.to_frame()
        values = [_fmt(v) for v in frame["value"]]
        w_name = max([5] + [len(n) for n in frame["name"]])
        w_val = max([5] + [len(v) for v in values])
        lines = [f"Diagnosis of {self.label}" if self.label else "Diagnosis", self._headline(), ""]
        lines.append(f"  {'VERDICT':8} {'check':{w_name}} {'value':>{w_val}}  threshold")
        for check, value in zip(self.results, values, strict=True):
            lines.append(f"  {check.verdict.upper():8} {check.name:{w_name}} {value:>{w_val}}  "
                         f"{check.threshold}")
            for text in (check.detail, check.advice):
                if text and check.verdict != "pass":
                    lines.append(f"  {'':8} {'':{w_name}} -> {text}")
        extras = self._extras()
        return "\n".join(lines + ([""] + extras if extras else []))

    def __repr__(self) -> str:
        """Label and headline."""
        return f"<coalsurv.Diagnosis {self.label!r}: {self._headline()}>"

    def _repr_html_(self) -> str:
        def badge(verdict: str) -> str:
            return (f'<span style="background:{_COLOURS[verdict]};color:white;padding:1px 6px;'
                    f'border-radius:3px;font-weight:bold">{verdict.upper()}</span>')

        rows = "".join(
            f"<tr><td>{badge(c.verdict)}</td><td><code>{html.escape(c.name)}</code></td>"
            f"<td style='text-align:right'>{html.escape(_fmt(c.value))}</td>"
            f"<td>{html.escape(c.threshold)}</td>"
            f"<td>{html.escape(' '.join(t for t in (c.detail, c.advice) if t))}</td></tr>"
            for c in self.results)
        extras = "".join(f"<li>{html.escape(x)}</li>" for x in self._extras())
        return (f"<div><b>Diagnosis of {html.escape(self.label)}</b> {badge(self.verdict)} "
                f"<small>{html.escape(self._headline())}</small>"
                "<table><thead><tr><th>verdict</th><th>check</th><th>value</th><th>threshold"
                f"</th><th>advice</th></tr></thead><tbody>{rows}</tbody></table>"
                f"{'<ul>' + extras + '</ul>' if extras else ''}</div>")


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.0f}"
    return f"{value:.2e}"


# ---------------------------------------------------------------------------------- helpers
def _stack(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    return arr.reshape((-1,) + arr.shape[2:])


def _summ(draws: np.ndarray, ci_prob: float, axis: int = 0) -> dict[str, np.ndarray]:
    from coalsurv.result import _summarise

    return _summarise(draws, ci_prob, axis=axis)


def _skipped(name: str, threshold: str, reason: str) -> Check:
    return Check(name, None, threshold, "skipped", reason)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"could not be computed ({type(exc).__name__}: {text[0] if text else ''})"


@dataclass(frozen=True)
class _Outcomes:
    """Observed outcomes on the model's terms: modelled endings only, pooled or per cause."""

    exit: np.ndarray      # exact time, or the midpoint of an interval
    time: np.ndarray      # lower bound (= exit for exact rows)
    upper: np.ndarray     # upper bound of interval rows, inf otherwise
    entry: np.ndarray
    code: np.ndarray      # 0 censored (or an ending not modelled), k + 1 for modelled cause k
    interval: np.ndarray  # bool: interval-censored ending

    @property
    def event(self) -> np.ndarray:
        return self.code > 0


def _outcomes(fit) -> _Outcomes:
    data, info = fit.data, fit.info
    status = np.asarray(data.status)
    cause = np.asarray(data.cause_index)
    time = np.asarray(data.time, dtype=float)
    upper = np.asarray(data.time_upper, dtype=float)
    if info.pooled:
        code = np.where(cause >= 0, 1, 0)
    else:
        code = np.zeros(data.n, dtype=int)
        for k, label in enumerate(info.causes):
            code[cause == data.causes.index(label)] = k + 1
    interval = (status == 2) & (code > 0)
    exit_ = np.where(interval, 0.5 * (time + upper), time)
    return _Outcomes(exit_, time, np.where(interval, upper, np.inf),
                     np.asarray(data.entry, dtype=float), code, interval)


def _newdata(fit) -> pd.DataFrame:
    return pd.concat([fit.data.covariates, fit.data.groups], axis=1)


def _km(times, events, *, entry=None, ci_prob=0.95):
    from lifelines import KaplanMeierFitter

    entry = entry if entry is not None and np.any(entry > 0) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter().fit(times, event_observed=events, entry=entry,
                                       alpha=1 - ci_prob)


def _step(index: np.ndarray, values: np.ndarray, t: np.ndarray, *, left: bool = False,
          start: float = 1.0) -> np.ndarray:
    """Right-continuous step function through (index, values) at t (left limit if ``left``)."""
    pos = np.searchsorted(index, t, side="left" if left else "right") - 1
    return np.where(pos >= 0, values[np.maximum(pos, 0)], start)


def _km_at(kmf, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.asarray(kmf.survival_function_.index, dtype=float)
    est = _step(idx, kmf.survival_function_.iloc[:, 0].to_numpy(), t)
    ci = kmf.confidence_interval_survival_function_
    lo = _step(idx, ci.iloc[:, 0].to_numpy(), t)
    hi = _step(idx, ci.iloc[:, 1].to_numpy(), t)
    return est, np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def _row_log_survival(pred, times: np.ndarray, newdata: pd.DataFrame) -> np.ndarray:
    """Log S(t_i | x_i) of each row at its own time, per draw: (draw, row), summed over causes."""
    from coalsurv.predict import _log_mean_exp

    t = np.asarray(times, dtype=float) / pred.info.time_scale
    eta, free_sd = pred.eta(newdata)
    nodes, weights = pred._quadrature(free_sd)
    total = np.zeros((eta.shape[0], eta.shape[2]))
    for k in range(eta.shape[1]):
        e = eta[:, k, :, None, None] + free_sd[:, k, :, None, None] * nodes[None, None, :, None]
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            ls = pred.family.log_survival(t[None, :, None, None], e, **pred._params(k))
        ls = np.broadcast_to(ls, e.shape)
        total += _log_mean_exp(ls, weights, axis=2)[..., 0]
    return total


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


# ---------------------------------------------------------------------------------- sampler
def convergence_table(idata) -> pd.DataFrame:
    """Per parameter cell: mean, sd, rank-normalised R-hat, bulk/tail ESS, MCSE of the mean."""
    import arviz_stats as azs

    post = idata["posterior"]
    names = [n for n in post.data_vars if post[n].dtype.kind == "f"]
    stats = {"r_hat": azs.rhat(idata, var_names=names),
             "ess_bulk": azs.ess(idata, var_names=names, method="bulk"),
             "ess_tail": azs.ess(idata, var_names=names, method="tail"),
             "mcse_mean": azs.mcse(idata, var_names=names)}
    rows = []
    for name in names:
        da = post[name]
        draws = _stack(da.values)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        coords = [list(np.asarray(da[d].values)) if d in da.coords else list(range(da.sizes[d]))
                  for d in extra]
        flat = draws.reshape(draws.shape[0], -1)
        cells = {k: np.asarray(v[name].values, dtype=float).reshape(-1) for k, v in stats.items()}
        for i, index in enumerate(np.ndindex(*[len(c) for c in coords])):
            parts = [str(c[j]) for c, j, d in zip(coords, index, extra, strict=True)
                     if not (d == "cause" and len(c) == 1)]
            sd = float(np.std(flat[:, i], ddof=1)) if flat.shape[0] > 1 else np.nan
            row = {"parameter": f"{name}[{', '.join(parts)}]" if parts else name,
                   "mean": float(np.mean(flat[:, i])), "sd": sd}
            row.update({k: float(v[i]) for k, v in cells.items()})
            row["mcse_over_sd"] = row["mcse_mean"] / sd if sd > 0 else np.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=["parameter", "mean", "sd", "r_hat", "ess_bulk",
                                       "ess_tail", "mcse_mean", "mcse_over_sd"])


def _worst(table: pd.DataFrame, column: str, *, largest: bool) -> tuple[float, str]:
    values = table[column].to_numpy(dtype=float)
    if not np.any(np.isfinite(values)) and not np.any(np.isinf(values)):
        raise ValueError(f"no finite {column} values")
    clean = np.where(np.isnan(values), -np.inf if largest else np.inf, values)
    i = int(np.argmax(clean) if largest else np.argmin(clean))
    return float(values[i]), str(table["parameter"].iloc[i])


def _convergence_checks(fit, table: pd.DataFrame) -> list[Check]:
    out = []
    n_chains = fit.idata["posterior"].sizes["chain"]
    thr = "< 1.01 pass; < 1.05 warn; else fail"
    if n_chains < 2:
        out.append(_skipped("r_hat", thr, "needs at least 2 chains; refit with chains=4"))
    else:
        value, where = _worst(table, "r_hat", largest=True)
        out.append(_graded(
            "r_hat", value, thr, good=lambda v: v < 1.01, ok=lambda v: v < 1.05,
            detail=f"worst: {where}",
            advice="chains disagree: run longer (e.g. tune=2000, draws=2000); if R-hat stays "
                   f"high, look at the trace of {where} for several modes or a poorly identified "
                   "parameter (a tighter prior helps)"))
    for column, what in (("ess_bulk", "estimates"), ("ess_tail", "interval ends")):
        value, where = _worst(table, column, largest=False)
        out.append(_graded(
            column, value, "> 400 pass; > 100 warn; else fail", good=lambda v: v > 400,
            ok=lambda v: v > 100, detail=f"worst: {where}",
            advice=f"too few effective draws for stable {what}: increase draws (ESS grows "
                   "about linearly with draws) or chains"))
    value, where = _worst(table, "mcse_over_sd", largest=True)
    out.append(_graded(
        "mcse", value, "MCSE/SD < 0.1 pass; < 0.2 warn; else fail", good=lambda v: v < 0.1,
        ok=lambda v: v < 0.2, detail=f"worst: {where}",
        advice="Monte Carlo error of the posterior mean is large relative to its SD: draw more"))
    return out


def _sampler_checks(fit) -> list[Check]:
    import arviz_stats as azs

    out = []
    try:
        stats = fit.idata["sample_stats"]
    except KeyError:
        reason = "the fit has no sample_stats group"
        return [_skipped(n, "", reason) for n in ("divergences", "e_bfmi", "tree_depth")]
    thr = "0 pass; <= 0.5% of draws warn; else fail"
    try:
        div = np.asarray(stats["diverging"]).astype(bool)
        share = float(div.mean())
        out.append(_graded(
            "divergences", share, thr, good=lambda v: v == 0, ok=lambda v: v <= 0.005,
            detail=f"{int(div.sum())} of {div.size} draws diverged",
            advice="the posterior may be biased where the sampler could not go: refit with "
                   "target_accept=0.95 (or 0.99); if divergences persist, use tighter priors "
                   + ("on group SDs or fewer group terms" if fit.info.factors else
                      "on the coefficients and the family's shape parameter")))
    except Exception as exc:  # noqa: BLE001 - never break diagnose
        out.append(_skipped("divergences", thr, _reason(exc)))
    thr = ">= 0.3 pass; >= 0.2 warn; else fail (per chain)"
    try:
        bfmi = np.asarray(azs.bfmi(fit.idata)["energy"], dtype=float).ravel()
        chain = int(np.nanargmin(bfmi))
        out.append(_graded(
            "e_bfmi", float(bfmi[chain]), thr, good=lambda v: v >= 0.3, ok=lambda v: v >= 0.2,
            detail=f"chain {chain}",
            advice="the sampler explores the energy distribution poorly (heavy tails or a "
                   "funnel): lengthen tuning and use tighter priors on scale parameters"))
    except Exception as exc:  # noqa: BLE001
        out.append(_skipped("e_bfmi", thr, _reason(exc)))
    thr = "< 1% of draws pass; else warn"
    name = next((n for n in ("maxdepth_reached", "reached_max_treedepth") if n in stats), None)
    if name is None:
        out.append(_skipped("tree_depth", thr, "the sampler did not record tree-depth saturation"))
    else:
        share = float(np.asarray(stats[name]).astype(bool).mean())
        out.append(_graded(
            "tree_depth", share, thr, good=lambda v: v < 0.01, ok=lambda v: True,
            advice="efficiency, not validity: trajectories hit the maximum length; weakly "
                   "identified parameters or very different scales are the usual cause — "
                   "tighten vague priors"))
    return out


# ---------------------------------------------------------------------------------- LOO
def _loo_tables(fit) -> tuple[Any, pd.DataFrame, Check]:
    import arviz_stats as azs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = azs.loo(fit.idata, pointwise=True)
    k = np.asarray(loo.pareto_k, dtype=float).ravel()
    good = float(min(loo.good_k, _K_THRESHOLD))
    bands = [(f"(-inf, {good:.2f}]", "good", k <= good),
             (f"({good:.2f}, 0.7]", "ok", (k > good) & (k <= 0.7)),
             ("(0.7, 1]", "bad", (k > 0.7) & (k <= 1)), ("(1, inf)", "very bad", k > 1)]
    table = pd.DataFrame([{"range": r, "label": lab, "count": int(m.sum()),
                           "share": float(m.mean())} for r, lab, m in bands])
    bad = k > _K_THRESHOLD
    ids = [str(i) for i in np.asarray(fit.data.ids)[bad][:5]]
    check = _graded(
        "pareto_k", float(bad.mean()), "share of k > 0.7: 0 pass; <= 10% warn; else fail",
        good=lambda v: v == 0, ok=lambda v: v <= 0.10,
        detail=f"{int(bad.sum())} rows with k > 0.7" + (f" (ids {', '.join(ids)})" if ids else ""),
        advice="PSIS-LOO is unreliable for these influential coalitions: check them for data "
               "errors; a more flexible family or a frailty term often helps; compare models by "
               "K-fold cross-validation if many remain")
    return loo, table, check


def _loo_pit(fit, loo, *, seed: int) -> tuple[pd.DataFrame, Check]:
    from scipy.special import logsumexp

    pred, out = fit.predictor, _outcomes(fit)
    newdata = _newdata(fit)
    lw = loo.log_weights
    lw = np.asarray(lw.transpose("chain", "draw", ...), dtype=float)
    lw = lw.reshape(-1, lw.shape[-1])[pred._take]
    lw = lw - logsumexp(lw, axis=0, keepdims=True)
    w = np.exp(lw)
    log_s_entry = _row_log_survival(pred, out.entry, newdata)

    def cdf(times: np.ndarray) -> np.ndarray:
        finite = np.isfinite(times)
        ls = _row_log_survival(pred, np.where(finite, times, 0.0), newdata)
        f = -np.expm1(np.minimum(ls - log_s_entry, 0.0))
        f = np.where(finite[None, :], f, 1.0)
        return np.clip(np.sum(w * f, axis=0), 0.0, 1.0)

    lower = cdf(out.time)
    upper = np.where(out.interval, cdf(out.upper), np.where(out.event, lower, 1.0))
    rng = np.random.default_rng(seed)
    pit = np.where(out.event & ~out.interval, lower, rng.uniform(lower, np.maximum(upper, lower)))
    status = np.where(~out.event, "censored", np.where(out.interval, "interval", "event"))
    table = pd.DataFrame({"id": np.asarray(fit.data.ids), "status": status, "pit": pit,
                          "lower": lower, "upper": upper})
    table.attrs["method"] = ("randomised LOO-PIT: event F(t); right-censored U(F(c), 1); "
                             "interval U(F(l), F(u)); F is the PSIS-LOO predictive CDF")
    n = pit.size
    eps = float(np.sqrt(np.log(2 / 0.05) / (2 * n)))
    srt = np.sort(pit)
    dev = float(np.max(np.maximum(np.arange(1, n + 1) / n - srt, srt - np.arange(n) / n)))
    mean = float(pit.mean())
    direction = ("observed lifespans tend to be longer than predicted" if mean > 0.55 else
                 "observed lifespans tend to be shorter than predicted" if mean < 0.45 else
                 "the predictive spread is off (U-shaped: too narrow; hump: too wide)")
    check = _graded(
        "loo_pit", dev, f"max |ECDF - uniform| <= {eps:.3f} (95% DKW band) pass; "
        f"<= {1.5 * eps:.3f} warn; else fail", good=lambda v: v <= eps, ok=lambda v: v <= 1.5 * eps,
        detail=f"mean PIT {mean:.2f}",
        advice=f"{direction}; try another family (shape of the hazard), missing covariates or "
               "a frailty term")
    table.attrs.update(max_deviation=dev, dkw_eps=eps)
    return table, check


# ---------------------------------------------------------------------------------- predictive
def _brier_weights(out: _Outcomes, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IPCW weights (Graf et al. 1999) of each row at each time: (row, time) x 2."""
    censor = _km(out.exit, ~out.event)
    idx = np.asarray(censor.survival_function_.index, dtype=float)
    g = censor.survival_function_.iloc[:, 0].to_numpy()
    g_own = _step(idx, g, out.exit, left=True)  # G(T_i-)
    g_t = _step(idx, g, grid)
    with np.errstate(divide="ignore"):
        inv_own = np.where(g_own > 0, 1 / g_own, 0.0)
        inv_t = np.where(g_t > 0, 1 / g_t, 0.0)
    died = (out.exit[:, None] <= grid[None, :]) & out.event[:, None]
    alive = out.exit[:, None] > grid[None, :]
    return died * inv_own[:, None], alive * inv_t[None, :]


@dataclass
class _Pass:
    """Posterior survival of the fitted rows, computed once (in chunks of rows)."""

    out: _Outcomes
    n_draws: int
    ppc_grid: np.ndarray
    brier_grid: np.ndarray
    horizons: np.ndarray
    t_ref: float
    w_died: np.ndarray
    w_alive: np.ndarray
    ppc_mean: np.ndarray   # (draw, time): marginal survival over rows
    brier: np.ndarray      # (draw, time): IPCW Brier score
    s_h: np.ndarray        # (draw, row, horizon)
    s_ref: np.ndarray      # (draw, row): S at the median follow-up
    pred: Any


def _survival_pass(fit, *, horizons: np.ndarray, max_draws: int) -> _Pass:
    from coalsurv.predict import Predictor

    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    out, newdata = _outcomes(fit), _newdata(fit)
    if not out.event.any():
        raise ValueError("no modelled endings in the data")
    n, n_draws = len(newdata), pred.n_draws
    t_ref = float(np.median(out.exit))
    ppc_grid = np.linspace(0, float(np.quantile(out.exit, 0.9)), _PPC_POINTS + 1)[1:]
    brier_grid = np.unique(np.concatenate([np.linspace(0, float(horizons.max()), 31)[1:],
                                           horizons]))
    times = np.unique(np.concatenate([ppc_grid, brier_grid, horizons, [t_ref]]))
    pos = {name: np.searchsorted(times, g) for name, g in
           (("ppc", ppc_grid), ("brier", brier_grid), ("h", horizons), ("ref", [t_ref]))}
    w_died, w_alive = _brier_weights(out, brier_grid)
    ppc_sum = np.zeros((n_draws, ppc_grid.size))
    bs_sum = np.zeros((n_draws, brier_grid.size))
    s_h = np.empty((n_draws, n, horizons.size))
    s_ref = np.empty((n_draws, n))
    for rows in _chunks(n, max(1, 400_000 // max(1, n_draws * times.size))):
        s = pred.survival(times, newdata.iloc[rows])  # (draw, row, time)
        ppc_sum += s[:, :, pos["ppc"]].sum(axis=1)
        sb = s[:, :, pos["brier"]]
        bs_sum += (np.einsum("srt,rt->st", sb ** 2, w_died[rows])
                   + np.einsum("srt,rt->st", (1 - sb) ** 2, w_alive[rows]))
        s_h[:, rows] = s[:, :, pos["h"]]
        s_ref[:, rows] = s[:, :, pos["ref"][0]]
    return _Pass(out, n_draws, ppc_grid, brier_grid, horizons, t_ref, w_died, w_alive,
                 ppc_sum / n, bs_sum / n, s_h, s_ref, pred)


def _ppc_km(fit, diag: Diagnosis, p: _Pass) -> Check:
    """Marginal survival of the model against Kaplan-Meier of the modelled endings."""
    out, ci_prob, grid = p.out, diag.ci_prob, p.ppc_grid
    km, km_lo, km_hi = _km_at(_km(out.exit, out.event, entry=out.entry, ci_prob=ci_prob), grid)
    model = _summ(p.ppc_mean, ci_prob)
    at_risk = ((out.entry[:, None] <= grid) & (out.exit[:, None] >= grid)).sum(axis=0)
    ppc = pd.DataFrame({"time": grid, "km": km, "km_lower": km_lo, "km_upper": km_hi,
                        "model_mean": model["mean"], "model_lower": model["lower"],
                        "model_upper": model["upper"], "gap": model["mean"] - km,
                        "at_risk": at_risk})
    worst = int(np.argmax(np.abs(ppc["gap"].to_numpy())))
    ppc.attrs.update(max_gap=float(np.abs(ppc["gap"]).max()), ci_prob=ci_prob,
                     time_unit=fit.time_unit)
    diag.ppc = ppc
    return _graded(
        "ppc_km", ppc.attrs["max_gap"], "max |S_model - KM| < 0.05 pass; < 0.1 warn; else fail",
        good=lambda v: v < 0.05, ok=lambda v: v < 0.1,
        detail=f"largest at t = {grid[worst]:.3g} {fit.time_unit} "
               f"(model {model['mean'][worst]:.2f}, KM {km[worst]:.2f})",
        advice="the model's average survival curve departs from Kaplan-Meier: try a more "
               "flexible baseline (family='piecewise', or lognormal/loglogistic for a rising-then-"
               "falling hazard), missing covariates, or a frailty term")


def _discrimination(fit, diag: Diagnosis, p: _Pass) -> None:
    """Harrell's C and IPCW Brier scores per posterior draw (no verdict)."""
    from lifelines.utils import concordance_index

    out, ci_prob, n = p.out, diag.ci_prob, p.s_ref.shape[1]
    if len(fit.info.causes) == 1:
        eta, _ = p.pred.eta(_newdata(fit))
        score = -eta[:, 0, :] if fit.info.kind == "ph" else eta[:, 0, :]
        score_kind = "-eta (PH)" if fit.info.kind == "ph" else "eta (AFT)"
    else:
        score, score_kind = p.s_ref, f"S(t = {p.t_ref:.3g} {fit.time_unit})"
    n_c = min(p.n_draws, max(50, 400_000 // max(n, 1)))
    take = np.unique(np.linspace(0, p.n_draws - 1, n_c).round().astype(int))
    c_draws = np.array([concordance_index(out.exit, score[s], out.event) for s in take])
    rows = [_metric_row("c_index", np.nan, c_draws, ci_prob, 0.5)]
    s_km = _km_at(_km(out.exit, out.event), p.brier_grid)[0]
    bs_ref = (s_km ** 2 * p.w_died + (1 - s_km) ** 2 * p.w_alive).mean(axis=0)
    for h in p.horizons:
        j = int(np.searchsorted(p.brier_grid, h))
        rows.append(_metric_row("brier", float(h), p.brier[:, j], ci_prob, float(bs_ref[j])))
    span = float(p.brier_grid[-1])
    grid0 = np.concatenate([[0.0], p.brier_grid])
    ibs = np.trapezoid(np.concatenate([np.zeros((p.n_draws, 1)), p.brier], axis=1), grid0,
                       axis=1) / span
    ibs_ref = float(np.trapezoid(np.concatenate([[0.0], bs_ref]), grid0) / span)
    rows.append(_metric_row("integrated_brier", span, ibs, ci_prob, ibs_ref))
    disc = pd.DataFrame(rows)
    disc.attrs.update(score=score_kind, draws=int(p.n_draws), c_draws=int(take.size),
                      reference="C: 0.5 (chance); Brier: Kaplan-Meier for everyone",
                      time_unit=fit.time_unit)
    diag.discrimination = disc


def _calibration(fit, diag: Diagnosis, p: _Pass) -> Check:
    """Predicted vs Kaplan-Meier survival by quintile of predicted risk at each horizon."""
    from scipy.stats import norm

    out, ci_prob = p.out, diag.ci_prob
    zq = float(norm.ppf(0.5 + ci_prob / 2))
    rows = []
    for j, h in enumerate(p.horizons):
        q = min(5, p.s_h.shape[1])
        risk_rank = pd.Series(-p.s_h[:, :, j].mean(axis=0)).rank(method="first")
        group = q - 1 - pd.qcut(risk_rank, q, labels=False).to_numpy()  # 0 = lowest risk
        for g in range(q):
            m = group == g
            draws = p.s_h[:, m, j].mean(axis=1)
            ps = _summ(draws, ci_prob)
            kmf = _km(out.exit[m], out.event[m], entry=out.entry[m], ci_prob=ci_prob)
            obs, lo, hi = (float(v[0]) for v in _km_at(kmf, np.array([h])))
            se = float(np.sqrt(np.var(draws, ddof=1) + ((hi - lo) / (2 * zq)) ** 2))
            rows.append({"horizon": float(h), "risk_group": g + 1, "n": int(m.sum()),
                         "predicted": float(ps["mean"]), "predicted_lower": float(ps["lower"]),
                         "predicted_upper": float(ps["upper"]), "observed": obs,
                         "observed_lower": lo, "observed_upper": hi,
                         "z": (float(ps["mean"]) - obs) / se if se > 0 else np.nan})
    cal = pd.DataFrame(rows)
    cal.attrs.update(ci_prob=ci_prob, time_unit=fit.time_unit)
    diag.calibration = cal
    off = np.abs(cal["z"].to_numpy()) > 1.96
    return _graded(
        "calibration", float(off.mean()),
        "share of (horizon, risk quintile) cells with |z| > 1.96: <= 20% pass; <= 40% warn",
        good=lambda v: v <= 0.2, ok=lambda v: v <= 0.4,
        detail=f"{int(off.sum())} of {off.size} cells off",
        advice="predicted survival misses the observed survival in some risk groups: check the "
               "functional form of covariates (non-linear terms, interactions) and the "
               "proportional-hazards / AFT assumption")


def _metric_row(metric: str, horizon: float, draws: np.ndarray, ci_prob: float,
                reference: float) -> dict[str, Any]:
    s = _summ(np.asarray(draws, dtype=float), ci_prob)
    return {"metric": metric, "horizon": horizon, "mean": float(s["mean"]),
            "lower": float(s["lower"]), "upper": float(s["upper"]), "ci_prob": ci_prob,
            "reference": reference}


def _ppc_cif(fit, diag: Diagnosis, *, max_draws: int) -> Check:
    from lifelines import AalenJohansenFitter

    from coalsurv.predict import Predictor

    pred = Predictor(fit.info, fit.design, fit.idata["posterior"], max_draws=max_draws)
    out, newdata = _outcomes(fit), _newdata(fit)
    grid = np.linspace(0, float(np.quantile(out.exit, 0.9)), _PPC_POINTS + 1)[1:]
    total = np.zeros((pred.n_draws, len(fit.info.causes), grid.size))
    for rows in _chunks(len(newdata), 50):
        total += pred.cumulative_incidence(grid, newdata.iloc[rows], n_grid=100).sum(axis=2)
    model = _summ(total / len(newdata), diag.ci_prob)
    parts = []
    for k, cause in enumerate(fit.info.causes):
        aj = AalenJohansenFitter(alpha=1 - diag.ci_prob, seed=0)
        entry = out.entry if np.any(out.entry > 0) else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aj.fit(out.exit, out.code, event_of_interest=k + 1, entry=entry)
        idx = np.asarray(aj.cumulative_density_.index, dtype=float)
        est = _step(idx, aj.cumulative_density_.iloc[:, 0].to_numpy(), grid, start=0.0)
        ci = aj.confidence_interval_
        parts.append(pd.DataFrame({
            "cause": cause, "time": grid, "aj": est,
            "aj_lower": _step(idx, ci.iloc[:, 0].to_numpy(), grid, start=0.0),
            "aj_upper": _step(idx, ci.iloc[:, 1].to_numpy(), grid, start=0.0),
            "model_mean": model["mean"][k], "model_lower": model["lower"][k],
            "model_upper": model["upper"][k], "gap": model["mean"][k] - est}))
    table = pd.concat(parts, ignore_index=True)
    worst = int(np.argmax(np.abs(table["gap"].to_numpy())))
    table.attrs.update(max_gap=float(np.abs(table["gap"]).max()), ci_prob=diag.ci_prob)
    diag.ppc_cif = table
    return _graded(
        "ppc_cif", table.attrs["max_gap"], "max |CIF_model - AJ| < 0.05 pass; < 0.1 warn",
        good=lambda v: v < 0.05, ok=lambda v: v < 0.1,
        detail=f"largest for {table['cause'].iloc[worst]} at t = {table['time'].iloc[worst]:.3g}",
        advice="the model's incidence of this ending departs from Aalen-Johansen: give that "
               "cause a more flexible baseline or its own covariates")


# ---------------------------------------------------------------------------------- MLE
_LIFELINES = {"weibull": ("WeibullAFTFitter", "lambda_"),
              "weibull_ph": ("WeibullAFTFitter", "lambda_"),
              "weibull_aft": ("WeibullAFTFitter", "lambda_"),
              "lognormal": ("LogNormalAFTFitter", "mu_"),
              "loglogistic": ("LogLogisticAFTFitter", "alpha_"),
              "piecewise": ("CoxPHFitter", None)}


def mle_side_by_side(fit, *, ci_prob: float = 0.95) -> pd.DataFrame | None:
    r"""Posterior summaries next to the maximum-likelihood fit of the same fixed-effects model.

    On the per-unit coefficient scale of the model: log hazard ratio (PH) or log time ratio (AFT).
    The MLE comes from lifelines (Weibull/log-normal/log-logistic AFT fitters; Weibull PH via
    :math:`\beta_{PH} = -\rho\,\beta_{AFT}` with a delta-method SE; Cox for ``piecewise``) or
    from scipy with the family's own likelihood (``exponential``, ``gompertz``). Each modelled
    ending is fitted with the others as censoring. Group terms are ignored by the MLE
    (``attrs["note"]``).

    Returns
    -------
    DataFrame or None
        Columns ``cause`` (several endings), ``term``, ``bayes_mean``, ``bayes_lower``,
        ``bayes_upper``, ``mle``, ``mle_se``, ``diff_in_posterior_sd``, ``source``; None when the
        model has no covariates or the data have interval-censored rows.
    """
    info = fit.info
    if not info.terms or "beta" not in fit.idata["posterior"]:
        return None
    out = _outcomes(fit)
    if out.interval.any():
        return None
    sds = np.asarray(info.sds, dtype=float)
    beta = _stack(fit.idata["posterior"]["beta"].values) / sds  # (S, K, p) per unit
    raw = fit.design.X * sds + np.asarray(info.means)
    names = [f"x{j}" for j in range(raw.shape[1])]
    rows = []
    for k, cause in enumerate(info.causes):
        event = out.code == k + 1
        est, se, source = _mle_one(fit, raw, names, out, event)
        stat = _summ(beta[:, k, :], ci_prob)
        post_sd = beta[:, k, :].std(axis=0, ddof=1)
        for j, term in enumerate(info.terms):
            rows.append({"cause": cause, "term": term, "bayes_mean": stat["mean"][j],
                         "bayes_lower": stat["lower"][j], "bayes_upper": stat["upper"][j],
                         "mle": est[j], "mle_se": se[j],
                         "diff_in_posterior_sd": (stat["mean"][j] - est[j]) / post_sd[j],
                         "source": source})
    table = pd.DataFrame(rows)
    if len(info.causes) == 1:
        table = table.drop(columns="cause")
    table.attrs.update(
        ci_prob=ci_prob, scale="log hazard ratio per unit" if info.kind == "ph"
        else "log time ratio per unit",
        note=("the MLE ignores the group terms (lifelines fits no frailty): differences in "
              "fixed effects are expected" if info.factors else ""))
    return table


def _mle_one(fit, raw: np.ndarray, names: list[str], out: _Outcomes, event: np.ndarray):
    family = fit.info.family
    frame = pd.DataFrame(raw, columns=names)
    frame["T"], frame["E"] = out.exit, event.astype(int)
    entry_col = None
    if np.any(out.entry > 0):
        frame["entry"], entry_col = out.entry, "entry"
    if family in _LIFELINES:
        import lifelines

        cls_name, param = _LIFELINES[family]
        fitter = getattr(lifelines, cls_name)()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(frame, "T", "E", entry_col=entry_col)
        if param is None:
            return (fitter.params_[names].to_numpy(), fitter.standard_errors_[names].to_numpy(),
                    f"lifelines {cls_name}")
        est = np.array([fitter.params_[(param, c)] for c in names])
        cov = fitter.variance_matrix_
        var = np.array([cov.loc[(param, c), (param, c)] for c in names])
        if family in ("weibull", "weibull_ph"):  # beta_PH = -rho * beta_AFT (delta method)
            r = float(fitter.params_[("rho_", "Intercept")])
            rho = np.exp(r)
            v_rr = cov.loc[("rho_", "Intercept"), ("rho_", "Intercept")]
            v_br = np.array([cov.loc[(param, c), ("rho_", "Intercept")] for c in names])
            var = rho ** 2 * (var + est ** 2 * v_rr + 2 * est * v_br)
            est = -rho * est
        return est, np.sqrt(var), f"lifelines {cls_name}"
    return _scipy_mle(fit, out, event)


def _scipy_mle(fit, out: _Outcomes, event: np.ndarray):
    """MLE with the family's own log hazard / log survival (families lifelines lacks)."""
    from scipy.optimize import minimize

    info = fit.info
    fam = info.family_object()
    tau, sds = info.time_scale, np.asarray(info.sds)
    X, p, q = fit.design.X, fit.design.X.shape[1], len(fam.params)
    t, e = out.exit / tau, out.entry / tau

    def nll(theta):
        eta = theta[0] + X @ theta[1:p + 1]
        params = {name: np.exp(v) for name, v in zip(fam.params, theta[p + 1:], strict=True)}
        with np.errstate(all="ignore"):
            ll = (event * fam.log_hazard(t, eta, **params) + fam.log_survival(t, eta, **params)
                  - np.where(e > 0, fam.log_survival(np.maximum(e, 1e-300), eta, **params), 0.0))
        value = -float(np.sum(ll))
        return value if np.isfinite(value) else 1e300

    start = np.zeros(1 + p + q)
    start[0] = info.intercept_centre[0] if info.intercept_centre else 0.0
    res = minimize(nll, start, method="BFGS")
    res = minimize(nll, res.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10,
                                                            "maxiter": 4000})
    theta = res.x
    hess = _hessian(nll, theta)
    cov = np.linalg.pinv(hess)
    est = theta[1:p + 1] / sds
    se = np.sqrt(np.clip(np.diag(cov)[1:p + 1], 0, None)) / sds
    return est, se, "scipy (family likelihood)"


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    n = x.size
    h = np.empty((n, n))
    eye = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            h[i, j] = h[j, i] = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j])
                                 - f(x - eye[i] + eye[j])
                                 + f(x - eye[i] - eye[j])) / (4 * step ** 2)
    return h


def _mle_check(fit, table: pd.DataFrame | None) -> Check:
    thr = "|posterior mean - MLE| <= 1 posterior SD pass; else warn"
    if fit.info.factors:
        return _skipped("mle_agreement", thr, "the model has group terms; the MLE (no frailty) "
                        "is shown in Diagnosis.mle for fixed effects only")
    if table is None:
        reason = ("the model has no covariates" if not fit.info.terms else
                  "interval-censored rows: the lifelines comparison covers exact and "
                  "right-censored data only")
        return _skipped("mle_agreement", thr, reason)
    d = np.abs(table["diff_in_posterior_sd"].to_numpy())
    i = int(np.nanargmax(d))
    return _graded("mle_agreement", float(d[i]), thr, good=lambda v: v <= 1, ok=lambda v: True,
                   detail=f"largest for {table['term'].iloc[i]}",
                   advice="the posterior is pulled away from the MLE: the prior is informative "
                          "relative to these data — check that it is intended")


# ---------------------------------------------------------------------------------- entry
def diagnose(fit, *, ci_prob: float = 0.95, horizons=None, loo: bool = True,
             checks: bool = True, max_draws: int = 200, random_seed: int = 0) -> Diagnosis:
    """Run sampler diagnostics and model checks on a :class:`~coalsurv.Fit`.

    Parameters
    ----------
    fit : Fit
    ci_prob : float
        Mass of every equal-tailed interval reported.
    horizons : sequence of float, optional
        Times (data unit) for Brier scores and calibration; default the quartiles of follow-up.
    loo : bool
        Compute PSIS-LOO (Pareto k, and the LOO weights that LOO-PIT needs).
    checks : bool
        Model checks (PPC, LOO-PIT, discrimination, calibration, MLE); False gives the sampler
        checks only.
    max_draws : int
        Posterior draws (evenly thinned) for per-draw predictive metrics.
    random_seed : int
        Seed of the randomised PIT for censored rows.

    Returns
    -------
    Diagnosis
        Never raises for a check that cannot be computed: it is ``skipped`` with the reason.
    """
    from coalsurv.result import _check_ci_prob

    ci_prob = _check_ci_prob(ci_prob)
    if horizons is None:
        horizons = np.quantile(_outcomes(fit).exit, [0.25, 0.5, 0.75])
    horizons = np.unique(np.asarray(horizons, dtype=float).ravel())
    if horizons.size == 0 or np.any(~np.isfinite(horizons)) or np.any(horizons <= 0):
        raise SpecError(f"horizons must be positive finite times, got {horizons.tolist()}")
    diag = Diagnosis(results=[], label=fit.spec.label, ci_prob=ci_prob, time_unit=fit.time_unit,
                     horizons=tuple(float(h) for h in horizons))
    results = diag.results
    try:
        diag.convergence = convergence_table(fit.idata)
        results += _convergence_checks(fit, diag.convergence)
    except Exception as exc:  # noqa: BLE001 - a check never breaks diagnose
        results += [_skipped(n, "", _reason(exc))
                    for n in ("r_hat", "ess_bulk", "ess_tail", "mcse")]
    results += _sampler_checks(fit)
    k_thr = "share of k > 0.7: 0 pass; <= 10% warn; else fail"
    if loo:
        try:
            diag.loo, diag.pareto_k, check = _loo_tables(fit)
            results.append(check)
        except Exception as exc:  # noqa: BLE001
            results.append(_skipped("pareto_k", k_thr, _reason(exc)))
    else:
        results.append(_skipped("pareto_k", k_thr, "loo=False"))
    if not checks:
        return diag
    try:
        survival = _survival_pass(fit, horizons=horizons, max_draws=max_draws)
    except Exception as exc:  # noqa: BLE001
        survival = None
        results += [_skipped(n, "", _reason(exc)) for n in ("ppc_km", "calibration")]
        diag.notes.append(f"discrimination {_reason(exc)}")
    if survival is not None:
        for name, step in (("ppc_km", _ppc_km), ("calibration", _calibration),
                           ("discrimination", _discrimination)):
            try:
                check = step(fit, diag, survival)
                if check is not None:
                    results.append(check)
            except Exception as exc:  # noqa: BLE001
                if name == "discrimination":
                    diag.notes.append(f"discrimination {_reason(exc)}")
                else:
                    results.append(_skipped(name, "", _reason(exc)))
    if len(fit.info.causes) > 1:
        try:
            results.append(_ppc_cif(fit, diag, max_draws=max_draws))
        except Exception as exc:  # noqa: BLE001
            results.append(_skipped("ppc_cif", "", _reason(exc)))
    pit_thr = "max |ECDF - uniform| within the 95% DKW band"
    if diag.loo is None:
        why = "PSIS-LOO failed (see pareto_k)" if loo else "loo=False"
        results.append(_skipped("loo_pit", pit_thr, f"needs PSIS-LOO weights; {why}"))
    else:
        try:
            diag.loo_pit, check = _loo_pit(fit, diag.loo, seed=random_seed)
            results.append(check)
        except Exception as exc:  # noqa: BLE001
            results.append(_skipped("loo_pit", pit_thr, _reason(exc)))
    try:
        diag.mle = mle_side_by_side(fit, ci_prob=ci_prob)
        if diag.mle is not None and diag.mle.attrs.get("note"):
            diag.notes.append(f"MLE side by side: {diag.mle.attrs['note']}")
        results.append(_mle_check(fit, diag.mle))
    except Exception as exc:  # noqa: BLE001
        results.append(_skipped("mle_agreement", "", _reason(exc)))
    sampler = {"r_hat", "ess_bulk", "ess_tail", "mcse", "divergences", "e_bfmi"}
    if any(c.name in sampler for c in diag.failed):
        diag.notes.insert(0, "sampler checks failed: fix convergence first; the model checks "
                          "describe unreliable draws")
    return diag


# ---------------------------------------------------------------------------------- compare
def _named(fits) -> dict[str, Any]:
    if isinstance(fits, dict):
        named = {str(k): v for k, v in fits.items()}
    else:
        named = {}
        for fit in fits:
            base = name = fit.spec.label
            i = 2
            while name in named:
                name, i = f"{base} ({i})", i + 1
            named[name] = fit
    if len(named) < 2:
        raise SpecError(f"compare() needs at least two fits, got {len(named)}")
    return named


def compare(fits, *, method: str = "stacking") -> pd.DataFrame:
    """Rank models by PSIS-LOO expected log predictive density (``arviz_stats.compare``).

    Parameters
    ----------
    fits : dict of str to Fit, or list of Fit
        Fitted to the same data, modelling the same endings (labels from ``spec.label`` for a
        list).
    method : str
        Model-weighting method of ``arviz_stats.compare`` (``"stacking"``, ``"bb-pseudo-bma"``,
        ``"pseudo-bma"``).

    Returns
    -------
    DataFrame
        Indexed by model, best first, with arviz-stats' columns ``rank``, ``elpd_diff`` (this
        model minus the best, <= 0), ``dse`` (SE of the difference), ``p_worse``, ``diag_diff``,
        ``diag_elpd``, ``p``, ``elpd``, ``se``, ``weight``, plus ``family``, ``formula`` and
        ``n_bad_k`` (rows with Pareto k > 0.7). A difference smaller than about two ``dse``
        does not separate the models.

    Raises
    ------
    SpecError
        Fewer than two fits, different data, or different modelled endings.
    """
    import arviz_stats as azs
    import xarray as xr

    named = _named(fits)
    first = next(iter(named.values()))
    for name, fit in named.items():
        if fit.data_hash != first.data_hash:
            raise SpecError(f"compare(): {name!r} was fitted to different data than "
                            f"{next(iter(named))!r}; LOO comparison needs the same rows")
        if (fit.info.causes, fit.info.pooled) != (first.info.causes, first.info.pooled):
            raise SpecError(f"compare(): {name!r} models endings {list(fit.info.causes)}, "
                            f"{next(iter(named))!r} models {list(first.info.causes)}; their "
                            "likelihoods describe different outcomes")
    rescale = len({fit.info.time_scale for fit in named.values()}) > 1
    elpds = {}
    for name, fit in named.items():
        data = fit.idata
        if rescale:  # densities of t / tau -> densities of t in the data unit
            exact = np.asarray(fit.idata["constant_data"]["event_of"]).sum(axis=0) > 0
            ll = fit.idata["log_likelihood"].to_dataset()
            ll["lifespan"] = ll["lifespan"] - xr.DataArray(exact * np.log(fit.info.time_scale),
                                                           dims="obs")
            data = xr.DataTree.from_dict({"posterior": fit.idata["posterior"].to_dataset(),
                                          "log_likelihood": ll})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elpds[name] = azs.loo(data, pointwise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = azs.compare(elpds, method=method, round_to="none")
    table["family"] = [named[m].spec.family for m in table.index]
    table["formula"] = [named[m].spec.formula for m in table.index]
    table["n_bad_k"] = [int((np.asarray(elpds[m].pareto_k) > _K_THRESHOLD).sum())
                        for m in table.index]
    table.index.name = "model"
    table.attrs.update(scale="log", criterion="PSIS-LOO elpd",
                       note="elpd in the data's time unit" if rescale else "")
    return table
