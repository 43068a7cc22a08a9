"""Two processes on one home deliver one queue: the app (background sender) and a CLI command
(synchronous delivery) record at the same time to the same mirror. One delivery at a time per
mirror and home (a ``flock`` held for each pass, the queue re-read under it): the mirror gets
every entry once, in seq order, and the file mirror's copy verifies as a log."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from breakglass_gui.audit import service
from breakglass_gui.audit.delivery import delivery_lock
from breakglass_gui.audit.log import Entry, read_entries, verify_bytes
from breakglass_gui.audit.mirrors import Settings
from breakglass_gui.audit.service import AuditTrail
from tests.unit.test_mirror_dequeue_fails import Taking

WRITER = r"""
import sys, time
from pathlib import Path
from breakglass_gui.audit.mirrors import FileMirror, Settings
from breakglass_gui.audit.service import AuditTrail

class Slow(FileMirror):
    def send(self, entry, text):
        time.sleep(0.02)  # a mirror that takes a moment: passes overlap
        super().send(entry, text)

home, mfile, mode, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = AuditTrail(home, settings=Settings([{"type": "file", "path": str(mfile)}], "fail-closed"))
t.mirrors = [Slow(mfile)]
if mode == "app":
    t.deliver_in_background()
for k in range(n):
    t.record("secret_wiped", {"ceremony": k})
    time.sleep(0.005)
if mode == "app":
    assert t.probe_mirrors() is not None
t.close(wait=10)
print(mode, "done", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_the_app_and_a_cli_command_deliver_each_entry_once_in_order(tmp_path: Path) -> None:
    home, mfile = tmp_path / "home", tmp_path / "mirror.log"
    settings = Settings([{"type": "file", "path": str(mfile)}], "fail-closed")
    AuditTrail(home, settings=settings).close()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(home), str(mfile), mode, "25"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("app", "cli")
    ]
    for child in children:
        _out, err = child.communicate(timeout=90)
        assert child.returncode == 0, err[-2000:]
    # what neither delivered (a CLI entry queued while the app held the lock) goes out now
    with AuditTrail(home, settings=settings) as after:
        assert after.flush_mirrors() == {f"file:{mfile}": None}
        log = [e.seq for e in read_entries(after.log_path)]
        key = after.public_key
    assert len(log) == 51  # log_created + 2 x 25
    got = [e.seq for e in read_entries(mfile)]
    assert len(got) == len(set(got)), f"{len(got) - len(set(got))} duplicates"
    assert got == sorted(got), "out of seq order"
    assert got == log
    report = verify_bytes(mfile.read_bytes(), key, [])
    assert report.ok, report.first_problem


class _Taking(Taking):
    timeout = 0.3  # the mirror's network timeout


def test_a_cli_command_does_not_hang_on_a_pass_held_elsewhere_and_its_gate_stays_shut(
    tmp_path: Path,
) -> None:
    """Another process holds the mirror's delivery pass (hanging on the mirror): recording
    waits at most LOCK_WAIT_S and leaves the entry queued; a gate check waits at most the
    mirror's timeout + SEND_PATIENCE_S, says why and stays shut; once the pass is over the
    next check delivers everything, once."""
    home = tmp_path / "home"
    mirror = _Taking()
    trail = AuditTrail(home, settings=Settings([{"type": "file", "path": "x"}], "fail-closed"))
    trail.mirrors = [mirror]
    try:
        cid = trail.reconstruction_started(incident="INC-7", operator="ana", witnesses=["bo"])
        held = threading.Event()
        release = threading.Event()

        def holder() -> None:
            with delivery_lock(home, "siem", 5.0) as got:
                assert got
                held.set()
                release.wait(30)

        thread = threading.Thread(target=holder)
        thread.start()
        assert held.wait(5)
        started = time.monotonic()
        trail.record("secret_wiped", {"ceremony": 1})
        assert time.monotonic() - started < service.LOCK_WAIT_S + 0.5
        log = [e.seq for e in read_entries(trail.log_path)]
        assert mirror.got == log[:-1] and trail.registry.queued("siem") == log[-1:]
        started = time.monotonic()
        status = trail.flush_mirrors()
        took = time.monotonic() - started
        assert 0.3 + service.SEND_PATIENCE_S - 0.2 < took < 0.3 + service.SEND_PATIENCE_S + 1.5
        assert status["siem"] is not None and "another Breakglass process" in status["siem"]
        assert trail.reveal_gate(cid, status).open is False
        release.set()
        thread.join(10)
        assert trail.flush_mirrors() == {"siem": None}
        assert mirror.got == [e.seq for e in read_entries(trail.log_path)]
        assert trail.registry.queued("siem") == []
    finally:
        trail.close()


class _SlowShared:
    """One mirror shared by two trails of one process (a slow file, as seen by both)."""

    name = "siem"

    def __init__(self) -> None:
        self.got: list[int] = []
        self.lock = threading.Lock()

    def send(self, entry: Entry, text: str) -> None:
        time.sleep(0.005)
        with self.lock:
            self.got.append(entry.seq)

    def probe(self) -> None:
        pass


def test_two_trails_of_one_process_deliver_each_entry_once_in_order(tmp_path: Path) -> None:
    """The lock holds across threads too (a flock per open file): a background trail and a
    synchronous one in the same process, recording at once."""
    home = tmp_path / "home"
    settings = Settings([{"type": "file", "path": "x"}], "fail-closed")
    mirror = _SlowShared()
    app = AuditTrail(home, settings=settings)
    app.mirrors = [mirror]
    app.deliver_in_background()
    errors: list[BaseException] = []

    def cli() -> None:  # its own trail, on its own thread (a registry connection per thread)
        try:
            with AuditTrail(home, settings=settings) as trail:
                trail.mirrors = [mirror]
                for k in range(20):
                    trail.record("secret_wiped", {"ceremony": 100 + k})
                assert trail.flush_mirrors() == {"siem": None}
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=cli)
    worker.start()
    try:
        for k in range(20):
            app.record("secret_wiped", {"ceremony": k})
        worker.join(60)
        assert not errors, errors
        assert app.probe_mirrors() == {"siem": None}
        log = [e.seq for e in read_entries(home / "audit.log")]
        assert len(log) == 41
        assert mirror.got == log, "each entry once, in seq order"
    finally:
        app.close()
