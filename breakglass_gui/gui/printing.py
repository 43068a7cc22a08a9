"""The system print dialog: printer, copies, paper size, through Qt on Linux, Windows and macOS.

The PDFs are made by ``paper`` (vector, reproducible). To print them through ``QPrinter``
each page is rendered by pypdfium2 at min(printer resolution, 600 dpi), one page at a time,
painted onto the printer's page (fitted, centred, aspect kept) and the image dropped before
the next page: a share sheet never lies in memory as more than one page image.

Only a document painted onto a printer whose job ended without error counts as "printed";
the caller marks it so. ``lp`` (CUPS) stays for the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

__all__ = ["MAX_DPI", "ask_printer", "print_pdfs", "render_dpi"]

MAX_DPI = 600


def render_dpi(printer: QPrinter) -> int:
    """The resolution the pages are rendered at: the printer's, at most 600 dpi."""
    return max(72, min(int(printer.resolution()), MAX_DPI))


def ask_printer(parent: QWidget | None, title: str) -> QPrinter | None:
    """The system print dialog (printer, copies, paper size); None if the host cancels."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return None
    return printer


def print_pdfs(
    printer: QPrinter,
    pdfs: Sequence[bytes],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Paint every page of ``pdfs`` onto ``printer`` (one job); return the pages printed.

    Raises ``RuntimeError`` if the printer cannot be opened or the job fails.
    """
    import pypdfium2 as pdfium  # noqa: PLC0415 - loaded when printing, not at start-up

    dpi = render_dpi(printer)
    painter = QPainter()
    if not painter.begin(printer):
        raise RuntimeError("the printer could not be opened")
    pages = 0
    total = 0
    docs = [pdfium.PdfDocument(data) for data in pdfs]
    try:
        total = sum(len(d) for d in docs)
        for doc in docs:
            for i in range(len(doc)):
                if pages and not printer.newPage():
                    raise RuntimeError("the printer refused a new page")
                page = doc[i]
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                array = bitmap.to_numpy()
                h, w = array.shape[:2]
                image = QImage(
                    array.data, w, h, int(array.strides[0]), QImage.Format.Format_Grayscale8
                )
                target = painter.viewport()
                scale = min(target.width() / w, target.height() / h)
                dw, dh = w * scale, h * scale
                painter.drawImage(
                    QRectF((target.width() - dw) / 2, (target.height() - dh) / 2, dw, dh), image
                )
                del image
                array[...] = 255  # the page image held share material: overwrite it
                bitmap.close()
                page.close()
                pages += 1
                if progress is not None:
                    progress(pages, total)
    finally:
        painter.end()
        for doc in docs:
            doc.close()
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise RuntimeError("the print job failed")
    return pages
