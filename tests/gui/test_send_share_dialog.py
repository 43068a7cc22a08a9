"""The remote custodian's side ("Send my share from afar") against the operator's side (the
remote-share dialog): a photographed sheet and a typed one, the safety code, the envelope as
text, QR and a new file — and what a tired custodian or an adversary gets wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import pytest
import qrcode

from breakglass_gui.ceremony.reconstruct_flow import OfferKind, ShareCollector
from breakglass_gui.ceremony.remote import RemoteIntake
from breakglass_gui.core.envelope import ARMOR_HEADER, OneTimeKey
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import parse_share
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.remote_dialog import RemoteShareDialog

pytestmark = pytest.mark.gui
OUT = Path(__file__).parent / "out"
ROOT = Path(__file__).resolve().parents[2]


def test_custodian_sends_and_operator_receives(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    shares = split_credential(
        b"remote-root-credential",
        policy=Policy.simple(2, 3),
        label="AWS root",
        custodians=[
            Custodian("Ana Ruiz", "on-call"),
            Custodian("Bo Chen", "manager"),
            Custodian("Cy Diallo", "security"),
        ],
    ).shares
    # the operator's side
    collector = ShareCollector()
    intake = RemoteIntake(collector)
    operator = RemoteShareDialog(intake)
    qtbot.addWidget(operator)

    # the custodian's side, from the main window
    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.buttons["send_share"].click()
    dialog = window.open_dialogs[-1]
    assert dialog.objectName() == "sendShareDialog"
    assert not dialog.encrypt_button.isEnabled()
    assert not dialog.envelope_box.isVisible()  # nothing to send yet: the camera has the room
    assert dialog.minimumSizeHint().height() <= 600 and dialog.minimumSizeHint().width() <= 800

    # a photo of share 1's code
    [text1] = shares[0].qr_texts()
    photo = tmp_path / "my-sheet.png"
    qrcode.make(text1, box_size=5).save(str(photo))
    offers = dialog.load_image(photo)
    assert [o.kind for o in offers] == ["share"]
    assert "share 1 of 3 (Ana Ruiz, on-call)" in dialog.share_status.text()
    assert "intact" in dialog.share_status.text() and text1 not in dialog.share_status.text()
    assert not dialog.camera.isVisible()  # the picture gives way to the envelope
    # a second, different share is refused: one share at a time
    refused = dialog.offer(shares[1].qr_texts()[0], "camera")
    assert refused.kind == "refused" and "one share at a time" in refused.message

    # a mistyped key: named, no safety code, nothing to encrypt
    dialog.recipient.setText("age1notakey")
    assert "not an age recipient" in dialog.safety.text()
    dialog.confirmed.setChecked(True)
    assert dialog.encrypt() is None and dialog.armored is None
    # the operator's key, photographed off their screen's QR code: the safety code shown is
    # the operator's; encrypt needs it confirmed
    key_photo = tmp_path / "operator-key.png"
    assert operator.qr.pixmap().save(str(key_photo))
    assert [o.kind for o in dialog.load_image(key_photo)] == ["key"]
    assert dialog.recipient.text() == intake.recipient
    assert intake.safety_code in dialog.safety.text()
    assert not dialog.confirmed.isChecked() and not dialog.encrypt_button.isEnabled()
    dialog.confirmed.setChecked(True)
    assert dialog.encrypt_button.isEnabled()
    qtbot.mouseClick(dialog.encrypt_button, qtbot_button())
    armored = dialog.armored
    assert armored is not None and armored.startswith(ARMOR_HEADER)
    assert dialog.envelope_box.isVisible()
    assert dialog.envelope.toPlainText() == armored and text1 not in armored
    # its QR code decodes back to the envelope (a phone photographing the screen)
    from breakglass_gui.scan.decoders import ZxingDecoder

    png = tmp_path / "envelope-qr.png"
    qtbot.wait(50)
    assert dialog.qr.contentsRect().size().expandedTo(dialog.qr.pixmap().size()) == (
        dialog.qr.contentsRect().size()
    )  # the whole code is on screen, not cropped by the layout
    assert dialog.qr.grab().save(str(png))
    frame = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert [d.text for d in ZxingDecoder().decode(frame)] == [armored]

    # saved to a new file; never over an existing one
    out = tmp_path / "share.age"
    assert dialog.save(out) is True and out.read_text() == armored
    assert dialog.save(out) is False and "already exists" in dialog.outcome.text()
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    assert dialog.save(keep) is False and keep.read_text() == "mine"
    assert out.read_text() == armored
    OUT.mkdir(exist_ok=True)
    qtbot.wait(50)
    dialog.grab().save(str(OUT / "send-share-dialog.png"))

    # the operator opens the saved file: share 1 received remotely
    got = operator.load_file(out)
    assert got is not None and got.kind is OfferKind.ACCEPTED

    # Start over, then type share 2 from its sheet; sent to another ceremony's key by mistake
    dialog.start_over()
    assert dialog.armored is None and not dialog.envelope.toPlainText()
    assert dialog.camera.isVisible()
    dialog.type_button.click()
    assert dialog.typed.isVisible()
    dialog.typed.setPlainText(shares[1].transcription())
    typed = dialog.submit_typed()
    assert typed is not None and typed.kind == "share", dialog.share_status.text()
    assert "share 2 of 3 (Bo Chen, manager)" in dialog.share_status.text()
    assert not dialog.typed.toPlainText()  # the typed share is wiped once read
    stale = OneTimeKey.generate()
    dialog.recipient.setText(stale.recipient)
    dialog.confirmed.setChecked(True)
    wrong = dialog.encrypt()
    assert wrong is not None
    refused_offer = operator.receive(wrong, "chat message")
    assert refused_offer.kind is OfferKind.REFUSED and "another ceremony" in refused_offer.message
    # the right key: the operator's quorum is complete
    dialog.recipient.setText(intake.recipient)
    dialog.confirmed.setChecked(True)
    right = dialog.encrypt()
    assert right is not None
    assert operator.receive(right, "chat message").kind is OfferKind.ACCEPTED
    assert collector.status()[0]
    # closing drops the share
    dialog.close()
    assert dialog.share_sender.share is None


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_share_pasted_where_the_key_goes_is_cleared_and_never_echoed(
    qtbot: Any, gui_services: Any
) -> None:
    """A tired custodian pastes their share (or its words) into the operator-key field, or
    pastes a whole chat log there: the share is not shown back, not kept in the field, and
    the custodian is told what happened and what the key looks like.

    The share is the published vector's, not a fresh split: the check below looks for every 8
    characters of the paste in the message, and a fresh split's words sometimes spell 8 of
    the message's own ("credit starting" holds "it start"; about 1 split in 6,000)."""
    vector = json.loads((ROOT / "resources/spec/vectors/vector-2-of-3.json").read_text())
    shares = [parse_share(bytes.fromhex(vector["shares"][0]["record_hex"]))]
    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.buttons["send_share"].click()
    dialog = window.open_dialogs[-1]
    [qr_text] = shares[0].qr_texts()
    words = " ".join(shares[0].words)
    for pasted in [qr_text, f"  {qr_text.lower()}\n", words, words.upper()]:
        dialog.recipient.setText(pasted)
        said = dialog.safety.text()
        assert dialog.recipient.text() == "", "the share stays in the key field"
        assert "share" in said and "age1" in said and "cleared" in said
        for i in range(0, len(pasted.strip()) - 8, 4):  # no 8 characters of it shown back
            assert pasted.strip()[i : i + 8] not in said
        assert not dialog.encrypt_button.isEnabled()
    OUT.mkdir(exist_ok=True)
    qtbot.wait(50)
    dialog.grab().save(str(OUT / "send-share-share-in-key-field.png"))
    # any other wrong text is named without being echoed either (it may be anything)
    dialog.recipient.setText("hunter2-my-password-" * 5000)
    said = dialog.safety.text()
    assert "not an age recipient" in said and "hunter2" not in said and len(said) < 400
