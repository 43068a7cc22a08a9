"""Custodians who are not in the room: ``remote-key`` (operator) and ``send-share`` (custodian).

The operator makes a one-time age identity for this ceremony and reads its recipient and safety
code to the custodians; each custodian encrypts their share to it (with ``send-share`` or the
standard ``age`` tool) and sends the envelope over any channel; ``combine --remote-key IDFILE``
opens the envelopes among its files and destroys the identity file when it is done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    err,
    load_share_files,
    out,
    write_new,
    write_qr_png,
)

__all__ = ["default_identity_path", "register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "remote-key",
        help="make this ceremony's one-time key for custodians who are not in the room",
        description="Write a one-time age identity file (0600) and print its recipient and "
        "safety code. Custodians encrypt their shares to the recipient (breakglass send-share, "
        "or: age -r RECIPIENT -a -o share.age SHARE-FILE); 'combine --remote-key IDFILE' opens "
        "the envelopes and then overwrites and deletes the identity file.",
    )
    p.add_argument("--out", metavar="IDFILE", help="where to write the identity (a new file)")
    p.add_argument("--qr", metavar="PNG", help="also write the recipient as a QR code image")
    p.set_defaults(func=cmd_remote_key)

    p = sub.add_parser(
        "send-share",
        help="encrypt your share to the operator's one-time key, to send it from afar",
        description="Check your share alone, then encrypt it to the operator's one-time "
        "recipient (age format, ASCII armor). The envelope is safe to send over chat or mail: "
        "only this ceremony's one-time key opens it. Compare the safety code with the operator "
        "by voice before sending.",
    )
    p.add_argument("share", metavar="SHARE", help="your share file (as printed or saved)")
    p.add_argument("--to", required=True, metavar="RECIPIENT", help="the operator's age1… key")
    p.add_argument("--out", required=True, metavar="FILE", help="the envelope (new file, or -)")
    p.add_argument(
        "--qr", metavar="PNG", help="also write the envelope as a QR code image, if it fits"
    )
    p.set_defaults(func=cmd_send_share)


def default_identity_path(home: Path, now: dt.datetime, code: str = "") -> Path:
    """Under the runtime directory (memory-backed on most Linux systems) when there is one,
    else under the data directory's ``remote/`` folder (0700). Named by the time and the
    key's safety code, so two keys made in one second get two files."""
    from breakglass_gui.platform.dirs import ensure_private_dir  # noqa: PLC0415

    tag = "-" + "".join(code.split()).lower() if code else ""
    name = f"breakglass-remote-{now.strftime('%Y%m%dT%H%M%SZ')}{tag}.key"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and Path(runtime).is_dir() and os.access(runtime, os.W_OK):
        return Path(runtime) / name
    return ensure_private_dir(home / "remote") / name


def cmd_remote_key(args: argparse.Namespace) -> int:
    from breakglass_gui.core.envelope import OneTimeKey  # noqa: PLC0415
    from breakglass_gui.platform.dirs import resolve_home  # noqa: PLC0415

    key = OneTimeKey.generate()
    home = resolve_home(args.home)
    path = Path(args.out) if args.out else default_identity_path(home, key.created, key.safety_code)
    try:
        key.write_identity_file(path)
    except FileExistsError as exc:
        raise CliError(f"{path} already exists: name a new file for the one-time key") from exc
    finally:
        key.forget()
    if args.qr:
        write_qr_png(args.qr, key.recipient)
    out(f"one-time recipient: {key.recipient}")
    out(f"safety code:        {key.safety_code}")
    out(f"identity file:      {path}  (0600; destroyed by 'combine --remote-key' when done)")
    out("")
    out("Read the recipient to each remote custodian and compare the safety code by voice")
    out("(the last 8 characters of the recipient). Each custodian runs one of:")
    out(f"  breakglass send-share MY-SHARE.txt --to {key.recipient} --out share.age")
    out(f"  age -r {key.recipient} -a -o share.age MY-SHARE.txt")
    out(f"Then: breakglass combine --remote-key {path} share.age [more shares …]")
    return EXIT_OK


def cmd_send_share(args: argparse.Namespace) -> int:
    from breakglass_gui.ceremony.remote import share_envelope  # noqa: PLC0415
    from breakglass_gui.core.envelope import safety_code  # noqa: PLC0415

    code = safety_code(args.to)  # refuses a non-recipient before reading anything
    shares, errors = load_share_files([args.share])
    if errors:
        raise CliError(f"refused {errors[0]}: nothing was encrypted", EXIT_FAIL)
    if len(shares) != 1:
        raise CliError(f"{args.share}: holds {len(shares)} shares; send one at a time", EXIT_FAIL)
    share = shares[0]
    armored = share_envelope(share, args.to)
    if args.out == "-":
        sys.stdout.write(armored)
        sys.stdout.flush()
    else:
        write_new(args.out, armored.encode("ascii"))
    if args.qr:
        write_qr_png(args.qr, armored)
    err(f"checked: {share.describe()} (set {share.fingerprint_text}) is intact")
    err(f"safety code of the recipient: {code}  — compare it with the operator by voice")
    if args.out != "-":
        err(f"envelope: {args.out}; send it to the operator over any channel")
    return EXIT_OK
