"""Fonts for the printed documents: every script a name can be written in, or a refusal.

The PDF base-14 fonts (Helvetica, Courier) need no embedding, keep files small and print the
same everywhere, but they only cover Windows-1252 text. When a label, name or role needs more
(``Łukasz``, ``李``, ``أمينة``, ``देवी``), TrueType fonts are embedded instead, one *chain* per
face (regular, bold, oblique): each character is printed with the first font of its face's
chain that has a glyph for it, and a face that lacks a script falls back to the regular fonts
for that script, not to boxes.

Where the fonts come from: a list of preferred files (DejaVu Sans first, then script fonts:
Noto, Lohit Devanagari, Droid Sans Fallback / WenQuanYi for CJK, Symbola for emoji, and the
platform's own Arial Unicode, Segoe, Nirmala, YaHei), looked up through fontconfig
(``fc-list``) and the usual font folders of Linux, macOS and Windows; and for a character
none of them covers, any TrueType font fontconfig says covers it. reportlab embeds only
TrueType outlines: fonts with CFF (PostScript) outlines, such as Debian's Noto CJK, are
skipped.

A character no font can print is never drawn as a box: :func:`unprintable` names it, and the
ceremony refuses the text before anything is printed. Emoji sequences that only colour-emoji
renderers draw (flags, skin tones, ZWJ sequences) are refused by name.

The share material itself (SLIP-39 words, Crockford base32) is always ASCII and always Courier.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = [
    "STANDARD",
    "FontRef",
    "Fonts",
    "Problem",
    "fonts_for",
    "printable_text",
    "unprintable",
]

FACES = ("regular", "bold", "oblique")


@dataclass(frozen=True)
class Fonts:
    """Font names registered with reportlab for one document, and each face's fallback chain."""

    sans: str
    bold: str
    mono: str = "Courier"
    mono_bold: str = "Courier-Bold"
    oblique: str = "Helvetica-Oblique"
    chains: tuple[tuple[FontRef, ...], ...] = field(default=(), compare=False)
    """Per face (regular, bold, oblique): the fonts to try, in order. Empty: base-14 only."""

    def chain(self, face: str) -> tuple[FontRef, ...]:
        if not self.chains:
            name = {"regular": self.sans, "bold": self.bold, "oblique": self.oblique}[face]
            return (_base14(name),)
        return self.chains[FACES.index(face)]

    @property
    def embedded(self) -> bool:
        return bool(self.chains)


STANDARD = Fonts("Helvetica", "Helvetica-Bold", oblique="Helvetica-Oblique")

# -- where fonts are ------------------------------------------------------------------------------

_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "/System/Library/Fonts/Supplemental",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)

# File names in the order to try, per face. A face's chain ends with the regular chain, so a
# script with no bold or oblique font still prints (in its regular face).
_PREFERRED: dict[str, tuple[str, ...]] = {
    "regular": (
        "DejaVuSans.ttf",
        "NotoSans-Regular.ttf",
        "FreeSans.ttf",
        "Arial Unicode.ttf",
        "arial.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansHebrew-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "Lohit-Devanagari.ttf",
        "Nirmala.ttf",
        "mangal.ttf",
        "DroidSansFallbackFull.ttf",
        "DroidSansFallback.ttf",
        "wqy-zenhei.ttc",
        "wqy-microhei.ttc",
        "msyh.ttc",
        "simsun.ttc",
        "Symbola_hint.ttf",
        "Symbola.ttf",
        "seguisym.ttf",
        "seguiemj.ttf",
        "Apple Symbols.ttf",
    ),
    "bold": (
        "DejaVuSans-Bold.ttf",
        "NotoSans-Bold.ttf",
        "FreeSansBold.ttf",
        "arialbd.ttf",
        "NotoSansArabic-Bold.ttf",
        "NotoSansHebrew-Bold.ttf",
        "NotoSansDevanagari-Bold.ttf",
        "NirmalaB.ttf",
        "msyhbd.ttc",
    ),
    "oblique": (
        "DejaVuSans-Oblique.ttf",
        "NotoSans-Italic.ttf",
        "FreeSansOblique.ttf",
        "ariali.ttf",
    ),
}


@functools.cache
def _fc_files() -> dict[str, str]:
    """Installed font files by base name, from fontconfig (empty without ``fc-list``)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return {}
    try:
        listing = subprocess.run(
            [fc, "--format", "%{file}\n"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {Path(p).name: p for p in sorted(listing.splitlines()) if p}


@functools.cache
def _dir_files() -> dict[str, str]:
    """Font files in the usual folders by base name (for systems without fontconfig)."""
    out: dict[str, str] = {}
    extra = os.environ.get("BREAKGLASS_FONT_DIR")
    dirs = ((extra,) if extra else ()) + _FONT_DIRS
    wanted = {n for names in _PREFERRED.values() for n in names}
    for d in dirs:
        root = Path(d).expanduser()
        if not root.is_dir():
            continue
        for name in sorted(wanted - set(out)):
            direct = root / name
            if direct.is_file():
                out[name] = str(direct)
        if sys.platform.startswith("linux") and d.startswith("/usr/share/fonts"):
            # Debian puts fonts one or two levels down (truetype/dejavu/...)
            for path in sorted(root.glob("*/*/*")) + sorted(root.glob("*/*")):
                if path.name in wanted and path.name not in out:
                    out[path.name] = str(path)
    return out


def _locate(name: str) -> str | None:
    extra = os.environ.get("BREAKGLASS_FONT_DIR")
    if extra and (Path(extra) / name).is_file():
        return str(Path(extra) / name)
    return _dir_files().get(name) or _fc_files().get(name)


# -- one font --------------------------------------------------------------------------------------


class FontRef:
    """One font file (TrueType outlines), loaded and registered with reportlab when first used."""

    def __init__(self, path: str, index: int = 0, *, base14: str | None = None) -> None:
        self.path = path
        self.index = index
        self._base14 = base14
        stem = Path(path).stem.replace(" ", "")
        self.name = base14 or f"BG-{stem}" + (f"-{index}" if index else "")
        self._cmap: frozenset[int] | None = None
        self._broken = False

    def __repr__(self) -> str:
        return f"FontRef({self.name!r})"

    @property
    def usable(self) -> bool:
        return self._load()

    def _load(self) -> bool:
        if self._base14 is not None:
            if self._cmap is None:
                self._cmap = frozenset(ord(c) for c in map(chr, range(0x20, 0x3000)) if _cp1252(c))
            return True
        if self._broken:
            return False
        if self._cmap is not None:
            return True
        try:
            if self.name in pdfmetrics.getRegisteredFontNames():
                font = pdfmetrics.getFont(self.name)
            else:
                font = TTFont(self.name, self.path, subfontIndex=self.index)
                pdfmetrics.registerFont(font)
        except (TTFError, OSError, ValueError, KeyError, IndexError, AssertionError):
            # CFF/PostScript outlines, a damaged or unreadable file: not for us.
            self._broken = True
            return False
        self._cmap = frozenset(font.face.charToGlyph)
        return True

    def covers(self, ch: str) -> bool:
        if not self._load():
            return False
        assert self._cmap is not None
        return ord(ch) in self._cmap

    @property
    def shapable(self) -> bool:
        return self._base14 is None


def _cp1252(c: str) -> bool:
    try:
        c.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _base14(name: str) -> FontRef:
    return FontRef(name, base14=name)


@functools.cache
def _ref(path: str, index: int = 0) -> FontRef:
    return FontRef(path, index)


@functools.cache
def _chains() -> tuple[tuple[FontRef, ...], ...]:
    found = {
        face: [_ref(p) for n in names if (p := _locate(n)) is not None]
        for face, names in _PREFERRED.items()
    }
    regular = found["regular"] or _fontconfig_sans()
    return (
        tuple(regular),
        tuple(dict.fromkeys(found["bold"] + regular)),
        tuple(dict.fromkeys(found["oblique"] + regular)),
    )


def _fontconfig_sans() -> list[FontRef]:
    """None of the preferred files is installed: fontconfig's own order for sans-serif
    (``fc-match -s``), TrueType outlines only."""
    fc = shutil.which("fc-match")
    if fc is None:
        return []
    try:
        listing = subprocess.run(
            [fc, "-s", "sans-serif", "--format", "%{file}\t%{index}\t%{fontformat}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    out = []
    for line in listing.splitlines():
        path, _, rest = line.partition("\t")
        index, _, kind = rest.partition("\t")
        if kind.strip() == "TrueType" and index.isdigit():
            out.append(_ref(path, int(index)))
    return out[:12]


@functools.cache
def _fontconfig_for(codepoint: int) -> FontRef | None:
    """Any TrueType font fontconfig says covers ``codepoint`` (the last resort)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return None
    try:
        listing = subprocess.run(
            [fc, f":charset={codepoint:x}", "--format", "%{file}\t%{index}\t%{fontformat}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(listing.splitlines()):
        path, _, rest = line.partition("\t")
        index, _, kind = rest.partition("\t")
        if kind.strip() != "TrueType" or not index.isdigit():
            continue
        ref = _ref(path, int(index))
        if ref.covers(chr(codepoint)):
            return ref
    return None


def font_for_char(ch: str, chain: tuple[FontRef, ...]) -> FontRef | None:
    """The first font of ``chain`` (then any TrueType font fontconfig knows) with a glyph."""
    for ref in chain:
        if ref.covers(ch):
            return ref
    if chain and chain[0].shapable:
        return _fontconfig_for(ord(ch))
    return None


# -- what cannot be printed ------------------------------------------------------------------

ZWJ = "\u200d"
ZWNJ = "\u200c"
IGNORABLE = frozenset(chr(c) for c in range(0xFE00, 0xFE10)) | {"\ufeff"}
"""Variation selectors (text/emoji presentation) and BOM: dropped before printing."""


def _emoji(ch: str) -> bool:
    c = ord(ch)
    return 0x1F000 <= c <= 0x1FAFF or 0x2600 <= c <= 0x27BF or 0x2B00 <= c <= 0x2BFF


@dataclass(frozen=True)
class Problem:
    """A piece of text that cannot be printed, and why, in words."""

    text: str
    reason: str

    def describe(self) -> str:
        return f"{self.text!r}: {self.reason}"


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def unprintable(text: str, fonts: Fonts | None = None, face: str = "regular") -> list[Problem]:
    """What in ``text`` cannot be printed with ``fonts`` (default: the Unicode fonts found).

    Refused by name: flags (regional-indicator pairs, tag sequences), skin-tone modifiers and
    emoji joined by a zero-width joiner. They only exist in colour-emoji renderers; printed
    with an outline font they come out as separate pieces that mean something else. Control
    and unassigned characters are refused too.
    """
    chain = (fonts or _unicode_fonts()).chain(face)
    return _problems(text, chain, check_fonts=True)


def sequence_problems(text: str) -> list[Problem]:
    """The problems of ``text`` that no font can solve (flags, ZWJ emoji, controls)."""
    return _problems(text, (), check_fonts=False)


def _problems(text: str, chain: tuple[FontRef, ...], *, check_fonts: bool) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    chars = list(text)
    for i, ch in enumerate(chars):
        c = ord(ch)
        problem: Problem | None = None
        if 0x1F1E6 <= c <= 0x1F1FF:
            problem = Problem(
                "".join(chars[i : i + 2]),
                "a flag (regional-indicator letters); write the country's name",
            )
        elif 0xE0020 <= c <= 0xE007F:
            problem = Problem(ch, "part of a flag tag sequence; write the region's name")
        elif 0x1F3FB <= c <= 0x1F3FF:
            problem = Problem(ch, "a skin-tone modifier, which only colour-emoji fonts draw")
        elif ch == ZWJ:
            before = chars[i - 1] if i else ""
            after = chars[i + 1] if i + 1 < len(chars) else ""
            if (before and _emoji(before)) or (after and _emoji(after)) or before in IGNORABLE:
                problem = Problem(
                    ch, "an emoji sequence joined with a zero-width joiner (ZWJ); use one emoji"
                )
        elif ch in IGNORABLE or ch in (ZWNJ, "\n") or unicodedata.category(ch) == "Zs":
            continue
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            problem = Problem(ch, f"{_char_name(ch)} is a control or unassigned character")
        elif check_fonts and font_for_char(ch, chain) is None:
            problem = Problem(ch, f"{_char_name(ch)}: no installed font can print it")
        if problem is None:
            continue
        # one message per kind of sequence (a flag's two letters are one problem)
        key = problem.text if "U+" in problem.reason else problem.reason
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


def printable_text(text: str) -> str:
    """``text`` without the invisible selectors that only choose a presentation."""
    return "".join(ch for ch in text if ch not in IGNORABLE)


# -- a document's fonts -------------------------------------------------------------------------


@functools.cache
def _unicode_fonts() -> Fonts:
    chains = _chains()
    usable = tuple(tuple(r for r in chain if r.usable) for chain in chains)
    if not usable[0]:
        return STANDARD
    regular = usable[0][0]
    bold = usable[1][0] if usable[1] else regular
    oblique = usable[2][0] if usable[2] else regular
    addMapping(regular.name, 0, 0, regular.name)
    addMapping(regular.name, 1, 0, bold.name)
    addMapping(regular.name, 0, 1, oblique.name)
    addMapping(regular.name, 1, 1, bold.name)
    return Fonts(regular.name, bold.name, oblique=oblique.name, chains=usable)


def _latin(text: str) -> bool:
    return all(_cp1252(c) for c in printable_text(text))


def fonts_for(texts: Iterable[str]) -> Fonts:
    """The base-14 fonts if every text fits Windows-1252, else the embedded Unicode fonts.

    Without any Unicode TrueType font on the system the base-14 fonts are used; text they
    cannot print is refused by :func:`unprintable` (and by the drawing code) rather than
    printed as boxes.
    """
    if all(_latin(t) for t in texts):
        return STANDARD
    return _unicode_fonts()
