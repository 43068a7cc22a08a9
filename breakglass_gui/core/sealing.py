"""Split a credential into a set of sealed shares, and recover it from a quorum.

split:   key K <- 32 random bytes;
         sealed <- AES-256-GCM(K, nonce 0^12, credential, AD = "BG1" || header)
         K is split with SLIP-39 by the policy; every share carries the sealed credential, its own
         SLIP-39 words, and a Merkle path to the set fingerprint.
recover: the shares' fingerprints must agree; a quorum of SLIP-39 shares gives K; K opens the
         sealed credential. The AEAD tag makes a wrong secret impossible: a forged or foreign
         share yields a wrong K, and a wrong K does not open the seal.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import slip39
from .errors import (
    DuplicateShareError,
    ForgedShareError,
    InsufficientSharesError,
    PolicyError,
    RecoveryError,
    ShareError,
    WrongSetError,
)
from .policy import Policy
from .secret import SecretBytes
from .share import (
    AEAD_NONCE,
    FINGERPRINT_BYTES,
    SetHeader,
    Share,
    format_fingerprint,
    leaf_hash,
    leaf_input,
    merkle_path,
    merkle_root,
    set_digest,
)

__all__ = [
    "MAX_SECRET_BYTES",
    "Custodian",
    "Recovery",
    "ShareSet",
    "quorum_status",
    "random_key",
    "recover",
    "split_credential",
]

MAX_SECRET_BYTES = 16 * 1024
MAX_COMBINATIONS = 256


@dataclass(frozen=True)
class Custodian:
    name: str
    role: str = ""


@dataclass(frozen=True)
class ShareSet:
    header: SetHeader
    fingerprint: bytes
    shares: tuple[Share, ...]

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    def public_metadata(self) -> dict[str, object]:
        """What set.json holds: everything public about the set, no share material, no secret."""
        policy = self.header.policy
        return {
            "format": "breakglass-set",
            "format_version": 1,
            "fingerprint": self.fingerprint_text,
            "label": self.header.label,
            "created": self.header.created.isoformat(),
            "policy": {
                "text": policy.describe(),
                "short": policy.short(),
                "group_threshold": policy.group_threshold,
                "groups": [
                    {"name": g.name, "threshold": g.threshold, "count": g.count}
                    for g in policy.groups
                ],
            },
            "secret_length": len(self.shares[0].sealed) - 16,
            "shares": [
                {
                    "number": s.number,
                    "custodian": s.custodian,
                    "role": s.role,
                    "group": s.group_name,
                    "verification_words": s.verification_words(),
                }
                for s in self.shares
            ],
        }


def random_key(length: int = slip39.KEY_BYTES) -> SecretBytes:
    """Fresh random bytes read straight into a buffer we own."""
    key = SecretBytes(length)
    try:
        with open("/dev/urandom", "rb", buffering=0) as f:
            view = memoryview(key)
            got = 0
            while got < length:
                n = f.readinto(view[got:])
                if not n:
                    raise OSError("short read from /dev/urandom")
                got += n
            view.release()
    except OSError:
        rnd = os.urandom(length)
        key[:] = rnd
        del rnd
    return key


def split_credential(
    secret: bytes | bytearray,
    *,
    policy: Policy,
    label: str,
    custodians: Sequence[Custodian] = (),
    created: dt.date | None = None,
) -> ShareSet:
    """Seal ``secret`` and split its key by ``policy``. ``secret`` is not modified or kept."""
    policy.validate()
    if not 1 <= len(secret) <= MAX_SECRET_BYTES:
        raise PolicyError(
            f"the credential must be 1 to {MAX_SECRET_BYTES} bytes, not {len(secret)}"
        )
    total = policy.total_shares
    if len(custodians) > total:
        raise PolicyError(f"{len(custodians)} custodians named for {total} shares")
    people = list(custodians) + [Custodian("", "") for _ in range(total - len(custodians))]
    header = SetHeader(created or dt.datetime.now(dt.UTC).date(), policy, label)
    header.encode()  # validates field sizes before any key exists

    with random_key() as key:
        aead = AESGCM(key)
        sealed_buf = bytearray(len(secret) + 16)
        aead.encrypt_into(AEAD_NONCE, secret, header.associated_data(), sealed_buf)
        del aead
        sealed = bytes(sealed_buf)
        words = slip39.split_key(key, policy)

    packed: list[bytes] = []
    for gi, group in enumerate(policy.groups):
        for pos in range(group.count):
            packed.append(slip39.pack_words(words[gi][pos]))
    del words
    leaves = [
        leaf_hash(leaf_input(k + 1, people[k].name, people[k].role, packed[k]))
        for k in range(total)
    ]
    root = merkle_root(leaves)
    fp = set_digest(header, sealed, root)[:FINGERPRINT_BYTES]
    shares = tuple(
        Share(
            fp,
            k + 1,
            people[k].name,
            people[k].role,
            header,
            tuple(merkle_path(leaves, k)),
            sealed,
            packed[k],
        )
        for k in range(total)
    )
    return ShareSet(header, fp, shares)


# -- recovery ------------------------------------------------------------------------------------


@dataclass
class Recovery:
    """A recovered credential and how it was reached. Wipe ``secret`` when done."""

    secret: SecretBytes
    fingerprint: bytes
    label: str
    used: list[Share]
    rejected: list[ShareError] = field(default_factory=list)

    def __repr__(self) -> str:
        fp = format_fingerprint(self.fingerprint)
        return f"<Recovery of set {fp}: {len(self.used)} shares used>"

    def wipe(self) -> None:
        self.secret.wipe()


def _screen(
    shares: Sequence[Share], expected: bytes | None
) -> tuple[bytes, list[Share], list[ShareError]]:
    """Drop foreign and duplicate shares, naming each; return (fingerprint, kept, rejected)."""
    if not shares:
        raise InsufficientSharesError("no shares were presented")
    rejected: list[ShareError] = []
    if expected is None:
        counts: dict[bytes, int] = {}
        for s in shares:
            counts[s.fingerprint] = counts.get(s.fingerprint, 0) + 1
        # the set most shares agree on; ties go to the first presented
        expected = max(
            counts, key=lambda fp: (counts[fp], -[s.fingerprint for s in shares].index(fp))
        )
    kept: list[Share] = []
    seen_numbers: dict[int, Share] = {}
    seen_slots: dict[tuple[int, bytes], Share] = {}
    for s in shares:
        if s.fingerprint != expected:
            rejected.append(
                WrongSetError(
                    f"it belongs to set {s.fingerprint_text}, not {format_fingerprint(expected)}",
                    s.describe(),
                )
            )
        elif s.number in seen_numbers:
            rejected.append(DuplicateShareError("it was already presented", s.describe()))
        elif s.slot in seen_slots:
            rejected.append(
                DuplicateShareError(
                    f"it is the same portion as {seen_slots[s.slot].describe()}", s.describe()
                )
            )
        else:
            seen_numbers[s.number] = s
            seen_slots[s.slot] = s
            kept.append(s)
    return expected, kept, rejected


def quorum_status(shares: Sequence[Share]) -> tuple[bool, str]:
    """Whether these (same-set, distinct) shares reach the quorum, in words."""
    if not shares:
        return False, "no shares collected yet"
    policy = shares[0].policy
    have = [0] * len(policy.groups)
    for s in shares:
        have[s.group_index] += 1
    if policy.is_simple:
        need = policy.groups[0].threshold
        n = have[0]
        if n >= need:
            return True, f"{n} of {need} collected — quorum reached"
        more = need - n
        return False, f"{n} of {need} collected — {more} more needed"
    done = [gi for gi, g in enumerate(policy.groups) if have[gi] >= g.threshold]
    missing = policy.group_threshold - len(done)
    if missing <= 0:
        return True, "quorum reached: " + ", ".join(policy.groups[gi].name for gi in done)
    partial = [
        f"{g.name} {have[gi]}/{g.threshold}" for gi, g in enumerate(policy.groups) if gi not in done
    ]
    return False, f"{missing} more group(s) needed ({'; '.join(partial)})"


def _quorums(shares: Sequence[Share]) -> Iterator[list[Share]]:
    """Minimal quorums from these shares, the earliest-presented first."""
    policy = shares[0].policy
    by_group: dict[int, list[Share]] = {}
    for s in shares:
        by_group.setdefault(s.group_index, []).append(s)
    ready = [gi for gi in by_group if len(by_group[gi]) >= policy.groups[gi].threshold]
    for groups in itertools.combinations(sorted(ready), policy.group_threshold):
        choices = [
            itertools.combinations(by_group[gi], policy.groups[gi].threshold) for gi in groups
        ]
        for combo in itertools.product(*choices):
            yield [s for part in combo for s in part]


def _open(quorum: Sequence[Share]) -> SecretBytes | None:
    try:
        key = slip39.combine_words([s.words for s in quorum])
    except slip39.MnemonicError:
        return None
    first = quorum[0]
    out = SecretBytes(len(first.sealed) - 16)
    try:
        AESGCM(key).decrypt_into(AEAD_NONCE, first.sealed, first.header.associated_data(), out)
    except InvalidTag:
        out.wipe()
        return None
    finally:
        key.wipe()
    return out


def recover(shares: Sequence[Share], *, expected_fingerprint: bytes | None = None) -> Recovery:
    """Recover the credential. Never returns a wrong secret.

    Foreign, duplicate and (given extra shares) bad shares are named in ``rejected`` and left
    out; when the good shares do not reach the quorum, ``InsufficientSharesError`` says how
    many more are needed and what was refused.
    """
    fp, kept, rejected = _screen(shares, expected_fingerprint)
    reached, status = quorum_status(kept)
    if not reached:
        refused = "; ".join(str(e) for e in rejected)
        raise InsufficientSharesError(
            f"not enough shares: {status}" + (f". Refused: {refused}" if refused else ""), status
        )
    attempts = 0
    for quorum in _quorums(kept):
        attempts += 1
        if attempts > MAX_COMBINATIONS:
            break
        secret = _open(quorum)
        if secret is None:
            continue
        used = list(quorum)
        bad = _find_bad_extras(quorum, [s for s in kept if s not in quorum])
        rejected += bad
        return Recovery(secret, fp, kept[0].label, used, rejected)
    # No quorum opened the seal. With exactly a quorum we cannot tell which share is bad.
    names = ", ".join(s.describe() for s in kept)
    raise RecoveryError(
        f"these shares pass their own checks but do not open the sealed credential together: "
        f"{names}. At least one is forged or from a tampered set; bring another custodian's share "
        "so the bad one can be identified."
    )


def _find_bad_extras(good: Sequence[Share], extras: Sequence[Share]) -> list[ShareError]:
    """An extra share is bad if putting it in place of a same-group member breaks the quorum."""
    bad: list[ShareError] = []
    for extra in extras:
        peers = [s for s in good if s.group_index == extra.group_index]
        if not peers:
            continue  # a group not used by the quorum: nothing to test it against alone
        trial = [s for s in good if s is not peers[0]] + [extra]
        secret = _open(trial)
        if secret is None:
            bad.append(
                ForgedShareError(
                    "it passes its own checks but does not combine with the other shares: "
                    "forged, or from a tampered set",
                    extra.describe(),
                )
            )
        else:
            secret.wipe()
    return bad
