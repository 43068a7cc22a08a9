"""The "Collect shares" page: camera preview with the code outlined, quorum status, alternatives.

Frames are read and decoded on a worker thread (:class:`CameraWorker`). The worker never
emits frames or texts through a signal: it leaves them in a locked slot and emits a bare
``ready()``; the page, on the GUI thread, takes them, offers every decoded text to the flow
(which parses it and keeps only the ``Share``), paints the preview, and drops the text.

No camera is not an error: the chooser says so and "Load image" and "Type share" remain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import FrameSource
from breakglass_gui.ceremony.reconstruct_flow import Offer, OfferKind, ReconstructFlow
from breakglass_gui.gui.widgets.share_input import ShareInputNames, share_input_box
from breakglass_gui.scan import decoders

from .wizard_frame import WizardPage

__all__ = ["CameraChoice", "CameraWorker", "CollectPage", "FrameDecoder", "default_decoder"]

Quad = tuple[tuple[float, float], ...]


class FrameDecoder(Protocol):
    def decode(self, frame: Any) -> Sequence[Any]:
        """Codes found in ``frame``: objects with ``.text`` (and ``.quad``), or plain texts."""
        ...


@dataclass(frozen=True)
class CameraChoice:
    """One entry of the camera chooser: a name and how to open it."""

    name: str
    open: Callable[[], FrameSource]


def default_decoder() -> FrameDecoder:
    """The scan layer's best available QR decoder."""
    if decoders.zxing_available():
        return decoders.ZxingDecoder()
    return decoders.OpenCVDecoder()


def _texts_and_quads(found: Iterable[Any]) -> tuple[list[str], list[Quad]]:
    texts: list[str] = []
    quads: list[Quad] = []
    for item in found:
        if isinstance(item, str):
            texts.append(item)
            continue
        if isinstance(item, tuple):  # (text, quad)
            texts.append(item[0])
            if item[1] is not None and len(item[1]):
                quads.append(tuple((float(x), float(y)) for x, y in item[1]))
            continue
        texts.append(item.text)
        quad = getattr(item, "quad", None)
        if quad:
            quads.append(tuple(quad))
    return texts, quads


def frame_to_image(frame: Any) -> QImage:
    """A QImage copy of a grey or BGR numpy frame."""
    arr = np.ascontiguousarray(frame)
    if arr.ndim == 2:
        h, w = arr.shape
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8)
    else:
        h, w = arr.shape[:2]
        if arr.shape[2] == 4:
            arr = np.ascontiguousarray(arr[:, :, :3])
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_BGR888)
    return img.copy()


def wipe_frame(frame: Any) -> None:
    """Overwrite a frame we hold (numpy arrays are writable unless marked otherwise)."""
    if isinstance(frame, np.ndarray) and frame.flags.writeable:
        frame.fill(0)


class CameraWorker(QObject):
    """Reads and decodes frames off the GUI thread; hands them over through a locked slot."""

    ready = Signal()
    stopped = Signal(str)  # "" when the source ran out, or a one-line reason

    def __init__(self, source: FrameSource, decoder: FrameDecoder) -> None:
        super().__init__()
        self.source = source
        self.decoder = decoder
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._room = threading.Semaphore(3)  # at most 3 frames waiting for the GUI
        self._pending: list[tuple[Any, list[str], list[Quad]]] = []
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self.frames_read = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        reason = ""
        try:
            for frame in self.source.frames():
                if self._stop.is_set():
                    break
                texts, quads = _texts_and_quads(self.decoder.decode(frame))
                while not self._room.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                with self._lock:
                    self._pending.append((frame, texts, quads))
                    self.frames_read += 1
                del frame, texts
                self.ready.emit()
        except Exception as exc:  # a camera unplugged mid-ceremony: say so, go on
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            if not self._stop.is_set():
                self.stopped.emit(reason)

    def take(self) -> list[tuple[Any, list[str], list[Quad]]]:
        with self._lock:
            out, self._pending = self._pending, []
        for _ in out:
            self._room.release()
        return out

    def stop(self) -> None:
        self._stop.set()
        try:
            self.source.close()
        finally:
            if self._thread.is_alive() and threading.current_thread() is not self._thread:
                self._thread.join(timeout=2.0)
            for frame, texts, _quads in self.take():
                wipe_frame(frame)
                texts.clear()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()


class CollectPage(WizardPage):
    """Step 2. ``offered`` is emitted after every offer (for tests and the wizard's buttons)."""

    step_id = "collect"
    offered = Signal()

    def __init__(
        self,
        flow: ReconstructFlow,
        *,
        cameras: Sequence[CameraChoice] = (),
        decoder: FrameDecoder | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self.cameras = list(cameras)
        self._decoder = decoder
        self.worker: CameraWorker | None = None
        self._last_frame: Any = None
        self.first_frame_at: float | None = None

        self.preview = QLabel("Camera off", self)
        self.preview.setObjectName("cameraPreview")
        self.preview.setAccessibleName("Camera preview")
        self.preview.setMinimumSize(400, 300)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #202020; color: #dddddd;")
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("cameraChooser")
        self.chooser.setAccessibleName("Camera")
        self.camera_button = QPushButton("Start camera", self)
        self.camera_button.setObjectName("cameraButton")
        self.camera_button.clicked.connect(self._toggle_camera)
        if self.cameras:
            for cam in self.cameras:
                self.chooser.addItem(cam.name)
        else:
            self.chooser.addItem("No camera found — use Load image or Type share")
            self.chooser.setEnabled(False)
            self.camera_button.setEnabled(False)

        self.status = QLabel(self)
        self.status.setObjectName("quorumStatus")
        font = self.status.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.status.setFont(font)
        self.status.setWordWrap(True)
        self.accepted = QListWidget(self)
        self.accepted.setObjectName("acceptedShares")
        self.accepted.setAccessibleName("Accepted shares")
        self.message = QLabel(self)
        self.message.setObjectName("shareMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refused = QListWidget(self)
        self.refused.setObjectName("refusedShares")
        self.refused.setAccessibleName("Refused shares")
        self.refused.setMaximumHeight(110)
        self.refused.setWordWrap(True)

        inputs = share_input_box(
            self,
            title="Camera",
            picture=self.preview,
            chooser=self.chooser,
            camera_button=self.camera_button,
            names=ShareInputNames("loadImage", "typeShare", "typedShare", "addTypedShare"),
            load_text="Load image…",
            type_text="Type share…",
            submit_text="Add typed share",
            on_load=self._choose_image,
            on_submit=self.submit_typed,
        )
        camera_box = inputs.box
        self.load_button = inputs.load_button
        self.type_button = inputs.type_button
        self.typed = inputs.typed
        self.add_typed = inputs.submit

        side = QVBoxLayout()
        side.addWidget(self.status)
        side.addWidget(QLabel("Accepted shares (custodian, role):", self))
        side.addWidget(self.accepted, 1)
        side.addWidget(self.message)
        side.addWidget(QLabel("Refused:", self))
        side.addWidget(self.refused)

        grid = QGridLayout(self)
        grid.addWidget(camera_box, 0, 0)
        grid.addLayout(side, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        flow.wipe_listeners.append(self._on_wipe)
        self.refresh()

    # -- the page contract ------------------------------------------------------------------------
    def enter(self) -> None:
        self.refresh()
        if self.cameras and self.worker is None:
            self.start_camera(self.chooser.currentIndex())

    def leave(self) -> None:
        self.stop_camera()

    def has_input(self) -> bool:
        return bool(self.flow.collector.accepted) or bool(self.typed.toPlainText().strip())

    # -- decoder ----------------------------------------------------------------------------------
    @property
    def decoder(self) -> FrameDecoder:
        if self._decoder is None:
            self._decoder = default_decoder()
        return self._decoder

    # -- offers -----------------------------------------------------------------------------------
    def offer(self, text: str, source: str) -> Offer:
        outcome = self.flow.offer_text(text, source)
        if not outcome.repeat:
            self._show(outcome)
        self.offered.emit()
        return outcome

    def _show(self, outcome: Offer) -> None:
        if outcome.kind is OfferKind.REFUSED:
            self.message.setStyleSheet("color: #b00020; font-weight: bold;")
            self.refused.addItem(outcome.message)
            self.refused.scrollToBottom()
        elif outcome.kind is OfferKind.PART:
            self.message.setStyleSheet("color: #8a5a00;")
        else:
            self.message.setStyleSheet("color: #1b5e20; font-weight: bold;")
        self.message.setText(outcome.message)
        self.refresh()

    def refresh(self) -> None:
        reached, status = self.flow.collector.status()
        parts = self.flow.collector.parts_in_progress()
        self.status.setText(status + ("\n" + "; ".join(parts) if parts else ""))
        self.status.setStyleSheet("color: #1b5e20;" if reached else "")
        self.accepted.clear()
        for a in self.flow.collector.accepted:
            self.accepted.addItem(f"✔ {a.share.holder} — share {a.share.number} ({a.source})")

    def submit_typed(self) -> None:
        text = self.typed.toPlainText()
        self.typed.clear()  # also drops the undo history
        if text.strip():
            self.offer(text, "typed")
        del text

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load a photo or scan of a share", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_image(Path(path))

    def load_image(self, path: Path) -> list[Offer]:
        """Decode every code in an image file and offer it. Unreadable files say so."""
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(f"Could not read {path.name} as an image.")
            return []
        try:
            texts, _quads = _texts_and_quads(self.decoder.decode(frame))
            self.flow.collector.no_code_seen("image")
            if not texts:
                self.message.setStyleSheet("color: #b00020;")
                self.message.setText(f"No share code found in {path.name}.")
                return []
            out = [self.offer(t, "image") for t in texts]
            texts.clear()
            return out
        finally:
            wipe_frame(frame)

    # -- camera -----------------------------------------------------------------------------------
    def _toggle_camera(self) -> None:
        if self.worker is not None:
            self.stop_camera()
        else:
            self.start_camera(self.chooser.currentIndex())

    def start_camera(self, index: int = 0) -> bool:
        if not self.cameras or self.worker is not None:
            return False
        choice = self.cameras[index]
        try:
            source = choice.open()
        except Exception as exc:  # no such device, permission denied, test double refused
            self.preview.setText(f"{choice.name}: {exc}. Use Load image or Type share.")
            return False
        self.worker = CameraWorker(source, self.decoder)
        self.worker.ready.connect(self._frames_ready)
        self.worker.stopped.connect(self._camera_stopped)
        self.camera_button.setText("Stop camera")
        self.preview.setText("Starting camera…")
        self.worker.start()
        return True

    def stop_camera(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.ready.disconnect(self._frames_ready)
            worker.stop()
        self.camera_button.setText("Start camera")

    def _camera_stopped(self, reason: str) -> None:
        if self.worker is not None and reason:
            self.preview.setText(f"The camera stopped: {reason}. Use Load image or Type share.")
        self.stop_camera()

    def _frames_ready(self) -> None:
        worker = self.worker
        if worker is None:
            return
        batch = worker.take()
        for _frame, texts, _quads in batch:
            if not texts:
                self.flow.collector.no_code_seen("camera")
            for text in texts:
                if self.flow.wizard.current != "collect":
                    break
                self.offer(text, "camera")
            texts.clear()
        if batch:
            frame, _texts, quads = batch[-1]
            self._paint_preview(frame, quads)
            for old, _t, _q in batch[:-1]:
                wipe_frame(old)
            if self._last_frame is not None and self._last_frame is not frame:
                wipe_frame(self._last_frame)
            self._last_frame = frame
        del batch

    def _paint_preview(self, frame: Any, quads: Sequence[Quad]) -> None:
        image = frame_to_image(frame)
        pix = QPixmap.fromImage(image)
        painter = QPainter(pix)
        pen = QPen(QColor(0, 200, 83))
        pen.setWidth(max(3, pix.width() // 160))
        painter.setPen(pen)
        for quad in quads:
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in quad]))
        painter.end()
        size = self.preview.size()
        self.preview.setPixmap(
            pix.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )
        image.fill(0)

    # -- wipe -------------------------------------------------------------------------------------
    def _on_wipe(self, reason: str) -> None:
        self.stop_camera()
        if self._last_frame is not None:
            wipe_frame(self._last_frame)
            self._last_frame = None
        self.preview.setPixmap(QPixmap())
        self.preview.setText("Camera off")
        self.typed.clear()
        self.accepted.clear()
        self.refresh()

    def detach(self) -> None:
        self.stop_camera()
        if self._on_wipe in self.flow.wipe_listeners:
            self.flow.wipe_listeners.remove(self._on_wipe)
