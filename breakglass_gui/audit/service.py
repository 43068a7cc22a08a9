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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import ShareSet
from breakglass_gui.core.share import Share
from breakglass_gui.platform.dirs import ensure_private_dir, resolve_home

from .keys import PublicKey, SigningKey
from .log import (
    Anchor,
    AuditLog,
    Entry,
    VerifyCache,
    VerifyReport,
    read_entries,
    utc_now,
    verify_bytes,
    verify_file,
)
from .mirrors import FileMirror, Mirror, MirrorError, Settings, load_settings
from .registry import CeremonyRecord, CustodianRecord, Registry, SetRecord
from .review import open_review

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
]

LOG_NAME = "audit.log"
REGISTRY_NAME = "registry.sqlite3"
KEYS_DIR = "keys"
WINDOW_DAYS = 90
CHECKIN_DAYS = 365
MIN_OVERRIDE_REASON = 8

# Outcomes of ``reconstruction_finished`` in which the credential was reconstructed.
RECONSTRUCTED_OUTCOMES = frozenset({"revealed", "reconstructed, never shown"})


class CeremonyError(BreakglassError):
    """A ceremony step that cannot be recorded as asked (missing incident, unknown set...)."""


class RetiredShareError(BreakglassError):
    """A share of a retired set was presented."""


class GateClosedError(BreakglassError):
    """The reveal was attempted while a mirror is behind and no override was recorded."""


@dataclass(frozen=True)
class GateStatus:
    open: bool
    policy: str
    unreachable: list[tuple[str, str]]  # (mirror name, why)
    overridden: bool = False

    def explain(self) -> str:
        if not self.unreachable:
            return "every mirror has the record of this ceremony"
        names = "; ".join(f"{n}: {why}" for n, why in self.unreachable)
        if self.overridden:
            return f"mirrors unreachable ({names}); overridden with a typed reason"
        if self.open:
            return f"mirrors unreachable ({names}); policy {self.policy} lets the reveal go on"
        return (
            f"the audit mirrors cannot be reached ({names}); policy {self.policy}: the "
            "credential stays sealed unless you override with a typed reason"
        )


@dataclass(frozen=True)
class BypassRate:
    credential_id: int
    current: int
    previous: int
    days: int = WINDOW_DAYS

    def text(self) -> str:
        return f"{self.current} / {self.days} d, was {self.previous} / {self.days} d"

    @property
    def rising(self) -> bool:
        return self.current > self.previous


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
        self.key = SigningKey.load_or_create(self.home / KEYS_DIR)
        self.log_path = self.home / LOG_NAME
        self.log = AuditLog(self.log_path, self.key, clock)
        self.registry = Registry(self.home / REGISTRY_NAME)
        self.settings = settings if settings is not None else load_settings(self.home)
        self.mirrors: list[Mirror] = self.settings.build()
        self._down: dict[str, str] = {}
        self._gate_open: set[int] = set()
        self._overridden: set[int] = set()

    # -- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
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
        return self.key.public

    def now(self) -> dt.datetime:
        return self.clock()

    def record(self, event: str, fields: dict[str, Any]) -> Entry:
        """Append one event (and any housekeeping entry before it), anchor it, mirror it."""
        written: list[Entry] = []

        def anchor(entry: Entry) -> None:
            self.registry.set_anchor(entry.seq, entry.hash, self.clock())
            written.append(entry)

        entry = self.log.append(event, fields, then=anchor)
        ceremony = fields.get("ceremony")
        if isinstance(ceremony, int):
            self.registry.ceremony_seq(ceremony, entry.seq)
        self._mirror(written)
        return entry

    def _mirror(self, entries: Sequence[Entry]) -> None:
        for m in self.mirrors:
            sent = 0
            try:
                if m.name in self._down:
                    raise MirrorError(self._down[m.name])
                self._flush_queue(m)
                for e in entries:
                    m.send(e, e.text())
                    sent += 1
            except MirrorError as exc:
                self._down[m.name] = str(exc)
                for e in entries[sent:]:
                    self.registry.enqueue(m.name, e.seq, str(exc), self.clock())

    def _flush_queue(self, m: Mirror) -> None:
        seqs = self.registry.queued(m.name)
        if not seqs:
            return
        wanted = set(seqs)
        by_seq = {e.seq: e for e in read_entries(self.log_path) if e.seq in wanted}
        for seq in seqs:
            e = by_seq.get(seq)
            if e is not None:
                m.send(e, e.text())
            self.registry.dequeue(m.name, seq)

    def flush_mirrors(self) -> dict[str, str | None]:
        """Retry every mirror now: {mirror name: None if up to date, else why not}."""
        result: dict[str, str | None] = {}
        for m in self.mirrors:
            try:
                self._flush_queue(m)
                m.probe()
                self._down.pop(m.name, None)
                result[m.name] = None
            except MirrorError as exc:
                self._down[m.name] = str(exc)
                result[m.name] = str(exc)
        return result

    def mirrors_reachable(self) -> list[tuple[str, str]]:
        """Mirrors that are down or behind after a retry: [(name, why)]. Empty: all caught up."""
        return [(n, why) for n, why in self.flush_mirrors().items() if why is not None]

    # -- the reveal gate ---------------------------------------------------------------------
    def reveal_gate(self, ceremony: int) -> GateStatus:
        unreachable = self.mirrors_reachable() if self.mirrors else []
        policy = self.settings.reconstruction_policy
        if ceremony in self._overridden:
            return GateStatus(True, policy, unreachable, overridden=True)
        is_open = not unreachable or not self.settings.fail_closed
        if is_open:
            self._gate_open.add(ceremony)
        return GateStatus(is_open, policy, unreachable)

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
        self.registry.ceremony_set(ceremony, fp)
        self.record(
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
            self.retire_set(
                replaces,
                by=_clean(operator) or _user(),
                reason=f"replaced by set {fp}",
                replaced_by=fp,
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
    ) -> int:
        incident, operator, trigger = _clean(incident), _clean(operator), _clean(trigger)
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

    def share_accepted(self, ceremony: int, share: Share) -> Entry:
        rec = self.registry.ceremony(ceremony)
        if rec is not None and rec.set_fp is None:
            self.registry.ceremony_set(ceremony, share.fingerprint_text)
        return self.record(
            "share_accepted",
            {
                "ceremony": ceremony,
                "set": share.fingerprint_text,
                "share": share.number,
                "share_desc": share.describe(),
            },
        )

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
        self.registry.ceremony_set(ceremony, set_fp)
        return self.record(
            "quorum_reached",
            {"ceremony": ceremony, "set": set_fp, "shares": [s.describe() for s in shares]},
        )

    def secret_revealed(self, ceremony: int, set_fp: str, via: str = "screen") -> Entry:
        """Record the reveal; refuses while the fail-closed gate is shut for this ceremony."""
        if self.mirrors and self.settings.fail_closed and ceremony not in self._gate_open:
            status = self.reveal_gate(ceremony)
            if not status.open:
                raise GateClosedError(status.explain())
        return self.record("secret_revealed", {"ceremony": ceremony, "set": set_fp, "via": via})

    def secret_copied(self, ceremony: int, set_fp: str, clear_after_s: int | None = None) -> Entry:
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
        entry = self.record("ceremony_aborted", {"ceremony": ceremony, "reason": reason})
        self.registry.finish_ceremony(ceremony, "aborted", reason, self.clock())
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
        rec = self._require_replaceable(fingerprint)
        by = _clean(by) or _user()
        self.registry.retire(
            rec.fingerprint,
            by=by,
            reason=_clean(reason),
            replaced_by=replaced_by,
            when=self.clock(),
        )
        return self.record(
            "set_retired",
            {"set": fingerprint, "by": by, "reason": _clean(reason), "replaced_by": replaced_by},
        )

    def checkin(self, share: Share, *, by: str | None = None) -> Entry:
        """A share checked alone (it parsed, so it is intact and a member of its set)."""
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
        for cid, c in credentials.items():
            rate = self.bypass_rate(cid)
            c["bypass_rate"] = rate.text()
            c["bypass_rate_rising"] = rate.rising
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
            "rotation_due": [r.fingerprint for r in self.registry.sets("rotation-due")],
            "stale_shares": [s.__dict__ for s in self.stale_shares(days)],
            "stale_after_days": days,
            "open_reviews": [
                {"review": rid, "ceremony": cid, "incident": rec.get("incident")}
                for rid, cid, status, rec in self.registry.reviews()
                if status != "completed"
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
