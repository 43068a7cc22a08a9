"""Secret material in buffers we own and can overwrite.

CPython gives no guarantee that a value leaves no copy behind; what we can do is keep
secrets in one mutable buffer, overwrite it when done, keep it out of ``repr``, logs,
exceptions and pickles, and ask the OS not to swap it out. What is left in memory after
a wipe is measured by the residue test, not claimed to be zero.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections.abc import Iterable
from types import TracebackType
from typing import Any, NoReturn, SupportsIndex

__all__ = ["SecretBytes", "scrub_freed_memory", "wipe_buffer"]


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


def _c_allocator() -> tuple[Any, Any, Any, Any] | None:
    """The C library's malloc, free, malloc_usable_size and malloc_trim (None when absent)."""
    if _LIBC is None:
        return None
    try:
        malloc, free, usable = _LIBC.malloc, _LIBC.free, _LIBC.malloc_usable_size
    except AttributeError:  # pragma: no cover - not glibc/musl
        return None
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.restype, free.argtypes = None, [ctypes.c_void_p]
    usable.restype, usable.argtypes = ctypes.c_size_t, [ctypes.c_void_p]
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim.restype, trim.argtypes = ctypes.c_int, [ctypes.c_size_t]
    return malloc, free, usable, trim


_C_ALLOCATOR = _c_allocator()


def _scrub_c_heap(per_class: int, largest: int = 1024) -> None:
    """Take back and zero the C library's freed small blocks of this thread.

    Libraries (zxing-cpp's decoded text, grown a few digits at a time; OpenCV; Qt) allocate
    small blocks straight from malloc, which CPython's allocator never sees: freed, they keep
    their bytes in this thread's cache (glibc's tcache) and its arena's bins until reused.
    Allocating every size class from 16 bytes to ``largest`` many times over takes them back
    (exact-size bins first), each is overwritten with zeros (its whole usable size), then all
    are freed; last, ``malloc_trim`` zeroes the pages of every arena that are entirely free.
    """
    if _C_ALLOCATOR is None:
        return
    malloc, free, usable, trim = _C_ALLOCATOR
    held: list[int] = []
    try:
        for size in range(8, largest + 1, 16):  # one request per 16-byte chunk class
            for _ in range(max(16, per_class // (size + 8))):
                p = malloc(size)
                if not p:
                    break
                ctypes.memset(p, 0, usable(p))
                held.append(p)
    finally:
        for p in reversed(held):
            free(p)
        held.clear()
    if trim is not None:
        trim(0)


def scrub_freed_memory(per_class: int = 96 * 1024, large: int = 8 << 20) -> None:
    """Overwrite freed memory that held share material, in this thread's allocators.

    Decoded QR texts, typed shares and a remote ceremony's one-time identity pass through
    CPython strings (and library buffers) that are freed without being overwritten: strings up
    to 512 bytes in CPython's small-object pools (one pool per 8-byte size class), longer ones
    and the libraries' own blocks in the thread's malloc arena.
    Zero-filled allocations (``bytearray(n)`` is zeroed) of every small size class, then of
    larger sizes, take freed blocks back and overwrite them; then they are freed again. The C
    library's small blocks are taken back the same way, through malloc itself
    (:func:`_scrub_c_heap`). A measure, not a proof: the residue test counts what is left.
    """
    held: list[bytearray] = []
    for k in range(1, 65):  # CPython's size classes: 8, 16, ... 512 bytes (the +1 is the NUL)
        n = 8 * k - 1
        held.extend(bytearray(n) for _ in range(max(1, per_class // (8 * k))))
    size, used = 640, 0
    while used < large:
        count = max(1, (large // 8) // size)
        held.extend(bytearray(size) for _ in range(count))
        used += count * size
        size = min(size * 2, 96 * 1024)  # under glibc's mmap threshold: from the arena
    held.clear()
    _scrub_c_heap(per_class)
