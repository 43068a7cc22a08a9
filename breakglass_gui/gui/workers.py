"""Long work off the GUI thread: pool workers that report back through signals.

``run_task(fn, on_done, on_failed, context=widget)`` runs ``fn()`` on the global
``QThreadPool``; its result (or a one-line error) comes back as a queued signal handled on
the GUI thread. If ``context`` has been destroyed by then, the callback is dropped (as
KeePassXC's ``AsyncTask::runThenCallback``), so a closed wizard never receives a late result.
Only the GUI thread touches widgets; nothing spins on ``processEvents()``.

Results must not be secrets: pass secrets by reference through the ceremony state, and
return only what the page needs (a share set, a path, a yes/no).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

__all__ = ["Task", "pending_tasks", "run_task", "wait_for_tasks"]

_live: set[Task] = set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class Task(QRunnable):
    """One call of ``fn`` on a pool thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = _Signals()

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except OSError as exc:  # a full disk, a missing printer, a vanished folder
            reason = exc.strerror or str(exc) or type(exc).__name__
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            self.signals.failed.emit(f"{reason}{where}")
        except Exception as exc:
            # One line for the person; the type only, never the traceback's locals.
            message = str(exc) or type(exc).__name__
            self.signals.failed.emit(message.splitlines()[0] if message else "failed")
            traceback.clear_frames(exc.__traceback__)
        else:
            self.signals.done.emit(result)
            del result


def _alive(obj: QObject | None) -> bool:
    return obj is None or shiboken6.isValid(obj)


def run_task(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None],
    *,
    context: QObject | None = None,
) -> Task:
    """Run ``fn`` off the GUI thread; call back on the GUI thread if ``context`` still lives."""
    task = Task(fn)
    _live.add(task)

    def done(result: Any) -> None:
        _live.discard(task)
        if _alive(context):
            on_done(result)

    def failed(message: str) -> None:
        _live.discard(task)
        if _alive(context):
            on_failed(message)

    # The signals object lives in the GUI thread: emissions from the pool are queued to it.
    task.signals.done.connect(done)
    task.signals.failed.connect(failed)
    QThreadPool.globalInstance().start(task)
    return task


def pending_tasks() -> int:
    """Tasks started whose result has not been delivered yet."""
    return len(_live)


def wait_for_tasks(msecs: int = 30000) -> bool:
    """Block until the pool is idle (used at exit; results still arrive as queued events)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
