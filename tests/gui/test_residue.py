"""The residue test: after a real break-glass run through the GUI and a wipe, what is left?

Runs ``tests/gui/residue.py`` in fresh processes (prep, then measure) and prints the counts.
The target is 0 copies in live Python objects (ours); copies in freed or foreign memory are
reported, not hidden. A positive control (a canary kept in a live str) proves the scan sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gui
HERE = Path(__file__).parent


def _run(*args: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BREAKGLASS_TESTING="1")
    subprocess.run(
        [sys.executable, str(HERE / "residue.py"), *args],
        env=env,
        check=True,
        timeout=180,
        capture_output=True,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem")
def test_residue_after_wipe(tmp_path: Path) -> None:
    _run("prep", str(tmp_path))
    _run("measure", str(tmp_path))
    result: dict[str, Any] = json.loads((tmp_path / "residue.json").read_text())
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "residue.json").write_text(json.dumps(result, indent=2))
    counts = result["counts"]
    print(f"\nresidue after wipe ({result['scanned_mb']} MB scanned in {result['seconds']} s):")
    for key, c in counts.items():
        print(
            f"  {key:28s} total {c['total']}  in live Python objects {c['in_live_python_objects']}"
            f"  in freed/foreign memory {c['in_freed_or_foreign_memory']} {c['mappings'] or ''}"
        )
    assert result["status"] == "finished" and not result["truncated"]
    control = counts.pop("control/canary")
    assert control["in_live_python_objects"] >= 1, "the scan did not see a live str: broken"
    for key, c in counts.items():
        assert c["in_live_python_objects"] == 0, f"{key}: a copy lives in a Python object"
    secret_total = sum(c["total"] for k, c in counts.items() if k.startswith("secret/"))
    assert secret_total == 0, "the credential survived the wipe somewhere in memory"
