"""Follow-ups: the open steps of review records (rotation, re-split, tickets), closed once done.

The list and the rule come from ``ceremony.adapters`` (``open_follow_ups``,
``close_follow_up``: the same rule as ``breakglass review close-follow-up``): a follow-up is
closed once, by a named person, with what was done; the closing goes into the review record
and the signed audit log. Nothing here decides anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.adapters import FollowUp, close_follow_up, open_follow_ups
from breakglass_gui.core.errors import BreakglassError

from .wizard_frame import fit_and_centre

if TYPE_CHECKING:
    from breakglass_gui.audit.service import AuditTrail

__all__ = ["FollowUpsDialog"]


class FollowUpsDialog(QDialog):
    """Open follow-ups, one per line; pick one, say who you are and what was done, close it."""

    closed_one = Signal()

    def __init__(self, trail: AuditTrail | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trail = trail
        self.items: list[FollowUp] = []
        self.setObjectName("followUpsDialog")
        self.setWindowTitle("Follow-ups — Breakglass")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The follow-ups of the review records still open: post-use steps not ticked "
            "during the ceremony, and actions people added. Close one once it is done; who "
            "closed it, when and what was done go into the review record and the audit log.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget(self)
        self.list.setObjectName("followUpsList")
        self.list.setAccessibleName("Open follow-ups")
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.itemSelectionChanged.connect(self._changed)
        layout.addWidget(self.list, 1)
        form = QFormLayout()
        self.by = QLineEdit(self)
        self.by.setObjectName("followUpBy")
        self.by.setPlaceholderText("your name")
        self.by.textChanged.connect(self._changed)
        self.note = QLineEdit(self)
        self.note.setObjectName("followUpNote")
        self.note.setPlaceholderText("e.g. rotated in the vault, CHG-1234")
        by_label = QLabel("Closed &by:", self)
        by_label.setBuddy(self.by)
        note_label = QLabel("&What was done:", self)
        note_label.setBuddy(self.note)
        form.addRow(by_label, self.by)
        form.addRow(note_label, self.note)
        layout.addLayout(form)
        self.message = QLabel("", self)
        self.message.setObjectName("followUpMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.close_item = QPushButton("C&lose the selected follow-up", self)
        self.close_item.setObjectName("closeFollowUp")
        buttons.addButton(self.close_item, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_item.clicked.connect(self.close_selected)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_and_centre(self, parent, 760, 460)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        if self.trail is None:
            self.items = []
            self.message.setText("No audit log in this session: no review records.")
        else:
            try:
                self.items = open_follow_ups(self.trail)
            except Exception as exc:  # a damaged registry must not stop the window
                self.items = []
                self.message.setText(f"Could not read the review records: {exc}")
        for item in self.items:
            self.list.addItem(QListWidgetItem(item.describe()))
        if not self.items and self.trail is not None:
            self.message.setText("No follow-up is open.")
        if self.items:
            self.list.setCurrentRow(0)
        self._changed()

    def selected(self) -> FollowUp | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _changed(self) -> None:
        self.close_item.setEnabled(self.selected() is not None and bool(self.by.text().strip()))

    def close_selected(self) -> bool:
        item = self.selected()
        if item is None or self.trail is None:
            return False
        try:
            close_follow_up(self.trail, item, by=self.by.text(), note=self.note.text())
        except (BreakglassError, ValueError) as exc:  # ReviewError is a ValueError
            self.message.setText(f"Not closed: {exc}")
            return False
        self.note.clear()
        self.reload()
        self.message.setText(f"Closed and recorded: {item.describe()}")
        self.closed_one.emit()
        return True
