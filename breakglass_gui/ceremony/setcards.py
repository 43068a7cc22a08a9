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
    new_set_card,
)

if TYPE_CHECKING:
    from breakglass_gui.audit.service import AuditTrail
    from breakglass_gui.core.sealing import ShareSet

__all__ = [
    "CardError",
    "CardReview",
    "ImportResult",
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


def import_set_card(
    trail: AuditTrail, text: str, *, expected_signer: str | None = None
) -> ImportResult:
    """Import a card (the same checks as :func:`review_card`, then recorded in the log)."""
    return import_card(trail, text, expected_signer=expected_signer)


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
