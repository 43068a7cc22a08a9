"""The set-card import rules every front end goes through (ceremony.setcards): an unknown key,
a foreign card, an older sequence, a tampered card — each refused by name, nothing recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breakglass_gui.ceremony.setcards import (
    CardError,
    card_codes,
    import_set_card,
    review_card,
)
from tests.cardhomes import add_set, card_of, home, qr_of


def _entries(trail: object) -> int:
    from breakglass_gui.audit.log import read_entries

    return len(list(read_entries(trail.log_path)))  # type: ignore[attr-defined]


def test_review_then_import_with_the_printed_signer(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b:
        fp, _ = add_set(a, "DB master", "one")
        text = card_of(a, fp)
        printed = a.key.public.fingerprint()
        before = _entries(b)
        review = review_card(b, text, expected_signer=printed.lower().replace("-", " "))
        assert review.signer_fingerprint == printed and not review.known_here
        assert any("Ana Ruiz (on-call)" in line for line in review.lines())
        assert _entries(b) == before  # a review records nothing
        result = import_set_card(b, text, expected_signer=printed)
        assert result.added and b.registry.get_set(fp) is not None


def test_unknown_key_is_refused_by_name(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b, home(tmp_path, "C") as c:
        fp, _ = add_set(a, "DB master", "one")
        text = card_of(a, fp)
        with pytest.raises(CardError, match=r"unknown key .* not the printed"):
            import_set_card(b, text, expected_signer=c.key.public.fingerprint())
        with pytest.raises(CardError, match="16 hex digits"):
            review_card(b, text, expected_signer="SHA256:c353")
        assert b.registry.get_set(fp) is None


def test_foreign_card_cannot_retire_or_replace_a_known_set(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b, home(tmp_path, "X") as x:
        fp, digest = add_set(a, "DB master", "one")
        assert import_set_card(b, card_of(a, fp)).added
        # the adversary copies the set into their own registry, retires it, and signs a card
        # for a new set saying the team's set was retired
        xfp, _ = add_set(x, "DB master", "one")
        x.registry.retire(xfp, by="mallory", reason="takeover", replaced_by=None, when=x.clock())
        new_fp, _ = add_set(x, "DB master v2", "two")
        forged = card_of(x, new_fp)
        assert digest in json.loads(forged)["card"]["retired"]
        before = _entries(b)
        with pytest.raises(CardError, match=r"would retire set .* foreign card"):
            import_set_card(b, forged)
        assert b.registry.get_set(fp).status != "retired"  # type: ignore[union-attr]
        assert b.registry.get_set(new_fp) is None and _entries(b) == before
        # and a card for the team's own set signed by another key is foreign too
        x2 = home(tmp_path, "X2")
        with x2:
            fp2, _ = add_set(x2, "DB master", "one")
            with pytest.raises(CardError, match="foreign card"):
                review_card(b, card_of(x2, fp2))


def test_older_sequence_and_tampered_card_refused(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b:
        fp, _ = add_set(a, "DB master", "one")
        old = card_of(a, fp)
        new = qr_of(a, fp)  # a later export: larger sequence (QR form)
        assert card_codes(["https://x", new, "BG2-123"]) == [new]
        assert import_set_card(b, new).added is True
        with pytest.raises(CardError, match="older, stale or replayed"):
            review_card(b, old)
        doc = json.loads(old)
        doc["card"]["sequence"] = 10_000
        with pytest.raises(CardError, match=r"does not verify .* altered or forged"):
            review_card(b, json.dumps(doc))
        with pytest.raises(CardError, match="not JSON"):
            review_card(b, "hello")
