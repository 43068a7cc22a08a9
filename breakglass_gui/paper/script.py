"""People's text on paper: any script, in its direction, shaped, wrapped inside its box.

Labels, names, roles, contacts and reasons are typed by people and can be in any script.
Each line is laid out here rather than by reportlab's paragraphs (which can neither reorder
right-to-left text without a package that is not on PyPI, nor shape a word whose letters
come from two fonts):

1. the line is put in visual order with ``python-bidi`` (Unicode bidirectional algorithm);
2. it is cut into runs of one direction and one font (per-character fallback along the
   face's chain of fonts, see ``fonts.py``);
3. runs in complex scripts (Arabic, Hebrew, Indic, Thai, ...) are shaped by HarfBuzz
   (reportlab uses ``uharfbuzz``): joined Arabic letters, Devanagari conjuncts and vowel
   signs; runs in other scripts are drawn as they are, so the PDF's text layer holds the
   exact string;
4. lines wrap at spaces (or between characters for a word wider than the box, as CJK text
   needs); a right-to-left paragraph is right-aligned.

Text with a character no font can print raises :class:`UnprintableText` (the ceremony
refuses such text earlier, naming the field).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bidi import get_base_level, get_display
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import ShapedStr, shapeStr
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from .fonts import FontRef, Fonts, font_for_char, printable_text, sequence_problems, unprintable

__all__ = ["ScriptText", "Segment", "UnprintableText", "draw_line", "layout_line", "wrap_lines"]


class UnprintableText(ValueError):
    """Text with characters that cannot be printed; the message names them."""


_MIRROR = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def _complex(ch: str) -> bool:
    """Characters whose script needs shaping (joining, reordering, conjuncts, marks)."""
    c = ord(ch)
    return (
        0x0590 <= c <= 0x08FF  # Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic
        or 0x0900 <= c <= 0x0DFF  # Indic scripts
        or 0x0E00 <= c <= 0x0FFF  # Thai, Lao, Tibetan
        or 0x1000 <= c <= 0x109F  # Myanmar
        or 0x1780 <= c <= 0x17FF  # Khmer
        or 0xA8E0 <= c <= 0xA8FF  # Devanagari extended
        or 0xFB1D <= c <= 0xFDFF  # Hebrew and Arabic presentation forms
        or 0xFE70 <= c <= 0xFEFF
    )


def _rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


@dataclass(frozen=True)
class Segment:
    """A run of text in one font, in logical order; runs of a line are in visual order."""

    font: FontRef
    text: str
    width: float
    shaped: bool


def _width(text: str, font: FontRef, size: float, shaped: bool) -> float:
    if shaped:
        glyphs = _shaped(text, font, size)
        if isinstance(glyphs, ShapedStr):
            return float(sum(g.x_advance for g in glyphs.__shapeData__) * size / 1000)
    return float(stringWidth(text, font.name, size))


def _shaped(text: str, font: FontRef, size: float) -> Any:
    """HarfBuzz's glyphs for ``text`` (in visual order for right-to-left scripts)."""
    return shapeStr(text, font.name, size)


def _by_font(text: str, chain: tuple[FontRef, ...], size: float) -> list[Segment]:
    """``text`` (logical order, one direction) cut into runs of one font each."""
    out: list[Segment] = []
    run = ""
    run_font: FontRef | None = None
    for ch in text:
        if ch in " \u200c\u200d" or unicodedata.category(ch) == "Mn":
            font = run_font  # spaces, joiners and marks stay with their neighbours
        else:
            font = font_for_char(ch, chain)
            if font is None:
                problems = unprintable(ch) or []
                why = problems[0].reason if problems else f"U+{ord(ch):04X} has no glyph"
                raise UnprintableText(f"cannot print {ch!r}: {why}")
        if font is None:
            font = font_for_char(" ", chain) or chain[0]
        if run and font is not run_font:
            assert run_font is not None
            out.append(_segment(run, run_font, size))
            run = ""
        run += ch
        run_font = font
    if run:
        assert run_font is not None
        out.append(_segment(run, run_font, size))
    return out


def _segment(text: str, font: FontRef, size: float) -> Segment:
    shaped = font.shapable and any(_complex(c) for c in text)
    return Segment(font, text, _width(text, font, size, shaped), shaped)


def base_rtl(text: str) -> bool:
    """Whether ``text``'s first strong character is right-to-left."""
    return any(_rtl(c) for c in text) and get_base_level(text) == 1


def layout_line(text: str, chain: tuple[FontRef, ...], size: float) -> list[Segment]:
    """One line of text as font runs in visual (left to right) order."""
    problems = sequence_problems(text)
    if problems:
        raise UnprintableText("cannot print " + "; ".join(p.describe() for p in problems))
    text = printable_text(text)
    if not text:
        return []
    if not any(_rtl(c) for c in text):
        return _by_font(text, chain, size)
    visual = get_display(text, base_dir="R" if base_rtl(text) else "L")
    # Cut the visual string into right-to-left runs (from a strong RTL character to the last
    # one before a left-to-right character or digit) and the rest.
    runs: list[tuple[bool, str]] = []
    i = 0
    n = len(visual)
    while i < n:
        if _rtl(visual[i]):
            j = i
            last = i
            while j < n and (
                _rtl(visual[j])
                or unicodedata.bidirectional(visual[j]) in ("NSM", "WS", "ON", "CS", "ES", "BN")
            ):
                if _rtl(visual[j]) or unicodedata.bidirectional(visual[j]) == "NSM":
                    last = j
                j += 1
            runs.append((True, visual[i : last + 1]))
            i = last + 1
        else:
            j = i
            while j < n and not _rtl(visual[j]):
                j += 1
            # marks that belong to the following (visually reversed) RTL run stay with it
            runs.append((False, visual[i:j]))
            i = j
    out: list[Segment] = []
    for rtl, run in runs:
        if rtl:
            logical = run[::-1].translate(_MIRROR)
            out += list(reversed(_by_font(logical, chain, size)))
        else:
            out += _by_font(run, chain, size)
    return out


def line_width(segments: Sequence[Segment]) -> float:
    return sum(s.width for s in segments)


def draw_line(c: Canvas, x: float, y: float, segments: Sequence[Segment], size: float) -> float:
    """Draw laid-out runs from ``x`` on baseline ``y``; return the x after them."""
    for seg in segments:
        c.setFont(seg.font.name, size)
        text = shapeStr(seg.text, seg.font.name, size) if seg.shaped else seg.text
        t = c.beginText(x, y)
        t.textLine(text)
        c.drawText(t)
        x += seg.width
    return x


def _grapheme_cuts(word: str) -> list[int]:
    """Positions inside ``word`` where it may be cut (not before a mark or after a joiner)."""
    cuts = []
    for i in range(1, len(word)):
        if unicodedata.category(word[i]) in ("Mn", "Mc", "Me") or word[i] in "\u200c\u200d":
            continue
        if word[i - 1] in "\u200c\u200d" or ord(word[i - 1]) == 0x094D:
            continue  # after a joiner or a Devanagari virama the cluster continues
        cuts.append(i)
    return cuts


def wrap_lines(
    text: str, chain: tuple[FontRef, ...], size: float, width: float
) -> list[list[Segment]]:
    """``text`` broken into lines no wider than ``width`` (explicit newlines kept)."""
    lines: list[list[Segment]] = []
    for para in printable_text(text).split("\n"):
        words = para.split()
        if not words:
            lines.append([])
            continue
        current = ""
        for token in words:
            word = token
            trial = f"{current} {word}" if current else word
            if line_width(layout_line(trial, chain, size)) <= width:
                current = trial
                continue
            if current:
                lines.append(layout_line(current, chain, size))
                current = ""
            # The word alone: cut it where it must be cut.
            while line_width(layout_line(word, chain, size)) > width:
                cuts = _grapheme_cuts(word)
                fit = 0
                hyphen = 0
                for cut in cuts:
                    if line_width(layout_line(word[:cut], chain, size)) <= width:
                        fit = cut
                        if word[cut - 1] in "-\u2010/":
                            hyphen = cut
                    else:
                        break
                fit = hyphen or fit
                if fit == 0:
                    fit = cuts[0] if cuts else len(word)
                lines.append(layout_line(word[:fit], chain, size))
                word = word[fit:]
                if not word:
                    break
            current = word
        if current:
            lines.append(layout_line(current, chain, size))
    return lines


class ScriptText(Flowable):  # type: ignore[misc]
    """A block of people's text: wraps inside its width; right-aligned if right-to-left.

    ``prefix`` (ASCII, e.g. ``"3."`` or a bullet) is drawn in the hanging indent.
    """

    def __init__(
        self,
        text: str,
        fonts: Fonts,
        *,
        size: float = 10,
        leading: float | None = None,
        face: str = "regular",
        prefix: str = "",
        indent: float = 0.0,
        space_after: float = 0.0,
        color: tuple[float, float, float] = (0, 0, 0),
        max_lines: int | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.fonts = fonts
        self.size = size
        self.leading = leading if leading is not None else size * 1.25
        self.face = face
        self.prefix = prefix
        self.indent = indent
        self.spaceAfter = space_after
        self.color = color
        self.max_lines = max_lines
        self.chain = fonts.chain(face)
        self.rtl = base_rtl(text)
        self._lines: list[list[Segment]] = []
        self._avail = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._avail = availWidth
        self._lines = wrap_lines(self.text, self.chain, self.size, availWidth - self.indent)
        if self.max_lines is not None:
            self._lines = self._lines[: self.max_lines]
        self.width = availWidth
        self.height = max(1, len(self._lines)) * self.leading
        return self.width, self.height

    def draw(self) -> None:
        c: Any = self.canv
        c.saveState()
        c.setFillColorRGB(*self.color)
        ascent = self.size * 0.93
        if self.prefix:
            c.setFont(self.chain[0].name, self.size)
            c.drawString(0, self.height - ascent, self.prefix)
        for k, line in enumerate(self._lines):
            y = self.height - ascent - k * self.leading
            x = self.indent
            if self.rtl:
                x = self._avail - line_width(line)
            draw_line(c, x, y, line, self.size)
        c.restoreState()


def draw_block(
    c: Canvas,
    text: str,
    fonts: Fonts,
    *,
    x: float,
    top: float,
    width: float,
    size: float,
    leading: float | None = None,
    face: str = "regular",
    max_lines: int | None = None,
) -> float:
    """Draw ``text`` wrapped into ``width`` with its top at ``top``; return the y below it."""
    block = ScriptText(text, fonts, size=size, leading=leading, face=face, max_lines=max_lines)
    _, h = block.wrap(width, 10_000)
    block.drawOn(c, x, top - h)
    return float(top - h)
