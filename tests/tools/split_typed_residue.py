"""How many copies of a credential typed twice into the split wizard are left in memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/tools/split_typed_residue.py after-next
    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/tools/split_typed_residue.py after-cancel

A random 24-character credential (held XOR-masked until the scan) is typed key by key into
"Secret" and "Again" of the credential page; Next takes it in (the ceremony then holds it,
one UTF-8 copy: the positive control), or the ceremony is also cancelled (wiped). Then every
readable, writable mapping of /proc/self/mem is searched for the credential as UTF-8 and as
UTF-16-LE (Qt's QString), the needle buffers themselves excluded. Prints the counts.
"""

from __future__ import annotations

import ctypes
import gc
import os
import secrets
import string
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from breakglass_gui.gui.app import build_services
from breakglass_gui.gui.main_window import MainWindow

LENGTH = 24


def _address(buf: bytearray) -> int:
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def _count(needles: dict[str, bytearray]) -> dict[str, int]:
    own = [(_address(n), _address(n) + len(n)) for n in needles.values()]
    counts = dict.fromkeys(needles, 0)
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        with open("/proc/self/maps", encoding="ascii") as maps:
            lines = maps.readlines()
        for line in lines:
            span, perms = line.split()[:2]
            if "r" not in perms or "w" not in perms:
                continue
            lo, hi = (int(x, 16) for x in span.split("-"))
            try:
                data = os.pread(fd, hi - lo, lo)
            except OSError:
                continue
            for name, needle in needles.items():
                i = data.find(needle)
                while i >= 0:
                    if not any(a <= lo + i < b for a, b in own):
                        counts[name] += 1
                    i = data.find(needle, i + 1)
            del data
    finally:
        os.close(fd)
    return counts


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "after-next"
    app = QApplication(sys.argv[:1])
    alphabet = string.ascii_letters + string.digits
    mask = bytearray(secrets.token_bytes(LENGTH))
    plain = bytearray(ord(secrets.choice(alphabet)) for _ in range(LENGTH))
    masked = bytearray(b ^ m for b, m in zip(plain, mask, strict=True))
    plain[:] = bytes(LENGTH)

    def unmask() -> bytearray:
        return bytearray(b ^ m for b, m in zip(masked, mask, strict=True))

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Path(tmp) / "home")
        window = MainWindow(services)
        window.show()
        wizard = window.open_split_wizard()
        page = wizard.pages["credential"]  # type: ignore[attr-defined]
        page.name.setText("residue")
        for field in (page.entry.edit, page.again.edit):
            typed = unmask()
            for b in typed:  # key by key, as a person types
                QTest.keyClick(field, chr(b))
            typed[:] = bytes(LENGTH)
        if not wizard.go_next():  # type: ignore[attr-defined]
            print("Next refused:", wizard.problems.text())  # type: ignore[attr-defined]
            return 1
        if mode == "after-cancel":
            wizard.ceremony.cancel()  # type: ignore[attr-defined]
            wizard.close()
        for _ in range(5):
            app.processEvents()
        gc.collect()
        utf8 = unmask()
        utf16 = bytearray(b"".join(bytes([b, 0]) for b in utf8))
        print(mode, _count({"utf8": utf8, "utf16-le": utf16}))
        window.close()
        if services.trail is not None:
            services.trail.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
