"""The widgets that let a page fit a narrow window (``gui/widgets/wrapping.py``): a check box or
radio button whose text wraps instead of widening the page, still clicked by its text, its
Alt+letter and the keyboard; two parts side by side that stack when the window is narrow."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget
from screen_checks import mnemonics

from breakglass_gui.gui.widgets.wrapping import SideBySide, WrapCheckBox, WrapRadioButton

pytestmark = pytest.mark.gui

LONG = "Re-split the new credential (opens the split ceremony replacing this set)"


def _host(qtbot: Any, *widgets: QWidget, width: int) -> QWidget:
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    for w in widgets:
        layout.addWidget(w)
    layout.addStretch(1)
    host.resize(width, 400)
    host.show()
    qtbot.waitExposed(host)
    return host


@pytest.mark.parametrize("cls", [WrapCheckBox, WrapRadioButton])
def test_a_long_label_wraps_instead_of_widening_the_window(qtbot: Any, cls: type) -> None:
    plain = QCheckBox(LONG)
    box = cls(LONG)
    assert box.minimumSizeHint().width() < plain.minimumSizeHint().width() // 2
    host = _host(qtbot, box, width=220)
    assert host.minimumSizeHint().width() <= 220
    assert box.width() <= 220
    one_line = box.fontMetrics().height()
    # the whole text is there, on several lines: the box grew in height, not in width
    assert box.height() >= 3 * one_line
    assert box.heightForWidth(box.width()) == box.height()
    assert box.text() == LONG  # accessible name, tests and the review record read it
    # the text on its last line is part of the button: a click there ticks it
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(box.width() // 2, box.height() - 3))
    assert box.isChecked()
    # wide enough: one line, as a plain check box
    host.resize(900, 400)
    qtbot.waitUntil(lambda: box.width() > 700)
    assert box.height() < 2 * one_line


def test_the_wrapped_box_keeps_its_alt_letter_and_keyboard(qtbot: Any) -> None:
    box = WrapCheckBox("&Postmortem the outage and review this break-glass use (blameless)")
    other = WrapCheckBox("&Rotate the credential")
    host = _host(qtbot, other, box, width=200)
    assert box.shortcut() == QKeySequence("Alt+P")
    assert mnemonics(host) == {"p": [box.text().replace("&", "")], "r": ["Rotate the credential"]}
    qtbot.keyClick(box, Qt.Key.Key_Space)  # the keyboard ticks it
    assert box.isChecked() and not other.isChecked()


def test_side_by_side_stacks_when_narrow_and_never_needs_the_sum_of_both(qtbot: Any) -> None:
    first, second = QWidget(), QWidget()
    first.setMinimumWidth(400)
    second.setMinimumWidth(300)
    both = SideBySide(first, second, (3, 2))
    assert both.minimumSizeHint().width() == 400  # not 700: a narrow window stacks them
    host = _host(qtbot, both, QLabel("below"), width=1000)
    assert both.side_by_side()
    assert first.geometry().right() < second.geometry().left()
    host.resize(500, 600)
    qtbot.waitUntil(lambda: not both.side_by_side())
    qtbot.waitUntil(lambda: second.geometry().top() > first.geometry().bottom())
    assert second.width() <= 500 and first.width() <= 500
    host.resize(1000, 600)
    qtbot.waitUntil(both.side_by_side)
