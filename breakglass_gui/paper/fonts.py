"""Fonts for the printed documents.

The PDF base-14 fonts (Helvetica, Courier) need no embedding, keep files small and print the
same everywhere, but they only cover Windows-1252 text. When a name or label needs more
(``Łukasz``, ``李``), a Unicode TrueType font found on the system is embedded instead; the
share material itself (SLIP-39 words, Crockford base32) is always ASCII and always Courier.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["STANDARD", "Fonts", "fonts_for"]


@dataclass(frozen=True)
class Fonts:
    """Font names registered with reportlab for one document."""

    sans: str
    bold: str
    mono: str = "Courier"
    mono_bold: str = "Courier-Bold"
    oblique: str = "Helvetica-Oblique"


STANDARD = Fonts("Helvetica", "Helvetica-Bold", oblique="Helvetica-Oblique")

# Where common Unicode fonts live (Debian/Ubuntu/Fedora, macOS, Windows), DejaVu first.
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/Library/Fonts",
    "/System/Library/Fonts/Supplemental",
    "C:/Windows/Fonts",
)
_FAMILIES = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    ("Arial Unicode.ttf", "Arial Unicode.ttf", "Arial Unicode.ttf"),
    ("arial.ttf", "arialbd.ttf", "ariali.ttf"),
)


def _latin(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _find_unicode_family() -> tuple[Path, Path, Path] | None:
    extra = os.environ.get("BREAKGLASS_FONT_DIR")
    dirs = ((extra,) if extra else ()) + _FONT_DIRS
    for d in dirs:
        for regular, bold, oblique in _FAMILIES:
            paths = (Path(d) / regular, Path(d) / bold, Path(d) / oblique)
            if all(p.is_file() for p in paths):
                return paths
    return None


def fonts_for(texts: Iterable[str]) -> Fonts:
    """The base-14 fonts if every text fits Windows-1252, else an embedded Unicode font.

    Without any Unicode font on the system the base-14 fonts are used and characters outside
    Windows-1252 print as boxes: readable enough to notice, never a crash.
    """
    if all(_latin(t) for t in texts):
        return STANDARD
    found = _find_unicode_family()
    if found is None:
        return STANDARD
    names = ("BreakglassSans", "BreakglassSans-Bold", "BreakglassSans-Oblique")
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, path in zip(names, found, strict=True):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    # so that <b> and <i> in paragraphs find the embedded faces
    addMapping(names[0], 0, 0, names[0])
    addMapping(names[0], 1, 0, names[1])
    addMapping(names[0], 0, 1, names[2])
    addMapping(names[0], 1, 1, names[1])
    return Fonts(names[0], names[1], oblique=names[2])
