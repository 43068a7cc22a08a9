"""Byte <-> text codecs of the share format.

* Decimal blocks for QR codes: QR's numeric mode packs 3 digits in 10 bits, so bytes written
  as digits cost almost nothing over binary, survive every text channel (no case, no
  spaces, no punctuation) and every decoder returns them unchanged. Every 7 bytes become
  17 digits (2^56 < 10^17); a final block of r < 7 bytes becomes DIGITS_FOR[r] digits.
* Crockford base32 in short numbered, checksummed lines for typing a share by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CROCKFORD",
    "DIGITS_FOR",
    "ChunkError",
    "DecodeError",
    "TranscriptionLine",
    "base32_decode",
    "base32_encode",
    "chunk_checks",
    "digits_decode",
    "digits_encode",
    "make_lines",
    "parse_line",
]

BLOCK = 7
# digits needed for r bytes: ceil(8 r log10 2)
DIGITS_FOR = (0, 3, 5, 8, 10, 13, 15, 17)
_BYTES_FOR = {d: r for r, d in enumerate(DIGITS_FOR)}


class DecodeError(ValueError):
    """Text that is not a valid encoding."""


def digits_encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data), BLOCK):
        block = data[i : i + BLOCK]
        out.append(str(int.from_bytes(block, "big")).zfill(DIGITS_FOR[len(block)]))
    return "".join(out)


def digits_decode(text: str) -> bytes:
    if not text:
        return b""
    if not text.isascii() or not text.isdigit():
        raise DecodeError("expected only the digits 0-9")
    full, rest = divmod(len(text), DIGITS_FOR[BLOCK])
    if rest not in _BYTES_FOR:
        raise DecodeError(f"{len(text)} digits is not a whole number of blocks")
    out = bytearray()
    pos = 0
    sizes = [BLOCK] * full + ([_BYTES_FOR[rest]] if rest else [])
    for size in sizes:
        n = DIGITS_FOR[size]
        value = int(text[pos : pos + n])
        if value >= 1 << (8 * size):
            raise DecodeError(f"digit block at position {pos + 1} is out of range")
        out += value.to_bytes(size, "big")
        pos += n
    return bytes(out)


# -- hand transcription -------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_INDEX = {c: i for i, c in enumerate(CROCKFORD)}
# Crockford's decoding aliases for characters a person may read or type instead.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
CHARS_PER_LINE = 8
# The largest record (16 KiB credential, longest fields, 64 shares) needs fewer than 3,600 lines.
MAX_LINES = 9999
MAX_LINE_DIGITS = 4


def base32_encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big") if data else 0
    nbits = len(data) * 8
    nchars = -(-nbits // 5)
    bits <<= nchars * 5 - nbits
    return "".join(CROCKFORD[(bits >> (5 * (nchars - 1 - i))) & 31] for i in range(nchars))


def normalise(chars: str) -> str:
    out = []
    for typed in chars.upper():
        c = _ALIASES.get(typed, typed)
        if c not in _CROCKFORD_INDEX:
            raise DecodeError(f"{typed!r} is not a transcription character")
        out.append(c)
    return "".join(out)


def base32_decode(text: str) -> bytes:
    text = normalise(text)
    nbytes = len(text) * 5 // 8
    if -(-nbytes * 8 // 5) != len(text):
        raise DecodeError(f"{len(text)} characters is not a valid length")
    value = 0
    for c in text:
        value = (value << 5) | _CROCKFORD_INDEX[c]
    pad = len(text) * 5 - nbytes * 8
    if value & ((1 << pad) - 1):
        raise DecodeError("the last character has bits set past the end of the data")
    return (value >> pad).to_bytes(nbytes, "big")


def chunk_checks(line_number: int, chars: str) -> str:
    """Two check characters of a line.

    c1 = (line + sum of values) mod 32 catches every single wrong character and a line typed
    under the wrong number; c2 = (3 line + sum of (i+1) value_i) mod 32 catches every swap of
    two neighbouring different characters.
    """
    values = [_CROCKFORD_INDEX[c] for c in chars]
    c1 = (line_number + sum(values)) % 32
    c2 = (3 * line_number + sum((i + 1) * v for i, v in enumerate(values))) % 32
    return CROCKFORD[c1] + CROCKFORD[c2]


@dataclass(frozen=True)
class TranscriptionLine:
    number: int
    chars: str
    check: str

    def render(self) -> str:
        a, b = self.chars[:4], self.chars[4:]
        return f"{self.number:02d}  {a:<4} {b:<4}  {self.check}"


class ChunkError(DecodeError):
    def __init__(self, line_number: int, message: str) -> None:
        self.line_number = line_number
        super().__init__(f"line {line_number:02d}: {message}")


def make_lines(data: bytes) -> list[TranscriptionLine]:
    text = base32_encode(data)
    return [
        TranscriptionLine(
            n, text[i : i + CHARS_PER_LINE], chunk_checks(n, text[i : i + CHARS_PER_LINE])
        )
        for n, i in enumerate(range(0, len(text), CHARS_PER_LINE), start=1)
    ]


def parse_line(line: str) -> tuple[int, str]:
    """Parse "07  K7P2 9XQ4  7C" -> (7, "K7P29XQ4"), checking its two check characters."""
    stripped = line.strip()
    head, _, rest = stripped.partition(" ")
    head = head.rstrip(".:)")
    if not head or not head.isascii() or not head.isdigit():
        raise DecodeError(f"a data line starts with its number (digits 0-9), not {head[:12]!r}")
    if len(head) > MAX_LINE_DIGITS or not 1 <= int(head) <= MAX_LINES:
        raise DecodeError(f"{head[:12]!r} is not a data line number (1 to {MAX_LINES})")
    number = int(head)
    body = "".join(rest.split()).replace("-", "")
    if len(body) < 3:
        raise ChunkError(number, "too short: expected data characters and 2 check characters")
    chars, check = normalise(body[:-2]), normalise(body[-2:])
    if len(chars) > CHARS_PER_LINE:
        raise ChunkError(number, f"has {len(chars)} data characters, at most {CHARS_PER_LINE}")
    if chunk_checks(number, chars) != check:
        raise ChunkError(number, "check characters do not match: a character is mistyped")
    return number, chars
