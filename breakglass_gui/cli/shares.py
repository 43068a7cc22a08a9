"""``split``, ``combine``, ``inspect`` and ``verify``: the share-format commands."""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from breakglass_gui.ceremony.alphabets import ALPHABET_NAMES, ALPHABETS
from breakglass_gui.core.errors import PolicyError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import (
    MAX_SECRET_BYTES,
    Custodian,
    ShareSet,
)
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.share import Share, format_fingerprint, parse_fingerprint

if TYPE_CHECKING:  # loaded by combine when it runs
    from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow
    from breakglass_gui.ceremony.remote import RemoteIntake
    from breakglass_gui.core.envelope import OneTimeKey

from .common import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    add_json_flag,
    add_paper_flag,
    err,
    load_share_files,
    out,
    read_hidden_line,
    read_secret_file,
    read_secret_stream,
)


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
        "--secret-stdin",
        action="store_true",
        help="read the credential's exact bytes from stdin; at a terminal it is typed twice, "
        "not echoed, and both entries must match",
    )
    src.add_argument(
        "--generate", type=int, metavar="LENGTH", help="generate a random credential this long"
    )
    p.add_argument(
        "--alphabet",
        choices=sorted(ALPHABET_NAMES),
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
        "--drill-set",
        action="store_true",
        help="a drill set for rehearsals: marked DRILL in every share (covered by the set "
        "digest) and on every sheet; only a drill set's credential is shown in a drill, so "
        "give it a throwaway secret (e.g. --generate 24)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write share-<k>.pdf sheets and runbook.pdf, then, once the set is "
        "registered, ceremony-record.pdf with the split's audit anchor",
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
    p.add_argument(
        "--remote-key",
        metavar="IDFILE",
        help="this ceremony's one-time key (breakglass remote-key): age envelopes among the "
        "FILEs are opened with it; once the ceremony has started, the file is overwritten and "
        "deleted when combine ends, whether it succeeded or not",
    )
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
    g.add_argument(
        "--no-witness",
        metavar="REASON",
        default="",
        help="a real use with no witness: why nobody can witness it (logged)",
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
    """The split ceremony's own generator (one rule for the GUI and the CLI)."""
    from breakglass_gui.ceremony.split_flow import generate_secret as draw  # noqa: PLC0415

    try:
        return draw(length, alphabet)
    except PolicyError as exc:
        raise CliError(f"--generate {length} --alphabet {alphabet}: {exc}") from exc


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


def read_typed_pair() -> tuple[SecretBytes, SecretBytes]:
    """The credential typed twice at the terminal (not echoed); the ceremony compares them.

    A mismatch is said here already, before the audit log is opened (nothing recorded for a
    typing slip), with the ceremony's own words (``confirmation_problem``)."""
    from breakglass_gui.ceremony.split_flow import confirmation_problem  # noqa: PLC0415

    first = read_hidden_line("Credential to split (not shown): ", MAX_SECRET_BYTES)
    again = read_hidden_line("Type it again to confirm: ", MAX_SECRET_BYTES)
    problem = confirmation_problem(first, again)
    if problem is not None:
        first.wipe()
        again.wipe()
        raise CliError(problem.replace("Type both again.", "Run split again.").strip())
    return first, again


#: What a split writes into its folder; a folder already holding any of these is refused.
SET_FILES = ("share-*.txt", "share-*.pdf", "set.json", "ceremony-record.pdf", "runbook.pdf")


def _check_out_dir(path: str) -> Path:
    out_dir = Path(path)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise CliError(f"--out {path}: not a folder")
    if out_dir.is_dir():
        found = sorted({p.name for pattern in SET_FILES for p in out_dir.glob(pattern)})
        if found:
            shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
            raise CliError(
                f"--out {path} already holds the files of a set ({shown}): give a new or empty "
                "folder; nothing was written"
            )
    return out_dir


def write_set(share_set: ShareSet, out_dir: Path) -> dict[int, Path]:
    """share-<k>.txt (QR text lines) and set.json (public metadata) into ``out_dir``, each
    created new, mode 0600; returns the share files by number."""
    from breakglass_gui.platform.files import create_new  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: dict[int, Path] = {}
    for share in share_set.shares:
        path = out_dir / f"share-{share.number}.txt"
        create_new(path, ("\n".join(share.qr_texts()) + "\n").encode())
        written[share.number] = path
    meta = json.dumps(share_set.public_metadata(), indent=2, ensure_ascii=False) + "\n"
    create_new(out_dir / "set.json", meta.encode())
    return written


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
    """Split through the same flow as the GUI's split wizard (``ceremony.SplitCeremony``):
    its rules, its record (``TrailSplitRecorder``), every share read back before the end.
    The files are the CLI's own: share-<k>.txt, set.json, and with --pdf the sheets and the
    runbook, then (once the set is registered) the ceremony record with the split's audit
    anchor; each created new (an existing file is never replaced)."""
    from breakglass_gui.ceremony.adapters import PaperRenderer, TrailSplitRecorder  # noqa: PLC0415
    from breakglass_gui.ceremony.setcards import card_for_share_set  # noqa: PLC0415
    from breakglass_gui.ceremony.split_flow import (  # noqa: PLC0415
        CustodianEntry,
        SplitCeremony,
        SplitPorts,
    )
    from breakglass_gui.ceremony.wizard import WizardError  # noqa: PLC0415
    from breakglass_gui.platform.files import FileExistsRefusal, create_new  # noqa: PLC0415

    from .audit_cmds import open_trail, replaced_set  # noqa: PLC0415
    from .common import default_operator, home_rules  # noqa: PLC0415

    policy = policy_from_args(args)
    custodians_from_args(args.custodian, policy.total_shares)
    risk_reason, _risks = check_custodians(args, policy)  # before anything is written or logged
    if args.generated_out and args.generate is None:
        raise CliError("--generated-out goes with --generate")
    if args.generated_out and os.path.lexists(args.generated_out):
        raise CliError(
            f"--generated-out {args.generated_out} already exists; it is never replaced: give "
            "a new file name"
        )
    if not args.label.strip():
        raise CliError("give the credential a name with --label (it is printed on every share)")
    out_dir = _check_out_dir(args.out)
    typed = read_typed_pair() if args.secret_stdin and sys.stdin.isatty() else None
    rules = home_rules(args)
    trail = open_trail(args)
    try:
        renderer = PaperRenderer(
            args.paper,
            audit_public_key=trail.public_key.text(),
            triggers=rules.triggers,
            incident_example=rules.incident_example,
            reveal_seconds=rules.reveal_seconds,
            clipboard_seconds=rules.clipboard_seconds,
            set_card=functools.partial(card_for_share_set, trail),
        )
        ports = SplitPorts(
            TrailSplitRecorder(trail), renderer, host=args.operator or default_operator()
        )
        ceremony = SplitCeremony(ports, replaces=replaced_set(trail, args.replaces))
        try:
            ceremony.set_details(args.label)
            ceremony.set_drill_set(args.drill_set)
            generated = args.generate is not None
            if typed is not None:
                # the ceremony's own rule for a typed credential: both entries must match
                problems = ceremony.set_typed_secret(*typed)
                if problems:
                    raise CliError(" ".join(problems) + " Nothing was written.")
            else:
                ceremony.set_secret(
                    read_secret(args),
                    generated=generated,
                    alphabet_size=len(ALPHABETS[ALPHABET_NAMES[args.alphabet]])
                    if generated
                    else None,
                )
            for warning in ceremony.credential_warnings():
                err(f"breakglass: note: {warning}")
            if generated and args.generated_out:
                # the concealed copy of the CLI: a new owner-only file, written before any share
                ceremony.state["credential_seen"] = "written to --generated-out"
            elif typed is not None:
                ceremony.state["credential_seen"] = "typed twice by the operator"
            elif not generated:
                ceremony.state["credential_seen"] = "given by the operator (file or stdin)"
            ceremony.wizard.next()  # policy
            ceremony.set_policy(policy)
            ceremony.wizard.next()  # custodians
            entries = []
            for spec in args.custodian:
                name, _, rest = spec.partition(":")
                role, _, location = rest.partition(":")
                entries.append(
                    CustodianEntry(name.strip(), role.strip(), location=location.strip())
                )
            entries += [CustodianEntry()] * (policy.total_shares - len(entries))
            ceremony.set_custodians(entries)
            ceremony.set_custodian_risk_reason(risk_reason)
            for warning in ceremony.custodian_warnings():
                err(f"breakglass: note: {warning}")
            ceremony.wizard.next()  # review
            share_set = ceremony.make_shares()
            ceremony.wizard.next()  # print: recorded as started from here on
            if args.generated_out:
                secret = ceremony.state.secret("credential")
                assert secret is not None
                create_new(args.generated_out, secret)
            written = write_set(share_set, out_dir)
            if not args.pdf:
                for number, path in written.items():
                    ceremony.mark_emitted(f"share-{number}", f"saved to {path}")
            if args.pdf:
                for doc in ceremony.documents:
                    name = "runbook.pdf" if doc.id == "runbook" else f"{doc.id}.pdf"
                    create_new(out_dir / name, ceremony.render_document(doc.id))
                    ceremony.mark_emitted(doc.id, f"saved to {out_dir / name}")
            ceremony.wizard.next()  # verify: every share read back from what was written
            for path in written.values():
                for line in path.read_text(encoding="utf-8").splitlines():
                    outcome = ceremony.verify_scanned_text(line)
                    if not outcome.ok:
                        raise CliError(f"{path}: {outcome.message} Do not hand it out.")
            ceremony.accept_test_combine(ceremony.compute_test_combine())
            # the operator handed this credential over (or took the generated one out): on
            # the record as such; the CLI cannot ask whether the target already uses it
            ceremony.confirm_credential_set(True)
            ceremony.finish()
            announcement = trail.last_announcement
            record_problem = _write_record(ceremony, out_dir) if args.pdf else ""
        except FileExistsRefusal as exc:
            ceremony.cancel()
            raise CliError(str(exc)) from None
        except WizardError as exc:
            ceremony.cancel()
            hint = " (--generated-out PATH)" if "generated credential" in str(exc) else ""
            raise CliError(f"{exc}{hint}") from None
        except BaseException:
            ceremony.cancel()
            raise
    finally:
        trail.close()
    if announcement is not None:
        from .audit_cmds import print_announcement  # noqa: PLC0415

        print_announcement(announcement)
    if record_problem:
        err(record_problem)
    out(
        f"set {share_set.fingerprint_text}: {share_set.header.policy.describe()}; "
        f"{len(share_set.shares)} shares written to {args.out}"
        + (" (with share sheets, ceremony record and runbook PDFs)" if args.pdf else "")
    )
    return EXIT_OK if not record_problem else EXIT_ERROR


def _write_record(ceremony: Any, out_dir: Path) -> str:
    """ceremony-record.pdf, made once the set is registered: it carries the split's audit
    anchor. Created new (never over an existing file). The set is registered whatever happens
    here: a failure is said (with how to make the record again), not undone; returns it."""
    from breakglass_gui.core.errors import BreakglassError  # noqa: PLC0415
    from breakglass_gui.platform.files import create_new  # noqa: PLC0415

    path = out_dir / "ceremony-record.pdf"
    try:
        create_new(path, ceremony.render_record())
    except OSError as exc:  # FileExistsRefusal included
        return (
            f"breakglass: the set is registered, but the ceremony record was not written "
            f"({exc}); make it with: breakglass record {out_dir / 'set.json'} --out FILE"
        )
    try:
        ceremony.mark_record_emitted(f"saved to {path.absolute()}")
    except BreakglassError as exc:  # the record is written; the trail refused the entry
        return f"breakglass: {path} is written, but the audit trail did not record it ({exc})"
    return ""


# -- combine ------------------------------------------------------------------------------


def cmd_combine(args: argparse.Namespace) -> int:
    """Break glass (or drill) through the same flow as the GUI: ``ceremony.ReconstructFlow``
    with this installation's rules, the registry's known and retired sets, the audit trail
    and its mirror gate. Only the writing of the credential is the CLI's own."""
    from breakglass_gui.ceremony.adapters import (  # noqa: PLC0415
        TrailReconstructionRecorder,
        TrailRetiredSets,
    )
    from breakglass_gui.ceremony.reconstruct_flow import ReconstructFlow  # noqa: PLC0415

    from .audit_cmds import open_trail  # noqa: PLC0415
    from .common import default_operator, home_rules  # noqa: PLC0415

    expected = _expected(args.fingerprint)
    if args.out and os.path.lexists(args.out):  # checked again, race-free, when it is created
        raise CliError(
            f"--out {args.out} already exists; combine writes a new file only and never "
            "replaces one (to pipe the credential, leave out --out)"
        )
    key = _remote_key(args.remote_key)
    rules = home_rules(args)
    trigger = rules.trigger_matching(args.trigger or "") or (args.trigger or "")
    operator = args.operator or (default_operator() if args.drill else "")
    trail = open_trail(args)
    try:
        override = getattr(args, "broken_trail_override", None)
        if override and not args.drill and trail.broken_message() is not None:
            trail.override_broken_trail(override, by=operator or None)
            err("breakglass: the audit trail is not sound; override recorded")
        audit = TrailReconstructionRecorder(trail, drill=args.drill)
        directory = TrailRetiredSets(trail)
        flow = ReconstructFlow(
            audit,
            config=rules.config(),
            retired=directory,
            known=directory,
            expected_fingerprint=expected,
            drill=args.drill,
        )
        flow.authorise(
            args.incident or "",
            trigger,
            operator,
            args.witness,
            drill=args.drill,
            no_witness_reason=args.no_witness,
        )
        problems = flow.wizard.problems()
        if problems:
            raise CliError(_authorisation_error(problems, rules.triggers))
        flow.wizard.next()  # recorded: reconstruction_started (a drill or a real use)
        intake = None
        if key is not None:
            from breakglass_gui.ceremony.remote import RemoteIntake  # noqa: PLC0415

            intake = RemoteIntake(flow.collector, key)
        try:
            return _run_combine(args, flow, audit, intake)
        finally:
            flow.close("the command stopped")  # wipes; records an abort if not finished
            if intake is not None:  # the one-time key dies with the ceremony
                intake.close()
                _destroy_remote_key(args.remote_key)
    finally:
        trail.close()


def _remote_key(path: str | None) -> OneTimeKey | None:
    """The one-time key of ``--remote-key``, read before anything is recorded."""
    if path is None:
        return None
    from breakglass_gui.core.envelope import EnvelopeError, OneTimeKey  # noqa: PLC0415

    try:
        return OneTimeKey.from_identity_file(Path(path))
    except FileNotFoundError:
        raise CliError(
            f"--remote-key {path}: no such file (make one with 'breakglass remote-key')"
        ) from None
    except EnvelopeError as exc:
        raise CliError(f"--remote-key {exc}") from None


def _destroy_remote_key(path: str) -> None:
    from breakglass_gui.core.envelope import EnvelopeError, destroy_identity_file  # noqa: PLC0415

    try:
        if destroy_identity_file(Path(path)):
            err(f"breakglass: the one-time key {path} was overwritten and deleted")
    except (OSError, EnvelopeError) as exc:
        err(f"breakglass: could not delete the one-time key {path}: {exc}; delete it by hand")


def _authorisation_error(problems: list[str], triggers: tuple[str, ...]) -> str:
    text = "; ".join(problems)
    if any("trigger" in p for p in problems):
        listed = "; ".join(f"{k}: {t}" for k, t in enumerate(triggers, start=1))
        text += f" (--trigger takes the number or the words of one of: {listed})"
    if any("incident reference is required" in p for p in problems):
        text += " (--incident REF)"
    if any("operator's name" in p for p in problems):
        text += " (--operator NAME)"
    if any(p.startswith("no witness") for p in problems):
        text += " (--witness NAME, or --no-witness REASON)"
    if any("what this drill rehearses" in p for p in problems):
        text += " (--incident TEXT)"
    return text


def _run_combine(
    args: argparse.Namespace, flow: ReconstructFlow, audit: Any, intake: RemoteIntake | None = None
) -> int:
    from breakglass_gui.platform.files import FileExistsRefusal, open_new  # noqa: PLC0415

    from .audit_cmds import print_announcement  # noqa: PLC0415

    for path in args.files:
        _offer_file(flow, path, intake)
    for partial in flow.collector.parts_in_progress():
        err(f"breakglass: refused {partial}: the other parts are not in the files given")
    if not flow.collector.shares:
        raise CliError("no share of a set that may be recovered here among the files given")
    reached, status = flow.collector.status()
    if not reached:
        raise CliError(f"not enough shares: {status}", EXIT_FAIL)
    flow.wizard.next()  # to the reconstruct step
    if not flow.run_reconstruction():
        raise CliError(flow.outcome.error, EXIT_FAIL)
    for refused in flow.outcome.refused:
        err(f"breakglass: refused {refused}")
    if flow.outcome.proven_only:  # a drill on a live set: proven, wiped, never shown
        flow.wizard.next()
        flow.wizard.finish()
        out(flow.outcome.not_shown)
        return EXIT_OK
    # a real use: to the announce step, which checks the gate; a drill: to the reveal step
    flow.wizard.next()
    ann = flow.announcement()
    if ann is not None:  # a real use: the trace outside this machine, on stderr
        print_announcement(ann)
    gate = flow.gate_status if flow.wizard.current == "announce" else flow.check_gate()
    if gate is not None and not gate.open and flow.announce_needs_posted():
        _confirm_announcement(args, flow)
        gate = flow.gate_status
    if gate is not None and not gate.open:
        if not args.mirror_override:
            raise CliError(
                gate.explain() + " (--mirror-override REASON); the credential was wiped",
                EXIT_FAIL,
            )
        flow.override_gate(args.mirror_override)
        err(f"breakglass: {gate.explain()}; override recorded")
    if flow.wizard.current == "announce":
        flow.wizard.next()  # to the reveal step
    fd: int | None = None
    if args.out:
        try:
            fd = open_new(args.out)  # a new file only: nothing existing is touched
        except FileExistsRefusal as exc:
            raise CliError(f"--out: {exc} (to pipe the credential, leave out --out)") from None
        except OSError as exc:
            raise CliError(f"--out {args.out}: {exc.strerror or exc}") from None
    secret = flow.secret
    assert secret is not None
    try:
        # recorded first; the recorder checks the gate again here and refuses if it shut
        flow.reveal(via="file" if fd is not None else "stdout")
    except BaseException:
        if fd is not None:  # nothing was written: the new file goes
            os.close(fd)
            fd = None
            Path(args.out).unlink(missing_ok=True)
        raise
    try:
        _deliver(secret, fd)
    except OSError as exc:
        where = args.out or "standard output"
        if fd is not None:  # the file this command created holds part of it: remove it
            os.close(fd)
            fd = None
            Path(args.out).unlink(missing_ok=True)
        flow.reveal_failed(f"the credential could not be written to {where}")
        raise CliError(
            f"the credential could not be written to {where} ({exc.strerror or exc}); "
            "recorded as failed; it was wiped",
            EXIT_FAIL,
        ) from None
    finally:
        if fd is not None:
            os.close(fd)
    flow.wizard.next()  # wiped: the after step
    flow.defer_checklist()
    flow.wizard.finish()
    if not flow.drill:
        err(
            "breakglass: now rotate the credential, re-split it (split --replaces "
            f"{flow.outcome.fingerprint}), redistribute the new shares, and complete the review "
            "record (breakglass review list)"
        )
    return EXIT_OK


def _confirm_announcement(args: argparse.Namespace, flow: Any) -> None:
    """No mirror: the announcement is the only trace outside this machine. The operator
    confirms it was posted (typed at a terminal, or --announced), or the credential stays
    hidden; either way it is logged."""
    if args.mirror_override:
        return  # the override records it
    if getattr(args, "announced", False):
        flow.announcement_posted(
            True, "--announced: shown on stderr; the operator takes responsibility to post it"
        )
        return
    if not sys.stdin.isatty():
        flow.announcement_posted(False, "no terminal to confirm; no --announced")
        raise CliError(
            "no audit mirror is configured, so the announcement above is the only trace "
            "outside this machine, and there is no terminal to confirm it was posted. Post it "
            "to the incident channel, then run again with --announced (or --mirror-override "
            "REASON). The credential was not revealed",
            EXIT_FAIL,
        )
    sys.stderr.write("Type 'posted' once it is in the incident channel: ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip()
    posted = answer == "posted"
    flow.announcement_posted(
        posted, "typed 'posted' at the terminal" if posted else f"typed {answer[:40]!r}"
    )
    if not posted:
        raise CliError(
            "the announcement was not confirmed as posted; the credential was not revealed",
            EXIT_FAIL,
        )


def _deliver(secret: bytes | bytearray, fd: int | None) -> None:
    if fd is None:
        sys.stdout.buffer.write(secret)
        sys.stdout.buffer.flush()
        return
    view = memoryview(secret)
    try:
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        view.release()


def _offer_file(flow: ReconstructFlow, path: str, intake: RemoteIntake | None = None) -> None:
    """Offer every share text of one file to the flow's collector; say what was refused.
    An age envelope is opened with the ceremony's one-time key (``intake``) first."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        reason = "not a text file"
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror or exc})"
    else:
        from breakglass_gui.core.envelope import is_envelope  # noqa: PLC0415
        from breakglass_gui.core.share import read_share_texts  # noqa: PLC0415

        if is_envelope(text):
            if intake is None:
                reason = (
                    "an age envelope from a remote custodian: give this ceremony's one-time "
                    "key with --remote-key IDFILE"
                )
            else:
                offer = intake.receive(text, path)
                if not offer.accepted:
                    err(f"breakglass: refused {path}: {offer.message.removeprefix('Refused ')}")
                    if offer.error is None:  # the envelope itself: the collector never saw it
                        flow.refuse_unread(path, offer.reason)
                return
            err(f"breakglass: refused {path}: {reason}")
            flow.refuse_unread(path, reason)
            return

        found = False
        for chunk in read_share_texts(text):
            if not chunk:
                continue
            found = True
            offer = flow.offer_text(chunk, path)
            if not offer.accepted and offer.kind.value == "refused":
                err(f"breakglass: refused {path}: {offer.message.removeprefix('Refused ')}")
        if found:
            return
        reason = "no share found in the file"
    err(f"breakglass: refused {path}: {reason}")
    flow.refuse_unread(path, reason)


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


def _set_status(args: argparse.Namespace) -> Any:
    """``fingerprint text -> registry record or None`` for this home (never creating it)."""
    from breakglass_gui.platform.dirs import resolve_home  # noqa: PLC0415

    path = resolve_home(args.home) / "registry.sqlite3"
    if not path.exists():
        return lambda _fp: None
    from breakglass_gui.audit.registry import Registry  # noqa: PLC0415

    registry = Registry(path)
    found: dict[str, Any] = {}

    def lookup(digest: str) -> Any:
        # known by the full set digest, not by the printed fingerprint alone
        if digest not in found:
            found[digest] = registry.set_by_digest(digest)
        return found[digest]

    lookup.close = registry.close  # type: ignore[attr-defined]
    return lookup


def cmd_verify(args: argparse.Namespace) -> int:
    expected = _expected(args.fingerprint)
    shares, errors = load_share_files(args.files)
    ok = not errors
    for e in errors:
        out(f"BAD     {e}")
    fps = {s.fingerprint for s in shares}
    lookup = _set_status(args)
    try:
        for s in shares:
            rec = lookup(s.set_digest.hex().upper())
            if expected is not None and s.fingerprint != expected:
                out(
                    f"BAD     {s.describe()}: belongs to set {s.fingerprint_text}, "
                    f"not {args.fingerprint}"
                )
                ok = False
            elif rec is not None and rec.status == "retired":
                out(
                    f"RETIRED {s.describe()}: intact, but set {s.fingerprint_text} was retired "
                    f"on {(rec.retired_at or '')[:10]} by {rec.retired_by}: it opens nothing, "
                    "destroy this sheet"
                )
                ok = False
            elif rec is None and expected is None:
                out(
                    f"UNKNOWN {s.describe()}: intact, member of set {s.fingerprint_text} "
                    f"({s.label or 'no label'}), which this installation does not know (made "
                    "elsewhere, or the wrong data directory); to check it against the set "
                    f"printed on the sheet: --fingerprint {s.fingerprint_text}"
                )
                ok = False
            else:
                where = f"known here, {rec.status}" if rec is not None else "named explicitly"
                out(f"OK      {s.describe()}: intact, member of set {s.fingerprint_text} ({where})")
    finally:
        close = getattr(lookup, "close", None)
        if close is not None:
            close()
    if expected is None and len(fps) > 1:
        ok = False
        sets = ", ".join(sorted(format_fingerprint(f) for f in fps))
        out(f"BAD     the shares belong to {len(fps)} different sets: {sets}")
    if len(fps) == 1:
        out(f"set fingerprint: {format_fingerprint(next(iter(fps)))}")
    return EXIT_OK if ok else EXIT_FAIL
