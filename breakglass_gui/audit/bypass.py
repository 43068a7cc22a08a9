"""The bypass rate of a credential and the one rule that calls it rising.

Kept apart from the trail (no crypto, no registry) so that the main window's rows, the trail's
``attention()`` and ``breakglass report`` all read the same few lines.

The figure: real uses of a credential (incidents under which a reconstruction recovered it,
retries under one incident reference being one use; never drills, never attempts that were
refused or aborted) in the last ``WINDOW_DAYS`` days against the
``WINDOW_DAYS`` days before. The last window includes its far edge: a use exactly 90 days
ago is one of the last 90 days; the window before runs from 180 days ago (included) up to 90
days ago (not included), so no use is counted twice.

The rule (:func:`is_rising`): the rate is flagged when the last window has at least
``ROUTINE_MIN_USES`` (2) real uses and more than the window before. One use after a quiet
quarter is what break-glass is for; a second one, more than before, is the question the
practice asks ("is break-glass becoming routine?").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROUTINE_MIN_USES", "RULE_WORDS", "WINDOW_DAYS", "BypassRate", "is_rising"]

WINDOW_DAYS = 90
ROUTINE_MIN_USES = 2
RULE_WORDS = (
    f"flagged when the last {WINDOW_DAYS} days have at least {ROUTINE_MIN_USES} real uses "
    f"and more than the {WINDOW_DAYS} days before"
)


def is_rising(current: int, previous: int) -> bool:
    """True when ``current`` real uses (last window) against ``previous`` (the one before)
    say break-glass may be becoming routine: at least two, and more than before."""
    return current >= ROUTINE_MIN_USES and current > previous


@dataclass(frozen=True)
class BypassRate:
    credential_id: int
    current: int
    previous: int
    days: int = WINDOW_DAYS

    def text(self) -> str:
        return f"{self.current} / {self.days} d, was {self.previous} / {self.days} d"

    def words(self) -> str:
        """Real uses in the last window against the one before, flagged when rising."""
        uses = "use" if self.current == 1 else "uses"
        text = f"{self.current} {uses} / {self.days} d, was {self.previous}"
        if self.rising:
            text += ": is break-glass becoming routine? see follow-ups"
        return text

    @property
    def rising(self) -> bool:
        return is_rising(self.current, self.previous)
