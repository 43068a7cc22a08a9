"""Break glass: the reconstruction wizard (Qt pages attached to ``ReconstructFlow``'s steps).

Trigger and authorisation → Collect shares → Reconstruct (off the GUI thread) → Reveal →
After. Loud by design: a red banner for a real use, a blue one for a drill, the
authorisation sentence on every page. Cancel (any step), Done, the hold timeout and closing
the window all wipe: the ``SecretBytes`` is overwritten, the reveal view and clipboard are
cleared, camera frames and typed text are dropped.

The secret never travels in a signal: the reconstruction worker leaves its result in
``self._pending`` and the page takes it on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.drill import DrillReport, StepTimer, drill_report, record_drill
from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import MemoryReconstructionRecorder, ReconstructionRecorder
from breakglass_gui.ceremony.reconstruct_flow import (
    CHECKLIST,
    ReconstructFlow,
    ReconstructionResult,
)
from breakglass_gui.core.errors import BreakglassError

from .camera import CameraLike, Decoder
from .clipboard import SecretClipboard
from .reconstruct_wizard_collect import CollectPage
from .reveal import RevealPanel
from .wizard_frame import WizardFrame, WizardPage, fit_and_centre
from .workers import run_task

if TYPE_CHECKING:

    from .main_window import MainWindow

__all__ = ["ReconstructWizard", "open_from_main_window"]

STEP_ORDER = ("trigger", "collect", "reconstruct", "reveal", "after")


def _big(label: QLabel, factor: float = 1.3, bold: bool = True) -> QLabel:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    label.setFont(font)
    label.setWordWrap(True)
    return label


class TriggerPage(WizardPage):
    step_id = "trigger"
    changed = Signal()

    def __init__(self, flow: ReconstructFlow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.incident = QLineEdit(self)
        self.incident.setObjectName("incident")
        self.incident.setAccessibleName("Incident reference")
        self.incident.setPlaceholderText("e.g. INC-4821")
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
        self.kind = QComboBox(self)
        self.kind.setObjectName("useKind")
        self.kind.setAccessibleName("Real use or drill")
        self.kind.addItem("Real use — an incident needs the credential", False)
        self.kind.addItem("Drill — a rehearsal, recorded as a drill", True)
        if flow.drill_default:
            self.kind.setCurrentIndex(1)
        self.sentence = _big(QLabel(self), 1.15, False)
        self.sentence.setObjectName("sentence")
        self.problems = QLabel(self)
        self.problems.setObjectName("triggerProblems")
        self.problems.setStyleSheet("color: #b00020;")
        self.problems.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Incident reference", self.incident)
        form.addRow("&Trigger condition", self.trigger)
        form.addRow("&Operator", self.operator)
        form.addRow("&Witnesses", self.witnesses)
        form.addRow("&Kind", self.kind)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Break glass only when a trigger condition in the runbook holds. Every step is "
                "recorded in the audit log.",
                self,
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.sentence)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        for edit in (self.incident, self.operator, self.witnesses):
            edit.textChanged.connect(self._changed)
        self.trigger.currentIndexChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._changed)
        self._changed()

    def _changed(self, *_args: object) -> None:
        witnesses = [w for w in self.witnesses.text().split(",") if w.strip()]
        auth = self.flow.authorise(
            self.incident.text(),
            str(self.trigger.currentData() or ""),
            self.operator.text(),
            witnesses,
            drill=bool(self.kind.currentData()),
        )
        problems = auth.problems(self.flow.config)
        self.sentence.setText("" if problems else auth.sentence())
        self.problems.setText("\n".join(problems) if self.incident.text() else "")
        self.changed.emit()

    def has_input(self) -> bool:
        return any(e.text().strip() for e in (self.incident, self.witnesses)) or bool(
            self.trigger.currentIndex() > 0
        )


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
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.refused)
        layout.addWidget(self.gate_box)
        layout.addWidget(self.panel, 1)
        layout.addWidget(warn)

    # -- the fail-closed mirror gate (when the audit adapter has one) ---------------------------
    def check_gate(self) -> bool:
        """True when the credential may be shown; else the override box shows why not."""
        status = self.flow.recorder.gate()
        shut = status is not None and not status.open
        self.gate_box.setVisible(status is not None and bool(status.unreachable))
        self.gate_text.setText(status.explain() if status is not None else "")
        self.gate_text.setStyleSheet("color: #b00020; font-weight: bold;" if shut else "")
        self.gate_reason.setVisible(shut)
        self.gate_button.setVisible(shut)
        held = self.flow.secret is not None
        self.panel.toggle.setEnabled(held and not shut)
        self.panel.copy_button.setEnabled(held and not shut)
        return not shut

    def override_gate(self) -> bool:
        try:
            self.flow.recorder.override_gate(self.gate_reason.text())
        except BreakglassError as exc:
            self.gate_text.setText(f"{exc}")
            return False
        self.gate_reason.clear()
        opened = self.check_gate()
        if opened:
            self.gate_text.setText(
                self.gate_text.text() + ". The override and its reason are in the audit log."
            )
        return opened

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


class AfterPage(WizardPage):
    step_id = "after"

    def __init__(
        self,
        flow: ReconstructFlow,
        report: Callable[[], DrillReport | None] | None = None,
        bypass_rate: Callable[[], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self._report = report
        self._bypass_source = bypass_rate
        self.heading = _big(QLabel(self))
        self.checks: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        for key, label in CHECKLIST:
            box = QCheckBox(label, self)
            box.setObjectName(f"check_{key}")
            box.toggled.connect(lambda on, k=key: self._ticked(k, on))
            self.checks[key] = box
            layout.addWidget(box)
        self.resplit = QPushButton("Re-split now: open the split ceremony replacing this set", self)
        self.resplit.setObjectName("resplitButton")
        layout.addWidget(self.resplit)
        self.report_label = QLabel("Drill report", self)
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("drillReport")
        self.report.setReadOnly(True)
        self.record_label = QLabel("Review record (pre-filled from the audit log; complete it):")
        self.record = QPlainTextEdit(self)
        self.record.setObjectName("reviewRecord")
        self.save_record = QPushButton("Save review record…", self)
        self.save_record.setObjectName("saveReviewRecord")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.report.setFont(mono)  # both are laid out in columns
        self.record.setFont(mono)
        self._generated_record = ""
        self._bypass_rate = ""
        layout.addWidget(self.report_label)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.record_label)
        layout.addWidget(self.record, 2)
        layout.addWidget(self.save_record)

    changed = Signal()

    def _ticked(self, key: str, on: bool) -> None:
        self.flow.tick_item(key, on)
        if self.record.toPlainText() == self._generated_record:  # not edited by hand yet
            self._fill_record()
        self.changed.emit()

    def _fill_record(self) -> None:
        self._generated_record = self.flow.review_record(bypass_rate=self._bypass_rate)
        self.record.setPlainText(self._generated_record)

    def enter(self) -> None:
        report = self._report() if self._report is not None else None
        bypass_rate = self._bypass_source() if self._bypass_source is not None else ""
        drill = self.flow.drill
        self.heading.setText(
            "Drill complete. Read the timings, note the bottlenecks, fix the runbook."
            if drill
            else "The credential is wiped. Now close the loop: every item is mandatory."
        )
        self.report_label.setVisible(report is not None)
        self.report.setVisible(report is not None)
        if report is not None:
            self.report.setPlainText(report.text())
        self._bypass_rate = bypass_rate
        self._fill_record()


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
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reconstructWizard")
        self.flow = flow
        self.timer = StepTimer(flow.wizard, flow.clock) if flow.drill_default else None
        self.clipboard = clipboard
        self._save_review = save_review
        self._confirm_close = confirm_close
        self.final_report: DrillReport | None = None
        title = "Run a drill" if flow.drill_default else "Break glass"
        self.setWindowTitle(f"{title} — Breakglass")
        self.banner.setVisible(True)

        self.trigger_page = TriggerPage(flow, self)
        self.collect_page = CollectPage(flow, cameras=cameras, decoder=decoder, parent=self)
        self.reconstruct_page = ReconstructPage(flow, self)
        self.reveal_page = RevealPage(flow, clipboard, self)
        self.after_page = AfterPage(
            flow,
            report=lambda: drill_report(self.flow, self.timer) if self.timer else None,
            bypass_rate=bypass_rate,
            parent=self,
        )
        self.cancel_button.setText("Cancel and wipe")
        self.cancel_button.setAccessibleName("Cancel and wipe")
        QShortcut(QKeySequence("Ctrl+Return"), self, self.go_next)
        self.trigger_page.changed.connect(self.refresh_buttons)
        self.collect_page.offered.connect(self.refresh_buttons)
        self.reconstruct_page.done.connect(self._reconstructed)
        self.after_page.changed.connect(self.refresh_buttons)
        self.after_page.resplit.clicked.connect(self._resplit)
        self.after_page.save_record.clicked.connect(self._save_record)
        self.ceremony_over.connect(self.closed_with.emit)
        flow.wipe_listeners.append(self._on_wipe)
        self.attach(
            flow.wizard,
            STEP_ORDER,
            [
                self.trigger_page,
                self.collect_page,
                self.reconstruct_page,
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
            self.banner.setText("DRILL — a rehearsal on a drill set; recorded as a drill")
            self.banner.setStyleSheet("background: #0d47a1; color: white;")
        else:
            self.banner.setText("BREAK GLASS — real use: recorded, loud, rotate afterwards")
            self.banner.setStyleSheet("background: #b00020; color: white;")
        current = self.flow.wizard.current
        if current != "trigger" and self.flow.authorisation is not None:
            self.banner.setText(self.banner.text() + "\n" + self.flow.sentence())

    def next_label(self, step_id: str, last: bool) -> str:
        return {
            "trigger": "&Next: collect shares",
            "collect": "&Reconstruct",
            "reconstruct": "&Next",
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
        if wizard.running:
            current = wizard.current
            shown = [p for p in wizard.problems() if current not in ("trigger", "reconstruct")]
            self.problems.setText("\n".join(shown))

    def finish_ceremony(self) -> list[str] | None:
        self.flow.wizard.finish()
        if self.timer is not None:
            self.final_report = drill_report(self.flow, self.timer)
            record_drill(self.flow.recorder, self.final_report)
            self.after_page.report.setPlainText(self.final_report.text())
        o = self.flow.outcome
        what = "Drill complete" if self.flow.drill else "Break glass complete"
        lines = [
            f"{what}: {o.label or 'the credential'} (set {o.fingerprint or '—'}) was "
            "reconstructed, and the credential is wiped from this computer.",
            "Everything is recorded in the audit log. Close this window.",
        ]
        if self.final_report is not None:
            lines.append(self.final_report.text())
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
        if how == "close":
            self.flow.close()  # records "window closed at the … step"
        else:
            self.flow.wizard.cancel()

    def release(self) -> None:
        self.flow.close()
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
        text = self.after_page.record.toPlainText()
        if self._save_review is not None:
            where = self._save_review(text)
        else:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the review record", "review-record.txt", "Text (*.txt)"
            )
            if not path:
                return
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            where = path
        self.problems.setText(f"Review record saved: {where}")

    # -- wipe ------------------------------------------------------------------------------------
    def _on_wipe(self, reason: str) -> None:
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
    flow = ReconstructFlow(recorder, clock=clock, drill=drill, retired=retired)
    # probed by the camera panel when the collect page opens, off the GUI thread
    cameras: Callable[[], Sequence[CameraLike]] | Sequence[CameraLike] = services.cameras or ()
    clipboard = SecretClipboard(clock, parent=window)
    rows = services.rows

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
        parent=window,
    )
    if make is None:
        wizard.problems.setText(
            "Warning: the audit log is not connected in this session; events stay in memory."
        )

    def resplit(fingerprint: str) -> None:
        # the split wizard, replacing this set (it retires the old set at Finish)
        match = [r for r in rows() if r.fingerprint == fingerprint]
        window.open_split_wizard(match[0] if match else None)

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
