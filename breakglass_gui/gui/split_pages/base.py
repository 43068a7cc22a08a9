"""What every page of the split wizard shares: the wizard, its ceremony, small helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QWidget

from breakglass_gui.ceremony.split_flow import SplitCeremony

from ..wizard_frame import WizardPage

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["SplitPage", "mono", "named", "note", "pick_printer"]


def mono() -> QFont:
    return QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))


def note(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def named(widget: QWidget, name: str, accessible: str) -> QWidget:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def pick_printer(
    wizard: SplitWizard,
    *,
    print_dialog: Callable[[], object],
    no_printer: Callable[[], object],
) -> tuple[str, Callable[[str, bytes], None]] | None:
    """The printing path every split page takes: the system print dialog when printing goes
    through Qt (``print_dialog`` runs it), else the configured spooler, on its printer (asked
    which when there are several): (printer, spool). None when the dialog took over, there is
    nothing to print on (``no_printer`` says so) or the choice was cancelled."""
    services = wizard.services
    printers = services.printers() if services.printers else []
    spool = services.print_pdf
    if spool is None and printers:
        print_dialog()  # the system print dialog: printer, copies, paper size
        return None
    if not printers or spool is None:
        no_printer()
        return None
    printer = printers[0]
    if len(printers) > 1:
        printer = wizard.choose("Print on which printer?", printers) or ""
    return (printer, spool) if printer else None


class SplitPage(WizardPage):
    """A page of the split wizard (the frame's page contract; see ``wizard_frame``)."""

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.wizard = wizard

    @property
    def ceremony(self) -> SplitCeremony:
        return self.wizard.ceremony
