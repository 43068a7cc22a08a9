"""`breakglass split --secret-stdin` at a terminal: the credential is typed twice, not echoed,
and a mismatch is refused before anything is written or logged (driven through a real pty)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]


def _split_at_terminal(tmp: Path, lines: list[bytes]) -> tuple[int, str, bytes]:
    """Run split with its stdin on a pty; type ``lines`` as each prompt appears."""
    master, slave = os.openpty()
    env = dict(os.environ, BREAKGLASS_HOME=str(tmp / "home"))
    args = ["split", "-m", "2", "-n", "2", "--custodian", "Ana", "--custodian", "Bo"]
    args += ["--secret-stdin", "--label", "typed", "--out", str(tmp / "set")]
    proc = subprocess.Popen(
        [*CLI, *args], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    os.close(slave)
    echoed = b""
    try:
        assert proc.stderr is not None
        stderr = b""
        for line in lines:
            want = b"(not shown): " if not stderr else b"to confirm: "
            end = time.monotonic() + 60
            while want not in stderr and time.monotonic() < end:
                ready, _, _ = select.select([proc.stderr], [], [], 0.5)
                if ready:
                    stderr += os.read(proc.stderr.fileno(), 4096)
            assert want in stderr, stderr
            # the prompt is written only once echo is off: typing now is never shown
            os.write(master, line + b"\n")
        _out, rest = proc.communicate(timeout=120)
        stderr += rest
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            echoed += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stderr.decode(), echoed


def test_a_typed_credential_is_typed_twice_and_not_echoed(tmp_path: Path) -> None:
    code, stderr, echoed = _split_at_terminal(tmp_path, [b"Lisbon-tram-28!", b"Lisbon-tram-28!"])
    assert code == 0, stderr
    assert b"Lisbon" not in echoed  # the terminal never showed it
    assert "Lisbon" not in stderr
    assert (tmp_path / "set" / "share-1.txt").exists()
    assert "looks weak" not in stderr or "an estimate" in stderr


def test_a_mismatch_is_refused_and_nothing_is_written_or_logged(tmp_path: Path) -> None:
    code, stderr, echoed = _split_at_terminal(tmp_path, [b"Lisbon-tram-28!", b"lISBON-TRAM-28!"])
    assert code != 0
    assert "only in upper and lower case: is Caps Lock on?" in stderr
    assert "Run split again." in stderr
    for part in ("Lisbon", "lISBON", "tram", "TRAM"):
        assert part not in stderr
    assert b"Lisbon" not in echoed and b"lISBON" not in echoed
    assert not (tmp_path / "set").exists()
    assert not (tmp_path / "home").exists()  # refused before the audit log was opened


def test_a_weak_typed_credential_gets_a_note_with_its_estimate(tmp_path: Path) -> None:
    code, stderr, _ = _split_at_terminal(tmp_path, [b"Summer2024!", b"Summer2024!"])
    assert code == 0, stderr
    assert "looks very weak" in stderr and "(an estimate)" in stderr
    assert "Summer" not in stderr
