"""Step 5: print the sheets and save the PDFs to a folder chosen on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from breakglass_gui.ceremony.ports import FolderSink
from breakglass_gui.ceremony.split_flow import (
    default_folder,
    folder_risk,
)

from .base import SplitPage, named, note, pick_printer

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["PrintPage"]


class PrintPage(SplitPage):
    step_id = "print"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Each custodian's sheet carries their share: print it and hand it over in a "
                "sealed envelope, and/or save the PDF to a folder you chose on purpose (a USB "
                "stick that goes into the safe). The ceremony record and the runbook hold no "
                "share material."
            )
        )
        row = QHBoxLayout()
        label = QLabel("&Folder:")
        self.folder = QLineEdit()
        named(self.folder, "folderEdit", "Folder to save the PDFs in")
        label.setBuddy(self.folder)
        browse = QPushButton("B&rowse…")
        named(browse, "browseButton", "Choose the folder")
        browse.clicked.connect(self._browse)
        row.addWidget(label)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.drives_note = note("", "drivesNote")
        self.drives_note.setAccessibleName("Removable drives")
        self.look_button = QPushButton("Look &again for drives")
        named(self.look_button, "lookDrivesButton", "Look again for removable drives")
        self.look_button.clicked.connect(self.look_for_drives)
        row.addWidget(self.look_button)
        layout.addWidget(self.drives_note)
        self._proposed = ""  # the folder this page proposed (replaced by a drive found later)
        self.risk = note("", "folderRisk")
        self.risk.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.risk)
        self.per_envelope = QCheckBox("One sub-folder per custodian's envelope")
        named(self.per_envelope, "perEnvelopeCheck", "Save each sheet in its own sub-folder")
        layout.addWidget(self.per_envelope)
        self.folder.textChanged.connect(lambda _t: self._check_folder())

        self.table = QTableWidget(0, 2)
        named(self.table, "documentsTable", "Documents to print or save")
        self.table.setHorizontalHeaderLabels(["Document", "Done"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.save_all_button = QPushButton("&Save all to the folder")
        named(self.save_all_button, "saveAllButton", "Save every PDF to the folder")
        self.save_all_button.clicked.connect(lambda: self.save(only_missing=False))
        self.save_button = QPushButton("Save s&elected")
        named(self.save_button, "saveSelectedButton", "Save the selected PDF")
        self.save_button.clicked.connect(lambda: self.save(selected=True))
        self.preview_button = QPushButton("Pre&view selected…")
        named(self.preview_button, "previewButton", "See the selected document's pages")
        self.preview_button.clicked.connect(self.preview_selected)
        self.preview: Any = None  # the open preview dialog, if any
        self.print_button = QPushButton("&Print selected…")
        named(self.print_button, "printButton", "Print the selected document")
        self.print_button.clicked.connect(self.print_selected)
        self.delete_button = QPushButton("&Delete the saved PDFs…")
        named(self.delete_button, "deleteSavedButton", "Overwrite and delete the saved PDFs")
        self.delete_button.clicked.connect(self.delete_saved)
        # two rows, so the page stays narrow (800x600): paper first, then the files
        for b in (self.preview_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        files = QHBoxLayout()
        for b in (self.save_all_button, self.save_button, self.delete_button):
            files.addWidget(b)
        files.addStretch(1)
        layout.addLayout(files)
        self.message = note("", "printMessage")
        layout.addWidget(self.message)
        self.risk_accepted: str | None = None
        self.setFocusProxy(self.save_all_button)

    def enter(self) -> None:
        self.look_for_drives()
        self.refresh()
        self.table.setCurrentCell(0, 0)

    def look_for_drives(self) -> list[Path]:
        """Propose the first removable drive mounted (else Documents), unless the host has
        typed or chosen a folder; say which drives were found."""
        services = self.wizard.services
        try:
            drives = services.removable_drives() if services.removable_drives else []
        except OSError:
            drives = []
        mounts = [d.mount_point for d in drives]
        share_set = self.ceremony.share_set
        current = self.folder.text().strip()
        if share_set is not None and (not current or current == self._proposed):
            base = default_folder(
                share_set.header.label,
                share_set.fingerprint_text,
                services.documents_root,
                drives=mounts,
            )
            self._proposed = str(base)
            self.folder.setText(self._proposed)
        if drives:
            listed = ", ".join(f"{d.name} ({d.mount_point})" for d in drives)
            self.drives_note.setText(
                f"Removable drive{'s' if len(drives) > 1 else ''} found: {listed}. "
                + (
                    "The first is proposed."
                    if self._proposed and self.folder.text() == self._proposed
                    else "Browse… to save there."
                )
            )
        else:
            self.drives_note.setText(
                "No removable drive is mounted: plug in a USB stick for the sheets and look "
                "again, or choose a folder on purpose."
            )
        return mounts

    def refresh(self) -> None:
        docs = self.ceremony.documents
        if self.table.rowCount() != len(docs):
            self.table.setRowCount(len(docs))
        for r, d in enumerate(docs):
            self.table.setItem(
                r, 0, QTableWidgetItem(d.title + ("" if d.required else " (optional)"))
            )
            self.table.setItem(r, 1, QTableWidgetItem("; ".join(d.emitted) or "—"))
        for b in (self.save_all_button, self.save_button, self.preview_button, self.print_button):
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
        base = Path(folder).expanduser()
        per_envelope = self.per_envelope.isChecked()
        ours = self.ceremony.saved_files()  # only these may be written again
        sinks = {
            d.id: FolderSink(
                base / self.ceremony.envelope_folder(d.id) if per_envelope else base, ours
            )
            for d in docs
        }
        render = self.ceremony.render_document
        names = {d.id: d.file_name for d in docs}

        def work() -> tuple[list[tuple[str, str]], str | None]:
            done: list[tuple[str, str]] = []
            for doc_id in ids:
                try:
                    data = render(doc_id)
                    where = sinks[doc_id].save(names[doc_id], data)
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

    def delete_saved(self) -> list[str]:
        """After printing: overwrite and delete the saved PDFs, saying what that cannot do."""
        files = self.ceremony.saved_files()
        if not files:
            self.message.setText("No saved PDFs are left to delete.")
            return []
        if not self.wizard.confirm(
            "Delete the saved PDFs?",
            f"Overwrite {len(files)} saved PDF(s) with zeros, then delete them. This does NOT "
            "reliably erase them on SSDs, USB sticks or copy-on-write file systems (btrfs, "
            "ZFS, APFS), nor any backup or synced copy. Do it only once every sheet is on "
            "paper and read back.",
        ):
            return []
        done = self.ceremony.delete_saved()
        self.message.setText(
            f"Overwritten and deleted {len(done)} PDF(s). On SSDs and copy-on-write file "
            "systems copies may survive: keep that disk as safe as the sheets."
        )
        return done

    def print_dialog(self, printer: Any = None) -> int:
        """Print the selected document through the system print dialog (printer, copies,
        paper size); ``printer`` given (tests): no dialog. Returns the pages printed."""
        from ..printing import ask_printer, print_pdfs  # noqa: PLC0415 - QtPrintSupport

        docs = self.ceremony.documents
        r = self.table.currentRow()
        if not 0 <= r < len(docs):
            self.message.setText("Select a document to print.")
            return 0
        doc = docs[r]
        if printer is None:
            printer = ask_printer(self, f"Print {doc.title}")
            if printer is None:
                self.message.setText("Not printed (the print dialog was cancelled).")
                return 0
        try:
            data = self.ceremony.render_document(doc.id)
            pages = print_pdfs(printer, [data])
        except RuntimeError as exc:
            self.message.setText(f"Printing failed: {exc}. Save the PDF instead.")
            return 0
        finally:
            data = b""
        name = printer.printerName() or printer.outputFileName() or "the printer"
        self._printed(doc.id, name)
        return pages

    def preview_selected(self) -> None:
        """Show the selected document's pages (made on a worker), one at a time, before
        printing; Print… in the preview goes on to the usual print path."""
        docs = self.ceremony.documents
        r = self.table.currentRow()
        if not 0 <= r < len(docs):
            self.message.setText("Select a document to preview.")
            return
        doc = docs[r]
        render = self.ceremony.render_document
        self.message.setText(f"Preparing the preview of \u201c{doc.title}\u201d…")
        self.run(lambda: render(doc.id), lambda data: self._open_preview(doc.title, data))

    def _open_preview(self, title: str, data: bytes) -> None:
        from ..print_preview import PdfPreview  # noqa: PLC0415 - pypdfium2 when needed

        try:
            dialog = PdfPreview(data, title, self.window())  # centred on the wizard
        except Exception as exc:  # a PDF pdfium cannot open: say so, printing may still work
            self.message.setText(f"The preview could not be shown: {exc}.")
            return
        finally:
            data = b""
        self.preview = dialog
        self.message.setText(
            f"Previewing \u201c{title}\u201d: {dialog.page_count} page(s). Print… from there, "
            "or close it."
        )
        dialog.finished.connect(self._preview_closed)
        dialog.open()

    def _preview_closed(self, result: int) -> None:
        self.preview = None
        self.message.setText("")
        if result == 2:  # PdfPreview.PRINT
            self.print_selected()

    def print_selected(self) -> None:
        docs = self.ceremony.documents
        r = self.table.currentRow()
        if not 0 <= r < len(docs):
            self.message.setText("Select a document to print.")
            return
        picked = pick_printer(
            self.wizard,
            print_dialog=self.print_dialog,
            no_printer=lambda: self.message.setText(
                "No printer is set up on this computer. Save the PDFs to removable media and "
                "print them from a trusted machine, then mark them done by saving."
            ),
        )
        if picked is None:
            return
        printer, spool = picked
        doc = docs[r]
        render = self.ceremony.render_document

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
