"""What the main window shows about each share set, worked out without any UI.

One :class:`SetRow` per set: its status, the age of its last drill (quarterly rehearsal is
the practice), how many of its shares have not been checked in for a year, and its bypass
rate (real break-glass uses in the last 90 days against the 90 before: the leading indicator
of a slipping boundary; flagged by the one rule of ``audit/bypass.py``). ``attention()``
lists, in words, what the host should act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from breakglass_gui.audit.bypass import RULE_WORDS, WINDOW_DAYS, BypassRate

from .ports import SetRecord

__all__ = [
    "BYPASS_RULE",
    "CHECKIN_INTERVAL_DAYS",
    "DRILL_INTERVAL_DAYS",
    "SetRow",
    "rows_from_records",
]

DRILL_INTERVAL_DAYS = 92  # a quarter
CHECKIN_INTERVAL_DAYS = 365
BYPASS_WINDOW_DAYS = WINDOW_DAYS
#: the rule behind "is break-glass becoming routine?", in words (one rule: audit/bypass.py)
BYPASS_RULE = (
    f"Bypass rate, per credential: real uses (never drills or refused attempts) in the last "
    f"{WINDOW_DAYS} days against the {WINDOW_DAYS} before, {RULE_WORDS}."
)


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


@dataclass(frozen=True)
class SetRow:
    fingerprint: str
    label: str
    policy: str
    status: str  # "active" | "rotation-due" | "retired"
    created: dt.date
    shares: int
    last_drill: dt.date | None = None
    stale_shares: tuple[int, ...] = ()  # not checked in for a year (or ever, if set is a year old)
    real_uses: int = 0  # real reconstructions in the last BYPASS_WINDOW_DAYS
    previous_uses: int = 0  # and in the BYPASS_WINDOW_DAYS before those

    def status_text(self) -> str:
        return {
            "active": "Active",
            "rotation-due": "Rotation due",
            "retired": "Retired",
        }.get(self.status, self.status)

    def drill_text(self, today: dt.date) -> str:
        if self.last_drill is None:
            return "never drilled"
        days = _days(self.last_drill, today)
        when = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
        return f"{self.last_drill.isoformat()} ({when})"

    def drill_overdue(self, today: dt.date) -> bool:
        since = self.last_drill or self.created
        return self.status != "retired" and _days(since, today) > DRILL_INTERVAL_DAYS

    def checkin_text(self) -> str:
        if not self.stale_shares:
            return "all checked in"
        n = len(self.stale_shares)
        return f"{n} share{'s' if n != 1 else ''} not seen for a year"

    def bypass_text(self) -> str:
        uses = "use" if self.real_uses == 1 else "uses"
        return f"{self.real_uses} real {uses} / {BYPASS_WINDOW_DAYS} days"

    def attention(self, today: dt.date) -> list[str]:
        """What to do about this set, most urgent first (empty when all is well)."""
        if self.status == "retired":
            return []
        out = []
        if self.status == "rotation-due":
            out.append("Rotate: the credential was used; split a new one and retire this set.")
        if self.drill_overdue(today):
            out.append("Run a drill: none this quarter.")
        if self.stale_shares:
            numbers = ", ".join(map(str, self.stale_shares))
            out.append(f"Check in share(s) {numbers}: not confirmed for a year.")
        rate = BypassRate(0, self.real_uses, self.previous_uses)
        if rate.rising:
            out.append(f"Review: {rate.words()}")
        return out


def rows_from_records(records: Iterable[SetRecord], today: dt.date) -> list[SetRow]:
    """Rows from the ports' ``SetRecord``s (their ``metadata`` may carry drill/check-in facts)."""
    rows = []
    for r in records:
        meta = dict(r.metadata)
        drill = meta.get("last_drill")
        checkins = meta.get("checkins") or {}
        total = int(meta.get("total_shares") or len(r.custodians) or 0)
        stale: list[int] = []
        if _days(r.created, today) > CHECKIN_INTERVAL_DAYS:
            for k in range(1, total + 1):
                seen = checkins.get(k) or checkins.get(str(k))
                if seen is None or _days(dt.date.fromisoformat(str(seen)[:10]), today) > 365:
                    stale.append(k)
        rows.append(
            SetRow(
                r.fingerprint,
                r.label,
                r.policy,
                r.status,
                r.created,
                total,
                dt.date.fromisoformat(str(drill)[:10]) if drill else None,
                tuple(stale),
                int(meta.get("real_uses") or 0),
                int(meta.get("previous_uses") or 0),
            )
        )
    return rows
