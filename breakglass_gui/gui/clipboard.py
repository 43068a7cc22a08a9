"""Clipboard hygiene for a revealed credential (after KeePassXC's ``src/gui/Clipboard.cpp``).

- The copy is marked as concealed for clipboard managers: ``x-kde-passwordManagerHint:
  secret`` (KDE Klipper and friends), the macOS concealed pasteboard type, and the Windows
  formats that keep it out of clipboard history, cloud clipboard and monitors.
- It is cleared after ``seconds`` (30 by default) and when the application quits, and only if
  the clipboard still holds what we put there (a token format with a random nonce says so;
  the credential itself is never read back).
- The bytes go to Qt as a ``QByteArray`` built from the ``SecretBytes`` buffer (no Python
  ``str`` of the value is made); after clearing, that ``QByteArray`` is overwritten in place.

Time comes from an injected clock (``ceremony.ports.Clock``); ``tick()`` applies it, and a
``QTimer`` calls ``tick()`` in the running application.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys

from PySide6.QtCore import QByteArray, QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

from breakglass_gui.ceremony.ports import Clock, SystemClock
from breakglass_gui.core.secret import SecretBytes

__all__ = ["TOKEN_FORMAT", "SecretClipboard", "concealment_formats"]

TOKEN_FORMAT = "application/x-breakglass-clip-token"  # noqa: S105 - a MIME type
_WIN = 'application/x-qt-windows-mime;value="{}"'
_DWORD_ZERO = b"\x00\x00\x00\x00"


def concealment_formats(platform: str | None = None) -> list[tuple[str, bytes]]:
    """The MIME formats that mark a clipboard entry as a secret, for ``platform``."""
    platform = platform or sys.platform
    if platform == "darwin":
        # Qt's macOS converter maps this to org.nspasteboard.ConcealedType
        return [("application/x-nspasteboard-concealed-type", b"secret")]
    if platform.startswith("win"):
        return [
            (_WIN.format("ExcludeClipboardContentFromMonitorProcessing"), b"1"),
            (_WIN.format("CanIncludeInClipboardHistory"), _DWORD_ZERO),
            (_WIN.format("CanUploadToCloudClipboard"), _DWORD_ZERO),
            ("ExcludeClipboardContentFromMonitorProcessing", b"1"),
        ]
    return [("x-kde-passwordManagerHint", b"secret")]


class SecretClipboard(QObject):
    """Copies a credential to the clipboard for a limited time. One value at a time."""

    #: emitted with the reason ("timeout", "quit", "wiped", "replaced") after our value was
    #: cleared; emitted with "taken" when someone else had replaced it meanwhile.
    cleared = Signal(str)

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seconds: float = 30.0,
        clipboard: QClipboard | None = None,
        platform: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock: Clock = clock or SystemClock()
        self.seconds = seconds
        self._clipboard = clipboard or QGuiApplication.clipboard()
        self._platform = platform
        self._nonce: bytes | None = None
        self._data: QByteArray | None = None
        self._deadline: dt.datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self.tick)
        app = QGuiApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_quit)

    # -- state -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """True while a value of ours may be on the clipboard."""
        return self._nonce is not None

    def remaining(self) -> float:
        if self._deadline is None:
            return 0.0
        return max(0.0, (self._deadline - self.clock.now()).total_seconds())

    def holds_ours(self) -> bool:
        """Whether the clipboard still holds the value we put there (compares a nonce only)."""
        if self._nonce is None:
            return False
        mime = self._clipboard.mimeData()
        if mime is None or not mime.hasFormat(TOKEN_FORMAT):
            return False
        return bytes(mime.data(TOKEN_FORMAT).data()) == self._nonce

    # -- actions -----------------------------------------------------------------------------
    def copy(self, secret: SecretBytes, seconds: float | None = None) -> None:
        """Put ``secret`` on the clipboard, concealed, until ``seconds`` pass."""
        if secret.is_wiped:
            raise ValueError("there is no credential to copy (it was wiped)")
        self.clear_if_ours("replaced")
        data = QByteArray(secret)  # copies the buffer's bytes straight into Qt memory
        mime = QMimeData()
        mime.setData("text/plain", data)
        mime.setData("text/plain;charset=utf-8", data)
        for fmt, value in concealment_formats(self._platform):
            mime.setData(fmt, QByteArray(value))
        nonce = secrets.token_bytes(16)
        mime.setData(TOKEN_FORMAT, QByteArray(nonce))
        self._clipboard.setMimeData(mime)  # the clipboard owns mime from here
        self._nonce = nonce
        self._data = data
        span = self.seconds if seconds is None else seconds
        self._deadline = self.clock.now() + dt.timedelta(seconds=span)
        self._timer.start()

    def tick(self) -> None:
        """Clear our value if its time is up (driven by the timer or by tests)."""
        if self._nonce is not None and self.remaining() <= 0:
            self.clear_if_ours("timeout")

    def clear_if_ours(self, reason: str = "wiped") -> bool:
        """Clear the clipboard if it still holds our value; forget it either way."""
        if self._nonce is None:
            return False
        ours = self.holds_ours()
        if ours:
            # clear() drops our QMimeData. No empty placeholder is set instead: a Python-made
            # QMimeData left on the clipboard is deleted by Qt after Python has shut down,
            # which crashes the process on exit.
            self._clipboard.clear()
        self._overwrite()
        self._nonce = None
        self._deadline = None
        self._timer.stop()
        self.cleared.emit(reason if ours else "taken")
        return ours

    def _overwrite(self) -> None:
        data, self._data = self._data, None
        if data is not None and data.size():
            # the clipboard has dropped its reference, so this writes in place (no detach copy)
            data.fill(0, data.size())
        del data

    def _on_quit(self) -> None:
        self.clear_if_ours("quit")
