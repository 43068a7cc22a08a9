"""Step 4: review the ceremony; the shares are made here (off the GUI thread)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.split_flow import SECRET as SECRET_SLOT

from .base import SplitPage, mono, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["ReviewPage"]


class ReviewPage(SplitPage):
    step_id = "review"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.form_box = QWidget()
        self.form = QFormLayout(self.form_box)
        layout.addWidget(self.form_box)
        self.fingerprint = QLabel("")
        named(self.fingerprint, "fingerprintLabel", "Set fingerprint")
        f = mono()
        f.setPointSizeF(f.pointSizeF() * 1.8)
        f.setBold(True)
        self.fingerprint.setFont(f)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(QLabel("Set fingerprint (read it aloud; every sheet must show it):"))
        layout.addWidget(self.fingerprint)
        self.warnings = note("", "reviewWarnings")
        self.warnings.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.warnings)
        # a generated secret: shown once here, so the host can install it on the target
        gen = QHBoxLayout()
        self.generated_note = note("", "generatedNote")
        self.show_generated = QPushButton("Show &generated credential once…")
        named(self.show_generated, "showGeneratedCredential", "Show the generated credential once")
        self.show_generated.clicked.connect(self.open_generated)
        gen.addWidget(self.generated_note, 1)
        gen.addWidget(self.show_generated)
        layout.addLayout(gen)
        # ... and confirmed: two groups typed back (or a concealed copy), before printing
        confirm = QHBoxLayout()
        self.challenge_label = note("", "groupChallengeLabel")
        self.group_a = QLineEdit()
        named(self.group_a, "groupA", "First group of the generated credential")
        self.group_b = QLineEdit()
        named(self.group_b, "groupB", "Second group of the generated credential")
        for edit in (self.group_a, self.group_b):
            edit.setMaxLength(8)
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setFixedWidth(90)
        self.confirm_button = QPushButton("C&onfirm groups")
        named(self.confirm_button, "confirmGroupsButton", "Confirm the two groups")
        self.confirm_button.clicked.connect(self.confirm_groups)
        self.group_b.returnPressed.connect(self.confirm_groups)
        confirm.addWidget(self.challenge_label, 1)
        confirm.addWidget(self.group_a)
        confirm.addWidget(self.group_b)
        confirm.addWidget(self.confirm_button)
        layout.addLayout(confirm)
        self._shown_secret: object = None  # the generated buffer already shown (identity only)
        self.generated_dialog: QWidget | None = None
        layout.addStretch(1)
        self.started_at = 0.0

    def enter(self) -> None:
        self.started_at = time.perf_counter()
        self._fill()
        if self.ceremony.share_set is None:
            self.fingerprint.setText("making the shares…")
            self.run(self.ceremony.compute_shares, self._made)

    def _made(self, share_set: Any) -> None:
        if self.ceremony.wizard.current != "review":
            return  # left meanwhile: this set is not wanted
        self.ceremony.accept_shares(share_set)
        self._fill()

    def _fill(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, value in self.ceremony.review_lines():
            if label == "Set fingerprint":
                continue
            v = QLabel(value)
            v.setWordWrap(True)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(f"{label}:", v)
        share_set = self.ceremony.share_set
        self.fingerprint.setText(share_set.fingerprint_text if share_set else "making the shares…")
        self.warnings.setText("\n".join(f"⚠ {w}" for w in self.ceremony.custodian_warnings()))
        self._fill_generated()

    def _generated_secret(self) -> Any:
        source = str(getattr(self.wizard.pages.get("credential"), "source", "") or "")
        secret = self.ceremony.state.secret(SECRET_SLOT)
        if not source.startswith("generated") or secret is None or secret.is_wiped:
            return None
        return secret

    def confirm_groups(self) -> bool:
        ok = self.ceremony.answer_group_challenge(self.group_a.text(), self.group_b.text())
        self.group_a.clear()
        self.group_b.clear()
        if not ok:
            self.show_error("Those are not the groups asked for: look again, a new pair is asked.")
        self._fill_generated()
        self.wizard.refresh_buttons()
        return ok

    def _fill_generated(self) -> None:
        secret = self._generated_secret()
        shown = secret is not None and secret is self._shown_secret
        confirming = secret is not None and not self.ceremony.secret_confirmed
        for w in (self.challenge_label, self.group_a, self.group_b, self.confirm_button):
            w.setVisible(confirming)
        if confirming and self.ceremony.secret_groups() >= 2:
            a, b = self.ceremony.group_challenge()
            self.challenge_label.setText(
                f"Type groups {a} and {b} of the credential as shown (or copy it in the window "
                "that shows it): proof that it was seen and can be set on the target system."
            )
        self.generated_note.setVisible(secret is not None)
        self.show_generated.setVisible(secret is not None)
        self.show_generated.setEnabled(secret is not None and not shown)
        self.generated_note.setText(
            "The generated credential was shown once; it is not shown again."
            if shown
            else "Nobody has seen the generated credential yet: install it on the target system "
            "before handing out the sheets. It can be shown once."
        )

    def _copied(self) -> None:
        self.ceremony.mark_secret_copied()
        self._fill_generated()
        self.wizard.refresh_buttons()

    def open_generated(self) -> QWidget | None:
        """The one-time view of the generated credential (never logged; wiped at Finish)."""
        from ..clipboard import SecretClipboard  # noqa: PLC0415
        from ..split_wizard_reveal import GeneratedSecretDialog  # noqa: PLC0415

        secret = self._generated_secret()
        if secret is None or secret is self._shown_secret:
            return None
        self._shown_secret = secret
        clock = self.wizard.services.clock
        dialog = GeneratedSecretDialog(
            secret, clock, clipboard=SecretClipboard(clock, parent=self), parent=self
        )
        dialog.finished.connect(lambda _r: self._fill_generated())
        dialog.copied.connect(self._copied)
        self.generated_dialog = dialog
        self._fill_generated()
        dialog.open()
        return dialog
