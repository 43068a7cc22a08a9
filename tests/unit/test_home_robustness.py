"""A home that keeps working (issue 11): every file under the data directory 0600 and every
folder 0700 whatever the umask or ``--home``; a locked, read-only or corrupt registry gives one
line naming the file and what to do, never "internal error"."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]
PEOPLE = ["--custodian", "Ana", "--custodian", "Bo"]
WHO = [
    "--incident",
    "INC-7",
    "--operator",
    "Ana",
    "--trigger",
    "1",
    "--witness",
    "Bo",
    "--announced",
]


def run(*argv: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def pre() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [*CLI, *argv], capture_output=True, text=True, timeout=120, check=False, preexec_fn=pre
    )


def modes(home: Path) -> dict[str, str]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            found[str(p.relative_to(home))] = oct(stat.S_IMODE(p.lstat().st_mode))
    found["."] = oct(stat.S_IMODE(home.lstat().st_mode))
    return found


@pytest.mark.parametrize("premade", [False, True])
def test_every_file_is_0600_and_every_folder_0700_whatever_the_umask(
    tmp_path: Path, premade: bool
) -> None:
    home = tmp_path / "home"
    if premade:  # --home on a world-readable folder made beforehand
        home.mkdir(mode=0o755)
        home.chmod(0o755)
    out = tmp_path / "set"
    r = run("--home", str(home), "split", "-m", "2", "-n", "2", "--label", "db", *PEOPLE,
            "--generate", "16", "--generated-out", str(tmp_path / "gen"), "--out", str(out),
            umask=0)  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run("--home", str(home), "settings", "set", "reveal-seconds", "30", umask=0)
    assert r.returncode == 0, r.stderr
    r = run("--home", str(home), "combine", str(out / "share-1.txt"), str(out / "share-2.txt"),
            *WHO, umask=0)  # fmt: skip
    assert r.returncode == 0, r.stderr
    found = modes(home)
    assert "registry.sqlite3" in found and "audit.log" in found and "ceremony.json" in found
    for name, mode in found.items():
        want = "0o700" if (home / name).is_dir() else "0o600"
        assert mode == want, (name, mode)
    for name in ("registry.sqlite3-wal", "registry.sqlite3-shm"):
        if name in found:
            assert found[name] == "0o600"


def test_a_looser_registry_from_before_is_made_private_on_open(tmp_path: Path) -> None:
    from breakglass_gui.audit.registry import Registry

    path = tmp_path / "registry.sqlite3"
    Registry(path).close()
    path.chmod(0o644)
    shm = path.with_name(path.name + "-shm")
    shm.write_bytes(b"")
    shm.chmod(0o444)  # what a failed write once left behind
    Registry(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if shm.exists():
        assert stat.S_IMODE(shm.stat().st_mode) == 0o600


def _split(home: Path, out: Path) -> None:
    r = run("--home", str(home), "split", "-m", "2", "-n", "2", "--label", "db", *PEOPLE,
            "--generate", "16", "--generated-out", str(out.parent / "gen"),
            "--out", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr


def _one_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr


def test_a_corrupt_registry_is_named_with_the_way_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _split(home, tmp_path / "set")
    registry = home / "registry.sqlite3"
    for name in ("registry.sqlite3-wal", "registry.sqlite3-shm"):
        (home / name).unlink(missing_ok=True)
    registry.write_bytes(b"this is not a database at all" * 200)
    for argv in (
        ["sets", "list"],
        ["audit", "verify"],
        ["checkin", str(tmp_path / "set" / "share-1.txt")],
    ):
        err = _one_line(run("--home", str(home), *argv))
        assert str(registry) in err and "damaged" in err and "move it aside" in err


def test_a_locked_registry_is_named_with_the_way_out(tmp_path: Path) -> None:
    from breakglass_gui.audit.registry import Registry, RegistryError

    home = tmp_path / "home"
    _split(home, tmp_path / "set")
    path = home / "registry.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(RegistryError, match="locked by another Breakglass"):
            Registry(path, timeout=0.2).close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_home_is_named_with_the_way_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _split(home, tmp_path / "set")
    (home / "registry.sqlite3").chmod(0o400)
    home.chmod(0o500)
    try:
        err = _one_line(run("--home", str(home), "sets", "retire", "0000-0000-0000-0000",
                            "--by", "x"))  # fmt: skip
        assert "registry" in err
    finally:
        home.chmod(0o700)


def test_explain_names_the_file_for_each_kind_of_failure(tmp_path: Path) -> None:
    from breakglass_gui.audit.registry import explain_sqlite_error

    path = tmp_path / "registry.sqlite3"
    cases = {
        "database is locked": "locked by another Breakglass",
        "attempt to write a readonly database": "cannot be written",
        "file is not a database": "damaged",
        "database disk image is malformed": "damaged",
    }
    for message, needle in cases.items():
        text = explain_sqlite_error(path, sqlite3.OperationalError(message))
        assert text.startswith(f"{path}: ") and needle in text
