"""The set card's QR code on the runbook and the ceremony record: a split's PDFs, rasterised
(pypdfium2, as a low-resolution scan would be) and read by the project's scanner, give back the
signed card, and a clean installation imports it from there and reconstructs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from breakglass_gui.audit.setcard import parse_card
from breakglass_gui.ceremony.setcards import card_codes
from breakglass_gui.scan.camera import CameraDecoder
from tests.unit.test_cli_core import combine_args, run
from tests.unit.test_setcard_homes import _fp, _share_material, _split


def _cards_in(pdf: Path, dpi: float = 72) -> list[str]:
    """Every set card read from the PDF's pages, rendered at ``dpi`` like a plain scan."""
    doc = pdfium.PdfDocument(pdf)
    decoder = CameraDecoder(budget_ms=None)
    found: list[str] = []
    for i in range(len(doc)):
        image = doc[i].render(scale=dpi / 72, grayscale=True).to_pil()
        frame = np.array(image.convert("RGB"))[:, :, ::-1].copy()
        found += card_codes(decoder.scan_photo(frame).texts)
    doc.close()
    return found


def test_runbook_and_record_carry_the_card_a_clean_laptop_imports(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "A", tmp_path / "B"
    shares = _split(tmp_path, home_a, "set1", b"db-master-1", "--pdf")
    fp = _fp(shares)
    signer = run("audit", "pubkey", home=home_a).stdout.decode()
    [from_runbook] = _cards_in(shares / "runbook.pdf")
    [from_record] = _cards_in(shares / "ceremony-record.pdf")
    card, _sig = parse_card(from_runbook)
    # the record is made once the set is registered (it carries the split's anchor), so its
    # card is made later: the same card, newer in sequence (a later import prefers it)
    on_record = parse_card(from_record)[0]
    assert on_record.sequence > card.sequence
    assert dataclasses.replace(on_record, sequence=card.sequence) == card
    assert card.fingerprint == fp and [c["name"] for c in card.custodians] == [
        "Ana Ruiz",
        "Bo Chen",
        "Cy Diallo",
    ]
    assert "db-master-1" not in from_runbook and not _share_material(shares, from_runbook)
    digest = json.loads((shares / "set.json").read_text())["set_digest"]
    assert card.set_digest == digest.replace(" ", "").replace("-", "").lower()
    # the fingerprint printed beside the code is the signer's, and the page says to type it
    text = "".join(
        pdfium.PdfDocument(shares / "runbook.pdf")[i].get_textpage().get_text_range()
        for i in range(len(pdfium.PdfDocument(shares / "runbook.pdf")))
    )
    signer_fp = card.signer_key.fingerprint()
    assert signer_fp in text and "Import a set card" in text
    # the runbook tells the operator both paths: the clean laptop and the remote custodian
    flat = " ".join(text.split())
    assert "Import a set card, photograph the code at the end of this runbook" in flat
    assert "Remote share" in flat and "Send my share from afar" in flat
    assert signer.strip()
    # B, a clean installation, imports what the scanner read off the runbook's page
    read = tmp_path / "from-runbook.txt"
    read.write_text(from_runbook)
    r = run("sets", "import", str(read), "--signer", "SHA256:0000-0000-0000-0000", home=home_b)
    assert r.returncode != 0 and b"unknown key" in r.stderr
    r = run("sets", "import", str(read), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    files = [str(shares / "share-1.txt"), str(shares / "share-3.txt")]
    r = run("combine", *combine_args(tmp_path), *files, home=home_b)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"db-master-1"


def test_a_rotation_card_on_paper_retires_the_old_set(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "A", tmp_path / "B"
    old = _split(tmp_path, home_a, "old", b"db-master-1")
    r = run("sets", "export", _fp(old), "--out", str(tmp_path / "old.card"), home=home_a)
    assert r.returncode == 0, r.stderr
    signer_fp = r.stdout.decode().split("signed by ")[1].split()[0]
    r = run("sets", "import", str(tmp_path / "old.card"), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    new = _split(tmp_path, home_a, "new", b"db-master-2", "--replaces", _fp(old), "--pdf")
    [from_runbook] = _cards_in(new / "runbook.pdf")
    card, _ = parse_card(from_runbook)
    old_digest = json.loads((old / "set.json").read_text())["set_digest"]
    old_digest = old_digest.replace(" ", "").replace("-", "").lower()
    assert card.replaces == old_digest and old_digest in card.retired
    (tmp_path / "new.txt").write_text(from_runbook)
    r = run("sets", "import", str(tmp_path / "new.txt"), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    assert f"retired here per the card: set {_fp(old)}" in r.stdout.decode()
    # runbook/record made later from set.json carry a newer card (a larger sequence)
    later = tmp_path / "runbook-again.pdf"
    r = run("runbook", str(new / "set.json"), "--out", str(later), home=home_a)
    assert r.returncode == 0, r.stderr
    [again] = _cards_in(later)
    assert parse_card(again)[0].sequence > card.sequence


def test_the_split_documents_card_is_made_on_a_worker_thread(tmp_path: Path) -> None:
    """The GUI renders documents on a worker thread: the card maker reads the registry through
    its own connection there, and records nothing."""
    import functools
    import threading

    from breakglass_gui.audit.service import AuditTrail
    from breakglass_gui.ceremony.adapters import PaperRenderer
    from breakglass_gui.ceremony.setcards import card_for_share_set
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential

    share_set = split_credential(
        b"worker-secret",
        policy=Policy.simple(2, 3),
        label="Vault root",
        custodians=[Custodian(f"C{i}", "ops") for i in range(3)],
    )
    home = tmp_path / "home dir #1"  # a path a naive file: URI would break on
    with AuditTrail(home) as trail:
        renderer = PaperRenderer(set_card=functools.partial(card_for_share_set, trail))
        context = {"custodians": [{"number": 2, "name": "C1", "contact": "+1 555 0100"}]}
        out: list[bytes] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                out.append(renderer.runbook(share_set, context))
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        assert not errors, errors
        log = trail.log_path.read_text() if trail.log_path.exists() else ""
    pdf = tmp_path / "runbook.pdf"
    pdf.write_bytes(out[0])
    [text] = _cards_in(pdf)
    card, _ = parse_card(text)
    assert card.fingerprint == share_set.fingerprint_text
    assert [c.get("contact") for c in card.custodians] == [None, "+1 555 0100", None]
    assert "set_card" not in log


def test_a_large_card_still_prints_and_reads_back_from_a_tilted_scan(tmp_path: Path) -> None:
    """Seven custodians with contacts, two mirrors, a retired set: a version-35 code, printed
    at most 1 mm a module, read from a tilted, softened 100-dpi rendering; a card too large
    for version 36 is not drawn and the page says to import the file."""
    import cv2

    from breakglass_gui.audit.keys import SigningKey
    from breakglass_gui.audit.setcard import SetCard, sign_card
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.paper.cardqr import MAX_CARD_VERSION, card_qr
    from breakglass_gui.paper.runbook import RunbookInputs, runbook_pdf
    from breakglass_gui.paper.setinfo import SetInfo

    key = SigningKey.unsaved()

    def card_text(people: int) -> str:
        card = SetCard(
            set_digest="ab" * 32,
            fingerprint="ABAB-ABAB-ABAB-ABAB",
            label="Production database root credential",
            policy={
                "description": f"any 3 of these {people} shares",
                "short": "3",
                "shares": people,
            },
            custodians=[
                {
                    "number": i + 1,
                    "name": f"Custodian Name {i}",
                    "role": "on-call engineer",
                    "contact": "+34 600 000 000, someone@example.org",
                }
                for i in range(people)
            ],
            created="2026-11-25",
            signer=key.public.text(),
            sequence=40,
            retired=["cd" * 32],
            incident_pattern=r"INC-\d+",
            triggers=["identity provider down"],
            mirrors=[
                {"kind": "syslog", "host": "logs.example.net"},
                {"kind": "webhook", "host": "hooks.example.com"},
            ],
        )
        return card.qr_text(sign_card(card, key))

    big = card_text(7)
    code = card_qr(big)
    assert code is not None and 30 < code.version <= MAX_CARD_VERSION
    s = split_credential(
        b"x" * 16,
        policy=Policy.simple(2, 3),
        label="db",
        custodians=[Custodian("Ana"), Custodian("Bo"), Custodian("Cy")],
    )
    pdf = tmp_path / "big.pdf"
    pdf.write_bytes(
        runbook_pdf(RunbookInputs(SetInfo.from_share_set(s), set_card=big, set_card_signer="k"))
    )
    doc = pdfium.PdfDocument(pdf)
    page = np.array(doc[len(doc) - 1].render(scale=100 / 72, grayscale=True).to_pil())
    doc.close()
    h, w = page.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[25, 15], [w - 10, 0], [w - 35, h - 10], [0, h - 30]])
    shot = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=90)
    shot = cv2.cvtColor(cv2.GaussianBlur(shot, (3, 3), 0.7), cv2.COLOR_GRAY2BGR)
    assert card_codes(CameraDecoder(budget_ms=None).scan_photo(shot).texts) == [big]
    # far too large: no code drawn, the page says to import the file
    huge = card_text(40)
    assert card_qr(huge) is None
    pdf.unlink()
    pdf.write_bytes(
        runbook_pdf(RunbookInputs(SetInfo.from_share_set(s), set_card=huge, set_card_signer="k"))
    )
    assert _cards_in(pdf) == []
    doc = pdfium.PdfDocument(pdf)
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    assert "too large for one QR code" in " ".join(text.split())
