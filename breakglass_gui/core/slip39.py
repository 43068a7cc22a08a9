"""Our SLIP-39 layer, on the reference implementation ``shamir-mnemonic``.

The set key (32 random bytes) is the SLIP-39 *master secret*, split with an empty
passphrase, so any SLIP-39 implementation recovers it from a quorum of word lists.

A share's words travel inside our share record packed as 10-bit word indices (33 words of
a 256-bit master secret = 330 bits, padded with six zero bits to 42 bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shamir_mnemonic
from shamir_mnemonic import MnemonicError
from shamir_mnemonic.share import Share as _Slip39Share
from shamir_mnemonic.wordlist import WORD_INDEX_MAP
from shamir_mnemonic.wordlist import WORDLIST as WORDS

from .errors import PolicyError
from .policy import Policy
from .secret import SecretBytes

__all__ = [
    "KEY_BYTES",
    "PACKED_BYTES",
    "WORD_COUNT",
    "MnemonicError",
    "Slip39Header",
    "combine_words",
    "pack_words",
    "parse_words",
    "split_key",
    "unpack_words",
    "wordlist",
]

KEY_BYTES = 32
WORD_COUNT = 33
PACKED_BYTES = 42
ITERATION_EXPONENT = 0


def wordlist() -> tuple[str, ...]:
    return tuple(WORDS)


@dataclass(frozen=True)
class Slip39Header:
    """What a SLIP-39 share says about itself (no secret value)."""

    identifier: int
    extendable: bool
    iteration_exponent: int
    group_index: int
    group_threshold: int
    group_count: int
    member_index: int
    member_threshold: int


def pack_words(words: Sequence[str]) -> bytes:
    if len(words) != WORD_COUNT:
        raise ValueError(f"expected {WORD_COUNT} words, got {len(words)}")
    value = 0
    for w in words:
        value = (value << 10) | WORD_INDEX_MAP[w]
    value <<= PACKED_BYTES * 8 - WORD_COUNT * 10
    return value.to_bytes(PACKED_BYTES, "big")


def unpack_words(packed: bytes) -> list[str]:
    if len(packed) != PACKED_BYTES:
        raise ValueError(f"expected {PACKED_BYTES} packed bytes, got {len(packed)}")
    value = int.from_bytes(packed, "big")
    pad = PACKED_BYTES * 8 - WORD_COUNT * 10
    if value & ((1 << pad) - 1):
        raise ValueError("the padding bits after the last word are not zero")
    value >>= pad
    return [WORDS[(value >> (10 * (WORD_COUNT - 1 - i))) & 0x3FF] for i in range(WORD_COUNT)]


def parse_words(words: Sequence[str], key_bytes: int | None = KEY_BYTES) -> Slip39Header:
    """Check a share's words (checksum, length, padding) and read its header.

    Raises ``MnemonicError`` (from the reference implementation) when they are not a share,
    or (unless ``key_bytes`` is None) when it does not carry a key of that many bytes.
    """
    share = _Slip39Share.from_mnemonic(" ".join(words))
    if key_bytes is not None and len(share.value) != key_bytes:
        raise MnemonicError(f"a Breakglass share carries a {key_bytes}-byte key")
    return Slip39Header(
        share.identifier,
        share.extendable,
        share.iteration_exponent,
        share.group_index,
        share.group_threshold,
        share.group_count,
        share.index,
        share.member_threshold,
    )


def slip39_groups(policy: Policy) -> list[tuple[int, int]]:
    """SLIP-39 (member threshold, member count) per group.

    SLIP-39 forbids 1-of-N member sharing (N > 1): such a group is made 1-of-1 and its one
    member share is given to each of the group's custodians ("any 1 of leadership").
    """
    return [(g.threshold, g.count) if g.threshold > 1 else (1, 1) for g in policy.groups]


def split_key(key: SecretBytes, policy: Policy) -> list[list[list[str]]]:
    """Split the set key. Returns, per group, per custodian, the share's words.

    ``shamir_mnemonic`` takes the master secret as a bytes-like object and makes its own
    intermediate copies while splitting; those are dropped as soon as it returns.
    """
    if len(key) != KEY_BYTES:
        raise PolicyError(f"the set key must be {KEY_BYTES} bytes")
    groups = slip39_groups(policy)
    mnemonics = shamir_mnemonic.generate_mnemonics(
        policy.group_threshold,
        groups,
        key,
        passphrase=b"",
        extendable=True,
        iteration_exponent=ITERATION_EXPONENT,
    )
    out: list[list[list[str]]] = []
    for g, group_mnemonics in zip(policy.groups, mnemonics, strict=True):
        if g.threshold == 1:
            out.append([group_mnemonics[0].split() for _ in range(g.count)])
        else:
            out.append([m.split() for m in group_mnemonics])
    return out


def combine_words(word_lists: Sequence[Sequence[str]], passphrase: bytes = b"") -> SecretBytes:
    """Recover the set key from a quorum of word lists into a buffer we own.

    ``shamir_mnemonic.combine_mnemonics`` returns an immutable ``bytes``; it is copied into
    a ``SecretBytes`` at once and the only reference to it is dropped before returning
    (CPython frees it then, without overwriting it: the residue test counts what remains).
    Raises ``MnemonicError`` when the shares do not combine.
    """
    recovered = shamir_mnemonic.combine_mnemonics([" ".join(w) for w in word_lists], passphrase)
    try:
        key = SecretBytes(len(recovered))
        key[:] = recovered
    finally:
        del recovered
    return key
