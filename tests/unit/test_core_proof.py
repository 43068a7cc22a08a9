"""The split-time proof: every share on its polynomial, every quorum (or a sample) recovered."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from breakglass_gui.core.errors import InconsistentSetError, InsufficientSharesError, PolicyError
from breakglass_gui.core.policy import GroupPolicy, Policy
from breakglass_gui.core.sealing import (
    FULL_RECOVERY_LIMIT,
    Custodian,
    ShareSet,
    check_quorum,
    prove_set,
    recover,
    split_credential,
)
from breakglass_gui.core.share import Share
from tests.forgery import forge_last_share, forge_share

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(secret: bytes, policy: Policy) -> ShareSet:
    people = [Custodian(f"C{i}", "r") for i in range(policy.total_shares)]
    return split_credential(secret, policy=policy, label="proof", custodians=people, prove=False)


def test_every_m_of_n_up_to_16_is_proven_by_interpolation() -> None:
    """All 120 plain policies: N - M extra interpolations, and the quorum count C(N, M)."""
    for n in range(2, 17):
        for m in range(2, n + 1):
            made = _split(b"s", Policy.simple(m, n))
            proof = prove_set(made.shares, secret=b"s", limit=1)
            assert proof.interpolations == n - m, (m, n)
            assert proof.quorums == math.comb(n, m)
            assert proof.recovered == 1 and proof.sampled == (proof.quorums > 1)


@st.composite
def group_policies(draw: st.DrawFn) -> Policy:
    count = draw(st.integers(2, 5))
    groups = []
    for i in range(count):
        n = draw(st.integers(1, 6))
        groups.append((f"group{i}", draw(st.integers(1, n)), n))
    gt = draw(st.integers(1, count))
    policy = Policy(gt, tuple(GroupPolicy(*g) for g in groups))
    try:
        policy.validate()
    except PolicyError:
        assume(False)
    return policy


@FAST
@given(policy=group_policies(), secret=st.binary(min_size=1, max_size=40))
def test_group_policies_are_proven_and_every_quorum_recovers(policy: Policy, secret: bytes) -> None:
    made = _split(secret, policy)
    proof = prove_set(made.shares, secret=secret, limit=8, rng=random.Random(1))
    member = sum(g.count - g.threshold for g in policy.groups if g.threshold > 1)
    assert proof.interpolations == member + len(policy.groups) - policy.group_threshold
    expected = sum(
        math.prod(
            math.comb(policy.groups[gi].count, policy.groups[gi].threshold)
            if policy.groups[gi].threshold > 1
            else 1
            for gi in groups
        )
        for groups in _combinations(len(policy.groups), policy.group_threshold)
    )
    assert proof.quorums == expected
    assert proof.recovered == min(expected, 8)


def _combinations(n: int, k: int) -> list[tuple[int, ...]]:
    import itertools

    return list(itertools.combinations(range(n), k))


@FAST
@given(n=st.integers(2, 16), data=st.data())
def test_a_hypothesis_sample_of_quorums_fully_recovers_and_sub_quorums_fail_typed(
    n: int, data: st.DataObject
) -> None:
    m = data.draw(st.integers(2, n))
    secret = data.draw(st.binary(min_size=1, max_size=64))
    shares = list(_split(secret, Policy.simple(m, n)).shares)
    order = data.draw(st.permutations(shares))
    result = recover(order[:m])
    assert bytes(result.secret) == secret
    result.wipe()
    below = data.draw(st.integers(1, m - 1))
    with pytest.raises(InsufficientSharesError, match=f"{below} of {m} collected"):
        recover(order[:below])


@pytest.mark.parametrize(("m", "n"), [(2, 3), (3, 5), (4, 4), (5, 9)])
def test_a_share_off_its_polynomial_is_refused_before_any_paper(m: int, n: int) -> None:
    good = _split(b"secret", Policy.simple(m, n)).shares
    other = _split(b"secret", Policy.simple(m, n)).shares
    forged = forge_last_share(good, other)
    with pytest.raises(InconsistentSetError) as info:
        prove_set(forged, secret=b"secret")
    assert forged[-1].describe() in str(info.value) or m == n
    assert info.value.shares


def test_one_of_n_group_members_must_hold_the_same_words() -> None:
    policy = Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])
    good = _split(b"k", policy).shares
    other = _split(b"k", policy).shares
    # the second leader gets another split's leadership words (a consistent-looking record)
    mixed = forge_share(good, other, 1)
    with pytest.raises(InconsistentSetError, match="do not hold the same words"):
        prove_set(mixed)


def test_a_credential_other_than_the_one_entered_is_refused() -> None:
    made = _split(b"what was entered", Policy.simple(2, 3))
    with pytest.raises(InconsistentSetError, match="different credential"):
        prove_set(made.shares, secret=b"something else!!")


def test_split_proves_by_default_and_says_what_it_proved() -> None:
    made = split_credential(b"x" * 32, policy=Policy.simple(3, 5), label="L")
    assert made.proof is not None
    assert (made.proof.quorums, made.proof.recovered, made.proof.sampled) == (10, 10, False)
    assert "all 10 quorums recovered" in made.proof.describe()
    big = split_credential(b"x", policy=Policy.simple(2, 8), label="L")
    assert big.proof is not None and not big.proof.sampled and big.proof.recovered == 28
    assert FULL_RECOVERY_LIMIT == 256


def test_sampling_beyond_the_limit_is_stated() -> None:
    made = _split(b"x", Policy.simple(4, 16))  # 1820 quorums
    proof = prove_set(made.shares, limit=5, rng=random.Random(3))
    assert proof.sampled and proof.recovered == 5 and proof.quorums == 1820
    assert "5 of 1820 quorums recovered (random sample)" in proof.describe()


def test_a_share_that_does_not_read_back_is_refused() -> None:
    made = _split(b"x", Policy.simple(2, 3))
    renamed = dataclasses.replace(made.shares[1], custodian="Someone else")
    shares: list[Share] = [made.shares[0], renamed, made.shares[2]]
    with pytest.raises(InconsistentSetError) as info:
        prove_set(shares)
    assert "share 2 of 3" in str(info.value)


def test_check_quorum_proves_a_quorum_and_keeps_no_credential() -> None:
    made = split_credential(b"live secret", policy=Policy.simple(2, 3), label="L", prove=False)
    checked = check_quorum([made.shares[2], made.shares[0]], expected_fingerprint=made.digest)
    assert checked.set_digest == made.digest and not checked.drill
    assert [s.number for s in checked.used] == [3, 1]
    assert "live secret" not in repr(checked)
    forged = forge_last_share(made.shares, _split(b"live secret", Policy.simple(2, 3)).shares)
    with pytest.raises(InconsistentSetError):
        check_quorum([forged[0], forged[2]])


def test_set_json_carries_the_full_digest_and_paper_prints_it() -> None:
    from breakglass_gui.paper.setinfo import SetInfo, SetInfoError

    made = split_credential(b"x", policy=Policy.simple(2, 3), label="L", prove=False)
    meta = made.public_metadata()
    assert meta["set_digest"] == made.digest_text and meta["drill"] is False
    info = SetInfo.from_metadata(meta)
    assert info.digest_text == made.digest_text
    assert info.digest_text.replace("-", "").startswith(made.fingerprint_text.replace("-", ""))
    other = split_credential(b"x", policy=Policy.simple(2, 3), label="L", prove=False)
    with pytest.raises(SetInfoError, match="not the full digest of this set"):
        SetInfo.from_metadata({**meta, "set_digest": other.digest_text})
