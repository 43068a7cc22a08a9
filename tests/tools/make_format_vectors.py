"""Regenerate resources/spec/vectors/*.json (format v2) with the real split.

    .venv/bin/python -m tests.tools.make_format_vectors

Each vector gives the credential, the set digest and fingerprint, every share in QR text form
and in transcription form with its record in hex, the set key K (so a reader can check each
step) and the quorums that recover it. The independent implementation
(tests/unit/test_format_independent.py) recovers them from FORMAT.md alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

from breakglass_gui.core import slip39
from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, recover, split_credential

OUT = Path(__file__).resolve().parents[2] / "resources" / "spec" / "vectors"
CREATED = dt.date(2026, 11, 25)


def vector(name: str, description: str, secret: bytes, share_set: ShareSet) -> None:
    shares = share_set.shares
    policy = share_set.header.policy
    quorums = []
    for size in range(2, len(shares) + 1):
        for combo in itertools.combinations(shares, size):
            try:
                result = recover(list(combo))
            except BreakglassError:  # a sub-quorum: not listed
                continue
            ok = bytes(result.secret) == secret and len(result.used) == size
            result.wipe()
            if ok:
                quorums.append([s.number for s in combo])
    if len(quorums) > 12:
        quorums = quorums[:12]
    # the set key, for checking each step by hand (a real set never reveals it)
    first = quorums[0]
    with slip39.combine_words(
        list(dict.fromkeys(tuple(shares[k - 1].words) for k in first))
    ) as key:
        key_hex = bytes(key).hex()
    doc = {
        "description": description,
        "format": "BG2",
        "credential_hex": secret.hex(),
        "set_digest": share_set.digest_text,
        "set_fingerprint": share_set.fingerprint_text,
        "set_key_hex": key_hex,
        "label": share_set.header.label,
        "created": share_set.header.created.isoformat(),
        "drill": share_set.header.drill,
        "policy": policy.describe(),
        "shares": [
            {
                "number": s.number,
                "custodian": s.custodian,
                "role": s.role,
                "record_hex": s.to_bytes().hex(),
                "qr_texts": s.qr_texts(),
                "transcription": s.transcription(),
                "verification_words": s.verification_words(),
            }
            for s in shares
        ],
        "quorums_that_recover": quorums,
    }
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    secret = b"correct horse battery staple"
    people = [Custodian("Ana Ruiz", "on-call"), Custodian("Bo Li", "SRE lead"), Custodian("Cy")]
    s = split_credential(
        secret, policy=Policy.simple(2, 3), label="AWS root", custodians=people, created=CREATED
    )
    vector("vector-2-of-3", "Breakglass format v2: any 2 of these 3 shares", secret, s)

    secret = bytes(range(64))
    policy = Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])
    people = [
        Custodian("Dana Ödegaard", "CTO"),
        Custodian("Eli", "VP Eng"),
        Custodian("Fay", "SRE"),
        Custodian("Gus", "SRE"),
        Custodian("Hal", "DBA"),
    ]
    s = split_credential(
        secret, policy=policy, label="Prod DB – root", custodians=people, created=CREATED
    )
    vector(
        "vector-groups",
        "Breakglass format v2: a 1-of-2 group (both leaders hold the same words) and a "
        "2-of-3 group, both needed",
        secret,
        s,
    )

    secret = bytes((i * 37 + 11) % 256 for i in range(700))
    s = split_credential(secret, policy=Policy.simple(2, 3), label="TLS key", created=CREATED)
    vector("vector-large", "Breakglass format v2: a credential that needs QR parts", secret, s)

    secret = b"drill-0123456789"
    s = split_credential(
        secret, policy=Policy.simple(2, 2), label="DRILL", created=CREATED, drill=True
    )
    vector("vector-drill", "Breakglass format v2: a drill set (flags bit 0 set)", secret, s)


if __name__ == "__main__":
    main()
