"""A mirror added to the settings (``breakglass audit mirrors --add``) while the app runs: the
app's trail was built at start and queues nothing for it, so it has none of this session's
entries. The gate re-reads the settings at each check and stays shut, naming that mirror and
saying what to do (restart the app), instead of opening because every mirror it knows is up to
date."""

from __future__ import annotations

from pathlib import Path

import pytest

from breakglass_gui.audit.mirrors import Settings, save_settings
from breakglass_gui.audit.service import AuditTrail, GateStatus


@pytest.mark.parametrize("background", [False, True], ids=["cli", "app"])
def test_a_mirror_added_while_the_app_runs_keeps_its_gate_shut(
    tmp_path: Path, background: bool
) -> None:
    home = tmp_path / "home"
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    home.mkdir(mode=0o700)
    save_settings(home, Settings([{"type": "file", "path": str(a)}], "fail-closed"))
    trail = AuditTrail(home)
    if background:
        trail.deliver_in_background()
    try:
        cid = trail.reconstruction_started(incident="INC-1", operator="ana", witnesses=["bo"])
        assert trail.reveal_gate(cid, trail.probe_mirrors()).open
        both = [{"type": "file", "path": str(a)}, {"type": "file", "path": str(b)}]
        save_settings(home, Settings(both, "fail-closed"))  # the CLI, meanwhile
        trail.record("step_timed", {"ceremony": cid, "step": "collect", "seconds": 1.0})
        status = trail.reveal_gate(cid, trail.probe_mirrors())
        assert not status.open
        assert f"file:{b}" in status.explain() and "restart" in status.explain()
        # it is not down, it was added: the message says so, not "cannot be reached"
        assert status.explain().startswith("an audit mirror was added after this program")
        assert "cannot be reached" not in status.explain()
        # removed again: the gate opens as before
        save_settings(home, Settings(both[:1], "fail-closed"))
        assert trail.reveal_gate(cid, trail.probe_mirrors()).open
    finally:
        trail.close()


def test_an_added_mirror_and_a_mirror_down_are_both_said() -> None:
    """Only when every mirror holding the gate shut was added is the message about adding."""
    added = ("file:/b.log", "added to the mirror settings after this program started")
    down = ("file:/a.log", "cannot write: disk full")
    only_added = GateStatus(False, "fail-closed", [added], added=("file:/b.log",))
    assert only_added.explain().startswith("an audit mirror was added")
    both = GateStatus(False, "fail-closed", [down, added], added=("file:/b.log",))
    assert both.explain().startswith("the audit mirrors cannot be reached")
    assert "disk full" in both.explain() and "added to the mirror settings" in both.explain()
    overridden = GateStatus(True, "fail-closed", [added], overridden=True, added=("file:/b.log",))
    assert "overridden" in overridden.explain()
