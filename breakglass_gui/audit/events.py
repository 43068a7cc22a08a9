"""The audit events and their fields, by allow-list.

Every event type names the fields it may carry and their types. Anything else is refused
loudly (``EventFieldError``), so that nobody can smuggle a secret or share material into the
log by adding a field. As a second line of defence, no text field may look like share material
(a ``BG2...`` QR payload, or a run of SLIP-39 words).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from breakglass_gui.core import slip39
from breakglass_gui.core.errors import BreakglassError

__all__ = [
    "EVENTS",
    "EventFieldError",
    "FieldSpec",
    "check_fields",
    "describe",
]

MAX_TEXT = 500
MAX_ITEMS = 64
MAX_WORD_RUN = 8  # this many SLIP-39 words in a row look like share material


class EventFieldError(BreakglassError, ValueError):
    """An event with an unknown type, an unlisted field, a wrong type or suspicious content."""


@dataclass(frozen=True)
class FieldSpec:
    kind: type  # str, int, bool, float or list (of str)
    required: bool = True


def _req(kind: type) -> FieldSpec:
    return FieldSpec(kind, True)


def _opt(kind: type) -> FieldSpec:
    return FieldSpec(kind, False)


S, N, B, F, L = str, int, bool, float, list

EVENTS: dict[str, dict[str, FieldSpec]] = {
    # the log itself
    "log_created": {"key": _req(S)},
    "log_repaired": {"torn_bytes": _req(N), "after_seq": _req(N)},
    "chain_reset": {
        "key": _req(S),
        "old_key": _req(S),
        "old_head": _opt(S),
        "old_log": _opt(S),
        "reason": _req(S),
        "by": _opt(S),
    },
    "trail_override": {"reason": _req(S), "problem": _req(S), "by": _opt(S)},
    "log_imported": {
        "key": _req(S),
        "file": _req(S),
        "entries": _req(N),
        "total": _req(N),
        "head": _req(S),
        "ceremonies": _req(N),
        "rotation_due": _req(L),
    },
    # split ceremony
    "split_started": {
        "ceremony": _req(N),
        "label": _req(S),
        "policy": _req(S),
        "custodians": _req(L),
        "operator": _opt(S),
        "replaces": _opt(S),
    },
    "split_finished": {
        "ceremony": _req(N),
        "set": _req(S),
        "label": _req(S),
        "policy": _req(S),
        "shares": _req(N),
        "replaces": _opt(S),
    },
    "share_printed": {
        "ceremony": _opt(N),
        "set": _req(S),
        "share": _req(N),
        "custodian": _req(S),
        "medium": _opt(S),
    },
    "share_verified": {
        "ceremony": _opt(N),
        "set": _req(S),
        "share": _req(N),
        "custodian": _req(S),
        "how": _opt(S),
    },
    "custodian_risk_accepted": {"ceremony": _opt(N), "reason": _req(S), "risks": _req(L)},
    "credential_set_confirmed": {"ceremony": _opt(N), "how": _req(S)},
    # the PDFs a split saved: still on disk at Finish (paths), or overwritten and deleted
    "saved_pdfs": {"ceremony": _opt(N), "kept": _req(L), "deleted": _req(L)},
    # the split's ceremony record (with the announced anchor) printed or saved, after Finish
    "record_emitted": {"ceremony": _opt(N), "set": _req(S), "anchor": _opt(S), "how": _req(S)},
    # reconstruction (real or drill)
    "reconstruction_started": {
        "ceremony": _req(N),
        "drill": _req(B),
        "incident": _opt(S),
        "operator": _opt(S),
        "witnesses": _req(L),
        "trigger": _opt(S),
        "set": _opt(S),
        "no_witness_reason": _opt(S),
    },
    "share_accepted": {
        "ceremony": _req(N),
        "set": _req(S),
        "share": _req(N),
        "share_desc": _req(S),
        "received": _opt(S),  # "remotely": it came in an age envelope
    },
    "share_refused": {
        "ceremony": _req(N),
        "share_desc": _req(S),
        "reason": _req(S),
        "set": _opt(S),
    },
    "quorum_reached": {
        "ceremony": _req(N),
        "set": _req(S),
        "shares": _req(L),
        "announced": _opt(B),
    },
    "announcement_posted": {"ceremony": _opt(N), "posted": _req(B), "how": _req(S)},
    "mirror_override": {"ceremony": _req(N), "reason": _req(S), "mirrors": _req(L)},
    "secret_revealed": {"ceremony": _req(N), "set": _req(S), "via": _req(S)},
    "secret_copied": {"ceremony": _req(N), "set": _req(S), "clear_after_s": _opt(N)},
    "secret_wiped": {"ceremony": _req(N), "set": _opt(S)},
    "post_use_step_done": {"ceremony": _req(N), "step": _req(S), "note": _opt(S)},
    "step_timed": {"ceremony": _req(N), "step": _req(S), "seconds": _req(F)},
    "reconstruction_finished": {"ceremony": _req(N), "outcome": _req(S), "set": _opt(S)},
    "ceremony_aborted": {"ceremony": _req(N), "reason": _req(S)},
    # lifecycle
    "set_rotation_due": {"set": _req(S), "ceremony": _req(N)},
    "set_card_exported": {"set": _req(S), "signer": _req(S)},
    "set_card_imported": {
        "set": _req(S),
        "label": _req(S),
        "signer": _req(S),
        "sequence": _req(N),
        "retired": _req(L),
        "signer_check": _opt(S),  # "printed" or "trusted on first use" (absent: older logs)
    },
    "set_retired": {
        "set": _req(S),
        "by": _req(S),
        "reason": _opt(S),
        "replaced_by": _opt(S),
    },
    "checkin": {
        "ceremony": _req(N),
        "set": _req(S),
        "share": _req(N),
        "custodian": _req(S),
        "by": _opt(S),
        "result": _req(S),
    },
    "checkin_refused": {"share_desc": _req(S), "reason": _req(S), "set": _opt(S)},
    # review records
    "review_created": {"review": _req(N), "ceremony": _req(N), "incident": _opt(S)},
    # another ceremony of the same incident and credential joins a draft record
    "review_joined": {"review": _req(N), "ceremony": _req(N), "incident": _opt(S)},
    "review_completed": {
        "review": _req(N),
        "ceremony": _req(N),
        "appropriate": _req(S),
        "reviewers": _req(L),
    },
    "follow_up_closed": {
        "review": _req(N),
        "ceremony": _req(N),
        "follow_up": _req(N),
        "text": _req(S),
        "by": _req(S),
        "note": _opt(S),
    },
}

_QR_PAYLOAD = re.compile(r"BG[12]\s*\d{12,}", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z]+")


@functools.cache
def _wordlist() -> frozenset[str]:
    return frozenset(slip39.wordlist())


def looks_like_share_material(text: str) -> bool:
    """True for a QR payload or a run of SLIP-39 words (which a share's words are)."""
    if _QR_PAYLOAD.search(text):
        return True
    words = _wordlist()
    run = 0
    for token in _TOKEN.findall(text.lower()):
        run = run + 1 if token in words else 0
        if run >= MAX_WORD_RUN:
            return True
    return False


def _check_text(event: str, name: str, value: str) -> None:
    if len(value) > MAX_TEXT:
        raise EventFieldError(f"{event}.{name}: longer than {MAX_TEXT} characters")
    if looks_like_share_material(value):
        raise EventFieldError(f"{event}.{name}: looks like share material; refused")


def check_fields(event: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``fields`` against the allow-list of ``event``; return a clean copy."""
    spec = EVENTS.get(event)
    if spec is None:
        raise EventFieldError(f"unknown audit event {event!r}")
    unknown = sorted(set(fields) - set(spec))
    if unknown:
        raise EventFieldError(f"{event}: field(s) not on the allow-list: {', '.join(unknown)}")
    clean: dict[str, Any] = {}
    for name, fs in spec.items():
        if name not in fields or fields[name] is None:
            if fs.required:
                raise EventFieldError(f"{event}: missing field {name!r}")
            continue
        value = fields[name]
        if fs.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if fs.kind is int and isinstance(value, bool):
            raise EventFieldError(f"{event}.{name}: expected int, got bool")
        if not isinstance(value, fs.kind):
            raise EventFieldError(
                f"{event}.{name}: expected {fs.kind.__name__}, got {type(value).__name__}"
            )
        if isinstance(value, str):
            _check_text(event, name, value)
        elif isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise EventFieldError(f"{event}.{name}: more than {MAX_ITEMS} items")
            for item in value:
                if not isinstance(item, str):
                    raise EventFieldError(f"{event}.{name}: items must be text")
                _check_text(event, name, item)
            value = list(value)
        clean[name] = value
    return clean


def _people(items: object) -> str:
    if not isinstance(items, list) or not items:
        return "none"
    return ", ".join(str(i) for i in items)


def describe(event: str, f: Mapping[str, Any]) -> str:
    """One line a person can read (chat channels, syslog, ``audit show``). No share material."""
    c = f"ceremony {f['ceremony']}: " if "ceremony" in f else ""
    match event:
        case "log_created":
            return f"audit log created, signing key {f['key']}"
        case "log_repaired":
            return (
                f"torn last line ({f['torn_bytes']} bytes) set aside after entry {f['after_seq']}"
            )
        case "log_imported":
            due = f"; rotation due here: {_people(f['rotation_due'])}" if f["rotation_due"] else ""
            return (
                f"imported {f['entries']} entries of the log signed by {f['key']} from "
                f"{f['file']} ({f['total']} entries, head {f['head'][:16]}…; "
                f"{f['ceremonies']} ceremonies){due}"
            )
        case "split_started":
            return f"{c}split started for {f['label']!r} ({f['policy']})"
        case "split_finished":
            extra = f", replaces {f['replaces']}" if f.get("replaces") else ""
            return f"{c}set {f['set']} made: {f['shares']} shares, {f['policy']}{extra}"
        case "share_printed":
            done = "saved as a PDF" if f.get("medium") == "pdf" else "printed"
            return f"share {f['share']} of set {f['set']} {done} for {f['custodian']}"
        case "custodian_risk_accepted":
            return f"{c}custodian risk accepted: {f['reason']} ({'; '.join(f['risks'])})"
        case "credential_set_confirmed":
            return f"{c}host confirmed the new credential is set on the target system ({f['how']})"
        case "record_emitted":
            anchor = f" with anchor {f['anchor']}" if f.get("anchor") else " without an anchor"
            return f"{c}ceremony record of set {f['set']}{anchor} {f['how']}"
        case "saved_pdfs":
            kept = f"{len(f['kept'])} still on disk ({', '.join(f['kept'])})" if f["kept"] else ""
            gone = f"{len(f['deleted'])} overwritten and deleted" if f["deleted"] else ""
            return f"{c}saved PDFs at Finish: " + "; ".join(x for x in (kept, gone) if x)
        case "share_verified":
            return f"share {f['share']} of set {f['set']} verified ({f['custodian']})"
        case "reconstruction_started":
            if f["drill"]:
                return f"{c}DRILL reconstruction started, operator {f.get('operator') or '-'}"
            return (
                f"{c}BREAK-GLASS reconstruction started: incident {f.get('incident')}, operator "
                f"{f.get('operator')}, witnesses {_people(f.get('witnesses'))}"
                + (f", trigger: {f['trigger']}" if f.get("trigger") else "")
                + (
                    f", no witness because: {f['no_witness_reason']}"
                    if f.get("no_witness_reason")
                    else ""
                )
            )
        case "set_card_exported":
            return f"set card of {f['set']} exported, signed by {f['signer']}"
        case "set_card_imported":
            gone = f"; retired here: {', '.join(f['retired'])}" if f["retired"] else ""
            how = (
                " (signer TRUSTED ON FIRST USE, not compared with a printed fingerprint)"
                if f.get("signer_check") == "trusted on first use"
                else ""
            )
            return (
                f"set card imported: {f['set']} ({f['label']}), signed by {f['signer']}{how}, "
                f"sequence {f['sequence']}{gone}"
            )
        case "share_accepted":
            how = " (received remotely)" if f.get("received") == "remotely" else ""
            return f"{c}accepted {f['share_desc']}{how} of set {f['set']}"
        case "share_refused":
            return f"{c}refused {f['share_desc']}: {f['reason']}"
        case "quorum_reached":
            done = "; announcement made" if f.get("announced") else ""
            return f"{c}quorum reached{done} for set {f['set']}: {_people(f['shares'])}"
        case "announcement_posted":
            said = "posted" if f["posted"] else "NOT posted"
            return f"{c}announcement {said} to the incident channel ({f['how']})"
        case "chain_reset":
            return (
                f"NEW AUDIT CHAIN, signing key {f['key']}; the old chain (key {f['old_key']}, "
                f"head {f.get('old_head') or 'unknown'}) ends here: {f['reason']}"
            )
        case "trail_override":
            return f"BROKEN AUDIT TRAIL OVERRIDDEN ({f['problem']}): {f['reason']}"
        case "mirror_override":
            return f"{c}MIRRORS UNREACHABLE, override ({_people(f['mirrors'])}): {f['reason']}"
        case "secret_revealed":
            return f"{c}credential of set {f['set']} revealed ({f['via']})"
        case "secret_copied":
            return f"{c}credential of set {f['set']} copied to the clipboard"
        case "secret_wiped":
            return f"{c}credential wiped from memory"
        case "post_use_step_done":
            return f"{c}post-use step done: {f['step']}"
        case "step_timed":
            return f"{c}step {f['step']} took {f['seconds']:.1f} s"
        case "reconstruction_finished":
            return f"{c}reconstruction finished: {f['outcome']}"
        case "ceremony_aborted":
            return f"{c}aborted: {f['reason']}"
        case "set_rotation_due":
            return f"set {f['set']} is due for rotation (used in ceremony {f['ceremony']})"
        case "set_retired":
            extra = f", replaced by {f['replaced_by']}" if f.get("replaced_by") else ""
            return f"set {f['set']} retired by {f['by']}{extra}"
        case "checkin":
            return (
                f"check-in: share {f['share']} of set {f['set']} {f['result']} ({f['custodian']})"
            )
        case "checkin_refused":
            return f"check-in refused for {f['share_desc']}: {f['reason']}"
        case "review_created":
            return f"review record {f['review']} opened for ceremony {f['ceremony']}"
        case "review_joined":
            return (
                f"review record {f['review']} now also covers ceremony {f['ceremony']} "
                f"(incident {f['incident']})"
            )
        case "review_completed":
            return f"review record {f['review']} completed: appropriate? {f['appropriate']}"
        case "follow_up_closed":
            return (
                f"follow-up {f['follow_up']} of review record {f['review']} closed by {f['by']}: "
                f"{f['text']}"
            )
    return event.replace("_", " ")  # pragma: no cover - every event has a case above
