"""The split wizard in the wired app: the one-time view of a generated credential on the
Review page (countdown with the injected clock, concealed copy cleared on close, wiped at
Finish or Cancel, never logged), and the Verify step's camera chooser over the services'
camera list (the fake camera; none at all is a calm message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from reconstruct_photos import photograph, render_pdf_page

from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.split_flow import CustodianEntry
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.gui.clipboard import SecretClipboard
from breakglass_gui.gui.main_window import CameraOption, MainWindow
from breakglass_gui.gui.split_wizard import SplitWizard
from breakglass_gui.gui.split_wizard_reveal import GeneratedSecretDialog
from breakglass_gui.scan.sources import FakeCamera

pytestmark = pytest.mark.gui

PEOPLE = [
    CustodianEntry("Ana Ruiz", "primary on-call", "signal @ana", "Lisbon"),
    CustodianEntry("Ben Okafor", "secondary on-call", "+351 555 0101", "Porto"),
    CustodianEntry("Chen Wu", "engineering manager", "chen@example.org", "Braga"),
]


def _has_text(board: Any) -> bool:
    """Whether the clipboard holds text (an emptied clipboard may have no mime data at all)."""
    mime = board.mimeData()
    return mime is not None and bool(mime.hasFormat("text/plain"))


def to_review(qtbot: Any, services: Any, *, generate: bool) -> tuple[SplitWizard, Any]:
    window = MainWindow(services)
    qtbot.addWidget(window)
    wizard = window.open_split_wizard()
    assert isinstance(wizard, SplitWizard)
    qtbot.addWidget(wizard)
    wizard.confirm = lambda title, text: True
    page = wizard.pages["credential"]
    page.name.setText("vault root")
    if generate:
        page.length.setValue(24)
        page.generate()
    else:
        qtbot.keyClicks(page.entry.edit, "typed by the host")
        qtbot.keyClicks(page.again.edit, "typed by the host")
    assert wizard.go_next()
    secret = wizard.ceremony.state.secret("credential")
    assert secret is not None
    assert wizard.go_next()  # the 2-of-3 preset
    for k, person in enumerate(PEOPLE, start=1):
        wizard.pages["custodians"].set_row(k, person)
    assert wizard.go_next()
    qtbot.waitUntil(lambda: wizard.ceremony.share_set is not None, timeout=10000)
    return wizard, secret


def test_a_generated_credential_is_shown_once_then_wiped(qtbot: Any, gui_services: Any) -> None:
    wizard, secret = to_review(qtbot, gui_services, generate=True)
    values = [bytes(secret)]
    review = wizard.pages["review"]
    assert review.show_generated.isVisible() and review.show_generated.isEnabled()
    assert "Nobody has seen the generated credential yet" in review.generated_note.text()
    # nothing is printed before somebody has seen the new credential
    assert not wizard.go_next()
    assert "Nobody has seen the generated credential" in wizard.problems.text()
    assert review.group_a.isVisibleTo(review)
    dialog = review.open_generated()
    assert isinstance(dialog, GeneratedSecretDialog)
    assert not dialog.view.shown  # hidden until asked
    assert review.open_generated() is None  # one view per generated secret
    assert not review.show_generated.isEnabled()

    dialog.show_button.click()
    assert dialog.view.shown
    assert dialog.view.accessibleName() == "credential shown, 24 characters"
    assert dialog.countdown.text() == "Visible — hides for good in 60 s"
    assert not dialog.show_button.isEnabled()
    # typing 24 characters takes time: the countdown can be extended
    dialog.extend_button.click()
    assert dialog.countdown.text() == "Visible — hides for good in 120 s"
    dialog.copy_button.click()
    assert wizard.ceremony.secret_confirmed  # a concealed copy confirms it was taken
    assert not review.group_a.isVisibleTo(review)
    clip = QApplication.clipboard()
    assert bytes(clip.mimeData().data("text/plain").data()) == bytes(secret)
    assert bytes(clip.mimeData().data("x-kde-passwordManagerHint").data()) == b"secret"
    gui_services.clock.advance(20)
    dialog.tick()
    assert dialog.countdown.text() == "Visible — hides for good in 100 s"
    assert clip.mimeData().hasFormat("text/plain")  # 20 s of its 30 s
    dialog.done_button.click()
    assert not _has_text(clip)  # cleared when the window closes
    assert not dialog.view.shown
    assert dialog.view.accessibleName() == "credential, wiped"
    assert review.generated_note.text().startswith("The generated credential was shown once")
    assert not review.show_generated.isEnabled()

    # Back to the Credential page and a new value: that one may be shown once again
    wizard.go_back()
    wizard.go_back()
    wizard.go_back()
    wizard.pages["credential"].generate()
    fresh = wizard.ceremony.state.secret("credential")
    assert fresh is not None and fresh is not secret
    values.append(bytes(fresh))
    for _ in range(3):
        assert wizard.go_next()
    qtbot.waitUntil(lambda: wizard.ceremony.share_set is not None, timeout=10000)
    assert review.show_generated.isEnabled()
    assert not wizard.go_next()  # the new value is unconfirmed
    a, b = wizard.ceremony.group_challenge()

    def group(n: int) -> str:
        return bytes(fresh)[(n - 1) * 4 : n * 4].decode()

    review.group_a.setText(group(a))
    review.group_b.setText("nope")
    review.show_error = lambda *args: None  # type: ignore[method-assign]
    assert not review.confirm_groups()
    a, b = wizard.ceremony.group_challenge()
    review.group_a.setText(group(a))
    review.group_b.setText(group(b))
    assert review.confirm_groups()
    assert wizard.go_next()

    wizard.close()  # cancel: everything wiped and the abort recorded
    assert fresh.is_wiped and secret.is_wiped
    log = gui_services.trail.log_path.read_text()
    assert '"ceremony_aborted"' in log
    for value in values:
        assert value.decode() not in log


def test_the_view_hides_for_good_after_its_countdown(qtbot: Any) -> None:
    clock = ManualClock()
    secret = SecretBytes(b"generated-value-0123")
    clipboard = SecretClipboard(clock, seconds=30)
    dialog = GeneratedSecretDialog(secret, clock, seconds=60, clipboard=clipboard)
    qtbot.addWidget(dialog)
    dialog.show_button.click()
    dialog.copy_button.click()
    clip = QApplication.clipboard()
    clock.advance(30)
    dialog.tick()
    assert not _has_text(clip)  # the copy expired after 30 s
    assert dialog.clip_notice.text() == "Clipboard cleared (timeout)."
    assert dialog.view.shown
    clock.advance(30)
    dialog.tick()
    assert not dialog.view.shown and not dialog.show_button.isEnabled()
    assert not dialog.copy_button.isEnabled()
    assert dialog.countdown.text() == "Hidden for good after the countdown."
    dialog.reveal()  # once is once
    assert not dialog.view.shown
    secret.wipe()


def test_a_typed_credential_is_not_offered_again(qtbot: Any, gui_services: Any) -> None:
    wizard, _secret = to_review(qtbot, gui_services, generate=False)
    review = wizard.pages["review"]
    assert not review.show_generated.isVisible()
    assert review.open_generated() is None
    wizard.close()


def test_verify_offers_the_listed_cameras(qtbot: Any, gui_services: Any, tmp_path: Path) -> None:
    gui_services.cameras = lambda: []
    wizard, _secret = to_review(qtbot, gui_services, generate=False)
    assert wizard.go_next()
    printing = wizard.pages["print"]
    printing.folder.setText(str(tmp_path / "usb"))
    printing.save_all_button.click()
    qtbot.waitUntil(lambda: all(d.done for d in wizard.ceremony.documents), timeout=30000)
    assert wizard.go_next()
    verify = wizard.pages["verify"]
    qtbot.waitUntil(lambda: "No camera found" in verify.camera.message.text())
    assert verify.camera_button.text() == "Look for a &camera"

    sheets = sorted((tmp_path / "usb").glob("*-share-*.pdf"))
    frames = [photograph(render_pdf_page(p.read_bytes()), seed=i) for i, p in enumerate(sheets)]
    opened: list[str] = []

    def camera(name: str, played: list[Any]) -> CameraOption:
        def start() -> FakeCamera:
            opened.append(name)
            return FakeCamera(played)

        return CameraOption(name, start)

    gui_services.cameras = lambda: [camera("Laptop camera", []), camera("Desk camera", frames)]
    qtbot.waitUntil(lambda: not verify.camera.listing)
    verify.camera_button.click()  # no camera last time: the list is probed again
    qtbot.waitUntil(lambda: opened == ["Laptop camera"])  # the first by default; plays nothing
    assert verify.camera_choice.isEnabled() and verify.camera_choice.count() == 2
    qtbot.waitUntil(lambda: verify.camera.worker is None, timeout=10000)
    verify.camera_choice.setCurrentIndex(1)
    verify.camera_button.click()
    qtbot.waitUntil(lambda: len(wizard.ceremony.verified()) == 3, timeout=60000)
    assert opened == ["Laptop camera", "Desk camera"]
    assert not wizard.finish_button.isEnabled()  # the host has not said it is set
    verify.credential_set.setChecked(True)
    assert wizard.finish_button.isEnabled()
    wizard.close()


def test_rotation_pre_fills_everything_from_the_replaced_set(qtbot: Any, gui_services: Any) -> None:
    from breakglass_gui.ceremony.ports import MemoryDocumentSink
    from breakglass_gui.ceremony.split_flow import SplitCeremony, SplitPorts
    from breakglass_gui.core.policy import Policy

    # the set being replaced, registered through the real trail
    old = SplitCeremony(
        SplitPorts(
            gui_services.new_split_recorder(), gui_services.renderer, gui_services.clock, "Dee"
        )
    )
    old.set_details("vault root", "prod vault", "")
    old.set_secret(SecretBytes(b"the old credential"))
    old.wizard.next()
    grouped = Policy.grouped(2, [("leads", 1, 2), ("on-call", 2, 3)])
    old.set_policy(grouped)
    old.wizard.next()
    people = [
        CustodianEntry("Ana Ruiz", "VP", "signal @ana", "Lisbon"),
        CustodianEntry("Ben Okafor", "CTO", "+351 555 0101", "Porto"),
        CustodianEntry("Chen Wu", "SRE", "chen@example.org", "Braga"),
        CustodianEntry("Dita Lang", "SRE 2", "pager", "Berlin"),
        CustodianEntry("Eli Moss", "SRE 3", "phone", "Madrid"),
    ]
    old.set_custodians(people)
    old.wizard.next()
    share_set = old.make_shares()
    old.wizard.next()
    old.save_all(MemoryDocumentSink())
    old.wizard.next()
    for s in share_set.shares:
        assert old.verify_scanned_text(s.qr_texts()[0]).ok
    old.confirm_credential_set()
    old.finish()

    window = MainWindow(gui_services)
    qtbot.addWidget(window)
    window.refresh()
    window.table.selectRow(0)
    wizard = window.rotate_selected()
    assert isinstance(wizard, SplitWizard)
    qtbot.addWidget(wizard)
    fp = share_set.fingerprint_text
    assert wizard.banner.isVisibleTo(wizard)
    assert f"Replaces set {fp}" in wizard.banner.text()
    assert "(retired at Finish)" in wizard.banner.text()
    credential = wizard.pages["credential"]
    assert credential.name.text() == "vault root"
    assert wizard.ceremony.policy == grouped
    assert wizard.ceremony.custodians == people
    # the policy and custodian pages show what was carried over
    qtbot.keyClicks(credential.entry.edit, "the new credential")
    qtbot.keyClicks(credential.again.edit, "the new credential")
    assert wizard.go_next()
    assert wizard.pages["policy"].grouped.isChecked()
    assert wizard.go_next()
    custodians = wizard.pages["custodians"]
    assert [custodians.table.item(r, 2).text() for r in range(5)] == [p.name for p in people]
    assert custodians.table.item(0, 4).text() == "signal @ana"
    assert custodians.table.item(3, 5).text() == "Berlin"
    wizard.confirm = lambda *args: True
    wizard.close()
