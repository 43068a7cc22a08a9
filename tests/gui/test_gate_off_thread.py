"""The reveal gate's mirror checks run off the GUI thread: a mirror that takes its time (an
unreachable one answers only at its network timeout) never freezes the window. While a check
runs the page says so, Next/Show/Copy wait, Cancel and wipe works; the reveal happens only when
the check the operator's own press started comes back open; a late answer after a cancel, a
Back or the hold timeout's wipe does nothing."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from test_announcement import widget_texts
from test_integration_break_glass import authorise, open_wizard, register, save_png, type_shares

from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import MirrorError, Settings
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
from breakglass_gui.gui.workers import pending_tasks

SECRET = b"slow-mirror-credential"
DELAY = 1.5  # what a slow mirror takes to answer (an unreachable one: audit.mirrors.TIMEOUT)


class SlowMirror:
    """Answers each probe after ``delay`` seconds; fails the probes numbered in ``fail``."""

    name = "slow"

    def __init__(self) -> None:
        self.delay = 0.0
        self.fail: set[int] = set()
        self.probes = 0
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def probe(self) -> None:
        with self.lock:
            self.probes += 1
            number = self.probes
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        if number in self.fail:
            raise MirrorError("the mirror did not answer")

    def send(self, entry: Entry, text: str) -> None:
        return None


@dataclass
class Ceremony:
    wizard: ReconstructWizard
    trail: AuditTrail
    mirror: SlowMirror
    clock: ManualClock

    def events(self) -> list[str]:
        return [e.event for e in read_entries(self.trail.log_path)]


class Ticks:
    """A 50 ms timer on the GUI thread: it ticks only while the event loop runs."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1

    def stop(self) -> int:
        self.timer.stop()
        return self.count


@pytest.fixture
def ceremony(qtbot: Any, tmp_path: Path) -> Iterator[Ceremony]:
    """A real use through the main window with one (slow-capable) mirror, up to the quorum;
    the mirror answers at once until the test slows it down."""
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    main = split_credential(SECRET, policy=Policy.simple(2, 3), label="prod-db root")
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    register(trail, main)
    mirror = SlowMirror()
    trail.settings = Settings([{"type": "file", "path": "unused"}], "fail-closed")
    trail.mirrors = [mirror]
    services.cameras = lambda: []
    window = MainWindow(services)
    qtbot.addWidget(window)
    wizard = open_wizard(qtbot, window, "reconstruct")
    wizard.show()
    authorise(wizard, "INC-5170")
    type_shares(wizard, main.shares[:2])
    try:
        yield Ceremony(wizard, trail, mirror, clock)
    finally:
        # no thread is left running: every check's thread has ended before the trail closes
        qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10000)
        assert QThreadPool.globalInstance().waitForDone(10000)
        if wizard.flow.wizard.running:
            wizard.cancel()
        trail.close()
        gc.collect()


def reach_announce_slowly(qtbot: Any, c: Ceremony) -> int:
    """Reconstruct, then enter the announce step with a slow mirror: return the ticks seen."""
    c.mirror.delay = DELAY
    wizard = c.wizard
    ticks = Ticks()
    wizard.next_button.click()  # reconstruct (off the thread), then the announce step
    qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
    page = wizard.announce_page
    # the check runs: the page says so, Next waits, Cancel stays usable
    assert page.gate_check.busy
    assert "Checking the audit mirror" in page.next_words.text()
    assert not wizard.next_button.isEnabled()
    assert wizard.cancel_button.isEnabled()
    save_png(wizard, "gate-checking-announce.png")
    qtbot.waitUntil(lambda: not page.gate_check.busy, timeout=10000)
    return ticks.stop()


def test_entering_announce_and_revealing_keep_the_window_responsive(
    qtbot: Any, ceremony: Ceremony
) -> None:
    c, wizard = ceremony, ceremony.wizard
    during = reach_announce_slowly(qtbot, c)
    # 1.5 s at 50 ms: ~30 ticks if the event loop ran; 0-1 if the GUI thread was blocked
    assert during >= 10, f"the window froze during the announce step's check ({during} ticks)"
    assert c.mirror.threads and "MainThread" not in c.mirror.threads
    assert wizard.next_button.isEnabled(), "every mirror answered: the gate is open"
    wizard.next_button.click()
    assert wizard.wizard.current == "reveal"
    reveal = wizard.reveal_page
    panel = reveal.panel
    # the reveal step's own check on entering: Show and Copy wait for it
    assert panel.gate_check.busy
    assert not panel.toggle.isEnabled() and not panel.copy_button.isEnabled()
    assert "Checking the audit mirror" in panel.checking.text() and panel.checking.isVisible()
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    assert panel.toggle.isEnabled()
    before = c.mirror.probes
    ticks = Ticks()
    panel.toggle.click()  # Show: the at-reveal check starts now, off the thread
    assert panel.gate_check.busy, "the reveal waits for its own check"
    assert not panel.view.shown and "secret_revealed" not in c.events()
    assert not panel.toggle.isEnabled() and not panel.copy_button.isEnabled()
    assert not wizard.next_button.isEnabled(), "Done waits for the check"
    assert wizard.cancel_button.isEnabled()
    save_png(wizard, "gate-checking-reveal.png")
    qtbot.waitUntil(lambda: panel.view.shown, timeout=10000)
    during = ticks.stop()
    assert during >= 10, f"the window froze during the at-reveal check ({during} ticks)"
    assert c.mirror.probes == before + 1, "one gate check for one reveal"
    assert c.events().count("secret_revealed") == 1
    assert "MainThread" not in c.mirror.threads
    wizard.next_button.click()  # Done: wiped
    assert wizard.flow.secret is None


@pytest.mark.parametrize("action", ["show", "copy"])
def test_a_check_that_comes_back_closed_after_the_press_refuses(
    qtbot: Any, ceremony: Ceremony, action: str
) -> None:
    c, wizard = ceremony, ceremony.wizard
    reach_announce_slowly(qtbot, c)
    wizard.next_button.click()
    panel = wizard.reveal_page.panel
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    assert panel.toggle.isEnabled()
    c.mirror.fail = {c.mirror.probes + 1}  # the check this press starts comes back closed
    ticks = Ticks()
    if action == "show":
        panel.toggle.click()
    else:
        panel.copy_button.click()
    assert panel.gate_check.busy
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    assert ticks.stop() >= 10
    if action == "show":
        assert "Not shown" in panel.countdown.text()
    else:
        assert "Not copied" in panel.clip_notice.text()
    assert not panel.view.shown
    events = c.events()
    assert "secret_revealed" not in events and "secret_copied" not in events
    texts = "\n".join(widget_texts(wizard))
    assert SECRET.decode() not in texts, "the credential is in no widget"
    # the refusal re-checks the gate (off the thread too) and shows the override box
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    wizard.cancel()


def test_cancel_during_a_pending_reveal_check_wipes_and_the_late_answer_does_nothing(
    qtbot: Any, ceremony: Ceremony
) -> None:
    c, wizard = ceremony, ceremony.wizard
    reach_announce_slowly(qtbot, c)
    wizard.next_button.click()
    panel = wizard.reveal_page.panel
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    before = c.mirror.probes
    panel.toggle.click()
    assert panel.gate_check.busy
    qtbot.wait(200)  # the check is under way (the mirror answers "open" in 1.3 s)
    assert c.mirror.probes == before + 1
    qtbot.mouseClick(wizard.cancel_button, qtbot_left())  # a real click, during the check
    assert not wizard.flow.wizard.running
    assert wizard.flow.secret is None, "cancel wiped at once"
    qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10000)  # the late "open" came back
    qtbot.wait(100)
    assert not panel.view.shown
    assert "secret_revealed" not in c.events()
    assert "secret_wiped" in c.events()


def test_the_hold_timeout_wipes_during_a_pending_check_and_the_late_answer_does_nothing(
    qtbot: Any, ceremony: Ceremony
) -> None:
    c, wizard = ceremony, ceremony.wizard
    reach_announce_slowly(qtbot, c)
    wizard.next_button.click()
    panel = wizard.reveal_page.panel
    qtbot.waitUntil(lambda: not panel.gate_check.busy, timeout=10000)
    panel.toggle.click()
    assert panel.gate_check.busy
    c.clock.advance(wizard.flow.config.hold_seconds + 1)
    qtbot.waitUntil(lambda: wizard.flow.secret is None, timeout=5000)  # the page's clock
    assert not panel.gate_check.busy, "the wipe dropped the check"
    qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10000)
    qtbot.wait(100)
    assert not panel.view.shown
    assert "secret_revealed" not in c.events()
    wizard.cancel()


def test_back_during_the_entry_check_is_not_possible_and_cancel_during_announce_check_works(
    qtbot: Any, ceremony: Ceremony
) -> None:
    c, wizard = ceremony, ceremony.wizard
    c.mirror.delay = DELAY
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
    page = wizard.announce_page
    assert page.gate_check.busy
    qtbot.mouseClick(wizard.cancel_button, qtbot_left())
    assert not wizard.flow.wizard.running and wizard.flow.secret is None
    assert not page.gate_check.busy
    qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10000)
    qtbot.wait(100)
    assert "secret_revealed" not in c.events()


def qtbot_left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


# -- the side panel lists the steps on the flow's path -------------------------------------------


def listed_steps(wizard: ReconstructWizard) -> list[str]:
    items = [wizard.steps.item(i) for i in range(wizard.steps.count())]
    return [item.text() for item in items if not item.isHidden()]


def test_the_side_panel_lists_only_the_steps_on_the_path(qtbot: Any, tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    main = split_credential(SECRET, policy=Policy.simple(2, 3), label="prod-db root")
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    try:
        register(trail, main)
        services.cameras = lambda: []
        window = MainWindow(services)
        qtbot.addWidget(window)
        # a real use: every step, numbered in order
        real = open_wizard(qtbot, window, "reconstruct")
        assert listed_steps(real) == [
            "1. Trigger and authorisation",
            "2. Collect shares",
            "3. Reconstruct",
            "4. Announce",
            "5. Reveal",
            "6. After",
            "7. " + real.end_title,
        ]
        real.cancel()
        # a drill has no announce step; on a live set it ends without a reveal
        drill = open_wizard(qtbot, window, "drill")
        listed = listed_steps(drill)
        assert not any("Announce" in t for t in listed)
        assert listed[:4] == [
            "1. Trigger and authorisation",
            "2. Collect shares",
            "3. Reconstruct",
            "4. Reveal",
        ]
        assert drill.steps.accessibleDescription() == f"Step 1 of {len(listed)}"
        authorise(drill, "INC-9002")
        page = drill.collect_page
        page.type_button.click()
        page.typed.setPlainText(main.shares[0].transcription())
        page.add_typed.click()
        # the first share is of a live set: from now on the panel shows no Reveal
        assert listed_steps(drill)[:4] == [
            "1. Trigger and authorisation",
            "2. Collect shares",
            "3. Reconstruct",
            "4. After",
        ]
        assert drill.steps.currentItem().text() == "2. Collect shares"
        page.typed.setPlainText(main.shares[1].transcription())
        page.add_typed.click()
        drill.next_button.click()
        qtbot.waitUntil(lambda: drill.wizard.current == "after", timeout=10000)
        assert drill.flow.outcome.proven_only
        listed = listed_steps(drill)
        assert listed == [
            "1. Trigger and authorisation",
            "2. Collect shares",
            "3. Reconstruct",
            "4. After",
            "5. " + drill.end_title,
        ]
        assert drill.steps.currentItem().text() == "4. After"
        assert drill.steps.accessibleDescription() == "Step 4 of 5"
        drill.cancel()
    finally:
        trail.close()
    gc.collect()
