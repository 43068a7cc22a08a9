"""Split a credential into a set of sealed shares, prove the set, and recover it from a quorum.

split:   key K <- 32 random bytes;
         sealed <- C || commit, where C || T = AES-256-GCM(K, nonce 0^12, credential,
         AD = "BG2" || header) and commit = SHA-256("BG2 commit" || K || nonce || AD || T)[:20]
         (the CTX construction: the tag commits to the key, so one sealed value opens under
         one key only). K is split with SLIP-39 by the policy; every share carries the sealed
         credential, its own SLIP-39 words, and a Merkle path into the set digest.
prove:   before any paper exists, every share is shown to lie on its level's sharing
         polynomial and every quorum (or a stated random sample of them) is fully recovered.
recover: the shares' set digests must agree; a quorum of SLIP-39 shares gives K; K must match
         the commitment and opens the seal. A wrong K -- from a forged share, a foreign share
         or a set made inconsistent on purpose -- is refused, naming the shares used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import math
import os
import random
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from . import slip39
from .errors import (
    AmbiguousSetError,
    DuplicateShareError,
    ForgedShareError,
    InconsistentSetError,
    InsufficientSharesError,
    PolicyError,
    ShareError,
    WrongSetError,
)
from .policy import GroupPolicy, Policy
from .secret import SecretBytes, wipe_buffer
from .share import (
    AEAD_NONCE,
    COMMIT_BYTES,
    DIGEST_BYTES,
    FINGERPRINT_BYTES,
    MAX_SECRET_BYTES,
    PartAssembler,
    SetHeader,
    Share,
    SharePart,
    digest_of,
    fingerprint_matches,
    format_fingerprint,
    format_set_digest,
    leaf_hash,
    leaf_input,
    merkle_path,
    merkle_root,
    parse_share,
    parse_text,
    parse_transcription,
)

__all__ = [
    "FULL_RECOVERY_LIMIT",
    "MAX_SECRET_BYTES",
    "Custodian",
    "QuorumCheck",
    "Recovery",
    "SetProof",
    "ShareSet",
    "check_quorum",
    "open_sealed",
    "prove_set",
    "quorum_status",
    "random_key",
    "recover",
    "seal",
    "split_credential",
]

MAX_COMBINATIONS = 256
#: At split time every quorum is fully recovered when there are at most this many; beyond,
#: this many quorums drawn at random (every share still proven on its polynomial).
FULL_RECOVERY_LIMIT = 256
GCM_TAG_BYTES = 16
_COMMIT_LABEL = b"BG2 commit"


@dataclass(frozen=True)
class Custodian:
    name: str
    role: str = ""


@dataclass(frozen=True)
class SetProof:
    """What was proven about a set before any paper was made."""

    shares: int
    quorums: int  # minimal quorums of the policy (1-of-N group members counted once)
    recovered: int  # quorums fully recovered (SLIP-39, Feistel, commitment, tag, credential)
    sampled: bool  # True when ``recovered`` < ``quorums`` (a random sample)
    interpolations: int  # extra interpolations showing every share lies on its polynomial
    seconds: float

    def describe(self) -> str:
        how = (
            f"all {self.quorums} quorums recovered"
            if not self.sampled
            else f"{self.recovered} of {self.quorums} quorums recovered (random sample)"
        )
        return (
            f"every share of {self.shares} lies on its sharing polynomial; {how}; "
            f"{self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class ShareSet:
    header: SetHeader
    digest: bytes
    shares: tuple[Share, ...]
    proof: SetProof | None = None

    @property
    def fingerprint(self) -> bytes:
        """The printed 64-bit fingerprint (first 8 bytes of ``digest``)."""
        return self.digest[:FINGERPRINT_BYTES]

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    @property
    def digest_text(self) -> str:
        return format_set_digest(self.digest)

    def public_metadata(self) -> dict[str, object]:
        """What set.json holds: everything public about the set, no share material, no secret."""
        policy = self.header.policy
        return {
            "format": "breakglass-set",
            "format_version": 1,
            "share_format": 2,
            "fingerprint": self.fingerprint_text,
            "set_digest": self.digest_text,
            "drill": self.header.drill,
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
            "secret_length": self.shares[0].secret_length,
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


# -- the key-committing seal (CTX over AES-256-GCM) ----------------------------------------------


def _commitment(key: bytes | bytearray, associated_data: bytes, tag: bytes | bytearray) -> bytes:
    h = hashlib.sha256()
    for chunk in (_COMMIT_LABEL, key, AEAD_NONCE, associated_data, tag):
        h.update(chunk)
    return h.digest()[:COMMIT_BYTES]


def seal(key: bytes | bytearray, plaintext: bytes | bytearray, associated_data: bytes) -> bytes:
    """AES-256-GCM with its tag T replaced by SHA-256("BG2 commit"||K||N||AD||T)[:20]."""
    # cryptography's cipher bindings load here, not at import: checking shares (``verify``,
    # check-ins) never seals or opens, and the bindings are ~15 ms of its start (issue 16)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    buf = bytearray(len(plaintext) + GCM_TAG_BYTES)
    AESGCM(key).encrypt_into(AEAD_NONCE, plaintext, associated_data, buf)
    tag = buf[-GCM_TAG_BYTES:]
    return bytes(buf[:-GCM_TAG_BYTES]) + _commitment(key, associated_data, tag)


def open_sealed(
    key: bytes | bytearray, sealed: bytes, associated_data: bytes
) -> SecretBytes | None:
    """The credential, or None when ``key`` is not the key ``sealed`` commits to.

    CTR-decrypt with GCM's keystream (counter block nonce || 00000002), recompute the GCM tag
    by encrypting the result again, check the commitment, then open with standard
    AES-256-GCM under that tag. The plaintext only ever lives in buffers that are wiped.
    """
    if len(sealed) <= COMMIT_BYTES:
        return None
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - see seal()
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    body, commit = sealed[:-COMMIT_BYTES], sealed[-COMMIT_BYTES:]
    n = len(body)
    scratch = SecretBytes(n + 15)  # cryptography's update_into wants block_size - 1 spare
    again = bytearray(n + GCM_TAG_BYTES)
    try:
        ctr = Cipher(algorithms.AES(key), modes.CTR(AEAD_NONCE + b"\x00\x00\x00\x02")).decryptor()
        ctr.update_into(body, scratch)
        ctr.finalize()
        AESGCM(key).encrypt_into(AEAD_NONCE, memoryview(scratch)[:n], associated_data, again)
    finally:
        scratch.wipe()
    tag = bytes(again[n:])
    same_body = hmac.compare_digest(bytes(again[:n]), body)
    wipe_buffer(again)
    if not same_body or not hmac.compare_digest(_commitment(key, associated_data, tag), commit):
        return None
    out = SecretBytes(n)
    try:
        AESGCM(key).decrypt_into(AEAD_NONCE, body + tag, associated_data, out)
    except InvalidTag:  # pragma: no cover - the recomputed tag always verifies
        out.wipe()
        return None
    return out


# -- split ---------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def split_credential(
    secret: bytes | bytearray,
    *,
    policy: Policy,
    label: str,
    custodians: Sequence[Custodian] = (),
    created: dt.date | None = None,
    drill: bool = False,
    prove: bool = True,
) -> ShareSet:
    """Seal ``secret`` and split its key by ``policy``. ``secret`` is not modified or kept.

    Labels, names, roles and group names are stored in Unicode NFC. With ``prove`` (the
    default, and what every ceremony uses) the set is proven by ``prove_set`` before it is
    returned: a set that fails raises ``InconsistentSetError`` and no paper can be made.
    ``drill`` marks a rehearsal set (throwaway secret) in the set header.
    """
    policy = Policy(
        policy.group_threshold,
        tuple(GroupPolicy(_nfc(g.name), g.threshold, g.count) for g in policy.groups),
    )
    policy.validate()
    if not 1 <= len(secret) <= MAX_SECRET_BYTES:
        raise PolicyError(
            f"the credential must be 1 to {MAX_SECRET_BYTES} bytes, not {len(secret)}"
        )
    total = policy.total_shares
    if len(custodians) > total:
        raise PolicyError(f"{len(custodians)} custodians named for {total} shares")
    people = [Custodian(_nfc(c.name), _nfc(c.role)) for c in custodians]
    people += [Custodian("", "") for _ in range(total - len(custodians))]
    header = SetHeader(created or dt.datetime.now(dt.UTC).date(), policy, _nfc(label), drill)
    header.encode()  # validates field sizes before any key exists
    for p in people:
        leaf_input(1, p.name, p.role, bytes(slip39.PACKED_BYTES))  # validates names and roles

    with random_key() as key:
        sealed = seal(key, secret, header.associated_data())
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
    digest = digest_of(header, sealed, merkle_root(leaves))
    shares = tuple(
        Share(
            digest,
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
    proof = prove_set(shares, secret=secret) if prove else None
    return ShareSet(header, digest, shares, proof)


# -- proof at split time -----------------------------------------------------------------------


def _reparsed(share: Share) -> Share:
    """The share as a reader gets it from each printed form; all must give back ``share``."""
    name = share.describe()
    try:
        return _read_back(share, name)
    except ShareError as exc:
        raise InconsistentSetError(f"{name} does not read back: {exc}", (name,)) from exc


def _read_back(share: Share, name: str) -> Share:
    forms: list[Share] = [parse_share(share.to_bytes()), parse_transcription(share.transcription())]
    texts = share.qr_texts()
    if len(texts) == 1:
        first = parse_text(texts[0])
        if not isinstance(first, Share):
            raise InconsistentSetError(f"{name}: its QR text does not read back", (name,))
        forms.append(first)
    else:
        assembler = PartAssembler()
        whole: Share | None = None
        for text in texts:
            part = parse_text(text)
            if not isinstance(part, SharePart):
                raise InconsistentSetError(f"{name}: a QR part does not read back", (name,))
            whole = assembler.add(part)
        if whole is None:
            raise InconsistentSetError(f"{name}: its QR parts do not assemble", (name,))
        forms.append(whole)
    if any(f != share for f in forms):
        raise InconsistentSetError(f"{name}: a printed form reads back differently", (name,))
    return forms[0]


def _slip39_points(shares: Sequence[Share]) -> dict[int, list[tuple[Share, int, bytes]]]:
    """Per SLIP-39 group index: (share, member index, share value)."""
    out: dict[int, list[tuple[Share, int, bytes]]] = {}
    for s in shares:
        member = slip39.share_value(s.words)
        out.setdefault(member[0], []).append((s, member[1], member[2]))
    return out


def _check_polynomials(shares: Sequence[Share]) -> int:
    """Every member share lies on its group's polynomial, every group share on the top-level
    polynomial, and the two SLIP-39 digests hold. Returns the number of extra interpolations."""
    policy = shares[0].policy
    points = _slip39_points(shares)
    extra = 0
    group_secrets: list[tuple[int, SecretBytes]] = []
    try:
        for gi, group in enumerate(policy.groups):
            members = points.get(gi, [])
            if len(members) != group.count:
                raise InconsistentSetError(
                    f"group {gi + 1} has {len(members)} shares, its policy says {group.count}"
                )
            if group.threshold == 1:  # a 1-of-N group: every member holds the same words
                first = members[0][0]
                for s, _, _ in members[1:]:
                    if s.packed_words != first.packed_words:
                        raise InconsistentSetError(
                            f"{s.describe()} and {first.describe()} are in a 1-of-N group "
                            "but do not hold the same words",
                            (s.describe(), first.describe()),
                        )
                base = [(members[0][1], bytearray(members[0][2]))]
            else:
                base = [(x, bytearray(v)) for _, x, v in members[: group.threshold]]
                for s, x, v in members[group.threshold :]:
                    extra += 1
                    with slip39.interpolate(base, x) as expected:
                        if not hmac.compare_digest(bytes(expected), v):
                            used = tuple(m[0].describe() for m in members[: group.threshold])
                            raise InconsistentSetError(
                                f"{s.describe()} does not lie on the sharing polynomial of "
                                f"{', '.join(used)}: the set is inconsistent",
                                (*used, s.describe()),
                            )
            try:
                group_secrets.append((gi, slip39.recover_secret(group.threshold, base)))
            except slip39.MnemonicError as exc:
                names = tuple(m[0].describe() for m in members[: group.threshold])
                raise InconsistentSetError(
                    f"the shares of group {gi + 1} fail SLIP-39's digest: {exc}", names
                ) from exc
        gt = policy.group_threshold
        top: list[tuple[int, bytearray]] = [(gi, gs) for gi, gs in group_secrets[:gt]]
        for gi, gs in group_secrets[gt:]:
            extra += 1
            with slip39.interpolate(top, gi) as expected:
                if not hmac.compare_digest(expected, gs):
                    raise InconsistentSetError(
                        f"group {gi + 1} does not lie on the group-level sharing polynomial"
                    )
        try:
            slip39.recover_secret(gt, top).wipe()
        except slip39.MnemonicError as exc:
            raise InconsistentSetError(f"the groups fail SLIP-39's digest: {exc}") from exc
    finally:
        for _, gs in group_secrets:
            gs.wipe()
    return extra


def _quorum_shapes(policy: Policy) -> list[tuple[int, ...]]:
    """Group-index combinations that satisfy the group threshold."""
    return list(itertools.combinations(range(len(policy.groups)), policy.group_threshold))


def _count_quorums(policy: Policy) -> int:
    total = 0
    for groups in _quorum_shapes(policy):
        n = 1
        for gi in groups:
            g = policy.groups[gi]
            n *= math.comb(g.count, g.threshold) if g.threshold > 1 else 1
        total += n
    return total


def _members(shares: Sequence[Share], policy: Policy) -> list[list[Share]]:
    by_group: list[list[Share]] = [[] for _ in policy.groups]
    for s in shares:
        by_group[s.group_index].append(s)
    # a 1-of-N group's members hold identical words (proven above): one stands for all
    return [m if policy.groups[gi].threshold > 1 else m[:1] for gi, m in enumerate(by_group)]


def _all_quorums(shares: Sequence[Share], policy: Policy) -> Iterator[list[Share]]:
    members = _members(shares, policy)
    for groups in _quorum_shapes(policy):
        choices = [
            itertools.combinations(members[gi], policy.groups[gi].threshold) for gi in groups
        ]
        for combo in itertools.product(*choices):
            yield [s for part in combo for s in part]


def _sample_quorums(
    shares: Sequence[Share], policy: Policy, count: int, rng: random.Random
) -> list[list[Share]]:
    members = _members(shares, policy)
    shapes = _quorum_shapes(policy)
    seen: set[tuple[int, ...]] = set()
    out: list[list[Share]] = []
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        groups = rng.choice(shapes)
        quorum: list[Share] = []
        for gi in groups:
            g = policy.groups[gi]
            quorum += rng.sample(members[gi], g.threshold if g.threshold > 1 else 1)
        key = tuple(sorted(s.number for s in quorum))
        if key not in seen:
            seen.add(key)
            out.append(quorum)
    return out


def prove_set(
    shares: Sequence[Share],
    *,
    secret: bytes | bytearray | None = None,
    limit: int = FULL_RECOVERY_LIMIT,
    rng: random.Random | None = None,
) -> SetProof:
    """Prove a whole set before any paper is made; raise ``InconsistentSetError`` if it fails.

    1. Every share reads back from each printed form (whole record, QR text or parts, typed
       transcription) and carries the same set digest; numbers run 1..T.
    2. Every share lies on its level's sharing polynomial: per group, the first M member
       shares' polynomial is evaluated at each other member (N - M interpolations), and the
       group secrets likewise at the group level; SLIP-39's digests hold at both levels.
    3. Full recovery -- SLIP-39 combine, Feistel, key commitment, GCM tag -- on every minimal
       quorum when there are at most ``limit``, else on ``limit`` quorums drawn at random;
       each must give back ``secret`` (when given) and the same credential as the others.
    """
    started = time.perf_counter()
    if not shares:
        raise InconsistentSetError("a set with no shares")
    shares = [_reparsed(s) for s in shares]
    first = shares[0]
    policy = first.policy
    for k, s in enumerate(shares, start=1):
        if s.number != k or s.set_digest != first.set_digest or s.header != first.header:
            raise InconsistentSetError(
                f"{s.describe()} is not share {k} of set {first.fingerprint_text}", (s.describe(),)
            )
    if len(shares) != policy.total_shares:
        raise InconsistentSetError(f"{len(shares)} shares for a policy of {policy.total_shares}")
    extra = _check_polynomials(shares)
    quorums = _count_quorums(policy)
    if quorums <= limit:
        chosen = list(_all_quorums(shares, policy))
    else:
        chosen = _sample_quorums(shares, policy, limit, rng or random.SystemRandom())
    reference: SecretBytes | None = None
    try:
        for quorum in chosen:
            names = tuple(s.describe() for s in quorum)
            got = _open(quorum)
            if got is None:
                raise InconsistentSetError(
                    f"the quorum {', '.join(names)} does not open the set's seal: "
                    "the set is inconsistent",
                    names,
                )
            with got:
                want = secret if secret is not None else reference
                if want is not None and not hmac.compare_digest(got, want):
                    raise InconsistentSetError(  # pragma: no cover - the seal commits to K
                        f"the quorum {', '.join(names)} recovers a different credential", names
                    )
                if reference is None and secret is None:
                    reference = SecretBytes(got)
    finally:
        if reference is not None:
            reference.wipe()
    return SetProof(
        shares=len(shares),
        quorums=quorums,
        recovered=len(chosen),
        sampled=len(chosen) < quorums,
        interpolations=extra,
        seconds=time.perf_counter() - started,
    )


# -- recovery ------------------------------------------------------------------------------------


@dataclass
class Recovery:
    """A recovered credential and how it was reached. Wipe ``secret`` when done."""

    secret: SecretBytes
    set_digest: bytes
    label: str
    used: list[Share]
    rejected: list[ShareError] = field(default_factory=list)
    drill: bool = False

    @property
    def fingerprint(self) -> bytes:
        return self.set_digest[:FINGERPRINT_BYTES]

    def __repr__(self) -> str:
        fp = format_fingerprint(self.fingerprint)
        return f"<Recovery of set {fp}: {len(self.used)} shares used>"

    def wipe(self) -> None:
        self.secret.wipe()


def _screen(
    shares: Sequence[Share], expected: bytes | None
) -> tuple[bytes, list[Share], list[ShareError]]:
    """Drop foreign and duplicate shares, naming each; return (set digest, kept, rejected).

    Sets are told apart by their full 256-bit digest. ``expected`` names the set: a full
    digest, or a printed 8-byte fingerprint -- which is refused as ambiguous when shares of
    two different sets carry it.
    """
    if not shares:
        raise InsufficientSharesError("no shares were presented")
    if expected is not None and len(expected) not in (FINGERPRINT_BYTES, DIGEST_BYTES):
        raise WrongSetError("a set is named by its 8-byte fingerprint or 32-byte digest")
    rejected: list[ShareError] = []
    digests = list(dict.fromkeys(s.set_digest for s in shares))
    if expected is not None:
        candidates = [d for d in digests if fingerprint_matches(d, expected)]
        if len(candidates) > 1:
            raise AmbiguousSetError(
                f"shares of {len(candidates)} different sets all carry fingerprint "
                f"{format_fingerprint(expected[:FINGERPRINT_BYTES])}: sets were made to look "
                "alike. Name the set by its full set digest (ceremony record, registry)."
            )
        target = candidates[0] if candidates else None
    else:
        prefixes = [d[:FINGERPRINT_BYTES] for d in digests]
        if len(set(prefixes)) != len(prefixes):
            twin = next(p for p in prefixes if prefixes.count(p) > 1)
            raise AmbiguousSetError(
                f"shares of different sets all carry fingerprint {format_fingerprint(twin)}: "
                "sets were made to look alike. Name the set by its full set digest "
                "(ceremony record, registry)."
            )
        counts = {d: sum(s.set_digest == d for s in shares) for d in digests}
        # the set most shares agree on; ties go to the first presented
        target = max(digests, key=lambda d: (counts[d], -digests.index(d)))
    kept: list[Share] = []
    seen_numbers: dict[int, Share] = {}
    seen_slots: dict[tuple[int, bytes], Share] = {}
    named = target or expected or b""
    wanted = format_fingerprint(named[:FINGERPRINT_BYTES])
    for s in shares:
        if s.set_digest != target:
            if s.fingerprint == named[:FINGERPRINT_BYTES]:
                why = (
                    f"it carries the same printed fingerprint {wanted} but belongs to a "
                    "different set (its full set digest differs): made to look alike"
                )
            else:
                why = f"it belongs to set {s.fingerprint_text}, not {wanted}"
            rejected.append(WrongSetError(why, s.describe()))
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
    return target or (expected or b""), kept, rejected


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
    """The credential from this quorum, or None when its key does not match the commitment."""
    try:
        key = slip39.combine_words([s.words for s in quorum])
    except slip39.MnemonicError:
        return None
    first = quorum[0]
    try:
        return open_sealed(key, first.sealed, first.header.associated_data())
    finally:
        key.wipe()


def recover(shares: Sequence[Share], *, expected_fingerprint: bytes | None = None) -> Recovery:
    """Recover the credential. Never returns a wrong secret.

    ``expected_fingerprint`` names the set: its full 32-byte digest (what holds against a
    malicious set maker) or its printed 8-byte fingerprint. Foreign, duplicate and (given
    extra shares) bad shares are named in ``rejected`` and left out; when the good shares do
    not reach the quorum, ``InsufficientSharesError`` says how many more are needed and what
    was refused; when no quorum's key matches the seal's commitment,
    ``InconsistentSetError`` names the shares used.
    """
    digest, kept, rejected = _screen(shares, expected_fingerprint)
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
        return Recovery(secret, digest, kept[0].label, used, rejected, kept[0].header.drill)
    # No quorum's key matches the seal. With exactly a quorum we cannot tell which share is bad.
    names = tuple(s.describe() for s in kept)
    raise InconsistentSetError(
        f"these shares each pass their own checks but together do not open the set's seal "
        f"(the key they recover is not the one it commits to): {', '.join(names)}. "
        "The set is inconsistent: whoever made it "
        "made it wrongly or on purpose (or a share was forged). No credential is shown; bring "
        "another custodian's share so the bad one can be identified, and report the set.",
        names,
    )


@dataclass(frozen=True)
class QuorumCheck:
    """A quorum proven to open its set's seal; the credential was wiped unseen."""

    set_digest: bytes
    label: str
    drill: bool
    used: tuple[Share, ...]
    rejected: tuple[ShareError, ...]

    @property
    def fingerprint(self) -> bytes:
        return self.set_digest[:FINGERPRINT_BYTES]


def check_quorum(
    shares: Sequence[Share], *, expected_fingerprint: bytes | None = None
) -> QuorumCheck:
    """Everything ``recover`` does -- SLIP-39, Feistel, key commitment, tag -- and then the
    credential is wiped before returning: a drill of a live set, a backup check. Raises what
    ``recover`` raises."""
    result = recover(shares, expected_fingerprint=expected_fingerprint)
    result.wipe()
    return QuorumCheck(
        result.set_digest,
        result.label,
        result.drill,
        tuple(result.used),
        tuple(result.rejected),
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
                    "it passes its own checks but does not combine with the other shares "
                    "into the key the set's seal commits to: forged, or the set was made "
                    "inconsistent",
                    extra.describe(),
                )
            )
        else:
            secret.wipe()
    return bad
