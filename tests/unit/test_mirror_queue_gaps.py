"""An entry written to the log whose registry transaction (anchor + mirror queue rows) never
committed — the program killed in between — is still delivered to every mirror: whenever the
trail finds log entries past the registry's anchor (the next entry's anchor, or the check at
start-up that adopts them), it queues them for every mirror in the same transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import Settings
from breakglass_gui.audit.registry import Registry
from breakglass_gui.audit.service import AuditTrail

SETTINGS = Settings([{"type": "file", "path": "unused"}], "fail-closed")


class Taking:
    def __init__(self, name: str = "siem") -> None:
        self.name = name
        self.got: list[int] = []

    def send(self, entry: Entry, text: str) -> None:
        self.got.append(entry.seq)

    def probe(self) -> None:
        pass


class Killed(BaseException):
    """Stands for a SIGKILL / power cut between the log's fsync and the registry's commit."""


def make(home: Path, *mirrors: Taking) -> AuditTrail:
    trail = AuditTrail(home, settings=SETTINGS)
    trail.mirrors = list(mirrors)
    return trail


def log_seqs(home: Path) -> list[int]:
    return [e.seq for e in read_entries(home / "audit.log")]


def kill_at_anchor(monkeypatch: pytest.MonkeyPatch, call: int) -> None:
    real = Registry.set_anchor
    calls = [0]

    def dying(self: Registry, *args: object, **kwargs: object) -> None:
        calls[0] += 1
        if calls[0] == call:
            raise Killed
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Registry, "set_anchor", dying)


@pytest.mark.parametrize("next_start", ["records", "only checks"])
def test_an_entry_whose_anchor_never_committed_still_reaches_every_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, next_start: str
) -> None:
    home = tmp_path / "home"
    a, b = Taking("siem"), Taking("stick")
    trail = make(home, a, b)
    for n in range(1, 4):
        trail.record("secret_wiped", {"ceremony": n})
    kill_at_anchor(monkeypatch, 1)
    with pytest.raises(Killed):
        trail.record("secret_wiped", {"ceremony": 4})
    trail.close()
    monkeypatch.undo()
    assert log_seqs(home) == [1, 2, 3, 4, 5] and a.got == [1, 2, 3, 4]
    later_a, later_b = Taking("siem"), Taking("stick")
    with make(home, later_a, later_b) as again:
        assert again.continuity_problems() == []
        if next_start == "records":
            again.record("secret_wiped", {"ceremony": 5})
        assert again.flush_mirrors() == {"siem": None, "stick": None}
        assert again.registry.queue_sizes() == {}
    log = log_seqs(home)
    assert a.got + later_a.got == log, "entry 5 was never delivered"
    assert b.got + later_b.got == log


def test_a_first_append_adopted_at_the_next_start_is_queued_for_every_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the very first append (log_created + the event) and its anchor: the next
    start adopts the log (it is sound and short) and queues what it adopted."""
    home = tmp_path / "home"
    first = Taking()
    trail = make(home, first)
    kill_at_anchor(monkeypatch, 1)
    with pytest.raises(Killed):
        trail.record("secret_wiped", {"ceremony": 1})
    trail.close()
    monkeypatch.undo()
    assert log_seqs(home) == [1, 2] and first.got == []
    later = Taking()
    with make(home, later) as again:
        assert again.continuity_problems() == []
        assert again.registry.anchor() is not None
        assert again.registry.queued("siem") == [1, 2]
        again.record("secret_wiped", {"ceremony": 2})
        assert again.flush_mirrors() == {"siem": None}
    assert later.got == log_seqs(home) == [1, 2, 3]
