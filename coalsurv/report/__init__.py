"""PDF report of a fit: :func:`write_report` (also ``Fit.report(path)``, ``coalsurv report``).

Sections: title page (model, data, date, versions and the overall verdict of
:func:`coalsurv.diagnostics.diagnose`: a failing check shows on page 1), data, model and priors
(with a prior predictive check), diagnostics, posterior summary with hazard / time ratios,
survival against Kaplan–Meier, hazards and cumulative incidence, effect curves, group effects,
members (an mm() model: weights, member effects, variance decomposition),
model comparison, maximum-likelihood comparison (lifelines), a replication section when an
original fit is given, and a reproducibility manifest.
``style="paper"`` writes the short template of :mod:`coalsurv.report.paper` instead (tables
and figures a journal article needs, diagnostics in an appendix, figures also as files).
Every time axis and table states the time unit and every interval its mass. A part that cannot
be made is replaced by a visible note (and a warning), so a report is never silently partial.

The page layout (A4, DejaVu Sans, numbered figures and tables, "page N of M" footers, table of
contents) is in :mod:`coalsurv.report.layout`, the contents of the sections in
:mod:`coalsurv.report.sections`, the row-averaged curves and effect frames in
:mod:`coalsurv.report.curves`, the figures in :mod:`coalsurv.report.figures` and the display
tables in :mod:`coalsurv.report.tables` (:mod:`coalsurv.report.gallery` writes every plot as
PNG). This module checks the fit (:func:`coalsurv.diagnostics.diagnose`, the same Diagnosis
as ``fit.diagnose()``), runs the sections in order and writes the PDF.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from coalsurv._version import __version__
from coalsurv.diagnostics import Diagnosis
from coalsurv.report.layout import Layout, build_pdf
from coalsurv.report.sections import ReportSections

__all__ = ["write_report"]


# ==================================================================================== diagnosis
def _diagnose(fit: Any, *, for_comparison: bool = False) -> Diagnosis:
    """Return the fit's :class:`~coalsurv.diagnostics.Diagnosis` (sampler checks if it fails).

    :func:`~coalsurv.diagnostics.diagnose` skips a check it cannot compute rather than raise;
    should it raise all the same, the report still shows what could be checked (with a note
    saying why the model checks are missing).
    """
    try:
        return fit.diagnose(for_comparison=for_comparison)
    except Exception as exc:  # the report must still say what it could check
        why = f"{type(exc).__name__}: {exc}"
        warnings.warn(f"report: diagnose(fit) failed ({why}); showing the sampler checks only",
                      stacklevel=3)
    diag = fit.diagnose(checks=False, loo=False)
    diag.notes.insert(0, f"Model checks could not be run: diagnose(fit) failed ({why}).")
    return diag


# ====================================================================================== report
class _Report(ReportSections):
    """Builds the story (list of flowables) of one report."""

    def __init__(self, fit: Any, *, title: str, compare_with: dict[str, Any] | None,
                 command: str | None, progress: Any = None, original: Any = None):
        from coalsurv._stats import DEFAULT_CI_PROB

        self.fit = fit
        self.unit = fit.time_unit
        self.ci = DEFAULT_CI_PROB
        self.pct = f"{100 * self.ci:.0f}%"
        self.L = Layout(title)
        self.title = title
        self.compare_with = compare_with or {}
        self.original = original
        self.command = command or fit.command or ""
        self.progress = progress or (lambda _msg: None)
        self.failures: list[str] = []

    def story(self) -> list[Any]:
        self.progress("checking the fit (diagnostics)")
        self.diag = _diagnose(self.fit, for_comparison=bool(self.compare_with))
        out = self.title_page()
        for name, part in (("data", self.data), ("model and priors", self.model),
                           ("diagnostics", self.diagnostics), ("posterior", self.posterior),
                           ("curves", self.curves), ("effects", self.effects),
                           ("group effects", self.groups), ("members", self.member_section),
                           ("comparison", self.comparison),
                           ("lifelines", self.lifelines), ("manifest", self.manifest)):
            self.progress(f"report section: {name}")
            if name == "manifest" and self.original is not None:
                from coalsurv.report.replication import replication_section

                self.progress("report section: replication")
                out += replication_section(self.L, self.original, self.fit, ci_prob=self.ci,
                                           pct=self.pct, attempt=self.attempt)
            out += part()
        return out


# ==================================================================================== entry
def write_report(fit: Any, path: str | Path, *, title: str | None = None,
                 compare_with: dict[str, Any] | None = None, command: str | None = None,
                 progress: Any = None, original: Any = None, style: str = "full",
                 figure_format: str = "pdf") -> Path:
    """Write the PDF report of a fit.

    Parameters
    ----------
    fit : Fit
        The fitted model.
    path : str or Path
        Destination (``.pdf``); written atomically (a temporary file in the same folder,
        renamed when complete). Its folder is created if needed.
    title : str, optional
        Title on the first page (default: "coalsurv report: <model label>").
    compare_with : dict of str to Fit, optional
        Other fits of the same data, compared by PSIS-LOO in the comparison section.
    command : str, optional
        Command that produced the fit, for the reproducibility manifest (default: the one
        recorded in the fit).
    progress : callable, optional
        Called with a short message as each part is made (the CLI prints them).
    original : Fit, optional
        The original study this fit replicates: adds a replication section (metrics table
        with its formulas, :mod:`coalsurv.report.replication`) before the manifest.
    style : {"full", "paper"}
        ``"full"``: every section above. ``"paper"``: what a journal article needs
        (:mod:`coalsurv.report.paper`): coefficients and joint-effects tables, survival /
        incidence and effect figures, diagnostics and posterior summary in an appendix; its
        figures are also written as separate files in ``<report>_figures/``.
    figure_format : {"pdf", "svg"}
        Format of the separate figure files of the paper style.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    coalsurv.errors.CoalsurvError
        If ``path`` does not end in ``.pdf`` or ``compare_with`` holds something other than
        fits.
    """
    from coalsurv._io import atomic_write_with
    from coalsurv.errors import CoalsurvError

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise CoalsurvError(f"report path {str(path)!r} must end in .pdf")
    if compare_with is not None:
        if not isinstance(compare_with, dict):
            raise CoalsurvError("compare_with must be a dict of name -> Fit")
        wrong = [k for k, v in compare_with.items() if not hasattr(v, "idata")]
        if wrong:
            raise CoalsurvError(f"compare_with: {wrong} are not fits")
    if original is not None and not hasattr(original, "idata"):
        raise CoalsurvError("original must be a Fit (the original study)")
    if style not in ("full", "paper"):
        raise CoalsurvError(f"report style {style!r}; expected 'full' or 'paper'")
    from coalsurv.report.paper import FIGURE_FORMATS, PaperReport

    if figure_format not in FIGURE_FORMATS:
        raise CoalsurvError(f"figure_format {figure_format!r}; expected one of "
                            f"{list(FIGURE_FORMATS)}")
    title = title or f"coalsurv report: {fit.spec.label}"
    if style == "paper":
        from coalsurv._stats import DEFAULT_CI_PROB

        if progress:
            progress("checking the fit (diagnostics)")
        diag = _diagnose(fit, for_comparison=bool(compare_with))
        story = PaperReport(fit, diag, title=title, path=path, ci_prob=DEFAULT_CI_PROB,
                            figure_format=figure_format, progress=progress).story()
    else:
        report = _Report(fit, title=title, compare_with=compare_with, command=command,
                         progress=progress, original=original)
        story = report.story()
    footer = f"coalsurv {__version__} · {fit.spec.label} · fit {fit.fit_id}"
    if len(footer) > 110:
        footer = footer[:107] + "..."
    header = title if len(title) <= 110 else title[:107] + "..."
    if progress:
        progress(f"laying out {path}")
    atomic_write_with(path, lambda tmp: build_pdf(story, tmp, footer=footer, header=header,
                                                  title=title), suffix=".pdf")
    return path
