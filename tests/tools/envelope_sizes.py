"""How large a remote share's age envelope is, and what a spoken reply would take.

``python -m tests.tools.envelope_sizes`` prints, for credentials of 16 to 64 bytes: the share's
text, its binary record, the age envelope (binary and ASCII-armored, as ``send-share`` makes
it), the QR version of the armored envelope (error correction M), and how many words of 11 bits
(a BIP-39/SLIP-39-sized list) would be needed to read the binary envelope aloud.
"""

from __future__ import annotations

import pyrage
import qrcode

from breakglass_gui.ceremony.remote import share_envelope
from breakglass_gui.core.envelope import OneTimeKey
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential


def main() -> None:
    key = OneTimeKey.generate()
    recipient = pyrage.x25519.Recipient.from_str(key.recipient)
    for size in (16, 20, 32, 64):
        share = split_credential(
            bytes(size),
            policy=Policy.simple(2, 3),
            label="AWS root",
            custodians=[Custodian(f"C{i}", "ops") for i in range(3)],
        ).shares[0]
        text = "\n".join(share.qr_texts()) + "\n"
        armored = share_envelope(share, key.recipient)
        binary = pyrage.encrypt(text.encode("ascii"), [recipient])
        q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        q.add_data(armored.encode("ascii"))
        q.make(fit=True)
        print(
            f"credential {size:2d} B: share text {len(text)} chars, share record "
            f"{len(share.to_bytes())} B, age envelope {len(binary)} B binary / {len(armored)} "
            f"chars armored, QR version {q.version}, spoken: {-(-len(binary) * 8 // 11)} words"
        )
    key.forget()


if __name__ == "__main__":
    main()
