"""Break glass: the reconstruction wizard (Qt pages attached to ``ReconstructFlow``'s steps).

Trigger and authorisation → Collect shares → Reconstruct (off the GUI thread) → Announce (a
real use: the announcement for the incident channel, "Posted" / "Not posted") → Reveal →
After. Loud by design: a red banner for a real use, a blue one for a drill, the
authorisation sentence on every page. Cancel (any step), Done, the hold timeout and closing
the window all wipe: the ``SecretBytes`` is overwritten, the reveal view and clipboard are
cleared, camera frames and typed text are dropped.

The secret never travels in a signal: the reconstruction worker leaves its result in
``self._pending`` and the page takes it on the GUI thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.drill import DrillReport, StepTimer, drill_report, record_drill
from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import (
    GateProbe,
    MemoryReconstructionRecorder,
    ReconstructionRecorder,
    RevealGate,
    ReviewView,
)
from breakglass_gui.ceremony.reconstruct_flow import (
    CHECKLIST,
    DRILL_CHECKLIST,
    ReconstructConfig,
    ReconstructFlow,
    ReconstructionResult,
)
from breakglass_gui.ceremony.rules import RulesError, load_rules
from breakglass_gui.core.errors import BreakglassError

from .camera import CameraLike, Decoder
from .clipboard import SecretClipboard
from .reconstruct_wizard_announce import AnnouncePage
from .reconstruct_wizard_collect import CollectPage
from .reveal import RevealPanel
from .widgets.wrapping import WrapCheckBox
from .wizard_frame import WizardFrame, WizardPage, fit_and_centre
from .workers import run_task

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .services import Services

__all__ = ["ReconstructWizard", "open_from_main_window"]

STEP_ORDER = ("trigger", "collect", "reconstruct", "announce", "reveal", "after")


def _big(label: QLabel, factor: float = 1.3, bold: bool = True) -> QLabel:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    label.setFont(font)
    label.setWordWrap(True)
    return label


class TriggerPage(WizardPage):
    """Step 1: real use or drill, who, why; read back as one sentence before going on.

    A real use asks for the incident reference and the runbook condition that holds (and, with
    no witness, a typed reason); a drill asks what it rehearses. ``rotation_due`` lists the
    sets already exposed and never rotated: breaking glass on one of them is said here.
    """

    step_id = "trigger"
    changed = Signal()

    def __init__(
        self,
        flow: ReconstructFlow,
        parent: QWidget | None = None,
        *,
        rotation_due: Callable[[], list[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self._rotation_due = rotation_due
        self.kind = QComboBox(self)
        self.kind.setObjectName("useKind")
        self.kind.setAccessibleName("Real use or drill")
        self.kind.addItem("Real use — an incident needs the credential", False)
        self.kind.addItem("Drill — a rehearsal, recorded as a drill", True)
        if flow.drill_default:
            self.kind.setCurrentIndex(1)
        self.incident = QLineEdit(self)
        self.incident.setObjectName("incident")
        self.trigger = QComboBox(self)
        self.trigger.setObjectName("trigger")
        self.trigger.setAccessibleName("Trigger condition from the runbook")
        self.trigger.addItem("— choose the condition that holds —", "")
        for text in flow.config.triggers:
            self.trigger.addItem(text, text)
        self.operator = QLineEdit(self)
        self.operator.setObjectName("operator")
        self.operator.setAccessibleName("Operator")
        self.witnesses = QLineEdit(self)
        self.witnesses.setObjectName("witnesses")
        self.witnesses.setAccessibleName("Witnesses, separated by commas")
        self.witnesses.setPlaceholderText("names, separated by commas")
        self.no_witness = QLineEdit(self)
        self.no_witness.setObjectName("noWitnessReason")
        self.no_witness.setAccessibleName("Why nobody can witness this real use")
        self.no_witness.setPlaceholderText(
            "e.g. the only other on-call engineer is unreachable (recorded in the audit log)"
        )
        self.rotation = QLabel(self)
        self.rotation.setObjectName("rotationDueWarning")
        self.rotation.setWordWrap(True)
        self.rotation.setStyleSheet(
            "background: #fff3cd; color: #5c3c00; border: 1px solid #d8a200; padding: 6px;"
        )
        self.sentence = _big(QLabel(self), 1.15, False)
        self.sentence.setObjectName("sentence")
        self.problems = QLabel(self)
        self.problems.setObjectName("triggerProblems")
        self.problems.setWordWrap(True)

        self.form = QFormLayout()
        self.incident_label = QLabel("&Incident reference", self)
        self.incident_label.setBuddy(self.incident)
        self.trigger_label = QLabel("&Trigger condition", self)
        self.trigger_label.setBuddy(self.trigger)
        self.no_witness_label = QLabel("Wh&y no witness", self)
        self.no_witness_label.setBuddy(self.no_witness)
        kind_label = QLabel("&Kind", self)
        kind_label.setBuddy(self.kind)
        operator_label = QLabel("&Operator", self)
        operator_label.setBuddy(self.operator)
        witness_label = QLabel("&Witnesses", self)
        witness_label.setBuddy(self.witnesses)
        self.form.addRow(kind_label, self.kind)
        self.form.addRow(self.incident_label, self.incident)
        self.form.addRow(self.trigger_label, self.trigger)
        self.form.addRow(operator_label, self.operator)
        self.form.addRow(witness_label, self.witnesses)
        self.form.addRow(self.no_witness_label, self.no_witness)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.rotation)
        layout.addLayout(self.form)
        layout.addWidget(self.sentence)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        # reading order; the last field hands Tab on to Next, never to Cancel
        self.setTabOrder(self.kind, self.incident)
        self.setTabOrder(self.incident, self.trigger)
        self.setTabOrder(self.trigger, self.operator)
        self.setTabOrder(self.operator, self.witnesses)
        self.setTabOrder(self.witnesses, self.no_witness)
        for edit in (self.incident, self.operator, self.witnesses, self.no_witness):
            edit.textChanged.connect(self._changed)
        self.trigger.currentIndexChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._changed)
        self.setFocusProxy(self.incident)
        self._changed()

    @property
    def drill(self) -> bool:
        return bool(self.kind.currentData())

    def _witness_names(self) -> list[str]:
        return [w for w in self.witnesses.text().split(",") if w.strip()]

    def _relabel(self) -> None:
        drill = self.drill
        self.intro.setText(
            "A drill rehearses the break-glass procedure: it is timed and recorded as a drill, "
            "never as real use. Say what it rehearses."
            if drill
            else "Break glass only when a trigger condition in the runbook holds. Every step is "
            "recorded in the audit log."
        )
        self.incident_label.setText("What it &rehearses" if drill else "&Incident reference")
        self.incident.setAccessibleName(
            "What this drill rehearses" if drill else "Incident reference"
        )
        self.incident.setPlaceholderText(
            "e.g. SSO down: prod-db root, quarterly drill"
            if drill
            else f"e.g. {self.flow.config.incident_example}"
        )
        self.form.setRowVisible(self.trigger, not drill)
        self.form.setRowVisible(self.no_witness, not drill and not self._witness_names())

    def _changed(self, *_args: object) -> None:
        self._relabel()
        auth = self.flow.authorise(
            self.incident.text(),
            "" if self.drill else str(self.trigger.currentData() or ""),
            self.operator.text(),
            self._witness_names(),
            drill=self.drill,
            no_witness_reason=self.no_witness.text(),
        )
        problems = auth.problems(self.flow.config)
        self.sentence.setText("" if problems else auth.sentence())
        typed = bool(self.incident.text() or self.operator.text())
        # always say what is missing (Next stays disabled until it is there); red once typing
        self.problems.setText(("Still needed: " + "; ".join(problems) + ".") if problems else "")
        self.problems.setStyleSheet("color: #b00020;" if typed else "color: #555555;")
        self.changed.emit()

    def enter(self) -> None:
        due = self._rotation_due() if self._rotation_due is not None else []
        self.rotation.setText(
            "⚠ "
            + " ".join(due)
            + (
                " A drill on it rehearses with an exposed credential."
                if self.drill
                else " Breaking glass again uses a credential that was already exposed: rotate "
                "it as soon as this incident allows."
            )
            if due
            else ""
        )
        self.rotation.setVisible(bool(due))
        self._changed()

    def has_input(self) -> bool:
        return any(
            e.text().strip() for e in (self.incident, self.witnesses, self.no_witness)
        ) or bool(self.trigger.currentIndex() > 0)


class ReconstructPage(WizardPage):
    step_id = "reconstruct"
    done = Signal(bool)

    def __init__(self, flow: ReconstructFlow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self._pending: ReconstructionResult | None = None
        self.busy = False
        self.label = _big(QLabel("Reconstructing…", self))
        self.label.setObjectName("reconstructStatus")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.error = QLabel(self)
        self.error.setObjectName("reconstructError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def start(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.error.setText("")
        self.bar.setVisible(True)
        names = ", ".join(a.share.holder for a in self.flow.collector.accepted)
        self.label.setText(f"Reconstructing from the shares of {names}…")

        def work() -> None:
            # the result (which holds the secret) stays on this page; the signal carries nothing
            self._pending = self.flow.compute_reconstruction()

        run_task(work, self._finished, self._failed, context=self)

    def _finished(self, _none: object) -> None:
        self.busy = False
        result, self._pending = self._pending, None
        if result is None:
            return
        ok = self.flow.apply_reconstruction(result)
        self.bar.setVisible(False)
        if ok:
            self.label.setText("The credential is ready. It stays hidden until you ask.")
        else:
            self.label.setText("Reconstruction failed.")
            self.error.setText(
                self.flow.outcome.error + "\n\nGo Back to collect another custodian's share."
            )
        self.done.emit(ok)

    def _failed(self, message: str) -> None:
        self.busy = False
        result, self._pending = self._pending, None
        if result is not None:
            result.discard()
        self.bar.setVisible(False)
        self.label.setText("Reconstruction failed.")
        self.error.setText(message)
        self.done.emit(False)

    def discard(self) -> None:
        result, self._pending = self._pending, None
        if result is not None:
            result.discard()

    def enter(self) -> None:
        self.start()


class RevealPage(WizardPage):
    step_id = "reveal"

    def __init__(
        self,
        flow: ReconstructFlow,
        clipboard: SecretClipboard | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self.summary = _big(QLabel(self), 1.1)
        self.summary.setObjectName("revealSummary")
        self.panel = RevealPanel(flow, clipboard, self)
        warn = QLabel(
            "Use it only for the in-scope action. Do not save it, do not paste it into chat. "
            "Press Done as soon as you have used it: the credential is wiped.",
            self,
        )
        warn.setWordWrap(True)
        self.refused = QLabel(self)
        self.refused.setObjectName("revealRefused")
        self.refused.setWordWrap(True)
        self.refused.setStyleSheet("color: #b00020;")
        self.gate_box = QGroupBox("Audit mirrors", self)
        self.gate_box.setObjectName("gateBox")
        self.gate_text = QLabel(self.gate_box)
        self.gate_text.setObjectName("gateText")
        self.gate_text.setWordWrap(True)
        self.gate_reason = QLineEdit(self.gate_box)
        self.gate_reason.setObjectName("gateReason")
        self.gate_reason.setAccessibleName("Reason for revealing without the audit mirrors")
        self.gate_reason.setPlaceholderText(
            "why the credential must be shown although the mirrors are unreachable"
        )
        self.gate_button = QPushButton("Override and allow the reveal", self.gate_box)
        self.gate_button.setObjectName("gateOverride")
        self.gate_button.clicked.connect(self.override_gate)
        gate_row = QHBoxLayout()
        gate_row.addWidget(self.gate_reason, 1)
        gate_row.addWidget(self.gate_button)
        gate_layout = QVBoxLayout(self.gate_box)
        gate_layout.addWidget(self.gate_text)
        gate_layout.addLayout(gate_row)
        self.gate_box.setVisible(False)
        self.panel.on_refused = self._reveal_refused
        self.panel.gate_check.busy_changed.connect(self._busy)
        self._gate_opened = False
        self._override_note = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.refused)
        layout.addWidget(self.gate_box)
        layout.addWidget(self.panel, 1)
        layout.addWidget(warn)

    # -- the fail-closed mirror gate (when the audit adapter has one) ---------------------------
    def check_gate(self) -> bool:
        """Check the gate (its mirror probes off the GUI thread: the panel's check). True when
        the credential may be shown now; else the override box shows why not, or the check is
        still running. (The announcement was answered on its own step; a mirror may have gone
        down since.)"""
        self._gate_opened = False
        self.panel.gate_check.start(self._gate_checked)
        return self._gate_opened

    def _gate_checked(self, probed: GateProbe | None, error: str) -> None:
        flow = self.flow
        if not flow.wizard.running or flow.wizard.current != "reveal":
            return  # left the step meanwhile
        # a failed check counts every mirror as not checked: the gate stays shut
        self._gate_opened = self.show_gate(flow.check_gate(probed if probed is not None else {}))
        if error:
            self.gate_text.setText(
                self.gate_text.text() + f" (The check of the audit mirror failed: {error}.)"
            )
        if self._override_note and self._gate_opened:
            self.gate_text.setText(
                self.gate_text.text() + ". The override and its reason are in the audit log."
            )
        self._override_note = False

    def show_gate(self, status: RevealGate | None) -> bool:
        shut = status is not None and not status.open
        self.gate_box.setVisible(status is not None and (bool(status.unreachable) or shut))
        self.gate_box.setTitle(
            "Announce before the reveal"
            if status is not None and getattr(status, "needs_announcement", False)
            else "Audit mirrors"
        )
        self.gate_text.setText(status.explain() if status is not None else "")
        self.gate_text.setStyleSheet("color: #b00020; font-weight: bold;" if shut else "")
        self.gate_reason.setVisible(shut)
        self.gate_button.setVisible(shut)
        self.panel.gate_shut = shut
        self.panel.restore_buttons()
        return not shut

    def _reveal_refused(self) -> None:
        self.check_gate()

    def override_gate(self) -> bool:
        try:
            self.flow.override_gate(self.gate_reason.text())
        except BreakglassError as exc:
            self.gate_text.setText(f"{exc}")
            return False
        self.gate_reason.clear()
        self._override_note = True
        return self.check_gate()

    def _busy(self, busy: bool) -> None:
        self.set_busy(busy)  # Done and Back wait for the check; Cancel and wipe does not

    def enter(self) -> None:
        o = self.flow.outcome
        self.summary.setText(
            f"{o.label or 'Credential'} — set {o.fingerprint} ({o.policy}) — reconstructed from "
            + "; ".join(o.used)
        )
        self.refused.setText(
            ("Identified as bad and left out: " + "; ".join(o.refused)) if o.refused else ""
        )
        self.panel.attach()
        self.check_gate()

    def leave(self) -> None:
        self.panel.gate_check.cancel()  # a check's late answer concerns a step left
        # Back to the announcement (or on): the credential is hidden, never left on screen
        if self.panel.view.shown:
            self.panel.hide_secret("left the reveal step")


class DrillReportView(QWidget):
    """The drill report as a table: one row per step with its time, the slowest marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drillReport")
        self._text = ""
        self.summary = QLabel(self)
        self.summary.setObjectName("drillSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("drillSteps")
        self.table.setAccessibleName("Drill: time per step")
        self.table.setHorizontalHeaderLabels(["Step", "Time", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.notes = QLabel(self)
        self.notes.setObjectName("drillNotes")
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.notes)

    def show_report(self, report: DrillReport) -> None:
        self._text = report.text()
        slow = report.slowest
        self.summary.setText(
            f"{report.incident or 'Drill'}: {report.outcome}, "
            f"{_duration(report.total_seconds)} in all"
            + (f"; the slowest step was {slow.title} ({_duration(slow.seconds)})." if slow else ".")
        )
        rows = [*report.steps]
        self.table.setRowCount(len(rows) + 1)
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, step in enumerate(rows):
            mark = "← slowest" if slow is not None and step is slow else ""
            for c, text in enumerate((step.title, _duration(step.seconds), mark)):
                item = QTableWidgetItem(text)
                if mark:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        total = len(rows)
        for c, text in enumerate(("Total", _duration(report.total_seconds), "")):
            item = QTableWidgetItem(text)
            item.setFont(bold)
            self.table.setItem(total, c, item)
        height = self.table.horizontalHeader().height() + 4
        for r in range(self.table.rowCount()):
            height += self.table.rowHeight(r)
        self.table.setFixedHeight(height)
        self.notes.setText("\n".join(f"• {n}" for n in report.notes))
        self.notes.setVisible(bool(report.notes))

    def toPlainText(self) -> str:
        """The report as text (the same text the audit log's drill record describes)."""
        return self._text


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class AfterPage(WizardPage):
    """Step 5. A real use: the mandatory checklist (the re-split box only once the re-split
    ran), the review record. A drill: the drill checklist and the drill report."""

    step_id = "after"
    changed = Signal()

    def __init__(
        self,
        flow: ReconstructFlow,
        report: Callable[[], DrillReport | None] | None = None,
        bypass_rate: Callable[[], str] | None = None,
        parent: QWidget | None = None,
        *,
        resplit_done: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self._report = report
        self._bypass_source = bypass_rate
        self._resplit_done = resplit_done
        self.heading = _big(QLabel(self))
        self.heading.setWordWrap(True)
        self.checks: dict[str, WrapCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        self.real_box = QGroupBox("After a real use (every item is mandatory)", self)
        real = QVBoxLayout(self.real_box)
        for key, label in CHECKLIST:
            box = WrapCheckBox(label, self.real_box)
            box.setObjectName(f"check_{key}")
            box.toggled.connect(lambda on, k=key: self._ticked(k, on))
            self.checks[key] = box
            real.addWidget(box)
        self.resplit = QPushButton(
            "Re-split &now: open the split ceremony replacing this set", self.real_box
        )
        self.resplit.setObjectName("resplitButton")
        self.resplit_note = QLabel(self.real_box)
        self.resplit_note.setObjectName("resplitNote")
        self.resplit_note.setWordWrap(True)
        resplit_row = QHBoxLayout()
        resplit_row.addWidget(self.resplit)
        resplit_row.addWidget(self.resplit_note, 1)
        real.addLayout(resplit_row)
        # Not every step can be done at 3 a.m. (custodians to gather for the re-split, a change
        # window for the rotation): finishing with them open is allowed, never silent — they
        # stay in the review record, which stays "review due" until they are done.
        self.defer = QPushButton("Finish, do the open steps &later", self.real_box)
        self.defer.setToolTip("The unticked steps stay in the review record, which stays due")
        self.defer.setObjectName("deferChecklist")
        self.defer.clicked.connect(self.defer_open_steps)
        real.addWidget(self.defer)
        layout.addWidget(self.real_box)
        self.drill_box = QGroupBox("After a drill", self)
        drill = QVBoxLayout(self.drill_box)
        for key, label in DRILL_CHECKLIST:
            box = WrapCheckBox(label, self.drill_box)
            box.setObjectName(f"check_{key}")
            box.toggled.connect(lambda on, k=key: self._ticked(k, on))
            self.checks[key] = box
            drill.addWidget(box)
        self.report = DrillReportView(self.drill_box)
        drill.addWidget(self.report)
        layout.addWidget(self.drill_box)
        # A drill's own record (a rehearsal has no review record in the registry)
        self.record_label = QLabel("Drill &record (pre-filled from this drill; save it):", self)
        self.record = QPlainTextEdit(self)
        self.record.setObjectName("drillRecord")
        self.record.setTabChangesFocus(True)
        self.record.setMinimumHeight(140)
        self.record_label.setBuddy(self.record)
        self.save_record = QPushButton("&Save drill record…", self)
        self.save_record.setObjectName("saveDrillRecord")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.record.setFont(mono)  # laid out in columns
        self._generated_record = ""
        self._bypass_rate = ""
        layout.addWidget(self.record_label)
        layout.addWidget(self.record, 1)
        layout.addWidget(self.save_record)
        # A real use: the registry's review record of this ceremony — the one 'breakglass
        # review show' prints — shown as stored and completed here; what is typed is stored
        # with "Save", at Finish and when the window closes (a draft: "review due").
        self.review_box = QGroupBox("Review record (kept in the registry)", self)
        self.review_box.setObjectName("reviewBox")
        review = QVBoxLayout(self.review_box)
        grid = QGridLayout()
        self.severity = QLineEdit(self.review_box)
        self.severity.setObjectName("reviewSeverity")
        self.severity.setPlaceholderText("e.g. SEV1")
        self.appropriate = QLineEdit(self.review_box)
        self.appropriate.setObjectName("reviewAppropriate")
        self.appropriate.setPlaceholderText("e.g. YES — minimal and scoped")
        self.reviewers = QLineEdit(self.review_box)
        self.reviewers.setObjectName("reviewReviewers")
        self.reviewers.setPlaceholderText("add names, separated by commas")
        self.follow_ups = QLineEdit(self.review_box)
        self.follow_ups.setObjectName("reviewFollowUps")
        self.follow_ups.setPlaceholderText("add tickets or actions, separated by commas")
        fields = (
            ("S&everity:", self.severity),
            ("A&ppropriate?:", self.appropriate),
            ("Revie&wers:", self.reviewers),
            ("F&ollow-ups:", self.follow_ups),
        )
        for n, (caption, edit) in enumerate(fields):
            buddy = QLabel(caption, self.review_box)
            buddy.setBuddy(edit)
            grid.addWidget(buddy, n // 2, (n % 2) * 2)
            grid.addWidget(edit, n // 2, (n % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        review.addLayout(grid)
        buttons = QHBoxLayout()
        self.store_review = QPushButton("Save re&view", self.review_box)
        self.store_review.setObjectName("storeReview")
        self.store_review.setToolTip("Store what is typed in the registry's review record now")
        self.store_review.clicked.connect(self.store_answers)
        self.export_review = QPushButton("E&xport YAML…", self.review_box)
        self.export_review.setObjectName("exportReview")
        self.review_status = QLabel(self.review_box)
        self.review_status.setObjectName("reviewStatus")
        self.review_status.setWordWrap(True)
        buttons.addWidget(self.store_review)
        buttons.addWidget(self.export_review)
        buttons.addWidget(self.review_status, 1)
        review.addLayout(buttons)
        self.review_text = QPlainTextEdit(self.review_box)
        self.review_text.setObjectName("reviewRecord")
        self.review_text.setReadOnly(True)
        self.review_text.setTabChangesFocus(True)
        self.review_text.setFont(mono)
        self.review_text.setMinimumHeight(200)
        self.review_text.setAccessibleName("the review record as stored in the registry")
        review.addWidget(self.review_text, 1)
        layout.addWidget(self.review_box, 1)
        self.view: ReviewView | None = None

    def review_answers(self) -> dict[str, str | list[str]]:
        def items(text: str) -> list[str]:
            return [t.strip() for t in text.split(",") if t.strip()]

        return {
            "severity": self.severity.text().strip(),
            "appropriate": self.appropriate.text().strip(),
            "reviewers": items(self.reviewers.text()),
            "follow_ups": items(self.follow_ups.text()),
        }

    def show_review(self) -> None:
        """Show the record as the registry holds it now (refreshed from the log)."""
        try:
            self.view = self.flow.recorder.review()
        except (BreakglassError, ValueError) as exc:
            self.view = None
            self.review_status.setText(f"The review record could not be read: {exc}")
            return
        view = self.view
        if view is None:
            self.review_text.setPlainText("")
            self.review_status.setText("No review record: nothing was reconstructed.")
            return
        self.review_box.setTitle(
            f"Review record {view.review_id} — the registry's (breakglass review show "
            f"{view.review_id})"
            if view.stored
            else "Review record (not stored: no audit log in this session)"
        )
        self.review_text.setPlainText(view.text)
        if view.status == "completed":
            self.review_status.setText("✔ Complete. Later changes: breakglass review complete.")
        else:
            self.review_status.setText(
                "Draft — still missing: "
                + ", ".join(view.missing)
                + ". Saved at Finish and when this window closes; until complete it shows as "
                "“review due”."
            )

    def store_answers(self) -> bool:
        """Store what is typed now; the added reviewers and follow-ups move into the record."""
        try:
            self.flow.recorder.review_answers(self.review_answers())
        except (BreakglassError, ValueError) as exc:  # ReviewError is a ValueError
            self.review_status.setText(f"Not stored: {exc}")
            return False
        self.reviewers.clear()
        self.follow_ups.clear()
        self.show_review()
        return True

    def defer_open_steps(self) -> None:
        """Let Finish through with unticked items; the end page and the review record say
        which are still open."""
        self.flow.defer_checklist()
        self.defer.setEnabled(False)
        self.defer.setText("Open steps kept for later")
        self.changed.emit()

    def open_steps(self) -> list[str]:
        labels = dict(CHECKLIST)
        return [labels[k] for k, done in self.flow.checklist.items() if not done]

    def resplit_ran(self) -> bool:
        return bool(self._resplit_done is not None and self._resplit_done())

    def _ticked(self, key: str, on: bool) -> None:
        if key == "resplit" and on and not self.resplit_ran():
            # refused: the box says why (it is ticked when the new set is registered)
            self.checks[key].setChecked(False)
            return
        self.flow.tick_item(key, on)
        if self.flow.drill:
            if self.record.toPlainText() == self._generated_record:  # not edited by hand yet
                self._fill_record()
        elif on:
            self.show_review()  # the step done is in the record's actions now
        self.defer.setEnabled(bool(self.open_steps()) and not self.flow.checklist_deferred)
        self.changed.emit()

    def _fill_record(self) -> None:
        self._generated_record = self.flow.review_record(bypass_rate=self._bypass_rate)
        self.record.setPlainText(self._generated_record)

    def refresh(self) -> None:
        self.defer.setEnabled(bool(self.open_steps()) and not self.flow.checklist_deferred)
        ran = self.resplit_ran()
        box = self.checks["resplit"]
        box.setEnabled(ran)
        self.resplit.setEnabled(not ran)
        self.resplit_note.setText(
            "✔ The new set replacing this one is registered."
            if ran
            else "Ticked here once the split ceremony replacing this set has finished."
        )
        if ran and not box.isChecked():
            box.setChecked(True)

    def enter(self) -> None:
        report = self._report() if self._report is not None else None
        bypass_rate = self._bypass_source() if self._bypass_source is not None else ""
        drill = self.flow.drill
        self.heading.setText(
            "Drill complete. Read the timings, note the bottlenecks, fix the runbook, and "
            "re-run the slowest step."
            if drill
            else "The credential is wiped. Now close the loop: every item is mandatory — now, "
            "or later from the review record."
        )
        self.real_box.setVisible(not drill)
        self.drill_box.setVisible(drill)
        self.review_box.setVisible(not drill)
        for w in (self.record_label, self.record, self.save_record):
            w.setVisible(drill)
        if self.flow.outcome.not_shown:  # a drill on a live set: proven, never shown
            self.heading.setText(self.flow.outcome.not_shown + " " + self.heading.text())
        self.report.setVisible(report is not None)
        if report is not None:
            self.report.show_report(report)
        self._bypass_rate = bypass_rate
        if drill:
            self._fill_record()
        else:
            self.show_review()
            values = self.view.values if self.view is not None else {}
            for edit, key in ((self.severity, "severity"), (self.appropriate, "appropriate")):
                if not edit.text().strip():
                    edit.setText(str(values.get(key) or ""))
        self.refresh()


class ReconstructWizard(WizardFrame):
    """The break-glass window. ``closed_with`` is emitted once with the wizard's final status."""

    closed_with = Signal(str)
    resplit_requested = Signal(str)  # the fingerprint of the set to replace (public)
    stop_title = "Stop breaking glass?"
    stop_text = (
        "Stopping ends the ceremony: the credential and the collected shares are wiped and "
        "the abort is recorded. Stop?"
    )

    def __init__(
        self,
        flow: ReconstructFlow,
        *,
        cameras: Sequence[CameraLike] | Callable[[], Sequence[CameraLike]] = (),
        decoder: Decoder | None = None,
        clipboard: SecretClipboard | None = None,
        bypass_rate: Callable[[], str] | None = None,
        save_review: Callable[[str], str] | None = None,
        confirm_close: Callable[[], bool] | None = None,
        rotation_due: Callable[[], list[str]] | None = None,
        resplit_done: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reconstructWizard")
        self.flow = flow
        # the reveal gate's mirror checks run off the GUI thread (gui/gate_check.py)
        flow.gate_checks_off_thread = True
        # every step is timed; the report is shown (and recorded) for drills
        self.timer = StepTimer(flow.wizard, flow.clock)
        self.clipboard = clipboard
        self._save_review = save_review
        self._confirm_close = confirm_close
        self.final_report: DrillReport | None = None
        title = "Run a drill" if flow.drill_default else "Break glass"
        self.setWindowTitle(f"{title} — Breakglass")
        self.banner.setVisible(True)

        self.trigger_page = TriggerPage(flow, self, rotation_due=rotation_due)
        self.collect_page = CollectPage(flow, cameras=cameras, decoder=decoder, parent=self)
        self.reconstruct_page = ReconstructPage(flow, self)
        self.announce_page = AnnouncePage(flow, self)
        self.reveal_page = RevealPage(flow, clipboard, self)
        self.after_page = AfterPage(
            flow,
            report=lambda: drill_report(self.flow, self.timer) if self.flow.drill else None,
            bypass_rate=bypass_rate,
            parent=self,
            resplit_done=resplit_done,
        )
        self.end_report = DrillReportView(self.end_page)
        self.end_report.setObjectName("endDrillReport")
        self.end_report.setVisible(False)
        self.end_page.extra.addWidget(self.end_report)
        self.cancel_button.setText("Cancel and wipe")  # Escape and Ctrl+W; Alt+C is the camera
        self.cancel_button.setAccessibleName("Cancel and wipe")
        QShortcut(QKeySequence("Ctrl+Return"), self, self.go_next)
        self.trigger_page.changed.connect(self.refresh_buttons)
        self.collect_page.offered.connect(self.refresh_buttons)
        self.reconstruct_page.done.connect(self._reconstructed)
        self.after_page.changed.connect(self.refresh_buttons)
        self.announce_page.changed.connect(self.refresh_buttons)
        self.after_page.resplit.clicked.connect(self._resplit)
        self.after_page.save_record.clicked.connect(self._save_record)
        self.after_page.export_review.clicked.connect(self._export_review)
        self.ceremony_over.connect(self.closed_with.emit)
        flow.wipe_listeners.append(self._on_wipe)
        self.attach(
            flow.wizard,
            STEP_ORDER,
            [
                self.trigger_page,
                self.collect_page,
                self.reconstruct_page,
                self.announce_page,
                self.reveal_page,
                self.after_page,
            ],
        )
        fit_and_centre(self, parent, 1000, 680)

    # -- the frame's hooks ------------------------------------------------------------------------
    def show_current(self) -> None:
        self._show_banner()
        super().show_current()

    def _show_banner(self) -> None:
        drill = self.flow.drill
        if drill:
            self.banner.setText("DRILL — a rehearsal; recorded as a drill, never as real use")
            self.banner.setStyleSheet("background: #0d47a1; color: white;")
        else:
            self.banner.setText("BREAK GLASS — real use: recorded, loud, rotate afterwards")
            self.banner.setStyleSheet("background: #b00020; color: white;")
        current = self.flow.wizard.current
        if current != "trigger" and self.flow.authorisation is not None:
            self.banner.setText(self.banner.text() + "\n" + self.flow.sentence())

    def step_applies(self, step_id: str) -> bool:
        """The side panel lists the steps on this ceremony's path as far as it is known: a
        drill has no announce step, and a drill on a live set (proven, never shown) no
        reveal, from its first share on; a recorder without announcements skips it once the
        quorum is reached."""
        flow = self.flow
        if step_id == "announce":
            if flow.drill:
                return False
            return flow.outcome.reconstructed_at is None or flow.announce_applies()
        if step_id == "reveal":
            return not flow.proves_only()
        return True

    def next_label(self, step_id: str, last: bool) -> str:
        return {
            "trigger": "&Next: collect shares",
            "collect": "&Reconstruct",
            "reconstruct": "&Next",
            "announce": "&Next: the reveal",
            "reveal": "&Done — wipe it",
            "after": "&Finish",
        }.get(step_id, "&Next")

    def can_advance(self, step_id: str, last: bool) -> bool:
        if step_id == "reconstruct":
            return False  # it moves on by itself when ready
        return not self.flow.wizard.problems()

    def refresh_buttons(self) -> None:
        super().refresh_buttons()
        wizard = self.flow.wizard
        self.refresh_steps()  # a share collected may tell that this drill shows nothing
        if wizard.running:
            current = wizard.current
            shown = [p for p in wizard.problems() if current not in ("trigger", "reconstruct")]
            self.problems.setText("\n".join(shown))

    def finish_ceremony(self) -> list[str] | None:
        self.flow.wizard.finish()
        if self.flow.drill:
            self.final_report = drill_report(self.flow, self.timer)
            record_drill(self.flow.recorder, self.final_report)
            self.after_page.report.show_report(self.final_report)
        o = self.flow.outcome
        what = "Drill complete" if self.flow.drill else "Break glass complete"
        lines = [
            f"{what}: {o.label or 'the credential'} (set {o.fingerprint or '—'}) was "
            "reconstructed, and the credential is wiped from this computer.",
            "Everything is recorded in the audit log. Close this window.",
        ]
        if not self.flow.drill:
            still_open = self.after_page.open_steps()
            if still_open:
                lines.append(
                    "Still to do (follow-ups of the review record; close each under "
                    "“Follow-ups” in the main window once done): " + "; ".join(still_open) + "."
                )
            try:
                stored = self.flow.recorder.review_answers(self.after_page.review_answers())
            except (BreakglassError, ValueError) as exc:  # ReviewError is a ValueError
                stored = None
                lines.append(f"The review answers were not stored: {exc}")
            if stored is not None:
                rid, status, missing = stored
                if status == "completed":
                    lines.append(f"Review record {rid} is complete and stored in the registry.")
                else:
                    lines.append(
                        f"Review record {rid} is stored as a draft (still missing: "
                        f"{', '.join(missing)}): it shows as “review due” on the main window "
                        f"until completed (breakglass review complete {rid} …)."
                    )
        if self.final_report is not None:
            self.end_report.show_report(self.final_report)
            self.end_report.setVisible(True)
            lines.append(
                "The drill's timings are recorded in the audit log; fix what was slow in the "
                "runbook and re-run the slowest step."
            )
        return lines

    def entered_anything(self) -> bool:
        wizard = self.flow.wizard
        return bool(
            wizard.current != "trigger"
            or self.flow.collector.accepted
            or self.flow.secret is not None
            or super().entered_anything()
        )

    def ask_stop(self) -> bool:
        if self._confirm_close is not None:
            return self._confirm_close()
        return super().ask_stop()

    def cancel_ceremony(self, how: str) -> None:
        self.reconstruct_page.discard()
        at_after = self.flow.wizard.current == "after"
        if how == "close":
            self.flow.close()  # records "window closed at the … step"
        else:
            self.flow.wizard.cancel()
        if at_after and not self.flow.drill:
            # whatever was typed into the review is kept in the registry's record (a draft
            # until complete: "review due" on the main window)
            # (refused answers leave the record as pre-filled; the main window says it is due)
            with contextlib.suppress(BreakglassError, ValueError):
                self.flow.recorder.review_answers(self.after_page.review_answers())

    def release(self) -> None:
        self.flow.close()
        self.announce_page.timer.stop()
        self.announce_page.gate_check.cancel()
        self.reveal_page.panel.gate_check.cancel()
        self.collect_page.detach()
        self.reveal_page.panel.detach()
        if self.clipboard is not None:
            self.clipboard.clear_if_ours("closed")

    # -- navigation -------------------------------------------------------------------------------
    def _reconstructed(self, ok: bool) -> None:
        wizard = self.flow.wizard
        if ok and wizard.running and wizard.current == "reconstruct":
            wizard.next()
        else:
            self.refresh_buttons()

    def _resplit(self) -> None:
        fp = self.flow.outcome.fingerprint
        if fp:
            self.resplit_requested.emit(fp)

    def _save_record(self) -> None:
        """A drill's own record, to a file."""
        self._save_text(self.after_page.record.toPlainText(), "drill-record.txt", "Drill record")

    def _export_review(self) -> None:
        """The registry's review record as YAML (what 'breakglass review export --yaml'
        writes), after storing what is typed."""
        page = self.after_page
        if not page.store_answers() or page.view is None:
            return
        name = f"review-{page.view.review_id or 'record'}.yaml"
        self._save_text(page.view.text, name, "Review record")

    def _save_text(self, text: str, name: str, what: str) -> None:
        if self._save_review is not None:
            where = self._save_review(text)
        else:
            path, _ = QFileDialog.getSaveFileName(self, f"Save the {what.lower()}", name)
            if not path:
                return
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            where = path
        self.problems.setText(f"{what} saved: {where}")

    # -- wipe ------------------------------------------------------------------------------------
    def _on_wipe(self, reason: str) -> None:
        # a gate check still on its way is dropped: its answer can reveal nothing now
        self.announce_page.gate_check.cancel()
        self.reveal_page.panel.gate_check.cancel()
        self.collect_page.stop_camera()
        self.reconstruct_page.discard()


# -- the main window's hook ---------------------------------------------------------------------


class _RetiredFromRows:
    """Retired-set lookup over the main window's rows (registry status)."""

    def __init__(self, rows: Callable[[], Sequence[SetRow]]) -> None:
        self._rows = rows

    def retired_reason(self, fingerprint_text: str) -> str | None:
        for row in self._rows():
            if row.fingerprint == fingerprint_text:
                return "it was retired in the registry" if row.status == "retired" else None
        return None


def open_from_main_window(
    window: MainWindow, *, drill: bool, set_fingerprint: str | None = None
) -> ReconstructWizard:
    """Open "Break glass" or "Run a drill" from the main window (``MainWindow`` calls this)."""
    services = window.services
    clock = services.clock
    make = services.new_reconstruction_recorder
    recorder: ReconstructionRecorder = (
        make(drill) if make is not None else MemoryReconstructionRecorder(clock)
    )
    retired = services.retired_sets or _RetiredFromRows(services.rows)
    flow = ReconstructFlow(
        recorder, clock=clock, drill=drill, retired=retired, config=_home_config(services)
    )
    # probed by the camera panel when the collect page opens, off the GUI thread
    cameras: Callable[[], Sequence[CameraLike]] | Sequence[CameraLike] = services.cameras or ()
    clipboard = SecretClipboard(clock, parent=window)
    rows = services.rows

    def rotation_due() -> list[str]:
        """The sets already exposed and never rotated: the one selected, else every one."""
        try:
            due = [r for r in rows() if r.status == "rotation-due"]
        except Exception:  # a locked registry must not stop breaking glass
            return []
        chosen = [r for r in due if r.fingerprint == set_fingerprint]
        return [
            f"Set {r.fingerprint} ({r.label}) is “rotation due”: its credential was revealed "
            "and has not been rotated since."
            for r in (chosen or due)
        ]

    def resplit_done() -> bool:
        """Whether the set just reconstructed was replaced (the re-split finished)."""
        fp = flow.outcome.fingerprint
        return bool(fp) and any(r.fingerprint == fp and r.status == "retired" for r in rows())

    def bypass() -> str:
        # read when the After page opens: the set reconstructed (else the one selected),
        # counting this use when it was recorded for real
        wanted = flow.outcome.fingerprint or set_fingerprint
        for row in rows() if wanted else []:
            if row.fingerprint == wanted:
                return row.bypass_text()
        return ""

    wizard = ReconstructWizard(
        flow,
        cameras=cameras,
        clipboard=clipboard,
        bypass_rate=bypass,
        rotation_due=rotation_due,
        resplit_done=resplit_done,
        parent=window,
    )
    if make is None:
        wizard.problems.setText(
            "Warning: the audit log is not connected in this session; events stay in memory."
        )

    def resplit(fingerprint: str) -> None:
        # the split wizard, replacing this set (it retires the old set at Finish)
        match = [r for r in rows() if r.fingerprint == fingerprint]
        split = window.open_split_wizard(match[0] if match else None)
        # the checklist's re-split box is ticked when that ceremony has finished
        split.finished.connect(lambda _r: wizard.after_page.refresh())

    wizard.resplit_requested.connect(resplit)
    window.open_dialogs.append(wizard)

    def closed(_result: int) -> None:
        if wizard in window.open_dialogs:
            window.open_dialogs.remove(wizard)
        window.refresh()

    wizard.finished.connect(closed)
    wizard.closed_with.connect(lambda _status: window.refresh())
    wizard.show()
    return wizard


def _home_config(services: Services) -> ReconstructConfig | None:
    """The installation's ceremony rules (``ceremony.json`` in its home), as the CLI reads
    them; the defaults when the services have no home (tests, screenshots)."""
    home = services.home
    if home is None:
        return None
    try:
        return load_rules(Path(home)).config()
    except RulesError as exc:  # said out loud, then the defaults (never a crash mid-incident)
        QMessageBox.warning(None, "Ceremony settings unreadable", f"{exc}\n\nUsing the defaults.")
        return None
