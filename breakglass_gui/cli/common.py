"""Small helpers shared by the CLI's command modules."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ``--version`` and ``--help`` load no crypto at all
    from pathlib import Path

    from breakglass_gui.ceremony.rules import CeremonyRules
    from breakglass_gui.core.errors import ShareError
    from breakglass_gui.core.secret import SecretBytes
    from breakglass_gui.core.share import Share

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_ERROR = 2
EXIT_USAGE = 2

Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(Exception):
    """A user-facing one-line error."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        self.code = code
        super().__init__(message)


def read_secret_file(path: str) -> SecretBytes:
    """Read a whole file into a SecretBytes sized once (no growing buffers left behind)."""
    from breakglass_gui.core.secret import SecretBytes  # noqa: PLC0415

    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        buf = SecretBytes(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
        view.release()
    if got != size:
        buf.wipe()
        raise CliError(f"{path}: the file changed while being read")
    return buf


def read_secret_stream(stream: object, limit: int) -> SecretBytes:
    """Read a stream (stdin) into a preallocated buffer, then keep exactly what was read."""
    from breakglass_gui.core.secret import SecretBytes  # noqa: PLC0415

    big = SecretBytes(limit + 1)
    view = memoryview(big)
    got = 0
    raw = getattr(stream, "buffer", stream)
    readinto = getattr(raw, "readinto", None)
    if readinto is None:
        raise CliError("standard input cannot be read as bytes")
    while got <= limit:
        n = readinto(view[got:])
        if not n:
            break
        got += n
    view.release()
    if got > limit:
        big.wipe()
        raise CliError(f"the secret on standard input is longer than {limit} bytes")
    out = SecretBytes(got)
    out[:] = memoryview(big)[:got]
    big.wipe()
    return out


def read_hidden_line(prompt: str, limit: int) -> SecretBytes:
    """One line typed at the terminal on stdin, not echoed, into a SecretBytes (the line end
    dropped). Read with ``os.readv`` straight into the buffer: no ``str`` or ``bytes`` copy.
    Where there is no ``termios`` (Windows), ``getpass`` reads it (a ``str`` for a moment)."""
    from breakglass_gui.core.secret import SecretBytes  # noqa: PLC0415

    try:
        import termios  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows
        import getpass  # noqa: PLC0415

        from breakglass_gui.ceremony.split_flow import secret_from_text  # noqa: PLC0415

        return secret_from_text(getpass.getpass(prompt, stream=sys.stderr))
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~termios.ECHO
    quiet[3] |= termios.ECHONL  # the line end still shows, so the next prompt starts afresh
    big = SecretBytes(limit + 2)
    got = 0
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # not TCSAFLUSH: keep typed-ahead input
        sys.stderr.write(prompt)  # only once echo is off
        sys.stderr.flush()
        while got < len(big):
            view = memoryview(big)[got:]
            try:
                n = os.readv(fd, [view])
            finally:
                view.release()
            if not n:
                break
            got += n
            if big[got - 1] == 0x0A:
                break
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, old)
    keep = got
    while keep and big[keep - 1] in (0x0A, 0x0D):
        keep -= 1
    if keep > limit:
        big.wipe()
        raise CliError(f"the typed credential is longer than {limit} bytes")
    out = SecretBytes(keep)
    out[:] = memoryview(big)[:keep]
    big.wipe()
    return out


def write_private(path: Path, data: bytes | bytearray, *, overwrite: bool = True) -> None:
    """Write a file readable by its owner only (0600), created with that mode from the start."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    if not overwrite:
        flags |= os.O_EXCL
    fd = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def load_share_files(paths: list[str]) -> tuple[list[Share], list[ShareError]]:
    """Parse share files (QR text lines, parts, or a transcription); name every failure."""
    from breakglass_gui.ceremony.typed_share import parse_share_text  # noqa: PLC0415
    from breakglass_gui.core.errors import MalformedShareError, ShareError  # noqa: PLC0415
    from breakglass_gui.core.share import (  # noqa: PLC0415
        PartAssembler,
        Share,
        SharePart,
        format_fingerprint,
        read_share_texts,
    )

    shares: list[Share] = []
    errors: list[ShareError] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            errors.append(MalformedShareError("not a text file", path))
            continue
        assembler = PartAssembler()
        found = False
        for chunk in read_share_texts(text):
            try:
                item = parse_share_text(chunk)
                if isinstance(item, SharePart):
                    item = assembler.add(item)  # type: ignore[assignment]
                    if item is None:
                        continue
                assert isinstance(item, Share)
                shares.append(item)
                found = True
            except ShareError as exc:
                errors.append(type(exc)(exc.reason, f"{path}: {exc.share or 'share'}"))
                found = True
        for fp, number, have, count in assembler.progress():
            errors.append(
                MalformedShareError(
                    f"only {have} of its {count} parts are in the file",
                    f"{path}: share {number} of set {format_fingerprint(fp)}",
                )
            )
            found = True
        if not found:
            errors.append(MalformedShareError("no share found in the file", path))
    return shares, errors


def default_operator() -> str:
    import getpass  # noqa: PLC0415

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown operator"


def home_rules(args: argparse.Namespace) -> CeremonyRules:
    """This installation's ceremony rules (``ceremony.json`` in the data directory)."""
    from breakglass_gui.ceremony.rules import load_rules  # noqa: PLC0415
    from breakglass_gui.platform.dirs import resolve_home  # noqa: PLC0415

    return load_rules(resolve_home(getattr(args, "home", None)))


def write_new(path: str, data: bytes) -> None:
    """Write a new file (0600, never over anything that exists: file, symlink, device, pipe)."""
    from breakglass_gui.platform.files import FileExistsRefusal, create_new  # noqa: PLC0415

    try:
        create_new(path, data)
    except FileExistsRefusal as exc:
        raise CliError(str(exc)) from None


def write_qr_png(path: str, text: str) -> None:
    """``text`` as a QR code image (error correction M) in a new PNG file."""
    import io  # noqa: PLC0415

    import qrcode  # noqa: PLC0415 - only the commands that draw one load it
    from qrcode.exceptions import DataOverflowError  # noqa: PLC0415

    try:
        img = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M)
    except DataOverflowError as exc:
        raise CliError("too long for one QR code; use the file instead", EXIT_FAIL) from exc
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    write_new(path, buf.getvalue())


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def err(line: str) -> None:
    sys.stderr.write(line + "\n")


#: The paper sizes of ``breakglass_gui.paper`` (named here so that registering the ``--paper``
#: flag does not import reportlab; a test checks the two agree).
PAPER_NAMES = ("a4", "letter")


def add_paper_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--paper",
        choices=sorted(PAPER_NAMES),
        default="a4",
        help="paper size (default: a4)",
    )


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
