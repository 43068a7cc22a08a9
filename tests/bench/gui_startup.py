"""GUI start-up against a bare PySide6 window (issue 16): paired runs, medians.

    .venv/bin/python -m tests.bench.gui_startup [--runs 7]

Runs, alternately, ``breakglass-gui --exit-when-ready`` (offscreen, a fresh home each time)
and a bare PySide6 ``QMainWindow`` that shows itself and quits when the event loop is idle,
each in a fresh interpreter, and prints the wall-clock and CPU-time medians and their ratios
(target ≤ 2.5×). Byte-compiled modules are allowed (as in an installed app). Not part of the
default suite: the machines are shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time is steadier on a busy machine."""
    cpu0 = _cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}")
    return elapsed, _cpu() - cpu0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # an installed app runs from byte-compiled modules (pip compiles them, as it did PySide6's):
    # let the warm-up run write them instead of compiling every module on every start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    app_times: list[tuple[float, float]] = []
    bare_times: list[tuple[float, float]] = []
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
    for k, what in ((0, "wall"), (1, "CPU")):
        app_m = statistics.median(t[k] for t in app_times)
        bare_m = statistics.median(t[k] for t in bare_times)
        print(
            f"{what:>4}: breakglass-gui --exit-when-ready {app_m:.3f} s, bare PySide6 "
            f"QMainWindow {bare_m:.3f} s (medians of {len(app_times)}): "
            f"ratio {app_m / bare_m:.2f}x (target <= 2.5x)"
        )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
