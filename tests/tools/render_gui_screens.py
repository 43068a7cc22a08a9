"""Render the main window, every step of the split wizard, the break-glass wizard and the
check-in dialog to PNG (offscreen), over the real app's services (``build_services``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/tools/render_gui_screens.py [--out DIR]
    QT_SCALE_FACTOR=2 ... --suffix @2x      # the same screens at 200 % scaling

Uses a throwaway home and a fixed clock; the secret is generated and never shown. The
break-glass collect step is fed by the scan module's fake camera playing photographs of the
set's printed sheets (``BREAKGLASS_DEV=1`` is set for it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BREAKGLASS_DEV", "1")  # the fake camera refuses to start otherwise

import cv2
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget

from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.reconstruct_flow import CHECKLIST
from breakglass_gui.ceremony.split_flow import CustodianEntry
from breakglass_gui.core.sealing import ShareSet
from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.checkin_dialog import CheckinDialog
from breakglass_gui.gui.main_window import CameraOption, MainWindow, Services
from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
from breakglass_gui.scan.sources import FakeCamera

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "gui"))
from reconstruct_photos import blank_frame, sheet_photo  # noqa: E402
from screen_checks import (  # noqa: E402
    centre_problems,
    horizontal_scrolling,
    mnemonic_clashes,
    outside_screen,
)

CHECKS: dict[str, list[str]] = {}  # screen -> what a person would trip over (--check)

PEOPLE = [
    CustodianEntry("Ana Ruiz", "primary on-call", "signal @ana", "Lisbon"),
    CustodianEntry("Ben Okafor", "secondary on-call", "+351 555 0101", "Porto"),
    CustodianEntry("Chen Wu", "engineering manager", "chen@example.org", "Braga"),
]


def settle(app: QApplication) -> None:
    """Let workers finish and their queued results arrive (a tool, not a test)."""
    for _ in range(200):
        QThreadPool.globalInstance().waitForDone(50)
        app.processEvents()
        if QThreadPool.globalInstance().activeThreadCount() == 0:
            app.processEvents()
            return


def wait_for(app: QApplication, done: Callable[[], bool], seconds: float = 60.0) -> None:
    """Process events until ``done()`` (camera threads are not in the pool), then settle."""
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    settle(app)


def review_rows_shown(page: QWidget) -> bool:
    """The review page's rows exist and are shown (not only added to the layout)."""
    form = page.form  # type: ignore[attr-defined]
    widgets = [form.itemAt(i).widget() for i in range(form.count())]
    shown = [w for w in widgets if w is not None]
    return form.rowCount() > 3 and all(w.isVisible() for w in shown)


def grab(widget: QWidget, out: Path, name: str, suffix: str) -> None:
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    parent = widget.parentWidget()
    CHECKS[name] = [  # after the grab: the check scrolls buttons into view
        *horizontal_scrolling(widget),
        *outside_screen(widget),
        *mnemonic_clashes(widget),
        *centre_problems(widget, parent.window() if parent is not None else None),
    ]
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--suffix", default="")
    parser.add_argument(
        "--check",
        type=Path,
        help="write what each screen gets wrong (buttons off screen, clashing Alt+letters, "
        "not centred) to this JSON file",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
        services = build_services(Path(tmp) / "home", clock=clock)
        trail = services.trail
        services.operator = "Dee Host"
        services.documents_root = Path(tmp) / "docs"
        services.printers = lambda: []
        services.cameras = lambda: []
        window = MainWindow(services)
        window.show()
        settle(app)
        grab(window, args.out, "main-window-empty", args.suffix)

        wizard = window.open_split_wizard()
        wizard.confirm = lambda *a: True  # type: ignore[attr-defined]
        c = wizard.pages["credential"]  # type: ignore[attr-defined]
        c.name.setText("prod-db root")
        c.scope.setText("root account of the production database")
        c.generate()
        settle(app)
        grab(wizard, args.out, "split-1-credential", args.suffix)
        wizard.go_next()  # type: ignore[attr-defined]
        settle(app)
        grab(wizard, args.out, "split-2-policy", args.suffix)
        wizard.go_next()  # type: ignore[attr-defined]
        cust = wizard.pages["custodians"]  # type: ignore[attr-defined]
        for k, person in enumerate(PEOPLE, start=1):
            cust.set_row(k, person)
        settle(app)
        grab(wizard, args.out, "split-3-custodians", args.suffix)
        wizard.go_next()  # type: ignore[attr-defined]
        # the shares are made on a worker; the page fills its rows when they arrive, and Qt
        # shows new rows (and lays them out) only once the event loop has run
        ceremony = wizard.ceremony  # type: ignore[attr-defined]
        review = wizard.pages["review"]  # type: ignore[attr-defined]
        wait_for(app, lambda: ceremony.share_set is not None and review_rows_shown(review))
        grab(wizard, args.out, "split-4-review", args.suffix)
        # the generated credential is confirmed (two groups typed back) before printing
        value = bytes(ceremony.state.secret("credential"))
        a, b = ceremony.group_challenge()
        review.group_a.setText(value[(a - 1) * 4 : a * 4].decode())
        review.group_b.setText(value[(b - 1) * 4 : b * 4].decode())
        review.confirm_groups()
        wizard.go_next()  # type: ignore[attr-defined]
        pr = wizard.pages["print"]  # type: ignore[attr-defined]
        pr.folder.setText(str(Path(tmp) / "usb-stick"))
        pr.save(only_missing=False)
        settle(app)
        grab(wizard, args.out, "split-5-print", args.suffix)
        pr.table.setCurrentCell(0, 0)
        pr.preview_selected()  # the first custodian's sheet, before printing
        wait_for(app, lambda: pr.preview is not None and pr.preview.isVisible())
        grab(pr.preview, args.out, "split-5-preview", args.suffix)
        pr.preview.reject()
        settle(app)
        wizard.go_next()  # type: ignore[attr-defined]
        ver = wizard.pages["verify"]  # type: ignore[attr-defined]
        share_set: ShareSet = wizard.ceremony.share_set  # type: ignore[attr-defined]
        # one sheet read back by its typed transcription, one only matched by its words
        ver.transcription.setPlainText(share_set.shares[0].transcription())
        ver.check_transcription()
        s = share_set.shares[1]
        ver.words_share.setCurrentIndex(1)
        ver.words.setText(" ".join(s.verification_words()))
        ver.check_words()
        settle(app)
        grab(wizard, args.out, "split-6-verify", args.suffix)
        for s in share_set.shares[1:]:
            ver.transcription.setPlainText(s.transcription())
            ver.check_transcription()
        ver.credential_set.setChecked(True)
        wizard.do_finish()  # type: ignore[attr-defined]
        settle(app)
        grab(wizard, args.out, "split-7-finished", args.suffix)
        wizard.accept()
        settle(app)
        window.refresh()
        grab(window, args.out, "main-window", args.suffix)
        log = window.open_audit_log()
        settle(app)
        grab(log, args.out, "audit-log", args.suffix)
        log.close()
        settle(app)
        shots = {"out": args.out, "suffix": args.suffix}
        render_break_glass(
            app, window, services=services, share_set=share_set, clock=clock, **shots
        )
        render_checkin(app, window, services=services, share_set=share_set, tmp=Path(tmp), **shots)
        window.close()
        trail.close()
    if args.check is not None:
        screen = app.primaryScreen()
        args.check.write_text(
            json.dumps(
                {
                    "screen": screen.availableGeometry().getRect(),
                    "dpr": screen.devicePixelRatio(),
                    "screens": CHECKS,
                },
                indent=2,
            )
        )
    return 0


def render_break_glass(
    app: QApplication,
    window: MainWindow,
    *,
    services: Services,
    share_set: ShareSet,
    clock: ManualClock,
    out: Path,
    suffix: str,
) -> None:
    """Trigger, collect (two custodians' sheets and a duplicate), announce, reveal (hidden),
    after."""
    first, third = share_set.shares[0], share_set.shares[2]
    frames = [
        sheet_photo(first, 1),
        blank_frame(),
        sheet_photo(first, 2),  # the same sheet again: refused as a duplicate
        blank_frame(),
        sheet_photo(third, 3),
    ]
    services.cameras = lambda: [
        CameraOption("Fake camera (photos of the sheets)", lambda: FakeCamera(frames))
    ]
    clock.advance(3600 * 17)  # 03:00 the next night
    window.trigger("reconstruct")
    wizard = next(d for d in window.open_dialogs if isinstance(d, ReconstructWizard))
    wizard._confirm_close = lambda: True  # type: ignore[method-assign]
    page = wizard.trigger_page
    page.incident.setText("INC-4821")
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    settle(app)
    grab(wizard, out, "reconstruct-1-trigger", suffix)
    wizard.go_next()
    wait_for(app, lambda: wizard.flow.collector.status()[0])  # the quorum is in
    wait_for(app, lambda: wizard.collect_page.worker is None)  # the fake camera ran out
    grab(wizard, out, "reconstruct-2-collect", suffix)
    wizard.go_next()
    wait_for(app, lambda: wizard.wizard.current == "announce")
    grab(wizard, out, "reconstruct-3-announce", suffix)
    wizard.announce_page.announce.posted.click()  # no mirror: "Posted" opens the way on
    wizard.go_next()
    wait_for(app, lambda: wizard.wizard.current == "reveal")
    grab(wizard, out, "reconstruct-4-reveal", suffix)
    wizard.go_next()  # Done: the credential is wiped
    for key, _label in CHECKLIST[:2]:
        wizard.after_page.checks[key].setChecked(True)
    settle(app)
    grab(wizard, out, "reconstruct-5-after", suffix)
    wizard.after_page._resplit_done = lambda: True  # the re-split ran (not rendered here)
    for key, _label in CHECKLIST:
        wizard.after_page.checks[key].setChecked(True)
    wizard.after_page.refresh()
    wizard.go_next()  # Finish
    settle(app)
    grab(wizard, out, "reconstruct-6-finished", suffix)
    wizard.close()
    settle(app)

    # a drill on the same set: asks what it rehearses; its After page is the drill's own
    drill_frames = [sheet_photo(first, 5), blank_frame(), sheet_photo(third, 6)]
    services.cameras = lambda: [
        CameraOption("Fake camera (photos of the sheets)", lambda: FakeCamera(drill_frames))
    ]
    window.trigger("drill")
    drill = next(d for d in window.open_dialogs if isinstance(d, ReconstructWizard))
    drill._confirm_close = lambda: True  # type: ignore[method-assign]
    page = drill.trigger_page
    page.incident.setText("SSO down: prod-db root, quarterly drill")
    page.operator.setText("Ana Ruiz")
    page.witnesses.setText("Ben Okafor")
    settle(app)
    grab(drill, out, "drill-1-trigger", suffix)
    clock.advance(40)
    drill.go_next()
    wait_for(app, lambda: drill.flow.collector.status()[0])
    clock.advance(260)
    drill.go_next()
    wait_for(app, lambda: drill.wizard.current in ("reveal", "after"))
    clock.advance(15)
    if drill.wizard.current == "reveal":
        drill.go_next()
    clock.advance(30)
    settle(app)
    grab(drill, out, "drill-4-after", suffix)
    drill.go_next()  # Finish
    settle(app)
    grab(drill, out, "drill-5-report", suffix)
    drill.close()
    settle(app)
    services.cameras = lambda: []


def render_checkin(
    app: QApplication,
    window: MainWindow,
    *,
    services: Services,
    share_set: ShareSet,
    tmp: Path,
    out: Path,
    suffix: str,
) -> None:
    """A custodian's sheet checked in from a photo."""
    photo = tmp / "sheet-2.png"
    cv2.imwrite(str(photo), sheet_photo(share_set.shares[1], 4))
    dialog = window.open_checkin()
    assert isinstance(dialog, CheckinDialog)
    dialog.load_image(photo)
    settle(app)
    grab(dialog, out, "checkin", suffix)
    dialog.close()
    settle(app)


if __name__ == "__main__":
    sys.exit(main())
