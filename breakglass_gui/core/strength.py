"""How hard a credential is to guess, said honestly.

* A **generated** credential's strength is exact: ``length × log2(alphabet size)`` bits,
  because every character was drawn uniformly and independently (``secrets.randbelow``).
* A **typed** (or loaded) credential's strength can only be estimated. :func:`estimate`
  counts what a guesser would try first and charges little for it: a well-known password,
  words (the SLIP-39 list of 1,024 common English words and a short list of words people
  put in passwords, also in l33t spelling), years, repeated characters, runs such as
  ``abc`` / ``321``, neighbouring keys (``qwerty``), a part repeated from earlier. The
  rest is charged at the size of the character classes used. The figure is an upper
  bound of what this can see, never a promise: it cannot know that a phrase is a name, a
  quote or the host's street, so it is always labelled an estimate.

The secret is read as a buffer; no ``str`` or ``bytes`` copy of it (or of any part of it)
is made: word look-ups walk a trie of integers, repeats are found with ``bytearray.find``
over memoryviews, and the lower-cased working copy is wiped before returning.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .secret import wipe_buffer

__all__ = [
    "STRONG_BITS",
    "WEAK_BITS",
    "Strength",
    "estimate",
    "generated",
]

#: Below this many bits a typed credential is called weak (and warned about).
WEAK_BITS = 60
#: At or above this many bits a credential is called strong.
STRONG_BITS = 80

#: Passwords that head every leaked-password list: guessed in the first few hundred tries.
_COMMON_PASSWORDS = [
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "password123",
    "qwerty",
    "qwerty123",
    "qwertyuiop",
    "abc123",
    "111111",
    "000000",
    "123123",
    "iloveyou",
    "letmein",
    "welcome",
    "welcome1",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "changeme",
    "changeit",
    "secret",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "monkey",
    "dragon",
    "master",
    "login",
    "princess",
    "sunshine",
    "football",
    "baseball",
    "trustno1",
    "shadow",
    "superman",
    "michael",
    "654321",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "asdfghjkl",
]

#: Words people put in credentials, beyond the SLIP-39 list.
_PASSWORD_WORDS = [
    "pass",
    "password",
    "passwd",
    "secret",
    "admin",
    "root",
    "login",
    "master",
    "prod",
    "production",
    "staging",
    "test",
    "database",
    "server",
    "backup",
    "break",
    "glass",
    "breakglass",
    "emergency",
    "access",
    "welcome",
    "hello",
    "love",
    "summer",
    "winter",
    "spring",
    "autumn",
    "monday",
    "friday",
    "january",
    "december",
    "company",
    "team",
    "dragon",
    "monkey",
    "shadow",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "letmein",
    "changeme",
    "default",
    "system",
    "super",
    "user",
    "guest",
    "temp",
    "office",
]

_LEET = {ord("0"): ord("o"), ord("1"): ord("l"), ord("3"): ord("e"), ord("4"): ord("a")}
_LEET |= {ord("5"): ord("s"), ord("7"): ord("t"), ord("@"): ord("a"), ord("$"): ord("s")}

_KEY_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")


def _neighbours() -> dict[int, set[int]]:
    near: dict[int, set[int]] = {}
    for r, row in enumerate(_KEY_ROWS):
        for c, ch in enumerate(row):
            mine = near.setdefault(ord(ch), set())
            for dr in (-1, 0, 1):
                if not 0 <= r + dr < len(_KEY_ROWS):
                    continue
                other = _KEY_ROWS[r + dr]
                for dc in (-1, 0, 1):
                    if (dr or dc) and 0 <= c + dc < len(other):
                        mine.add(ord(other[c + dc]))
    return near


_NEAR = _neighbours()

_Trie = dict[int, "_Trie"]
_END = -1  # key marking the end of a word in the trie


def _trie(words: Iterable[str]) -> _Trie:
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word.encode():
            node = node.setdefault(ch, {})
        node[_END] = {}
    return root


_TRIES: dict[str, _Trie] = {}


def _words() -> _Trie:
    if "words" not in _TRIES:
        from .slip39 import wordlist  # noqa: PLC0415  (the list is only read here)

        _TRIES["words"] = _trie([*wordlist(), *_PASSWORD_WORDS])
        _TRIES["common"] = _trie(_COMMON_PASSWORDS)
    return _TRIES["words"]


def _common() -> _Trie:
    _words()
    return _TRIES["common"]


@dataclass(frozen=True)
class Strength:
    """A strength figure in bits, exact (generated) or estimated (typed or loaded)."""

    bits: float
    exact: bool
    found: tuple[str, ...] = ()  # what an estimate charged little for, in plain words

    @property
    def rating(self) -> str:
        if self.bits < 40:
            return "very weak"
        if self.bits < WEAK_BITS:
            return "weak"
        if self.bits < STRONG_BITS:
            return "fair"
        return "strong"

    @property
    def weak(self) -> bool:
        return self.bits < WEAK_BITS

    def describe(self) -> str:
        """One line for the host, e.g. ``Strength: 190 bits (exact: ...) — strong``."""
        bits = math.floor(self.bits)
        if self.exact:
            return f"Strength: {bits} bits, exact (every character drawn at random) — {self.rating}"
        text = f"Strength: about {bits} bits at most — an estimate, {self.rating}"
        if self.found:
            text += "; found " + ", ".join(self.found)
        return text


def generated(length: int, alphabet_size: int) -> Strength:
    """The exact strength of ``length`` characters drawn uniformly from ``alphabet_size``."""
    if length < 0 or alphabet_size < 1:
        raise ValueError("a length of 0 or more and an alphabet of at least one character")
    return Strength(length * math.log2(alphabet_size), exact=True)


def _pool(text: bytearray) -> int:
    lower = upper = digit = symbol = other = False
    for b in text:
        if 0x61 <= b <= 0x7A:
            lower = True
        elif 0x41 <= b <= 0x5A:
            upper = True
        elif 0x30 <= b <= 0x39:
            digit = True
        elif 0x20 <= b <= 0x7E:
            symbol = True
        else:
            other = True
    return 26 * lower + 26 * upper + 10 * digit + 33 * symbol + 100 * other or 1


def _match(trie: _Trie, text: bytearray, start: int, *, whole: bool = False) -> int:
    """Length of the longest word of ``trie`` starting at ``start`` (0 if none)."""
    node, best = trie, 0
    for i in range(start, len(text)):
        nxt = node.get(text[i])
        if nxt is None:
            break
        node = nxt
        if _END in node:
            best = i + 1 - start
    if whole:
        return best if start + best == len(text) else 0
    return best if best >= 3 else 0


def _repeat(text: bytearray, start: int) -> int:
    """Length (3 or more) of the longest part starting at ``start`` seen earlier, else 0."""
    view = memoryview(text)
    best = 0
    try:
        length = 3
        while start + length <= len(text):
            if text.find(view[start : start + length], 0, start + length - 1) < 0:
                break
            best = length
            length += 1
    finally:
        view.release()
    return best if best >= 3 else 0


def _year(text: bytearray, start: int) -> bool:
    end = start + 4
    if end > len(text) or not all(0x30 <= text[j] <= 0x39 for j in range(start, end)):
        return False
    century = (text[start] - 0x30) * 10 + text[start + 1] - 0x30
    return century in (19, 20)


_VOWELS = frozenset(b"aeiouy")


def _alnum(b: int) -> bool:
    return 0x30 <= b <= 0x39 or 0x61 <= b <= 0x7A or 0x41 <= b <= 0x5A


def _word_like(raw: bytearray, low: bytearray, start: int) -> int:
    """Length of a run of 4 or more letters (split where lower case turns upper) that
    reads like words (no more than 4 consonants in a row, a vowel in every 5), else 0."""
    end = start
    while end < len(low) and 0x61 <= low[end] <= 0x7A:
        if end > start and 0x41 <= raw[end] <= 0x5A and 0x61 <= raw[end - 1] <= 0x7A:
            break
        end += 1
    if end - start < 4:
        return 0
    if not any(low[j] in _VOWELS for j in range(start, end)):
        return 0
    consonants = 0
    for j in range(start, end):
        consonants = 0 if low[j] in _VOWELS else consonants + 1
        if consonants > 4:
            return 0
    return end - start


def estimate(secret: bytes | bytearray | memoryview) -> Strength:
    """A conservative estimate of a typed or loaded credential's strength (see module doc)."""
    raw = bytearray(secret)
    low = bytearray(raw)
    try:
        for i, b in enumerate(low):
            if 0x41 <= b <= 0x5A:
                low[i] = b + 32
        deleet = low.translate(_table())
        try:
            return _estimate(raw, low, deleet)
        finally:
            wipe_buffer(deleet)
    finally:
        wipe_buffer(raw)
        wipe_buffer(low)


_TABLE: list[bytes] = []


def _table() -> bytes:
    if not _TABLE:
        table = bytearray(range(256))
        for a, b in _LEET.items():
            table[a] = b
        _TABLE.append(bytes(table))
    return _TABLE[0]


def _char_cost(raw: bytearray, low: bytearray, i: int, per_char: float) -> tuple[float, str]:
    """What one character adds, and what was found (empty: nothing, full price)."""
    if 0x80 <= raw[i] <= 0xBF:
        return 0.0, ""  # a UTF-8 continuation byte: its character was counted at its lead byte
    if i:
        prev, cur = low[i - 1], low[i]
        if cur == prev:
            return 1.0, "repeated characters"
        if abs(cur - prev) == 1:
            return 1.0, "a run like abc or 321"
        if cur in _NEAR.get(prev, ()):
            return 2.0, "neighbouring keys"
    if not _alnum(low[i]) and low.find(low[i], 0, i) >= 0:
        return 1.0, "a separator used again"
    return per_char, ""


def _estimate(raw: bytearray, low: bytearray, deleet: bytearray) -> Strength:
    n = len(raw)
    if n == 0:
        return Strength(0.0, exact=False)
    for text in (low, deleet):
        if _match(_common(), text, 0, whole=True):
            return Strength(math.log2(len(_COMMON_PASSWORDS)), False, ("a well-known password",))
    per_char = math.log2(_pool(raw))
    found: list[str] = []
    bits = 0.0
    i = 0
    letters_from = 0  # word-like runs are looked for from here on
    while i < n:
        word = max(_match(_words(), low, i), _match(_words(), deleet, i))
        if word >= 4 or (word == 3 and i + 3 == n):
            # a word: its rank in a list of ~1,100, one more bit for capitals or l33t
            span = range(i, i + word)
            bits += math.log2(1100) + any(raw[j] != low[j] for j in span)
            bits += any(low[j] != deleet[j] for j in span)
            found.append("a word")
            i += word
            continue
        if _year(raw, i):
            bits += math.log2(200)
            found.append("a year")
            i += 4
            continue
        rep = _repeat(low, i)
        if rep:
            bits += math.log2(i + 1) + math.log2(rep)
            found.append("a repeated part")
            i += rep
            continue
        run = _word_like(raw, low, i) if i >= letters_from else 0
        if run:
            # letters that read like words: the cheaper of a word of a ~32,000-word
            # vocabulary per 7 letters and the letters one by one
            letters = [_char_cost(raw, low, j, per_char) for j in range(i, i + run)]
            as_letters = sum(cost for cost, _ in letters)
            as_words = 15.0 * -(-run // 7) + (raw[i] != low[i])
            if as_words < as_letters:
                bits += as_words
                found.append("word-like letters")
                i += run
                continue
            # cheaper letter by letter: go on one at a time (repeats still count), and do
            # not read this run as words again
            letters_from = i + run
        cost, what = _char_cost(raw, low, i, per_char)
        bits += cost
        if what:
            found.append(what)
        i += 1
    return Strength(bits, exact=False, found=tuple(dict.fromkeys(found)))
