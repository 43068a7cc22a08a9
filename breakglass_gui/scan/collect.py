"""Gathering shares from what the scanner reads: whole shares at once, large shares from their
parts in any order, with progress a custodian can follow ("part 3 of 5 of share 2 read")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.share import PartAssembler, Share, SharePart, format_fingerprint

from .pipeline import ScanResult

__all__ = ["CollectEvent", "PartProgress", "ShareCollector"]

EventKind = Literal["share", "part", "repeat", "error"]


@dataclass(frozen=True)
class PartProgress:
    fingerprint: bytes
    number: int
    have: int
    count: int

    def describe(self) -> str:
        return (
            f"share {self.number} of set {format_fingerprint(self.fingerprint)}: "
            f"{self.have} of {self.count} parts read"
        )


@dataclass(frozen=True)
class CollectEvent:
    """What one read changed. ``message`` names shares, never their content."""

    kind: EventKind
    message: str
    share: Share | None = field(default=None, repr=False)


class ShareCollector:
    """Collects whole shares from scan results, assembling multi-part shares as parts arrive."""

    def __init__(self) -> None:
        self._assembler = PartAssembler()
        self._shares: dict[tuple[bytes, int], Share] = {}
        self._parts_seen: set[tuple[bytes, int, int]] = set()

    @property
    def shares(self) -> list[Share]:
        """Whole shares, in the order they were completed."""
        return list(self._shares.values())

    def progress(self) -> list[PartProgress]:
        """Shares with some but not all of their parts read."""
        return [
            PartProgress(fp, n, have, count) for fp, n, have, count in self._assembler.progress()
        ]

    def add_result(self, result: ScanResult) -> list[CollectEvent]:
        return [self.add(a.item) for a in result.accepted if a.item is not None]

    def add(self, item: Share | SharePart) -> CollectEvent:
        if isinstance(item, Share):
            return self._add_share(item)
        key = (item.fingerprint, item.number)
        if key in self._shares:
            return CollectEvent("repeat", f"{item.describe()}: its share is already read")
        if (*key, item.index) in self._parts_seen:
            return CollectEvent("repeat", f"{item.describe()}: already read")
        try:
            share = self._assembler.add(item)
        except ShareError as exc:
            return CollectEvent("error", str(exc))
        self._parts_seen.add((*key, item.index))
        if share is None:
            return CollectEvent("part", f"{item.describe()} read")
        return self._add_share(share)

    def _add_share(self, share: Share) -> CollectEvent:
        key = (share.fingerprint, share.number)
        if key in self._shares:
            return CollectEvent("repeat", f"{share.describe()}: already read", self._shares[key])
        self._shares[key] = share
        return CollectEvent(
            "share", f"{share.describe()} read (set {share.fingerprint_text})", share
        )

    def clear(self) -> None:
        self._assembler.clear()
        self._shares.clear()
        self._parts_seen.clear()
