""" "Import a set card": make a set made elsewhere known on this installation.

The card comes from a file (``breakglass sets export``), from a photo of its QR code (on the
runbook or the ceremony record) or from the camera, or is pasted as text. It is checked at once
through the same rules as ``breakglass sets import`` (:mod:`breakglass_gui.ceremony.setcards`):
what it says is shown, with the fingerprint of the key that signed it; the operator types the
signer fingerprint printed on the team's runbook, and only a card signed by that key is
imported. Every refusal names what is wrong (not a card, altered or forged, an unknown or
foreign key, a set retired here, an older card) and records nothing.

A card is public (no secret, no share material): nothing here needs wiping.
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
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.setcards import (
    SIGNER_WHERE,
    CardError,
    CardReview,
    SignerNeeded,
    after_import,
    card_codes,
    import_set_card,
    review_card,
)

from .camera import CameraPanel
from .geometry import fit_and_centre
from .services import Services
from .widgets.bounded_text import PASTE_LIMIT, BoundedPlainTextEdit

__all__ = ["SetCardDialog"]

OK_STYLE = "color: #1b5e20; font-weight: bold;"
BAD_STYLE = "color: #b00020; font-weight: bold;"
#: A card file is about 1.5 kB; anything far larger is not one (and is not read whole).
MAX_CARD_BYTES = 256 * 1024


class SetCardDialog(QDialog):
    """Read a card (file, photo, camera, pasted), show it, import it once the printed signer
    fingerprint is typed and matches; ``imported`` is emitted after each import."""

    imported = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("setCardDialog")
        self.setWindowTitle("Import a set card — Breakglass")
        self.card_text: str | None = None  # the card read last (public text)
        self.review: CardReview | None = None

        intro = QLabel(
            "A set card tells this laptop about a share set made on another installation: its "
            "custodians, its policy, its audit mirrors and the sets it retired. Load the card "
            "file, load a photo of the card's QR code (printed on the runbook and the ceremony "
            "record), hold it to the camera, or paste it.",
            self,
        )
        intro.setWordWrap(True)

        self.camera = CameraPanel(
            cameras=services.cameras or (),
            on_scan=self._on_scan,
            prefix="card",
            no_camera_hint="No camera found. Load the card file, or a photo of the card's QR code.",
            parent=self,
        )
        self.camera.view.setMinimumSize(320, 220)
        self.file_button = QPushButton("Load card &file…", self)
        self.file_button.setObjectName("cardLoadFile")
        self.file_button.clicked.connect(self._choose_file)
        self.photo_button = QPushButton("Load &photo…", self)
        self.photo_button.setObjectName("cardLoadPhoto")
        self.photo_button.setAccessibleName("Load a photo of the card's QR code")
        self.photo_button.clicked.connect(self._choose_photo)
        self.pasted = BoundedPlainTextEdit(self, on_too_large=self._paste_too_large)
        self.pasted.setObjectName("cardPasted")
        self.pasted.setAccessibleName("Pasted set card")
        self.pasted.setPlaceholderText('Or paste the card here ({"card": … } or BGC1…)')
        self.pasted.setMaximumHeight(self.pasted.fontMetrics().lineSpacing() * 4)
        self.pasted.setTabChangesFocus(True)
        self.paste_button = QPushButton("&Read pasted card", self)
        self.paste_button.setObjectName("cardReadPasted")
        self.paste_button.clicked.connect(self.read_pasted)
        source_box = QGroupBox("The card", self)
        sources = QVBoxLayout(source_box)
        sources.addWidget(self.camera, 1)
        row = QHBoxLayout()
        row.addWidget(self.file_button)
        row.addWidget(self.photo_button)
        row.addStretch(1)
        sources.addLayout(row)
        sources.addWidget(self.pasted)
        sources.addWidget(self.paste_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.summary = QLabel("No card read yet.", self)
        self.summary.setObjectName("cardSummary")
        self.summary.setAccessibleName("What the card says")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signer = QLineEdit(self)
        self.signer.setObjectName("cardPrintedSigner")
        self.signer.setAccessibleName("Signer fingerprint printed on the runbook")
        self.signer.setPlaceholderText("SHA256:xxxx-xxxx-xxxx-xxxx")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.signer.setFont(mono)
        self.signer.returnPressed.connect(self.import_card)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow("Signer fingerprint &printed on your runbook:", self.signer)
        self.import_button = QPushButton("&Import this set", self)
        self.import_button.setObjectName("cardImport")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.import_card)
        self.outcome = QLabel("", self)
        self.outcome.setObjectName("cardResult")
        self.outcome.setAccessibleName("Result")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side = QVBoxLayout()
        side.addWidget(self.summary)
        side.addLayout(form)
        side.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addWidget(self.outcome)
        side.addStretch(1)

        body = QHBoxLayout()
        body.addWidget(source_box, 1)
        body.addLayout(side, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        fit_and_centre(self, parent, 980, 620)
        if services.trail is None:
            self._say("No audit trail in this session: a card cannot be imported here.", BAD_STYLE)
            for w in (self.file_button, self.photo_button, self.paste_button):
                w.setEnabled(False)
        else:
            self.camera.list_cameras()

    # -- reading a card ----------------------------------------------------------------------------
    def offer(self, text: str, source: str) -> CardReview | None:
        """Check a card's text (nothing recorded) and show what it says, or why it is refused."""
        trail = self.services.trail
        if trail is None:
            return None
        self.card_text = None
        self.review = None
        self.import_button.setEnabled(False)
        try:
            review = review_card(trail, text)
        except CardError as exc:
            self.summary.setText("No card to import.")
            self._say(f"✘ Refused ({source}): {exc}", BAD_STYLE)
            return None
        self.card_text = text
        self.review = review
        lines = review.lines()
        self.summary.setText("\n".join(lines))
        self.import_button.setEnabled(True)
        self._say(
            f"Card read ({source}). Compare the signer {review.signer_fingerprint} with the "
            "fingerprint printed on your runbook: type the printed one, then Import.",
            "",
        )
        self.signer.setFocus()
        return review

    def _on_scan(self, result: Any, source: str) -> None:
        cards = card_codes(result.texts)
        if cards:
            if cards[0] != self.card_text:
                self.offer(cards[0], source)
            self.camera.stop()
        elif result.texts:
            self.camera.say("That code is not a set card (a card's QR text starts with BGC1).")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load a set card", "", "Set cards (*.card *.json *.txt);;All files (*)"
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> CardReview | None:
        try:
            if path.stat().st_size > MAX_CARD_BYTES:
                self._say(f"✘ {path.name} is far too large to be a set card.", BAD_STYLE)
                return None
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._say(f"✘ Could not read {path.name} as a set card: {exc}", BAD_STYLE)
            return None
        return self.offer(text, path.name)

    def _choose_photo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Photo of a set card's QR code", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if path:
            self.load_photo(Path(path))

    def load_photo(self, path: Path) -> CardReview | None:
        """Read the card's QR code from a photo (every scanner step, as for a share)."""
        texts = self.camera.read_photo(path)
        if texts is None:
            self._say(f"✘ Could not read {path.name} as an image.", BAD_STYLE)
            return None
        cards = card_codes(texts)
        if not cards:
            self._say(
                f"✘ No set card's QR code found in {path.name}: photograph the card's code "
                "flat and sharp, filling most of the picture, or load the card file.",
                BAD_STYLE,
            )
            return None
        return self.offer(cards[0], path.name)

    def _paste_too_large(self, length: int) -> None:
        self._say(
            f"That paste is {length:,} characters: far larger than a set card "
            f"(at most {PASTE_LIMIT:,}), so it was not pasted. Copy only the card, from "
            '{"card": … to its end or the BGC1 line, or load the card file instead.',
            BAD_STYLE,
        )

    def read_pasted(self) -> CardReview | None:
        text = self.pasted.toPlainText()
        if not text.strip():
            self._say("Paste a card first, or load it from a file or a photo.", "")
            return None
        return self.offer(text, "pasted")

    # -- importing ---------------------------------------------------------------------------------
    def import_card(self) -> bool:
        trail = self.services.trail
        if trail is None or self.card_text is None:
            return False
        printed = self.signer.text().strip()
        try:
            result = import_set_card(trail, self.card_text, expected_signer=printed or None)
        except SignerNeeded:
            self._say(
                "Type the signer fingerprint printed on your runbook in the box above first: "
                f"only a card signed by the team's key may be imported. Nothing imported; "
                f"{SIGNER_WHERE}.",
                BAD_STYLE,
            )
            self.signer.setFocus()
            return False
        except CardError as exc:
            self._say(f"✘ Refused: {exc}", BAD_STYLE)
            return False
        lines = after_import(trail, result)
        self.card_text = None
        self.review = None
        self.import_button.setEnabled(False)
        self._say("✔ Imported. " + "\n".join(lines), OK_STYLE)
        self.imported.emit()
        return True

    def _say(self, text: str, style: str) -> None:
        self.outcome.setStyleSheet(style)
        self.outcome.setText(text)

    # -- close -------------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        self.camera.wipe()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.camera.wipe()
        super().closeEvent(event)
