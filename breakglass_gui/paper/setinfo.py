"""The public facts about a share set that the ceremony record and runbook print.

Built from a ``ShareSet`` at split time, or later from the ``set.json`` that ``split`` writes:
fingerprint, label, policy, custodians and their verification words. No share material and
no secret, so these documents can be filed, mailed and shown to auditors.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from breakglass_gui.core.errors import PolicyError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import ShareSet
from breakglass_gui.core.share import format_fingerprint, parse_fingerprint

__all__ = ["CustodianEntry", "SetInfo", "SetInfoError"]


class SetInfoError(ValueError):
    """set.json is missing, unreadable or not a Breakglass set description."""


def read_json_object(path: Path, error: type[ValueError], not_object: str) -> dict[str, object]:
    """Read a JSON object from a file; every failure is ``error`` with a one-line message."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not a JSON file ({exc})") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: {not_object}")
    return data


@dataclass(frozen=True)
class CustodianEntry:
    number: int
    custodian: str
    role: str
    group: str
    verification_words: tuple[str, ...]

    @property
    def holder(self) -> str:
        if self.custodian and self.role:
            return f"{self.custodian}, {self.role}"
        return self.custodian or self.role or "(not named)"


@dataclass(frozen=True)
class SetInfo:
    fingerprint_text: str
    label: str
    created: dt.date
    policy: Policy
    shares: tuple[CustodianEntry, ...]
    digest_text: str = ""  # the full set digest (the set's identity); "" for old set.json files

    @property
    def digest_lines(self) -> str:
        """The full set digest in two lines of eight groups (for print)."""
        return self.digest_text[:39] + "<br/>" + self.digest_text[40:]

    @classmethod
    def from_share_set(cls, share_set: ShareSet) -> SetInfo:
        return cls.from_metadata(share_set.public_metadata())

    @classmethod
    def load(cls, path: Path) -> SetInfo:
        data = read_json_object(path, SetInfoError, "not a Breakglass set.json")
        try:
            return cls.from_metadata(data)
        except SetInfoError as exc:
            raise SetInfoError(f"{path}: {exc}") from exc

    @classmethod
    def from_metadata(cls, meta: Mapping[str, object]) -> SetInfo:
        """Parse and check the ``public_metadata()`` / set.json mapping."""
        if meta.get("format") != "breakglass-set":
            raise SetInfoError("not a Breakglass set.json (no 'format': 'breakglass-set')")
        if meta.get("format_version") != 1:
            raise SetInfoError(f"set format version {meta.get('format_version')!r} is not 1")
        try:
            fp = format_fingerprint(parse_fingerprint(_str(meta, "fingerprint")))
            created = dt.date.fromisoformat(_str(meta, "created"))
        except ValueError as exc:
            raise SetInfoError(str(exc)) from exc
        policy = _policy(meta.get("policy"))
        raw_shares = meta.get("shares")
        if not isinstance(raw_shares, list) or len(raw_shares) != policy.total_shares:
            raise SetInfoError(f"'shares' must list the {policy.total_shares} shares of the set")
        entries = []
        for k, item in enumerate(raw_shares, start=1):
            if not isinstance(item, dict) or item.get("number") != k:
                raise SetInfoError(f"share entry {k} is malformed or out of order")
            words = item.get("verification_words")
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise SetInfoError(f"share {k}: 'verification_words' must be a list of words")
            gi, _ = policy.locate(k)
            entries.append(
                CustodianEntry(
                    k,
                    _str(item, "custodian"),
                    _str(item, "role"),
                    policy.groups[gi].name,
                    tuple(words),
                )
            )
        digest = ""
        raw = meta.get("set_digest")
        if raw is not None:
            try:
                full = parse_fingerprint(raw) if isinstance(raw, str) else b""
            except ValueError as exc:
                raise SetInfoError(str(exc)) from exc
            if len(full) != 32 or format_fingerprint(full[:8]) != fp:
                raise SetInfoError("'set_digest' is not the full digest of this set")
            digest = format_fingerprint(full)
        return cls(fp, _str(meta, "label"), created, policy, tuple(entries), digest)

    # -- derived -------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self.policy.total_shares

    def group_members(self) -> list[tuple[str, int, list[CustodianEntry]]]:
        """(group name, threshold, members) per group; one unnamed group for a plain policy."""
        out = []
        for gi, g in enumerate(self.policy.groups):
            members = [s for s in self.shares if self.policy.locate(s.number)[0] == gi]
            out.append((g.name, g.threshold, members))
        return out


def _str(meta: Mapping[str, object], key: str) -> str:
    value = meta.get(key, "")
    if not isinstance(value, str):
        raise SetInfoError(f"'{key}' must be text")
    return value


def _policy(raw: object) -> Policy:
    if not isinstance(raw, dict):
        raise SetInfoError("'policy' is missing")
    groups = raw.get("groups")
    gt = raw.get("group_threshold")
    if not isinstance(groups, list) or not groups or not isinstance(gt, int):
        raise SetInfoError("'policy' needs 'group_threshold' and 'groups'")
    shapes = []
    for g in groups:
        if not isinstance(g, dict):
            raise SetInfoError("a policy group is malformed")
        name, m, n = g.get("name", ""), g.get("threshold"), g.get("count")
        if not isinstance(name, str) or not isinstance(m, int) or not isinstance(n, int):
            raise SetInfoError("a policy group needs 'name', 'threshold' and 'count'")
        shapes.append((name, m, n))
    try:
        if len(shapes) == 1:
            return Policy.simple(shapes[0][1], shapes[0][2])
        return Policy.grouped(gt, shapes)
    except PolicyError as exc:
        raise SetInfoError(f"bad policy: {exc}") from exc
