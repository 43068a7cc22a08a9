"""Closing follow-ups from several processes at once: nothing lost, nothing closed twice.

``breakglass review close-follow-up`` reads a review record, checks it and writes it back;
the review records' lock (``reviews.lock`` in the home, the ``flock`` the audit log's appends
use) makes that one step across processes. Each round starts real CLI processes together:
two closing different follow-ups (both must persist) and two closing the same one (exactly
one succeeds, the other is told it is already closed); the log holds exactly one
``follow_up_closed`` per follow-up. The first round holds the lock from the test until every
process is queued on it (read from ``/proc/locks``), so the processes are known to meet at
the lock whatever the machine's load; the later rounds are a free race.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.review import complete_review, get_review
from breakglass_gui.audit.service import REVIEWS_LOCK_NAME, AuditTrail
from breakglass_gui.cli.main import main
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential

try:
    from test_audit_support import SECRET
except ImportError:  # pragma: no cover
    from .test_audit_support import SECRET

CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]
# what a real combine needs without a terminal
REAL = [
    "--incident",
    "INC-9",
    "--operator",
    "bo",
    "--witness",
    "Cy",
    "--trigger",
    "1",
    "--announced",
]
ITEMS = [f"OPS-{100 + k} follow-up {k}" for k in range(1, 13)]


def _home(tmp_path: Path) -> tuple[Path, int]:
    home = tmp_path / "home"
    policy = Policy.simple(2, 3)
    s = split_credential(SECRET, policy=policy, label="db")
    fp = s.fingerprint_text
    with AuditTrail(home) as trail:
        trail.split_finished(trail.split_started(label="db", policy=policy), s)
        cid = trail.reconstruction_started(incident="INC-7", operator="ana", set_fp=fp)
        trail.quorum_reached(cid, fp, list(s.shares[:2]))
        rid = trail.reconstruction_finished(cid, "reconstructed, never shown", fp)
        assert rid is not None
        complete_review(trail, rid, {"follow_ups": ITEMS})
    return home, rid


def _start(home: Path, rid: int, number: int, by: str) -> subprocess.Popen[str]:
    argv = ["--home", str(home), "review", "close-follow-up", str(rid), str(number), "--by", by]
    return subprocess.Popen(
        [*CLI, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _waiters(lock: Path) -> int:
    """How many processes are queued on ``lock`` (Linux ``/proc/locks``: '->' lines)."""
    ino = os.stat(lock).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and f":{ino} " in line)


def _closes(home: Path) -> Counter[int]:
    return Counter(
        int(e.fields["follow_up"])
        for e in read_entries(home / "audit.log")
        if e.event == "follow_up_closed"
    )


def _round(home: Path, rid: int, first: int, *, hold: bool) -> None:
    """Four processes at once: ``first`` and ``first + 1`` closed by one each, ``first + 2``
    by two."""
    lock = home / REVIEWS_LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if hold:
            fcntl.flock(fd, fcntl.LOCK_EX)
        jobs = [
            (first, "Ana", _start(home, rid, first, "Ana")),
            (first + 1, "Bo", _start(home, rid, first + 1, "Bo")),
            (first + 2, "Cy", _start(home, rid, first + 2, "Cy")),
            (first + 2, "Dee", _start(home, rid, first + 2, "Dee")),
        ]
        if hold:
            deadline = time.monotonic() + 120
            while _waiters(lock) < len(jobs):
                if any(p.poll() is not None for _n, _b, p in jobs):
                    early = [p.communicate() for _n, _b, p in jobs if p.poll() is not None]
                    pytest.fail(f"a close did not wait for the review records' lock: {early}")
                assert time.monotonic() < deadline, "the closes never queued on the lock"
                time.sleep(0.05)
    finally:
        os.close(fd)  # releases the lock: the four go on, one at a time
    results = []
    for number, by, p in jobs:
        out, err = p.communicate(timeout=120)
        results.append((number, by, p.returncode, out, err))
    for number, _by, code, out, err in results[:2]:
        assert code == 0, err
        assert f"review {rid}: follow-up {number} closed (" in out
    same = results[2:]
    won = [r for r in same if r[2] == 0]
    lost = [r for r in same if r[2] != 0]
    assert len(won) == 1 and len(lost) == 1, same
    (_n, winner, _c, out, _e) = won[0]
    (_n, _loser, code, lout, lerr) = lost[0]
    assert f"review {rid}: follow-up {first + 2} closed (" in out
    assert code == 1 and lout == ""
    assert f"follow-up {first + 2} of review record {rid} is already closed: #{first + 2} " in lerr
    assert f"by {winner}" in lerr  # names who closed it
    assert lerr.count("\n") == 1

    _status, record = _get(home, rid)
    closed = [str(x) for x in record["follow_ups_closed"]]  # type: ignore[attr-defined]
    for number, by in ((first, "Ana"), (first + 1, "Bo"), (first + 2, winner)):
        mine = [x for x in closed if x.startswith(f"#{number} ")]
        assert len(mine) == 1 and f" by {by}" in mine[0], closed
    counts = _closes(home)
    assert all(counts[n] == 1 for n in (first, first + 1, first + 2)), counts


def _get(home: Path, rid: int) -> tuple[str, dict[str, object]]:
    with AuditTrail(home) as trail:
        return get_review(trail, rid)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_concurrent_closes_keep_every_close_and_close_each_once(tmp_path: Path) -> None:
    home, rid = _home(tmp_path)
    _round(home, rid, 1, hold=True)  # forced: all four meet at the lock
    for first in (4, 7, 10):  # free races
        _round(home, rid, first, hold=False)
    _status, record = _get(home, rid)
    assert len(list(record["follow_ups_closed"])) == 12  # type: ignore[call-overload]
    assert sorted(_closes(home).items()) == [(n, 1) for n in range(1, 13)]
    with AuditTrail(home) as trail:
        assert trail.verify().ok


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
@pytest.mark.parametrize("hold", [True, False])
def test_refused_combines_at_once_under_one_incident_open_one_record(
    tmp_path: Path, hold: bool
) -> None:
    """Three refused ``combine`` processes under one incident, run together: one record,
    covering the three (the record is opened or joined under the review records' lock).
    ``hold``: the test holds the lock until all three are queued on it."""
    home = tmp_path / "home"
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    for out, extra in (("set1", []), ("set2", ["--replaces", "{fp}", "--operator", "ana"])):
        fp = ""
        if extra:
            fp = json.loads((tmp_path / "set1" / "set.json").read_text())["fingerprint"]
        argv = [
            "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "aws root",
            "--custodian", "Ana", "--custodian", "Bo", "--custodian", "Cy",
            "--secret-file", str(secret), "--out", str(tmp_path / out),
            *[a.replace("{fp}", fp) for a in extra],
        ]  # fmt: skip
        assert main(argv) == 0
    old = [str(tmp_path / "set1" / f"share-{k}.txt") for k in (1, 2, 3)]
    lock = home / REVIEWS_LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if hold:
            fcntl.flock(fd, fcntl.LOCK_EX)
        jobs = [
            subprocess.Popen(
                [*CLI, "--home", str(home), "combine", *pair, *REAL],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for pair in ((old[0], old[1]), (old[1], old[2]), (old[0], old[2]))
        ]
        if hold:
            deadline = time.monotonic() + 120
            while _waiters(lock) < len(jobs):
                if any(p.poll() is not None for p in jobs):
                    early = [p.communicate() for p in jobs if p.poll() is not None]
                    pytest.fail(f"a combine did not wait for the review records' lock: {early}")
                assert time.monotonic() < deadline, "the combines never queued on the lock"
                time.sleep(0.05)
    finally:
        os.close(fd)
    for p in jobs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 2 and out == "" and "retired" in err, err
    with AuditTrail(home) as trail:
        [(rid, _cid, status, record)] = trail.registry.reviews()
        assert status == "draft" and record["incident"] == "INC-9"
        assert len(trail.registry.review_ceremonies(rid)) == 3 == len(record["attempts"])
        assert record["credential"] == "aws root" and len(record["shares_refused"]) == 6
    events = Counter(e.event for e in read_entries(home / "audit.log"))
    assert (events["review_created"], events["review_joined"]) == (1, 2)
