"""Where Breakglass keeps its data: one directory per user.

Precedence: the ``--home`` option, then ``$BREAKGLASS_HOME``, then the per-user data directory
of the platform (``platformdirs``: ``~/.local/share/breakglass`` on Linux). The directory is
created owner-only (0700): it holds the registry, the audit log and the installation's
signing key.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

__all__ = [
    "APP_NAME",
    "HOME_ENV",
    "default_home",
    "ensure_private_dir",
    "make_private",
    "resolve_home",
]

APP_NAME = "breakglass"
HOME_ENV = "BREAKGLASS_HOME"


def default_home() -> Path:
    """The platform's per-user data directory for Breakglass (not created).

    On Linux, in the usual case, the XDG rule is applied here (``$XDG_DATA_HOME`` when it is an
    absolute path, else ``$HOME/.local/share``), which is what ``platformdirs`` answers there (a
    test holds them equal): importing ``platformdirs`` (it pulls in ``tempfile`` and ``random``)
    cost more than a whole ``breakglass verify``'s own work. Other platforms, and a Linux
    environment without an absolute ``$HOME``, ask ``platformdirs``.
    """
    if sys.platform.startswith("linux"):
        data = os.environ.get("XDG_DATA_HOME", "")
        if os.path.isabs(data):
            return Path(data) / APP_NAME
        home = os.environ.get("HOME", "")
        if os.path.isabs(home):
            return Path(home) / ".local" / "share" / APP_NAME
    import platformdirs  # noqa: PLC0415 - only where the rule above does not apply

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use: ``override``, else ``$BREAKGLASS_HOME``, else the default."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return default_home()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed, owner-only (0700); an existing data directory
    is made private too (see :func:`make_private`), whatever the umask or ``--home``."""
    if path.exists():
        if not path.is_dir():
            raise NotADirectoryError(f"{path} exists and is not a directory")
        make_private(path)
        return path
    path.mkdir(parents=True, exist_ok=True, mode=stat.S_IRWXU)
    os.chmod(path, stat.S_IRWXU)
    return path


def make_private(home: Path, depth: int = 2) -> None:
    """Folders 0700 and files 0600 under the data directory ``home`` (``depth`` levels): the
    registry with its -wal/-shm files, the log, the keys, the settings. Only what belongs to
    this user is touched, never through a symlink; an entry that cannot be changed is left
    (the command that needs it says so)."""
    uid = os.getuid() if hasattr(os, "getuid") else None

    def fix(p: Path, want: int, st: os.stat_result) -> None:
        if (uid is None or st.st_uid == uid) and stat.S_IMODE(st.st_mode) != want:
            with contextlib.suppress(OSError):
                os.chmod(p, want)

    try:
        fix(home, stat.S_IRWXU, home.lstat())
        entries = list(os.scandir(home))
    except OSError:
        return
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        p = Path(entry.path)
        if stat.S_ISDIR(st.st_mode):
            fix(p, stat.S_IRWXU, st)
            if depth > 1:
                make_private(p, depth - 1)
        elif stat.S_ISREG(st.st_mode):
            fix(p, stat.S_IRUSR | stat.S_IWUSR, st)
