"""Delivery of audit entries to the mirrors: write-ahead queue, background sender, the gate.

Every entry is put in the registry's persistent mirror queue for every mirror before any
network send, so a crash, a kill or a closed window between recording and sending leaves it
queued, and the next flush delivers it (in seq order, once). The GUI's trail sends from a
background thread (``deliver_in_background``): recording never waits on the network, and the
reveal gate never says "every mirror has the record" before the sender delivered it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from breakglass_gui.audit import delivery
from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import MirrorError, Settings
from breakglass_gui.audit.service import REGISTRY_NAME, AuditTrail

SETTINGS = Settings([{"type": "file", "path": "unused"}], "fail-closed")


def queued_elsewhere(home: Path, mirror: str) -> list[int]:
    """The mirror's queue as another process would read it (its own connection)."""
    conn = sqlite3.connect(home / REGISTRY_NAME)
    try:
        rows = conn.execute(
            "SELECT seq FROM mirror_queue WHERE mirror = ? ORDER BY seq", (mirror,)
        ).fetchall()
    finally:
        conn.close()
    return [int(r[0]) for r in rows]


class Collecting:
    """Takes every entry at once, in memory; can be told to fail or to wait per send."""

    def __init__(self, name: str = "siem", home: Path | None = None) -> None:
        self.name = name
        self.got: list[int] = []
        self.queued_at_send: list[list[int]] = []
        self.home = home
        self.delay = 0.0
        self.fail: str | None = None
        self.probes = 0
        self.lock = threading.Lock()

    def send(self, entry: Entry, text: str) -> None:
        if self.home is not None:
            self.queued_at_send.append(queued_elsewhere(self.home, self.name))
        time.sleep(self.delay)
        if self.fail is not None:
            raise MirrorError(self.fail)
        with self.lock:
            self.got.append(entry.seq)

    def probe(self) -> None:
        self.probes += 1
        if self.fail is not None:
            raise MirrorError(self.fail)


class Hanging(Collecting):
    """Blocks in ``send`` until released, then fails like a connection that timed out."""

    def __init__(self, name: str = "siem") -> None:
        super().__init__(name)
        self.release = threading.Event()
        self.entered = threading.Event()

    def send(self, entry: Entry, text: str) -> None:
        self.entered.set()
        self.release.wait(30)
        raise MirrorError("timed out")


def seqs(trail: AuditTrail) -> list[int]:
    return [e.seq for e in read_entries(trail.log_path)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def make(home: Path, mirror: object, *, background: bool) -> AuditTrail:
    trail = AuditTrail(home, settings=SETTINGS)
    trail.mirrors = [mirror]  # type: ignore[list-item]
    if background:
        trail.deliver_in_background()
    return trail


@pytest.fixture
def closing() -> Iterator[list[AuditTrail]]:
    made: list[AuditTrail] = []
    yield made
    for t in made:
        t.close()


# -- write-ahead ----------------------------------------------------------------------------------


def test_each_entry_is_queued_for_the_mirror_before_it_is_sent(home: Path) -> None:
    """Synchronous (CLI) delivery: at the moment of the send the entry is already in the
    persistent queue; once sent, it leaves it."""
    mirror = Collecting(home=home)
    with make(home, mirror, background=False) as trail:
        trail.record("secret_wiped", {"ceremony": 1})
        trail.record("secret_wiped", {"ceremony": 2})
        assert mirror.got == seqs(trail) and len(mirror.got) == 3  # log_created first
        for sent, queued in zip(mirror.got, mirror.queued_at_send, strict=True):
            assert sent in queued
        assert trail.registry.queue_sizes() == {}


def test_entries_recorded_while_a_mirror_fails_are_queued_and_delivered_later(home: Path) -> None:
    mirror = Collecting()
    mirror.fail = "connection refused"
    with make(home, mirror, background=False) as trail:
        trail.record("secret_wiped", {"ceremony": 1})
        trail.record("secret_wiped", {"ceremony": 2})
        assert queued_elsewhere(home, "siem") == seqs(trail)
        mirror.fail = None
        assert trail.flush_mirrors() == {"siem": None}
        assert mirror.got == seqs(trail)
        assert queued_elsewhere(home, "siem") == []


# -- background sender -----------------------------------------------------------------------------


def test_recording_does_not_wait_for_a_hanging_mirror_and_loses_nothing_on_close(
    home: Path, closing: list[AuditTrail]
) -> None:
    hanging = Hanging()
    trail = make(home, hanging, background=True)
    started = time.monotonic()
    for n in range(1, 6):
        trail.record("secret_wiped", {"ceremony": n})
    took = time.monotonic() - started
    assert hanging.entered.wait(5), "the sender tried the mirror"
    assert took < 1.0, f"recording waited on the mirror ({took:.2f} s for 5 entries)"
    written = seqs(trail)
    assert queued_elsewhere(home, "siem") == written, "every entry queued, at once"
    started = time.monotonic()
    trail.close()  # the window closes while the send hangs: no drain
    assert time.monotonic() - started < 4.0, "closing waited too long for the mirror"
    assert queued_elsewhere(home, "siem") == written
    hanging.release.set()  # the hung send gives up (timed out): nothing was delivered

    # the next start on the same home delivers them, in order, exactly once
    later = Collecting()
    again = make(home, later, background=False)
    closing.append(again)
    assert again.flush_mirrors() == {"siem": None}
    assert later.got == written
    assert again.flush_mirrors() == {"siem": None}
    assert later.got == written, "nothing delivered twice"
    assert queued_elsewhere(home, "siem") == []


def test_a_background_trail_delivers_what_an_earlier_run_left_queued(
    home: Path, closing: list[AuditTrail]
) -> None:
    down = Collecting()
    down.fail = "no route to host"
    with make(home, down, background=False) as first:
        for n in range(1, 4):
            first.record("secret_wiped", {"ceremony": n})
        left = queued_elsewhere(home, "siem")
        assert left == seqs(first)
    up = Collecting()
    trail = make(home, up, background=True)  # a new window: delivers the backlog by itself
    closing.append(trail)
    deadline = time.monotonic() + 10
    while queued_elsewhere(home, "siem") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert up.got == left
    trail.record("secret_wiped", {"ceremony": 9})
    probed = trail.probe_mirrors()  # waits for the sender before answering
    assert probed == {"siem": None}
    assert up.got == seqs(trail), "in seq order, none twice, none dropped"


def test_the_background_sender_delivers_in_order_after_failures(
    home: Path, closing: list[AuditTrail]
) -> None:
    mirror = Collecting()
    mirror.fail = "connection refused"
    trail = make(home, mirror, background=True)
    closing.append(trail)
    for n in range(1, 6):
        trail.record("secret_wiped", {"ceremony": n})
    probed = trail.probe_mirrors()
    assert probed["siem"] is not None and "refused" in str(probed["siem"])
    assert mirror.got == []
    assert queued_elsewhere(home, "siem") == seqs(trail)
    mirror.fail = None
    trail.record("secret_wiped", {"ceremony": 6})
    assert trail.probe_mirrors() == {"siem": None}
    assert mirror.got == seqs(trail)
    assert trail.registry.queue_sizes() == {}


KILLED_WRITER = """
import sys, time
from pathlib import Path
from breakglass_gui.audit.mirrors import Settings
from breakglass_gui.audit.service import AuditTrail

class Hang:
    name = "siem"
    def send(self, entry, text):
        print("sending", entry.seq, flush=True)
        time.sleep(60)
    def probe(self):
        pass

settings = Settings([{"type": "file", "path": "x"}], "fail-closed")
trail = AuditTrail(Path(sys.argv[1]), settings=settings)
trail.mirrors = [Hang()]
trail.deliver_in_background()
for n in range(1, 5):
    trail.record("secret_wiped", {"ceremony": n})
print("recorded", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_window_killed_while_the_sender_hangs_loses_nothing(
    home: Path, closing: list[AuditTrail]
) -> None:
    """The app is killed (SIGKILL) after recording, while its sender hangs on the mirror:
    the next run delivers every entry, in order, once."""
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(home)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline().strip() for _ in range(2)]
        assert "recorded" in lines, lines
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    later = Collecting()
    again = make(home, later, background=False)
    closing.append(again)
    written = seqs(again)
    assert len(written) == 5  # log_created and four entries
    assert queued_elsewhere(home, "siem") == written
    assert again.flush_mirrors() == {"siem": None}
    assert later.got == written
    assert again.flush_mirrors() == {"siem": None} and later.got == written


def test_a_mirror_that_comes_back_gets_its_backlog_without_anyone_asking(
    home: Path, closing: list[AuditTrail], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RETRY_S", 0.3)
    mirror = Collecting()
    mirror.fail = "connection refused"
    trail = make(home, mirror, background=True)
    closing.append(trail)
    for n in range(1, 4):
        trail.record("secret_wiped", {"ceremony": n})
    assert trail.probe_mirrors()["siem"] == "connection refused"
    time.sleep(0.5)  # a retry or two, failed too
    assert mirror.got == [] and queued_elsewhere(home, "siem") == seqs(trail)
    mirror.fail = None  # back; nothing is recorded, no gate check
    deadline = time.monotonic() + 10
    while queued_elsewhere(home, "siem") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mirror.got == seqs(trail), "the backlog went out by itself, in order, once"
    started = time.monotonic()
    trail.close()
    assert time.monotonic() - started < 1.0, "an idle sender does not hold up the close"


def test_closing_does_not_wait_for_a_failed_mirror_s_next_retry(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RETRY_S", 60.0)
    mirror = Collecting()
    mirror.fail = "connection refused"
    trail = make(home, mirror, background=True)
    trail.record("secret_wiped", {"ceremony": 1})
    assert trail.probe_mirrors()["siem"] is not None  # failed: the sender waits to retry
    started = time.monotonic()
    trail.close()
    assert time.monotonic() - started < 1.0
    assert queued_elsewhere(home, "siem") == seqs(trail)


# -- the reveal gate -----------------------------------------------------------------------------


def _ceremony(trail: AuditTrail) -> int:
    return trail.reconstruction_started(incident="INC-7", operator="ana", witnesses=["bo"])


def test_the_gate_does_not_open_before_a_slow_mirror_has_the_record(
    home: Path, closing: list[AuditTrail]
) -> None:
    mirror = Collecting()
    mirror.delay = 0.3  # accepts, slowly
    trail = make(home, mirror, background=True)
    closing.append(trail)
    cid = _ceremony(trail)
    trail.record("step_timed", {"ceremony": cid, "step": "collect", "seconds": 1.0})
    # a probe that found the mirror reachable is not enough: the entries are still on their way
    status = trail.reveal_gate(cid, {"siem": None})
    assert not status.open, "the gate opened before the mirror had the record"
    assert [n for n, _ in status.unreachable] == ["siem"]
    assert "not yet" in status.explain()
    assert len(mirror.got) < len(seqs(trail))
    # the off-thread check waits for the sender; its answer then opens the gate
    probed = trail.probe_mirrors()
    assert probed == {"siem": None}
    assert mirror.got == seqs(trail)
    status = trail.reveal_gate(cid, probed)
    assert status.open and status.explain() == "every mirror has the record of this ceremony"
    # without a probe the gate waits for the sender too (still never on an undelivered entry)
    trail.record("step_timed", {"ceremony": cid, "step": "announce", "seconds": 1.0})
    status = trail.reveal_gate(cid)
    assert status.open and mirror.got == seqs(trail)


def test_the_gate_stays_shut_while_the_sender_fails(home: Path, closing: list[AuditTrail]) -> None:
    mirror = Collecting()
    trail = make(home, mirror, background=True)
    closing.append(trail)
    cid = _ceremony(trail)
    assert trail.reveal_gate(cid, trail.probe_mirrors()).open
    mirror.fail = "HTTP 503"
    trail.record("step_timed", {"ceremony": cid, "step": "collect", "seconds": 1.0})
    probed = trail.probe_mirrors()
    assert probed["siem"] is not None and "503" in str(probed["siem"])
    status = trail.reveal_gate(cid, probed)
    assert not status.open and "503" in status.explain()


def test_a_gate_check_on_a_mirror_that_takes_nothing_gives_up_and_stays_shut(
    home: Path,
) -> None:
    """A mirror that hangs on every send: the check waits its network timeout plus
    SEND_PATIENCE_S without progress, then answers 'not delivered' (never hangs, never opens)."""
    hanging = Hanging()
    hanging.timeout = 0.5  # type: ignore[attr-defined]  # a mirror's network timeout
    trail = make(home, hanging, background=True)
    cid = _ceremony(trail)
    started = time.monotonic()
    probed = trail.probe_mirrors()
    took = time.monotonic() - started
    assert 2.0 < took < 6.0, took
    assert probed["siem"] is not None and "not yet delivered" in str(probed["siem"])
    assert hanging.probes == 0, "not probed: the record is not there, whatever a probe says"
    status = trail.reveal_gate(cid, probed)
    assert not status.open and "not yet delivered" in status.explain()
    trail.close()
    hanging.release.set()
    assert queued_elsewhere(home, "siem") == seqs(trail)
