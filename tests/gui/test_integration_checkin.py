""" "Check in a share" from the main window: camera, photo and typing; unknown and retired
sets named; check-ins recorded in the signed log; the "not checked in for a year" column
follows at once. No camera at all is a calm message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from PySide6.QtCore import Qt
from reconstruct_photos import blank_frame, sheet_photo

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.checkin_dialog import CheckinDialog
from breakglass_gui.gui.main_window import CameraOption, MainWindow, Services
from breakglass_gui.scan.sources import FakeCamera

pytestmark = pytest.mark.gui

PEOPLE = [
    Custodian("Ana Ruiz", "primary on-call"),
    Custodian("Ben Okafor", "secondary on-call"),
    Custodian("Chen Wu", "engineering manager"),
]
MADE = dt.date(2025, 1, 10)  # over a year before the clock: every share is due a check-in


def register(trail: AuditTrail, share_set: ShareSet) -> None:
    cid = trail.split_started(
        label=share_set.header.label,
        policy=share_set.header.policy,
        custodians=[s.holder for s in share_set.shares],
        operator="Dee Host",
    )
    trail.split_finished(cid, share_set, operator="Dee Host")


@pytest.fixture(scope="module")
def sets() -> dict[str, ShareSet]:
    def make(secret: bytes, label: str) -> ShareSet:
        return split_credential(
            secret, policy=Policy.simple(2, 3), label=label, custodians=PEOPLE, created=MADE
        )

    return {
        "main": make(b"vault root token", "vault root"),
        "old": make(b"vault root token (2024)", "vault root"),
        "foreign": make(b"someone else's", "billing api"),
    }


@pytest.fixture
def services(tmp_path: Path, sets: dict[str, ShareSet]) -> Iterator[Services]:
    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    services = build_services(tmp_path / "home", clock=clock)
    services.operator = "Dee Host"
    trail: AuditTrail = services.trail
    register(trail, sets["old"])
    trail.retire_set(sets["old"].fingerprint_text, by="Dee Host", reason="rotated")
    register(trail, sets["main"])
    yield services
    trail.close()


def open_checkin(qtbot: Any, window: MainWindow) -> CheckinDialog:
    qtbot.mouseClick(window.buttons["checkin"], Qt.MouseButton.LeftButton)
    dialogs = [d for d in window.open_dialogs if isinstance(d, CheckinDialog)]
    assert len(dialogs) == 1
    qtbot.addWidget(dialogs[0])
    return dialogs[0]


def test_check_in_by_camera_photo_and_typing(
    qtbot: Any, tmp_path: Path, services: Services, sets: dict[str, ShareSet]
) -> None:
    main, old, foreign = sets["main"], sets["old"], sets["foreign"]
    fp = main.fingerprint_text
    frames = [sheet_photo(main.shares[1], 41), sheet_photo(main.shares[1], 42), blank_frame()]
    services.cameras = lambda: [CameraOption("Fake camera", lambda: FakeCamera(frames))]
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    r = next(i for i, row in enumerate(window.rows) if row.fingerprint == fp)
    assert window.table.item(r, 5).text() == "3 shares not seen for a year"

    dialog = open_checkin(qtbot, window)
    assert dialog.by.text() == "Dee Host"
    qtbot.waitUntil(lambda: dialog.chooser.currentText() == "Fake camera")  # listed off-thread
    assert dialog.camera_button.isEnabled()
    with qtbot.waitSignal(dialog.checked_in, timeout=30000):
        dialog.camera_button.click()
    assert dialog.outcome_label.text() == (
        f"✔ Share 2 of set {fp} present and intact (Ben Okafor, secondary on-call, "
        "vault root). Recorded in the audit log."
    )
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=10000)  # the fake camera ran out
    assert dialog.done_list.count() == 1  # the same sheet in two frames: checked in once
    r = next(i for i, row in enumerate(window.rows) if row.fingerprint == fp)
    assert window.table.item(r, 5).text() == "2 shares not seen for a year"

    photo = tmp_path / "old-sheet.png"
    cv2.imwrite(str(photo), sheet_photo(old.shares[0], 43))
    outcomes = dialog.load_image(photo)
    assert [o.kind for o in outcomes] == ["retired-set"]
    assert dialog.outcome_label.text().startswith("✘ Refused share 1 of 3 (Ana Ruiz, primary")
    assert f"this share belongs to set {old.fingerprint_text} retired on" in (
        dialog.outcome_label.text()
    )
    nothing = tmp_path / "blank.png"
    cv2.imwrite(str(nothing), blank_frame())
    assert dialog.load_image(nothing) == []
    assert "No share code found in blank.png" in dialog.outcome_label.text()

    dialog.type_button.click()
    dialog.typed.setPlainText(foreign.shares[2].transcription())
    dialog.check_typed.click()
    # refused: what was typed stays (nobody types 33 words and 23 lines twice)
    assert dialog.typed.toPlainText() == foreign.shares[2].transcription()
    assert "(billing api) is not in this registry" in dialog.outcome_label.text()
    dialog.by.setText("Chen Wu")
    dialog.typed.setPlainText(main.shares[2].transcription())
    with qtbot.waitSignal(dialog.checked_in):
        dialog.check_typed.click()
    assert dialog.typed.toPlainText() == ""  # checked in: the typed share is dropped
    r = next(i for i, row in enumerate(window.rows) if row.fingerprint == fp)
    assert window.table.item(r, 5).text() == "1 share not seen for a year"
    assert "Check in share(s) 1" in window.table.item(r, 0).toolTip()

    dialog.close()
    assert dialog not in window.open_dialogs
    trail: AuditTrail = services.trail
    assert trail.verify().ok
    entries = list(read_entries(trail.log_path))
    checkins = [(e.fields["share"], e.fields.get("by")) for e in entries if e.event == "checkin"]
    assert checkins == [(2, "Dee Host"), (3, "Chen Wu")]
    refused = [e.fields["set"] for e in entries if e.event == "checkin_refused"]
    assert refused == [old.fingerprint_text, foreign.fingerprint_text]
    logged = trail.log_path.read_text()
    for share in (*main.shares, *old.shares, *foreign.shares):
        assert share.qr_texts()[0] not in logged and " ".join(share.words) not in logged


def test_no_camera_is_a_calm_message(qtbot: Any, services: Services) -> None:
    services.cameras = lambda: []
    window = MainWindow(services)
    qtbot.addWidget(window)
    dialog = open_checkin(qtbot, window)
    qtbot.waitUntil(
        lambda: dialog.chooser.currentText() == "No camera found — load a photo or type the share"
    )
    assert "No camera found" in dialog.camera.message.text()
    assert dialog.camera_button.text() == "Look for a &camera" and dialog.load_button.isEnabled()
    assert dialog.outcome_label.text() == "Show a share."
    dialog.close()
