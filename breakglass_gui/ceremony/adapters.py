"""The real adapters behind the ceremony ports: paper PDFs and the audit trail.

* :class:`PaperRenderer` makes the share sheets, ceremony record and runbook with
  ``breakglass_gui.paper``.
* :class:`TrailSplitRecorder` records a split ceremony through ``audit.AuditTrail`` (signed
  log, registry, mirrors), keeping the ceremony id the trail hands out.
* :class:`TrailReconstructionRecorder` records a break glass or a drill (``ReconstructFlow``'s
  typed recorder port) as one ceremony of the trail, and carries the fail-closed mirror gate.
* :class:`TrailRetiredSets` answers the collect step's "is this set retired?" from the registry.
* :class:`TrailCheckin` checks in one share at a time: checked alone, against the registry,
  recorded as a check-in.
* :func:`trail_rows` works out the main window's per-set rows from the trail's registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from breakglass_gui.audit.announce import Announcement
from breakglass_gui.audit.review import close_follow_up as close_review_follow_up
from breakglass_gui.audit.review import (
    complete_review,
    get_review,
    missing_fields,
    open_review,
    to_yaml,
)
from breakglass_gui.audit.review import open_follow_ups as review_follow_ups
from breakglass_gui.audit.service import AuditTrail, CeremonyError, GateStatus, RetiredShareError
from breakglass_gui.core.errors import ShareError

from .overview import SetRow
from .ports import REMOTE_SOURCE, GateProbe, ReviewView, StartFacts

if TYPE_CHECKING:  # the share code loads when a share is first read, not with the GUI
    from breakglass_gui.core.sealing import ShareSet
    from breakglass_gui.core.share import Share

__all__ = [
    "CheckinOutcome",
    "FollowUp",
    "PaperRenderer",
    "TrailCheckin",
    "TrailReconstructionRecorder",
    "TrailRetiredSets",
    "TrailSplitRecorder",
    "close_follow_up",
    "open_follow_ups",
    "trail_rows",
]


class PaperRenderer:
    """``PdfRenderer`` over ``breakglass_gui.paper`` (A4 or letter).

    The paper modules (reportlab, qrcode, PIL) are imported when the first document is made,
    not with this module: the GUI's first window and the light CLI commands never load them.
    """

    def __init__(
        self,
        paper: str = "a4",
        *,
        appendix: bool = True,
        audit_public_key: str | None = None,
        triggers: Sequence[str] = (),
        incident_example: str = "",
        reveal_seconds: float = 0,
        clipboard_seconds: float = 0,
        rules_home: Path | None = None,
        set_card: Callable[[ShareSet, Mapping[str, Any]], tuple[str, str]] | None = None,
    ) -> None:
        self.paper = paper
        # (share set, context) -> (the set card's QR text, its signer's fingerprint), printed
        # on the runbook and the ceremony record; None: no card (no audit trail)
        self.set_card = set_card
        self.appendix = appendix
        self.audit_public_key = audit_public_key
        self.triggers = tuple(triggers)
        self.incident_example = incident_example
        self.reveal_seconds = round(reveal_seconds)
        self.clipboard_seconds = round(clipboard_seconds)
        self.rules_home = rules_home  # read when a runbook is made: the rules of that moment

    def _rules(self) -> dict[str, Any]:
        """The ceremony rules the runbook prints: given, or read from ``rules_home``."""
        if self.rules_home is not None and not self.triggers:
            from .rules import load_rules  # noqa: PLC0415

            rules = load_rules(self.rules_home)
            return {
                "triggers": rules.triggers,
                "incident_example": rules.incident_example,
                "reveal_seconds": round(rules.reveal_seconds),
                "clipboard_seconds": round(rules.clipboard_seconds),
            }
        return {
            "triggers": self.triggers,
            "incident_example": self.incident_example,
            "reveal_seconds": self.reveal_seconds,
            "clipboard_seconds": self.clipboard_seconds,
        }

    # breakglass_gui.paper (reportlab, qrcode, PIL) is imported when a document is made, not
    # when the adapters are: the GUI's first window and the CLI's combine never load it.
    def share_sheet(self, share: Share, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf  # noqa: PLC0415

        who = str(context.get("who_to_call") or "")
        return share_sheet_pdf(
            share, SheetOptions(self.paper, who_to_call=who, appendix=self.appendix)
        )

    def ceremony_record(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        from breakglass_gui.paper.record import ceremony_record_pdf  # noqa: PLC0415

        card, signer = self._card(share_set, context)
        return ceremony_record_pdf(
            share_set,
            self.paper,
            custodian_risk=str(context.get("custodian_risk") or ""),
            set_card=card,
            set_card_signer=signer,
            audit_anchor=str(context.get("audit_anchor") or ""),
        )

    def _card(self, share_set: ShareSet, context: Mapping[str, Any]) -> tuple[str, str]:
        return ("", "") if self.set_card is None else self.set_card(share_set, context)

    def runbook(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        from breakglass_gui.paper.runbook import (  # noqa: PLC0415
            DEFAULT_ALTERNATE_MINUTES,
            RunbookInputs,
            RunbookSettings,
            runbook_pdf,
        )
        from breakglass_gui.paper.setinfo import SetInfo  # noqa: PLC0415

        contacts: dict[str, tuple[str, ...]] = {}
        alternates: dict[str, str] = {}
        locations: dict[str, str] = {}
        for person in context.get("custodians") or []:
            name = str(person.get("name") or "")
            if not name:
                continue
            contact = str(person.get("contact") or "")
            if contact:
                contacts[name] = (*contacts.get(name, ()), contact)
            for table, key in ((alternates, "alternate"), (locations, "location")):
                value = str(person.get(key) or "")
                if value:
                    table[name] = value
        minutes = context.get("alternate_after_minutes")
        settings = RunbookSettings(
            incident_channel=str(context.get("incident_channel") or ""),
            contacts=contacts,
            alternates=alternates,
            locations=locations,
            alternate_after_minutes=minutes
            if isinstance(minutes, int) and 1 <= minutes <= 1440
            else DEFAULT_ALTERNATE_MINUTES,
            **self._rules(),
            audit_public_key=self.audit_public_key,
        )
        card, signer = self._card(share_set, context)
        inputs = RunbookInputs(
            SetInfo.from_share_set(share_set), settings, set_card=card, set_card_signer=signer
        )
        return runbook_pdf(inputs, self.paper)


class TrailSplitRecorder:
    """``SplitRecorder`` over an :class:`AuditTrail`: one ceremony id per split ceremony."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail
        self.ceremony: int | None = None

    def started(self, share_set: ShareSet, *, operator: str | None, replaces: str | None) -> None:
        if self.ceremony is not None:
            return
        self.ceremony = self.trail.split_started(
            label=share_set.header.label,
            policy=share_set.header.policy,
            custodians=[s.holder for s in share_set.shares],
            operator=operator,
            replaces=replaces,
        )

    def share_printed(self, share: Share, *, medium: str) -> None:
        self.trail.share_printed(share, ceremony=self.ceremony, medium=medium)

    def share_verified(self, share: Share, *, how: str) -> None:
        self.trail.share_verified(share, ceremony=self.ceremony, how=how)

    def note(self, kind: str, fields: Mapping[str, Any]) -> None:
        self.trail.record(kind, {**fields, "ceremony": self.ceremony})

    def finished(
        self,
        share_set: ShareSet,
        *,
        replaces: str | None,
        operator: str | None,
        contacts: Mapping[int, tuple[str, str]],
        scope: str = "",
    ) -> None:
        if self.ceremony is None:
            self.started(share_set, operator=operator, replaces=replaces)
        assert self.ceremony is not None
        self.trail.split_finished(
            self.ceremony,
            share_set,
            replaces=replaces,
            operator=operator,
            contacts=dict(contacts),
        )
        # the set's identity: its full digest (what "only known sets" checks against)
        self.trail.registry.record_digest(
            share_set.fingerprint_text, share_set.digest.hex().upper()
        )

    def aborted(self, reason: str) -> None:
        if self.ceremony is None:
            # Nothing was recorded yet: open the ceremony so that its abort is on the record.
            self.ceremony = self.trail.registry.start_ceremony("split", self.trail.now())
        self.trail.ceremony_aborted(self.ceremony, reason)

    def announcement(self) -> Announcement | None:
        if self.ceremony is None:
            return None
        return self.trail.announcement(self.ceremony)

    def announcement_posted(self, posted: bool, how: str) -> None:
        if self.ceremony is None:
            raise CeremonyError("no split ceremony was recorded: nothing was announced")
        self.trail.announcement_confirmed(self.ceremony, posted=posted, how=how)


def _digest_hex(share: Share) -> str:
    return share.set_digest.hex().upper()


class TrailRetiredSets:
    """``RetiredSets`` and ``KnownSets`` over the registry: why (when, by whom) a set was
    retired, else None; and whether this installation knows a share's set at all."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    def is_known(self, share: Share) -> bool:
        """Known by the full set digest: a set made elsewhere to share this one's printed
        fingerprint is not known."""
        return self.trail.registry.set_by_digest(_digest_hex(share)) is not None

    def retired_reason(self, fingerprint_text: str) -> str | None:
        rec = self.trail.registry.get_set(fingerprint_text)
        if rec is None or rec.status != "retired":
            return None
        text = f"on {(rec.retired_at or '')[:10] or 'an unknown date'} by {rec.retired_by}"
        if rec.replaced_by:
            text += f", replaced by set {rec.replaced_by}"
        return text


class TrailReconstructionRecorder:
    """:class:`ReconstructionRecorder` for a ``ReconstructFlow`` (break glass or drill) over an
    :class:`AuditTrail`.

    ``started`` opens the ceremony in the registry, as a drill or as a real reconstruction
    (only the latter counts toward the bypass rate); every later event is recorded through the
    trail's method for it, with the ceremony number. At the end a real use whose credential
    was shown or copied marks its set "rotation due" (the trail does that for the outcome
    "revealed"); a drill never does.

    The fail-closed mirror gate: :meth:`gate` says whether the credential may be shown now;
    :meth:`override_gate` opens it with a typed reason, which the trail logs (and mirrors
    later). The trail itself refuses ``secret_revealed`` while the gate is shut.
    """

    def __init__(self, trail: AuditTrail, *, drill: bool = False) -> None:
        self.trail = trail
        self.drill = drill
        self.ceremony: int | None = None
        self.set_fp: str | None = None
        self.reconstructed = False
        self.exposed = False
        self.closed = False
        self.review_id: int | None = None
        self.reveal_error: str | None = None
        self._started: StartFacts | None = None
        self._last_gate: GateStatus | None = None

    # -- the port ---------------------------------------------------------------------------
    def started(self, facts: StartFacts) -> None:
        if self.ceremony is not None and not self.closed:
            if facts == self._started:
                return  # Back to the trigger step and on again, nothing changed
            self.trail.ceremony_aborted(self.ceremony, "the authorisation was changed")
        self.drill = facts.drill
        self.ceremony = self.trail.reconstruction_started(
            incident=facts.incident or None,
            operator=facts.operator or None,
            witnesses=list(facts.witnesses),
            drill=facts.drill,
            trigger=facts.trigger or None,
            no_witness_reason=facts.no_witness_reason,
        )
        self._started = facts
        self.closed = False
        self.reconstructed = self.exposed = False

    def _open(self) -> int | None:
        """The ceremony to record in; None once it is over (e.g. a wipe on close after
        Finish)."""
        if self.closed:
            return None
        return self._ceremony()

    def share_accepted(self, share: Share, *, source: str) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.share_accepted(cid, share, remote=source == REMOTE_SOURCE)

    def share_refused(self, description: str, reason: str, set_fp: str | None) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.share_refused(cid, description, reason, set_fp or self.set_fp)

    def quorum_reached(self, set_fp: str, shares: Sequence[Share]) -> None:
        cid = self._open()
        if cid is None:
            return
        self.set_fp = set_fp
        self.reconstructed = True
        self.trail.quorum_reached(cid, set_fp, shares)

    def revealed(self, set_fp: str, *, via: str, probed: GateProbe | None = None) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.secret_revealed(cid, set_fp or str(self.set_fp), via, probed)
            self.exposed = True

    def copied(
        self, set_fp: str, *, clear_after_s: int | None, probed: GateProbe | None = None
    ) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.secret_copied(cid, set_fp or str(self.set_fp), clear_after_s, probed)
            self.exposed = True

    def reveal_failed(self, set_fp: str, reason: str) -> None:
        # the credential could not be delivered (e.g. the output file failed): the ceremony
        # closes as failed, never as revealed
        self.exposed = False
        self.reveal_error = reason or "the credential could not be written"

    def wiped(self, set_fp: str | None) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.secret_wiped(cid, set_fp or self.set_fp)

    def post_use_step_done(self, step: str, note: str | None) -> None:
        cid = self._open()
        if cid is not None:
            self.trail.post_use_step_done(cid, step, note)

    def step_timed(self, step: str, seconds: float) -> None:
        # recorded after Finish too: a drill's timings close its record
        self.trail.step_timed(self._ceremony(), step, seconds)

    def finished(self, outcome: str, set_fp: str | None) -> None:
        if self.closed:
            return
        cid = self._ceremony()
        self.closed = True
        self.review_id = self.trail.reconstruction_finished(cid, self._outcome(), self.set_fp)

    def aborted(self, reason: str) -> None:
        if self.closed:
            return
        cid = self._ceremony()
        self.closed = True
        if self.reconstructed:
            # The credential existed: close the ceremony as a use (so a shown credential is
            # still marked rotation-due), after saying how it ended.
            self.trail.record("ceremony_aborted", {"ceremony": cid, "reason": reason})
            self.review_id = self.trail.reconstruction_finished(cid, self._outcome(), self.set_fp)
        else:
            self.trail.ceremony_aborted(cid, reason)

    # -- the gate ---------------------------------------------------------------------------
    def gate(self, probed: GateProbe | None = None) -> GateStatus | None:
        """The reveal gate for this ceremony, checked afresh (None: no ceremony yet). With no
        mirror it waits for the announcement to be confirmed posted (or an override).
        ``probed``: the mirrors' answers taken off the GUI thread (:meth:`probe_gate`)."""
        if self.ceremony is None:
            return None
        self._last_gate = self.trail.reveal_gate(self.ceremony, probed)
        return self._last_gate

    def probe_gate(self) -> GateProbe:
        """Ask the mirrors whether they are reachable (network only: no log, no registry), safe
        off the GUI thread. A drill's gate, or one before any ceremony, probes nothing."""
        if self.ceremony is None or self.drill:
            return {}
        return self.trail.probe_mirrors()

    def announcement(self) -> Announcement | None:
        """The announcement made at the quorum (a real use), or None (a drill, or no quorum)."""
        if self.ceremony is None:
            return None
        return self.trail.announcement(self.ceremony)

    def announcement_posted(self, posted: bool, how: str) -> None:
        self.trail.announcement_confirmed(self._ceremony(), posted=posted, how=how)

    def _review_id(self) -> int | None:
        """The registry's review record of this ceremony: opened (or refreshed from the log,
        people's answers kept) while a real use whose credential was reconstructed is still
        on screen; after the end, the one the end opened. None for a drill, or when nothing
        was reconstructed and the ceremony is still running."""
        if self.drill or self.ceremony is None:
            return None
        if not self.closed and self.reconstructed:
            self.review_id = open_review(self.trail, self.ceremony, verify=self.review_id is None)
        return self.review_id

    def review(self) -> ReviewView | None:
        rid = self._review_id()
        if rid is None:
            return None
        status, record = get_review(self.trail, rid)
        missing = () if status == "completed" else tuple(missing_fields(record))
        return ReviewView(rid, status, to_yaml(record), record, missing)

    def review_answers(
        self, answers: Mapping[str, str | Sequence[str]]
    ) -> tuple[int, str, list[str]] | None:
        """People's answers into the registry's review record of this ceremony (the one
        ``breakglass review`` shows): (review id, "completed" or "draft", fields still
        missing); None without a record (a drill, or nothing reconstructed yet)."""
        if self._review_id() is None or self.review_id is None:
            return None
        given = {k: v for k, v in answers.items() if (v.strip() if isinstance(v, str) else v)}
        status, missing = complete_review(self.trail, self.review_id, given)
        return self.review_id, status, missing

    def override_gate(self, reason: str) -> None:
        """Open a shut gate with a typed reason (logged; ``CeremonyError`` if too short)."""
        # the mirrors named are those of the last check (the one that shut the gate); probe
        # only when there was none, so that an override does not wait on a dead mirror again
        status = self._last_gate if self._last_gate is not None else self.gate()
        names = [n for n, _why in status.unreachable] if status is not None else []
        self.trail.override_gate(self._ceremony(), reason, names)

    # -- internals --------------------------------------------------------------------------
    def _ceremony(self) -> int:
        if self.ceremony is None:
            # An event before the authorisation (a cancel at the trigger step): open the
            # ceremony so that it is on the record.
            kind = "drill" if self.drill else "reconstruction"
            self.ceremony = self.trail.registry.start_ceremony(kind, self.trail.now())
        return self.ceremony

    def _outcome(self) -> str:
        if self.reveal_error is not None:
            return f"failed: {self.reveal_error}"[:200]
        if self.exposed:
            return "revealed"  # the trail marks a real use's set rotation-due for this one
        if self.reconstructed:
            return "reconstructed, never shown"
        return "not reconstructed"


# -- check-in -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinOutcome:
    """What happened to one offered share text. ``message`` names the share, never its content.

    ``kind``: "checked-in", "again" (already checked in during this session), "part" (one part
    of a multi-part code; show the rest), "unknown-set", "retired-set", "unreadable".
    """

    kind: str
    message: str
    share_name: str | None = None
    set_fp: str | None = None
    number: int | None = None
    repeat: bool = False  # the same text as the previous offer from the same source

    @property
    def ok(self) -> bool:
        return self.kind in ("checked-in", "again")


def _digest(text: str) -> bytes:
    # recognise a repeated text (a camera sees one code in many frames) without keeping it
    return hashlib.blake2b("".join(text.split()).encode(), digest_size=16).digest()


class TrailCheckin:
    """ "Check in a share": a custodian shows their share; it is checked alone (its checksums and
    its proof of membership in its set; nothing is reconstructed), looked up in the registry
    (unknown and retired sets are named), and recorded as a check-in ("share k of set F present
    and intact"). Share texts are parsed at once and never kept.
    """

    def __init__(self, trail: AuditTrail, *, by: str | None = None) -> None:
        self.trail = trail
        self.by = by
        from breakglass_gui.core.share import PartAssembler  # noqa: PLC0415 - on first use

        self.checked: list[tuple[str, int, str]] = []  # (set, number, description)
        self._assembler = PartAssembler()
        self._last: dict[str, tuple[bytes, CheckinOutcome]] = {}

    def no_code_seen(self, source: str) -> None:
        self._last.pop(source, None)

    def offer_text(self, text: str, source: str = "typed") -> CheckinOutcome:
        from breakglass_gui.core.share import SharePart  # noqa: PLC0415

        from .typed_share import parse_share_text  # noqa: PLC0415

        digest = _digest(text)
        last = self._last.get(source)
        if last is not None and last[0] == digest:
            prev = last[1]
            return CheckinOutcome(
                prev.kind, prev.message, prev.share_name, prev.set_fp, prev.number, True
            )
        try:
            parsed = parse_share_text(text)
        except ShareError as exc:
            name = exc.share or "This code"
            outcome = CheckinOutcome("unreadable", f"{name} cannot be checked in: {exc.reason}")
        else:
            if isinstance(parsed, SharePart):
                whole = self._assembler.add(parsed)
                if whole is None:
                    outcome = CheckinOutcome(
                        "part",
                        f"Read {parsed.describe()}; show the other parts of that sheet.",
                        f"share {parsed.number}",
                    )
                else:
                    outcome = self.offer_share(whole)
            else:
                outcome = self.offer_share(parsed)
        self._last[source] = (digest, outcome)
        return outcome

    def offer_share(self, share: Share) -> CheckinOutcome:
        fp, name = share.fingerprint_text, share.describe()
        for done_fp, number, _desc in self.checked:
            if done_fp == fp and number == share.number:
                return CheckinOutcome(
                    "again",
                    f"{_cap(name)} was already checked in just now.",
                    name,
                    fp,
                    share.number,
                )
        # known by the full set digest, not by the printed fingerprint alone
        rec = self.trail.registry.set_by_digest(_digest_hex(share))
        if rec is None:
            reason = f"set {fp} ({share.label or 'no label'}) is not in this registry"
            self.trail.record("checkin_refused", {"share_desc": name, "reason": reason, "set": fp})
            return CheckinOutcome(
                "unknown-set",
                f"{_cap(name)} is intact, but {reason}: it was made elsewhere, or this is the "
                "wrong data directory. Nothing was checked in.",
                name,
                fp,
                share.number,
            )
        try:
            self.trail.checkin(share, by=self.by)
        except RetiredShareError:
            why = self.trail.retired_message(fp) or f"set {fp} is retired"
            return CheckinOutcome(
                "retired-set",
                f"Refused {name}: {why}. Retired portions open nothing: destroy this sheet.",
                name,
                fp,
                share.number,
            )
        self.checked.append((fp, share.number, name))
        return CheckinOutcome(
            "checked-in",
            f"Share {share.number} of set {fp} present and intact ({share.holder}, "
            f"{rec.label}). Recorded in the audit log.",
            name,
            fp,
            share.number,
        )

    def clear(self) -> None:
        self._assembler.clear()
        self._last.clear()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(text[:10])


def trail_rows(trail: AuditTrail) -> list[SetRow]:
    """One row per set in the registry, newest first, retired sets last."""
    stale: dict[str, list[int]] = {}
    for s in trail.stale_shares():
        stale.setdefault(s.set_fp, []).append(s.number)
    rows = []
    for rec in trail.registry.sets():
        drill = trail.registry.last_drill(rec.credential_id)
        rate = trail.bypass_rate(rec.credential_id)
        rows.append(
            SetRow(
                rec.fingerprint,
                rec.label,
                rec.policy_short,
                rec.status,
                _date(rec.created) or dt.date.min,
                rec.total_shares,
                _date(drill.started_at) if drill else None,
                tuple(sorted(stale.get(rec.fingerprint, []))),
                rate.current,
                rate.previous,
            )
        )
    rows.sort(key=lambda r: (r.status == "retired", -r.created.toordinal()))
    return rows


# -- follow-ups of review records ----------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """One open follow-up of a review record (public words only)."""

    review: int
    number: int  # as listed in the record, from 1
    incident: str
    credential: str
    text: str

    def describe(self) -> str:
        where = f"{self.incident or 'no incident'}, {self.credential or '?'}"
        return f"review {self.review} #{self.number} ({where}): {self.text}"


def open_follow_ups(trail: AuditTrail) -> list[FollowUp]:
    """Every follow-up still open, over all review records, oldest record first."""
    out = []
    for rid, _cid, _status, rec in trail.registry.reviews():
        for number, text in review_follow_ups(rec):
            out.append(
                FollowUp(
                    rid,
                    number,
                    str(rec.get("incident") or ""),
                    str(rec.get("credential") or ""),
                    text,
                )
            )
    return out


def close_follow_up(trail: AuditTrail, item: FollowUp, *, by: str, note: str = "") -> None:
    """Close one follow-up (the rule of ``breakglass review close-follow-up``: named, once,
    recorded). ``ReviewError`` (a ValueError) or ``TrailBrokenError`` say why not."""
    close_review_follow_up(trail, item.review, str(item.number), by=by, note=note)
