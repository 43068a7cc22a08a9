"""The ``breakglass`` console script's entry point: answers ``breakglass --version`` at once.

Python's own start-up is most of a ``--version`` run; this module adds nothing to it but itself
and ``breakglass_gui`` (no argparse, no typing, no process hardening: the answer carries no
secret). Every other command line goes to :func:`breakglass_gui.cli.main.main`, which prints the
same version text for ``--version`` given with other options.
"""

from __future__ import annotations

import sys

from breakglass_gui import __version__

__all__ = ["VERSION_TEXT", "main"]

#: What ``breakglass --version`` prints (argparse prints the same through ``cli.main``).
VERSION_TEXT = f"breakglass {__version__}"


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(VERSION_TEXT + "\n")
        sys.stdout.flush()
        return 0
    from breakglass_gui.cli.main import main as run  # noqa: PLC0415 - the full CLI, on demand

    return run()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
