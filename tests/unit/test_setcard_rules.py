"""The set-card import rules every front end goes through (ceremony.setcards): an unknown key,
a foreign card, an older sequence, a tampered card — each refused by name, nothing recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breakglass_gui.audit.events import describe
from breakglass_gui.audit.log import read_entries
from breakglass_gui.ceremony.setcards import (
    CardError,
    SignerNeeded,
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
        assert import_set_card(b, card_of(a, fp), expected_signer=a.key.public.fingerprint()).added
        # the adversary copies the set into their own registry, retires it, and signs a card
        # for a new set saying the team's set was retired
        xfp, _ = add_set(x, "DB master", "one")
        x.registry.retire(xfp, by="mallory", reason="takeover", replaced_by=None, when=x.clock())
        new_fp, _ = add_set(x, "DB master v2", "two")
        forged = card_of(x, new_fp)
        assert digest in json.loads(forged)["card"]["retired"]
        before = _entries(b)
        with pytest.raises(CardError, match=r"would retire set .* foreign card"):
            import_set_card(b, forged, expected_signer=x.key.public.fingerprint())
        with pytest.raises(CardError, match=r"would retire set .* foreign card"):
            import_set_card(b, forged, trust_on_first_use=True)
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
        assert import_set_card(b, new, expected_signer=a.key.public.fingerprint()).added
        with pytest.raises(CardError, match="older, stale or replayed"):
            review_card(b, old)
        doc = json.loads(old)
        doc["card"]["sequence"] = 10_000
        with pytest.raises(CardError, match=r"does not verify .* altered or forged"):
            review_card(b, json.dumps(doc))
        with pytest.raises(CardError, match="not JSON"):
            review_card(b, "hello")


def _imports(trail: object) -> list[dict[str, object]]:
    return [
        e.fields
        for e in read_entries(trail.log_path)  # type: ignore[attr-defined]
        if e.event == "set_card_imported"
    ]


def test_an_import_needs_the_printed_signer_or_an_explicit_first_use_choice(
    tmp_path: Path,
) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b:
        fp, _ = add_set(a, "DB master", "one")
        text = card_of(a, fp)
        before = _entries(b)
        for blank in (None, "", "   "):
            with pytest.raises(SignerNeeded) as refused:
                import_set_card(b, text, expected_signer=blank)
            said = str(refused.value)
            # says in plain words what to do, and where the fingerprint is printed
            assert "nothing imported" in said and a.key.public.fingerprint() in said
            assert "Set card: for a clean laptop" in said and "runbook" in said
            assert "trust this signer on first use" in said
        assert b.registry.get_set(fp) is None and _entries(b) == before
        # a card that is not a card is named as such first, not answered with "which signer?"
        with pytest.raises(CardError, match="not JSON") as bad:
            import_set_card(b, "hello")
        assert not isinstance(bad.value, SignerNeeded)
        # the explicit choice: imported, and recorded as trusted on first use
        result = import_set_card(b, text, trust_on_first_use=True)
        assert result.added and b.registry.get_set(fp) is not None
        [entry] = _imports(b)
        assert entry["signer_check"] == "trusted on first use"
        assert "TRUSTED ON FIRST USE" in describe("set_card_imported", entry)


def test_the_printed_fingerprint_as_people_type_it(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b:
        fp, _ = add_set(a, "DB master", "one")
        text = card_of(a, fp)
        printed = a.key.public.fingerprint()  # SHA256:xxxx-xxxx-xxxx-xxxx
        hexes = printed.split(":", 1)[1].replace("-", "")
        typed = [
            printed.lower(),
            printed.upper(),
            hexes,
            hexes.upper(),
            " ".join(hexes[i : i + 4] for i in range(0, 16, 4)),
            "sha256: " + "–".join(hexes[i : i + 4] for i in range(0, 16, 4)),  # en dashes
            f"  {printed}\n",
        ]
        for variant in typed:
            assert review_card(b, text, expected_signer=variant).signer_fingerprint == printed
        result = import_set_card(b, text, expected_signer=typed[4])
        assert result.added
        [entry] = _imports(b)
        assert entry["signer_check"] == "printed"
        assert "FIRST USE" not in describe("set_card_imported", entry)


def test_a_wrong_fingerprint_is_refused_and_nothing_recorded(tmp_path: Path) -> None:
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b:
        fp, _ = add_set(a, "DB master", "one")
        text = card_of(a, fp)
        printed = a.key.public.fingerprint()
        hexes = printed.split(":", 1)[1].replace("-", "")
        off_by_one = hexes[:-1] + ("0" if hexes[-1] != "0" else "1")
        before = _entries(b)
        for wrong in (off_by_one, hexes[:12], hexes + "00", "SHA256:zzzz-zzzz-zzzz-zzzz"):
            with pytest.raises(CardError) as refused:
                import_set_card(b, text, expected_signer=wrong)
            assert not isinstance(refused.value, SignerNeeded), wrong
        assert b.registry.get_set(fp) is None and _entries(b) == before


def test_a_card_from_another_key_with_the_same_label(tmp_path: Path) -> None:
    """The adversary makes their own set called "DB master", signs its card with their key and
    sends it to the operator of a laptop that already knows the team's "DB master"."""
    with home(tmp_path, "A") as a, home(tmp_path, "B") as b, home(tmp_path, "M") as m:
        team_fp, _ = add_set(a, "DB master", "one")
        team = a.key.public.fingerprint()
        import_set_card(b, card_of(a, team_fp), expected_signer=team)
        evil_fp, _ = add_set(m, "db master ", "mallory's own")
        evil = card_of(m, evil_fp)
        before = _entries(b)
        # the operator types the team's printed fingerprint: an unknown key, refused
        with pytest.raises(CardError, match=r"unknown key .* not the printed"):
            import_set_card(b, evil, expected_signer=team)
        # nor may the adversary's key be trusted on first use: the label is known from another
        with pytest.raises(CardError, match=r"trust on first use refused .* same label") as why:
            import_set_card(b, evil, trust_on_first_use=True)
        assert team in str(why.value) and m.key.public.fingerprint() in str(why.value)
        assert b.registry.get_set(evil_fp) is None and _entries(b) == before
        # on a clean laptop the same card could be trusted on first use — and that is on record
        with home(tmp_path, "C") as c:
            import_set_card(c, evil, trust_on_first_use=True)
            [entry] = _imports(c)
            assert entry["signer_check"] == "trusted on first use"


def test_first_use_refused_for_a_card_naming_a_set_known_from_another_key(tmp_path: Path) -> None:
    """A set retired here (made here, so known from this installation's key) is named on a
    card from another key: the import rules skip retired sets, first use must not."""
    with home(tmp_path, "B") as b, home(tmp_path, "X") as x:
        mine, digest = add_set(b, "Vault root", "mine")
        b.registry.retire(mine, by="host", reason="rotated", replaced_by=None, when=b.clock())
        xfp, _ = add_set(x, "Vault root", "mine")
        x.registry.retire(xfp, by="x", reason="x", replaced_by=None, when=x.clock())
        new_fp, _ = add_set(x, "Something else", "x-new")
        forged = card_of(x, new_fp)
        assert digest in json.loads(forged)["card"]["retired"]
        before = _entries(b)
        with pytest.raises(CardError, match=rf"trust on first use refused .* {mine}"):
            import_set_card(b, forged, trust_on_first_use=True)
        assert b.registry.get_set(new_fp) is None and _entries(b) == before
