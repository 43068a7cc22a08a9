"""Shared by the audit tests: a full set of ceremonies through ``AuditTrail``, and a leak check.

(Named ``test_*`` so that it sits among the audit test files; its one test checks the helper.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from breakglass_gui.audit.review import complete_review
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, recover, split_credential

SECRET = b"Tr0ub4dor&3-root-PASSWORD-4821"


@dataclass
class CeremonyRun:
    first: ShareSet
    second: ShareSet
    real: int
    drill: int
    review: int | None


def full_ceremony(trail: AuditTrail, secret: bytes = SECRET) -> CeremonyRun:
    """Split, print, verify, check in, reconstruct for real (with a refused share), drill,
    review, and rotate (split --replaces). Every step recorded through ``trail``."""
    policy = Policy.simple(2, 3)
    people = [Custodian("Ana Ruiz", "on-call"), Custodian("Bo Chen", "secondary"), Custodian("Cy")]
    split = trail.split_started(
        label="aws root", policy=policy, custodians=[p.name for p in people], operator="ana"
    )
    first = split_credential(secret, policy=policy, label="aws root", custodians=people)
    trail.split_finished(split, first, operator="ana")
    for share in first.shares:
        trail.share_printed(share, ceremony=split)
        trail.share_verified(share, ceremony=split)
    trail.checkin(first.shares[2], by="Cy")

    foreign = split_credential(b"another credential", policy=policy, label="other")
    real = trail.reconstruction_started(
        incident="INC-4821", operator="byashin", witnesses=["Cy"], trigger="SSO down 15 min"
    )
    presented = [first.shares[0], foreign.shares[0], first.shares[1]]
    recovery = recover(presented)
    fp = first.fingerprint_text
    for err in recovery.rejected:
        trail.share_refused(real, err.share or "a share", err.reason, fp)
    for share in recovery.used:
        trail.share_accepted(real, share)
    trail.quorum_reached(real, fp, recovery.used)
    trail.announcement_confirmed(real, posted=True, how="confirmed in the test")
    with recovery.secret as revealed:
        assert bytes(revealed) == secret
        assert trail.reveal_gate(real).open
        trail.secret_revealed(real, fp, "screen")
        trail.secret_copied(real, fp, clear_after_s=30)
    trail.secret_wiped(real, fp)
    trail.post_use_step_done(real, "rotate the credential", note="new password set in AWS")
    review = trail.reconstruction_finished(real, "revealed", fp)
    assert review is not None
    complete_review(
        trail,
        review,
        {
            "severity": "SEV1",
            "appropriate": "YES — minimal and scoped",
            "reviewers": ["on-call manager", "security"],
            "follow_ups": ["OPS-2210: fast path for rollbacks"],
        },
    )

    drill = trail.reconstruction_started(drill=True, operator="ana", witnesses=["Bo Chen"])
    with recover([first.shares[1], first.shares[2]]).secret:
        trail.quorum_reached(drill, fp, [first.shares[1], first.shares[2]])
        trail.step_timed(drill, "collect shares", 42.5)
        trail.secret_revealed(drill, fp, "screen")
    trail.secret_wiped(drill, fp)
    trail.reconstruction_finished(drill, "revealed", fp)

    rotate = trail.split_started(
        label="aws root", policy=policy, custodians=[p.name for p in people], replaces=fp
    )
    second = split_credential(b"rotated " + secret, policy=policy, label="aws root")
    trail.split_finished(rotate, second, replaces=fp, operator="ana")
    return CeremonyRun(first, second, real, drill, review)


_TOKENS = re.compile(rb"[a-z]+")


def assert_no_leak(
    blobs: Mapping[str, bytes], secrets: list[bytes], share_sets: list[ShareSet]
) -> None:
    """No secret, no QR payload, no run of 3 consecutive share words in any blob."""
    runs: set[tuple[bytes, ...]] = set()
    payloads: list[bytes] = []
    for share_set in share_sets:
        for share in share_set.shares:
            words = [w.encode() for w in share.words]
            runs |= {tuple(words[i : i + 3]) for i in range(len(words) - 2)}
            payloads += [t.encode() for t in share.qr_texts()]
            payloads.append(share.packed_words)
    for name, blob in blobs.items():
        for secret in secrets:
            assert secret not in blob, f"the secret is in {name}"
        for p in payloads:
            assert p not in blob, f"share material (QR payload or packed words) is in {name}"
        tokens = _TOKENS.findall(blob.lower())
        for i in range(len(tokens) - 2):
            assert tuple(tokens[i : i + 3]) not in runs, f"share words are in {name}"


def test_leak_check_catches_share_words() -> None:
    s = split_credential(SECRET, policy=Policy.simple(2, 3), label="x")
    words = " ".join(s.shares[1].words[10:14]).encode()
    assert_no_leak({"clean": b"share 2 of 3 (Ana) accepted"}, [SECRET], [s])
    for blob in (b"... " + words + b" ...", SECRET, s.shares[0].qr_texts()[0].encode()):
        try:
            assert_no_leak({"dirty": blob}, [SECRET], [s])
        except AssertionError:
            continue
        raise AssertionError(f"not caught: {blob[:20]!r}")
