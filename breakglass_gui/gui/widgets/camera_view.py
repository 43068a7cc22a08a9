"""A camera (or photo) view that outlines the QR codes found in the frame.

Frames are numpy ``uint8`` arrays (grey ``HxW`` or BGR ``HxWx3``), as the scan module's
frame sources give them; outlines are quadrilaterals in frame pixels. The view keeps only a
scaled ``QPixmap`` of the last frame and drops it on ``clear()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["CameraView", "frame_to_image"]


def frame_to_image(frame: Any) -> QImage:
    """A deep-copied QImage of a numpy frame (grey, BGR or BGRA)."""
    arr = np.ascontiguousarray(frame)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8)
    else:
        if arr.shape[2] == 4:
            arr = np.ascontiguousarray(arr[:, :, :3])
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_BGR888)
    return img.copy()


class CameraView(QWidget):
    """Shows the last frame scaled to fit, each code read outlined: the first ``good`` (shares)
    in green, the others (codes that are not shares) in amber."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraView")
        self.setAccessibleName("Camera view")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self._frame_size = QSize()
        self._quads: list[list[tuple[float, float]]] = []
        self._good = 0
        self.frames_shown = 0

    def sizeHint(self) -> QSize:
        return QSize(400, 300)

    def show_frame(self, frame: Any, quads: Sequence[Any] = (), good: int | None = None) -> None:
        image = frame_to_image(frame)
        self._frame_size = image.size()
        target = self.size() if self.width() > 10 else QSize(400, 300)
        scaled = image.scaled(
            target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
        )
        self._pixmap = QPixmap.fromImage(scaled)
        self._quads = [[(float(x), float(y)) for x, y in q] for q in quads if q is not None]
        self._good = len(self._quads) if good is None else good
        self.frames_shown += 1
        image.fill(0)
        self.update()

    def clear(self) -> None:
        self._pixmap = None
        self._quads = []
        self.update()

    @property
    def has_picture(self) -> bool:
        return self._pixmap is not None and not self._pixmap.isNull()

    @property
    def outlines(self) -> int:
        return len(self._quads)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 30, 30))
        if self._pixmap is None:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No picture")
            p.end()
            return
        pm = self._pixmap
        x0 = (self.width() - pm.width()) / 2
        y0 = (self.height() - pm.height()) / 2
        p.drawPixmap(int(x0), int(y0), pm)
        if self._frame_size.width():
            scale = pm.width() / self._frame_size.width()
            for i, quad in enumerate(self._quads):
                colour = QColor(0, 220, 90) if i < self._good else QColor(255, 176, 0)
                p.setPen(QPen(colour, 3))
                poly = QPolygonF([QPointF(x0 + x * scale, y0 + y * scale) for x, y in quad])
                p.drawPolygon(poly)
        p.end()
