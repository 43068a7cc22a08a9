"""Where Breakglass keeps its data: one directory per user.

Precedence: the ``--home`` option, then ``$BREAKGLASS_HOME``, then the per-user data directory
of the platform (``platformdirs``: ``~/.local/share/breakglass`` on Linux). The directory is
created owner-only (0700): it holds the registry, the audit log and the installation's
signing key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "HOME_ENV", "default_home", "ensure_private_dir", "resolve_home"]

APP_NAME = "breakglass"
HOME_ENV = "BREAKGLASS_HOME"


def default_home() -> Path:
    """The platform's per-user data directory for Breakglass (not created)."""
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
    """Create ``path`` (and parents) if needed; a directory we create is owner-only (0700)."""
    if path.exists():
        if not path.is_dir():
            raise NotADirectoryError(f"{path} exists and is not a directory")
        return path
    path.mkdir(parents=True, exist_ok=True, mode=stat.S_IRWXU)
    os.chmod(path, stat.S_IRWXU)
    return path
