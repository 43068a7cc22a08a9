"""The residue test: after a real break-glass run through the GUI and a wipe, what is left?

Runs ``tests/gui/residue.py`` in fresh processes and prints the counts:

- ``measure``: the ceremony in one process, then that process reads every readable mapping
  of its own memory (file-backed ones too) for every 8-byte window of the secret (UTF-8,
  UTF-16-LE, hex, base64, base32), of each share's words (in UTF-8 the windows that span a
  space; past the words every share begins with) and of each share's QR text (windows not
  shared with another share: the common set header is public), and says which hits sit in
  live Python objects; 200 random mnemonics the app never saw are looked for the same way;
- ``outside``: the ceremony in a child process, read from here through /proc/PID/mem (root),
  twice: with the credential shown (the positive control: it must be found), then after
  Done/wipe/Finish with the window closed.

The secret must be gone (no copy of 8 bytes or more in any encoding — 16 for UTF-16 and hex,
where 8 bytes match by chance —, from inside and from outside); no live Python object may
hold share material (share words: a run of WORD_COPY bytes, three words, above the chance
level the decoy mnemonics show on every run); no piece of a collected share's QR text may be
32 bytes or longer (freed memory included: the camera thread and the wipe scrub the
allocators); and the controls must be found. Share words and the shorter QR pieces left in
freed memory are printed, not hidden (see the README's memory section).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from residue import Windows

pytestmark = pytest.mark.gui
HERE = Path(__file__).parent


def _run(*args: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BREAKGLASS_TESTING="1")
    subprocess.run(
        [sys.executable, str(HERE / "residue.py"), *args],
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
    )


def _print(title: str, scan: dict[str, Any]) -> None:
    print(f"\n{title} ({scan['scanned_mb']} MB, every readable mapping, in {scan['seconds']} s):")
    where = "in a live object" if _owned(scan) else "anywhere"
    for encoding, longest in sorted(_chance(scan).items()):
        print(
            f"  decoys/{encoding:19s} the longest run of {_decoys(scan)} mnemonics the app never"
            f" saw, {where}: {longest} B (chance)"
        )
    for form, c in sorted(scan["forms"].items()):
        if form.startswith("decoy"):
            continue
        owners = c.get("owners", "")
        print(
            f"  {form:26s} windows {c['windows_hit']:5d}  places {c['places']:4d}"
            f"  longest run {c['longest_bytes']:4d} B  {owners or ''}"
        )


# An 8-byte window is 8 characters of the secret in UTF-8, base64 or base32 (alphabets of 32+
# symbols: a chance match in 650 MB is below 1e-3), but only 4 characters in UTF-16 and 8 hex
# digits (4 bytes): those match by chance in a process holding ~100 MB of text (a 9-byte
# UTF-16 "hit" inside libicudata.so was seen). For them a copy is a run of 16 bytes or more.
_UNMISTAKABLE = {"secret/utf-16-le": 16, "secret/hex": 16}


# Before the C-heap scrub, runs of 100 to 350 bytes of the last sheets' QR texts were left;
# since, the longest seen is 17 (live C blocks that reused freed memory, out of any scrub's
# reach). 32 bytes of a QR text's digits never match by chance.
QR_PIECE_LIMIT = 32


def _decoys(scan: dict[str, Any]) -> int:
    return sum(1 for form in scan["forms"] if form.startswith("decoy") and "utf-8" in form)


def _owned(scan: dict[str, Any]) -> bool:
    """Whether the scan says which runs sit in live objects (only the one from inside does)."""
    return any("owner" in r for c in scan["forms"].values() for r in c["runs"])


def _chance(scan: dict[str, Any]) -> dict[str, int]:
    """Per encoding, the longest run of a decoy mnemonic (in a live object, when the scan
    says): chance."""
    longest: dict[str, int] = {}
    for form, c in scan["forms"].items():
        if form.startswith("decoy"):
            encoding = form.split("/")[1]
            live = [r["bytes"] for r in c["runs"] if r.get("owner") != "freed or foreign memory"]
            longest[encoding] = max([longest.get(encoding, 0), *live])
    return longest


# A copy of a share's words in a live object is a run of WORD_COPY bytes or more (twice that in
# UTF-16). 8 bytes of a share's words ("c acid l") occur in English text, and so do whole pairs
# of SLIP-39 words: " camera picture " (16 bytes) is in this app's own docstrings, and a CI run
# failed on a 16-byte run of a share's words in a live str. `residue.py chance DIR 100000`
# (after `prep DIR`) matches random mnemonics against all the text in the process's memory
# after the ceremony: a 16-byte run for 588 in 100,000 (5.9e-3, five shares a run), 20 or 24
# bytes for none. The decoys are the same check on every run, in live objects only. A copy the
# app made would be the whole mnemonic (100 bytes or more).
WORD_COPY = 24


def _qr_pieces(scan: dict[str, Any]) -> dict[str, int]:
    """Each QR text form's longest piece, where it reaches QR_PIECE_LIMIT."""
    return {
        form: c["longest_bytes"]
        for form, c in scan["forms"].items()
        if ".qr/" in form and c["longest_bytes"] >= QR_PIECE_LIMIT
    }


def _secret_copies(scan: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (form, run["bytes"], run["mapping"])
        for form, c in scan["forms"].items()
        if form.startswith("secret/")
        for run in c["runs"]
        if run["bytes"] >= _UNMISTAKABLE.get(form, 8)
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/mem")
def test_residue_after_wipe(tmp_path: Path) -> None:
    _run("prep", str(tmp_path))
    _run("measure", str(tmp_path))
    inside: dict[str, Any] = json.loads((tmp_path / "residue.json").read_text())
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "residue.json").write_text(json.dumps(inside, indent=2))
    _print("inside the process, after the wipe", inside)
    assert inside["status"] == "finished" and not inside["truncated"]
    control = inside["forms"].pop("control/canary")
    assert control["in_live_python_objects"] >= 1, "the scan did not see a live str: broken"
    chance = _chance(inside)
    assert _decoys(inside) >= 100 and set(chance) == {"utf-8", "utf-16-le"}, "no chance control"
    assert chance["utf-8"] < WORD_COPY, f"chance runs reach the copy limit: {chance}"
    assert chance["utf-16-le"] < 2 * WORD_COPY, f"chance runs reach the copy limit: {chance}"
    for form, c in inside["forms"].items():
        if form.startswith("decoy"):
            continue
        # share words: see WORD_COPY; 8 of a QR text's decimal digits (10^8 values) occur among
        # the process's numbers, a run of 16 bytes or more is the share's own text
        copies = [r for r in c["runs"] if r["owner"] != "freed or foreign memory"]
        if ".words/" in form:
            copies = [r for r in copies if r["bytes"] >= WORD_COPY * (2 if "utf-16" in form else 1)]
        elif not form.startswith("secret/"):
            copies = [r for r in copies if r["bytes"] >= 16]
        assert copies == [], f"{form}: a copy lives in a Python object: {copies[:3]}"
    assert _secret_copies(inside) == [], "a piece of the credential survived the wipe"
    assert _qr_pieces(inside) == {}, "a long piece of a share's QR text survived the wipe"


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="reads another process's memory: needs root (or ptrace rights)",
)
def test_residue_seen_from_outside(tmp_path: Path) -> None:
    _run("prep", str(tmp_path))
    _run("outside", str(tmp_path))
    result: dict[str, Any] = json.loads((tmp_path / "outside.json").read_text())
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "residue-outside.json").write_text(json.dumps(result, indent=2))
    shown, after = result["shown"], result["after_done"]
    _print("from outside, the credential shown (control)", shown)
    _print("from outside, after Done / wipe / Finish, window closed", after)
    assert result["status"] == "finished"
    assert not shown["truncated"] and not after["truncated"]
    assert shown["forms"]["secret/utf-8"]["longest_bytes"] >= 32, "control: secret not found"
    assert _secret_copies(after) == [], "a piece of the credential survived, seen from outside"
    assert _qr_pieces(after) == {}, "a long piece of a share's QR text survived, seen from outside"


def test_a_copy_of_a_share_stands_above_the_word_limit() -> None:
    """The limit must not hide what it is there to find: a whole share's words, held anywhere,
    make a run of WORD_COPY bytes or more, in both encodings, although the windows the probe
    drops (inside one long word, or in the set's common header) cut a copy into pieces."""
    import secrets

    import numpy as np

    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.core.secret import SecretBytes

    shortest = {"utf-8": 10**6, "utf-16-le": 10**6}
    for _ in range(40):
        secret = SecretBytes(secrets.token_bytes(32))
        people = [Custodian(name, "on-call") for name in ("Ana", "Ben", "Chen", "Dita", "Eli")]
        share_set = split_credential(
            secret, policy=Policy.simple(3, 5), label="limit", custodians=people
        )
        secret.wipe()
        texts = {
            f"share{s.number}.words/{encoding}": " ".join(s.words).encode(encoding)
            for s in share_set.shares
            for encoding in ("utf-8", "utf-16-le")
        }
        windows = Windows({form: bytearray(text) for form, text in texts.items()})
        for form, text in texts.items():
            keys = np.array(
                [int.from_bytes(text[i : i + 8], "little") for i in range(len(text) - 7)],
                dtype=np.uint64,
            )
            # as the scan does: the table row equal to the key, and the forms it counts for
            idx = np.minimum(np.searchsorted(windows.table, keys), len(windows.table) - 1)
            found = [
                bool(windows.table[i] == key) and form in windows.owners[i]
                for i, key in zip(idx, keys, strict=True)
            ]
            longest = run = 0
            for hit in found:
                run = run + 1 if hit else 0
                longest = max(longest, run)
            encoding = form.split("/")[1]
            shortest[encoding] = min(shortest[encoding], longest + 7)
    print(f"\nthe longest run of a whole share's words, at least: {shortest}")
    assert shortest["utf-8"] >= WORD_COPY, shortest
    assert shortest["utf-16-le"] >= 2 * WORD_COPY, shortest
