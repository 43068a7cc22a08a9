"""Step 3: who holds each share, how to reach them, where the sheet is kept, who stands in.

Custodians must fail independently: when one person, one location or one role alone reaches
the quorum (the rule is ``ceremony.split_flow.custodian_problems``), Next stays blocked until
the host types why the risk is accepted; the reason is logged and printed on the record.
The incident channel and when to call the alternates go to the runbook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
)

from breakglass_gui.ceremony.split_flow import (
    CustodianEntry,
)
from breakglass_gui.core.errors import PolicyError

from ..widgets.tables import EditableTabTable
from .base import SplitPage, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["CustodiansPage"]


CUSTODIAN_COLUMNS = (
    "Share",
    "Group",
    "Name",
    "Role",
    "Contact channel",
    "Location",
    "Alternate (name, contact)",
)
_EDITABLE = range(2, len(CUSTODIAN_COLUMNS))


class CustodiansPage(SplitPage):
    step_id = "custodians"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Who holds each share, how to reach them at 3 a.m., and where the sheet is "
                "kept. Spread portions over people, roles and places that fail independently."
            )
        )
        self.table = EditableTabTable(0, len(CUSTODIAN_COLUMNS))
        named(self.table, "custodiansTable", "Custodians: one row per share")
        self.table.setHorizontalHeaderLabels(CUSTODIAN_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        layout.addWidget(self.table, 1)
        self.warnings = note("", "custodianWarnings")
        self.warnings.setAccessibleName("Warnings about the custodians")
        self.warnings.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.warnings)
        self.risk_reason = QLineEdit()
        named(
            self.risk_reason,
            "custodianRiskReason",
            "Why the custodian risk is accepted (logged and printed on the ceremony record)",
        )
        self.risk_reason.setPlaceholderText(
            "Only if custodians do not fail independently: why this is accepted"
        )
        self.risk_reason.textEdited.connect(self._on_reason)
        form = QFormLayout()
        self.risk_label = note("Risk accepted because:")
        form.addRow(self.risk_label, self.risk_reason)
        self.channel = QLineEdit()
        named(self.channel, "incidentChannel", "Incident channel, printed in the runbook")
        self.channel.setPlaceholderText("e.g. #inc-breakglass (left empty: a line to fill by hand)")
        self.channel.textEdited.connect(lambda _t: self._on_runbook())
        form.addRow("Incident &channel:", self.channel)
        self.minutes = QSpinBox()
        named(self.minutes, "alternateMinutes", "Call the alternates after this many minutes")
        self.minutes.setRange(1, 1440)
        self.minutes.setSuffix(" min")
        self.minutes.valueChanged.connect(lambda _v: self._on_runbook())
        form.addRow("Call alternates &after:", self.minutes)
        layout.addLayout(form)
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
            for c, text in enumerate(_cells(e), start=2):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setColumnHidden(1, not any(self.ceremony.group_of(k) for k in range(1, 2)))
        self.risk_reason.setText(self.ceremony.custodian_risk_reason)
        self.channel.setText(str(self.ceremony.state.get("incident_channel", "")))
        self.minutes.setValue(int(self.ceremony.state.get("alternate_after_minutes", 15)))
        self._filling = False
        if entries:
            self.table.setCurrentCell(0, 2)
        self._show_warnings()

    def entries(self) -> list[CustodianEntry]:
        out = []
        for r in range(self.table.rowCount()):
            texts = []
            for c in _EDITABLE:
                item = self.table.item(r, c)
                texts.append(item.text() if item else "")
            out.append(CustodianEntry(*texts))
        return out

    def set_row(self, number: int, entry: CustodianEntry) -> None:
        """Fill one row (used by tests and by keyboard users pasting)."""
        for c, text in enumerate(_cells(entry), 2):
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

    def _on_reason(self, text: str) -> None:
        self.ceremony.set_custodian_risk_reason(text)
        self.wizard.refresh_buttons()

    def _on_runbook(self) -> None:
        if self._filling:
            return
        self.ceremony.set_runbook_details(self.channel.text(), self.minutes.value())
        self.wizard.refresh_buttons()

    def _show_warnings(self) -> None:
        risks = self.ceremony.custodian_risks()
        lines = [f"⛔ {r.describe()}" for r in risks]
        lines += [f"⚠ {w}" for w in self.ceremony.custodian_warnings()]
        self.warnings.setText("\n".join(lines))
        # the reason field matters only while there is a risk to accept
        self.risk_label.setVisible(bool(risks))
        self.risk_reason.setVisible(bool(risks))
        self.wizard.refresh_buttons()


def _cells(e: CustodianEntry) -> tuple[str, ...]:
    return (e.name, e.role, e.contact, e.location, e.alternate)
