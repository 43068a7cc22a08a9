"""Typing a share from its sheet, as a person does, in the break-glass collect page: the exact
text layer of a real share-sheet PDF (rows and headings included), one character wrong, the
line named as it is typed, the character corrected in place, the share accepted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from breakglass_gui.ceremony.ports import ManualClock, MemoryReconstructionRecorder
from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow
from breakglass_gui.core.codec import chunk_checks
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf

pytestmark = pytest.mark.gui
OUT = Path(__file__).parent / "out"


def _wizard(qtbot: Any) -> tuple[ReconstructWizard, ReconstructFlow]:
    clock = ManualClock()
    flow = ReconstructFlow(MemoryReconstructionRecorder(clock), clock=clock)
    wizard = ReconstructWizard(flow, cameras=[], confirm_close=lambda: True)
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.trigger_page
    page.incident.setText("INC-77")
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    wizard.next_button.click()
    assert wizard.wizard.current == "collect"
    return wizard, flow


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_typing_the_sheets_text_layer_with_one_mistake_fixed_in_place(
    qtbot: Any, tmp_path: Path
) -> None:
    sset = split_credential(
        b"pr0d-DB-r00t: correct horse battery staple",
        policy=Policy.simple(2, 3),
        label="prod-db root",
        custodians=[Custodian("Ana Ruiz", "on-call"), Custodian("Ben Okafor", "on-call")],
    )
    share = sset.shares[1]
    pdf = tmp_path / "sheet.pdf"
    # the transcription pages only: the recovery appendix that ends every sheet is not typed
    pdf.write_bytes(share_sheet_pdf(share, SheetOptions(appendix=False)))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # as printed: headings, the words in rows of six, the data lines three to a row
    assert "HAND TRANSCRIPTION" in text and "WORDS (33)" in text and "DATA (" in text
    line7 = share.transcription_lines()[6]
    rows = [r for r in text.splitlines() if r.lstrip().startswith("07 ")]
    assert len(rows) == 1 and line7.chars[:4] in rows[0] and "  15 " in rows[0].replace("\t", " ")
    good = line7.chars[2]
    wrong = "X" if good != "X" else "Y"
    # on line 07's own row (its 4 characters may also be a group of an earlier line or of the
    # set fingerprint: about 1 sheet in 20,000)
    at = text.index(rows[0]) + rows[0].index(line7.chars[:4]) + 2
    typo = text[:at] + wrong + text[at + 1 :]

    wizard, flow = _wizard(qtbot)
    page = wizard.collect_page
    page.type_button.click()
    box = page.typed
    assert box.isVisible() and box.height() >= box.fontMetrics().lineSpacing() * 12
    box.setFocus()
    box.setPlainText(typo)
    box.moveCursor(QTextCursor.MoveOperation.End)
    assert "data line 07: the check characters do not match" in box.status.text()
    assert "words 33 of 33" in box.status.text().lower()
    assert len(box.extraSelections()) == 1  # the wrong line is marked where it is
    OUT.mkdir(exist_ok=True)
    wizard.resize(1100, 760)
    qtbot.wait(100)  # let the layout settle before the picture
    wizard.grab().save(str(OUT / "typed-share-mistake.png"))

    page.add_typed.click()
    assert box.toPlainText() == typo  # refused as incomplete: nothing typed is lost
    assert flow.collector.accepted == []
    assert "Not complete yet" in page.message.text()

    # correct the one character in place, as a person would: select it, type the right one
    cursor = box.textCursor()
    cursor.setPosition(at)
    cursor.setPosition(at + 1, QTextCursor.MoveMode.KeepAnchor)
    box.setTextCursor(cursor)
    qtbot.keyClicks(box, good)
    assert box.toPlainText() == text
    assert "check out" in box.status.text() and box.extraSelections() == []
    page.add_typed.click()
    assert [a.share.number for a in flow.collector.accepted] == [share.number]
    assert box.toPlainText() == ""  # accepted: the typed share is dropped


def test_a_word_completes_after_four_letters(qtbot: Any) -> None:
    wizard, _flow = _wizard(qtbot)
    page = wizard.collect_page
    page.type_button.click()
    box = page.typed
    box.setFocus()
    qtbot.keyClicks(box, "acad lung ")
    assert box.toPlainText() == "academic lungs "
    qtbot.keyClicks(box, "zzzz ")
    assert "word 3: 'zzzz' is not a SLIP-39 word" in box.status.text()
    qtbot.keyClick(box, Qt.Key.Key_Backspace)
    assert box.toPlainText().startswith("academic lungs zzzz")  # nothing cleared


def test_a_data_group_of_four_letters_is_not_completed_into_a_word(qtbot: Any) -> None:
    """A data line's group of 4 letters is a SLIP-39 word's first 4 letters once in about 3,000
    groups ("ACAD", "ACNE"): about 1 share in 65 of 24 lines has one. Typed by hand, the box
    turned "07 ACAD " into "07 ACADEMIC " (and the line failed its check). Words still complete:
    numbered, unnumbered, after the WORDS heading."""
    wizard, _flow = _wizard(qtbot)
    page = wizard.collect_page
    page.type_button.click()
    box = page.typed
    box.setFocus()
    check = chunk_checks(7, "ACADEM1C")
    for before in ("", "DATA\n", "WORDS\nacid\nDATA (24 lines)\n", "academic acid\n"):
        box.setPlainText(before)
        box.moveCursor(QTextCursor.MoveOperation.End)
        qtbot.keyClicks(box, f"07 ACAD EM1C {check} ")
        assert box.toPlainText() == before + f"07 ACAD EM1C {check} ", before
        assert box.report.lines.get(7) == "ACADEM1C", before
    # a second line on the row of the first, as a text copy runs them
    row = f"01 K7P2 9XQ4 {chunk_checks(1, 'K7P29XQ4')}   "
    box.setPlainText(row)
    box.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(box, "12 ACAD ")
    assert box.toPlainText() == row + "12 ACAD "
    for before, typed, completed in (
        ("acid acne\n", "DATA ", "DATA "),  # the heading typed by hand, not "DATABASE"
        ("", "12 acad ", "12 academic "),
        ("WORDS\n", "1 acad ", "1 academic "),
        ("1. acid   2. ", "acne acad ", "acne academic "),
    ):
        box.setPlainText(before)
        box.moveCursor(QTextCursor.MoveOperation.End)
        qtbot.keyClicks(box, typed)
        assert box.toPlainText() == before + completed, before


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_a_sheet_copied_column_by_column_is_said_plainly(qtbot: Any, tmp_path: Path) -> None:
    """Text copied the way plain pdftotext reads a sheet (columns one after another) cannot be
    put back together: the box says what happened and how to copy it, and keeps the text."""
    sset = split_credential(
        b"pr0d-DB-r00t: correct horse battery staple",
        policy=Policy.simple(2, 3),
        label="prod-db root",
        custodians=[Custodian("Ana Ruiz", "on-call"), Custodian("Ben Okafor", "on-call")],
    )
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(share_sheet_pdf(sset.shares[0], SheetOptions(appendix=False)))
    plain = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    wizard, flow = _wizard(qtbot)
    page = wizard.collect_page
    page.type_button.click()
    page.typed.setPlainText(plain)
    said = page.typed.status.text()
    assert said.startswith("The words and DATA lines are out of order"), said
    assert "pdftotext -layout" in said
    page.add_typed.click()
    assert flow.collector.accepted == [] and page.typed.toPlainText() == plain
    OUT.mkdir(exist_ok=True)
    wizard.resize(1100, 760)
    qtbot.wait(100)
    wizard.grab().save(str(OUT / "typed-share-columns-apart.png"))
