"""Break glass: the reconstruction ceremony as a step graph, without Qt.

Steps::

    trigger -> collect -> reconstruct -> [announce] -> reveal -> after (finish)

1. **trigger**: incident reference (required, pattern configurable), the runbook's trigger
   condition that holds, operator, witnesses, real use or drill; read back as one sentence.
2. **collect**: shares arrive as text (camera, image file or typed); each is checked alone and
   against the others. Duplicates, foreign sets, retired sets and corrupt shares are refused
   with a message naming the share and the reason.
3. **reconstruct**: :meth:`ReconstructFlow.run_reconstruction` (the GUI calls it off the GUI
   thread) recovers the credential into a ``SecretBytes`` held by the wizard state.
4. **announce** (a real use only: :meth:`ReconstructFlow.announce_applies`): the announcement
   made at the quorum (its anchor is the fsynced "quorum reached; announcement made" entry) is
   shown for the incident channel and the operator answers whether it was posted; the answer is
   logged either way, once per change of answer (Back and Next never log it again). The step
   is left only when the reveal gate is open: with no mirror that takes "Posted" or the typed,
   recorded override, and going on (by the override) or stopping without an answer is logged
   as not posted; with mirrors every mirror must have the record (or the override), and no
   answer is required (one given is logged). A drill is not a use:
   nothing is announced and the step is skipped. The credential cannot be revealed from this
   step.
5. **reveal**: the credential may be shown for ``reveal_seconds``; it is held at most
   ``hold_seconds`` after reconstruction, then wiped ("timeout"). Back returns to the
   announcement (hiding the credential) when there was one.
6. **after**: the post-use checklist (rotate, re-split, redistribute, postmortem) and the review
   record pre-filled from this ceremony's audit events.

Wipe happens on Done (leaving *reveal*), on timeout, on Cancel and on close (the GUI cancels):
the secret is overwritten, the collected shares and share texts are dropped, and a
``*.wiped`` event is recorded. A drill runs the same graph.
Events use the audit module's vocabulary (``reconstruction_started`` with ``drill`` true or
false, ``share_accepted``, ``share_refused``, ``quorum_reached``, ``secret_revealed``,
``secret_copied``, ``secret_wiped``, ``post_use_step_done``, ``reconstruction_finished``,
``ceremony_aborted``); the audit adapter opens the ceremony as a drill or a real use from
``reconstruction_started``, so a drill is never counted as real use.

Nothing here holds the secret in a ``str``, passes it to a callback, logs it or puts it in an
exception. Share texts are parsed at once and never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from breakglass_gui.audit.announce import Announcement
from breakglass_gui.core.errors import (
    BreakglassError,
    CorruptShareError,
    DuplicateShareError,
    ForgedShareError,
    InsufficientSharesError,
    MalformedShareError,
    RecoveryError,
    ShareError,
    WrongSetError,
)
from breakglass_gui.core.sealing import Recovery, quorum_status, recover
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.share import (
    PartAssembler,
    Share,
    SharePart,
    format_fingerprint,
)

from .ports import (
    Clock,
    GateProbe,
    ReconstructionRecorder,
    Registry,
    RevealGate,
    StartFacts,
    SystemClock,
)
from .ports import clip_for_log as _clip
from .typed_share import parse_share_text
from .wizard import Direction, Step, Wizard, WizardState

#: what a front end says while the gate's mirror check runs off its thread
GATE_CHECKING = "Checking the audit mirror…"

__all__ = [
    "CHECKLIST",
    "DEFAULT_INCIDENT_EXAMPLE",
    "DEFAULT_INCIDENT_PATTERN",
    "DEFAULT_TRIGGERS",
    "DRILL_CHECKLIST",
    "GATE_CHECKING",
    "SECRET_SLOT",
    "AcceptedShare",
    "Authorisation",
    "KnownSets",
    "Offer",
    "OfferKind",
    "ReconstructConfig",
    "ReconstructFlow",
    "ReconstructionResult",
    "RecordedEvent",
    "RetiredSetError",
    "RetiredSets",
    "ShareCollector",
    "UnknownSetError",
    "is_drill_set",
    "registry_retired_sets",
]

SECRET_SLOT = "credential"  # noqa: S105 - the name of a slot, not a value
DEFAULT_INCIDENT_PATTERN = r"INC-\d+"
#: What the person at the keyboard is shown instead of the pattern (a regex means nothing at
#: 3 a.m.): an incident reference of the expected form.
DEFAULT_INCIDENT_EXAMPLE = "INC-4821"

#: Trigger conditions in the runbook's words (practical guide: "explicit, not 'in case of
#: emergency'"). A set's runbook may supply its own list through ``ReconstructConfig``.
DEFAULT_TRIGGERS: tuple[str, ...] = (
    "the identity provider (SSO) is down and the outage is confirmed",
    "the usual admin accounts are locked out or compromised",
    "the bastion host is unreachable",
    "the CI/CD pipeline has stopped issuing credentials",
    "auto-renewing certificates have lapsed",
)

#: The mandatory post-use steps (runbook part 6), as (key, label).
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("rotate", "Rotate the credential: the reconstructed value is used for this incident only"),
    ("resplit", "Re-split the new credential (opens the split ceremony replacing this set)"),
    ("redistribute", "Redistribute the new portions; discard the old ones"),
    ("postmortem", "Postmortem the outage and review this break-glass use (blameless)"),
)

# A drill's After page: what a rehearsal is for (none of it blocks Finish).
DRILL_CHECKLIST: tuple[tuple[str, str], ...] = (
    ("bottlenecks", "Note the bottlenecks: what made the slowest step slow"),
    ("runbook_fixes", "Fix the runbook where it was unclear, wrong or out of date"),
    ("rerun_slowest", "Re-run the slowest step with the same people until it is quick"),
)


# -- configuration and ports ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReconstructConfig:
    incident_pattern: str = DEFAULT_INCIDENT_PATTERN
    incident_example: str = DEFAULT_INCIDENT_EXAMPLE
    triggers: tuple[str, ...] = DEFAULT_TRIGGERS
    reveal_seconds: float = 60.0
    clipboard_seconds: float = 30.0
    hold_seconds: float = 300.0
    require_witness: bool = False


class RetiredSets(Protocol):
    def retired_reason(self, fingerprint_text: str) -> str | None:
        """Why the set was retired (e.g. "rotated on 2026-03-01"), or None when it is not."""
        ...


class _RegistryRetired:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def retired_reason(self, fingerprint_text: str) -> str | None:
        for record in self._registry.list_sets():
            if record.fingerprint == fingerprint_text and record.status == "retired":
                reason = getattr(self._registry, "retired", {}).get(fingerprint_text)
                return str(reason) if reason else "it was retired"
        return None


@runtime_checkable
class KnownSets(Protocol):
    """Which sets this installation knows (its registry): only those are ever revealed, unless
    the set is named explicitly (``expected_fingerprint``)."""

    def is_known(self, share: Share) -> bool:
        """True when ``share``'s set is in this installation's registry."""
        ...


def is_drill_set(share: Share) -> bool:
    """True for a set made for rehearsal with a throwaway secret (marked in its header, which
    the set digest covers, so no registry edit can turn a live set into a drill set)."""
    return bool(getattr(share, "drill", False))


def registry_retired_sets(registry: Registry) -> RetiredSets:
    """Retired-set lookup over any registry port."""
    return _RegistryRetired(registry)


# -- step 1: trigger and authorisation -------------------------------------------------------------


NO_WITNESS_REASON_MIN = 10  # characters: a reason, not "n/a"


@dataclass(frozen=True)
class Authorisation:
    """Who breaks glass and why. For a real use ``incident`` is the incident reference and
    ``trigger`` the runbook condition that holds; for a drill ``incident`` says what the drill
    rehearses (no incident, no trigger). A real use with no witness needs a typed
    ``no_witness_reason``."""

    incident: str
    trigger: str
    operator: str
    witnesses: tuple[str, ...] = ()
    drill: bool = False
    no_witness_reason: str = ""

    def problems(self, config: ReconstructConfig) -> list[str]:
        out: list[str] = []
        incident = self.incident.strip()
        if self.drill:
            if not incident:
                out.append("say what this drill rehearses (e.g. “SSO down: prod-db root”)")
        elif not incident:
            out.append("an incident reference is required")
        elif not re.fullmatch(config.incident_pattern, incident):
            out.append(
                f"the incident reference {incident!r} is not of the form this installation "
                f"expects, e.g. {config.incident_example}"
            )
        trigger = " ".join(self.trigger.split())
        if not self.drill and not trigger:
            out.append("choose which trigger condition from the runbook holds")
        elif trigger and trigger not in [" ".join(t.split()) for t in config.triggers]:
            out.append(
                f"{trigger!r} is not one of the runbook's trigger conditions: choose the one "
                "that holds"
            )
        if not self.operator.strip():
            out.append("the operator's name is required")
        names = [w.strip() for w in self.witnesses if w.strip()]
        if config.require_witness and not names:
            out.append("at least one witness is required")
        elif (
            not self.drill
            and not names
            and len(self.no_witness_reason.strip()) < NO_WITNESS_REASON_MIN
        ):
            out.append(
                "no witness: name one, or type why nobody can witness this real use "
                f"(at least {NO_WITNESS_REASON_MIN} characters)"
            )
        operator = " ".join(self.operator.casefold().split())
        if operator and operator in [" ".join(w.casefold().split()) for w in names]:
            out.append("the operator cannot also be their own witness")
        return out

    def sentence(self) -> str:
        """The authorisation read back in one sentence before going on."""
        names = [w.strip() for w in self.witnesses if w.strip()]
        if not names:
            reason = self.no_witness_reason.strip()
            seen = f"with no witness ({reason})" if reason and not self.drill else "with no witness"
        elif len(names) == 1:
            seen = f"witnessed by {names[0]}"
        else:
            seen = f"witnessed by {', '.join(names[:-1])} and {names[-1]}"
        if self.drill:
            return (
                f"{self.operator.strip()} is running a drill rehearsing {self.incident.strip()}, "
                f"{seen}. This is a DRILL: it is recorded as a drill, never as real use."
            )
        what = "This is a REAL use: it is recorded, and the credential must be rotated after"
        return (
            f"{self.operator.strip()} is breaking glass for {self.incident.strip()} because "
            f"{self.trigger.strip()}, {seen}. {what}."
        )

    def fields(self) -> dict[str, Any]:
        return {
            "incident": self.incident.strip(),
            "trigger": self.trigger.strip(),
            "operator": self.operator.strip(),
            "witnesses": [w.strip() for w in self.witnesses if w.strip()],
            "drill": self.drill,
        }

    def facts(self) -> StartFacts:
        """What the recorder keeps of this authorisation."""
        names = tuple(w.strip() for w in self.witnesses if w.strip())
        if self.drill:
            return StartFacts(
                incident=None,
                trigger=f"drill rehearsing: {self.incident.strip()}",
                operator=self.operator.strip(),
                witnesses=names,
                drill=True,
            )
        return StartFacts(
            incident=self.incident.strip(),
            trigger=self.trigger.strip(),
            operator=self.operator.strip(),
            witnesses=names,
            drill=False,
            no_witness_reason=None if names else (self.no_witness_reason.strip() or None),
        )


# -- step 2: collecting shares --------------------------------------------------------------------


class OfferKind(Enum):
    ACCEPTED = "accepted"
    PART = "part"  # one part of a multi-part share; more to come
    REFUSED = "refused"


@dataclass(frozen=True)
class Offer:
    """What happened to one offered share text. ``message`` names the share, never its content."""

    kind: OfferKind
    message: str
    share_name: str | None = None
    reason: str = ""
    error: type[ShareError] | None = None
    repeat: bool = False  # the same text as the previous offer from the same source

    @property
    def accepted(self) -> bool:
        return self.kind is OfferKind.ACCEPTED


@dataclass(frozen=True)
class AcceptedShare:
    share: Share
    source: str  # "camera", "image", "typed"

    def describe(self) -> str:
        return self.share.describe()


class RetiredSetError(WrongSetError):
    """The share belongs to a set that was retired (rotated or revoked)."""


class UnknownSetError(WrongSetError):
    """The share belongs to a set this installation does not know (made elsewhere)."""


def _digest(text: str) -> bytes:
    # A digest lets us recognise a repeated text without keeping the text (share material).
    return hashlib.blake2b("".join(text.split()).encode(), digest_size=16).digest()


class ShareCollector:
    """Checks shares one by one as they arrive and keeps the accepted ones.

    The first accepted share fixes the set (unless ``expected_fingerprint`` does). A camera
    sees the same code in many frames: an offer repeating the previous text from the same
    source returns the previous outcome marked ``repeat`` and records nothing new; presenting
    the same sheet again later is refused as a duplicate.
    """

    def __init__(
        self,
        *,
        retired: RetiredSets | None = None,
        expected_fingerprint: bytes | None = None,
        on_accepted: Callable[[Share, str], None] | None = None,
        on_refused: Callable[[str, str, str, str | None], None] | None = None,
        known: KnownSets | None = None,
    ) -> None:
        self._retired = retired
        self._known = known
        self._expected = expected_fingerprint
        self._on_accepted = on_accepted
        self._on_refused = on_refused
        self._accepted: list[AcceptedShare] = []
        self._assembler = PartAssembler()
        self._last: dict[str, tuple[bytes, Offer]] = {}
        self.refusals: list[Offer] = []

    # -- queries ---------------------------------------------------------------------------------
    @property
    def accepted(self) -> list[AcceptedShare]:
        return list(self._accepted)

    @property
    def shares(self) -> list[Share]:
        return [a.share for a in self._accepted]

    @property
    def fingerprint(self) -> bytes | None:
        """The set being collected: the full 256-bit set digest of the first accepted share
        (which matched the set named, if one was), else what was named (a printed 8-byte
        fingerprint or a full digest). Two sets sharing a printed fingerprint are told apart
        by their digests."""
        if self._accepted:
            return self._accepted[0].share.set_digest
        return self._expected

    @property
    def label(self) -> str:
        return self._accepted[0].share.label if self._accepted else ""

    def status(self) -> tuple[bool, str]:
        """Whether the quorum is reached, in words ("2 of 3 collected — 1 more needed")."""
        return quorum_status(self.shares)

    def parts_in_progress(self) -> list[str]:
        return [
            f"share {number}: {have} of {count} parts read"
            for _fp, number, have, count in self._assembler.progress()
        ]

    # -- offers ----------------------------------------------------------------------------------
    def no_code_seen(self, source: str) -> None:
        """The source showed a frame with no code: the next sighting is a fresh presentation."""
        self._last.pop(source, None)

    def offer_text(self, text: str, source: str) -> Offer:
        """Parse and check one share text (QR text, one part, or a typed transcription)."""
        digest = _digest(text)
        last = self._last.get(source)
        if last is not None and last[0] == digest:
            prev = last[1]
            return Offer(prev.kind, prev.message, prev.share_name, prev.reason, prev.error, True)
        try:
            parsed = parse_share_text(text)
            if isinstance(parsed, SharePart):
                whole = self._assembler.add(parsed)
                if whole is None:
                    offer = Offer(
                        OfferKind.PART,
                        f"read {parsed.describe()}; show the other parts of that sheet",
                        f"share {parsed.number}",
                    )
                    self._last[source] = (digest, offer)
                    return offer
                parsed = whole
        except ShareError as exc:
            offer = self._refuse(exc)
        else:
            offer = self.offer_share(parsed, source)
        self._last[source] = (digest, offer)
        return offer

    def offer_share(self, share: Share, source: str) -> Offer:
        try:
            return self._offer_share(share, source)
        except ShareError as exc:  # a share read whole: its set is named with the refusal
            return self._refuse(exc, share.fingerprint_text)

    def _offer_share(self, share: Share, source: str) -> Offer:
        name = share.describe()
        reason = self._retired.retired_reason(share.fingerprint_text) if self._retired else None
        if reason:
            raise RetiredSetError(
                f"it belongs to set {share.fingerprint_text}, which was retired ({reason}); "
                "retired portions open nothing — ask for the current set's share",
                name,
            )
        if self._expected is None and self._known is not None and not self._known.is_known(share):
            raise UnknownSetError(
                f"it belongs to set {share.fingerprint_text} ({share.label or 'no label'}), "
                "which this installation does not know: it was made elsewhere, or this is the "
                "wrong data directory. Only a set named explicitly is recovered from outside the "
                f"registry (breakglass combine --fingerprint {share.fingerprint_text})",
                name,
            )
        expected = self.fingerprint
        if expected is not None and not share.matches(expected):
            label = f" ({self.label})" if self.label else ""
            same = share.fingerprint == expected[: len(share.fingerprint)]
            raise WrongSetError(
                (
                    f"it carries the printed fingerprint {share.fingerprint_text} but belongs to "
                    f"another set (set digest {share.set_digest_text}){label}: two sets made to "
                    "look alike; only one of them can be recovered here"
                )
                if same
                else (
                    f"it belongs to another set, {share.fingerprint_text} "
                    f"({share.label or 'no label'}), not "
                    f"{format_fingerprint(expected[: len(share.fingerprint)])}{label}"
                ),
                name,
            )
        for a in self._accepted:
            if a.share.number == share.number:
                raise DuplicateShareError("it was already collected", name)
            if a.share.slot == share.slot:
                raise DuplicateShareError(
                    f"it carries the same portion as {a.share.describe()}", name
                )
        self._accepted.append(AcceptedShare(share, source))
        _reached, status = self.status()
        if self._on_accepted is not None:
            self._on_accepted(share, source)
        return Offer(OfferKind.ACCEPTED, f"accepted {name}. {status}", name)

    def _refuse(self, exc: ShareError, set_fp: str | None = None) -> Offer:
        name = exc.share or "the share"
        kind = type(exc)
        label = {
            DuplicateShareError: "duplicate",
            WrongSetError: "foreign set",
            RetiredSetError: "retired set",
            UnknownSetError: "unknown set",
            CorruptShareError: "corrupt",
            ForgedShareError: "forged",
            MalformedShareError: "not a readable share",
        }.get(kind, "refused")
        offer = Offer(
            OfferKind.REFUSED,
            f"Refused {name} ({label}): {exc.reason}",
            exc.share,
            exc.reason,
            kind,
        )
        self.refusals.append(offer)
        if self._on_refused is not None:
            self._on_refused(name, f"{label}: {exc.reason}", label, set_fp)
        return offer

    def remove(self, number: int) -> None:
        self._accepted = [a for a in self._accepted if a.share.number != number]
        self._last.clear()

    def clear(self) -> None:
        """Drop every collected share, part and remembered digest."""
        self._accepted.clear()
        self._assembler.clear()
        self._last.clear()


# -- the flow ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedEvent:
    kind: str
    fields: Mapping[str, Any]
    at: dt.datetime
    note: str = ""


@dataclass
class _Outcome:
    fingerprint: str = ""
    label: str = ""
    used: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    error: str = ""
    reconstructed_at: dt.datetime | None = None
    wiped_at: dt.datetime | None = None
    wipe_reason: str = ""
    secret_length: int = 0
    policy: str = ""
    #: A drill on a live set: the quorum was proven (recovered, commitment and tag checked) and
    #: the credential wiped at once, never held for showing.
    proven_only: bool = False

    @property
    def not_shown(self) -> str:
        """The sentence a drill on a live set ends with ("" otherwise)."""
        if not self.proven_only:
            return ""
        return (
            f"These shares recover the credential of set {self.fingerprint}; not shown. "
            "A drill on a live set proves the quorum only: revealing in a drill is for drill "
            "sets (split --drill-set)."
        )


class ReconstructionResult:
    """A worker's answer: the recovery (taken exactly once) or an error in words."""

    __slots__ = ("_recovery", "error", "shares")

    def __init__(self, recovery: Recovery | None, error: str, shares: Sequence[Share]) -> None:
        self._recovery = recovery
        self.error = error
        self.shares = list(shares)

    def take(self) -> Recovery | None:
        recovery, self._recovery = self._recovery, None
        return recovery

    def discard(self) -> None:
        """Wipe a result nobody will take (e.g. the window closed while the worker ran)."""
        recovery = self.take()
        if recovery is not None:
            recovery.wipe()

    def __repr__(self) -> str:
        state = "error" if self.error else "recovery" if self._recovery else "taken"
        return f"<ReconstructionResult {state} (redacted)>"


class ReconstructFlow:
    """The break-glass ceremony: builds the :class:`Wizard` and holds what its steps need."""

    def __init__(
        self,
        recorder: ReconstructionRecorder,
        *,
        clock: Clock | None = None,
        config: ReconstructConfig | None = None,
        retired: RetiredSets | None = None,
        expected_fingerprint: bytes | None = None,
        drill: bool = False,
        known: KnownSets | None = None,
    ) -> None:
        self.recorder = recorder
        self.clock: Clock = clock or SystemClock()
        self.config = config or ReconstructConfig()
        self.drill_default = drill
        self.authorisation: Authorisation | None = None
        self.events: list[RecordedEvent] = []
        if known is None and isinstance(retired, KnownSets):
            known = retired  # the registry adapter answers both questions
        self.collector = ShareCollector(
            retired=retired,
            expected_fingerprint=expected_fingerprint,
            on_accepted=self._accepted,
            on_refused=self._refused,
            known=known,
        )
        self.outcome = _Outcome()
        self.checklist: dict[str, bool] = {key: False for key, _ in CHECKLIST}
        self.drill_checklist: dict[str, bool] = {key: False for key, _ in DRILL_CHECKLIST}
        self.started_at = self.clock.now()
        self.revealed_until: dt.datetime | None = None
        self.wipe_listeners: list[Callable[[str], None]] = []
        self._abort_reason = "cancelled"
        self.checklist_deferred = False
        #: the operator's last answer to "was the announcement posted?" (None: not asked yet)
        self.announce_answer: bool | None = None
        #: the reveal gate as last checked (on entering the announce step, after an answer or
        #: an override); the step's check reads it without probing the mirrors again
        self.gate_status: RevealGate | None = None
        #: set by a front end that runs the gate's mirror probes off its own thread (the GUI):
        #: entering the announce step, an answer and an override then only mark the gate as
        #: pending (the step stays shut) and the front end calls :meth:`probe_gate` off the
        #: thread and :meth:`check_gate` with its answer. The CLI leaves it off (synchronous).
        self.gate_checks_off_thread = False
        #: a check of the gate is due or under way: the announce step stays shut meanwhile
        self.gate_pending = False
        self.wizard = Wizard(
            [
                Step(
                    "trigger",
                    "Trigger and authorisation",
                    next="collect",
                    check=self._check_trigger,
                    on_leave=self._leave_trigger,
                ),
                Step("collect", "Collect shares", next="reconstruct", check=self._check_collect),
                Step(
                    "reconstruct",
                    "Reconstruct",
                    next=self._after_reconstruct,
                    check=self._check_reconstruct,
                    on_enter=self._enter_reconstruct,
                ),
                Step(
                    "announce",
                    "Announce",
                    next="reveal",
                    check=self._check_announce,
                    on_enter=self._enter_announce,
                    on_leave=self._leave_announce,
                    can_go_back=False,  # back would reconstruct again
                ),
                Step(
                    "reveal",
                    "Reveal",
                    next="after",
                    on_leave=self._leave_reveal,
                    # back to the announcement only (never to reconstruct again)
                    can_go_back=lambda _s: self.wizard.history[-1:] == ["announce"],
                ),
                Step("after", "After", check=self._check_after, can_go_back=False),
            ],
            start="trigger",
            on_finish=self._finish,
            on_cancel=self._cancel,
        )

    # -- identity -------------------------------------------------------------------------------
    @property
    def drill(self) -> bool:
        return self.authorisation.drill if self.authorisation else self.drill_default

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    def note(self, kind: str, fields: Mapping[str, Any], *, note: str = "") -> None:
        """Keep one event in this ceremony's own list (it feeds the review record and the
        drill report; ``note`` e.g. a wipe's reason). The audit trail is reached through the
        typed :class:`ReconstructionRecorder` calls beside each of these."""
        clean = {k: v for k, v in fields.items() if v is not None}
        self.events.append(RecordedEvent(kind, clean, self.clock.now(), note))

    def _accepted(self, share: Share, source: str) -> None:
        self.note(
            "share_accepted",
            {"set": share.fingerprint_text, "share": share.number, "share_desc": share.describe()},
            note=f"from {source}",
        )
        self.recorder.share_accepted(share, source=source)

    def _refused(self, description: str, reason: str, label: str, set_fp: str | None) -> None:
        self._refuse_event(description, reason, label, set_fp)

    def refuse_unread(self, description: str, reason: str) -> None:
        """Record an input that never reached the collector (an unreadable file, an envelope
        that would not open) as a refused share, like any other refusal."""
        self._refuse_event(description, reason, "not a readable share", None)

    def _refuse_event(self, description: str, reason: str, label: str, fp: str | None) -> None:
        self.note(
            "share_refused", {"share_desc": description, "reason": reason, "set": fp}, note=label
        )
        self.recorder.share_refused(description, reason, fp)

    # -- step 1 --------------------------------------------------------------------------------
    def authorise(
        self,
        incident: str,
        trigger: str,
        operator: str,
        witnesses: Sequence[str] = (),
        *,
        drill: bool | None = None,
        no_witness_reason: str = "",
    ) -> Authorisation:
        self.authorisation = Authorisation(
            incident,
            trigger,
            operator,
            tuple(witnesses),
            self.drill_default if drill is None else drill,
            no_witness_reason,
        )
        return self.authorisation

    def _check_trigger(self, state: WizardState) -> list[str]:
        if self.authorisation is None:
            return ["fill in the incident reference, the trigger condition and the operator"]
        return self.authorisation.problems(self.config)

    def _leave_trigger(self, state: WizardState, direction: Direction) -> None:
        if direction is Direction.FORWARD and self.authorisation is not None:
            auth = self.authorisation
            self.note("reconstruction_started", auth.fields(), note=self.sentence())
            self.recorder.started(auth.facts())

    def sentence(self) -> str:
        return self.authorisation.sentence() if self.authorisation else ""

    # -- step 2 --------------------------------------------------------------------------------
    def offer_text(self, text: str, source: str) -> Offer:
        return self.collector.offer_text(text, source)

    def _check_collect(self, state: WizardState) -> list[str]:
        reached, status = self.collector.status()
        return [] if reached else [status]

    # -- step 3 --------------------------------------------------------------------------------
    def _enter_reconstruct(self, state: WizardState) -> None:
        self.outcome.error = ""

    def _after_reconstruct(self, state: WizardState) -> str:
        # a drill on a live set has nothing to show: straight to the drill's end
        if self.outcome.proven_only:
            return "after"
        return "announce" if self.announce_applies() else "reveal"

    def _check_reconstruct(self, state: WizardState) -> list[str]:
        if self.outcome.error:
            return [self.outcome.error]
        if self.outcome.proven_only:
            return []
        if not state.has_secret(SECRET_SLOT):
            return ["the credential has not been reconstructed yet"]
        return []

    def compute_reconstruction(self) -> ReconstructionResult:
        """Recover the credential from the collected shares. Safe off the GUI thread.

        Touches no widget, records nothing and hands the secret to no callback: the result is
        an opaque holder that :meth:`apply_reconstruction` takes on the GUI thread.
        """
        shares = self.collector.shares
        try:
            recovery = recover(shares, expected_fingerprint=self.collector.fingerprint)
        except (InsufficientSharesError, RecoveryError) as exc:
            return ReconstructionResult(None, str(exc), shares)
        except BreakglassError as exc:  # pragma: no cover - defensive
            return ReconstructionResult(None, str(exc), shares)
        return ReconstructionResult(recovery, "", shares)

    def apply_reconstruction(self, result: ReconstructionResult) -> bool:
        """Take a computed result: hold the secret in the wizard state and record the event.

        Returns True when the credential is ready; otherwise ``outcome.error`` says why, in
        words naming the shares.
        """
        recovery = result.take()
        if recovery is None:
            self.outcome.error = result.error or "the credential could not be reconstructed"
            shares = result.shares
            self._refuse_event(
                "the presented quorum",
                _clip(self.outcome.error),
                "reconstruction failed",
                shares[0].fingerprint_text if shares else None,
            )
            return False
        if not self.wizard.running:  # cancelled while the worker ran
            recovery.wipe()
            return False
        shares = result.shares
        # Drills never reveal a live credential: only a drill set's may be shown in a drill.
        proven_only = self.drill and not is_drill_set(recovery.used[0])
        if proven_only:
            recovery.wipe()
        else:
            self.state.set_secret(SECRET_SLOT, recovery.secret)
        self.outcome = _Outcome(
            fingerprint=shares[0].fingerprint_text,
            label=recovery.label,
            used=[s.describe() for s in recovery.used],
            refused=[str(e) for e in recovery.rejected],
            reconstructed_at=self.clock.now(),
            secret_length=len(recovery.secret),
            policy=shares[0].policy.short(),
            proven_only=proven_only,
        )
        self.note(
            "quorum_reached",
            {"set": self.outcome.fingerprint, "shares": self.outcome.used},
            note="reconstructed",
        )
        used = set(self.outcome.used)
        self.recorder.quorum_reached(
            self.outcome.fingerprint, [s for s in shares if s.describe() in used]
        )
        for bad in recovery.rejected:
            self._refuse_event(
                bad.share or "a share",
                _clip(f"forged: {bad.reason}"),
                "forged",
                self.outcome.fingerprint,
            )
        if proven_only:
            self.outcome.wiped_at = self.clock.now()
            self.outcome.wipe_reason = "drill on a live set: proven, not shown"
            self.note(
                "secret_wiped", {"set": self.outcome.fingerprint}, note=self.outcome.wipe_reason
            )
            self.recorder.wiped(self.outcome.fingerprint)
        return True

    def run_reconstruction(self) -> bool:
        """Compute and apply in one go (headless use and tests)."""
        return self.apply_reconstruction(self.compute_reconstruction())

    @property
    def secret(self) -> SecretBytes | None:
        """The reconstructed credential, by reference (never copy it), or None."""
        if not self.state.has_secret(SECRET_SLOT):
            return None
        return self.state.secret(SECRET_SLOT)

    @property
    def ready(self) -> bool:
        return self.secret is not None

    # -- step 4 --------------------------------------------------------------------------------
    def reveal(self, via: str = "screen", probed: GateProbe | None = None) -> dt.datetime:
        """Start a reveal window; return when it ends. Recorded (without the value).

        ``via``: "screen" (the GUI), "stdout" or "file" (the CLI, which writes the credential
        once and wipes it; record it with :meth:`reveal_failed` if that write fails).
        ``probed``: the network part of this reveal's own gate check, taken off the GUI thread
        by :meth:`probe_gate` after the operator asked for the reveal.
        """
        if self.outcome.proven_only:
            raise BreakglassError(self.outcome.not_shown)
        if self.secret is None:
            raise BreakglassError("there is no credential to reveal (it was wiped)")
        self._require_reveal_step()
        # Recorded first: the recorder checks the reveal gate again at this moment and raises
        # (the credential stays hidden) when a mirror went down or nothing was announced.
        if probed is None:
            self.recorder.revealed(self.outcome.fingerprint, via=via)
        else:
            self.recorder.revealed(self.outcome.fingerprint, via=via, probed=probed)
        until = self.clock.now() + dt.timedelta(seconds=self.config.reveal_seconds)
        self.revealed_until = until
        self.note(
            "secret_revealed",
            {"set": self.outcome.fingerprint, "via": via},
            note=f"for {self.config.reveal_seconds:g} s" if via == "screen" else f"to {via}",
        )
        return until

    def announcement(self) -> Announcement | None:
        """The text (and anchor) to post to the incident channel before the reveal."""
        return self.recorder.announcement()

    def announcement_posted(self, posted: bool, how: str) -> None:
        """Whether the operator posted the announcement (logged either way). The same answer
        given again (a second press, Back and Next) is not logged again; a changed answer
        is. The reveal gate is checked afresh after a logged answer."""
        if self._log_answer(posted, how):
            self._gate_changed()

    def _log_answer(self, posted: bool, how: str) -> bool:
        if posted == self.announce_answer:
            return False
        self.note("announcement_posted", {"posted": posted, "how": how})
        self.recorder.announcement_posted(posted, how)
        self.announce_answer = posted
        return True

    # -- the announce step ----------------------------------------------------------------------
    def proves_only(self) -> bool:
        """Whether this ceremony proves the quorum without showing the credential: a drill on
        a live set. Known once the first share is collected (its set header says whether it
        is a drill set), or once the reconstruction ran."""
        if self.outcome.proven_only:
            return True
        shares = self.collector.shares
        return self.drill and bool(shares) and not is_drill_set(shares[0])

    def announce_applies(self) -> bool:
        """Whether this ceremony has the announce step: a real use whose quorum was announced
        (a drill is not a use and announces nothing; a recorder without announcements, e.g.
        an in-memory one, has nothing to show)."""
        return not self.drill and self.announcement() is not None

    def check_gate(self, probed: GateProbe | None = None) -> RevealGate | None:
        """Check the reveal gate now (one call to the recorder, which probes the mirrors, or
        takes ``probed``, their answers from :meth:`probe_gate`) and keep the answer for the
        announce step's check."""
        if probed is None:
            self.gate_status = self.recorder.gate()
        else:
            self.gate_status = self.recorder.gate(probed)
        self.gate_pending = False
        return self.gate_status

    def probe_gate(self) -> GateProbe:
        """The network part of a gate check (the mirrors asked whether they are reachable):
        safe off the GUI thread; touches no widget, no log, no registry, no secret."""
        return self.recorder.probe_gate()

    def _gate_changed(self) -> None:
        """The gate must be checked again: now, or (front ends with off-thread checks) marked
        pending until the front end's check comes back."""
        if self.gate_checks_off_thread:
            self.gate_pending = True
        else:
            self.check_gate()

    def override_gate(self, reason: str) -> None:
        """Open a shut gate with a typed reason (logged by the recorder; ``CeremonyError`` when
        too short), then check the gate again."""
        self.recorder.override_gate(reason)
        self._gate_changed()

    def announce_needs_posted(self) -> bool:
        """True when only "Posted" (or the override) opens the gate: no mirror configured."""
        status = self.gate_status
        return bool(status is not None and getattr(status, "needs_announcement", False))

    def _enter_announce(self, state: WizardState) -> None:
        self._gate_changed()

    def _check_announce(self, state: WizardState) -> list[str]:
        if self.gate_pending:
            return [GATE_CHECKING]
        status = self.gate_status
        if status is None or status.open:
            return []
        if self.announce_needs_posted():
            if self.announce_answer is False:
                return [
                    "Not posted: the credential stays sealed. Post it and press Posted, or type "
                    "why the ceremony must go on without it and press Override (recorded)."
                ]
            return ["Post this to the incident channel, then press Posted."]
        return [status.explain()]

    def _leave_announce(self, state: WizardState, direction: Direction) -> None:
        # Only where the announcement is the trace outside the laptop (no mirror) does leaving
        # without an answer say something: logged as not posted. With mirrors holding the
        # record nothing was required, and no answer is no answer (the review record reads a
        # "not posted" as part of a bypassed gate).
        if self.announce_answer is not None or not self.announce_needs_posted():
            return
        if direction is Direction.FORWARD:  # only the typed override lets it go on
            why = "went on by the typed override"
        elif direction is Direction.CANCEL:
            why = "the ceremony was stopped at the announce step"
        else:
            return
        # logged without checking the gate again: the reveal checks it, as its own call
        self._log_answer(False, f"not answered; {why}")

    def _require_reveal_step(self) -> None:
        if self.wizard.running and self.wizard.current != "reveal":
            raise BreakglassError(
                "the credential is revealed at the reveal step only, after the announce step "
                "has been answered"
            )

    def reveal_failed(self, reason: str) -> None:
        """The credential could not be delivered where the reveal sent it: recorded as a
        failure, not as revealed (the audit adapter closes the ceremony as failed)."""
        self.revealed_until = None
        self.outcome.error = reason
        self.note("reveal_failed", {"set": self.outcome.fingerprint, "reason": _clip(reason)})
        self.recorder.reveal_failed(self.outcome.fingerprint, _clip(reason))

    def hide(self, reason: str = "hidden") -> None:
        if self.revealed_until is not None:
            self.revealed_until = None
            self.note("hidden", {}, note=reason)

    def reveal_remaining(self) -> float:
        """Seconds left in the current reveal window (0 when hidden)."""
        if self.revealed_until is None:
            return 0.0
        return max(0.0, (self.revealed_until - self.clock.now()).total_seconds())

    def hold_remaining(self) -> float:
        """Seconds before the held credential is wiped for timeout (0 when none is held)."""
        if self.secret is None or self.outcome.reconstructed_at is None:
            return 0.0
        end = self.outcome.reconstructed_at + dt.timedelta(seconds=self.config.hold_seconds)
        return max(0.0, (end - self.clock.now()).total_seconds())

    def tick(self) -> None:
        """Apply the clock: end an expired reveal; wipe a credential held too long."""
        if self.revealed_until is not None and self.reveal_remaining() <= 0:
            self.hide("countdown ended")
        if self.secret is not None and self.hold_remaining() <= 0:
            self.wipe("timeout")

    def note_copied(self, seconds: float, probed: GateProbe | None = None) -> None:
        """Record a copy; call it before copying (the recorder checks the gate and raises).
        ``probed``: as for :meth:`reveal`."""
        self._require_reveal_step()
        if probed is None:
            self.recorder.copied(self.outcome.fingerprint, clear_after_s=round(seconds))
        else:
            self.recorder.copied(
                self.outcome.fingerprint, clear_after_s=round(seconds), probed=probed
            )
        self.note(
            "secret_copied", {"set": self.outcome.fingerprint, "clear_after_s": round(seconds)}
        )

    def _leave_reveal(self, state: WizardState, direction: Direction) -> None:
        if direction is Direction.FORWARD:
            self.wipe("done")
        elif direction is Direction.BACK:
            self.hide("back to the announcement")

    # -- wipe ---------------------------------------------------------------------------------
    def wipe(self, reason: str) -> None:
        """Overwrite the credential, drop the shares; tell listeners (widgets, clipboard)."""
        held = self.state.secret(SECRET_SLOT) is not None
        self.state.drop_secret(SECRET_SLOT)
        self.collector.clear()
        self.revealed_until = None
        for listener in list(self.wipe_listeners):
            listener(reason)
        if held and self.outcome.wiped_at is None:
            self.outcome.wiped_at = self.clock.now()
            self.outcome.wipe_reason = reason
            self.note("secret_wiped", {"set": self.outcome.fingerprint}, note=reason)
            self.recorder.wiped(self.outcome.fingerprint or None)

    # -- step 5 --------------------------------------------------------------------------------
    def tick_item(self, key: str, done: bool = True, note: str = "") -> None:
        """Tick (or untick) one item of the After checklist (a drill's own list for drills)."""
        items = self.drill_checklist if key in self.drill_checklist else self.checklist
        if key not in items:
            raise KeyError(key)
        if done and not items[key]:
            self.note("post_use_step_done", {"step": key, "note": note or None})
            self.recorder.post_use_step_done(key, note or None)
        items[key] = done

    def defer_checklist(self) -> None:
        """A front end that cannot tick the checklist in this session (the CLI prints it and
        exits): the ceremony finishes with the post-use steps open; the review record the
        audit trail opens for a real use tracks them."""
        self.checklist_deferred = True

    def _check_after(self, state: WizardState) -> list[str]:
        if self.drill or self.checklist_deferred:
            return []
        labels = dict(CHECKLIST)
        return [f"not yet ticked: {labels[k]}" for k, done in self.checklist.items() if not done]

    def _finish(self, state: WizardState) -> None:
        self.wipe("done")
        outcome = "drill completed" if self.drill else "completed"
        fp = self.outcome.fingerprint or None
        self.note("reconstruction_finished", {"outcome": outcome, "set": fp})
        self.recorder.finished(outcome, fp)
        self._open_steps_to_follow_ups()

    def _cancel(self, state: WizardState) -> None:
        self.wipe("cancelled")
        title = self.wizard.steps[self.wizard.current].title.lower()
        reason = f"{self._abort_reason} at the {title} step"
        self.note("ceremony_aborted", {"reason": reason})
        self.recorder.aborted(reason)
        self._open_steps_to_follow_ups()

    def open_follow_ups(self) -> list[str]:
        """The post-use steps not ticked, as the follow-ups of the review record: a real use
        whose credential existed (shown or not) ends with every unticked step there, to be
        closed later (``breakglass review close-follow-up``)."""
        if self.drill or not self.outcome.used or self.outcome.proven_only:
            return []
        labels = dict(CHECKLIST)
        return [
            f"post-use step open: {labels[k]}" for k, done in self.checklist.items() if not done
        ]

    def _open_steps_to_follow_ups(self) -> None:
        items = self.open_follow_ups()
        if items:
            self.recorder.review_answers({"follow_ups": items})

    def close(self, reason: str = "window closed") -> None:
        """The window is closing (the command ending): cancel (which wipes) if still running."""
        if self.wizard.running:
            self.wipe("closed")
            self._abort_reason = reason
            self.wizard.cancel()
        else:
            self.wipe("closed")

    # -- review record ------------------------------------------------------------------------
    def review_record(self, *, bypass_rate: str = "") -> str:
        """The blameless review record, pre-filled from this ceremony's audit events."""
        auth = self.authorisation
        o = self.outcome

        def stamp(when: dt.datetime | None) -> str:
            return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else "—"

        refused = [
            f"{e.fields.get('share_desc', '')}: {e.fields.get('reason', '')}"
            for e in self.events
            if e.kind == "share_refused"
        ]
        kind = "drill" if self.drill else "break-glass"
        lines = [
            f"# {kind} review record — {auth.incident.strip() if auth else '(no incident)'}",
            f"incident:        {auth.incident.strip() if auth else ''}",
            f"kind:            {'DRILL (not real use)' if self.drill else 'real use'}",
            f"broke_glass:     {auth.operator.strip() if auth else ''}",
            f"witnesses:       {', '.join(auth.fields()['witnesses']) if auth else ''}",
            f"why_glass:       {auth.trigger.strip() if auth else ''}",
            f"credential:      {o.label or '(no label)'} — set {o.fingerprint or '—'}",
            f"window:          {stamp(self.started_at)} → {stamp(o.wiped_at)}"
            + (f"  (wiped: {o.wipe_reason})" if o.wipe_reason else ""),
            "shares_used:     " + ("; ".join(o.used) if o.used else "—"),
            "refused:         " + ("; ".join(refused) if refused else "none"),
            "actions_taken:   ",
            "appropriate?:    ",
            "audit_verified:  ",
        ]
        ann = self.recorder.announcement()
        if ann is not None:  # the same anchor as posted: check it with audit verify --anchor
            lines.append(f"audit_anchor:    {ann.anchor}")
        lines += [
            "follow_ups:",
        ]
        labels = dict(DRILL_CHECKLIST if self.drill else CHECKLIST)
        for key, done in (self.drill_checklist if self.drill else self.checklist).items():
            lines.append(f"  - [{'x' if done else ' '}] {labels[key]}")
        lines += [
            "reviewer:        ",
            f"bypass_rate:     {bypass_rate}",
        ]
        return "\n".join(lines) + "\n"
