"""Checks a person would make on every screen: every visible button on the screen, the window
centred on its parent, one Alt+letter per control. Used by the GUI tests and by
``tests/tools/render_gui_screens.py --check`` (which walks every page of every window)."""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QScrollArea, QWidget

__all__ = ["centre_problems", "mnemonic_clashes", "mnemonics", "outside_screen"]


def _mnemonic(text: str) -> str | None:
    m = re.search(r"&([^&\s])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


def mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter -> the visible controls that claim it (buttons, labels with a buddy,
    group boxes)."""
    found: dict[str, list[str]] = defaultdict(list)
    for w in [window, *window.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        text = ""
        if isinstance(w, QAbstractButton) or (isinstance(w, QLabel) and w.buddy() is not None):
            text = w.text()
        elif isinstance(w, QGroupBox):
            text = w.title()
        key = _mnemonic(text)
        if key:
            found[key].append(text.replace("&", ""))
    return dict(found)


def mnemonic_clashes(window: QWidget) -> list[str]:
    return [
        f"Alt+{key.upper()}: " + " / ".join(texts)
        for key, texts in sorted(mnemonics(window).items())
        if len(texts) > 1
    ]


def _scroll_parent(w: QWidget) -> QScrollArea | None:
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QScrollArea):
            return p
        p = p.parentWidget()
    return None


def outside_screen(window: QWidget) -> list[str]:
    """Visible buttons whose global rectangle is not inside the screen's available area
    (buttons in a scroll area are first scrolled into view: reachable is what counts)."""
    screen = window.screen()
    area = screen.availableGeometry()
    out: list[str] = []
    frame = window.frameGeometry()
    if not area.contains(frame):
        out.append(f"window {window.objectName()} {frame.getRect()} not inside {area.getRect()}")
    for b in window.findChildren(QAbstractButton):
        if not b.isVisible() or b.window() is not window:
            continue
        scroll = _scroll_parent(b)
        if scroll is not None:
            scroll.ensureWidgetVisible(b, 0, 0)
        rect = QRect(b.mapToGlobal(QPoint(0, 0)), b.size())
        visible_in = area
        if scroll is not None:
            vp = scroll.viewport()
            visible_in = QRect(vp.mapToGlobal(QPoint(0, 0)), vp.size()).intersected(area)
        if not visible_in.contains(rect):
            name = b.objectName() or b.text().replace("&", "") or type(b).__name__
            out.append(f"{name} {rect.getRect()} not inside {visible_in.getRect()}")
    return out


def centre_problems(window: QWidget, parent: QWidget | None, tolerance: int = 4) -> list[str]:
    """A window opened over a parent is centred on it (unless the screen edge is in the way)."""
    if parent is None or not parent.isVisible():
        return []
    area = window.screen().availableGeometry()
    mine, theirs = window.frameGeometry(), parent.frameGeometry()
    dx = abs(mine.center().x() - theirs.center().x())
    dy = abs(mine.center().y() - theirs.center().y())
    at_edge = (
        mine.left() <= area.left() + tolerance
        or mine.top() <= area.top() + tolerance
        or mine.right() >= area.right() - 48
        or mine.bottom() >= area.bottom() - 48
    )
    if (dx > tolerance or dy > tolerance) and not at_edge:
        return [f"{window.objectName()} not centred on its parent (off by {dx}, {dy})"]
    return []
