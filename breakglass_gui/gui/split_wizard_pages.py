"""The pages of the split wizard; each attaches to one step of ``ceremony.split_flow``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import FolderSink
from breakglass_gui.ceremony.split_flow import (
    ALPHABETS,
    PRESETS,
    CustodianEntry,
    SplitCeremony,
    default_folder,
    folder_risk,
    generate_secret,
    read_secret_file,
)
from breakglass_gui.ceremony.split_flow import SECRET as SECRET_SLOT
from breakglass_gui.core.errors import BreakglassError, PolicyError
from breakglass_gui.core.policy import Policy

from .widgets.camera_view import CameraView
from .widgets.secret_entry import SecretEntry
from .workers import run_task

if TYPE_CHECKING:
    from .split_wizard import SplitWizard

__all__ = [
    "CredentialPage",
    "CustodiansPage",
    "Page",
    "PolicyPage",
    "PrintPage",
    "ReviewPage",
    "SummaryPage",
    "VerifyPage",
]


def _mono() -> QFont:
    return QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))


def _note(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def _named(widget: QWidget, name: str, accessible: str) -> QWidget:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


class Page(QWidget):
    """Base page: ``enter`` (fill from the ceremony), ``commit`` (push input, return problems),
    ``leave`` (clear what is sensitive), ``refresh`` (after any ceremony change)."""

    step_id = ""

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.wizard = wizard
        self.busy = False
        self.setObjectName(f"{self.step_id}Page")

    @property
    def ceremony(self) -> SplitCeremony:
        return self.wizard.ceremony

    def enter(self) -> None:
        return None

    def commit(self) -> list[str]:
        return []

    def leave(self) -> None:
        return None

    def refresh(self) -> None:
        return None

    def has_input(self) -> bool:
        return False

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.wizard._refresh_buttons()

    def run(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``fn`` on a worker; the page is busy (navigation disabled) until it returns."""
        self.set_busy(True)

        def ok(result: Any) -> None:
            self.set_busy(False)
            done(result)

        def bad(message: str) -> None:
            self.set_busy(False)
            (failed or self.show_error)(message)

        run_task(fn, ok, bad, context=self)

    def show_error(self, message: str) -> None:
        self.wizard.problems.setText(message)


# -- 1. credential ------------------------------------------------------------------------------


class CredentialPage(Page):
    step_id = "credential"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.source = ""
        form = QFormLayout()
        self.name = QLineEdit()
        _named(self.name, "credentialName", "Credential name")
        self.name.setPlaceholderText("e.g. prod-db root")
        self.scope = QLineEdit()
        _named(self.scope, "credentialScope", "Scope")
        self.scope.setPlaceholderText("what it opens, e.g. the root account of the prod database")
        self.notes = QPlainTextEdit()
        _named(self.notes, "credentialNotes", "Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(80)
        form.addRow("&Name:", self.name)
        form.addRow("&Scope:", self.scope)
        form.addRow("N&otes:", self.notes)

        box = QGroupBox("The secret")
        grid = QVBoxLayout(box)
        self.entry = SecretEntry(box)
        grid.addWidget(
            _note(
                "Type or paste it (hidden as you type), load it from a file, or generate a new one."
            )
        )
        entry_row = QHBoxLayout()
        label = QLabel("S&ecret:")
        label.setBuddy(self.entry.edit)
        entry_row.addWidget(label)
        entry_row.addWidget(self.entry, 1)
        grid.addLayout(entry_row)
        row = QHBoxLayout()
        self.load_button = QPushButton("&Load from file…")
        _named(self.load_button, "loadSecretButton", "Load the secret from a file")
        self.load_button.clicked.connect(self._choose_file)
        row.addWidget(self.load_button)
        row.addSpacing(20)
        row.addWidget(QLabel("Generate:"))
        self.length = QSpinBox()
        _named(self.length, "generateLength", "Length of the generated secret")
        self.length.setRange(8, 1024)
        self.length.setValue(32)
        self.length.setSuffix(" characters")
        self.alphabet = QComboBox()
        _named(self.alphabet, "generateAlphabet", "Alphabet of the generated secret")
        self.alphabet.addItems(list(ALPHABETS))
        self.generate_button = QPushButton("&Generate")
        _named(self.generate_button, "generateButton", "Generate a new secret")
        self.generate_button.clicked.connect(self.generate)
        row.addWidget(self.length)
        row.addWidget(self.alphabet)
        row.addWidget(self.generate_button)
        row.addStretch(1)
        grid.addLayout(row)
        status_row = QHBoxLayout()
        self.status = _note("", "secretStatus")
        self.status.setAccessibleName("Secret status")
        self.clear_button = QPushButton("Clear secret")
        _named(self.clear_button, "clearSecretButton", "Forget the secret held")
        self.clear_button.clicked.connect(self.clear_secret)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.clear_button)
        grid.addLayout(status_row)
        self.entry.changed.connect(self.refresh)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(
            _note(
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

    def refresh(self) -> None:
        n = self.ceremony.secret_length
        if not self.entry.is_empty():
            self.status.setText("Typed secret: it is taken in when you go on (Next).")
        elif n:
            self.status.setText(f"Secret held: {n} bytes ({self.source or 'entered'}).")
        else:
            self.status.setText("No secret yet.")
        self.clear_button.setEnabled(bool(n) or not self.entry.is_empty())

    def commit(self) -> list[str]:
        self.ceremony.set_details(self.name.text(), self.scope.text(), self.notes.toPlainText())
        taken = self.entry.take()
        if taken is not None:
            self.ceremony.set_secret(taken)
            self.source = "typed or pasted"
        self.refresh()
        return []

    def leave(self) -> None:
        self.entry.clear()

    def has_input(self) -> bool:
        return bool(self.name.text() or not self.entry.is_empty())

    def generate(self) -> None:
        secret = generate_secret(self.length.value(), self.alphabet.currentText())
        self.entry.clear()
        self.ceremony.set_secret(secret)
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
        self.ceremony.set_secret(secret)
        self.source = f"loaded from {Path(path).name}"
        self.refresh()
        return True

    def clear_secret(self) -> None:
        self.entry.clear()
        self.ceremony.clear_secret()
        self.source = ""
        self.refresh()


# -- 2. policy ----------------------------------------------------------------------------------


class PolicyPage(Page):
    step_id = "policy"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for preset in PRESETS:
            radio = QRadioButton(preset.title)
            key = preset.key.replace("-", "")
            _named(radio, f"preset_{key}", preset.title)
            radio.setAccessibleDescription(preset.guidance)
            self.group.addButton(radio)
            self.radios[preset.key] = radio
            layout.addWidget(radio)
            guide = _note(preset.guidance)
            guide.setContentsMargins(28, 0, 0, 6)
            layout.addWidget(guide)
        self.custom = QRadioButton("Custom: any M of N shares")
        _named(self.custom, "customPolicy", "Custom M of N policy")
        self.group.addButton(self.custom)
        layout.addWidget(self.custom)
        row = QHBoxLayout()
        row.setContentsMargins(28, 0, 0, 0)
        self.m = QSpinBox()
        _named(self.m, "customM", "Shares needed (M)")
        self.m.setRange(2, 16)
        self.m.setValue(2)
        self.n = QSpinBox()
        _named(self.n, "customN", "Shares in all (N)")
        self.n.setRange(2, 16)
        self.n.setValue(3)
        row.addWidget(QLabel("any"))
        row.addWidget(self.m)
        row.addWidget(QLabel("of"))
        row.addWidget(self.n)
        row.addWidget(QLabel("shares"))
        row.addStretch(1)
        layout.addLayout(row)

        self.grouped = QRadioButton("Groups: a quorum of groups, each with its own quorum")
        _named(self.grouped, "groupPolicy", "Group policy")
        self.group.addButton(self.grouped)
        layout.addWidget(self.grouped)
        gbox = QWidget()
        g = QGridLayout(gbox)
        g.setContentsMargins(28, 0, 0, 0)
        self.groups = QTableWidget(2, 3)
        _named(self.groups, "groupsTable", "Groups: name, shares needed, shares in all")
        self.groups.setHorizontalHeaderLabels(["Group", "Needed", "Shares"])
        self.groups.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, (name, m, n) in enumerate((("leadership", 1, 2), ("on-call", 2, 3))):
            for c, v in enumerate((name, str(m), str(n))):
                self.groups.setItem(r, c, QTableWidgetItem(v))
        self.groups.setMaximumHeight(150)
        self.group_threshold = QSpinBox()
        _named(self.group_threshold, "groupThreshold", "Groups needed")
        self.group_threshold.setRange(1, 16)
        self.group_threshold.setValue(2)
        add = QPushButton("Add group")
        _named(add, "addGroupButton", "Add a group")
        add.clicked.connect(lambda: self.groups.insertRow(self.groups.rowCount()))
        remove = QPushButton("Remove group")
        _named(remove, "removeGroupButton", "Remove the selected group")
        remove.clicked.connect(
            lambda: (
                self.groups.removeRow(max(self.groups.currentRow(), 0))
                if self.groups.rowCount() > 1
                else None
            )
        )
        g.addWidget(QLabel("Groups needed:"), 0, 0)
        g.addWidget(self.group_threshold, 0, 1)
        g.addWidget(add, 0, 2)
        g.addWidget(remove, 0, 3)
        g.addWidget(self.groups, 1, 0, 1, 4)
        layout.addWidget(gbox)
        self.description = _note("", "policyDescription")
        f = self.description.font()
        f.setBold(True)
        self.description.setFont(f)
        layout.addWidget(self.description)
        layout.addStretch(1)
        self.radios["2-of-3"].setChecked(True)
        self.group.buttonToggled.connect(lambda *_: self._update_description())
        self.m.valueChanged.connect(lambda _v: self._select(self.custom))
        self.n.valueChanged.connect(lambda _v: self._select(self.custom))
        self.groups.itemChanged.connect(lambda _i: self._select(self.grouped))
        self.group_threshold.valueChanged.connect(lambda _v: self._select(self.grouped))
        self.setFocusProxy(self.radios["2-of-3"])
        self._update_description()

    def _select(self, radio: QRadioButton) -> None:
        radio.setChecked(True)
        self._update_description()

    def build(self) -> tuple[Policy, str | None]:
        for key, radio in self.radios.items():
            if radio.isChecked():
                preset = next(p for p in PRESETS if p.key == key)
                return preset.policy, key
        if self.custom.isChecked():
            return Policy.simple(self.m.value(), self.n.value()), None
        spec = []
        for r in range(self.groups.rowCount()):
            cells = [self.groups.item(r, c) for c in range(3)]
            texts = [c.text().strip() if c else "" for c in cells]
            if not any(texts):
                continue
            try:
                spec.append((texts[0], int(texts[1]), int(texts[2])))
            except ValueError as exc:
                raise PolicyError(f"group row {r + 1}: needed and shares are numbers") from exc
        return Policy.grouped(self.group_threshold.value(), spec), None

    def _update_description(self) -> None:
        try:
            policy, _ = self.build()
        except PolicyError as exc:
            self.description.setText(f"Not a valid policy: {exc}")
            return
        self.description.setText(
            f"{policy.short()}: {policy.describe()} ({policy.total_shares} sheets to print)"
        )

    def enter(self) -> None:
        policy = self.ceremony.policy
        preset = self.ceremony.state.get("preset")
        if preset in self.radios:
            self.radios[preset].setChecked(True)
        elif policy is not None and policy.is_simple:
            self.m.setValue(policy.groups[0].threshold)
            self.n.setValue(policy.groups[0].count)
            self.custom.setChecked(True)
        self._update_description()

    def commit(self) -> list[str]:
        try:
            policy, preset = self.build()
            if preset:
                self.ceremony.choose_preset(preset)
            else:
                self.ceremony.set_policy(policy)
        except PolicyError as exc:
            return [f"Not a valid policy: {exc}"]
        return []


# -- 3. custodians ------------------------------------------------------------------------------

CUSTODIAN_COLUMNS = ("Share", "Group", "Name", "Role", "Contact channel", "Location")


class CustodiansPage(Page):
    step_id = "custodians"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            _note(
                "Who holds each share, how to reach them at 3 a.m., and where the sheet is "
                "kept. Spread portions over people, roles and places that fail independently."
            )
        )
        self.table = QTableWidget(0, len(CUSTODIAN_COLUMNS))
        _named(self.table, "custodiansTable", "Custodians: one row per share")
        self.table.setHorizontalHeaderLabels(CUSTODIAN_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(True)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        layout.addWidget(self.table, 1)
        self.warnings = _note("", "custodianWarnings")
        self.warnings.setAccessibleName("Warnings about the custodians")
        self.warnings.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.warnings)
        self._filling = False
        self.table.itemChanged.connect(lambda _i: self._on_edit())
        self.setFocusProxy(self.table)

    def enter(self) -> None:
        self._filling = True
        entries = self.ceremony.custodians
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            fixed = (str(r + 1), self.ceremony.group_of(r + 1))
            for c, text in enumerate(fixed):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
            for c, text in enumerate((e.name, e.role, e.contact, e.location), start=2):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setColumnHidden(1, not any(self.ceremony.group_of(k) for k in range(1, 2)))
        self._filling = False
        if entries:
            self.table.setCurrentCell(0, 2)
        self._show_warnings()

    def entries(self) -> list[CustodianEntry]:
        out = []
        for r in range(self.table.rowCount()):
            texts = []
            for c in range(2, 6):
                item = self.table.item(r, c)
                texts.append(item.text() if item else "")
            out.append(CustodianEntry(*texts))
        return out

    def set_row(self, number: int, entry: CustodianEntry) -> None:
        """Fill one row (used by tests and by keyboard users pasting)."""
        for c, text in enumerate((entry.name, entry.role, entry.contact, entry.location), 2):
            self.table.setItem(number - 1, c, QTableWidgetItem(text))

    def _on_edit(self) -> None:
        if self._filling:
            return
        self.commit()

    def commit(self) -> list[str]:
        try:
            self.ceremony.set_custodians(self.entries())
        except PolicyError as exc:
            return [str(exc)]
        self._show_warnings()
        return []

    def _show_warnings(self) -> None:
        warnings = self.ceremony.custodian_warnings()
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))


# -- 4. review ----------------------------------------------------------------------------------


class ReviewPage(Page):
    step_id = "review"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.form_box = QWidget()
        self.form = QFormLayout(self.form_box)
        layout.addWidget(self.form_box)
        self.fingerprint = QLabel("")
        _named(self.fingerprint, "fingerprintLabel", "Set fingerprint")
        f = _mono()
        f.setPointSizeF(f.pointSizeF() * 1.8)
        f.setBold(True)
        self.fingerprint.setFont(f)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(QLabel("Set fingerprint (read it aloud; every sheet must show it):"))
        layout.addWidget(self.fingerprint)
        self.warnings = _note("", "reviewWarnings")
        self.warnings.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.warnings)
        # a generated secret: shown once here, so the host can install it on the target
        gen = QHBoxLayout()
        self.generated_note = _note("", "generatedNote")
        self.show_generated = QPushButton("Show &generated credential once…")
        _named(self.show_generated, "showGeneratedCredential", "Show the generated credential once")
        self.show_generated.clicked.connect(self.open_generated)
        gen.addWidget(self.generated_note, 1)
        gen.addWidget(self.show_generated)
        layout.addLayout(gen)
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

    def _fill_generated(self) -> None:
        secret = self._generated_secret()
        shown = secret is not None and secret is self._shown_secret
        self.generated_note.setVisible(secret is not None)
        self.show_generated.setVisible(secret is not None)
        self.show_generated.setEnabled(secret is not None and not shown)
        self.generated_note.setText(
            "The generated credential was shown once; it is not shown again."
            if shown
            else "Nobody has seen the generated credential yet: install it on the target system "
            "before handing out the sheets. It can be shown once."
        )

    def open_generated(self) -> QWidget | None:
        """The one-time view of the generated credential (never logged; wiped at Finish)."""
        from .clipboard import SecretClipboard  # noqa: PLC0415
        from .split_wizard_reveal import GeneratedSecretDialog  # noqa: PLC0415

        secret = self._generated_secret()
        if secret is None or secret is self._shown_secret:
            return None
        self._shown_secret = secret
        clock = self.wizard.services.clock
        dialog = GeneratedSecretDialog(
            secret, clock, clipboard=SecretClipboard(clock, parent=self), parent=self
        )
        dialog.finished.connect(lambda _r: self._fill_generated())
        self.generated_dialog = dialog
        self._fill_generated()
        dialog.open()
        return dialog


# -- 5. print and save ----------------------------------------------------------------------------


class PrintPage(Page):
    step_id = "print"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            _note(
                "Each custodian's sheet carries their share: print it and hand it over in a "
                "sealed envelope, and/or save the PDF to a folder you chose on purpose (a USB "
                "stick that goes into the safe). The ceremony record and the runbook hold no "
                "share material."
            )
        )
        row = QHBoxLayout()
        label = QLabel("&Folder:")
        self.folder = QLineEdit()
        _named(self.folder, "folderEdit", "Folder to save the PDFs in")
        label.setBuddy(self.folder)
        browse = QPushButton("B&rowse…")
        _named(browse, "browseButton", "Choose the folder")
        browse.clicked.connect(self._browse)
        row.addWidget(label)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.risk = _note("", "folderRisk")
        self.risk.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.risk)
        self.folder.textChanged.connect(lambda _t: self._check_folder())

        self.table = QTableWidget(0, 2)
        _named(self.table, "documentsTable", "Documents to print or save")
        self.table.setHorizontalHeaderLabels(["Document", "Done"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.save_all_button = QPushButton("&Save all to the folder")
        _named(self.save_all_button, "saveAllButton", "Save every PDF to the folder")
        self.save_all_button.clicked.connect(lambda: self.save(only_missing=False))
        self.save_button = QPushButton("Save &selected")
        _named(self.save_button, "saveSelectedButton", "Save the selected PDF")
        self.save_button.clicked.connect(lambda: self.save(selected=True))
        self.print_button = QPushButton("&Print selected…")
        _named(self.print_button, "printButton", "Print the selected document")
        self.print_button.clicked.connect(self.print_selected)
        for b in (self.save_all_button, self.save_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = _note("", "printMessage")
        layout.addWidget(self.message)
        self.risk_accepted: str | None = None
        self.setFocusProxy(self.save_all_button)

    def enter(self) -> None:
        share_set = self.ceremony.share_set
        if share_set is not None and not self.folder.text():
            root = self.wizard.services.documents_root
            base = default_folder(share_set.header.label, share_set.fingerprint_text, root)
            self.folder.setText(str(base))
        self.refresh()
        self.table.setCurrentCell(0, 0)

    def refresh(self) -> None:
        docs = self.ceremony.documents
        if self.table.rowCount() != len(docs):
            self.table.setRowCount(len(docs))
        for r, d in enumerate(docs):
            self.table.setItem(
                r, 0, QTableWidgetItem(d.title + ("" if d.required else " (optional)"))
            )
            self.table.setItem(r, 1, QTableWidgetItem("; ".join(d.emitted) or "—"))
        for b in (self.save_all_button, self.save_button, self.print_button):
            b.setEnabled(not self.busy)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Save the PDFs in", self.folder.text())
        if path:
            self.folder.setText(path)

    def _check_folder(self) -> str | None:
        text = self.folder.text().strip()
        risk = folder_risk(text) if text else None
        self.risk.setText(f"⚠ {risk}" if risk else "")
        return risk

    def save(self, *, only_missing: bool = False, selected: bool = False) -> None:
        folder = self.folder.text().strip()
        if not folder:
            self.message.setText("Choose a folder first.")
            return
        risk = self._check_folder()
        if risk and self.risk_accepted != folder:
            if not self.wizard.confirm("Save here?", risk + "\n\nSave here anyway?"):
                return
            self.risk_accepted = folder
        docs = self.ceremony.documents
        if selected:
            r = self.table.currentRow()
            ids = [docs[r].id] if 0 <= r < len(docs) else []
        else:
            ids = [d.id for d in docs if not (only_missing and d.done)]
        sink = FolderSink(Path(folder).expanduser())
        render = self.ceremony.render_document
        names = {d.id: d.file_name for d in docs}

        def work() -> tuple[list[tuple[str, str]], str | None]:
            done: list[tuple[str, str]] = []
            for doc_id in ids:
                try:
                    data = render(doc_id)
                    where = sink.save(names[doc_id], data)
                    del data
                except OSError as exc:
                    reason = exc.strerror or str(exc)
                    return done, f"{reason} ({getattr(exc, 'filename', None) or folder})"
                done.append((doc_id, where))
            return done, None

        self.message.setText(f"Writing {len(ids)} PDF(s)…")
        self.run(work, self._saved)

    def _saved(self, result: tuple[list[tuple[str, str]], str | None]) -> None:
        done, error = result
        for doc_id, where in done:
            self.ceremony.mark_emitted(doc_id, f"saved to {where}")
        if error:
            self.message.setText(
                f"Could not save everything: {error}. {len(done)} written. Choose another folder "
                "(or free some space) and press “Save all” again."
            )
        else:
            self.message.setText(f"{len(done)} PDF(s) written to {self.folder.text()}.")
        self.refresh()

    def print_selected(self) -> None:
        services = self.wizard.services
        docs = self.ceremony.documents
        r = self.table.currentRow()
        if not 0 <= r < len(docs):
            self.message.setText("Select a document to print.")
            return
        printers = services.printers() if services.printers else []
        if not printers or services.print_pdf is None:
            self.message.setText(
                "No printer is set up on this computer. Save the PDFs to removable media and "
                "print them from a trusted machine, then mark them done by saving."
            )
            return
        printer = printers[0]
        if len(printers) > 1:
            printer = self.wizard.choose("Print on which printer?", printers) or ""
            if not printer:
                return
        doc = docs[r]
        render = self.ceremony.render_document
        spool = services.print_pdf

        def work() -> str:
            data = render(doc.id)
            spool(printer, data)
            return printer

        self.message.setText(f"Sending “{doc.title}” to {printer}…")
        self.run(
            work,
            lambda p: self._printed(doc.id, str(p)),
            lambda m: self.message.setText(f"Printing failed: {m}. Save the PDF instead."),
        )

    def _printed(self, doc_id: str, printer: str) -> None:
        self.ceremony.mark_emitted(doc_id, f"printed on {printer}")
        self.message.setText(f"Sent to {printer}. Check the printout before going on.")
        self.refresh()


# -- 6. verify ------------------------------------------------------------------------------------


class VerifyPage(Page):
    step_id = "verify"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            _note(
                "Scan every printed sheet back (camera or a photo), or type the three "
                "verification words printed at its top. Finish is possible once all are checked."
            )
        )
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.table = QTableWidget(0, 3)
        _named(self.table, "verifyTable", "Shares and whether they were verified")
        self.table.setHorizontalHeaderLabels(["Share", "Custodian", "Verified"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        left.addWidget(self.table, 1)
        words = QHBoxLayout()
        self.words_share = QComboBox()
        _named(self.words_share, "wordsShare", "Share whose words you type")
        self.words = QLineEdit()
        _named(self.words, "wordsEdit", "Verification words")
        self.words.setPlaceholderText("three verification words")
        self.words.returnPressed.connect(self.check_words)
        check = QPushButton("Check &words")
        _named(check, "checkWordsButton", "Check the typed verification words")
        check.clicked.connect(self.check_words)
        self.words_share.setMinimumContentsLength(24)
        left.addWidget(self.words_share)
        words.addWidget(self.words, 1)
        words.addWidget(check)
        left.addLayout(words)
        scan = QHBoxLayout()
        self.camera_button = QPushButton("Scan with &camera")
        _named(self.camera_button, "scanCameraButton", "Scan sheets with the camera")
        self.camera_button.setCheckable(True)
        self.camera_button.toggled.connect(self.toggle_camera)
        self.image_button = QPushButton("Load &photo…")
        _named(self.image_button, "loadImageButton", "Load a photo of a sheet")
        self.image_button.clicked.connect(self._choose_image)
        self.camera_choice = QComboBox()
        _named(self.camera_choice, "cameraChoice", "Camera")
        self.camera_choice.setVisible(False)  # shown when there is more than one camera
        self.camera_options: list[Any] = []  # probed on "Scan with camera"
        scan.addWidget(self.camera_choice)
        scan.addWidget(self.camera_button)
        scan.addWidget(self.image_button)
        left.addLayout(scan)
        self.test_combine = QCheckBox("Also test-combine a quorum in memory (nothing is shown)")
        _named(self.test_combine, "testCombineCheck", "Test-combine a quorum")
        self.test_combine.toggled.connect(self._test_combine)
        left.addWidget(self.test_combine)
        body.addLayout(left, 3)
        self.camera = CameraView(self)
        self.camera.setMinimumSize(320, 240)
        body.addWidget(self.camera, 2)
        layout.addLayout(body, 1)
        self.message = _note("", "verifyMessage")
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
        self.wizard._refresh_buttons()

    def accept_texts(self, texts: list[str]) -> None:
        for text in texts:
            out = self.ceremony.verify_scanned_text(text)
            self.message.setText(("✔ " if out.ok else "✘ ") + out.message)
        self.wizard._refresh_buttons()

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

            frame = cv2.imread(p)
            if frame is None:
                raise OSError(f"not an image this program can read: {Path(p).name}")
            return frame, decode(frame)

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
            return services.frame_source
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


# -- after finish ---------------------------------------------------------------------------------


class SummaryPage(QWidget):
    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.setObjectName("summaryPage")
        layout = QVBoxLayout(self)
        self.text = _note("", "summaryText")
        self.text.setAccessibleName("Summary of the ceremony")
        f = self.text.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        self.text.setFont(f)
        layout.addWidget(self.text)
        layout.addStretch(1)

    def show_summary(self, lines: list[str]) -> None:
        self.text.setText("\n\n".join(lines))


def warn(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)
