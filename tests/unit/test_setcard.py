"""Set cards: signed over a canonical form; any change to a signed field is refused by name."""

from __future__ import annotations

import json

import pytest

from breakglass_gui.audit.keys import SigningKey
from breakglass_gui.audit.setcard import (
    QR_PREFIX,
    CardError,
    SetCard,
    canonical_bytes,
    file_text,
    parse_card,
    sign_card,
)


def _card(key: SigningKey, **over: object) -> SetCard:
    fields: dict[str, object] = {
        "set_digest": "ab" * 32,
        "fingerprint": "7F3A-19C2-88D0-4E1B",
        "label": "AWS root",
        "policy": {"group_threshold": 1, "groups": [{"name": "", "threshold": 2, "count": 3}]},
        "custodians": [
            {"number": 1, "name": "Ana Ruiz", "role": "on-call", "contact": "+34 600 000 000"},
            {"number": 2, "name": "Łukasz Żółć", "role": "manager"},
            {"number": 3, "name": "王秀英", "role": "security"},
        ],
        "created": "2026-11-25T10:00:00Z",
        "signer": key.public.text(),
        "sequence": 3,
        "retired": ["cd" * 32],
        "replaces": "cd" * 32,
        "incident_pattern": r"INC-\d+",
        "incident_example": "INC-4821",
        "triggers": ["identity provider down"],
        "mirrors": [{"kind": "syslog", "host": "logs.example.net"}],
    }
    fields.update(over)
    return SetCard(**fields)  # type: ignore[arg-type]


def test_round_trip_file_and_qr_forms() -> None:
    key = SigningKey.unsaved()
    card = _card(key)
    sig = sign_card(card, key)
    back, sig2 = parse_card(file_text(card, sig))
    assert back == card and sig2 == sig
    qr = card.qr_text(sig)
    assert qr.startswith(QR_PREFIX) and "\n" not in qr
    assert parse_card(qr)[0] == card
    assert back.signer_key.fingerprint() == key.public.fingerprint()


def test_canonical_form_is_nfc_and_sorted() -> None:
    key = SigningKey.unsaved()
    decomposed = _card(key, label="Cafe\u0301 root")
    composed = _card(key, label="Caf\u00e9 root")
    assert canonical_bytes(decomposed.body()) == canonical_bytes(composed.body())
    text = canonical_bytes(composed.body()).decode()
    assert ", " not in text and '"label":"Café root"' in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("label", "AWS root (prod)"),
        ("set_digest", "ef" * 32),
        ("sequence", 4),
        ("retired", []),
        ("drill", True),
        ("mirrors", []),
    ],
)
def test_any_signed_field_changed_is_refused(field: str, value: object) -> None:
    key = SigningKey.unsaved()
    card = _card(key)
    doc = json.loads(file_text(card, sign_card(card, key)))
    doc["card"][field] = value
    with pytest.raises(CardError, match="does not verify"):
        parse_card(json.dumps(doc))


def test_a_card_never_carries_mirror_secrets_or_unknown_fields() -> None:
    key = SigningKey.unsaved()
    card = _card(
        key, mirrors=[{"kind": "webhook", "host": "hooks.example", "url": "https://x/T0K"}]
    )
    # the body keeps kind and host only (a colon is never in base64: no chance match)
    assert "https://x/T0K" not in file_text(card, sign_card(card, key))
    doc = json.loads(file_text(card, sign_card(card, key)))
    assert doc["card"]["mirrors"] == [{"kind": "webhook", "host": "hooks.example"}]
    doc["card"]["mirrors"][0]["headers"] = {"Authorization": "Bearer s3cret"}
    with pytest.raises(CardError, match="no URL, token or header"):
        parse_card(json.dumps(doc))
    doc = json.loads(file_text(card, sign_card(card, key)))
    doc["card"]["extra"] = 1
    with pytest.raises(CardError, match="does not verify"):
        parse_card(json.dumps(doc))


def test_signed_by_another_key_or_malformed_is_refused() -> None:
    key, other = SigningKey.unsaved(), SigningKey.unsaved()
    with pytest.raises(CardError, match="signed by the installation it names"):
        sign_card(_card(key), other)
    card = _card(key)
    doc = json.loads(file_text(card, sign_card(card, key)))
    doc["card"]["signer"] = other.public.text()  # claim another signer
    with pytest.raises(CardError, match="does not verify"):
        parse_card(json.dumps(doc))
    for bad in ("", "{}", "[1]", '{"card": {"kind": "x"}}', "BGC1{"):
        with pytest.raises(CardError):
            parse_card(bad)
    with pytest.raises(CardError, match="own set as retired"):
        sign_card(_card(key, retired=["ab" * 32]), key)
