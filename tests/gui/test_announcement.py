"""Loud by construction in the GUI: the announcement (text + QR, decoded back by the project's
scanner) is shown on its own step before the reveal, and a mirror that dies between the quorum
and the reveal keeps the credential sealed (the gate is checked again, as its own call, at the
reveal)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from screen_checks import horizontal_scrolling, mnemonic_clashes
from test_integration_break_glass import authorise, open_wizard, register, type_shares

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
        type_shares(wizard, main.shares[:2])
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
        assert wizard.announce_page.announce.isVisible()  # shown with mirrors too
        assert wizard.next_button.isEnabled(), "every mirror is up: no 'Posted' needed"
        wizard.next_button.click()
        assert wizard.wizard.current == "reveal"
        reveal = wizard.reveal_page
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


# -- the announce step ----------------------------------------------------------------------------


def widget_texts(top: QWidget) -> list[str]:
    """Every text a widget under ``top`` shows or names (labels, buttons, edits, titles,
    accessible names, tool tips)."""
    out: list[str] = []
    for w in [top, *top.findChildren(QWidget)]:
        for attr in ("text", "toPlainText", "title", "placeholderText", "currentText"):
            fn = getattr(w, attr, None)
            if callable(fn):
                with contextlib.suppress(TypeError):
                    value = fn()
                    if isinstance(value, str):
                        out.append(value)
        out += [w.accessibleName(), w.accessibleDescription(), w.toolTip(), w.windowTitle()]
    return out


def posted_answers(trail: AuditTrail) -> list[tuple[bool, str]]:
    return [
        (e.fields["posted"], e.fields["how"])
        for e in read_entries(trail.log_path)
        if e.event == "announcement_posted"
    ]


@pytest.fixture
def real_use(qtbot: Any, tmp_path: Path) -> Iterator[tuple[Any, AuditTrail]]:
    """A real use through the main window, no mirror configured, up to the quorum."""
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    main = split_credential(SECRET, policy=Policy.simple(2, 3), label="prod-db root")
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    register(trail, main)
    services.cameras = lambda: []
    window = MainWindow(services)
    qtbot.addWidget(window)
    wizard = open_wizard(qtbot, window, "reconstruct")
    wizard.show()
    authorise(wizard, "INC-5160")
    type_shares(wizard, main.shares[:2])
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.wizard.current != "reconstruct", timeout=10000)
    try:
        yield wizard, trail
    finally:
        wizard.cancel()
        trail.close()
        gc.collect()


def test_the_announcement_is_its_own_step_before_the_reveal(
    qtbot: Any, real_use: tuple[Any, AuditTrail]
) -> None:
    wizard, trail = real_use
    assert wizard.wizard.current == "announce"
    assert "reveal" not in list(wizard.wizard.path())
    page = wizard.announce_page
    assert wizard.title.text() == "Announce"
    ann = wizard.flow.announcement()
    assert ann is not None and "Incident: INC-5160" in ann.text()
    # the text, the QR code of the text (read back by the project's scanner), the anchor
    assert page.announce.text.toPlainText() == ann.text()
    pixmap = page.announce.qr.pixmap()
    [found] = OpenCVDecoder().decode(grey(pixmap.toImage()))
    assert found.text == ann.text()
    assert ann.anchor in page.anchor.text()
    assert f"breakglass audit verify --anchor {ann.anchor}" in page.anchor.text()
    # what to do next, in plain words; Next waits for the answer
    assert page.next_words.text() == "Post this to the incident channel, then press Posted."
    assert not wizard.next_button.isEnabled()
    assert "then press Posted" in wizard.problems.text()
    assert not page.override_box.isVisible()  # "Not posted" comes first
    # the credential is held, sealed: no widget anywhere in the window shows or names it
    secret = wizard.flow.secret
    assert secret is not None and bytes(secret) == SECRET
    texts = widget_texts(wizard)
    assert not [t for t in texts if SECRET.decode() in t]
    assert not wizard.reveal_page.panel.view.shown
    kinds = [e.event for e in read_entries(trail.log_path)]
    assert "quorum_reached" in kinds and "secret_revealed" not in kinds
    assert "announcement_posted" not in kinds
    assert page.hold.text().startswith("The credential stays sealed on this step.")


def test_not_posted_goes_on_only_by_the_typed_override(
    qtbot: Any, real_use: tuple[Any, AuditTrail]
) -> None:
    wizard, trail = real_use
    page = wizard.announce_page
    page.announce.not_posted.click()
    assert posted_answers(trail) == [(False, "operator said it was not posted")]
    assert not wizard.next_button.isEnabled()
    assert not wizard.go_next() and wizard.wizard.current == "announce"
    assert page.next_words.text().startswith("Not posted (logged): the credential stays sealed")
    assert page.override_box.isVisible()
    assert mnemonic_clashes(wizard) == []  # Alt+O: the override
    page.override_reason.setText("short")
    page.override_button.click()
    assert "at least" in page.override_text.text()
    assert not wizard.next_button.isEnabled()
    page.override_reason.setText("Slack is down in the same outage, INC-5160")
    page.override_button.click()
    assert "Override recorded" in page.next_words.text()
    assert wizard.next_button.isEnabled()
    wizard.next_button.click()
    assert wizard.wizard.current == "reveal"
    wizard.reveal_page.panel.toggle.click()
    assert wizard.reveal_page.panel.view.shown
    kinds = [e.event for e in read_entries(trail.log_path)]
    assert kinds.index("announcement_posted") < kinds.index("mirror_override")
    assert kinds.index("mirror_override") < kinds.index("secret_revealed")
    assert posted_answers(trail) == [(False, "operator said it was not posted")]


def test_posted_is_logged_once_through_back_and_next_and_back_hides_the_credential(
    qtbot: Any, real_use: tuple[Any, AuditTrail]
) -> None:
    wizard, trail = real_use
    page = wizard.announce_page
    page.announce.posted.click()
    assert page.next_words.text() == "Posted and logged. Press Next to go to the reveal."
    assert wizard.next_button.isEnabled()
    page.announce.posted.click()  # pressed twice: one answer
    wizard.next_button.click()
    assert wizard.wizard.current == "reveal"
    reveal = wizard.reveal_page
    reveal.panel.toggle.click()
    assert reveal.panel.view.shown
    assert wizard.back_button.isEnabled()
    wizard.back_button.click()
    assert wizard.wizard.current == "announce"
    assert not reveal.panel.view.shown and wizard.flow.revealed_until is None
    assert page.announce.status.text() == "Logged: posted."
    assert not [t for t in widget_texts(wizard) if SECRET.decode() in t]
    wizard.next_button.click()
    wizard.back_button.click()
    wizard.next_button.click()
    assert wizard.wizard.current == "reveal"
    assert posted_answers(trail) == [(True, "confirmed posted in the app")]
    kinds = [e.event for e in read_entries(trail.log_path)]
    assert kinds.count("quorum_reached") == 1  # announced once
    wizard.next_button.click()  # Done: wiped
    assert wizard.wizard.current == "after" and wizard.flow.secret is None


def test_the_announce_step_by_keyboard_alone(qtbot: Any, real_use: tuple[Any, AuditTrail]) -> None:
    wizard, trail = real_use
    page = wizard.announce_page
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.announce.copy_button)
    seen = []
    for _ in range(6):  # Tab through the page: the answers are reachable
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
        if seen[-1] is page.announce.posted:
            break
    assert QApplication.focusWidget() is page.announce.posted
    qtbot.keyClick(page.announce.posted, Qt.Key.Key_Space)
    assert posted_answers(trail) == [(True, "confirmed posted in the app")]
    assert QApplication.focusWidget() is wizard.next_button  # Enter goes on
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Return)
    assert wizard.wizard.current == "reveal"


@pytest.mark.parametrize("size", [(800, 600), (1280, 800)])
def test_the_announce_step_fits_the_screen(
    qtbot: Any, real_use: tuple[Any, AuditTrail], size: tuple[int, int]
) -> None:
    wizard, _trail = real_use
    wizard.resize(*size)
    QApplication.processEvents()
    OUT.mkdir(exist_ok=True)
    wizard.grab().save(str(OUT / f"announce-step-{size[0]}x{size[1]}.png"))
    assert wizard.width() <= size[0] and wizard.height() <= size[1]
    for button in (wizard.next_button, wizard.back_button, wizard.cancel_button):
        corner = button.mapTo(wizard, button.rect().bottomRight())
        assert wizard.rect().contains(corner), button.text()
    # the answers are in the page's scroll area: scrolled to, they are on screen
    page = wizard.announce_page
    wizard.page_scroll.ensureWidgetVisible(page.announce.posted)
    QApplication.processEvents()
    visible = wizard.page_scroll.viewport().rect()
    for button in (page.announce.posted, page.announce.not_posted):
        top_left = button.mapTo(wizard.page_scroll.viewport(), button.rect().topLeft())
        assert visible.contains(top_left), button.text()
    assert horizontal_scrolling(wizard) == []
    assert mnemonic_clashes(wizard) == []


def test_a_drill_set_drill_has_no_announce_step(qtbot: Any, tmp_path: Path) -> None:
    """A drill is not a use: nothing is announced, nothing asked; a drill set's credential
    goes from the reconstruction straight to the reveal."""
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    rehearsal = split_credential(
        b"throwaway drill value", policy=Policy.simple(2, 3), label="drill set", drill=True
    )
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    try:
        register(trail, rehearsal)
        services.cameras = lambda: []
        window = MainWindow(services)
        qtbot.addWidget(window)
        wizard = open_wizard(qtbot, window, "drill")
        page = wizard.trigger_page
        page.incident.setText("SSO down, quarterly drill")
        page.operator.setText("Ana Ruiz")
        page.witnesses.setText("Ben Okafor")
        wizard.next_button.click()
        collect = wizard.collect_page
        collect.type_button.click()
        for k in (0, 1):
            collect.typed.setPlainText(rehearsal.shares[k].transcription())
            collect.add_typed.click()
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.wizard.current == "reveal", timeout=10000)
        assert "announce" not in list(wizard.wizard.path())
        assert wizard.flow.announcement() is None
        wizard.reveal_page.panel.toggle.click()
        assert wizard.reveal_page.panel.view.shown
        assert not wizard.back_button.isEnabled()  # no way back into the reconstruction
        kinds = [e.event for e in read_entries(trail.log_path)]
        assert "secret_revealed" in kinds and "announcement_posted" not in kinds
        wizard.cancel()
    finally:
        trail.close()
    gc.collect()
