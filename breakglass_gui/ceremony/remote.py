"""Shares received from custodians who are not in the room, for either front end.

A :class:`RemoteIntake` owns the ceremony's one-time age key: it shows the recipient and safety
code, opens each envelope and offers the share inside to the ceremony's collector exactly like a
share read at the camera — the same checks, the same refusals (foreign, retired, duplicate), the
same log entry, with the source "remote". It dies with the ceremony (:meth:`close`).

A :class:`ShareSender` is the custodian's side: their own sheet read (camera, photo or typed,
whole or part by part), checked alone, and sealed to the operator's recipient with
:func:`share_envelope`, which ``breakglass send-share`` uses too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from breakglass_gui.core.envelope import EnvelopeError, OneTimeKey, seal_share
from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.secret import scrub_freed_memory
from breakglass_gui.core.share import PartAssembler, Share, SharePart

from .ports import REMOTE_SOURCE
from .reconstruct_flow import Offer, OfferKind
from .typed_share import parse_share_text

__all__ = [
    "REMOTE_SOURCE",
    "RemoteIntake",
    "SenderOffer",
    "ShareSender",
    "ShareSink",
    "envelope_without_key",
    "share_envelope",
]


class ShareSink(Protocol):
    """What the intake offers shares to: a ShareCollector or a ReconstructFlow."""

    def offer_text(self, text: str, source: str) -> Offer: ...

    def no_code_seen(self, source: str) -> None: ...


class RemoteIntake:
    """One ceremony's one-time key and the envelopes opened with it."""

    def __init__(self, sink: ShareSink, key: OneTimeKey | None = None) -> None:
        self._sink = sink
        self._key = key or OneTimeKey.generate()
        self.received = 0
        self._scanned: set[bytes] = set()  # digests of envelopes read from pictures

    @property
    def recipient(self) -> str:
        return self._key.recipient

    @property
    def safety_code(self) -> str:
        return self._key.safety_code

    def receive(self, armored: str, name: str) -> Offer:
        """Open one envelope (``name`` says where it came from) and offer its share."""
        try:
            text = self._key.open(armored, name)
        except EnvelopeError as exc:
            return Offer(OfferKind.REFUSED, f"Refused {exc}", name, str(exc))
        # Each envelope is a fresh presentation: the same share sent twice is a duplicate,
        # never a silently ignored repeat.
        self._sink.no_code_seen(REMOTE_SOURCE)
        offer = self._sink.offer_text(text, REMOTE_SOURCE)
        del text
        if offer.accepted:
            self.received += 1
        return offer

    def receive_scanned(self, armored: str, source: str) -> Offer | None:
        """An envelope read from a picture (the camera, a loaded photo of a screen): opened
        once; ``None`` when this very envelope was read before (a camera sees it frame after
        frame). Sending the same share again in a new envelope is still a named duplicate."""
        digest = hashlib.sha256(armored.strip().encode("utf-8", "replace")).digest()
        if digest in self._scanned:
            return None
        self._scanned.add(digest)
        return self.receive(armored, f"the envelope shown to the {source}")

    def close(self) -> None:
        """The ceremony is over: drop the one-time identity, then overwrite the freed memory
        that held it and the shares' texts (pyrage's own copies are immutable: see
        ``tests/tools/remote_residue.py`` for what is left)."""
        self._key.forget()
        scrub_freed_memory()


# -- the custodian's side -------------------------------------------------------------------------


def envelope_without_key(source: str) -> Offer:
    """An envelope read before this ceremony made its one-time key: it cannot be for it."""
    return Offer(
        OfferKind.REFUSED,
        f"Refused an age envelope ({source}): this ceremony has not made its one-time key yet, "
        "so the envelope was made for another ceremony's key. Open “Remote share…”, give the "
        "custodian this ceremony's key and ask for a new envelope.",
        None,
        "envelope for another ceremony",
    )


def share_envelope(share: Share, recipient: str) -> str:
    """A whole share sealed to the operator's one-time recipient, ASCII-armored: what both
    ``breakglass send-share`` and the GUI's "Send my share" make (the share's QR text lines,
    as ``age -r RECIPIENT -a share.txt`` would for the share file)."""
    return seal_share("\n".join(share.qr_texts()) + "\n", recipient)


@dataclass(frozen=True)
class SenderOffer:
    """What one read of the custodian's own sheet did. ``message`` names, never shows."""

    kind: str  # "share", "part", "repeat", "refused" ("key": the GUI read the recipient)
    message: str

    @property
    def ok(self) -> bool:
        return self.kind in ("share", "part", "repeat", "key")


class ShareSender:
    """A remote custodian's own share, read (whole or part by part), checked alone and sealed.

    One share at a time: a second, different share is refused until :meth:`clear`. Nothing is
    reconstructed and the set need not be known on this machine (the operator's ceremony does
    every set check when the envelope is opened)."""

    def __init__(self) -> None:
        self._assembler = PartAssembler()
        self._share: Share | None = None

    @property
    def share(self) -> Share | None:
        return self._share

    def describe(self) -> str:
        s = self._share
        return "" if s is None else f"{s.describe()} of set {s.fingerprint_text}"

    def offer_text(self, text: str, source: str) -> SenderOffer:
        try:
            item = parse_share_text(text)
        except ShareError as exc:
            return SenderOffer("refused", f"{exc.share or 'This code'} ({source}): {exc.reason}")
        if isinstance(item, SharePart):
            held = self._share
            if held is not None and (item.fingerprint, item.number) == (
                held.fingerprint,
                held.number,
            ):
                return SenderOffer("repeat", f"{self.describe()} is read already")
            try:
                whole = self._assembler.add(item)
            except ShareError as exc:
                return SenderOffer("refused", f"{item.describe()} ({source}): {exc}")
            if whole is None:
                return SenderOffer("part", f"Read {item.describe()}; show the other parts.")
            item = whole
        return self._hold(item)

    def _hold(self, share: Share) -> SenderOffer:
        held = self._share
        if held is not None:
            if (share.fingerprint, share.number) == (held.fingerprint, held.number):
                return SenderOffer("repeat", f"{self.describe()} is read already")
            return SenderOffer(
                "refused",
                f"{share.describe()} is another share: send one share at a time (Start over "
                f"to send it instead of {held.describe()})",
            )
        self._share = share
        return SenderOffer("share", f"{self.describe()} is intact (checked alone)")

    def seal(self, recipient: str) -> str:
        """The envelope for ``recipient`` (raises ``EnvelopeError`` naming a bad recipient)."""
        if self._share is None:
            raise EnvelopeError("read your share first")
        return share_envelope(self._share, recipient)

    def clear(self) -> None:
        """Drop the share (and any parts read); overwrite the freed memory."""
        self._share = None
        self._assembler = PartAssembler()
        scrub_freed_memory()
