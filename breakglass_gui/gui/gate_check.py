"""The reveal gate's mirror check, off the GUI thread.

A gate check asks every configured audit mirror whether it has the record; an unreachable
mirror answers only when the network gives up (``audit.mirrors.TIMEOUT`` per mirror), which on
the GUI thread froze the window that long. :class:`GateCheck` runs the network part
(``ReconstructFlow.probe_gate``: the mirrors only, no log, no registry, no secret) on the pool
through :func:`.workers.run_task`, and hands the mirrors' answers back on the GUI thread, where
the page applies them (``flow.check_gate(probed)``, ``flow.reveal(probed=...)``, ...). What
the gate requires stays in ``ceremony/`` and ``audit/``; this only moves the waiting.

A check that answers within :data:`INSTANT_S` (no mirror, or mirrors that answer at once) is
applied before :meth:`GateCheck.start` returns, so the common case shows no "Checking…" flash
and keeps the same order of events as before; the window waits no longer than that. A slower
check is delivered when it returns while the page says "Checking the audit mirror…" and keeps
Next, Reveal and Copy disabled; Cancel and wipe still works. :meth:`GateCheck.cancel` (leaving
the step, a wipe, closing the window) drops a result still on its way: it never reaches the
page, so a late "open" can never reveal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from breakglass_gui.ceremony.ports import GateProbe
from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow

from .workers import run_task

__all__ = ["INSTANT_S", "GateCheck", "GateResult"]

#: how long the GUI thread waits for a check before it says "Checking…" and lets it run on
INSTANT_S = 0.25

#: (the mirrors' answers, or None when the check itself failed; the failure in one line)
GateResult = Callable[[GateProbe | None, str], None]


class GateCheck(QObject):
    """One reveal-gate check at a time for a page; a new start supersedes the last."""

    busy_changed = Signal(bool)

    def __init__(self, flow: ReconstructFlow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.busy = False
        self._generation = 0

    def start(self, on_result: GateResult) -> None:
        """Probe the mirrors off the GUI thread; ``on_result`` runs on the GUI thread unless
        the check is cancelled or superseded first."""
        self._generation += 1
        generation = self._generation
        finished = threading.Event()
        outcome: list[tuple[GateProbe | None, str]] = []
        probe = self.flow.probe_gate

        def work() -> GateProbe:
            try:
                probed = dict(probe())
            except Exception as exc:
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                outcome.append((None, message))
                raise
            else:
                outcome.append((probed, ""))
                return probed
            finally:
                finished.set()

        def done(probed: object) -> None:
            self._deliver(generation, on_result, outcome)

        def failed(message: str) -> None:
            self._deliver(generation, on_result, outcome or [(None, message)])

        run_task(work, done, failed, context=self)
        if finished.wait(INSTANT_S) and outcome:
            self._generation += 1  # the queued delivery of this check is dropped
            probed, error = outcome[0]
            on_result(probed, error)
            return
        self._set_busy(True)

    def cancel(self) -> None:
        """Drop a check still on its way (its thread ends by itself when the network answers)."""
        self._generation += 1
        self._set_busy(False)

    def _deliver(
        self,
        generation: int,
        on_result: GateResult,
        outcome: list[tuple[GateProbe | None, str]],
    ) -> None:
        if generation != self._generation:
            return  # cancelled, superseded, or already applied at once
        self._set_busy(False)
        probed, error = outcome[0] if outcome else (None, "no answer")
        on_result(probed, error)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)
