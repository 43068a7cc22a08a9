"""Installations with sets for the set-card tests, made in process (no split, no paper)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from breakglass_gui.audit.registry import CustodianRecord
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.audit.setcard import export_card, file_text


def add_set(trail: AuditTrail, label: str, seed: str) -> tuple[str, str]:
    """Register a set as a split here would; returns (fingerprint, digest)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    fp = "-".join(digest[i : i + 4].upper() for i in range(0, 16, 4))
    trail.registry.add_set(
        fingerprint=fp,
        label=label,
        policy="any 2 of these 3 shares",
        policy_short="2-of-3",
        total_shares=3,
        created=dt.date(2026, 11, 1),
        custodians=[
            CustodianRecord(1, "Ana Ruiz", "on-call", "", "+34 600 000 000", ""),
            CustodianRecord(2, "Bo Chen", "manager", "", "", ""),
            CustodianRecord(3, "Cy Diallo", "security", "", "", ""),
        ],
        credential_id=None,
        when=trail.clock(),
    )
    trail.registry.record_digest(fp, digest)
    return fp, digest


def card_of(trail: AuditTrail, fp: str) -> str:
    card, sig = export_card(
        trail, fp, incident_pattern=r"INC-\d+", incident_example="INC-1", triggers=["IdP down"]
    )
    return file_text(card, sig)


def qr_of(trail: AuditTrail, fp: str) -> str:
    card, sig = export_card(
        trail, fp, incident_pattern=r"INC-\d+", incident_example="INC-1", triggers=["IdP down"]
    )
    return card.qr_text(sig)


def home(root: Path, name: str) -> AuditTrail:
    return AuditTrail(root / name)
