"""Page layout of the PDF report (:mod:`coalsurv.report`).

A4 pages in DejaVu Sans (Helvetica when it cannot be found), "page N of M" footers with a
running header, a table of contents filled in by the numbered section headings, numbered tables
(header row, zebra rows, numbers right-aligned) and figures (matplotlib PNGs at 200 dpi with a
caption), and the coloured verdict box; built with reportlab's platypus. :class:`Layout` makes
the flowables, :func:`build_pdf` lays them out on pages. The section contents are in
:mod:`coalsurv.report.sections`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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

from coalsurv._format import VERDICT_COLOURS, fmt_number

__all__ = ["FRAME_HEIGHT", "FRAME_WIDTH", "MARGIN", "PAGE", "VERDICT_COLORS", "Layout",
           "build_pdf", "esc"]


PAGE = A4
MARGIN = 1.8 * cm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 0.6 * cm

_SIGNED = re.compile(r"[+\-−]?\d[\d,]*(\.\d+)?")

#: Colours of verdicts for reportlab (from :data:`coalsurv._format.VERDICT_COLOURS`).
VERDICT_COLORS = {verdict: colors.HexColor(hex_) for verdict, hex_ in VERDICT_COLOURS.items()}
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


@dataclass
class Layout:
    """Styles and numbered-element builders shared by all report sections."""

    title: str
    n_figures: int = 0
    n_tables: int = 0
    styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    section_no: int = 0
    #: Section 1 starts a new page (after a cover page with the contents).
    cover_page: bool = True

    def __post_init__(self) -> None:
        """Register the fonts and make the paragraph styles."""
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
        """Return a numbered section heading (page break if needed, entry in the contents).

        Section 1 starts a new page after a cover page (``cover_page``, default True).
        """
        from reportlab.platypus import CondPageBreak, PageBreak

        self.section_no += 1
        heading = Paragraph(f"{self.section_no}. {esc(title)}", self.styles["h1"])
        heading._toc_entry = (0, f"{self.section_no}. {title}")  # read by _Doc.afterFlowable
        first = self.section_no == 1 and self.cover_page
        brk = PageBreak() if first else CondPageBreak(0.4 * FRAME_HEIGHT)
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
        if numeric is None:  # numbers, and text that is a signed number ("+0.013")
            numeric = [c for c in cols if (pd.api.types.is_numeric_dtype(shown[c])
                                           and not pd.api.types.is_bool_dtype(shown[c]))
                       or all(_SIGNED.fullmatch(str(v)) for v in shown[c])]
        head = [Paragraph(esc(c), self.styles["cell_hr" if c in numeric else "cell_h"])
                for c in cols]
        body = []
        for _, row in shown.iterrows():
            cells = []
            for c in cols:
                value = row[c]
                text = value if isinstance(value, str) else fmt_number(value, digits)
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
        # a long table starts on this page when a few of its rows fit (it splits, its header
        # repeats); kept whole with its caption it would leave the page half empty
        long = len(body) > 8
        if long:
            from reportlab.platypus import CondPageBreak

            out.append(CondPageBreak(4.5 * cm))
        if caption is not None:
            self.n_tables += 1
            out.append(Paragraph(f"<b>Table {self.n_tables}.</b> {esc(caption)}",
                                 self.styles["caption"]))
            out[-1].style = ParagraphStyle("tcap", parent=self.styles["caption"],
                                           spaceBefore=6, spaceAfter=3,
                                           keepWithNext=0 if long else 1)
        out.append(tbl)
        if max_rows is not None and len(frame) > max_rows:
            out.append(self.note(f"First {max_rows} of {len(frame)} rows shown."))
        out.append(Spacer(1, 8))
        return out

    def key_values(self, pairs: list[tuple[str, Any]], *, widths=(0.28, 0.72),
                   caption: str | None = None) -> list[Any]:
        """Return a two-column table of labels and values (text wraps)."""
        frame = pd.DataFrame([(k, v if isinstance(v, str) else fmt_number(v)) for k, v in pairs],
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
