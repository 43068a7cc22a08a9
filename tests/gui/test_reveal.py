"""The reveal view: hidden by default, painted from the buffer, hex for binary credentials."""

from __future__ import annotations

from typing import Any

import pytest

from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.gui.reveal import SecretView, glyph_count, is_text

pytestmark = pytest.mark.gui


def test_text_and_binary_credentials() -> None:
    assert is_text(SecretBytes("pässwörd".encode()))
    assert glyph_count(SecretBytes("pässwörd".encode())) == 8
    binary = SecretBytes(b"\x00\xffab")
    assert not is_text(binary) and glyph_count(binary) == 8  # shown as hex


def test_view_is_hidden_until_shown_and_cleared_on_wipe(qtbot: Any) -> None:
    view = SecretView()
    qtbot.addWidget(view)
    secret = SecretBytes(b"abcd efgh")
    view.set_secret(secret)
    view.show()
    hidden = view.grab().toImage()
    view.set_shown(True)
    shown = view.grab().toImage()
    assert hidden != shown and view.accessibleName() == "credential shown, 9 characters"
    secret.wipe()
    view.set_shown(True)  # nothing left to show
    assert not view.shown and view.accessibleName() == "credential, wiped"
