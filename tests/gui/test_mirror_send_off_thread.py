"""Audit entries reach the mirrors without freezing the window: the GUI's trail queues each
entry (write-ahead, local) and a background sender delivers it, so a mirror that takes its time
to accept (an unreachable one: audit.mirrors.TIMEOUT per attempt) never blocks the GUI thread;
the mirror still receives every entry, in order, once; and the reveal gate opens only when the
mirror has the record."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from test_integration_break_glass import authorise, open_wizard, register, save_png, type_shares

from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import Settings
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import ShareSet, split_credential
from breakglass_gui.gui import gate_check
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
from breakglass_gui.gui.workers import pending_tasks

SECRET = b"slow-send-credential"
DELAY = 1.5  # what the mirror takes to accept each entry
BLOCK_S = 0.25  # the longest the GUI thread may be kept from its events by a recorded step


class SlowSink:
    """Accepts every entry after ``delay`` seconds; probes answer at once."""

    name = "slow-sink"

    def __init__(self) -> None:
        self.delay = 0.0
        self.got: list[int] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def send(self, entry: Entry, text: str) -> None:
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        with self.lock:
            self.got.append(entry.seq)

    def probe(self) -> None:
        return None


@dataclass
class Gaps:
    """A 50 ms timer on the GUI thread; records the longest wait between two ticks."""

    last: float = field(default_factory=time.monotonic)
    longest: float = 0.0
    count: int = 0
    timer: QTimer = field(default_factory=QTimer)

    def __post_init__(self) -> None:
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        self.count += 1

    def stop(self) -> float:
        self.timer.stop()
        self._tick()
        return self.longest


@dataclass
class Window:
    wizard: ReconstructWizard
    trail: AuditTrail
    mirror: SlowSink
    main: ShareSet
    since: int  # the last entry before the mirror was configured

    def seqs(self) -> list[int]:
        """The entries the mirror must receive: every one recorded since it was configured."""
        return [e.seq for e in read_entries(self.trail.log_path) if e.seq > self.since]


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[Window]:
    monkeypatch.setattr(gate_check, "INSTANT_S", 0.25)  # the product's value, not the tests' 30 s
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    main = split_credential(SECRET, policy=Policy.simple(2, 3), label="prod-db root")
    services = build_services(tmp_path / "home", clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    register(trail, main)
    since = max(e.seq for e in read_entries(trail.log_path))
    mirror = SlowSink()
    trail.settings = Settings([{"type": "file", "path": "unused"}], "fail-closed")
    trail.mirrors = [mirror]
    services.cameras = lambda: []
    main_window = MainWindow(services)
    qtbot.addWidget(main_window)
    wizard = open_wizard(qtbot, main_window, "reconstruct")
    wizard.show()
    try:
        yield Window(wizard, trail, mirror, main, since)
    finally:
        qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=30000)
        assert QThreadPool.globalInstance().waitForDone(30000)
        if wizard.flow.wizard.running:
            wizard.cancel()
        trail.close()
        gc.collect()


def test_recording_a_step_does_not_wait_for_a_slow_mirror(qtbot: Any, window: Window) -> None:
    w = window
    w.mirror.delay = DELAY
    started = time.monotonic()
    authorise(w.wizard, "INC-5201")  # records reconstruction_started
    took = time.monotonic() - started
    assert took < BLOCK_S, f"starting the ceremony kept the GUI thread {took:.2f} s"
    page = w.wizard.collect_page
    page.type_button.click()
    for share in w.main.shares[:2]:
        page.typed.setPlainText(share.transcription())
        started = time.monotonic()
        page.add_typed.click()  # records share_accepted
        took = time.monotonic() - started
        assert took < BLOCK_S, f"accepting a share kept the GUI thread {took:.2f} s"
    assert w.mirror.got != w.seqs(), "the mirror is still taking the entries"
    qtbot.waitUntil(lambda: w.mirror.got == w.seqs(), timeout=30000)
    assert "MainThread" not in w.mirror.threads
    w.wizard.cancel()


def test_reaching_the_quorum_keeps_the_window_responsive_and_the_mirror_gets_everything(
    qtbot: Any, window: Window
) -> None:
    w = window
    authorise(w.wizard, "INC-5202")
    type_shares(w.wizard, w.main.shares[:2])
    qtbot.waitUntil(lambda: w.mirror.got == w.seqs(), timeout=30000)
    w.mirror.delay = DELAY
    gaps = Gaps()
    w.wizard.next_button.click()  # reconstruct; quorum reached, announcement made
    qtbot.waitUntil(lambda: w.wizard.wizard.current == "announce", timeout=30000)
    events = [e.event for e in read_entries(w.trail.log_path)]
    assert "quorum_reached" in events
    page = w.wizard.announce_page
    checking = page.gate_check.busy and not w.wizard.next_button.isEnabled()
    if checking:
        save_png(w.wizard, "mirror-sending-announce.png")
    qtbot.waitUntil(lambda: not page.gate_check.busy, timeout=60000)
    longest = gaps.stop()
    # the announce step's gate check holds the GUI thread for its INSTANT_S (it waits that long
    # for an answer before saying "Checking…"), and building the page (QR code) takes ~0.1 s:
    # 0.39 s here, so the bound leaves room for a loaded CI machine; one send on the GUI
    # thread alone would be DELAY (1.5 s)
    bound = gate_check.INSTANT_S + 2 * BLOCK_S
    assert longest < bound, f"the GUI thread was blocked {longest:.2f} s"
    assert checking, "the gate waited for the mirror to have the record"
    # the gate opened only once the mirror had every entry, quorum included
    assert w.wizard.next_button.isEnabled()
    assert w.mirror.got == w.seqs()
    assert "MainThread" not in w.mirror.threads
    w.wizard.cancel()
    qtbot.waitUntil(lambda: w.mirror.got == w.seqs(), timeout=30000)
    got = w.mirror.got
    assert got == sorted(set(got)), "in seq order, none twice"
