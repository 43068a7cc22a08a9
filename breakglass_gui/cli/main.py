"""The ``breakglass`` command: a stable contract that scripts and tests rely on.

Each area registers its subcommands from its own module (``shares``, ``paper_cmds``,
``scan_cmds``, ``audit_cmds``). Every error is one line on stderr and a non-zero exit code;
never a traceback, never secret or share material.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from breakglass_gui import __version__
from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.platform import hardening

from . import audit_cmds, paper_cmds, scan_cmds, shares
from .common import EXIT_ERROR, EXIT_USAGE, CliError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="breakglass",
        description="Break-glass custodian ceremonies: split a credential into sealed shares, "
        "recover it from a quorum, and keep a log nobody can quietly edit.",
    )
    parser.add_argument("--version", action="version", version=f"breakglass {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="data directory (registry, audit log, keys); default: $BREAKGLASS_HOME or the "
        "per-user data directory",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in (shares, paper_cmds, scan_cmds, audit_cmds):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Before any secret exists: core dumps off, not dumpable (left alone under tests).
    hardening.harden_process()
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(
            f"breakglass: internal error ({type(exc).__name__}); nothing was written after it. "
            "Please report this.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
