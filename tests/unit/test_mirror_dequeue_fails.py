"""The mirror takes an entry but its queue row cannot be removed (disk full, I/O error, a
read-only registry): the error names the local failure, not the mirror, and the entry is not
sent again and again while the registry stays unwritable (once per entry per run)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import Settings
from breakglass_gui.audit.registry import Registry
from breakglass_gui.audit.service import AuditTrail

SETTINGS = Settings([{"type": "file", "path": "unused"}], "fail-closed")


class Taking:
    name = "siem"

    def __init__(self) -> None:
        self.got: list[int] = []

    def send(self, entry: Entry, text: str) -> None:
        self.got.append(entry.seq)

    def probe(self) -> None:
        pass


def disk_full(self: Registry, mirror: str, seq: int) -> None:
    raise sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize("background", [False, True], ids=["cli", "app"])
def test_a_queue_row_that_cannot_be_removed_is_blamed_on_the_disk_and_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, background: bool
) -> None:
    mirror = Taking()
    trail = AuditTrail(tmp_path / "home", settings=SETTINGS)
    trail.mirrors = [mirror]
    if background:
        trail.deliver_in_background()
    try:
        trail.record("secret_wiped", {"ceremony": 1})
        assert trail.probe_mirrors() == {"siem": None}
        monkeypatch.setattr(Registry, "dequeue", disk_full)
        trail.record("secret_wiped", {"ceremony": 2})
        last = max(e.seq for e in read_entries(trail.log_path))
        answers = [trail.flush_mirrors() for _ in range(5)]
        why = answers[-1]["siem"]
        assert why is not None
        assert "database or disk is full" in why
        assert "local" in why and "not the mirror" in why, why
        assert mirror.got.count(last) == 1, f"sent {mirror.got.count(last)} times"
        monkeypatch.undo()
        assert trail.flush_mirrors() == {"siem": None}
        assert trail.registry.queued("siem") == []
        assert mirror.got == [e.seq for e in read_entries(trail.log_path)]
    finally:
        monkeypatch.undo()
        trail.close()
