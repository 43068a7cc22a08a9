"""Subcommands of this area (filled in by its issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add this area's subcommands to ``sub`` (an argparse subparsers object)."""
    _ = (sub, argparse)
