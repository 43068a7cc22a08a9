"""Our SLIP-39 layer, on the reference implementation ``shamir-mnemonic``.

The set key (32 random bytes) is the SLIP-39 *master secret*, split with an empty
passphrase, so any SLIP-39 implementation recovers it from a quorum of word lists.

A share's words travel inside our share record packed as 10-bit word indices (33 words of
a 256-bit master secret = 330 bits, padded with six zero bits to 42 bytes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from shamir_mnemonic import MnemonicError, rs1024
from shamir_mnemonic.constants import (
    CUSTOMIZATION_STRING_EXTENDABLE,
    CUSTOMIZATION_STRING_ORIG,
    ID_EXP_LENGTH_WORDS,
    METADATA_LENGTH_WORDS,
    MIN_MNEMONIC_LENGTH_WORDS,
    RADIX_BITS,
)
from shamir_mnemonic.shamir import ShareGroup
from shamir_mnemonic.share import Share as _Slip39Share
from shamir_mnemonic.wordlist import WORD_INDEX_MAP
from shamir_mnemonic.wordlist import WORDLIST as WORDS

from .errors import PolicyError
from .policy import Policy
from .secret import SecretBytes, wipe_buffer

__all__ = [
    "KEY_BYTES",
    "PACKED_BYTES",
    "WORD_COUNT",
    "MnemonicError",
    "Slip39Header",
    "combine_words",
    "interpolate",
    "pack_words",
    "parse_words",
    "recover_secret",
    "share_value",
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
    share = _share_from_words(words)
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


def share_value(words: Sequence[str]) -> tuple[int, int, bytes]:
    """(group index, member index, share value) of a share's words (share material)."""
    share = _share_from_words(words)
    return share.group_index, share.index, share.value


def interpolate(points: Sequence[tuple[int, bytearray]], x: int) -> SecretBytes:
    """The value at ``x`` of the GF(256) polynomial through ``points`` (SLIP-39's)."""
    return _interpolate(points, x)


def recover_secret(threshold: int, points: Sequence[tuple[int, bytearray]]) -> SecretBytes:
    """One level of SLIP-39 recovery: the shared secret, its digest checked (threshold > 1)."""
    return _recover_secret(threshold, points)


def slip39_groups(policy: Policy) -> list[tuple[int, int]]:
    """SLIP-39 (member threshold, member count) per group.

    SLIP-39 forbids 1-of-N member sharing (N > 1): such a group is made 1-of-1 and its one
    member share is given to each of the group's custodians ("any 1 of leadership").
    """
    return [(g.threshold, g.count) if g.threshold > 1 else (1, 1) for g in policy.groups]


def split_key(key: SecretBytes, policy: Policy) -> list[list[list[str]]]:
    """Split the set key with SLIP-39 (empty passphrase). Per group, per custodian: words.

    The SLIP-39 steps (Feistel encryption of the master secret, then two levels of Shamir
    sharing with the digest share) run in buffers we own, so the key and the encrypted master
    secret never become immutable ``bytes``. The member shares themselves are share material
    and are handed to ``shamir_mnemonic``'s ``Share`` to be written as words (with their
    RS1024 checksum). ``test_own_split_is_standard_slip39`` checks the result against the
    reference implementation's recovery.
    """
    if len(key) != KEY_BYTES:
        raise PolicyError(f"the set key must be {KEY_BYTES} bytes")
    groups = slip39_groups(policy)
    identifier = int.from_bytes(secrets.token_bytes(2), "big") & 0x7FFF
    out: list[list[list[str]]] = []
    with _feistel(key, b"", ITERATION_EXPONENT, identifier, True, decrypt=False) as ems:
        group_shares = _split_secret(policy.group_threshold, len(groups), ems)
    try:
        for (member_threshold, member_count), g, (group_index, group_secret) in zip(
            groups, policy.groups, group_shares, strict=True
        ):
            words = []
            for member_index, value in _split_secret(member_threshold, member_count, group_secret):
                share = _Slip39Share(
                    identifier,
                    True,
                    ITERATION_EXPONENT,
                    group_index,
                    policy.group_threshold,
                    len(groups),
                    member_index,
                    member_threshold,
                    bytes(value),
                )
                value.wipe()
                words.append(share.words())
            # a 1-of-N group: its single member share goes to each of its custodians
            out.append(words if g.threshold > 1 else [list(words[0]) for _ in range(g.count)])
    finally:
        for _, secret in group_shares:
            secret.wipe()
    return out


def _split_secret(threshold: int, count: int, secret: SecretBytes) -> list[tuple[int, SecretBytes]]:
    """SLIP-39's ``_split_secret`` over buffers we own (random shares, digest share, secret)."""
    if not 1 <= threshold <= count <= 16:
        raise PolicyError(f"cannot share {threshold} of {count}")
    if threshold == 1:
        return [(i, SecretBytes(secret)) for i in range(count)]
    size = len(secret)
    shares = [(i, SecretBytes(secrets.token_bytes(size))) for i in range(threshold - 2)]
    digest_share = SecretBytes(size)
    digest_share[_DIGEST_BYTES:] = secrets.token_bytes(size - _DIGEST_BYTES)
    random_part = bytearray(digest_share[_DIGEST_BYTES:])
    digest_share[:_DIGEST_BYTES] = hmac.new(random_part, secret, "sha256").digest()[:_DIGEST_BYTES]
    wipe_buffer(random_part)
    base: list[tuple[int, bytearray]] = [
        *shares,
        (_DIGEST_INDEX, digest_share),
        (_SECRET_INDEX, secret),
    ]
    try:
        for i in range(threshold - 2, count):
            shares.append((i, _interpolate(base, i)))
    finally:
        digest_share.wipe()
    return shares


def combine_words(word_lists: Sequence[Sequence[str]], passphrase: bytes = b"") -> SecretBytes:
    """Recover the master secret from a quorum of word lists, into buffers we own.

    This follows SLIP-39's recovery exactly (the reference implementation's share parsing and
    checks, then Lagrange interpolation in GF(256), the digest check and the 4-round Feistel
    decryption), but every intermediate that holds secret material — group secrets, the
    encrypted master secret, the Feistel halves — lives in a ``SecretBytes`` that is wiped
    before returning. What still passes through immutable objects: each share's own value
    (share material, parsed by ``shamir_mnemonic``) and the PBKDF2 round outputs (one-time
    pads, not the key). The 45 official vectors and a cross-check against
    ``shamir_mnemonic.combine_mnemonics`` test it.

    Raises ``MnemonicError`` when the shares do not combine.
    """
    groups = _decode_groups(word_lists)
    params = next(iter(groups.values())).common_parameters()
    if len(groups) != params.group_threshold:
        raise MnemonicError(
            f"expected shares from {params.group_threshold} group(s), got {len(groups)}"
        )
    group_secrets: list[tuple[int, SecretBytes]] = []
    try:
        for group_index, group in groups.items():
            if len(group) != group.member_threshold():
                raise MnemonicError(
                    f"expected {group.member_threshold()} shares of group {group_index + 1}, "
                    f"got {len(group)}"
                )
            raw = [(s.x, bytearray(s.data)) for s in group.to_raw_shares()]
            group_secrets.append((group_index, _recover_secret(group.member_threshold(), raw)))
        with _recover_secret(params.group_threshold, [(gi, s) for gi, s in group_secrets]) as ems:
            return _feistel(
                ems, passphrase, params.iteration_exponent, params.identifier, params.extendable
            )
    finally:
        for _, secret in group_secrets:
            secret.wipe()


# -- SLIP-39 recovery primitives over buffers we own ---------------------------------------


def _share_from_words(words: Sequence[str]) -> _Slip39Share:
    """``shamir_mnemonic``'s ``Share.from_mnemonic``, from the word list itself.

    Same checks, same result, but no space-joined mnemonic string is ever built (such a
    string would be freed without being overwritten and linger in the heap).
    """
    try:
        data = [WORD_INDEX_MAP[w] for w in words]
    except KeyError:
        raise MnemonicError("a word is not in the SLIP-39 wordlist") from None
    if len(data) < MIN_MNEMONIC_LENGTH_WORDS:
        raise MnemonicError(f"a SLIP-39 share has at least {MIN_MNEMONIC_LENGTH_WORDS} words")
    padding = (RADIX_BITS * (len(data) - METADATA_LENGTH_WORDS)) % 16
    if padding > 8:
        raise MnemonicError("invalid mnemonic length")
    id_exp = 0
    for index in data[:ID_EXP_LENGTH_WORDS]:
        id_exp = (id_exp << RADIX_BITS) | index
    extendable = bool((id_exp >> 4) & 1)
    custom = CUSTOMIZATION_STRING_EXTENDABLE if extendable else CUSTOMIZATION_STRING_ORIG
    if not rs1024.verify_checksum(data, custom):
        raise MnemonicError("invalid mnemonic checksum")
    params = (data[ID_EXP_LENGTH_WORDS] << RADIX_BITS) | data[ID_EXP_LENGTH_WORDS + 1]
    group_index, group_threshold, group_count, index, member_threshold = (
        (params >> shift) & 0xF for shift in (16, 12, 8, 4, 0)
    )
    if group_count < group_threshold:
        raise MnemonicError("group threshold cannot be greater than group count")
    value_words = data[ID_EXP_LENGTH_WORDS + 2 : -rs1024.CHECKSUM_LENGTH_WORDS]
    value_int = 0
    for index_word in value_words:
        value_int = (value_int << RADIX_BITS) | index_word
    try:
        value = value_int.to_bytes((RADIX_BITS * len(value_words) - padding) // 8, "big")
    except OverflowError:
        raise MnemonicError("invalid mnemonic padding") from None
    return _Slip39Share(
        id_exp >> 5,
        extendable,
        id_exp & 0xF,
        group_index,
        group_threshold + 1,
        group_count + 1,
        index,
        member_threshold + 1,
        value,
    )


def _decode_groups(word_lists: Sequence[Sequence[str]]) -> dict[int, ShareGroup]:
    """``shamir_mnemonic.decode_mnemonics`` over word lists (see ``_share_from_words``)."""
    common = set()
    groups: dict[int, ShareGroup] = {}
    for words in word_lists:
        share = _share_from_words(words)
        common.add(share.common_parameters())
        groups.setdefault(share.group_index, ShareGroup()).add(share)
    if len(common) != 1:
        raise MnemonicError(
            "these shares do not belong together: identifier, group threshold or group count differ"
        )
    return groups


_SECRET_INDEX = 255
_DIGEST_INDEX = 254
_DIGEST_BYTES = 4
_ROUNDS = 4
_BASE_ITERATIONS = 10000


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 255
    log = [0] * 256
    poly = 1
    for i in range(255):
        exp[i] = poly
        log[poly] = i
        poly = (poly << 1) ^ poly
        if poly & 0x100:
            poly ^= 0x11B
    return exp, log


_EXP, _LOG = _gf_tables()


def _interpolate(shares: Sequence[tuple[int, bytearray]], x: int) -> SecretBytes:
    xs = [sx for sx, _ in shares]
    if len(set(xs)) != len(xs):
        raise MnemonicError("share indices must be unique")
    lengths = {len(data) for _, data in shares}
    if len(lengths) != 1:
        raise MnemonicError("all share values must have the same length")
    out = SecretBytes(lengths.pop())
    for sx, data in shares:
        if sx == x:
            out[:] = data
            return out
    log_prod = sum(_LOG[sx ^ x] for sx in xs)
    for sx, data in shares:
        log_basis = (log_prod - _LOG[sx ^ x] - sum(_LOG[sx ^ ox] for ox in xs)) % 255
        for i, v in enumerate(data):
            if v:
                out[i] ^= _EXP[(_LOG[v] + log_basis) % 255]
    return out


def _recover_secret(threshold: int, shares: Sequence[tuple[int, bytearray]]) -> SecretBytes:
    if threshold == 1:
        return SecretBytes(shares[0][1])
    secret = _interpolate(shares, _SECRET_INDEX)
    with _interpolate(shares, _DIGEST_INDEX) as digest_share:
        # the digest share's random part keys the HMAC; it is not the secret
        random_part = bytearray(digest_share[_DIGEST_BYTES:])
        expected = hmac.new(random_part, secret, "sha256").digest()[:_DIGEST_BYTES]
        wipe_buffer(random_part)
        if not hmac.compare_digest(expected, bytes(digest_share[:_DIGEST_BYTES])):
            secret.wipe()
            raise MnemonicError("invalid digest of the shared secret")
    return secret


def _feistel(
    data: SecretBytes,
    passphrase: bytes,
    exponent: int,
    identifier: int,
    extendable: bool,
    *,
    decrypt: bool = True,
) -> SecretBytes:
    """SLIP-39's 4-round Feistel cipher (encrypt or decrypt) over buffers we own."""
    half = len(data) // 2
    salt = b"" if extendable else b"shamir" + identifier.to_bytes(2, "big")
    iterations = (_BASE_ITERATIONS << exponent) // _ROUNDS
    left = SecretBytes(data[:half])
    right = SecretBytes(data[half:])
    salted = SecretBytes(len(salt) + half)  # salt || R, rebuilt in place every round
    salted[: len(salt)] = salt
    rounds = reversed(range(_ROUNDS)) if decrypt else range(_ROUNDS)
    try:
        for i in rounds:
            salted[len(salt) :] = right
            pad = hashlib.pbkdf2_hmac("sha256", bytes([i]) + passphrase, salted, iterations, half)
            for j in range(half):
                left[j] ^= pad[j]
            del pad
            left, right = right, left
        out = SecretBytes(len(data))
        out[:half] = right
        out[half:] = left
        return out
    finally:
        left.wipe()
        right.wipe()
        salted.wipe()
