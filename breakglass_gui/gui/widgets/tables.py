"""A table whose Tab key visits only the cells one can type in, then leaves the table."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QTableWidget, QWidget

__all__ = ["EditableTabTable"]


class EditableTabTable(QTableWidget):
    """Tab and Shift+Tab move to the next (previous) editable, visible cell in reading order;
    past the last (first) one they leave the table instead of wrapping to row 1. Read-only
    cells (the share number, the group) are skipped."""

    def __init__(self, rows: int, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self.setTabKeyNavigation(True)

    def _editable(self, row: int, column: int) -> bool:
        if self.isColumnHidden(column) or self.isRowHidden(row):
            return False
        item = self.item(row, column)
        # an empty cell is made on first edit: editable unless an item says otherwise
        return item is None or bool(item.flags() & Qt.ItemFlag.ItemIsEditable)

    def _step(self, forward: bool) -> QModelIndex:
        rows, cols = self.rowCount(), self.columnCount()
        current = self.currentIndex()
        pos = current.row() * cols + current.column() if current.isValid() else -1
        cells = range(pos + 1, rows * cols) if forward else range(pos - 1, -1, -1)
        for k in cells:
            row, column = divmod(k, cols)
            if self._editable(row, column):
                return self.model().index(row, column)
        return QModelIndex()

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        if cursorAction == QAbstractItemView.CursorAction.MoveNext:
            return self._step(True)
        if cursorAction == QAbstractItemView.CursorAction.MovePrevious:
            return self._step(False)
        return super().moveCursor(cursorAction, modifiers)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        # Tab in the last editable cell: close the editor and leave the table
        last = (
            hint == QAbstractItemDelegate.EndEditHint.EditNextItem
            and not self._step(True).isValid()
        )
        first = (
            hint == QAbstractItemDelegate.EndEditHint.EditPreviousItem
            and not self._step(False).isValid()
        )
        if last or first:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.SubmitModelCache)
            self.focusNextPrevChild(last)
            return
        super().closeEditor(editor, hint)
