"""The suite never touches the user's real data directory: each test has its own home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from breakglass_gui.platform.dirs import default_home, resolve_home


def test_default_home_is_private_to_this_test(tmp_path: Path, real_data_dir: Path) -> None:
    home = resolve_home()
    assert home == default_home()
    assert home != real_data_dir
    assert Path(os.environ["HOME"]) in home.parents
    assert "BREAKGLASS_HOME" not in os.environ


def test_two_tests_do_not_share_a_home_first(real_data_dir: Path) -> None:
    marker = resolve_home() / "marker"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("first")
    assert not (real_data_dir / "marker").exists()


def test_two_tests_do_not_share_a_home_second() -> None:
    assert not (resolve_home() / "marker").exists()


def test_guard_sees_a_write(tmp_path: Path) -> None:
    """The session guard's snapshot changes when something is written under a folder."""
    from tests.conftest import _snapshot

    root = tmp_path / "data"
    root.mkdir()
    before = _snapshot(root)
    (root / "audit.log").write_text("x")
    assert _snapshot(root) != before


@pytest.mark.parametrize(
    ("xdg", "home_under_tmp"),
    [(None, True), ("", True), ("relative/data", True), ("ABS", True), (None, False)],
)
def test_default_home_is_what_platformdirs_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg: str | None, home_under_tmp: bool
) -> None:
    """The data directory is computed without importing platformdirs on Linux (start-up time);
    it must stay the one platformdirs names, or an upgrade would move users' data."""
    import sys

    import platformdirs

    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux rule")
    if home_under_tmp:
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
    else:
        monkeypatch.setenv("HOME", "not/absolute")
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg") if xdg == "ABS" else xdg)
    expected = Path(platformdirs.user_data_dir("breakglass", appauthor=False, roaming=False))
    assert default_home() == expected
