"""The installation's Ed25519 signing key for the audit log.

The private key lives in ``<home>/keys/audit-signing.key`` (PKCS#8 PEM, mode 0600, created
with that mode). The public key is exported as PEM (``audit-signing.pub``) and as one line of
text for the runbook (``ed25519:<base64>``), so the log can be checked on another machine.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.platform.dirs import ensure_private_dir

__all__ = [
    "KeyError_",
    "PublicKey",
    "SigningKey",
    "load_public_key",
]

PRIVATE_NAME = "audit-signing.key"
PUBLIC_NAME = "audit-signing.pub"
TEXT_PREFIX = "ed25519:"


class KeyError_(BreakglassError):
    """A key file that is missing, unreadable, too open, or not an Ed25519 key."""


class PublicKey:
    """An Ed25519 public key that verifies audit entries."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self.raw: bytes = key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def text(self) -> str:
        """One line for the runbook: ``ed25519:<base64 of the 32 raw bytes>``."""
        return TEXT_PREFIX + base64.b64encode(self.raw).decode()

    def pem(self) -> str:
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def fingerprint(self) -> str:
        """Short id people can compare: ``SHA256:1a2b-3c4d-5e6f-7a8b``."""
        h = hashlib.sha256(self.raw).hexdigest()[:16]
        return "SHA256:" + "-".join(h[i : i + 4] for i in range(0, 16, 4))

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """This installation's private key. Never leaves its file except to sign."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public = PublicKey(key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"<SigningKey {self.public.fingerprint()}>"

    @classmethod
    def unsaved(cls) -> SigningKey:
        """A key that exists only in memory (stands in for a missing key; signs nothing kept)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> SigningKey:
        ensure_private_dir(keys_dir)
        path = keys_dir / PRIVATE_NAME
        if path.exists():
            return cls.load(path)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole to a private temporary file, then linked into place: a process killed
        # mid-write never leaves a half-written key where the next run would find it.
        tmp = keys_dir / f".{PRIVATE_NAME}.{os.getpid()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(tmp, flags, stat.S_IRUSR | stat.S_IWUSR)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process made it first: use theirs
            tmp.unlink(missing_ok=True)
            return cls.load(path)
        tmp.unlink(missing_ok=True)
        signing = cls(key)
        (keys_dir / PUBLIC_NAME).write_text(signing.public.pem(), encoding="ascii")
        return signing

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyError_(
                f"{path}: the signing key is readable by others (mode {stat.S_IMODE(mode):o}); "
                "run chmod 600 on it"
            )
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as exc:
            raise KeyError_(f"{path}: not a readable private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyError_(f"{path}: not an Ed25519 key")
        return cls(key)


def load_public_key(source: str) -> PublicKey:
    """A public key from its one-line text (``ed25519:...``), PEM text, or a file holding one."""
    text = source.strip()
    if not text.startswith((TEXT_PREFIX, "-----BEGIN")):
        path = Path(text)
        if not path.is_file():
            raise KeyError_(f"{source}: neither a public key nor a file holding one")
        text = path.read_text(encoding="ascii", errors="replace").strip()
    if text.startswith(TEXT_PREFIX):
        try:
            raw = base64.b64decode(text[len(TEXT_PREFIX) :], validate=True)
            return PublicKey(Ed25519PublicKey.from_public_bytes(raw))
        except ValueError as exc:
            raise KeyError_("not a valid ed25519: public key text") from exc
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError as exc:
        raise KeyError_("not a readable public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyError_("not an Ed25519 public key")
    return PublicKey(key)
