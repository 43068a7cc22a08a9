"""Drills: a throwaway set, the same flow, timed with an injected clock, recorded as a drill."""

from __future__ import annotations

import datetime as dt

from breakglass_gui.ceremony.drill import (
    StepTimer,
    drill_report,
    make_drill_set,
    record_drill,
)
from breakglass_gui.ceremony.ports import ManualClock, MemoryReconstructionRecorder
from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, recover


def test_a_drill_set_combines_and_its_throwaway_secret_is_kept_nowhere() -> None:
    s = make_drill_set(Policy.simple(2, 3), [Custodian("Ana", "on-call")])
    assert s.header.label.startswith("DRILL")
    result = recover(s.shares[:2])
    assert len(result.secret) == 24
    result.wipe()


def test_a_drill_is_timed_step_by_step_and_reports_its_slowest_step() -> None:
    clock = ManualClock(dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC))
    audit = MemoryReconstructionRecorder(clock)
    flow = ReconstructFlow(audit, clock=clock, drill=True)
    timer = StepTimer(flow.wizard, clock)
    s = make_drill_set(Policy.simple(2, 3), [Custodian("Ana"), Custodian("Ben"), Custodian("Chen")])

    clock.advance(40)  # reading the runbook, filling in the trigger
    flow.authorise("INC-77", flow.config.triggers[1], "Ana", ["Ben"])
    flow.wizard.next()
    clock.advance(300)  # convening the custodians: the slow part
    flow.offer_text(s.shares[2].qr_texts()[0], "camera")
    flow.offer_text(s.shares[2].qr_texts()[0], "typed")  # a duplicate on the way
    flow.offer_text(s.shares[0].qr_texts()[0], "camera")
    flow.wizard.next()
    clock.advance(2)
    flow.run_reconstruction()
    flow.wizard.next()
    clock.advance(20)
    flow.wizard.next()
    clock.advance(8)
    flow.wizard.finish()

    report = drill_report(flow, timer, notes=["Chen did not see the page for 4 minutes"])
    assert [(t.step, t.seconds) for t in report.steps] == [
        ("trigger", 40.0),
        ("collect", 300.0),
        ("reconstruct", 2.0),
        ("reveal", 20.0),
        ("after", 8.0),
    ]
    assert report.slowest is not None and report.slowest.step == "collect"
    assert report.total_seconds == 370.0
    assert report.outcome == "reconstructed"
    assert report.policy == "2-of-3" and report.set_fingerprint == s.fingerprint_text
    assert report.notes[0] == "Chen did not see the page for 4 minutes"
    assert any("refused" in n and "share 3 of 3 (Chen) (duplicate)" in n for n in report.notes)
    assert any("Collect shares" in n and "81%" in n for n in report.notes)
    text = report.text()
    assert "Collect shares" in text and "5 min 00 s  ← slowest" in text
    assert "Total" in text and "6 min 10 s" in text

    record_drill(audit, report)
    timed = [e.fields for e in audit.events if e.kind == "step_timed"]
    assert timed[1] == {"step": "collect", "seconds": 300.0} and len(timed) == 5
    started = [e for e in audit.events if e.kind == "reconstruction_started"]
    assert len(started) == 1 and started[0].fields["drill"] is True


def test_a_cancelled_drill_still_reports_where_it_stopped() -> None:
    clock = ManualClock()
    audit = MemoryReconstructionRecorder(clock)
    flow = ReconstructFlow(audit, clock=clock, drill=True)
    timer = StepTimer(flow.wizard, clock)
    flow.authorise("INC-1", flow.config.triggers[0], "Ana")
    flow.wizard.next()
    clock.advance(900)
    flow.wizard.cancel()
    report = drill_report(flow, timer)
    assert report.outcome == "cancelled"
    assert [(t.step, t.seconds) for t in report.steps] == [("trigger", 0.0), ("collect", 900.0)]
