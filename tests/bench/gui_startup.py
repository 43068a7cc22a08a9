"""GUI start-up against a bare PySide6 window (issue 16): paired runs, medians.

    .venv/bin/python -m tests.bench.gui_startup [--runs 7]

Runs, alternately, ``breakglass-gui --exit-when-ready`` (offscreen, a fresh home each time)
and a bare PySide6 ``QMainWindow`` that shows itself and quits when the event loop is idle,
each in a fresh interpreter, and prints the wall-clock medians and their ratio (target
≤ 2.5×). Not part of the default suite: the machines are shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = (
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\n"
    "w = QMainWindow()\n"
    "w.show()\n"
    "QTimer.singleShot(0, app.quit)\n"
    "app.exec()\n"
)


def _app_command() -> list[str]:
    script = Path(sys.executable).with_name("breakglass-gui")
    if script.exists():
        return [str(script), "--exit-when-ready"]
    return [sys.executable, "-m", "breakglass_gui.gui.app", "--exit-when-ready"]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app_times: list[float] = []
    bare_times: list[float] = []
    app_cmd = _app_command()
    bare_cmd = [sys.executable, "-c", BARE]
    _time(bare_cmd, env)  # warm the file cache for both
    for i in range(args.runs + 1):
        home = tempfile.mkdtemp(prefix="bg-startup-")
        try:
            a = _time([*app_cmd, "--home", home], env)
            b = _time(bare_cmd, env)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        if i:  # the first pair warms the caches
            app_times.append(a)
            bare_times.append(b)
    app_m, bare_m = statistics.median(app_times), statistics.median(bare_times)
    print(f"breakglass-gui --exit-when-ready: median {app_m:.3f} s over {len(app_times)} runs")
    print(f"bare PySide6 QMainWindow:         median {bare_m:.3f} s")
    print(f"ratio: {app_m / bare_m:.2f}x (target <= 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
