"""Start-up hardening: both entry points switch core dumps off and make the process
non-dumpable before any secret exists (outside tests; under tests PR_SET_DUMPABLE is left alone).

Each case runs the real entry point in a fresh interpreter, then reports the process state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, resource, sys
from breakglass_gui.platform.hardening import is_dumpable
{run}
print(json.dumps({{"rc": rc, "dumpable": is_dumpable(),
                  "core": list(resource.getrlimit(resource.RLIMIT_CORE))}}))
"""

CLI = "from breakglass_gui.cli.main import main; rc = main(['--home', sys.argv[1], 'report'])"
GUI = (
    "from breakglass_gui.gui.app import main; "
    "rc = main(['--home', sys.argv[1], '--exit-when-ready'])"
)


def probe(run: str, home: Path, *, testing: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "BREAKGLASS_TESTING"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if testing:
        env["BREAKGLASS_TESTING"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(run=run), str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DUMPABLE is Linux only")
@pytest.mark.parametrize("entry", [CLI, GUI], ids=["breakglass", "breakglass-gui"])
def test_entry_points_harden_the_process(entry: str, tmp_path: Path) -> None:
    result = probe(entry, tmp_path / "home", testing=False)
    assert result["rc"] == 0
    assert result["core"] == [0, 0]
    assert result["dumpable"] is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DUMPABLE is Linux only")
def test_under_tests_the_process_stays_readable(tmp_path: Path) -> None:
    result = probe(CLI, tmp_path / "home", testing=True)
    assert result["rc"] == 0
    assert result["core"][0] == 0  # type: ignore[index]
    assert result["dumpable"] is True


QUIT_WITH_CLIPBOARD = """
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.gui import app as gui_app
from breakglass_gui.gui.clipboard import SecretClipboard

shown = gui_app.MainWindow.show

def show_and_copy(self):
    shown(self)
    self.clip = SecretClipboard(self.services.clock, parent=self)
    self.clip.copy(SecretBytes(b"on the clipboard at quit"))

gui_app.MainWindow.show = show_and_copy
rc = gui_app.main(['--home', sys.argv[1], '--exit-when-ready'])
"""


def test_quitting_with_our_data_on_the_clipboard_exits_cleanly(tmp_path: Path) -> None:
    # Qt deletes clipboard data in its exit handlers, after Python is gone: data made by
    # this process must be released before, or the process dies with SIGSEGV at exit.
    result = probe(QUIT_WITH_CLIPBOARD, tmp_path / "home", testing=True)
    assert result["rc"] == 0
