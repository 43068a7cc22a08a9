"""Files that hold what matters: created new and owner-only, never overwriting anything.

``create_new`` is how every output that may hold a credential or share material is written:
``O_CREAT | O_EXCL | O_NOFOLLOW`` (an existing file, a symlink, a device or a pipe at the path
is refused, untouched), mode 0600 from the start (never a ``chmod`` of something that already
existed). ``write_private_replace`` is for the data directory's own small files (settings):
written beside, synced, then renamed over, mode 0600.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover - Windows: single-writer assumption, as for the audit log
    fcntl = None

__all__ = [
    "FileExistsRefusal",
    "create_new",
    "exclusive_lock",
    "open_new",
    "try_exclusive_lock",
    "write_private_replace",
]

_PRIVATE = stat.S_IRUSR | stat.S_IWUSR


class FileExistsRefusal(OSError):
    """The path already exists (a file, a symlink, a device or a pipe): nothing was written."""


def _kind(path: Path) -> str:
    try:
        st = path.lstat()
    except OSError:
        return "something"
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "a device"
    if stat.S_ISFIFO(st.st_mode):
        return "a pipe"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket"
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    return "a file"


def open_new(path: str | os.PathLike[str]) -> int:
    """Create ``path`` as a new empty file, mode 0600, and return its descriptor for writing.

    Raises :class:`FileExistsRefusal` (naming what is there) when anything exists at ``path``:
    a file, a symlink (dangling too), a device, a pipe. What is there is not touched.
    """
    p = Path(path)
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        return os.open(p, flags, _PRIVATE)
    except FileExistsError:
        raise FileExistsRefusal(
            f"{p} already exists ({_kind(p)}); nothing was written to it: give a new file name"
        ) from None


def create_new(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> Path:
    """Write ``data`` to a file that did not exist, mode 0600; return its path.

    Raises :class:`FileExistsRefusal` (naming what is there) when anything exists at ``path``,
    symlinks included (also dangling ones); the existing thing is left byte-identical with its
    mode unchanged. On a failed write the partial new file is removed.
    """
    p = Path(path)
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(p, flags, _PRIVATE)
    except FileExistsError:
        raise FileExistsRefusal(
            f"{p} already exists ({_kind(p)}); nothing was written to it: give a new file name"
        ) from None
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        view.release()
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        p.unlink(missing_ok=True)
        raise
    os.close(fd)
    return p


def write_private_replace(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600 (the data directory's own files)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), _PRIVATE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created empty, mode 0600, if missing) for the
    ``with`` block: the lock the audit log's appends use, for a read-modify-write that must
    not interleave with another process's. Blocks until the lock is free; released when the
    block ends (or the process dies). Not re-entrant: a second hold from the same process
    on another descriptor waits for the first."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, _PRIVATE)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # also releases the lock


@contextmanager
def try_exclusive_lock(
    path: Path, wait: float, *, give_up: Callable[[], bool] | None = None
) -> Iterator[bool]:
    """Like :func:`exclusive_lock`, but waits at most ``wait`` seconds (``wait=inf``: until
    ``give_up()`` says so, checked every few ms): yields True while the lock is held, False
    when it was not had in time (the block then runs without it and must do nothing that
    needs it). Never blocks inside the kernel, so a holder that hangs costs at most ``wait``."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, _PRIVATE)
    try:
        held = fcntl is None
        deadline = time.monotonic() + wait
        while not held:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                if time.monotonic() >= deadline or (give_up is not None and give_up()):
                    break
                time.sleep(0.01)
        yield held
    finally:
        os.close(fd)  # also releases the lock
