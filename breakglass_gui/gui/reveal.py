"""The brief reveal: hidden by default, large grouped monospace characters, a visible countdown.

:class:`SecretView` paints the credential straight from its ``SecretBytes`` buffer, one
character at a time: no Python ``str`` and no ``QString`` of the whole value is ever made
(each glyph is drawn from a one-character string, which CPython caches for Latin-1 anyway).
Non-text credentials are shown as hex. The accessible name gives the length, never the value.

:class:`RevealPanel` holds the view, the Show/Hide button, the countdown (default 60 s,
configurable), the optional "Copy (clears in 30 s)" button, and the hold-time notice. Time
comes from the flow's injected clock; ``tick()`` applies it and a ``QTimer`` calls it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import GateProbe
from breakglass_gui.ceremony.reconstruct_flow import GATE_CHECKING, ReconstructFlow
from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.secret import SecretBytes

from .clipboard import SecretClipboard
from .gate_check import GateCheck

__all__ = ["GROUP", "RevealPanel", "SecretView", "glyph_count", "is_text"]

GROUP = 4  # characters per group
GROUPS_PER_ROW = 6


def is_text(secret: SecretBytes) -> bool:
    """True when the credential is printable UTF-8 (else it is shown as hex)."""
    i, n = 0, len(secret)
    while i < n:
        b = secret[i]
        if b < 0x80:
            if b < 0x20 or b == 0x7F:
                return False
            i += 1
            continue
        size = 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4 if b >> 3 == 0b11110 else 0
        if not size or i + size > n or any(secret[j] >> 6 != 0b10 for j in range(i + 1, i + size)):
            return False
        i += size
    return True


def _glyphs(secret: SecretBytes, text: bool) -> list[tuple[int, int]]:
    """(offset, length) of each displayed character in the buffer (hex: one byte, two glyphs)."""
    if not text:
        return [(i, 1) for i in range(len(secret))]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(secret):
        b = secret[i]
        size = 1 if b < 0x80 else 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4
        out.append((i, size))
        i += size
    return out


def glyph_count(secret: SecretBytes) -> int:
    text = is_text(secret)
    return len(_glyphs(secret, text)) * (1 if text else 2)


class SecretView(QWidget):
    """Paints a credential from its buffer, grouped; paints nothing while hidden."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("secretView")
        self._secret: SecretBytes | None = None
        self._shown = False
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(font.pointSizeF(), 10.0) * 2.2)
        font.setBold(True)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("credential, hidden")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    # -- model ---------------------------------------------------------------------------------
    def set_secret(self, secret: SecretBytes | None) -> None:
        """Hold the buffer by reference (it is wiped by its owner, not here)."""
        self._secret = secret
        self._shown = False
        self._update_name()
        self.updateGeometry()
        self.update()

    def set_shown(self, shown: bool) -> None:
        self._shown = bool(shown and self._secret is not None and not self._secret.is_wiped)
        self._update_name()
        self.update()

    @property
    def shown(self) -> bool:
        return self._shown

    def clear(self) -> None:
        self._secret = None
        self._shown = False
        self._update_name()
        self.update()

    def _update_name(self) -> None:
        if self._secret is None or self._secret.is_wiped:
            self.setAccessibleName("credential, wiped")
        elif self._shown:
            self.setAccessibleName(f"credential shown, {glyph_count(self._secret)} characters")
        else:
            self.setAccessibleName("credential, hidden")

    # -- layout ----------------------------------------------------------------------------------
    def _cells(self) -> list[tuple[int, int, int, int]]:
        """(row, column, offset, length) for every glyph cell, columns counting group gaps."""
        secret = self._secret
        if secret is None:
            return []
        text = is_text(secret)
        cells: list[tuple[int, int, int, int]] = []
        index = 0
        per_row = GROUP * GROUPS_PER_ROW
        for offset, length in _glyphs(secret, text):
            for half in (0, 1) if not text else (0,):
                row, pos = divmod(index, per_row)
                col = pos + pos // GROUP  # one blank column between groups
                cells.append((row, col, offset, length if text else -1 - half))
                index += 1
        return cells

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        cols = GROUP * GROUPS_PER_ROW + GROUPS_PER_ROW - 1
        rows = 1
        if self._secret is not None and len(self._secret):
            rows = max(1, -(-glyph_count(self._secret) // (GROUP * GROUPS_PER_ROW)))
        return QSize(
            fm.horizontalAdvance("M") * cols + 24, (fm.height() + fm.leading() + 6) * rows + 16
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
            secret = self._secret
            if secret is None or secret.is_wiped:
                return
            fm = self.fontMetrics()
            advance = fm.horizontalAdvance("M")
            line = fm.height() + fm.leading() + 6
            painter.setFont(self.font())
            if not self._shown:
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                # the mask has the real grouping: as many dots as glyphs, in groups of GROUP
                count = glyph_count(secret)
                per_row = GROUP * GROUPS_PER_ROW
                for row in range(max(1, -(-count // per_row))):
                    n = min(per_row, count - row * per_row)
                    dots = " ".join("•" * min(GROUP, n - g) for g in range(0, n, GROUP))
                    y = 8 + fm.ascent() + row * line
                    painter.drawText(QPointF(12, y), dots)
                return
            painter.setPen(self.palette().color(QPalette.ColorRole.Text))
            digits = "0123456789abcdef"
            for row, col, offset, length in self._cells():
                if length < 0:  # hex: one nibble per cell
                    nibble = secret[offset] >> 4 if length == -1 else secret[offset] & 0xF
                    glyph = digits[nibble]
                elif length == 1:
                    glyph = chr(secret[offset])  # a cached one-character str
                else:
                    glyph = bytes(secret[offset : offset + length]).decode("utf-8", "replace")
                x = 12 + col * advance
                y = 8 + fm.ascent() + row * line
                if col // (GROUP + 1) % 2:
                    painter.fillRect(
                        int(x), int(y - fm.ascent()), advance, fm.height(), QColor(0, 0, 0, 18)
                    )
                if glyph == " ":  # a space must be visible, not guessed
                    painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                    painter.drawText(QPointF(x, y), "␣")
                    painter.setPen(self.palette().color(QPalette.ColorRole.Text))
                else:
                    painter.drawText(QPointF(x, y), glyph)
                del glyph
        finally:
            painter.end()


class RevealPanel(QWidget):
    """The reveal step's controls around a :class:`SecretView`."""

    visibility_changed = Signal(bool)

    def __init__(
        self,
        flow: ReconstructFlow,
        clipboard: SecretClipboard | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self.clipboard = clipboard
        self.on_refused: Callable[[], None] | None = None
        self.view = SecretView(self)
        self.toggle = QPushButton("Show credential", self)
        self.toggle.setObjectName("revealToggle")
        self.toggle.setAccessibleName("Show or hide the credential")
        self.toggle.clicked.connect(self._toggle)
        self.copy_button = QPushButton(self._copy_label(), self)
        self.copy_button.setObjectName("copyButton")
        self.copy_button.clicked.connect(self.copy)
        self.copy_button.setVisible(clipboard is not None)
        self.countdown = QLabel("Hidden. Show it only when you are ready to type it.", self)
        self.countdown.setObjectName("revealCountdown")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("revealBar")
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.hold = QLabel("", self)
        self.hold.setObjectName("holdNotice")
        self.clip_notice = QLabel("", self)
        self.clip_notice.setObjectName("clipboardNotice")
        # the reveal gate's check (on entering the step, and the one each Show or Copy starts)
        # runs off the GUI thread: Show and Copy wait for it, Cancel and wipe does not
        self.gate_check = GateCheck(flow, self)
        self.gate_check.busy_changed.connect(self._checking)
        self.gate_shut = False
        self.checking = QLabel("", self)
        self.checking.setObjectName("gateChecking")
        self.checking.setWordWrap(True)
        self.checking.setVisible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.toggle)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(self.bar)
        layout.addWidget(self.countdown)
        layout.addLayout(buttons)
        layout.addWidget(self.checking)
        layout.addWidget(self.clip_notice)
        layout.addWidget(self.hold)

        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.tick)
        if clipboard is not None:
            clipboard.cleared.connect(self._clipboard_cleared)
        flow.wipe_listeners.append(self._on_wipe)

    def _refused(self) -> None:
        """The reveal gate shut at the moment of a reveal or copy: tell the page."""
        if self.on_refused is not None:
            self.on_refused()

    def _copy_label(self) -> str:
        secs = int(self.clipboard.seconds) if self.clipboard else 30
        return f"Copy (clipboard clears in {secs} s)"

    # -- lifecycle ---------------------------------------------------------------------------------
    def attach(self) -> None:
        """Show the reconstructed credential's placeholder (hidden) and start the clock."""
        self.view.set_secret(self.flow.secret)
        self.toggle.setEnabled(self.flow.secret is not None)
        self.copy_button.setEnabled(self.flow.secret is not None)
        self.timer.start()
        self.tick()

    def _toggle(self) -> None:
        if self.view.shown:
            self.hide_secret("hidden by the operator")
        else:
            self.show_secret()

    # -- the gate's check off the GUI thread --------------------------------------------------
    def _checking(self, busy: bool) -> None:
        self.checking.setVisible(busy)
        self.checking.setText(
            f"{GATE_CHECKING} The credential stays hidden until it answers; "
            "Cancel and wipe works meanwhile."
            if busy
            else ""
        )
        self.restore_buttons()

    def restore_buttons(self) -> None:
        """Show and Copy: only with a credential held, the gate not shut, no check running."""
        usable = self.flow.secret is not None and not self.gate_shut and not self.gate_check.busy
        self.toggle.setEnabled(usable)
        self.copy_button.setEnabled(usable)

    def _may_apply(self) -> bool:
        """A check's answer still concerns this reveal: the credential held, the step shown."""
        wizard = self.flow.wizard
        return self.flow.secret is not None and wizard.running and wizard.current == "reveal"

    def show_secret(self) -> None:
        """Start the reveal: its own gate check, off the GUI thread; shown when it is open."""
        if self.flow.secret is None or self.gate_check.busy:
            return
        self.gate_check.start(self._reveal_checked)

    def _reveal_checked(self, probed: GateProbe | None, error: str) -> None:
        if not self._may_apply():
            return
        if probed is None:
            self.countdown.setText(f"Not shown: the check of the audit mirror failed ({error}).")
            self._refused()
            return
        try:
            self.flow.reveal(probed=probed)  # the reveal gate, checked again for this reveal
        except BreakglassError as exc:
            self.countdown.setText(f"Not shown: {exc}")
            self._refused()
            return
        self.view.set_shown(True)
        self.toggle.setText("Hide credential")
        self.visibility_changed.emit(True)
        self.tick()

    def hide_secret(self, reason: str = "hidden") -> None:
        was = self.view.shown
        self.flow.hide(reason)
        self.view.set_shown(False)
        self.toggle.setText("Show credential")
        self.bar.setValue(0)
        if self.flow.secret is not None:
            self.countdown.setText("Hidden. Show it again if you need it.")
        if was:
            self.visibility_changed.emit(False)

    def copy(self) -> None:
        """Start a copy: its own gate check, off the GUI thread; copied when it is open."""
        if self.flow.secret is None or self.clipboard is None or self.gate_check.busy:
            return
        self.gate_check.start(self._copy_checked)

    def _copy_checked(self, probed: GateProbe | None, error: str) -> None:
        secret = self.flow.secret
        if secret is None or self.clipboard is None or not self._may_apply():
            return
        if probed is None:
            self.clip_notice.setText(f"Not copied: the check of the audit mirror failed ({error}).")
            self._refused()
            return
        try:
            # the reveal gate, checked again for this copy
            self.flow.note_copied(self.clipboard.seconds, probed=probed)
        except BreakglassError as exc:
            self.clip_notice.setText(f"Not copied: {exc}")
            self._refused()
            return
        self.clipboard.copy(secret)
        self.tick()

    def _clipboard_cleared(self, reason: str) -> None:
        if reason == "taken":
            self.clip_notice.setText("The clipboard was replaced by something else meanwhile.")
        else:
            self.clip_notice.setText(f"Clipboard cleared ({reason}).")

    def tick(self) -> None:
        """Apply the clock: countdown, auto-hide, hold timeout, clipboard expiry."""
        self.flow.tick()
        if self.clipboard is not None:
            self.clipboard.tick()
            if self.clipboard.active:
                self.clip_notice.setText(
                    f"On the clipboard, marked concealed: cleared in "
                    f"{int(self.clipboard.remaining() + 0.999)} s."
                )
        if self.view.shown and self.flow.revealed_until is None:
            self.hide_secret("countdown ended")
            self.countdown.setText("Hidden again after the countdown. Show it again if needed.")
        if self.view.shown:
            left = self.flow.reveal_remaining()
            total = max(self.flow.config.reveal_seconds, 0.001)
            self.bar.setValue(int(1000 * left / total))
            self.countdown.setText(f"Visible — hides in {int(left + 0.999)} s")
        if self.flow.secret is not None:
            hold = int(self.flow.hold_remaining() + 0.999)
            self.hold.setText(f"This program wipes the credential in {hold // 60}:{hold % 60:02d}.")

    def _on_wipe(self, reason: str) -> None:
        self.gate_check.cancel()  # a check still on its way is dropped: nothing left to show
        self.timer.stop()
        self.view.clear()
        if self.clipboard is not None:
            self.clipboard.clear_if_ours("wiped")
        self.toggle.setEnabled(False)
        self.copy_button.setEnabled(False)
        self.bar.setValue(0)
        self.countdown.setText(f"Wiped ({reason}).")
        self.hold.setText("")

    def detach(self) -> None:
        if self._on_wipe in self.flow.wipe_listeners:
            self.flow.wipe_listeners.remove(self._on_wipe)
        self.gate_check.cancel()
        self.timer.stop()
