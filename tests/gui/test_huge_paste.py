"""A huge paste into a paste box (set card, remote envelope) is refused before Qt lays it out.

Found in an adversary's pass: pasting about 2 MB into the set card dialog froze the window for
minutes (Qt's layout of one long line). The box now refuses any paste above its limit, says so
in plain words, keeps nothing of it, and stays usable for the right text."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import QMimeData

from breakglass_gui.ceremony.reconstruct_flow import OfferKind, ShareCollector
from breakglass_gui.ceremony.remote import RemoteIntake
from breakglass_gui.core.envelope import seal_share
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import parse_transcription
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.remote_dialog import RemoteShareDialog
from breakglass_gui.gui.widgets.bounded_text import PASTE_LIMIT
from breakglass_gui.gui.widgets.share_input import ShareTextEdit

pytestmark = pytest.mark.gui
HUGE = 'BGC1{"card": {' + "x" * 2_000_000 + "}}"


def _paste(box: Any, text: str) -> float:
    """Paste as Ctrl+V does (through the box's insertFromMimeData); the seconds it took."""
    mime = QMimeData()
    mime.setText(text)
    started = time.perf_counter()
    box.insertFromMimeData(mime)
    return time.perf_counter() - started


def test_a_huge_paste_into_the_set_card_box_is_refused(qtbot: Any, gui_services: Any) -> None:
    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.show()
    window.buttons["import_card"].click()
    dialog = window.open_dialogs[-1]
    assert dialog.objectName() == "setCardDialog"
    took = _paste(dialog.pasted, HUGE)
    assert took < 1.0
    assert dialog.pasted.toPlainText() == ""
    said = dialog.outcome.text()
    assert "not pasted" in said and f"{PASTE_LIMIT:,}" in said
    assert dialog.read_pasted() is None  # nothing to read: the box is empty
    _paste(dialog.pasted, "not a card")  # a small paste still goes in
    assert dialog.pasted.toPlainText() == "not a card"
    dialog.reject()


def test_a_huge_paste_into_the_envelope_box_is_refused(qtbot: Any) -> None:
    shares = split_credential(
        b"remote-root",
        policy=Policy.simple(2, 3),
        label="AWS root",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares
    intake = RemoteIntake(ShareCollector())
    dialog = RemoteShareDialog(intake)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _paste(dialog.envelope, HUGE) < 1.0
    assert dialog.envelope.toPlainText() == ""
    assert "not pasted" in dialog.outcome.text()
    # the right envelope, pasted next, is opened as usual
    _paste(dialog.envelope, seal_share("\n".join(shares[0].qr_texts()) + "\n", intake.recipient))
    offer = dialog.open_pasted()
    assert offer is not None and offer.kind is OfferKind.ACCEPTED


def test_a_huge_paste_into_the_typed_share_box_is_refused(qtbot: Any) -> None:
    """The typed-share box takes the longest real transcription but not one long line."""
    shares = split_credential(
        b"k" * 16 * 1024,  # the largest credential: the longest transcription there is
        policy=Policy.simple(2, 3),
        label="Database master key",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares
    box = ShareTextEdit()
    qtbot.addWidget(box)
    box.show()
    assert _paste(box, HUGE) < 1.0
    assert box.toPlainText() == ""
    said = box.status.text()
    assert said.startswith("Not pasted") and f"{len(HUGE):,}" in said
    one_line = " ".join(shares[1].transcription().split())  # the same share, all on one line
    assert _paste(box, one_line) < 1.0
    assert box.toPlainText() == "", "one line of 50,000 characters is no layout of a share"
    assert "Not pasted" in box.status.text()
    transcription = shares[0].transcription()
    assert len(transcription) > 60_000
    _paste(box, transcription)
    assert box.toPlainText() == transcription
    canonical = box.canonical()
    assert canonical is not None
    assert parse_transcription(canonical) == shares[0]
    box.wipe()
    small = shares[2].transcription()
    _paste(box, " ".join(small.split()[:60]))  # a short run on one line still goes in
    assert box.toPlainText() != ""
