"""Loud by construction in the GUI: the announcement (text + QR, decoded back by the project's
scanner) is shown before the reveal, and a mirror that dies between the quorum and the reveal
keeps the credential sealed (the gate is checked again, as its own call, at the reveal)."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage
from test_integration_break_glass import authorise, open_wizard, register

from breakglass_gui.audit.announce import Announcement
from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import MirrorError, Settings
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from breakglass_gui.gui.announcement import AnnouncementBox
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.scan.decoders import OpenCVDecoder

SECRET = b"announce-then-reveal"
OUT = Path(__file__).parent / "out"


def grey(image: QImage) -> Any:
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h)
    return data.reshape(h, stride)[:, :w].copy()


def test_announcement_box_shows_text_and_a_qr_the_scanner_reads_back(qtbot: Any) -> None:
    ann = Announcement(
        kind="reconstruction",
        when=dt.datetime(2026, 3, 2, 3, 14, tzinfo=dt.UTC),
        count=42,
        head="ab" * 32,
        label="prod-db root",
        set_fp="8F4A-F4EC-F9B9-63CB",
        incident="INC-5150",
        operator="Ana Ruiz",
        witnesses=("Ben Okafor",),
    )
    box = AnnouncementBox()
    qtbot.addWidget(box)
    box.show_announcement(ann)
    box.resize(760, 320)
    box.show()
    assert box.isVisible()
    text = box.text.toPlainText()
    assert text == ann.text()
    for needle in ("prod-db root", "INC-5150", "Ana Ruiz", "Ben Okafor", "2026-03-02 03:14:00 UTC"):
        assert needle in text
    assert "Audit anchor: 42:" + "ab" * 10 in text
    pixmap = box.qr.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    [found] = OpenCVDecoder().decode(grey(pixmap.toImage()))
    assert found.text == text
    OUT.mkdir(exist_ok=True)
    box.grab().save(str(OUT / "announcement_box.png"))
    with qtbot.waitSignal(box.answered) as blocker:
        box.posted.click()
    assert blocker.args == [True]


class FlakyMirror:
    """Counts the gate's probes and fails exactly one of them."""

    name = "flaky"

    def __init__(self) -> None:
        self.probes = 0
        self.fail_on = -1
        self.sent: list[int] = []

    def probe(self) -> None:
        self.probes += 1
        if self.probes == self.fail_on:
            raise MirrorError("the mirror went down")

    def send(self, entry: Entry, text: str) -> None:
        self.sent.append(entry.seq)


@pytest.mark.parametrize("action", ["show", "copy"])
def test_a_mirror_dying_between_quorum_and_reveal_stops_the_gui_reveal(
    qtbot: Any, tmp_path: Path, action: str
) -> None:
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    main = split_credential(SECRET, policy=Policy.simple(2, 3), label="prod-db root")
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    try:
        register(trail, main)
        mirror = FlakyMirror()
        trail.settings = Settings([{"type": "file", "path": "unused"}], "fail-closed")
        trail.mirrors = [mirror]
        services.cameras = lambda: []
        window = MainWindow(services)
        qtbot.addWidget(window)
        wizard = open_wizard(qtbot, window, "reconstruct")
        authorise(wizard, "INC-5152")
        page = wizard.collect_page
        page.type_button.click()
        for k in (0, 1):
            page.typed.setPlainText(main.shares[k].transcription())
            page.add_typed.click()
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.wizard.current == "reveal", timeout=10000)
        reveal = wizard.reveal_page
        assert reveal.announce.isVisible()  # shown with mirrors too
        assert reveal.panel.toggle.isEnabled(), "every mirror is up: the gate is open"
        before = mirror.probes
        assert before >= 1, "the gate was checked when the reveal step opened"
        mirror.fail_on = before + 1  # dies now, between the quorum and the reveal
        if action == "show":
            reveal.panel.show_secret()
            assert not reveal.panel.view.shown
        else:
            reveal.panel.copy_button.click()
            assert "Not copied" in reveal.panel.clip_notice.text()
        assert mirror.probes >= before + 1, "the reveal checked the gate again"
        kinds = [e.event for e in read_entries(trail.log_path)]
        assert "secret_revealed" not in kinds and "secret_copied" not in kinds
        wizard.cancel()
    finally:
        trail.close()
    gc.collect()
