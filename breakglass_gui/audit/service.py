"""``AuditTrail``: the one service the GUI, the CLI and the ceremony flows record through.

Every ceremony step is one method. Each appends a signed entry to the log (fsynced), updates
the registry, and sends the entry to every configured mirror (queueing it for later when a
mirror is down). Nothing here ever takes a secret or share material: shares are passed as
``Share`` objects only to read their public identity (set fingerprint, number, custodian).

For reconstructions, the reveal goes through a gate: with any mirror configured and the
``fail-closed`` policy (the default), the credential may only be revealed once every mirror
has the record of this ceremony, or after an override with a typed reason, which is itself
logged (and mirrored later).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.policy import Policy
from breakglass_gui.platform.dirs import ensure_private_dir, resolve_home
from breakglass_gui.platform.files import exclusive_lock

from .announce import ANCHOR_HEX, Announcement
from .bypass import RULE_WORDS, WINDOW_DAYS, BypassRate
from .delivery import MirrorSender, delivery_lock, local_queue_failure
from .keys import PRIVATE_NAME, KeyError_, PublicKey, SigningKey, load_public_key
from .log import (
    Anchor,
    AnchorFinding,
    AuditLog,
    Entry,
    VerifyCache,
    VerifyReport,
    check_anchor,
    read_entries,
    utc_now,
    verify_bytes,
    verify_file,
)
from .mirrors import (
    TIMEOUT,
    FileMirror,
    Mirror,
    MirrorConfigError,
    MirrorError,
    Settings,
    load_settings,
)
from .registry import CeremonyRecord, CustodianRecord, Registry, SetRecord
from .review import open_follow_ups, open_review

if TYPE_CHECKING:  # annotations only: the first window does not load the crypto
    from breakglass_gui.core.sealing import ShareSet
    from breakglass_gui.core.share import Share

__all__ = [
    "LOG_NAME",
    "REGISTRY_NAME",
    "AuditTrail",
    "BypassRate",
    "CeremonyError",
    "GateClosedError",
    "GateStatus",
    "RetiredShareError",
    "StaleShare",
    "TrailBrokenError",
]

LOG_NAME = "audit.log"
REGISTRY_NAME = "registry.sqlite3"
#: held (flock) across every read-modify-write of a review record, by every process
REVIEWS_LOCK_NAME = "reviews.lock"
KEYS_DIR = "keys"
CHECKIN_DAYS = 365
MIN_OVERRIDE_REASON = 8
FIRST_APPEND_ENTRIES = 3  # log_created (+ log_repaired) + the first event, in one append
#: Closing a trail that delivers in the background waits at most this long for the senders.
CLOSE_WAIT_S = 2.0
#: A gate check waits for a mirror's sender as long as it keeps taking entries, and gives up
#: after the mirror's network timeout plus this long without one.
SEND_PATIENCE_S = 2.0
#: A CLI command that records waits at most this long for another process's delivery pass to
#: the same mirror (then leaves its entries queued: that pass, a gate check or the next run
#: delivers them).
LOCK_WAIT_S = 1.0
#: Off only until every front end shows the announcement step (then on, for good).
REQUIRE_ANNOUNCEMENT = True

# Outcomes of ``reconstruction_finished`` in which the credential was reconstructed.
RECONSTRUCTED_OUTCOMES = frozenset({"revealed", "reconstructed, never shown"})


class CeremonyError(BreakglassError):
    """A ceremony step that cannot be recorded as asked (missing incident, unknown set...)."""


class RetiredShareError(BreakglassError):
    """A share of a retired set was presented."""


class GateClosedError(BreakglassError):
    """The reveal was attempted while a mirror is behind and no override was recorded."""


class TrailBrokenError(CeremonyError):
    """The audit trail is missing, re-keyed or fails verification: ceremonies stop."""


BROKEN_ADVICE = (
    "No ceremony can start until this is dealt with. Keep the files as evidence and run "
    "'breakglass audit verify' to see what is wrong; then restore the data directory from a "
    "backup or a mirror, or start a new, announced chain with "
    "'breakglass audit reset --reason TEXT'. In a real emergency a reconstruction can go on "
    "with a typed, recorded override (--broken-trail-override REASON, or the override in the "
    "app)."
)


@dataclass(frozen=True)
class GateStatus:
    open: bool
    policy: str
    unreachable: list[tuple[str, str]]  # (mirror name, why)
    overridden: bool = False
    needs_announcement: bool = False  # no mirror: only a posted announcement opens the gate
    added: tuple[str, ...] = ()  # mirrors added to the settings after this program started

    def explain(self) -> str:
        if self.needs_announcement:
            if self.overridden:
                return "no audit mirror; revealed without the announcement, override recorded"
            if self.open:
                return "no audit mirror; the announcement was posted to the incident channel"
            return (
                "no audit mirror is configured, so the only trace outside this laptop is the "
                "announcement: post it to the incident channel and confirm (type 'posted'; "
                "without a terminal: --announced), or override with a typed reason "
                "(--mirror-override REASON). The credential stays sealed until then"
            )
        if not self.unreachable:
            return "every mirror has the record of this ceremony"
        names = "; ".join(f"{n}: {why}" for n, why in self.unreachable)
        if (
            not self.overridden
            and not self.open
            and {n for n, _ in self.unreachable} <= set(self.added)
        ):
            return (
                f"an audit mirror was added after this program started ({names}); policy "
                f"{self.policy}: the credential stays sealed unless you override with a typed "
                "reason"
            )
        if self.overridden:
            return f"mirrors unreachable ({names}); overridden with a typed reason"
        if self.open:
            return f"mirrors unreachable ({names}); policy {self.policy} lets the reveal go on"
        return (
            f"the audit mirrors cannot be reached ({names}); policy {self.policy}: the "
            "credential stays sealed unless you override with a typed reason"
        )


@dataclass(frozen=True)
class StaleShare:
    set_fp: str
    label: str
    number: int
    holder: str
    last_checkin: str | None
    since: str
    days: int


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


class AuditTrail:
    """The registry, the signed log and the mirrors of one home, behind one method per event."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        settings: Settings | None = None,
    ) -> None:
        self.home = ensure_private_dir(resolve_home(home))
        self.clock = clock
        self.log_path = self.home / LOG_NAME
        self.registry = Registry(self.home / REGISTRY_NAME)
        self.key_missing = False
        keys_dir = self.home / KEYS_DIR
        if (keys_dir / PRIVATE_NAME).exists() or not self._history_known():
            self.key = SigningKey.load_or_create(keys_dir)
        else:
            # The log or the registry knows entries but the key is gone: never make a new
            # one silently (a new chain is started only by ``reset_chain``, announced).
            self.key = SigningKey.unsaved()
            self.key_missing = True
        self.log = AuditLog(self.log_path, self.key, clock)
        self.settings = settings if settings is not None else load_settings(self.home)
        self._settings_from_home = settings is None  # the gate re-reads them (added mirrors)
        self.mirrors: list[Mirror] = self.settings.build()
        self._down: dict[str, str] = {}
        self._taken: dict[str, set[int]] = {}  # taken by the mirror, queue row not removed
        self._background = False  # deliver_in_background: senders instead of sends here
        self._senders: dict[str, MirrorSender] = {}
        self._senders_lock = threading.Lock()
        self._gate_open: set[int] = set()
        self._overridden: set[int] = set()
        # No mirror: a real reveal waits for the announcement to be confirmed posted.
        self.require_announcement = REQUIRE_ANNOUNCEMENT
        self._posted: dict[int, str] = {}
        self.announcements: dict[int, Announcement] = {}
        self.last_announcement: Announcement | None = None
        self._sound_lock = threading.Lock()
        self._problems: list[str] | None = None  # None: not checked yet
        self._trail_overridden: str | None = None
        self._reconstructions_only = False
        self.verify_cache = VerifyCache()
        self._reviews_rlock = threading.RLock()
        self._reviews_depth = 0

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def reviews_locked(self) -> Iterator[None]:
        """Hold the review records' lock (``reviews.lock`` in the home, ``flock``) for a
        read-modify-write of a record: another process (a second ``breakglass review
        close-follow-up``, a ``combine`` opening or joining a record, the app) waits until it
        is done, then reads what was written. Re-entrant within this trail."""
        with self._reviews_rlock:
            if self._reviews_depth:
                self._reviews_depth += 1
                try:
                    yield
                finally:
                    self._reviews_depth -= 1
                return
            with exclusive_lock(self.home / REVIEWS_LOCK_NAME):
                self._reviews_depth = 1
                try:
                    yield
                finally:
                    self._reviews_depth = 0

    def close(self, wait: float = CLOSE_WAIT_S) -> None:
        """Close the registry. Background senders get up to ``wait`` seconds to deliver what
        is queued, then stop; what they did not deliver stays queued for the next run."""
        with self._senders_lock:
            senders = list(self._senders.values())
        deadline = time.monotonic() + wait
        for sender in senders:
            sender.close(deadline)
        self.registry.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def public_key(self) -> PublicKey:
        """The key that verifies this log: the registry's record of it when the key is gone."""
        if self.key_missing:
            known = self.registry.chain_key()
            if known is not None:
                try:
                    return load_public_key(known[0])
                except KeyError_:
                    pass
            first = next(iter(read_entries(self.log_path)), None)
            if first is not None and isinstance(first.fields.get("key"), str):
                try:
                    return load_public_key(str(first.fields["key"]))
                except KeyError_:
                    pass
        return self.key.public

    # -- continuity: the key, the log and the registry must agree ----------------------------
    def _history_known(self) -> bool:
        log_has = self.log_path.exists() and self.log_path.stat().st_size > 0
        return log_has or self.registry.anchor() is not None

    def continuity_problems(self) -> list[str]:
        """What is missing or inconsistent, in words; empty when the trail is sound.

        Checked once per ``AuditTrail`` (the GUI calls this off the GUI thread at start-up;
        otherwise the first ceremony step does). Verifying the whole log is part of it.
        """
        with self._sound_lock:
            if self._problems is None:
                self._problems = self._find_problems()
            return list(self._problems)

    def _find_problems(self) -> list[str]:
        problems: list[str] = []
        reg_anchor = self.registry.anchor()
        reg_key = self.registry.chain_key()
        log_has = self.log_path.exists() and self.log_path.stat().st_size > 0
        if self.key_missing:
            problems.append(
                f"the audit signing key is missing ({self.home / KEYS_DIR / PRIVATE_NAME}): "
                + (
                    f"the log signed by {reg_key[1]} cannot be continued"
                    if reg_key
                    else "the existing log cannot be continued"
                )
            )
        elif reg_key is not None and reg_key[1] != self.key.public.fingerprint():
            problems.append(
                f"the signing key on disk ({self.key.public.fingerprint()}) is not the one that "
                f"signs this log ({reg_key[1]}, as the registry records): the key was replaced"
            )
        if reg_anchor is not None and reg_anchor[0] > 0 and not log_has:
            problems.append(
                f"the audit log is missing: the registry records {reg_anchor[0]} entries (head "
                f"{reg_anchor[1][:16]}…) but {self.log_path} is "
                + ("empty" if self.log_path.exists() else "not there")
            )
        if log_has:
            report = verify_file(
                self.log_path, self.public_key, self.anchors(), cache=self.verify_cache
            )
            if reg_anchor is None:
                if report.ok and report.entries <= FIRST_APPEND_ENTRIES:
                    # killed between the first append and its anchor: adopt the log, and
                    # queue what it holds for every mirror (in the same transaction)
                    self._adopt_log(report, after=0)
                else:
                    problems.append(
                        f"the registry does not know the audit log ({self.log_path}, "
                        f"{report.entries} entries): the registry was deleted or replaced"
                    )
            elif report.ok and report.entries > reg_anchor[0]:
                # killed between an append and its anchor: the log is sound and the registry's
                # anchor is its prefix; the entries past it are adopted and queued
                self._adopt_log(report, after=None)
            if not report.ok:
                first = report.first_problem
                problems.append(f"the audit log fails verification: {first}")
            elif reg_key is None and not self.key_missing:
                # an installation from before the registry recorded the key: adopt it now
                self.registry.set_chain_key(
                    self.key.public.text(), self.key.public.fingerprint(), self.clock()
                )
        return problems

    def _adopt_log(self, report: VerifyReport, *, after: int | None) -> None:
        """Bring the registry's anchor up to the log's head (``report``: the log verified,
        every anchor matching) and queue the adopted entries for every mirror, in the same
        transaction: entries past the anchor (``after`` None) or after seq ``after``. Under
        the log's lock, the anchor read again: an append under way elsewhere (its entry
        written, its anchor not yet committed) is not mistaken for one that was cut short."""
        with ExitStack() as stack:
            try:
                stack.enter_context(self.log.locked())
            except OSError:
                return  # the log cannot be opened for writing here: the next run adopts it
            now = self.registry.anchor()
            if (now[0] if now is not None else 0) >= report.entries:
                return  # anchored meanwhile by whoever appended it
            if (now is None) != (after is not None):
                return  # the registry changed since the check: the next check decides
            self.registry.set_anchor(
                report.entries,
                report.head,
                self.clock(),
                queue_for=[m.name for m in self.mirrors],
                queue_after=after,
            )

    def background_check(self) -> Callable[[], list[str]]:
        """A function that checks this home's trail with its own connection (safe to run on
        another thread; the GUI runs it after its first window shows). Hand its result to
        ``adopt_check`` on this trail's thread."""
        home, clock, settings = self.home, self.clock, self.settings

        def work() -> list[str]:
            with AuditTrail(home, clock=clock, settings=settings) as other:
                return other.continuity_problems()

        return work

    def adopt_check(self, problems: Sequence[str]) -> None:
        """Take the result of ``background_check`` unless this trail checked itself since."""
        with self._sound_lock:
            if self._problems is None:
                self._problems = list(problems)

    @property
    def checked(self) -> bool:
        return self._problems is not None

    def broken_message(self) -> str | None:
        """The one message every ceremony stops with, or None when the trail is sound."""
        problems = self.continuity_problems()
        if not problems:
            return None
        return "the audit trail is not sound: " + "; ".join(problems) + ". " + BROKEN_ADVICE

    def require_sound(self, *, overridable: bool = False) -> None:
        """Raise ``TrailBrokenError`` unless the trail is sound (or, for a real reconstruction
        only, a typed override was recorded)."""
        msg = self.broken_message()
        if msg is None:
            return
        if overridable and self._trail_overridden is not None:
            return
        raise TrailBrokenError(msg)

    @property
    def trail_overridden(self) -> bool:
        return self._trail_overridden is not None

    def override_broken_trail(self, reason: str, by: str | None = None) -> Entry:
        """A real emergency on a broken trail: the typed reason is appended and mirrored; only
        reconstructions may then go on (never splits, check-ins or drills)."""
        text = (reason or "").strip()
        if len(text) < MIN_OVERRIDE_REASON:
            raise CeremonyError(
                f"type the reason for going on with a broken audit trail "
                f"(at least {MIN_OVERRIDE_REASON} characters)"
            )
        problems = self.continuity_problems()
        if not problems:
            raise CeremonyError("the audit trail is sound; there is nothing to override")
        if self.key_missing:
            raise TrailBrokenError(
                "the signing key is missing, so nothing can be signed, not even an override: "
                "start a new chain with 'breakglass audit reset --reason TEXT'"
            )
        entry = self._record(
            "trail_override",
            {"reason": text, "problem": "; ".join(problems)[:480], "by": _clean(by)},
        )
        self._trail_overridden = text
        return entry

    def reset_chain(self, reason: str, *, by: str | None = None) -> Announcement:
        """Start a new chain, with a new key, whose first entry names the old key's
        fingerprint, the old head (if known) and the reason. The old log and key are moved
        aside, never deleted. Returns the announcement to post."""
        text = (reason or "").strip()
        if len(text) < MIN_OVERRIDE_REASON:
            raise CeremonyError(
                f"type the reason for starting a new audit chain "
                f"(at least {MIN_OVERRIDE_REASON} characters)"
            )
        known = self.registry.chain_key()
        old_key = known[1] if known else self.public_key.fingerprint()
        if self.key_missing and not known:
            old_key += " (missing)"
        anchor = self.registry.anchor()
        old_head: str | None = None
        if anchor is not None:
            old_head = f"{anchor[0]}:{anchor[1]}"
        elif self.log_path.exists():
            rep = verify_file(self.log_path, self.public_key)
            if rep.entries:
                old_head = f"{rep.entries}:{rep.head}"
        # the old chain's backlog goes out first to every mirror that takes it now; what a
        # mirror does not take is dropped from the queue with the anchor (the old log is kept
        # aside, and the chain_reset entry names its head)
        for m in self.mirrors:
            try:
                if self._flush_queue(m, wait=LOCK_WAIT_S):
                    self._down.pop(m.name, None)
            except MirrorError as exc:
                self._down[m.name] = str(exc)
        with self._senders_lock:
            for sender in self._senders.values():
                sender.forget()
        stamp = self.clock().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        old_log: str | None = None
        if self.log_path.exists():
            aside = self.log_path.with_name(f"{self.log_path.name}.before-reset-{stamp}")
            os.replace(self.log_path, aside)
            old_log = aside.name
        keys_dir = self.home / KEYS_DIR
        key_file = keys_dir / PRIVATE_NAME
        if key_file.exists():
            os.replace(key_file, keys_dir / f"{PRIVATE_NAME}.before-reset-{stamp}")
        self.key = SigningKey.load_or_create(keys_dir)
        self.key_missing = False
        self.log = AuditLog(self.log_path, self.key, self.clock)
        written: list[Entry] = []

        def anchor_new(entry: Entry) -> None:
            self.registry.reset_anchor(
                entry.seq, entry.hash, self.clock(), queue_for=[m.name for m in self.mirrors]
            )
            written.append(entry)

        entry = self.log.append(
            "chain_reset",
            {
                "key": self.key.public.text(),
                "old_key": old_key,
                "old_head": old_head,
                "old_log": old_log,
                "reason": text,
                "by": _clean(by) or _user(),
            },
            then=anchor_new,
        )
        self.registry.set_chain_key(
            self.key.public.text(), self.key.public.fingerprint(), self.clock()
        )
        self._mirror(written)
        with self._sound_lock:
            self._problems = None
        self._trail_overridden = None
        return self._announce(
            "reset",
            entry,
            operator=_clean(by) or _user(),
            details=(
                ("Old key", old_key),
                ("Old head", old_head or "unknown"),
                ("New key", self.key.public.fingerprint()),
                ("Reason", text),
            ),
        )

    def check_anchor(self, anchor: Anchor) -> AnchorFinding:
        """Compare this home's log with an anchor announced earlier (see ``check_anchor``)."""
        data = self.log_path.read_bytes() if self.log_path.exists() else None
        reg = self.registry.anchor()
        return check_anchor(
            data, self.public_key, anchor, registry_count=reg[0] if reg is not None else None
        )

    def _announce(
        self,
        kind: str,
        entry: Entry,
        *,
        label: str = "",
        set_fp: str = "",
        incident: str = "",
        operator: str = "",
        witnesses: Sequence[str] = (),
        details: Sequence[tuple[str, str]] = (),
        ceremony: int | None = None,
    ) -> Announcement:
        ann = Announcement(
            kind=kind,
            when=self.clock(),
            count=entry.seq,
            head=entry.hash,
            label=label,
            set_fp=set_fp,
            incident=incident,
            operator=operator,
            witnesses=tuple(witnesses),
            details=tuple(details),
            ceremony=ceremony,
        )
        if ceremony is not None:
            self.announcements[ceremony] = ann
        self.last_announcement = ann
        return ann

    def now(self) -> dt.datetime:
        return self.clock()

    def record(self, event: str, fields: dict[str, Any]) -> Entry:
        """Append one event (and any housekeeping entry before it), anchor it, mirror it.

        Refuses (``TrailBrokenError``) while the trail is not sound, unless a real emergency
        recorded its override."""
        self.require_sound(overridable=True)
        return self._record(event, fields)

    def _record(self, event: str, fields: dict[str, Any]) -> Entry:
        written: list[Entry] = []

        def anchor(entry: Entry) -> None:
            # the anchor and the entry's place in every mirror's queue, in one transaction
            self.registry.set_anchor(
                entry.seq, entry.hash, self.clock(), queue_for=[m.name for m in self.mirrors]
            )
            written.append(entry)

        first = self.registry.chain_key() is None and not self._history_known()
        entry = self.log.append(event, fields, then=anchor)
        if first:
            self.registry.set_chain_key(
                self.key.public.text(), self.key.public.fingerprint(), self.clock()
            )
        ceremony = fields.get("ceremony")
        if isinstance(ceremony, int):
            self.registry.ceremony_seq(ceremony, entry.seq)
        self._mirror(written)
        return entry

    # -- mirror delivery ---------------------------------------------------------------------
    def deliver_in_background(self) -> None:
        """From now on send entries to the mirrors from background threads (the GUI): recording
        an entry only queues it (write-ahead, local) and never waits on the network. What an
        earlier run left queued starts on its way now. The CLI does not call this: it sends
        before each command returns (and queues what a mirror did not take)."""
        self._background = True
        sizes = self.registry.queue_sizes()
        for m in self.mirrors:
            if sizes.get(m.name):
                self._sender(m).kick()

    def _sender(self, m: Mirror) -> MirrorSender:
        with self._senders_lock:
            sender = self._senders.get(m.name)
            if sender is None or sender.mirror is not m:
                if sender is not None:  # the mirror was replaced: the old sender stops
                    sender.close(time.monotonic())
                sender = MirrorSender(m, self.log_path, self.registry.path)
                self._senders[m.name] = sender
            return sender

    def _mirror(self, entries: Sequence[Entry]) -> None:
        """Deliver ``entries``, already queued for every mirror with their anchor (write-ahead:
        before any send, so a crash or a closed window between then and the send leaves them
        queued): here and now (the CLI), or by the background senders
        (:meth:`deliver_in_background`)."""
        if not self.mirrors or not entries:
            return
        if self._background:
            for m in self.mirrors:
                self._sender(m).kick(entries)
            return
        for m in self.mirrors:
            if m.name in self._down:
                continue  # down since the last try: queued until the next flush
            try:
                # another process (the app) delivering to m right now delivers these too, or
                # the next run does: never wait long on it here
                self._flush_queue(m, entries, wait=LOCK_WAIT_S)
            except MirrorError as exc:
                self._down[m.name] = str(exc)
                # counting the attempt is best effort (the registry may be at fault)
                with suppress(sqlite3.Error, OSError):
                    self.registry.queue_failed(m.name, str(exc))

    def _flush_queue(self, m: Mirror, known: Sequence[Entry] = (), *, wait: float) -> bool:
        """Send what is queued for ``m`` in seq order, each entry dequeued once ``m`` took
        it (synchronous delivery; ``known``: entries at hand, not read from the log again).
        Holds ``m``'s delivery lock (one pass at a time per home, across processes and
        threads) and reads the queue under it; False when another pass held the lock for
        ``wait`` seconds (nothing sent: what is queued stays queued for that pass or the next)."""
        with delivery_lock(self.home, m.name, wait) as held:
            if not held:
                return False
            seqs = self.registry.queued(m.name)
            if not seqs:
                return True
            wanted = set(seqs)
            by_seq = {e.seq: e for e in known if e.seq in wanted}
            missing = wanted - set(by_seq)
            if missing:
                by_seq.update({e.seq: e for e in read_entries(self.log_path) if e.seq in missing})
            taken = self._taken.setdefault(m.name, set())
            for seq in seqs:
                e = by_seq.get(seq)
                if e is not None and seq not in taken:
                    m.send(e, e.text())
                try:
                    self.registry.dequeue(m.name, seq)
                except (sqlite3.Error, OSError) as exc:
                    taken.add(seq)  # not sent again by this trail, only dequeued
                    raise MirrorError(local_queue_failure(m.name, seq, exc)) from exc
                taken.discard(seq)
            return True

    def probe_mirrors(self) -> dict[str, str | None]:
        """The network part of a reveal-gate check, safe off the GUI thread: ask each mirror
        whether it is reachable ({mirror name: None, or why not}). It does not touch this
        trail's registry connection. Hand the answer to :meth:`reveal_gate` (or
        ``secret_revealed`` / ``secret_copied``) as ``probed``: that check then uses it
        instead of probing again.

        A trail that delivers in the background first waits for each mirror's sender to
        deliver everything queued so far (as long as the mirror keeps taking entries): a
        mirror counts as having the record only once it was delivered, never because the
        sender had not tried yet."""
        result: dict[str, str | None] = {}
        mirrors = list(self.mirrors)
        tickets: dict[str, tuple[MirrorSender, int]] = {}
        if self._background:  # every sender starts at once; then each is waited for
            for m in mirrors:
                sender = self._sender(m)
                tickets[m.name] = (sender, sender.kick(force=True))
        for m in mirrors:
            why: str | None = None
            if m.name in tickets:
                sender, ticket = tickets[m.name]
                patience = float(getattr(m, "timeout", TIMEOUT)) + SEND_PATIENCE_S
                why = sender.wait(ticket, patience)
            if why is None:
                try:
                    m.probe()
                except MirrorError as exc:
                    why = str(exc)
            result[m.name] = why
        return result

    def flush_mirrors(
        self, probed: Mapping[str, str | None] | None = None
    ) -> dict[str, str | None]:
        """Retry every mirror now: {mirror name: None if up to date, else why not}. With
        ``probed`` (from :meth:`probe_mirrors`) a mirror is not probed again: one found down
        stays down, one not in it counts as not checked (fail closed).

        A trail that delivers in the background sends nothing here: a mirror is up to date
        when :meth:`probe_mirrors` (called now if ``probed`` is not given) found it so and
        nothing is still queued for it."""
        if self._background:
            return self._delivered_status(self.probe_mirrors() if probed is None else probed)
        result: dict[str, str | None] = {}
        for m in self.mirrors:
            try:
                if probed is not None:
                    why = probed.get(m.name, "not checked")
                    if why is not None:
                        raise MirrorError(why)
                patience = float(getattr(m, "timeout", TIMEOUT)) + SEND_PATIENCE_S
                if not self._flush_queue(m, wait=patience):
                    raise MirrorError(
                        f"{m.name}: another Breakglass process is delivering to this mirror "
                        f"and did not finish within {patience:g} s; entries not yet delivered"
                    )
                if probed is None:
                    m.probe()
                self._down.pop(m.name, None)
                result[m.name] = None
            except MirrorError as exc:
                self._down[m.name] = str(exc)
                result[m.name] = str(exc)
        return result

    def _delivered_status(self, probed: Mapping[str, str | None]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for m in self.mirrors:
            why = probed.get(m.name, "not checked")
            if why is None:
                behind = len(self.registry.queued(m.name))
                if behind:
                    self._sender(m).kick()
                    entries = "entry" if behind == 1 else "entries"
                    why = f"{m.name}: {behind} audit {entries} not yet delivered (still sending)"
            if why is None:
                self._down.pop(m.name, None)
            else:
                self._down[m.name] = why
            result[m.name] = why
        return result

    def mirrors_reachable(
        self, probed: Mapping[str, str | None] | None = None
    ) -> list[tuple[str, str]]:
        """Mirrors that are down or behind after a retry: [(name, why)]. Empty: all caught up."""
        return [(n, why) for n, why in self.flush_mirrors(probed).items() if why is not None]

    # -- the reveal gate ---------------------------------------------------------------------
    def reveal_gate(
        self, ceremony: int, probed: Mapping[str, str | None] | None = None
    ) -> GateStatus:
        """May the credential of this ceremony be shown now? Each call checks afresh.

        With mirrors: every mirror must have the record (or the policy is fail-open). With no
        mirror the only trace outside the laptop is the announcement, so the gate opens once
        it is confirmed posted (``announcement_confirmed``). Either way a typed, recorded
        override opens it. Drills are not uses: their gate is always open. ``probed``: the
        mirrors' answers from :meth:`probe_mirrors`, taken off the GUI thread (not probed
        again here)."""
        rec = self.registry.ceremony(ceremony)
        policy = self.settings.reconstruction_policy
        if rec is not None and rec.drill:
            return GateStatus(True, policy, [])
        unreachable = self.mirrors_reachable(probed) if self.mirrors else []
        added = self._mirrors_added_since_start()
        unreachable += added
        needs = not self.mirrors and not added and self.require_announcement
        names_added = tuple(name for name, _why in added)
        if ceremony in self._overridden:
            return GateStatus(
                True,
                policy,
                unreachable,
                overridden=True,
                needs_announcement=needs,
                added=names_added,
            )
        if needs:
            is_open = ceremony in self._posted
        else:
            is_open = not unreachable or not self.settings.fail_closed
        if is_open:
            self._gate_open.add(ceremony)
        else:
            self._gate_open.discard(ceremony)
        return GateStatus(is_open, policy, unreachable, needs_announcement=needs, added=names_added)

    def _mirrors_added_since_start(self) -> list[tuple[str, str]]:
        """Mirrors in the home's settings now (re-read: ``breakglass audit mirrors --add``
        may have run since) that this trail does not deliver to: none of its entries are
        queued for them, so they cannot have the record. [(name, why)]; a trail given its
        settings by its caller (tests, tools) is not compared."""
        if not self._settings_from_home:
            return []
        try:
            configured = [m.name for m in load_settings(self.home).build()]
        except (MirrorConfigError, OSError) as exc:
            return [("mirror settings", f"not readable now ({exc})")]
        known = {m.name for m in self.mirrors}
        return [
            (
                name,
                "added to the mirror settings after this program started, so it has none of "
                "this session's entries: restart the app (its entries are then sent to it)",
            )
            for name in configured
            if name not in known
        ]

    def announcement(self, ceremony: int) -> Announcement | None:
        """The announcement made when this ceremony reached its quorum (real uses only)."""
        return self.announcements.get(ceremony)

    def announcement_confirmed(self, ceremony: int, *, posted: bool, how: str) -> Entry:
        """Log whether the announcement was posted (either way); a 'yes' opens a gate that
        waits for it (no mirror configured)."""
        entry = self.record(
            "announcement_posted", {"ceremony": ceremony, "posted": posted, "how": how}
        )
        if posted:
            self._posted[ceremony] = how
        else:
            self._posted.pop(ceremony, None)
        return entry

    def override_gate(self, ceremony: int, reason: str, mirrors: Sequence[str] = ()) -> Entry:
        """Open the gate despite unreachable mirrors; the typed reason is logged and mirrored."""
        text = (reason or "").strip()
        if len(text) < MIN_OVERRIDE_REASON:
            raise CeremonyError(
                f"type the reason for revealing without the audit mirrors "
                f"(at least {MIN_OVERRIDE_REASON} characters)"
            )
        names = list(mirrors) or sorted(self._down) or [m.name for m in self.mirrors]
        entry = self.record(
            "mirror_override", {"ceremony": ceremony, "reason": text, "mirrors": names}
        )
        self.registry.ceremony_override(ceremony, text)
        self._overridden.add(ceremony)
        self._gate_open.add(ceremony)
        return entry

    # -- split ceremony ----------------------------------------------------------------------
    def split_started(
        self,
        *,
        label: str,
        policy: Policy,
        custodians: Sequence[str] = (),
        operator: str | None = None,
        replaces: str | None = None,
    ) -> int:
        self.require_sound()
        if replaces is not None:
            self._require_replaceable(replaces)
        cid = self.registry.start_ceremony("split", self.clock(), operator=_clean(operator))
        self.record(
            "split_started",
            {
                "ceremony": cid,
                "label": label,
                "policy": policy.describe(),
                "custodians": [c for c in custodians],
                "operator": _clean(operator),
                "replaces": replaces,
            },
        )
        return cid

    def _require_replaceable(self, fingerprint: str) -> SetRecord:
        rec = self.registry.get_set(fingerprint)
        if rec is None:
            raise CeremonyError(f"set {fingerprint} is not in this registry; nothing to replace")
        if rec.status == "retired":
            raise CeremonyError(
                f"set {fingerprint} was already retired on {rec.retired_at} by {rec.retired_by}"
            )
        return rec

    def split_finished(
        self,
        ceremony: int,
        share_set: ShareSet,
        *,
        replaces: str | None = None,
        operator: str | None = None,
        contacts: dict[int, tuple[str, str]] | None = None,
    ) -> None:
        """Register the new set (and retire the one it replaces)."""
        fp = share_set.fingerprint_text
        credential_id = None
        if replaces is not None:
            credential_id = self._require_replaceable(replaces).credential_id
        policy = share_set.header.policy
        people = [
            CustodianRecord(
                s.number,
                s.custodian,
                s.role,
                s.group_name,
                (contacts or {}).get(s.number, ("", ""))[0],
                (contacts or {}).get(s.number, ("", ""))[1],
            )
            for s in share_set.shares
        ]
        self.registry.add_set(
            fingerprint=fp,
            label=share_set.header.label,
            policy=policy.describe(),
            policy_short=policy.short(),
            total_shares=policy.total_shares,
            created=share_set.header.created,
            custodians=people,
            credential_id=credential_id,
            when=self.clock(),
        )
        # the set's identity is its full digest ("only known sets" are revealed by it)
        self.registry.record_digest(fp, share_set.digest.hex().upper())
        self.registry.ceremony_set(ceremony, fp)
        made = self.record(
            "split_finished",
            {
                "ceremony": ceremony,
                "set": fp,
                "label": share_set.header.label,
                "policy": policy.describe(),
                "shares": len(share_set.shares),
                "replaces": replaces,
            },
        )
        if replaces is not None:
            # the old set's retirement is part of this split: the split's announcement names
            # it and anchors its entry (the last one written), so a log cut back to just
            # after the new set, with the old set "un-retired", no longer matches the anchor
            made = self.retire_set(
                replaces,
                by=_clean(operator) or _user(),
                reason=f"replaced by set {fp}",
                replaced_by=fp,
            )
        self._announce(
            "split",
            made,
            label=share_set.header.label,
            set_fp=fp,
            operator=_clean(operator) or _user(),
            details=[
                ("Policy", policy.describe()),
                ("Custodians", ", ".join(p.holder for p in people) or "none"),
            ]
            + ([("Replaces", f"{replaces} (retired)")] if replaces else []),
            ceremony=ceremony,
        )
        self.registry.finish_ceremony(ceremony, "done", "set made", self.clock())

    def share_printed(
        self, share: Share, *, ceremony: int | None = None, medium: str = "paper"
    ) -> Entry:
        return self.record(
            "share_printed",
            {
                "ceremony": ceremony,
                "set": share.fingerprint_text,
                "share": share.number,
                "custodian": share.holder,
                "medium": medium,
            },
        )

    def share_verified(
        self, share: Share, *, ceremony: int | None = None, how: str = "scan"
    ) -> Entry:
        return self.record(
            "share_verified",
            {
                "ceremony": ceremony,
                "set": share.fingerprint_text,
                "share": share.number,
                "custodian": share.holder,
                "how": how,
            },
        )

    # -- reconstruction ----------------------------------------------------------------------
    def reconstruction_started(
        self,
        *,
        incident: str | None = None,
        operator: str | None = None,
        witnesses: Sequence[str] = (),
        drill: bool = False,
        trigger: str | None = None,
        set_fp: str | None = None,
        no_witness_reason: str | None = None,
    ) -> int:
        self.require_sound(overridable=not drill)
        incident, operator, trigger = _clean(incident), _clean(operator), _clean(trigger)
        no_witness_reason = _clean(no_witness_reason)
        people = [w.strip() for w in witnesses if w.strip()]
        if not drill and (not incident or not operator):
            raise CeremonyError(
                "a real reconstruction needs an incident reference and an operator "
                "(--incident REF --operator NAME), or must be marked a drill (--drill)"
            )
        cid = self.registry.start_ceremony(
            "drill" if drill else "reconstruction",
            self.clock(),
            set_fp=set_fp,
            incident=incident,
            operator=operator,
            witnesses=people,
            trigger=trigger,
        )
        self.record(
            "reconstruction_started",
            {
                "ceremony": cid,
                "drill": drill,
                "incident": incident,
                "operator": operator,
                "witnesses": people,
                "trigger": trigger,
                "set": set_fp,
                "no_witness_reason": no_witness_reason,
            },
        )
        return cid

    def retired_message(self, fingerprint: str) -> str | None:
        """ "this share belongs to set … retired on … by …" for a retired set, else None."""
        rec = self.registry.get_set(fingerprint)
        if rec is None or rec.status != "retired":
            return None
        text = (
            f"this share belongs to set {fingerprint} retired on {rec.retired_at} "
            f"by {rec.retired_by}"
        )
        if rec.replaced_by:
            text += f" (replaced by set {rec.replaced_by})"
        return text

    def check_share(self, share: Share) -> None:
        """Raise ``RetiredShareError`` for a share of a retired set."""
        msg = self.retired_message(share.fingerprint_text)
        if msg:
            raise RetiredShareError(f"{share.describe()}: {msg}")

    def share_accepted(self, ceremony: int, share: Share, *, remote: bool = False) -> Entry:
        rec = self.registry.ceremony(ceremony)
        if rec is not None and rec.set_fp is None:
            self.registry.ceremony_set(ceremony, share.fingerprint_text)
        fields: dict[str, Any] = {
            "ceremony": ceremony,
            "set": share.fingerprint_text,
            "share": share.number,
            "share_desc": share.describe(),
        }
        if remote:
            fields["received"] = "remotely"
        return self.record("share_accepted", fields)

    def share_refused(
        self, ceremony: int, share_desc: str, reason: str, set_fp: str | None = None
    ) -> Entry:
        rec = self.registry.ceremony(ceremony)
        if set_fp and rec is not None and rec.set_fp is None and self.registry.get_set(set_fp):
            self.registry.ceremony_set(ceremony, set_fp)  # an attempt on a known credential
        return self.record(
            "share_refused",
            {"ceremony": ceremony, "share_desc": share_desc, "reason": reason, "set": set_fp},
        )

    def quorum_reached(self, ceremony: int, set_fp: str, shares: Sequence[Share]) -> Entry:
        """Record the quorum. For a real use this entry is also "announcement made": once it
        is fsynced its number and hash become the announcement's anchor (``announcement``)."""
        self.registry.ceremony_set(ceremony, set_fp)
        self.registry.ceremony_quorum(ceremony)
        rec = self._ceremony(ceremony)
        real = not rec.drill
        entry = self.record(
            "quorum_reached",
            {
                "ceremony": ceremony,
                "set": set_fp,
                "shares": [s.describe() for s in shares],
                "announced": real,
            },
        )
        if real:
            set_rec = self.registry.get_set(set_fp)
            label = set_rec.label if set_rec is not None else (shares[0].label if shares else "")
            self._announce(
                "reconstruction",
                entry,
                label=label,
                set_fp=set_fp,
                incident=rec.incident or "",
                operator=rec.operator or "",
                witnesses=rec.witnesses,
                ceremony=ceremony,
            )
        return entry

    def secret_revealed(
        self,
        ceremony: int,
        set_fp: str,
        via: str = "screen",
        probed: Mapping[str, str | None] | None = None,
    ) -> Entry:
        """Record the reveal. The gate is checked again here, as its own call, at the moment
        of the reveal (a mirror that went down since the quorum, or an announcement not
        confirmed, keeps the credential sealed: ``GateClosedError``). ``probed``: that check's
        network part, taken off the GUI thread for this very reveal (:meth:`probe_mirrors`)."""
        status = self.reveal_gate(ceremony, probed)
        if not status.open:
            raise GateClosedError(status.explain())
        return self.record("secret_revealed", {"ceremony": ceremony, "set": set_fp, "via": via})

    def secret_copied(
        self,
        ceremony: int,
        set_fp: str,
        clear_after_s: int | None = None,
        probed: Mapping[str, str | None] | None = None,
    ) -> Entry:
        """Record a copy to the clipboard: a reveal too, so the gate is checked again."""
        status = self.reveal_gate(ceremony, probed)
        if not status.open:
            raise GateClosedError(status.explain())
        return self.record(
            "secret_copied",
            {"ceremony": ceremony, "set": set_fp, "clear_after_s": clear_after_s},
        )

    def secret_wiped(self, ceremony: int, set_fp: str | None = None) -> Entry:
        return self.record("secret_wiped", {"ceremony": ceremony, "set": set_fp})

    def post_use_step_done(self, ceremony: int, step: str, note: str | None = None) -> Entry:
        return self.record(
            "post_use_step_done", {"ceremony": ceremony, "step": step, "note": _clean(note)}
        )

    def step_timed(self, ceremony: int, step: str, seconds: float) -> Entry:
        """Per-step timing (drills report these; real ceremonies may too)."""
        self.registry.add_step(ceremony, step, float(seconds), self.clock())
        return self.record(
            "step_timed", {"ceremony": ceremony, "step": step, "seconds": round(seconds, 3)}
        )

    def reconstruction_finished(
        self, ceremony: int, outcome: str = "revealed", set_fp: str | None = None
    ) -> int | None:
        """Close the ceremony. A real one that reconstructed the credential (shown or not: it
        existed in memory) marks its set rotation-due and opens a review record (its id is
        returned). Drills are done or failed, never use."""
        rec = self._ceremony(ceremony)
        fp = set_fp or rec.set_fp
        self.record(
            "reconstruction_finished", {"ceremony": ceremony, "outcome": outcome, "set": fp}
        )
        ok = outcome in RECONSTRUCTED_OUTCOMES
        self.registry.finish_ceremony(ceremony, "done" if ok else "failed", outcome, self.clock())
        if rec.drill:
            return None
        if ok and fp and self.registry.mark_rotation_due(fp, self.clock()):
            self.record("set_rotation_due", {"set": fp, "ceremony": ceremony})
        return open_review(self, ceremony)

    def ceremony_aborted(self, ceremony: int, reason: str) -> Entry:
        """End a ceremony without a result. A real reconstruction that ends this way after
        shares of a set were refused (retired, foreign, forged, a quorum that would not open)
        gets a review record — one however many refusals, shared with the other attempts of
        the same incident on the same credential while it is a draft (``open_review``) —
        naming that set and its credential; it is not a use. Unreadable input alone (a stray
        file, a QR code that is no share) opens none."""
        entry = self.record("ceremony_aborted", {"ceremony": ceremony, "reason": reason})
        self.registry.finish_ceremony(ceremony, "aborted", reason, self.clock())
        rec = self.registry.ceremony(ceremony)
        if rec is not None and rec.kind == "reconstruction" and not rec.drill:
            refused = any(
                e.event == "share_refused" and e.fields.get("set")
                for e in read_entries(self.log_path)
                if e.fields.get("ceremony") == ceremony
            )
            if refused:
                open_review(self, ceremony)
        return entry

    def _ceremony(self, ceremony: int) -> CeremonyRecord:
        rec = self.registry.ceremony(ceremony)
        if rec is None:
            raise CeremonyError(f"no ceremony {ceremony} in this registry")
        return rec

    # -- lifecycle ----------------------------------------------------------------------------
    def retire_set(
        self,
        fingerprint: str,
        *,
        by: str,
        reason: str | None = None,
        replaced_by: str | None = None,
    ) -> Entry:
        self.require_sound()
        rec = self._require_replaceable(fingerprint)
        by = _clean(by) or _user()
        self.registry.retire(
            rec.fingerprint,
            by=by,
            reason=_clean(reason),
            replaced_by=replaced_by,
            when=self.clock(),
        )
        entry = self.record(
            "set_retired",
            {"set": fingerprint, "by": by, "reason": _clean(reason), "replaced_by": replaced_by},
        )
        details = [("Reason", _clean(reason) or "not given")]
        if replaced_by:
            details.append(("Replaced by", replaced_by))
        self._announce(
            "retirement",
            entry,
            label=rec.label,
            set_fp=fingerprint,
            operator=by,
            details=details,
        )
        return entry

    def checkin(self, share: Share, *, by: str | None = None) -> Entry:
        """A share checked alone (it parsed, so it is intact and a member of its set)."""
        self.require_sound()
        fp = share.fingerprint_text
        msg = self.retired_message(fp)
        if msg:
            self.record(
                "checkin_refused", {"share_desc": share.describe(), "reason": msg, "set": fp}
            )
            raise RetiredShareError(f"{share.describe()}: {msg}")
        cid = self.registry.start_ceremony("check-in", self.clock(), set_fp=fp, operator=_clean(by))
        entry = self.record(
            "checkin",
            {
                "ceremony": cid,
                "set": fp,
                "share": share.number,
                "custodian": share.holder,
                "by": _clean(by),
                "result": "present and intact",
            },
        )
        self.registry.add_checkin(
            fp, share.number, share.holder, by=_clean(by), when=self.clock(), seq=entry.seq
        )
        self.registry.finish_ceremony(cid, "done", "present and intact", self.clock())
        return entry

    # -- queries -------------------------------------------------------------------------------
    def bypass_rate(self, credential_id: int) -> BypassRate:
        """Real uses in the last 90 days (a use exactly 90 days ago included) against the 90
        days before (from 180 days ago, included, to 90 days ago, not): ``audit/bypass.py``
        says the windows and the one rule that flags a rising rate."""
        now = self.clock()
        window = dt.timedelta(days=WINDOW_DAYS)
        later = now + dt.timedelta(seconds=1)
        current = self.registry.count_real_uses(credential_id, now - window, later)
        previous = self.registry.count_real_uses(credential_id, now - 2 * window, now - window)
        return BypassRate(credential_id, current, previous)

    def stale_shares(self, days: int = CHECKIN_DAYS) -> list[StaleShare]:
        """Shares of live sets not checked in for over ``days`` (never: since the set was made)."""
        now = self.clock()
        out: list[StaleShare] = []
        for rec in self.registry.sets():
            if rec.status == "retired":
                continue
            last = self.registry.last_checkins(rec.fingerprint)
            for person in self.registry.custodians(rec.fingerprint):
                seen = last.get(person.number)
                since_text = seen or rec.created
                since = _as_datetime(since_text)
                age = (now - since).days
                if age > days:
                    out.append(
                        StaleShare(
                            rec.fingerprint,
                            rec.label,
                            person.number,
                            person.holder,
                            seen,
                            since_text,
                            age,
                        )
                    )
        return out

    def attention(self) -> list[str]:
        """Lines for the main window: reviews due, and credentials whose use is rising."""
        lines = []
        for rid, _cid, status, rec in self.registry.reviews():
            if status != "completed":
                lines.append(
                    f"Review due: review {rid} ({rec.get('incident') or 'no incident'}, "
                    f"{rec.get('credential') or 'unknown credential'})"
                )
        loop = self.review_loop()
        seen: set[int] = set()
        for s in self.registry.sets():
            if s.credential_id in seen:
                continue
            seen.add(s.credential_id)
            rate = self.bypass_rate(s.credential_id)
            if rate.rising:
                n = len(loop.get(s.credential_id, {}).get("follow_ups", []))
                lines.append(f"{s.label}: {rate.words()} ({n} follow-ups open)")
        return lines

    def review_loop(self) -> dict[int, dict[str, list[Any]]]:
        """Per credential id: the follow-ups of its review records still open (closed ones,
        ``breakglass review close-follow-up``, are left out) and the review records still
        due."""
        out: dict[int, dict[str, list[Any]]] = {}
        for rid, cid, status, rec in self.registry.reviews():
            cer = self.registry.ceremony(cid)
            fp = cer.set_fp if cer is not None else None
            set_rec = self.registry.get_set(fp) if fp else None
            if set_rec is None:
                continue
            slot = out.setdefault(set_rec.credential_id, {"follow_ups": [], "due": []})
            for number, item in open_follow_ups(rec):
                slot["follow_ups"].append(
                    {
                        "review": rid,
                        "number": number,
                        "incident": rec.get("incident"),
                        "text": item,
                    }
                )
            if status != "completed":
                slot["due"].append(
                    {"review": rid, "ceremony": cid, "incident": rec.get("incident")}
                )
        return out

    def split_anchor(self, set_fp: str) -> str | None:
        """The anchor announced when a set was registered here (``COUNT:HEAD`` of its
        ``split_finished`` entry, or for a rotation of the retirement of the set it replaced,
        written right after: as the split's announcement gave it), or None when this log holds
        no such entry (a set made or imported elsewhere)."""
        found = None
        made = False
        for e in read_entries(self.log_path):
            if e.event == "split_finished" and e.fields.get("set") == set_fp:
                found = f"{e.seq}:{e.hash[:ANCHOR_HEX]}"
                made = bool(e.fields.get("replaces"))
            elif made and e.event == "set_retired" and e.fields.get("replaced_by") == set_fp:
                found = f"{e.seq}:{e.hash[:ANCHOR_HEX]}"
                made = False
        return found

    def anchors(self) -> list[Anchor]:
        """What the registry and the file mirrors remember about the log's length and head."""
        found: list[Anchor] = []
        reg = self.registry.anchor()
        if reg is not None:
            found.append(Anchor(reg[0], reg[1], "the registry"))
        for m in self.mirrors:
            if isinstance(m, FileMirror):
                a = m.anchor()
                if a is not None:
                    found.append(Anchor(a[0], a[1], f"mirror {m.name}"))
        return found

    def verify(self, cache: VerifyCache | None = None) -> VerifyReport:
        if not self.log_path.exists():
            return verify_file_or_empty(self.log_path, self.public_key, self.anchors())
        return verify_file(self.log_path, self.public_key, self.anchors(), cache=cache)

    def report(self, days: int = CHECKIN_DAYS) -> dict[str, Any]:
        """Everything ``breakglass report`` shows, as plain data."""
        credentials: dict[int, dict[str, Any]] = {}
        for rec in self.registry.sets():
            c = credentials.setdefault(
                rec.credential_id,
                {"credential": rec.credential_id, "label": rec.label, "sets": []},
            )
            c["label"] = rec.label
            c["sets"].append(
                {
                    "fingerprint": rec.fingerprint,
                    "policy": rec.policy_short,
                    "status": rec.status,
                    "created": rec.created,
                    "retired_at": rec.retired_at,
                    "retired_by": rec.retired_by,
                    "replaced_by": rec.replaced_by,
                }
            )
        loop = self.review_loop()
        for cid, c in credentials.items():
            rate = self.bypass_rate(cid)
            c["bypass_rate"] = rate.text()
            c["bypass_rate_rising"] = rate.rising
            c["uses_last_90d"] = rate.current
            c["uses_previous_90d"] = rate.previous
            c["uses_words"] = rate.words()
            c["follow_ups"] = loop.get(cid, {}).get("follow_ups", [])
            c["reviews_due"] = loop.get(cid, {}).get("due", [])
            drill = self.registry.last_drill(cid)
            c["last_drill"] = drill.started_at if drill else None
            c["last_drill_steps"] = (
                [{"step": s, "seconds": sec} for s, sec in self.registry.steps(drill.id)]
                if drill
                else []
            )
        verify = self.verify()
        return {
            "home": str(self.home),
            "generated": _iso(self.clock()),
            "credentials": list(credentials.values()),
            "bypass_rule": f"real uses: {RULE_WORDS}",
            "rotation_due": [r.fingerprint for r in self.registry.sets("rotation-due")],
            "stale_shares": [s.__dict__ for s in self.stale_shares(days)],
            "stale_after_days": days,
            "open_reviews": [
                {
                    "review": rid,
                    "ceremony": cid,
                    "incident": rec.get("incident"),
                    "where": rec.get("where") or "here",
                }
                for rid, cid, status, rec in self.registry.reviews()
                if status != "completed"
            ],
            "imported_logs": [
                {k: v for k, v in log.items() if k != "key"}
                for log in self.registry.imported_logs()
            ],
            "imported_ceremonies": [
                {
                    "ceremony": c.id,
                    "kind": c.kind,
                    "incident": c.incident,
                    "operator": c.operator,
                    "set": c.set_fp,
                    "started_at": c.started_at,
                    "status": c.status,
                    "outcome": c.outcome or c.status,
                    "installation": c.origin_fingerprint,
                    "file": c.origin_file,
                    "where": c.where(),
                }
                for c in self.registry.imported_ceremonies()
            ],
            "audit_log": {"ok": verify.ok, "entries": verify.entries, "summary": verify.summary()},
            "mirrors": {
                "configured": [m.name for m in self.mirrors],
                "policy": self.settings.reconstruction_policy,
                "queued": self.registry.queue_sizes(),
            },
        }


def verify_file_or_empty(
    path: Path, public_key: PublicKey, anchors: Sequence[Anchor]
) -> VerifyReport:
    return verify_bytes(path.read_bytes() if path.exists() else b"", public_key, anchors)


def _as_datetime(text: str) -> dt.datetime:
    if "T" in text:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown operator"
