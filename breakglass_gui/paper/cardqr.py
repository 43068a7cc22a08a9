"""The set card's QR code on the runbook and the ceremony record.

A clean laptop learns the set by photographing this code ("Import a set card"). The code holds
the card's QR form (``BGC1`` + the signed card, FORMAT.md §13): public, no secret, no share
material. Beside it: the fingerprint of the key that signed it, which the operator types when
importing (a card signed by any other key is refused). A card too large for a QR code a
webcam reads (more than :data:`MAX_CARD_VERSION`) is not drawn: the page says to import the
card file instead.
"""

from __future__ import annotations

from typing import Any

from qrcode.exceptions import DataOverflowError
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from .document import mm
from .flow import Styles, esc
from .qr import MAX_MODULE, MIN_MODULE, QUIET_ZONE, QrCode, make_qr

__all__ = ["MAX_CARD_VERSION", "CardQr", "set_card_section"]

#: The largest QR version printed for a card: 169 modules with the quiet zone, 17 cm at 1 mm
#: (a page's width); 7 custodians with contacts fit. Read back from a tilted 100-dpi rendering
#: in tests/unit/test_setcard_paper.py.
MAX_CARD_VERSION = 36


class CardQr(Flowable):  # type: ignore[misc]
    """A QR code of ``code`` at the largest module size up to 1 mm that fits ``room``."""

    def __init__(self, code: QrCode, room: float) -> None:
        super().__init__()
        self.code = code
        self.module = code.module_size(room)
        self.side = self.code.modules * self.module

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        self.code.draw(self.canv, 0, 0, self.module)


def card_qr(text: str) -> QrCode | None:
    """The card's QR code, or None when it is too large to print as one readable code."""
    if not text:
        return None
    try:
        code = make_qr(text)
    except DataOverflowError:  # far too large for any QR code
        return None
    return code if code.version <= MAX_CARD_VERSION else None


def set_card_section(st: Styles, text: str, signer: str, width: float) -> list[Any]:
    """The card's heading, its QR code and what to do with it (or why there is no code)."""
    head = Paragraph("Set card: for a clean laptop", st.h2)
    code = card_qr(text)
    signed = (
        f"Signed by the audit key <font name='{st.fonts.mono_bold}'>{esc(signer)}</font>. "
        "When importing, type this fingerprint: a card signed by any other key is refused."
    )
    if code is None:
        return [
            head,
            Paragraph(
                "The set card is too large for one QR code here. On a clean laptop, import its "
                "file instead: <i>breakglass sets export FINGERPRINT --out set.card</i> on this "
                "installation, then <i>breakglass sets import set.card --signer "
                f"{esc(signer)}</i> (or “Import a set card” in the app). " + signed,
                st.body,
            ),
        ]
    room = max(min(width, MAX_MODULE * code.modules), MIN_MODULE * code.modules)
    return [
        KeepTogether(
            [
                head,
                Paragraph(
                    "On a laptop that does not know this set yet, open Breakglass, choose "
                    "“Import a set card” and photograph this code (or hold the page to the "
                    "camera). It holds no secret and no share material: the set's fingerprint, "
                    "custodians, policy, audit mirrors (kind and host) and the sets it retired. "
                    + signed,
                    st.body,
                ),
                Spacer(1, 3 * mm),
                CardQr(code, room),
                Paragraph(
                    f"QR version {code.version}, {QUIET_ZONE}-module margin: keep it flat and "
                    "uncovered.",
                    st.cell,
                ),
            ]
        )
    ]
