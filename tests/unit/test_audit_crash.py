"""Crash suite: a writer killed with SIGKILL at random points, 200 times.

Each round forks a writer that records events through ``AuditTrail`` (log append + fsync,
then the registry anchor, then the ceremony row) in a tight loop, and kills it after a short
random delay. After every kill the log must verify up to its last whole entry against the
registry's anchor, and the registry must open. The next writer carries on in the same home,
so torn tails and half-done registry updates are met and repaired along the way.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from breakglass_gui.audit.keys import SigningKey
from breakglass_gui.audit.log import Anchor, VerifyCache, split_lines, verify_file
from breakglass_gui.audit.registry import Registry
from breakglass_gui.audit.service import AuditTrail

KILLS = 200
HOMES = 4

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork and SIGKILL are POSIX")


def _writer(home: Path, ready: int | None = None) -> None:
    """Runs in the child: record events until killed (``ready``: a pipe to signal on once the
    trail is open, its continuity checked and a first round of entries written, so that the
    kill lands among the appends)."""
    trail = AuditTrail(home)
    if ready is not None:
        trail.require_sound()
    i = 0
    while True:
        cid = trail.reconstruction_started(drill=True, operator="crash-writer")
        trail.step_timed(cid, "collect shares", i / 1000)
        trail.post_use_step_done(cid, f"step {i}", note="n" * (i % 300))
        if ready is not None and i == 0:
            # signalled after the first three entries, not before: on a loaded machine the
            # random delay may be shorter than one fsync, and the log must still grow
            os.write(ready, b"r")
        i += 1


def _spawn(home: Path, wait_ready: bool = False) -> int:
    """Fork a writer. With ``wait_ready``, return once it has written its first entries
    (every other round, so that kills land both during start-up and among the appends)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        code = 0
        try:
            _writer(home, w if wait_ready else None)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    if wait_ready:
        os.read(r, 1)  # b"" if the child ended first: the assertion below reports it
    os.close(r)
    return pid


def test_sigkill_200_times_log_verifies_and_registry_opens(tmp_path: Path) -> None:
    rng = random.Random(20260622)
    homes = [tmp_path / f"home{h}" for h in range(HOMES)]
    caches = [VerifyCache() for _ in homes]
    torn_seen = 0
    lagging_anchor = 0
    for round_ in range(KILLS):
        h = round_ % HOMES
        home = homes[h]
        # each home alternates start-up kills and kills among the appends (round_ % 2 would
        # give homes 0 and 2 start-up kills only, with HOMES even)
        pid = _spawn(home, wait_ready=(round_ // HOMES) % 2 == 1)
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"round {round_}: the writer ended by itself (status {status})"
        )
        if not (home / "registry.sqlite3").exists():
            continue  # killed before it made its registry: nothing to recover
        # the registry opens (WAL recovery) and answers
        reg = Registry(home / "registry.sqlite3")
        try:
            anchor = reg.anchor()
            reg.ceremonies()
        finally:
            reg.close()
        log = home / "audit.log"
        if not log.exists():
            continue  # killed before the first entry
        key = SigningKey.load(home / "keys" / "audit-signing.key")
        anchors = [Anchor(anchor[0], anchor[1], "the registry")] if anchor else []
        report = verify_file(log, key.public, anchors, cache=caches[h])
        assert report.ok, f"round {round_}: {report.summary()}"
        assert report.valid == report.entries
        torn_seen += report.torn_bytes > 0
        if anchor and anchor[0] < report.entries:
            lagging_anchor += 1
    # every home ends whole and verifiable after a last, clean writer
    for home in homes:
        with AuditTrail(home) as trail:
            trail.post_use_step_done(1, "final check")
            final = trail.verify()
            assert final.ok and not final.torn_bytes, final.summary()
            assert final.anchors_checked == ["the registry"]
            lines, _ = split_lines(trail.log_path.read_bytes())
            assert len(lines) == final.entries > 10
    print(f"\ncrash suite: {KILLS} kills, torn tails {torn_seen}, anchor lagging {lagging_anchor}")
