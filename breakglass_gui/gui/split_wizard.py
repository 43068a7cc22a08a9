"""The split ceremony wizard: pages (``gui/split_pages``) bound to the steps of
``ceremony.split_flow`` inside the shared :class:`~.wizard_frame.WizardFrame`.

The dialog owns one :class:`SplitCeremony`; each page reads from it on ``enter()``, pushes its
input into it on ``commit()``, and clears anything sensitive on ``leave()``. Navigation
asks the step graph (problems block, warnings show). Long work (making the shares, the
PDFs, decoding photos) runs on pool workers; only this thread touches widgets.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox, QToolButton, QWidget

from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import SetRecord
from breakglass_gui.ceremony.split_flow import STEP_TITLES, SplitCeremony, SplitPorts
from breakglass_gui.ceremony.wizard import WizardError, WizardStatus
from breakglass_gui.core.errors import BreakglassError

from .announcement import AnnouncementBox
from .main_window import Services
from .split_pages import PAGE_CLASSES, SplitPage
from .split_pages.record_end import RecordPanel
from .wizard_frame import EndPage, WizardFrame, fit_and_centre

__all__ = ["SplitWizard"]


class SplitWizard(WizardFrame):
    """New split ceremony (or rotation of ``replaces``)."""

    stop_title = "Stop this ceremony?"
    stop_text = (
        "Stop the split ceremony? Everything entered is wiped, and the audit log "
        "records an aborted ceremony. Sheets already printed must be destroyed."
    )

    def __init__(
        self,
        services: Services,
        *,
        replaces: SetRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("splitWizard")
        self.setWindowTitle(
            "Rotate: new split ceremony" if replaces else "New split ceremony — Breakglass"
        )
        self.setWindowModality(Qt.WindowModality.WindowModal)
        record = None
        if replaces is not None:
            record = SetRecord(
                replaces.fingerprint,
                replaces.label,
                replaces.policy,
                replaces.created,
                metadata=_carried_over(services, replaces),
            )
        ports = SplitPorts(
            services.new_split_recorder(), services.renderer, services.clock, services.operator
        )
        self.ceremony = SplitCeremony(ports, replaces=record, on_change=self.refresh_buttons)
        pages: list[SplitPage] = [cls(self) for cls in PAGE_CLASSES]
        self.attach(self.ceremony.wizard, list(STEP_TITLES), pages)
        # the last page: the split's announcement for the incident channel (text + QR), the
        # same one the CLI prints; "Posted" / "Not posted" is logged either way
        self.announce = AnnouncementBox(self.end_page)
        self.announce.answered.connect(self._announced)
        self.end_page.extra.addWidget(self.announce)
        # then the ceremony record, made now: it carries the anchor the announcement gives
        self.record = RecordPanel(self, self.end_page)
        self.end_page.extra.addWidget(self.record)
        # the rest of the summary (anchor, saved files, next steps), folded: the page fits
        # 800x600 with "Posted" in view
        self.details_button = QToolButton(self.end_page)
        self.details_button.setObjectName("detailsButton")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._show_details)
        self.details = QLabel("", self.end_page)
        self.details.setObjectName("summaryDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setVisible(False)
        self.details_button.setVisible(False)
        self.record.row.addWidget(self.details_button)
        self.end_page.extra.addWidget(self.details)
        fit_and_centre(self, parent, 980, 680)

        if record is not None:
            self.banner.setText(self.ceremony.replaces_banner)
            self.banner.setStyleSheet("background: #fff4d6; color: #5a3b00;")
            self.banner.setAccessibleName("This ceremony replaces a set")
            self.banner.setVisible(True)

    @property
    def summary_page(self) -> EndPage:
        return self.end_page

    # -- the frame's hooks ----------------------------------------------------------------------
    def finish_ceremony(self) -> list[str] | None:
        try:
            summary = self.ceremony.finish()
        except OSError as exc:  # a full disk or a read-only home: say so, keep the ceremony
            self.problems.setText(
                f"Could not write the registry or the audit log: {exc.strerror or exc}. "
                "Free some space (or fix the folder's permissions) and press Finish again."
            )
            return None
        except WizardError as exc:
            self.problems.setText(str(exc))
            return None
        announcement = self.ceremony.announcement()
        self.announce.show_announcement(announcement)
        if announcement is not None:
            # compact: the text and its code side by side, the intro in two short lines
            self.announce.intro.setText(
                "Post this to the incident channel now (Copy text, or photograph the code). "
                "Its audit anchor lets anyone check later that the log was not rewritten."
            )
            self.announce.text.setMaximumHeight(
                max(self.announce.qr.minimumHeight(), self.announce.text.minimumHeight())
            )
        self.record.show_for_ceremony()
        head, rest = summary[:3], summary[3:]
        self.details.setText("\n\n".join(rest))
        self.details_button.setVisible(bool(rest))
        self.details_button.setChecked(False)
        self._show_details(False)
        return [" ".join(head)]

    def show_end(self, lines: Sequence[str], title: str | None = None) -> None:
        """The last page. While the announcement waits for its answer, nothing closes the
        window on Return: the focus is on "Copy text" (harmless), Close is not the default."""
        super().show_end(lines, title)
        # a rotation's banner ("filled in: check each one") is about the steps, now behind;
        # the announcement names the set retired
        self.banner.setVisible(False)
        font = self.end_page.text.font()
        font.setPointSizeF(self.details.font().pointSizeF())
        self.end_page.text.setFont(font)
        if self.announce.isVisible() and self.announce.answer is None:
            self.close_button.setDefault(False)
            self.announce.copy_button.setFocus()
        order = [
            self.announce.copy_button,
            self.announce.not_posted,
            self.announce.posted,
            self.record.print_button,
            self.record.save_button,
            self.details_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details_button.setText("Hide the details" if shown else "Details and next steps")

    def closeEvent(self, event: QCloseEvent) -> None:
        """After Finish, closing before the ceremony record was printed or saved asks first:
        this window is where it is made (with the anchor); Yes closes all the same."""
        item = self.ceremony.record_item
        finished = self.ceremony.wizard.status is WizardStatus.FINISHED
        owed = finished and item is not None and not item.done and not self.record.busy
        if owed and not self.confirm(
            "Close without the ceremony record?",
            "The ceremony record (custodians, verification words, signature lines and this "
            "split's audit anchor) was not printed or saved. This app cannot make it again "
            "after this window closes (the command line's `breakglass record` needs the "
            "set.json that only `breakglass split` writes).\n\nClose anyway?",
        ):
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Closed (Close, the window's X, Escape) with the announcement unanswered: that is
        logged too, as not confirmed posted."""
        if self.announce.announcement is not None and self.announce.answer is None:
            self.announce.answer = False
            try:
                self.ceremony.announcement_posted(
                    False, "window closed without saying whether it was posted"
                )
            except (BreakglassError, OSError) as exc:  # closing never traps its user
                QMessageBox.warning(
                    self, "Breakglass", f"Could not log that the announcement was unanswered: {exc}"
                )
        super().done(result)

    def _announced(self, posted: bool) -> None:
        """The host's answer to "was it posted?", logged either way (through the ceremony)."""
        how = "confirmed posted in the app" if posted else "operator said it was not posted"
        try:
            self.ceremony.announcement_posted(posted, how)
        except (BreakglassError, OSError) as exc:
            self.announce.status.setText(f"Could not log the answer: {exc}")
            return
        self.close_button.setDefault(True)  # answered: Return may close now

    def entered_anything(self) -> bool:
        state = self.ceremony.state
        return bool(
            state.secret_names()
            or state.get("name")
            or self.ceremony.share_set is not None
            or super().entered_anything()
        )

    def cancel_ceremony(self, how: str) -> None:
        """Wipe and record the abort (no question asked)."""
        for p in self.pages.values():
            p.leave()
        self.ceremony.cancel()

    def choose(self, question: str, options: list[str]) -> str | None:
        """Ask for one of ``options`` (tests replace this)."""
        value, ok = QInputDialog.getItem(self, "Breakglass", question, options, 0, False)
        return value if ok else None


def _carried_over(services: Services, row: SetRow) -> dict[str, object]:
    """What the registry remembers of the replaced set, for the rotation to start from."""
    meta: dict[str, object] = {"policy": row.policy}
    trail = services.trail
    if trail is None:
        return meta
    rec = trail.registry.get_set(row.fingerprint)
    if rec is not None:
        meta["policy"] = rec.policy_short
    meta["custodians"] = [
        {"name": c.name, "role": c.role, "contact": c.contact, "location": c.location}
        for c in sorted(trail.registry.custodians(row.fingerprint), key=lambda c: c.number)
    ]
    return meta
