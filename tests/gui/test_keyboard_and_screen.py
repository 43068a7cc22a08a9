"""Keyboard and screen, as a tired user meets them.

* Tab follows the fields in reading order and hands over to Next (never to Cancel, so Return
  in the last field goes on); Return presses Next; Escape asks the same question as Cancel
  and the window's X once anything was entered.
* The custodians table: Tab skips the read-only Share column and leaves the table after the
  last cell instead of wrapping to row 1.
* Every page of every window (walked by ``tests/tools/render_gui_screens.py --check`` over
  the real services): every visible button inside the screen's available area, windows
  centred on their parent, one control per Alt+letter, no page, text box or list that needs a
  horizontal scroll bar — on a 1280×720 screen at 100 %, the same at 200 % (2560×1440
  physical), a 1024×600 one and an 800×600 one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from screen_checks import horizontal_scrolling, mnemonic_clashes, outside_screen

from breakglass_gui.ceremony.ports import ManualClock, MemoryReconstructionRecorder
from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _wizard(qtbot: Any, asked: list[str]) -> ReconstructWizard:
    clock = ManualClock()
    flow = ReconstructFlow(MemoryReconstructionRecorder(clock), clock=clock)

    def confirm() -> bool:
        asked.append("stop?")
        return False

    wizard = ReconstructWizard(flow, cameras=[], confirm_close=confirm)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    return wizard


def _tab_from(qtbot: Any, widget: QWidget, times: int) -> list[str]:
    widget.setFocus()
    seen = []
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget().objectName())
    return seen


def test_trigger_page_tab_order_ends_on_next_and_return_goes_on(qtbot: Any) -> None:
    wizard = _wizard(qtbot, [])
    page = wizard.trigger_page
    page.incident.setText("INC-4821")
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    order = _tab_from(qtbot, page.kind, 5)
    assert order == ["incident", "trigger", "operator", "witnesses", "nextButton"]
    assert "cancelButton" not in order
    # with no witness the reason field comes in reading order, before Next
    page.witnesses.clear()
    page.no_witness.setText("the only other on-call engineer is unreachable")
    assert _tab_from(qtbot, page.operator, 3) == ["witnesses", "noWitnessReason", "nextButton"]
    # a focused Cancel does not take Return: Return is the default button's (Next)
    page.no_witness.clear()  # Next disabled: Tab passes Back (disabled) to Cancel
    assert _tab_from(qtbot, page.operator, 3) == ["witnesses", "noWitnessReason", "cancelButton"]
    qtbot.keyClick(wizard.cancel_button, Qt.Key.Key_Return)
    assert wizard.flow.wizard.running and wizard.isVisible()
    page.witnesses.setText("Ben Okafor")
    # Return in the last field presses the default button, Next
    page.witnesses.setFocus()
    qtbot.keyClick(page.witnesses, Qt.Key.Key_Return)
    assert wizard.flow.wizard.current == "collect"


def test_escape_cancel_and_close_ask_once_something_was_entered(qtbot: Any) -> None:
    asked: list[str] = []
    wizard = _wizard(qtbot, asked)
    wizard.trigger_page.operator.setText("Ana Ruiz")  # typed, but nothing Cancel would lose
    qtbot.keyClick(wizard.trigger_page.operator, Qt.Key.Key_Escape)
    assert asked == [] and not wizard.isVisible()  # nothing entered: closes at once

    asked.clear()
    wizard = _wizard(qtbot, asked)
    wizard.trigger_page.incident.setText("INC-4821")
    qtbot.keyClick(wizard.trigger_page.incident, Qt.Key.Key_Escape)
    assert asked == ["stop?"] and wizard.isVisible()  # said No: nothing lost
    wizard.cancel_button.click()
    assert asked == ["stop?"] * 2 and wizard.isVisible()
    wizard.close()
    assert asked == ["stop?"] * 3 and wizard.isVisible()
    assert wizard.trigger_page.incident.text() == "INC-4821"
    wizard._confirm_close = lambda: True
    with qtbot.waitSignal(wizard.closed_with) as sig:
        wizard.cancel_button.click()
    assert sig.args == ["cancelled"] and not wizard.isVisible()


def test_custodians_table_tab_skips_read_only_cells_and_leaves_after_the_last(
    qtbot: Any, gui_services: Any
) -> None:
    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.show()
    wizard = window.open_split_wizard()
    wizard.confirm = lambda *a: True
    wizard.pages["credential"].name.setText("prod-db root")
    wizard.pages["credential"].generate()
    assert wizard.go_next() and wizard.go_next()  # policy 2-of-3 -> custodians
    table = wizard.pages["custodians"].table
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    editable = [
        c
        for c in range(table.columnCount())
        if not table.isColumnHidden(c)
        and (table.item(0, c) is None or table.item(0, c).flags() & Qt.ItemFlag.ItemIsEditable)
    ]
    assert 0 not in editable and 2 in editable  # Share is read-only, Name is not
    first, last = editable[0], editable[-1]
    table.setFocus()
    table.setCurrentCell(0, first)
    cells = []
    for _ in range(len(editable) + 1):
        qtbot.keyClick(table, Qt.Key.Key_Tab)
        cells.append((table.currentRow(), table.currentColumn()))
    # along row 1's editable cells, then row 2's first editable one: the Share column skipped
    assert cells == [(0, c) for c in editable[1:]] + [(1, first), (1, editable[1])]
    table.setCurrentCell(table.rowCount() - 1, last)  # the last cell
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table  # left the table, no wrap to row 1
    assert table.currentRow() == table.rowCount() - 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is table


def test_the_checks_see_what_they_look_for(qtbot: Any) -> None:
    """Positive controls: a button off the screen and two controls on one Alt+letter."""
    w = QWidget()
    qtbot.addWidget(w)
    layout = QVBoxLayout(w)
    layout.addWidget(QPushButton("&Save all"))
    layout.addWidget(QPushButton("&Select"))
    w.show()
    assert mnemonic_clashes(w) == ["Alt+S: Save all / Select"]
    area = w.screen().availableGeometry()
    w.move(QPoint(area.right() - 10, area.bottom() - 10))
    assert outside_screen(w)


def test_the_sideways_check_sees_a_page_wider_than_its_window(qtbot: Any) -> None:
    """Positive control: a page with a long check box in a narrow scroll area scrolls
    sideways, and the check names the scroll area and the check box; a wrapped label does not."""
    w = QWidget()
    qtbot.addWidget(w)
    scroll = QScrollArea(w)
    scroll.setObjectName("pageScroll")
    scroll.setWidgetResizable(True)
    page = QWidget()
    inner = QVBoxLayout(page)
    label = QLabel("a label that wraps, however long it is, " * 6)
    label.setWordWrap(True)
    inner.addWidget(label)
    scroll.setWidget(page)
    QVBoxLayout(w).addWidget(scroll)
    w.resize(300, 300)
    w.show()
    qtbot.waitExposed(w)
    assert horizontal_scrolling(w) == []
    box = QCheckBox("Re-split the new credential (opens the split ceremony replacing this set)")
    box.setObjectName("longCheck")
    inner.addWidget(box)
    qtbot.waitUntil(lambda: scroll.horizontalScrollBar().maximum() > 0)
    found = horizontal_scrolling(w)
    assert len(found) == 1 and "pageScroll scrolls sideways" in found[0]
    assert "longCheck" in found[0]


def _screens(tmp_path: Path, width: int, height: int, scale: int) -> dict[str, Any]:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(
        json.dumps(
            {
                "windowFrameMargins": True,
                "screens": [
                    {
                        "name": "S1",
                        "x": 0,
                        "y": 0,
                        "width": width * scale,
                        "height": height * scale,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ],
            }
        )
    )
    report = tmp_path / "check.json"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        QT_SCALE_FACTOR=str(scale),
        BREAKGLASS_DEV="1",
    )
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "tools" / "render_gui_screens.py"),
            "--out",
            str(tmp_path / "png"),
            "--check",
            str(report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data: dict[str, Any] = json.loads(report.read_text())
    return data


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1280, 720, 1), (1280, 720, 2), (1024, 600, 1), (800, 600, 1)],
)
def test_every_page_fits_the_screen_with_unique_mnemonics(
    tmp_path: Path, width: int, height: int, scale: int
) -> None:
    data = _screens(tmp_path, width, height, scale)
    assert data["screen"] == [0, 0, width, height] and data["dpr"] == scale
    screens = data["screens"]
    # every window and page was walked: main window, split 1-7, break glass 1-5, drill, check-in
    assert len(screens) >= 18, sorted(screens)
    trouble = {name: found for name, found in screens.items() if found}
    assert trouble == {}
