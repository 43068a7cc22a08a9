"""One Qt frame for every ceremony wizard (split, break glass, drill).

The step graph lives in ``ceremony.wizard.Wizard`` (UI-free). This frame shows it: a step
list, the current page (in a scroll area, so the window fits small screens), a line for what
blocks the next step, and one row of buttons — Cancel, Back, Next (Finish on the last step)
and Close (once the ceremony is over). Pages are bound by step id and follow one contract:

* ``enter()`` — the step became current: fill from the ceremony;
* ``commit()`` — push what was typed into the ceremony; return problems in plain words;
* ``leave()`` — the step stops being current: clear what is sensitive, stop cameras;
* ``refresh()`` — something changed (a worker returned, a share arrived);
* ``has_input()`` — whether something was entered that Cancel would lose;
* ``busy`` — a worker runs for this page: navigation waits.

Subclasses (``SplitWizard``, ``ReconstructWizard``) provide the ceremony's hooks:
:meth:`finish_ceremony`, :meth:`cancel_ceremony`, :meth:`entered_anything`,
:meth:`next_label`, :meth:`can_advance`, and the wording of the stop question.
Cancel, Escape and the window's X all go through the same question once anything was entered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.wizard import Wizard, WizardError, WizardStatus

from .geometry import fit_and_centre
from .workers import run_task

__all__ = ["CurrentPageStack", "EndPage", "WizardFrame", "WizardPage", "fit_and_centre"]

Confirm = Callable[[str, str], bool]


class WizardPage(QWidget):
    """One page, bound to the step ``step_id`` of the frame's wizard (see module doc)."""

    step_id = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: WizardFrame | None = None
        self.busy = False
        if self.step_id:
            self.setObjectName(f"{self.step_id}Page")

    def enter(self) -> None:
        return None

    def commit(self) -> list[str]:
        return []

    def leave(self) -> None:
        return None

    def refresh(self) -> None:
        return None

    def has_input(self) -> bool:
        return False

    # -- helpers ----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self.frame is not None:
            self.frame.refresh_buttons()

    def run(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``fn`` on a worker; the page is busy (navigation waits) until it returns."""
        self.set_busy(True)

        def ok(result: Any) -> None:
            self.set_busy(False)
            done(result)

        def bad(message: str) -> None:
            self.set_busy(False)
            (failed or self.show_error)(message)

        run_task(fn, ok, bad, context=self)

    def show_error(self, message: str) -> None:
        if self.frame is not None:
            self.frame.problems.setText(message)


class CurrentPageStack(QStackedWidget):
    """A stack of pages sized by the page shown, not by the tallest one.

    ``QStackedWidget`` asks every page for its height at a width; in a scroll area that made
    each page as tall as the tallest (the verify page, camera above list), so a short page
    scrolled, its table pushed out of view.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def _shown(self) -> QWidget | None:
        return self.currentWidget()

    def sizeHint(self) -> QSize:
        page = self._shown()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self._shown()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        page = self._shown()
        return page.hasHeightForWidth() if page is not None else super().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        page = self._shown()
        if page is not None and page.hasHeightForWidth():
            return page.heightForWidth(width)
        return super().heightForWidth(width)


class EndPage(QWidget):
    """The last page: what happened, in words; the frame shows Close beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("endPage")
        layout = QVBoxLayout(self)
        self.text = QLabel("")
        self.text.setObjectName("summaryText")
        self.text.setAccessibleName("What happened")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.text.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        self.text.setFont(f)
        layout.addWidget(self.text)
        self.extra = QVBoxLayout()  # a wizard may add a view here (e.g. the drill report)
        layout.addLayout(self.extra)
        layout.addStretch(1)

    def show_summary(self, lines: Sequence[str]) -> None:
        self.text.setText("\n\n".join(lines))


class WizardFrame(QDialog):
    """The frame; call :meth:`attach` once the ceremony (and its ``Wizard``) exists."""

    step_changed = Signal(str)
    ceremony_over = Signal(str)  # "finished" | "cancelled"

    stop_title = "Stop this ceremony?"
    stop_text = "Stop the ceremony? Everything entered is wiped and the abort is recorded."
    end_title = "Finished"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wizard: Wizard | None = None
        self.order: list[str] = []
        self.pages: dict[str, WizardPage] = {}
        self.confirm: Confirm = self._ask
        self._shown: str | None = None
        self._over_emitted = False

        self.banner = QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setMargin(8)
        bf = self.banner.font()
        bf.setPointSizeF(bf.pointSizeF() * 1.2)
        bf.setBold(True)
        self.banner.setFont(bf)
        self.banner.setVisible(False)

        self.steps = QListWidget(self)
        self.steps.setObjectName("stepList")
        self.steps.setAccessibleName("Ceremony steps")
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setWordWrap(True)
        self.steps.setFrameShape(QFrame.Shape.NoFrame)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        tf = QFont(self.title.font())
        tf.setPointSizeF(tf.pointSizeF() * 1.5)
        tf.setBold(True)
        self.title.setFont(tf)
        self.title.setWordWrap(True)

        self.stack = CurrentPageStack(self)
        self.page_scroll = QScrollArea(self)
        self.page_scroll.setObjectName("pageScroll")
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setWidget(self.stack)
        self.page_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.end_page = EndPage(self)
        self.stack.addWidget(self.end_page)

        self.problems = QLabel("")
        self.problems.setObjectName("problemsLabel")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #a00000;")
        self.problems.setAccessibleName("What blocks the next step")

        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setShortcut(QKeySequence("Ctrl+W"))
        self.back_button = QPushButton("< &Back")
        self.back_button.setObjectName("backButton")
        self.next_button = QPushButton("&Next >")
        self.next_button.setObjectName("nextButton")
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("closeButton")
        for b in (self.cancel_button, self.back_button, self.next_button, self.close_button):
            b.setAutoDefault(False)
            b.setAccessibleName(b.text().replace("&", "").strip("<> "))
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.page_scroll, 1)
        right.addWidget(self.problems)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        body = QHBoxLayout()
        body.addWidget(self.steps)
        body.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(self.banner)
        outer.addLayout(body, 1)

    # -- set-up ---------------------------------------------------------------------------------
    @property
    def finish_button(self) -> QPushButton:
        """On the last step the Next button is the Finish button."""
        return self.next_button

    def attach(self, wizard: Wizard, order: Sequence[str], pages: Sequence[WizardPage]) -> None:
        """Bind ``pages`` (by their ``step_id``) to ``wizard``'s steps, listed in ``order``."""
        self.wizard = wizard
        self.order = list(order)
        for page in pages:
            if page.step_id not in wizard.steps:
                raise WizardError(f"page for unknown step {page.step_id!r}")
            page.frame = self
            page.setParent(self.stack)
            self.pages[page.step_id] = page
            self.stack.addWidget(page)
        missing = [s for s in self.order if s not in self.pages]
        if missing:
            raise WizardError(f"no page for step(s): {', '.join(missing)}")
        widest = 0
        metrics = self.steps.fontMetrics()
        for i, sid in enumerate(self.order):
            text = f"{i + 1}. {wizard.steps[sid].title}"
            self.steps.addItem(text)
            self.steps.item(self.steps.count() - 1).setData(Qt.ItemDataRole.UserRole, sid)
            widest = max(widest, metrics.horizontalAdvance(text))
        self.steps.addItem(f"{len(self.order) + 1}. {self.end_title}")
        self.steps.item(self.steps.count() - 1).setData(Qt.ItemDataRole.UserRole, "")
        self.steps.setFixedWidth(min(max(widest + 28, 120), 230))
        self._buttons_last_in_tab_order()
        wizard.subscribe(lambda _w: self.show_current())
        self.show_current()

    def _buttons_last_in_tab_order(self) -> None:
        """Tab goes through the page in reading order, then Next, Back, Cancel: the last
        field never hands Tab (and so Return) to Cancel."""
        buttons = (self.next_button, self.back_button, self.cancel_button, self.close_button)
        chain: list[QWidget] = []
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self and widget not in chain:
            chain.append(widget)
            widget = widget.nextInFocusChain()
        others = [w for w in chain if w not in buttons]
        previous = others[-1] if others else self
        for button in buttons:
            QWidget.setTabOrder(previous, button)
            previous = button

    @property
    def running(self) -> bool:
        return self.wizard is not None and self.wizard.status is WizardStatus.RUNNING

    @property
    def current_page(self) -> WizardPage:
        assert self.wizard is not None
        return self.pages[self.wizard.current]

    # -- hooks (subclasses) --------------------------------------------------------------------
    def next_label(self, step_id: str, last: bool) -> str:
        return "&Finish" if last else "&Next >"

    def can_advance(self, step_id: str, last: bool) -> bool:
        """Whether Next/Finish is enabled (when not, a message says why)."""
        assert self.wizard is not None
        return self.wizard.can_go_next() if last else True

    def finish_ceremony(self) -> list[str] | None:
        """Finish the ceremony; the lines for the end page, or None (problems already shown)."""
        assert self.wizard is not None
        self.wizard.finish()
        return ["The ceremony is finished."]

    def cancel_ceremony(self, how: str) -> None:
        """Wipe and record the abort (``how``: "cancel" button/Escape, or "close" window)."""
        assert self.wizard is not None
        self.wizard.cancel()

    def entered_anything(self) -> bool:
        return any(p.has_input() for p in self.pages.values())

    def release(self) -> None:
        """The window closes (after finish or cancel): let go of cameras, clipboards."""
        return None

    def ask_stop(self) -> bool:
        return self.confirm(self.stop_title, self.stop_text)

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # -- showing ------------------------------------------------------------------------------
    def show_current(self) -> None:
        """Show the page of the current step (called after every move of the wizard)."""
        wizard = self.wizard
        if wizard is None:
            return
        if not self.running:
            if self._shown is not None:
                self.pages[self._shown].leave()
                self._shown = None
            self.refresh_buttons()
            return
        current = wizard.current
        if self._shown is not None and self._shown != current:
            self.pages[self._shown].leave()
        self._shown = current
        page = self.pages[current]
        self.stack.setCurrentWidget(page)
        self.title.setText(wizard.steps[current].title)
        self._mark_step(self.order.index(current) if current in self.order else -1)
        self.problems.setText("")
        page.enter()
        self.refresh_buttons()
        if self.isVisible():
            page.setFocus()
        self.step_changed.emit(current)

    def refresh_steps(self) -> None:
        """Re-read which steps the side panel lists (the path may be known better now)."""
        wizard = self.wizard
        if wizard is None or not wizard.running:
            return
        current = wizard.current
        self._mark_step(self.order.index(current) if current in self.order else -1)

    def step_applies(self, step_id: str) -> bool:
        """Whether the side panel lists ``step_id``: a step the flow's path skips (known so
        far) is left out. Every step by default."""
        return True

    def _mark_step(self, row: int) -> None:
        shown = 0
        place = 0
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            sid = item.data(Qt.ItemDataRole.UserRole)
            listed = i == row or not sid or self.step_applies(str(sid))
            item.setHidden(not listed)
            if listed:
                shown += 1
                title = self.wizard.steps[sid].title if sid and self.wizard else self.end_title
                item.setText(f"{shown}. {title}")
                if i == row:
                    place = shown
            f = item.font()
            f.setBold(i == row)
            item.setFont(f)
        if row >= 0:
            self.steps.setCurrentRow(row)
        self.steps.setAccessibleDescription(f"Step {place} of {shown}" if row >= 0 else "")

    def refresh_buttons(self) -> None:
        """Re-read the wizard and the page: which buttons show, which are enabled, labels."""
        wizard = self.wizard
        running = self.running
        ended = wizard is not None and not running
        busy = running and self.current_page.busy
        last = running and wizard is not None and wizard.is_last()
        self.back_button.setVisible(not ended)
        self.next_button.setVisible(not ended)
        self.cancel_button.setVisible(not ended)
        self.close_button.setVisible(ended)
        if not running or wizard is None:
            self.back_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        step = wizard.current
        label = self.next_label(step, last)
        self.next_button.setText(label)
        self.next_button.setAccessibleName(label.replace("&", "").strip("<> "))
        self.back_button.setEnabled(wizard.can_go_back() and not busy)
        # a disabled Back says why (hover, screen readers)
        self.back_button.setToolTip(
            ""
            if self.back_button.isEnabled()
            else "This is the first step."
            if not wizard.history
            else "A worker is running: wait for it."
            if busy
            else "No going back from here: this step cannot be undone."
        )
        self.next_button.setEnabled(not busy and self.can_advance(step, last))
        self.cancel_button.setEnabled(True)
        self.current_page.refresh()

    def show_end(self, lines: Sequence[str], title: str | None = None) -> None:
        """The last page: what happened, and Close."""
        self.end_page.show_summary(lines)
        self.stack.setCurrentWidget(self.end_page)
        self.title.setText(title or self.end_title)
        self._mark_step(self.steps.count() - 1)
        self.problems.setText("")
        self.refresh_buttons()
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    # -- moves ----------------------------------------------------------------------------------
    def go_next(self) -> bool:
        wizard = self.wizard
        if wizard is None or not self.running or self.current_page.busy:
            return False
        if wizard.is_last():
            return self.do_finish()
        page = self.current_page
        problems = page.commit() or wizard.problems()
        if problems:
            self.problems.setText("\n".join(problems))
            return False
        try:
            wizard.next()
        except WizardError as exc:
            self.problems.setText(str(exc))
            return False
        return True

    def go_back(self) -> bool:
        wizard = self.wizard
        if wizard is None or not wizard.can_go_back() or self.current_page.busy:
            return False
        self.current_page.commit()
        try:
            wizard.back()
        except WizardError as exc:
            self.problems.setText(str(exc))
            return False
        return True

    def do_finish(self) -> bool:
        wizard = self.wizard
        if wizard is None or not self.running:
            return False
        page = self.current_page
        problems = page.commit() or wizard.problems()
        if problems:
            self.problems.setText("\n".join(problems))
            return False
        try:
            lines = self.finish_ceremony()
        except WizardError as exc:
            self.problems.setText(str(exc))
            return False
        if lines is None:
            return False
        self.show_end(lines)
        self._emit_over("finished")
        return True

    def _emit_over(self, how: str) -> None:
        if not self._over_emitted:
            self._over_emitted = True
            self.ceremony_over.emit(how)

    # -- cancel and close -----------------------------------------------------------------------
    def cancel(self) -> bool:
        """Cancel (button, Escape): the same question as closing the window, then close."""
        if self.running:
            if self.entered_anything() and not self.ask_stop():
                return False
            self._stop("cancel")
        self.close()
        return True

    def _stop(self, how: str) -> None:
        try:
            self.cancel_ceremony(how)
        except OSError as exc:
            QMessageBox.warning(
                self,
                "Could not record the abort",
                f"Everything is wiped, but the abort could not be recorded: {exc}.",
            )
        self._emit_over("cancelled")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            if self.entered_anything() and not self.ask_stop():
                event.ignore()
                return
            self._stop("close")
        self.release()
        event.accept()
        super().closeEvent(event)
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        # Escape: the same question as Cancel and the window's X.
        self.cancel()
