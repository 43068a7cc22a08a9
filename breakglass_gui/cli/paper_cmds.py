"""``print``, ``record`` and ``runbook``: the paper commands (and the PDFs of ``split --pdf``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from breakglass_gui.core.share import Share
from breakglass_gui.paper import (
    RunbookInputs,
    RunbookSettings,
    RunbookSettingsError,
    SetInfo,
    SetInfoError,
    render_ceremony_record,
    render_runbook,
    render_share_sheet,
)

from .common import EXIT_FAIL, EXIT_OK, CliError, add_paper_flag, load_share_files, out

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "print",
        help="make one share sheet PDF per share",
        description="Make a share sheet PDF (for the custodian's sealed envelope) from each "
        "share file: QR code(s), the typed form, the set fingerprint, fields to fill by hand. "
        "Writes DIR/share-<k>.pdf, mode 0600: the sheets are share material.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="share files (as split writes them)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    add_paper_flag(p)
    p.add_argument(
        "--appendix",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="end every sheet with the steps to recover without Breakglass (default: on; "
        "--no-appendix leaves them out)",
    )
    p.add_argument(
        "--who-to-call",
        default="",
        metavar="TEXT",
        help="printed under 'who to call' on every sheet (a name, number or channel)",
    )
    p.set_defaults(func=cmd_print)

    p = sub.add_parser(
        "record",
        help="make the ceremony record PDF of a set",
        description="Make the ceremony record (set fingerprint, policy, custodians, "
        "verification words, signature lines) from the set.json that split writes, again "
        "(split --pdf and the GUI's split already make it, with the anchor, once the set is "
        "registered). For a set this installation registered, the record carries the audit "
        "anchor announced at the end of its split; elsewhere it leaves a box to write it in.",
    )
    p.add_argument("set_json", metavar="SET_JSON", help="the set's set.json")
    p.add_argument("--out", required=True, metavar="PATH", help="PDF to write")
    add_paper_flag(p)
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "runbook",
        help="make the runbook PDF of a set",
        description="Make the runbook for a set from its set.json, plus optional settings "
        "(a JSON file and/or the options below; options win). What is not given gets a "
        "sensible default.",
    )
    p.add_argument("set_json", metavar="SET_JSON", help="the set's set.json")
    p.add_argument("--out", required=True, metavar="PATH", help="PDF to write")
    add_paper_flag(p)
    p.add_argument(
        "--settings",
        metavar="JSON",
        help="settings file: triggers, who_may_invoke, approval, incident_channel, contacts "
        "{name: [channels]}, primaries, alternate_after_minutes, escalation, device, "
        "audit_public_key",
    )
    p.add_argument("--trigger", action="append", default=[], metavar="TEXT", help="(repeat)")
    p.add_argument(
        "--contact",
        action="append",
        default=[],
        metavar="NAME=CHANNEL",
        help="a custodian's contact channel, in the order to try (repeat)",
    )
    p.add_argument(
        "--primary", action="append", default=[], metavar="NAME", help="call first (repeat)"
    )
    p.add_argument(
        "--alternate-after",
        type=int,
        metavar="MINUTES",
        help="minutes before calling alternates (default 15)",
    )
    p.add_argument(
        "--escalate",
        action="append",
        default=[],
        metavar="TEXT",
        help="escalation contact, in order (repeat)",
    )
    p.add_argument("--incident-channel", metavar="TEXT")
    p.add_argument("--who-may-invoke", metavar="TEXT")
    p.add_argument("--approval", metavar="TEXT", help="whose go-ahead is needed first")
    p.add_argument("--device", metavar="TEXT", help="the kind of device to reconstruct on")
    p.add_argument("--audit-key", metavar="KEY", help="the audit log's public key")
    p.set_defaults(func=cmd_runbook)


# -- print -------------------------------------------------------------------------------


def sheet_names(shares: list[Share]) -> list[str]:
    """share-<k>.pdf; with shares of several sets, share-<k>-<fingerprint>.pdf."""
    several = len({s.fingerprint for s in shares}) > 1
    names = [
        f"share-{s.number}-{s.fingerprint.hex()}.pdf" if several else f"share-{s.number}.pdf"
        for s in shares
    ]
    if len(set(names)) != len(names):
        raise CliError("the same share is given twice")
    return names


def cmd_print(args: argparse.Namespace) -> int:
    shares, errors = load_share_files(args.files)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise CliError(f"refused {errors[0]}{more}; nothing was printed", EXIT_FAIL)
    out_dir = _out_dir(args.out)
    for share, name in zip(shares, sheet_names(shares), strict=True):
        path = render_share_sheet(
            share,
            out=out_dir / name,
            paper=args.paper,
            who_to_call=args.who_to_call,
            appendix=args.appendix,
        )
        out(f"{path}: {share.describe()}, set {share.fingerprint_text}")
    return EXIT_OK


# -- record and runbook ------------------------------------------------------------------


def _set_info(path: str) -> SetInfo:
    try:
        return SetInfo.load(Path(path))
    except SetInfoError as exc:
        raise CliError(str(exc)) from exc


def _set_card(args: argparse.Namespace, info: SetInfo) -> tuple[str, str]:
    """The signed card of a set this installation knows (QR text, signer), else ("", "")."""
    from breakglass_gui.audit.setcard import export_card  # noqa: PLC0415
    from breakglass_gui.core.errors import BreakglassError  # noqa: PLC0415

    from .audit_cmds import open_trail  # noqa: PLC0415
    from .common import err, home_rules  # noqa: PLC0415

    rules = home_rules(args)
    try:
        with open_trail(args) as trail:
            rec = trail.registry.get_set(info.fingerprint_text)
            if rec is None or rec.status == "retired" or not rec.set_digest:
                err(
                    f"note: set {info.fingerprint_text} is not an active set of this "
                    "installation: no set card printed"
                )
                return "", ""
            card, signature = export_card(
                trail,
                info.fingerprint_text,
                incident_pattern=rules.incident_pattern,
                incident_example=rules.incident_example,
                triggers=list(rules.triggers),
            )
    except BreakglassError as exc:
        err(f"note: no set card printed ({exc})")
        return "", ""
    return card.qr_text(signature), card.signer_key.fingerprint()


def cmd_record(args: argparse.Namespace) -> int:
    info = _set_info(args.set_json)
    target = _out_file(args.out)
    card, signer = _set_card(args, info)
    anchor = _split_anchor(args, info)
    path = render_ceremony_record(
        info,
        out=target,
        paper=args.paper,
        set_card=card,
        set_card_signer=signer,
        audit_anchor=anchor,
    )
    out(f"{path}: ceremony record of set {info.fingerprint_text}")
    if anchor:
        out(f"audit anchor of its registration: {anchor}")
        _log_record(args, info, anchor, path)
    return EXIT_OK


def _log_record(args: argparse.Namespace, info: SetInfo, anchor: str, path: Path) -> None:
    """A record of a set registered here goes in this installation's trail (as the split's
    own record does); a trail that refuses is said, the record stays written."""
    from breakglass_gui.ceremony.ports import clip_for_log  # noqa: PLC0415
    from breakglass_gui.core.errors import BreakglassError  # noqa: PLC0415

    from .audit_cmds import open_trail  # noqa: PLC0415

    fields = {
        "set": info.fingerprint_text,
        "anchor": anchor,
        "how": clip_for_log(f"made again by `breakglass record` to {Path(path).absolute()}"),
    }
    try:
        with open_trail(args) as trail:
            trail.record("record_emitted", fields)
    except BreakglassError as exc:
        print(f"breakglass: the audit trail did not record this record ({exc})", file=sys.stderr)


def _split_anchor(args: argparse.Namespace, info: SetInfo) -> str:
    """The anchor announced when this installation registered the set ("" if it did not:
    the record then leaves a box to write it in)."""
    from breakglass_gui.core.errors import BreakglassError  # noqa: PLC0415

    from .audit_cmds import open_trail  # noqa: PLC0415

    try:
        with open_trail(args) as trail:
            return trail.split_anchor(info.fingerprint_text) or ""
    except BreakglassError:
        return ""


def settings_from_args(args: argparse.Namespace) -> RunbookSettings:
    """The settings file (if any), with the command-line options on top."""
    try:
        base = RunbookSettings.load(Path(args.settings)) if args.settings else RunbookSettings()
        data = base.to_mapping()
        contacts = {k: list(v) for k, v in base.contacts.items()}
        for spec in args.contact:
            name, sep, channel = spec.partition("=")
            if not sep or not name.strip() or not channel.strip():
                raise CliError(f"--contact {spec!r}: expected NAME=CHANNEL")
            contacts.setdefault(name.strip(), []).append(channel.strip())
        data["contacts"] = contacts
        lists = {"trigger": "triggers", "primary": "primaries", "escalate": "escalation"}
        for flag, key in lists.items():
            if getattr(args, flag):
                data[key] = list(getattr(args, flag))
        for key in ("incident_channel", "who_may_invoke", "approval", "device"):
            if getattr(args, key) is not None:
                data[key] = getattr(args, key)
        if args.alternate_after is not None:
            data["alternate_after_minutes"] = args.alternate_after
        if args.audit_key is not None:
            data["audit_public_key"] = args.audit_key
        return RunbookSettings.from_mapping(data)
    except RunbookSettingsError as exc:
        raise CliError(str(exc)) from exc


def cmd_runbook(args: argparse.Namespace) -> int:
    info = _set_info(args.set_json)
    settings = settings_from_args(args)
    target = _out_file(args.out)
    card, signer = _set_card(args, info)
    inputs = RunbookInputs(info, settings, set_card=card, set_card_signer=signer)
    path = render_runbook(inputs, out=target, paper=args.paper)
    out(f"{path}: runbook of set {info.fingerprint_text}")
    return EXIT_OK


def _out_dir(path: str) -> Path:
    d = Path(path)
    if d.exists() and not d.is_dir():
        raise CliError(f"--out {path}: not a directory")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _out_file(path: str) -> Path:
    p = Path(path)
    if p.is_dir():
        raise CliError(f"--out {path}: is a directory; give the PDF's file name")
    if not p.parent.is_dir():
        raise CliError(f"--out {path}: the directory {p.parent} does not exist")
    return p
