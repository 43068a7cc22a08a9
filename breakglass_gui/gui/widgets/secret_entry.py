"""A masked secret entry with a show toggle, that hands its text over as SecretBytes.

Qt keeps its own ``QString`` copies of whatever is typed (undo stack, the layout engine);
we cannot wipe those from Python. What we can do is take the text out as soon as the page
is left, clear the widget (and its undo history), and keep only the ``SecretBytes``. What
remains in memory is measured by the residue test of the reconstruction work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

from breakglass_gui.ceremony.split_flow import secret_from_text
from breakglass_gui.core.secret import SecretBytes

__all__ = ["SecretEntry"]


class SecretEntry(QWidget):
    """``QLineEdit`` in password mode + a "Show" toggle button."""

    changed = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None, *, name: str = "secretEntry") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.edit = QLineEdit(self)
        self.edit.setObjectName(f"{name}Edit")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName("Secret")
        self.edit.setAccessibleDescription("The credential to split; hidden while you type")
        self.edit.setPlaceholderText("Type or paste the credential")
        self.edit.setClearButtonEnabled(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.edit.setFont(QFont(mono))
        # no input-method composition: predictive keyboards would keep what is typed
        self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName(f"{name}Show")
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName("Show the secret")
        self.toggle.setToolTip("Show or hide what you typed (Alt+S)")
        self.toggle.toggled.connect(self._on_toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        self.edit.returnPressed.connect(self.submitted.emit)

    def _on_toggle(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")

    def is_empty(self) -> bool:
        return not self.edit.text()

    def take(self) -> SecretBytes | None:
        """The typed text as UTF-8 in a SecretBytes, then the widget is cleared (None if empty)."""
        if self.is_empty():
            self.clear()
            return None
        secret = secret_from_text(self.edit.text())
        self.clear()
        return secret

    def clear(self) -> None:
        """Empty the field, its undo history, and hide it again."""
        # setText("") resets undo/redo too; clear() keeps an undo step holding the old text.
        self.edit.setText("")
        self.edit.setModified(False)
        self.toggle.setChecked(False)
