"""Drills: the break-glass flow rehearsed on a drill set, timed step by step.

"Teams that have never rehearsed a break-glass procedure cannot, in practice, use it under
load." A drill runs exactly the reconstruction flow (``ReconstructFlow(drill=True)``), with a
drill set made here from a throwaway secret when none is at hand. :class:`StepTimer` stamps
every step change with the injected clock; :func:`drill_report` turns the stamps into
per-step durations, the slowest step and notes; :func:`record_drill` writes the timings as
``step_timed`` audit events of the drill ceremony (never real use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, random_key, split_credential

from .ports import Clock, ReconstructionRecorder
from .reconstruct_flow import ReconstructFlow
from .wizard import Wizard

__all__ = [
    "DrillReport",
    "StepTime",
    "StepTimer",
    "drill_report",
    "make_drill_set",
    "record_drill",
]

DRILL_LABEL = "DRILL — throwaway secret"


def make_drill_set(
    policy: Policy | None = None,
    custodians: Sequence[Custodian] = (),
    *,
    label: str = DRILL_LABEL,
    secret_length: int = 24,
    created: dt.date | None = None,
) -> ShareSet:
    """A drill set: a freshly generated throwaway secret, split and then wiped.

    Nobody ever needs its value, so nothing keeps it: the drill proves the shares combine.
    """
    with random_key(secret_length) as throwaway:
        return split_credential(
            throwaway,
            policy=policy or Policy.simple(2, 3),
            label=label,
            custodians=custodians,
            created=created,
            drill=True,
        )


@dataclass(frozen=True)
class StepTime:
    step: str
    title: str
    seconds: float


class StepTimer:
    """Stamps each step of a wizard as it is entered and left, with the given clock."""

    def __init__(self, wizard: Wizard, clock: Clock) -> None:
        self.wizard = wizard
        self.clock = clock
        self.started = clock.now()
        self._current = wizard.current
        self._entered = self.started
        self.spans: list[tuple[str, dt.datetime, dt.datetime]] = []
        self.ended: dt.datetime | None = None
        wizard.subscribe(self._moved)

    def _moved(self, wizard: Wizard) -> None:
        now = self.clock.now()
        if wizard.current != self._current or not wizard.running:
            self.spans.append((self._current, self._entered, now))
            self._current = wizard.current
            self._entered = now
        if not wizard.running and self.ended is None:
            self.ended = now
            wizard.unsubscribe(self._moved)

    def times(self) -> list[StepTime]:
        """Total time per step in the order first visited (a step visited twice is summed)."""
        spans = list(self.spans)
        if self.ended is None:
            spans.append((self._current, self._entered, self.clock.now()))
        order: list[str] = []
        total: dict[str, float] = {}
        for step, start, end in spans:
            if step not in total:
                order.append(step)
                total[step] = 0.0
            total[step] += (end - start).total_seconds()
        return [StepTime(s, self.wizard.steps[s].title or s, total[s]) for s in order]


@dataclass(frozen=True)
class DrillReport:
    incident: str
    set_fingerprint: str
    policy: str
    started: dt.datetime
    steps: tuple[StepTime, ...]
    outcome: str  # "reconstructed" | "failed" | "cancelled"
    notes: tuple[str, ...] = field(default=())

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def slowest(self) -> StepTime | None:
        return max(self.steps, key=lambda s: s.seconds) if self.steps else None

    def fields(self) -> dict[str, Any]:
        slow = self.slowest
        return {
            "incident": self.incident,
            "set": self.set_fingerprint,
            "policy": self.policy,
            "outcome": self.outcome,
            "steps": {s.step: round(s.seconds, 3) for s in self.steps},
            "total_seconds": round(self.total_seconds, 3),
            "slowest": slow.step if slow else "",
            "notes": list(self.notes),
        }

    def text(self) -> str:
        slow = self.slowest
        lines = [
            f"Drill report — {self.incident} — {self.started:%Y-%m-%d %H:%M} UTC",
            f"Set {self.set_fingerprint or '—'} ({self.policy or 'policy unknown'}): "
            f"{self.outcome}",
            "",
        ]
        width = max((len(s.title) for s in self.steps), default=10)
        for s in self.steps:
            mark = "  ← slowest" if slow is not None and s is slow else ""
            lines.append(f"  {s.title:<{width}}  {_duration(s.seconds):>8}{mark}")
        lines.append(f"  {'Total':<{width}}  {_duration(self.total_seconds):>8}")
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def drill_report(flow: ReconstructFlow, timer: StepTimer, notes: Sequence[str] = ()) -> DrillReport:
    """Sum up a drill: per-step durations, the slowest step, and notes (given and observed)."""
    times = timer.times()
    observed: list[str] = list(notes)
    refused = [e for e in flow.events if e.kind == "share_refused"]
    if refused:
        observed.append(
            f"{len(refused)} share(s) refused on the way: "
            + "; ".join(f"{e.fields.get('share_desc', '')} ({e.note})" for e in refused)
        )
    slow = max(times, key=lambda s: s.seconds) if times else None
    total = sum(s.seconds for s in times)
    if slow is not None and total > 0 and slow.seconds / total >= 0.5:
        observed.append(
            f"'{slow.title}' took {slow.seconds / total:.0%} of the drill: the bottleneck to fix"
        )
    if flow.outcome.error:
        observed.append(f"reconstruction failed: {flow.outcome.error}")
    if flow.outcome.not_shown:
        observed.append(flow.outcome.not_shown)
    if flow.outcome.fingerprint:
        outcome = "reconstructed"
    elif flow.wizard.status.value == "cancelled":
        outcome = "cancelled"
    else:
        outcome = "failed"
    auth = flow.authorisation
    return DrillReport(
        incident=auth.incident.strip() if auth else "",
        set_fingerprint=flow.outcome.fingerprint,
        policy=flow.outcome.policy,
        started=timer.started,
        steps=tuple(times),
        outcome=outcome,
        notes=tuple(observed),
    )


def record_drill(recorder: ReconstructionRecorder, report: DrillReport) -> None:
    """Record the drill's timings (``step_timed`` per step) in the drill's ceremony.

    The ceremony itself was opened as a drill by ``reconstruction_started`` (``drill`` true),
    so none of this counts as real use.
    """
    for step in report.steps:
        recorder.step_timed(step.step, round(step.seconds, 3))
