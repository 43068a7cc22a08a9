"""The camera box both share-collecting screens use: camera picture and chooser, plus the two
alternatives to the camera, "Load image…" and "Type share…" (the hand transcription)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.typed_share import TypedShare, read_typed, word_typed_at

from .bounded_text import BoundedPlainTextEdit

TYPED_SHARE_HINT = (
    "Type the share as printed under 'HAND TRANSCRIPTION' on the sheet: the 33 words (with or "
    "without their numbers; 4 letters are enough), then the numbered data lines with their 2 "
    "check characters, in any layout. Each line is checked as you type."
)


# The longest transcription (a 16 KiB credential) is about 65,000 characters in lines of at most
# 81; a paste far beyond that, or with a line no layout of a share has, is not a typed share,
# and Qt would freeze laying out one long line (see bounded_text).
TYPED_PASTE_LIMIT = 96 * 1024
TYPED_LINE_LIMIT = 4 * 1024


class ShareTextEdit(BoundedPlainTextEdit):
    """The typed-share field: large monospace text, checked as you type.

    Each word is completed from the SLIP-39 list once its first 4 letters are typed and a space
    follows; each data line is checked by its check characters once the cursor leaves it; what
    is wrong is underlined in place and named below (``status``). Nothing typed is ever
    cleared by a refusal: only :meth:`wipe` (after a share was accepted, or on wipe) clears.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            limit=TYPED_PASTE_LIMIT,
            line_limit=TYPED_LINE_LIMIT,
            on_too_large=self._too_large,
        )
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10.0) * 1.2)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * 12)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 44)
        self.status = QLabel(parent)
        self.status.setObjectName("typedShareStatus")
        self.status.setAccessibleName("What the typed share still needs")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report: TypedShare = read_typed("")
        self._completing = False
        self.textChanged.connect(self._changed)
        self.cursorPositionChanged.connect(self._check)

    def _too_large(self, length: int) -> None:
        self.status.setText(
            f"Not pasted: {length:,} characters is not a typed share (a share's lines are under "
            f"100 characters, {TYPED_PASTE_LIMIT:,} in all at most). Nothing of it was kept; "
            "type or paste the share itself."
        )

    def _changed(self) -> None:
        if not self._completing:
            self._complete_word()
        self._check()

    def _complete_word(self) -> None:
        """After "acad" and a space: "academic " (the word the 4 letters stand for)."""
        cursor = self.textCursor()
        pos = cursor.position()
        text = self.toPlainText()
        if pos < 2 or pos > len(text) or not text[pos - 1].isspace():
            return
        start = pos - 1
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        token = text[start : pos - 1]
        word = word_typed_at(text, start, pos - 1)  # not a data line's group of 4 letters
        if word is None or word == token.lower():
            return
        if token.isupper() and len(token) > 1:
            word = word.upper()
        edit = QTextCursor(self.document())
        edit.setPosition(start)
        edit.setPosition(pos - 1, QTextCursor.MoveMode.KeepAnchor)
        self._completing = True
        try:
            edit.insertText(word)
        finally:
            self._completing = False
        del text, token

    def _check(self) -> None:
        text = self.toPlainText()
        self.report = read_typed(text, cursor=self.textCursor().position())
        marks = []
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor(176, 0, 32))
        fmt.setBackground(QColor(255, 228, 228))
        block_of = self.document().findBlockByNumber
        for issue in self.report.issues:
            block = block_of(issue.row)
            if not block.isValid():
                continue
            sel = QTextEdit.ExtraSelection()
            cur = QTextCursor(block)
            cur.setPosition(block.position() + issue.start)
            cur.setPosition(block.position() + issue.end, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            sel.format = fmt
            marks.append(sel)
        self.setExtraSelections(marks)
        self.status.setText(self.describe() if text.strip() else "")
        del text

    def describe(self) -> str:
        """What the typing still needs, in plain words (the first problems named)."""
        r = self.report
        if r.complete:
            return "All 33 words and every data line check out. Add it."
        summary = r.summary()
        lines = [summary[:1].upper() + summary[1:] + "."]
        if r.columns_apart:
            return lines[0]  # each line's own complaint would only mislead here
        lines += [f"✘ {issue.message}" for issue in r.issues[:4]]
        if len(r.issues) > 4:
            lines.append(f"… and {len(r.issues) - 4} more")
        return "\n".join(lines)

    def canonical(self) -> str | None:
        """The share in the core's transcription form, or None (``status`` says what's left)."""
        self.report = read_typed(self.toPlainText())
        self._check_without_cursor()
        return self.report.canonical() if self.report.complete else None

    def _check_without_cursor(self) -> None:
        self.status.setText(self.describe())

    def wipe(self) -> None:
        self.clear()  # also drops the undo history
        self.report = read_typed("")
        self.status.setText("")


@dataclass(frozen=True)
class ShareInputNames:
    """objectNames of the controls (tests and accessibility tools find them by these)."""

    load: str
    type: str
    typed: str
    submit: str


@dataclass
class ShareInputBox:
    box: QGroupBox
    load_button: QPushButton
    type_button: QPushButton
    typed: ShareTextEdit
    submit: QPushButton


def share_input_box(
    parent: QWidget,
    *,
    title: str,
    picture: QWidget,
    names: ShareInputNames,
    load_text: str,
    type_text: str,
    submit_text: str,
    on_load: Callable[[], object],
    on_submit: Callable[[], object],
) -> ShareInputBox:
    """Build the box; the typed-share field and its button show while "Type share" is down."""
    load_button = QPushButton(load_text, parent)
    load_button.setObjectName(names.load)
    load_button.setAccessibleName("Load a photo of the sheet")
    load_button.clicked.connect(on_load)
    type_button = QPushButton(type_text, parent)
    type_button.setObjectName(names.type)
    type_button.setAccessibleName("Type the share by hand")
    type_button.setCheckable(True)
    typed = ShareTextEdit(parent)
    typed.setObjectName(names.typed)
    typed.setAccessibleName("Typed share: the words, then the numbered data lines")
    typed.setPlaceholderText(TYPED_SHARE_HINT)
    typed.setTabChangesFocus(True)
    typed.setVisible(False)
    submit = QPushButton(submit_text, parent)
    submit.setObjectName(names.submit)
    submit.setVisible(False)
    submit.clicked.connect(on_submit)
    typed.status.setVisible(False)
    type_button.toggled.connect(typed.setVisible)
    type_button.toggled.connect(typed.status.setVisible)
    type_button.toggled.connect(submit.setVisible)
    # typing needs the room: the camera picture gives way while the typed share is open
    type_button.toggled.connect(lambda on: picture.setVisible(not on))

    box = QGroupBox(title, parent)
    layout = QVBoxLayout(box)
    layout.addWidget(picture, 1)
    alternatives = QHBoxLayout()
    alternatives.addWidget(load_button)
    alternatives.addWidget(type_button)
    alternatives.addStretch(1)
    layout.addLayout(alternatives)
    layout.addWidget(typed, 1)
    layout.addWidget(typed.status)
    layout.addWidget(submit)
    return ShareInputBox(box, load_button, type_button, typed, submit)
