"""The operator's side of a remote share: the one-time recipient, its safety code, the envelope.

Shown from the collect page. The ceremony's one-time key (:class:`RemoteIntake`) is made the
first time the dialog opens and dies with the ceremony; every envelope pasted or loaded here is
opened with it and offered to the same collector as a share read at the camera.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.reconstruct_flow import Offer, OfferKind
from breakglass_gui.ceremony.remote import RemoteIntake

from .announcement import qr_image
from .widgets.bounded_text import BoundedPlainTextEdit

__all__ = ["RemoteShareDialog"]


class RemoteShareDialog(QDialog):
    """Shows this ceremony's recipient and safety code; opens envelopes pasted or loaded."""

    def __init__(
        self,
        intake: RemoteIntake,
        *,
        on_offer: Callable[[Offer], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("remoteShareDialog")
        self.setWindowTitle("Shares from custodians who are not in the room")
        self.intake = intake
        self._on_offer = on_offer

        intro = QLabel(
            "Read this one-time key to each remote custodian. They encrypt their share to it "
            "(breakglass send-share, or: age -r KEY -a -o share.age SHARE-FILE) and send you the "
            "envelope over any channel. Before they send, compare the safety code by voice: it "
            "is the last 8 characters of the key.",
            self,
        )
        intro.setWordWrap(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.recipient = QLabel(intake.recipient, self)
        self.recipient.setObjectName("remoteRecipient")
        self.recipient.setFont(mono)
        self.recipient.setWordWrap(True)
        self.recipient.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.safety = QLabel(f"Safety code: {intake.safety_code}", self)
        self.safety.setObjectName("remoteSafetyCode")
        big = QFont(mono)
        big.setPointSizeF(max(big.pointSizeF(), 10.0) * 1.8)
        big.setBold(True)
        self.safety.setFont(big)
        self.qr = QLabel(self)
        self.qr.setObjectName("remoteRecipientQr")
        self.qr.setPixmap(QPixmap.fromImage(qr_image(intake.recipient)))
        self.qr.setAccessibleName("QR code of the one-time key")

        self.envelope = BoundedPlainTextEdit(self, on_too_large=self._paste_too_large)
        self.envelope.setObjectName("remoteEnvelope")
        self.envelope.setFont(mono)
        self.envelope.setPlaceholderText(
            "Paste an envelope here: from -----BEGIN AGE ENCRYPTED FILE----- to -----END AGE "
            "ENCRYPTED FILE-----"
        )
        self.envelope.setMinimumHeight(140)
        self.open_button = QPushButton("&Open envelope", self)
        self.open_button.setObjectName("openEnvelope")
        self.open_button.clicked.connect(self.open_pasted)
        self.load_button = QPushButton("&Load envelope file…", self)
        self.load_button.setObjectName("loadEnvelope")
        self.load_button.clicked.connect(self._choose_file)
        self.outcome = QLabel("", self)
        self.outcome.setObjectName("remoteResult")
        self.outcome.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        key_box = QGridLayout()
        key_box.addWidget(self.qr, 0, 0, 3, 1)
        key_box.addWidget(QLabel("One-time key (age recipient):", self), 0, 1)
        key_box.addWidget(self.recipient, 1, 1)
        key_box.addWidget(self.safety, 2, 1)
        key_box.setColumnStretch(1, 1)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.load_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(key_box)
        layout.addWidget(QLabel("Envelope received:", self))
        layout.addWidget(self.envelope, 1)
        layout.addLayout(row)
        layout.addWidget(self.outcome)
        layout.addWidget(buttons)

    def receive(self, armored: str, name: str) -> Offer:
        """Open one envelope and offer its share; say what happened."""
        offer = self.intake.receive(armored, name)
        if offer.kind is OfferKind.ACCEPTED:
            self.outcome.setStyleSheet("color: #1b5e20; font-weight: bold;")
            self.outcome.setText(f"Received remotely: {offer.message}")
            self.envelope.clear()
        else:
            self.outcome.setStyleSheet("color: #b00020; font-weight: bold;")
            self.outcome.setText(offer.message)
        if self._on_offer is not None:
            self._on_offer(offer)
        return offer

    def _paste_too_large(self, length: int) -> None:
        self.outcome.setStyleSheet("color: #b00020; font-weight: bold;")
        self.outcome.setText(
            f"That paste is {length:,} characters: far larger than an envelope (about 1,000), "
            "so it was not pasted. Copy only the envelope, from -----BEGIN AGE ENCRYPTED "
            "FILE----- to -----END AGE ENCRYPTED FILE-----, or load the envelope file."
        )

    def open_pasted(self) -> Offer | None:
        text = self.envelope.toPlainText()
        if not text.strip():
            self.outcome.setStyleSheet("")
            self.outcome.setText("Paste an envelope first, or load one from a file.")
            return None
        return self.receive(text, "the pasted envelope")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load an envelope", "", "age envelopes (*.age *.txt *.asc);;All files (*)"
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> Offer | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.outcome.setStyleSheet("color: #b00020;")
            self.outcome.setText(f"Could not read {path.name}: {exc}")
            return None
        return self.receive(text, path.name)
