"""What every page of the split wizard shares: the wizard, its ceremony, small helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QWidget

from breakglass_gui.ceremony.split_flow import SplitCeremony

from ..wizard_frame import WizardPage

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["SplitPage", "mono", "named", "note"]


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


class SplitPage(WizardPage):
    """A page of the split wizard (the frame's page contract; see ``wizard_frame``)."""

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        self.wizard = wizard

    @property
    def ceremony(self) -> SplitCeremony:
        return self.wizard.ceremony
