"""GUI test settings: offscreen Qt (``--onscreen`` to watch), services over a temporary home."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--onscreen", action="store_true", help="show the GUI tests on screen")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--onscreen", default=False):
        os.environ["QT_QPA_PLATFORM"] = os.environ.get("BREAKGLASS_ONSCREEN_QPA", "xcb")


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard_at_exit() -> Iterator[None]:
    """Clipboard data made by the tests must not outlive the interpreter (Qt would delete it
    in its exit handlers after Python is gone: a segfault after every test passed)."""
    yield
    from PySide6.QtWidgets import QApplication

    from breakglass_gui.gui.app import release_clipboard

    if QApplication.instance() is not None:
        release_clipboard()


@pytest.fixture(autouse=True)
def _gate_checks_answer_in_time(request: pytest.FixtureRequest, monkeypatch: Any) -> None:
    """The reveal gate's mirror check runs on a worker and is applied at once when it answers
    within ``gate_check.INSTANT_S`` (0.25 s). The fake mirrors here answer at once, but on a
    loaded 2-core CI machine the worker may be scheduled later than that, which would turn the
    gate tests' step-by-step expectations into a race. So they wait as long as it takes; the
    tests of the off-thread path itself (``test_gate_off_thread``) keep the product's value."""
    if request.module.__name__.rpartition(".")[2] == "test_gate_off_thread":
        return
    from breakglass_gui.gui import gate_check

    monkeypatch.setattr(gate_check, "INSTANT_S", 30.0)


@pytest.fixture
def gui_services(tmp_path: Path) -> Iterator[Any]:
    """Real services (audit trail, paper, QR decoder) on a temporary home, a fixed clock."""
    from breakglass_gui.audit.service import AuditTrail
    from breakglass_gui.ceremony.adapters import PaperRenderer, TrailSplitRecorder, trail_rows
    from breakglass_gui.ceremony.ports import ManualClock
    from breakglass_gui.gui.main_window import Services
    from breakglass_gui.scan.decoders import OpenCVDecoder, ZxingDecoder, zxing_available

    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    trail = AuditTrail(tmp_path / "home", clock=clock.now)
    decoder = ZxingDecoder() if zxing_available() else OpenCVDecoder()

    def verify_log() -> tuple[bool, str]:
        report = trail.verify()
        return report.ok, report.summary()

    services = Services(
        renderer=PaperRenderer(),
        new_split_recorder=lambda: TrailSplitRecorder(trail),
        rows=lambda: trail_rows(trail),
        clock=clock,
        operator="Dee Host",
        home=trail.home,
        documents_root=tmp_path / "docs",
        trail=trail,
        audit_text=lambda: trail.log_path.read_text() if trail.log_path.exists() else "",
        verify_log=verify_log,
        decode=lambda frame: [(d.text, d.quad) for d in decoder.decode(frame)],
        printers=lambda: [],
    )
    yield services
    trail.close()


@pytest.fixture(autouse=True)
def _no_unexpected_modal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message box a test did not answer would block offscreen forever: fail instead."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(_parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        raise AssertionError(f"unexpected modal dialog: {title!r}: {text[:120]!r}")

    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
