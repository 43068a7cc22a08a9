"""Suite-wide settings: offscreen Qt, and (for tests/unit) proof that nothing needs PySide6."""

from __future__ import annotations

import importlib.abc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BREAKGLASS_TESTING", "1")


class _BlockQt(importlib.abc.MetaPathFinder):
    """Makes PySide6 unimportable, as on a machine without it."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname.split(".", maxsplit=1)[0] in {"PySide6", "shiboken6"}:
            raise ImportError(f"{fullname} is blocked: the core must work without PySide6")


if os.environ.get("BREAKGLASS_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _BlockQt())
