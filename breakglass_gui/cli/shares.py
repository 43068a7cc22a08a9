"""``split``, ``combine``, ``inspect`` and ``verify``: the share-format commands."""

from __future__ import annotations

import argparse
import json
import re
import secrets
import string
import sys
from pathlib import Path
from typing import Any

from breakglass_gui.core.errors import InsufficientSharesError, PolicyError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import (
    MAX_SECRET_BYTES,
    Custodian,
    ShareSet,
    recover,
    split_credential,
)
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.share import Share, format_fingerprint, parse_fingerprint

from .common import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    add_json_flag,
    add_paper_flag,
    err,
    load_share_files,
    out,
    read_secret_file,
    read_secret_stream,
    write_private,
)

ALPHABETS = {
    "printable": string.ascii_letters + string.digits + "!#%+-.:=@^_~",
    "alnum": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "digits": string.digits,
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "split",
        help="split a credential into sealed shares",
        description="Seal a credential and split it into one share per custodian. Writes "
        "DIR/share-<k>.txt (QR text form; parts one per line) and DIR/set.json (public "
        "metadata and fingerprint, no secret).",
    )
    p.add_argument("--threshold", "-m", type=int, metavar="M", help="shares needed (quorum)")
    p.add_argument("--shares", "-n", type=int, metavar="N", help="shares made")
    p.add_argument("--label", default="", help="credential label printed on every share")
    p.add_argument(
        "--custodian",
        action="append",
        default=[],
        metavar="NAME[:ROLE[:LOCATION]]",
        help="custodian of the next share, in order (repeat: one per share; the location is "
        "only checked, not printed on the shares)",
    )
    p.add_argument(
        "--accept-custodian-risk",
        metavar="REASON",
        help="go on although one person, location or role alone reaches the quorum (the "
        "reason is logged and printed on the ceremony record)",
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME:M/N",
        help="a group of a two-level policy, e.g. leadership:1/2 (repeat)",
    )
    p.add_argument("--group-threshold", type=int, metavar="G", help="groups needed")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--secret-file", metavar="PATH", help="read the credential from a file")
    src.add_argument(
        "--secret-stdin", action="store_true", help="read the credential's exact bytes from stdin"
    )
    src.add_argument(
        "--generate", type=int, metavar="LENGTH", help="generate a random credential this long"
    )
    p.add_argument(
        "--alphabet",
        choices=sorted(ALPHABETS),
        default="printable",
        help="characters of a generated credential (default: printable)",
    )
    p.add_argument(
        "--generated-out",
        metavar="PATH",
        help="also write a generated credential here (mode 0600) so it can be installed",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write share-<k>.pdf sheets, ceremony-record.pdf and runbook.pdf",
    )
    add_paper_flag(p)
    add_split_audit_args(p)
    p.set_defaults(func=cmd_split)

    p = sub.add_parser(
        "combine",
        help="recover the credential from a quorum of shares",
        description="Recover the credential from share files and write its exact bytes.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", metavar="PATH", help="write the credential here (default: stdout)")
    p.add_argument("--fingerprint", metavar="F", help="only accept shares of this set")
    add_combine_audit_args(p)
    p.set_defaults(func=cmd_combine)

    p = sub.add_parser(
        "inspect",
        help="show a share's metadata and SLIP-39 words",
        description="Print a share's metadata and its SLIP-39 words (share material: handle it "
        "like the paper it came from). Never the credential.",
    )
    p.add_argument("file", metavar="FILE")
    add_json_flag(p)
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "verify",
        help="check shares alone, without reconstructing anything",
        description="Check each share alone: intact, and a genuine member of its set. Exit 0 "
        "only if every share is, and all belong to one set (or to --fingerprint).",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--fingerprint", metavar="F", help="the set fingerprint they must carry")
    p.set_defaults(func=cmd_verify)


def add_split_audit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--replaces",
        metavar="FINGERPRINT",
        help="this split rotates the credential of that set: the old set is retired",
    )
    p.add_argument("--operator", metavar="NAME", help="who runs the ceremony (default: you)")


def add_combine_audit_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "the record (required: --incident and --operator, or --drill)",
    )
    g.add_argument("--incident", metavar="REF", help="incident reference, e.g. INC-4821")
    g.add_argument("--operator", metavar="NAME", help="who breaks glass")
    g.add_argument(
        "--witness", action="append", default=[], metavar="NAME", help="a witness (repeat)"
    )
    g.add_argument("--trigger", metavar="TEXT", help="why glass is broken (the trigger met)")
    g.add_argument(
        "--drill",
        action="store_true",
        help="a rehearsal: recorded as a drill with step timings, never counted as real use",
    )
    g.add_argument(
        "--mirror-override",
        metavar="REASON",
        help="reveal even though an audit mirror is unreachable, or (no mirror configured) "
        "without confirming the announcement was posted (the reason is logged)",
    )
    g.add_argument(
        "--announced",
        action="store_true",
        help="no mirror and no terminal: you were shown the announcement (stderr) and take "
        "responsibility to post it to the incident channel (logged as such)",
    )
    g.add_argument(
        "--broken-trail-override",
        metavar="REASON",
        help="a real emergency while the audit trail is missing or broken: go on anyway "
        "(the reason is logged; never for drills, splits or check-ins)",
    )


# -- split ----------------------------------------------------------------------------------


_GROUP_RE = re.compile(r"^(?P<name>.+):(?P<m>\d+)/(?P<n>\d+)$")


def policy_from_args(args: argparse.Namespace) -> Policy:
    if args.group:
        if args.threshold is not None or args.shares is not None:
            raise CliError("use either --threshold/--shares or --group, not both")
        groups = []
        for spec in args.group:
            m = _GROUP_RE.match(spec)
            if not m:
                raise CliError(f"--group {spec!r}: expected NAME:M/N, e.g. on-call:2/3")
            groups.append((m["name"], int(m["m"]), int(m["n"])))
        gt = args.group_threshold if args.group_threshold is not None else len(groups)
        try:
            return Policy.grouped(gt, groups)
        except PolicyError as exc:
            raise CliError(str(exc)) from exc
    if args.threshold is None or args.shares is None:
        raise CliError("give --threshold M and --shares N (or --group NAME:M/N ...)")
    if args.group_threshold is not None:
        raise CliError("--group-threshold goes with --group")
    try:
        return Policy.simple(args.threshold, args.shares)
    except PolicyError as exc:
        raise CliError(str(exc)) from exc


def custodians_from_args(specs: list[str], total: int) -> list[Custodian]:
    if len(specs) > total:
        raise CliError(f"{len(specs)} --custodian given for {total} shares")
    people = []
    for spec in specs:
        name, _, rest = spec.partition(":")
        role = rest.partition(":")[0]
        if not name.strip():
            raise CliError(f"--custodian {spec!r}: the name is empty")
        people.append(Custodian(name.strip(), role.strip()))
    return people


def generate_secret(length: int, alphabet: str) -> SecretBytes:
    if not 1 <= length <= MAX_SECRET_BYTES:
        raise CliError(f"--generate takes a length from 1 to {MAX_SECRET_BYTES}")
    chars = ALPHABETS[alphabet].encode()
    buf = SecretBytes(length)
    for i in range(length):
        buf[i] = chars[secrets.randbelow(len(chars))]
    return buf


def read_secret(args: argparse.Namespace) -> SecretBytes:
    if args.generate is not None:
        return generate_secret(args.generate, args.alphabet)
    if args.secret_file:
        secret = read_secret_file(args.secret_file)
    else:
        secret = read_secret_stream(sys.stdin, MAX_SECRET_BYTES)
    if not secret:
        raise CliError("the credential is empty")
    if len(secret) > MAX_SECRET_BYTES:
        secret.wipe()
        raise CliError(f"the credential is longer than {MAX_SECRET_BYTES} bytes")
    return secret


def write_set(share_set: ShareSet, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for share in share_set.shares:
        path = out_dir / f"share-{share.number}.txt"
        write_private(path, ("\n".join(share.qr_texts()) + "\n").encode())
        written.append(path)
    meta = json.dumps(share_set.public_metadata(), indent=2, ensure_ascii=False) + "\n"
    (out_dir / "set.json").write_text(meta, encoding="utf-8")
    return written


def do_split(args: argparse.Namespace) -> ShareSet:
    """Parse, read the secret, split; the secret buffer is wiped before returning."""
    policy = policy_from_args(args)
    people = custodians_from_args(args.custodian, policy.total_shares)
    if args.generated_out and args.generate is None:
        raise CliError("--generated-out goes with --generate")
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise CliError(f"--out {args.out}: not a directory")
    with read_secret(args) as secret:
        try:
            share_set = split_credential(secret, policy=policy, label=args.label, custodians=people)
        except PolicyError as exc:
            raise CliError(str(exc)) from exc
        if args.generated_out:
            write_private(Path(args.generated_out), secret)
    write_set(share_set, out_dir)
    return share_set


def check_custodians(args: argparse.Namespace, policy: Policy) -> tuple[str, list[str]]:
    """The ceremony's custodian rule, before anything is written or logged.

    Every share needs a named custodian, the printed fields must be printable (with --pdf),
    and one person, location or role alone reaching the quorum is refused unless
    ``--accept-custodian-risk REASON``. Returns the accepted reason and the risks it accepts
    (``("", [])`` if none was needed).
    """
    # only split loads the ceremony rules (and with them the fonts)
    from breakglass_gui.ceremony.split_flow import (  # noqa: PLC0415
        CustodianEntry,
        custodian_problems,
        custodian_risks,
        printable_problems,
    )

    entries = []
    for spec in args.custodian:
        name, _, rest = spec.partition(":")
        role, _, location = rest.partition(":")
        entries.append(CustodianEntry(name.strip(), role.strip(), location=location.strip()))
    reason = " ".join((args.accept_custodian_risk or "").split())
    problems = custodian_problems(policy, entries, reason)
    if not args.pdf:
        # nothing is printed now: only the rule, not the fonts of this machine
        problems = [p for p in problems if "cannot be printed" not in p]
    elif args.label:
        problems = printable_problems([("--label", args.label)]) + problems
    if problems:
        hint = (
            " Name one custodian per share with --custodian NAME[:ROLE[:LOCATION]]"
            "; if the risk is deliberate: --accept-custodian-risk REASON."
        )
        raise CliError("custodians: " + " ".join(problems) + hint)
    risks = [r.describe() for r in custodian_risks(policy, entries)]
    return (reason, risks) if risks else ("", [])


def cmd_split(args: argparse.Namespace) -> int:
    from . import audit_cmds, paper_cmds  # noqa: PLC0415 - only the commands that need them

    policy = policy_from_args(args)
    risk_reason, risks = check_custodians(args, policy)
    with audit_cmds.SplitCeremony(args, policy) as ceremony:
        if risk_reason:
            ceremony.custodian_risk_accepted(risk_reason, risks)
        share_set = do_split(args)
        if args.pdf:
            paper_cmds.write_set_pdfs(
                share_set,
                Path(args.out),
                paper=args.paper,
                audit_public_key=ceremony.trail.public_key.text(),
                custodian_risk=risk_reason,
            )
        ceremony.finished(share_set, printed=args.pdf)
    out(
        f"set {share_set.fingerprint_text}: {share_set.header.policy.describe()}; "
        f"{len(share_set.shares)} shares written to {args.out}"
        + (" (with share sheets, ceremony record and runbook PDFs)" if args.pdf else "")
    )
    return EXIT_OK


# -- combine ------------------------------------------------------------------------------


def collect_shares(files: list[str]) -> list[Share]:
    shares, errors = load_share_files(files)
    for e in errors:
        err(f"breakglass: refused {e}")
    return shares


def cmd_combine(args: argparse.Namespace) -> int:
    from . import audit_cmds  # noqa: PLC0415 - only the commands that need it

    expected = _expected(args.fingerprint)
    with audit_cmds.Reconstruction(args) as record:
        shares = record.collect(args.files)
        if not shares:
            raise CliError("no readable share among the files given")
        try:
            recovery = recover(shares, expected_fingerprint=expected)
        except InsufficientSharesError as exc:
            raise CliError(str(exc), EXIT_FAIL) from exc
        with recovery.secret as secret:
            for e in recovery.rejected:
                err(f"breakglass: refused {e}")
            record.recovered(recovery)
            record.revealed("file" if args.out else "stdout")
            if args.out:
                write_private(Path(args.out), secret)
            else:
                sys.stdout.buffer.write(secret)
                sys.stdout.buffer.flush()
        record.wiped()
    return EXIT_OK


def _expected(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return parse_fingerprint(text)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


# -- inspect and verify ---------------------------------------------------------------------


def share_summary(share: Share) -> dict[str, object]:
    return {
        "set_fingerprint": share.fingerprint_text,
        "set_digest": share.set_digest_text,
        "drill": share.drill,
        "format_version": 2,
        "label": share.label,
        "number": share.number,
        "total": share.total,
        "custodian": share.custodian,
        "role": share.role,
        "group": share.group_name,
        "group_index": share.group_index,
        "member_index": share.member_index,
        "policy": share.policy.describe(),
        "group_threshold": share.policy.group_threshold,
        "member_threshold": share.policy.groups[share.group_index].threshold,
        "created": share.created.isoformat(),
        "secret_length": share.secret_length,
        "verification_words": share.verification_words(),
    }


def _single_share(path: str) -> Share:
    shares, errors = load_share_files([path])
    if errors:
        raise CliError(str(errors[0]), EXIT_FAIL)
    if len(shares) != 1:
        raise CliError(f"{path}: holds {len(shares)} shares; inspect takes one", EXIT_FAIL)
    return shares[0]


def cmd_inspect(args: argparse.Namespace) -> int:
    share = _single_share(args.file)
    info = share_summary(share)
    if args.json:
        info["slip39_words"] = share.words
        out(json.dumps(info, indent=2, ensure_ascii=False))
        return EXIT_OK
    out(f"BREAK-GLASS SHARE {share.number} of {share.total}")
    out(f"  set fingerprint   {share.fingerprint_text}")
    out(f"  set digest        {share.set_digest_text}")
    if share.drill:
        out("  DRILL set         for rehearsal only (a throwaway secret)")
    out(f"  label             {share.label}")
    out(f"  custodian         {share.holder}")
    if not share.policy.is_simple:
        out(f"  group             {share.group_name}")
    out(f"  quorum            {share.policy.describe()}")
    out(f"  created           {share.created.isoformat()}")
    out(f"  secret length     {share.secret_length} bytes (sealed)")
    out(f"  verification      {' '.join(share.verification_words())}")
    out("  SLIP-39 words (share material):")
    words = share.words
    for row in range(0, len(words), 6):
        out("    " + " ".join(words[row : row + 6]))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    expected = _expected(args.fingerprint)
    shares, errors = load_share_files(args.files)
    ok = not errors
    for e in errors:
        out(f"BAD   {e}")
    fps = {s.fingerprint for s in shares}
    for s in shares:
        if expected is not None and s.fingerprint != expected:
            out(
                f"BAD   {s.describe()}: belongs to set {s.fingerprint_text}, not {args.fingerprint}"
            )
            ok = False
        else:
            out(f"OK    {s.describe()}: intact, member of set {s.fingerprint_text}")
    if expected is None and len(fps) > 1:
        ok = False
        sets = ", ".join(sorted(format_fingerprint(f) for f in fps))
        out(f"BAD   the shares belong to {len(fps)} different sets: {sets}")
    if len(fps) == 1:
        out(f"set fingerprint: {format_fingerprint(next(iter(fps)))}")
    return EXIT_OK if ok else EXIT_FAIL
