"""Suite-wide settings: offscreen Qt, a private home for every test, a guard on the user's real
data directory, and (for tests/unit) proof that nothing needs PySide6."""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BREAKGLASS_TESTING", "1")


class _BlockQt(importlib.abc.MetaPathFinder):
    """Makes PySide6 unimportable, as on a machine without it."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname.split(".", maxsplit=1)[0] in {"PySide6", "shiboken6"}:
            raise ImportError(f"{fullname} is blocked: the core must work without PySide6")


if os.environ.get("BREAKGLASS_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _BlockQt())


def _real_data_dir() -> Path:
    """The per-user data directory Breakglass would use outside the tests (not created)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("breakglass", appauthor=False, roaming=False))


def _snapshot(root: Path) -> frozenset[tuple[str, int, int]]:
    """Every path under ``root`` with its size and modification time (empty if absent)."""
    if not root.exists():
        return frozenset()
    found: set[tuple[str, int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            try:
                st = p.lstat()
            except FileNotFoundError:
                continue
            found.add((str(p), st.st_size, st.st_mtime_ns))
    st = root.lstat()
    found.add((str(root), 0, st.st_mtime_ns))
    return frozenset(found)


# Taken at import, before any test runs and before any fixture changes the environment.
_REAL_DATA_DIR = _real_data_dir()
_REAL_DATA_BEFORE = _snapshot(_REAL_DATA_DIR)


@pytest.fixture(autouse=True)
def _private_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own $HOME and XDG directories, and no inherited $BREAKGLASS_HOME:
    whatever a test or a child process writes by default lands in a temporary folder."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(base))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (base / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(base / sub))
    monkeypatch.delenv("BREAKGLASS_HOME", raising=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything was written under the user's real data directory."""
    after = _snapshot(_REAL_DATA_DIR)
    if after != _REAL_DATA_BEFORE:
        changed = sorted({p for p, _, _ in after ^ _REAL_DATA_BEFORE})
        sys.stderr.write(
            "\nERROR: the tests wrote under the user's real data directory "
            f"{_REAL_DATA_DIR}: {', '.join(changed[:10])}\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def real_data_dir() -> Iterator[Path]:
    """The user's real data directory as it was before the session (for the guard's own test)."""
    yield _REAL_DATA_DIR
