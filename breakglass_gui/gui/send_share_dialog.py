""" "Send my share from afar": a remote custodian's side of a remote share.

The custodian reads their own sheet (camera, photo or typed; a sheet of several codes part by
part), and it is checked alone — nothing is reconstructed. They paste the operator's one-time
key (``age1…``), compare its safety code with the operator by voice, and get the envelope: the
share encrypted to that key, ASCII-armored, as text to copy and as a QR code to photograph,
and a button that saves it to a new file (never over an existing one). The same code as
``breakglass send-share`` makes it (:mod:`breakglass_gui.ceremony.remote`).

The envelope is not secret (only the operator's one-time key opens it); the share is: it is
never shown, and it is dropped (and freed memory overwritten) on Start over and on close.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication, QPixmap, QTextOption
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.remote import SenderOffer, ShareSender
from breakglass_gui.ceremony.typed_share import is_qr_text, looks_like_share
from breakglass_gui.core.envelope import EnvelopeError, safety_code
from breakglass_gui.platform.files import FileExistsRefusal, create_new

from .announcement import qr_image
from .camera import CameraPanel
from .geometry import fit_and_centre
from .services import Services
from .widgets.share_input import ShareInputNames, share_input_box

__all__ = ["SendShareDialog"]

OK_STYLE = "color: #1b5e20; font-weight: bold;"
BAD_STYLE = "color: #b00020; font-weight: bold;"
PART_STYLE = "color: #8a5a00;"
QR_TARGET_PX = 300
QR_MIN_MODULE_PX = 2


class SendShareDialog(QDialog):
    """Read your own share, check it alone, encrypt it to the operator's one-time key."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.share_sender = ShareSender()
        self.armored: str | None = None
        self.saved_to: Path | None = None
        self.setObjectName("sendShareDialog")
        self.setWindowTitle("Send my share to a ceremony elsewhere — Breakglass")

        intro = QLabel(
            "For a custodian who is not in the room: 1. show your sheet (checked alone, nothing "
            "is revealed); 2. paste the operator's one-time key (age1…), or show its QR code "
            "like a sheet; 3. read its safety "
            "code to the operator; 4. send the envelope over any channel: only that "
            "ceremony's key opens it.",
            self,
        )
        intro.setWordWrap(True)

        self.camera = CameraPanel(
            cameras=services.cameras or (), on_scan=self._on_scan, prefix="send", parent=self
        )
        self.camera.view.setMinimumSize(320, 220)
        inputs = share_input_box(
            self,
            title="1. Your share",
            picture=self.camera,
            names=ShareInputNames("sendLoadImage", "sendTypeShare", "sendTyped", "sendCheckTyped"),
            load_text="&Load image…",
            type_text="&Type share…",
            submit_text="Check the typed share",
            on_load=self._choose_image,
            on_submit=self.submit_typed,
        )
        self.typed = inputs.typed
        self.type_button = inputs.type_button
        self.load_button = inputs.load_button
        self.share_status = QLabel("Show your sheet, load a photo of it, or type it.", self)
        self.share_status.setObjectName("sendShareStatus")
        self.share_status.setAccessibleName("Your share")
        self.share_status.setWordWrap(True)
        self.restart = QPushButton("&Start over", self)
        self.restart.setObjectName("sendStartOver")
        self.restart.setAccessibleName("Forget the share read and start over")
        self.restart.clicked.connect(self.start_over)
        share_box = inputs.box
        share_box.layout().addWidget(self.share_status)  # type: ignore[union-attr]
        share_box.layout().addWidget(self.restart)  # type: ignore[union-attr]

        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.recipient = QLineEdit(self)
        self.recipient.setObjectName("sendRecipient")
        self.recipient.setAccessibleName("The operator's one-time key")
        self.recipient.setPlaceholderText("age1…  (paste the whole key the operator sends)")
        self.recipient.setFont(mono)
        self.recipient.textChanged.connect(self._recipient_changed)
        self.safety = QLabel("", self)
        self.safety.setObjectName("sendSafetyCode")
        self.safety.setWordWrap(True)
        self.confirmed = QCheckBox(
            "The operator read me the same safety code from their screen", self
        )
        self.confirmed.setObjectName("sendSafetyConfirmed")
        self.confirmed.toggled.connect(self._update)
        self.encrypt_button = QPushButton("&Encrypt my share for this key", self)
        self.encrypt_button.setObjectName("sendEncrypt")
        self.encrypt_button.clicked.connect(self.encrypt)
        key_box = QGroupBox("2. The operator's key  3. The safety code", self)
        kl = QVBoxLayout(key_box)
        kl.addWidget(self.recipient)
        kl.addWidget(self.safety)
        kl.addWidget(self.confirmed)
        kl.addWidget(self.encrypt_button, 0, Qt.AlignmentFlag.AlignLeft)
        kl.addStretch(1)

        self.envelope = QPlainTextEdit(self)
        self.envelope.setObjectName("sendEnvelope")
        self.envelope.setAccessibleName("The envelope to send")
        self.envelope.setReadOnly(True)
        self.envelope.setFont(mono)
        self.envelope.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.envelope.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.envelope.setPlaceholderText("The envelope appears here.")
        self.qr = QLabel(self)
        self.qr.setObjectName("sendEnvelopeQr")
        self.qr.setAccessibleName("QR code of the envelope")
        self.copy_button = QPushButton("&Copy envelope", self)
        self.copy_button.setObjectName("sendCopy")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save envelope as a &new file…", self)
        self.save_button.setObjectName("sendSave")
        self.save_button.clicked.connect(self._choose_save)
        self.outcome = QLabel("", self)
        self.outcome.setObjectName("sendResult")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        env_box = self.envelope_box = QGroupBox("4. The envelope: send it to the operator", self)
        env_box.setVisible(False)  # shown once there is an envelope: room for the camera
        el = QVBoxLayout(env_box)
        top = QHBoxLayout()
        top.addWidget(self.envelope, 1)
        top.addWidget(self.qr)
        el.addLayout(top, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.copy_button)
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        el.addLayout(actions)
        el.addWidget(self.outcome)

        body = QHBoxLayout()
        body.addWidget(share_box, 1)
        body.addWidget(key_box, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        layout.addWidget(env_box, 1)
        layout.addWidget(buttons)
        fit_and_centre(self, parent, 1100, 700)
        self._update()
        self.camera.list_cameras()

    # -- the share -------------------------------------------------------------------------------
    def offer(self, text: str, source: str) -> SenderOffer:
        if text.strip().startswith("age1") and len(text.strip()) < 100:
            # the operator's key shown as a QR code (on a video call, a photo of their screen)
            key = text.strip()
            if key != self.recipient.text().strip():
                self.recipient.setText(key)
            return SenderOffer("key", f"The operator's key was read ({source}).")
        offer = self.share_sender.offer_text(text, source)
        if offer.kind == "share":
            self.share_status.setStyleSheet(OK_STYLE)
            self.share_status.setText("✔ " + offer.message)
            self.camera.stop()
            self.typed.wipe()
            # the picture and the typing field have done their work: room for the envelope
            self.type_button.setChecked(False)
            self.camera.setVisible(False)
        elif offer.kind == "part":
            self.share_status.setStyleSheet(PART_STYLE)
            self.share_status.setText(offer.message)
        elif offer.kind == "refused":
            self.share_status.setStyleSheet(BAD_STYLE)
            self.share_status.setText("✘ " + offer.message)
        self._update()
        return offer

    def _on_scan(self, result: Any, source: str) -> None:
        texts = result.texts
        for text in texts:
            self.offer(text, source)
        del texts

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Photo or scan of your share sheet", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_image(Path(path))

    def load_image(self, path: Path) -> list[SenderOffer]:
        texts = self.camera.read_photo(path)
        if texts is None:
            self.share_status.setStyleSheet(BAD_STYLE)
            self.share_status.setText(f"✘ Could not read {path.name} as an image.")
            return []
        if not texts:
            self.share_status.setStyleSheet(BAD_STYLE)
            self.share_status.setText(
                f"✘ No share code found in {path.name}: retake the photo flat and sharp, or "
                "type the share."
            )
            return []
        out = [self.offer(t, "image") for t in texts]
        texts.clear()
        return out

    def submit_typed(self) -> SenderOffer | None:
        raw = self.typed.toPlainText()
        if not raw.strip():
            return None
        text = raw.strip() if is_qr_text(raw) else self.typed.canonical()
        del raw
        if text is None:
            self.share_status.setStyleSheet(PART_STYLE)
            self.share_status.setText("Not complete yet: " + self.typed.report.summary() + ".")
            return None
        offer = self.offer(text, "typed")
        del text
        return offer

    def start_over(self) -> None:
        """Forget the share, the parts read and the envelope."""
        self.share_sender.clear()
        self.typed.wipe()
        self.armored = None
        self.envelope.clear()
        self.qr.clear()
        self.qr.setMinimumSize(0, 0)
        self.share_status.setStyleSheet("")
        self.share_status.setText("Show your sheet, load a photo of it, or type it.")
        self.camera.setVisible(not self.type_button.isChecked())
        self.outcome.setText("")
        self._update()

    # -- the key and the envelope -------------------------------------------------------------
    def _recipient_changed(self) -> None:
        self.confirmed.setChecked(False)  # a changed key needs the code compared again
        self.armored = None
        self.envelope.clear()
        self.qr.clear()
        text = self.recipient.text().strip()
        if text and looks_like_share(text):
            # a share where the key goes: not kept in the field (nor its undo history), not
            # shown back
            del text
            self.recipient.blockSignals(True)
            self.recipient.setText("")
            self.recipient.blockSignals(False)
            self.safety.setStyleSheet(BAD_STYLE)
            self.safety.setText(
                "That was a share, not the operator's key: it has been cleared from this field. "
                "Never send your share as it is. This field is for the operator's one-time key: it "
                "starts with 'age1'."
            )
        elif not text:
            self.safety.setText("")
        else:
            try:
                code = safety_code(text)
            except EnvelopeError as exc:
                self.safety.setStyleSheet(BAD_STYLE)
                self.safety.setText(str(exc))
            else:
                self.safety.setStyleSheet("font-weight: bold;")
                self.safety.setText(
                    f"Safety code: {code}\nRead it to the operator: it must be the code on "
                    "their screen. If it differs, stop: the key you have is not theirs."
                )
        self._update()

    def _update(self) -> None:
        self.envelope_box.setVisible(self.armored is not None)
        self.encrypt_button.setEnabled(
            self.share_sender.share is not None
            and self.confirmed.isChecked()
            and bool(self.recipient.text().strip())
        )
        self.copy_button.setEnabled(self.armored is not None)
        self.save_button.setEnabled(self.armored is not None)

    def encrypt(self) -> str | None:
        if self.share_sender.share is None or not self.confirmed.isChecked():
            return None
        try:
            armored = self.share_sender.seal(self.recipient.text())
        except EnvelopeError as exc:
            self._say(f"✘ {exc}", BAD_STYLE)
            return None
        self.armored = armored
        self.saved_to = None
        self.envelope.setPlainText(armored)
        # as large as fits the box (~300 px), never under 2 px a module (a phone reads a
        # screen's sharp modules at 2 px from close up)
        modules = qr_image(armored, 1).width()
        module = max(QR_MIN_MODULE_PX, QR_TARGET_PX // modules)
        self.qr.setPixmap(QPixmap.fromImage(qr_image(armored, module)))
        self.qr.setMinimumSize(self.qr.pixmap().size())
        self._say(
            f"Envelope of {self.share_sender.describe()} for the key ending "
            f"{safety_code(self.recipient.text())}: copy it, save it, or let the operator "
            "photograph the QR code. It is safe to send over chat or mail.",
            OK_STYLE,
        )
        self._update()
        return armored

    def copy(self) -> None:
        if self.armored is not None:
            QGuiApplication.clipboard().setText(self.armored)
            self._say("Envelope copied: paste it into your message to the operator.", OK_STYLE)

    def _choose_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the envelope (a new file)",
            "share.age",
            "age envelopes (*.age);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.save(Path(path))

    def save(self, path: Path) -> bool:
        """Write the envelope to a new file; an existing file is never replaced."""
        if self.armored is None:
            return False
        try:
            create_new(path, self.armored.encode("ascii"))
        except FileExistsRefusal as exc:
            self._say(f"✘ {exc}", BAD_STYLE)
            return False
        except OSError as exc:
            self._say(f"✘ Could not save {path}: {exc.strerror or exc}", BAD_STYLE)
            return False
        self.saved_to = path
        self._say(f"Saved {path}: send this file to the operator.", OK_STYLE)
        return True

    def _say(self, text: str, style: str) -> None:
        self.outcome.setStyleSheet(style)
        self.outcome.setText(text)

    # -- close -----------------------------------------------------------------------------------
    def wipe(self) -> None:
        self.camera.wipe()
        self.start_over()

    def done(self, result: int) -> None:
        self.wipe()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wipe()
        super().closeEvent(event)
