"""Step 6: every printed sheet read back: its code from the camera or a photo, or its whole
transcription typed. Verification words only match a sheet to the record (they are printed on
the record too) and do not unlock Finish; nor does the host's word that the new credential is
set on the target system, which Finish needs as well (it is logged)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..camera import CameraPanel, wipe_frame
from ..widgets.wrapping import SideBySide, WrapCheckBox
from .base import SplitPage, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["VerifyPage"]


class VerifyPage(SplitPage):
    step_id = "verify"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Read every printed sheet back: hold its code to the camera, load a photo of it, "
                "or type its whole transcription. The three verification words only match a "
                "sheet to the record; they do not prove it can be read."
            )
        )
        left = QVBoxLayout()
        self.table = QTableWidget(0, 3)
        named(self.table, "verifyTable", "Shares and whether they were verified")
        self.table.setHorizontalHeaderLabels(["Share", "Custodian", "Verified"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        left.addWidget(self.table, 1)
        words = QHBoxLayout()
        self.words_share = QComboBox()
        named(self.words_share, "wordsShare", "Share whose words you type")
        self.words = QLineEdit()
        named(self.words, "wordsEdit", "Verification words")
        self.words.setPlaceholderText("three verification words")
        self.words.returnPressed.connect(self.check_words)
        check = QPushButton("Check &words")
        named(check, "checkWordsButton", "Check the typed verification words")
        check.clicked.connect(self.check_words)
        self.words_share.setMinimumContentsLength(24)
        left.addWidget(self.words_share)
        words.addWidget(self.words, 1)
        words.addWidget(check)
        left.addLayout(words)
        self.transcription = QPlainTextEdit()
        named(self.transcription, "transcriptionEdit", "A sheet's whole transcription, typed")
        self.transcription.setPlaceholderText(
            "Or type a sheet's HAND TRANSCRIPTION: WORDS, then every DATA line"
        )
        self.transcription.setTabChangesFocus(True)
        self.transcription.setMaximumHeight(90)
        left.addWidget(self.transcription)
        check_typed = QPushButton("Check &transcription")
        named(check_typed, "checkTranscriptionButton", "Check the typed transcription")
        check_typed.clicked.connect(self.check_transcription)
        scan = QHBoxLayout()
        scan.addWidget(check_typed)
        self.image_button = QPushButton("Load &photo…")
        named(self.image_button, "loadImageButton", "Load a photo of a sheet")
        self.image_button.clicked.connect(self._choose_image)
        scan.addWidget(self.image_button)
        scan.addStretch(1)
        left.addLayout(scan)
        self.test_combine = WrapCheckBox("Also test-combine a quorum in memory (nothing is shown)")
        named(self.test_combine, "testCombineCheck", "Test-combine a quorum")
        self.test_combine.toggled.connect(self._test_combine)
        left.addWidget(self.test_combine)
        self.credential_set = WrapCheckBox(
            "&I have set this as the new credential on the target system"
        )
        named(self.credential_set, "credentialSetCheck", "I have set this as the new credential")
        self.credential_set.toggled.connect(self._credential_set)
        left.addWidget(self.credential_set)
        self.camera = CameraPanel(
            cameras=self._camera_options, on_scan=self._on_scan, prefix="verify", parent=self
        )
        self.camera_button = self.camera.button
        self.camera_choice = self.camera.chooser
        left_widget = QWidget(self)
        left_widget.setLayout(left)
        left.setContentsMargins(0, 0, 0, 0)
        # a narrow window puts the camera below instead of scrolling sideways
        self.body = SideBySide(left_widget, self.camera, (3, 2), self)
        layout.addWidget(self.body, 1)
        self.message = note("", "verifyMessage")
        self.message.setAccessibleName("Result of the last check")
        layout.addWidget(self.message)
        self.setFocusProxy(self.words)

    def enter(self) -> None:
        self.camera.list_cameras()
        share_set = self.ceremony.share_set
        self.words_share.clear()
        if share_set is not None:
            for s in share_set.shares:
                self.words_share.addItem(s.describe(), s.number)
        self.refresh()

    def refresh(self) -> None:
        share_set = self.ceremony.share_set
        if share_set is None:
            return
        verified = self.ceremony.verified()
        matched = self.ceremony.state.get("matched") or {}
        self.table.setRowCount(len(share_set.shares))
        for r, s in enumerate(share_set.shares):
            how = verified.get(s.number)
            state = (
                f"✔ read back ({how})"
                if how
                else "matched to the record (words) — not read back yet"
                if s.number in matched
                else "—"
            )
            for c, text in enumerate((f"{s.number} of {s.total}", s.holder, state)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        missing = self.ceremony.unverified()
        if missing and self.words_share.count():
            index = self.words_share.findData(missing[0])
            if index >= 0 and self.words_share.currentData() not in missing:
                self.words_share.setCurrentIndex(index)

    def leave(self) -> None:
        self.camera.wipe()
        self.words.clear()
        self.transcription.clear()

    def check_words(self) -> None:
        number = self.words_share.currentData()
        if number is None:
            return
        out = self.ceremony.verify_words(int(number), self.words.text())
        # a match by words is not a read-back: no tick for it
        self.message.setText(("ℹ " if out.ok else "✘ ") + out.message)
        if out.ok:
            self.words.clear()
        self.wizard.refresh_buttons()

    def check_transcription(self) -> None:
        text = self.transcription.toPlainText()
        if not text.strip():
            return
        out = self.ceremony.verify_scanned_text(text, how="typed")
        self.message.setText(("✔ " if out.ok else "✘ ") + out.message)
        if out.ok:
            self.transcription.clear()
        self.wizard.refresh_buttons()

    def _credential_set(self, on: bool) -> None:
        self.ceremony.confirm_credential_set(on)
        self.wizard.refresh_buttons()

    def accept_texts(self, texts: list[str], how: str = "camera") -> None:
        for text in texts:
            out = self.ceremony.verify_scanned_text(text, how)
            self.message.setText(("✔ " if out.ok else "✘ ") + out.message)
        self.wizard.refresh_buttons()

    # -- photos --------------------------------------------------------------------------------
    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Photo of a sheet", "", "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff)"
        )
        if path:
            self.load_image(path)

    def load_image(self, path: str | Path) -> None:
        """Read a photo of a sheet off the GUI thread (every scanner step, no budget)."""
        p = str(path)
        decoder = self.camera.decoder

        def work() -> tuple[Any, Any]:
            import cv2  # noqa: PLC0415 - loaded on first use, not at start-up

            frame = cv2.imread(p, cv2.IMREAD_COLOR)
            if frame is None:
                raise OSError(f"not an image this program can read: {Path(p).name}")
            return frame, decoder.scan_photo(frame)

        def done(got: tuple[Any, Any]) -> None:
            frame, result = got
            self.camera.show_photo(frame, result)
            wipe_frame(frame)
            if not result.texts:
                self.message.setText(
                    f"✘ No share code found in {Path(p).name}: retake the photo flat and sharp, "
                    "or type the words."
                )
                return
            self.accept_texts(result.texts, "photo")

        self.run(work, done, lambda m: self.message.setText(f"✘ {m}"))

    # -- camera --------------------------------------------------------------------------------
    def _camera_options(self) -> list[Any]:
        """The cameras to offer (probed by the panel off the GUI thread)."""
        services = self.wizard.services
        if services.cameras is not None:
            return list(services.cameras())
        return []

    def start_camera(self) -> bool:
        return self.camera.start()

    def stop_camera(self) -> None:
        self.camera.stop()

    def _on_scan(self, result: Any, source: str) -> None:
        if result.texts:
            self.accept_texts(result.texts)

    # -- test combine ----------------------------------------------------------------------------
    def _test_combine(self, on: bool) -> None:
        if not on:
            self.ceremony.accept_test_combine(None)
            return
        self.message.setText("Test-combining a quorum in memory…")

        def done(ok: Any) -> None:
            self.ceremony.accept_test_combine(bool(ok))
            self.message.setText(
                "✔ A quorum combines back to the secret."
                if ok
                else "✘ The test combination FAILED: do not hand out these sheets."
            )

        self.run(self.ceremony.compute_test_combine, done)
