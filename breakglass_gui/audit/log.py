"""The append-only, hash-chained, signed audit log (JSON Lines).

Each line is one entry, canonical JSON (sorted keys, no spaces)::

    {"event":"...","fields":{...},"prev":"<sha256 of the previous line>","seq":N,
     "sig":"<base64 Ed25519 signature>","time":"2026-06-22T03:14:09.000Z"}

``prev`` of entry 1 is a genesis hash bound to the installation's public key. The signature
covers ``b"breakglass-audit-v1\\n"`` + the canonical JSON of the entry without ``sig``. Each
append is one ``write`` of the whole line on an ``O_APPEND`` descriptor under an exclusive
lock, then ``fsync``: a process killed mid-append leaves at most one torn last line, which
the verifier reports as such and the next writer sets aside (logging that it did).

Verification needs only the file and the public key; anchors (entry count + head hash, kept
in the registry and in every mirror) reveal a truncated tail.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from breakglass_gui.core.errors import BreakglassError

from .events import EVENTS, check_fields, describe
from .keys import PublicKey, SigningKey

if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover - Windows: single-writer assumption
    fcntl = None

__all__ = [
    "Anchor",
    "AnchorFinding",
    "AnchorKind",
    "AuditLog",
    "AuditLogError",
    "Entry",
    "LogVerifier",
    "Problem",
    "VerifyCache",
    "VerifyReport",
    "canonical",
    "check_anchor",
    "genesis_hash",
    "line_hash",
    "parse_anchor",
    "read_entries",
    "utc_now",
    "verify_file",
]

LOG_FORMAT = "breakglass-audit-v1"
SIGN_DOMAIN = b"breakglass-audit-v1\n"
_KNOWN_EVENTS = frozenset(EVENTS)
ENTRY_KEYS = frozenset({"seq", "time", "event", "fields", "prev", "sig"})
_TAIL_CHUNK = 64 * 1024


class AuditLogError(BreakglassError):
    """The log cannot be appended to (its last entry is unreadable) or read."""


def canonical(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def genesis_hash(public_key: PublicKey) -> str:
    """``prev`` of the first entry: binds the log to the key that signs it."""
    return hashlib.sha256(b"breakglass-audit-v1 genesis\n" + public_key.raw).hexdigest()


def line_hash(line: bytes) -> str:
    """SHA-256 of one entry's line (without its line end), hex."""
    return hashlib.sha256(line).hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Entry:
    seq: int
    time: str
    event: str
    fields: dict[str, Any]
    prev: str
    sig: str
    line: bytes = field(repr=False)

    @property
    def hash(self) -> str:
        return line_hash(self.line)

    @property
    def when(self) -> dt.datetime:
        return parse_time(self.time)

    def text(self) -> str:
        return describe(self.event, self.fields)

    def signed_bytes(self) -> bytes:
        body = {
            "seq": self.seq,
            "time": self.time,
            "event": self.event,
            "fields": self.fields,
            "prev": self.prev,
        }
        return SIGN_DOMAIN + canonical(body)

    @classmethod
    def parse(cls, line: bytes) -> Entry:
        """Parse one line; raises ValueError if it is not an entry in canonical form."""
        try:
            obj = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(obj, dict) or set(obj) != ENTRY_KEYS:
            raise ValueError("not an audit entry (wrong keys)")
        seq, time, event, fields, prev, sig = (
            obj["seq"],
            obj["time"],
            obj["event"],
            obj["fields"],
            obj["prev"],
            obj["sig"],
        )
        if not (
            isinstance(seq, int)
            and not isinstance(seq, bool)
            and isinstance(time, str)
            and isinstance(event, str)
            and isinstance(fields, dict)
            and isinstance(prev, str)
            and isinstance(sig, str)
        ):
            raise ValueError("not an audit entry (wrong types)")
        if canonical(obj) != line:
            raise ValueError("not in canonical form (re-encoded or edited by hand)")
        return cls(seq, time, event, fields, prev, sig, bytes(line))


# -- verification ----------------------------------------------------------------------------


MIN_ANCHOR_HEX = 16
_ANCHOR_RE = re.compile(r"^\s*(\d+):([0-9a-fA-F]{16,64})\s*$")  # 16: MIN_ANCHOR_HEX


@dataclass(frozen=True)
class Anchor:
    """What some other place remembers about the log: its entry count and head hash.

    ``head`` is the hex SHA-256 of entry ``count``'s line, or a prefix of it of at least
    16 hex digits (what an announcement carries).
    """

    count: int
    head: str
    source: str

    def text(self) -> str:
        return f"{self.count}:{self.head}"

    def matches(self, line_hash_hex: str) -> bool:
        return bool(self.head) and line_hash_hex.startswith(self.head.lower())


def parse_anchor(text: str, source: str = "") -> Anchor:
    """``COUNT:HEAD`` as announced (HEAD: 16 to 64 hex digits of the entry's hash)."""
    m = _ANCHOR_RE.match(text)
    if m is None or int(m.group(1)) <= 0:
        raise ValueError(
            f"{text!r}: expected COUNT:HEAD (COUNT an entry number from 1, HEAD at least "
            f"{MIN_ANCHOR_HEX} hex digits of that entry's hash)"
        )
    count = int(m.group(1))
    return Anchor(count, m.group(2).lower(), source or f"anchor {count}")


class AnchorKind(Enum):
    """What ``audit verify --anchor`` found, compared with an anchor held elsewhere."""

    MATCHES = "matches"
    LOG_MISSING = "log-missing"
    REKEYED = "re-keyed"
    ROLLED_BACK = "rolled-back"
    CUT = "cut"
    REWRITTEN = "rewritten"


@dataclass(frozen=True)
class AnchorFinding:
    anchor: Anchor
    kind: AnchorKind
    message: str

    @property
    def ok(self) -> bool:
        return self.kind is AnchorKind.MATCHES


def check_anchor(
    data: bytes | None,
    public_key: PublicKey | None,
    anchor: Anchor,
    *,
    registry_count: int | None = None,
) -> AnchorFinding:
    """Compare a log (its bytes, or None when there is no file) with one announced anchor.

    The kinds, in the order they are looked for:

    - ``log-missing``: there is no log (or it is empty);
    - ``re-keyed``: entry COUNT is the anchored one, but the key given (the key on disk) did
      not sign it: the signing key was replaced;
    - ``cut`` / ``rolled-back``: the log holds fewer entries than the anchor; "cut" when the
      registry still records more entries than the file holds, "rolled back" when the
      registry went back with it (a copy of the data directory put back);
    - ``rewritten``: entry COUNT is there but is not the anchored entry: rewritten, re-signed,
      or rolled back and continued.
    """
    where = anchor.source or "the anchor"
    if data is None or not data.strip():
        extra = ""
        if registry_count:
            extra = f"; the registry still records {registry_count} entries"
        return AnchorFinding(
            anchor,
            AnchorKind.LOG_MISSING,
            f"log missing: {where} says entry {anchor.count} was written (head "
            f"{anchor.head[:16]}…) but there is no audit log here{extra}. The log was deleted "
            "(or the data directory was)",
        )
    lines, _ = split_lines(data)
    if len(lines) < anchor.count:
        if registry_count is not None and registry_count > len(lines):
            return AnchorFinding(
                anchor,
                AnchorKind.CUT,
                f"cut: {where} says entry {anchor.count} exists but the log holds "
                f"{len(lines)} entries, and the registry still records {registry_count}: the "
                "log's tail was cut off",
            )
        return AnchorFinding(
            anchor,
            AnchorKind.ROLLED_BACK,
            f"rolled back: {where} says entry {anchor.count} exists but the log holds "
            f"{len(lines)} entries and the registry agrees with it: an older copy of the data "
            "directory was put back, or it was deleted and started again",
        )
    line = lines[anchor.count - 1]
    if anchor.matches(line_hash(line)):
        if public_key is not None:
            try:
                entry = Entry.parse(line)
                sig = base64.b64decode(entry.sig, validate=True)
                signed = public_key.verify(sig, entry.signed_bytes())
            except (ValueError, binascii.Error):
                signed = False
            if not signed:
                return AnchorFinding(
                    anchor,
                    AnchorKind.REKEYED,
                    f"re-keyed: entry {anchor.count} is the anchored entry, but the key "
                    f"{public_key.fingerprint()} did not sign it: the signing key was replaced",
                )
        return AnchorFinding(
            anchor,
            AnchorKind.MATCHES,
            f"entry {anchor.count} is the one {where} recorded",
        )
    return AnchorFinding(
        anchor,
        AnchorKind.REWRITTEN,
        f"rewritten: entry {anchor.count} is not the entry {where} recorded (head "
        f"{anchor.head[:16]}…): the log was rewritten, re-signed, or rolled back and continued",
    )


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line number in the file (0: the file as a whole)
    seq: int | None
    kind: str  # malformed, signature, sequence, chain, truncated, anchor
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "log"
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    entries: int  # whole lines read
    valid: int  # entries that verify before the first problem
    head: str  # hash of the last whole line ("" if none)
    last_seq: int
    problems: list[Problem]
    torn_bytes: int = 0  # bytes of an unfinished last line
    anchors_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if self.problems:
            return (
                f"BROKEN: {len(self.problems)} problem(s); the first {self.valid} entries verify; "
                f"first problem: {self.problems[0]}"
            )
        text = f"intact: {self.entries} entries, signatures and chain verify"
        if self.anchors_checked:
            text += f"; matches {', '.join(self.anchors_checked)}"
        if self.torn_bytes:
            text += (
                f"; the last line is torn ({self.torn_bytes} bytes, an interrupted write): "
                "every whole entry before it verifies"
            )
        return text


class VerifyCache:
    """Remembers lines whose signature already verified under a key (repeat checks are cheap)."""

    def __init__(self) -> None:
        self._ok: set[bytes] = set()

    def key(self, public_key: PublicKey, line: bytes) -> bytes:
        return hashlib.sha256(public_key.raw + b"\0" + line).digest()

    def __contains__(self, item: bytes) -> bool:
        return item in self._ok

    def add(self, item: bytes) -> None:
        self._ok.add(item)


class LogVerifier:
    """Checks a log line by line: form, signature, sequence, chain; then anchors and tail."""

    def __init__(
        self,
        public_key: PublicKey,
        anchors: Sequence[Anchor] = (),
        *,
        cache: VerifyCache | None = None,
        stop_at_first: bool = False,
    ) -> None:
        self.public_key = public_key
        self.anchors = list(anchors)
        self.cache = cache
        self.stop_at_first = stop_at_first
        self._expected_seq = 1
        self._expected_prev = genesis_hash(public_key)
        self._hashes: list[str] = []
        self._problems: list[Problem] = []
        self._valid = 0
        self._last_seq = 0

    @property
    def stopped(self) -> bool:
        return self.stop_at_first and bool(self._problems)

    def _problem(self, line: int, seq: int | None, kind: str, message: str) -> None:
        self._problems.append(Problem(line, seq, kind, message))

    def _signature_ok(self, entry: Entry) -> bool:
        ck = self.cache.key(self.public_key, entry.line) if self.cache is not None else b""
        if self.cache is not None and ck in self.cache:
            return True
        try:
            sig = base64.b64decode(entry.sig, validate=True)
        except (binascii.Error, ValueError):
            return False
        ok = self.public_key.verify(sig, entry.signed_bytes())
        if ok and self.cache is not None:
            self.cache.add(ck)
        return ok

    def feed(self, line: bytes) -> None:
        """One whole line (without its line end)."""
        if self.stopped:
            return
        number = len(self._hashes) + 1
        h = line_hash(line)
        self._hashes.append(h)
        before = len(self._problems)
        try:
            entry = Entry.parse(line)
        except ValueError as exc:
            self._problem(number, None, "malformed", f"not a valid entry ({exc})")
            self._expected_seq += 1
            self._expected_prev = h
            return
        seq = entry.seq
        if not self._signature_ok(entry):
            self._problem(
                number,
                seq,
                "signature",
                f"entry {seq}: the signature does not verify (edited or forged)",
            )
        if seq != self._expected_seq:
            if seq < self._expected_seq:
                msg = (
                    f"entry {seq} appears where entry {self._expected_seq} should be "
                    "(inserted, repeated or moved)"
                )
            else:
                gap = (
                    f"entry {self._expected_seq}"
                    if seq == self._expected_seq + 1
                    else f"entries {self._expected_seq}-{seq - 1}"
                )
                msg = f"{gap} missing before entry {seq} (deleted or moved)"
            self._problem(number, seq, "sequence", msg)
        if entry.prev != self._expected_prev:
            self._problem(
                number,
                seq,
                "chain",
                f"entry {seq} does not chain to the line before it "
                "(an entry was edited, deleted, inserted or moved)",
            )
        if entry.event not in _known_events():
            self._problem(number, seq, "malformed", f"entry {seq}: unknown event {entry.event!r}")
        if len(self._problems) == before and not self._problems:
            self._valid += 1
        self._expected_seq = seq + 1
        self._expected_prev = h
        self._last_seq = seq

    def finish(self, torn: bytes = b"") -> VerifyReport:
        """The report for what was fed, plus ``torn`` unfinished bytes. Does not change state."""
        problems = list(self._problems)
        checked = []
        entries = len(self._hashes)
        for anchor in self.anchors:
            if self.stop_at_first and problems:
                break
            if anchor.count <= 0:
                continue
            if anchor.count > entries:
                problems.append(
                    Problem(
                        0,
                        None,
                        "truncated",
                        f"{anchor.source} records {anchor.count} entries (head "
                        f"{anchor.head[:12]}…) but the file holds {entries} whole entries: "
                        f"entries after {entries} were cut off",
                    )
                )
            elif not anchor.matches(self._hashes[anchor.count - 1]):
                problems.append(
                    Problem(
                        anchor.count,
                        anchor.count,
                        "anchor",
                        f"entry {anchor.count} is not the one {anchor.source} recorded "
                        f"(head {anchor.head[:12]}…): the log was rewritten",
                    )
                )
            else:
                checked.append(anchor.source)
        return VerifyReport(
            entries=entries,
            valid=self._valid,
            head=self._hashes[-1] if self._hashes else "",
            last_seq=self._last_seq,
            problems=problems,
            torn_bytes=len(torn),
            anchors_checked=checked,
        )


def _known_events() -> frozenset[str]:
    return _KNOWN_EVENTS


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Whole lines, and the torn rest after the last line end."""
    *lines, torn = data.split(b"\n")
    return lines, torn


def verify_bytes(
    data: bytes,
    public_key: PublicKey,
    anchors: Sequence[Anchor] = (),
    *,
    cache: VerifyCache | None = None,
    stop_at_first: bool = False,
) -> VerifyReport:
    verifier = LogVerifier(public_key, anchors, cache=cache, stop_at_first=stop_at_first)
    lines, torn = split_lines(data)
    for line in lines:
        verifier.feed(line)
        if verifier.stopped:
            break
    return verifier.finish(torn)


def verify_file(
    path: Path,
    public_key: PublicKey,
    anchors: Sequence[Anchor] = (),
    *,
    cache: VerifyCache | None = None,
    stop_at_first: bool = False,
) -> VerifyReport:
    return verify_bytes(
        path.read_bytes(), public_key, anchors, cache=cache, stop_at_first=stop_at_first
    )


def read_entries(path: Path) -> Iterator[Entry]:
    """The entries of a log, parsed but not verified; unreadable lines are skipped."""
    if not path.exists():
        return
    lines, _ = split_lines(path.read_bytes())
    for line in lines:
        try:
            yield Entry.parse(line)
        except ValueError:
            continue


# -- the writer --------------------------------------------------------------------------------


def _read_tail(fd: int) -> tuple[bytes | None, int]:
    """(last whole line or None, length of the torn bytes after it)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0
    buf = b""
    pos = size
    while True:
        start = max(0, pos - _TAIL_CHUNK)
        buf = os.pread(fd, pos - start, start) + buf
        pos = start
        last_nl = buf.rfind(b"\n")
        if last_nl >= 0:
            torn = len(buf) - last_nl - 1
            prev_nl = buf.rfind(b"\n", 0, last_nl)
            if prev_nl >= 0 or pos == 0:
                return buf[prev_nl + 1 : last_nl], torn
        elif pos == 0:
            return None, len(buf)
        if pos == 0:  # pragma: no cover - covered by the branches above
            return None, len(buf)


class AuditLog:
    """Appends signed, chained entries to one log file. Safe across processes (flock)."""

    def __init__(
        self,
        path: Path,
        key: SigningKey,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.path = path
        self.key = key
        self.clock = clock

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.path, flags, stat.S_IRUSR | stat.S_IWUSR)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the log's append lock (no process appends, nor commits an append's anchor,
        meanwhile): for bringing the registry's anchor up to the log's head after a crash."""
        fd = self._open()
        try:
            yield
        finally:
            os.close(fd)  # also releases the lock

    def append(
        self,
        event: str,
        fields: Mapping[str, Any],
        *,
        then: Callable[[Entry], None] | None = None,
    ) -> Entry:
        """Validate, sign, write and fsync one entry; ``then(entry)`` runs under the lock."""
        clean = check_fields(event, fields)
        fd = self._open()
        try:
            entries = self._append_locked(fd, event, clean)
            if then is not None:
                for e in entries:
                    then(e)
            return entries[-1]
        finally:
            os.close(fd)  # also releases the lock

    def _append_locked(self, fd: int, event: str, fields: dict[str, Any]) -> list[Entry]:
        last, torn = _read_tail(fd)
        written: list[Entry] = []
        if last is None:
            seq, prev = 0, genesis_hash(self.key.public)
        else:
            try:
                tail = Entry.parse(last)
            except ValueError as exc:
                raise AuditLogError(
                    f"{self.path}: the last entry is unreadable ({exc}); run 'breakglass audit "
                    "verify' and keep this file as evidence"
                ) from exc
            seq, prev = tail.seq, tail.hash
        if torn:
            size = os.fstat(fd).st_size
            rest = os.pread(fd, torn, size - torn)
            side = self.path.with_name(f"{self.path.name}.torn-after-{seq}")
            with open(side, "ab") as f:
                f.write(rest + b"\n")
            os.ftruncate(fd, size - torn)
            os.fsync(fd)
            e = self._write(
                fd, seq + 1, prev, "log_repaired", {"torn_bytes": torn, "after_seq": seq}
            )
            written.append(e)
            seq, prev = e.seq, e.hash
        if last is None and not torn and event not in ("log_created", "chain_reset"):
            e = self._write(fd, seq + 1, prev, "log_created", {"key": self.key.public.text()})
            written.append(e)
            seq, prev = e.seq, e.hash
        written.append(self._write(fd, seq + 1, prev, event, fields))
        return written

    def _write(self, fd: int, seq: int, prev: str, event: str, fields: dict[str, Any]) -> Entry:
        body = {
            "seq": seq,
            "time": format_time(self.clock()),
            "event": event,
            "fields": fields,
            "prev": prev,
        }
        sig = base64.b64encode(self.key.sign(SIGN_DOMAIN + canonical(body))).decode()
        line = canonical({**body, "sig": sig})
        data = line + b"\n"
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
        return Entry(seq, body["time"], event, fields, prev, sig, line)  # type: ignore[arg-type]
