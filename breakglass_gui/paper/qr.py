"""Vector QR codes drawn from ``qrcode``'s module matrix.

Share texts are "BG1" followed by digits; encoding them as an alphanumeric segment and a
numeric segment (3 digits in 10 bits) keeps the biggest single record at version 12 with
error correction M. Modules are drawn as one filled path of row runs (no hairline seams
when rasterised), with the full 4-module quiet zone left white.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, MODE_NUMBER, QRData
from reportlab.pdfgen.canvas import Canvas

from .document import mm

__all__ = ["MAX_MODULE", "MIN_MODULE", "QUIET_ZONE", "QrCode", "make_qr"]

QUIET_ZONE = 4
MAX_MODULE = 1.0 * mm  # a 720p webcam at 25-40 cm reads 1 mm modules comfortably
MIN_MODULE = 0.6 * mm  # never print smaller than this


@dataclass(frozen=True)
class QrCode:
    version: int
    matrix: tuple[tuple[bool, ...], ...]  # dark modules, without the quiet zone

    @property
    def modules(self) -> int:
        """Width in modules including the quiet zone on both sides."""
        return len(self.matrix) + 2 * QUIET_ZONE

    def module_size(self, room: float) -> float:
        """Module size (points) that fits ``room``, capped at 1 mm; raises below 0.6 mm."""
        size = min(MAX_MODULE, room / self.modules)
        if size < MIN_MODULE - 1e-9:
            raise ValueError(
                f"a version-{self.version} QR code needs {self.modules * MIN_MODULE / mm:.0f} mm; "
                f"only {room / mm:.0f} mm available"
            )
        return size

    def draw(self, c: Canvas, x: float, y: float, module: float) -> float:
        """Draw with the lower-left corner of the quiet zone at (x, y); return the width."""
        side = self.modules * module
        c.saveState()
        c.setFillColorRGB(1, 1, 1)
        c.rect(x, y, side, side, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        path = c.beginPath()
        n = len(self.matrix)
        for r, row in enumerate(self.matrix):
            top = y + side - (QUIET_ZONE + r + 1) * module
            start = None
            for col in range(n + 1):
                dark = col < n and row[col]
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    path.rect(
                        x + (QUIET_ZONE + start) * module, top, (col - start) * module, module
                    )
                    start = None
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()
        return side


def make_qr(text: str) -> QrCode:
    """The QR code of a share text (or any text), error correction M."""
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    if text[:3].isalnum() and text[:3].isupper() and text[3:].isdigit():
        q.add_data(QRData(text[:3].encode(), mode=MODE_ALPHA_NUM))
        q.add_data(QRData(text[3:].encode(), mode=MODE_NUMBER))
    else:
        q.add_data(QRData(text.encode(), mode=MODE_8BIT_BYTE))
    q.make(fit=True)
    matrix = tuple(tuple(bool(m) for m in row) for row in q.get_matrix())
    return QrCode(int(q.version), matrix)
