"""The registry: versioned migrations, WAL, anchors, mirror queue, no secrets."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from breakglass_gui.audit.registry import MIGRATIONS, CustodianRecord, Registry

NOW = dt.datetime(2026, 6, 22, 3, 14, 9, tzinfo=dt.UTC)


def test_fresh_registry_is_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    try:
        assert reg.version == len(MIGRATIONS)
        assert reg.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master")}
        assert {"credentials", "share_sets", "custodians", "ceremonies", "ceremony_steps",
                "checkins", "reviews", "log_anchor", "mirror_queue"} <= tables  # fmt: skip
    finally:
        reg.close()
    Registry(tmp_path / "r.sqlite3").close()  # opening again is a no-op


def test_an_older_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO credentials (label, created_at) VALUES ('old', '2025-01-01')")
    conn.commit()
    conn.close()
    reg = Registry(path)
    try:
        assert reg.version == len(MIGRATIONS)
        indexes = {
            r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert "ceremonies_by_kind_time" in indexes
        assert reg.conn.execute("SELECT label FROM credentials").fetchone()[0] == "old"
    finally:
        reg.close()


def test_review_records_of_a_schema_5_registry_keep_their_ceremonies(tmp_path: Path) -> None:
    """Migration 6 (a record may cover several ceremonies): every record kept from before
    covers its one ceremony, found both ways; a later ceremony can join it."""
    path = tmp_path / "r.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(";\n".join(MIGRATIONS[:5]) + ";\nPRAGMA user_version = 5;")
    for k in (1, 2, 3):
        conn.execute(
            "INSERT INTO ceremonies (kind, incident, started_at) "
            "VALUES ('reconstruction', ?, '2026-01-01T00:00:00Z')",
            (f"INC-{k}",),
        )
    for k in (1, 2):
        conn.execute(
            "INSERT INTO reviews (ceremony_id, record, created_at) "
            "VALUES (?, '{}', '2026-01-01T00:00:00Z')",
            (k,),
        )
    conn.commit()
    conn.close()
    reg = Registry(path)
    try:
        assert reg.version == len(MIGRATIONS)
        assert [reg.review_of_ceremony(c) for c in (1, 2, 3)] == [1, 2, None]
        assert reg.review_ceremonies(1) == [1] and reg.review_ceremonies(2) == [2]
        reg.join_review(1, 3)
        reg.join_review(2, 3)  # a ceremony belongs to one record: the second join is a no-op
        assert reg.review_of_ceremony(3) == 1 and reg.review_ceremonies(1) == [1, 3]
        assert reg.draft_review_of_incident("inc-1 ", None, excluding=3) == 1
        assert reg.draft_review_of_incident("INC-2", 7, excluding=3) is None
    finally:
        reg.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    Registry(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        Registry(path)


def test_anchor_only_moves_forward_and_queue_is_ordered(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    try:
        assert reg.anchor() is None
        reg.set_anchor(5, "a" * 64, NOW)
        reg.set_anchor(4, "b" * 64, NOW)  # a slower process must not move it back
        assert reg.anchor() == (5, "a" * 64)
        for seq in (9, 7, 8, 7):
            reg.enqueue("syslog", seq, "down", NOW)
        assert reg.queued("syslog") == [7, 8, 9]
        assert reg.queue_sizes() == {"syslog": 3}
        reg.dequeue("syslog", 7)
        assert reg.queued("syslog") == [8, 9]
    finally:
        reg.close()


def test_sets_custodians_and_status_changes(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    try:
        people = [
            CustodianRecord(1, "Ana", "on-call", "", "", ""),
            CustodianRecord(2, "Bo", "", "", "", ""),
        ]
        cred = reg.add_set(
            fingerprint="AAAA-BBBB-CCCC-DDDD",
            label="db",
            policy="any 2 of these 2 shares",
            policy_short="2-of-2",
            total_shares=2,
            created=NOW.date(),
            custodians=people,
            credential_id=None,
            when=NOW,
        )
        assert reg.get_set("AAAA-BBBB-CCCC-DDDD").credential_id == cred  # type: ignore[union-attr]
        assert reg.update_custodian("AAAA-BBBB-CCCC-DDDD", 2, contact="+1 555", location="safe B")
        assert not reg.update_custodian("AAAA-BBBB-CCCC-DDDD", 9, contact="x", location=None)
        assert reg.custodians("AAAA-BBBB-CCCC-DDDD")[1].location == "safe B"
        assert reg.mark_rotation_due("AAAA-BBBB-CCCC-DDDD", NOW)
        assert not reg.mark_rotation_due("AAAA-BBBB-CCCC-DDDD", NOW)
        assert reg.retire("AAAA-BBBB-CCCC-DDDD", by="Cy", reason=None, replaced_by=None, when=NOW)
        assert not reg.retire(
            "AAAA-BBBB-CCCC-DDDD", by="Cy", reason=None, replaced_by=None, when=NOW
        )
        assert [s.status for s in reg.sets()] == ["retired"]
        with pytest.raises(sqlite3.IntegrityError):
            reg.conn.execute("UPDATE share_sets SET status = 'lost'")
        with pytest.raises(ValueError, match="unknown ceremony kind"):
            reg.start_ceremony("party", NOW)
    finally:
        reg.close()
