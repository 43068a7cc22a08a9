"""The main window: the registry at a glance, and big plain actions.

Actions are looked up by key in ``MainWindow.handlers`` (a dict of callables taking the
window): "split", "reconstruct", "drill", "checkin", "audit". Each wizard module is imported
when its button is first pressed, so the first window shows without the scanner, OpenCV or the
paper code. ``window.services`` carries the ports every wizard needs (see
:class:`~.services.Services`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.overview import BYPASS_RULE, SetRow
from breakglass_gui.core.errors import BreakglassError

from .geometry import fit_and_centre
from .services import CameraOption, Services
from .workers import run_task

__all__ = ["ACTION_KEYS", "CameraOption", "MainWindow", "Services"]

ACTION_KEYS = ("split", "reconstruct", "drill", "checkin", "audit", "import_card", "send_share")


COLUMNS = ("Credential", "Set", "Policy", "Status", "Last drill", "Check-ins", "Bypass rate")


def _big_button(text: str, name: str, tip: str, shortcut: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setAccessibleName(text.replace("&", ""))
    b.setToolTip(f"{tip} ({shortcut})")
    b.setShortcut(QKeySequence(shortcut))
    b.setMinimumHeight(56)
    f = b.font()
    f.setPointSizeF(f.pointSizeF() * 1.15)
    b.setFont(f)
    return b


class MainWindow(QMainWindow):
    """Registry list + actions; ``refresh()`` re-reads the rows."""

    refreshed = Signal()

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.setObjectName("mainWindow")
        self.setWindowTitle("Breakglass")
        self.handlers: dict[str, Callable[[MainWindow], object]] = {
            "split": lambda w: w.open_split_wizard(),
            "reconstruct": lambda w: w.open_reconstruct_wizard(drill=False),
            "drill": lambda w: w.open_reconstruct_wizard(drill=True),
            "checkin": lambda w: w.open_checkin(),
            "audit": lambda w: w.open_audit_log(),
            "import_card": lambda w: w.open_import_card(),
            "send_share": lambda w: w.open_send_share(),
            "follow_ups": lambda w: w.open_follow_ups(),
        }
        self.open_dialogs: list[QDialog] = []

        central = QWidget(self)
        outer = QVBoxLayout(central)
        title = QLabel("Break-glass credentials")
        title.setObjectName("titleLabel")
        tf = QFont(title.font())
        tf.setPointSizeF(tf.pointSizeF() * 1.6)
        tf.setBold(True)
        title.setFont(tf)
        outer.addWidget(title)

        row = QHBoxLayout()
        specs = [
            ("split", "&New split ceremony", "newSplitButton", "Split a credential", "Ctrl+N"),
            (
                "reconstruct",
                "&Break glass (reconstruct)",
                "breakGlassButton",
                "Reconstruct a credential from a quorum of shares",
                "Ctrl+B",
            ),
            ("drill", "Run a &drill", "drillButton", "Rehearse with a drill set", "Ctrl+D"),
            ("checkin", "&Check in a share", "checkInButton", "Confirm a share exists", "Ctrl+K"),
            ("audit", "&Audit log", "auditLogButton", "Read and verify the audit log", "Ctrl+L"),
        ]
        self.buttons: dict[str, QPushButton] = {}
        for key, text, name, tip, shortcut in specs:
            b = _big_button(text, name, tip, shortcut)
            b.clicked.connect(lambda _=False, k=key: self.trigger(k))
            row.addWidget(b)
            self.buttons[key] = b
        outer.addLayout(row)

        # The audit trail's state, checked off the GUI thread after the window shows.
        self.trail_banner = QLabel("")
        self.trail_banner.setObjectName("trailBanner")
        self.trail_banner.setWordWrap(True)
        self.trail_banner.setStyleSheet("color: #b00020; font-weight: bold;")
        self.trail_banner.setVisible(False)
        outer.addWidget(self.trail_banner)
        self.attention_label = QLabel("")
        self.attention_label.setObjectName("attentionLabel")
        self.attention_label.setWordWrap(True)
        self.attention_label.setVisible(False)
        attention = QHBoxLayout()
        attention.addWidget(self.attention_label, 1)
        # the review records' open follow-ups (post-use steps, tickets): closed once done
        self.follow_ups_button = QPushButton("&Follow-ups…")
        self.follow_ups_button.setObjectName("followUpsButton")
        self.follow_ups_button.setAccessibleName("Follow-ups of the review records")
        self.follow_ups_button.setToolTip(
            "The follow-ups of the review records still open (post-use steps not ticked, "
            "actions added); close one once it is done"
        )
        self.follow_ups_button.clicked.connect(lambda _=False: self.trigger("follow_ups"))
        self.buttons["follow_ups"] = self.follow_ups_button
        attention.addWidget(self.follow_ups_button)
        outer.addLayout(attention)
        self.trail_message: QMessageBox | None = None
        self.trail_override: QInputDialog | None = None

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("setsTable")
        self.table.setAccessibleName("Credentials and their share sets")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_selected)
        outer.addWidget(self.table, 1)

        self.empty_label = QLabel(
            "No share sets yet. Start with “New split ceremony”: pick one tier-zero credential, "
            "split it 2-of-3, hand out the sheets, and schedule a drill. On a clean laptop, "
            "for a set made elsewhere: “Import a set card” (its QR code is on the runbook)."
        )
        self.empty_label.setObjectName("emptyLabel")
        self.empty_label.setWordWrap(True)
        outer.addWidget(self.empty_label)

        details = QHBoxLayout()
        self.details = QLabel("")
        self.details.setObjectName("detailsLabel")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        details.addWidget(self.details, 1)
        self.rotate_button = QPushButton("&Rotate this set…")
        self.rotate_button.setObjectName("rotateButton")
        self.rotate_button.setAccessibleName("Rotate the selected set")
        self.rotate_button.setToolTip(
            "Split a new credential that replaces the selected set; the old set is retired at "
            "Finish"
        )
        self.rotate_button.clicked.connect(self.rotate_selected)
        details.addWidget(self.rotate_button)
        card = QPushButton("&Import a set card…")
        card.setObjectName("importCardButton")
        card.setAccessibleName("Import a set card")
        card.setToolTip(
            "Make a set made on another installation known here, from its signed set card: a "
            "file, or a photo of the QR code on its runbook (Ctrl+I)"
        )
        card.setShortcut(QKeySequence("Ctrl+I"))
        card.clicked.connect(lambda _=False: self.trigger("import_card"))
        self.buttons["import_card"] = card
        details.addWidget(card)
        send = QPushButton("&Send my share from afar…")
        send.setObjectName("sendShareButton")
        send.setAccessibleName("Send my share to a ceremony elsewhere")
        send.setToolTip(
            "For a custodian who is not in the room: check your share alone and encrypt it to "
            "the operator's one-time key (Ctrl+E)"
        )
        send.setShortcut(QKeySequence("Ctrl+E"))
        send.clicked.connect(lambda _=False: self.trigger("send_share"))
        self.buttons["send_share"] = send
        details.addWidget(send)
        outer.addLayout(details)
        self.setCentralWidget(central)

        refresh = QAction("Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        self.addAction(refresh)
        self.statusBar().setObjectName("statusBar")
        fit_and_centre(self, None, 1100, 640)
        self.rows: list[SetRow] = []
        self.refresh()
        QTimer.singleShot(0, self._start_trail_check)

    # -- the audit trail's continuity (checked off the GUI thread) -------------------------------
    def _start_trail_check(self) -> None:
        trail = self.services.trail
        if trail is None or trail.checked:
            self._show_trail_state()
            return
        run_task(
            trail.background_check(),
            self._trail_checked,
            lambda message: self.statusBar().showMessage(f"Could not check the log: {message}"),
            context=self,
        )

    def _trail_checked(self, problems: object) -> None:
        trail = self.services.trail
        if trail is not None and isinstance(problems, list):
            trail.adopt_check([str(p) for p in problems])
        self._show_trail_state()

    def _show_trail_state(self) -> None:
        trail = self.services.trail
        msg = trail.broken_message() if trail is not None and trail.checked else None
        self.trail_banner.setText(msg or "")
        self.trail_banner.setVisible(msg is not None)

    def _trail_stops(self, key: str) -> bool:
        """True (and says why) when the trail is not sound; a real break glass may go on with
        a typed, recorded override."""
        trail = self.services.trail
        if trail is None or key not in ("split", "reconstruct", "drill", "checkin"):
            return False
        msg = trail.broken_message()  # checks now if the background check has not finished
        self._show_trail_state()
        if msg is None or (key == "reconstruct" and trail.trail_overridden):
            return False
        if key == "reconstruct":
            dialog = QInputDialog(self)
            dialog.setObjectName("trailOverrideDialog")
            dialog.setWindowTitle("The audit trail is not sound")
            dialog.setLabelText(
                msg + "\n\nOnly a real emergency may go on: type why (recorded in the log)."
            )
            dialog.textValueSelected.connect(self._override_trail)
            self.trail_override = dialog
            dialog.open()
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, "Breakglass", msg, parent=self)
        box.setObjectName("trailMessage")
        self.trail_message = box
        box.open()
        return True

    def _override_trail(self, reason: str) -> None:
        trail = self.services.trail
        if trail is None:
            return
        try:
            trail.override_broken_trail(reason, by=self.services.operator or None)
        except BreakglassError as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.open_reconstruct_wizard(drill=False)

    # -- data -----------------------------------------------------------------------------------
    def today(self) -> dt.date:
        return self.services.clock.now().date()

    def refresh(self) -> None:
        try:
            self.rows = list(self.services.rows())
        except Exception as exc:  # a locked or damaged registry must not stop the window
            self.rows = []
            self.statusBar().showMessage(f"Could not read the registry: {exc}")
        today = self.today()
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            cells = (
                row.label,
                row.fingerprint,
                row.policy,
                row.status_text(),
                row.drill_text(today),
                row.checkin_text(),
                row.bypass_text(),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setFont(QFont("monospace"))
                if row.attention(today):
                    item.setToolTip("\n".join(row.attention(today)))
                self.table.setItem(r, c, item)
        self.table.setVisible(bool(self.rows))
        self.empty_label.setVisible(not self.rows)
        if self.rows:
            self.table.selectRow(0)
        self._show_selected()
        trail = self.services.trail
        lines: list[str] = []
        if trail is not None:
            try:
                lines = trail.attention()
            except Exception as exc:  # a damaged registry must not stop the window
                lines = [f"Could not read the review records: {exc}"]
        self.attention_label.setText("\n".join(lines))
        # the one rule behind "becoming routine?" (audit/bypass.py), for whoever wonders why
        self.attention_label.setToolTip(BYPASS_RULE)
        self.attention_label.setVisible(bool(lines))
        open_items = 0
        if trail is not None:
            # the trail is open already, so its modules are loaded: nothing new at start-up
            from breakglass_gui.ceremony.adapters import open_follow_ups  # noqa: PLC0415

            try:
                open_items = len(open_follow_ups(trail))
            except Exception:  # a damaged registry is said above; the button stays usable
                open_items = 0
        self.follow_ups_button.setText(
            f"&Follow-ups: {open_items} open…" if open_items else "&Follow-ups…"
        )
        self.refreshed.emit()

    def selected_row(self) -> SetRow | None:
        sel = self.table.selectionModel().selectedRows()
        if not sel:
            return None
        index = sel[0].row()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _show_selected(self) -> None:
        row = self.selected_row()
        if row is None:
            self.details.setText("")
            self.rotate_button.setEnabled(False)
            return
        todo = row.attention(self.today())
        lines = [f"<b>{row.label}</b> — set {row.fingerprint}, {row.policy}, {row.shares} shares"]
        if not todo and row.status != "retired":
            todo = ["Nothing due now."]
            if row.last_drill is None:
                todo.append("Not drilled yet: rehearse within the quarter.")
        lines += [f"• {t}" for t in todo]
        self.details.setText("<br/>".join(lines))
        self.rotate_button.setEnabled(row.status != "retired")

    # -- actions -----------------------------------------------------------------------------------
    def trigger(self, key: str) -> None:
        if self._trail_stops(key):
            return
        self.handlers[key](self)

    def open_split_wizard(self, replaces: SetRow | None = None) -> QDialog:
        from .split_wizard import SplitWizard  # noqa: PLC0415 - on first use

        dialog = SplitWizard(self.services, replaces=replaces, parent=self)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def rotate_selected(self) -> QDialog | None:
        row = self.selected_row()
        if row is None or row.status == "retired":
            return None
        return self.open_split_wizard(replaces=row)

    def _dialog_closed(self, dialog: QDialog) -> None:
        if dialog in self.open_dialogs:
            self.open_dialogs.remove(dialog)
        self.refresh()

    def open_reconstruct_wizard(self, *, drill: bool) -> QDialog:
        from .reconstruct_wizard import open_from_main_window  # noqa: PLC0415 - on first use

        row = self.selected_row()
        return open_from_main_window(
            self, drill=drill, set_fingerprint=row.fingerprint if row else None
        )

    def open_checkin(self) -> QDialog | None:
        """The check-in dialog; every recorded check-in refreshes the rows at once."""
        if self.services.new_checkin is None:
            self._builtin_checkin()
            return None
        from .checkin_dialog import CheckinDialog  # noqa: PLC0415 - loads the scanner lazily

        dialog = CheckinDialog(self.services, self)
        dialog.checked_in.connect(self.refresh)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def _builtin_checkin(self) -> None:
        QMessageBox.information(
            self,
            "Check in a share",
            "Ask the custodian to run `breakglass verify` on their share (or scan it on this "
            "machine with `breakglass checkin`); the check-in is recorded in the audit log.",
        )

    def open_import_card(self) -> QDialog:
        """ "Import a set card": each import refreshes the rows at once."""
        from .setcard_dialog import SetCardDialog  # noqa: PLC0415 - loads the scanner lazily

        dialog = SetCardDialog(self.services, self)
        dialog.imported.connect(self.refresh)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def open_send_share(self) -> QDialog:
        """A remote custodian's side: read, check and encrypt their own share."""
        from .send_share_dialog import SendShareDialog  # noqa: PLC0415 - on first use

        dialog = SendShareDialog(self.services, self)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def open_follow_ups(self) -> QDialog:
        """The open follow-ups of the review records; each close refreshes the window."""
        from .follow_ups_dialog import FollowUpsDialog  # noqa: PLC0415 - on first use

        dialog = FollowUpsDialog(self.services.trail, self)
        dialog.closed_one.connect(self.refresh)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def open_audit_log(self) -> QDialog:
        dialog = AuditLogDialog(self.services, self)
        self.open_dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        dialog.show()
        return dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        for dialog in list(self.open_dialogs):
            if not dialog.close():
                event.ignore()
                return
        event.accept()


class AuditLogDialog(QDialog):
    """The audit log as text, with a Verify button (signatures, chain, anchors)."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("auditLogDialog")
        self.setWindowTitle("Audit log")
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("auditLogText")
        self.text.setAccessibleName("Audit log entries")
        self.text.setReadOnly(True)
        self.text.setFont(QFont("monospace"))
        layout.addWidget(self.text, 1)
        self.verify_result = QLabel("")
        self.verify_result.setObjectName("verifyResult")
        self.verify_result.setWordWrap(True)
        layout.addWidget(self.verify_result)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.verify_button = buttons.addButton("&Verify", QDialogButtonBox.ButtonRole.ActionRole)
        self.verify_button.setObjectName("verifyLogButton")
        self.verify_button.clicked.connect(self.verify)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_and_centre(self, parent, 900, 560)
        text = services.audit_text() if services.audit_text else "(no audit log in this session)"
        self.text.setPlainText(text)

    def verify(self) -> bool:
        if self.services.verify_log is None:
            self.verify_result.setText("No audit log to verify in this session.")
            return False
        ok, summary = self.services.verify_log()
        self.verify_result.setText(("✔ " if ok else "✘ ") + summary)
        return ok
