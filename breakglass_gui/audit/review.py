"""The blameless review record of a reconstruction: pre-filled from the log, completed by people.

Fields follow the review record of the reference practice (incident, severity, who broke
glass, set, window, why, actions taken, gate bypassed, appropriate?, audit verified,
follow-ups, reviewers, bypass rate). What the log knows is filled in when the ceremony ends;
people complete the rest. A record is complete once it has a severity, a verdict on whether
breaking glass was appropriate, and at least one reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .events import looks_like_share_material
from .log import read_entries
from .yaml_emit import dump

if TYPE_CHECKING:
    from .log import Entry
    from .registry import CeremonyRecord
    from .service import AuditTrail

__all__ = [
    "EDITABLE",
    "FIELDS",
    "ReviewError",
    "close_follow_up",
    "complete_review",
    "get_review",
    "open_follow_ups",
    "open_review",
    "prefill",
    "prefill_together",
    "to_yaml",
]

# (key, label) in the order of the reference record
FIELDS: list[tuple[str, str]] = [
    ("incident", "Incident"),
    ("severity", "Severity"),
    ("broke_glass", "Who broke glass"),
    ("witnesses", "Witnesses"),
    ("credential", "Credential"),
    ("set", "Share set"),
    ("window", "Window"),
    ("attempts", "Attempts"),
    ("why_glass", "Why break glass"),
    ("shares_used", "Shares used"),
    ("shares_refused", "Shares refused"),
    ("actions_taken", "Actions taken"),
    ("gate_bypassed", "Gate bypassed"),
    ("appropriate", "Appropriate?"),
    ("audit_verified", "Audit verified"),
    ("follow_ups", "Follow-ups"),
    ("follow_ups_closed", "Follow-ups closed"),
    ("reviewers", "Reviewers"),
    ("reviewed_on", "Reviewed on"),
    ("bypass_rate", "Bypass rate"),
    ("ceremony", "Ceremony"),
]
LIST_FIELDS = {
    "attempts",
    "witnesses",
    "shares_used",
    "shares_refused",
    "actions_taken",
    "follow_ups",
    "follow_ups_closed",
    "reviewers",
}
EDITABLE = {
    "severity",
    "why_glass",
    "actions_taken",
    "gate_bypassed",
    "appropriate",
    "follow_ups",
    "reviewers",
    "reviewed_on",
}
REQUIRED_TO_COMPLETE = ("severity", "appropriate", "reviewers")


class ReviewError(ValueError):
    """A review field that cannot be set as asked."""


def _ceremony_entries(trail: AuditTrail, ceremony: int) -> list[Entry]:
    return [e for e in read_entries(trail.log_path) if e.fields.get("ceremony") == ceremony]


def audit_verified_text(trail: AuditTrail) -> str:
    report = trail.verify()
    if report.ok:
        where = ", ".join(report.anchors_checked) or "no anchor"
        return f"YES — signed log intact ({report.entries} entries; matches {where})"
    return f"NO — {report.problems[0]}"


def prefill(trail: AuditTrail, ceremony: int, *, verify: bool = True) -> dict[str, Any]:
    """What the log and the registry know about a reconstruction, in review-record form.

    ``verify=False`` leaves ``audit_verified`` empty instead of checking the whole log (a
    refresh while the ceremony is still on screen; the check is made at the end and again
    when the record is completed)."""
    rec = trail.registry.ceremony(ceremony)
    if rec is None:
        raise ReviewError(f"no ceremony {ceremony}")
    entries = _ceremony_entries(trail, ceremony)
    set_rec = trail.registry.get_set(rec.set_fp) if rec.set_fp else None
    named_fp = rec.set_fp or ""
    if set_rec is None:
        # a refused attempt: name the set (and credential) its shares were refused for
        for e in entries:
            fp = e.fields.get("set")
            if isinstance(fp, str) and fp:
                named_fp = named_fp or fp
                set_rec = trail.registry.get_set(fp)
                if set_rec is not None:
                    break
    anchor = ""
    posted = ""
    used: list[str] = []
    refused: list[str] = []
    actions: list[str] = []
    override = ""
    for e in entries:
        f = e.fields
        if e.event == "quorum_reached":
            used = list(f["shares"])
            if f.get("announced"):
                anchor = f"{e.seq}:{e.hash[:20]}"
        elif e.event == "announcement_posted":
            posted = f"announcement {'posted' if f['posted'] else 'NOT posted'} ({f['how']})"
        elif e.event == "share_refused":
            refused.append(f"{f['share_desc']}: {f['reason']}")
        elif e.event == "secret_revealed":
            actions.append(f"credential revealed ({f['via']}) at {e.time}")
        elif e.event == "secret_copied":
            actions.append(f"credential copied to the clipboard at {e.time}")
        elif e.event == "secret_wiped":
            actions.append(f"credential wiped from memory at {e.time}")
        elif e.event == "post_use_step_done":
            note = f" ({f['note']})" if f.get("note") else ""
            actions.append(f"post-use: {f['step']}{note}")
        elif e.event == "mirror_override":
            override = (
                f"audit mirrors unreachable ({', '.join(f['mirrors'])}); override: {f['reason']}"
            )
    window = f"{entries[0].time} → {entries[-1].time}" if entries else rec.started_at
    if rec.finished_at is None and entries:
        window += " (still open)"
    if set_rec is not None:
        rate = trail.bypass_rate(set_rec.credential_id).text()
        credential = set_rec.label
        set_text = f"{set_rec.fingerprint} ({set_rec.policy_short})"
    else:
        rate, credential = "unknown (set not in this registry)", ""
        set_text = f"{named_fp} (not in this registry)" if named_fp else ""
    gate = override or "none"
    if "NOT posted" in posted:
        gate = f"{gate}; {posted}" if override else posted
    verified = audit_verified_text(trail) if verify else ""
    if anchor and verify:
        verified += (
            f"; announced anchor {anchor} (check: breakglass audit verify --anchor {anchor})"
        )
    return {
        "incident": rec.incident or "",
        "severity": "",
        "broke_glass": rec.operator or "",
        "witnesses": list(rec.witnesses),
        "credential": credential,
        "set": set_text,
        "window": window,
        "attempts": [_attempt_line(rec, len(refused))],
        "why_glass": rec.trigger or "",
        "shares_used": used,
        "shares_refused": refused,
        "actions_taken": actions,
        "gate_bypassed": gate,
        "appropriate": "",
        "audit_verified": verified,
        "follow_ups": [],
        "reviewers": [],
        "reviewed_on": "",
        "bypass_rate": rate,
        "ceremony": ceremony,
    }


def _attempt_line(rec: CeremonyRecord, refused: int) -> str:
    """One ceremony of a record, in words: when, who, how it ended."""
    if rec.status == "done":
        how = f"the credential was recovered ({rec.outcome})"
    elif rec.status == "failed":
        how = f"failed ({rec.outcome})"
    elif rec.status == "aborted":
        how = f"ended without the credential ({rec.outcome})"
    elif rec.outcome:
        how = f"still open ({rec.outcome})"
    else:
        how = "still open"
    if refused:
        how += f"; {refused} shares refused" if refused > 1 else "; 1 share refused"
    return f"ceremony {rec.id}, {rec.started_at}, {rec.operator or 'no operator named'}: {how}"


def _unique(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def _announced_anchor(trail: AuditTrail, ceremony: int) -> str:
    for e in _ceremony_entries(trail, ceremony):
        if e.event == "quorum_reached" and e.fields.get("announced"):
            return f"{e.seq}:{e.hash[:20]}"
    return ""


def prefill_together(
    trail: AuditTrail, ceremonies: Sequence[int], *, verify: bool = True
) -> dict[str, Any]:
    """One review record for the ceremonies of one incident on one credential (refused
    attempts, and the use that may have followed), oldest first: each ceremony is an
    ``attempts`` line; refusals and actions say which ceremony they belong to; who broke
    glass, witnesses, sets and reasons are all named. One ceremony: ``prefill``."""
    if len(ceremonies) == 1:
        return prefill(trail, ceremonies[0], verify=verify)
    parts = [prefill(trail, c, verify=False) for c in ceremonies]
    first, last = parts[0], parts[-1]
    start = str(first["window"]).split(" → ")[0]
    end = str(last["window"]).split(" → ")[-1]
    gates = _unique([p["gate_bypassed"] for p in parts if p["gate_bypassed"] != "none"])
    named = [p for p in parts if p["credential"]]
    verified = audit_verified_text(trail) if verify else ""
    if verify:
        for c in ceremonies:
            anchor = _announced_anchor(trail, c)
            if anchor:
                verified += (
                    f"; announced anchor {anchor} (check: breakglass audit verify --anchor "
                    f"{anchor})"
                )
    return {
        "incident": first["incident"],
        "severity": "",
        "broke_glass": ", ".join(_unique([p["broke_glass"] for p in parts])),
        "witnesses": _unique([w for p in parts for w in p["witnesses"]]),
        "credential": (named or parts)[0]["credential"],
        "set": "; ".join(_unique([p["set"] for p in parts])),
        "window": f"{start} → {end}" if start != end else start,
        "attempts": [line for p in parts for line in p["attempts"]],
        "why_glass": "; ".join(_unique([p["why_glass"] for p in parts])),
        "shares_used": _unique([u for p in parts for u in p["shares_used"]]),
        "shares_refused": [
            f"ceremony {c}: {r}"
            for c, p in zip(ceremonies, parts, strict=True)
            for r in p["shares_refused"]
        ],
        "actions_taken": [
            f"ceremony {c}: {a}"
            for c, p in zip(ceremonies, parts, strict=True)
            for a in p["actions_taken"]
        ],
        "gate_bypassed": "; ".join(gates) or "none",
        "appropriate": "",
        "audit_verified": verified,
        "follow_ups": [],
        "reviewers": [],
        "reviewed_on": "",
        "bypass_rate": (named or parts)[0]["bypass_rate"],
        "ceremony": ceremonies[0],
    }


def _merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A record refreshed from the log: what only the log knows is taken anew; what people
    may write is kept (a text they wrote wins; lists only grow); anything else kept."""
    out = dict(old)
    for key, value in new.items():
        if key not in EDITABLE:
            if key == "audit_verified" and not value:
                continue  # not re-checked this time: keep the last check
            out[key] = value
        elif key in LIST_FIELDS:
            items = list(old.get(key) or [])
            out[key] = items + [v for v in value if v not in items]
        elif not old.get(key):
            out[key] = value
    return out


def open_review(trail: AuditTrail, ceremony: int, *, verify: bool = True) -> int:
    """The pre-filled review record of a reconstruction; returns its id.

    A ceremony has one record: when it already has one (opened while the ceremony was still
    on screen, e.g. the GUI's After page), that record is refreshed from the log — people's
    answers kept — and no second record is made.

    One incident on one credential has one record while it is a draft: a real
    reconstruction under an incident reference (compared without case) joins the draft
    record of an earlier one under that incident on the same credential (a set and the sets
    rotated from it; attempts whose shares named no set here share theirs) — refused attempts,
    each ``combine`` its own process and ceremony, and the use that followed. The joining is
    logged (``review_joined``); the record lists every attempt. Once completed, a record
    takes no more: a later attempt under the incident opens a new one. Done under the review
    records' lock, so two processes never open two records for one incident."""
    with trail.reviews_locked():
        return _open_review(trail, ceremony, verify=verify)


def _open_review(trail: AuditTrail, ceremony: int, *, verify: bool) -> int:
    reg = trail.registry
    existing = reg.review_of_ceremony(ceremony)
    rec = reg.ceremony(ceremony)
    if existing is None and rec is not None and rec.kind == "reconstruction" and rec.incident:
        # one incident, one credential: one record while it is a draft (refused attempts,
        # each CLI run its own ceremony, and the use that followed)
        existing = reg.draft_review_of_incident(rec.incident, rec.credential_id, excluding=ceremony)
        if existing is not None:
            reg.join_review(existing, ceremony)
            trail.record(
                "review_joined",
                {"review": existing, "ceremony": ceremony, "incident": rec.incident},
            )
    if existing is not None:
        found = reg.review(existing)
        assert found is not None
        record = prefill_together(trail, reg.review_ceremonies(existing), verify=verify)
        reg.replace_review_record(existing, _merged(found[2], record))
        return existing
    record = prefill(trail, ceremony, verify=verify)
    review_id = reg.add_review(ceremony, record, trail.now())
    trail.record(
        "review_created",
        {"review": review_id, "ceremony": ceremony, "incident": record["incident"] or None},
    )
    return review_id


def get_review(trail: AuditTrail, review_id: int) -> tuple[str, dict[str, Any]]:
    found = trail.registry.review(review_id)
    if found is None:
        raise ReviewError(f"no review record {review_id}")
    _, status, record = found
    return status, record


def missing_fields(record: Mapping[str, Any]) -> list[str]:
    return [k for k in REQUIRED_TO_COMPLETE if not record.get(k)]


def complete_review(
    trail: AuditTrail, review_id: int, updates: Mapping[str, str | Sequence[str]]
) -> tuple[str, list[str]]:
    """Apply people's answers. Text fields replace; list fields gain the items given.

    Returns (status, fields still missing). When nothing is missing the record is marked
    completed, ``audit_verified`` is re-checked, and the completion is logged.
    """
    with trail.reviews_locked():
        return _complete_review(trail, review_id, updates)


def _complete_review(
    trail: AuditTrail, review_id: int, updates: Mapping[str, str | Sequence[str]]
) -> tuple[str, list[str]]:
    found = trail.registry.review(review_id)
    if found is None:
        raise ReviewError(f"no review record {review_id}")
    ceremony, _, record = found
    for key, value in updates.items():
        if key not in EDITABLE:
            raise ReviewError(f"{key!r} is filled from the log, or not a review field")
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            if looks_like_share_material(v):
                raise ReviewError(f"{key}: looks like share material; refused")
        if key in LIST_FIELDS:
            merged = list(record.get(key) or [])
            merged += [v.strip() for v in values if v.strip() and v.strip() not in merged]
            record[key] = merged
        else:
            record[key] = " ".join(v.strip() for v in values)
    missing = missing_fields(record)
    completed = None
    if not missing:
        before = str(record.get("audit_verified") or "")
        marker = "; announced anchor "
        kept = before[before.index(marker) :] if marker in before else ""
        record["audit_verified"] = audit_verified_text(trail) + kept
        if not record.get("reviewed_on"):
            record["reviewed_on"] = trail.now().date().isoformat()
        completed = trail.now()
    trail.registry.update_review(review_id, record, completed)
    if completed is not None:
        trail.record(
            "review_completed",
            {
                "review": review_id,
                "ceremony": ceremony,
                "appropriate": record["appropriate"],
                "reviewers": list(record["reviewers"]),
            },
        )
        return "completed", []
    return "draft", missing


_CLOSED = re.compile(r"#(\d+) ")


def closed_follow_ups(record: Mapping[str, Any]) -> dict[int, str]:
    """Follow-up number (1-based, as listed) -> how it was closed."""
    out: dict[int, str] = {}
    for line in record.get("follow_ups_closed") or []:
        m = _CLOSED.match(str(line))
        if m:
            out[int(m.group(1))] = str(line)
    return out


def open_follow_ups(record: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The follow-ups not closed yet, as (number, text); numbers as listed, from 1."""
    closed = closed_follow_ups(record)
    items = record.get("follow_ups") or []
    return [(n, str(t)) for n, t in enumerate(items, start=1) if n not in closed]


def close_follow_up(
    trail: AuditTrail, review_id: int, item: str, *, by: str, note: str = ""
) -> tuple[int, str]:
    """Close one follow-up of a review record, by its number as listed or its exact text.

    The follow-up stays in the record (follow-ups only grow); the closing is written under
    ``follow_ups_closed`` — who, when, what was done — and logged (``follow_up_closed``).
    Refused with a ``ReviewError`` naming the problem: an unknown record or follow-up, a
    text that is another record's follow-up, one already closed, no name. Returns (number,
    text). The record is read, checked and written under the review records' lock, so two
    processes closing at once never lose a close, and only one of two closing the same
    follow-up succeeds (the other is told it is already closed)."""
    with trail.reviews_locked():  # read, check and write as one step across processes
        return _close_follow_up(trail, review_id, item, by=by, note=note)


def _close_follow_up(
    trail: AuditTrail, review_id: int, item: str, *, by: str, note: str
) -> tuple[int, str]:
    found = trail.registry.review(review_id)
    if found is None:
        raise ReviewError(f"no review record {review_id}")
    trail.require_sound()  # an act on the record: never appended quietly to a broken trail
    ceremony, _status, record = found
    by, note, item = by.strip(), note.strip(), item.strip()
    if not by:
        raise ReviewError("say who closes it (--by NAME)")
    for text in (by, note):
        if looks_like_share_material(text):
            raise ReviewError("looks like share material; refused")
    items = [str(t) for t in record.get("follow_ups") or []]
    if not items:
        raise ReviewError(f"review record {review_id} has no follow-ups")
    listed = f"it has {len(items)}: 1–{len(items)}" if len(items) > 1 else "it has 1: 1"
    if item.isdigit():
        number = int(item)
        if not 1 <= number <= len(items):
            raise ReviewError(f"review record {review_id} has no follow-up {number} ({listed})")
    elif item in items:
        number = items.index(item) + 1
    else:
        others = [
            rid
            for rid, _cid, _st, rec in trail.registry.reviews()
            if rid != review_id and item in (rec.get("follow_ups") or [])
        ]
        where = f"; it is a follow-up of review record {others[0]}" if others else ""
        raise ReviewError(
            f"review record {review_id} has no follow-up {item!r}{where} "
            f"(give its number as listed: {listed})"
        )
    closed = closed_follow_ups(record)
    if number in closed:
        raise ReviewError(
            f"follow-up {number} of review record {review_id} is already closed: {closed[number]}"
        )
    text = items[number - 1]
    when = trail.now().strftime("%Y-%m-%dT%H:%MZ")
    line = f"#{number} {text} — closed {when} by {by}" + (f": {note}" if note else "")
    record["follow_ups_closed"] = [*(record.get("follow_ups_closed") or []), line]
    trail.registry.replace_review_record(review_id, record)
    trail.record(
        "follow_up_closed",
        {
            "review": review_id,
            "ceremony": ceremony,
            "follow_up": number,
            "text": text[:500],
            "by": by[:500],
            "note": note[:500] or None,
        },
    )
    return number, text


def ordered(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: record.get(k, [] if k in LIST_FIELDS else "") for k, _ in FIELDS}
    out.update({k: v for k, v in record.items() if k not in out})
    return out


def to_yaml(record: Mapping[str, Any]) -> str:
    name = record.get("incident") or f"ceremony {record.get('ceremony')}"
    title = f"break-glass review record — {name}"
    return dump(ordered(record), comment=title)
