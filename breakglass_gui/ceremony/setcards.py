"""Importing a set card, for either front end: one rule, every door.

``breakglass sets import`` and the GUI's "Import a set card" both come here. A card arrives as
text (a card file, or the ``BGC1…`` text of its QR code read from a photo or the camera);
:func:`review_card` checks it against this installation without recording anything (every
refusal names what is wrong: not a card, altered or forged, an unknown or foreign key, a set
retired here, an older sequence) and says what importing it would do; :func:`import_set_card`
imports it, through the same checks; :func:`after_import` is what both front ends tell the
operator afterwards (mirrors to add by hand, the gate policy to set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from breakglass_gui.audit.setcard import (
    QR_PREFIX,
    CardError,
    ImportResult,
    SetCard,
    check_card,
    import_card,
    known_signer,
    new_set_card,
)

if TYPE_CHECKING:
    from breakglass_gui.audit.service import AuditTrail
    from breakglass_gui.core.sealing import ShareSet

__all__ = [
    "SIGNER_WHERE",
    "CardError",
    "CardReview",
    "ImportResult",
    "SignerNeeded",
    "after_import",
    "card_codes",
    "card_for_share_set",
    "import_set_card",
    "review_card",
]


def card_codes(texts: Iterable[str]) -> list[str]:
    """The codes among ``texts`` (read from a photo or a frame) that are set cards."""
    return [t for t in texts if t.strip().startswith(QR_PREFIX)]


@dataclass(frozen=True)
class CardReview:
    """A checked card and what importing it here would do (nothing recorded yet)."""

    card: SetCard
    signer_fingerprint: str
    known_here: bool
    retiring: list[str]  # fingerprints of sets here the card would retire

    def lines(self) -> list[str]:
        c = self.card
        people = ", ".join(
            f"{p.get('number', '?')}. {p.get('name', '')}"
            + (f" ({p['role']})" if p.get("role") else "")
            for p in c.custodians
        )
        out = [
            f"Set {c.fingerprint} — {c.label}" + (" (drill set)" if c.drill else ""),
            f"Policy: {c.policy.get('description', '')}; created {c.created[:10]}; "
            f"card sequence {c.sequence}",
            f"Custodians: {people}",
            f"Signed by {self.signer_fingerprint}",
        ]
        if self.known_here:
            out.append("This set is already known here.")
        for fp in self.retiring:
            out.append(f"Importing retires set {fp} here (the card says it was retired).")
        if c.mirrors:
            listed = ", ".join(f"{m.get('kind')} {m.get('host')}" for m in c.mirrors)
            out.append(f"Audit mirrors: {listed} (not enabled by the import)")
        return out


def review_card(trail: AuditTrail, text: str, *, expected_signer: str | None = None) -> CardReview:
    """Check a card against this installation; raise :class:`CardError` naming what is
    wrong. Nothing is recorded."""
    card, found = check_card(trail, text, expected_signer=expected_signer)
    return CardReview(
        card,
        card.signer_key.fingerprint(),
        found.own is not None,
        [s.fingerprint for s in found.retiring],
    )


#: Where the operator finds the fingerprint a card must be signed by (both front ends say it).
SIGNER_WHERE = (
    "it is printed on the set's runbook and ceremony record, under \"Set card: for a clean "
    'laptop" ("Signed by the audit key SHA256:xxxx-xxxx-xxxx-xxxx"), and \'breakglass audit '
    "pubkey' shows it at the installation that made the set"
)


class SignerNeeded(CardError):
    """An import with neither the printed signer fingerprint nor a trust-on-first-use choice."""


def _first_use_refusal(trail: AuditTrail, card: SetCard) -> str | None:
    """Why trusting ``card``'s signer on first use is refused here, or None when it may be.

    Refused when this installation already knows a different key for any set the card names
    (its own set, the set it replaces, the sets it says were retired), or for a set here with
    the same label (a look-alike card from another key)."""
    reg = trail.registry
    signer_fp = card.signer_key.fingerprint()
    digests = [card.set_digest, *card.retired, *([card.replaces] if card.replaces else [])]
    for digest in digests:
        rec = reg.set_by_digest(digest)
        if rec is None:
            continue
        home = known_signer(trail, rec.fingerprint)
        if home != signer_fp:
            return (
                f"this installation knows set {rec.fingerprint} ('{rec.label}'), which the card "
                f"names, from another key {home}"
            )
    label = card.label.strip().casefold()
    for rec in reg.sets():
        if rec.status == "retired" or rec.label.strip().casefold() != label:
            continue
        home = known_signer(trail, rec.fingerprint)
        if home != signer_fp:
            return (
                f"this installation knows a set with the same label '{rec.label}' "
                f"({rec.fingerprint}) from another key {home}"
            )
    return None


def import_set_card(
    trail: AuditTrail,
    text: str,
    *,
    expected_signer: str | None = None,
    trust_on_first_use: bool = False,
) -> ImportResult:
    """Import a card (the same checks as :func:`review_card`, then recorded in the log).

    The one rule for every front end: the card's signer is checked against the fingerprint
    printed on the runbook (``expected_signer``, any case, spaces or dashes), or the operator
    explicitly trusts it on first use — refused when this installation already knows a
    different key for a set the card names or for a set with the same label, and recorded in
    the log as such. Neither: :class:`SignerNeeded`, nothing recorded."""
    if expected_signer is not None and not expected_signer.strip():
        expected_signer = None
    if expected_signer is None and not trust_on_first_use:
        card, _found = check_card(trail, text)  # a bad card is named as such first
        raise SignerNeeded(
            f"set card for '{card.label}' ({card.fingerprint}) is signed by "
            f"{card.signer_key.fingerprint()}; nothing imported: that must be compared with the "
            f"fingerprint printed for the set ({SIGNER_WHERE}); give that fingerprint, or — "
            "only without a runbook — choose to trust this signer on first use (recorded in "
            "the log)"
        )
    if expected_signer is not None:
        return import_card(trail, text, expected_signer=expected_signer, signer_check="printed")
    card, _found = check_card(trail, text)
    why = _first_use_refusal(trail, card)
    if why is not None:
        raise CardError(
            f"set card for '{card.label}' ({card.fingerprint}), signed by "
            f"{card.signer_key.fingerprint()}: trust on first use refused — {why}; nothing "
            f"imported. Compare with the fingerprint printed for the set ({SIGNER_WHERE})"
        )
    return import_card(trail, text, signer_check="trusted on first use")


def after_import(trail: AuditTrail, result: ImportResult) -> list[str]:
    """What the operator is told after an import, in plain words (both front ends)."""
    card = result.card
    what = "now known here" if result.added else "already known here"
    lines = [f"set {card.fingerprint} ({card.label}), {card.policy.get('description', '')}: {what}"]
    lines += [f"retired here per the card: set {fp}" for fp in result.retired_here]
    if card.mirrors:
        listed = ", ".join(f"{m.get('kind')} {m.get('host')}" for m in card.mirrors)
        lines.append(
            f"the card's audit mirrors: {listed}; none is enabled by the import — add each with "
            "'breakglass audit mirrors --add SPEC' (and its secret), once the team confirms"
        )
    if card.gate != trail.settings.reconstruction_policy:
        lines.append(
            f"the card's reveal gate is {card.gate}: set it here with "
            f"'breakglass audit mirrors --policy {card.gate}'"
        )
    return lines


def card_for_share_set(
    trail: AuditTrail, share_set: ShareSet, context: Mapping[str, Any]
) -> tuple[str, str]:
    """The signed card of a set being made, as (QR text, signer fingerprint), for its runbook
    and ceremony record. ``context`` is the split's document context (custodians' contacts,
    the replaced set). Safe on a worker thread; records nothing."""
    from .rules import load_rules  # noqa: PLC0415

    rules = load_rules(trail.home)
    contacts = {
        int(p.get("number") or 0): str(p.get("contact") or "")
        for p in context.get("custodians") or []
    }
    people: list[dict[str, Any]] = []
    for s in share_set.shares:
        person: dict[str, Any] = {"number": s.number, "name": s.custodian, "role": s.role}
        if contacts.get(s.number):
            person["contact"] = contacts[s.number]
        people.append(person)
    policy = share_set.header.policy
    replaces = context.get("replaces")
    card, signature = new_set_card(
        trail,
        set_digest=share_set.digest.hex(),
        fingerprint=share_set.fingerprint_text,
        label=share_set.header.label,
        policy={
            "description": policy.describe(),
            "short": policy.short(),
            "shares": len(share_set.shares),
        },
        custodians=people,
        created=share_set.header.created.isoformat(),
        drill=share_set.header.drill,
        replaces=str(replaces) if replaces else None,
        incident_pattern=rules.incident_pattern,
        incident_example=rules.incident_example,
        triggers=list(rules.triggers),
    )
    return card.qr_text(signature), card.signer_key.fingerprint()
