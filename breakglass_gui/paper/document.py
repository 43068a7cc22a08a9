"""What every printed document shares: paper sizes, reproducible canvases, private writes.

Every PDF is made in reportlab's invariant mode: its dates come from ``SOURCE_DATE_EPOCH``
(or a fixed 2000-01-01) and its ID is a digest of its content, so the same inputs give
byte-identical files.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from breakglass_gui import __version__

__all__ = [
    "APP_VERSION",
    "PAPER_SIZES",
    "NumberedCanvas",
    "Paper",
    "canvas_maker",
    "numbered_canvas",
    "page_size",
    "write_pdf",
]

Paper = Literal["a4", "letter"]
PAPER_SIZES: dict[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}
APP_VERSION = __version__
mm = 72 / 25.4  # points per millimetre (reportlab.lib.units.mm, typed)


def page_size(paper: str) -> tuple[float, float]:
    try:
        return PAPER_SIZES[paper.lower()]
    except KeyError:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}") from None


def write_pdf(path: Path, data: bytes, *, private: bool) -> Path:
    """Write a PDF; ``private`` files (share sheets: share material) are created mode 0600."""
    if not private:
        path.write_bytes(data)
        return path
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return path


class NumberedCanvas(Canvas):  # type: ignore[misc]
    """A canvas that knows the page count when it saves, for "page 2 of 5" footers.

    Pages are kept until ``save()``; then each gets its footer from ``footer(page, total)``.
    """

    def __init__(self, *args: Any, footer: Callable[[int, int], str], font: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._footer = footer
        self._footer_font = font
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        if self._code:  # the page being drawn has not been shown yet
            self._pages.append(dict(self.__dict__))
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            width = self._pagesize[0]
            self.saveState()
            self.setFont(self._footer_font, 7)
            self.setFillColorRGB(0.3, 0.3, 0.3)
            self.drawCentredString(width / 2, 8 * mm, self._footer(number, total))
            self.restoreState()
            super().showPage()
        super().save()


def numbered_canvas(
    buffer: io.BytesIO,
    paper: str,
    *,
    title: str,
    subject: str,
    footer: Callable[[int, int], str],
    font: str = "Helvetica",
) -> NumberedCanvas:
    c = NumberedCanvas(
        buffer,
        pagesize=page_size(paper),
        invariant=1,
        pageCompression=1,
        footer=footer,
        font=font,
    )
    _describe(c, title, subject)
    return c


def canvas_maker(
    paper: str, *, title: str, subject: str, footer: Callable[[int, int], str], font: str
) -> Callable[..., NumberedCanvas]:
    """A ``canvasmaker`` for platypus documents with numbered footers."""

    def make(*args: Any, **kw: Any) -> NumberedCanvas:
        kw.update(invariant=1, pageCompression=1, footer=footer, font=font)
        kw["pagesize"] = page_size(paper)
        c = NumberedCanvas(*args, **kw)
        _describe(c, title, subject)
        return c

    return make


def _describe(c: Canvas, title: str, subject: str) -> None:
    c.setTitle(title)
    c.setSubject(subject)
    c.setAuthor("Breakglass")
    c.setCreator(f"Breakglass {APP_VERSION}")
