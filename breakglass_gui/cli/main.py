"""The ``breakglass`` command: a stable contract that scripts and tests rely on.

Each area registers its subcommands from its own module (``shares``, ``paper_cmds``,
``scan_cmds``, ``audit_cmds``, ``settings_cmds``). Only the module of the command being run is
imported: ``breakglass --version``, ``--help`` and ``verify`` never load OpenCV, numpy,
reportlab or PIL (a test in the default suite checks it). Every error is one line on stderr and
a non-zero exit code; never a traceback, never secret or share material.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from .common import EXIT_ERROR, EXIT_USAGE, CliError
from .entry import VERSION_TEXT

__all__ = ["COMMANDS", "build_parser", "main"]

#: Every command: the module that registers it, and its one-line help (for ``--help`` without
#: importing the module). The order is the order ``--help`` lists them in.
COMMANDS: dict[str, tuple[str, str]] = {
    "split": ("shares", "split a credential into sealed shares"),
    "combine": ("shares", "recover the credential from a quorum of shares"),
    "inspect": ("shares", "show a share's metadata and SLIP-39 words"),
    "verify": ("shares", "check shares alone, without reconstructing anything"),
    "print": ("paper_cmds", "make one share sheet PDF per share"),
    "record": ("paper_cmds", "make the ceremony record PDF of a set"),
    "runbook": ("paper_cmds", "make the runbook PDF of a set"),
    "scan": ("scan_cmds", "read share QR codes from images or videos"),
    "audit": ("audit_cmds", "verify, show and export the signed audit log"),
    "sets": ("audit_cmds", "the share sets this installation made: list, show, retire"),
    "checkin": ("audit_cmds", "check in a custodian's share: checked alone, nothing reconstructed"),
    "report": ("audit_cmds", "sets, rotation due, shares not checked in, drills, bypass rate"),
    "review": ("audit_cmds", "review records: list, show, complete, close-follow-up, export"),
    "remote-key": ("remote_cmds", "make this ceremony's one-time key for remote custodians"),
    "send-share": ("remote_cmds", "encrypt your share to the operator's one-time key"),
    "settings": ("settings_cmds", "the ceremony rules of this installation: show, set"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (the first word that is not an option), if any."""
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word == "--home":
            skip = True
            continue
        if word == "--":
            return None
        if word.startswith("-"):
            continue
        return word if word in COMMANDS else None
    return None


def _load(module: str) -> Any:
    return importlib.import_module(f"{__package__}.{module}")


def build_parser(command: str | None = None, *, load_all: bool = False) -> argparse.ArgumentParser:
    """The parser; the module of ``command`` (or every module with ``load_all``) registers its
    commands in full, the others appear by name and help only."""
    parser = _Parser(
        prog="breakglass",
        description="Break-glass custodian ceremonies: split a credential into sealed shares, "
        "recover it from a quorum, and keep a log nobody can quietly edit.",
    )
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="data directory (registry, audit log, keys, settings); default: $BREAKGLASS_HOME "
        "or the per-user data directory",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    wanted = {m for m, _help in COMMANDS.values()} if load_all else set()
    if command is not None:
        wanted.add(COMMANDS[command][0])
    for module in dict.fromkeys(m for m, _help in COMMANDS.values()):
        if module in wanted:
            _load(module).register(sub)
    registered = set(sub.choices)
    for name, (_module, help_text) in COMMANDS.items():
        if name not in registered:
            sub.add_parser(name, help=help_text, add_help=False)
    # --help lists the commands in COMMANDS order, whichever module registered them first
    order = {name: i for i, name in enumerate(COMMANDS)}
    sub._choices_actions.sort(key=lambda a: order.get(a.dest, len(order)))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from breakglass_gui.platform import hardening  # noqa: PLC0415

    # Before any secret exists: core dumps off, not dumpable (left alone under tests).
    hardening.harden_process()
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(words))
    args = parser.parse_args(words)
    if not hasattr(args, "func"):  # pragma: no cover - a command word argparse saw elsewhere
        parser.error(f"say which command to run: {', '.join(COMMANDS)}")
    from breakglass_gui.core.errors import BreakglassError  # noqa: PLC0415

    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"breakglass: error: {exc}", file=sys.stderr)
        return exc.code
    except BreakglassError as exc:
        print(f"breakglass: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"breakglass: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("breakglass: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback, never the exception's text (it may hold data)
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(exc, sqlite3.Error):  # the registry, mid-command
            from breakglass_gui.audit.registry import explain_sqlite_error  # noqa: PLC0415
            from breakglass_gui.platform.dirs import resolve_home  # noqa: PLC0415

            path = resolve_home(getattr(args, "home", None)) / "registry.sqlite3"
            print(f"breakglass: error: {explain_sqlite_error(path, exc)}", file=sys.stderr)
            return EXIT_ERROR
        print(
            f"breakglass: internal error ({type(exc).__name__}); nothing was written after it. "
            "Please report this.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
