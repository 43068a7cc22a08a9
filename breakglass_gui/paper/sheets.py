"""The share sheet: one PDF per share, for one custodian's sealed envelope.

Page 1 carries everything a person needs: who this belongs to, the quorum rule in words,
the set fingerprint, the QR code (or part 1 of several), fields to fill by hand, a
plain-words block, and the start of the hand-transcription form. Further pages carry the
remaining QR parts of a large share, the rest of the transcription, and optionally the
independent recovery steps.

The sheet is share material (the SLIP-39 words and the record are on it): it is written
with mode 0600 and never logged. It never carries the credential itself; the paper module
is never given it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph

from breakglass_gui.core.codec import TranscriptionLine
from breakglass_gui.core.share import FORMAT_VERSION, Share

from .document import APP_VERSION, mm, numbered_canvas, page_size, write_pdf
from .fonts import Fonts, fonts_for
from .qr import MAX_MODULE, QrCode, make_qr
from .recovery import RECOVERY_SCRIPT, RECOVERY_STEPS, RECOVERY_TITLE
from .script import ScriptText, draw_block

__all__ = ["SheetOptions", "render_share_sheet", "share_sheet_pdf", "word_rows"]

MARGIN = 14 * mm
FOOTER_ROOM = 14 * mm
MONO_SIZE = 9.5
LINE_GAP = 11.5  # points between transcription rows
GREY = (0.35, 0.35, 0.35)
PALE = (0.93, 0.93, 0.93)


@dataclass(frozen=True)
class SheetOptions:
    paper: str = "a4"
    app_version: str = APP_VERSION
    who_to_call: str = ""
    """Printed under "who to call": a name, number or channel. Empty: a sensible default."""
    appendix: bool = True
    """Add the pages with the steps to recover without Breakglass (on by default: a sheet
    must stand alone, years from now, without this program or its repository)."""


def render_share_sheet(
    share: Share,
    *,
    out: Path,
    paper: str = "a4",
    app_version: str = APP_VERSION,
    who_to_call: str = "",
    appendix: bool = True,
) -> Path:
    """Write ``share``'s sheet to ``out`` (mode 0600: it is share material); return ``out``."""
    options = SheetOptions(paper, app_version, who_to_call, appendix)
    return write_pdf(out, share_sheet_pdf(share, options), private=True)


def share_sheet_pdf(share: Share, options: SheetOptions | None = None) -> bytes:
    """The sheet as PDF bytes. Same share and options (and SOURCE_DATE_EPOCH): same bytes."""
    return _SheetWriter(share, options or SheetOptions()).render()


def word_rows(words: Sequence[str]) -> list[str]:
    """The 33 words in numbered rows of six, exactly as ``Share.transcription()`` has them."""
    return [
        "  ".join(
            f"{i + 1:2d} {w:<9}" for i, w in enumerate(words[row : row + 6], start=row)
        ).rstrip()
        for row in range(0, len(words), 6)
    ]


class _SheetWriter:
    def __init__(self, share: Share, options: SheetOptions) -> None:
        self.share = share
        self.options = options
        self.width, self.height = page_size(options.paper)
        texts = [share.label, share.custodian, share.role, share.group_name, options.who_to_call]
        self.fonts: Fonts = fonts_for(texts)
        self.qrs: list[QrCode] = [make_qr(t) for t in share.qr_texts()]
        self.left = MARGIN
        self.right = self.width - MARGIN
        self.content_width = self.right - self.left
        self.styles = _styles(self.fonts)

    # -- page furniture --------------------------------------------------------------------
    def _footer(self, page: int, total: int) -> str:
        s = self.share
        return (
            f"Breakglass {self.options.app_version} - share format v{FORMAT_VERSION} - "
            f"set {s.fingerprint_text} - share {s.number} of {s.total} - page {page} of {total}"
        )

    def render(self) -> bytes:
        buffer = io.BytesIO()
        s = self.share
        c = numbered_canvas(
            buffer,
            self.options.paper,
            title=f"{'DRILL ' if s.drill else ''}Break-glass share {s.number} of {s.total} "
            f"- {s.label}",
            subject=f"Set {s.fingerprint_text}",
            footer=self._footer,
            font=self.fonts.sans,
        )
        y = self._first_page(c)
        self._transcription(c, y)
        self._part_pages(c)
        if self.options.appendix:
            self._appendix(c)
        c.save()
        return buffer.getvalue()

    def _new_page(self, c: Canvas, what: str) -> float:
        """Start a continuation page; return the y below its header."""
        c.showPage()
        s = self.share
        top = self.height - MARGIN
        c.setFont(self.fonts.bold, 12)
        drill = "DRILL - " if s.drill else ""
        c.drawString(self.left, top - 12, f"{drill}BREAK-GLASS SHARE {s.number} OF {s.total}")
        c.setFont(self.fonts.mono_bold, 11)
        c.drawRightString(self.right, top - 12, f"SET {s.fingerprint_text}")
        what_w = stringWidth(f" - {what}", self.fonts.sans, 9)
        c.setFont(self.fonts.sans, 9)
        c.drawRightString(self.right, top - 25, _fit(what, self.fonts.sans, 9, self.content_width))
        draw_block(
            c,
            s.holder,
            self.fonts,
            x=self.left,
            top=top - 17.5,
            width=max(20 * mm, self.content_width - what_w - 4 * mm),
            size=9,
            leading=10,
            max_lines=1,
        )
        c.setLineWidth(0.6)
        c.line(self.left, top - 30, self.right, top - 30)
        return top - 42

    # -- page 1 ------------------------------------------------------------------------------
    def _first_page(self, c: Canvas) -> float:
        s, f = self.share, self.fonts
        top = self.height - MARGIN
        # The set fingerprint, boxed at the top right: what people compare first.
        box_w = 62 * mm
        box_x = self.right - box_w
        title = f"{'DRILL - ' if s.drill else ''}BREAK-GLASS SHARE {s.number} of {s.total}"
        size = 20.0
        while stringWidth(title, f.bold, size) > box_x - self.left - 4 * mm:
            size -= 0.5
        c.setFont(f.bold, size)
        c.drawString(self.left, top - 20, title)
        c.setLineWidth(1.2)
        c.roundRect(box_x, top - 27, box_w, 27, 3)
        c.setFont(f.sans, 6.5)
        c.setFillColorRGB(*GREY)
        c.drawString(box_x + 6, top - 9, "SET FINGERPRINT - the same on every share")
        c.setFillColorRGB(0, 0, 0)
        c.setFont(f.mono_bold, 14)
        c.drawCentredString(box_x + box_w / 2, top - 22, s.fingerprint_text)
        y = top - 36
        label = s.label or "(no label)"
        y = draw_block(
            c,
            f"Credential: {label}",
            self.fonts,
            x=self.left,
            top=y,
            width=self.content_width,
            size=13,
            leading=16,
            face="bold",
        )
        if s.drill:  # a rehearsal set: say so where nobody can miss it
            y = self._para(
                c,
                "<b>DRILL SET</b> - for rehearsal only: it protects a throwaway secret, "
                "not a real credential.",
                "title",
                (self.left, y - 1 * mm),
                self.content_width,
            )
        y -= 2 * mm
        c.setLineWidth(0.6)
        c.line(self.left, y, self.right, y)
        y -= 4 * mm

        # QR code (or its first part) on the right, the details on the left.
        qr = self.qrs[0]
        module = qr.module_size(80 * mm)
        side = qr.modules * module
        qr_x = self.right - side
        qr.draw(c, qr_x, y - side, module)
        captions = (
            ["Scan this with Breakglass"]
            if len(self.qrs) == 1
            else [
                f"part 1 of {len(self.qrs)} - scan every part, in any order;",
                "the other parts follow the typed form",
            ]
        )
        c.setFont(f.bold if len(self.qrs) > 1 else f.sans, 8)
        for i, caption in enumerate(captions):
            c.drawCentredString(qr_x + side / 2, y - side - 9 - 10 * i, caption)
            c.setFont(f.sans, 8)
        qr_bottom = y - side - 4 - 10 * len(captions)

        details_w = qr_x - self.left - 6 * mm
        y_left = self._details(c, y, details_w)
        y = min(qr_bottom, y_left) - 3 * mm
        y = self._plain_words(c, y)
        y = self._fill_fields(c, y - 3 * mm)
        return y - 3 * mm

    def _details(self, c: Canvas, y: float, width: float) -> float:
        s = self.share
        # Values in people's own words (any script) are drawn by the script layout; the
        # others are paragraphs with markup.
        rows: list[tuple[str, str | ScriptText]] = [
            ("QUORUM", escape(_capital(s.policy.describe()))),
            ("CUSTODIAN", self._people(s.custodian or "(not named)")),
            ("ROLE", self._people(s.role or "-")),
        ]
        if not s.policy.is_simple:
            g = s.policy.groups[s.group_index]
            rows.append(("GROUP", self._people(f"{g.name}: {g.threshold} of its {g.count} shares")))
        rows += [
            ("CREATED", s.created.isoformat()),
            (
                "PRINTED BY",
                f"Breakglass {escape(self.options.app_version)}, share format v{FORMAT_VERSION}",
            ),
            (
                "VERIFICATION",
                "<b>" + " ".join(w.upper() for w in s.verification_words()) + "</b>"
                " <font size=7>(compare with the ceremony record; not share material)</font>",
            ),
        ]
        label_w = 25 * mm
        for key, value in rows:
            c.setFont(self.fonts.sans, 6.8)
            c.setFillColorRGB(*GREY)
            c.drawString(self.left, y - 9, key)
            c.setFillColorRGB(0, 0, 0)
            if isinstance(value, ScriptText):
                _, h = value.wrap(width - label_w, self.height)
                value.drawOn(c, self.left + label_w, y - h)
                y = y - h - 2.2 * mm
            else:
                y = self._para(c, value, "value", (self.left + label_w, y), width - label_w)
                y -= 2.2 * mm
        return y

    def _people(self, text: str, size: float = 10, leading: float = 12.5) -> ScriptText:
        return ScriptText(text, self.fonts, size=size, leading=leading)

    def _plain_words(self, c: Canvas, y: float) -> float:
        s = self.share
        recover = (
            "the pages at the end of this document explain, step by step, how to recover "
            "the credential with any SLIP-39 tool and AES-256-GCM, without Breakglass"
            if self.options.appendix
            else "a quorum of sheets is enough for any SLIP-39 tool and AES-256-GCM; the steps "
            "are on the ceremony record's appendix and in the published share format"
        )
        paragraphs: list[Flowable] = [
            Paragraph(
                f"<b>What this is.</b> One of {s.total} shares of the break-glass credential "
                "named at the top of this sheet, held by the custodian named above. Keep it "
                "sealed in its envelope until the credential is needed in an emergency.",
                self.styles["plain"],
            ),
            Paragraph(
                "<b>Alone it reveals nothing.</b> The credential comes back only when "
                f"{escape(s.policy.describe())} are brought together "
                f"({escape(s.policy.short())}). This sheet alone, or fewer shares than that, "
                "reveal nothing about it.",
                self.styles["plain"],
            ),
        ]
        if self.options.who_to_call:
            paragraphs += [
                Paragraph(
                    "<b>Who to call.</b> If you find this sheet, or are asked for it, call "
                    "(never hand it over because someone asked by phone, chat or e-mail):",
                    self.styles["plain"],
                ),
                ScriptText(self.options.who_to_call, self.fonts, size=8.6, leading=11),
            ]
        else:
            paragraphs.append(
                Paragraph(
                    "<b>Who to call.</b> If you find this sheet, or are asked for it: whoever "
                    "keeps the break-glass runbook for this credential (usually the security or "
                    "on-call lead named in it). Never hand this sheet over because someone "
                    "asked by phone, chat or e-mail.",
                    self.styles["plain"],
                )
            )
        paragraphs.append(
            Paragraph(
                f"<b>Recovering without this app.</b> This is Breakglass share format "
                f"v{FORMAT_VERSION} (open; SLIP-39 words plus a sealed credential): "
                f"{recover}.",
                self.styles["plain"],
            )
        )
        inner = self.content_width - 8 * mm
        heights = [float(p.wrap(inner, self.height)[1]) for p in paragraphs]
        box_h = sum(heights) + 2 * (len(paragraphs) - 1) + 8 * mm
        c.setFillColorRGB(*PALE)
        c.roundRect(self.left, y - box_h, self.content_width, box_h, 3, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        yy = y - 4 * mm
        for p, h in zip(paragraphs, heights, strict=True):
            p.drawOn(c, self.left + 4 * mm, yy - h)
            yy -= h + 2
        return y - box_h

    def _fill_fields(self, c: Canvas, y: float) -> float:
        c.setFont(self.fonts.bold, 8.5)
        c.drawString(self.left, y - 9, "FILL IN BY HAND WHEN SEALING")
        y -= 13
        half = (self.content_width - 8 * mm) / 2
        rows = [
            [("Envelope / tamper-bag serial", half), ("Sealed by (name, signature)", half)],
            [("Witness (name, signature)", half), ("Date", half)],
            [("Location", self.content_width)],
        ]
        row_h = 9.5 * mm
        c.setLineWidth(0.5)
        for row in rows:
            x = self.left
            for name, w in row:
                c.setFont(self.fonts.sans, 7)
                c.setFillColorRGB(*GREY)
                c.drawString(x, y - 8, name)
                c.setFillColorRGB(0, 0, 0)
                c.line(x, y - row_h + 1.5 * mm, x + w, y - row_h + 1.5 * mm)
                x += w + 8 * mm
            y -= row_h
        return y

    # -- QR parts -------------------------------------------------------------------------------
    def _part_pages(self, c: Canvas) -> None:
        rest = list(enumerate(self.qrs, start=1))[1:]
        if not rest:
            return
        n = len(self.qrs)
        modules = max(q.modules for _, q in rest)
        caption_h = 9 * mm
        room = self.height - 2 * MARGIN - 42 - FOOTER_ROOM  # below a continuation header
        # The most codes per page at 1 mm modules, or at slightly smaller ones (>= 0.85 mm)
        # when that fits a whole extra row or column.
        best: tuple[int, float] = (0, 0.0)
        for module in (MAX_MODULE, 0.95 * mm, 0.9 * mm, 0.85 * mm):
            side = modules * module
            cols = int((self.content_width + 6 * mm) // (side + 6 * mm))
            rows = int(room // (side + caption_h))
            if cols * rows > best[0]:
                best = (cols * rows, module)
        if best[0] == 0:
            best = (1, rest[0][1].module_size(min(self.content_width, room - caption_h)))
        module = best[1]
        side = modules * module
        cols = max(1, int((self.content_width + 6 * mm) // (side + 6 * mm)))
        gap = (self.content_width - cols * side) / (cols - 1) if cols > 1 else 0.0
        pending = rest
        while pending:
            y = self._new_page(c, f"QR codes, parts 2 to {n}: scan every part, in any order")
            rows = max(1, int((y - FOOTER_ROOM) // (side + caption_h)))
            page, pending = pending[: rows * cols], pending[rows * cols :]
            for slot, (i, q) in enumerate(page):
                r, col = divmod(slot, cols)
                x = self.left + col * (side + gap)
                top = y - r * (side + caption_h)
                q.draw(c, x, top - side, module)
                c.setFont(self.fonts.bold, 9)
                c.drawCentredString(
                    x + side / 2,
                    top - side - 10,
                    f"share {self.share.number} of {self.share.total} - part {i} of {n}",
                )

    # -- transcription ------------------------------------------------------------------------
    def _transcription(self, c: Canvas, y: float) -> None:
        s, f = self.share, self.fonts
        lines = s.transcription_lines()
        rows = word_rows(s.words)
        needed = 30 + (len(rows) + 2) * LINE_GAP
        if y - needed < FOOTER_ROOM:
            y = self._new_page(c, "hand transcription")
        c.setFont(f.bold, 8.5)
        c.drawString(self.left, y - 9, "HAND TRANSCRIPTION - if no camera can read the code")
        c.setFont(f.sans, 7.5)
        c.drawString(
            self.left,
            y - 19,
            "Type the 33 words, then every DATA line with its number and its 2 check characters "
            "(they catch a typing mistake on the line where it happens).",
        )
        y -= 26
        c.setFont(f.mono_bold, MONO_SIZE)
        c.drawString(self.left, y - MONO_SIZE, f"WORDS ({len(s.words)})")
        y -= LINE_GAP
        c.setFont(f.mono, MONO_SIZE)
        for row in rows:
            c.drawString(self.left, y - MONO_SIZE, row)
            y -= LINE_GAP
        y -= 4
        c.setFont(f.mono_bold, MONO_SIZE)
        c.drawString(self.left, y - MONO_SIZE, f"DATA ({len(lines)} lines)")
        y -= LINE_GAP
        self._data_lines(c, y, lines)

    def _data_lines(self, c: Canvas, y: float, lines: list[TranscriptionLine]) -> None:
        f = self.fonts
        col_w = stringWidth(lines[-1].render() + "     ", f.mono, MONO_SIZE)
        cols = max(1, int(self.content_width // col_w))
        pending = lines
        while pending:
            rows = int((y - FOOTER_ROOM) // LINE_GAP)
            if rows < 2:
                y = self._new_page(c, "hand transcription, continued")
                c.setFont(f.mono_bold, MONO_SIZE)
                c.drawString(self.left, y - MONO_SIZE, "DATA (continued)")
                y -= LINE_GAP
                continue
            # Fill columns top to bottom, balanced so the last column is not a stub.
            take = pending[: rows * cols]
            pending = pending[rows * cols :]
            # at least 8 to a column: a short run stays one column, read top to bottom
            per_col = min(rows, max(-(-len(take) // cols), 8))
            c.setFont(f.mono, MONO_SIZE)
            for i, line in enumerate(take):
                col, r = divmod(i, per_col)
                x = self.left + col * col_w
                yy = y - r * LINE_GAP
                if r and r % 5 == 0:
                    c.setStrokeColorRGB(0.75, 0.75, 0.75)
                    c.setLineWidth(0.3)
                    # between the rows: above this row's capitals, below the last row's
                    # baseline (data lines are capitals and digits: no descenders)
                    c.line(x, yy - 1.2, x + col_w - 12, yy - 1.2)
                    c.setStrokeColorRGB(0, 0, 0)
                c.drawString(x, yy - MONO_SIZE, line.render())
            y = FOOTER_ROOM  # the next chunk starts on a new page

    # -- appendix ---------------------------------------------------------------------------------
    def _appendix(self, c: Canvas) -> None:
        y = self._new_page(c, RECOVERY_TITLE)
        y = self._para(c, RECOVERY_TITLE, "title", (self.left, y), self.content_width) - 2 * mm
        for n, step in enumerate(RECOVERY_STEPS, start=1):
            y = self._para(c, f"{n}. {escape(step)}", "plain", (self.left, y), self.content_width)
            y -= 1.5 * mm
        y -= 2 * mm
        c.setFont(self.fonts.mono_bold, 8)
        c.drawString(self.left, y - 8, "recover.py")
        y -= 11
        c.setFont(self.fonts.mono, 7)
        for line in RECOVERY_SCRIPT.splitlines():
            if y - 8 < FOOTER_ROOM:
                y = self._new_page(c, f"{RECOVERY_TITLE}, continued")
                c.setFont(self.fonts.mono, 7)
            c.drawString(self.left, y - 7, line)
            y -= 8.4

    # -- helpers -------------------------------------------------------------------------------
    def _para(
        self, c: Canvas, markup: str, style: str, at: tuple[float, float], width: float
    ) -> float:
        """Draw a paragraph with its top left corner at ``at``; return the y below it."""
        x, y = at
        p = Paragraph(markup, self.styles[style])
        _, h = p.wrap(width, self.height)
        p.drawOn(c, x, y - h)
        return float(y - h)


def _styles(f: Fonts) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=f.bold, fontSize=13, leading=16),
        "value": ParagraphStyle("value", fontName=f.sans, fontSize=10, leading=12.5),
        "plain": ParagraphStyle("plain", fontName=f.sans, fontSize=8.6, leading=11),
    }


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut with an ellipsis if it is wider than ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
