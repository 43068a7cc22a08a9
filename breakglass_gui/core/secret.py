"""Secret material in buffers we own and can overwrite.

CPython gives no guarantee that a value leaves no copy behind; what we can do is keep
secrets in one mutable buffer, overwrite it when done, keep it out of ``repr``, logs,
exceptions and pickles, and ask the OS not to swap it out. What is left in memory after
a wipe is measured by the residue test, not claimed to be zero.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from collections.abc import Iterable
from types import TracebackType
from typing import Any, NoReturn, SupportsIndex

__all__ = ["SecretBytes", "wipe_buffer"]


def _libc() -> Any:
    if not sys.platform.startswith(("linux", "darwin")):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:  # pragma: no cover - exotic platforms
        return None


_LIBC = _libc()


def _address(buf: bytearray) -> int:
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def wipe_buffer(buf: bytearray | memoryview) -> None:
    """Overwrite a writable buffer with zeros, in place."""
    view = memoryview(buf).cast("B")
    if not view.readonly and len(view):
        # ctypes.memset writes through the buffer without making a Python-level copy.
        arr = (ctypes.c_char * len(view)).from_buffer(view)
        ctypes.memset(ctypes.addressof(arr), 0, len(view))
        del arr
    view.release()


class SecretBytes(bytearray):
    """A ``bytearray`` for secret material: wipeable, redacted, never pickled.

    Use it as a context manager so that it is wiped in every case::

        with SecretBytes(length) as key:
            ...

    Never grow or shrink a ``SecretBytes`` after creation: a resize may move the
    buffer and leave the old bytes behind in freed memory. Create it at its final size.
    """

    __slots__ = ("_locked",)

    def __init__(self, source: int | Iterable[SupportsIndex] | bytes | bytearray = 0) -> None:
        super().__init__(source)
        self._locked = False
        self._lock()

    @classmethod
    def take(cls, source: bytearray) -> SecretBytes:
        """Copy ``source`` into a new SecretBytes and wipe ``source``."""
        out = cls(len(source))
        out[:] = source
        wipe_buffer(source)
        return out

    def _lock(self) -> None:
        if _LIBC is None or not len(self):
            return
        try:
            self._locked = (
                _LIBC.mlock(ctypes.c_void_p(_address(self)), ctypes.c_size_t(len(self))) == 0
            )
        except (AttributeError, OSError):  # pragma: no cover
            self._locked = False

    @property
    def locked(self) -> bool:
        """True when the OS agreed to keep these pages out of swap (``mlock``)."""
        return self._locked

    def wipe(self) -> None:
        """Overwrite every byte with zero. The length stays the same."""
        if len(self):
            wipe_buffer(self)
            if self._locked and _LIBC is not None:
                _LIBC.munlock(ctypes.c_void_p(_address(self)), ctypes.c_size_t(len(self)))
                self._locked = False

    @property
    def is_wiped(self) -> bool:
        return not any(self)

    def __enter__(self) -> SecretBytes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return f"<SecretBytes: {len(self)} bytes, redacted>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretBytes cannot be pickled")

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError("SecretBytes cannot be pickled")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise TypeError("SecretBytes cannot be copied; pass the buffer itself")

    def __copy__(self) -> NoReturn:
        raise TypeError("SecretBytes cannot be copied; pass the buffer itself")

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # best effort during interpreter shutdown
            self.wipe()
