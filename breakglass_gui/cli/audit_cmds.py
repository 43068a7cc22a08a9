"""``audit``, ``sets``, ``checkin``, ``report`` and ``review``: the audit trail and registry."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from breakglass_gui.audit.announce import Announcement
from breakglass_gui.audit.keys import PublicKey, load_public_key
from breakglass_gui.audit.log import (
    Anchor,
    AnchorFinding,
    VerifyReport,
    check_anchor,
    parse_anchor,
    read_entries,
    verify_file,
)
from breakglass_gui.audit.mirrors import (
    FileMirror,
    MirrorConfigError,
    Settings,
    build_mirror,
    load_settings,
    save_settings,
)
from breakglass_gui.audit.review import (
    ReviewError,
    close_follow_up,
    complete_review,
    get_review,
    open_follow_ups,
    ordered,
    to_yaml,
)
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.core.share import parse_fingerprint
from breakglass_gui.platform.dirs import resolve_home

from .common import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    add_json_flag,
    default_operator,
    err,
    out,
)

__all__ = ["open_trail", "register"]


def open_trail(args: argparse.Namespace) -> AuditTrail:
    """The audit trail of ``--home`` / ``$BREAKGLASS_HOME`` / the per-user data directory."""
    try:
        return AuditTrail(getattr(args, "home", None))
    except MirrorConfigError as exc:
        raise CliError(str(exc)) from exc


def fingerprint_arg(text: str) -> str:
    """Normalise a fingerprint as typed (any case, with or without dashes)."""
    try:
        fp = parse_fingerprint(text)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    h = fp.hex().upper()
    return "-".join(h[i : i + 4] for i in range(0, len(h), 4))


def replaced_set(trail: AuditTrail, text: str | None) -> Any:
    """The registry's record of the set a split replaces (``--replaces``), as the split flow
    wants it; an error when it is unknown here or already retired."""
    if not text:
        return None
    import datetime as dt  # noqa: PLC0415

    from breakglass_gui.ceremony.ports import SetRecord as FlowSetRecord  # noqa: PLC0415

    fp = fingerprint_arg(text)
    rec = trail.registry.get_set(fp)
    if rec is None:
        raise CliError(f"--replaces {fp}: not a set of this registry")
    if rec.status == "retired":
        raise CliError(f"--replaces {fp}: that set was already retired on {rec.retired_at}")
    return FlowSetRecord(
        fingerprint=rec.fingerprint,
        label=rec.label,
        policy=rec.policy_short,
        created=dt.date.fromisoformat(rec.created[:10]),
    )


def register(sub: Any) -> None:
    # -- audit -----------------------------------------------------------------------------
    audit = sub.add_parser(
        "audit",
        help="verify, show and export the signed audit log",
        description="The audit log: every ceremony step, hash-chained and signed by this "
        "installation's key.",
    )
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    asub.required = True

    p = asub.add_parser(
        "verify",
        help="check the log: signatures, chain, order, and that its tail was not cut",
        description="Check every entry's signature, the hash chain and the sequence, and "
        "compare the entry count and head hash with the registry and the file mirrors (or "
        "with --anchor / --mirror on another machine). Names the first broken entry. Exit 0 "
        "when intact, 1 when not.",
    )
    p.add_argument("path", nargs="?", metavar="PATH", help="a log file (default: this home's)")
    p.add_argument(
        "--pubkey",
        metavar="KEY",
        help="the installation's public key: 'ed25519:...' text, PEM, or a file holding one "
        "(default: this home's key)",
    )
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="COUNT:HEAD",
        help="an anchor announced earlier (entry count and at least 16 hex digits of its "
        "hash, as the announcement prints it; repeat). Says which it found: log missing, "
        "re-keyed, rolled back, cut, or rewritten",
    )
    p.add_argument(
        "--mirror",
        action="append",
        default=[],
        metavar="FILE",
        help="a file mirror of the log to compare the tail with (repeat)",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_audit_verify)

    p = asub.add_parser(
        "import",
        help="add another installation's audit log to this trail (the offline case)",
        description="Verify another installation's audit log under its public key (signatures, "
        "chain, sequence, and --anchor if given) and record it here: its real uses count in "
        "this installation's bypass rate, a real reveal of a set this registry knows marks "
        "it rotation due, its reconstructions get review records, and 'breakglass report' "
        "names where they happened. Compare the key fingerprint printed with the one in that "
        "installation's announcements. Importing the same log again adds nothing; a longer "
        "copy adds its new entries; a log that does not verify, or whose earlier entries "
        "differ from an earlier import, is refused and nothing is recorded.",
    )
    p.add_argument("log", metavar="LOG", help="the other installation's audit.log")
    p.add_argument(
        "--pubkey",
        required=True,
        metavar="KEY",
        help="that installation's public key: 'ed25519:...' text, PEM, or a file holding one",
    )
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="COUNT:HEAD",
        help="an anchor that installation announced (repeat); the log must match it",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_audit_import)

    p = asub.add_parser(
        "reset",
        help="start a new, announced audit chain (when the log or the key is lost)",
        description="When the log or its signing key is missing, replaced or broken, every "
        "ceremony stops. This starts a new chain with a new key: its first entry names the old "
        "key's fingerprint, the old head (if known) and your reason. The old log and key are "
        "moved aside, never deleted. Prints the announcement to post to the incident channel.",
    )
    p.add_argument("--reason", required=True, metavar="TEXT", help="why (logged, announced)")
    p.add_argument("--by", metavar="NAME", help="who resets it (default: you)")
    p.set_defaults(func=cmd_audit_reset)

    p = asub.add_parser("show", help="list log entries in words", description="List entries.")
    p.add_argument("--last", type=int, metavar="N", help="only the last N entries")
    p.add_argument("--ceremony", type=int, metavar="ID", help="only this ceremony's entries")
    add_json_flag(p)
    p.set_defaults(func=cmd_audit_show)

    p = asub.add_parser(
        "export",
        help="copy the log, the public key and the anchor for checking elsewhere",
        description="Write DIR/audit.log, DIR/audit-signing.pub, DIR/pubkey.txt and "
        "DIR/anchor.json, and print the command that verifies them on another machine.",
    )
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=cmd_audit_export)

    p = asub.add_parser(
        "pubkey",
        help="print the installation's public key (for the runbook)",
        description="Print the public key that verifies this installation's audit log.",
    )
    p.add_argument("--pem", action="store_true", help="PEM instead of one line")
    p.set_defaults(func=cmd_audit_pubkey)

    p = asub.add_parser(
        "mirrors",
        help="list the mirrors, deliver queued entries, add or remove one",
        description="Without options: list the mirrors and deliver what is queued. "
        "Mirrors: 'file:PATH', 'syslog:tcp://HOST:PORT' or 'syslog:udp://HOST:PORT', "
        "'webhook:URL'.",
    )
    p.add_argument("--add", metavar="SPEC", help="add a mirror")
    p.add_argument("--remove", metavar="NAME", help="remove the mirror of this name")
    p.add_argument(
        "--policy",
        choices=["fail-closed", "fail-open"],
        help="what a reveal does when a mirror is unreachable (default fail-closed)",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_audit_mirrors)

    # -- sets ------------------------------------------------------------------------------
    sets = sub.add_parser(
        "sets",
        help="the share sets this installation made: list, show, retire",
        description="Share sets in the registry (fingerprint, policy, custodians, status).",
    )
    ssub = sets.add_subparsers(dest="sets_command", metavar="ACTION")
    ssub.required = True
    p = ssub.add_parser("list", help="list sets", description="List the sets.")
    p.add_argument("--status", choices=["active", "rotation-due", "retired"])
    add_json_flag(p)
    p.set_defaults(func=cmd_sets_list)
    p = ssub.add_parser("show", help="one set in full", description="Show one set.")
    p.add_argument("fingerprint", metavar="FINGERPRINT")
    add_json_flag(p)
    p.set_defaults(func=cmd_sets_show)
    p = ssub.add_parser(
        "retire",
        help="retire a set: its shares are refused from now on",
        description="Retire a set. Its shares are refused at reconstruction and check-in "
        "with 'this share belongs to set … retired on … by …'.",
    )
    p.add_argument("fingerprint", metavar="FINGERPRINT")
    p.add_argument("--by", required=True, metavar="NAME", help="who retires it")
    p.add_argument("--reason", metavar="TEXT")
    p.set_defaults(func=cmd_sets_retire)
    p = ssub.add_parser(
        "export",
        help="write a set's signed card, for another installation to import",
        description="Write the signed, public set card of a set (no secret, no share material, "
        "mirrors by kind and host only): another installation imports it to know the set, its "
        "custodians, its mirrors and the sets it retired.",
    )
    p.add_argument("fingerprint", metavar="FINGERPRINT", help="printed fingerprint or digest")
    p.add_argument("--out", required=True, metavar="FILE", help="the card (a new file)")
    p.add_argument("--qr", metavar="PNG", help="also write the card as a QR code image")
    p.set_defaults(func=cmd_sets_export)
    p = ssub.add_parser(
        "import",
        help="know a set from its signed card (made by 'sets export' elsewhere)",
        description="Verify a set card against the signer fingerprint printed on the set's "
        "runbook and ceremony record ('Set card: for a clean laptop'), make the set known here "
        "and retire the sets it retired. Without --signer the import is refused unless "
        "--trust-signer-on-first-use is given.",
    )
    p.add_argument("file", metavar="FILE", help="a card file, or a text file with its QR text")
    p.add_argument(
        "--signer",
        metavar="FINGERPRINT",
        help="the signer's key fingerprint as printed on the runbook (SHA256:xxxx-xxxx-xxxx-"
        "xxxx; case, spaces and dashes do not matter): a card signed by any other key is refused",
    )
    p.add_argument(
        "--trust-signer-on-first-use",
        action="store_true",
        help="no printed fingerprint at hand: trust whichever key signed the card, recorded as "
        "such in the log; refused when this installation knows another key for a set the card "
        "names or for a set with the same label",
    )
    p.set_defaults(func=cmd_sets_import)
    p = ssub.add_parser(
        "custodian",
        help="record a custodian's contact and where the share is kept",
        description="Set the contact and location of share K of a set (no share material).",
    )
    p.add_argument("fingerprint", metavar="FINGERPRINT")
    p.add_argument("number", type=int, metavar="K")
    p.add_argument("--contact", metavar="TEXT")
    p.add_argument("--location", metavar="TEXT")
    p.set_defaults(func=cmd_sets_custodian)

    # -- checkin, report -------------------------------------------------------------------
    p = sub.add_parser(
        "checkin",
        help="check in a custodian's share: checked alone, nothing reconstructed",
        description="Check each share alone (intact, a genuine member of its set) and record "
        "'share k of set F present and intact'. Shares of retired sets are refused.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--by", metavar="NAME", help="who presented the share")
    p.set_defaults(func=cmd_checkin)

    p = sub.add_parser(
        "report",
        help="sets, rotation due, shares not checked in, drills, bypass rate",
        description="Sets and their status, shares not checked in for over --days days (365), "
        "the last drill, the bypass rate per credential (real uses in the last 90 days "
        "against the 90 before), open review records, and the state of the audit log.",
    )
    p.add_argument("--days", type=int, default=365, metavar="N")
    add_json_flag(p)
    p.set_defaults(func=cmd_report)

    # -- review ----------------------------------------------------------------------------
    review = sub.add_parser(
        "review",
        help="blameless review records: list, show, complete, close-follow-up, export",
        description="Every real reconstruction opens a review record pre-filled from the log.",
    )
    rsub = review.add_subparsers(dest="review_command", metavar="ACTION")
    rsub.required = True
    p = rsub.add_parser("list", help="list review records", description="List review records.")
    add_json_flag(p)
    p.set_defaults(func=cmd_review_list)
    p = rsub.add_parser("show", help="one record", description="Show one review record.")
    p.add_argument("id", type=int, metavar="ID")
    add_json_flag(p)
    p.set_defaults(func=cmd_review_show)
    p = rsub.add_parser(
        "complete",
        help="fill in what people know",
        description="Fill in a record. It is completed once it has a severity, an "
        "'appropriate?' verdict and at least one reviewer.",
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--severity", metavar="TEXT")
    p.add_argument("--why", dest="why_glass", metavar="TEXT", help="why glass was broken")
    p.add_argument("--appropriate", metavar="TEXT", help="e.g. 'YES — minimal and scoped'")
    p.add_argument("--gate-bypassed", metavar="TEXT")
    p.add_argument("--action", action="append", default=[], metavar="TEXT")
    p.add_argument("--follow-up", action="append", default=[], metavar="TEXT")
    p.add_argument("--reviewer", action="append", default=[], metavar="NAME")
    p.set_defaults(func=cmd_review_complete)
    p = rsub.add_parser(
        "close-follow-up",
        help="close a follow-up once it is done",
        description="Close one follow-up of a review record (an open post-use step, a "
        "ticket...) once it is done: who closed it, when and the note are written into the "
        "record and the audit log. The follow-up stays listed; 'breakglass report' stops "
        "showing it as open. A follow-up is closed once.",
    )
    p.add_argument("id", type=int, metavar="ID", help="the review record")
    p.add_argument(
        "item", metavar="FOLLOW_UP", help="its number as listed (from 1), or its exact text"
    )
    p.add_argument("--by", required=True, metavar="NAME", help="who closes it")
    p.add_argument("--note", default="", metavar="TEXT", help="what was done, e.g. a ticket")
    p.set_defaults(func=cmd_review_close_follow_up)
    p = rsub.add_parser(
        "export",
        help="write a record as YAML and/or PDF",
        description="Write the record as YAML (stdout without --yaml/--pdf) and/or PDF.",
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--yaml", metavar="PATH")
    p.add_argument("--pdf", metavar="PATH")
    p.set_defaults(func=cmd_review_export)


# -- audit ------------------------------------------------------------------------------------


def _parse_anchor(text: str) -> Anchor:
    try:
        return parse_anchor(text, f"the anchor {text.strip()}")
    except ValueError as exc:
        raise CliError(f"--anchor {exc}") from exc


def _print_report(
    report: VerifyReport | None,
    path: Path,
    as_json: bool,
    findings: Sequence[AnchorFinding] = (),
    continuity: Sequence[str] = (),
) -> int:
    bad_anchor = [f for f in findings if not f.ok]
    ok = (report is None or report.ok) and not bad_anchor and not continuity
    if as_json:
        data: dict[str, Any] = {"path": str(path), "ok": ok, "log_exists": report is not None}
        if report is not None:
            data.update(
                {
                    "entries": report.entries,
                    "valid": report.valid,
                    "head": report.head,
                    "torn_bytes": report.torn_bytes,
                    "anchors_checked": report.anchors_checked,
                    "problems": [p.__dict__ for p in report.problems],
                }
            )
        data["anchors"] = [
            {"anchor": f.anchor.text(), "kind": f.kind.value, "message": f.message}
            for f in findings
        ]
        data["continuity"] = list(continuity)
        out(json.dumps(data, indent=2))
        return EXIT_OK if ok else EXIT_FAIL
    if report is None:
        out(f"{path}: no audit log here")
    else:
        out(f"{path}: {report.summary()}")
        for p in report.problems[:50]:
            out(f"  {p}")
        if len(report.problems) > 50:
            out(f"  ... and {len(report.problems) - 50} more")
    for f in findings:
        label = "matches" if f.ok else f.kind.value.upper()
        out(f"anchor {f.anchor.text()}: {label}: {f.message}")
    for c in continuity:
        out(f"NOT SOUND: {c}")
    if report is not None and report.entries:
        out(f"head: entry {report.last_seq}, {report.head}")
    return EXIT_OK if ok else EXIT_FAIL


def cmd_audit_verify(args: argparse.Namespace) -> int:
    announced = [_parse_anchor(a) for a in args.anchor]
    anchors: list[Anchor] = []
    for m in args.mirror:
        a = FileMirror(Path(m)).anchor()
        if a is None:
            raise CliError(f"--mirror {m}: no entries there")
        anchors.append(Anchor(a[0], a[1], f"mirror {m}"))
    home = resolve_home(args.home)
    key: PublicKey
    if args.path is None:
        trail = open_trail(args)
        try:
            findings = [trail.check_anchor(a) for a in announced]
            continuity = trail.continuity_problems()
            if not trail.log_path.exists():
                if not findings and not continuity:
                    raise CliError(f"{trail.log_path}: no audit log yet")
                return _print_report(None, trail.log_path, args.json, findings, continuity)
            report = verify_file(trail.log_path, trail.public_key, [*trail.anchors(), *anchors])
            return _print_report(report, trail.log_path, args.json, findings, continuity)
        finally:
            trail.close()
    path = Path(args.path)
    if not path.is_file() and not announced:
        raise CliError(f"{path}: no such file")
    if args.pubkey:
        key = load_public_key(args.pubkey)
    else:
        pub = home / "keys" / "audit-signing.pub"
        if not pub.exists():
            raise CliError("give --pubkey (the installation's public key) to verify this log")
        key = load_public_key(str(pub))
    if not path.is_file():
        findings = [check_anchor(None, key, a) for a in announced]
        return _print_report(None, path, args.json, findings)
    data = path.read_bytes()
    findings = [check_anchor(data, key, a) for a in announced]
    return _print_report(verify_file(path, key, anchors), path, args.json, findings)


def cmd_audit_import(args: argparse.Namespace) -> int:
    from breakglass_gui.audit.imports import ImportError_, import_log  # noqa: PLC0415

    anchors = [_parse_anchor(a) for a in args.anchor]
    key = load_public_key(args.pubkey)
    path = Path(args.log)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    if not args.json:
        out(
            f"log signed by key {key.fingerprint()}: compare it with the key fingerprint in "
            "that installation's announcements"
        )
    trail = open_trail(args)
    try:
        try:
            result = import_log(trail, path, key, anchors, name=args.log)
        except ImportError_ as exc:
            raise CliError(str(exc), EXIT_FAIL) from exc
    finally:
        trail.close()
    if args.json:
        out(json.dumps({"key": key.fingerprint(), **result.__dict__}, indent=2))
        return EXIT_OK
    out(f"verified: {result.total} entries, signatures and chain verify")
    out(result.summary())
    for fp in result.unknown_sets:
        out(
            f"note: set {fp} was revealed there but is not in this registry; its use is "
            "recorded here but no set could be marked rotation due"
        )
    return EXIT_OK


def cmd_audit_reset(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        problems = trail.continuity_problems()
        ann = trail.reset_chain(args.reason, by=args.by or default_operator())
    finally:
        trail.close()
    if problems:
        out("the old chain: " + "; ".join(problems))
    out(f"new audit chain started; anchor {ann.anchor}")
    print_announcement(ann)
    return EXIT_OK


def cmd_audit_show(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        entries = list(read_entries(trail.log_path))
    finally:
        trail.close()
    if args.ceremony is not None:
        entries = [e for e in entries if e.fields.get("ceremony") == args.ceremony]
    if args.last is not None:
        entries = entries[-args.last :] if args.last > 0 else []
    if args.json:
        out(json.dumps([json.loads(e.line) for e in entries], indent=2, ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        out(f"{e.seq:6d}  {e.time}  {e.text()}")
    return EXIT_OK


def cmd_audit_export(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        if not trail.log_path.exists():
            raise CliError(f"{trail.log_path}: no audit log yet")
        dest = Path(args.out)
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(trail.log_path, dest / "audit.log")
        (dest / "audit-signing.pub").write_text(trail.public_key.pem(), encoding="ascii")
        (dest / "pubkey.txt").write_text(trail.public_key.text() + "\n", encoding="ascii")
        report = verify_file(dest / "audit.log", trail.public_key, trail.anchors())
        anchor = {
            "entries": report.entries,
            "head": report.head,
            "key_fingerprint": trail.public_key.fingerprint(),
            "exported": trail.now().isoformat(timespec="seconds"),
        }
        (dest / "anchor.json").write_text(json.dumps(anchor, indent=2) + "\n", encoding="ascii")
    finally:
        trail.close()
    out(f"exported {report.entries} entries to {dest} ({report.summary()})")
    out(
        f"verify elsewhere: breakglass audit verify {dest / 'audit.log'} "
        f"--pubkey {dest / 'pubkey.txt'} --anchor {report.entries}:{report.head}"
    )
    return EXIT_OK if report.ok else EXIT_FAIL


def cmd_audit_pubkey(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        if args.pem:
            out(trail.public_key.pem().rstrip())
        else:
            out(trail.public_key.text())
            out(f"fingerprint {trail.public_key.fingerprint()}")
    finally:
        trail.close()
    return EXIT_OK


def _mirror_spec(text: str) -> dict[str, Any]:
    kind, _, target = text.partition(":")
    if kind == "file" and target:
        return {"type": "file", "path": str(Path(target).expanduser().resolve())}
    if kind == "webhook" and target:
        return {"type": "webhook", "url": target}
    if kind == "syslog" and "://" in target:
        transport, _, hostport = target.partition("://")
        host, _, port = hostport.rpartition(":")
        if transport in ("tcp", "udp") and host and port.isdigit():
            return {"type": "syslog", "host": host, "port": int(port), "transport": transport}
    raise CliError(
        f"--add {text!r}: expected file:PATH, syslog:tcp://HOST:PORT, syslog:udp://HOST:PORT "
        "or webhook:URL"
    )


def cmd_audit_mirrors(args: argparse.Namespace) -> int:
    home = resolve_home(args.home)
    if args.add or args.remove or args.policy:
        try:
            settings = load_settings(home) if home.exists() else Settings([], "fail-closed")
        except MirrorConfigError as exc:
            raise CliError(str(exc)) from exc
        if args.add:
            spec = _mirror_spec(args.add)
            try:
                name = build_mirror(spec).name
            except MirrorConfigError as exc:
                raise CliError(str(exc)) from exc
            if name in [build_mirror(m).name for m in settings.mirrors]:
                raise CliError(f"mirror {name} is already configured")
            settings.mirrors.append(spec)
            out(f"added mirror {name}")
        if args.remove:
            keep = [m for m in settings.mirrors if build_mirror(m).name != args.remove]
            if len(keep) == len(settings.mirrors):
                raise CliError(f"no mirror named {args.remove!r}")
            settings.mirrors = keep
            out(f"removed mirror {args.remove}")
        if args.policy:
            settings.reconstruction_policy = args.policy
            out(f"reconstruction policy: {args.policy}")
        trail = open_trail(args)  # creates the home if needed
        trail.close()
        save_settings(home, settings)
    trail = open_trail(args)
    try:
        status = trail.flush_mirrors()
        queued = trail.registry.queue_sizes()
        policy = trail.settings.reconstruction_policy
    finally:
        trail.close()
    if args.json:
        data = {
            "policy": policy,
            "mirrors": [
                {"name": n, "reachable": why is None, "error": why, "queued": queued.get(n, 0)}
                for n, why in status.items()
            ],
        }
        out(json.dumps(data, indent=2))
        return EXIT_OK
    if not status:
        out("no mirrors configured (the log stays on this machine only)")
        return EXIT_OK
    out(f"reconstruction policy: {policy}")
    for name, why in status.items():
        state = "up to date" if why is None else f"UNREACHABLE ({why})"
        waiting = queued.get(name, 0)
        out(f"  {name}: {state}" + (f"; {waiting} entries queued" if waiting else ""))
    return EXIT_OK if all(w is None for w in status.values()) else EXIT_FAIL


# -- sets -------------------------------------------------------------------------------------


def cmd_sets_list(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        sets = trail.registry.sets(args.status)
    finally:
        trail.close()
    if args.json:
        out(json.dumps([s.as_dict() for s in sets], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not sets:
        out("no sets recorded")
    for s in sets:
        extra = f", retired {s.retired_at} by {s.retired_by}" if s.status == "retired" else ""
        out(f"{s.fingerprint}  {s.policy_short:<8} {s.status:<13} {s.created}  {s.label}{extra}")
    return EXIT_OK


def cmd_sets_show(args: argparse.Namespace) -> int:
    fp = fingerprint_arg(args.fingerprint)
    trail = open_trail(args)
    try:
        rec = trail.registry.get_set(fp)
        if rec is None:
            raise CliError(f"set {fp} is not in this registry", EXIT_FAIL)
        people = trail.registry.custodians(fp)
        last = trail.registry.last_checkins(fp)
        rate = trail.bypass_rate(rec.credential_id).text()
    finally:
        trail.close()
    if args.json:
        data = rec.as_dict()
        data["custodians"] = [{**p.__dict__, "last_checkin": last.get(p.number)} for p in people]
        data["bypass_rate"] = rate
        out(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    out(f"set {rec.fingerprint}: {rec.label}")
    out(f"  quorum       {rec.policy}")
    out(f"  created      {rec.created}")
    out(f"  status       {rec.status}")
    if rec.rotation_due_at:
        out(f"  rotation due since {rec.rotation_due_at}")
    if rec.status == "retired":
        out(f"  retired      {rec.retired_at} by {rec.retired_by}")
        if rec.replaced_by:
            out(f"  replaced by  {rec.replaced_by}")
    out(f"  bypass rate  {rate}")
    out("  shares:")
    for p in people:
        where = "; ".join(x for x in (p.contact, p.location) if x)
        seen = last.get(p.number) or "never checked in"
        out(f"    {p.number}. {p.holder}" + (f" [{where}]" if where else "") + f" — {seen}")
    return EXIT_OK


def cmd_sets_retire(args: argparse.Namespace) -> int:
    fp = fingerprint_arg(args.fingerprint)
    trail = open_trail(args)
    try:
        trail.retire_set(fp, by=args.by, reason=args.reason)
        rec = trail.registry.get_set(fp)
        ann = trail.last_announcement
    finally:
        trail.close()
    assert rec is not None
    out(f"set {fp} retired on {rec.retired_at} by {rec.retired_by}")
    if ann is not None:
        print_announcement(ann)
    return EXIT_OK


def print_announcement(ann: Announcement) -> None:
    """The announcement for the incident channel, on stderr (stdout may be the credential)."""
    err("")
    err("Post this to the incident channel now:")
    err("")
    err(ann.text())
    err("")


def cmd_sets_custodian(args: argparse.Namespace) -> int:
    fp = fingerprint_arg(args.fingerprint)
    trail = open_trail(args)
    try:
        if not trail.registry.update_custodian(
            fp, args.number, contact=args.contact, location=args.location
        ):
            raise CliError(f"set {fp} has no share {args.number} in this registry", EXIT_FAIL)
    finally:
        trail.close()
    out(f"share {args.number} of set {fp} updated")
    return EXIT_OK


# -- checkin and report ---------------------------------------------------------------------


def cmd_checkin(args: argparse.Namespace) -> int:
    """Check in through the same adapter as the GUI's "Check in a share" (``TrailCheckin``):
    each share checked alone, unknown and retired sets named, nothing reconstructed."""
    from breakglass_gui.ceremony.adapters import TrailCheckin  # noqa: PLC0415
    from breakglass_gui.core.share import read_share_texts  # noqa: PLC0415

    ok = True
    trail = open_trail(args)
    try:
        checkin = TrailCheckin(trail, by=args.by)
        for path in args.files:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                out(f"BAD     {path}: not a text file")
                ok = False
                continue
            seen = False
            for chunk in read_share_texts(text):
                if not chunk:
                    continue
                seen = True
                outcome = checkin.offer_text(chunk, source=path)
                if outcome.kind == "part":
                    continue
                tag = {
                    "checked-in": "OK     ",
                    "again": "OK     ",
                    "unknown-set": "UNKNOWN",
                    "retired-set": "REFUSED",
                }.get(outcome.kind, "BAD    ")
                out(f"{tag} {path}: {outcome.message}")
                ok = ok and outcome.ok
            if not seen:
                out(f"BAD     {path}: no share found in the file")
                ok = False
        checkin.clear()
    finally:
        trail.close()
    return EXIT_OK if ok else EXIT_FAIL


def cmd_report(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise CliError("--days must be at least 1")
    trail = open_trail(args)
    try:
        data = trail.report(args.days)
    finally:
        trail.close()
    if args.json:
        out(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    out(f"Breakglass report — {data['generated']} ({data['home']})")
    out(f"audit log: {data['audit_log']['summary']}")
    m = data["mirrors"]
    if m["configured"]:
        queued = sum(m["queued"].values())
        out(f"mirrors: {', '.join(m['configured'])} (policy {m['policy']}; {queued} queued)")
    else:
        out("mirrors: none configured")
    out("")
    if not data["credentials"]:
        out("no credentials recorded")
    else:
        out(f"({data['bypass_rule']}; drills and refused attempts never count)")
    for c in data["credentials"]:
        flag = "  ← watch" if c["bypass_rate_rising"] else ""
        out(f"credential {c['label']!r}: real uses {c['uses_words']}{flag}")
        out(f"  last drill: {c['last_drill'] or 'never'}")
        for r in c["reviews_due"]:
            out(f"  review due: review {r['review']} (incident {r['incident'] or '-'})")
        for f in c["follow_ups"]:
            out(
                f"  follow-up open (review {f['review']} #{f['number']}, "
                f"{f['incident'] or '-'}): {f['text']}"
            )
        for s in c["sets"]:
            out(f"  set {s['fingerprint']}  {s['policy']:<8} {s['status']}")
    if data["rotation_due"]:
        out("")
        out(
            "rotation due (used for real; re-split with --replaces): "
            + ", ".join(data["rotation_due"])
        )
    out("")
    stale = data["stale_shares"]
    if stale:
        out(f"shares not checked in for over {data['stale_after_days']} days:")
        for s in stale:
            seen = f"last check-in {s['last_checkin']}" if s["last_checkin"] else "never checked in"
            who = f"share {s['number']} of set {s['set_fp']} ({s['holder']})"
            out(f"  {who}: {seen}, {s['days']} days")
    else:
        out(f"every share of a live set was checked in within {data['stale_after_days']} days")
    if data["open_reviews"]:
        out("")
        out("review due (records to complete: breakglass review complete ID ...):")
        for r in data["open_reviews"]:
            where = "" if r["where"] == "here" else f", at {r['where']}"
            out(
                f"  review {r['review']} (ceremony {r['ceremony']}, incident "
                f"{r['incident']}{where})"
            )
    if data["imported_ceremonies"]:
        out("")
        out("ceremonies at other installations (imported with 'breakglass audit import'):")
        for c in data["imported_ceremonies"]:
            what = "DRILL" if c["kind"] == "drill" else f"incident {c['incident'] or '-'}"
            out(
                f"  {c['started_at']}  {what}, set {c['set'] or 'unknown'}, operator "
                f"{c['operator'] or '-'}: {c['outcome']} — at installation {c['installation']} "
                f"(log {c['file']})"
            )
    for log in data["imported_logs"]:
        out(
            f"imported log of installation {log['fingerprint']}: {log['count']} entries from "
            f"{log['file']}, last imported {log['last_imported']}"
        )
    return EXIT_OK


# -- review ------------------------------------------------------------------------------------


def cmd_review_list(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        rows = trail.registry.reviews()
        covered = {rid: trail.registry.review_ceremonies(rid) for rid, _c, _s, _r in rows}
    finally:
        trail.close()
    if args.json:
        data = [
            {
                "review": rid,
                "ceremony": cid,
                "ceremonies": covered[rid],
                "status": status,
                "incident": rec.get("incident"),
            }
            for rid, cid, status, rec in rows
        ]
        out(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        out("no review records")
    for rid, _cid, status, rec in rows:
        ids = covered[rid]
        which = f"ceremony {ids[0]}" if len(ids) == 1 else f"ceremonies {', '.join(map(str, ids))}"
        out(f"{rid:4d}  {status:<9} {which}  {rec.get('incident')}  {rec.get('window')}")
    return EXIT_OK


def _review(args: argparse.Namespace, trail: AuditTrail) -> tuple[str, dict[str, Any]]:
    try:
        return get_review(trail, args.id)
    except ReviewError as exc:
        raise CliError(str(exc), EXIT_FAIL) from exc


def cmd_review_show(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        status, record = _review(args, trail)
    finally:
        trail.close()
    if args.json:
        out(json.dumps({"status": status, **ordered(record)}, indent=2, ensure_ascii=False))
    else:
        out(f"# status: {status}")
        out(to_yaml(record).rstrip())
    return EXIT_OK


def cmd_review_complete(args: argparse.Namespace) -> int:
    updates: dict[str, str | list[str]] = {}
    for key in ("severity", "why_glass", "appropriate", "gate_bypassed"):
        value = getattr(args, key)
        if value is not None:
            updates[key] = value
    for key, attr in (
        ("actions_taken", "action"),
        ("follow_ups", "follow_up"),
        ("reviewers", "reviewer"),
    ):
        if getattr(args, attr):
            updates[key] = getattr(args, attr)
    if not updates:
        raise CliError("nothing to fill in: give --severity, --appropriate, --reviewer, ...")
    trail = open_trail(args)
    try:
        _review(args, trail)
        try:
            status, missing = complete_review(trail, args.id, updates)
        except ReviewError as exc:
            raise CliError(str(exc)) from exc
    finally:
        trail.close()
    if status == "completed":
        out(f"review {args.id} completed")
    else:
        out(f"review {args.id} saved as a draft; still missing: {', '.join(missing)}")
    return EXIT_OK


def cmd_review_close_follow_up(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        _review(args, trail)
        try:
            number, text = close_follow_up(trail, args.id, args.item, by=args.by, note=args.note)
        except ReviewError as exc:  # refused: nothing recorded
            raise CliError(str(exc), EXIT_FAIL) from exc
        left = [n for n, _t in open_follow_ups(get_review(trail, args.id)[1])]
    finally:
        trail.close()
    out(f"review {args.id}: follow-up {number} closed ({text})")
    out(
        f"still open: {', '.join(map(str, left))}"
        if left
        else f"review {args.id}: no follow-up left open"
    )
    return EXIT_OK


def cmd_review_export(args: argparse.Namespace) -> int:
    trail = open_trail(args)
    try:
        status, record = _review(args, trail)
    finally:
        trail.close()
    text = to_yaml(record)
    if not args.yaml and not args.pdf:
        out(text.rstrip())
        return EXIT_OK
    from .common import write_new  # noqa: PLC0415

    for target in (args.yaml, args.pdf):  # both new, or nothing is written
        if target and os.path.lexists(target):
            raise CliError(f"{target} already exists; it is never replaced: name a new file")
    if args.yaml:
        write_new(args.yaml, text.encode("utf-8"))
        out(f"wrote {args.yaml}")
    if args.pdf:
        from breakglass_gui.audit.review_pdf import review_pdf_bytes  # noqa: PLC0415 - reportlab

        write_new(args.pdf, review_pdf_bytes(record, status))
        out(f"wrote {args.pdf}")
    if status != "completed":
        err(f"breakglass: note: review {args.id} is still a draft")
    return EXIT_OK


def cmd_sets_export(args: argparse.Namespace) -> int:
    from breakglass_gui.audit.setcard import CardError, export_card, file_text  # noqa: PLC0415

    from .common import home_rules, write_new, write_qr_png  # noqa: PLC0415

    rules = home_rules(args)
    if os.path.lexists(args.out):
        raise CliError(f"{args.out} already exists: name a new file for the card")
    with open_trail(args) as trail:
        try:
            card, signature = export_card(
                trail,
                args.fingerprint,
                incident_pattern=rules.incident_pattern,
                incident_example=rules.incident_example,
                triggers=list(rules.triggers),
            )
        except CardError as exc:
            raise CliError(str(exc), EXIT_FAIL) from exc
    write_new(args.out, file_text(card, signature).encode("utf-8"))
    if args.qr:
        write_qr_png(args.qr, card.qr_text(signature))
    out(f"set card of {card.fingerprint} ({card.label}), sequence {card.sequence}: {args.out}")
    out(f"signed by {card.signer_key.fingerprint()} (this installation's audit key)")
    return EXIT_OK


def cmd_sets_import(args: argparse.Namespace) -> int:
    from breakglass_gui.ceremony.setcards import (  # noqa: PLC0415
        CardError,
        SignerNeeded,
        after_import,
        import_set_card,
    )

    if args.signer is not None and args.trust_signer_on_first_use:
        raise CliError("give --signer or --trust-signer-on-first-use, not both")
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{args.file}: not a set card (not text)", EXIT_FAIL) from None
    with open_trail(args) as trail:
        try:
            result = import_set_card(
                trail,
                text,
                expected_signer=args.signer,
                trust_on_first_use=args.trust_signer_on_first_use,
            )
        except SignerNeeded as exc:
            raise CliError(
                f"{args.file}: {exc}: run again with --signer SHA256:xxxx-xxxx-xxxx-xxxx, or "
                "--trust-signer-on-first-use",
                EXIT_FAIL,
            ) from exc
        except CardError as exc:
            raise CliError(f"{args.file}: {exc}", EXIT_FAIL) from exc
        lines = after_import(trail, result)
    signer = result.card.signer_key.fingerprint()
    if args.signer is not None:
        out(f"signed by {signer}, the fingerprint you gave from the runbook")
    else:
        out(f"signed by {signer}: TRUSTED ON FIRST USE (recorded in the log). Compare it with")
        out("the fingerprint printed in that set's runbook and announcements before relying on it.")
    for line in lines:
        out(line)
    return EXIT_OK
