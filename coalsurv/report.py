"""PDF report of a fit: :func:`write_report` (also ``Fit.report(path)``, ``coalsurv report``).

Sections: title page (model, data, date, versions and the overall verdict of
:func:`coalsurv.diagnostics.diagnose`: a failing check shows on page 1), data, model and priors
(with a prior predictive check), diagnostics, posterior summary with hazard / time ratios,
survival against Kaplan–Meier, hazards and cumulative incidence, effect curves, group effects,
model comparison, maximum-likelihood comparison (lifelines) and a reproducibility manifest.
Every time axis and table states the time unit and every interval its mass. A part that cannot
be made is replaced by a visible note (and a warning), so a report is never silently partial.

The layout (A4, DejaVu Sans, numbered figures and tables, "page N of M" footers, table of
contents) is built with reportlab's platypus; figures are matplotlib PNGs at 200 dpi, made by
:mod:`coalsurv.report_figures`.
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from coalsurv import __version__
from coalsurv import report_figures as F

__all__ = ["write_report"]


PAGE = A4
MARGIN = 1.8 * cm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 0.6 * cm

#: Colours of verdicts (Okabe–Ito, as in the figures).
VERDICT_COLORS = {
    "pass": colors.HexColor("#009E73"),
    "warn": colors.HexColor("#E69F00"),
    "fail": colors.HexColor("#D55E00"),
    "skipped": colors.HexColor("#888888"),
}
ACCENT = colors.HexColor("#0b3d66")
RULE = colors.HexColor("#bbbbbb")
ZEBRA = colors.HexColor("#f3f5f8")
HEADER_BG = colors.HexColor("#dde4ee")

_FONT = "Helvetica"
_FONT_BOLD = "Helvetica-Bold"
_FONT_ITALIC = "Helvetica-Oblique"


def _register_fonts() -> None:
    """Use DejaVu Sans (matplotlib's font) when it can be found; Helvetica otherwise."""
    global _FONT, _FONT_BOLD, _FONT_ITALIC
    if _FONT == "DejaVuSans":
        return
    try:
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        faces = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
                 "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
                 "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf"}
        for name, file in faces.items():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                      italic="DejaVuSans-Oblique",
                                      boldItalic="DejaVuSans-BoldOblique")
        _FONT, _FONT_BOLD, _FONT_ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
    except Exception:  # pragma: no cover - fall back to the built-in Helvetica
        pass


def esc(value: Any) -> str:
    """Text escaped for a reportlab Paragraph."""
    return escape(str(value))


def fmt(value: Any, digits: int = 3) -> str:
    """Short text of a number (``digits`` significant digits; integers as such)."""
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return "–" if np.isnan(v) else ("∞" if v > 0 else "−∞")
        if v != 0 and (abs(v) >= 10 ** (digits + 2) or abs(v) < 10 ** -(digits + 1)):
            return f"{v:.{digits - 1}e}"
        if abs(v) >= 10 ** digits:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(value)


@dataclass
class Layout:
    """Styles and numbered-element builders shared by all report sections."""

    title: str
    n_figures: int = 0
    n_tables: int = 0
    styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    section_no: int = 0

    def __post_init__(self) -> None:
        _register_fonts()
        base = ParagraphStyle("body", fontName=_FONT, fontSize=9.2, leading=12.6,
                              spaceAfter=5, alignment=TA_LEFT)
        self.styles = {
            "body": base,
            "lead": ParagraphStyle("lead", parent=base, keepWithNext=1),
            "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, spaceAfter=2),
            "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.4, spaceAfter=0),
            "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=7.8, leading=9.4,
                                     spaceAfter=0, alignment=TA_RIGHT),
            "cell_h": ParagraphStyle("cell_h", parent=base, fontName=_FONT_BOLD, fontSize=7.8,
                                     leading=9.4, spaceAfter=0),
            "cell_hr": ParagraphStyle("cell_hr", parent=base, fontName=_FONT_BOLD,
                                      fontSize=7.8, leading=9.4, spaceAfter=0,
                                      alignment=TA_RIGHT),
            "caption": ParagraphStyle("caption", parent=base, fontName=_FONT_ITALIC,
                                      fontSize=8.2, leading=10.4, textColor=colors.HexColor(
                                          "#333333"), spaceBefore=3, spaceAfter=10),
            "title": ParagraphStyle("title", parent=base, fontName=_FONT_BOLD, fontSize=21,
                                    leading=26, textColor=ACCENT, spaceAfter=6),
            "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11.5, leading=15,
                                       textColor=colors.HexColor("#444444"), spaceAfter=14),
            "h1": ParagraphStyle("h1", parent=base, fontName=_FONT_BOLD, fontSize=15,
                                 leading=19, textColor=ACCENT, spaceBefore=4, spaceAfter=8,
                                 keepWithNext=1),
            "h2": ParagraphStyle("h2", parent=base, fontName=_FONT_BOLD, fontSize=11,
                                 leading=14, textColor=ACCENT, spaceBefore=8, spaceAfter=4,
                                 keepWithNext=1),
            "verdict": ParagraphStyle("verdict", parent=base, fontName=_FONT_BOLD,
                                      fontSize=12.5, leading=16, textColor=colors.white),
            "verdict_body": ParagraphStyle("verdict_body", parent=base, fontSize=8.8,
                                           leading=11.5, textColor=colors.white, spaceAfter=1),
            "toc1": ParagraphStyle("toc1", parent=base, fontSize=9.5, leading=13, leftIndent=6),
            "mono": ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=7.6,
                                   leading=9.4),
        }

    # ------------------------------------------------------------------ text
    def para(self, text: str, style: str = "body") -> Paragraph:
        """Return a paragraph of (already marked-up) text."""
        return Paragraph(text, self.styles[style])

    def text(self, text: str, style: str = "body") -> Paragraph:
        """Return a paragraph of plain text (escaped)."""
        return Paragraph(esc(text), self.styles[style])

    def section(self, title: str) -> list[Any]:
        """Return a numbered section heading (page break if needed, entry in the contents)."""
        from reportlab.platypus import CondPageBreak, PageBreak

        self.section_no += 1
        heading = Paragraph(f"{self.section_no}. {esc(title)}", self.styles["h1"])
        heading._toc_entry = (0, f"{self.section_no}. {title}")  # read by _Doc.afterFlowable
        brk = PageBreak() if self.section_no == 1 else CondPageBreak(0.4 * FRAME_HEIGHT)
        return [brk, Spacer(1, 10), heading]

    def sub(self, title: str) -> Paragraph:
        """Return a subsection heading."""
        return Paragraph(esc(title), self.styles["h2"])

    def note(self, text: str) -> Paragraph:
        """Return a small grey remark (e.g. why a part is absent)."""
        return Paragraph(f'<font color="#555555">{esc(text)}</font>', self.styles["small"])

    # ------------------------------------------------------------------ tables
    def table(self, frame: pd.DataFrame, *, caption: str | None = None,
              widths: list[float] | None = None, numeric: list[str] | None = None,
              digits: int = 3, cell_colors: dict[tuple[int, int], Any] | None = None,
              max_rows: int | None = None) -> list[Any]:
        """Return a numbered table with a header row, zebra rows, numbers right-aligned.

        ``widths`` are fractions of the text width; ``numeric`` names the right-aligned
        columns (default: numeric dtypes). ``cell_colors`` maps (row, column) of the body to a
        background colour. Long tables split across pages with the header repeated.
        """
        shown = frame if max_rows is None else frame.head(max_rows)
        cols = list(shown.columns)
        if numeric is None:
            numeric = [c for c in cols if pd.api.types.is_numeric_dtype(shown[c])
                       and not pd.api.types.is_bool_dtype(shown[c])]
        head = [Paragraph(esc(c), self.styles["cell_hr" if c in numeric else "cell_h"])
                for c in cols]
        body = []
        for _, row in shown.iterrows():
            cells = []
            for c in cols:
                value = row[c]
                text = value if isinstance(value, str) else fmt(value, digits)
                style = "cell_r" if c in numeric else "cell"
                cells.append(Paragraph(esc(text), self.styles[style]))
            body.append(cells)
        if widths is None:
            widths = [1.0 / len(cols)] * len(cols)
        col_widths = [w * FRAME_WIDTH for w in widths]
        tbl = Table([head, *body], colWidths=col_widths, repeatRows=1, hAlign="LEFT")
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
            ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
        ]
        for i in range(1, len(body) + 1):
            if i % 2 == 0:
                style.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
        for (r, c), col in (cell_colors or {}).items():
            style.append(("BACKGROUND", (c, r + 1), (c, r + 1), col))
        tbl.setStyle(TableStyle(style))
        out: list[Any] = []
        if caption is not None:
            self.n_tables += 1
            out.append(Paragraph(f"<b>Table {self.n_tables}.</b> {esc(caption)}",
                                 self.styles["caption"]))
            out[-1].style = ParagraphStyle("tcap", parent=self.styles["caption"],
                                           spaceBefore=6, spaceAfter=3, keepWithNext=1)
        out.append(tbl)
        if max_rows is not None and len(frame) > max_rows:
            out.append(self.note(f"First {max_rows} of {len(frame)} rows shown."))
        out.append(Spacer(1, 8))
        return out

    def key_values(self, pairs: list[tuple[str, Any]], *, widths=(0.28, 0.72),
                   caption: str | None = None) -> list[Any]:
        """Return a two-column table of labels and values (text wraps)."""
        frame = pd.DataFrame([(k, v if isinstance(v, str) else fmt(v)) for k, v in pairs],
                             columns=["item", "value"])
        return self.table(frame, widths=list(widths), numeric=[], caption=caption)

    # ------------------------------------------------------------------ figures
    def figure(self, fig: Any, caption: str, *, width: float = 1.0,
               max_height: float = 0.62) -> list[Any]:
        """Return a matplotlib figure as a 200-dpi PNG with a numbered caption below.

        The image is scaled to ``width`` of the text width (at most ``max_height`` of the
        text height); the figure is closed afterwards.
        """
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=200, bbox_inches="tight", facecolor="white")
        finally:
            plt.close(fig)
        buf.seek(0)
        from reportlab.lib.utils import ImageReader

        w_px, h_px = ImageReader(buf).getSize()
        buf.seek(0)
        w = width * FRAME_WIDTH
        h = w * h_px / w_px
        limit = max_height * FRAME_HEIGHT
        if h > limit:
            w, h = w * limit / h, limit
        image = Image(buf, width=w, height=h)
        image.keepWithNext = 1  # with its caption; a heading before it keeps with both
        self.n_figures += 1
        cap = Paragraph(f"<b>Figure {self.n_figures}.</b> {esc(caption)}",
                        self.styles["caption"])
        return [image, cap]

    def verdict_box(self, verdict: str, headline: str, lines: list[str]) -> Table:
        """Return a coloured box stating the overall verdict and the checks that did not pass."""
        col = VERDICT_COLORS.get(verdict, VERDICT_COLORS["skipped"])
        content: list[Any] = [Paragraph(esc(headline), self.styles["verdict"])]
        content += [Paragraph(esc(line), self.styles["verdict_body"]) for line in lines]
        box = Table([[content]], colWidths=[FRAME_WIDTH])
        box.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), col),
            ("LEFTPADDING", (0, 0), (-1, -1), 10), ("RIGHTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
        ]))
        return box

    def toc(self) -> TableOfContents:
        """Table of contents filled in by the section headings."""
        toc = TableOfContents()
        toc.levelStyles = [self.styles["toc1"]]
        toc.dotsMinLevel = 0
        return toc


class _NumberedCanvas(rl_canvas.Canvas):
    """Canvas that knows the page count when drawing footers ("page N of M")."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab API
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        info = getattr(self, "_coalsurv_footer", ("", ""))
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, MARGIN - 0.35 * cm, PAGE[0] - MARGIN, MARGIN - 0.35 * cm)
        self.setFont(_FONT, 7.5)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(MARGIN, MARGIN - 0.75 * cm, info[0])
        self.drawRightString(PAGE[0] - MARGIN, MARGIN - 0.75 * cm,
                             f"page {self._pageNumber} of {total}")
        if self._pageNumber > 1 and info[1]:
            self.drawString(MARGIN, PAGE[1] - MARGIN + 0.35 * cm, info[1])
            self.line(MARGIN, PAGE[1] - MARGIN + 0.2 * cm, PAGE[0] - MARGIN,
                      PAGE[1] - MARGIN + 0.2 * cm)
        self.restoreState()


class _Doc(BaseDocTemplate):
    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 - reportlab API
        entry = getattr(flowable, "_toc_entry", None)
        if entry is not None:
            level, text = entry
            self.notify("TOCEntry", (level, text, self.page))


def build_pdf(story: list[Any], path: str | Path, *, footer: str, header: str,
              title: str, author: str = "coalsurv") -> None:
    """Lay out ``story`` on A4 pages and write the PDF to ``path`` (not atomic by itself)."""
    doc = _Doc(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
               topMargin=MARGIN, bottomMargin=MARGIN, title=title, author=author,
               creator="coalsurv report")
    frame = Frame(MARGIN, MARGIN, FRAME_WIDTH, PAGE[1] - 2 * MARGIN, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def on_page(canvas: Any, _doc: Any) -> None:
        canvas._coalsurv_footer = (footer, header)

    doc.addPageTemplates([PageTemplate(id="body", frames=[frame], onPage=on_page)])
    doc.multiBuild(story, canvasmaker=_NumberedCanvas)


# ==================================================================================== diagnosis
_ORDER = {"fail": 3, "warn": 2, "pass": 1, "skipped": 0}


@dataclass
class _Check:
    name: str
    verdict: str
    value: Any
    threshold: str
    detail: str
    advice: str


@dataclass
class _Diagnosis:
    """The report's view of a :class:`coalsurv.diagnostics.Diagnosis` (or basic checks)."""

    verdict: str
    checks: list[_Check]
    raw: Any
    source: str


def _diagnose(fit: Any) -> _Diagnosis:
    """Run :func:`coalsurv.diagnostics.diagnose`; fall back to R-hat/ESS/divergences."""
    try:
        diag = fit.diagnose()
        checks = [_Check(c.name, c.verdict, c.value, c.threshold, c.detail, c.advice)
                  for c in diag.results]
        return _Diagnosis(diag.verdict, checks, diag, "coalsurv.diagnostics.diagnose")
    except Exception as exc:  # the report must still say what it could check
        warnings.warn(f"report: diagnose(fit) failed ({type(exc).__name__}: {exc}); "
                      "showing basic convergence checks only", stacklevel=3)
        reason = f"diagnose(fit) failed: {type(exc).__name__}: {exc}"
    summ = fit.summary()
    worst = float(summ["r_hat"].max())
    ess = float(summ[["ess_bulk", "ess_tail"]].min().min())
    div = int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum())

    def grade(good: bool, ok: bool) -> str:
        return "pass" if good else ("warn" if ok else "fail")

    checks = [
        _Check("r_hat", grade(worst < 1.01, worst < 1.05), worst, "< 1.01 pass; < 1.05 warn",
               "", "run longer (more tune and draws)"),
        _Check("ess", grade(ess > 400, ess > 100), ess, "> 400 pass; > 100 warn", "",
               "increase draws"),
        _Check("divergences", grade(div == 0, False), div, "0 pass", "",
               "refit with target_accept=0.95 or tighter priors"),
        _Check("model checks", "skipped", None, "", "", reason),
    ]
    verdict = max((c.verdict for c in checks if c.verdict != "skipped"), key=_ORDER.get)
    return _Diagnosis(verdict, checks, None, "basic checks")


# ==================================================================================== sections
class _Report:
    """Builds the story (list of flowables) of one report."""

    def __init__(self, fit: Any, *, title: str, compare_with: dict[str, Any] | None,
                 command: str | None, progress: Any = None):
        from coalsurv.result import DEFAULT_CI_PROB

        self.fit = fit
        self.unit = fit.time_unit
        self.ci = DEFAULT_CI_PROB
        self.pct = f"{100 * self.ci:.0f}%"
        self.L = Layout(title)
        self.title = title
        self.compare_with = compare_with or {}
        self.command = command or fit.command or ""
        self.progress = progress or (lambda _msg: None)
        self.failures: list[str] = []

    def attempt(self, what: str, build) -> list[Any]:
        """Run one part; on failure put a visible note in its place and warn."""
        try:
            return list(build())
        except Exception as exc:
            self.failures.append(what)
            warnings.warn(f"report: {what} could not be made ({type(exc).__name__}: {exc})",
                          stacklevel=2)
            return [self.L.note(f"[{what} could not be made: {type(exc).__name__}: {exc}]")]

    def story(self) -> list[Any]:
        self.progress("checking the fit (diagnostics)")
        self.diag = _diagnose(self.fit)
        out = self.title_page()
        for name, part in (("data", self.data), ("model and priors", self.model),
                           ("diagnostics", self.diagnostics), ("posterior", self.posterior),
                           ("curves", self.curves), ("effects", self.effects),
                           ("group effects", self.groups), ("comparison", self.comparison),
                           ("lifelines", self.lifelines), ("manifest", self.manifest)):
            self.progress(f"report section: {name}")
            out += part()
        return out

    # ------------------------------------------------------------------ title page
    def title_page(self) -> list[Any]:
        L, fit = self.L, self.fit
        data = fit.data
        causes = ", ".join(fit.info.causes) if not fit.info.pooled else "any ending (pooled)"
        kind = ("proportional hazards" if fit.info.kind == "ph"
                else "accelerated failure time")
        facts = [
            ("model", fit.spec.label), ("formula", fit.spec.formula),
            ("family", f"{fit.spec.family} ({kind})"),
            ("endings modelled", causes),
            ("data", data.name or "unnamed data"),
            ("source", getattr(data, "source", None) or "not recorded"),
            ("coalitions", f"{data.n:,} ({sum(data.n_events.values()):,} endings, "
                           f"{int((np.asarray(data.status) == 0).sum()):,} censored); "
                           f"time in {self.unit}"),
            ("fitted", f"{fit.created} (fit id {fit.fit_id})"),
            ("report written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
            ("coalsurv version", fit.versions.get("coalsurv", "?") + f" (report by {__version__})"),
        ]
        d = self.diag
        bad = [c for c in d.checks if c.verdict in ("fail", "warn")]
        n_fail = sum(c.verdict == "fail" for c in d.checks)
        n_warn = sum(c.verdict == "warn" for c in d.checks)
        headline = {
            "pass": "Overall verdict: PASS — every diagnostic check that could be run passed",
            "warn": f"Overall verdict: WARN — {n_warn} check(s) need attention",
            "fail": f"Overall verdict: FAIL — {n_fail} check(s) failed; do not trust the "
                    "results before fixing them",
        }.get(d.verdict, "Overall verdict: not checked")
        lines = []
        for c in sorted(bad, key=lambda c: -_ORDER[c.verdict])[:8]:
            where = f" ({c.detail})" if c.detail else ""
            lines.append(f"{c.verdict.upper()}: {c.name} = {fmt(c.value)}{where}")
        n_skip = sum(c.verdict == "skipped" for c in d.checks)
        lines.append(f"{len(d.checks)} checks ({d.source}): {n_fail} failed, {n_warn} warned, "
                     f"{n_skip} skipped. Details and advice in section 3.")
        return [
            Spacer(1, 1.2 * cm), L.para(esc(self.title), "title"),
            L.text(f"Bayesian survival analysis of {data.name or 'coalition data'} — "
                   f"{fit.spec.family} model, time in {self.unit}", "subtitle"),
            *L.key_values(facts, widths=(0.22, 0.78)),
            Spacer(1, 6), L.verdict_box(d.verdict, headline, lines), Spacer(1, 14),
            L.para("<b>Contents</b>", "h2"), L.toc(),
        ]

    # ------------------------------------------------------------------ 1. data
    def data(self) -> list[Any]:
        L, data, u = self.L, self.fit.data, self.unit
        out = L.section("Data")
        desc = data.describe()
        out += L.table(desc.to_frame().assign(value=lambda f: f["value"].map(
            lambda v: v if isinstance(v, str) else fmt(v, 4))), widths=[0.45, 0.35],
            numeric=["value"], caption=f"Description of the data (times in {u}).")
        n = data.n
        events = [{"ending": c, "count": k, "share of coalitions": f"{100 * k / n:.1f}%"}
                  for c, k in data.n_events.items()]
        n_cens = int((np.asarray(data.status) == 0).sum())
        events.append({"ending": f"{data.censored_label} (right-censored)", "count": n_cens,
                       "share of coalitions": f"{100 * n_cens / n:.1f}%"})
        out += L.table(pd.DataFrame(events), widths=[0.4, 0.2, 0.25],
                       numeric=["count", "share of coalitions"],
                       caption="Endings by cause and censored share.")
        q = np.quantile(np.asarray(data.time, float), [0.25, 0.5, 0.75])
        times = np.unique(np.round(np.concatenate([[0.0], q, [float(np.max(data.time))]]), 6))
        risk = data.risk_table(times).rename(columns={"time": f"time ({u})",
                                                      "at_risk": "at risk"})
        labels = ["start", "25% quantile", "median", "75% quantile", "maximum"]
        if len(risk) == len(labels):
            risk.insert(0, "follow-up", labels)
        k = len(risk.columns)
        out += L.table(risk, widths=[min(0.16, 1 / k)] * k,
                       caption=f"Risk table at quartiles of follow-up: coalitions at risk and "
                               f"cumulative endings by cause up to each time ({u}).")
        out += self.attempt("Kaplan–Meier figure", lambda: L.figure(
            F.fig_km(self.fit), "Kaplan–Meier estimate of the time to any ending "
            f"(shaded: 95% confidence interval; delayed entry honoured); time in {u}."
            + (" Right: Aalen–Johansen cumulative incidence of each ending."
               if len(data.causes) > 1 else "")))
        return out

    # ------------------------------------------------------------------ 2. model and priors
    def model(self) -> list[Any]:
        L, fit, u = self.L, self.fit, self.unit
        info = fit.info
        out = L.section("Model and priors")
        kind = ("proportional hazards: covariates multiply the hazard" if info.kind == "ph"
                else "accelerated failure time: covariates stretch or shrink lifespans")
        groups = ", ".join(str(g) for g in fit.spec.group_terms) or "none"
        spec = [("formula", fit.spec.formula), ("family", f"{fit.spec.family} — {kind}"),
                ("endings", "any ending (pooled)" if info.pooled else
                 ", ".join(info.causes) + (" (cause-specific hazards, fitted jointly)"
                                           if len(info.causes) > 1 else "")),
                ("group terms (frailty)", groups),
                ("internal time scale", f"{fmt(info.time_scale)} {u} (times are divided by it "
                                        "inside the model)")]
        if fit.spec.family_options:
            spec.append(("family options", str(fit.spec.family_options)))
        out += L.key_values(spec, caption="Model specification.")
        if info.terms:
            std = pd.DataFrame({"term": list(info.terms), "mean": list(info.means),
                                "SD": list(info.sds)})
            out += L.table(std, widths=[0.4, 0.2, 0.2], caption="Covariates are standardised "
                           "inside the model with these constants (original units); effects "
                           "are reported per SD and per original unit.")
        pri = fit.priors
        rows = [{"parameter": k, "prior used": str(p)} for k, p in fit.resolved_priors.items()]
        out += L.table(pd.DataFrame(rows), widths=[0.35, 0.65], numeric=[],
                       caption=f"Priors actually used (data-based 'auto' values filled in; "
                               f"coefficients per SD of their covariate). Prior set: "
                               f"{pri.name or 'default'}.")
        if pri.description or pri.provenance:
            out.append(L.text(f"Prior set description: {pri.description} "
                              + (f"Provenance: {pri.provenance}" if pri.provenance else ""),
                              "small"))
        out.append(L.sub("Prior predictive check"))
        out.append(L.text("Survival curves implied by the priors alone (before seeing the "
                          "data), at the mean covariate profile. Sensible priors spread the "
                          "curves over plausible lifespans without piling them up at 0 or 1."))
        self.progress("sampling from the priors")

        def prior_parts():
            prior = F.prior_draws(fit)
            parts = L.figure(F.fig_prior_predictive(fit, prior, ci_prob=self.ci),
                             f"Prior predictive survival: 40 single prior draws and the "
                             f"{self.pct} prior interval (shaded) at the mean covariate profile, "
                             f"with the observed Kaplan–Meier curve; time in {u}.", width=0.8)
            pp = F.fig_prior_posterior(fit, prior)
            if pp is not None:
                parts += L.figure(pp, "Prior (grey) and posterior (blue) densities of the "
                                  "main parameters: how much the data taught the model.",
                                  max_height=0.45)
            return parts

        out += self.attempt("prior predictive check", prior_parts)
        return out

    # ------------------------------------------------------------------ 3. diagnostics
    def diagnostics(self) -> list[Any]:
        L, d, u, pct = self.L, self.diag, self.unit, self.pct
        out = L.section("Diagnostics")
        out.append(L.text(f"Overall verdict: {d.verdict.upper()}. Each check has a verdict "
                          "(pass / warn / fail, or skipped with the reason) and, where it did "
                          "not pass, advice in plain words."))
        rows = [{"check": c.name, "verdict": c.verdict.upper(), "value": fmt(c.value, 4),
                 "rule": c.threshold,
                 "finding and advice": " ".join(t for t in (c.detail, c.advice) if t) or "–"}
                for c in d.checks]
        colours = {(i, 1): VERDICT_COLORS[c.verdict].clone(alpha=0.35)
                   for i, c in enumerate(d.checks)}
        out += L.table(pd.DataFrame(rows), widths=[0.15, 0.09, 0.08, 0.28, 0.4],
                       numeric=["value"], cell_colors=colours, caption="Diagnostic checks.")
        raw = d.raw
        if raw is None:
            out.append(L.note(f"Only basic convergence checks are available ({d.source})."))
        else:
            for note in raw.notes:
                out.append(L.note(note))
            parts = [
                ("convergence", lambda: L.table(F.worst_convergence(raw.convergence),
                 widths=[0.36, 0.12, 0.12, 0.12, 0.12], caption="The parameters with the "
                 "largest R-hat (rank-normalised split R-hat; effective sample sizes; Monte "
                 "Carlo SE of the mean relative to the posterior SD).")),
                ("loo", lambda: L.table(F.loo_table(raw.loo, raw.pareto_k),
                 widths=[0.5, 0.3], numeric=["value"], caption="PSIS-LOO: expected log "
                 "predictive density and Pareto k of the importance weights.")),
                ("ppc", lambda: L.table(F.ppc_table(raw.ppc, u, pct),
                 widths=[0.12, 0.1, 0.27, 0.31, 0.1], caption=f"Posterior predictive check: "
                 f"share still in existence by time ({u}), the model's marginal survival "
                 f"against Kaplan–Meier.")),
                ("ppc_cif", lambda: L.table(F.ppc_cif_table(raw.ppc_cif, u, pct),
                 widths=[0.16, 0.12, 0.28, 0.3, 0.1], caption=f"Posterior predictive check "
                 f"of each ending: model cumulative incidence against Aalen–Johansen by time "
                 f"({u}).")),
                ("discrimination", lambda: L.table(F.discrimination_table(
                 raw.discrimination, u), widths=[0.34, 0.13, 0.1, 0.22, 0.2],
                 caption=f"Discrimination and accuracy ({pct} intervals over posterior "
                 f"draws); the reference is chance (C = 0.5) or the Kaplan–Meier prediction "
                 f"without covariates (Brier).")),
                ("calibration", lambda: L.table(F.calibration_table(raw.calibration, u, pct),
                 widths=[0.12, 0.14, 0.07, 0.27, 0.27, 0.08], caption=f"Calibration: mean "
                 f"predicted survival against the Kaplan–Meier estimate in quintiles of "
                 f"predicted risk at each horizon ({u}); |z| > 1.96 marks a miscalibrated "
                 f"group.")),
            ]
            for key, build in parts:
                if getattr(raw, key, None) is not None and (
                        key == "loo" or len(getattr(raw, key))):
                    out += self.attempt(f"{key} table", build)
        out += self.attempt("trace and rank plot", lambda: L.figure(
            F.fig_trace_rank(self.fit), "Rank histograms per chain (flat when the chains "
            "agree) and traces of the main parameters.", max_height=0.8))
        out += self.attempt("energy plot", lambda: L.figure(
            F.fig_energy(self.fit), "Energy: marginal energy against energy transitions; "
            "E-BFMI below 0.3 means the sampler explores the posterior poorly.",
            width=0.6))
        if raw is not None and raw.loo is not None:
            out += self.attempt("Pareto k plot", lambda: L.figure(
                F.fig_pareto_k(self.fit, raw.loo.pareto_k), "PSIS-LOO Pareto k per "
                "coalition; above the threshold the leave-one-out estimate is unreliable "
                "for that coalition.", width=0.65))
        if raw is not None and raw.loo_pit is not None:
            out += self.attempt("LOO-PIT plot", lambda: L.figure(
                F.fig_loo_pit(raw.loo_pit), "LOO-PIT for censored data: ECDF of the "
                "leave-one-out probability integral transform against the uniform, with a "
                "simultaneous 95% band; a calibrated model stays inside.", width=0.6))
        return out

    # ------------------------------------------------------------------ 4. posterior
    def posterior(self) -> list[Any]:
        L, fit = self.L, self.fit
        out = L.section("Posterior summary")
        summ = fit.summary(ci_prob=self.ci)
        table = summ[["parameter", "mean", "sd", "lower", "upper", "ess_bulk", "ess_tail",
                      "r_hat"]].rename(columns={"lower": f"{self.pct} lower",
                                               "upper": f"{self.pct} upper",
                                               "ess_bulk": "ESS bulk", "ess_tail": "ESS tail",
                                               "r_hat": "R-hat"})
        table["ESS bulk"] = table["ESS bulk"].round().astype(int)
        table["ESS tail"] = table["ESS tail"].round().astype(int)
        out += L.table(table, widths=[0.25, 0.1, 0.1, 0.11, 0.11, 0.11, 0.11, 0.1],
                       caption=f"Posterior summary ({self.pct} equal-tailed intervals; "
                               f"coefficients per SD of their covariate, on the log "
                               f"{'hazard' if fit.info.kind == 'ph' else 'time'} scale; "
                               f"intercept and shape on the internal time scale of "
                               f"{fmt(fit.info.time_scale)} {self.unit}).")
        ratios = fit.hazard_ratios(ci_prob=self.ci)
        if len(ratios):
            name = ratios.attrs.get("ratio", fit.ratio_name)
            out.append(L.sub(f"{name[:1].upper() + name[1:]}s"))
            meaning = ("a ratio above 1 means a higher hazard of ending (shorter lifespans)"
                       if fit.info.kind == "ph" else
                       "a ratio above 1 means longer lifespans")
            out.append(L.text(f"{name[:1].upper() + name[1:]}s per SD and per original unit "
                              f"of each covariate: {meaning}."))
            rt = F.ratio_table(ratios, self.pct)
            widths = ([0.14] if "cause" in rt.columns else []) + [0.16, 0.22, 0.22, 0.12, 0.12]
            out += L.table(rt, widths=widths, caption=f"{name[:1].upper() + name[1:]}s: "
                           f"posterior median and {self.pct} interval; P(ratio > 1) is the "
                           f"posterior probability that the ratio exceeds 1.",
                           numeric=["P(ratio > 1)"])
            out += self.attempt("forest plot", lambda: L.figure(
                F.fig_forest(fit, ratios), f"{name[:1].upper() + name[1:]}s per SD of each "
                f"covariate: posterior median and {self.pct} interval (log scale).",
                width=0.85))
        return out

    # ------------------------------------------------------------------ 5. curves
    def curves(self) -> list[Any]:
        L, fit, u = self.L, self.fit, self.unit
        out = L.section("Survival, hazard and incidence")
        self.progress("computing marginal survival curves")

        def survival_parts():
            times = F.time_grid(fit, 60)
            curve = F.marginal_survival(fit, times, ci_prob=self.ci)
            parts = L.figure(F.fig_survival_vs_km(fit, curve),
                             f"Posterior survival averaged over the {fit.data.n:,} coalitions "
                             f"(each with its covariates and group effect; {self.pct} interval "
                             f"shaded) against the Kaplan–Meier estimate; time in {u}.", width=0.8)
            q = np.quantile(np.asarray(fit.data.time, float), [0.25, 0.5, 0.75])
            model_at = F.marginal_survival(fit, q, ci_prob=self.ci)
            km = fit.data.kaplan_meier()
            km_at = km.survival_function_at_times(q).to_numpy()
            table = pd.DataFrame({f"time ({u})": q, "Kaplan–Meier": km_at,
                                  "model mean": model_at["mean"],
                                  f"model {self.pct} lower": model_at["lower"],
                                  f"model {self.pct} upper": model_at["upper"]})
            parts += L.table(table, widths=[0.16] * 5, caption=f"Share of coalitions still in "
                             f"existence at quartiles of follow-up ({u}): Kaplan–Meier against "
                             f"the model.")
            return parts

        out += self.attempt("survival against Kaplan–Meier", survival_parts)
        per = u[:-1] if u.endswith("s") else u
        out += self.attempt("hazard curves", lambda: L.figure(
            F.fig_hazard(fit, ci_prob=self.ci), f"Posterior hazard per {per} "
            f"at the mean covariate profile, population-averaged over group effects "
            f"({self.pct} interval shaded).", width=0.8))

        def median_parts():
            med = fit.median_lifespan(ci_prob=self.ci)
            row = med.iloc[0]

            def get(key: str) -> float:
                return row[key] if key in row else np.nan

            return [L.text(f"Median lifespan at the mean covariate profile: "
                           f"{fmt(get('mean'))} {u} ({self.pct} interval {fmt(get('lower'))} "
                           f"to {fmt(get('upper'))} {u}).")]

        out += self.attempt("median lifespan", median_parts)
        if len(fit.info.causes) > 1:
            self.progress("computing cumulative incidence")
            out += self.attempt("cumulative incidence", lambda: L.figure(
                F.fig_cif(fit, F.marginal_cif(fit, F.time_grid(fit, 40), ci_prob=self.ci)),
                f"Cumulative incidence of each ending, P(ended that way by t), averaged over "
                f"the coalitions ({self.pct} interval shaded), against Aalen–Johansen "
                f"estimates (dashed); time in {u}.", width=0.85))
        return out

    # ------------------------------------------------------------------ 6. effects
    def effects(self) -> list[Any]:
        L, fit = self.L, self.fit
        out = L.section("Effect curves")
        names = F.continuous_covariates(fit)
        if not names:
            out.append(L.note("The model has no continuous covariates."))
            return out
        out.append(L.text(f"Median lifespan ({self.unit}) as each continuous covariate moves "
                          "from its 5th to its 95th percentile in the data, the other "
                          "covariates held at their means, for a typical group (group "
                          "effects at 0); a covariate that is the square of another moves "
                          "with it.", "lead"))
        self.progress("computing effect curves")

        def parts():
            pred = F._predictor(fit, 200)
            frames = {n: F.effect_frame(fit, n, ci_prob=self.ci, predictor=pred)
                      for n in names[:6]}
            return L.figure(F.fig_effects(fit, frames), f"Median lifespan ({self.unit}) "
                            f"against each continuous covariate, {self.pct} interval shaded.",
                            max_height=0.75)

        out += self.attempt("effect curves", parts)
        return out

    # ------------------------------------------------------------------ 7. groups
    def groups(self) -> list[Any]:
        L, fit = self.L, self.fit
        out = L.section("Group effects")
        effects = fit.group_effects(ci_prob=self.ci)
        if effects.empty:
            out.append(L.note("The model has no group (frailty) terms."))
            return out
        what = "hazard" if fit.info.kind == "ph" else "lifespan"
        out.append(L.text(f"Each group's effect on the log {what} scale (0: a typical "
                          f"group; exp(effect) multiplies the {what}).", "lead"))
        for factor in dict.fromkeys(effects["factor"]):
            out += self.attempt(f"group effects of {factor}", lambda f=factor: L.figure(
                F.fig_group_effects(fit, effects, f), f"Group effects of {f}: posterior mean "
                f"and {self.pct} interval per level, sorted.", max_height=0.85))
        return out

    # ------------------------------------------------------------------ 8. comparison
    def comparison(self) -> list[Any]:
        L = self.L
        out = L.section("Model comparison")
        if not self.compare_with:
            out.append(L.note("No other fits were given for comparison (write_report(..., "
                              "compare_with={'name': other_fit}))."))
            return out
        out += self.attempt("model comparison", self._comparison_table)
        return out

    def _comparison_table(self) -> list[Any]:
        from coalsurv.diagnostics import compare

        L, fit = self.L, self.fit
        fits = {"this model": fit, **self.compare_with}
        same = {k: f for k, f in fits.items() if f.data_hash == fit.data_hash
                and (f.info.causes, f.info.pooled) == (fit.info.causes, fit.info.pooled)}
        other = [k for k in fits if k not in same]
        out: list[Any] = []
        if len(same) >= 2:
            table = compare(same).reset_index()
            table["specification"] = [f"{f}: {g}" for f, g in
                                      zip(table["family"], table["formula"], strict=True)]
            keep = [c for c in ("model", "specification", "rank", "elpd", "se", "p",
                                "elpd_diff", "dse", "weight", "n_bad_k") if c in table]
            frame = table[keep].rename(columns={"n_bad_k": "k > 0.7 rows"})
            frame["weight"] = frame["weight"].astype(float).round(3)
            frame["rank"] = frame["rank"].astype(int)
            widths = [0.13, 0.26, 0.05, 0.08, 0.07, 0.07, 0.09, 0.07, 0.09, 0.09]
            out += L.table(frame, widths=widths[:len(keep)], digits=4,
                           caption="Comparison by PSIS-LOO expected log predictive density "
                           "(elpd, higher is better; SE its standard error, p the effective "
                           "number of parameters); elpd_diff relative to the best model with "
                           "its standard error dse — a difference below about 2 dse does not "
                           "separate the models; stacking weights.", max_rows=20)
            if table.attrs.get("note"):
                out.append(L.note(f"Note: {table.attrs['note']}."))
        else:
            out.append(L.note("None of the other fits was fitted to the same data with the "
                              "same endings, so no LOO comparison is possible."))
        if other:
            out.append(L.note(f"Not compared (fitted to different data or modelling other "
                              f"endings, so their LOO values are not comparable): "
                              f"{', '.join(other)}."))
        return out

    # ------------------------------------------------------------------ 9. lifelines
    def lifelines(self) -> list[Any]:
        L = self.L
        out = L.section("Comparison with maximum likelihood (lifelines)")
        table = getattr(self.diag.raw, "mle", None)
        if table is None or not len(table):
            out.append(L.note("No maximum-likelihood comparison is available for this model "
                              "(it needs covariates and no interval-censored rows; "
                              f"diagnostics: {self.diag.source})."))
            return out
        scale = table.attrs.get("scale", "coefficient per original unit")
        out.append(L.text(f"The same fixed-effects model fitted by maximum likelihood, side by "
                          f"side with the posterior ({scale}). Differences of more than about "
                          f"one posterior SD point at informative priors, frailty (which the "
                          f"maximum-likelihood fit ignores) or a problem in either fit."))
        if table.attrs.get("note"):
            out.append(L.note(f"Note: {table.attrs['note']}."))
        frame = F.mle_table(table, self.pct)
        k = len(frame.columns)
        widths = ([0.14] if k == 6 else []) + [0.16, 0.27, 0.15, 0.12, 0.16]
        out += L.table(frame, widths=widths, caption=f"Posterior against maximum likelihood "
                       f"({scale}).", max_rows=60)
        return out

    # ------------------------------------------------------------------ 10. manifest
    def manifest(self) -> list[Any]:
        L, fit = self.L, self.fit
        out = L.section("Reproducibility manifest")
        s = fit.settings
        pairs = [("fit id", fit.fit_id), ("created", fit.created),
                 ("data hash (sha256)", fit.data_hash),
                 ("data", f"{fit.data.name or 'unnamed'}; {fit.data.n:,} coalitions; "
                          f"time in {self.unit}"),
                 ("random seed", str(s.random_seed)),
                 ("sampler", f"{getattr(s, 'backend', 'nutpie')} NUTS: {s.chains} chains x "
                             f"{s.draws} draws after {s.tune} tuning steps, target_accept "
                             f"{s.target_accept}"),
                 ("command", self.command or "not recorded"),
                 ("model spec", json.dumps(fit.spec.to_dict(), sort_keys=True)),
                 ("prior set", f"{fit.priors.name or 'default'} "
                               f"({len(fit.priors.priors)} explicit priors)")]
        pairs += [(f"version: {k}", v) for k, v in sorted(fit.versions.items())]
        if self.failures:
            pairs.append(("parts not made", ", ".join(self.failures)))
        out += L.key_values(pairs, caption="Everything needed to reproduce this fit.")
        out.append(L.note("Reproduce with the same data (its hash must match), the model "
                          "specification and priors above, and the same seed and settings."))
        return out


# ==================================================================================== entry
def write_report(fit: Any, path: str | Path, *, title: str | None = None,
                 compare_with: dict[str, Any] | None = None, command: str | None = None,
                 progress: Any = None) -> Path:
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
    title = title or f"coalsurv report: {fit.spec.label}"
    report = _Report(fit, title=title, compare_with=compare_with, command=command,
                     progress=progress)
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
