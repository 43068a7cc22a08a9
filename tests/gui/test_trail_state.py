"""The main window checks the audit trail off the GUI thread after it shows: a log edited in
the middle stops splits, drills and check-ins with the trail's message; break glass asks for a
typed, recorded override. It also shows the reviews still due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from test_integration_break_glass import authorise, open_wizard, register, type_shares

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import MainWindow

OUT = Path(__file__).parent / "out"


def _home_with_a_set(tmp_path: Path) -> tuple[Path, Any]:
    home = tmp_path / "home"
    main = split_credential(b"value", policy=Policy.simple(2, 3), label="prod-db root")
    with AuditTrail(home) as trail:
        register(trail, main)
        trail.checkin(main.shares[0], by="Ana")
        trail.checkin(main.shares[1], by="Bo")
    return home, main


def test_a_broken_log_is_found_after_the_window_shows_and_stops_ceremonies(
    qtbot: Any, tmp_path: Path
) -> None:
    home, _main = _home_with_a_set(tmp_path)
    log = home / "audit.log"
    lines = log.read_bytes().split(b"\n")
    mid = next(i for i, x in enumerate(lines) if b'"checkin"' in x)
    lines[mid] = lines[mid].replace(b'"by":"Ana"', b'"by":"Eve"', 1)
    log.write_bytes(b"\n".join(lines))
    edited = log.read_bytes()
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    services = build_services(home, clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    try:
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        assert not trail.checked, "the window shows before the log is verified"
        qtbot.waitUntil(window.trail_banner.isVisible, timeout=20000)
        assert "fails verification" in window.trail_banner.text()
        assert "audit reset --reason" in window.trail_banner.text()
        OUT.mkdir(exist_ok=True)
        window.grab().save(str(OUT / "main_window_trail_broken.png"))
        for key in ("split", "drill", "checkin"):
            window.trail_message = None
            window.trigger(key)
            assert window.trail_message is not None, key
            assert "fails verification" in window.trail_message.text()
            assert not window.open_dialogs, key
            window.trail_message.close()
        assert log.read_bytes() == edited, "nothing appended to the broken log"
        window.trigger("reconstruct")
        dialog = window.trail_override
        assert dialog is not None and not window.open_dialogs
        dialog.textValueSelected.emit("short")  # too short: refused, nothing recorded
        assert not window.open_dialogs and log.read_bytes() == edited
        dialog.textValueSelected.emit("INC-88 production down; log damaged, evidence kept")
        assert len(window.open_dialogs) == 1
        override = [e for e in read_entries(log) if e.event == "trail_override"]
        assert len(override) == 1 and override[0].fields["reason"].startswith("INC-88")
        for d in list(window.open_dialogs):
            d._confirm_close = lambda: True  # type: ignore[attr-defined]
            d.close()
    finally:
        trail.close()


def test_the_main_window_shows_reviews_due_and_a_rising_rate(qtbot: Any, tmp_path: Path) -> None:
    home, main = _home_with_a_set(tmp_path)
    with AuditTrail(home) as trail:
        fp = main.fingerprint_text
        for incident in ("INC-1", "INC-2"):
            cid = trail.reconstruction_started(incident=incident, operator="Ana")
            trail.quorum_reached(cid, fp, main.shares[:2])
            trail.announcement_confirmed(cid, posted=True, how="test")
            trail.secret_revealed(cid, fp)
            trail.reconstruction_finished(cid, "revealed", fp)
    services = build_services(home)
    trail2 = services.trail
    assert isinstance(trail2, AuditTrail)
    try:
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        text = window.attention_label.text()
        assert window.attention_label.isVisible()
        assert "Review due: review 1 (INC-1, prod-db root)" in text
        assert "Review due: review 2 (INC-2, prod-db root)" in text
        assert "prod-db root: 2 uses / 90 d, was 0: is break-glass becoming routine?" in text
        assert "at least 2 real uses and more than the 90 days before" in (
            window.attention_label.toolTip()
        )
        qtbot.waitUntil(lambda: trail2.checked, timeout=20000)
        assert not window.trail_banner.isVisible()
        OUT.mkdir(exist_ok=True)
        window.grab().save(str(OUT / "main_window_review_due.png"))
    finally:
        trail2.close()


def test_closing_after_a_real_use_leaves_the_review_due(qtbot: Any, tmp_path: Path) -> None:
    home, main = _home_with_a_set(tmp_path)
    clock = ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))
    services = build_services(home, clock=clock)
    trail = services.trail
    assert isinstance(trail, AuditTrail)
    try:
        services.cameras = lambda: []
        window = MainWindow(services)
        qtbot.addWidget(window)
        wizard = open_wizard(qtbot, window, "reconstruct")
        authorise(wizard, "INC-5153")
        type_shares(wizard, main.shares[:2])
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
        wizard.announce_page.announce.posted.click()
        wizard.next_button.click()
        assert wizard.wizard.current == "reveal"
        wizard.reveal_page.panel.toggle.click()
        assert wizard.reveal_page.panel.view.shown
        wizard.next_button.click()  # Done: wiped; the After page
        assert wizard.wizard.current == "after"
        wizard.after_page.severity.setText("SEV2")  # typed, but the window is closed
        wizard.cancel()
        [(_rid, _cid, status, stored)] = trail.registry.reviews()
        assert status == "draft" and stored["incident"] == "INC-5153"
        assert stored["severity"] == "SEV2", "what was typed is kept in the registry's record"
        window.refresh()
        assert "Review due: review 1 (INC-5153, prod-db root)" in window.attention_label.text()
    finally:
        trail.close()
