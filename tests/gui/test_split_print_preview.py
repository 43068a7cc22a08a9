"""Print preview on the split wizard's print page: the host sees every page of the selected
document (rendered one at a time from the very PDF that is printed) before printing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_split_wizard import fill_to_review, open_wizard

pytestmark = pytest.mark.gui

OUT = Path(__file__).parent / "out"


def _pixels(dialog: Any) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = dialog.page_label.pixmap().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(h, image.bytesPerLine())[:, :w].copy()  # before the image is freed


def test_preview_shows_every_page_then_prints(qtbot: Any, gui_services: Any) -> None:
    import pypdfium2 as pdfium

    spooled: list[tuple[str, bytes]] = []
    gui_services.printers = lambda: ["Safe-Room"]
    gui_services.print_pdf = lambda printer, pdf: spooled.append((printer, pdf))
    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    assert printing.preview_button.isEnabled()
    printing.table.setCurrentCell(0, 0)
    printing.preview_button.click()
    qtbot.waitUntil(lambda: printing.preview is not None, timeout=20000)
    dialog = printing.preview
    expected = len(pdfium.PdfDocument(wizard.ceremony.render_document("share-1")))
    assert expected >= 2  # the sheet and its recovery appendix
    assert dialog.page_count == expected
    assert dialog.where.text() == f"Page 1 of {expected}"
    assert not dialog.prev_button.isEnabled() and dialog.next_button.isEnabled()
    page1 = _pixels(dialog)
    OUT.mkdir(exist_ok=True)
    dialog.grab().save(str(OUT / "split-print-preview-1.png"))
    assert page1.min() < 64 and page1.mean() > 128  # ink on paper, not a blank or black box

    # the preview is the sheet itself: the same pixels as page 1 of the sheet's PDF rendered
    # at that size, and unlike page 1 of the next custodian's sheet
    def reference(doc_id: str) -> np.ndarray:
        page = pdfium.PdfDocument(wizard.ceremony.render_document(doc_id))[0]
        return page.render(scale=dialog.scale, grayscale=True).to_numpy()

    def distance(a: np.ndarray, b: np.ndarray) -> float:
        h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        return float(np.abs(a[:h, :w].astype(int) - b[:h, :w].astype(int)).mean())

    same, other = distance(page1, reference("share-1")), distance(page1, reference("share-2"))
    assert same < 2 < other, (same, other)
    for k in range(2, expected + 1):
        dialog.next_button.click()
        assert dialog.where.text() == f"Page {k} of {expected}"
        assert not np.array_equal(_pixels(dialog), page1)
    assert not dialog.next_button.isEnabled() and dialog.prev_button.isEnabled()
    dialog.grab().save(str(OUT / "split-print-preview-last.png"))
    assert not wizard.ceremony.document("share-1").done  # seeing is not printing
    dialog.print_button.click()  # on to the print path
    qtbot.waitUntil(lambda: wizard.ceremony.document("share-1").done, timeout=20000)
    assert printing.preview is None
    assert spooled and spooled[0][0] == "Safe-Room"
    assert wizard.ceremony.document("share-1").emitted == ["printed on Safe-Room"]


def test_preview_of_the_runbook_and_closing_prints_nothing(qtbot: Any, gui_services: Any) -> None:
    import pypdfium2 as pdfium

    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    docs = wizard.ceremony.documents
    row = next(i for i, d in enumerate(docs) if d.id == "runbook")
    printing.table.setCurrentCell(row, 0)
    printing.preview_selected()
    qtbot.waitUntil(lambda: printing.preview is not None, timeout=20000)
    dialog = printing.preview
    assert dialog.page_count == len(pdfium.PdfDocument(wizard.ceremony.render_document("runbook")))
    assert dialog.windowTitle() == f"Preview: {docs[row].title}"
    dialog.close_button.click()
    assert printing.preview is None
    assert not wizard.ceremony.document("runbook").done
    assert dialog.page_label.pixmap().isNull()  # the page image is dropped on close


def test_the_print_page_proposes_a_removable_drive(
    qtbot: Any, gui_services: Any, tmp_path: Path
) -> None:
    """No drive: Documents is proposed (and warned about); a stick plugged in and "Look
    again": the stick is proposed; a folder the host chose is never replaced."""
    from breakglass_gui.platform.removable import RemovableDrive

    drives: list[RemovableDrive] = []
    gui_services.removable_drives = lambda: list(drives)
    _window, wizard = open_wizard(qtbot, gui_services)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    fingerprint = wizard.ceremony.share_set.fingerprint_text
    assert "No removable drive is mounted" in printing.drives_note.text()
    assert "Documents" in printing.folder.text() or "Breakglass" in printing.folder.text()
    stick = Path("/media/dee/KEYS SAFE")
    drives.append(RemovableDrive(stick, "/dev/sdb1", "sdb", "vfat", usb=True))
    printing.look_button.click()
    assert printing.folder.text() == str(stick / "Breakglass" / f"prod-db-root-{fingerprint}")
    assert printing.drives_note.text() == (
        "Removable drive found: KEYS SAFE (/media/dee/KEYS SAFE). The first is proposed."
    )
    assert printing.risk.text() == ""  # a stick is where the sheets should go
    OUT.mkdir(exist_ok=True)
    wizard.grab().save(str(OUT / "split-print-drive.png"))
    chosen = tmp_path / "chosen"
    printing.folder.setText(str(chosen))
    drives.insert(0, RemovableDrive(Path("/media/dee/OTHER"), "/dev/sdc1", "sdc", "exfat", True))
    printing.look_button.click()
    assert printing.folder.text() == str(chosen)  # the host's choice stays
    assert "Removable drives found: OTHER" in printing.drives_note.text()
    assert "Browse" in printing.drives_note.text()


def test_a_short_page_is_not_scrolled_as_tall_as_the_tallest(qtbot: Any, gui_services: Any) -> None:
    """The page stack is sized by the page shown: the print page's table stays in view even
    when another page (as the verify page with camera above list, when narrow) is taller."""
    from PySide6.QtWidgets import QLabel

    _window, wizard = open_wizard(qtbot, gui_services)
    wizard.show()
    wizard.resize(980, 672)
    tall = QLabel("a line of a page taller than the window\n" * 100)  # a hidden, tall page
    tall.setWordWrap(True)
    wizard.stack.addWidget(tall)
    fill_to_review(qtbot, wizard, preset="2of3")
    assert wizard.go_next()
    printing = wizard.pages["print"]
    viewport = wizard.page_scroll.viewport()
    assert tall.heightForWidth(viewport.width()) > viewport.height()  # the control
    qtbot.waitUntil(lambda: wizard.stack.height() == viewport.height())
    assert wizard.page_scroll.verticalScrollBar().maximum() == 0
    assert printing.table.visibleRegion().boundingRect().height() == printing.table.height()
