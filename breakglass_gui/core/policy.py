"""Quorum policies: plain M-of-N, and two-level group policies built on SLIP-39 groups."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PolicyError

__all__ = ["MAX_GROUPS", "MAX_MEMBERS", "MAX_TOTAL_SHARES", "GroupPolicy", "Policy"]

MAX_GROUPS = 16
MAX_MEMBERS = 16
MAX_TOTAL_SHARES = 64
MAX_GROUP_NAME_BYTES = 32


@dataclass(frozen=True)
class GroupPolicy:
    """``threshold`` of ``count`` custodians of one group (e.g. "any 2 of on-call")."""

    name: str
    threshold: int
    count: int


@dataclass(frozen=True)
class Policy:
    """Which custodians together reach the credential.

    A plain policy is one group with no name: ``Policy.simple(2, 3)`` is "any 2 of these 3
    shares". A group policy needs ``group_threshold`` groups, each satisfied by its own
    member threshold: "any 1 of leadership AND any 2 of on-call".
    """

    group_threshold: int
    groups: tuple[GroupPolicy, ...]

    @classmethod
    def simple(cls, threshold: int, count: int) -> Policy:
        policy = cls(1, (GroupPolicy("", threshold, count),))
        policy.validate()
        return policy

    @classmethod
    def grouped(cls, group_threshold: int, groups: list[tuple[str, int, int]]) -> Policy:
        policy = cls(group_threshold, tuple(GroupPolicy(n, m, c) for n, m, c in groups))
        policy.validate()
        return policy

    @property
    def is_simple(self) -> bool:
        return len(self.groups) == 1

    @property
    def total_shares(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def threshold(self) -> int:
        """For a plain policy, M. For a group policy, the fewest shares that can reach it."""
        needs = sorted(g.threshold for g in self.groups)
        return sum(needs[: self.group_threshold])

    def validate(self) -> None:
        if not 1 <= len(self.groups) <= MAX_GROUPS:
            raise PolicyError(f"a policy has 1 to {MAX_GROUPS} groups, not {len(self.groups)}")
        if not 1 <= self.group_threshold <= len(self.groups):
            raise PolicyError(
                f"the group threshold must be between 1 and {len(self.groups)}, "
                f"not {self.group_threshold}"
            )
        if self.is_simple:
            g = self.groups[0]
            if self.group_threshold != 1:
                raise PolicyError("a single-group policy has group threshold 1")
            if not 2 <= g.threshold <= g.count <= MAX_MEMBERS:
                raise PolicyError(
                    f"a quorum must be M of N with 2 <= M <= N <= {MAX_MEMBERS}, "
                    f"not {g.threshold} of {g.count}"
                )
            return
        names = [g.name for g in self.groups]
        for g in self.groups:
            if not g.name.strip():
                raise PolicyError("every group of a group policy needs a name")
            if len(g.name.encode()) > MAX_GROUP_NAME_BYTES:
                raise PolicyError(
                    f"group name {g.name!r} is longer than {MAX_GROUP_NAME_BYTES} bytes"
                )
            if not 1 <= g.threshold <= g.count <= MAX_MEMBERS:
                raise PolicyError(
                    f"group {g.name!r}: its quorum must be M of N with 1 <= M <= N <= "
                    f"{MAX_MEMBERS}, not {g.threshold} of {g.count}"
                )
        if len(set(names)) != len(names):
            raise PolicyError("two groups have the same name")
        if self.total_shares > MAX_TOTAL_SHARES:
            raise PolicyError(
                f"at most {MAX_TOTAL_SHARES} shares in one set, not {self.total_shares}"
            )
        if self.threshold < 2:
            raise PolicyError("no single share may reach the credential: raise a threshold")

    # -- numbering -----------------------------------------------------------------------
    def locate(self, number: int) -> tuple[int, int]:
        """Share number k (1-based, across all groups) -> (group index, position in group)."""
        if not 1 <= number <= self.total_shares:
            raise PolicyError(f"share number {number} is outside 1..{self.total_shares}")
        k = number - 1
        for gi, g in enumerate(self.groups):
            if k < g.count:
                return gi, k
            k -= g.count
        raise AssertionError("unreachable")  # pragma: no cover

    def number_of(self, group_index: int, position: int) -> int:
        return sum(g.count for g in self.groups[:group_index]) + position + 1

    # -- words -----------------------------------------------------------------------------
    def describe(self) -> str:
        """The quorum rule in plain words, as printed on every sheet."""
        if self.is_simple:
            g = self.groups[0]
            return f"any {g.threshold} of these {g.count} shares"
        parts = [_group_words(g) for g in self.groups]
        if self.group_threshold == len(self.groups):
            return " AND ".join(parts)
        return f"any {self.group_threshold} of these {len(self.groups)} groups: " + "; ".join(parts)

    def short(self) -> str:
        """Compact form: "2-of-3" or "2 groups of 3 (1/2, 2/3, 1/1)"."""
        if self.is_simple:
            g = self.groups[0]
            return f"{g.threshold}-of-{g.count}"
        inner = ", ".join(f"{g.name} {g.threshold}/{g.count}" for g in self.groups)
        return f"{self.group_threshold} of {len(self.groups)} groups ({inner})"

    # -- wire --------------------------------------------------------------------------------
    def encode(self) -> bytes:
        out = bytearray([((self.group_threshold - 1) << 4) | (len(self.groups) - 1)])
        for g in self.groups:
            out.append(((g.threshold - 1) << 4) | (g.count - 1))
        if not self.is_simple:
            for g in self.groups:
                name = g.name.encode()
                out.append(len(name))
                out += name
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> tuple[Policy, int]:
        """Read a policy at ``offset``; return it and the offset after it."""
        try:
            gt = (data[offset] >> 4) + 1
            gc = (data[offset] & 0x0F) + 1
            offset += 1
            shapes = []
            for _ in range(gc):
                b = data[offset]
                shapes.append(((b >> 4) + 1, (b & 0x0F) + 1))
                offset += 1
            names = [""] * gc
            if gc > 1:
                for i in range(gc):
                    n = data[offset]
                    names[i] = data[offset + 1 : offset + 1 + n].decode()
                    if len(names[i].encode()) != n:
                        raise ValueError("short")
                    offset += 1 + n
        except (IndexError, UnicodeDecodeError, ValueError) as exc:
            raise PolicyError("the policy field is cut short or not UTF-8") from exc
        policy = cls(gt, tuple(GroupPolicy(names[i], m, c) for i, (m, c) in enumerate(shapes)))
        policy.validate()
        return policy, offset


def _group_words(g: GroupPolicy) -> str:
    noun = "share" if g.count == 1 else "shares"
    if g.threshold == g.count == 1:
        return f"the {g.name} share"
    if g.threshold == g.count:
        return f"all {g.count} {g.name} {noun}"
    return f"any {g.threshold} of the {g.count} {g.name} {noun}"
