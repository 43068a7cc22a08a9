"""Step 6: every printed sheet scanned back (camera, photo) or its words typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from breakglass_gui.core.errors import BreakglassError

from ..widgets.camera_view import CameraView
from ..workers import run_task
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
                "Scan every printed sheet back (camera or a photo), or type the three "
                "verification words printed at its top. Finish is possible once all are checked."
            )
        )
        body = QHBoxLayout()
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
        scan = QHBoxLayout()
        self.camera_button = QPushButton("Scan with &camera")
        named(self.camera_button, "scanCameraButton", "Scan sheets with the camera")
        self.camera_button.setCheckable(True)
        self.camera_button.toggled.connect(self.toggle_camera)
        self.image_button = QPushButton("Load &photo…")
        named(self.image_button, "loadImageButton", "Load a photo of a sheet")
        self.image_button.clicked.connect(self._choose_image)
        self.camera_choice = QComboBox()
        named(self.camera_choice, "cameraChoice", "Camera")
        self.camera_choice.setVisible(False)  # shown when there is more than one camera
        self.camera_options: list[Any] = []  # probed on "Scan with camera"
        scan.addWidget(self.camera_choice)
        scan.addWidget(self.camera_button)
        scan.addWidget(self.image_button)
        left.addLayout(scan)
        self.test_combine = QCheckBox("Also test-combine a quorum in memory (nothing is shown)")
        named(self.test_combine, "testCombineCheck", "Test-combine a quorum")
        self.test_combine.toggled.connect(self._test_combine)
        left.addWidget(self.test_combine)
        body.addLayout(left, 3)
        self.camera = CameraView(self)
        self.camera.setMinimumSize(320, 240)
        body.addWidget(self.camera, 2)
        layout.addLayout(body, 1)
        self.message = note("", "verifyMessage")
        self.message.setAccessibleName("Result of the last check")
        layout.addWidget(self.message)
        self.source: Any = None
        self.timer = QTimer(self)
        self.timer.setInterval(80)
        self.timer.timeout.connect(self._pull_frame)
        self._decoding = False
        self.setFocusProxy(self.words)

    def enter(self) -> None:
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
        self.table.setRowCount(len(share_set.shares))
        for r, s in enumerate(share_set.shares):
            how = verified.get(s.number)
            for c, text in enumerate(
                (f"{s.number} of {s.total}", s.holder, f"✔ {how}" if how else "—")
            ):
                self.table.setItem(r, c, QTableWidgetItem(text))
        missing = self.ceremony.unverified()
        if missing and self.words_share.count():
            index = self.words_share.findData(missing[0])
            if index >= 0 and self.words_share.currentData() not in missing:
                self.words_share.setCurrentIndex(index)

    def leave(self) -> None:
        self.stop_camera()
        self.words.clear()

    def check_words(self) -> None:
        number = self.words_share.currentData()
        if number is None:
            return
        out = self.ceremony.verify_words(int(number), self.words.text())
        self.message.setText(("✔ " if out.ok else "✘ ") + out.message)
        if out.ok:
            self.words.clear()
        self.wizard.refresh_buttons()

    def accept_texts(self, texts: list[str]) -> None:
        for text in texts:
            out = self.ceremony.verify_scanned_text(text)
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
        decode = self.wizard.services.decode
        if decode is None:
            self.message.setText("No QR decoder is available here: type the words instead.")
            return
        p = str(path)

        def work() -> tuple[Any, list[tuple[str, Any]]]:
            import cv2  # noqa: PLC0415 - loaded on first use, not at start-up

            frame = cv2.imread(p, cv2.IMREAD_COLOR)
            if frame is None:
                raise OSError(f"not an image this program can read: {Path(p).name}")
            return frame, decode(frame.astype("uint8", copy=False))

        def done(result: tuple[Any, list[tuple[str, Any]]]) -> None:
            frame, found = result
            self.camera.show_frame(frame, [q for _t, q in found])
            if not found:
                self.message.setText(
                    f"✘ No code found in {Path(p).name}: retake the photo flat and sharp, or "
                    "type the words."
                )
                return
            self.accept_texts([t for t, _q in found])

        self.run(work, done, lambda m: self.message.setText(f"✘ {m}"))

    # -- camera --------------------------------------------------------------------------------
    def toggle_camera(self, on: bool) -> None:
        if on:
            self.start_camera()
        else:
            self.stop_camera()

    def _camera_opener(self) -> Callable[[], Any] | None:
        """How to open the chosen camera; None when there is none (said calmly)."""
        services = self.wizard.services
        if services.cameras is None:
            return None
        if not self.camera_options:  # not probed yet, or none last time (plugged in since?)
            try:
                self.camera_options = list(services.cameras())
            except (OSError, BreakglassError):
                self.camera_options = []
            self.camera_choice.clear()
            for option in self.camera_options:
                self.camera_choice.addItem(option.name)
            self.camera_choice.setVisible(len(self.camera_options) > 1)
        if not self.camera_options:
            return None
        index = max(0, self.camera_choice.currentIndex())
        opener: Callable[[], Any] = self.camera_options[index].open
        return opener

    def start_camera(self) -> bool:
        services = self.wizard.services
        opener = self._camera_opener() if services.decode is not None else None
        if opener is None:
            self.message.setText(
                "No camera here: load a photo of each sheet, or type its verification words."
            )
            self.camera_button.setChecked(False)
            return False
        try:
            self.source = opener()
            self.frames = iter(self.source.frames())
        except (OSError, RuntimeError, BreakglassError) as exc:
            self.source = None
            self.message.setText(
                f"The camera could not be opened ({exc}): load photos or type the words instead."
            )
            self.camera_button.setChecked(False)
            return False
        self.camera.setVisible(True)
        self.timer.start()
        return True

    def stop_camera(self) -> None:
        self.timer.stop()
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.camera_button.isChecked():
            self.camera_button.setChecked(False)

    def _pull_frame(self) -> None:
        if self._decoding or self.source is None:
            return
        try:
            frame = next(self.frames)
        except StopIteration:
            self.stop_camera()
            return
        decode = self.wizard.services.decode
        assert decode is not None
        self._decoding = True

        def done(found: list[tuple[str, Any]]) -> None:
            self._decoding = False
            self.camera.show_frame(frame, [q for _t, q in found])
            texts = [t for t, _q in found]
            if texts:
                self.accept_texts(texts)

        def failed(message: str) -> None:
            self._decoding = False
            self.message.setText(f"✘ {message}")

        run_task(lambda: decode(frame), done, failed, context=self)

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
