"""The sealed-share record, format v1 (see resources/spec/FORMAT.md).

A share record is bytes; it travels as a QR text ("BG1" + digits), as numbered parts when it
is too large for one QR code, and as a hand-transcription (SLIP-39 words + data lines).
Parsing a record always checks it alone: SLIP-39 checksum, internal consistency, and that
its Merkle path leads to the set fingerprint it carries. A ``Share`` object in memory is
therefore always intact; whether it belongs to the set you expect is the caller's question
(compare ``share.fingerprint``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import slip39
from .codec import (
    DecodeError,
    TranscriptionLine,
    base32_decode,
    digits_decode,
    digits_encode,
    make_lines,
    parse_line,
)
from .errors import CorruptShareError, MalformedShareError, PolicyError, ShareError
from .policy import Policy

__all__ = [
    "FINGERPRINT_BYTES",
    "FORMAT_VERSION",
    "HASH_BYTES",
    "PREFIX",
    "PartAssembler",
    "SetHeader",
    "Share",
    "SharePart",
    "format_fingerprint",
    "parse_fingerprint",
    "parse_share",
    "parse_text",
    "parse_transcription",
]

FORMAT_VERSION = 1
PREFIX = "BG1"
KIND_SHARE = 0x01
KIND_PART = 0x02
FINGERPRINT_BYTES = 8
HASH_BYTES = 8
PART_CHECK_BYTES = 4
PART_HEADER_BYTES = 1 + FINGERPRINT_BYTES + 3 + PART_CHECK_BYTES
MAX_TEXT_FIELD_BYTES = 64
MAX_SEALED_BYTES = 16 * 1024 + 16
EPOCH = dt.date(1970, 1, 1)
# Largest record that still fits one QR code of version 12 at error correction M in the text
# form ("BG1" + digits, measured with qrcode); larger records are cut into parts.
MAX_SINGLE_QR_BYTES = 279
AEAD_NONCE = bytes(12)


def _h(*chunks: bytes) -> bytes:
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(c)
    return digest.digest()


def _text_field(value: str, what: str) -> bytes:
    raw = value.encode()
    if len(raw) > MAX_TEXT_FIELD_BYTES:
        raise PolicyError(f"{what} is longer than {MAX_TEXT_FIELD_BYTES} bytes of UTF-8")
    return bytes([len(raw)]) + raw


def _read_text(data: bytes, offset: int, what: str) -> tuple[str, int]:
    if offset >= len(data):
        raise MalformedShareError(f"cut short before the {what}")
    n = data[offset]
    raw = data[offset + 1 : offset + 1 + n]
    if len(raw) != n:
        raise MalformedShareError(f"cut short inside the {what}")
    try:
        return raw.decode(), offset + 1 + n
    except UnicodeDecodeError as exc:
        raise MalformedShareError(f"the {what} is not UTF-8") from exc


def format_fingerprint(fp: bytes) -> str:
    """``7F3A-19C2-88D0-4E1B``: what people compare between sheets, screen and records."""
    h = fp.hex().upper()
    return "-".join(h[i : i + 4] for i in range(0, len(h), 4))


def parse_fingerprint(text: str) -> bytes:
    cleaned = text.replace("-", "").replace(" ", "").strip()
    try:
        fp = bytes.fromhex(cleaned)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a set fingerprint (16 hex digits)") from exc
    if len(fp) != FINGERPRINT_BYTES:
        raise ValueError(f"{text!r} is not a set fingerprint (16 hex digits)")
    return fp


# -- Merkle tree over the shares of a set (RFC 9162 shape, hashes cut to 8 bytes) ----------


def leaf_hash(leaf_input: bytes) -> bytes:
    return _h(b"\x00", leaf_input)[:HASH_BYTES]


def node_hash(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01", left, right)[:HASH_BYTES]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split_point(len(leaves))
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def merkle_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path of leaf ``index`` (0-based), innermost sibling first."""
    if len(leaves) == 1:
        return []
    k = _split_point(len(leaves))
    if index < k:
        return [*merkle_path(leaves[:k], index), merkle_root(leaves[k:])]
    return [*merkle_path(leaves[k:], index - k), merkle_root(leaves[:k])]


def path_length(index: int, size: int) -> int:
    if size == 1:
        return 0
    k = _split_point(size)
    return 1 + (path_length(index, k) if index < k else path_length(index - k, size - k))


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Recompute the root from a leaf and its audit path (RFC 9162, 2.1.3.2)."""

    def walk(node: bytes, index: int, size: int, path: list[bytes]) -> bytes:
        if size == 1:
            return node
        k = _split_point(size)
        sibling = path.pop()
        if index < k:
            return node_hash(walk(node, index, k, path), sibling)
        return node_hash(sibling, walk(node, index - k, size - k, path))

    return walk(leaf, index, size, list(path))


def _split_point(n: int) -> int:
    """Largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


# -- the set header: metadata common to every share of a set --------------------------------


@dataclass(frozen=True)
class SetHeader:
    created: dt.date
    policy: Policy
    label: str

    def encode(self) -> bytes:
        days = (self.created - EPOCH).days
        if not 0 <= days < 1 << 16:
            raise PolicyError("creation date out of range")
        return days.to_bytes(2, "big") + self.policy.encode() + _text_field(self.label, "the label")

    @classmethod
    def decode(cls, data: bytes, offset: int) -> tuple[SetHeader, int]:
        if offset + 2 > len(data):
            raise MalformedShareError("cut short before the creation date")
        created = EPOCH + dt.timedelta(days=int.from_bytes(data[offset : offset + 2], "big"))
        try:
            policy, offset = Policy.decode(data, offset + 2)
        except PolicyError as exc:
            raise MalformedShareError(f"bad policy field: {exc}") from exc
        label, offset = _read_text(data, offset, "label")
        return cls(created, policy, label), offset

    def associated_data(self) -> bytes:
        """What the AEAD binds the sealed credential to."""
        return PREFIX.encode() + self.encode()


def set_digest(header: SetHeader, sealed: bytes, root: bytes) -> bytes:
    return _h(b"BG1 set", header.encode(), _h(sealed), root)


def leaf_input(number: int, custodian: str, role: str, packed_words: bytes) -> bytes:
    return (
        bytes([number])
        + _text_field(custodian, "the custodian name")
        + _text_field(role, "the role")
        + packed_words
    )


# -- one share -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One custodian's share. Holds share material (the SLIP-39 words): print it, never log it."""

    fingerprint: bytes
    number: int
    custodian: str
    role: str
    header: SetHeader
    path: tuple[bytes, ...]
    sealed: bytes
    packed_words: bytes = field(repr=False)

    # -- identity ------------------------------------------------------------------------
    @property
    def policy(self) -> Policy:
        return self.header.policy

    @property
    def label(self) -> str:
        return self.header.label

    @property
    def created(self) -> dt.date:
        return self.header.created

    @property
    def total(self) -> int:
        return self.policy.total_shares

    @property
    def group_index(self) -> int:
        return self.policy.locate(self.number)[0]

    @property
    def member_index(self) -> int:
        return self.policy.locate(self.number)[1]

    @property
    def group_name(self) -> str:
        return self.policy.groups[self.group_index].name

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    @property
    def holder(self) -> str:
        if self.custodian and self.role:
            return f"{self.custodian}, {self.role}"
        return self.custodian or self.role or "no custodian named"

    def describe(self) -> str:
        """Names the share in messages: "share 2 of 5 (Ana Ruiz, on-call)". No share material."""
        return f"share {self.number} of {self.total} ({self.holder})"

    def __repr__(self) -> str:
        return f"<Share {self.number}/{self.total} of set {self.fingerprint_text}>"

    @property
    def words(self) -> list[str]:
        return slip39.unpack_words(self.packed_words)

    @property
    def slot(self) -> tuple[int, bytes]:
        """Two shares with the same slot carry the same SLIP-39 share (1-of-N groups)."""
        return (self.group_index, self.packed_words)

    def leaf(self) -> bytes:
        return leaf_hash(leaf_input(self.number, self.custodian, self.role, self.packed_words))

    def verification_words(self) -> list[str]:
        """Three words that identify this share in the ceremony record (not share material)."""
        v = int.from_bytes(_h(b"BG1 verify", self.fingerprint, self.leaf())[:4], "big") >> 2
        words = slip39.wordlist()
        return [words[(v >> s) & 0x3FF] for s in (20, 10, 0)]

    # -- encodings --------------------------------------------------------------------------
    def data_bytes(self) -> bytes:
        """The record without its SLIP-39 words (what the transcription's data lines carry)."""
        return (
            bytes([KIND_SHARE])
            + self.fingerprint
            + bytes([self.number])
            + _text_field(self.custodian, "the custodian name")
            + _text_field(self.role, "the role")
            + self.header.encode()
            + b"".join(self.path)
            + self.sealed
        )

    def to_bytes(self) -> bytes:
        return self.data_bytes() + self.packed_words

    def to_text(self) -> str:
        """The QR text form of the whole record, one line."""
        return PREFIX + digits_encode(self.to_bytes())

    def qr_texts(self) -> list[str]:
        """What goes into QR codes: the whole record, or its numbered parts if it is too big."""
        record = self.to_bytes()
        if len(record) <= MAX_SINGLE_QR_BYTES:
            return [PREFIX + digits_encode(record)]
        room = MAX_SINGLE_QR_BYTES - PART_HEADER_BYTES
        count = -(-len(record) // room)
        size = -(-len(record) // count)
        chunks = [record[i : i + size] for i in range(0, len(record), size)]
        return [
            SharePart(self.fingerprint, self.number, i, len(chunks), c).to_text()
            for i, c in enumerate(chunks, start=1)
        ]

    def transcription_lines(self) -> list[TranscriptionLine]:
        return make_lines(self.data_bytes())

    def transcription(self) -> str:
        """The hand-transcription form: SLIP-39 words, then numbered data lines."""
        words = self.words
        out = [
            f"BREAK-GLASS SHARE {self.number} OF {self.total} - SET {self.fingerprint_text}",
            f"WORDS ({len(words)})",
        ]
        for row in range(0, len(words), 6):
            out.append(
                "  ".join(
                    f"{i + 1:2d} {w:<9}" for i, w in enumerate(words[row : row + 6], start=row)
                ).rstrip()
            )
        out.append(f"DATA ({len(self.transcription_lines())} lines)")
        out += [line.render() for line in self.transcription_lines()]
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class SharePart:
    """Part ``index`` of ``count`` of share ``number``'s record."""

    fingerprint: bytes
    number: int
    index: int
    count: int
    chunk: bytes = field(repr=False)

    def _check(self) -> bytes:
        return _h(b"BG1 part", self._head(), self.chunk)[:PART_CHECK_BYTES]

    def _head(self) -> bytes:
        return self.fingerprint + bytes([self.number, self.index, self.count])

    def to_bytes(self) -> bytes:
        return bytes([KIND_PART]) + self._head() + self._check() + self.chunk

    def to_text(self) -> str:
        return PREFIX + digits_encode(self.to_bytes())

    def describe(self) -> str:
        fp = format_fingerprint(self.fingerprint)
        return f"part {self.index} of {self.count} of share {self.number} (set {fp})"

    def __repr__(self) -> str:
        return f"<SharePart {self.index}/{self.count} of share {self.number}>"

    @classmethod
    def from_bytes(cls, data: bytes) -> SharePart:
        if len(data) < PART_HEADER_BYTES + 1:
            raise MalformedShareError("a share part is cut short")
        fp = data[1:9]
        number, index, count = data[9], data[10], data[11]
        part = cls(fp, number, index, count, data[PART_HEADER_BYTES:])
        name = f"part {index} of {count} of share {number}"
        if not (1 <= index <= count and count >= 2):
            raise MalformedShareError("its part numbers are impossible", name)
        if part._check() != data[12:16]:
            raise CorruptShareError("its checksum does not match: damaged or mistyped", name)
        return part


class PartAssembler:
    """Collects the parts of large shares, read in any order, into whole shares."""

    def __init__(self) -> None:
        self._parts: dict[tuple[bytes, int], dict[int, SharePart]] = {}
        self._counts: dict[tuple[bytes, int], int] = {}

    def add(self, part: SharePart) -> Share | None:
        """Add a part; return the whole share once its last part arrives."""
        key = (part.fingerprint, part.number)
        expected = self._counts.setdefault(key, part.count)
        if expected != part.count:
            raise MalformedShareError(
                f"says it has {part.count} parts but earlier parts said {expected}", part.describe()
            )
        self._parts.setdefault(key, {})[part.index] = part
        parts = self._parts[key]
        if len(parts) < expected:
            return None
        record = b"".join(parts[i].chunk for i in range(1, expected + 1))
        share = parse_share(record)
        if share.fingerprint != part.fingerprint or share.number != part.number:
            raise CorruptShareError(
                "its parts do not assemble into the share they name", part.describe()
            )
        del self._parts[key]
        return share

    def progress(self) -> list[tuple[bytes, int, int, int]]:
        """(fingerprint, share number, parts read, parts in all) for each share in progress."""
        return [(fp, n, len(p), self._counts[(fp, n)]) for (fp, n), p in self._parts.items()]

    def clear(self) -> None:
        self._parts.clear()
        self._counts.clear()


# -- parsing --------------------------------------------------------------------------------------


def parse_share(record: bytes) -> Share:
    """Parse and check a whole share record (binary). Raises a typed ``ShareError``."""
    if not record:
        raise MalformedShareError("empty share record")
    if record[0] != KIND_SHARE:
        raise MalformedShareError(f"not a whole share record (kind {record[0]})")
    if len(record) < 1 + FINGERPRINT_BYTES + 1 + slip39.PACKED_BYTES:
        raise MalformedShareError("the share record is cut short")
    fp = record[1:9]
    number = record[9]
    provisional = f"share {number} of set {format_fingerprint(fp)}"
    try:
        custodian, off = _read_text(record, 10, "custodian name")
        role, off = _read_text(record, off, "role")
        header, off = SetHeader.decode(record, off)
    except ShareError as exc:
        raise MalformedShareError(exc.reason, provisional) from exc
    policy = header.policy
    total = policy.total_shares
    if not 1 <= number <= total:
        raise MalformedShareError(f"share number {number} is outside 1..{total}", provisional)
    name = f"share {number} of {total} ({custodian}{', ' + role if role else ''})"
    depth = path_length(number - 1, total)
    path_end = off + depth * HASH_BYTES
    words_start = len(record) - slip39.PACKED_BYTES
    if words_start - path_end < 17:
        raise MalformedShareError("the record is cut short before its sealed credential", name)
    if words_start - path_end > MAX_SEALED_BYTES:
        raise MalformedShareError("the sealed credential is larger than the format allows", name)
    path = tuple(record[off + i * HASH_BYTES : off + (i + 1) * HASH_BYTES] for i in range(depth))
    sealed = record[path_end:words_start]
    packed = record[words_start:]
    try:
        words = slip39.unpack_words(packed)
        head = slip39.parse_words(words)
    except (ValueError, slip39.MnemonicError) as exc:
        raise CorruptShareError(f"its SLIP-39 words fail their checksum ({exc})", name) from exc
    _check_consistency(head, policy, number, name)
    share = Share(fp, number, custodian, role, header, path, sealed, packed)
    root = root_from_path(share.leaf(), number - 1, total, path)
    if set_digest(header, sealed, root)[:FINGERPRINT_BYTES] != fp:
        raise CorruptShareError(
            "its contents do not match its set fingerprint: it was altered or damaged", name
        )
    return share


def _check_consistency(head: slip39.Slip39Header, policy: Policy, number: int, name: str) -> None:
    gi, pos = policy.locate(number)
    group = policy.groups[gi]
    expected_member = (pos, group.threshold) if group.threshold > 1 else (0, 1)
    if (
        head.group_index != gi
        or head.group_threshold != policy.group_threshold
        or head.group_count != len(policy.groups)
        or (head.member_index, head.member_threshold) != expected_member
    ):
        raise CorruptShareError("its SLIP-39 words disagree with its policy fields", name)


def parse_text(text: str) -> Share | SharePart:
    """Parse the QR text form (a whole share or one part)."""
    cleaned = "".join(text.split())
    if not cleaned.upper().startswith(PREFIX):
        raise MalformedShareError(f"not a Breakglass share: it does not start with {PREFIX}")
    try:
        record = digits_decode(cleaned[len(PREFIX) :])
    except DecodeError as exc:
        raise MalformedShareError(f"not a Breakglass share: {exc}") from exc
    if record[:1] == bytes([KIND_PART]):
        return SharePart.from_bytes(record)
    return parse_share(record)


def parse_transcription(text: str) -> Share:
    """Parse a typed share: its SLIP-39 words, then its numbered data lines."""
    words_index = set(slip39.wordlist())
    words: list[str] = []
    lines: dict[int, str] = {}
    section = "words"
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if upper.startswith("BREAK-GLASS SHARE"):
            continue
        if upper.startswith("WORDS"):
            section = "words"
            continue
        if upper.startswith("DATA"):
            section = "data"
            continue
        if section == "words":
            for raw_token in line.split():
                token = raw_token.strip(".,:;").lower()
                if token.isdigit():
                    continue
                if token not in words_index:
                    raise MalformedShareError(f"{token!r} is not a SLIP-39 word")
                words.append(token)
        else:
            try:
                number, chars = parse_line(line)
            except DecodeError as exc:
                raise MalformedShareError(str(exc)) from exc
            if number in lines:
                raise MalformedShareError(f"data line {number:02d} appears twice")
            lines[number] = chars
    if len(words) != slip39.WORD_COUNT:
        raise MalformedShareError(f"expected {slip39.WORD_COUNT} SLIP-39 words, found {len(words)}")
    if not lines:
        raise MalformedShareError("no data lines found after the words")
    missing = [n for n in range(1, max(lines) + 1) if n not in lines]
    if missing:
        raise MalformedShareError("data line(s) missing: " + ", ".join(f"{n:02d}" for n in missing))
    try:
        data = base32_decode("".join(lines[n] for n in sorted(lines)))
        packed = slip39.pack_words(words)
    except (DecodeError, KeyError, ValueError) as exc:
        raise MalformedShareError(f"the data lines do not decode: {exc}") from exc
    return parse_share(data + packed)


def parse_any(text: str) -> Share | SharePart:
    """A share in any text form: QR text (whole or part) or a typed transcription."""
    stripped = text.strip()
    if stripped.upper().startswith(PREFIX):
        return parse_text(stripped)
    return parse_transcription(stripped)


def read_share_texts(text: str) -> Iterable[str]:
    """The share texts in a file: one QR text per line, or a whole transcription."""
    stripped = text.strip()
    if stripped.upper().startswith(PREFIX):
        yield from (ln.strip() for ln in stripped.splitlines() if ln.strip())
    else:
        yield stripped
