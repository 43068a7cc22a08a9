"""The 45 official SLIP-39 vectors pass through our SLIP-39 layer (core.slip39)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breakglass_gui.core import slip39

VECTORS = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "slip39" / "vectors.json").read_text()
)


def test_all_45_vectors_present() -> None:
    assert len(VECTORS) == 45


@pytest.mark.parametrize("vector", VECTORS, ids=[v[0] for v in VECTORS])
def test_vector(vector: list[object]) -> None:
    description, mnemonics, secret_hex, _xprv = vector
    assert isinstance(mnemonics, list)
    word_lists = [m.split() for m in mnemonics]
    if not secret_hex:
        # Invalid vectors must be refused: at parse time or at combine time.
        with pytest.raises(slip39.MnemonicError):
            for words in word_lists:
                slip39.parse_words(words, key_bytes=None)
            slip39.combine_words(word_lists, passphrase=b"TREZOR")
        return
    for words in word_lists:
        slip39.parse_words(words, key_bytes=None)
    with slip39.combine_words(word_lists, passphrase=b"TREZOR") as secret:
        assert bytes(secret).hex() == secret_hex, description


def test_packing_round_trips_33_words() -> None:
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.secret import SecretBytes

    key = SecretBytes(bytes(range(32)))
    words = slip39.split_key(key, Policy.simple(2, 3))[0][0]
    packed = slip39.pack_words(words)
    assert len(packed) == slip39.PACKED_BYTES
    assert slip39.unpack_words(packed) == words
    bad = bytearray(packed)
    bad[-1] |= 1  # a padding bit
    with pytest.raises(ValueError, match="padding"):
        slip39.unpack_words(bytes(bad))


@pytest.mark.parametrize("extendable", [True, False])
@pytest.mark.parametrize("exponent", [0, 1])
def test_own_recovery_matches_the_reference_implementation(extendable: bool, exponent: int) -> None:
    import random

    import shamir_mnemonic

    rnd = random.Random(exponent * 2 + extendable)
    for _ in range(3):
        secret = rnd.randbytes(rnd.choice([16, 32]))
        groups = [(2, 3), (1, 1), (3, 4)]
        mnemonics = shamir_mnemonic.generate_mnemonics(
            2, groups, secret, b"pass", extendable=extendable, iteration_exponent=exponent
        )
        quorum = mnemonics[0][1:3] + mnemonics[2][:3]
        expected = shamir_mnemonic.combine_mnemonics(quorum, b"pass")
        with slip39.combine_words([m.split() for m in quorum], passphrase=b"pass") as got:
            assert bytes(got) == expected == secret
        with pytest.raises(slip39.MnemonicError):
            slip39.combine_words([m.split() for m in quorum[:-1]], passphrase=b"pass")


@pytest.mark.parametrize(
    "policy",
    [
        ("2-of-3", 1, [(2, 3)]),
        ("3-of-5", 1, [(3, 5)]),
        ("16-of-16", 1, [(16, 16)]),
        ("groups", 2, [("leadership", 1, 2), ("on-call", 2, 3), ("audit", 3, 3)]),
    ],
    ids=lambda p: p[0],
)
def test_own_split_is_standard_slip39(policy: tuple[str, int, list[tuple[object, ...]]]) -> None:
    """Shares from our split recover the key with the reference implementation's own code."""
    import itertools

    import shamir_mnemonic

    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.secret import SecretBytes

    _, gt, groups = policy
    p = Policy.simple(*groups[0]) if gt == 1 and len(groups) == 1 else Policy.grouped(gt, groups)  # type: ignore[arg-type]
    key = SecretBytes(bytes(range(100, 132)))
    words = slip39.split_key(key, p)
    assert not key.is_wiped  # the caller owns the key
    for gi, group in enumerate(p.groups):
        assert len(words[gi]) == group.count
    # every minimal quorum, chosen group by group, recovers through shamir_mnemonic
    for chosen in itertools.combinations(range(len(p.groups)), p.group_threshold):
        quorum = []
        for gi in chosen:
            need = p.groups[gi].threshold
            members = list(dict.fromkeys(" ".join(w) for w in words[gi]))  # 1-of-N: one portion
            quorum += members[:need]
        assert shamir_mnemonic.combine_mnemonics(quorum, b"") == bytes(key)
        with slip39.combine_words([m.split() for m in quorum]) as ours:
            assert bytes(ours) == bytes(key)
