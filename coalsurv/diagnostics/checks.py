"""Check and Diagnosis values: verdicts, their ranking and text / HTML rendering."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coalsurv._format import VERDICT_COLOURS, VERDICTS, fmt_number, worst_verdict

__all__ = ["VERDICTS", "Check", "Diagnosis", "graded", "reason", "skipped"]


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


def graded(name: str, value: float, threshold: str, *, good: Callable[[float], bool],
           ok: Callable[[float], bool], advice: str, detail: str = "") -> Check:
    """Grade a check by its value: ``pass`` if ``good``, else ``warn`` if ``ok``, else ``fail``.

    ``advice`` is kept only when the check did not pass.
    """
    verdict = "pass" if good(value) else "warn" if ok(value) else "fail"
    return Check(name, float(value), threshold, verdict,
                 "" if verdict == "pass" else advice, detail)


def skipped(name: str, threshold: str, reason: str) -> Check:
    """Return a check that could not be computed, with the reason in ``advice``."""
    return Check(name, None, threshold, "skipped", reason)


def reason(exc: BaseException) -> str:
    """One line saying why a check could not be computed, from the exception it raised."""
    text = str(exc).strip().splitlines()
    return f"could not be computed ({type(exc).__name__}: {text[0] if text else ''})"


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
        ``horizon``, ``risk_group`` (1 = lowest predicted risk, i.e. highest predicted survival;
        5 = highest risk), ``n``, ``predicted`` (+ ``_lower``, ``_upper``), ``observed``
        (+ ``_lower``, ``_upper``), ``z``.
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
        return worst_verdict(c.verdict for c in self.results)

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
        values = [fmt_number(v, 4) for v in frame["value"]]
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
            return (f'<span style="background:{VERDICT_COLOURS[verdict]};color:white;'
                    'padding:1px 6px;border-radius:3px;font-weight:bold">'
                    f'{verdict.upper()}</span>')

        rows = "".join(
            f"<tr><td>{badge(c.verdict)}</td><td><code>{html.escape(c.name)}</code></td>"
            f"<td style='text-align:right'>{html.escape(fmt_number(c.value, 4))}</td>"
            f"<td>{html.escape(c.threshold)}</td>"
            f"<td>{html.escape(' '.join(t for t in (c.detail, c.advice) if t))}</td></tr>"
            for c in self.results)
        extras = "".join(f"<li>{html.escape(x)}</li>" for x in self._extras())
        return (f"<div><b>Diagnosis of {html.escape(self.label)}</b> {badge(self.verdict)} "
                f"<small>{html.escape(self._headline())}</small>"
                "<table><thead><tr><th>verdict</th><th>check</th><th>value</th><th>threshold"
                f"</th><th>advice</th></tr></thead><tbody>{rows}</tbody></table>"
                f"{'<ul>' + extras + '</ul>' if extras else ''}</div>")
