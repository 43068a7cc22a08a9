"""A one-time view of a generated credential, so the host can install it on the target system.

When the host chose "Generate" on the Credential page, nobody has seen the value yet, and the
target system needs it before the sheets go out. The Review page offers this window once per
generated secret: the value is painted from its ``SecretBytes`` buffer by the same
:class:`~breakglass_gui.gui.reveal.SecretView` the break-glass reveal uses (no ``str`` of the
whole value), hidden until asked, with a visible countdown (60 s by default) after which it
hides for good. An optional copy goes to the clipboard marked concealed and is cleared after
30 s, or when this window closes. Nothing about the value is logged; the buffer belongs to the
ceremony and is wiped with the rest at Finish or Cancel.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import Clock
from breakglass_gui.core.secret import SecretBytes

from .clipboard import SecretClipboard
from .reveal import SecretView

__all__ = ["GeneratedSecretDialog"]


class GeneratedSecretDialog(QDialog):
    """Shows ``secret`` once, for ``seconds`` at most (the host may extend the countdown);
    ``shown_once`` is True afterwards. ``copied`` fires when a concealed copy is taken."""

    copied = Signal()

    def __init__(
        self,
        secret: SecretBytes,
        clock: Clock,
        *,
        seconds: float = 60.0,
        clipboard: SecretClipboard | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("generatedSecretDialog")
        self.setWindowTitle("Generated credential — shown once")
        self.secret = secret
        self.clock = clock
        self.seconds = seconds
        self.clipboard = clipboard
        self.until: dt.datetime | None = None
        self.shown_once = False

        intro = QLabel(
            "Install this credential on the target system now: type it, or copy it where the "
            "target accepts a paste. It is shown once, for "
            f"{seconds:g} seconds; after that only a quorum of shares can bring it back.",
            self,
        )
        intro.setWordWrap(True)
        self.view = SecretView(self)
        self.view.set_secret(secret)
        self.show_button = QPushButton("&Show the credential", self)
        self.show_button.setObjectName("showGeneratedButton")
        self.show_button.setAccessibleName("Show the generated credential once")
        self.show_button.clicked.connect(self.reveal)
        self.copy_button = QPushButton("&Copy (clipboard clears in 30 s)", self)
        self.copy_button.setObjectName("copyGeneratedButton")
        self.copy_button.setVisible(clipboard is not None)
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy)
        if clipboard is not None:
            self.copy_button.setText(f"&Copy (clipboard clears in {clipboard.seconds:g} s)")
        self.extend_button = QPushButton("&More time (+60 s)", self)
        self.extend_button.setObjectName("extendGeneratedButton")
        self.extend_button.setAccessibleName("Keep the credential visible 60 seconds longer")
        self.extend_button.setEnabled(False)
        self.extend_button.clicked.connect(lambda _checked=False: self.extend(60.0))
        self.done_button = QPushButton("&Done — hide it", self)
        self.done_button.setObjectName("doneGeneratedButton")
        self.done_button.clicked.connect(self.accept)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("generatedBar")
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.countdown = QLabel("Hidden. Show it when you are ready to type it.", self)
        self.countdown.setObjectName("generatedCountdown")
        self.clip_notice = QLabel("", self)
        self.clip_notice.setObjectName("generatedClipboardNotice")

        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.extend_button)
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view)
        layout.addWidget(self.bar)
        layout.addWidget(self.countdown)
        layout.addWidget(self.clip_notice)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.tick)
        if clipboard is not None:
            clipboard.cleared.connect(self._clipboard_cleared)

    def remaining(self) -> float:
        if self.until is None:
            return 0.0
        return max(0.0, (self.until - self.clock.now()).total_seconds())

    def reveal(self) -> None:
        """Start the one reveal window."""
        if self.shown_once or self.secret.is_wiped:
            return
        self.shown_once = True
        self.until = self.clock.now() + dt.timedelta(seconds=self.seconds)
        self.view.set_shown(True)
        self.show_button.setEnabled(False)
        self.copy_button.setEnabled(True)
        self.extend_button.setEnabled(True)
        self.timer.start()
        self.tick()

    def copy(self) -> None:
        if self.clipboard is None or not self.view.shown or self.secret.is_wiped:
            return
        self.clipboard.copy(self.secret)
        self.copied.emit()
        self.tick()

    def extend(self, seconds: float = 60.0) -> None:
        """Keep the credential visible longer (typing 32 characters takes a while)."""
        if self.until is None or not self.view.shown:
            return
        self.until += dt.timedelta(seconds=seconds)
        self.seconds = max(self.seconds, self.remaining())
        self.tick()

    def tick(self) -> None:
        """Apply the clock: the countdown, then hiding for good; the clipboard's expiry."""
        if self.clipboard is not None:
            self.clipboard.tick()
            if self.clipboard.active:
                secs = int(self.clipboard.remaining() + 0.999)
                self.clip_notice.setText(
                    f"On the clipboard, marked concealed: cleared in {secs} s."
                )
        if not self.view.shown:
            return
        if self.secret.is_wiped or self.remaining() <= 0:
            self.conceal("Hidden for good after the countdown.")
            return
        left = self.remaining()
        self.bar.setValue(int(1000 * left / max(self.seconds, 0.001)))
        self.countdown.setText(f"Visible — hides for good in {int(left + 0.999)} s")

    def conceal(self, text: str) -> None:
        self.view.clear()  # drops the reference to the buffer; the ceremony wipes it later
        self.timer.stop()
        self.until = None
        self.bar.setValue(0)
        self.show_button.setEnabled(False)
        self.copy_button.setEnabled(False)
        self.extend_button.setEnabled(False)
        self.countdown.setText(text)

    def _clipboard_cleared(self, reason: str) -> None:
        if reason == "taken":
            self.clip_notice.setText("The clipboard was replaced by something else meanwhile.")
        else:
            self.clip_notice.setText(f"Clipboard cleared ({reason}).")

    def _end(self) -> None:
        self.conceal("Hidden for good.")
        if self.clipboard is not None:
            self.clipboard.clear_if_ours("closed")

    def done(self, result: int) -> None:
        self._end()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._end()
        super().closeEvent(event)
