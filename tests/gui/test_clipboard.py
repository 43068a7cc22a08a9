"""Clipboard hygiene: concealed formats, cleared after 30 s and on quit, only if still ours."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QApplication

from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.gui.clipboard import SecretClipboard, concealment_formats

pytestmark = pytest.mark.gui


def _has_text(board: Any) -> bool:
    """Whether the clipboard holds text (an emptied clipboard may have no mime data at all)."""
    mime = board.mimeData()
    return mime is not None and bool(mime.hasFormat("text/plain"))


def test_concealment_formats_per_platform() -> None:
    assert concealment_formats("linux") == [("x-kde-passwordManagerHint", b"secret")]
    assert concealment_formats("darwin")[0][0] == "application/x-nspasteboard-concealed-type"
    win = dict(concealment_formats("win32"))
    key = 'application/x-qt-windows-mime;value="{}"'
    assert win[key.format("CanIncludeInClipboardHistory")] == b"\0\0\0\0"
    assert win[key.format("CanUploadToCloudClipboard")] == b"\0\0\0\0"
    assert key.format("ExcludeClipboardContentFromMonitorProcessing") in win


def test_cleared_after_its_time_and_the_qt_copy_is_overwritten(qtbot: Any) -> None:
    clock = ManualClock()
    clip = SecretClipboard(clock, seconds=30)
    secret = SecretBytes(b"s3cret-value")
    with qtbot.waitSignal(clip.cleared) as sig:
        clip.copy(secret)
        board = QApplication.clipboard()
        assert bytes(board.mimeData().data("text/plain").data()) == b"s3cret-value"
        assert board.mimeData().hasFormat("x-kde-passwordManagerHint")
        held = clip._data
        clock.advance(29)
        clip.tick()
        assert clip.holds_ours() and clip.remaining() == pytest.approx(1)
        clock.advance(1)
        clip.tick()
    assert sig.args == ["timeout"]
    assert not _has_text(board)
    assert held is not None and bytes(held.data()) == bytes(12)  # overwritten in place
    secret.wipe()


def test_not_cleared_when_someone_else_copied_since(qtbot: Any) -> None:
    clock = ManualClock()
    clip = SecretClipboard(clock)
    clip.copy(SecretBytes(b"ours"))
    other = QMimeData()
    other.setText("INC-4821 summary")
    QApplication.clipboard().setMimeData(other)
    with qtbot.waitSignal(clip.cleared) as sig:
        clock.advance(31)
        clip.tick()
    assert sig.args == ["taken"]
    assert QApplication.clipboard().text() == "INC-4821 summary"
    assert not clip.active


def test_cleared_on_quit(qtbot: Any) -> None:
    clip = SecretClipboard(ManualClock())
    clip.copy(SecretBytes(b"ours"))
    with qtbot.waitSignal(clip.cleared) as sig:
        QApplication.instance().aboutToQuit.emit()
    assert sig.args == ["quit"]
    assert not _has_text(QApplication.clipboard())
