"""Another installation's audit log, imported into this one's trail (``audit import``).

The offline case of "one trail": a reconstruction done on another laptop (a clean one, with
the set's card) is logged there. Its log, carried here with its public key, is verified with
the same verifier as this installation's own (signatures, chain, sequence, anchors if given),
and its ceremonies then count here: a real reveal marks the set rotation due (when this
registry knows the set), real uses count in the bypass rate, a review record is opened, and
the report names where they happened (the other key's fingerprint and the file).

Imports are keyed by the signing key and the entry number: importing the same log again adds
nothing, a longer copy adds only its new entries, and a copy whose earlier entries differ
from what was imported before is refused as rewritten. Nothing is recorded unless the whole
file verifies. Each import that adds entries is itself an entry of this installation's log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from breakglass_gui.core.errors import BreakglassError

from .keys import PublicKey
from .log import Anchor, Entry, parse_time, split_lines, verify_bytes
from .review import prefill
from .service import RECONSTRUCTED_OUTCOMES, AuditTrail

__all__ = ["ImportError_", "ImportResult", "import_log"]

REVEAL_EVENTS = frozenset({"secret_revealed", "secret_copied"})


class ImportError_(BreakglassError):
    """A log that cannot be imported: it does not verify, is this installation's own, or was
    rewritten since an earlier import."""


@dataclass
class ImportResult:
    fingerprint: str  # of the key that signs the imported log
    file: str
    total: int  # whole entries in the file
    new: int  # entries not imported before
    head: str
    ceremonies: list[int] = field(default_factory=list)  # local ids of new ceremonies
    rotation_due: list[str] = field(default_factory=list)  # sets marked rotation due here
    reviews: list[tuple[int, int]] = field(default_factory=list)  # (review id, local ceremony)
    unknown_sets: list[str] = field(default_factory=list)  # revealed there, unknown here
    torn_bytes: int = 0

    def summary(self) -> str:
        if not self.new:
            return (
                f"nothing new: the {self.total} entries of this log were already imported "
                "(nothing changed)"
            )
        n = len(self.ceremonies)
        text = (
            f"imported {self.new} entries of the log signed by {self.fingerprint} from "
            f"{self.file} ({n} {'ceremony' if n == 1 else 'ceremonies'})"
        )
        if self.rotation_due:
            text += f"; rotation due here: {', '.join(self.rotation_due)}"
        if self.torn_bytes:
            text += (
                f"; its last line is torn ({self.torn_bytes} bytes, an interrupted write or a "
                "partial copy): only the whole entries before it were imported"
            )
        return text


def import_log(
    trail: AuditTrail,
    path: Path,
    public_key: PublicKey,
    anchors: Sequence[Anchor] = (),
    *,
    name: str | None = None,
) -> ImportResult:
    """Verify the log at ``path`` under ``public_key`` and record what is new in ``trail``.

    Raises ``ImportError_`` (one line, naming the first bad entry) when it does not verify;
    nothing is recorded then."""
    file = name or str(path)
    fp = public_key.fingerprint()
    key_text = public_key.text()
    if public_key.raw == trail.public_key.raw:
        raise ImportError_(
            f"{file}: signed by this installation's own key ({fp}); its entries are already "
            "in this trail ('breakglass audit verify' checks it)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{file}: cannot read it ({exc.strerror or exc})") from exc
    report = verify_bytes(data, public_key, anchors)
    if not report.ok:
        bad = report.problems[0]
        hint = ""
        if report.valid == 0 and bad.line == 1:
            hint = f" (is {fp} the key of the installation that wrote it?)"
        raise ImportError_(
            f"refused {file}: it does not verify under {fp}: {bad}{hint}; nothing was imported"
        )
    if report.entries == 0:
        raise ImportError_(f"refused {file}: no entries in it; nothing was imported")
    trail.require_sound()
    lines, _ = split_lines(data)
    entries = [Entry.parse(line) for line in lines]  # verified above: every line parses
    known = trail.registry.imported_hashes(key_text)
    for e in entries:
        h = known.get(e.seq)
        if h is not None and h != e.hash:
            raise ImportError_(
                f"refused {file}: entry {e.seq} differs from the entry {e.seq} imported "
                f"earlier from the log signed by {fp}: the log was rewritten (or re-signed) "
                "since; nothing was imported"
            )
    new = [e for e in entries if e.seq not in known]
    result = ImportResult(
        fingerprint=fp,
        file=file,
        total=report.entries,
        new=len(new),
        head=report.head,
        torn_bytes=report.torn_bytes,
    )
    if not new:
        return result
    for e in new:
        _apply(trail, e, key_text=key_text, fp=fp, file=file, result=result)
    trail.registry.record_import(
        key=key_text,
        fingerprint=fp,
        file=file,
        entries=[(e.seq, e.hash, e.event, e.time) for e in new],
        count=report.entries,
        head=report.head,
        when=trail.now(),
    )
    trail.record(
        "log_imported",
        {
            "key": fp,
            "file": file,
            "entries": len(new),
            "total": report.entries,
            "head": report.head,
            "ceremonies": len(result.ceremonies),
            "rotation_due": list(result.rotation_due),
        },
    )
    for rid, cid in result.reviews:
        trail.record(
            "review_created", {"review": rid, "ceremony": cid, "incident": _incident(trail, cid)}
        )
    return result


def _incident(trail: AuditTrail, ceremony: int) -> str | None:
    rec = trail.registry.ceremony(ceremony)
    return rec.incident if rec is not None else None


def _apply(
    trail: AuditTrail, e: Entry, *, key_text: str, fp: str, file: str, result: ImportResult
) -> None:
    """What one entry of the other log means here."""
    f = e.fields
    reg = trail.registry
    foreign = f.get("ceremony")
    if not isinstance(foreign, int) or isinstance(foreign, bool):
        return
    if e.event == "reconstruction_started":
        if reg.ceremony_by_origin(key_text, foreign) is not None:
            return
        set_fp = f.get("set") if isinstance(f.get("set"), str) else None
        cid = reg.start_imported_ceremony(
            "drill" if f.get("drill") else "reconstruction",
            _when(e),
            origin_key=key_text,
            origin_fingerprint=fp,
            origin_ceremony=foreign,
            origin_file=file,
            set_fp=set_fp,
            incident=_text(f.get("incident")),
            operator=_text(f.get("operator")),
            witnesses=[w for w in f.get("witnesses") or [] if isinstance(w, str)],
            trigger=_text(f.get("trigger")),
        )
        result.ceremonies.append(cid)
        return
    rec = reg.ceremony_by_origin(key_text, foreign)
    if rec is None:
        return  # a split, check-in or review there: not a ceremony that counts here
    set_fp = f.get("set") if isinstance(f.get("set"), str) and f.get("set") else None
    if set_fp and rec.set_fp is None and e.event in {"share_accepted", "quorum_reached"}:
        reg.ceremony_set(rec.id, set_fp)
    if e.event in REVEAL_EVENTS and not rec.drill and set_fp:
        _rotation_due(trail, rec.id, set_fp, result, _when(e))
    elif e.event == "reconstruction_finished":
        outcome = str(f.get("outcome") or "")
        ok = outcome in RECONSTRUCTED_OUTCOMES
        reg.finish_ceremony(rec.id, "done" if ok else "failed", outcome, _when(e))
        fp_used = set_fp or rec.set_fp
        if ok and not rec.drill and fp_used:
            _rotation_due(trail, rec.id, fp_used, result, _when(e))
            if reg.get_set(fp_used) is None:
                return  # not a credential of this registry: its review is kept there
            record = prefill(trail, rec.id)
            record["where"] = rec.where()
            record["audit_verified"] = (
                f"imported: the log signed by {fp} verified ({result.total} entries, head "
                f"{result.head[:16]}…) when it was imported here"
            )
            result.reviews.append((reg.add_review(rec.id, record, trail.now()), rec.id))
    elif e.event == "ceremony_aborted":
        reg.finish_ceremony(rec.id, "aborted", str(f.get("reason") or ""), _when(e))


def _rotation_due(
    trail: AuditTrail, ceremony: int, set_fp: str, result: ImportResult, when: dt.datetime
) -> None:
    reg = trail.registry
    if reg.get_set(set_fp) is None:
        if set_fp not in result.unknown_sets:
            result.unknown_sets.append(set_fp)
        return
    if reg.mark_rotation_due(set_fp, when):
        result.rotation_due.append(set_fp)
        trail.record("set_rotation_due", {"set": set_fp, "ceremony": ceremony})


def _when(e: Entry) -> dt.datetime:
    return parse_time(e.time)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
