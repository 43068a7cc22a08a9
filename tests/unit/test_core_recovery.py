"""Split/recover: every quorum recovers the exact secret, every sub-quorum fails typed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import pickle

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from breakglass_gui.core import slip39
from breakglass_gui.core.errors import (
    DuplicateShareError,
    ForgedShareError,
    InsufficientSharesError,
    PolicyError,
    RecoveryError,
    WrongSetError,
)
from breakglass_gui.core.policy import GroupPolicy, Policy
from breakglass_gui.core.sealing import Custodian, quorum_status, recover, split_credential
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.share import (
    Share,
    parse_share,
)
from tests.forgery import forge_last_share

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(secret: bytes, policy: Policy, *, prove: bool = False) -> tuple[Share, ...]:
    """A split for recovery tests; the split-time proof has its own tests (test_core_proof)."""
    return split_credential(
        secret,
        policy=policy,
        label="db root",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(policy.total_shares)],
        prove=prove,
    ).shares


@pytest.mark.parametrize("n", range(2, 7))
def test_every_quorum_and_every_subquorum_exhaustively_small_n(n: int) -> None:
    secret = b"correct horse battery staple"
    for m in range(2, n + 1):
        shares = _split(secret, Policy.simple(m, n), prove=True)
        for size in range(1, n + 1):
            for subset in itertools.combinations(shares, size):
                if size >= m:
                    with recover(list(subset)).secret as got:
                        assert bytes(got) == secret
                else:
                    with pytest.raises(InsufficientSharesError, match=f"{size} of {m} collected"):
                        recover(list(subset))


@FAST
@given(
    n=st.integers(2, 16),
    data=st.data(),
    secret=st.binary(min_size=1, max_size=96),
)
def test_any_quorum_of_m_of_n_up_to_16(n: int, data: st.DataObject, secret: bytes) -> None:
    m = data.draw(st.integers(2, n))
    shares = list(_split(secret, Policy.simple(m, n)))
    order = data.draw(st.permutations(shares))
    k = data.draw(st.integers(m, n))
    with recover(order[:k]).secret as got:
        assert bytes(got) == secret
    below = data.draw(st.integers(1, m - 1))
    with pytest.raises(InsufficientSharesError):
        recover(order[:below])


@st.composite
def group_policies(draw: st.DrawFn) -> Policy:
    count = draw(st.integers(2, 4))
    groups = []
    for i in range(count):
        n = draw(st.integers(1, 4))
        groups.append((f"group{i}", draw(st.integers(1, n)), n))
    gt = draw(st.integers(1, count))
    policy = Policy(gt, tuple(GroupPolicy(*g) for g in groups))
    try:
        policy.validate()
    except PolicyError:
        assume(False)
    return policy


@FAST
@given(policy=group_policies(), data=st.data())
def test_group_policies_quorum_and_subquorum(policy: Policy, data: st.DataObject) -> None:
    secret = b"\x00\x01tier-zero\xff"
    shares = _split(secret, policy)
    by_group: dict[int, list[Share]] = {}
    for s in shares:
        by_group.setdefault(s.group_index, []).append(s)
    chosen_groups = data.draw(
        st.permutations(range(len(policy.groups))).map(lambda p: p[: policy.group_threshold])
    )
    quorum = [s for gi in chosen_groups for s in by_group[gi][: policy.groups[gi].threshold]]
    with recover(data.draw(st.permutations(quorum))).secret as got:
        assert bytes(got) == secret
    # drop one share from a group whose threshold is then unmet -> the quorum is not reached
    short = quorum[1:]
    with pytest.raises(InsufficientSharesError):
        recover(short)


def test_two_level_policy_words_and_recovery() -> None:
    policy = Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])
    assert policy.describe() == "any 1 of the 2 leadership shares AND any 2 of the 3 on-call shares"
    shares = _split(b"s3cret", policy)
    lead_a, lead_b, oc1, oc2, oc3 = shares
    with recover([lead_b, oc1, oc3]).secret as got:
        assert bytes(got) == b"s3cret"
    with pytest.raises(InsufficientSharesError):
        recover([lead_a, lead_b, oc1])  # two leaders are the same portion; on-call needs 2
    result = recover([lead_a, lead_b, oc2, oc3])
    assert any(isinstance(e, DuplicateShareError) for e in result.rejected)
    result.wipe()


@pytest.mark.parametrize("size", [1, 2, 16, 31, 32, 33, 255, 1024, 4096])
def test_secret_lengths_1_byte_to_4_kib(size: int) -> None:
    secret = bytes((i * 7 + 3) % 256 for i in range(size))
    shares = _split(secret, Policy.simple(2, 3))
    with recover([shares[2], shares[0]]).secret as got:
        assert bytes(got) == secret


def test_rsa_4096_pem_fits() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=4096).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert len(pem) > 3000
    shares = _split(pem, Policy.simple(3, 5))
    with recover(shares[1:4]).secret as got:
        assert bytes(got) == pem


def test_policy_limits() -> None:
    for m, n in [(1, 3), (4, 3), (2, 17), (0, 0)]:
        with pytest.raises(PolicyError):
            Policy.simple(m, n)
    with pytest.raises(PolicyError):
        split_credential(b"", policy=Policy.simple(2, 3), label="x")


def test_wrong_set_and_duplicate_are_named() -> None:
    a = _split(b"first", Policy.simple(2, 3))
    b = _split(b"second", Policy.simple(2, 3))
    result = recover([a[0], b[1], a[0], a[2]])
    assert bytes(result.secret) == b"first"
    kinds = {type(e) for e in result.rejected}
    assert kinds == {WrongSetError, DuplicateShareError}
    wrong = next(e for e in result.rejected if isinstance(e, WrongSetError))
    assert wrong.share == b[1].describe()
    assert "Custodian 1" in str(wrong)
    result.wipe()
    with pytest.raises(InsufficientSharesError, match="belongs to set"):
        recover([a[0], b[1]], expected_fingerprint=a[0].fingerprint)


def _forged_set(secret: bytes) -> tuple[Share, ...]:
    """A 2-of-3 set whose share 3 carries another key's words; every share passes alone."""
    return forge_last_share(
        _split(secret, Policy.simple(2, 3)), _split(secret, Policy.simple(2, 3))
    )


def test_forged_extra_share_is_identified_and_recovery_proceeds() -> None:
    shares = _forged_set(b"never a wrong secret")
    for s in shares:  # every share passes its own checks
        assert parse_share(s.to_bytes()) == s
    result = recover([shares[2], shares[0], shares[1]])
    assert bytes(result.secret) == b"never a wrong secret"
    assert [type(e) for e in result.rejected] == [ForgedShareError]
    assert result.rejected[0].share == shares[2].describe()
    result.wipe()


def test_forged_share_in_exact_quorum_never_gives_a_wrong_secret() -> None:
    shares = _forged_set(b"x")
    with pytest.raises(RecoveryError, match="share 3 of 3"):
        recover([shares[0], shares[2]])


def test_quorum_status_words() -> None:
    shares = _split(b"x", Policy.simple(3, 5))
    assert quorum_status(shares[:2]) == (False, "2 of 3 collected — 1 more needed")
    assert quorum_status(shares[:3])[0] is True


def test_secret_bytes_hygiene() -> None:
    s = SecretBytes(b"hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with s:
        pass
    assert s.is_wiped and len(s) == 7


def test_recovery_repr_and_share_repr_hold_no_material() -> None:
    shares = _split(b"topsecret", Policy.simple(2, 2))
    result = recover(list(shares))
    text = repr(result) + repr(shares[0]) + str(dataclasses.fields(shares[0]))
    assert "topsecret" not in text
    assert not any(w in repr(shares[0]) for w in shares[0].words)
    result.wipe()
    assert result.secret.is_wiped


def test_created_date_and_label_travel() -> None:
    s = split_credential(
        b"x", policy=Policy.simple(2, 3), label="AWS root", created=dt.date(2030, 1, 2)
    ).shares[0]
    again = parse_share(s.to_bytes())
    assert again.created == dt.date(2030, 1, 2) and again.label == "AWS root"


def test_slip39_words_are_a_standard_quorum() -> None:
    shares = _split(b"abc", Policy.simple(2, 3))
    with (
        slip39.combine_words([shares[0].words, shares[1].words]) as k1,
        slip39.combine_words([shares[1].words, shares[2].words]) as k2,
    ):
        assert bytes(k1) == bytes(k2) and len(k1) == 32
