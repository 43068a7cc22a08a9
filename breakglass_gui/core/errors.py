"""Typed errors of the share format. Messages name shares, never their content."""

from __future__ import annotations

__all__ = [
    "AmbiguousSetError",
    "BreakglassError",
    "CorruptShareError",
    "DuplicateShareError",
    "FingerprintError",
    "ForgedShareError",
    "InconsistentSetError",
    "InsufficientSharesError",
    "MalformedShareError",
    "PolicyError",
    "RecoveryError",
    "ShareError",
    "UnsupportedFormatError",
    "WrongSetError",
]


class BreakglassError(Exception):
    """Base of every error this package raises on purpose."""


class PolicyError(BreakglassError, ValueError):
    """A quorum policy that cannot be built (e.g. 4-of-3)."""


class FingerprintError(BreakglassError, ValueError):
    """Text that is neither a printed set fingerprint nor a full set digest."""


class ShareError(BreakglassError):
    """A problem with one share. ``share`` names it ("share 2 of 5, Ana (on-call)")."""

    def __init__(self, message: str, share: str | None = None) -> None:
        self.share = share
        self.reason = message
        super().__init__(f"{share}: {message}" if share else message)


class MalformedShareError(ShareError):
    """The text is not a share at all, or is cut short, or has the wrong structure."""


class UnsupportedFormatError(MalformedShareError):
    """A share of a format this reader knows of but does not read (the pre-release "BG1")."""


class CorruptShareError(ShareError):
    """The share is structurally fine but a checksum or the set fingerprint does not match."""


class ForgedShareError(ShareError):
    """The share claims a set it is not a genuine member of."""


class WrongSetError(ShareError):
    """The share belongs to a different set than the others presented."""


class DuplicateShareError(ShareError):
    """The same share (or an identical copy for the same slot) was presented twice."""


class InsufficientSharesError(BreakglassError):
    """Fewer good shares than the quorum needs. ``needed`` says what is missing."""

    def __init__(self, message: str, needed: str = "") -> None:
        self.needed = needed
        super().__init__(message)


class RecoveryError(BreakglassError):
    """A quorum was present but did not open the sealed credential."""


class InconsistentSetError(RecoveryError):
    """Shares that each pass their own checks but recover a key the set's seal does not commit
    to, or (at split time) a share that does not lie on its sharing polynomial: the set is
    inconsistent, which is the fault of whoever made it. ``shares`` names the shares used."""

    def __init__(self, message: str, shares: tuple[str, ...] = ()) -> None:
        self.shares = shares
        super().__init__(message)


class AmbiguousSetError(RecoveryError):
    """Shares of two different sets carry the same printed fingerprint (a collision made on
    purpose): the set must be named by its full set digest."""
