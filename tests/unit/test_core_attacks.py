"""A malicious set maker, written from resources/spec/FORMAT.md alone, against format v2.

The maker's tools here use only hashlib, shamir_mnemonic and cryptography (plus a few lines of
GF(2^128) arithmetic for GCM): they build share records byte by byte as FORMAT.md describes.
The records are then read and recovered by Breakglass's own core, which must never give two
credentials for one set, nor take one set for another.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import unicodedata
from collections.abc import Sequence

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from shamir_mnemonic.shamir import EncryptedMasterSecret, split_ems
from shamir_mnemonic.wordlist import WORDLIST

from breakglass_gui.core import sealing
from breakglass_gui.core import share as share_mod
from breakglass_gui.core.errors import (
    AmbiguousSetError,
    ForgedShareError,
    InconsistentSetError,
    InsufficientSharesError,
    MalformedShareError,
    ShareError,
    WrongSetError,
)
from breakglass_gui.core.sealing import prove_set, recover
from breakglass_gui.core.share import Share, parse_share, parse_text

NONCE = bytes(12)
DAYS = 20782  # 2026-11-25


# -- the maker's tools, from FORMAT.md ------------------------------------------------------------


def sha(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def text(value: str) -> bytes:
    raw = value.encode()
    return bytes([len(raw)]) + raw


def header(label: str, m: int, n: int, flags: int = 0) -> bytes:
    """Section 3: flags, created, a plain M-of-N policy, label."""
    return (
        bytes([flags])
        + DAYS.to_bytes(2, "big")
        + bytes([0, ((m - 1) << 4) | (n - 1)])
        + text(label)
    )


def pack(mnemonic: str) -> bytes:
    value = 0
    for w in mnemonic.split():
        value = value * 1024 + WORDLIST.index(w)
    return (value << 6).to_bytes(42, "big")


def split_point(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def node(a: bytes, b: bytes) -> bytes:
    return sha(b"\x01", a, b)[:8]


def root_of(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node(root_of(leaves[:k]), root_of(leaves[k:]))


def path_of(leaves: Sequence[bytes], i: int) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = split_point(len(leaves))
    if i < k:
        return [*path_of(leaves[:k], i), root_of(leaves[k:])]
    return [*path_of(leaves[k:], i - k), root_of(leaves[:k])]


def leaves_of(mnemonics: Sequence[str]) -> list[bytes]:
    """Section 6: one leaf per share (custodian k is "Custodian k", role "on-call")."""
    return [
        sha(b"\x00", bytes([k]) + text(f"Custodian {k}") + text("on-call") + pack(m))[:8]
        for k, m in enumerate(mnemonics, start=1)
    ]


def set_digest(h: bytes, sealed: bytes, leaves: Sequence[bytes]) -> bytes:
    return sha(b"BG2 set", h, sha(sealed), root_of(leaves))


def records(h: bytes, sealed: bytes, mnemonics: Sequence[str]) -> tuple[bytes, list[bytes]]:
    """Sections 5 and 6: the set digest and every share record."""
    leaves = leaves_of(mnemonics)
    digest = set_digest(h, sealed, leaves)
    out = [
        b"\x01"
        + digest[:4]
        + bytes([k])
        + text(f"Custodian {k}")
        + text("on-call")
        + h
        + b"".join(path_of(leaves, k - 1))
        + sealed
        + pack(m)
        for k, m in enumerate(mnemonics, start=1)
    ]
    return digest, out


def slip39_split(key: bytes, m: int, n: int, identifier: int) -> list[str]:
    """SLIP-39 as section 5 says: empty passphrase, iteration exponent 0, extendable."""
    ems = EncryptedMasterSecret.from_master_secret(key, b"", identifier, True, 0)
    return [s.mnemonic() for s in split_ems(1, [(m, n)], ems)[0]]


def commit(key: bytes, ad: bytes, tag: bytes) -> bytes:
    return sha(b"BG2 commit", key, NONCE, ad, tag)[:20]


def ctx_seal(key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    ct = AESGCM(key).encrypt(NONCE, plaintext, ad)
    return ct[:-16] + commit(key, ad, ct[-16:])


# -- GCM without key commitment: one ciphertext and tag that open under two keys -------------------


def gf_mult(x: int, y: int) -> int:
    """Multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D, algorithm 1)."""
    r = 0xE1 << 120
    z, v = 0, x
    for i in range(127, -1, -1):
        if (y >> i) & 1:
            z ^= v
        v = (v >> 1) ^ r if v & 1 else v >> 1
    return z


def gf_pow(x: int, e: int) -> int:
    result, base = 1 << 127, x  # 1 << 127 is the field's one in GCM's bit order
    while e:
        if e & 1:
            result = gf_mult(result, base)
        base = gf_mult(base, base)
        e >>= 1
    return result


def gf_inv(x: int) -> int:
    return gf_pow(x, (1 << 128) - 2)


def blocks(data: bytes) -> list[int]:
    data += bytes(-len(data) % 16)
    return [int.from_bytes(data[i : i + 16], "big") for i in range(0, len(data), 16)]


def ghash(h: int, ad: bytes, ct: bytes) -> int:
    y = 0
    lengths = (len(ad) * 8).to_bytes(8, "big") + (len(ct) * 8).to_bytes(8, "big")
    for x in [*blocks(ad), *blocks(ct), int.from_bytes(lengths, "big")]:
        y = gf_mult(y ^ x, h)
    return y


def aes_block(key: bytes, block: bytes) -> int:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return int.from_bytes(enc.update(block) + enc.finalize(), "big")


def dual_key_ciphertext(k1: bytes, k2: bytes, ad: bytes, nblocks: int = 2) -> bytes:
    """C || T that AES-GCM opens under both k1 and k2 (nonce 0^12, associated data ``ad``).

    The first ciphertext block is the unknown x: T_i = GHASH_Hi(ad, C) ^ E_Ki(J0), and GHASH is
    linear in x with coefficient H_i^(nblocks + 1); solve T_1 = T_2 for x.
    """
    h1, h2 = aes_block(k1, bytes(16)), aes_block(k2, bytes(16))
    j0 = NONCE + b"\x00\x00\x00\x01"
    e1, e2 = aes_block(k1, j0), aes_block(k2, j0)
    rest = os.urandom(16 * (nblocks - 1))
    base = bytes(16) + rest
    g1, g2 = ghash(h1, ad, base), ghash(h2, ad, base)
    coefficient = gf_pow(h1, nblocks + 1) ^ gf_pow(h2, nblocks + 1)
    x = gf_mult(g1 ^ g2 ^ e1 ^ e2, gf_inv(coefficient))
    ct = x.to_bytes(16, "big") + rest
    tag = ghash(h1, ad, ct) ^ e1
    return ct + tag.to_bytes(16, "big")


# -- the dual-key set ---------------------------------------------------------------------------


def dual_key_set(*, committed: bool) -> tuple[bytes, bytes, bytes, list[Share]]:
    """A 2-of-4 set: shares 1-2 split K1, shares 3-4 split K2 under the same SLIP-39 identifier,
    and a sealed value that plain AES-GCM opens under both keys to two different credentials.

    ``committed``: the maker writes a v2 commitment to K1 (the best it can do); otherwise it
    stores the plain GCM ciphertext and tag, the way v1 did.
    """
    k1, k2 = os.urandom(32), os.urandom(32)
    h = header("Payroll DB", 2, 4)
    ad = b"BG2" + h
    ct_tag = dual_key_ciphertext(k1, k2, ad)
    a = AESGCM(k1).decrypt(NONCE, ct_tag, ad)
    b = AESGCM(k2).decrypt(NONCE, ct_tag, ad)
    assert a != b  # the attack is real: one seal, two keys, two "verified" credentials
    sealed = ct_tag[:-16] + commit(k1, ad, ct_tag[-16:]) if committed else ct_tag
    identifier = int.from_bytes(os.urandom(2), "big") & 0x7FFF
    words = slip39_split(k1, 2, 4, identifier)[:2] + slip39_split(k2, 2, 4, identifier)[2:]
    _, recs = records(h, sealed, words)
    shares = [parse_share(r) for r in recs]  # every share passes its own checks
    return a, b, sealed, shares


def outcomes(shares: Sequence[Share]) -> dict[tuple[int, ...], bytes | InconsistentSetError]:
    out: dict[tuple[int, ...], bytes | InconsistentSetError] = {}
    for size in range(2, len(shares) + 1):
        for quorum in itertools.combinations(shares, size):
            numbers = tuple(s.number for s in quorum)
            try:
                result = recover(list(quorum))
            except InconsistentSetError as exc:
                assert all(s.describe() in str(exc) for s in quorum)  # names the shares used
                assert "inconsistent" in str(exc)
                assert exc.shares == tuple(s.describe() for s in quorum)
                out[numbers] = exc
                continue
            out[numbers] = bytes(result.secret)
            result.wipe()
    return out


def test_dual_key_set_with_a_commitment_gives_one_credential_or_a_named_refusal() -> None:
    a, _b, _, shares = dual_key_set(committed=True)
    got = outcomes(shares)
    credentials = {v for v in got.values() if isinstance(v, bytes)}
    assert credentials == {a}  # never b: the seal commits to K1 only
    assert isinstance(got[(3, 4)], InconsistentSetError)
    for pair in [(1, 3), (1, 4), (2, 3), (2, 4)]:
        assert isinstance(got[pair], InconsistentSetError)
    assert got[(1, 2)] == a
    # with a spare share the bad one is named and the committed credential comes back
    result = recover([shares[0], shares[2], shares[1]])
    assert bytes(result.secret) == a
    assert [type(e) for e in result.rejected] == [ForgedShareError]
    assert result.rejected[0].share == shares[2].describe()
    result.wipe()
    # and the split-time proof would never have let such a set reach paper
    with pytest.raises(InconsistentSetError, match="does not lie on the sharing polynomial"):
        prove_set(shares)


def test_dual_key_set_sealed_the_v1_way_is_refused_by_every_quorum() -> None:
    _, _, sealed, shares = dual_key_set(committed=False)
    assert len(sealed) == 32 + 16  # C || GCM tag, which plain AES-GCM opens under both keys
    got = outcomes(shares)
    assert len(got) == 11
    assert all(isinstance(v, InconsistentSetError) for v in got.values())


def test_a_quorum_that_merely_fails_needs_no_cryptography_and_is_refused_by_name() -> None:
    """The simpler form: shares 3-4 split a key nobody sealed anything with."""
    k1 = os.urandom(32)
    h = header("Payroll DB", 2, 4)
    sealed = ctx_seal(k1, b"the credential", b"BG2" + h)
    identifier = 1234
    words = (
        slip39_split(k1, 2, 4, identifier)[:2] + slip39_split(os.urandom(32), 2, 4, identifier)[2:]
    )
    shares = [parse_share(r) for r in records(h, sealed, words)[1]]
    got = outcomes(shares)
    assert {v for v in got.values() if isinstance(v, bytes)} == {b"the credential"}
    assert isinstance(got[(3, 4)], InconsistentSetError)


# -- two sets made to share a printed fingerprint -------------------------------------------------


WIDTH = 3  # bytes of fingerprint in this reduced-width test (the real one has 8)


def colliding_sets() -> tuple[tuple[bytes, list[Share]], tuple[bytes, list[Share]]]:
    """Two 2-of-3 sets whose digests agree in their first WIDTH bytes: a birthday search over
    labels, as a malicious maker would run against the 8-byte fingerprint in about 2^32."""
    made = []
    for credential in (b"credential A", b"credential B"):
        key = os.urandom(32)
        words = slip39_split(key, 2, 3, int.from_bytes(os.urandom(2), "big") & 0x7FFF)
        made.append((credential, key, words))
    roots = [root_of(leaves_of(words)) for _, _, words in made]
    seen: list[dict[bytes, tuple[bytes, bytes]]] = [{}, {}]  # digest prefix -> (H, sealed)
    for i in itertools.count():
        for side, (credential, key, _) in enumerate(made):
            h = header(f"Payroll DB {side}-{i}", 2, 3)
            sealed = ctx_seal(key, credential, b"BG2" + h)
            digest = sha(b"BG2 set", h, sha(sealed), roots[side])
            seen[side][digest[:WIDTH]] = (h, sealed)
            if digest[:WIDTH] in seen[1 - side]:
                found = [(h, sealed), seen[1 - side][digest[:WIDTH]]]
                if side == 1:
                    found.reverse()
                out = []
                for (fh, fsealed), (_, _, words) in zip(found, made, strict=True):
                    d, recs = records(fh, fsealed, words)
                    out.append((d, [parse_share(r) for r in recs]))
                return out[0], out[1]
        assert i < 200_000
    raise AssertionError("unreachable")


def test_two_sets_with_one_printed_fingerprint_are_told_apart_by_the_full_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(share_mod, "FINGERPRINT_BYTES", WIDTH)
    monkeypatch.setattr(sealing, "FINGERPRINT_BYTES", WIDTH)
    (da, a), (db, b) = colliding_sets()
    assert a[0].fingerprint == b[0].fingerprint and len(a[0].fingerprint) == WIDTH
    assert da != db and a[0].set_digest == da and b[0].set_digest == db
    # each set alone is self-consistent: its own quorums open its own seal
    for shares, credential in ((a, b"credential A"), (b, b"credential B")):
        result = recover(shares[:2])
        assert bytes(result.secret) == credential
        result.wipe()
    # named by its full digest, set A never gives B's credential, and B's shares are named
    with pytest.raises(InsufficientSharesError, match="different set"):
        recover(b, expected_fingerprint=da)
    result = recover([b[0], a[0], b[1], a[2]], expected_fingerprint=da)
    assert bytes(result.secret) == b"credential A"
    assert [type(e) for e in result.rejected] == [WrongSetError, WrongSetError]
    assert "made to look alike" in str(result.rejected[0])
    result.wipe()
    # named only by the printed fingerprint, or not named, mixed shares are refused outright
    with pytest.raises(AmbiguousSetError, match="Name the set by its full set digest"):
        recover([a[0], b[0], a[1], b[1]], expected_fingerprint=a[0].fingerprint)
    with pytest.raises(AmbiguousSetError):
        recover([a[0], b[0], a[1], b[1]])


# -- what a reader refuses ------------------------------------------------------------------------


def _one_record(label: str = "Payroll DB", flags: int = 0) -> bytes:
    key = os.urandom(32)
    h = header(label, 2, 2, flags)
    words = slip39_split(key, 2, 2, 99)
    return records(h, ctx_seal(key, b"x", b"BG2" + h), words)[1][0]


def test_records_made_by_the_spec_builder_parse() -> None:
    share = parse_share(_one_record())
    assert share.label == "Payroll DB" and not share.drill
    assert parse_share(_one_record(flags=1)).drill


def test_unknown_flags_non_nfc_and_control_characters_are_refused() -> None:
    with pytest.raises(MalformedShareError, match="unknown set flags"):
        parse_share(_one_record(flags=2))
    decomposed = unicodedata.normalize("NFD", "Café")
    assert decomposed != "Café"
    with pytest.raises(MalformedShareError, match="NFC"):
        parse_share(_one_record(label=decomposed))
    for bad in ("DB\nroot", "DB\u202eroot", "DB\x7f"):
        with pytest.raises(MalformedShareError, match="control character"):
            parse_share(_one_record(label=bad))


def test_bg1_is_refused_by_name_never_silently() -> None:
    with pytest.raises(ShareError, match="pre-release") as info:
        parse_text("BG1" + "0" * 40)
    assert type(info.value).__name__ == "UnsupportedFormatError"


def test_the_drill_flag_cannot_be_flipped_after_the_set_is_made() -> None:
    """A registry or record edit cannot turn a live set into a drill set: H is in D."""
    record = bytearray(_one_record())
    flags_at = 1 + 4 + 1 + len(text("Custodian 1")) + len(text("on-call"))
    assert record[flags_at] == 0
    record[flags_at] = 1
    with pytest.raises(ShareError, match="altered or damaged"):
        parse_share(bytes(record))
