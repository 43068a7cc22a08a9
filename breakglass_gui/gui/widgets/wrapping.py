"""Widgets that fit a narrow window instead of making it scroll sideways.

* :class:`WrapCheckBox`, :class:`WrapRadioButton`: Qt's check boxes and radio buttons never
  wrap their text, so one long label ("Re-split the new credential (opens the split ceremony
  replacing this set)") sets the minimum width of the whole page. These wrap it at word
  boundaries and grow in height instead; text, mnemonic, accessible name and clicks on the
  text are unchanged.
* :class:`SideBySide`: two parts side by side when the window is wide enough for both, one
  above the other when it is not (a camera beside the list of accepted shares).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QRadioButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QWidget,
)

__all__ = ["SideBySide", "WrapCheckBox", "WrapRadioButton"]

_FLAGS = (
    Qt.AlignmentFlag.AlignLeft
    | Qt.AlignmentFlag.AlignVCenter
    | Qt.TextFlag.TextWordWrap
    | Qt.TextFlag.TextShowMnemonic
)
# narrowest a wrapped label gets: about twenty characters a line
_MIN_CHARS = 20


def _plain_hint(button: QCheckBox | QRadioButton) -> QSize:
    """The size hint of the unwrapped button (its text on one line)."""
    if isinstance(button, QRadioButton):
        return QRadioButton.sizeHint(button)
    return QCheckBox.sizeHint(button)


def _text_size(button: QCheckBox | QRadioButton, contents: QStyle.SubElement, width: int) -> int:
    """The height ``button`` needs at ``width``: its text wrapped beside the indicator."""
    opt = QStyleOptionButton()
    button.initStyleOption(opt)
    opt.rect = QRect(0, 0, width, 1000)
    text_width = max(1, button.style().subElementRect(contents, opt, button).width())
    bound = button.fontMetrics().boundingRect(
        QRect(0, 0, text_width, 100000), int(_FLAGS.value), button.text()
    )
    single: int = _plain_hint(button).height()
    return max(single, bound.height() + 4)


def _indent(button: QCheckBox | QRadioButton, contents: QStyle.SubElement) -> int:
    opt = QStyleOptionButton()
    button.initStyleOption(opt)
    opt.rect = QRect(0, 0, 1000, 100)
    return button.style().subElementRect(contents, opt, button).left()


def _min_size(button: QCheckBox | QRadioButton, contents: QStyle.SubElement) -> QSize:
    full = _plain_hint(button)
    width = _indent(button, contents) + button.fontMetrics().horizontalAdvance("x" * _MIN_CHARS)
    width = min(full.width(), width)
    return QSize(width, _text_size(button, contents, width))


def _paint(
    button: QCheckBox | QRadioButton,
    control: QStyle.ControlElement,
    contents: QStyle.SubElement,
) -> None:
    painter = QStylePainter(button)
    opt = QStyleOptionButton()
    button.initStyleOption(opt)
    text = opt.text
    opt.text = ""  # the indicator (and the focus frame) without the one-line text
    painter.drawControl(control, opt)
    rect = button.style().subElementRect(contents, opt, button)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.drawItemText(
        rect,
        int(_FLAGS.value),
        opt.palette,
        button.isEnabled(),
        text,
        QPalette.ColorRole.WindowText,
    )


def _wrapping_policy(button: QWidget) -> None:
    policy = button.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    button.setSizePolicy(policy)


class _Wrapping:
    """What both wrapping buttons override; mixed in before their Qt class (``self`` is a
    ``QCheckBox`` or ``QRadioButton``)."""

    _contents: QStyle.SubElement
    _control: QStyle.ControlElement

    def _button(self) -> QCheckBox | QRadioButton:
        assert isinstance(self, QCheckBox | QRadioButton)
        return self

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return _text_size(self._button(), self._contents, width)

    def minimumSizeHint(self) -> QSize:
        return _min_size(self._button(), self._contents)

    def hitButton(self, pos: QPoint) -> bool:
        return self._button().rect().contains(pos)  # the text too, on every line

    def paintEvent(self, event: QPaintEvent) -> None:
        _paint(self._button(), self._control, self._contents)


class WrapCheckBox(_Wrapping, QCheckBox):
    """A check box whose text wraps (see the module doc)."""

    _contents = QStyle.SubElement.SE_CheckBoxContents
    _control = QStyle.ControlElement.CE_CheckBox

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        QCheckBox.__init__(self, text, parent)
        _wrapping_policy(self)


class WrapRadioButton(_Wrapping, QRadioButton):
    """A radio button whose text wraps (see the module doc)."""

    _contents = QStyle.SubElement.SE_RadioButtonContents
    _control = QStyle.ControlElement.CE_RadioButton

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        QRadioButton.__init__(self, text, parent)
        _wrapping_policy(self)


class SideBySide(QWidget):
    """``first`` and ``second`` side by side (stretched ``stretch``) when both fit at their
    minimum widths, else ``first`` above ``second``. Its minimum width is the wider part's, so a
    narrow window stacks them instead of scrolling sideways."""

    def __init__(
        self,
        first: QWidget,
        second: QWidget,
        stretch: tuple[int, int] = (1, 1),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(first, stretch[0])
        self.box.addWidget(second, stretch[1])
        self.parts = (first, second)

    def _widths(self) -> list[int]:
        return [max(p.minimumSizeHint().width(), p.minimumWidth()) for p in self.parts]

    def needs_side_by_side(self) -> int:
        """The width below which the parts go one above the other."""
        return sum(self._widths()) + max(0, self.box.spacing())

    def side_by_side(self) -> bool:
        return self.box.direction() == QBoxLayout.Direction.LeftToRight

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(self._widths()), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        want = (
            QBoxLayout.Direction.LeftToRight
            if event.size().width() >= self.needs_side_by_side()
            else QBoxLayout.Direction.TopToBottom
        )
        if self.box.direction() != want:
            self.box.setDirection(want)
            self.updateGeometry()
        super().resizeEvent(event)
