"""Start-up without a display: one line and a non-zero exit, never Qt's abort; and the offscreen
platform's "propagateSizeHints" warning is not printed. Each run is the real entry point in a
fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from breakglass_gui.gui.app import _no_display

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="X11/Wayland displays are a Linux matter"
)


def _run(tmp_path: Path, **env_changes: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["BREAKGLASS_HOME"] = str(tmp_path / "home")
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from breakglass_gui.gui.app import main; "
            "sys.exit(main(['--exit-when-ready']))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("platform", [None, "xcb", "wayland;xcb"])
def test_without_a_display_one_line_and_exit_2(tmp_path: Path, platform: str | None) -> None:
    done = _run(tmp_path, QT_QPA_PLATFORM=platform)
    assert done.returncode == 2, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("breakglass-gui: no display")
    assert "QT_QPA_PLATFORM=offscreen" in lines[0]  # says what would work


def test_offscreen_start_prints_nothing(tmp_path: Path) -> None:
    done = _run(tmp_path, QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stderr
    assert "propagateSizeHints" not in done.stderr
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize(
    ("args", "env", "has_display"),
    [
        ([], {}, False),
        ([], {"DISPLAY": ":0"}, True),
        ([], {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ([], {"QT_QPA_PLATFORM": "offscreen"}, True),
        ([], {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, False),
        ([], {"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, False),
        ([], {"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, True),
        (["-platform", "offscreen"], {}, True),
        (["-platform", "xcb"], {"QT_QPA_PLATFORM": "offscreen"}, False),
        ([], {"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
    ],
)
def test_which_settings_have_a_display(
    args: list[str], env: dict[str, str], has_display: bool
) -> None:
    assert (_no_display(args, env) is None) is has_display
