"""The split ceremony wizard: Qt pages attached to the steps of ``ceremony.split_flow``.

The dialog owns one :class:`SplitCeremony`; each page reads from it on entering, pushes its
input into it on ``commit()``, and clears anything sensitive on ``leave()``. Navigation
asks the step graph (problems block, warnings show). Long work (making the shares, the
PDFs, decoding photos) runs on pool workers; only this thread touches widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import SetRecord
from breakglass_gui.ceremony.split_flow import STEP_TITLES, SplitCeremony, SplitPorts
from breakglass_gui.ceremony.wizard import WizardError, WizardStatus

from .main_window import Services
from .split_wizard_pages import (
    CredentialPage,
    CustodiansPage,
    Page,
    PolicyPage,
    PrintPage,
    ReviewPage,
    SummaryPage,
    VerifyPage,
)

__all__ = ["SplitWizard"]

Confirm = Callable[[str, str], bool]


def _ask(parent: QWidget) -> Confirm:
    def confirm(title: str, text: str) -> bool:
        answer = QMessageBox.question(
            parent,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    return confirm


class SplitWizard(QDialog):
    """New split ceremony (or rotation of ``replaces``)."""

    step_changed = Signal(str)
    ceremony_over = Signal(str)  # "finished" | "cancelled"

    def __init__(
        self,
        services: Services,
        *,
        replaces: SetRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("splitWizard")
        self.setWindowTitle(
            "Rotate: new split ceremony" if replaces else "New split ceremony — Breakglass"
        )
        self.setWindowModality(Qt.WindowModality.WindowModal)
        record = None
        if replaces is not None:
            record = SetRecord(
                replaces.fingerprint, replaces.label, replaces.policy, replaces.created
            )
        ports = SplitPorts(
            services.new_split_recorder(), services.renderer, services.clock, services.operator
        )
        self.ceremony = SplitCeremony(ports, replaces=record, on_change=self._refresh_buttons)
        self.confirm: Confirm = _ask(self)

        self.steps = QListWidget(self)
        self.steps.setObjectName("stepList")
        self.steps.setAccessibleName("Ceremony steps")
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for sid, title in STEP_TITLES.items():
            self.steps.addItem(title)
            self.steps.item(self.steps.count() - 1).setData(Qt.ItemDataRole.UserRole, sid)
        self.steps.addItem("Finish")
        self.steps.setMaximumWidth(190)

        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        tf = QFont(self.title.font())
        tf.setPointSizeF(tf.pointSizeF() * 1.5)
        tf.setBold(True)
        self.title.setFont(tf)
        self.stack = QStackedWidget(self)
        self.pages: dict[str, Page] = {}
        for cls in (CredentialPage, PolicyPage, CustodiansPage, ReviewPage, PrintPage, VerifyPage):
            page = cls(self)
            self.pages[page.step_id] = page
            self.stack.addWidget(page)
        self.summary_page = SummaryPage(self)
        self.stack.addWidget(self.summary_page)

        self.problems = QLabel("")
        self.problems.setObjectName("problemsLabel")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #a00000;")
        self.problems.setAccessibleName("What blocks the next step")

        self.back_button = QPushButton("< &Back")
        self.back_button.setObjectName("backButton")
        self.next_button = QPushButton("&Next >")
        self.next_button.setObjectName("nextButton")
        self.next_button.setDefault(True)
        self.finish_button = QPushButton("&Finish")
        self.finish_button.setObjectName("finishButton")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setShortcut(QKeySequence("Ctrl+W"))
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("closeButton")
        for b in (
            self.back_button,
            self.next_button,
            self.finish_button,
            self.cancel_button,
            self.close_button,
        ):
            b.setAccessibleName(b.text().replace("&", "").strip("<> "))
            b.setAutoDefault(False)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.finish_button.clicked.connect(self.do_finish)
        self.cancel_button.clicked.connect(self.close)
        self.close_button.clicked.connect(self.accept)

        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.stack, 1)
        right.addWidget(self.problems)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.finish_button)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        outer = QHBoxLayout(self)
        outer.addWidget(self.steps)
        outer.addLayout(right, 1)
        self.resize(980, 680)
        self.ceremony.wizard.subscribe(lambda _w: self._show_current())
        self._show_current()

    # -- navigation ------------------------------------------------------------------------------
    @property
    def current_page(self) -> Page:
        return self.pages[self.ceremony.wizard.current]

    def _show_current(self) -> None:
        wizard = self.ceremony.wizard
        if wizard.status is not WizardStatus.RUNNING:
            self._refresh_buttons()
            return
        page = self.pages[wizard.current]
        self.stack.setCurrentWidget(page)
        self.title.setText(STEP_TITLES[wizard.current])
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            f = item.font()
            f.setBold(item.data(Qt.ItemDataRole.UserRole) == wizard.current)
            item.setFont(f)
        self.steps.setCurrentRow(list(STEP_TITLES).index(wizard.current))
        self.problems.setText("")
        page.enter()
        page.setFocus()
        self._refresh_buttons()
        self.step_changed.emit(wizard.current)

    def _refresh_buttons(self) -> None:
        wizard = self.ceremony.wizard
        running = wizard.status is WizardStatus.RUNNING
        busy = running and self.current_page.busy
        last = running and wizard.is_last()
        self.back_button.setVisible(running)
        self.next_button.setVisible(running and not last)
        self.finish_button.setVisible(running and last)
        self.cancel_button.setVisible(running)
        self.close_button.setVisible(not running)
        self.back_button.setEnabled(running and wizard.can_go_back() and not busy)
        self.next_button.setEnabled(running and not busy)
        self.finish_button.setEnabled(running and not busy and wizard.can_go_next())
        if running:
            self.current_page.refresh()

    def go_next(self) -> bool:
        wizard = self.ceremony.wizard
        page = self.current_page
        page_problems = page.commit()
        problems = page_problems or wizard.problems()
        if problems:
            self.problems.setText("\n".join(problems))
            return False
        page.leave()
        try:
            wizard.next()
        except WizardError as exc:
            self.problems.setText(str(exc))
            return False
        return True

    def go_back(self) -> bool:
        if not self.ceremony.wizard.can_go_back():
            return False
        self.current_page.commit()
        self.current_page.leave()
        self.ceremony.wizard.back()
        return True

    def do_finish(self) -> bool:
        page = self.current_page
        problems = page.commit() or self.ceremony.wizard.problems()
        if problems:
            self.problems.setText("\n".join(problems))
            return False
        try:
            summary = self.ceremony.finish()
        except OSError as exc:  # a full disk or a read-only home: say so, keep the ceremony
            self.problems.setText(
                f"Could not write the registry or the audit log: {exc.strerror or exc}. "
                "Free some space (or fix the folder's permissions) and press Finish again."
            )
            return False
        except WizardError as exc:
            self.problems.setText(str(exc))
            return False
        for p in self.pages.values():
            p.leave()
        self.summary_page.show_summary(summary)
        self.stack.setCurrentWidget(self.summary_page)
        self.title.setText("Finished")
        self.steps.setCurrentRow(self.steps.count() - 1)
        self.problems.setText("")
        self._refresh_buttons()
        self.close_button.setFocus()
        self.ceremony_over.emit("finished")
        return True

    # -- cancel and close --------------------------------------------------------------------
    def entered_anything(self) -> bool:
        state = self.ceremony.state
        return bool(
            state.secret_names()
            or state.get("name")
            or self.ceremony.share_set is not None
            or any(p.has_input() for p in self.pages.values())
        )

    def cancel_ceremony(self) -> None:
        """Wipe and record the abort (no question asked)."""
        for p in self.pages.values():
            p.leave()
        self.ceremony.cancel()
        self.ceremony_over.emit("cancelled")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ceremony.wizard.status is WizardStatus.RUNNING:
            if self.entered_anything() and not self.confirm(
                "Stop this ceremony?",
                "Stop the split ceremony? Everything entered is wiped, and the audit log "
                "records an aborted ceremony. Sheets already printed must be destroyed.",
            ):
                event.ignore()
                return
            try:
                self.cancel_ceremony()
            except OSError as exc:
                QMessageBox.warning(
                    self,
                    "Could not record the abort",
                    f"The secret is wiped, but the abort could not be recorded: {exc}.",
                )
        event.accept()
        super().closeEvent(event)
        self.done(QDialog.DialogCode.Rejected)

    def choose(self, question: str, options: list[str]) -> str | None:
        """Ask for one of ``options`` (tests replace this)."""
        value, ok = QInputDialog.getItem(self, "Breakglass", question, options, 0, False)
        return value if ok else None

    def reject(self) -> None:
        # Escape goes through the same question as closing the window.
        self.close()
