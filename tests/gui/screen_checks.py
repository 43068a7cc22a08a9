"""Checks a person would make on every screen: every visible button on the screen, the window
centred on its parent, one Alt+letter per control. Used by the GUI tests and by
``tests/tools/render_gui_screens.py --check`` (which walks every page of every window)."""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QGroupBox,
    QLabel,
    QScrollArea,
    QWidget,
)

__all__ = [
    "centre_problems",
    "horizontal_scrolling",
    "mnemonic_clashes",
    "mnemonics",
    "outside_screen",
]


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
    while p is not None and not isinstance(p, QScrollArea) and not p.isWindow():
        p = p.parentWidget()
    return p if isinstance(p, QScrollArea) else None  # never one of another window


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


def _shown_in(w: QWidget, top: QWidget) -> bool:
    """Whether ``w`` is laid out under ``top``: not hidden, nor any parent up to ``top`` —
    except the pages of a stacked widget, which are hidden yet size the stack."""
    from PySide6.QtWidgets import QStackedWidget

    node: QWidget | None = w
    while node is not None and node is not top:
        parent = node.parentWidget()
        if node.isHidden() and not isinstance(parent, QStackedWidget):
            return False
        node = parent
    return True


def _min_width(w: QWidget) -> int:
    return max(w.minimumSizeHint().width(), w.minimumWidth())


def _too_wide(inside: QWidget, width: int) -> list[str]:
    """The innermost widgets under ``inside`` that will not shrink to ``width`` (their minimum
    width is larger): what makes a page scroll sideways, named for the failure message."""
    wide = [
        w for w in inside.findChildren(QWidget) if _shown_in(w, inside) and _min_width(w) > width
    ]
    innermost = [w for w in wide if not any(o is not w and w.isAncestorOf(o) for o in wide)]
    return [f"{w.objectName() or type(w).__name__} (min {_min_width(w)})" for w in innermost[:8]]


def horizontal_scrolling(window: QWidget) -> list[str]:
    """Visible scroll areas, text boxes and lists of ``window`` that need a horizontal scroll
    bar: a page (or a text) wider than the window is read by scrolling sideways at every line.
    Tables are exempt (a column too wide for the window is scrolled to, by design)."""
    from PySide6.QtWidgets import QTableView

    out: list[str] = []
    for area in window.findChildren(QAbstractScrollArea):
        if not area.isVisible() or area.window() is not window or isinstance(area, QTableView):
            continue
        bar = area.horizontalScrollBar()
        if bar.maximum() <= 0 and not bar.isVisible():
            continue
        name = area.objectName() or type(area).__name__
        width = area.viewport().width()
        culprits = _too_wide(area.widget(), width) if isinstance(area, QScrollArea) else []
        why = f": too wide {', '.join(culprits)}" if culprits else ""
        out.append(f"{name} scrolls sideways ({bar.maximum()} px, viewport {width}){why}")
    return out
