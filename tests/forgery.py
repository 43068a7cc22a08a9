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
    packed = [s.packed_words for s in good[:-1]] + [other[len(good) - 1].packed_words]
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
