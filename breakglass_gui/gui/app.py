"""``breakglass-gui``: the desktop application.

``breakglass-gui [--home DIR] [--replaces FINGERPRINT] [--exit-when-ready]``

``--exit-when-ready`` opens the main window, waits until the event loop is idle (the window
shown, no worker running), and exits 0: for smoke tests and packaging checks.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QThreadPool, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from breakglass_gui import __version__
from breakglass_gui.platform import hardening
from breakglass_gui.platform.removable import removable_drives

from .main_window import MainWindow
from .services import CameraOption, Quad, Services

if TYPE_CHECKING:
    from breakglass_gui.ceremony.ports import Clock, FrameSource
    from breakglass_gui.scan.camera import CameraDecoder
    from breakglass_gui.scan.decoders import Frame

__all__ = ["build_services", "icon_path", "list_cameras", "main", "release_clipboard"]

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def icon_path() -> Path | None:
    for candidate in (
        RESOURCES / "icons" / "breakglass.svg",
        Path(__file__).resolve().parents[1] / "resources" / "icons" / "breakglass.svg",
    ):
        if candidate.is_file():
            return candidate
    return None


def _printers() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo  # noqa: PLC0415 - only when printing

    return [str(name) for name in QPrinterInfo.availablePrinterNames()]


def list_cameras() -> list[CameraOption]:
    """The webcams present now, each opened (and started) on demand. [] when there is none.

    Probing opens each video device, so this runs when a wizard or dialog asks, never at
    start-up.
    """
    from breakglass_gui.scan import sources  # noqa: PLC0415 - cv2 is slow to import

    found = [
        CameraOption(info.describe(), functools.partial(_open_camera, info.index))
        for info in sources.list_cameras()
    ]
    if not found:  # a camera that is there but may not be opened: say so, not "no camera"
        for index in range(6):
            problem = sources.permission_problem(index)
            if problem is not None:
                raise problem
    return found


def _open_camera(index: int) -> FrameSource:
    from breakglass_gui.scan.sources import CameraSource  # noqa: PLC0415

    source = CameraSource(index)
    source.start()  # raises CameraError with what to do (permission, in use, missing)
    return source


def build_services(home: str | Path | None = None, *, clock: Clock | None = None) -> Services:
    """The real services: the audit trail of ``home``, paper PDFs, scanner, cameras, printers.

    Break glass and drills are recorded in the trail (``new_reconstruction_recorder``), the collect
    step refuses retired sets from the registry (``retired_sets``), "Check in a share" records
    check-ins (``new_checkin``). ``clock`` replaces the system clock (tests, screenshots).
    """
    from breakglass_gui.audit.service import AuditTrail  # noqa: PLC0415
    from breakglass_gui.ceremony.adapters import (  # noqa: PLC0415
        PaperRenderer,
        TrailCheckin,
        TrailReconstructionRecorder,
        TrailRetiredSets,
        TrailSplitRecorder,
        trail_rows,
    )
    from breakglass_gui.ceremony.ports import SystemClock  # noqa: PLC0415
    from breakglass_gui.ceremony.setcards import card_for_share_set  # noqa: PLC0415

    the_clock: Clock = clock or SystemClock()
    trail = AuditTrail(home, clock=the_clock.now)
    # entries are queued at once and sent to the mirrors by background threads: recording a
    # step never waits on the network (the reveal gate waits for them, off the GUI thread)
    trail.deliver_in_background()
    operator = os.environ.get("USER", "")

    def audit_text() -> str:
        if not trail.log_path.exists():
            return "(the audit log is empty)"
        from breakglass_gui.audit.events import describe  # noqa: PLC0415
        from breakglass_gui.audit.log import read_entries  # noqa: PLC0415

        lines = []
        for e in read_entries(trail.log_path):
            lines.append(f"{e.seq:5d}  {e.time}  {describe(e.event, e.fields)}")
        return "\n".join(lines)

    def verify_log() -> tuple[bool, str]:
        report = trail.verify()
        return report.ok, report.summary()

    def new_reconstruction_recorder(drill: bool) -> TrailReconstructionRecorder:
        return TrailReconstructionRecorder(trail, drill=drill)

    services = Services(
        # the runbook prints this installation's ceremony rules and the log's public key
        renderer=PaperRenderer(
            rules_home=trail.home,
            audit_public_key=trail.public_key.text(),
            set_card=functools.partial(card_for_share_set, trail),
        ),
        new_split_recorder=lambda: TrailSplitRecorder(trail),
        rows=lambda: trail_rows(trail),
        clock=the_clock,
        operator=operator,
        home=trail.home,
        trail=trail,
        audit_text=audit_text,
        verify_log=verify_log,
        decode=_LazyDecode(),
        printers=_printers,
        removable_drives=removable_drives,
        # print_pdf left unset: the GUI prints through the system print dialog (QPrinter);
        # lp stays for the command line
        cameras=list_cameras,
        new_reconstruction_recorder=new_reconstruction_recorder,
        retired_sets=TrailRetiredSets(trail),
        new_checkin=lambda: TrailCheckin(trail, by=operator or None),
    )
    return services


class _LazyDecode:
    """``frame -> [(text, quad)]``: the camera's decoder (``scan.camera.CameraDecoder``: the
    ``FrameScanner`` of ``breakglass scan`` with its per-frame budget; successive calls are
    successive camera frames), loaded on first use to keep start-up fast. Thread-safe (one
    call at a time). An outside benchmark calls this with BGR frames."""

    def __init__(self) -> None:
        self._decoder: CameraDecoder | None = None
        self._lock = threading.Lock()

    def __call__(self, frame: Frame) -> list[tuple[str, Quad]]:
        with self._lock:
            if self._decoder is None:
                from breakglass_gui.scan.camera import CameraDecoder  # noqa: PLC0415

                self._decoder = CameraDecoder()
            result = self._decoder.scan(frame)
        return [(a.text, a.quad) for a in result.accepted]


def release_clipboard() -> None:
    """Clear the clipboard if it still holds data this process made (any secret on it was
    already cleared; what is left is an empty placeholder). Left there, Qt deletes it in its
    exit handlers after Python has shut down, and the process crashes on the way out."""
    import shiboken6  # noqa: PLC0415

    clipboard = QApplication.clipboard()
    data = clipboard.mimeData()
    if data is not None and shiboken6.createdByPython(data):
        clipboard.clear()


def _quit_when_idle(app: QApplication, window: MainWindow, tries: list[int]) -> None:
    """Quit once the window is shown and no worker runs; re-check on the next idle turn."""
    tries[0] += 1
    busy = QThreadPool.globalInstance().activeThreadCount() > 0
    if (window.isVisible() and not busy) or tries[0] > 500:
        app.quit()
    else:
        QTimer.singleShot(10, lambda: _quit_when_idle(app, window, tries))


def _no_display(qt_args: Sequence[str], environ: dict[str, str]) -> str | None:
    """Why Qt could not open a window here (Linux: no X11/Wayland display), else None."""
    if not sys.platform.startswith("linux"):
        return None
    platform = environ.get("QT_QPA_PLATFORM", "")
    for flag, value in itertools.pairwise(qt_args):
        if flag in ("-platform", "--platform"):
            platform = value
    names = [p.split(":", 1)[0].strip() for p in platform.split(";") if p.strip()]
    for name in names or ["xcb", "wayland"]:
        if name == "xcb" and environ.get("DISPLAY"):
            return None
        if name.startswith("wayland") and environ.get("WAYLAND_DISPLAY"):
            return None
        if name != "xcb" and not name.startswith("wayland"):
            return None  # offscreen, minimal, vnc, eglfs...: no display server needed
    chosen = f"QT_QPA_PLATFORM={platform}; " if platform else ""
    return (
        f"breakglass-gui: no display to open a window on ({chosen}DISPLAY and WAYLAND_DISPLAY"
        " are not set): start it in a desktop session, or set QT_QPA_PLATFORM=offscreen to"
        " run it without a window"
    )


def _drop_offscreen_noise() -> None:
    """The offscreen platform warns on every window that sets size hints: say nothing."""
    from PySide6.QtCore import (  # noqa: PLC0415
        QMessageLogContext,
        QtMsgType,
        qFormatLogMessage,
        qInstallMessageHandler,
    )

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message == "This plugin does not support propagateSizeHints()":
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(qFormatLogMessage(kind, context, message) + "\n")

    previous = qInstallMessageHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="breakglass-gui", description="Breakglass desktop app")
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="open the main window, wait until the event loop is idle, exit 0 (smoke tests)",
    )
    parser.add_argument("--home", help="data directory (default: $BREAKGLASS_HOME or per-user)")
    parser.add_argument(
        "--replaces",
        metavar="FINGERPRINT",
        help="start a split ceremony that rotates this set (retired at Finish)",
    )
    args, qt_args = parser.parse_known_args(argv)
    no_display = _no_display(qt_args, dict(os.environ))
    if no_display is not None:
        print(no_display, file=sys.stderr)
        return 2
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or "offscreen" in qt_args:
        _drop_offscreen_noise()
    # Before any secret exists: core dumps off, not dumpable (left alone under tests).
    hardening.harden_process()
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Breakglass")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("breakglass")
    icon = icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    try:
        services = build_services(args.home)
    except Exception as exc:  # a damaged home must produce a message, not a traceback
        QMessageBox.critical(None, "Breakglass", f"Could not open the data directory: {exc}")
        return 2
    window = MainWindow(services)
    window.show()
    if args.replaces:
        match = [r for r in window.rows if r.fingerprint == args.replaces.upper()]
        if not match:
            QMessageBox.warning(window, "Breakglass", f"No set {args.replaces} in the registry.")
        else:
            window.open_split_wizard(replaces=match[0])
    if args.exit_when_ready:
        QTimer.singleShot(0, functools.partial(_quit_when_idle, app, window, [0]))
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(10000)
    release_clipboard()
    trail = services.trail
    if trail is not None:
        trail.close()
    # Tear down in a fixed order: widgets before the application object (letting the
    # interpreter pick the order at exit can crash in Qt's destructors).
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.shutdown()
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
