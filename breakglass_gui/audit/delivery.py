"""Background delivery of queued audit entries to one mirror (the GUI's trail uses it).

Every new entry is first put in the registry's persistent mirror queue (write-ahead, in
``AuditTrail._mirror``, on the recording thread). A :class:`MirrorSender` then delivers that
mirror's queue on a thread of its own: in seq order, each entry removed from the queue only
after the mirror took it. So recording never waits on the network, and an entry is never lost:
whatever is not delivered when the program stops (a crash, a kill, a closed window, a mirror
that is down) stays queued and the next flush or start delivers it. An entry the mirror took
just before a crash, but whose removal from the queue did not reach the disk, is delivered
again (at least once; every copy carries its seq and hash, so a duplicate is recognisable).

SQLite: the sender never touches the recording thread's connection (Python's ``sqlite3``
refuses a connection used from another thread). It opens its own ``Registry`` connection to
the same file, for as long as it has work, and closes it when idle; the registry is in WAL
mode with a busy timeout, so the two connections' short transactions simply take turns.

One thread per mirror, started when there is something to send and ended when the queue is
empty, so a hanging mirror delays neither the window nor the other mirrors, and an idle trail
has no thread. A mirror whose delivery failed is not retried for every new entry (each try can
take the network timeout): its thread tries again :data:`RETRY_S` after the failure by itself
(so a mirror that comes back gets its backlog without anyone doing anything), or at once when
a gate check asks (``kick(force=True)``), until the queue is empty or the trail is closed.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path

from breakglass_gui.platform.files import try_exclusive_lock

from .log import Entry, read_entries
from .mirrors import Mirror, MirrorError
from .registry import Registry

__all__ = [
    "DELIVERY_LOCK_PREFIX",
    "RETRY_S",
    "MirrorSender",
    "delivery_lock",
    "delivery_lock_path",
    "local_queue_failure",
]

#: one lock file per mirror in the home (``flock``): one delivery pass at a time, whoever runs it
DELIVERY_LOCK_PREFIX = "mirror-delivery."

#: after a failed delivery, new entries wait this long (or for a gate check) before a retry
RETRY_S = 30.0


class MirrorSender:
    """Delivers one mirror's queue on a background thread; see the module's text."""

    def __init__(self, mirror: Mirror, log_path: Path, registry_path: Path) -> None:
        self.mirror = mirror
        self.name = mirror.name
        self._log_path = log_path
        self._registry_path = registry_path
        self._cond = threading.Condition()
        self._wanted = 0  # passes asked for (each covers every entry queued before it)
        self._done = 0  # the highest pass finished
        self._forced = False
        self._error: str | None = None  # why the last pass left entries queued
        self._failed_at: float | None = None
        self._delivered = 0  # entries delivered so far (progress, for waiters)
        self._known: dict[int, Entry] = {}  # entries handed over in memory (no log read)
        self._taken: set[int] = set()  # the mirror took them; their queue rows stay (disk)
        self._thread: threading.Thread | None = None
        self._retrying = False  # the thread waits to try a failed mirror again
        self._stopping = False

    @property
    def running(self) -> bool:
        with self._cond:
            return self._thread is not None

    def kick(self, entries: Sequence[Entry] = (), *, force: bool = False) -> int:
        """Ask for a pass over the queue: it delivers everything queued before this call
        (``entries``: new ones already queued, handed over so the log need not be read).
        ``force``: try now even if the mirror failed moments ago. Returns the pass's ticket
        for :meth:`wait`."""
        with self._cond:
            for e in entries:
                self._known[e.seq] = e
            self._wanted += 1
            self._forced = self._forced or force
            ticket = self._wanted
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name=f"audit mirror {self.name}", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()  # a thread waiting to retry takes the new pass
            return ticket

    def wait(self, ticket: int, patience: float) -> str | None:
        """Wait until pass ``ticket`` has run: None when it left nothing queued, else why not.
        Waits as long as the mirror keeps taking entries; gives up after ``patience`` seconds
        without one (the entries stay queued)."""
        with self._cond:
            progress = self._delivered
            deadline = time.monotonic() + patience
            while self._done < ticket:
                if self._stopping:
                    return f"{self.name}: not delivered, the audit trail was closed"
                left = deadline - time.monotonic()
                if left <= 0:
                    return (
                        f"{self.name}: entries not yet delivered (the mirror took none in "
                        f"{patience:g} s)"
                    )
                self._cond.wait(left)
                if self._delivered != progress:
                    progress = self._delivered
                    deadline = time.monotonic() + patience
            return self._error

    def forget(self) -> None:
        """A new chain started (``audit reset``): entries handed over so far belong to the old
        one; the next pass reads what it sends from the new log."""
        with self._cond:
            self._known.clear()
            self._taken.clear()

    def close(self, deadline: float) -> None:
        """Let delivery go on until ``deadline`` (``time.monotonic``), then stop. A send under
        way ends by itself (the mirror's timeout); what is left stays queued."""
        with self._cond:
            while self._thread is not None and not self._retrying and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            self._stopping = True
            self._cond.notify_all()

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        registry: Registry | None = None
        try:
            while True:
                with self._cond:
                    if not self._stopping and self._done >= self._wanted:
                        self._wait_to_retry()
                    if self._stopping or self._done >= self._wanted:
                        self._thread = None
                        self._cond.notify_all()
                        return
                    ticket = self._wanted
                    resting = (
                        not self._forced
                        and self._failed_at is not None
                        and time.monotonic() - self._failed_at < RETRY_S
                    )
                    self._forced = False
                    error = self._error
                if not resting:
                    try:
                        if registry is None:
                            registry = Registry(self._registry_path)
                        error = self._deliver(registry)
                    except Exception as exc:  # any failure: the queue stays as it is
                        error = f"{self.name}: {exc}" if str(exc) else f"{self.name}: {exc!r}"
                with self._cond:
                    self._done = max(self._done, ticket)
                    if not resting:
                        self._error = error
                        self._failed_at = time.monotonic() if error is not None else None
                    self._cond.notify_all()
        except BaseException:
            with self._cond:
                self._thread = None
                self._cond.notify_all()
            raise
        finally:
            if registry is not None:
                registry.close()

    def _wait_to_retry(self) -> None:
        """(Under the lock, nothing asked for.) After a failed delivery, wait until
        :data:`RETRY_S` after the failure, a new request or the close; then ask for a pass
        ourselves, so the queue left behind is tried again."""
        self._retrying = True
        self._cond.notify_all()  # a close waiting for delivery to end need not wait for this
        try:
            while (
                self._error is not None
                and self._failed_at is not None
                and not self._stopping
                and self._done >= self._wanted
            ):
                left = self._failed_at + RETRY_S - time.monotonic()
                if left <= 0:
                    self._wanted += 1
                    self._forced = True
                    break
                self._cond.wait(left)
        finally:
            self._retrying = False

    def _deliver(self, registry: Registry) -> str | None:
        """Send the queue in seq order, dequeuing each entry once the mirror took it; stop at
        the first failure (None: nothing left queued). Holds this mirror's delivery lock for
        the pass (waiting for it as long as another process or thread delivers, unless the
        trail closes) and reads the queue under it, again until it is empty, so what another
        process delivered meanwhile is not sent twice and what it queued meanwhile goes too."""

        def closing() -> bool:
            with self._cond:
                return self._stopping

        with delivery_lock(self._registry_path.parent, self.name, math.inf, closing) as held:
            if not held:
                return f"{self.name}: not delivered, the audit trail was closed"
            while True:
                seqs = registry.queued(self.name)
                if not seqs:
                    return None
                why = self._send_queued(registry, seqs)
                if why is not None:
                    return why

    def _send_queued(self, registry: Registry, seqs: Sequence[int]) -> str | None:
        with self._cond:
            by_seq = {seq: self._known[seq] for seq in seqs if seq in self._known}
        missing = set(seqs) - set(by_seq)
        if missing:
            by_seq.update({e.seq: e for e in read_entries(self._log_path) if e.seq in missing})
        for seq in seqs:
            with self._cond:
                if self._stopping:
                    return f"{self.name}: not delivered, the audit trail was closed"
            entry = by_seq.get(seq)
            if entry is not None and seq not in self._taken:
                try:
                    self.mirror.send(entry, entry.text())
                except Exception as exc:  # MirrorError, or a bug of the mirror
                    why = str(exc) if isinstance(exc, MirrorError) else f"{self.name}: {exc!r}"
                    _note_failure(registry, self.name, why)
                    return why
            try:
                registry.dequeue(self.name, seq)
            except (sqlite3.Error, OSError) as exc:
                self._taken.add(seq)  # not sent again by this run, only dequeued
                why = local_queue_failure(self.name, seq, exc)
                _note_failure(registry, self.name, why)
                return why
            self._taken.discard(seq)
            with self._cond:
                self._known.pop(seq, None)
                self._delivered += 1
                self._cond.notify_all()
        with self._cond:  # entries another process delivered are no longer needed here
            for seq in [s for s in self._known if s <= seqs[-1]]:
                self._known.pop(seq, None)
        return None


def local_queue_failure(mirror: str, seq: int, exc: BaseException) -> str:
    """Why delivery stopped when the mirror took entry ``seq`` but its queue row could not be
    removed: a local failure (disk full, I/O error, read-only registry), not the mirror's."""
    return (
        f"{mirror}: took entry {seq}, but this computer could not remove it from the local "
        f"mirror queue ({exc}): a local disk or registry failure, not the mirror. Free space "
        "or fix the data directory; the entry is not sent again by this run, and a later run "
        "may send it once more (same seq and hash)"
    )


def _note_failure(registry: Registry, mirror: str, why: str) -> None:
    """Count a failed attempt in the queue; best effort (the registry may be what fails)."""
    with suppress(sqlite3.Error, OSError):
        registry.queue_failed(mirror, why)


def delivery_lock_path(home: Path, mirror: str) -> Path:
    """The lock file that makes delivery to ``mirror`` one pass at a time in ``home``."""
    digest = hashlib.sha256(mirror.encode("utf-8")).hexdigest()[:16]
    return home / f"{DELIVERY_LOCK_PREFIX}{digest}.lock"


def delivery_lock(
    home: Path, mirror: str, wait: float, give_up: Callable[[], bool] | None = None
) -> AbstractContextManager[bool]:
    """Hold delivery to ``mirror`` in ``home`` (an exclusive ``flock``, across processes and
    threads) for one pass: yields False when it was not had within ``wait`` seconds."""
    return try_exclusive_lock(delivery_lock_path(home, mirror), wait, give_up=give_up)
