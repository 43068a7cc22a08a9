"""An envelope shown as a QR code (a custodian's screen, photographed) on the collect page: opened
with this ceremony's one-time key, read once however many frames show it, and refused by name
before the ceremony has made its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import qrcode

from breakglass_gui.ceremony.ports import ManualClock, MemoryReconstructionRecorder
from breakglass_gui.ceremony.reconstruct_flow import OfferKind, ReconstructFlow
from breakglass_gui.ceremony.remote import share_envelope
from breakglass_gui.core.envelope import OneTimeKey
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard

pytestmark = pytest.mark.gui


def _qr_png(text: str, path: Path) -> Path:
    qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4).save(str(path))
    return path


def test_envelope_qr_on_the_collect_page(qtbot: Any, tmp_path: Path) -> None:
    shares = split_credential(
        b"remote-root-credential",
        policy=Policy.simple(2, 3),
        label="AWS root",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares
    clock = ManualClock()
    flow = ReconstructFlow(MemoryReconstructionRecorder(clock), clock=clock)
    wizard = ReconstructWizard(flow, cameras=[], confirm_close=lambda: True)
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.trigger_page
    page.incident.setText("INC-4821")
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    wizard.next_button.click()
    collect = wizard.collect_page

    # before the ceremony made its key, an envelope cannot be for it: refused by name, once
    early = share_envelope(shares[0], OneTimeKey.generate().recipient)
    [refused] = collect.load_image(_qr_png(early, tmp_path / "early.png"))
    assert refused.kind is OfferKind.REFUSED and "not made its one-time key" in refused.message
    assert collect.offer(early, "camera").repeat  # the next frames: no new line
    assert collect.refused.count() == 1

    dialog = collect.open_remote()
    recipient = dialog.intake.recipient
    envelope = share_envelope(shares[0], recipient)
    [got] = collect.load_image(_qr_png(envelope, tmp_path / "screen.png"))
    assert got.kind is OfferKind.ACCEPTED, got.message
    # the camera sees the same screen frame after frame: read once, no duplicate alarm
    again = collect.offer(envelope, "camera")
    assert again.repeat and collect.refused.count() == 1
    # the same share in a new envelope is a named duplicate; a second share completes
    dup = collect.offer(share_envelope(shares[0], recipient), "camera")
    assert dup.kind is OfferKind.REFUSED and "already collected" in dup.message
    assert collect.offer(share_envelope(shares[2], recipient), "camera").accepted
    assert flow.collector.status()[0]
    assert any("remote" in collect.accepted.item(i).text() for i in range(collect.accepted.count()))
    wizard.cancel()
