"""The one rule that calls a credential's bypass rate rising, at its boundaries.

The rule (``audit/bypass.py``): flagged when the last 90 days have at least 2 real uses and
more than the 90 days before. A use exactly 90 days ago is one of the last 90 days; one
exactly 180 days ago is one of the 90 before. Drills and refused or aborted attempts never
count. The trail's ``attention()`` (main window), ``report()`` (``breakglass report``) and the
main window's rows all go through it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from breakglass_gui.audit.bypass import BypassRate, is_rising
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.adapters import trail_rows
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import ShareSet, split_credential

try:
    from test_audit_support import SECRET
except ImportError:  # pragma: no cover
    from .test_audit_support import SECRET

NOW = dt.datetime(2026, 6, 22, 3, 14, 9, tzinfo=dt.UTC)
FLAG = "is break-glass becoming routine?"


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.mark.parametrize(
    ("current", "previous", "rising"),
    [
        (0, 0, False),
        (1, 0, False),  # one use after a quiet quarter: what break-glass is for
        (1, 1, False),
        (2, 1, True),
        (3, 1, True),
        (2, 2, False),
        (2, 0, True),
        (1, 5, False),
        (5, 4, True),
        (4, 4, False),
    ],
)
def test_the_rule(current: int, previous: int, rising: bool) -> None:
    assert is_rising(current, previous) is rising
    rate = BypassRate(7, current, previous)
    assert rate.rising is rising
    assert (FLAG in rate.words()) is rising


def test_the_words() -> None:
    assert BypassRate(1, 3, 1).words() == (
        "3 uses / 90 d, was 1: is break-glass becoming routine? see follow-ups"
    )
    assert BypassRate(1, 1, 0).words() == "1 use / 90 d, was 0"
    assert BypassRate(1, 2, 2).words() == "2 uses / 90 d, was 2"


def _trail(tmp_path: Path, clock: Clock) -> tuple[AuditTrail, ShareSet, int]:
    policy = Policy.simple(2, 3)
    s = split_credential(SECRET, policy=policy, label="db")
    trail = AuditTrail(tmp_path / "h", clock=clock)
    clock.now = NOW - dt.timedelta(days=400)
    trail.split_finished(trail.split_started(label="db", policy=policy), s)
    rec = trail.registry.get_set(s.fingerprint_text)
    assert rec is not None
    return trail, s, rec.credential_id


_N = iter(range(1, 10_000))


def _use(trail: AuditTrail, clock: Clock, s: ShareSet, ago: dt.timedelta) -> None:
    """One real use, started ``ago`` before NOW (its own incident)."""
    clock.now = NOW - ago
    fp = s.fingerprint_text
    cid = trail.reconstruction_started(incident=f"INC-{next(_N)}", operator="ana", set_fp=fp)
    trail.quorum_reached(cid, fp, list(s.shares[:2]))
    trail.reconstruction_finished(cid, "reconstructed, never shown", fp)


def _not_uses(trail: AuditTrail, clock: Clock, s: ShareSet, ago: dt.timedelta) -> None:
    """A drill, a refused attempt and a failed one, started ``ago`` before NOW."""
    clock.now = NOW - ago
    fp = s.fingerprint_text
    cid = trail.reconstruction_started(drill=True, set_fp=fp)
    trail.quorum_reached(cid, fp, list(s.shares[:2]))
    trail.reconstruction_finished(cid, "completed", fp)
    cid = trail.reconstruction_started(incident=f"INC-{next(_N)}", operator="bo")
    trail.share_refused(cid, "share 3 of 3", "below the quorum", fp)
    trail.ceremony_aborted(cid, "quorum not reached")
    cid = trail.reconstruction_started(incident=f"INC-{next(_N)}", operator="bo", set_fp=fp)
    trail.reconstruction_finished(cid, "failed", fp)


def _flagged_everywhere(trail: AuditTrail, clock: Clock, credential: int) -> bool:
    """Whether the trail's attention lines, the report and the main window's rows flag the
    credential; they must agree."""
    clock.now = NOW
    rate = trail.bypass_rate(credential)
    attention = any(FLAG in line for line in trail.attention())
    (cred,) = trail.report()["credentials"]
    report = bool(cred["bypass_rate_rising"]) and FLAG in cred["uses_words"]
    rows = [r for r in trail_rows(trail) if r.status != "retired"]
    row = any(FLAG in t for r in rows for t in r.attention(NOW.date()))
    assert {rate.rising, attention, report, row} == {rate.rising}, (attention, report, row)
    assert cred["uses_words"] == rate.words()
    return rate.rising


DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("before", "last", "rising"),
    [((), (10,), False), ((100,), (10,), False), ((100,), (10, 20), True),
     ((100, 150), (10, 20), False), ((100,), (10, 20, 30), True), ((), (), False)],
)  # fmt: skip
def test_the_trail_report_and_rows_flag_alike(
    tmp_path: Path, before: tuple[int, ...], last: tuple[int, ...], rising: bool
) -> None:
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        for ago in (*before, *last):
            _use(trail, clock, s, ago * DAY)
        for ago in (5, 40, 60, 89):  # drills, refused and failed attempts: never uses
            _not_uses(trail, clock, s, ago * DAY)
        clock.now = NOW
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (len(last), len(before))
        assert _flagged_everywhere(trail, clock, credential) is rising
        if (len(before), len(last)) == (1, 3):
            (cred,) = trail.report()["credentials"]
            assert cred["uses_words"] == (
                "3 uses / 90 d, was 1: is break-glass becoming routine? see follow-ups"
            )
            assert f"db: {cred['uses_words']} (0 follow-ups open)" in trail.attention()


def test_refused_and_drills_alone_never_flag(tmp_path: Path) -> None:
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        for ago in (1, 2, 3, 4, 5, 6):
            _not_uses(trail, clock, s, ago * DAY)
        clock.now = NOW
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (0, 0)
        assert not _flagged_everywhere(trail, clock, credential)


@pytest.mark.parametrize(
    ("ago", "window"),
    [
        (90 * DAY, "last"),  # exactly 90 days ago: one of the last 90 days
        (90 * DAY - dt.timedelta(seconds=1), "last"),
        (90 * DAY + dt.timedelta(seconds=1), "before"),
        (180 * DAY, "before"),  # exactly 180 days ago: one of the 90 before
        (180 * DAY + dt.timedelta(seconds=1), None),  # older: in neither
        (dt.timedelta(0), "last"),  # right now
    ],
)
def test_the_window_edges(tmp_path: Path, ago: dt.timedelta, window: str | None) -> None:
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        _use(trail, clock, s, ago)
        clock.now = NOW
        rate = trail.bypass_rate(credential)
        expected = {"last": (1, 0), "before": (0, 1), None: (0, 0)}[window]
        assert (rate.current, rate.previous) == expected


def test_a_second_use_at_the_edge_flags_and_the_next_second_does_not(tmp_path: Path) -> None:
    """1 -> 2 flags when the older use is exactly 90 days ago (both in the last window);
    a second later it has moved to the window before: 1 against 1, not flagged."""
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        _use(trail, clock, s, 90 * DAY)
        _use(trail, clock, s, 2 * DAY)
        assert _flagged_everywhere(trail, clock, credential)  # 2 in the last 90 d, was 0
        clock.now = NOW + dt.timedelta(seconds=1)
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous, rate.rising) == (1, 1, False)


def _use_under(
    trail: AuditTrail, clock: Clock, s: ShareSet, incident: str, ago: dt.timedelta
) -> None:
    """A reconstruction that recovered the credential under ``incident``, ``ago`` before NOW."""
    clock.now = NOW - ago
    fp = s.fingerprint_text
    cid = trail.reconstruction_started(incident=incident, operator="ana", set_fp=fp)
    trail.quorum_reached(cid, fp, list(s.shares[:2]))
    trail.reconstruction_finished(cid, "reconstructed, never shown", fp)


def test_retries_under_one_incident_are_one_use(tmp_path: Path) -> None:
    """A tired operator's retry (combine refused at the announcement gate, then run again with
    --announced) is the same break-glass use, not a second one that would flag the credential."""
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        _use_under(trail, clock, s, "INC-77", 3 * DAY)
        _use_under(trail, clock, s, "INC-77", 3 * DAY - dt.timedelta(minutes=2))
        _use_under(trail, clock, s, " inc-77 ", 3 * DAY - dt.timedelta(minutes=5))
        clock.now = NOW
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (1, 0)
        assert not _flagged_everywhere(trail, clock, credential)
        _use_under(trail, clock, s, "INC-78", DAY)  # another incident: a second use, flagged
        clock.now = NOW
        assert (trail.bypass_rate(credential).current, trail.bypass_rate(credential).previous) == (
            2,
            0,
        )
        assert _flagged_everywhere(trail, clock, credential)


def test_an_incident_counts_in_the_window_of_its_first_use(tmp_path: Path) -> None:
    """An incident whose retry falls on the other side of the 90-day edge is counted once, in
    the window where it started."""
    clock = Clock(NOW)
    trail, s, credential = _trail(tmp_path, clock)
    with trail:
        _use_under(trail, clock, s, "INC-5", 90 * DAY + dt.timedelta(minutes=1))
        _use_under(trail, clock, s, "INC-5", 90 * DAY - dt.timedelta(minutes=1))
        clock.now = NOW
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (0, 1)
