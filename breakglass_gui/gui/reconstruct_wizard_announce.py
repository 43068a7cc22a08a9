"""The "Announce" page of break glass: its own step, after the quorum and before the reveal.

The flow (``ReconstructFlow``) decides when the step applies (a real use whose quorum was
announced), what blocks leaving it (the reveal gate, checked on entering the step and after
each answer or override) and how each answer is logged (once per change: Back and Next log
nothing). This page only shows the announcement — its text, a QR code of it, the audit anchor —
says in plain words what to do next, and passes the operator's answer and a typed override on.

The credential is held sealed meanwhile: nothing here reads it. The page's clock applies the
flow's hold timeout (a credential held too long is wiped here too).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.ports import GateProbe
from breakglass_gui.ceremony.reconstruct_flow import GATE_CHECKING, ReconstructFlow
from breakglass_gui.core.errors import BreakglassError

from .announcement import AnnouncementBox
from .gate_check import GateCheck
from .wizard_frame import WizardPage

__all__ = ["AnnouncePage"]


class AnnouncePage(WizardPage):
    """Step "announce": text + QR + anchor, "Posted" / "Not posted", and the typed override."""

    step_id = "announce"
    changed = Signal()

    def __init__(self, flow: ReconstructFlow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.next_words = QLabel(self)
        self.next_words.setObjectName("announceNext")
        self.next_words.setWordWrap(True)
        font = self.next_words.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.next_words.setFont(font)
        self.anchor = QLabel(self)
        self.anchor.setObjectName("announceAnchor")
        self.anchor.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.anchor.setWordWrap(True)
        self.announce = AnnouncementBox(self)
        self.announce.setTitle("The announcement")
        self.announce.answered.connect(self._answered)
        self.override_box = QGroupBox("Go on without it (recorded)", self)
        self.override_box.setObjectName("announceOverrideBox")
        self.override_text = QLabel(self.override_box)
        self.override_text.setObjectName("announceOverrideText")
        self.override_text.setWordWrap(True)
        self.override_reason = QLineEdit(self.override_box)
        self.override_reason.setObjectName("announceOverrideReason")
        self.override_reason.setAccessibleName("Reason for going on without the announcement")
        self.override_reason.setPlaceholderText("why the ceremony must go on without it")
        self.override_button = QPushButton("&Override", self.override_box)
        self.override_button.setObjectName("announceOverride")
        self.override_button.clicked.connect(self.override)
        self.override_reason.returnPressed.connect(self.override)
        row = QHBoxLayout()
        row.addWidget(self.override_reason, 1)
        row.addWidget(self.override_button)
        box = QVBoxLayout(self.override_box)
        box.addWidget(self.override_text)
        box.addLayout(row)
        self.override_box.setVisible(False)
        self.hold = QLabel(self)
        self.hold.setObjectName("announceHold")
        self.hold.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.next_words)
        layout.addWidget(self.anchor)
        layout.addWidget(self.announce)
        layout.addWidget(self.override_box)
        layout.addWidget(self.hold)
        layout.addStretch(1)
        # the first key press lands on "Copy text", never on "Posted"
        self.setFocusProxy(self.announce.copy_button)
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.tick)
        # the gate's mirror check runs off the GUI thread (an unreachable mirror answers only
        # at its network timeout); Next stays disabled meanwhile, Cancel and wipe works
        self.gate_check = GateCheck(flow, self)
        self.gate_check.busy_changed.connect(self._checking)
        self.check_error = ""
        self._override_pending = False

    # -- the page's life ----------------------------------------------------------------------
    def enter(self) -> None:
        announcement = self.flow.announcement()
        answer = self.flow.announce_answer
        self.announce.show_announcement(announcement)
        self.anchor.setText(
            f"Audit anchor: {announcement.anchor} — also kept in the review record; "
            f"anyone can check it later with: breakglass audit verify --anchor "
            f"{announcement.anchor}"
            if announcement is not None
            else ""
        )
        if answer is not None:  # back from the reveal: the answer stands, logged once
            self.announce.answer = answer
            self.announce.status.setText("Logged: posted." if answer else "Logged: not posted.")
        self.show_state()
        self.timer.start()
        self.tick()
        self.run_gate_check()

    def leave(self) -> None:
        self.timer.stop()
        self.gate_check.cancel()

    # -- the gate's check, off the GUI thread ------------------------------------------------
    def run_gate_check(self) -> None:
        """Check the gate if the flow says a check is due (entering, an answer, an override)."""
        if self.flow.gate_pending:
            self.gate_check.start(self._gate_checked)

    def _checking(self, busy: bool) -> None:
        self.set_busy(busy)  # the frame keeps Next (and Back) disabled while it runs
        self.show_state()

    def _gate_checked(self, probed: GateProbe | None, error: str) -> None:
        flow = self.flow
        if not flow.wizard.running or flow.wizard.current != "announce":
            return  # left the step meanwhile: nothing to apply
        # a failed check counts every mirror as not checked: the gate stays shut
        self.check_error = error
        flow.check_gate(probed if probed is not None else {})
        self.show_state()
        status = flow.gate_status
        opened = status is None or status.open
        if self._override_pending:
            self._override_pending = False
            self._override_opened()
        elif opened and flow.announce_answer is True and self.frame is not None:
            self.frame.next_button.setFocus()

    def tick(self) -> None:
        """Apply the flow's clock: the credential is wiped if held too long, here too."""
        self.flow.tick()
        if self.flow.secret is None:
            self.timer.stop()
            self.hold.setText(
                "The credential was wiped (held too long). Cancel and start again to reveal it."
            )
            return
        left = int(self.flow.hold_remaining() + 0.999)
        self.hold.setText(
            "The credential stays sealed on this step. This program wipes it in "
            f"{left // 60}:{left % 60:02d} if it is not used."
        )

    def show_state(self) -> None:
        """Plain words on what to do next, and the override box when only it lets you on."""
        flow = self.flow
        status = flow.gate_status
        shut = status is not None and not status.open
        needs_posted = flow.announce_needs_posted()
        answer = flow.announce_answer
        if flow.gate_pending:
            self.next_words.setText(
                f"{GATE_CHECKING} The credential stays sealed until it answers; "
                "Cancel and wipe works meanwhile."
            )
            self.override_box.setVisible(False)
            self.changed.emit()
            return
        if not shut:
            if answer is True:
                words = "Posted and logged. Press Next to go to the reveal."
            elif needs_posted:  # opened by the override
                words = "Override recorded. Press Next to go to the reveal."
            else:
                words = (
                    "Post this to the incident channel, then press Posted. The audit mirrors "
                    "already have the record, so Next works either way; the answer is logged."
                )
        elif needs_posted and answer is not True:
            words = (
                "Post this to the incident channel, then press Posted."
                if answer is None
                else "Not posted (logged): the credential stays sealed. Post it and press "
                "Posted, or type why the ceremony must go on without it and press Override."
            )
        else:
            words = (status.explain() if status is not None else "") + "."
        if self.check_error:
            words += f" (The check of the audit mirror failed: {self.check_error}.)"
        self.next_words.setText(words)
        # "Not posted" first, then only the override; a mirror down: only the override
        offer = shut and (not needs_posted or answer is False)
        self.override_box.setVisible(offer)
        if offer and status is not None:
            self.override_text.setText(
                "No audit mirror is configured, so the announcement is the only trace of this "
                "reveal outside this laptop. Going on without it is recorded with your reason."
                if needs_posted
                else status.explain()
            )
        self.changed.emit()

    # -- answers --------------------------------------------------------------------------------
    def _answered(self, posted: bool) -> None:
        how = "confirmed posted in the app" if posted else "operator said it was not posted"
        try:
            self.flow.announcement_posted(posted, how)
        except BreakglassError as exc:
            self.announce.status.setText(f"Not logged: {exc}")
            return
        self.show_state()
        self.run_gate_check()
        if self.flow.gate_pending:
            return  # the check's answer moves the focus
        if posted and self.frame is not None and self.frame.next_button.isEnabled():
            self.frame.next_button.setFocus()
        elif self.override_box.isVisible():
            self.override_reason.setFocus()

    def override(self) -> bool:
        try:
            self.flow.override_gate(self.override_reason.text())
        except BreakglassError as exc:
            self.override_text.setText(f"{exc}")
            return False
        self.override_reason.clear()
        self.show_state()
        if self.flow.gate_pending:
            # the check's answer (at once, or when it returns) shows whether it opened
            self._override_pending = True
            self.run_gate_check()
            if self.flow.gate_pending:
                return False
        else:
            self._override_opened()
        status = self.flow.gate_status
        return status is None or status.open

    def _override_opened(self) -> None:
        status = self.flow.gate_status
        if status is not None and not status.open:
            return
        self.override_box.setVisible(True)
        self.override_text.setText("Override recorded in the audit log with your reason.")
        self.override_reason.setEnabled(False)
        self.override_button.setEnabled(False)
        if self.frame is not None:
            self.frame.next_button.setFocus()
