"""Windows that fit the screen: sized to what is available, centred on their parent."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["fit_and_centre"]

# what the window manager adds around a window (title bar, borders), kept free on screen
FRAME_W, FRAME_H = 16, 48


def fit_and_centre(window: QWidget, parent: QWidget | None, want_w: int, want_h: int) -> None:
    """Size ``window`` to (want_w, want_h) or the screen's available area, whichever is
    smaller, and centre it on ``parent`` (else on the screen), kept inside the screen."""
    screen = None
    if parent is not None and parent.screen() is not None:
        screen = parent.screen()
    if screen is None:
        screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(want_w, want_h)
        return
    area: QRect = screen.availableGeometry()
    # leave room for the window frame (title bar, borders) the window manager adds
    w = min(want_w, area.width() - FRAME_W)
    h = min(want_h, area.height() - FRAME_H)
    window.resize(max(w, 200), max(h, 200))
    if parent is not None and parent.isVisible():
        centre = parent.frameGeometry().center()
    else:
        centre = area.center()
    x = centre.x() - window.width() // 2
    y = centre.y() - window.height() // 2
    x = max(area.left(), min(x, area.right() - window.width() - 8))
    y = max(area.top(), min(y, area.bottom() - window.height() - 40))
    window.move(QPoint(x, y))
