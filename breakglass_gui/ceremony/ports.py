"""Ports: the small interfaces through which ceremony flows reach the outside world.

The flows in ``breakglass_gui.ceremony`` never open files, cameras, printers or databases
themselves. They are handed objects satisfying these Protocols: the real adapters wrap
``breakglass_gui.paper`` / ``scan`` / ``audit``; the in-memory ones below serve the tests
and the screenshots. Every port carries names, numbers and public facts only: never a
secret and never share material, except the documents whose format requires it (share
sheets, handed over as PDF bytes).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from breakglass_gui.audit.announce import Announcement

if TYPE_CHECKING:  # annotations only: the first window does not load the crypto
    from breakglass_gui.core.sealing import ShareSet
    from breakglass_gui.core.share import Share

__all__ = [
    "REMOTE_SOURCE",
    "AuditEvent",
    "AuditSink",
    "Clock",
    "DocumentSink",
    "FolderSink",
    "FrameSource",
    "GateProbe",
    "ManualClock",
    "MemoryAuditSink",
    "MemoryDocumentSink",
    "MemoryReconstructionRecorder",
    "MemoryRegistry",
    "PdfRenderer",
    "PortsSplitRecorder",
    "QrDecoder",
    "ReconstructionRecorder",
    "Registry",
    "RevealGate",
    "ReviewView",
    "SetRecord",
    "SplitRecorder",
    "StartFacts",
    "SystemClock",
    "clip_for_log",
]

#: The source of a share that arrived in an age envelope from a remote custodian.
REMOTE_SOURCE = "remote"

# -- time ----------------------------------------------------------------------------------------


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock the tests move by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)

    def set(self, when: dt.datetime) -> None:
        self._now = when


# -- audit -----------------------------------------------------------------------------------------


def clip_for_log(text: str, limit: int = 480) -> str:
    """``text`` cut to fit an audit entry's text field (the log refuses longer ones)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class AuditEvent:
    """One audit entry as a flow produces it: a kind and allow-listed public fields."""

    kind: str
    fields: Mapping[str, Any]
    at: dt.datetime


@runtime_checkable
class AuditSink(Protocol):
    def record(self, kind: str, fields: Mapping[str, Any]) -> None:
        """Append one event (e.g. ``"split.completed"``). Fields are public facts only."""
        ...


class MemoryAuditSink:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.events: list[AuditEvent] = []

    def record(self, kind: str, fields: Mapping[str, Any]) -> None:
        self.events.append(AuditEvent(kind, dict(fields), self.clock.now()))

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


# -- the reconstruction's record (break glass and drills) ------------------------------------


@dataclass(frozen=True)
class StartFacts:
    """Who breaks glass, for what, and whether it is a drill (public facts only)."""

    incident: str | None
    trigger: str | None
    operator: str | None
    witnesses: tuple[str, ...] = ()
    drill: bool = False
    no_witness_reason: str | None = None

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "incident": self.incident,
            "trigger": self.trigger,
            "operator": self.operator,
            "witnesses": list(self.witnesses),
            "drill": self.drill,
            "no_witness_reason": self.no_witness_reason,
        }
        return {k: v for k, v in out.items() if v is not None and v != ""}


@dataclass(frozen=True)
class ReviewView:
    """A ceremony's review record as a front end shows it: the registry's record — the same
    YAML ``breakglass review show ID`` prints — its status, its current values, and the
    fields still missing before it is complete. ``review_id`` is None when nothing is
    stored (no audit trail in this session: tests, screenshots)."""

    review_id: int | None
    status: str
    text: str
    values: Mapping[str, Any]
    missing: tuple[str, ...] = ()

    @property
    def stored(self) -> bool:
        return self.review_id is not None


@runtime_checkable
class RevealGate(Protocol):
    """Whether the credential may be shown now (the audit mirrors' fail-closed gate)."""

    @property
    def open(self) -> bool: ...

    @property
    def unreachable(self) -> list[tuple[str, str]]: ...

    def explain(self) -> str: ...


#: The network part of a reveal-gate check, taken off the GUI thread: {mirror: None if it
#: answered, else why not}. Public (names and reasons), never a secret.
GateProbe = Mapping[str, str | None]


@runtime_checkable
class ReconstructionRecorder(Protocol):
    """Where a break glass or a drill leaves its trace: one typed method per event.

    ``ReconstructFlow`` calls these (never a string-named event), handing over ``Share``
    objects whose public identity (set, number, custodian) the recorder may keep; never their
    material. ``gate``/``override_gate`` are the fail-closed reveal gate (``None``: no mirror
    configured, nothing to pass).
    """

    def started(self, facts: StartFacts) -> None: ...

    def share_accepted(self, share: Share, *, source: str) -> None: ...

    def share_refused(self, description: str, reason: str, set_fp: str | None) -> None: ...

    def quorum_reached(self, set_fp: str, shares: Sequence[Share]) -> None: ...

    def gate(self, probed: GateProbe | None = None) -> RevealGate | None: ...

    def probe_gate(self) -> GateProbe:
        """The network part of :meth:`gate` alone (the mirrors asked whether they are
        reachable), safe off the GUI thread; hand it to ``gate``/``revealed``/``copied`` as
        ``probed``, which then do not probe again."""
        ...

    def override_gate(self, reason: str) -> None: ...

    def announcement(self) -> Announcement | None: ...

    def announcement_posted(self, posted: bool, how: str) -> None: ...

    def review(self) -> ReviewView | None:
        """The review record of this ceremony, opened now if it is a real use whose
        credential was reconstructed and has none yet, refreshed from the record otherwise;
        None for a drill or before a reconstruction."""
        ...

    def review_answers(
        self, answers: Mapping[str, str | Sequence[str]]
    ) -> tuple[int, str, list[str]] | None: ...

    def revealed(self, set_fp: str, *, via: str, probed: GateProbe | None = None) -> None: ...

    def reveal_failed(self, set_fp: str, reason: str) -> None:
        """The credential could not be delivered where the reveal sent it (a file, a pipe):
        the ceremony ends as failed, not as revealed."""
        ...

    def copied(
        self, set_fp: str, *, clear_after_s: int | None, probed: GateProbe | None = None
    ) -> None: ...

    def wiped(self, set_fp: str | None) -> None: ...

    def post_use_step_done(self, step: str, note: str | None) -> None: ...

    def step_timed(self, step: str, seconds: float) -> None: ...

    def finished(self, outcome: str, set_fp: str | None) -> None: ...

    def aborted(self, reason: str) -> None: ...


class MemoryReconstructionRecorder:
    """A ReconstructionRecorder keeping events in memory, in the audit log's vocabulary
    (``share_accepted`` with set/share/custodian, ...) — for tests and screenshots.

    ``gate_status`` may be set to a :class:`RevealGate` to test the override path.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.events: list[AuditEvent] = []
        self.gate_status: RevealGate | None = None
        self.overrides: list[str] = []
        self.announcement_value: Announcement | None = None
        self.answers: dict[str, str | Sequence[str]] = {}

    def _add(self, kind: str, **fields: Any) -> None:
        clean = {k: v for k, v in fields.items() if v is not None}
        self.events.append(AuditEvent(kind, clean, self.clock.now()))

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def started(self, facts: StartFacts) -> None:
        self._add("reconstruction_started", **facts.fields())

    def share_accepted(self, share: Share, *, source: str) -> None:
        self._add(
            "share_accepted",
            set=share.fingerprint_text,
            share=share.number,
            share_desc=share.describe(),
        )

    def share_refused(self, description: str, reason: str, set_fp: str | None) -> None:
        self._add("share_refused", share_desc=description, reason=reason, set=set_fp)

    def quorum_reached(self, set_fp: str, shares: Sequence[Share]) -> None:
        self._add("quorum_reached", set=set_fp, shares=[s.describe() for s in shares])

    def gate(self, probed: GateProbe | None = None) -> RevealGate | None:
        return self.gate_status

    def probe_gate(self) -> GateProbe:
        return {}

    def override_gate(self, reason: str) -> None:
        self.overrides.append(reason)
        gate = self.gate_status
        self._add(
            "mirror_override",
            reason=reason,
            mirrors=[n for n, _ in gate.unreachable] if gate else [],
        )

    def announcement(self) -> Announcement | None:
        return self.announcement_value

    def announcement_posted(self, posted: bool, how: str) -> None:
        self._add("announcement_posted", posted=posted, how=how)

    def review(self) -> ReviewView | None:
        """An in-memory stand-in for the registry's record, built from the events kept here
        (nothing is stored: ``review_id`` is None)."""
        from breakglass_gui.audit import review as rv  # noqa: PLC0415 - not at start-up

        started = next((e for e in self.events if e.kind == "reconstruction_started"), None)
        quorum = next((e for e in self.events if e.kind == "quorum_reached"), None)
        if started is None or quorum is None or started.fields.get("drill"):
            return None
        f = started.fields
        record: dict[str, Any] = {
            "incident": f.get("incident", ""),
            "broke_glass": f.get("operator", ""),
            "witnesses": list(f.get("witnesses", [])),
            "set": quorum.fields.get("set", ""),
            "why_glass": f.get("trigger", ""),
            "shares_used": list(quorum.fields.get("shares", [])),
            "shares_refused": [
                f"{e.fields.get('share_desc', '')}: {e.fields.get('reason', '')}"
                for e in self.events
                if e.kind == "share_refused"
            ],
            "actions_taken": [
                f"post-use: {e.fields['step']}"
                for e in self.events
                if e.kind == "post_use_step_done"
            ],
            "audit_verified": "not stored: no audit trail in this session",
        }
        for key, value in self.answers.items():
            if key in rv.LIST_FIELDS:
                record[key] = list(record.get(key) or []) + [
                    v for v in value if v not in (record.get(key) or [])
                ]
            else:
                record[key] = value
        ordered = rv.ordered(record)
        missing = tuple(rv.missing_fields(ordered))
        status = "draft" if missing else "completed"
        return ReviewView(None, status, rv.to_yaml(ordered), ordered, missing)

    def review_answers(
        self, answers: Mapping[str, str | Sequence[str]]
    ) -> tuple[int, str, list[str]] | None:
        merged = dict(self.answers)
        for key, value in answers.items():
            if isinstance(value, str):
                if value.strip():
                    merged[key] = value.strip()
            else:
                old = list(merged.get(key) or [])
                merged[key] = old + [v for v in value if v not in old]
        self.answers = merged
        return None

    def revealed(self, set_fp: str, *, via: str, probed: GateProbe | None = None) -> None:
        self._add("secret_revealed", set=set_fp, via=via)

    def reveal_failed(self, set_fp: str, reason: str) -> None:
        self._add("reveal_failed", set=set_fp, reason=reason)

    def copied(
        self, set_fp: str, *, clear_after_s: int | None, probed: GateProbe | None = None
    ) -> None:
        self._add("secret_copied", set=set_fp, clear_after_s=clear_after_s)

    def wiped(self, set_fp: str | None) -> None:
        self._add("secret_wiped", set=set_fp)

    def post_use_step_done(self, step: str, note: str | None) -> None:
        self._add("post_use_step_done", step=step, note=note)

    def step_timed(self, step: str, seconds: float) -> None:
        self._add("step_timed", step=step, seconds=seconds)

    def finished(self, outcome: str, set_fp: str | None) -> None:
        self._add("reconstruction_finished", outcome=outcome, set=set_fp)

    def aborted(self, reason: str) -> None:
        self._add("ceremony_aborted", reason=reason)


# -- registry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetRecord:
    """What the registry knows about one share set: public facts only."""

    fingerprint: str
    label: str
    policy: str
    created: dt.date
    custodians: tuple[str, ...] = ()
    scope: str = ""
    status: str = "active"  # active | retired
    replaces: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Registry(Protocol):
    def add_set(self, record: SetRecord) -> None: ...

    def retire_set(self, fingerprint: str, reason: str) -> None: ...

    def list_sets(self) -> Sequence[SetRecord]: ...


class MemoryRegistry:
    def __init__(self) -> None:
        self.sets: dict[str, SetRecord] = {}
        self.retired: dict[str, str] = {}

    def add_set(self, record: SetRecord) -> None:
        if record.fingerprint in self.sets:
            raise ValueError(f"set {record.fingerprint} is already registered")
        self.sets[record.fingerprint] = record

    def retire_set(self, fingerprint: str, reason: str) -> None:
        old = self.sets[fingerprint]
        self.sets[fingerprint] = SetRecord(
            old.fingerprint,
            old.label,
            old.policy,
            old.created,
            old.custodians,
            old.scope,
            "retired",
            old.replaces,
            old.metadata,
        )
        self.retired[fingerprint] = reason

    def list_sets(self) -> Sequence[SetRecord]:
        return list(self.sets.values())


# -- the split ceremony's record ------------------------------------------------------------------


@runtime_checkable
class SplitRecorder(Protocol):
    """Where a split ceremony leaves its trace: one method per event (as ``audit.AuditTrail``).

    ``finished`` registers the new set and, with ``replaces``, retires the old one.
    Implementations name shares by number and custodian only, never by their material.
    """

    def started(
        self, share_set: ShareSet, *, operator: str | None, replaces: str | None
    ) -> None: ...

    def share_printed(self, share: Share, *, medium: str) -> None: ...

    def share_verified(self, share: Share, *, how: str) -> None: ...

    def note(self, kind: str, fields: Mapping[str, Any]) -> None:
        """Another event of this ceremony (``custodian_risk_accepted``,
        ``credential_set_confirmed``), recorded with the ceremony's id."""
        ...

    def finished(
        self,
        share_set: ShareSet,
        *,
        replaces: str | None,
        operator: str | None,
        contacts: Mapping[int, tuple[str, str]],
        scope: str = "",
    ) -> None: ...

    def aborted(self, reason: str) -> None: ...

    def announcement(self) -> Announcement | None:
        """The split's announcement once ``finished`` registered the set (its anchor is
        what the ceremony record, printed before, has a box for); None before or without."""
        ...

    def announcement_posted(self, posted: bool, how: str) -> None:
        """Log whether the split's announcement was posted (either way)."""
        ...


class PortsSplitRecorder:
    """A SplitRecorder over the small AuditSink and Registry ports (in-memory in tests)."""

    def __init__(self, audit: AuditSink, registry: Registry, clock: Clock | None = None) -> None:
        self.audit = audit
        self.registry = registry
        self.clock: Clock = clock or SystemClock()

    def _record(self, kind: str, **fields: Any) -> None:
        self.audit.record(kind, {k: v for k, v in fields.items() if v is not None})

    def started(self, share_set: ShareSet, *, operator: str | None, replaces: str | None) -> None:
        self._record(
            "split_started",
            label=share_set.header.label,
            policy=share_set.header.policy.describe(),
            custodians=[s.holder for s in share_set.shares],
            operator=operator,
            replaces=replaces,
        )

    def share_printed(self, share: Share, *, medium: str) -> None:
        self._record(
            "share_printed",
            set=share.fingerprint_text,
            share=share.number,
            custodian=share.holder,
            medium=medium,
        )

    def share_verified(self, share: Share, *, how: str) -> None:
        self._record(
            "share_verified",
            set=share.fingerprint_text,
            share=share.number,
            custodian=share.holder,
            how=how,
        )

    def note(self, kind: str, fields: Mapping[str, Any]) -> None:
        self._record(kind, **fields)

    def finished(
        self,
        share_set: ShareSet,
        *,
        replaces: str | None,
        operator: str | None,
        contacts: Mapping[int, tuple[str, str]],
        scope: str = "",
    ) -> None:
        policy = share_set.header.policy
        fp = share_set.fingerprint_text
        self.registry.add_set(
            SetRecord(
                fingerprint=fp,
                label=share_set.header.label,
                policy=policy.short(),
                created=share_set.header.created,
                custodians=tuple(s.holder for s in share_set.shares),
                scope=scope,
                replaces=replaces,
                metadata={
                    **share_set.public_metadata(),
                    "total_shares": policy.total_shares,
                    "contacts": {str(k): list(v) for k, v in contacts.items()},
                },
            )
        )
        self._record(
            "split_finished",
            set=fp,
            label=share_set.header.label,
            policy=policy.describe(),
            shares=len(share_set.shares),
            replaces=replaces,
        )
        if replaces is not None:
            self.registry.retire_set(replaces, f"replaced by set {fp}")
            self._record(
                "set_retired",
                set=replaces,
                by=operator or "split ceremony",
                reason=f"replaced by set {fp}",
                replaced_by=fp,
            )

    def aborted(self, reason: str) -> None:
        self._record("ceremony_aborted", reason=reason)

    def announcement(self) -> Announcement | None:
        return None  # no signed log here: nothing to anchor

    def announcement_posted(self, posted: bool, how: str) -> None:
        self._record("announcement_posted", posted=posted, how=how)


# -- documents -------------------------------------------------------------------------------------


@runtime_checkable
class PdfRenderer(Protocol):
    """Makes the ceremony's paper. Returns PDF bytes; writes nothing itself."""

    def share_sheet(self, share: Share, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        """One custodian's sheet (contains share material: the format requires it)."""
        ...

    def ceremony_record(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        """Who was there, the policy, the fingerprint, verification words; no share material.
        ``context["audit_anchor"]``: the split's announced anchor, printed on it ("" leaves a
        box to write it in)."""
        ...

    def runbook(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        """The reconstruction runbook for this set; no share material."""
        ...


@runtime_checkable
class DocumentSink(Protocol):
    """Where finished documents go (a folder, a print queue)."""

    def save(self, name: str, data: bytes) -> str:
        """Store ``data`` under file ``name``; return where it went (a path or a description).

        Raises ``OSError`` (e.g. a full disk) with the reason; the flow shows it and lets the
        host choose another folder.
        """
        ...


class MemoryDocumentSink:
    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}

    def save(self, name: str, data: bytes) -> str:
        self.documents[name] = bytes(data)
        return f"memory:{name}"


class FolderSink:
    """Writes documents into one folder, readable by the owner only (0600), as new files only.

    A file already at the target path is never replaced — it may be another set's share sheet —
    unless it is in ``ours``: the paths this ceremony saved itself (saving the same sheet again
    into the same folder). The write goes to a temporary file first and is linked into place,
    so a failed write leaves nothing half-written under the real name.
    """

    def __init__(self, folder: Path, ours: Collection[str] = ()) -> None:
        self.folder = Path(folder)
        self.ours = {str(p) for p in ours}

    def save(self, name: str, data: bytes) -> str:
        from breakglass_gui.platform.files import FileExistsRefusal, create_new  # noqa: PLC0415

        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"not a plain file name: {name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        tmp = path.with_name(f".{name}.{os.getpid()}.part")
        tmp.unlink(missing_ok=True)
        create_new(tmp, data)
        try:
            if str(path) in self.ours:
                os.replace(tmp, path)  # our own earlier save of this document
            else:
                try:
                    os.link(tmp, path, follow_symlinks=False)
                except FileExistsError:
                    raise FileExistsRefusal(
                        f"{path} already exists; nothing was written to it: choose an empty "
                        "folder (it may hold another set's sheets)"
                    ) from None
        finally:
            tmp.unlink(missing_ok=True)
        return str(path)


# -- scanning ------------------------------------------------------------------------------------


@runtime_checkable
class FrameSource(Protocol):
    """A camera, a fake camera or an image file: yields frames (numpy arrays, BGR or grey)."""

    def frames(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


@runtime_checkable
class QrDecoder(Protocol):
    def decode(self, frame: Any) -> list[str]:
        """The text of every QR code found in ``frame`` (may be empty)."""
        ...
