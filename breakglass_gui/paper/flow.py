"""Flowing documents (ceremony record, runbook): styles, tables and a reproducible build."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from .document import canvas_maker, mm, page_size
from .fonts import Fonts

__all__ = ["Styles", "build_pdf", "esc", "grid_table", "signature_table"]

MARGIN = 16 * mm


def esc(text: str) -> str:
    """Escape user text for paragraph markup."""
    return escape(text)


class Styles:
    def __init__(self, fonts: Fonts) -> None:
        f = fonts
        self.fonts = fonts
        self.title = ParagraphStyle("title", fontName=f.bold, fontSize=17, leading=21)
        self.subtitle = ParagraphStyle(
            "subtitle", fontName=f.sans, fontSize=9.5, leading=12.5, textColor=colors.grey
        )
        self.h2 = ParagraphStyle(
            "h2",
            fontName=f.bold,
            fontSize=12.5,
            leading=15,
            spaceBefore=9,
            spaceAfter=3,
            keepWithNext=1,
        )
        self.body = ParagraphStyle("body", fontName=f.sans, fontSize=10, leading=13.5)
        self.step = ParagraphStyle(
            "step", parent=self.body, leftIndent=7 * mm, firstLineIndent=-5 * mm, spaceAfter=2.5
        )
        self.cell = ParagraphStyle("cell", fontName=f.sans, fontSize=8.8, leading=11)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=f.bold)
        self.mono = ParagraphStyle("mono", fontName=f.mono_bold, fontSize=9.5, leading=12)
        self.big_mono = ParagraphStyle("bigmono", fontName=f.mono_bold, fontSize=15, leading=18)
        self.warning = ParagraphStyle(
            "warning",
            parent=self.body,
            fontName=f.bold,
            backColor=colors.Color(0.94, 0.94, 0.94),
            borderPadding=(5, 5, 5, 5),
            spaceBefore=6,
            spaceAfter=9,
        )

    def steps(self, items: Sequence[str]) -> list[Flowable]:
        """Numbered steps, one paragraph each (markup allowed)."""
        return [Paragraph(f"{n}.&nbsp;&nbsp;{t}", self.step) for n, t in enumerate(items, 1)]

    def bullets(self, items: Sequence[str]) -> list[Flowable]:
        return [Paragraph(f"\u2022&nbsp;&nbsp;{t}", self.step) for t in items]


def grid_table(
    styles: Styles,
    header: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    widths: Sequence[float],
    *,
    row_height: float | None = None,
    min_row_height: float | None = None,
) -> Table:
    """A boxed table with a grey header row; strings become wrapping paragraphs.

    ``row_height`` gives body rows a fixed height; ``min_row_height`` gives them at least
    that much room to write in by hand, and more when a cell's text wraps (a fixed height
    would let a long name print over the next row).
    """

    def cell(value: str | Flowable, head: bool = False) -> Flowable:
        if isinstance(value, str):
            return Paragraph(value, styles.cell_bold if head else styles.cell)
        return value

    data = [[cell(h, True) for h in header]] + [[cell(v) for v in row] for row in rows]
    heights = None if row_height is None else [None] + [row_height] * len(rows)
    if min_row_height is not None:
        heights = [None]
        pad = 3 + 4  # top and bottom padding
        for row in data[1:]:
            need = max(float(c.wrap(w - 12, 10_000)[1]) for c, w in zip(row, widths, strict=True))
            heights.append(max(min_row_height, need + pad))
    table = Table(data, colWidths=list(widths), rowHeights=heights, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def key_value_table(
    styles: Styles, rows: Sequence[tuple[str, str | Flowable]], width: float
) -> Table:
    data = [
        [Paragraph(k, styles.cell_bold), Paragraph(v, styles.body) if isinstance(v, str) else v]
        for k, v in rows
    ]
    table = Table(data, colWidths=[38 * mm, width - 38 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def signature_table(styles: Styles, fields: Sequence[str], width: float) -> Table:
    """Lines to fill by hand: two fields per row, each with room to write and sign."""
    cells = [Paragraph(f, styles.cell) for f in fields]
    if len(cells) % 2:
        cells.append(Paragraph("", styles.cell))
    data = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    half = (width - 10 * mm) / 2
    table = Table(data, colWidths=[half, half], rowHeights=[13 * mm] * len(data), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.7, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10 * mm),
            ]
        )
    )
    return table


def content_width(paper: str) -> float:
    return page_size(paper)[0] - 2 * MARGIN


def build_pdf(
    story: list[Flowable],
    *,
    paper: str,
    title: str,
    subject: str,
    fonts: Fonts,
    footer: Callable[[int, int], str],
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page_size(paper),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        subject=subject,
        author="Breakglass",
        invariant=1,
    )
    doc.build(
        story,
        canvasmaker=canvas_maker(
            paper, title=title, subject=subject, footer=footer, font=fonts.sans
        ),
    )
    return buffer.getvalue()
