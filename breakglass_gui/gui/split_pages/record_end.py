"""The split's last page, below the announcement: the ceremony record, made now.

The record carries the audit anchor the split announced (``SplitCeremony.render_record``
decides what it holds; this panel only prints or saves it). It holds no share material, so it
may be printed after the sheets are out and read back, and saved next to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from breakglass_gui.ceremony.ports import FolderSink
from breakglass_gui.ceremony.wizard import WizardError
from breakglass_gui.core.errors import BreakglassError

from ..workers import run_task
from .base import pick_printer

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["RecordPanel"]


class RecordPanel(QWidget):
    """ "Print / save ceremony record (with anchor)": two buttons and one line of status."""

    def __init__(self, wizard: SplitWizard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wizard = wizard
        self.setObjectName("recordPanel")
        self.busy = False
        self.print_button = QPushButton("&Print ceremony record (with anchor)…", self)
        self.print_button.setObjectName("printRecordButton")
        self.print_button.setAccessibleName("Print the ceremony record, with the audit anchor")
        self.print_button.clicked.connect(self.print_record)
        self.save_button = QPushButton("&Save record PDF", self)
        self.save_button.setObjectName("saveRecordButton")
        self.save_button.setAccessibleName("Save the ceremony record PDF, with the audit anchor")
        # (not connected directly: clicked(bool) would arrive as the folder)
        self.save_button.clicked.connect(lambda _checked: self.save_record(None))
        self.status = QLabel("", self)
        self.status.setObjectName("recordStatus")
        self.status.setWordWrap(True)
        self.row = QHBoxLayout()  # the wizard adds its details button at the end
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.print_button)
        self.row.addWidget(self.save_button)
        self.row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.row)
        layout.addWidget(self.status)
        self.setVisible(False)

    def show_for_ceremony(self) -> None:
        """After Finish: say what the record carries, and offer it."""
        ceremony = self.wizard.ceremony
        anchor = ceremony.record_anchor
        self.status.setText(
            f"The ceremony record carries the anchor {anchor}. Print it now: each custodian "
            "initials their row on taking their sheet."
            if anchor
            else "Print the ceremony record now: each custodian initials their row on taking "
            "their sheet."
        )
        self.setVisible(ceremony.record_item is not None)

    # -- work ----------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.print_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    def _run(self, fn: Any, done: Any, failed: Any) -> None:
        self._set_busy(True)

        def ok(result: Any) -> None:
            self._set_busy(False)
            done(result)

        def bad(message: str) -> None:
            self._set_busy(False)
            failed(message)

        run_task(fn, ok, bad, context=self)

    def _emitted(self, how: str, said: str) -> None:
        try:
            self.wizard.ceremony.mark_record_emitted(how)
        except WizardError as exc:
            self.status.setText(str(exc))
            return
        except BreakglassError as exc:  # the record is out; the audit trail refused the entry
            self.status.setText(f"{said} The audit trail did not record it: {exc}")
            return
        self.status.setText(said)

    def save_record(self, folder: str | None = None) -> None:
        """Save into the folder chosen on the print page (asked for if there is none); an
        existing file is never replaced."""
        ceremony = self.wizard.ceremony
        item = ceremony.record_item
        if item is None or self.busy:
            return
        if folder is None:
            folder = self.wizard.pages["print"].folder.text().strip()  # type: ignore[attr-defined]
        if not folder:
            folder = QFileDialog.getExistingDirectory(self, "Save the ceremony record in")
            if not folder:
                return
        sink = FolderSink(Path(folder).expanduser())
        render, name = ceremony.render_record, item.file_name

        def work() -> str:
            return sink.save(name, render())

        self.status.setText("Writing the ceremony record…")
        self._run(
            work,
            lambda where: self._emitted(
                f"saved to {where}", f"Saved to {where}. Print it from there, then file it."
            ),
            lambda m: self.status.setText(f"Could not save the ceremony record: {m}"),
        )

    def print_record(self) -> None:
        """The same printing paths as the print page: the system print dialog, or the
        configured spooler, or (no printer) a plain word to save it instead."""
        ceremony = self.wizard.ceremony
        if ceremony.record_item is None or self.busy:
            return
        picked = pick_printer(
            self.wizard,
            print_dialog=self.print_dialog,
            no_printer=lambda: self.status.setText(
                "No printer is set up on this computer: save the record PDF and print it from "
                "a trusted machine."
            ),
        )
        if picked is None:
            return
        printer, spool = picked
        render = ceremony.render_record

        def work() -> str:
            spool(printer, render())
            return printer

        self.status.setText(f"Sending the ceremony record to {printer}…")
        self._run(
            work,
            lambda p: self._emitted(f"printed on {p}", f"Sent to {p}. Check the printout."),
            lambda m: self.status.setText(f"Printing failed: {m}. Save the PDF instead."),
        )

    def print_dialog(self, printer: Any = None) -> int:
        """Through the system print dialog (``printer`` given, tests: no dialog)."""
        from ..printing import ask_printer, print_pdfs  # noqa: PLC0415 - QtPrintSupport

        if printer is None:
            printer = ask_printer(self, "Print the ceremony record")
            if printer is None:
                self.status.setText("Not printed (the print dialog was cancelled).")
                return 0
        try:
            pages = print_pdfs(printer, [self.wizard.ceremony.render_record()])
        except (RuntimeError, WizardError) as exc:
            self.status.setText(f"Printing failed: {exc}. Save the PDF instead.")
            return 0
        name = printer.printerName() or printer.outputFileName() or "the printer"
        self._emitted(f"printed on {name}", f"Sent to {name}. Check the printout.")
        return pages
