"""Residue measurement: what is left of a credential in this process's memory after a wipe.

Run as a program (the residue test does, in a fresh process)::

    python tests/gui/residue.py prep DIR      # a throwaway secret, split 3-of-5; photos; needles
    python tests/gui/residue.py measure DIR   # break glass through the GUI, wipe, gc, scan memory

``prep`` runs in its own process so the measuring process never sees the secret or the share
words except through the ceremony itself: it writes photographs of three share sheets and the
"needles" (the secret and every share's words) XOR-masked to ``DIR``.

``measure`` drives the real wizard offscreen (camera → reconstruct → reveal painted → copy to
the clipboard → clipboard cleared → Done/wipe → After → Finish), closes it, collects garbage,
then unmasks the needles into buffers whose addresses it knows and reads every writable or
anonymous mapping of ``/proc/self/mem`` (``/proc/self/maps``; unreadable ranges skipped,
time capped), counting each needle form: the secret as UTF-8, UTF-16-LE, hex, base64 and
base32; each share's words as the space-joined mnemonic (UTF-8 and UTF-16-LE); each share's QR
text. Hits inside the needle buffers and the read buffer are excluded. Each remaining hit is
attributed: inside a live Python object (type named) = "objects we hold", else "freed or
foreign memory" (CPython's freed blocks, Qt's and libraries' heaps), with the mapping's name.
The result goes to ``DIR/residue.json``.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import json
import os
import secrets
import string
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

MASK_SEED_BYTES = 64
READ_CHUNK = 8 * 1024 * 1024


# -- prep (a separate process) -------------------------------------------------------------------


def prep(folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import cv2
    from reconstruct_photos import sheet_photo

    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.core.secret import SecretBytes

    alphabet = (string.ascii_letters + string.digits + "!#%+-.:=@^_~").encode()
    secret = SecretBytes(40)
    for i in range(len(secret)):
        secret[i] = alphabet[secrets.randbelow(len(alphabet))]
    people = [
        Custodian(n, r)
        for n, r in [
            ("Ana", "on-call"),
            ("Ben", "on-call"),
            ("Chen", "manager"),
            ("Dita", "peer"),
            ("Eli", "VP"),
        ]
    ]
    share_set = split_credential(
        secret, policy=Policy.simple(3, 5), label="residue probe", custodians=people
    )
    folder.mkdir(parents=True, exist_ok=True)
    for k in (0, 2, 4):
        cv2.imwrite(str(folder / f"share{k + 1}.png"), sheet_photo(share_set.shares[k], k))
    mask = secrets.token_bytes(4096)

    def masked(data: bytes) -> str:
        return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(data)).hex()

    needles = {"secret": masked(bytes(secret))}
    for s in share_set.shares:
        needles[f"share{s.number}.words"] = masked(" ".join(s.words).encode())
        needles[f"share{s.number}.qr"] = masked(s.qr_texts()[0].encode())
    (folder / "needles.json").write_text(json.dumps({"mask": mask.hex(), "needles": needles}))
    secret.wipe()


# -- measure -------------------------------------------------------------------------------------


def _drive_gui(folder: Path) -> dict[str, Any]:
    import cv2
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from breakglass_gui.ceremony.ports import ManualClock, MemoryReconstructionRecorder
    from breakglass_gui.ceremony.reconstruct_flow import CHECKLIST, ReconstructFlow
    from breakglass_gui.gui.clipboard import SecretClipboard
    from breakglass_gui.gui.reconstruct_wizard import ReconstructWizard
    from breakglass_gui.gui.reconstruct_wizard_collect import CameraChoice

    sys.path.insert(0, str(Path(__file__).parent))
    from reconstruct_photos import PlayingCamera, blank_frame

    app = QApplication.instance() or QApplication([sys.argv[0]])
    frames = []
    for k in (1, 3, 5):
        frames += [cv2.imread(str(folder / f"share{k}.png")), blank_frame()]
    camera = PlayingCamera(frames)
    del frames
    clock = ManualClock(dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC))
    flow = ReconstructFlow(MemoryReconstructionRecorder(clock), clock=clock)
    clipboard = SecretClipboard(clock, seconds=30)
    wizard = ReconstructWizard(
        flow,
        cameras=[CameraChoice("camera", lambda: camera)],
        clipboard=clipboard,
        confirm_close=lambda: True,
        resplit_done=lambda: True,  # the checklist's re-split is taken as done
    )
    wizard.show()

    def wait(cond: Any, seconds: float = 30) -> None:
        # an event loop polled by a timer (a tight processEvents() loop is what we never do)
        if cond():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(10)
        end = time.monotonic() + seconds
        timer.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() > end else None)
        timer.start()
        loop.exec()
        timer.stop()
        if not cond():
            raise TimeoutError("the wizard did not get there in time")

    page = wizard.trigger_page
    page.incident.setText("INC-1")
    page.trigger.setCurrentIndex(1)
    page.operator.setText("Ana")
    page.witnesses.setText("Ben")
    wizard.next_button.click()
    wait(lambda: flow.collector.status()[0])
    wizard.next_button.click()
    wait(lambda: wizard.wizard.current == "reveal")
    panel = wizard.reveal_page.panel
    panel.toggle.click()
    wizard.grab()  # paint the revealed credential for real
    panel.copy_button.click()
    clock.advance(31)
    panel.tick()  # the clipboard is cleared
    wizard.next_button.click()  # Done: wipe
    for key, _ in CHECKLIST:
        wizard.after_page.checks[key].setChecked(True)
    wizard.next_button.click()  # Finish
    wizard.close()
    wizard.deleteLater()
    clipboard.deleteLater()
    status = flow.wizard.status.value
    wizard = flow = clipboard = camera = panel = page = None  # drop every reference
    QCoreApplication.sendPostedEvents(None, 0)  # runs the deleteLater()s
    app.processEvents()
    return {"status": status}


def _address_of(buf: bytearray) -> int:
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


_HEX = b"0123456789abcdef"
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _utf16(raw: bytearray) -> bytearray:
    out = bytearray(2 * len(raw))  # ASCII only: every other byte is zero
    out[0::2] = raw
    return out


def _hex(raw: bytearray) -> bytearray:
    out = bytearray(2 * len(raw))
    for i, b in enumerate(raw):
        out[2 * i] = _HEX[b >> 4]
        out[2 * i + 1] = _HEX[b & 15]
    return out


def _radix(raw: bytearray, bits: int, alphabet: bytes) -> bytearray:
    """base64 (6 bits) or base32 (5 bits) without padding, built in place (no temporaries)."""
    total = len(raw) * 8
    out = bytearray(-(-total // bits))
    for k in range(len(out)):
        value = 0
        for bit in range(k * bits, k * bits + bits):
            value <<= 1
            if bit < total:
                value |= (raw[bit >> 3] >> (7 - (bit & 7))) & 1
        out[k] = alphabet[value]
    return out


def _needle_forms(name: str, raw: bytearray) -> dict[str, bytearray]:
    """Every encoding we look for, each built straight into a bytearray whose address is
    excluded from the scan (no str or bytes temporaries that would leave copies behind)."""
    forms: dict[str, bytearray] = {}
    if name == "secret":
        forms["secret/utf-8"] = bytearray(raw)
        forms["secret/utf-16-le"] = _utf16(raw)
        forms["secret/hex"] = _hex(raw)
        forms["secret/base64"] = _radix(raw, 6, _B64)
        forms["secret/base32"] = _radix(raw, 5, _B32)
    elif name.endswith(".words"):
        forms[f"{name}/utf-8"] = bytearray(raw)
        forms[f"{name}/utf-16-le"] = _utf16(raw)
    else:
        forms[f"{name}/utf-8"] = bytearray(raw)
    return forms


def _mappings() -> list[tuple[int, int, str, str]]:
    out = []
    with open("/proc/self/maps", encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            perms = parts[1]
            name = parts[5].strip() if len(parts) > 5 else "[anonymous]"
            if "r" not in perms or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if "w" not in perms and not name.startswith("["):
                continue  # read-only file mappings (code, constants) hold no runtime data
            out.append((lo, hi, perms, name))
    return out


def _live_objects() -> list[tuple[int, int, str]]:
    """(start, end, type) of live Python objects and bytearray buffers we can reach via gc."""
    spans: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    for obj in gc.get_objects():
        for o in (obj, *gc.get_referents(obj)):
            if id(o) in seen:
                continue
            seen.add(id(o))
            try:
                size = sys.getsizeof(o)
            except TypeError:
                continue
            spans.append((id(o), id(o) + size, type(o).__name__))
            if isinstance(o, bytearray) and len(o):
                a = _address_of(o)
                spans.append((a, a + len(o), "bytearray buffer"))
    frame = sys._getframe(1)
    while frame is not None:  # locals of running functions are not reachable through gc
        for o in frame.f_locals.values():
            if id(o) not in seen and not isinstance(o, (int, float, bool, type(None))):
                seen.add(id(o))
                spans.append((id(o), id(o) + sys.getsizeof(o), type(o).__name__))
        frame = frame.f_back
    spans.sort()
    return spans


def _owner(addr: int, spans: list[tuple[int, int, str]], starts: list[int]) -> str | None:
    import bisect

    i = bisect.bisect_right(starts, addr) - 1
    while i >= 0 and addr - spans[i][0] < 1 << 20:
        lo, hi, kind = spans[i]
        if lo <= addr < hi:
            return kind
        i -= 1
    return None


def measure(folder: Path, time_cap: float = 60.0) -> dict[str, Any]:
    result = _drive_gui(folder)
    # Positive control: a value we deliberately keep in a live str, and a freed bytes copy.
    # The scan must find both (or it proves nothing about the zeros).
    canary_raw = bytearray(secrets.token_hex(20).encode())
    kept_canary = canary_raw.decode()  # a live str: must be attributed to live objects
    freed = bytearray(200_000)  # a malloc'd block; freeing it overwrites only its first bytes
    fence = bytearray(64)  # kept alive so the freed block is not merged back into the top
    freed[100_000 : 100_000 + len(canary_raw)] = canary_raw
    del freed  # freed without overwrite: must be found in freed memory
    gc.collect()
    spec = json.loads((folder / "needles.json").read_text())
    mask = bytes.fromhex(spec["mask"])
    needles: dict[str, bytearray] = {}
    for name, hexed in spec["needles"].items():
        raw = bytearray(bytes.fromhex(hexed))
        for i in range(len(raw)):
            raw[i] ^= mask[i % len(mask)]
        needles.update(_needle_forms(name, raw))
        raw[:] = bytes(len(raw))
    del spec
    needles["control/canary"] = canary_raw
    excluded = [(_address_of(b), _address_of(b) + len(b)) for b in needles.values()]
    buf = bytearray(READ_CHUNK)
    excluded.append((_address_of(buf), _address_of(buf) + len(buf)))
    longest = max(len(b) for b in needles.values())
    hits: dict[str, list[tuple[int, str]]] = {k: [] for k in needles}
    started = time.monotonic()
    scanned = 0
    skipped = 0
    truncated = False
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for lo, hi, _perms, name in _mappings():
            pos = lo
            while pos < hi:
                if time.monotonic() - started > time_cap:
                    truncated = True
                    break
                size = min(READ_CHUNK, hi - pos)
                view = memoryview(buf)[:size]
                try:
                    got = os.preadv(fd, [view], pos)
                except OSError:
                    skipped += size
                    pos += size
                    view.release()
                    continue
                view.release()
                for key, needle in needles.items():
                    i = buf.find(needle, 0, got)
                    while i != -1:
                        addr = pos + i
                        if not any(a <= addr < b for a, b in excluded):
                            hits[key].append((addr, name))
                        i = buf.find(needle, i + 1, got)
                scanned += got
                pos += max(size - longest, 1) if size == READ_CHUNK else size
    finally:
        os.close(fd)
    spans = _live_objects()
    starts = [s[0] for s in spans]
    counts: dict[str, dict[str, Any]] = {}
    for key, found in hits.items():
        unique = sorted(set(found))
        owners = Counter()
        places = Counter()
        for addr, name in unique:
            kind = _owner(addr, spans, starts)
            if kind is not None:
                owners[kind] += 1
            else:
                places[name] += 1
        counts[key] = {
            "total": len(unique),
            "in_live_python_objects": sum(owners.values()),
            "live_object_types": dict(owners),
            "in_freed_or_foreign_memory": sum(places.values()),
            "mappings": dict(places),
        }
    for b in needles.values():
        b[:] = bytes(len(b))
    result["control_kept_alive"] = len(kept_canary) + len(fence)
    result.update(
        {
            "counts": counts,
            "scanned_mb": round(scanned / 2**20, 1),
            "skipped_mb": round(skipped / 2**20, 1),
            "seconds": round(time.monotonic() - started, 2),
            "truncated": truncated,
        }
    )
    (folder / "residue.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "prep":
        prep(where)
    elif command == "measure":
        measure(where)
        sys.stdout.flush()
        # PySide6 may crash while finalising a process whose widgets were torn down by hand;
        # the measurement is written, so leave without the interpreter's teardown.
        os._exit(0)
    else:
        raise SystemExit(f"unknown command {command!r}")
