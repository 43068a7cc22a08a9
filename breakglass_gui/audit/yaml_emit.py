"""A tiny YAML emitter for review records (block style; no PyYAML dependency).

Handles what a review record holds: mappings, lists, text, numbers, booleans and null.
Text that could be misread (reserved words, numbers, dates, ``:`` or ``#``, leading
indicators, non-printing characters) is written double-quoted with JSON escapes, which
YAML's double-quoted style accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump"]

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _.,/@()+'-]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _KEY.fullmatch(key) and key.lower() not in _RESERVED else json.dumps(key)


def _emit(head: str, value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            out.append(f"{pad}{head} {{}}")
            return
        out.append(f"{pad}{head}")
        for k, v in value.items():
            _emit(f"{_key(str(k))}:", v, indent + 2, out)
        return
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if not value:
            out.append(f"{pad}{head} []")
            return
        out.append(f"{pad}{head}")
        for item in value:
            if isinstance(item, Mapping) or (
                isinstance(item, Sequence) and not isinstance(item, str | bytes)
            ):
                raise TypeError("lists of collections are not supported")
            out.append(f"{pad}  - {scalar(item)}")
        return
    out.append(f"{pad}{head} {scalar(value)}")


def dump(data: Mapping[str, Any], comment: str | None = None) -> str:
    """``data`` as a YAML document (block style), optionally under a ``# comment`` line."""
    out: list[str] = []
    if comment:
        out += [f"# {line}" for line in comment.splitlines()]
    for k, v in data.items():
        _emit(f"{_key(str(k))}:", v, 0, out)
    return "\n".join(out) + "\n"
