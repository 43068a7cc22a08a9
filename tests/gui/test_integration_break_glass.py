"""The real app's services wired together: break glass and a drill through the main window,
recorded in the signed audit log and the registry, with the fake camera playing photographs
of real share sheets; the announce step, the fail-closed mirror gate and its override."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from reconstruct_photos import blank_frame, sheet_photo

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.reconstruct_flow import CHECKLIST
from breakglass_gui.cli.main import main as cli_main
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.core.share import Share
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import CameraOption, MainWindow, Services
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
from breakglass_gui.gui.split_wizard import SplitWizard
from breakglass_gui.scan.sources import FakeCamera

pytestmark = pytest.mark.gui

OUT = Path(__file__).parent / "out"
SECRET = b"prod-db root: staple battery horse"
MADE = dt.date(2026, 2, 1)
PEOPLE = [
    Custodian("Ana Ruiz", "primary on-call"),
    Custodian("Ben Okafor", "secondary on-call"),
    Custodian("Chen Wu", "engineering manager"),
]


def register(trail: AuditTrail, share_set: ShareSet) -> None:
    cid = trail.split_started(
        label=share_set.header.label,
        policy=share_set.header.policy,
        custodians=[s.holder for s in share_set.shares],
        operator="Dee Host",
    )
    trail.split_finished(cid, share_set, operator="Dee Host")


@pytest.fixture(scope="module")
def sets() -> dict[str, ShareSet]:
    return {
        "main": split_credential(
            SECRET,
            policy=Policy.simple(2, 3),
            label="prod-db root",
            custodians=PEOPLE,
            created=MADE,
        ),
        "old": split_credential(
            b"the value before", policy=Policy.simple(2, 3), label="prod-db root", created=MADE
        ),
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock, sets: dict[str, ShareSet]) -> Iterator[Services]:
    services = build_services(tmp_path / "home", clock=clock)
    trail: AuditTrail = services.trail
    register(trail, sets["old"])
    trail.retire_set(sets["old"].fingerprint_text, by="Dee Host", reason="rotated")
    register(trail, sets["main"])
    yield services
    trail.close()


def play(services: Services, frames: list[Any]) -> None:
    """The camera chooser offers one camera: the fake one, playing ``frames``."""
    services.cameras = lambda: [CameraOption("Fake camera", lambda: FakeCamera(frames))]


def open_wizard(qtbot: Any, window: MainWindow, button: str) -> ReconstructWizard:
    before = list(window.open_dialogs)
    qtbot.mouseClick(window.buttons[button], Qt.MouseButton.LeftButton)
    opened = [d for d in window.open_dialogs if d not in before]
    assert len(opened) == 1 and isinstance(opened[0], ReconstructWizard)
    wizard = opened[0]
    qtbot.addWidget(wizard)
    wizard._confirm_close = lambda: True  # type: ignore[method-assign]
    return wizard


def authorise(wizard: ReconstructWizard, incident: str) -> None:
    page = wizard.trigger_page
    page.incident.setText(incident)
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    wizard.next_button.click()
    assert wizard.wizard.current == "collect"


def type_shares(wizard: ReconstructWizard, shares: Sequence[Share]) -> None:
    """Add ``shares`` on the collect page by typing each one's transcription ("Type share…",
    the camera's alternative)."""
    page = wizard.collect_page
    page.type_button.click()
    for share in shares:
        page.typed.setPlainText(share.transcription())
        page.add_typed.click()


def cli_review_show(capsysbinary: Any, services: Services, rid: int) -> str:
    """What 'breakglass review show RID' prints for the same home."""
    capsysbinary.readouterr()
    assert cli_main(["--home", str(services.home), "review", "show", str(rid)]) == 0
    return str(capsysbinary.readouterr().out.decode())


def save_png(widget: Any, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    QApplication.processEvents()  # the layout after the last show/hide
    widget.grab().save(str(OUT / name))


def row_of(window: MainWindow, fp: str) -> Any:
    return next(r for r in window.rows if r.fingerprint == fp)


def test_break_glass_and_a_drill_through_the_main_window_are_on_the_record(
    qtbot: Any,
    services: Services,
    sets: dict[str, ShareSet],
    clock: ManualClock,
    capsysbinary: Any,
) -> None:
    main, old = sets["main"], sets["old"]
    fp = main.fingerprint_text
    trail: AuditTrail = services.trail
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    assert row_of(window, fp).status == "active" and row_of(window, fp).real_uses == 0

    # -- break glass: a retired set's sheet is refused by name, two custodians' sheets open it
    play(
        services,
        [
            sheet_photo(old.shares[0], 31),
            blank_frame(),
            sheet_photo(main.shares[0], 32),
            blank_frame(),
            sheet_photo(main.shares[2], 33),
        ],
    )
    wizard = open_wizard(qtbot, window, "reconstruct")
    assert "events stay in memory" not in wizard.problems.text()
    authorise(wizard, "INC-5150")  # the collect page lists the cameras off the GUI thread
    qtbot.waitUntil(lambda: wizard.collect_page.chooser.currentText() == "Fake camera")
    qtbot.waitUntil(lambda: wizard.flow.collector.status()[0], timeout=30000)
    refused = wizard.collect_page.refused.item(0).text()
    assert refused.startswith("Refused share 1 of 3")
    assert f"set {old.fingerprint_text}, which was retired (on 2026-03-02 by Dee Host" in refused
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
    # no mirror configured: the announcement is the trace outside the laptop; sealed until posted
    announce = wizard.announce_page
    assert (
        announce.announce.isVisible()
        and "Incident: INC-5150" in announce.announce.text.toPlainText()
    )
    assert "then press Posted" in announce.next_words.text()
    assert not wizard.next_button.isEnabled() and not wizard.go_next()
    assert wizard.wizard.current == "announce"  # sealed: no reveal page yet
    announce.announce.posted.click()
    wizard.next_button.click()
    reveal = wizard.reveal_page
    assert wizard.wizard.current == "reveal"
    assert reveal.panel.toggle.isEnabled() and not reveal.gate_reason.isVisible()
    secret = wizard.flow.secret
    assert secret is not None and bytes(secret) == SECRET
    wizard.reveal_page.panel.toggle.click()
    assert wizard.reveal_page.panel.view.shown
    clock.advance(20)
    wizard.next_button.click()  # Done: wiped
    assert secret.is_wiped
    # "Re-split now" opens the split ceremony replacing this set; its box stays unticked
    # until that ceremony has finished (closing it unfinished changes nothing)
    wizard.after_page.resplit.click()
    split = window.open_dialogs[-1]
    assert isinstance(split, SplitWizard) and split.ceremony.replaces is not None
    assert split.ceremony.replaces.fingerprint == fp
    split.confirm = lambda title, text: True  # "Stop this ceremony?" (the name is pre-filled)
    split.close()
    assert not wizard.after_page.checks["resplit"].isEnabled()
    for key, _ in CHECKLIST:
        wizard.after_page.checks[key].setChecked(True)
    assert not wizard.after_page.checks["resplit"].isChecked()
    assert not wizard.next_button.isEnabled()
    # (the full re-split is driven in test_split_wizard; here it is taken as done)
    wizard.after_page._resplit_done = lambda: True
    wizard.after_page.refresh()
    assert wizard.after_page.checks["resplit"].isChecked()
    # the After page shows the registry's review record of this ceremony, already stored
    # (a draft), exactly as 'breakglass review show' prints it
    after = wizard.after_page
    record = after.review_text.toPlainText()
    [(rid, _cid, status, stored)] = trail.registry.reviews()
    assert status == "draft" and after.view is not None and after.view.review_id == rid
    assert cli_review_show(capsysbinary, services, rid) == f"# status: draft\n{record}"
    announced = wizard.flow.announcement()
    assert announced is not None and f"announced anchor {announced.anchor}" in record
    assert 'bypass_rate: "1 / 90 d, was 0 / 90 d"' in record  # this use, from the registry
    assert "credential: prod-db root" in record and "incident: INC-5150" in record
    assert record.count('"post-use: ') == len(CHECKLIST)  # the ticks follow into the record
    assert "still missing: severity, appropriate, reviewers" in after.review_status.text()
    # typed and saved on the page: in the registry at once, and the page shows it
    after.severity.setText("SEV1")
    after.reviewers.setText("security")
    after.store_review.click()
    assert after.reviewers.text() == ""  # added to the record, shown there
    assert "severity: SEV1" in after.review_text.toPlainText()
    assert "  - security" in after.review_text.toPlainText()
    assert "still missing: appropriate" in after.review_status.text()
    _, status, stored = trail.registry.review(rid) or (0, "", {})
    assert (
        status == "draft" and stored["severity"] == "SEV1" and stored["reviewers"] == ["security"]
    )
    after.appropriate.setText("YES — minimal and scoped")
    after.reviewers.setText("security, Dee Host")
    after.follow_ups.setText("OPS-2210, fix SSO failover")
    save_png(wizard, "integration-after-review.png")
    save_png(after, "integration-after-page.png")
    with qtbot.waitSignal(wizard.closed_with):
        wizard.next_button.click()
    # the After page's review is the registry's review record (what 'review show' prints)
    [(rid2, _cid, status, stored)] = trail.registry.reviews()
    assert rid2 == rid and status == "completed" and stored["severity"] == "SEV1"
    assert stored["reviewers"] == ["security", "Dee Host"]
    assert stored["follow_ups"] == ["OPS-2210", "fix SSO failover"]
    assert stored["credential"] == "prod-db root" and "announced anchor" in stored["audit_verified"]
    assert stored["audit_verified"].startswith("YES — signed log intact")
    assert "(still open)" not in stored["window"]  # refreshed from the log at the end
    shown = cli_review_show(capsysbinary, services, rid)
    assert shown.startswith("# status: completed\n") and "  - OPS-2210\n" in shown

    report = trail.verify()
    assert report.ok, report.summary()
    entries = list(read_entries(trail.log_path))
    started = [e for e in entries if e.event == "reconstruction_started"]
    assert len(started) == 1 and started[0].fields["drill"] is False
    cid = started[0].fields["ceremony"]
    kinds = [e.event for e in entries if e.fields.get("ceremony") == cid]
    assert kinds[:7] == [
        "reconstruction_started",
        "share_refused",
        "share_accepted",
        "share_accepted",
        "quorum_reached",
        "announcement_posted",
        "secret_revealed",
    ]
    # the record was opened when the After page showed (once), completed at Finish
    assert kinds.count("review_created") == 1
    assert kinds.index("review_created") > kinds.index("secret_wiped")
    assert kinds[-3:] == ["reconstruction_finished", "set_rotation_due", "review_completed"]
    assert kinds.count("post_use_step_done") == len(CHECKLIST)
    assert "secret_wiped" in kinds
    assert row_of(window, fp).status == "rotation-due"  # the window refreshed on close
    assert row_of(window, fp).real_uses == 1
    assert window.table.item(window.rows.index(row_of(window, fp)), 3).text() == "Rotation due"

    # -- a drill on the same set: recorded as a drill, the bypass rate does not move
    clock.advance(3600)
    play(
        services, [sheet_photo(main.shares[1], 34), blank_frame(), sheet_photo(main.shares[2], 35)]
    )
    drill = open_wizard(qtbot, window, "drill")
    assert "DRILL" in drill.banner.text()
    authorise(drill, "INC-9001")
    qtbot.waitUntil(lambda: drill.flow.collector.status()[0], timeout=30000)
    clock.advance(90)
    drill.next_button.click()
    # a drill on a live set proves the quorum and never holds the credential for showing:
    # straight from Reconstruct to the drill's end, which says so
    qtbot.waitUntil(lambda: drill.wizard.current == "after", timeout=10000)
    assert drill.flow.secret is None and drill.flow.outcome.proven_only
    not_shown = f"These shares recover the credential of set {fp}; not shown."
    assert not_shown in drill.after_page.heading.text()
    assert not_shown in drill.after_page.report.toPlainText()
    assert not drill.reveal_page.panel.view.shown
    with qtbot.waitSignal(drill.closed_with):
        drill.next_button.click()

    assert trail.verify().ok
    entries = list(read_entries(trail.log_path))
    started = [e for e in entries if e.event == "reconstruction_started"]
    assert [e.fields["drill"] for e in started] == [False, True]
    drill_id = started[1].fields["ceremony"]
    steps = dict(trail.registry.steps(drill_id))
    assert set(steps) == {"trigger", "collect", "reconstruct", "after"}  # no reveal step
    drill_kinds = [e.event for e in entries if e.fields.get("ceremony") == drill_id]
    assert "secret_revealed" not in drill_kinds and "secret_copied" not in drill_kinds
    assert steps["collect"] >= 90
    assert row_of(window, fp).real_uses == 1  # unchanged by the drill
    assert row_of(window, fp).last_drill == dt.date(2026, 3, 2)
    logged = trail.log_path.read_text()
    assert SECRET.decode() not in logged
    for share in main.shares:
        assert share.qr_texts()[0] not in logged and " ".join(share.words) not in logged


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_reveal_waits_for_the_mirrors_or_a_typed_override(
    qtbot: Any, tmp_path: Path, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main = sets["main"]
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    mirror = {"type": "syslog", "name": "siem", "host": "127.0.0.1", "port": _closed_port()}
    (home / "config.json").write_text(
        json.dumps({"mirrors": [mirror], "reconstruction_policy": "fail-closed"})
    )
    services = build_services(home, clock=clock)
    trail: AuditTrail = services.trail
    try:
        register(trail, main)
        services.cameras = lambda: []
        window = MainWindow(services)
        qtbot.addWidget(window)
        wizard = open_wizard(qtbot, window, "reconstruct")
        authorise(wizard, "INC-5151")
        qtbot.waitUntil(
            lambda: wizard.collect_page.chooser.currentText().startswith("No camera found")
        )
        assert "No camera found" in wizard.collect_page.camera.message.text()
        type_shares(wizard, main.shares[:2])
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.wizard.current == "announce", timeout=10000)
        announce = wizard.announce_page
        assert announce.override_box.isVisible()  # a mirror down: posting does not open it
        text = announce.override_text.text()
        assert "siem" in text and "stays sealed" in text
        assert not wizard.next_button.isEnabled() and not wizard.go_next()
        announce.override_reason.setText("x")
        announce.override_button.click()
        assert "at least" in announce.override_text.text()
        assert not wizard.next_button.isEnabled()
        announce.override_reason.setText("SIEM is down in the same outage, INC-5151")
        announce.override_button.click()
        assert wizard.next_button.isEnabled()
        assert "in the audit log" in announce.override_text.text()
        wizard.next_button.click()
        reveal = wizard.reveal_page
        assert reveal.panel.toggle.isEnabled()
        reveal.panel.toggle.click()
        assert reveal.panel.view.shown
        wizard.cancel()
        entries = list(read_entries(trail.log_path))
        override = [e for e in entries if e.event == "mirror_override"]
        assert override and override[0].fields["reason"] == (
            "SIEM is down in the same outage, INC-5151"
        )
        kinds = [e.event for e in entries]
        assert kinds.index("mirror_override") < kinds.index("secret_revealed")
        assert trail.verify().ok
    finally:
        trail.close()
