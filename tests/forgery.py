"""Test doubles for tampered sets, shared by the core and ceremony tests."""

from __future__ import annotations

from breakglass_gui.core.share import (
    Share,
    digest_of,
    leaf_hash,
    leaf_input,
    merkle_path,
    merkle_root,
)


def forge_last_share(good: tuple[Share, ...], other: tuple[Share, ...]) -> tuple[Share, ...]:
    """The set ``good`` with its last share's SLIP-39 words taken from ``other`` (a split of the
    same policy under another key), and a Merkle tree and set digest built over that.

    This is what a tampered set creation looks like: every share passes its own checks, but
    the last one does not combine with the others.
    """
    return forge_share(good, other, len(good) - 1)


def forge_share(good: tuple[Share, ...], other: tuple[Share, ...], index: int) -> tuple[Share, ...]:
    """The set ``good`` with share ``index`` (0-based) carrying ``other``'s words at that
    position, the Merkle tree and set digest rebuilt: every share passes its own checks."""
    packed = [s.packed_words for s in good]
    packed[index] = other[index].packed_words
    header = good[0].header
    leaves = [
        leaf_hash(leaf_input(k + 1, s.custodian, s.role, packed[k])) for k, s in enumerate(good)
    ]
    digest = digest_of(header, good[0].sealed, merkle_root(leaves))
    return tuple(
        Share(
            digest,
            k + 1,
            s.custodian,
            s.role,
            header,
            tuple(merkle_path(leaves, k)),
            good[0].sealed,
            packed[k],
        )
        for k, s in enumerate(good)
    )
