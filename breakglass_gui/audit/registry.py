"""The registry: what this installation knows about its credentials, sets and ceremonies.

SQLite (stdlib ``sqlite3``) in WAL mode, with versioned migrations (``PRAGMA user_version``).
It never holds a secret or share material: sets are known by fingerprint, shares by number
and custodian. It also keeps the audit log's anchor (entry count + head hash), so that a cut
tail of the log is detected, and the queue of entries not yet delivered to a mirror.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from breakglass_gui.core.errors import BreakglassError

__all__ = [
    "MIGRATIONS",
    "CeremonyRecord",
    "CustodianRecord",
    "Registry",
    "RegistryError",
    "SetRecord",
    "explain_sqlite_error",
]

_PRIVATE = stat.S_IRUSR | stat.S_IWUSR


class RegistryError(BreakglassError):
    """The registry file cannot be used; the message names it and says what to do."""


def explain_sqlite_error(path: Path, exc: BaseException) -> str:
    """One line naming the registry file, what went wrong and what to do about it."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"{path}: the registry is locked by another Breakglass (the app or a command): "
            "finish or close it, then try again"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return (
            f"{path}: the registry cannot be written (it, its -wal/-shm files or its folder "
            "are read-only or belong to someone else): make them yours and writable "
            f"(chmod 600 {path.name}*, chmod 700 {path.parent}), then try again"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{path}: the registry is damaged: restore it from a backup, or move it aside "
            f"(mv {path} {path}.damaged) and run 'breakglass audit verify' for what to do next"
        )
    if "disk" in text or "full" in text:
        return f"{path}: the registry could not be written ({exc}): free some disk space"
    return f"{path}: the registry could not be used ({exc})"


def _private_files(path: Path) -> None:
    """The registry and its -wal/-shm files owner-only (0600), created so from the start.

    A file of ours with looser (or read-only) modes, e.g. left by an older version or a
    failed write, is set back to 0600: the data directory's own files, never user output."""
    if not path.exists():
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, _PRIVATE)
        os.close(fd)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            st = p.lstat()
        except FileNotFoundError:
            continue
        mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
        if stat.S_ISREG(st.st_mode) and mine and stat.S_IMODE(st.st_mode) != _PRIVATE:
            os.chmod(p, _PRIVATE)


SET_STATUSES = ("active", "rotation-due", "retired")
CEREMONY_KINDS = ("split", "reconstruction", "drill", "check-in")
#: The outcome of an open reconstruction that has recovered its credential (a use).
QUORUM_REACHED = "quorum reached"

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE credentials (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE share_sets (
        fingerprint TEXT PRIMARY KEY,
        credential_id INTEGER NOT NULL REFERENCES credentials(id),
        label TEXT NOT NULL,
        policy TEXT NOT NULL,
        policy_short TEXT NOT NULL,
        total_shares INTEGER NOT NULL,
        created TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'rotation-due', 'retired')),
        rotation_due_at TEXT,
        retired_at TEXT,
        retired_by TEXT,
        retired_reason TEXT,
        replaced_by TEXT
    );
    CREATE TABLE custodians (
        set_fp TEXT NOT NULL REFERENCES share_sets(fingerprint),
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT '',
        group_name TEXT NOT NULL DEFAULT '',
        contact TEXT NOT NULL DEFAULT '',
        location TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (set_fp, number)
    );
    CREATE TABLE ceremonies (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('split', 'reconstruction', 'drill', 'check-in')),
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'done', 'failed', 'aborted')),
        set_fp TEXT,
        credential_id INTEGER,
        incident TEXT,
        operator TEXT,
        witnesses TEXT NOT NULL DEFAULT '[]',
        trigger_text TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT,
        first_seq INTEGER,
        last_seq INTEGER,
        gate_override TEXT
    );
    CREATE TABLE ceremony_steps (
        ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
        step TEXT NOT NULL,
        seconds REAL NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE checkins (
        id INTEGER PRIMARY KEY,
        set_fp TEXT NOT NULL,
        number INTEGER NOT NULL,
        custodian TEXT NOT NULL,
        by_whom TEXT,
        at TEXT NOT NULL,
        seq INTEGER
    );
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        ceremony_id INTEGER NOT NULL UNIQUE REFERENCES ceremonies(id),
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'completed')),
        record TEXT NOT NULL,
        created_at TEXT NOT NULL,
        completed_at TEXT
    );
    CREATE TABLE log_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        count INTEGER NOT NULL,
        head TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE mirror_queue (
        mirror TEXT NOT NULL,
        seq INTEGER NOT NULL,
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (mirror, seq)
    );
    """,
    # 2: indexes for the report's queries
    """
    CREATE INDEX ceremonies_by_kind_time ON ceremonies(kind, started_at);
    CREATE INDEX checkins_by_share ON checkins(set_fp, number, at);
    """,
    # 3: which key signs the log (so a replaced key or a missing log is noticed)
    """
    CREATE TABLE log_chain (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        since TEXT NOT NULL
    );
    """,
    # 4: the set's identity is its full 256-bit digest (the printed 64-bit fingerprint is a
    # human check only: a malicious set maker can make two sets share one)
    """
    ALTER TABLE share_sets ADD COLUMN set_digest TEXT;
    CREATE INDEX share_sets_by_digest ON share_sets(set_digest);
    """,
    # 5: other installations' logs imported here (``audit import``): which entries, and which
    # ceremonies came from where (the origin columns stay NULL for this installation's own)
    """
    CREATE TABLE imported_logs (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        file TEXT NOT NULL,
        count INTEGER NOT NULL,
        head TEXT NOT NULL,
        first_imported TEXT NOT NULL,
        last_imported TEXT NOT NULL
    );
    CREATE TABLE imported_entries (
        key TEXT NOT NULL REFERENCES imported_logs(key),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        event TEXT NOT NULL,
        time TEXT NOT NULL,
        PRIMARY KEY (key, seq)
    );
    ALTER TABLE ceremonies ADD COLUMN origin_key TEXT;
    ALTER TABLE ceremonies ADD COLUMN origin_fingerprint TEXT;
    ALTER TABLE ceremonies ADD COLUMN origin_ceremony INTEGER;
    ALTER TABLE ceremonies ADD COLUMN origin_file TEXT;
    CREATE UNIQUE INDEX ceremonies_by_origin ON ceremonies(origin_key, origin_ceremony)
        WHERE origin_key IS NOT NULL;
    """,
    # 6: one review record may cover several ceremonies (the attempts of one incident on one
    # credential: refused attempts and the use that followed); ``reviews.ceremony_id`` stays
    # the first of them
    """
    CREATE TABLE review_ceremonies (
        ceremony_id INTEGER PRIMARY KEY REFERENCES ceremonies(id),
        review_id INTEGER NOT NULL REFERENCES reviews(id)
    );
    CREATE INDEX review_ceremonies_by_review ON review_ceremonies(review_id, ceremony_id);
    INSERT INTO review_ceremonies (ceremony_id, review_id) SELECT ceremony_id, id FROM reviews;
    """,
]


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CustodianRecord:
    number: int
    name: str
    role: str
    group: str
    contact: str
    location: str

    @property
    def holder(self) -> str:
        if self.name and self.role:
            return f"{self.name}, {self.role}"
        return self.name or self.role or "no custodian named"


@dataclass(frozen=True)
class SetRecord:
    fingerprint: str
    credential_id: int
    label: str
    policy: str
    policy_short: str
    total_shares: int
    created: str
    recorded_at: str
    status: str
    rotation_due_at: str | None
    retired_at: str | None
    retired_by: str | None
    retired_reason: str | None
    replaced_by: str | None
    set_digest: str | None = None
    """The full set digest (64 hex digits); None for a set recorded before it was kept."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CeremonyRecord:
    id: int
    kind: str
    status: str
    set_fp: str | None
    credential_id: int | None
    incident: str | None
    operator: str | None
    witnesses: list[str]
    trigger: str | None
    started_at: str
    finished_at: str | None
    outcome: str | None
    first_seq: int | None
    last_seq: int | None
    gate_override: str | None
    # where a ceremony imported from another installation's log happened (None: here)
    origin_key: str | None = None
    origin_fingerprint: str | None = None
    origin_ceremony: int | None = None
    origin_file: str | None = None

    @property
    def drill(self) -> bool:
        return self.kind == "drill"

    @property
    def imported(self) -> bool:
        return self.origin_key is not None

    def where(self) -> str:
        """Where it happened, in words: "here", or the other installation's key and file."""
        if self.origin_key is None:
            return "here"
        return (
            f"installation {self.origin_fingerprint} (ceremony {self.origin_ceremony} of the "
            f"log {self.origin_file})"
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Registry:
    """One SQLite database per home. Open it once per process; close it when done."""

    def __init__(self, path: Path, *, timeout: float = 30) -> None:
        self.path = path
        try:
            _private_files(path)
        except OSError as exc:
            raise RegistryError(explain_sqlite_error(path, exc)) from None
        try:
            self.conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise RegistryError(explain_sqlite_error(path, exc)) from None
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.migrate()
            _private_files(path)  # the -wal/-shm files SQLite made just now
        except (sqlite3.Error, OSError) as exc:
            self.conn.close()
            raise RegistryError(explain_sqlite_error(path, exc)) from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def version(self) -> int:
        row = self.conn.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def migrate(self) -> None:
        with self.tx() as c:
            current = int(c.execute("PRAGMA user_version").fetchone()[0])
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path}: registry schema {current} is newer than this program "
                    f"({len(MIGRATIONS)}); upgrade Breakglass"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {number}")

    # -- log anchor and mirror queue ------------------------------------------------------
    def set_anchor(
        self,
        count: int,
        head: str,
        when: dt.datetime,
        *,
        queue_for: Sequence[str] = (),
        queue_after: int | None = None,
    ) -> None:
        """Record the log's length and head; ``queue_for``: the mirrors that must receive
        entry ``count``, queued in the same transaction (write-ahead, before any send), and
        with it every entry past the anchor this replaces (entries whose own anchor never
        committed: the program was killed between the log's write and this transaction).
        ``queue_after``: queue every entry after this seq instead (the log adopted when the
        registry had no anchor). With no anchor and no ``queue_after``, only ``count``."""
        with self.tx() as c:
            if queue_for:
                after = queue_after
                if after is None:
                    row = c.execute("SELECT count FROM log_anchor WHERE id = 1").fetchone()
                    after = int(row[0]) if row is not None else count - 1
                # nothing when the anchor is already there (adopted by another process)
                self._queue_new(c, queue_for, range(max(after, 0) + 1, count + 1), when)
            c.execute(
                "INSERT INTO log_anchor (id, count, head, updated_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET count = excluded.count, head = excluded.head, "
                "updated_at = excluded.updated_at WHERE excluded.count > log_anchor.count",
                (count, head, _iso(when)),
            )

    def anchor(self) -> tuple[int, str] | None:
        row = self.conn.execute("SELECT count, head FROM log_anchor WHERE id = 1").fetchone()
        return (int(row["count"]), str(row["head"])) if row else None

    def reset_anchor(
        self, count: int, head: str, when: dt.datetime, *, queue_for: Sequence[str] = ()
    ) -> None:
        """A new chain (``audit reset``): the anchor starts again from its first entry, and
        the mirror queue with it (what is still queued belongs to the old chain: its seqs
        would name the new chain's entries)."""
        with self.tx() as c:
            c.execute("DELETE FROM mirror_queue")
            self._queue_new(c, queue_for, (count,), when)
            c.execute("DELETE FROM log_anchor")
            c.execute(
                "INSERT INTO log_anchor (id, count, head, updated_at) VALUES (1, ?, ?, ?)",
                (count, head, _iso(when)),
            )

    def chain_key(self) -> tuple[str, str] | None:
        """(public key text, fingerprint) of the key that signs this registry's log."""
        row = self.conn.execute("SELECT key, fingerprint FROM log_chain WHERE id = 1").fetchone()
        return (str(row["key"]), str(row["fingerprint"])) if row else None

    def set_chain_key(self, key: str, fingerprint: str, when: dt.datetime) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO log_chain (id, key, fingerprint, since) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET key = excluded.key, "
                "fingerprint = excluded.fingerprint, since = excluded.since",
                (key, fingerprint, _iso(when)),
            )

    def enqueue(self, mirror: str, seq: int, error: str, when: dt.datetime) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO mirror_queue (mirror, seq, queued_at, attempts, last_error) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT(mirror, seq) DO UPDATE SET "
                "attempts = attempts + 1, last_error = excluded.last_error",
                (mirror, seq, _iso(when), error),
            )

    @staticmethod
    def _queue_new(
        c: sqlite3.Connection, mirrors: Sequence[str], seqs: Sequence[int], when: dt.datetime
    ) -> None:
        """Write-ahead: queue new entries for ``mirrors`` (not yet attempted; an entry already
        queued is left as it is)."""
        c.executemany(
            "INSERT INTO mirror_queue (mirror, seq, queued_at, attempts, last_error) "
            "VALUES (?, ?, ?, 0, NULL) ON CONFLICT(mirror, seq) DO NOTHING",
            [(m, seq, _iso(when)) for m in mirrors for seq in seqs],
        )

    def queue_failed(self, mirror: str, error: str) -> None:
        """A delivery to ``mirror`` failed: every entry still queued for it counts one more
        attempt, with the error."""
        with self.tx() as c:
            c.execute(
                "UPDATE mirror_queue SET attempts = attempts + 1, last_error = ? WHERE mirror = ?",
                (error, mirror),
            )

    def queued(self, mirror: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT seq FROM mirror_queue WHERE mirror = ? ORDER BY seq", (mirror,)
        )
        return [int(r[0]) for r in rows]

    def dequeue(self, mirror: str, seq: int) -> None:
        with self.tx() as c:
            c.execute("DELETE FROM mirror_queue WHERE mirror = ? AND seq = ?", (mirror, seq))

    def queue_sizes(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT mirror, COUNT(*) FROM mirror_queue GROUP BY mirror")
        return {str(r[0]): int(r[1]) for r in rows}

    # -- credentials and sets ------------------------------------------------------------
    def add_set(
        self,
        *,
        fingerprint: str,
        label: str,
        policy: str,
        policy_short: str,
        total_shares: int,
        created: dt.date,
        custodians: Sequence[CustodianRecord],
        credential_id: int | None,
        when: dt.datetime,
    ) -> int:
        with self.tx() as c:
            if credential_id is None:
                cur = c.execute(
                    "INSERT INTO credentials (label, created_at) VALUES (?, ?)", (label, _iso(when))
                )
                credential_id = int(cur.lastrowid or 0)
            c.execute(
                "INSERT INTO share_sets (fingerprint, credential_id, label, policy, policy_short, "
                "total_shares, created, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(fingerprint) DO NOTHING",
                (
                    fingerprint,
                    credential_id,
                    label,
                    policy,
                    policy_short,
                    total_shares,
                    created.isoformat(),
                    _iso(when),
                ),
            )
            for p in custodians:
                c.execute(
                    "INSERT OR IGNORE INTO custodians (set_fp, number, name, role, group_name, "
                    "contact, location) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (fingerprint, p.number, p.name, p.role, p.group, p.contact, p.location),
                )
        return credential_id

    def record_digest(self, fingerprint: str, digest: str) -> None:
        """Keep the full set digest of a registered set (written once, never changed)."""
        with self.tx() as c:
            c.execute(
                "UPDATE share_sets SET set_digest = ? WHERE fingerprint = ? AND set_digest IS NULL",
                (digest.upper(), fingerprint),
            )

    def set_by_digest(self, digest: str) -> SetRecord | None:
        """The set whose full digest is ``digest`` (64 hex digits, any case), or None."""
        row = self.conn.execute(
            "SELECT * FROM share_sets WHERE set_digest = ?", (digest.upper(),)
        ).fetchone()
        return SetRecord(**dict(row)) if row else None

    def get_set(self, fingerprint: str) -> SetRecord | None:
        row = self.conn.execute(
            "SELECT * FROM share_sets WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return SetRecord(**dict(row)) if row else None

    def sets(self, status: str | None = None) -> list[SetRecord]:
        if status:
            rows = self.conn.execute(
                "SELECT * FROM share_sets WHERE status = ? ORDER BY recorded_at, fingerprint",
                (status,),
            )
        else:
            rows = self.conn.execute("SELECT * FROM share_sets ORDER BY recorded_at, fingerprint")
        return [SetRecord(**dict(r)) for r in rows]

    def custodians(self, fingerprint: str) -> list[CustodianRecord]:
        rows = self.conn.execute(
            "SELECT number, name, role, group_name, contact, location FROM custodians "
            "WHERE set_fp = ? ORDER BY number",
            (fingerprint,),
        )
        return [
            CustodianRecord(
                int(r["number"]),
                r["name"],
                r["role"],
                r["group_name"],
                r["contact"],
                r["location"],
            )
            for r in rows
        ]

    def update_custodian(
        self, fingerprint: str, number: int, *, contact: str | None, location: str | None
    ) -> bool:
        with self.tx() as c:
            cur = c.execute(
                "UPDATE custodians SET contact = COALESCE(?, contact), "
                "location = COALESCE(?, location) WHERE set_fp = ? AND number = ?",
                (contact, location, fingerprint, number),
            )
            return cur.rowcount > 0

    def mark_rotation_due(self, fingerprint: str, when: dt.datetime) -> bool:
        with self.tx() as c:
            cur = c.execute(
                "UPDATE share_sets SET status = 'rotation-due', rotation_due_at = ? "
                "WHERE fingerprint = ? AND status = 'active'",
                (_iso(when), fingerprint),
            )
            return cur.rowcount > 0

    def retire(
        self,
        fingerprint: str,
        *,
        by: str,
        reason: str | None,
        replaced_by: str | None,
        when: dt.datetime,
    ) -> bool:
        with self.tx() as c:
            cur = c.execute(
                "UPDATE share_sets SET status = 'retired', retired_at = ?, retired_by = ?, "
                "retired_reason = ?, replaced_by = ? WHERE fingerprint = ? AND status != 'retired'",
                (_iso(when), by, reason, replaced_by, fingerprint),
            )
            return cur.rowcount > 0

    # -- ceremonies ------------------------------------------------------------------------
    def start_ceremony(
        self,
        kind: str,
        when: dt.datetime,
        *,
        set_fp: str | None = None,
        incident: str | None = None,
        operator: str | None = None,
        witnesses: Sequence[str] = (),
        trigger: str | None = None,
    ) -> int:
        if kind not in CEREMONY_KINDS:
            raise ValueError(f"unknown ceremony kind {kind!r}")
        credential_id = None
        if set_fp:
            rec = self.get_set(set_fp)
            credential_id = rec.credential_id if rec else None
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO ceremonies (kind, set_fp, credential_id, incident, operator, "
                "witnesses, trigger_text, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    set_fp,
                    credential_id,
                    incident,
                    operator,
                    json.dumps(list(witnesses), ensure_ascii=False),
                    trigger,
                    _iso(when),
                ),
            )
            return int(cur.lastrowid or 0)

    def ceremony_seq(self, ceremony_id: int, seq: int) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE ceremonies SET first_seq = COALESCE(first_seq, ?), last_seq = ? "
                "WHERE id = ?",
                (seq, seq, ceremony_id),
            )

    def ceremony_set(self, ceremony_id: int, set_fp: str) -> None:
        rec = self.get_set(set_fp)
        with self.tx() as c:
            c.execute(
                "UPDATE ceremonies SET set_fp = ?, credential_id = ? WHERE id = ?",
                (set_fp, rec.credential_id if rec else None, ceremony_id),
            )

    def ceremony_override(self, ceremony_id: int, reason: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE ceremonies SET gate_override = ? WHERE id = ?", (reason, ceremony_id))

    def finish_ceremony(
        self, ceremony_id: int, status: str, outcome: str, when: dt.datetime
    ) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE ceremonies SET status = ?, outcome = ?, finished_at = ? WHERE id = ?",
                (status, outcome, _iso(when), ceremony_id),
            )

    def add_step(self, ceremony_id: int, step: str, seconds: float, when: dt.datetime) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO ceremony_steps (ceremony_id, step, seconds, at) VALUES (?, ?, ?, ?)",
                (ceremony_id, step, seconds, _iso(when)),
            )

    def steps(self, ceremony_id: int) -> list[tuple[str, float]]:
        rows = self.conn.execute(
            "SELECT step, seconds FROM ceremony_steps WHERE ceremony_id = ? ORDER BY rowid",
            (ceremony_id,),
        )
        return [(str(r[0]), float(r[1])) for r in rows]

    def ceremony(self, ceremony_id: int) -> CeremonyRecord | None:
        row = self.conn.execute("SELECT * FROM ceremonies WHERE id = ?", (ceremony_id,)).fetchone()
        return self._ceremony(row) if row else None

    def ceremonies(self, kind: str | None = None) -> list[CeremonyRecord]:
        if kind:
            rows = self.conn.execute("SELECT * FROM ceremonies WHERE kind = ? ORDER BY id", (kind,))
        else:
            rows = self.conn.execute("SELECT * FROM ceremonies ORDER BY id")
        return [self._ceremony(r) for r in rows]

    @staticmethod
    def _ceremony(row: sqlite3.Row) -> CeremonyRecord:
        d = dict(row)
        d["witnesses"] = json.loads(d["witnesses"] or "[]")
        d["trigger"] = d.pop("trigger_text")
        return CeremonyRecord(**d)

    def count_real_uses(self, credential_id: int, since: dt.datetime, until: dt.datetime) -> int:
        """Real uses (never drills) of a credential in [since, until): incidents under which a
        reconstruction recovered the credential (done, or still open past the quorum).
        Attempts that never recovered it (aborted, failed) are not uses. Retries under one
        incident reference (compared without case or surrounding spaces, as review records
        are joined) are one use, counted in the window where its first recovery started; a
        reconstruction with no incident reference is a use of its own."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM ("
            " SELECT MIN(started_at) AS first FROM ceremonies"
            " WHERE kind = 'reconstruction' AND credential_id = ?"
            " AND (status = 'done' OR (status = 'open' AND outcome = ?))"
            " GROUP BY CASE WHEN incident IS NULL OR trim(incident) = ''"
            "  THEN 'ceremony ' || id ELSE 'incident ' || lower(trim(incident)) END"
            ") WHERE first >= ? AND first < ?",
            (credential_id, QUORUM_REACHED, _iso(since), _iso(until)),
        ).fetchone()
        return int(row[0])

    def ceremony_quorum(self, ceremony_id: int) -> None:
        """An open ceremony recovered its credential (a use from now on, until it ends)."""
        with self.tx() as c:
            c.execute(
                "UPDATE ceremonies SET outcome = ? WHERE id = ? AND status = 'open'",
                (QUORUM_REACHED, ceremony_id),
            )

    def last_drill(self, credential_id: int) -> CeremonyRecord | None:
        row = self.conn.execute(
            "SELECT * FROM ceremonies WHERE kind = 'drill' AND credential_id = ? "
            "ORDER BY started_at DESC, id DESC LIMIT 1",
            (credential_id,),
        ).fetchone()
        return self._ceremony(row) if row else None

    # -- logs imported from other installations --------------------------------------------
    def imported_log(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM imported_logs WHERE key = ?", (key,)).fetchone()
        return dict(row) if row else None

    def imported_logs(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM imported_logs ORDER BY first_imported, key")
        return [dict(r) for r in rows]

    def imported_hashes(self, key: str) -> dict[int, str]:
        """seq -> line hash of every entry already imported from the log signed by ``key``."""
        rows = self.conn.execute("SELECT seq, hash FROM imported_entries WHERE key = ?", (key,))
        return {int(r[0]): str(r[1]) for r in rows}

    def record_import(
        self,
        *,
        key: str,
        fingerprint: str,
        file: str,
        entries: Sequence[tuple[int, str, str, str]],
        count: int,
        head: str,
        when: dt.datetime,
    ) -> None:
        """Remember an import: the log (its length and head) and each new entry (seq, hash,
        event, time). Entries already known are left as they are."""
        with self.tx() as c:
            c.execute(
                "INSERT INTO imported_logs (key, fingerprint, file, count, head, first_imported, "
                "last_imported) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "file = excluded.file, count = MAX(imported_logs.count, excluded.count), "
                "head = CASE WHEN excluded.count > imported_logs.count THEN excluded.head "
                "ELSE imported_logs.head END, last_imported = excluded.last_imported",
                (key, fingerprint, file, count, head, _iso(when), _iso(when)),
            )
            c.executemany(
                "INSERT OR IGNORE INTO imported_entries (key, seq, hash, event, time) "
                "VALUES (?, ?, ?, ?, ?)",
                [(key, seq, h, event, time) for seq, h, event, time in entries],
            )

    def start_imported_ceremony(
        self,
        kind: str,
        started_at: dt.datetime,
        *,
        origin_key: str,
        origin_fingerprint: str,
        origin_ceremony: int,
        origin_file: str,
        set_fp: str | None = None,
        incident: str | None = None,
        operator: str | None = None,
        witnesses: Sequence[str] = (),
        trigger: str | None = None,
    ) -> int:
        """A ceremony that happened at another installation, as its log recorded it."""
        if kind not in CEREMONY_KINDS:
            raise ValueError(f"unknown ceremony kind {kind!r}")
        rec = self.get_set(set_fp) if set_fp else None
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO ceremonies (kind, set_fp, credential_id, incident, operator, "
                "witnesses, trigger_text, started_at, origin_key, origin_fingerprint, "
                "origin_ceremony, origin_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    set_fp,
                    rec.credential_id if rec else None,
                    incident,
                    operator,
                    json.dumps(list(witnesses), ensure_ascii=False),
                    trigger,
                    _iso(started_at),
                    origin_key,
                    origin_fingerprint,
                    origin_ceremony,
                    origin_file,
                ),
            )
            return int(cur.lastrowid or 0)

    def ceremony_by_origin(self, origin_key: str, origin_ceremony: int) -> CeremonyRecord | None:
        row = self.conn.execute(
            "SELECT * FROM ceremonies WHERE origin_key = ? AND origin_ceremony = ?",
            (origin_key, origin_ceremony),
        ).fetchone()
        return self._ceremony(row) if row else None

    def imported_ceremonies(self) -> list[CeremonyRecord]:
        rows = self.conn.execute(
            "SELECT * FROM ceremonies WHERE origin_key IS NOT NULL ORDER BY started_at, id"
        )
        return [self._ceremony(r) for r in rows]

    # -- check-ins -------------------------------------------------------------------------
    def add_checkin(
        self,
        set_fp: str,
        number: int,
        custodian: str,
        *,
        by: str | None,
        when: dt.datetime,
        seq: int | None,
    ) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO checkins (set_fp, number, custodian, by_whom, at, seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (set_fp, number, custodian, by, _iso(when), seq),
            )

    def last_checkins(self, set_fp: str) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT number, MAX(at) FROM checkins WHERE set_fp = ? GROUP BY number", (set_fp,)
        )
        return {int(r[0]): str(r[1]) for r in rows}

    # -- reviews ---------------------------------------------------------------------------
    def add_review(self, ceremony_id: int, record: dict[str, Any], when: dt.datetime) -> int:
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO reviews (ceremony_id, record, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT(ceremony_id) DO NOTHING",
                (ceremony_id, json.dumps(record, ensure_ascii=False), _iso(when)),
            )
            if cur.rowcount:
                review_id = int(cur.lastrowid or 0)
                c.execute(
                    "INSERT OR IGNORE INTO review_ceremonies (ceremony_id, review_id) "
                    "VALUES (?, ?)",
                    (ceremony_id, review_id),
                )
                return review_id
            row = c.execute(
                "SELECT id FROM reviews WHERE ceremony_id = ?", (ceremony_id,)
            ).fetchone()
            return int(row[0])

    def join_review(self, review_id: int, ceremony_id: int) -> None:
        """Make ``ceremony_id`` one of the ceremonies the review record ``review_id`` covers
        (a ceremony belongs to one record at most; a second join changes nothing)."""
        with self.tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO review_ceremonies (ceremony_id, review_id) VALUES (?, ?)",
                (ceremony_id, review_id),
            )

    def review_ceremonies(self, review_id: int) -> list[int]:
        """The ceremonies a review record covers, oldest first (at least its first one)."""
        rows = self.conn.execute(
            "SELECT ceremony_id FROM review_ceremonies WHERE review_id = ? ORDER BY ceremony_id",
            (review_id,),
        ).fetchall()
        found = [int(r[0]) for r in rows]
        if not found:
            row = self.conn.execute(
                "SELECT ceremony_id FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            found = [int(row[0])] if row else []
        return found

    def draft_review_of_incident(
        self, incident: str, credential_id: int | None, *, excluding: int
    ) -> int | None:
        """The draft (not yet completed) review record of a real reconstruction here under
        ``incident`` (compared without case or surrounding spaces) on ``credential_id`` (None:
        attempts whose shares named no credential of this registry), other than the record of
        ceremony ``excluding``; the oldest when several, None when there is none."""
        row = self.conn.execute(
            "SELECT r.id FROM reviews r "
            "JOIN review_ceremonies rc ON rc.review_id = r.id "
            "JOIN ceremonies c ON c.id = rc.ceremony_id "
            "WHERE r.status = 'draft' AND c.kind = 'reconstruction' AND c.id != ? "
            "AND c.origin_key IS NULL AND c.incident IS NOT NULL "
            "AND lower(trim(c.incident)) = lower(trim(?)) AND c.credential_id IS ? "
            "ORDER BY r.id LIMIT 1",
            (excluding, incident, credential_id),
        ).fetchone()
        return int(row[0]) if row else None

    def update_review(
        self, review_id: int, record: dict[str, Any], completed: dt.datetime | None
    ) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE reviews SET record = ?, status = ?, completed_at = ? WHERE id = ?",
                (
                    json.dumps(record, ensure_ascii=False),
                    "completed" if completed else "draft",
                    _iso(completed) if completed else None,
                    review_id,
                ),
            )

    def review_of_ceremony(self, ceremony_id: int) -> int | None:
        """The id of the review record that covers a ceremony (there is at most one), or
        None."""
        row = self.conn.execute(
            "SELECT review_id FROM review_ceremonies WHERE ceremony_id = ?", (ceremony_id,)
        ).fetchone()
        if row:
            return int(row[0])
        row = self.conn.execute(
            "SELECT id FROM reviews WHERE ceremony_id = ?", (ceremony_id,)
        ).fetchone()
        return int(row[0]) if row else None

    def replace_review_record(self, review_id: int, record: dict[str, Any]) -> None:
        """New contents for a review record, its status and completion time unchanged."""
        with self.tx() as c:
            c.execute(
                "UPDATE reviews SET record = ? WHERE id = ?",
                (json.dumps(record, ensure_ascii=False), review_id),
            )

    def review(self, review_id: int) -> tuple[int, str, dict[str, Any]] | None:
        row = self.conn.execute(
            "SELECT ceremony_id, status, record FROM reviews WHERE id = ?", (review_id,)
        ).fetchone()
        if not row:
            return None
        return int(row[0]), str(row[1]), json.loads(row[2])

    def reviews(self) -> list[tuple[int, int, str, dict[str, Any]]]:
        rows = self.conn.execute("SELECT id, ceremony_id, status, record FROM reviews ORDER BY id")
        return [(int(r[0]), int(r[1]), str(r[2]), json.loads(r[3])) for r in rows]
