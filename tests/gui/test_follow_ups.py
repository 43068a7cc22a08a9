"""Follow-ups closed from the main window: the open steps of review records listed, one closed
by a named person with what was done, on the record and in the signed log; a stale list, no
name and share material are refused with nothing recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.adapters import TrailReconstructionRecorder, TrailRetiredSets
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.reconstruct_flow import CHECKLIST, ReconstructFlow
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.follow_ups_dialog import FollowUpsDialog
from breakglass_gui.gui.main_window import MainWindow, Services

pytestmark = pytest.mark.gui

OUT = Path(__file__).parent / "out"
PEOPLE = [Custodian("Ana Ruiz", "on-call"), Custodian("Ben Okafor"), Custodian("Chen Wu")]


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    services = build_services(tmp_path / "home", clock=clock)
    trail: AuditTrail = services.trail
    made = split_credential(
        b"prod-db root: staple", policy=Policy.simple(2, 3), label="prod-db root",
        custodians=PEOPLE,
    )  # fmt: skip
    cid = trail.split_started(
        label="prod-db root", policy=made.header.policy, custodians=[s.holder for s in made.shares]
    )
    trail.split_finished(cid, made)
    # a real use whose post-use steps were left for later: four follow-ups
    recorder = TrailReconstructionRecorder(trail)
    flow = ReconstructFlow(recorder, clock=clock, retired=TrailRetiredSets(trail))
    flow.authorise("INC-4821", flow.config.triggers[0], "Ana Ruiz", ["Ben Okafor"])
    flow.wizard.next()
    for share in made.shares[:2]:
        assert flow.offer_text(share.qr_texts()[0], "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()
    flow.announcement_posted(True, "test")
    flow.wizard.next()  # from the announce step to the reveal
    flow.reveal()
    flow.wizard.next()
    flow.defer_checklist()
    flow.wizard.finish()
    yield services
    trail.close()


def closes(trail: AuditTrail) -> list[tuple[int, int, str]]:
    return [
        (e.fields["review"], e.fields["follow_up"], e.fields["by"])
        for e in read_entries(trail.log_path)
        if e.event == "follow_up_closed"
    ]


def test_follow_ups_are_closed_from_the_main_window(qtbot: Any, services: Services) -> None:
    trail: AuditTrail = services.trail
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    assert window.follow_ups_button.text() == "&Follow-ups: 4 open…"
    qtbot.mouseClick(window.follow_ups_button, Qt.MouseButton.LeftButton)
    dialog = window.open_dialogs[-1]
    assert isinstance(dialog, FollowUpsDialog)
    qtbot.addWidget(dialog)
    labels = [label for _key, label in CHECKLIST]
    shown = [dialog.list.item(k).text() for k in range(dialog.list.count())]
    assert shown == [
        f"review 1 #{n} (INC-4821, prod-db root): post-use step open: {label}"
        for n, label in enumerate(labels, start=1)
    ]
    assert not dialog.close_item.isEnabled()  # no name yet
    dialog.by.setText("Ana Ruiz")
    dialog.note.setText("rotated in the vault, CHG-12")
    QApplication.processEvents()
    OUT.mkdir(exist_ok=True)
    dialog.grab().save(str(OUT / "follow-ups.png"))
    window.grab().save(str(OUT / "main-window-follow-ups.png"))
    assert dialog.close_item.isEnabled()
    dialog.close_item.click()
    assert dialog.list.count() == 3 and "Closed and recorded: review 1 #1" in dialog.message.text()
    assert closes(trail) == [(1, 1, "Ana Ruiz")]
    assert window.follow_ups_button.text() == "&Follow-ups: 3 open…"  # the window refreshed
    _, _, record = trail.registry.review(1) or (0, "", {})
    assert record["follow_ups_closed"][0].startswith("#1 post-use step open: Rotate")

    # a second window's list, made before that close, cannot close it again
    stale = FollowUpsDialog(trail)
    qtbot.addWidget(stale)
    other = FollowUpsDialog(trail)
    qtbot.addWidget(other)
    other.by.setText("Ben Okafor")
    other.list.setCurrentRow(0)  # #2
    assert other.close_selected()
    stale.by.setText("Chen Wu")
    stale.list.setCurrentRow(0)  # also #2, already closed meanwhile
    log = trail.log_path.read_bytes()
    assert not stale.close_selected()
    assert "Not closed: follow-up 2 of review record 1 is already closed" in stale.message.text()
    # share material in the note is refused; nothing recorded either time
    stale.reload()
    stale.note.setText(" ".join(["academic"] * 12))
    assert not stale.close_selected() and "share material" in stale.message.text()
    assert trail.log_path.read_bytes() == log
    assert closes(trail) == [(1, 1, "Ana Ruiz"), (1, 2, "Ben Okafor")]
    assert trail.verify().ok
