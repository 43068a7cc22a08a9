""" "Import a set card" from the main window: a photographed card's QR code, a card file, and an
adversary's cards (tampered, unknown key, foreign, replayed), each refused by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import qrcode

from breakglass_gui.gui.main_window import MainWindow
from tests.cardhomes import add_set, card_of, home, qr_of

pytestmark = pytest.mark.gui
OUT = Path(__file__).parent / "out"


def _photo_of(text: str, path: Path) -> None:
    """The card's QR code as a phone might take it: tilted, softened, noisy, JPEG."""
    img = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6)
    grey = np.array(img.convert("L"), dtype=np.uint8)
    h, w = grey.shape
    page = np.full((h + 240, w + 320), 235, np.uint8)
    page[120 : 120 + h, 160 : 160 + w] = grey
    ph, pw = page.shape
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = np.float32([[40, 30], [pw - 10, 0], [pw - 60, ph - 20], [0, ph - 50]])
    warped = cv2.warpPerspective(
        page, cv2.getPerspectiveTransform(src, dst), (pw, ph), borderValue=200
    )
    warped = cv2.GaussianBlur(warped, (3, 3), 0.9)
    noisy = np.clip(warped + np.random.default_rng(7).normal(0, 6, warped.shape), 0, 255)
    cv2.imwrite(str(path), noisy.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85])


def _log(trail: Any) -> str:
    return str(trail.log_path.read_text()) if trail.log_path.exists() else ""


def test_import_a_card_from_a_photo_and_refuse_an_adversarys(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    trail = gui_services.trail
    with home(tmp_path, "A") as a, home(tmp_path, "X") as x:
        fp, _ = add_set(a, "DB master", "db-one")
        printed = a.key.public.fingerprint()
        card_file = tmp_path / "db.card"
        card_file.write_text(card_of(a, fp))
        photo = tmp_path / "runbook-card.jpg"
        qr_of_text = qr_of(a, fp)
        _photo_of(qr_of_text, photo)
        # the adversary's cards: one tampered, one for a set of their own that "retires" ours
        doc = json.loads(card_file.read_text())
        doc["card"]["custodians"][0]["name"] = "Mallory"
        tampered = tmp_path / "tampered.card"
        tampered.write_text(json.dumps(doc))
        xfp, _ = add_set(x, "DB master", "db-one")
        x.registry.retire(xfp, by="mallory", reason="x", replaced_by=None, when=x.clock())
        new_fp, _ = add_set(x, "DB master v2", "db-two")
        foreign = tmp_path / "foreign.card"
        foreign.write_text(card_of(x, new_fp))
        mallory_fp = x.key.public.fingerprint()

    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.show()
    assert not window.rows
    window.buttons["import_card"].click()
    dialog = window.open_dialogs[-1]
    assert dialog.objectName() == "setCardDialog"
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 600  # fits a small laptop's screen

    # a tampered card: refused by name, nothing to import, nothing recorded
    entries = _log(trail)
    assert dialog.load_file(tampered) is None
    assert "does not verify" in dialog.outcome.text() and "forged" in dialog.outcome.text()
    assert not dialog.import_button.isEnabled()
    assert trail.registry.get_set(fp) is None

    # the photographed card's QR code: read, shown with its signer, not yet imported
    review = dialog.load_photo(photo)
    assert review is not None and review.card.fingerprint == fp
    assert printed in dialog.summary.text() and "Ana Ruiz (on-call)" in dialog.summary.text()
    assert dialog.import_button.isEnabled() and trail.registry.get_set(fp) is None
    # no fingerprint typed: the one rule (ceremony.setcards) refuses, says where to find it
    dialog.signer.setText("   ")
    assert dialog.import_card() is False
    said = dialog.outcome.text()
    assert "Type the signer fingerprint" in said and "Set card: for a clean laptop" in said
    assert trail.registry.get_set(fp) is None and _log(trail) == entries
    OUT.mkdir(exist_ok=True)
    qtbot.wait(50)  # let the layout take the message in before the picture
    dialog.grab().save(str(OUT / "setcard-dialog-no-signer.png"))
    # the operator's printed fingerprint is another key's: an unknown key, refused
    dialog.signer.setText(mallory_fp)
    assert dialog.import_card() is False
    assert "unknown key" in dialog.outcome.text() and trail.registry.get_set(fp) is None
    assert _log(trail) == entries
    # the right one, typed as people type it: imported, and the main window shows the set
    dialog.signer.setText(printed.lower().replace("sha256:", "").replace("-", " "))
    qtbot.keyClick(dialog.signer, "\r")
    assert "✔ Imported" in dialog.outcome.text(), dialog.outcome.text()
    assert [r.fingerprint for r in window.rows] == [fp]
    OUT.mkdir(exist_ok=True)
    qtbot.wait(50)  # let the layout take the new texts in before the picture
    dialog.grab().save(str(OUT / "setcard-dialog-imported.png"))

    # the camera shows the same card again, frame after frame: read once, then refused as
    # already imported (not newer), and the camera stops
    from types import SimpleNamespace

    dialog._on_scan(SimpleNamespace(texts=["https://example.org", qr_of_text]), "camera")
    assert "older, stale or replayed" in dialog.outcome.text()
    # the older card file (a lower sequence than the photographed one): refused by name
    assert dialog.load_file(card_file) is None
    assert "older, stale or replayed" in dialog.outcome.text()
    # a foreign key's card that would retire our set: refused, our set stays
    assert dialog.load_file(foreign) is None
    assert "foreign card" in dialog.outcome.text() and mallory_fp in dialog.outcome.text()
    assert trail.registry.get_set(fp).status == "active"
    assert trail.registry.get_set(new_fp) is None
    qtbot.wait(50)
    dialog.grab().save(str(OUT / "setcard-dialog-refused.png"))
    # a photo with no card in it
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300), 255, np.uint8))
    assert dialog.load_photo(blank) is None and "No set card" in dialog.outcome.text()
    dialog.close()


def test_import_from_a_photographed_runbook_page(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """The issue's case: the card's QR code on the last page of a real split's runbook,
    photographed (rasterised at 100 dpi, tilted, softened, noisy, JPEG), imported in the GUI."""
    import pypdfium2 as pdfium

    from tests.unit.test_cli_core import run
    from tests.unit.test_setcard_homes import _fp, _split

    home_a = tmp_path / "A"
    shares = _split(tmp_path, home_a, "set1", b"db-master-1", "--pdf")
    signer = run("audit", "pubkey", home=home_a).stdout.decode()
    doc = pdfium.PdfDocument(shares / "runbook.pdf")
    page = np.array(doc[len(doc) - 1].render(scale=100 / 72, grayscale=True).to_pil())
    doc.close()
    h, w = page.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[30, 20], [w - 15, 0], [w - 45, h - 10], [0, h - 35]])
    shot = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=90)
    shot = cv2.GaussianBlur(shot, (3, 3), 0.8)
    shot = np.clip(shot + np.random.default_rng(3).normal(0, 5, shot.shape), 0, 255)
    photo = tmp_path / "runbook-photo.jpg"
    cv2.imwrite(str(photo), shot.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 80])

    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    dialog = window.open_import_card()
    review = dialog.load_photo(photo)
    assert review is not None, dialog.outcome.text()
    assert review.card.fingerprint == _fp(shares)
    printed = review.signer_fingerprint
    assert f"fingerprint {printed}" in signer  # the signer is A's audit key
    dialog.signer.setText(printed)
    assert dialog.import_card() is True, dialog.outcome.text()
    assert _fp(shares) in [r.fingerprint for r in window.rows]
    OUT.mkdir(exist_ok=True)
    qtbot.wait(50)
    dialog.grab().save(str(OUT / "setcard-dialog-runbook-photo.png"))
    dialog.close()
