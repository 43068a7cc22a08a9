"""The operator's remote-share dialog on the collect page: key, safety code, envelopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from breakglass_gui.ceremony.reconstruct_flow import OfferKind, ShareCollector
from breakglass_gui.ceremony.remote import RemoteIntake
from breakglass_gui.core.envelope import OneTimeKey, seal_share
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.gui.remote_dialog import RemoteShareDialog

OUT = Path(__file__).parent / "out"


def _texts() -> list[str]:
    shares = split_credential(
        b"remote-root",
        policy=Policy.simple(2, 3),
        label="AWS root",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares
    return ["\n".join(s.qr_texts()) + "\n" for s in shares]


def test_dialog_shows_key_and_opens_envelopes(qtbot: Any, tmp_path: Path) -> None:
    texts = _texts()
    collector = ShareCollector()
    intake = RemoteIntake(collector)
    offers: list[Any] = []
    dialog = RemoteShareDialog(intake, on_offer=offers.append)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.recipient.text() == intake.recipient
    assert intake.safety_code in dialog.safety.text()
    # the QR code decodes back to the recipient
    import cv2

    from breakglass_gui.scan.decoders import ZxingDecoder

    png = tmp_path / "key-qr.png"
    assert dialog.qr.pixmap().save(str(png))
    frame = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert [d.text for d in ZxingDecoder().decode(frame)] == [intake.recipient]

    dialog.envelope.setPlainText(seal_share(texts[0], intake.recipient))
    first = dialog.open_pasted()
    assert first is not None and first.kind is OfferKind.ACCEPTED
    assert "Received remotely" in dialog.outcome.text() and not dialog.envelope.toPlainText()
    other = tmp_path / "other.age"
    other.write_text(seal_share(texts[1], OneTimeKey.generate().recipient))
    refused = dialog.load_file(other)
    assert refused is not None and refused.kind is OfferKind.REFUSED
    assert "another ceremony" in dialog.outcome.text()
    dup = dialog.receive(seal_share(texts[0], intake.recipient), "again.age")
    assert dup.kind is OfferKind.REFUSED and "already collected" in dup.message
    good = tmp_path / "share-2.age"
    good.write_text(seal_share(texts[1], intake.recipient))
    assert dialog.load_file(good) is not None
    assert collector.status()[0] and [o.kind for o in offers].count(OfferKind.ACCEPTED) == 2
    OUT.mkdir(exist_ok=True)
    dialog.resize(760, 560)
    dialog.grab().save(str(OUT / "remote-share-dialog.png"))
