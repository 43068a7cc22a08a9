"""The main window: the registry at a glance, the actions and their hooks, the smoke start."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import (
    ManualClock,
    MemoryAuditSink,
    MemoryRegistry,
    PortsSplitRecorder,
)
from breakglass_gui.gui.main_window import MainWindow, Services
from breakglass_gui.gui.split_wizard import SplitWizard

pytestmark = pytest.mark.gui

TODAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
ROWS = [
    SetRow(
        "1111-2222-3333-4444",
        "prod-db root",
        "3-of-5",
        "active",
        dt.date(2026, 5, 1),
        5,
        dt.date(2026, 5, 20),
    ),
    SetRow(
        "AAAA-BBBB-CCCC-DDDD",
        "aws root",
        "2-of-3",
        "rotation-due",
        dt.date(2025, 1, 1),
        3,
        None,
        (2, 3),
        2,
    ),
    SetRow("9999-8888-7777-6666", "old vault", "2-of-3", "retired", dt.date(2024, 1, 1), 3),
]


def services(rows: list[SetRow]) -> Services:
    clock = ManualClock(TODAY)

    class NoPaper:
        def share_sheet(self, *a: Any) -> bytes:
            raise AssertionError("not used")

        ceremony_record = runbook = share_sheet

    return Services(
        renderer=NoPaper(),
        new_split_recorder=lambda: PortsSplitRecorder(MemoryAuditSink(clock), MemoryRegistry()),
        rows=lambda: list(rows),
        clock=clock,
    )


def test_rows_show_status_drill_age_checkins_and_bypass_rate(qtbot: Any) -> None:
    window = MainWindow(services(ROWS))
    qtbot.addWidget(window)
    t = window.table
    assert t.rowCount() == 3 and window.empty_label.isHidden()
    assert [t.item(r, 3).text() for r in range(3)] == ["Active", "Rotation due", "Retired"]
    assert t.item(0, 4).text() == "2026-05-20 (12 days ago)"
    assert t.item(1, 4).text() == "never drilled"
    assert t.item(1, 5).text() == "2 shares not seen for a year"
    assert t.item(1, 6).text() == "2 real uses / 90 days"
    t.selectRow(1)
    details = window.details.text()
    assert "Rotate" in details and "Run a drill" in details and "2, 3" in details
    assert window.rotate_button.isEnabled()
    t.selectRow(2)
    assert not window.rotate_button.isEnabled()


def test_empty_registry_says_how_to_start(qtbot: Any) -> None:
    window = MainWindow(services([]))
    qtbot.addWidget(window)
    window.show()
    assert window.empty_label.isVisible() and not window.table.isVisible()
    assert "New split ceremony" in window.empty_label.text()


def test_rotate_opens_the_split_wizard_replacing_the_set(qtbot: Any) -> None:
    window = MainWindow(services(ROWS))
    qtbot.addWidget(window)
    window.table.selectRow(1)
    wizard = window.rotate_selected()
    assert isinstance(wizard, SplitWizard)
    assert wizard.ceremony.replaces is not None
    assert wizard.ceremony.replaces.fingerprint == "AAAA-BBBB-CCCC-DDDD"
    assert wizard.pages["credential"].name.text() == "aws root"
    wizard.confirm = lambda *a: True
    wizard.close()


def test_every_action_has_a_button_and_a_replaceable_handler(qtbot: Any) -> None:
    window = MainWindow(services(ROWS))
    qtbot.addWidget(window)
    called: list[str] = []
    for key, button in window.buttons.items():
        assert button.accessibleName() and button.objectName()
        window.handlers[key] = lambda w, k=key: called.append(k)
        button.click()
    assert called == [
        "split",
        "reconstruct",
        "drill",
        "checkin",
        "audit",
        "follow_ups",
        "import_card",
        "send_share",
    ]


def test_audit_log_dialog_verifies(qtbot: Any, gui_services: Any) -> None:
    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.buttons["audit"].click()  # the built-in log dialog (no plug-in lookup any more)
    dialog = window.open_dialogs[-1]
    assert dialog.verify() is True
    assert dialog.verify_result.text().startswith("✔")


def test_exit_when_ready_starts_and_exits_zero(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BREAKGLASS_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "breakglass_gui.gui.app", "--exit-when-ready"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "registry.sqlite3").exists()
