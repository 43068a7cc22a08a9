"""The sealed-share record, format v2 (see resources/spec/FORMAT.md).

A share record is bytes; it travels as a QR text ("BG2" + digits), as numbered parts when it
is too large for one QR code, and as a hand-transcription (SLIP-39 words + data lines).
Parsing a record always checks it alone: SLIP-39 checksum, internal consistency, and that
its Merkle path and contents give back the check it carries. A ``Share`` object in memory is
therefore always intact; whether it belongs to the set you expect is the caller's question:
compare ``share.set_digest`` (the full 256-bit identity of its set, what a malicious set maker
cannot make collide) or, for a human check, ``share.fingerprint`` (its first 64 bits).

Format v1 ("BG1") was never released; a reader refuses it with ``UnsupportedFormatError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
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
from .errors import (
    CorruptShareError,
    FingerprintError,
    MalformedShareError,
    PolicyError,
    ShareError,
    UnsupportedFormatError,
)
from .policy import Policy

__all__ = [
    "CHECK_BYTES",
    "COMMIT_BYTES",
    "DIGEST_BYTES",
    "FINGERPRINT_BYTES",
    "FORMAT_VERSION",
    "HASH_BYTES",
    "PREFIX",
    "PartAssembler",
    "SetHeader",
    "Share",
    "SharePart",
    "digest_of",
    "fingerprint_matches",
    "format_fingerprint",
    "format_set_digest",
    "parse_any",
    "parse_fingerprint",
    "parse_share",
    "parse_text",
    "parse_transcription",
    "set_digest",
]

FORMAT_VERSION = 2
PREFIX = "BG2"
#: Prefixes of formats this reader knows of but refuses (v1 was a pre-release).
RETIRED_PREFIXES = ("BG1",)
KIND_SHARE = 0x01
KIND_PART = 0x02
FINGERPRINT_BYTES = 8  # the printed, human-compared form: the first 64 bits of the set digest
DIGEST_BYTES = 32  # the set's identity
CHECK_BYTES = 4  # what a record carries of its own set digest: a check against damage
HASH_BYTES = 8  # Merkle nodes
COMMIT_BYTES = 20  # the key-committing tag that replaces GCM's 16-byte tag (CTX)
PART_CHECK_BYTES = 4
PART_HEADER_BYTES = 1 + FINGERPRINT_BYTES + 3 + PART_CHECK_BYTES
MAX_TEXT_FIELD_BYTES = 64
MAX_SECRET_BYTES = 16 * 1024
MAX_SEALED_BYTES = MAX_SECRET_BYTES + COMMIT_BYTES
FLAG_DRILL = 0x01
KNOWN_FLAGS = FLAG_DRILL
EPOCH = dt.date(1970, 1, 1)
# Largest record that still fits one QR code of version 12 at error correction M in the text
# form ("BG2" + digits, measured with qrcode); larger records are cut into parts.
MAX_SINGLE_QR_BYTES = 279
AEAD_NONCE = bytes(12)
# Unicode bidirectional controls: they make a printed name read differently from its bytes.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _h(*chunks: bytes) -> bytes:
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(c)
    return digest.digest()


def text_problem(value: str, limit: int = MAX_TEXT_FIELD_BYTES) -> str | None:
    """Why ``value`` cannot be a label, name, role or group name; None when it can.

    Text fields are UTF-8 in Unicode NFC, at most ``limit`` bytes, without control
    characters (C0, C1, DEL) or bidirectional controls.
    """
    if unicodedata.normalize("NFC", value) != value:
        return "is not in Unicode NFC (normalise it first)"
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in value):
        return "contains a control character"
    if len(value.encode()) > limit:
        return f"is longer than {limit} bytes of UTF-8"
    return None


def _text_field(value: str, what: str) -> bytes:
    problem = text_problem(value)
    if problem:
        raise PolicyError(f"{what} {problem}")
    raw = value.encode()
    return bytes([len(raw)]) + raw


def _read_text(data: bytes, offset: int, what: str) -> tuple[str, int]:
    if offset >= len(data):
        raise MalformedShareError(f"cut short before the {what}")
    n = data[offset]
    raw = data[offset + 1 : offset + 1 + n]
    if len(raw) != n:
        raise MalformedShareError(f"cut short inside the {what}")
    try:
        value = raw.decode()
    except UnicodeDecodeError as exc:
        raise MalformedShareError(f"the {what} is not UTF-8") from exc
    problem = text_problem(value)
    if problem:
        raise MalformedShareError(f"the {what} {problem}")
    return value, offset + 1 + n


def format_fingerprint(fp: bytes) -> str:
    """``7F3A-19C2-88D0-4E1B``: groups of four upper-case hex digits.

    Given a full 32-byte set digest, the same grouping over all 64 hex digits (its first four
    groups are the printed fingerprint).
    """
    h = fp.hex().upper()
    return "-".join(h[i : i + 4] for i in range(0, len(h), 4))


def format_set_digest(digest: bytes) -> str:
    """The full set digest in print: 16 groups of four hex digits."""
    if len(digest) != DIGEST_BYTES:
        raise FingerprintError(f"a set digest has {DIGEST_BYTES} bytes, not {len(digest)}")
    return format_fingerprint(digest)


def parse_fingerprint(text: str) -> bytes:
    """A set named by its printed fingerprint (16 hex digits -> 8 bytes) or by its full set
    digest (64 hex digits -> 32 bytes). Dashes, spaces and case do not matter; anything else
    (other digits, other lengths) raises ``FingerprintError`` (a ``ValueError``)."""
    cleaned = "".join(text.replace("-", " ").split()).upper()
    if len(cleaned) not in (2 * FINGERPRINT_BYTES, 2 * DIGEST_BYTES) or any(
        c not in "0123456789ABCDEF" for c in cleaned
    ):
        raise FingerprintError(
            f"{text[:80]!r} is not a set fingerprint (16 hex digits, e.g. 7F3A-19C2-88D0-4E1B) "
            "nor a full set digest (64 hex digits)"
        )
    return bytes.fromhex(cleaned)


def fingerprint_matches(digest: bytes, expected: bytes) -> bool:
    """Whether a set with full digest ``digest`` is the one ``expected`` names: a full digest
    must be equal; a printed 8-byte fingerprint must be its prefix (64-bit check only)."""
    if len(digest) != DIGEST_BYTES or len(expected) not in (FINGERPRINT_BYTES, DIGEST_BYTES):
        raise FingerprintError("compare a 32-byte set digest with an 8- or 32-byte name")
    return digest[: len(expected)] == expected


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
    drill: bool = False  # a rehearsal set with a throwaway secret (covered by the set digest)

    def encode(self) -> bytes:
        days = (self.created - EPOCH).days
        if not 0 <= days < 1 << 16:
            raise PolicyError("creation date out of range")
        flags = FLAG_DRILL if self.drill else 0
        for g in self.policy.groups:
            problem = text_problem(g.name, limit=32)
            if problem:
                raise PolicyError(f"group name {g.name!r} {problem}")
        return (
            bytes([flags])
            + days.to_bytes(2, "big")
            + self.policy.encode()
            + _text_field(self.label, "the label")
        )

    @classmethod
    def decode(cls, data: bytes, offset: int) -> tuple[SetHeader, int]:
        if offset + 3 > len(data):
            raise MalformedShareError("cut short before the set header")
        flags = data[offset]
        if flags & ~KNOWN_FLAGS:
            raise MalformedShareError(f"unknown set flags {flags:#04x} (a newer format?)")
        created = EPOCH + dt.timedelta(days=int.from_bytes(data[offset + 1 : offset + 3], "big"))
        try:
            policy, offset = Policy.decode(data, offset + 3)
        except PolicyError as exc:
            raise MalformedShareError(f"bad policy field: {exc}") from exc
        for g in policy.groups:
            problem = text_problem(g.name, limit=32)
            if problem:
                raise MalformedShareError(f"a group name {problem}")
        label, offset = _read_text(data, offset, "label")
        return cls(created, policy, label, bool(flags & FLAG_DRILL)), offset

    def associated_data(self) -> bytes:
        """What the AEAD binds the sealed credential to."""
        return PREFIX.encode() + self.encode()


def digest_of(header: SetHeader, sealed: bytes, root: bytes) -> bytes:
    """The 256-bit set digest: the identity of a set (section 5 of FORMAT.md)."""
    return _h(b"BG2 set", header.encode(), _h(sealed), root)


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

    set_digest: bytes  # the full 256-bit digest of its set (recomputed from the share at parse)
    number: int
    custodian: str
    role: str
    header: SetHeader
    path: tuple[bytes, ...]
    sealed: bytes
    packed_words: bytes = field(repr=False)

    # -- identity ------------------------------------------------------------------------
    @property
    def fingerprint(self) -> bytes:
        """The printed 64-bit fingerprint: a human check against outsiders, not an identity."""
        return self.set_digest[:FINGERPRINT_BYTES]

    @property
    def drill(self) -> bool:
        return self.header.drill

    @property
    def secret_length(self) -> int:
        """Length of the sealed credential in bytes (public: the seal does not hide it)."""
        return len(self.sealed) - COMMIT_BYTES

    def matches(self, expected: bytes) -> bool:
        """Whether this share is of the set ``expected`` names (8-byte fingerprint or 32-byte
        digest; only the full digest holds against a malicious set maker)."""
        return fingerprint_matches(self.set_digest, expected)

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
    def set_digest_text(self) -> str:
        return format_set_digest(self.set_digest)

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
        v = int.from_bytes(_h(b"BG2 verify", self.set_digest, self.leaf())[:4], "big") >> 2
        words = slip39.wordlist()
        return [words[(v >> s) & 0x3FF] for s in (20, 10, 0)]

    # -- encodings --------------------------------------------------------------------------
    def data_bytes(self) -> bytes:
        """The record without its SLIP-39 words (what the transcription's data lines carry)."""
        return (
            bytes([KIND_SHARE])
            + self.set_digest[:CHECK_BYTES]
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
        """The hand-transcription form: header line, SLIP-39 words, then numbered data lines."""
        words = self.words
        lines = self.transcription_lines()
        head = f"BREAK-GLASS SHARE {self.number} OF {self.total} - SET {self.fingerprint_text}"
        out = [head + (" - DRILL" if self.drill else ""), f"WORDS ({len(words)})"]
        for row in range(0, len(words), 6):
            out.append(
                "  ".join(
                    f"{i + 1:2d} {w:<9}" for i, w in enumerate(words[row : row + 6], start=row)
                ).rstrip()
            )
        out.append(f"DATA ({len(lines)} lines)")
        out += [line.render() for line in lines]
        return "\n".join(out) + "\n"


def set_digest(share: Share) -> bytes:
    """The full 256-bit digest of a share's set (the same on every share of a set)."""
    return share.set_digest


@dataclass(frozen=True)
class SharePart:
    """Part ``index`` of ``count`` of share ``number``'s record."""

    fingerprint: bytes
    number: int
    index: int
    count: int
    chunk: bytes = field(repr=False)

    def _check(self) -> bytes:
        return _h(b"BG2 part", self._head(), self.chunk)[:PART_CHECK_BYTES]

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
        if not (1 <= index <= count and count >= 2 and number >= 1):
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
        parts = self._parts.setdefault(key, {})
        earlier = parts.get(part.index)
        if earlier is not None and earlier.chunk != part.chunk:
            raise CorruptShareError(
                "it differs from the same part read earlier: two different shares claim it",
                part.describe(),
            )
        parts[part.index] = part
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
    if len(record) < 1 + CHECK_BYTES + 1 + slip39.PACKED_BYTES:
        raise MalformedShareError("the share record is cut short")
    check = record[1 : 1 + CHECK_BYTES]
    number = record[1 + CHECK_BYTES]
    provisional = f"share {number}"
    try:
        custodian, off = _read_text(record, 2 + CHECK_BYTES, "custodian name")
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
    if words_start - path_end < 1 + COMMIT_BYTES:
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
    leaf = leaf_hash(leaf_input(number, custodian, role, packed))
    digest = digest_of(header, sealed, root_from_path(leaf, number - 1, total, path))
    if digest[:CHECK_BYTES] != check:
        raise CorruptShareError(
            "its contents do not match its check: it was altered or damaged", name
        )
    return Share(digest, number, custodian, role, header, path, sealed, packed)


def _check_consistency(head: slip39.Slip39Header, policy: Policy, number: int, name: str) -> None:
    gi, pos = policy.locate(number)
    group = policy.groups[gi]
    expected_member = (pos, group.threshold) if group.threshold > 1 else (0, 1)
    if head.iteration_exponent != slip39.ITERATION_EXPONENT or not head.extendable:
        raise CorruptShareError(
            "its SLIP-39 words are not of a Breakglass set (extendable flag set, iteration "
            "exponent 0 expected)",
            name,
        )
    if (
        head.group_index != gi
        or head.group_threshold != policy.group_threshold
        or head.group_count != len(policy.groups)
        or (head.member_index, head.member_threshold) != expected_member
    ):
        raise CorruptShareError("its SLIP-39 words disagree with its policy fields", name)


def _refuse_retired(cleaned: str) -> None:
    for old in RETIRED_PREFIXES:
        if cleaned[: len(old)].upper() == old:
            raise UnsupportedFormatError(
                f"this is a share of format {old} (a pre-release format that was never "
                f"released); this version reads only {PREFIX} shares. Make a new set."
            )


def parse_text(text: str) -> Share | SharePart:
    """Parse the QR text form (a whole share or one part)."""
    cleaned = "".join(text.split())
    _refuse_retired(cleaned)
    if not cleaned.upper().startswith(PREFIX):
        raise MalformedShareError(f"not a Breakglass share: it does not start with {PREFIX}")
    try:
        record = digits_decode(cleaned[len(PREFIX) :])
    except DecodeError as exc:
        raise MalformedShareError(f"not a Breakglass share: {exc}") from exc
    if record[:1] == bytes([KIND_PART]):
        return SharePart.from_bytes(record)
    return parse_share(record)


# A section heading of a typed share: "WORDS", "DATA", "DATA (5 lines)", "Data lines:". The whole
# line, never its start: a row of words may begin with the SLIP-39 word "database".
SECTION_HEADING = re.compile(
    r"^\s*(WORDS|DATA)(?:\s+LINES?)?\b\s*(\([^)]*\))?\s*:?\s*$", re.IGNORECASE
)


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
        heading = SECTION_HEADING.match(line)
        if heading:
            section = heading.group(1).lower()
            continue
        if section == "words":
            for raw_token in line.split():
                token = raw_token.strip(".,:;").lower()
                if token.isascii() and token.isdigit():
                    continue  # the word's number, as printed
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
        shown = ", ".join(f"{n:02d}" for n in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise MalformedShareError(f"data line(s) missing: {shown}{more}")
    try:
        data = base32_decode("".join(lines[n] for n in sorted(lines)))
        packed = slip39.pack_words(words)
    except (DecodeError, KeyError, ValueError) as exc:
        raise MalformedShareError(f"the data lines do not decode: {exc}") from exc
    return parse_share(data + packed)


def parse_any(text: str) -> Share | SharePart:
    """A share in any text form: QR text (whole or part) or a typed transcription."""
    stripped = text.strip()
    if stripped[:3].upper() in (PREFIX, *RETIRED_PREFIXES):
        return parse_text(stripped)
    return parse_transcription(stripped)


def read_share_texts(text: str) -> Iterable[str]:
    """The share texts in a file: one QR text per line, or a whole transcription."""
    stripped = text.strip()
    if stripped[:3].upper() in (PREFIX, *RETIRED_PREFIXES):
        yield from (ln.strip() for ln in stripped.splitlines() if ln.strip())
    else:
        yield stripped
