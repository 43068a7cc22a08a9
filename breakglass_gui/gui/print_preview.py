"""See a document's pages before printing them: one page at a time, rendered by pypdfium2.

The preview renders only the page on screen, at the dialog's size (about screen resolution),
from the same PDF bytes that go to the printer. The page image holds share material on a
custodian's sheet: pdfium's pixel buffer is overwritten once Qt has its own copy; Qt's copy
(the shown pixmap) is dropped, not overwritten, when the page changes or the dialog closes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .geometry import fit_and_centre

__all__ = ["PdfPreview"]

#: Never render a preview page finer than this (the printer path has its own resolution).
PREVIEW_MAX_DPI = 150


class PdfPreview(QDialog):
    """A PDF's pages, one at a time, with Previous / Next, Print… and Close.

    ``exec()`` returns ``PRINT`` when the host pressed Print… (the caller then opens the print
    dialog), else ``Rejected``.
    """

    PRINT = 2

    def __init__(self, data: bytes, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pypdfium2 as pdfium  # noqa: PLC0415 - loaded when previewing

        self.setObjectName("pdfPreview")
        self.setWindowTitle(f"Preview: {title}")
        self._doc: pdfium.PdfDocument | None = pdfium.PdfDocument(data)
        self.page_count = len(self._doc)
        self.index = 0
        self.scale = 1.0

        self.page_label = QLabel()
        self.page_label.setObjectName("previewPage")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_label.setAccessibleName("Page preview")
        self.area = QScrollArea()
        self.area.setWidget(self.page_label)
        self.area.setWidgetResizable(True)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.where = QLabel()
        self.where.setObjectName("previewWhere")
        self.prev_button = QPushButton("< &Previous page")
        self.prev_button.setObjectName("previewPrevious")
        self.prev_button.clicked.connect(lambda: self.show_page(self.index - 1))
        self.next_button = QPushButton("Ne&xt page >")
        self.next_button.setObjectName("previewNext")
        self.next_button.clicked.connect(lambda: self.show_page(self.index + 1))
        self.print_button = QPushButton("P&rint…")
        self.print_button.setObjectName("previewPrint")
        self.print_button.setAccessibleName("Print this document")
        self.print_button.clicked.connect(lambda: self.done(self.PRINT))
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("previewClose")
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence(Qt.Key.Key_PageDown), self, lambda: self.show_page(self.index + 1))
        QShortcut(QKeySequence(Qt.Key.Key_PageUp), self, lambda: self.show_page(self.index - 1))

        row = QHBoxLayout()
        row.addWidget(self.prev_button)
        row.addWidget(self.where, 1, Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.next_button)
        row.addSpacing(24)
        row.addWidget(self.print_button)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.area, 1)
        layout.addLayout(row)
        self._fitted = QSize()
        self.area.viewport().installEventFilter(self)
        fit_and_centre(self, parent, 760, 960)
        self.close_button.setDefault(True)
        self.show_page(0)

    def show_page(self, index: int) -> None:
        """Render page ``index`` (0-based) to fit the view; out-of-range does nothing."""
        if self._doc is None or not 0 <= index < self.page_count:
            return
        self.index = index
        page = self._doc[index]
        try:
            width_pt, height_pt = page.get_size()
            view = self.area.viewport().size()
            fit = min(
                max(view.width() - 4, 200) / width_pt, max(view.height() - 4, 200) / height_pt
            )
            scale = min(fit, PREVIEW_MAX_DPI / 72) * self.devicePixelRatioF()
            self.scale = scale  # points to pixels, as last rendered
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                array = bitmap.to_numpy()
                h, w = array.shape[:2]
                image = QImage(
                    array.data, w, h, int(array.strides[0]), QImage.Format.Format_Grayscale8
                )
                own = image.copy()  # Qt's own pixels: the pixmap may share, not copy, them
                del image
                array[...] = 255  # pdfium's page image held share material: overwrite it
                pixmap = QPixmap.fromImage(own)
                del own
            finally:
                bitmap.close()
        finally:
            page.close()
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        self.page_label.setPixmap(pixmap)
        self.where.setText(f"Page {index + 1} of {self.page_count}")
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index + 1 < self.page_count)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.area.viewport() and event.type() == QEvent.Type.Resize:
            size = self.area.viewport().size()
            if size != self._fitted:
                self._fitted = size
                self.show_page(self.index)  # fit the page to the new size
        return super().eventFilter(watched, event)

    def done(self, result: int) -> None:
        self.page_label.clear()
        if self._doc is not None:
            self._doc.close()
            self._doc = None
        super().done(result)
