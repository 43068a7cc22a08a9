"""Import guard (issue 16): the GUI's first window loads no image, array, QR or PDF library.

The real entry point runs in a fresh interpreter (``main(['--exit-when-ready'])``: the main
window over the real services, shown, event loop idle), then reports ``sys.modules``. cv2,
numpy, reportlab, PIL and qrcode must not be there: they load when a ceremony first needs
them (a camera, a photo, a PDF). A module that imports one at its top on the way to the first
window fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

HEAVY = ("cv2", "numpy", "reportlab", "PIL", "qrcode", "zxingcpp")

PROBE = """
import json, sys
from breakglass_gui.gui.app import main
rc = main(["--home", sys.argv[1], "--exit-when-ready"])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[2])))
ours = ("breakglass_gui.paper", "breakglass_gui.scan")
paper = sorted(m for m in sys.modules if m.startswith(ours))
print("LOADED=" + json.dumps({"rc": rc, "heavy": heavy, "ours": paper}))
"""


def _first_window(home: Path, probe: str = PROBE) -> dict[str, object]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", probe, str(home), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED=")]
    assert line, done.stderr
    data: dict[str, object] = json.loads(line[-1][len("LOADED=") :])
    return data


def test_the_first_window_imports_no_cv2_numpy_reportlab_or_pil(tmp_path: Path) -> None:
    data = _first_window(tmp_path / "home")
    assert data["rc"] == 0
    assert data["heavy"] == [], f"the first window loaded {data['heavy']}"
    assert data["ours"] == [], f"the first window loaded {data['ours']}"


def test_the_guard_sees_a_heavy_import(tmp_path: Path) -> None:
    """Positive control: the same probe, after importing numpy, reports it."""
    probe = PROBE.replace("import json, sys\n", "import json, sys\nimport numpy\n", 1)
    data = _first_window(tmp_path / "home", probe)
    assert data["heavy"] == ["numpy"]
