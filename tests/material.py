"""Is share material in a text? Asked by pieces of the shares' own QR texts, never by a short
marker: "BG2" (the QR text's prefix) is also spelt by chance in base64 — 0.18% of age
envelopes, 0.05% of signed set cards —, so a test asserting its absence failed at random."""

from __future__ import annotations

from collections.abc import Iterable

PIECE = 16  # 16 characters of a QR text's digits: never matched by chance (10^16 values)


def share_pieces_in(text: str, qr_texts: Iterable[str]) -> list[str]:
    """The PIECE-character pieces of these QR texts found in ``text``, leaving out the pieces
    every given text shares (the common set header: public, printed on every sheet)."""
    texts = list(qr_texts)
    assert texts and all(len(t) > PIECE for t in texts), "no share text to look for"
    pieces = [{t[i : i + PIECE] for i in range(len(t) - PIECE + 1)} for t in texts]
    common = set.intersection(*pieces) if len(pieces) > 1 else set()
    return sorted({p for own in pieces for p in own - common if p in text})
