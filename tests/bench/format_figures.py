"""Format v2 figures: QR size per share and the time of the split-time proof.

    .venv/bin/python -m tests.bench.format_figures

Prints the README's size table (error correction M, label of 16 characters, custodian name and
role of 24 together, measured with qrcode through paper/qr.py's segments) and the wall time of
``prove_set`` (every share on its polynomial; full recovery of every quorum, or of 256 drawn at
random beyond 256) for 3-of-5, 8-of-16 and 16-of-16, best of three.
"""

from __future__ import annotations

import time

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, prove_set, split_credential
from breakglass_gui.paper.qr import make_qr

LABEL16 = "Prod DB root key"
NAME, ROLE = "Ana Ruiz-Oyelaran", "on-call"


def sizes() -> None:
    print("| secret | policy | QR codes per share | QR version | characters per share |")
    print("|---|---|---|---|---|")
    for length in (16, 32, 64, 256, 4096):
        for m, n in ((2, 3), (3, 5)):
            made = split_credential(
                bytes(length),
                policy=Policy.simple(m, n),
                label=LABEL16,
                custodians=[Custodian(NAME, ROLE)] * n,
                prove=False,
            )
            worst = max(made.shares, key=lambda s: len(s.to_bytes()))
            texts = worst.qr_texts()
            version = max(make_qr(t).version for t in texts)
            codes = "1" if len(texts) == 1 else f"{len(texts)} parts"
            chars = sum(len(t) for t in texts)
            record = len(worst.to_bytes())
            print(
                f"| {length:,} B | {m}-of-{n} | {codes} | {version} | {chars:,} |"
                f"  <!-- record {record} bytes -->"
            )


def proof_times() -> None:
    for m, n in ((3, 5), (8, 16), (16, 16)):
        made = split_credential(bytes(32), policy=Policy.simple(m, n), label=LABEL16, prove=False)
        best = None
        for _ in range(3):
            start = time.perf_counter()
            proof = prove_set(made.shares, secret=bytes(32))
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        print(f"{m}-of-{n}: {proof.describe()}; best of 3: {best:.2f} s")


if __name__ == "__main__":
    sizes()
    proof_times()
