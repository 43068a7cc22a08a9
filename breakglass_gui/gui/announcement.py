"""The announcement box: the text for the incident channel and its QR code, before the reveal.

Shown on the reveal step while the credential is still sealed. The operator posts the text
(copy it, or photograph the QR code with a phone) and answers whether it was posted; the answer
is logged either way. With no audit mirror configured, only "Posted" (or a typed override)
lets the credential be shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.audit.announce import Announcement

__all__ = ["AnnouncementBox", "qr_image"]

QR_MODULE_PX = 4
QR_QUIET = 4


def qr_image(text: str, module: int = QR_MODULE_PX) -> QImage:
    """A black-on-white QR code of ``text`` (error correction M, quiet zone of 4 modules)."""
    import qrcode  # noqa: PLC0415 - loaded on first use: the first window stays light

    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    q.add_data(text.encode("utf-8"))
    q.make(fit=True)
    matrix = q.get_matrix()
    n = len(matrix)
    side = (n + 2 * QR_QUIET) * module
    # Built as bytes and wrapped once (QImage.setPixel per pixel is slow, and PySide6 6.12
    # miscounts references on it).
    pixels = bytearray(b"\xff" * (side * side))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x0 = (c + QR_QUIET) * module
                for y in range((r + QR_QUIET) * module, (r + QR_QUIET + 1) * module):
                    start = y * side + x0
                    pixels[start : start + module] = b"\x00" * module
    image = QImage(bytes(pixels), side, side, side, QImage.Format.Format_Grayscale8).copy()
    return image


class AnnouncementBox(QGroupBox):
    """Text + QR of the announcement, and "Posted" / "Not posted"."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Announce it in the incident channel first", parent)
        self.setObjectName("announcementBox")
        self.intro = QLabel(
            "Post this message to the incident channel now (copy it, or photograph the QR "
            "code with your phone). It is the trace of this break-glass outside this laptop: "
            "the audit anchor in it lets anyone check later that the log was not rewritten.",
            self,
        )
        self.intro.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("announcementText")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Announcement text for the incident channel")
        self.text.setMaximumHeight(170)
        self.qr = QLabel(self)
        self.qr.setObjectName("announcementQr")
        self.qr.setAccessibleName("QR code of the announcement text")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.copy_button = QPushButton("Copy text", self)
        self.copy_button.setObjectName("announcementCopy")
        self.copy_button.clicked.connect(self._copy)
        self.posted = QPushButton("Posted: it is in the incident channel", self)
        self.posted.setObjectName("announcementPosted")
        self.posted.clicked.connect(self._posted)
        self.not_posted = QPushButton("Not posted", self)
        self.not_posted.setObjectName("announcementNotPosted")
        self.not_posted.clicked.connect(self._not_posted)
        self.status = QLabel("", self)
        self.status.setObjectName("announcementStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.qr)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.not_posted)
        buttons.addWidget(self.posted)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.announcement: Announcement | None = None
        self.answer: bool | None = None  # the last answer given, None until one is
        self.setVisible(False)

    def show_announcement(self, announcement: Announcement | None) -> None:
        self.announcement = announcement
        self.answer = None
        self.setVisible(announcement is not None)
        if announcement is None:
            return
        if announcement.kind != "reconstruction":  # a split or a retirement: nothing sealed
            self.setTitle("Announce it in the incident channel")
            self.intro.setText(
                "Post this message to the incident channel now (copy it, or photograph the QR "
                "code with your phone). It records this change outside this laptop: the audit "
                "anchor in it lets anyone check later that the log was not rewritten."
            )
        text = announcement.text()
        self.text.setPlainText(text)
        pixmap = QPixmap.fromImage(qr_image(text, 3))
        self.qr.setPixmap(pixmap)
        # never squeezed by a crowded page: a clipped code (its quiet zone gone) does not scan
        self.qr.setMinimumSize(pixmap.size())
        self.status.setText("")

    def _copy(self) -> None:
        if self.announcement is not None:
            QGuiApplication.clipboard().setText(self.announcement.text())
            self.status.setText("Copied. Paste it into the incident channel.")

    def _posted(self) -> None:
        self._answer(True)

    def _not_posted(self) -> None:
        self._answer(False)

    def _answer(self, posted: bool) -> None:
        sealed = self.announcement is None or self.announcement.kind == "reconstruction"
        if posted:
            said = "Logged: posted."
        elif sealed:
            said = (
                "Logged: not posted. The credential stays sealed "
                "unless a mirror has the record or you override with a typed reason."
            )
        else:
            said = (
                "Logged: not posted. Until it is, nothing outside this laptop can show the "
                "log was not rewritten: post it as soon as you can."
            )
        self.status.setText(said)
        self.answer = posted
        self.answered.emit(posted)
