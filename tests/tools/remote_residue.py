"""Residue of a remote ceremony's one-time identity and of a share received in an envelope.

pyrage takes and returns immutable ``bytes``/``str`` and keeps the identity in a Rust object,
so ``RemoteIntake.close()`` only drops our reference: this measures what is left, it does not
promise anything. A child process plays the operator (reads the identity file, opens the
envelope, offers the share, closes the intake, collects garbage); the parent, which made the
material, scans every readable mapping of the child through ``/proc/PID/mem`` — so the needles
held by the scanner are never in the memory it scans.

Run: ``.venv/bin/python -m tests.tools.remote_residue`` (Linux, same user or root).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

WINDOW = 16

_CHILD = r"""
import gc, sys
from pathlib import Path
from breakglass_gui.ceremony.reconstruct_flow import ShareCollector
from breakglass_gui.ceremony.remote import RemoteIntake
from breakglass_gui.core.envelope import OneTimeKey, destroy_identity_file
folder = Path(sys.argv[1])
key = OneTimeKey.from_identity_file(folder / "id.key")
collector = ShareCollector()
intake = RemoteIntake(collector, key)
offer = intake.receive((folder / "share.age").read_text(), "share.age")
assert offer.accepted, offer.message
del offer, key
print("open", flush=True)
sys.stdin.readline()
intake.close()
collector.clear()
destroy_identity_file(folder / "id.key")
del intake, collector
gc.collect()
print("closed", flush=True)
sys.stdin.readline()
"""


_SENDER = r"""
import gc, sys
from pathlib import Path
from breakglass_gui.ceremony.remote import ShareSender
folder = Path(sys.argv[1])
sender = ShareSender()
text = (folder / "share.txt").read_text()
offer = sender.offer_text(text.strip(), "typed")
assert offer.kind == "share", offer.message
armored = sender.seal(sys.argv[2])
del text, offer
print("open", flush=True)
sys.stdin.readline()
sender.clear()
del sender, armored
gc.collect()
print("closed", flush=True)
sys.stdin.readline()
"""


def _places(pid: int, needle: bytes) -> int:
    """Places in the process's readable memory holding any WINDOW-byte slice of ``needle``
    (a run of overlapping hits counts once)."""
    windows = {needle[i : i + WINDOW] for i in range(len(needle) - WINDOW + 1)}
    firsts: dict[bytes, list[bytes]] = {}
    for w in windows:
        firsts.setdefault(w[:4], []).append(w)
    hits: list[int] = []
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            addr, perms = line.split()[:2]
            if not perms.startswith("r") or "[vvar" in line or "[vsyscall" in line:
                continue
            start, end = (int(x, 16) for x in addr.split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for head, group in firsts.items():
                i = data.find(head)
                while i != -1:
                    if data[i : i + WINDOW] in group:
                        hits.append(start + i)
                    i = data.find(head, i + 1)
    hits.sort()
    places, last = 0, -(10**18)
    for h in hits:
        if h - last > len(needle):
            places += 1
        last = h
    return places


def measure() -> dict[str, int]:
    from breakglass_gui.core.envelope import OneTimeKey, seal_share
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential

    share = split_credential(
        b"remote-residue-credential-0123456789",
        policy=Policy.simple(2, 3),
        label="residue",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares[1]
    share_text = "\n".join(share.qr_texts()) + "\n"
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        key = OneTimeKey.generate()
        key.write_identity_file(folder / "id.key")
        identity = next(
            ln
            for ln in (folder / "id.key").read_text().splitlines()
            if ln.startswith("AGE-SECRET-KEY-1")
        ).encode()
        (folder / "share.age").write_text(seal_share(share_text, key.recipient))
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            assert child.stdout.readline().strip() == "open"
            out = {
                "identity_while_open": _places(child.pid, identity),
                "share_while_open": _places(child.pid, share_text.encode()),
            }
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "closed"
            out["identity_after_close"] = _places(child.pid, identity)
            out["share_after_close"] = _places(child.pid, share_text.encode())
            child.stdin.write("\n")
            child.stdin.flush()
        finally:
            child.wait(timeout=30)
    return out


def measure_sender() -> dict[str, int]:
    """The custodian's side (``ShareSender``, what "Send my share from afar" and send-share
    use): the share read from a file, sealed, then Start over (``clear``)."""
    from breakglass_gui.core.envelope import OneTimeKey
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential

    share = split_credential(
        b"remote-residue-credential-0123456789",
        policy=Policy.simple(2, 3),
        label="residue",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares[1]
    share_text = "\n".join(share.qr_texts()) + "\n"
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "share.txt").write_text(share_text)
        recipient = OneTimeKey.generate().recipient
        child = subprocess.Popen(
            [sys.executable, "-c", _SENDER, str(folder), recipient],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            assert child.stdout.readline().strip() == "open"
            out = {"sender_share_while_held": _places(child.pid, share_text.encode())}
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "closed"
            out["sender_share_after_clear"] = _places(child.pid, share_text.encode())
            child.stdin.write("\n")
            child.stdin.flush()
        finally:
            child.wait(timeout=30)
    return out


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps({**measure(), **measure_sender()}, indent=1))
