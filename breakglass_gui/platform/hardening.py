"""Process hardening at start-up (after KeePassXC's ``Bootstrap::disableCoreDumps``).

- core dumps off: ``RLIMIT_CORE`` set to 0 (soft and hard), so a crash leaves no memory image;
- on Linux, ``prctl(PR_SET_DUMPABLE, 0)``: no core dump even when a limit is raised again, and
  other processes of the same user cannot attach with ptrace or read ``/proc/<pid>/mem``.
  Skipped under tests (``BREAKGLASS_TESTING=1``), where debuggers and the residue test need
  the process readable;
- ``mlock`` of secret buffers where the OS allows (``SecretBytes`` already tries it;
  :func:`lock_buffer` serves other buffers).

None of this is a promise that no copy of a secret survives: the residue test measures that.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from types import ModuleType
from typing import Any, NamedTuple

resource: ModuleType | None
try:
    import resource
except ImportError:  # Windows: no core files in the POSIX sense
    resource = None

__all__ = [
    "HardeningReport",
    "disable_core_dumps",
    "harden_process",
    "is_dumpable",
    "lock_buffer",
    "set_not_dumpable",
    "unlock_buffer",
]

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _libc() -> Any:
    if not sys.platform.startswith(("linux", "darwin")):
        return None
    # The C library is already loaded: the process's own symbol table (dlopen(NULL)) has it.
    # ctypes.util.find_library, the fallback, runs /sbin/ldconfig in a child process (~9 ms of
    # every start).
    with contextlib.suppress(OSError):
        own = ctypes.CDLL(None, use_errno=True)
        if hasattr(own, "mlock"):
            return own
    from ctypes.util import find_library  # noqa: PLC0415

    try:
        return ctypes.CDLL(find_library("c") or None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


_LIBC = _libc()


class HardeningReport(NamedTuple):
    """What :func:`harden_process` applied (a NamedTuple: dataclasses would cost every start
    ~15 ms of imports)."""

    core_dumps_disabled: bool
    not_dumpable: bool | None  # None: not attempted (tests, or not Linux)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        dumps = "core dumps off" if self.core_dumps_disabled else "core dumps NOT disabled"
        if self.not_dumpable is None:
            dumpable = "PR_SET_DUMPABLE not applied"
        else:
            dumpable = "not dumpable" if self.not_dumpable else "PR_SET_DUMPABLE failed"
        return f"{dumps}; {dumpable}"


def disable_core_dumps() -> bool:
    """Set ``RLIMIT_CORE`` to 0 (soft and hard). True when the limit is 0 afterwards."""
    if resource is None:
        return False
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        with contextlib.suppress(ValueError, OSError):
            _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
            resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    return bool(resource.getrlimit(resource.RLIMIT_CORE)[0] == 0)


def set_not_dumpable() -> bool:
    """Linux only: ``prctl(PR_SET_DUMPABLE, 0)``. True when the process is no longer dumpable."""
    if _LIBC is None or not sys.platform.startswith("linux"):
        return False
    try:
        if _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            return False
    except AttributeError:  # pragma: no cover
        return False
    return is_dumpable() is False


def is_dumpable() -> bool | None:
    """Linux: whether the process is dumpable (``PR_GET_DUMPABLE``); None elsewhere."""
    if _LIBC is None or not sys.platform.startswith("linux"):
        return None
    try:
        return bool(_LIBC.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    except AttributeError:  # pragma: no cover
        return None


def _testing() -> bool:
    return os.environ.get("BREAKGLASS_TESTING") == "1"


def harden_process(*, testing: bool | None = None) -> HardeningReport:
    """Apply every start-up measure this platform allows; say what held."""
    testing = _testing() if testing is None else testing
    notes: list[str] = []
    dumps = disable_core_dumps()
    if not dumps:
        notes.append("could not set RLIMIT_CORE to 0")
    not_dumpable: bool | None = None
    if sys.platform.startswith("linux"):
        if testing:
            notes.append("PR_SET_DUMPABLE left alone under tests (BREAKGLASS_TESTING=1)")
        else:
            not_dumpable = set_not_dumpable()
            if not not_dumpable:
                notes.append("prctl(PR_SET_DUMPABLE, 0) failed")
    return HardeningReport(dumps, not_dumpable, tuple(notes))


def _address(buf: bytearray) -> int:
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def lock_buffer(buf: bytearray) -> bool:
    """Ask the OS to keep ``buf``'s pages out of swap (``mlock``). False when refused.

    Never resize a locked buffer: a resize may move it and leave the old pages locked.
    """
    if _LIBC is None or not len(buf):
        return False
    try:
        return bool(_LIBC.mlock(ctypes.c_void_p(_address(buf)), ctypes.c_size_t(len(buf))) == 0)
    except (AttributeError, OSError):  # pragma: no cover
        return False


def unlock_buffer(buf: bytearray) -> bool:
    if _LIBC is None or not len(buf):
        return False
    try:
        return bool(_LIBC.munlock(ctypes.c_void_p(_address(buf)), ctypes.c_size_t(len(buf))) == 0)
    except (AttributeError, OSError):  # pragma: no cover
        return False
