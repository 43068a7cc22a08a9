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

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.typed_share import is_qr_text
from breakglass_gui.gui.widgets.share_input import ShareInputNames, share_input_box

from .camera import CameraPanel, sheet_left_view
from .geometry import fit_and_centre
from .services import CheckinDesk, CheckinResult, Services

__all__ = ["CheckinDesk", "CheckinDialog", "CheckinResult"]

OK_STYLE = "color: #1b5e20; font-weight: bold;"
BAD_STYLE = "color: #b00020; font-weight: bold;"
PART_STYLE = "color: #8a5a00;"


class CheckinDialog(QDialog):
    """Scan, load or type one share after another; each recorded check-in emits ``checked_in``."""

    checked_in = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if services.new_checkin is None:
            raise ValueError("these services offer no check-in desk")
        self.services = services
        self.desk: CheckinDesk = services.new_checkin()
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

        self.camera = CameraPanel(
            cameras=services.cameras or (),
            on_scan=self._on_scan,
            prefix="checkin",
            parent=self,
        )
        self.view = self.camera.view
        self.view.setMinimumSize(360, 260)
        self.chooser = self.camera.chooser
        self.camera_button = self.camera.button
        inputs = share_input_box(
            self,
            title="Camera or photo",
            picture=self.camera,
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
        fit_and_centre(self, parent, 960, 600)
        self.camera.list_cameras()

    # -- the camera ----------------------------------------------------------------------------
    @property
    def worker(self) -> Any:
        return self.camera.worker

    @property
    def decoder(self) -> Any:
        return self.camera.decoder

    def start_camera(self, index: int = 0) -> bool:
        return self.camera.start(index)

    def stop_camera(self) -> None:
        self.camera.stop()

    def _on_scan(self, result: Any, source: str) -> None:
        if sheet_left_view(result):
            self.desk.no_code_seen(source)
        texts = result.texts
        for text in texts:
            self.offer(text, source)
        del texts

    # -- photos and typing ----------------------------------------------------------------------
    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Photo or scan of a share sheet", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_image(Path(path))

    def load_image(self, path: Path) -> list[CheckinResult]:
        """Check in every share code found in a photo; an unreadable photo says so."""
        texts = self.camera.read_photo(path)
        if texts is None:
            self._say(f"Could not read {path.name} as an image.", BAD_STYLE)
            return []
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

    def submit_typed(self) -> CheckinResult | None:
        """Check the typed share once every word and data line checks out; what was typed
        stays until it is checked in."""
        raw = self.typed.toPlainText()
        if not raw.strip():
            return None
        text = raw.strip() if is_qr_text(raw) else self.typed.canonical()
        del raw
        if text is None:
            self._say("Not complete yet: " + self.typed.report.summary() + ".", PART_STYLE)
            return None
        outcome = self.offer(text, "typed")
        del text
        if outcome.ok:
            self.typed.wipe()
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
        self.camera.wipe()
        self.typed.wipe()
        self.desk.clear()

    def done(self, result: int) -> None:
        self.wipe()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wipe()
        super().closeEvent(event)
