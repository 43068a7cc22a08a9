"""The ceremony rules of one installation, kept in its data directory (``ceremony.json``).

One set of rules for every front end: the GUI and the CLI both build their
:class:`~breakglass_gui.ceremony.reconstruct_flow.ReconstructConfig` from :func:`load_rules`.
What can be set (``breakglass settings set KEY VALUE``):

* ``incident-pattern``: the form of an incident reference, a regular expression matched in
  full (default ``INC-\\d+``). Never shown to the person at the keyboard: they see
* ``incident-example``: an incident reference of that form (default ``INC-4821``), which must
  match the pattern;
* ``triggers``: the runbook's trigger conditions (one value per condition);
* ``reveal-seconds``, ``clipboard-seconds``, ``hold-seconds``: how long a credential is shown,
  stays on the clipboard, and is held before it is wiped;
* ``require-witness``: ``yes`` to refuse a real use with no witness named.

A missing file means the defaults. A file that cannot be read or used is an error naming the
file and the way out; nothing falls back silently to other rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.platform.files import write_private_replace

from .reconstruct_flow import (
    DEFAULT_INCIDENT_EXAMPLE,
    DEFAULT_INCIDENT_PATTERN,
    DEFAULT_TRIGGERS,
    ReconstructConfig,
)

__all__ = [
    "KEYS",
    "RULES_FILE",
    "CeremonyRules",
    "RulesError",
    "load_rules",
    "rules_path",
    "save_rules",
]

RULES_FILE = "ceremony.json"

#: Every key, with what it is (for ``settings show`` and error messages).
KEYS: dict[str, str] = {
    "incident-pattern": "the form of an incident reference (a regular expression matched in "
    "full; set it with an example: PATTERN EXAMPLE)",
    "incident-example": "an incident reference of that form, shown instead of the pattern",
    "triggers": "the trigger conditions of the runbook (one value each)",
    "reveal-seconds": "how long the credential is shown",
    "clipboard-seconds": "how long a copied credential stays on the clipboard",
    "hold-seconds": "how long a reconstructed credential is held before it is wiped",
    "require-witness": "yes: a real use needs at least one witness",
}

_LIMITS = {
    "reveal-seconds": (5.0, 600.0),
    "clipboard-seconds": (5.0, 300.0),
    "hold-seconds": (30.0, 3600.0),
}


class RulesError(BreakglassError):
    """A ceremony setting that cannot be used (the message names the file or the key)."""


@dataclass(frozen=True)
class CeremonyRules:
    incident_pattern: str = DEFAULT_INCIDENT_PATTERN
    incident_example: str = DEFAULT_INCIDENT_EXAMPLE
    triggers: tuple[str, ...] = DEFAULT_TRIGGERS
    reveal_seconds: float = 60.0
    clipboard_seconds: float = 30.0
    hold_seconds: float = 300.0
    require_witness: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        try:
            compiled = re.compile(self.incident_pattern)
        except re.error as exc:
            raise RulesError(
                f"incident-pattern {self.incident_pattern!r} is not a valid pattern ({exc})"
            ) from None
        if not self.incident_pattern or len(self.incident_pattern) > 200:
            raise RulesError("incident-pattern must be 1 to 200 characters")
        if not compiled.fullmatch(self.incident_example):
            raise RulesError(
                f"incident-example {self.incident_example!r} does not match incident-pattern "
                f"{self.incident_pattern!r}: set an example of the expected form"
            )
        if not self.triggers or any(not t.strip() for t in self.triggers):
            raise RulesError("triggers: give at least one trigger condition, none empty")
        if any(len(t) > 300 for t in self.triggers):
            raise RulesError("triggers: each condition is at most 300 characters")
        for key, (low, high) in _LIMITS.items():
            value = getattr(self, key.replace("-", "_"))
            if not low <= value <= high:
                raise RulesError(f"{key} must be from {low:g} to {high:g} seconds, not {value:g}")

    # -- uses -------------------------------------------------------------------------------
    def config(self) -> ReconstructConfig:
        """The reconstruction flow's configuration (GUI and CLI alike)."""
        return ReconstructConfig(
            incident_pattern=self.incident_pattern,
            incident_example=self.incident_example,
            triggers=self.triggers,
            reveal_seconds=self.reveal_seconds,
            clipboard_seconds=self.clipboard_seconds,
            hold_seconds=self.hold_seconds,
            require_witness=self.require_witness,
        )

    def trigger_matching(self, text: str) -> str | None:
        """The configured trigger ``text`` names: its number (1-based), its exact words, or a
        unique case-insensitive start of them; None if none or several."""
        t = " ".join(text.split()).casefold()
        if t.isdigit() and 1 <= int(t) <= len(self.triggers):
            return self.triggers[int(t) - 1]
        exact = [x for x in self.triggers if " ".join(x.split()).casefold() == t]
        if exact:
            return exact[0]
        starts = [x for x in self.triggers if t and x.casefold().startswith(t)]
        return starts[0] if len(starts) == 1 else None

    # -- the settings form --------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {
            "incident-pattern": self.incident_pattern,
            "incident-example": self.incident_example,
            "triggers": list(self.triggers),
            "reveal-seconds": self.reveal_seconds,
            "clipboard-seconds": self.clipboard_seconds,
            "hold-seconds": self.hold_seconds,
            "require-witness": self.require_witness,
        }

    @classmethod
    def from_values(cls, data: Mapping[str, Any]) -> CeremonyRules:
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise RulesError(f"unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
        rules = cls()
        for key, value in data.items():
            rules = rules._with(key, value)
        rules.validate()
        return rules

    def with_setting(self, key: str, values: Sequence[str]) -> CeremonyRules:
        """A copy with ``key`` set from command-line words (checked as a whole)."""
        if key not in KEYS:
            raise RulesError(f"unknown setting {key!r} (known: {', '.join(KEYS)})")
        if key == "incident-pattern" and len(values) == 2:
            # the pattern and an example of it, changed together
            both = self._with(key, values[0])._with("incident-example", values[1])
            both.validate()
            return both
        if key == "triggers":
            parsed: Any = [v.strip() for v in values]
        else:
            if len(values) != 1:
                raise RulesError(f"{key} takes one value")
            parsed = values[0]
        out = self._with(key, parsed)
        try:
            out.validate()
        except RulesError as exc:
            if key == "incident-pattern" and "incident-example" in str(exc):
                raise RulesError(
                    f"{exc} (give the pattern and an example together: "
                    "settings set incident-pattern PATTERN EXAMPLE)"
                ) from None
            raise
        return out

    def _with(self, key: str, value: Any) -> CeremonyRules:
        attr = key.replace("-", "_")
        if key in ("incident-pattern", "incident-example"):
            if not isinstance(value, str):
                raise RulesError(f"{key} must be text")
            return _replace(self, **{attr: value.strip()})
        if key == "triggers":
            if isinstance(value, str) or not isinstance(value, list | tuple):
                raise RulesError("triggers must be a list of texts")
            if not all(isinstance(v, str) for v in value):
                raise RulesError("triggers must be a list of texts")
            return _replace(self, triggers=tuple(" ".join(v.split()) for v in value))
        if key == "require-witness":
            if isinstance(value, bool):
                return _replace(self, require_witness=value)
            word = str(value).strip().casefold()
            if word not in ("yes", "no", "true", "false"):
                raise RulesError("require-witness is yes or no")
            return _replace(self, require_witness=word in ("yes", "true"))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RulesError(f"{key} must be a number of seconds, not {value!r}") from None
        if isinstance(value, bool) or number != number:  # noqa: PLR0124 - NaN
            raise RulesError(f"{key} must be a number of seconds")
        return _replace(self, **{attr: number})


def _replace(rules: CeremonyRules, **changes: Any) -> CeremonyRules:
    # skip validation while a file's keys are applied one at a time
    obj = object.__new__(CeremonyRules)
    for name, value in {**rules.__dict__, **changes}.items():
        object.__setattr__(obj, name, value)
    return obj


def rules_path(home: Path) -> Path:
    return Path(home) / RULES_FILE


def load_rules(home: Path | None) -> CeremonyRules:
    """The rules in ``home`` (the defaults when it has none, or when ``home`` is None)."""
    if home is None:
        return CeremonyRules()
    path = rules_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CeremonyRules()
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(
            f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc}); fix its "
            "permissions, or move it away to use the default rules"
        ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise RulesError(
            f"{path}: not valid JSON; fix it, or move it away to use the default rules"
        ) from None
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a JSON object; fix it or move it away")
    try:
        return CeremonyRules.from_values(data)
    except RulesError as exc:
        raise RulesError(f"{path}: {exc}") from None


def save_rules(home: Path, rules: CeremonyRules) -> Path:
    """Write the rules that differ from the defaults (mode 0600, atomically)."""
    rules.validate()
    defaults = CeremonyRules().values()
    data = {k: v for k, v in rules.values().items() if v != defaults[k]}
    path = rules_path(home)
    write_private_replace(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())
    return path
