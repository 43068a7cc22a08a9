"""``breakglass-gui``: the desktop application (placeholder main window until the wizards land)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from breakglass_gui import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="breakglass-gui")
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="open the main window, wait until the event loop is idle, exit 0 (smoke tests)",
    )
    args, qt_args = parser.parse_known_args(argv)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Breakglass")
    app.setApplicationVersion(__version__)
    window = QMainWindow()
    window.setWindowTitle("Breakglass")
    window.setCentralWidget(QLabel("Breakglass"))
    window.show()
    if args.exit_when_ready:
        QTimer.singleShot(0, app.quit)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
