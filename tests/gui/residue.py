"""Residue measurement: what is left of a credential in this process's memory after a wipe.

Run as a program (the residue test does, in a fresh process)::

    python tests/gui/residue.py prep DIR      # a throwaway secret, split 3-of-5; photos; needles
    python tests/gui/residue.py measure DIR   # break glass through the GUI, wipe, gc, scan memory
    python tests/gui/residue.py chance DIR N  # how often N random mnemonics match text by chance

``prep`` runs in its own process so the measuring process never sees the secret or the share
words except through the ceremony itself: it writes photographs of three share sheets and the
"needles" (the secret and every share's words) XOR-masked to ``DIR``.

``measure`` drives the real wizard offscreen (camera → reconstruct → reveal painted → copy to
the clipboard → clipboard cleared → Done/wipe → After → Finish), closes it, collects garbage,
then unmasks the needles into buffers whose addresses it knows and reads every writable or
anonymous mapping of ``/proc/self/mem`` (``/proc/self/maps``; unreadable ranges skipped,
time capped), counting each needle form: the secret as UTF-8, UTF-16-LE, hex, base64 and
base32; each share's words as the space-joined mnemonic (UTF-8 and UTF-16-LE); each share's QR
text; and, as the chance control, the same for ``DECOYS`` random mnemonics the app never saw.
Hits inside the needle buffers and the read buffer are excluded. Each remaining hit is
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
# Random 20-word mnemonics written beside the shares' and looked for the same way: the app never
# sees them, so what the scan finds of them is chance (English text that happens to be SLIP-39
# words: "the camera picture" in a docstring), the level a share's own run must stand above.
DECOYS = 200
READ_CHUNK = 8 * 1024 * 1024


# -- prep (a separate process) -------------------------------------------------------------------


def prep(folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import cv2
    from reconstruct_photos import sheet_photo

    from breakglass_gui.core import slip39
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.core.secret import SecretBytes

    alphabet = (string.ascii_letters + string.digits + "!#%+-.:=@^_~").encode()
    secret = SecretBytes(32)  # two AES blocks, as in the finding
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
    wordlist = slip39.wordlist()
    for d in range(DECOYS):
        # the chance control: mnemonics the app never sees, looked for like the shares' words
        decoy = " ".join(wordlist[secrets.randbelow(len(wordlist))] for _ in range(20))
        needles[f"decoy{d}.words"] = masked(decoy.encode())
    (folder / "needles.json").write_text(json.dumps({"mask": mask.hex(), "needles": needles}))
    secret.wipe()


# -- measure -------------------------------------------------------------------------------------


def _drive_gui(folder: Path, pause: Any = None) -> dict[str, Any]:
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
    if pause is not None:
        pause("SHOWN")  # the parent scans now: the credential must be found (the control)
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


def _needles(folder: Path) -> dict[str, bytearray]:
    """Every encoded form of the secret and of each share's words and QR text, unmasked into
    bytearrays (no str or bytes temporaries)."""
    spec = json.loads((folder / "needles.json").read_text())
    mask = bytes.fromhex(spec["mask"])
    needles: dict[str, bytearray] = {}
    for name, hexed in spec["needles"].items():
        raw = bytearray(bytes.fromhex(hexed))
        for i in range(len(raw)):
            raw[i] ^= mask[i % len(mask)]
        needles.update(_needle_forms(name, raw))
        raw[:] = bytes(len(raw))
    return needles


def _common_header(needles: dict[str, bytearray]) -> dict[str, int]:
    """For each share's words, in each encoding, the length of the text all the set's shares
    begin with (the identifier and policy words: public, the same on every sheet). A word two
    shares hold elsewhere by chance is each share's own material and stays."""
    lengths: dict[str, int] = {}
    for encoding in ("utf-8", "utf-16-le"):
        texts = {
            f: d
            for f, d in needles.items()
            if f.startswith("share") and f.endswith(f".words/{encoding}")
        }
        if len(texts) < 2:
            continue
        first, *others = texts.values()
        common = 0
        while common < len(first) and all(
            common < len(o) and o[common] == first[common] for o in others
        ):
            common += 1
        lengths.update(dict.fromkeys(texts, common))
    return lengths


class Windows:
    """Every 8-byte window of every needle form, as a sorted uint64 table (its buffer and the
    needles' are excluded from the scan). Windows of a share's words in UTF-8 are kept only
    where they span a space: a window inside one word is a dictionary word, found in the word
    list's strs. In UTF-16 a window is 4 characters, so that rule would cut a copy into pieces
    of 15 bytes at every word; there all are kept, and a word's own windows (at most 8
    characters, 16 bytes, in the Qt completer's word list) stay far below the copy limit."""

    def __init__(self, needles: dict[str, bytearray]) -> None:
        import numpy as np

        keys: list[int] = []
        owners: list[str] = []
        header = _common_header(needles)
        for form, data in needles.items():
            for i in range(len(data) - 7):
                window = data[i : i + 8]
                if ".words/utf-8" in form and 0x20 not in window:
                    continue
                if form.startswith("share") and i + 8 <= header.get(form, 0):
                    continue  # inside the words every share of the set begins with
                keys.append(int.from_bytes(window, "little"))
                owners.append(form)
                window[:] = bytes(8)
        # a window shared by two shares' QR texts is their common set header (public: the
        # fingerprint, label and policy are printed), not one share's material; a decoy keeps
        # only windows no needle of the ceremony has (what those find is not chance)
        forms_of: dict[int, set[str]] = {}
        for key, form in zip(keys, owners, strict=True):
            if not form.startswith("decoy"):
                forms_of.setdefault(key, set()).add(form.split("/")[0])
        shared = {k for k, f in forms_of.items() if len(f) > 1}
        kept = [
            (k, f)
            for k, f in zip(keys, owners, strict=True)
            if (".words/" in f or k not in shared) and not (f.startswith("decoy") and k in forms_of)
        ]
        self.shared_windows = len(shared)
        forms_of.clear()
        keys.clear()
        # one row per distinct window, with every form that has it: a hit counts for each
        # (two shares holding the same two words is each one's material: a run of one share's
        # words must not break where a window is also another's)
        by_key: dict[int, list[str]] = {}
        for key, form in kept:
            has = by_key.setdefault(key, [])
            if form not in has:
                has.append(form)
        ordered = sorted(by_key)
        self.table = np.array(ordered, dtype=np.uint64)
        self.owners = [by_key[k] for k in ordered]
        by_key.clear()
        ordered.clear()
        self.forms = sorted(needles)
        self.count = Counter(f for _k, f in kept)
        kept.clear()

    def span(self) -> tuple[int, int]:
        a = self.table.ctypes.data
        return a, a + self.table.nbytes

    def wipe(self) -> None:
        self.table[:] = 0


def _mappings_of(pid: str, everything: bool = True) -> list[tuple[int, int, str, str]]:
    out = []
    with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            perms = parts[1]
            name = parts[5].strip() if len(parts) > 5 else "[anonymous]"
            if "r" not in perms or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if not everything and "w" not in perms and not name.startswith("["):
                continue
            out.append((lo, hi, perms, name))
    return out


def scan_windows(
    pid: str,
    windows: Windows,
    excluded: list[tuple[int, int]],
    time_cap: float,
) -> dict[str, Any]:
    """Read every readable mapping of ``pid`` (file-backed ones too) and find every window.
    Returns, per form: window hits, and the hits grouped into runs of consecutive windows (a
    run of n windows is n + 7 bytes of the needle, in one place)."""
    import numpy as np

    table = windows.table
    form_id = {form: i for i, form in enumerate(windows.forms)}
    owner_counts = np.array([len(o) for o in windows.owners], dtype=np.int64)
    owner_starts = np.cumsum(owner_counts) - owner_counts
    owner_flat = np.array([form_id[f] for o in windows.owners for f in o], dtype=np.int64)
    buf = bytearray(READ_CHUNK)
    bufspan = (_address_of(buf), _address_of(buf) + len(buf))
    skip = [*excluded, windows.span(), bufspan]
    found_at: list[Any] = []  # arrays: address, form id, mapping id of every hit
    mapping_names: list[str] = []
    started = time.monotonic()
    scanned = skipped = 0
    truncated = False
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        for lo, hi, _perms, name in _mappings_of(pid):
            mapping_names.append(name)
            pos = lo
            while pos < hi and not truncated:
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
                arr = np.frombuffer(buf, dtype=np.uint8, count=got)
                for k in range(8):
                    n = (got - k) // 8
                    if n <= 0:
                        continue
                    v = arr[k : k + 8 * n].view(np.uint64)
                    idx = np.searchsorted(table, v)
                    idx[idx >= len(table)] = 0
                    nearest = table[idx]  # needle windows: overwritten before it is freed
                    same = np.nonzero(nearest == v)[0]
                    nearest[:] = 0
                    addrs = pos + k + 8 * same.astype(np.int64)
                    keep = np.ones(len(addrs), dtype=bool)
                    for a, b in skip:
                        keep &= (addrs < a) | (addrs >= b)
                    if keep.any():
                        rows = idx[same[keep]]
                        each = owner_counts[rows]  # a hit counts for every form with the window
                        first = np.repeat(owner_starts[rows], each)
                        nth = np.arange(int(each.sum())) - np.repeat(np.cumsum(each) - each, each)
                        found_at.append(
                            np.stack(
                                [
                                    np.repeat(addrs[keep], each),
                                    owner_flat[first + nth],
                                    np.full(int(each.sum()), len(mapping_names) - 1),
                                ]
                            )
                        )
                    del v, idx, nearest, same, addrs, keep
                del arr
                scanned += got
                pos += size - 7 if size == READ_CHUNK and pos + size < hi else size
    finally:
        os.close(fd)
    buf[:] = bytes(len(buf))
    hits = np.concatenate(found_at, axis=1) if found_at else np.zeros((3, 0), dtype=np.int64)
    hits = np.unique(hits, axis=1)  # sorted by address; a chunk's last 7 bytes are read twice
    out: dict[str, Any] = {}
    for number, form in enumerate(windows.forms):
        mine = hits[:, hits[1] == number]
        addrs, maps = mine[0], mine[2]
        # a run: consecutive window addresses in one mapping
        starts = np.ones(len(addrs), dtype=bool)
        starts[1:] = (np.diff(addrs) != 1) | (np.diff(maps) != 0)
        first = np.nonzero(starts)[0]
        lengths = np.diff(np.append(first, len(addrs)))
        runs = [
            {"address": hex(int(addrs[i])), "bytes": int(n) + 7, "mapping": mapping_names[maps[i]]}
            for i, n in zip(first, lengths, strict=True)
        ]
        out[form] = {
            "windows_hit": len(addrs),
            "runs": runs,
            "places": len(runs),
            "longest_bytes": max((r["bytes"] for r in runs), default=0),
        }
    return {
        "forms": out,
        "scanned_mb": round(scanned / 2**20, 1),
        "skipped_mb": round(skipped / 2**20, 1),
        "seconds": round(time.monotonic() - started, 2),
        "truncated": truncated,
    }


def measure(folder: Path, time_cap: float = 240.0) -> dict[str, Any]:
    """In this process: the GUI ceremony, then a scan of every readable mapping."""
    result = _drive_gui(folder)
    # Positive control: a value we deliberately keep in a live str, and a freed bytes copy.
    # The scan must find both (or it proves nothing about the zeros).
    canary_raw = bytearray(secrets.token_hex(20).encode())
    kept_canary = canary_raw.decode()  # a live str: must be attributed to live objects
    freed = bytearray(100_000)  # malloc'd (under the mmap threshold); freeing it overwrites
    fence = bytearray(64)  # only its first bytes; the fence keeps it out of the top chunk
    freed[50_000 : 50_000 + len(canary_raw)] = canary_raw
    del freed  # freed without overwrite: must be found in freed memory
    gc.collect()
    needles = _needles(folder)
    needles["control/canary"] = canary_raw
    excluded = [(_address_of(b), _address_of(b) + len(b)) for b in needles.values()]
    windows = Windows(needles)
    for b in needles.values():
        b[:] = bytes(len(b))
    scan = scan_windows("self", windows, excluded, time_cap)
    windows.wipe()
    spans = _live_objects()
    starts = [sp[0] for sp in spans]
    for info in scan["forms"].values():
        owners: Counter[str] = Counter()
        for run in info["runs"]:
            kind = _owner(int(run["address"], 16), spans, starts)
            run["owner"] = kind or "freed or foreign memory"
            owners[kind or "freed or foreign memory"] += 1
        info["owners"] = dict(owners)
        info["in_live_python_objects"] = sum(
            n for k, n in owners.items() if k != "freed or foreign memory"
        )
    for info in scan["forms"].values():  # keep every run in a live object, 20 of the others
        live = [r for r in info["runs"] if r["owner"] != "freed or foreign memory"]
        freed_runs = [r for r in info["runs"] if r["owner"] == "freed or foreign memory"]
        info["runs"] = sorted(live, key=lambda r: -r["bytes"]) + freed_runs[:20]
    result["control_kept_alive"] = len(kept_canary) + len(fence)
    result.update(scan)
    result["windows"] = windows.count
    (folder / "residue.json").write_text(json.dumps(result, indent=2))
    return result


def chance(folder: Path, draws: int) -> dict[int, float]:
    """How often a random mnemonic shares a run of L bytes with text anywhere in this process's
    memory after the ceremony (live or freed, any mapping: more than the test counts), for the
    run lengths L the word limit is chosen among. Prints and returns the rates."""
    import re

    from breakglass_gui.core import slip39

    _drive_gui(folder)
    gc.collect()
    wordlist = slip39.wordlist()
    known = set(wordlist)
    lowercase_text = re.compile(rb"[a-z]+(?: [a-z]+)+")
    phrases: set[bytes] = set()  # runs of SLIP-39 words, the first and last may be parts
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for lo, hi, _perms, _name in _mappings_of("self"):
            for pos in range(lo, hi, READ_CHUNK):
                try:
                    data = os.pread(fd, min(READ_CHUNK, hi - pos), pos)
                except OSError:
                    continue
                for m in lowercase_text.finditer(data):
                    tokens = m.group().split(b" ")
                    i = 0
                    while i < len(tokens) - 1:
                        j = i + 1
                        while j < len(tokens) - 1 and tokens[j].decode() in known:
                            j += 1
                        phrases.add(b" ".join(tokens[i : j + 1]))
                        i = j
    finally:
        os.close(fd)
    rates: dict[int, float] = {}
    for length in (14, 16, 20, 24):
        grams = {p[i : i + length] for p in phrases for i in range(len(p) - length + 1)}
        grams = {g for g in grams if b" " in g}
        hits = 0
        for _ in range(draws):
            text = " ".join(wordlist[secrets.randbelow(len(wordlist))] for _ in range(20))
            raw = text.encode()
            hits += any(raw[i : i + length] in grams for i in range(len(raw) - length + 1))
        rates[length] = hits / draws
        print(f"run of {length} bytes: {hits} of {draws} random mnemonics ({hits / draws:.2e})")
    return rates


# -- the real app, scanned from outside ------------------------------------------------------------


def child(folder: Path) -> None:
    """The ceremony in a process of its own, paused twice for the parent to scan it: with the
    credential shown (the positive control), then after Done/wipe/Finish, window closed."""
    import gc as _gc

    from PySide6.QtWidgets import QApplication

    def pause(word: str) -> None:
        print(word, flush=True)
        line = sys.stdin.readline()
        if not line.startswith("go"):
            os._exit(3)

    result = _drive_gui(folder, pause=pause)
    _gc.collect()
    app = QApplication.instance()
    if app is not None:
        app.processEvents()
    pause("DONE " + json.dumps(result))
    os._exit(0)


def outside(folder: Path, time_cap: float = 240.0) -> dict[str, Any]:
    """Run ``child`` and scan it from here through /proc/PID/mem (root, or ptrace rights)."""
    import subprocess

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BREAKGLASS_TESTING="1")
    proc = subprocess.Popen(
        [sys.executable, __file__, "child", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    out: dict[str, Any] = {}
    try:
        for stage in ("shown", "after_done"):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the child ended before {stage} (exit {proc.wait()})")
            if line.startswith("DONE "):
                out["status"] = json.loads(line[5:])["status"]
            needles = _needles(folder)
            windows = Windows(needles)
            for b in needles.values():
                b[:] = bytes(len(b))
            out[stage] = scan_windows(str(proc.pid), windows, [], time_cap)
            for info in out[stage]["forms"].values():
                info["runs"] = info["runs"][:20]
            windows.wipe()
            proc.stdin.write("go\n")
            proc.stdin.flush()
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    (folder / "outside.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "prep":
        prep(where)
    elif command == "measure":
        measure(where)
    elif command == "chance":
        chance(where, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
        os._exit(0)
    elif command == "child":
        child(where)
    elif command == "outside":
        outside(where)
        sys.stdout.flush()
        # PySide6 may crash while finalising a process whose widgets were torn down by hand;
        # the measurement is written, so leave without the interpreter's teardown.
        os._exit(0)
    else:
        raise SystemExit(f"unknown command {command!r}")
