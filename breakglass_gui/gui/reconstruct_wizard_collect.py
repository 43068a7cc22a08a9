"""The "Collect shares" page: camera preview with the code outlined, quorum status, alternatives.

The camera is the one camera component (:class:`~breakglass_gui.gui.camera.CameraPanel`): it
reads and decodes frames on a worker thread with the scanner ``breakglass scan`` uses, and hands
each frame's result to this page on the GUI thread; the page offers every share read to the flow
(which parses it and keeps only the ``Share``) and drops the text.

No camera is not an error: the panel says so and "Load image" and "Type share" remain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import FrameSource
from breakglass_gui.ceremony.reconstruct_flow import Offer, OfferKind, ReconstructFlow
from breakglass_gui.ceremony.remote import RemoteIntake, envelope_without_key
from breakglass_gui.ceremony.typed_share import is_qr_text
from breakglass_gui.core.envelope import is_envelope
from breakglass_gui.core.errors import DuplicateShareError
from breakglass_gui.core.secret import scrub_freed_memory
from breakglass_gui.gui.widgets.share_input import ShareInputNames, share_input_box

from .camera import CameraLike, CameraPanel, Decoder, sheet_left_view
from .remote_dialog import RemoteShareDialog
from .widgets.wrapping import SideBySide
from .wizard_frame import WizardPage

__all__ = ["CameraChoice", "CollectPage"]


@dataclass(frozen=True)
class CameraChoice:
    """One entry of the camera chooser: a name and how to open it."""

    name: str
    open: Callable[[], FrameSource]


class CollectPage(WizardPage):
    """Step 2. ``offered`` is emitted after every offer (for tests and the wizard's buttons)."""

    step_id = "collect"
    offered = Signal()

    def __init__(
        self,
        flow: ReconstructFlow,
        *,
        cameras: Sequence[CameraLike] | Callable[[], Sequence[CameraLike]] = (),
        decoder: Decoder | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self.first_frame_at: float | None = None
        self.camera = CameraPanel(
            cameras=cameras, on_scan=self._on_scan, decoder=decoder, parent=self
        )
        self.preview = self.camera.view
        self.preview.setObjectName("cameraPreview")
        self.preview.setAccessibleName("Camera preview")
        self.preview.setMinimumSize(400, 300)
        self.chooser = self.camera.chooser
        self.camera_button = self.camera.button

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
        self.accepted.setWordWrap(True)  # each line names custodian, credential and set
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
            picture=self.camera,
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

        self.remote_button = QPushButton("Re&mote share…", self)
        self.remote_button.setObjectName("remoteShare")
        self.remote_button.setToolTip(
            "A custodian who is not in the room sends their share encrypted to this ceremony's "
            "one-time key (age format)"
        )
        self.remote_button.clicked.connect(self.open_remote)
        self.remote_dialog: RemoteShareDialog | None = None
        self._intake: RemoteIntake | None = None
        self._keyless_seen: set[str] = set()  # envelopes read before the key existed (public)

        side = QVBoxLayout()
        side.addWidget(QLabel("Accepted shares (custodian, role, credential, set):", self))
        side.addWidget(self.accepted, 1)
        side.addWidget(self.message)
        side.addWidget(QLabel("Refused:", self))
        side.addWidget(self.refused)
        side.addWidget(self.remote_button, 0, Qt.AlignmentFlag.AlignLeft)

        side_widget = QWidget(self)
        side_widget.setLayout(side)
        side.setContentsMargins(0, 0, 0, 0)
        # a narrow window puts the list below the camera instead of scrolling sideways
        self.body = SideBySide(camera_box, side_widget, (3, 2), self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)  # above both: in sight however the two are placed
        layout.addWidget(self.body)
        flow.wipe_listeners.append(self._on_wipe)
        self.refresh()

    # -- the page contract ------------------------------------------------------------------------
    def enter(self) -> None:
        self.refresh()
        if self.camera.worker is None:  # list the cameras (off the GUI thread), start the first
            self.camera.list_cameras(then=self.camera.start)

    def leave(self) -> None:
        self.stop_camera()

    def has_input(self) -> bool:
        return bool(self.flow.collector.accepted) or bool(self.typed.toPlainText().strip())

    # -- the camera ------------------------------------------------------------------------------
    @property
    def cameras(self) -> list[CameraLike]:
        return self.camera.cameras

    @property
    def worker(self) -> Any:
        return self.camera.worker

    @property
    def decoder(self) -> Decoder:
        return self.camera.decoder

    def start_camera(self, index: int = 0) -> bool:
        return self.camera.start(index)

    def stop_camera(self) -> None:
        self.camera.stop()

    def _on_scan(self, result: Any, source: str) -> None:
        if sheet_left_view(result):
            self.flow.collector.no_code_seen(source)
        texts = result.texts
        for text in texts:
            if self.flow.wizard.current != "collect":
                break
            self.offer(text, source)

    # -- offers -----------------------------------------------------------------------------------
    def offer(self, text: str, source: str) -> Offer:
        if is_envelope(text):  # a remote custodian's envelope shown as a QR code
            return self._offer_envelope(text, source)
        outcome = self.flow.offer_text(text, source)
        if not outcome.repeat:
            self._show(outcome)
        self.offered.emit()
        return outcome

    def _show(self, outcome: Offer) -> None:
        if outcome.kind is OfferKind.REFUSED and outcome.error is DuplicateShareError:
            # the same sheet shown again: nothing is wrong, nothing to alarm anyone about
            self.message.setStyleSheet("color: #444444;")
            self.refused.addItem(outcome.message)
            self.refused.scrollToBottom()
        elif outcome.kind is OfferKind.REFUSED:
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
            # name the credential and the set with every share: a share of the wrong
            # credential is seen at once
            share = a.share
            self.accepted.addItem(
                f"✔ {share.holder} — share {share.number} of {share.label or 'no label'}, "
                f"set {share.fingerprint_text} ({a.source})"
            )

    def submit_typed(self) -> Offer | None:
        """Offer the typed share once every word and data line checks out; what was typed
        stays until a share is accepted (a refusal never makes anyone type it again)."""
        raw = self.typed.toPlainText()
        if not raw.strip():
            return None
        text = raw.strip() if is_qr_text(raw) else self.typed.canonical()
        del raw
        if text is None:
            self.message.setStyleSheet("color: #8a5a00;")
            self.message.setText("Not complete yet: " + self.typed.report.summary() + ".")
            return None
        outcome = self.offer(text, "typed")
        del text
        if outcome.kind is OfferKind.ACCEPTED or outcome.kind is OfferKind.PART:
            self.typed.wipe()
        return outcome

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load a photo or scan of a share", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_image(Path(path))

    def load_image(self, path: Path) -> list[Offer]:
        """Decode every code in an image file (all the scanner's steps) and offer it."""
        texts = self.camera.read_photo(path)
        if texts is None:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(f"Could not read {path.name} as an image.")
            return []
        self.flow.collector.no_code_seen("image")
        if not texts:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(
                f"No share code found in {path.name}: retake the photo flat and sharp, or "
                "type the share."
            )
            return []
        out = [self.offer(t, "image") for t in texts]
        texts.clear()
        return out

    # -- remote custodians -------------------------------------------------------------------------
    def open_remote(self) -> RemoteShareDialog:
        """Show this ceremony's one-time key and take envelopes (the key is made once)."""
        if self._intake is None:
            self._intake = RemoteIntake(self.flow.collector)
        if self.remote_dialog is None:
            self.remote_dialog = RemoteShareDialog(
                self._intake, on_offer=self._remote_offer, parent=self
            )
        self.remote_dialog.show()
        self.remote_dialog.raise_()
        return self.remote_dialog

    def _offer_envelope(self, text: str, source: str) -> Offer:
        if self._intake is None:
            outcome = envelope_without_key(source)
            if text.strip() in self._keyless_seen:
                return replace(outcome, repeat=True)
            self._keyless_seen.add(text.strip())
        else:
            opened = self._intake.receive_scanned(text, source)
            if opened is None:
                return Offer(OfferKind.REFUSED, "", repeat=True)
            outcome = opened
        self._show(outcome)
        self.offered.emit()
        return outcome

    def _remote_offer(self, outcome: Offer) -> None:
        self._show(outcome)
        self.offered.emit()

    # -- wipe -------------------------------------------------------------------------------------
    def _on_wipe(self, reason: str) -> None:
        if self._intake is not None:  # the one-time key dies with the ceremony
            self._intake.close()
        if self.remote_dialog is not None:
            self.remote_dialog.close()
        self.camera.wipe()
        self.typed.wipe()
        self.accepted.clear()
        self.refresh()
        scrub_freed_memory()  # freed copies of the texts read (see the residue test)

    def detach(self) -> None:
        self.stop_camera()
        if self._on_wipe in self.flow.wipe_listeners:
            self.flow.wipe_listeners.remove(self._on_wipe)
