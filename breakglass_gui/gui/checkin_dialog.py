""" "Check in a share": a custodian shows that their share still exists and is intact.

The custodian holds their sheet to the camera, or the host loads a photo of it, or the share is
typed from the sheet. Each share is checked on its own (its checksums and its proof of
membership in its set; nothing is reconstructed), looked up in the registry (an unknown or a
retired set is named and nothing is checked in), and recorded in the audit log as a check-in:
"share k of set F present and intact". The main window's "not checked in for a year" status
follows at once (``checked_in`` is emitted after each recorded check-in).

Frames are read and decoded off the GUI thread (``CameraWorker``); share texts are handed to
the check-in desk as soon as they are read and never kept; frames are overwritten when done.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.gui.widgets.share_input import ShareInputNames, share_input_box

from .reconstruct_wizard_collect import (
    CameraWorker,
    FrameDecoder,
    _texts_and_quads,
    default_decoder,
    wipe_frame,
)
from .services import CameraOption, CheckinDesk, CheckinResult, Services
from .widgets.camera_view import CameraView

__all__ = ["CheckinDesk", "CheckinDialog", "CheckinResult"]

OK_STYLE = "color: #1b5e20; font-weight: bold;"
BAD_STYLE = "color: #b00020; font-weight: bold;"
PART_STYLE = "color: #8a5a00;"


class _CallableDecoder:
    """``services.decode`` (frame -> [(text, quad)]) as a decoder object."""

    def __init__(self, services: Services) -> None:
        self._fn = services.decode

    def decode(self, frame: Any) -> Sequence[Any]:
        assert self._fn is not None
        return list(self._fn(frame))


class CheckinDialog(QDialog):
    """Scan, load or type one share after another; each recorded check-in emits ``checked_in``."""

    checked_in = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if services.new_checkin is None:
            raise ValueError("these services offer no check-in desk")
        self.services = services
        self.desk: CheckinDesk = services.new_checkin()
        self.decoder: FrameDecoder = (
            _CallableDecoder(services) if services.decode is not None else default_decoder()
        )
        self.cameras: list[CameraOption] = []
        self.worker: CameraWorker | None = None
        self._last_frame: Any = None
        self.setObjectName("checkinDialog")
        self.setWindowTitle("Check in a share — Breakglass")

        intro = QLabel(
            "A custodian shows their sheet to the camera, or you load a photo of it, or type "
            "it. The share is checked on its own — nothing is reconstructed and nothing secret "
            "is shown — and the check-in is recorded in the audit log.",
            self,
        )
        intro.setWordWrap(True)

        self.by = QLineEdit(services.operator, self)
        self.by.setObjectName("checkedBy")
        self.by.setAccessibleName("Checked in by")
        self.by.setPlaceholderText("your name")
        self.by.setMaximumWidth(self.by.fontMetrics().horizontalAdvance("M") * 28)
        form = QFormLayout()
        form.addRow("Checked in &by:", self.by)

        self.view = CameraView(self)
        self.view.setMinimumSize(360, 260)
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("checkinCameraChooser")
        self.chooser.setAccessibleName("Camera")
        self.camera_button = QPushButton("Start &camera", self)
        self.camera_button.setObjectName("checkinCameraButton")
        self.camera_button.setAccessibleName("Start or stop the camera")
        self.camera_button.clicked.connect(self._toggle_camera)
        inputs = share_input_box(
            self,
            title="Camera or photo",
            picture=self.view,
            chooser=self.chooser,
            camera_button=self.camera_button,
            names=ShareInputNames(
                "checkinLoadImage", "checkinTypeShare", "checkinTyped", "checkinCheckTyped"
            ),
            load_text="&Load image…",
            type_text="&Type share…",
            submit_text="Check the typed share",
            on_load=self._choose_image,
            on_submit=self.submit_typed,
        )
        camera_box = inputs.box
        self.load_button = inputs.load_button
        self.type_button = inputs.type_button
        self.typed = inputs.typed
        self.check_typed = inputs.submit

        self.outcome_label = QLabel("Show a share.", self)
        self.outcome_label.setObjectName("checkinResult")
        self.outcome_label.setAccessibleName("Result of the last check")
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.outcome_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.outcome_label.setFont(font)
        self.done_list = QListWidget(self)
        self.done_list.setObjectName("checkedInList")
        self.done_list.setAccessibleName("Shares checked in during this session")
        self.done_list.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.outcome_label)
        side.addWidget(QLabel("Checked in now:", self))
        side.addWidget(self.done_list, 1)

        body = QHBoxLayout()
        body.addWidget(camera_box, 3)
        body.addLayout(side, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.resize(960, 600)
        self.list_cameras()

    # -- cameras -------------------------------------------------------------------------------
    def list_cameras(self) -> list[CameraOption]:
        """Fill the chooser from the services; no camera is said calmly, not as an error."""
        try:
            self.cameras = list(self.services.cameras()) if self.services.cameras else []
        except (OSError, BreakglassError):
            self.cameras = []
        self.chooser.clear()
        for option in self.cameras:
            self.chooser.addItem(option.name)
        if not self.cameras:
            self.chooser.addItem("No camera found — load a photo or type the share")
        self.chooser.setEnabled(len(self.cameras) > 1)
        self.camera_button.setEnabled(bool(self.cameras))
        return self.cameras

    def _toggle_camera(self) -> None:
        if self.worker is not None:
            self.stop_camera()
        else:
            self.start_camera(self.chooser.currentIndex())

    def start_camera(self, index: int = 0) -> bool:
        if self.worker is not None or not 0 <= index < len(self.cameras):
            return False
        option = self.cameras[index]
        try:
            source = option.open()
        except Exception as exc:  # no such device, no permission, a test double refused
            self._say(f"{option.name} cannot be used: {exc}. Load a photo or type the share.", "")
            return False
        worker = CameraWorker(source, self.decoder)
        worker.ready.connect(self._frames_ready)
        worker.stopped.connect(self._camera_stopped)
        self.worker = worker
        self.camera_button.setText("Stop &camera")
        worker.start()
        return True

    def stop_camera(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.ready.disconnect(self._frames_ready)
            worker.stop()
        self.camera_button.setText("Start &camera")

    def _camera_stopped(self, reason: str) -> None:
        if self.worker is not None and reason:
            self._say(f"The camera stopped: {reason}. Load a photo or type the share.", "")
        self.stop_camera()

    def _frames_ready(self) -> None:
        worker = self.worker
        if worker is None:
            return
        batch = worker.take()
        for _frame, texts, _quads in batch:
            if not texts:
                self.desk.no_code_seen("camera")
            for text in texts:
                self.offer(text, "camera")
            texts.clear()
        if batch:
            frame, _texts, quads = batch[-1]
            self.view.show_frame(frame, quads)
            for old, _t, _q in batch[:-1]:
                wipe_frame(old)
            if self._last_frame is not None and self._last_frame is not frame:
                wipe_frame(self._last_frame)
            self._last_frame = frame

    # -- photos and typing ----------------------------------------------------------------------
    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Photo or scan of a share sheet", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_image(Path(path))

    def load_image(self, path: Path) -> list[CheckinResult]:
        """Check in every share code found in a photo; an unreadable photo says so."""
        import cv2  # noqa: PLC0415 - loaded on first use

        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            self._say(f"Could not read {path.name} as an image.", BAD_STYLE)
            return []
        try:
            texts, quads = _texts_and_quads(self.decoder.decode(frame))
            self.view.show_frame(frame, quads)
            self.desk.no_code_seen("image")
            if not texts:
                self._say(
                    f"No share code found in {path.name}: retake the photo flat and sharp, or "
                    "type the share.",
                    BAD_STYLE,
                )
                return []
            out = [self.offer(t, "image") for t in texts]
            texts.clear()
            return out
        finally:
            wipe_frame(frame)

    def submit_typed(self) -> CheckinResult | None:
        text = self.typed.toPlainText()
        self.typed.clear()  # also drops the undo history
        if not text.strip():
            return None
        outcome = self.offer(text, "typed")
        del text
        return outcome

    # -- results --------------------------------------------------------------------------------
    def offer(self, text: str, source: str) -> CheckinResult:
        self.desk.by = self.by.text().strip() or None
        outcome = self.desk.offer_text(text, source)
        if outcome.repeat:
            return outcome
        if outcome.kind == "checked-in":
            self._say("✔ " + outcome.message, OK_STYLE)
            self.done_list.addItem("✔ " + outcome.message.split(". Recorded")[0])
            self.checked_in.emit()
        elif outcome.ok:
            self._say(outcome.message, OK_STYLE)
        elif outcome.kind == "part":
            self._say(outcome.message, PART_STYLE)
        else:
            self._say("✘ " + outcome.message, BAD_STYLE)
        return outcome

    def _say(self, text: str, style: str) -> None:
        self.outcome_label.setStyleSheet(style)
        self.outcome_label.setText(text)

    # -- close ------------------------------------------------------------------------------------
    def wipe(self) -> None:
        """Stop the camera, overwrite the last frame, drop typed text and partial codes."""
        self.stop_camera()
        if self._last_frame is not None:
            wipe_frame(self._last_frame)
            self._last_frame = None
        self.view.clear()
        self.typed.clear()
        self.desk.clear()

    def done(self, result: int) -> None:
        self.wipe()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wipe()
        super().closeEvent(event)
