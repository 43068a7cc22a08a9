"""The camera box both share-collecting screens use: camera picture and chooser, plus the two
alternatives to the camera, "Load image…" and "Type share…" (the hand transcription)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TYPED_SHARE_HINT = (
    "Type the share as printed under 'HAND TRANSCRIPTION' on the sheet: the 33 words, "
    "then the numbered data lines."
)


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
    typed: QPlainTextEdit
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
    typed = QPlainTextEdit(parent)
    typed.setObjectName(names.typed)
    typed.setAccessibleName("Typed share: the words, then the numbered data lines")
    typed.setPlaceholderText(TYPED_SHARE_HINT)
    typed.setTabChangesFocus(True)
    typed.setVisible(False)
    submit = QPushButton(submit_text, parent)
    submit.setObjectName(names.submit)
    submit.setVisible(False)
    submit.clicked.connect(on_submit)
    type_button.toggled.connect(typed.setVisible)
    type_button.toggled.connect(submit.setVisible)

    box = QGroupBox(title, parent)
    layout = QVBoxLayout(box)
    layout.addWidget(picture, 1)
    alternatives = QHBoxLayout()
    alternatives.addWidget(load_button)
    alternatives.addWidget(type_button)
    alternatives.addStretch(1)
    layout.addLayout(alternatives)
    layout.addWidget(typed)
    layout.addWidget(submit)
    return ShareInputBox(box, load_button, type_button, typed, submit)
