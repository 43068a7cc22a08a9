"""Step 3: who holds each share, how to reach them, where the sheet is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from breakglass_gui.ceremony.split_flow import (
    CustodianEntry,
)
from breakglass_gui.core.errors import PolicyError

from .base import SplitPage, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["CustodiansPage"]


CUSTODIAN_COLUMNS = ("Share", "Group", "Name", "Role", "Contact channel", "Location")


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
        self.table = QTableWidget(0, len(CUSTODIAN_COLUMNS))
        named(self.table, "custodiansTable", "Custodians: one row per share")
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
        self.warnings = note("", "custodianWarnings")
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
