"""The main window's per-set status, worked out headless."""

from __future__ import annotations

import datetime as dt

from breakglass_gui.ceremony.overview import SetRow, rows_from_records
from breakglass_gui.ceremony.ports import SetRecord

TODAY = dt.date(2026, 6, 1)


def test_fresh_set_needs_nothing() -> None:
    row = SetRow("A", "db", "2-of-3", "active", dt.date(2026, 5, 1), 3, dt.date(2026, 5, 20))
    assert row.attention(TODAY) == []
    assert row.drill_text(TODAY) == "2026-05-20 (12 days ago)"
    assert row.checkin_text() == "all checked in"
    assert row.bypass_text() == "0 real uses / 90 days"


def test_old_undrilled_used_set_asks_for_everything() -> None:
    rec = SetRecord(
        "B",
        "vault root",
        "3-of-5",
        dt.date(2025, 1, 1),
        status="rotation-due",
        metadata={
            "total_shares": 5,
            "checkins": {"1": "2026-01-02", 2: "2026-02-03"},
            "real_uses": 3,
        },
    )
    (row,) = rows_from_records([rec], TODAY)
    assert row.stale_shares == (3, 4, 5)
    assert row.drill_text(TODAY) == "never drilled"
    todo = row.attention(TODAY)
    assert todo[0].startswith("Rotate")
    assert any(t.startswith("Run a drill") for t in todo)
    assert any("3, 4, 5" in t for t in todo)
    # the one rule of audit/bypass.py: 3 real uses in the last 90 d, none before, flagged
    assert "Review: 3 uses / 90 d, was 0: is break-glass becoming routine? see follow-ups" in todo
    assert row.status_text() == "Rotation due"


def test_retired_sets_ask_for_nothing() -> None:
    row = SetRow("C", "old", "2-of-3", "retired", dt.date(2020, 1, 1), 3)
    assert row.attention(TODAY) == [] and not row.drill_overdue(TODAY)


def test_one_use_after_a_quiet_quarter_is_not_routine() -> None:
    """The rows flag by the same rule as the trail and the report: at least 2 real uses in
    the last 90 days, and more than the 90 before."""
    base = ("D", "db", "2-of-3", "active", dt.date(2026, 5, 1), 3, dt.date(2026, 5, 20))
    for uses, before, flagged in ((1, 0, False), (1, 1, False), (2, 1, True), (2, 2, False)):
        row = SetRow(*base, real_uses=uses, previous_uses=before)
        todo = row.attention(TODAY)
        assert any("becoming routine" in t for t in todo) is flagged, (uses, before, todo)
