"""Remote share envelopes: a share encrypted to a ceremony's one-time age key.

A custodian who is not in the room sends their share to the operator's reconstruction as an
`age <https://age-encryption.org/v1>`_ file, ASCII-armored, encrypted to a one-time X25519
recipient (``age1…``) that exists only for that ceremony. Any standard age tool can make one
(``age -r age1… -a share-2.txt``), so a custodian without this app can still help; the envelope
can travel over any channel (chat, mail, a QR code photographed by a phone) because it is
worthless without the one-time identity, which never leaves the operator's machine and dies with
the ceremony.

The *safety code* is the last eight characters of the recipient string in two groups of four:
a custodian who only has ``age`` can read it off the recipient they were given and compare it
by voice with the operator before sending (a swapped recipient in a chat message is the attack
it stops).

The age implementation is `pyrage` (bindings to the Rust ``age`` crate); it takes and returns
immutable ``bytes``/``str``, so the identity and the decrypted share cannot be wiped in place by
us — see SECURITY.md for what is measured instead.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BreakglassError

if TYPE_CHECKING:
    from pyrage.x25519 import Identity, Recipient

__all__ = [
    "ARMOR_HEADER",
    "EnvelopeError",
    "EnvelopeNotForThisKey",
    "OneTimeKey",
    "destroy_identity_file",
    "is_envelope",
    "safety_code",
    "seal_share",
]

ARMOR_HEADER = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_FOOTER = "-----END AGE ENCRYPTED FILE-----"
_RECIPIENT_PREFIX = "age1"
_IDENTITY_PREFIX = "AGE-SECRET-KEY-1"
#: A share file is a few hundred bytes; anything far larger is not a share envelope.
MAX_ENVELOPE_CHARS = 64 * 1024


class EnvelopeError(BreakglassError):
    """An envelope could not be opened; the message names it and says what to do."""


class EnvelopeNotForThisKey(EnvelopeError):
    """The envelope was encrypted to another recipient (another ceremony's one-time key)."""


def is_envelope(text: str) -> bool:
    """True when ``text`` is an ASCII-armored age file (by its armor header)."""
    return text.lstrip().startswith(ARMOR_HEADER)


def safety_code(recipient: str) -> str:
    """The last 8 characters of an ``age1…`` recipient, in two groups of four ("abcd efgh")."""
    r = recipient.strip()
    if not r.startswith(_RECIPIENT_PREFIX) or len(r) < len(_RECIPIENT_PREFIX) + 8:
        # never echo what was given: it may be a share pasted in the wrong place
        raise EnvelopeError(
            f"the text given ({len(r)} characters) is not an age recipient: the operator's "
            "key starts with 'age1' and is 62 characters long"
        )
    tail = r[-8:]
    return f"{tail[:4]} {tail[4:]}"


def _recipient(text: str) -> Recipient:
    import pyrage  # noqa: PLC0415 - only the remote commands load it

    r = text.strip()
    try:
        return pyrage.x25519.Recipient.from_str(r)
    except (pyrage.RecipientError, ValueError) as exc:
        raise EnvelopeError(
            f"the text given ({len(r)} characters) is not a valid age X25519 recipient: "
            "copy the whole 'age1…' line the operator shows"
        ) from exc


def seal_share(share_text: str, recipient: str) -> str:
    """The share's text encrypted to ``recipient``, ASCII-armored (what ``age -a`` makes)."""
    import pyrage  # noqa: PLC0415

    rec = _recipient(recipient)
    data = share_text.encode("utf-8")
    try:
        out = pyrage.encrypt(data, [rec], armored=True)
    except pyrage.EncryptError as exc:  # pragma: no cover - a valid recipient always works
        raise EnvelopeError(f"could not encrypt the share: {exc}") from exc
    return str(out.decode("ascii"))  # pyrage 1.4 ships no type stubs


@dataclass
class OneTimeKey:
    """A ceremony's one-time age identity. ``forget()`` drops our reference to it."""

    _identity: Identity | None
    recipient: str
    created: dt.datetime

    @classmethod
    def generate(cls, now: dt.datetime | None = None) -> OneTimeKey:
        import pyrage  # noqa: PLC0415

        ident = pyrage.x25519.Identity.generate()
        return cls(ident, str(ident.to_public()), now or dt.datetime.now(dt.UTC))

    @classmethod
    def from_identity_file(cls, path: Path) -> OneTimeKey:
        """Read a standard age identity file (``age-keygen`` format)."""
        import pyrage  # noqa: PLC0415

        try:
            text = path.read_text(encoding="ascii")
        except (UnicodeDecodeError, ValueError) as exc:
            raise EnvelopeError(f"{path}: not an age identity file") from exc
        keys = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(_IDENTITY_PREFIX)]
        if len(keys) != 1:
            raise EnvelopeError(
                f"{path}: not an age identity file (expected one AGE-SECRET-KEY-1… line); "
                "make one with 'breakglass remote-key --out FILE'"
            )
        try:
            ident = pyrage.x25519.Identity.from_str(keys[0])
        except (pyrage.IdentityError, ValueError) as exc:
            raise EnvelopeError(f"{path}: the AGE-SECRET-KEY line is damaged") from exc
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return cls(ident, str(ident.to_public()), mtime)

    @property
    def safety_code(self) -> str:
        return safety_code(self.recipient)

    def identity_file_text(self) -> str:
        """The identity in age-keygen's file format (what ``age -d -i FILE`` reads)."""
        if self._identity is None:
            raise EnvelopeError("this ceremony's one-time key is gone")
        stamp = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"# created: {stamp}\n# public key: {self.recipient}\n"
            f"# Breakglass one-time key: dies with the ceremony\n{self._identity}\n"
        )

    def write_identity_file(self, path: Path) -> None:
        """Write the identity file: a new file only (never over an existing path), mode 0600."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
        try:
            os.write(fd, self.identity_file_text().encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def open(self, armored: str, source: str) -> str:
        """The share text inside an envelope; ``source`` names it in every refusal."""
        import pyrage  # noqa: PLC0415

        if self._identity is None:
            raise EnvelopeError(f"{source}: this ceremony's one-time key is gone")
        text = armored.strip()
        if len(text) > MAX_ENVELOPE_CHARS:
            raise EnvelopeError(f"{source}: far too large to be a share envelope")
        if not is_envelope(text) or ARMOR_FOOTER not in text:
            raise EnvelopeError(
                f"{source}: not a whole age envelope (it must run from '{ARMOR_HEADER}' to "
                f"'{ARMOR_FOOTER}')"
            )
        try:
            plain = pyrage.decrypt(text.encode("ascii", "replace"), [self._identity])
        except pyrage.DecryptError as exc:
            if "no matching keys" in str(exc).lower():
                raise EnvelopeNotForThisKey(
                    f"{source}: was not encrypted to this ceremony's one-time key "
                    f"({self.recipient[:12]}…, safety code {self.safety_code}); it may come "
                    "from another ceremony, whose one-time key differs, or was sent to a "
                    "mistyped recipient. Ask the custodian to send it again to the recipient "
                    "shown now."
                ) from exc
            raise EnvelopeError(
                f"{source}: the envelope is damaged or was altered on the way (age refused "
                "it); ask the custodian to send it again"
            ) from exc
        try:
            return str(plain.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise EnvelopeError(f"{source}: the envelope does not hold a share's text") from exc

    def forget(self) -> None:
        """Drop this object's reference to the identity (the library's copy is immutable)."""
        self._identity = None


def destroy_identity_file(path: Path) -> bool:
    """Overwrite an identity file with zeros, flush it, unlink it. False if it was not there.

    On SSDs and copy-on-write file systems an overwrite does not reach the old blocks; the
    identity is worthless after its ceremony anyway (it only opens envelopes made for it).
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise EnvelopeError(f"{path}: not a regular file; left alone")
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.write(fd, b"\0" * st.st_size)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    return True
