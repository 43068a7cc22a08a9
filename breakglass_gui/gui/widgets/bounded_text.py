"""A paste box that refuses a paste too large to be what it asks for.

Qt lays out a long unbroken line in a ``QPlainTextEdit`` in time that grows faster than its
length: 64 KiB takes about 0.65 s here, 256 KiB about 8 s, and 2 MB did not finish in a minute,
freezing the window. Everything pasted into Breakglass (a set card, an age envelope, a typed
share) is a few KiB at most, so a paste or drop larger than the box's limit is refused before
Qt sees it, and the box's owner is told (to say so in plain words). Nothing of the refused text
is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QPlainTextEdit, QWidget

__all__ = ["PASTE_LIMIT", "BoundedPlainTextEdit"]

PASTE_LIMIT = 32 * 1024  # characters: ten times the largest set card, thirty envelopes


class BoundedPlainTextEdit(QPlainTextEdit):
    """``QPlainTextEdit`` whose pastes and drops above ``limit`` characters (or with a line
    longer than ``line_limit``, when given) are refused; ``on_too_large(length)`` is called
    instead (the text is not inserted, nor kept)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        limit: int = PASTE_LIMIT,
        line_limit: int | None = None,
        on_too_large: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.limit = limit
        self.line_limit = line_limit
        self.on_too_large = on_too_large

    def too_large(self, text: str) -> bool:
        """Whether pasting ``text`` here is refused (too long in all, or in one line)."""
        if len(text) + len(self.toPlainText()) > self.limit:
            return True
        if self.line_limit is None or len(text) <= self.line_limit:
            return False
        return max(map(len, text.splitlines()), default=0) > self.line_limit

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            text = source.text()
            length = len(text)
            refused = self.too_large(text)
            del text
            if refused:
                if self.on_too_large is not None:
                    self.on_too_large(length)
                return
        super().insertFromMimeData(source)
