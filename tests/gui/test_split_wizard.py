"""The split ceremony wizard end to end, offscreen: real PDFs, registry rows, audit entries,
and the verify step satisfied by photographs of those PDFs played through a fake camera."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from reconstruct_photos import photograph, render_pdf_page

from breakglass_gui.ceremony.split_flow import CustodianEntry
from breakglass_gui.ceremony.wizard import WizardStatus
from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.services import CameraOption
from breakglass_gui.gui.split_wizard import SplitWizard
from breakglass_gui.scan.sources import FakeCamera

pytestmark = pytest.mark.gui

SECRET = "pr0d-DB-r00t: correct horse battery staple"
PEOPLE = [
    CustodianEntry("Ana Ruiz", "primary on-call", "signal @ana", "Lisbon"),
    CustodianEntry("Ben Okafor", "secondary on-call", "+351 555 0101", "Porto"),
    CustodianEntry("Chen Wu", "engineering manager", "chen@example.org", "home safe, Braga"),
    CustodianEntry("Dita Lang", "peer team on-call", "pager", "Berlin office"),
    CustodianEntry("Eli Moss", "VP engineering", "phone", "bank box, Madrid"),
]


def open_wizard(qtbot: Any, services: Any) -> tuple[MainWindow, SplitWizard]:
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    wizard = window.open_split_wizard()
    assert isinstance(wizard, SplitWizard)
    wizard.confirm = lambda title, text: True
    return window, wizard


def fill_to_review(qtbot: Any, wizard: SplitWizard, preset: str = "3of5") -> Any:
    page = wizard.pages["credential"]
    page.name.setText("prod-db root")
    page.scope.setText("root on the prod database")
    qtbot.keyClicks(page.entry.edit, SECRET)
    assert page.entry.edit.text() == SECRET
    qtbot.keyClicks(page.again.edit, SECRET)  # typed twice, as a password pair
    assert wizard.go_next()
    assert page.entry.is_empty() and page.again.is_empty()  # cleared when left
    secret = wizard.ceremony.state.secret("credential")
    assert secret is not None and bytes(secret) == SECRET.encode()
    policy = wizard.pages["policy"]
    policy.radios[f"{preset[0]}-of-{preset[-1]}"].setChecked(True)
    assert wizard.go_next()
    custodians = wizard.pages["custodians"]
    total = custodians.table.rowCount()
    for k in range(1, total + 1):
        custodians.set_row(k, PEOPLE[k - 1])
    assert wizard.go_next()
    qtbot.waitUntil(lambda: wizard.ceremony.share_set is not None, timeout=10000)
    return secret


def test_split_ceremony_end_to_end(qtbot: Any, gui_services: Any, tmp_path: Path) -> None:
    window, wizard = open_wizard(qtbot, gui_services)
    secret = fill_to_review(qtbot, wizard)
    share_set = wizard.ceremony.share_set
    review = wizard.pages["review"]
    assert review.fingerprint.text() == share_set.fingerprint_text
    assert wizard.go_next()

    printing = wizard.pages["print"]
    folder = tmp_path / "usb-stick"
    printing.folder.setText(str(folder))
    assert printing.risk.text() == "" or "temporary" in printing.risk.text()
    printing.save_all_button.click()
    qtbot.waitUntil(lambda: all(d.done for d in wizard.ceremony.documents), timeout=30000)
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 6  # 5 sheets and the runbook (the record comes at the end)
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert not wizard.back_button.isEnabled()  # the set is on paper now
    assert wizard.go_next()

    verify = wizard.pages["verify"]
    assert not wizard.finish_button.isEnabled()
    sheets = sorted(folder.glob("*-share-*.pdf"))
    frames = [photograph(render_pdf_page(p.read_bytes()), seed=i) for i, p in enumerate(sheets)]
    camera = FakeCamera(frames[:4])  # the scan module's test camera (refuses production)
    gui_services.cameras = lambda: [CameraOption("Fake camera", lambda: camera)]
    qtbot.waitUntil(lambda: not verify.camera.listing)  # listed on entering: none yet
    verify.camera_button.click()  # looks again, finds the camera, starts it
    qtbot.waitUntil(lambda: len(wizard.ceremony.verified()) == 4, timeout=60000)
    assert verify.camera.view.outlines == 1
    # the fifth sheet by its verification words
    fifth = share_set.shares[4]
    verify.words_share.setCurrentIndex(4)
    verify.words.setText("wrong words typed")
    verify.check_words()
    assert verify.message.text().startswith("✘")
    verify.words.setText(" ".join(fifth.verification_words()))
    verify.check_words()
    # the words only match the sheet to the record: Finish stays off
    assert "matched to the record" in verify.message.text()
    assert wizard.ceremony.unverified() == [5]
    assert "not read back" in verify.table.item(4, 2).text()
    verify.credential_set.setChecked(True)
    verify.test_combine.setChecked(True)
    qtbot.waitUntil(lambda: wizard.ceremony.state.get("test_combined") is True, timeout=10000)
    assert not wizard.finish_button.isEnabled()
    # its whole transcription, typed, reads it back
    verify.transcription.setPlainText(fifth.transcription())
    verify.check_transcription()
    assert wizard.ceremony.unverified() == []
    assert verify.table.item(4, 2).text() == "✔ read back (typed)"
    assert wizard.finish_button.isEnabled()
    with qtbot.waitSignal(wizard.ceremony_over):
        assert wizard.do_finish()
    assert secret.is_wiped
    assert "registered" in wizard.summary_page.text.text()

    wizard.close_button.click()
    qtbot.waitUntil(lambda: window.table.rowCount() == 1)
    assert window.table.item(0, 1).text() == share_set.fingerprint_text
    assert window.table.item(0, 3).text() == "Active"
    trail = gui_services.trail
    assert trail.verify().ok
    log = trail.log_path.read_text()
    events = [json.loads(line)["event"] for line in log.splitlines()]
    assert events.count("share_printed") == 5
    assert events.count("share_verified") == 5
    # closed without answering whether the announcement was posted: logged as not posted
    assert events[-2:] == ["split_finished", "announcement_posted"]
    assert json.loads(log.splitlines()[-1])["fields"]["posted"] is False
    assert SECRET not in log
    for s in share_set.shares:
        assert s.qr_texts()[0] not in log and " ".join(s.words[:3]) not in log


def test_cancel_wipes_and_records_an_aborted_ceremony(qtbot: Any, gui_services: Any) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    secret = fill_to_review(qtbot, wizard, preset="2of3")
    asked: list[str] = []
    wizard.confirm = lambda title, text: asked.append(title) is None and False
    wizard.cancel_button.click()
    assert asked == ["Stop this ceremony?"]
    assert wizard.isVisible() and not secret.is_wiped  # said no: nothing lost
    wizard.confirm = lambda title, text: True
    with qtbot.waitSignal(wizard.ceremony_over):
        wizard.cancel_button.click()
    assert secret.is_wiped and not wizard.isVisible()
    assert wizard.ceremony.wizard.status is WizardStatus.CANCELLED
    (ceremony,) = gui_services.trail.registry.ceremonies("split")
    assert ceremony.status == "aborted" and "review step" in ceremony.outcome


def test_typed_secret_is_cleared_when_cancelled_on_the_first_page(
    qtbot: Any, gui_services: Any
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    page = wizard.pages["credential"]
    qtbot.keyClicks(page.entry.edit, "half-typed secret")
    page.entry.toggle.click()
    assert page.entry.edit.echoMode() == page.entry.edit.EchoMode.Normal
    wizard.close()
    assert page.entry.edit.text() == "" and not page.entry.edit.isUndoAvailable()


def test_full_disk_and_no_printer_and_no_camera_each_say_what_to_do(
    qtbot: Any, gui_services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    from breakglass_gui.ceremony import ports

    real_save = ports.FolderSink.save
    calls = {"n": 0}

    def full_after_two(self: Any, name: str, data: bytes) -> str:
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.folder / name))
        return real_save(self, name, data)

    monkeypatch.setattr(ports.FolderSink, "save", full_after_two)
    printing.folder.setText(str(tmp_path / "small-stick"))
    printing.save_all_button.click()
    qtbot.waitUntil(lambda: "Could not save" in printing.message.text(), timeout=20000)
    assert "No space left on device" in printing.message.text()
    assert sum(d.done for d in wizard.ceremony.documents) == 2
    assert not wizard.go_next()
    monkeypatch.setattr(ports.FolderSink, "save", real_save)
    printing.folder.setText(str(tmp_path / "big-stick"))
    printing.save(only_missing=True)
    qtbot.waitUntil(lambda: all(d.done for d in wizard.ceremony.documents), timeout=20000)
    printing.table.setCurrentCell(0, 0)
    printing.print_button.click()
    assert "No printer is set up" in printing.message.text()
    assert wizard.go_next()
    verify = wizard.pages["verify"]
    qtbot.waitUntil(lambda: not verify.camera.listing)
    verify.camera_button.click()  # looks for a camera again, off the GUI thread
    qtbot.waitUntil(lambda: "No camera found" in verify.camera.message.text())
    assert verify.camera.worker is None and verify.image_button.isEnabled()


def test_printing_goes_to_the_chosen_printer(qtbot: Any, gui_services: Any) -> None:
    spooled: list[tuple[str, bytes]] = []
    gui_services.printers = lambda: ["Office-Laser", "Safe-Room"]
    gui_services.print_pdf = lambda printer, pdf: spooled.append((printer, pdf))
    _window, wizard = open_wizard(qtbot, gui_services)
    wizard.choose = lambda question, options: "Safe-Room"
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    printing.table.setCurrentCell(1, 0)
    printing.print_button.click()
    qtbot.waitUntil(lambda: wizard.ceremony.document("share-2").done, timeout=20000)
    assert spooled[0][0] == "Safe-Room" and spooled[0][1].startswith(b"%PDF")
    assert wizard.ceremony.document("share-2").emitted == ["printed on Safe-Room"]


def test_policy_and_custodian_pages_explain_themselves(qtbot: Any, gui_services: Any) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    page = wizard.pages["credential"]
    assert not wizard.go_next()
    assert "name" in wizard.problems.text() and "secret" in wizard.problems.text()
    page.name.setText("vault unseal")
    page.generate()
    assert wizard.ceremony.secret_length == 32
    assert wizard.go_next()
    policy = wizard.pages["policy"]
    policy.grouped.setChecked(True)
    policy.group_threshold.setValue(3)
    assert "Not a valid policy" in policy.description.text()
    assert not wizard.go_next()
    policy.group_threshold.setValue(2)
    assert policy.description.text().startswith("2 of 2 groups")
    assert wizard.go_next()
    custodians = wizard.pages["custodians"]
    assert custodians.table.rowCount() == 5
    for k in range(1, 6):
        custodians.set_row(k, CustodianEntry(f"P{k}", "ops", location="HQ"))
    custodians.set_row(5, CustodianEntry("P1", "ops", location="HQ"))
    text = custodians.warnings.text()
    assert "P1 alone holds shares 1, 5" not in text  # a leader and an on-call: not a quorum
    assert "one location (HQ)" in text and "one role (ops)" in text
    # custodians who fail together block Next until the host types why
    assert custodians.risk_reason.isVisibleTo(custodians)
    assert not wizard.go_next()
    assert "type why this risk is accepted" in wizard.problems.text()
    qtbot.keyClicks(custodians.risk_reason, "one office until the Berlin team starts")
    assert wizard.ceremony.custodian_risk_reason == "one office until the Berlin team starts"
    assert wizard.go_next()


def test_keyboard_only_first_page(qtbot: Any, gui_services: Any) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    page = wizard.pages["credential"]
    page.name.setFocus()
    qtbot.keyClicks(page.name, "kbd-only")
    for w in (page.name, page.scope, page.notes, page.entry.edit, page.load_button):
        assert w.focusPolicy() != w.focusPolicy().NoFocus
        assert w.accessibleName()
    assert wizard.next_button.shortcut().toString() or "&" in wizard.next_button.text()


def test_the_print_path_paints_every_page_onto_a_qprinter(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """The system-dialog path with a fake printer: QPrinter writing a PDF file."""
    import pypdfium2 as pdfium
    import zxingcpp
    from PySide6.QtPrintSupport import QPrinter

    from breakglass_gui.gui.printing import render_dpi

    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert render_dpi(printer) <= 600
    printing.table.setCurrentCell(0, 0)
    share = wizard.ceremony.share_set.shares[0]
    sheet = pdfium.PdfDocument(wizard.ceremony.render_document("share-1"))
    pages = printing.print_dialog(printer)
    assert pages == len(sheet)
    printed = pdfium.PdfDocument(out.read_bytes())
    assert len(printed) == pages
    # every page carries ink, and page 1's code still reads back to the share
    for i in range(len(printed)):
        assert printed[i].render(scale=0.5, grayscale=True).to_numpy().min() < 128
    image = printed[0].render(scale=150 / 72, grayscale=True).to_pil()
    found = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert found and found[0] == share.qr_texts()[0]
    doc = wizard.ceremony.document("share-1")
    assert doc.emitted == [f"printed on {out}"]
    log = gui_services.trail.log_path.read_text()
    assert '"medium":"paper"' in log.replace(" ", "")


def test_saving_one_folder_per_custodian_envelope(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    folder = tmp_path / "stick"
    printing.folder.setText(str(folder))
    printing.per_envelope.setChecked(True)
    printing.save_all_button.click()
    qtbot.waitUntil(lambda: all(d.done for d in wizard.ceremony.documents), timeout=30000)
    envelopes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert envelopes == ["envelope-1-ana-ruiz", "envelope-2-ben-okafor", "envelope-3-chen-wu"]
    for name in envelopes:
        assert len(list((folder / name).glob("*-share-*.pdf"))) == 1
    assert len(list(folder.glob("*.pdf"))) == 1  # the runbook stays on top
