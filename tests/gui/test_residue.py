"""The residue test: after a real break-glass run through the GUI and a wipe, what is left?

Runs ``tests/gui/residue.py`` in fresh processes and prints the counts:

- ``measure``: the ceremony in one process, then that process reads every readable mapping
  of its own memory (file-backed ones too) for every 8-byte window of the secret (UTF-8,
  UTF-16-LE, hex, base64, base32), of each share's words (windows that span a space) and of
  each share's QR text (windows not shared with another share: the common set header is
  public), and says which hits sit in live Python objects;
- ``outside``: the ceremony in a child process, read from here through /proc/PID/mem (root),
  twice: with the credential shown (the positive control: it must be found), then after
  Done/wipe/Finish with the window closed.

The secret must be gone (no copy of 8 bytes or more in any encoding — 16 for UTF-16 and hex,
where 8 bytes match by chance —, from inside and from outside), no live
Python object may hold share material, no piece of a collected share's QR text may be 32 bytes
or longer (freed memory included: the camera thread and the wipe scrub the allocators), and the
controls must be found. Share words and the shorter QR pieces left in freed memory are printed,
not hidden (see the README's memory section).
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
        timeout=900,
        capture_output=True,
    )


def _print(title: str, scan: dict[str, Any]) -> None:
    print(f"\n{title} ({scan['scanned_mb']} MB, every readable mapping, in {scan['seconds']} s):")
    for form, c in sorted(scan["forms"].items()):
        owners = c.get("owners", "")
        print(
            f"  {form:26s} windows {c['windows_hit']:5d}  places {c['places']:4d}"
            f"  longest run {c['longest_bytes']:4d} B  {owners or ''}"
        )


# An 8-byte window is 8 characters of the secret in UTF-8, base64 or base32 (alphabets of 32+
# symbols: a chance match in 650 MB is below 1e-3), but only 4 characters in UTF-16 and 8 hex
# digits (4 bytes): those match by chance in a process holding ~100 MB of text (a 9-byte
# UTF-16 "hit" inside libicudata.so was seen). For them a copy is a run of 16 bytes or more.
_UNMISTAKABLE = {"secret/utf-16-le": 16, "secret/hex": 16}


# Before the C-heap scrub, runs of 100 to 350 bytes of the last sheets' QR texts were left;
# since, the longest seen is 17 (live C blocks that reused freed memory, out of any scrub's
# reach). 32 bytes of a QR text's digits never match by chance.
QR_PIECE_LIMIT = 32


def _qr_pieces(scan: dict[str, Any]) -> dict[str, int]:
    """Each QR text form's longest piece, where it reaches QR_PIECE_LIMIT."""
    return {
        form: c["longest_bytes"]
        for form, c in scan["forms"].items()
        if ".qr/" in form and c["longest_bytes"] >= QR_PIECE_LIMIT
    }


def _secret_copies(scan: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (form, run["bytes"], run["mapping"])
        for form, c in scan["forms"].items()
        if form.startswith("secret/")
        for run in c["runs"]
        if run["bytes"] >= _UNMISTAKABLE.get(form, 8)
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/mem")
def test_residue_after_wipe(tmp_path: Path) -> None:
    _run("prep", str(tmp_path))
    _run("measure", str(tmp_path))
    inside: dict[str, Any] = json.loads((tmp_path / "residue.json").read_text())
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "residue.json").write_text(json.dumps(inside, indent=2))
    _print("inside the process, after the wipe", inside)
    assert inside["status"] == "finished" and not inside["truncated"]
    control = inside["forms"].pop("control/canary")
    assert control["in_live_python_objects"] >= 1, "the scan did not see a live str: broken"
    for form, c in inside["forms"].items():
        # 8 bytes of a share's words ("c acid l") also occur in English text (docstrings),
        # and 8 of a QR text's decimal digits (10^8 values) among the process's numbers; a run
        # of 16 bytes or more (32 in UTF-16) is the share's own text
        copies = [r for r in c["runs"] if r["owner"] != "freed or foreign memory"]
        if not form.startswith("secret/"):
            copies = [r for r in copies if r["bytes"] >= (32 if "utf-16" in form else 16)]
        assert copies == [], f"{form}: a copy lives in a Python object: {copies[:3]}"
    assert _secret_copies(inside) == [], "a piece of the credential survived the wipe"
    assert _qr_pieces(inside) == {}, "a long piece of a share's QR text survived the wipe"


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="reads another process's memory: needs root (or ptrace rights)",
)
def test_residue_seen_from_outside(tmp_path: Path) -> None:
    _run("prep", str(tmp_path))
    _run("outside", str(tmp_path))
    result: dict[str, Any] = json.loads((tmp_path / "outside.json").read_text())
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "residue-outside.json").write_text(json.dumps(result, indent=2))
    shown, after = result["shown"], result["after_done"]
    _print("from outside, the credential shown (control)", shown)
    _print("from outside, after Done / wipe / Finish, window closed", after)
    assert result["status"] == "finished"
    assert not shown["truncated"] and not after["truncated"]
    assert shown["forms"]["secret/utf-8"]["longest_bytes"] >= 32, "control: secret not found"
    assert _secret_copies(after) == [], "a piece of the credential survived, seen from outside"
    assert _qr_pieces(after) == {}, "a long piece of a share's QR text survived, seen from outside"
