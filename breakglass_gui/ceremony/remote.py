"""Shares received from custodians who are not in the room, for either front end.

A :class:`RemoteIntake` owns the ceremony's one-time age key: it shows the recipient and safety
code, opens each envelope and offers the share inside to the ceremony's collector exactly like a
share read at the camera — the same checks, the same refusals (foreign, retired, duplicate), the
same log entry, with the source "remote". It dies with the ceremony (:meth:`close`).
"""

from __future__ import annotations

from typing import Protocol

from breakglass_gui.core.envelope import EnvelopeError, OneTimeKey
from breakglass_gui.core.secret import scrub_freed_memory

from .ports import REMOTE_SOURCE
from .reconstruct_flow import Offer, OfferKind

__all__ = ["REMOTE_SOURCE", "RemoteIntake", "ShareSink"]


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

    def close(self) -> None:
        """The ceremony is over: drop the one-time identity, then overwrite the freed memory
        that held it and the shares' texts (pyrage's own copies are immutable: see
        ``tests/tools/remote_residue.py`` for what is left)."""
        self._key.forget()
        scrub_freed_memory()
