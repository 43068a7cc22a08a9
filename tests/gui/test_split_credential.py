"""The credential page as a host meets it: a typed credential entered twice, a mismatch
refused in plain words (never echoed), and an honest strength figure for every credential."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from breakglass_gui.gui.main_window import MainWindow
from breakglass_gui.gui.split_wizard import SplitWizard

pytestmark = pytest.mark.gui

OUT = Path(__file__).parent / "out"


def _wizard(qtbot: Any, services: Any) -> SplitWizard:
    window = MainWindow(services)
    qtbot.addWidget(window)
    wizard = window.open_split_wizard()
    assert isinstance(wizard, SplitWizard)
    wizard.confirm = lambda title, text: True  # type: ignore[method-assign]
    wizard.pages["credential"].name.setText("prod-db root")
    return wizard


def test_a_typed_credential_is_asked_for_twice(qtbot: Any, gui_services: Any) -> None:
    wizard = _wizard(qtbot, gui_services)
    page = wizard.pages["credential"]
    typed = "Lisbon-tram-28-Sintra!"
    qtbot.keyClicks(page.entry.edit, typed)
    assert "type it in both fields" in page.status.text()
    assert not wizard.go_next()  # the second entry is missing
    assert wizard.ceremony.wizard.current == "credential"
    assert "a second time" in wizard.problems.text()
    assert "not yet confirmed" in page.status.text()  # held; only the second entry is owed

    # a mismatch: refused, named, not echoed; both fields are empty, nothing held
    qtbot.keyClicks(page.again.edit, typed.swapcase())
    assert not wizard.go_next()
    text = wizard.problems.text()
    assert "Caps Lock" in text
    for part in ("Lisbon", "LISBON", "lISBON", "tram", "Sintra", "28"):
        assert part not in text
    assert page.entry.is_empty() and page.again.is_empty()
    assert wizard.ceremony.secret_length == 0

    qtbot.keyClicks(page.entry.edit, typed)
    qtbot.keyClicks(page.again.edit, typed[:-1])
    assert not wizard.go_next()
    assert "the first has 22 characters, the second 21" in wizard.problems.text()

    qtbot.keyClicks(page.entry.edit, typed)
    qtbot.keyClicks(page.again.edit, typed)
    assert wizard.go_next()
    assert wizard.ceremony.wizard.current == "policy"
    secret = wizard.ceremony.state.secret("credential")
    assert secret is not None and bytes(secret) == typed.encode()
    assert page.entry.is_empty() and page.again.is_empty()
    wizard.close()


def test_return_in_the_first_field_moves_to_the_second(qtbot: Any, gui_services: Any) -> None:
    wizard = _wizard(qtbot, gui_services)
    wizard.show()
    wizard.activateWindow()
    page = wizard.pages["credential"]
    page.entry.edit.setFocus()
    qtbot.waitUntil(page.entry.edit.hasFocus)
    qtbot.keyClicks(page.entry.edit, "abc")
    qtbot.keyClick(page.entry.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(page.again.edit.hasFocus)
    assert page.entry.edit.text() == "abc"  # Return did not press Next: nothing was taken
    wizard.close()


def test_a_weak_typed_credential_shows_an_estimate_and_a_warning(
    qtbot: Any, gui_services: Any
) -> None:
    wizard = _wizard(qtbot, gui_services)
    wizard.resize(980, 680)
    wizard.show()
    page = wizard.pages["credential"]
    qtbot.keyClicks(page.entry.edit, "Summer2024!")
    qtbot.keyClicks(page.again.edit, "Summer2024!")
    assert page.strength.text() == ""  # nothing is figured from the widget text itself
    assert not page.commit()  # taken in (as Back or Next would), and stays on this page
    assert "an estimate" in page.strength.text()
    assert "very weak" in page.strength.text()
    assert page.warning.isVisible()
    assert "generate a new one" in page.warning.text()
    assert "Summer" not in page.warning.text() + page.strength.text()
    OUT.mkdir(exist_ok=True)
    wizard.grab().save(str(OUT / "split-credential-weak.png"))
    assert wizard.go_next()  # a warning, not a block
    wizard.close()


def test_a_generated_credential_shows_its_exact_figure(qtbot: Any, gui_services: Any) -> None:
    wizard = _wizard(qtbot, gui_services)
    page = wizard.pages["credential"]
    page.length.setValue(32)
    page.alphabet.setCurrentText("hexadecimal")
    page.generate()
    assert page.strength.text() == (
        "Strength: 128 bits, exact (every character drawn at random) — strong."
    )
    assert not page.warning.isVisible()
    # generating over a half-typed pair asks first, then clears both fields
    asked: list[str] = []
    wizard.confirm = lambda title, text: asked.append(title) or False  # type: ignore[method-assign]
    qtbot.keyClicks(page.again.edit, "half")
    page.generate()
    assert asked == ["Replace the secret?"] and page.again.edit.text() == "half"
    wizard.confirm = lambda title, text: True  # type: ignore[method-assign]
    page.generate()
    assert page.again.is_empty() and "exact" in page.strength.text()
    wizard.close()
