"""Render the main window and every step of the split wizard to PNG (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/tools/render_gui_screens.py [--out DIR]
    QT_SCALE_FACTOR=2 ... --suffix @2x      # the same screens at 200 % scaling

Uses a throwaway home and a fixed clock; the secret is generated and never shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget

from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.adapters import (
    PaperRenderer,
    TrailSplitRecorder,
    trail_rows,
)
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.split_flow import CustodianEntry
from breakglass_gui.gui.main_window import MainWindow, Services

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [
    CustodianEntry("Ana Ruiz", "primary on-call", "signal @ana", "Lisbon"),
    CustodianEntry("Ben Okafor", "secondary on-call", "+351 555 0101", "Porto"),
    CustodianEntry("Chen Wu", "engineering manager", "chen@example.org", "Lisbon"),
]


def settle(app: QApplication) -> None:
    """Let workers finish and their queued results arrive (a tool, not a test)."""
    for _ in range(200):
        QThreadPool.globalInstance().waitForDone(50)
        app.processEvents()
        if QThreadPool.globalInstance().activeThreadCount() == 0:
            app.processEvents()
            return


def grab(widget: QWidget, out: Path, name: str, suffix: str) -> None:
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--suffix", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
        trail = AuditTrail(Path(tmp) / "home", clock=clock.now)
        services = Services(
            renderer=PaperRenderer(),
            new_split_recorder=lambda: TrailSplitRecorder(trail),
            rows=lambda: trail_rows(trail),
            clock=clock,
            operator="Dee Host",
            documents_root=Path(tmp) / "docs",
            trail=trail,
            printers=lambda: [],
        )
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
        settle(app)
        grab(wizard, args.out, "split-4-review", args.suffix)
        wizard.go_next()  # type: ignore[attr-defined]
        pr = wizard.pages["print"]  # type: ignore[attr-defined]
        pr.folder.setText(str(Path(tmp) / "usb-stick"))
        pr.save(only_missing=False)
        settle(app)
        grab(wizard, args.out, "split-5-print", args.suffix)
        wizard.go_next()  # type: ignore[attr-defined]
        ver = wizard.pages["verify"]  # type: ignore[attr-defined]
        share_set = wizard.ceremony.share_set  # type: ignore[attr-defined]
        for s in share_set.shares[:2]:
            ver.words_share.setCurrentIndex(s.number - 1)
            ver.words.setText(" ".join(s.verification_words()))
            ver.check_words()
        settle(app)
        grab(wizard, args.out, "split-6-verify", args.suffix)
        s = share_set.shares[2]
        ver.words_share.setCurrentIndex(2)
        ver.words.setText(" ".join(s.verification_words()))
        ver.check_words()
        wizard.do_finish()  # type: ignore[attr-defined]
        settle(app)
        grab(wizard, args.out, "split-7-finished", args.suffix)
        wizard.accept()
        settle(app)
        window.refresh()
        grab(window, args.out, "main-window", args.suffix)
        window.close()
        trail.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
