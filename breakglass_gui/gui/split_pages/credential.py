"""Step 1: the credential's name, scope and the secret itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from breakglass_gui.ceremony.split_flow import ALPHABETS, read_secret_file
from breakglass_gui.core.errors import PolicyError

from ..widgets.secret_entry import SecretEntry
from .base import SplitPage, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["CredentialPage"]


class CredentialPage(SplitPage):
    step_id = "credential"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.source = ""
        form = QFormLayout()
        self.name = QLineEdit()
        named(self.name, "credentialName", "Credential name")
        self.name.setPlaceholderText("e.g. prod-db root")
        self.scope = QLineEdit()
        named(self.scope, "credentialScope", "Scope")
        self.scope.setPlaceholderText("what it opens, e.g. the root account of the prod database")
        self.notes = QPlainTextEdit()
        named(self.notes, "credentialNotes", "Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)
        form.addRow("Na&me:", self.name)
        form.addRow("&Scope:", self.scope)
        form.addRow("N&otes:", self.notes)

        box = QGroupBox("The secret")
        grid = QVBoxLayout(box)
        self.entry = SecretEntry(box)
        self.again = SecretEntry(box, name="secretAgain")
        self.again.edit.setAccessibleName("Secret again")
        self.again.edit.setAccessibleDescription("The same credential a second time, to confirm")
        self.again.edit.setPlaceholderText("Type or paste it a second time")
        self.again.toggle.setAccessibleName("Show the second entry")
        grid.addWidget(
            note(
                "Type or paste it twice (hidden as you type), load it from a file, or generate "
                "a new one."
            )
        )
        entries = QFormLayout()
        label = QLabel("S&ecret:")
        label.setBuddy(self.entry.edit)
        entries.addRow(label, self.entry)
        again_label = QLabel("&Again:")
        again_label.setBuddy(self.again.edit)
        entries.addRow(again_label, self.again)
        grid.addLayout(entries)
        row = QHBoxLayout()
        self.load_button = QPushButton("&Load from file…")
        named(self.load_button, "loadSecretButton", "Load the secret from a file")
        self.load_button.clicked.connect(self._choose_file)
        row.addWidget(self.load_button)
        row.addStretch(1)
        grid.addLayout(row)
        row = QHBoxLayout()  # a row of its own: the two rows fit a narrow window
        row.addWidget(QLabel("Or generate:"))
        self.length = QSpinBox()
        named(self.length, "generateLength", "Length of the generated secret")
        self.length.setRange(8, 1024)
        self.length.setValue(32)
        self.length.setSuffix(" characters")
        self.alphabet = QComboBox()
        named(self.alphabet, "generateAlphabet", "Alphabet of the generated secret")
        self.alphabet.addItems(list(ALPHABETS))
        self.generate_button = QPushButton("&Generate")
        named(self.generate_button, "generateButton", "Generate a new secret")
        self.generate_button.clicked.connect(self.generate)
        row.addWidget(self.length)
        row.addWidget(self.alphabet)
        row.addWidget(self.generate_button)
        row.addStretch(1)
        grid.addLayout(row)
        status_row = QHBoxLayout()
        self.status = note("", "secretStatus")
        self.status.setAccessibleName("Secret status")
        self.clear_button = QPushButton("Clear secret")
        named(self.clear_button, "clearSecretButton", "Forget the secret held")
        self.clear_button.clicked.connect(self.clear_secret)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.clear_button)
        grid.addLayout(status_row)
        self.strength = note("", "secretStrength")
        self.strength.setAccessibleName("Strength of the secret")
        grid.addWidget(self.strength)
        self.warning = note("", "secretWarning")
        self.warning.setAccessibleName("Warning about the secret")
        self.warning.setStyleSheet("color: #8a4b00;")
        grid.addWidget(self.warning)
        self.entry.changed.connect(self.refresh)
        self.again.changed.connect(self.refresh)
        self.entry.edit.installEventFilter(self)  # Return in the first field: to the second

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(
            note(
                "The secret stays in one wipeable buffer in this program: it is never written "
                "to disk, logged or shown on the sheets, and it is wiped at Finish or Cancel."
            )
        )
        layout.addStretch(1)
        self.setFocusProxy(self.name)

    def enter(self) -> None:
        st = self.ceremony.state
        self.name.setText(st.get("name", ""))
        self.scope.setText(st.get("scope", ""))
        self.notes.setPlainText(st.get("notes", ""))
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Return in the first secret field moves to "Again" while that is empty (instead of
        pressing Next with half a pair)."""
        if (
            watched is self.entry.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.again.is_empty()
            and not self.entry.is_empty()
        ):
            self.again.setFocus()
            return True
        return super().eventFilter(watched, event)

    def typing(self) -> bool:
        return not self.entry.is_empty() or not self.again.is_empty()

    def refresh(self) -> None:
        n = self.ceremony.secret_length
        if self.typing():
            if self.entry.is_empty() or self.again.is_empty():
                self.status.setText(
                    "Typed secret: type it in both fields; it is compared and taken in when "
                    "you go on (Next)."
                )
            else:
                self.status.setText(
                    "Typed secret: both entries are compared when you go on (Next)."
                )
        elif n and self.ceremony.awaiting_confirmation:
            self.status.setText(
                f"Typed secret held ({n} bytes), not yet confirmed: type it once more in "
                "\u201cAgain\u201d."
            )
        elif n:
            self.status.setText(f"Secret held: {n} bytes ({self.source or 'entered'}).")
        else:
            self.status.setText("No secret yet.")
        strength = self.ceremony.strength if not self.typing() else None
        self.strength.setText(strength.describe() + "." if strength is not None else "")
        warnings = self.ceremony.credential_warnings() if not self.typing() else []
        self.warning.setText("\n".join(warnings))
        self.warning.setVisible(bool(warnings))
        self.clear_button.setEnabled(bool(n) or self.typing())

    def commit(self) -> list[str]:
        self.ceremony.set_details(self.name.text(), self.scope.text(), self.notes.toPlainText())
        problems: list[str] = []
        if self.typing():
            first = self.entry.take()
            again = self.again.take()
            if first is not None:
                problems = self.ceremony.set_typed_secret(first, again)
            elif again is not None and self.ceremony.awaiting_confirmation:
                problem = self.ceremony.confirm_typed_secret(again)
                problems = [problem] if problem else []
            elif again is not None:
                again.wipe()
                problems = ["The first entry is empty: type the credential twice."]
            self.source = "typed or pasted twice" if self.ceremony.secret_length else ""
            waiting = self.ceremony.awaiting_confirmation
            (self.again if waiting else self.entry).setFocus()
        self.refresh()
        return problems

    def leave(self) -> None:
        self.entry.clear()
        self.again.clear()

    def has_input(self) -> bool:
        return bool(self.name.text() or self.typing())

    def generate(self) -> None:
        typed = self.typing() or (
            self.ceremony.secret_length and not self.source.startswith("generated")
        )
        if typed and not self.wizard.confirm(
            "Replace the secret?",
            "A secret was typed, pasted or loaded. Generate a new one in its place?",
        ):
            return
        self.entry.clear()
        self.again.clear()
        self.ceremony.generate(self.length.value(), self.alphabet.currentText())
        self.source = f"generated, {self.length.value()} characters, {self.alphabet.currentText()}"
        self.refresh()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load the secret from a file")
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> bool:
        try:
            secret = read_secret_file(path)
        except (OSError, PolicyError) as exc:
            self.show_error(f"Could not load the secret: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.entry.clear()
        self.again.clear()
        self.ceremony.set_secret(secret)
        self.source = f"loaded from {Path(path).name}"
        self.refresh()
        return True

    def clear_secret(self) -> None:
        self.entry.clear()
        self.again.clear()
        self.ceremony.clear_secret()
        self.source = ""
        self.refresh()
