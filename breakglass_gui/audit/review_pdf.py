"""The review record as a one-page PDF (reportlab directly; audit may not import paper)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .review import FIELDS, LIST_FIELDS

__all__ = ["render_review_pdf"]


def _cell(value: Any, style: Any) -> Paragraph:
    if isinstance(value, list):
        text = "<br/>".join(f"• {escape(str(v))}" for v in value) if value else "—"
    else:
        text = escape(str(value)) if value not in (None, "") else "<i>(to be completed)</i>"
    return Paragraph(text, style)


def review_pdf_bytes(record: Mapping[str, Any], status: str) -> bytes:
    """The record as PDF bytes (the caller writes them to a new file)."""
    buf = io.BytesIO()
    render_review_pdf(record, status, buf)
    return buf.getvalue()


def render_review_pdf(record: Mapping[str, Any], status: str, path: Path | BinaryIO) -> None:
    """Write the record to ``path`` (or a binary stream). Reproducible: reportlab's invariant
    mode."""
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    label_style = styles["BodyText"].clone("label", fontName="Helvetica-Bold")
    incident = record.get("incident") or f"ceremony {record.get('ceremony')}"
    doc = SimpleDocTemplate(
        path if not isinstance(path, Path) else str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Break-glass review record — {incident}",
        author="breakglass",
        invariant=1,
    )
    rows = []
    for key, label in FIELDS:
        value = record.get(key, [] if key in LIST_FIELDS else "")
        rows.append([Paragraph(escape(label), label_style), _cell(value, body)])
    table = Table(rows, colWidths=[42 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    state = "COMPLETED" if status == "completed" else "DRAFT — to be completed by the reviewers"
    story = [
        Paragraph(f"Break-glass review record — {escape(str(incident))}", styles["Title"]),
        Paragraph(f"Blameless post-use review · {state}", styles["Italic"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            "The question is never who made a mistake, but what made breaking glass necessary "
            "and whether the action was appropriate. Follow-ups feed the review of the gate.",
            styles["Italic"],
        ),
    ]
    doc.build(story)
