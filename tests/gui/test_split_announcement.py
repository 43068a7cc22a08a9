"""Loud by construction, for splits: the split wizard's last page shows the split's announcement
(the same text the CLI prints on stderr, from the same audit-trail function), with a QR code the
project's own scanner reads back to that text; "Posted" / "Not posted" is in the audit log
either way; a rotation's announcement names the set it retired."""

from __future__ import annotations

import gc
import re
import shutil
import subprocess
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from test_split_wizard import SECRET, fill_to_review, open_wizard

from breakglass_gui.audit.log import AnchorKind, Entry, parse_anchor, read_entries
from breakglass_gui.gui.split_wizard import SplitWizard
from breakglass_gui.scan.pipeline import FrameScanner

pytestmark = pytest.mark.gui

OUT = Path(__file__).parent / "out"


def grey(image: QImage) -> Any:
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h)
    return data.reshape(h, stride)[:, :w].copy()


def finish_split(qtbot: Any, wizard: SplitWizard, folder: Path, preset: str = "2of3") -> Any:
    """Review -> print (saved to a folder) -> verify (every share typed back) -> Finish; the
    share set made (the ceremony drops it at Finish)."""
    fill_to_review(qtbot, wizard, preset)
    share_set = wizard.ceremony.share_set
    assert wizard.go_next()
    printing = wizard.pages["print"]
    printing.folder.setText(str(folder))
    printing.save_all_button.click()
    qtbot.waitUntil(lambda: all(d.done for d in wizard.ceremony.documents), timeout=30000)
    assert wizard.go_next()
    verify = wizard.pages["verify"]
    for share in share_set.shares:
        verify.transcription.setPlainText(share.transcription())
        verify.check_transcription()
    assert wizard.ceremony.unverified() == []
    verify.credential_set.setChecked(True)
    verify.test_combine.setChecked(True)
    qtbot.waitUntil(lambda: wizard.ceremony.state.get("test_combined") is True, timeout=10000)
    assert not wizard.announce.isVisible()  # nothing to announce before the set exists
    with qtbot.waitSignal(wizard.ceremony_over):
        assert wizard.do_finish()
    assert wizard.ceremony.share_set is None  # every share dropped at Finish
    return share_set


def events(trail: Any) -> list[Entry]:
    return list(read_entries(trail.log_path))


@pytest.mark.parametrize("posted", [True, False])
def test_the_split_ends_on_its_announcement_and_logs_the_answer(
    qtbot: Any, gui_services: Any, tmp_path: Path, posted: bool
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    wizard.resize(980, 680)
    share_set = finish_split(qtbot, wizard, tmp_path / "usb")
    trail = gui_services.trail
    ann = wizard.ceremony.announcement()
    assert ann is not None and ann.kind == "split"
    # the same announcement the trail made at the split (what `breakglass split` prints)
    assert ann is trail.last_announcement
    box = wizard.announce
    assert box.isVisible() and wizard.stack.currentWidget() is wizard.end_page
    text = box.text.toPlainText()
    assert text == ann.text()
    assert text.startswith("BREAK-GLASS SET MADE\n")
    for needle in (
        "Credential: prod-db root",
        f"Set: {share_set.fingerprint_text}",
        "Operator: Dee Host",
        "Time: 2026-03-02 10:00:00 UTC",
        f"Audit anchor: {ann.anchor}",
        f"breakglass audit verify --anchor {ann.anchor}",
    ):
        assert needle in text
    assert SECRET not in text
    for s in share_set.shares:
        assert " ".join(s.words[:3]) not in text
    # the anchor is the split's entry, in the form `audit verify --anchor` takes, and matches
    anchor = parse_anchor(ann.anchor)
    assert len(anchor.head) >= 16
    made = [e for e in events(trail) if e.event == "split_finished"]
    assert [e.seq for e in made] == [anchor.count]
    assert trail.check_anchor(anchor).kind is AnchorKind.MATCHES
    # the QR code is that text: read back by the project's own scanner
    pixmap = box.qr.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    assert FrameScanner(shares_only=False).decode(grey(pixmap.toImage())) == [text]
    # and as it is on the page (not clipped by the layout): what a phone would photograph
    assert box.qr.width() >= pixmap.width() and box.qr.height() >= pixmap.height()
    assert FrameScanner(shares_only=False).decode(grey(box.qr.grab().toImage())) == [text]
    # the whole box is inside the page, nothing of the code under the buttons
    qtbot.wait(50)
    page_h = wizard.stack.height()
    box_bottom = box.mapTo(wizard.stack, box.rect().bottomLeft()).y()
    assert box_bottom <= page_h, (box_bottom, page_h)
    qr_bottom = box.qr.mapTo(box, box.qr.rect().bottomLeft()).y()
    assert qr_bottom < box.posted.mapTo(box, box.posted.rect().topLeft()).y() or (
        box.qr.mapTo(box, box.qr.rect().topLeft()).x()
        > box.posted.mapTo(box, box.posted.rect().topRight()).x()
    )
    OUT.mkdir(exist_ok=True)
    wizard.grab().save(str(OUT / "split_announcement.png"))
    wizard.page_scroll.verticalScrollBar().setValue(
        wizard.page_scroll.verticalScrollBar().maximum()
    )
    wizard.grab().save(str(OUT / "split_announcement_scrolled.png"))

    (box.posted if posted else box.not_posted).click()
    [answer] = [e for e in events(trail) if e.event == "announcement_posted"]
    assert answer.fields["posted"] is posted
    assert answer.fields["ceremony"] == made[0].fields["ceremony"]
    assert box.status.text().startswith("Logged: posted." if posted else "Logged: not posted.")
    assert "sealed" not in box.status.text()  # a split has no credential waiting to be shown
    assert trail.verify().ok
    assert trail.check_anchor(anchor).kind is AnchorKind.MATCHES  # still true after the answer
    wizard.close_button.click()  # answered already: closing adds nothing
    assert len([e for e in events(trail) if e.event == "announcement_posted"]) == 1


def test_closing_the_split_without_answering_is_logged_as_not_posted(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    finish_split(qtbot, wizard, tmp_path / "usb")
    assert wizard.announce.isVisible()
    trail = gui_services.trail
    assert not [e for e in events(trail) if e.event == "announcement_posted"]
    wizard.close_button.click()
    [answer] = [e for e in events(trail) if e.event == "announcement_posted"]
    assert answer.fields["posted"] is False
    assert "closed without saying" in answer.fields["how"]
    assert trail.verify().ok


def test_a_rotation_announces_the_set_it_retired(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    window, first = open_wizard(qtbot, gui_services)
    old = finish_split(qtbot, first, tmp_path / "usb-1")
    first.close_button.click()
    [row] = [r for r in gui_services.rows() if r.fingerprint == old.fingerprint_text]
    rotation = window.open_split_wizard(replaces=row)
    assert isinstance(rotation, SplitWizard)
    rotation.confirm = lambda title, text: True
    rotation.resize(800, 600)
    new = finish_split(qtbot, rotation, tmp_path / "usb-2")
    # at 800x600, its longer announcement too: Posted and the record in view, no scrolling
    qtbot.wait(50)
    assert not rotation.banner.isVisible()  # "check each one" was about the steps behind
    assert rotation.page_scroll.verticalScrollBar().value() == 0
    viewport = rotation.page_scroll.viewport()
    seen = QRect(viewport.mapTo(rotation, QPoint(0, 0)), viewport.size())
    for widget in (rotation.announce.posted, rotation.record.print_button):
        rect = QRect(widget.mapTo(rotation, QPoint(0, 0)), widget.size())
        assert seen.contains(rect), (widget.objectName(), rect, seen)
    text = rotation.announce.text.toPlainText()
    assert f"Set: {new.fingerprint_text}" in text
    assert f"Replaces: {old.fingerprint_text} (retired)" in text
    trail = gui_services.trail
    # its anchor is the old set's retirement (the last entry of the rotation)
    [retired] = [e for e in events(trail) if e.event == "set_retired"]
    assert f"Audit anchor: {retired.seq}:{retired.hash[:20]}\n" in text
    assert trail.registry.get_set(old.fingerprint_text).retired_at
    rotation.announce.posted.click()
    answers = [e for e in events(trail) if e.event == "announcement_posted"]
    # the first split was closed unanswered (logged as not posted); the rotation's "Posted"
    assert [a.fields["posted"] for a in answers] == [False, True]
    assert answers[1].fields["ceremony"] != answers[0].fields["ceremony"]


def _pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    return " ".join(" ".join(pages).split())


@pytest.mark.parametrize(
    ("size", "preset"), [((800, 600), "2of3"), ((800, 600), "3of5"), ((1280, 800), "3of5")]
)
def test_the_last_page_fits_with_posted_in_view_and_keyboard_safe(
    qtbot: Any, gui_services: Any, tmp_path: Path, size: tuple[int, int], preset: str
) -> None:
    """At 800x600 "Posted", "Not posted", the record's buttons and Close are on screen without
    scrolling; Tab reaches Posted; Return alone never claims "posted" nor closes unanswered."""
    from PySide6.QtCore import Qt

    _window, wizard = open_wizard(qtbot, gui_services)
    wizard.resize(*size)
    finish_split(qtbot, wizard, tmp_path / "usb", preset)
    qtbot.wait(50)
    assert (wizard.width(), wizard.height()) == size
    bar = wizard.page_scroll.verticalScrollBar()
    assert bar.value() == 0
    box = wizard.announce
    window_rect = wizard.rect()
    viewport = wizard.page_scroll.viewport()
    seen = QRect(viewport.mapTo(wizard, QPoint(0, 0)), viewport.size())
    for widget in (box.posted, box.not_posted, box.copy_button, box.qr, wizard.record.print_button):
        assert widget.isVisible(), widget.objectName()
        rect = QRect(widget.mapTo(wizard, QPoint(0, 0)), widget.size())
        assert window_rect.contains(rect), (widget.objectName(), rect, window_rect)
        assert seen.contains(rect), (widget.objectName(), rect, seen)  # no scrolling needed
    close = QRect(wizard.close_button.mapTo(wizard, QPoint(0, 0)), wizard.close_button.size())
    assert wizard.close_button.isVisible() and window_rect.contains(close)
    # the code as shown scans back (not squeezed by the compact layout)
    assert FrameScanner(shares_only=False).decode(grey(box.qr.grab().toImage())) == [
        box.text.toPlainText()
    ]
    OUT.mkdir(exist_ok=True)
    wizard.grab().save(str(OUT / f"split_last_page_{size[0]}x{size[1]}_{preset}.png"))
    # keyboard: the focus starts on Copy text; Return there copies, claims nothing
    assert box.copy_button.hasFocus()
    assert not wizard.close_button.isDefault()
    qtbot.keyClick(box.copy_button, Qt.Key.Key_Return)
    assert box.answer is None and wizard.isVisible()
    assert box.status.text().startswith("Copied.")
    hops = 0
    while not box.posted.hasFocus() and hops < 5:
        qtbot.keyClick(wizard.focusWidget(), Qt.Key.Key_Tab)
        hops += 1
    assert box.posted.hasFocus(), wizard.focusWidget()
    qtbot.keyClick(box.posted, Qt.Key.Key_Space)
    assert box.answer is True
    assert wizard.close_button.isDefault()  # answered: Return may close now
    # the details (anchor line, next steps) unfold under a button, not in the way
    assert not wizard.details.isVisible()
    wizard.details_button.click()
    assert wizard.details.isVisible() and "Audit anchor of this split" in wizard.details.text()


def test_the_record_made_at_the_end_carries_the_announced_anchor(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """The ceremony record is not in the first batch; at the end it is saved with the anchor
    the split announced (the exact `audit verify --anchor` string), which verifies, through
    the CLI too. Saving again never replaces the file."""
    from breakglass_gui.cli.main import main

    _window, wizard = open_wizard(qtbot, gui_services)
    folder = tmp_path / "usb"
    share_set = finish_split(qtbot, wizard, folder)
    assert [d.id for d in wizard.ceremony.documents if d.id == "record"] == []
    assert not list(folder.glob("*ceremony-record*"))  # not printed before the anchor existed
    ann = wizard.ceremony.announcement()
    assert ann is not None
    panel = wizard.record
    assert panel.isVisible() and ann.anchor in panel.status.text()
    panel.save_button.click()
    item = wizard.ceremony.record_item
    qtbot.waitUntil(lambda: item.done, timeout=20000)
    [saved] = folder.glob("*ceremony-record*.pdf")
    assert item.emitted == [f"saved to {saved}"]
    # the trail says the record went out, with the anchor it carries
    log = read_entries(gui_services.trail.log_path)
    [entry] = [e for e in log if e.event == "record_emitted"]
    assert entry.fields["set"] == share_set.fingerprint_text
    assert entry.fields["anchor"] == ann.anchor and entry.fields["how"] == f"saved to {saved}"
    text = _pdf_text(saved.read_bytes())
    printed = re.search(r"Audit anchor (\S+) \(announced when the set was registered", text)
    assert printed is not None, text
    assert printed[1] == ann.anchor
    assert "copy here the anchor" not in text
    assert SECRET not in text
    for share in share_set.shares:
        assert " ".join(share.words[:3]) not in text  # no share material on it
    trail = gui_services.trail
    assert trail.check_anchor(parse_anchor(printed[1])).kind is AnchorKind.MATCHES
    wizard.announce.posted.click()
    assert main(["--home", str(trail.home), "audit", "verify", "--anchor", printed[1]]) == 0
    # saving again: the file there is kept, and that is said
    before = saved.read_bytes()
    panel.save_button.click()
    qtbot.waitUntil(lambda: not panel.busy and "Could not save" in panel.status.text())
    assert "already exists" in panel.status.text()
    assert saved.read_bytes() == before and len(item.emitted) == 1
    if shutil.which("pdftoppm"):  # page 1 as PNG, to look at (tests/gui/out)
        out = str(OUT / "split_record")
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-l", "1", str(saved), out], check=True)


def test_closing_before_the_record_is_out_asks_first(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """The record is made only here: closing without printing or saving it asks; No keeps the
    window (and the announcement) open, Yes closes as before."""
    _window, wizard = open_wizard(qtbot, gui_services)
    finish_split(qtbot, wizard, tmp_path / "usb")
    asked: list[str] = []
    wizard.confirm = lambda title, text: asked.append(title) is None and False
    wizard.close_button.click()
    assert asked == ["Close without the ceremony record?"] and wizard.isVisible()
    assert wizard.announce.answer is None  # nothing logged for a close that did not happen
    wizard.confirm = lambda title, text: asked.append(title) is None
    wizard.close_button.click()
    assert len(asked) == 2 and not wizard.isVisible()
    # once the record is out, no question
    _window2, second = open_wizard(qtbot, gui_services)
    finish_split(qtbot, second, tmp_path / "usb-2")
    second.record.save_button.click()
    qtbot.waitUntil(lambda: second.ceremony.record_item.done, timeout=20000)
    second.confirm = lambda title, text: asked.append(title) is None and False
    second.close_button.click()
    assert len(asked) == 2 and not second.isVisible()


def test_no_share_stays_referenced_after_finish(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """Every share together rebuilds the credential: once the set is registered and the secret
    wiped, nothing in the window (ceremony, pages, workers) may still hold the share set."""
    _window, wizard = open_wizard(qtbot, gui_services)
    share_set = finish_split(qtbot, wizard, tmp_path / "usb")
    assert wizard.ceremony.render_record().startswith(b"%PDF")  # made at Finish, still there
    gone = [weakref.ref(share_set), *(weakref.ref(s) for s in share_set.shares)]
    del share_set
    gc.collect()
    assert [r() for r in gone] == [None] * len(gone)
    assert wizard.isVisible()  # the last page is still open


def test_the_record_prints_on_the_chosen_printer_or_says_there_is_none(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    _window, wizard = open_wizard(qtbot, gui_services)
    finish_split(qtbot, wizard, tmp_path / "usb")
    panel = wizard.record
    item = wizard.ceremony.record_item
    assert item is not None
    panel.print_button.click()  # no printer on this machine
    assert "No printer is set up" in panel.status.text() and not item.done
    spooled: list[tuple[str, bytes]] = []
    gui_services.printers = lambda: ["Office-Laser", "Safe-Room"]
    gui_services.print_pdf = lambda printer, pdf: spooled.append((printer, pdf))
    wizard.choose = lambda question, options: ""  # the host cancels the choice
    panel.print_button.click()
    qtbot.wait(50)
    assert spooled == [] and not item.done
    wizard.choose = lambda question, options: "Safe-Room"
    panel.print_button.click()
    qtbot.waitUntil(lambda: item.done, timeout=20000)
    assert [p for p, _ in spooled] == ["Safe-Room"]
    assert spooled[0][1] == wizard.ceremony.render_record()
    assert item.emitted == ["printed on Safe-Room"]
    # only the print that happened is in the trail (not the refused or cancelled ones)
    log = read_entries(gui_services.trail.log_path)
    hows = [e.fields["how"] for e in log if e.event == "record_emitted"]
    assert hows == ["printed on Safe-Room"]


def test_a_record_saved_while_the_trail_refuses_says_both(
    qtbot: Any, gui_services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is written, then the trail refuses its entry (here: broken since Finish).
    The panel says the record is saved and that the trail did not record it; nothing escapes
    the Qt callback, and closing does not ask for a record that is out."""
    from breakglass_gui.audit.service import TrailBrokenError

    _window, wizard = open_wizard(qtbot, gui_services)
    folder = tmp_path / "usb"
    finish_split(qtbot, wizard, folder)
    recorder = wizard.ceremony.ports.recorder

    def refuse(kind: str, fields: Any) -> None:
        raise TrailBrokenError("the audit log fails verification (test)")

    monkeypatch.setattr(recorder, "note", refuse)
    panel = wizard.record
    panel.save_button.click()
    item = wizard.ceremony.record_item
    qtbot.waitUntil(lambda: not panel.busy and item.done, timeout=20000)
    [saved] = folder.glob("*ceremony-record*.pdf")
    said = panel.status.text()
    assert f"Saved to {saved}." in said
    assert "The audit trail did not record it: the audit log fails verification (test)" in said
    assert not [e for e in read_entries(gui_services.trail.log_path) if e.event == "record_emitted"]
