"""``audit reset`` while a mirror is behind: the old chain's queued entries (a reveal among
them) are delivered before the new chain starts when the mirror takes them; what it does not
take then is dropped from the queue (the old log is kept aside), never sent later as if it
were the new chain's entry of the same seq."""

from __future__ import annotations

from pathlib import Path

from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import MirrorError, Settings
from breakglass_gui.audit.service import AuditTrail

SETTINGS = Settings([{"type": "file", "path": "unused"}], "fail-closed")


class Mirror:
    name = "siem"

    def __init__(self) -> None:
        self.got: list[tuple[int, str]] = []
        self.fail: str | None = None

    def send(self, entry: Entry, text: str) -> None:
        if self.fail is not None:
            raise MirrorError(self.fail)
        self.got.append((entry.seq, entry.event))

    def probe(self) -> None:
        if self.fail is not None:
            raise MirrorError(self.fail)


def _behind(home: Path) -> tuple[AuditTrail, Mirror, list[tuple[int, str]]]:
    mirror = Mirror()
    mirror.fail = "no route to host"
    trail = AuditTrail(home, settings=SETTINGS)
    trail.mirrors = [mirror]
    cid = trail.reconstruction_started(incident="INC-1", operator="ana", witnesses=["bo"])
    trail.record("secret_wiped", {"ceremony": cid})
    old = [(e.seq, e.event) for e in read_entries(trail.log_path)]
    assert trail.registry.queued("siem") == [s for s, _ in old]
    return trail, mirror, old


def test_reset_delivers_the_old_chain_s_backlog_first(tmp_path: Path) -> None:
    trail, mirror, old = _behind(tmp_path / "home")
    try:
        mirror.fail = None  # back before the reset; nothing flushed it yet
        trail.reset_chain("new laptop key after incident", by="ana")
        assert mirror.got == [*old, (1, "chain_reset")]
        assert trail.registry.queued("siem") == []
    finally:
        trail.close()


def test_reset_while_the_mirror_is_down_drops_the_old_backlog_only(tmp_path: Path) -> None:
    trail, mirror, _old = _behind(tmp_path / "home")
    try:
        trail.reset_chain("new laptop key after incident", by="ana")
        for n in range(4):  # the new chain reaches the old entries' seqs
            trail.record("secret_wiped", {"ceremony": 100 + n})
        mirror.fail = None
        assert trail.flush_mirrors() == {"siem": None}
        assert mirror.got == [(e.seq, e.event) for e in read_entries(trail.log_path)]
    finally:
        trail.close()
