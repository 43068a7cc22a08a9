"""Set cards: a signed, public description of a share set, for a clean installation.

A card tells another installation everything it needs to reconstruct a set loudly and to refuse
what it must — and nothing secret: the set's full digest and fingerprint, format version, label,
policy, custodians (with roles and contacts), when it was made, which set it replaces and which
retired sets it supersedes, the home installation's audit public key, the incident pattern and
triggers, the mirrors by kind and host only (never a URL token or header), the gate policy, and
a sequence number. It is signed with the home installation's Ed25519 audit key over a canonical
form (resources/spec/FORMAT.md, "Set cards").

Canonical form: the UTF-8 bytes of ``SIGNING_CONTEXT`` followed by the card body as JSON with
keys sorted, no insignificant white space (separators ``,`` and ``:``), non-ASCII characters
written as themselves, every string in Unicode NFC. The file form is JSON
``{"card": BODY, "signature": "<base64 of the 64-byte Ed25519 signature>"}``; the QR form is
``BGC1`` followed by the file form's compact JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from breakglass_gui.core.errors import BreakglassError

from .keys import PublicKey, SigningKey, load_public_key

if TYPE_CHECKING:
    from .registry import SetRecord
    from .service import AuditTrail

__all__ = [
    "CARD_KIND",
    "QR_PREFIX",
    "SIGNING_CONTEXT",
    "CardError",
    "ExistingSets",
    "ImportResult",
    "SetCard",
    "canonical_bytes",
    "check_card",
    "export_card",
    "import_card",
    "known_signer",
    "new_set_card",
    "normalise_key_fingerprint",
    "parse_card",
    "sign_card",
]

CARD_KIND = "breakglass-set-card"
CARD_VERSION = 1
SIGNING_CONTEXT = b"breakglass set card v1\n"
QR_PREFIX = "BGC1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Keys a mirror entry may carry on a card: where it is, never how to authenticate to it.
MIRROR_FIELDS = ("kind", "host")


class CardError(BreakglassError):
    """A set card that is malformed, unsigned, forged, stale or not for this use."""


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def canonical_bytes(body: dict[str, Any]) -> bytes:
    """The bytes a card's signature covers."""
    text = json.dumps(_nfc(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return SIGNING_CONTEXT + text.encode("utf-8")


@dataclass(frozen=True)
class SetCard:
    """The body of a set card (what is signed)."""

    set_digest: str  # 64 hex digits: the set's identity
    fingerprint: str  # the printed 64-bit short form, a human check
    label: str
    policy: dict[str, Any]  # {"group_threshold": G, "groups": [{"name", "threshold", "count"}]}
    custodians: list[dict[str, Any]]  # [{"number", "name", "role", "contact"?}]
    created: str  # ISO 8601 UTC
    signer: str  # "ed25519:<base64>": the home installation's audit public key
    sequence: int
    format_version: int = 2
    drill: bool = False
    replaces: str | None = None  # the digest of the set this one replaces
    retired: list[str] = field(default_factory=list)  # digests this card says are retired
    incident_pattern: str = ""
    incident_example: str = ""
    triggers: list[str] = field(default_factory=list)
    mirrors: list[dict[str, str]] = field(default_factory=list)  # [{"kind", "host"}]
    gate: str = "fail-closed"

    def body(self) -> dict[str, Any]:
        return {
            "kind": CARD_KIND,
            "card_version": CARD_VERSION,
            "set_digest": self.set_digest,
            "fingerprint": self.fingerprint,
            "format_version": self.format_version,
            "drill": self.drill,
            "label": self.label,
            "policy": self.policy,
            "custodians": self.custodians,
            "created": self.created,
            "replaces": self.replaces,
            "retired": sorted(set(self.retired)),
            "signer": self.signer,
            "incident_pattern": self.incident_pattern,
            "incident_example": self.incident_example,
            "triggers": self.triggers,
            "mirrors": [{k: m[k] for k in MIRROR_FIELDS if k in m} for m in self.mirrors],
            "gate": self.gate,
            "sequence": self.sequence,
        }

    @property
    def signer_key(self) -> PublicKey:
        return load_public_key(self.signer)

    def qr_text(self, signature: bytes) -> str:
        return QR_PREFIX + file_text(self, signature, indent=None)


def file_text(card: SetCard, signature: bytes, *, indent: int | None = 2) -> str:
    """The card's file form (what ``sets export`` writes)."""
    doc = {"card": _nfc(card.body()), "signature": base64.b64encode(signature).decode("ascii")}
    seps = (",", ":") if indent is None else (",", ": ")
    return json.dumps(doc, indent=indent, ensure_ascii=False, separators=seps) + (
        "\n" if indent is not None else ""
    )


def sign_card(card: SetCard, key: SigningKey) -> bytes:
    """Sign ``card`` with the home installation's key (which must be the card's signer)."""
    if key.public.text() != card.signer:
        raise CardError("a card is signed by the installation it names as its signer")
    _validate(card.body())
    return key.sign(canonical_bytes(card.body()))


def _need(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        what = getattr(kind, "__name__", "value")
        raise CardError(f"set card: field '{name}' is missing or not a {what}")
    return value


def _validate(body: dict[str, Any]) -> None:
    if body.get("kind") != CARD_KIND or body.get("card_version") != CARD_VERSION:
        raise CardError("not a Breakglass set card (or a version this installation cannot read)")
    digest = _need(body, "set_digest", str)
    if not _HEX64.match(digest):
        raise CardError("set card: set_digest must be 64 lower-case hex digits")
    for d in _need(body, "retired", list):
        if not isinstance(d, str) or not _HEX64.match(d):
            raise CardError("set card: every retired digest must be 64 lower-case hex digits")
    if digest in body["retired"]:
        raise CardError("set card: it lists its own set as retired")
    replaces = body.get("replaces")
    if replaces is not None and (not isinstance(replaces, str) or not _HEX64.match(replaces)):
        raise CardError("set card: replaces must be a set digest or null")
    for name in ("fingerprint", "label", "created", "signer", "gate"):
        _need(body, name, str)
    for name in ("incident_pattern", "incident_example"):
        _need(body, name, str)
    if _need(body, "sequence", int) < 1:
        raise CardError("set card: sequence must be a positive whole number")
    _need(body, "format_version", int)
    _need(body, "drill", bool)
    _need(body, "policy", dict)
    for c in _need(body, "custodians", list):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise CardError("set card: every custodian needs a name")
    for t in _need(body, "triggers", list):
        if not isinstance(t, str):
            raise CardError("set card: triggers must be text")
    for m in _need(body, "mirrors", list):
        if not isinstance(m, dict) or set(m) - set(MIRROR_FIELDS):
            raise CardError(
                "set card: a mirror names only its kind and host (no URL, token or header)"
            )


def _from_body(body: dict[str, Any]) -> SetCard:
    return SetCard(
        set_digest=body["set_digest"],
        fingerprint=body["fingerprint"],
        label=body["label"],
        policy=body["policy"],
        custodians=body["custodians"],
        created=body["created"],
        signer=body["signer"],
        sequence=body["sequence"],
        format_version=body["format_version"],
        drill=body["drill"],
        replaces=body.get("replaces"),
        retired=list(body["retired"]),
        incident_pattern=body["incident_pattern"],
        incident_example=body["incident_example"],
        triggers=list(body["triggers"]),
        mirrors=list(body["mirrors"]),
        gate=body["gate"],
    )


def parse_card(text: str) -> tuple[SetCard, bytes]:
    """Read a card (file or QR form) and check its signature under the signer it names.

    The signature proves the card was made by whoever holds that key; whether that key is the
    team's is for the operator to decide, by comparing its fingerprint with the printed one.
    """
    t = text.strip()
    if t.startswith(QR_PREFIX):
        t = t[len(QR_PREFIX) :]
    try:
        doc = json.loads(t)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CardError("not a set card: the text is not JSON") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("card"), dict):
        raise CardError("not a set card: no 'card' object")
    body = doc["card"]
    _validate(body)
    try:
        signature = base64.b64decode(str(doc.get("signature", "")), validate=True)
    except ValueError as exc:
        raise CardError("set card: the signature is not base64") from exc
    try:
        key = load_public_key(body["signer"])
    except BreakglassError as exc:
        raise CardError(f"set card: the signer is not an Ed25519 public key ({exc})") from exc
    card = _from_body(body)
    if canonical_bytes(card.body()) != canonical_bytes(body) or not key.verify(
        signature, canonical_bytes(body)
    ):
        raise CardError(
            f"set card for '{body.get('label', '')}' ({body.get('fingerprint', '?')}): the "
            f"signature does not verify under its signer {key.fingerprint()} — altered or forged"
        )
    return card, signature


# -- export and import over this installation's trail ---------------------------------------


def _mirror_host(spec: dict[str, Any]) -> dict[str, str]:
    """A mirror as a card may show it: its kind and host (or file name), nothing else."""
    from urllib.parse import urlsplit  # noqa: PLC0415

    kind = str(spec.get("type", "mirror"))
    if kind == "webhook":
        host = urlsplit(str(spec.get("url", ""))).hostname or ""
    elif kind == "file":
        host = "local file"
    else:
        host = str(spec.get("host", ""))
    return {"kind": kind, "host": host}


def export_card(
    trail: AuditTrail,
    fingerprint: str,
    *,
    incident_pattern: str,
    incident_example: str,
    triggers: list[str],
) -> tuple[SetCard, bytes]:
    """Make and sign the card of a set this installation knows (by fingerprint or digest).

    The sequence number is the audit log's entry count after the export's own entry, so a later
    card from the same key always carries a larger one."""
    reg = trail.registry
    rec = reg.get_set(fingerprint.upper()) or reg.set_by_digest(fingerprint)
    if rec is None:
        raise CardError(f"no set {fingerprint} in this registry ('breakglass sets list')")
    if rec.status == "retired":
        raise CardError(f"set {rec.fingerprint} was retired: export the set that replaced it")
    if not rec.set_digest:
        raise CardError(f"set {rec.fingerprint} has no full digest here (made before v2)")
    retired = [s.set_digest.lower() for s in reg.sets("retired") if s.set_digest]
    replaces = next(
        (
            s.set_digest.lower()
            for s in reg.sets("retired")
            if s.replaced_by == rec.fingerprint and s.set_digest
        ),
        None,
    )
    custodians: list[dict[str, Any]] = []
    for c in reg.custodians(rec.fingerprint):
        person: dict[str, Any] = {"number": c.number, "name": c.name, "role": c.role}
        if c.contact:
            person["contact"] = c.contact
        custodians.append(person)
    exported = trail.record(
        "set_card_exported", {"set": rec.fingerprint, "signer": trail.key.public.fingerprint()}
    )
    card = SetCard(
        set_digest=rec.set_digest.lower(),
        fingerprint=rec.fingerprint,
        label=rec.label,
        policy={"description": rec.policy, "short": rec.policy_short, "shares": rec.total_shares},
        custodians=custodians,
        created=rec.created,
        signer=trail.key.public.text(),
        sequence=exported.seq,
        replaces=replaces,
        retired=retired,
        incident_pattern=incident_pattern,
        incident_example=incident_example,
        triggers=list(triggers),
        mirrors=[_mirror_host(m) for m in trail.settings.mirrors],
        gate=trail.settings.reconstruction_policy,
    )
    return card, sign_card(card, trail.key)


@dataclass(frozen=True)
class ImportResult:
    card: SetCard
    added: bool  # False when the set was already known here (the card still retired others)
    retired_here: list[str]  # fingerprints of local sets this card retired


def normalise_key_fingerprint(text: str) -> str:
    """A key fingerprint as people type it ("SHA256:c353-e68d …", any case, spaces or dashes)
    reduced to its hex digits, for comparison."""
    t = text.strip().lower()
    if t.startswith("sha256:"):
        t = t[len("sha256:") :]
    return "".join(ch for ch in t if ch in "0123456789abcdef")


def check_card(
    trail: AuditTrail, text: str, *, expected_signer: str | None = None
) -> tuple[SetCard, ExistingSets]:
    """Every refusal of :func:`import_card`, without recording anything.

    Refused: a card that does not parse or whose signature does not verify under its signer
    (altered or forged); a signer other than the fingerprint the operator read off the printed
    runbook (``expected_signer``: an unknown key); a card signed by another key than the one
    this installation knows the set from, or one that would retire a set known here from
    another key (a foreign card); a card whose set was retired here; a card not newer than one
    already imported from the same signer for the same set (stale or replayed); a card whose
    printed fingerprint another set here already has."""
    card, _sig = parse_card(text)
    reg = trail.registry
    signer_fp = card.signer_key.fingerprint()
    what = f"set card for '{card.label}' ({card.fingerprint})"
    if expected_signer is not None:
        want = normalise_key_fingerprint(expected_signer)
        if len(want) != 16:
            raise CardError(
                "the printed signer fingerprint has 16 hex digits (SHA256:xxxx-xxxx-xxxx-xxxx); "
                "type all of them"
            )
        if want != normalise_key_fingerprint(signer_fp):
            raise CardError(
                f"{what} is signed by an unknown key {signer_fp}, not the printed "
                f"SHA256:{want[:4]}-{want[4:8]}-{want[8:12]}-{want[12:]}: nothing imported"
            )
    seen = _seen_sequence(trail, card.signer, card.set_digest)
    if seen is not None and card.sequence <= seen:
        raise CardError(
            f"{what} is sequence {card.sequence}; a card "
            f"with sequence {seen} from the same signer {signer_fp} was imported already: "
            "this one is older, stale or replayed"
        )
    existing = reg.set_by_digest(card.set_digest)
    if existing is not None and existing.status == "retired":
        raise CardError(
            f"set {existing.fingerprint} ('{existing.label}') was retired here on "
            f"{(existing.retired_at or '')[:10]}: a card cannot bring it back"
        )
    if existing is None and reg.get_set(card.fingerprint) is not None:
        raise CardError(
            f"this registry holds another set with the printed fingerprint {card.fingerprint}: "
            "two different sets share it (see FORMAT.md §9); refused"
        )
    if existing is not None:
        home = known_signer(trail, existing.fingerprint)
        if home != signer_fp:
            raise CardError(
                f"{what} is signed by {signer_fp}, but this installation knows set "
                f"{existing.fingerprint} from {home}: a foreign card, refused"
            )
    retiring = []
    for digest in card.retired:
        old = reg.set_by_digest(digest)
        if old is None or old.status == "retired":
            continue
        home = known_signer(trail, old.fingerprint)
        if home != signer_fp:
            raise CardError(
                f"{what}, signed by {signer_fp}, would retire set {old.fingerprint} "
                f"('{old.label}'), which this installation knows from {home}: a foreign card, "
                "refused; nothing retired"
            )
        retiring.append(old)
    return card, ExistingSets(existing, retiring)


@dataclass(frozen=True)
class ExistingSets:
    """What a checked card meets here: its own set (if known) and the sets it would retire."""

    own: SetRecord | None
    retiring: list[SetRecord]


def known_signer(trail: AuditTrail, fingerprint: str) -> str:
    """The key this installation knows a set from: the signer of the last card imported for
    it, else this installation's own key (the set was made here)."""
    from .log import read_entries  # noqa: PLC0415

    signer = trail.key.public.fingerprint()
    for entry in read_entries(trail.log_path):
        if entry.event == "set_card_imported" and entry.fields.get("set") == fingerprint:
            signer = str(entry.fields.get("signer", signer))
    return signer


def import_card(
    trail: AuditTrail,
    text: str,
    *,
    expected_signer: str | None = None,
    signer_check: str = "printed",
) -> ImportResult:
    """Verify a card and make its set known here; retire the sets it says were retired.

    Every refusal is :func:`check_card`'s; nothing is recorded when one applies.
    ``signer_check`` is how the operator came to trust the signer ("printed": compared with the
    printed fingerprint; "trusted on first use"), recorded with the import. Whether an import
    may go ahead without a printed fingerprint is ceremony.setcards' rule."""
    card, found = check_card(trail, text, expected_signer=expected_signer)
    reg = trail.registry
    signer_fp = card.signer_key.fingerprint()
    existing = found.own
    now = trail.clock()
    if existing is None:
        from .registry import CustodianRecord  # noqa: PLC0415

        people = [
            CustodianRecord(
                int(c.get("number", i + 1)),
                str(c.get("name", "")),
                str(c.get("role", "")),
                "",
                str(c.get("contact", "")),
                "",
            )
            for i, c in enumerate(card.custodians)
        ]
        reg.add_set(
            fingerprint=card.fingerprint,
            label=card.label,
            policy=str(card.policy.get("description", "")),
            policy_short=str(card.policy.get("short", "")),
            total_shares=int(card.policy.get("shares", len(people))),
            created=dt.date.fromisoformat(card.created[:10]),
            custodians=people,
            credential_id=None,
            when=now,
        )
        reg.record_digest(card.fingerprint, card.set_digest)
    retired_here = []
    for old in found.retiring:
        reg.retire(
            old.fingerprint,
            by=f"set card {signer_fp}",
            reason="retired per set card",
            replaced_by=card.fingerprint
            if (old.set_digest or "").lower() == card.replaces
            else None,
            when=now,
        )
        retired_here.append(old.fingerprint)
    trail.record(
        "set_card_imported",
        {
            "set": card.fingerprint,
            "label": card.label,
            "signer": signer_fp,
            "sequence": card.sequence,
            "retired": retired_here,
            "signer_check": signer_check,
        },
    )
    return ImportResult(card, existing is None, retired_here)


def _seen_sequence(trail: AuditTrail, signer: str, digest: str) -> int | None:
    """The highest sequence imported here from ``signer`` for the set ``digest`` (from the log)."""
    fp = load_public_key(signer).fingerprint()
    best: int | None = None
    from .log import read_entries  # noqa: PLC0415

    for entry in read_entries(trail.log_path):
        if entry.event == "set_card_imported" and entry.fields.get("signer") == fp:
            rec = trail.registry.get_set(str(entry.fields.get("set", "")))
            if rec is not None and (rec.set_digest or "").lower() == digest:
                seq = int(entry.fields.get("sequence", 0))
                best = seq if best is None else max(best, seq)
    return best


def new_set_card(
    trail: AuditTrail,
    *,
    set_digest: str,
    fingerprint: str,
    label: str,
    policy: dict[str, Any],
    custodians: list[dict[str, Any]],
    created: str,
    drill: bool,
    replaces: str | None,
    incident_pattern: str,
    incident_example: str,
    triggers: list[str],
) -> tuple[SetCard, bytes]:
    """The signed card of a set being made now, for its runbook and ceremony record (which
    are printed before the split is recorded, possibly on a worker thread).

    Records nothing and reads the registry through its own read-only connection, so any
    thread may call it. ``replaces`` is the printed fingerprint of the set this one replaces:
    the card names it as replaced and retired. The sequence is the log's entry count plus one,
    so every later ``sets export`` (its own entry comes later) is newer."""
    import sqlite3  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    retired: set[str] = set()
    replaced: str | None = None
    path = trail.registry.path
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT fingerprint, status, set_digest FROM share_sets WHERE set_digest IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()
    for fp, status, digest in rows:
        if status == "retired":
            retired.add(str(digest).lower())
        if replaces is not None and fp == replaces:
            replaced = str(digest).lower()
    if replaced is not None:
        retired.add(replaced)
    retired.discard(set_digest.lower())
    try:
        with trail.log_path.open("rb") as f:
            sequence = sum(1 for _ in f) + 1
    except FileNotFoundError:
        sequence = 1
    card = SetCard(
        set_digest=set_digest.lower(),
        fingerprint=fingerprint,
        label=label,
        policy=policy,
        custodians=custodians,
        created=created,
        signer=trail.key.public.text(),
        sequence=sequence,
        drill=drill,
        replaces=replaced,
        retired=sorted(retired),
        incident_pattern=incident_pattern,
        incident_example=incident_example,
        triggers=list(triggers),
        mirrors=[_mirror_host(m) for m in trail.settings.mirrors],
        gate=trail.settings.reconstruction_policy,
    )
    return card, sign_card(card, trail.key)
