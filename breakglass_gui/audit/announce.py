"""The announcement: a short plain text for the incident channel, carrying the log's anchor.

A local log can be rewritten by whoever holds the data directory. What they cannot rewrite is
a message already posted where other people read it. Every real reconstruction, every split
and every retirement therefore produces a few lines of text (and the GUI a QR code of the same
text, for a phone to photograph and post) ending in the anchor ``COUNT:HEAD``: the number of
the log entry written just before, and the first hex digits of that entry's hash. Anyone can
later run ``breakglass audit verify --anchor COUNT:HEAD`` against the installation: a rolled
back, cut, rewritten, re-keyed or deleted log no longer matches and the command says which.

The text holds no secret and no share material: labels, fingerprints, names, a time and the
anchor only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["ANCHOR_HEX", "Announcement"]

#: Hex digits of the head hash in an announced anchor (``audit verify`` accepts 16 to 64).
ANCHOR_HEX = 20

_TITLES = {
    "reconstruction": "BREAK-GLASS USE",
    "split": "BREAK-GLASS SET MADE",
    "retirement": "BREAK-GLASS SET RETIRED",
    "reset": "BREAK-GLASS AUDIT CHAIN RESET",
    "override": "BREAK-GLASS AUDIT TRAIL OVERRIDDEN",
}


@dataclass(frozen=True)
class Announcement:
    kind: str  # reconstruction, split, retirement, reset, override
    when: dt.datetime
    count: int  # entry number the anchor names
    head: str  # full hex hash of that entry's line
    label: str = ""
    set_fp: str = ""
    incident: str = ""
    operator: str = ""
    witnesses: Sequence[str] = field(default_factory=tuple)
    details: Sequence[tuple[str, str]] = field(default_factory=tuple)
    ceremony: int | None = None

    @property
    def anchor(self) -> str:
        """``COUNT:HEAD`` exactly as ``breakglass audit verify --anchor`` takes it."""
        return f"{self.count}:{self.head[:ANCHOR_HEX]}"

    @property
    def title(self) -> str:
        return _TITLES.get(self.kind, "BREAK-GLASS")

    def lines(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        if self.label:
            rows.append(("Credential", self.label))
        if self.set_fp:
            rows.append(("Set", self.set_fp))
        if self.incident:
            rows.append(("Incident", self.incident))
        if self.operator:
            rows.append(("Operator", self.operator))
        if self.kind == "reconstruction" or self.witnesses:
            rows.append(("Witnesses", ", ".join(self.witnesses) or "none"))
        rows.extend(self.details)
        when = self.when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        rows.append(("Time", when))
        rows.append(("Audit anchor", self.anchor))
        return rows

    def text(self) -> str:
        """The message to post, as plain text (also the QR code's content)."""
        body = [self.title]
        body += [f"{k}: {v}" for k, v in self.lines()]
        body.append(f"Check: breakglass audit verify --anchor {self.anchor}")
        return "\n".join(body)

    def __str__(self) -> str:
        return self.text()
