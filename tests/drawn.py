"""Random draws forced to a chosen value, for tests of what a rare random share looks like."""

from __future__ import annotations

import pytest

from breakglass_gui.core import slip39
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from breakglass_gui.core.share import Share


def share_whose_words_begin_with(word: str, monkeypatch: pytest.MonkeyPatch) -> Share:
    """A real 2-of-3 share whose first SLIP-39 word is ``word``: the set identifier's top 10
    bits pick the first word, so the split is given that identifier instead of a random one."""
    real = slip39.secrets.token_bytes
    identifier = (slip39.wordlist().index(word) << 5).to_bytes(2, "big")

    class _Secrets:
        @staticmethod
        def token_bytes(n: int) -> bytes:
            return identifier if n == 2 else real(n)

    monkeypatch.setattr(slip39, "secrets", _Secrets)
    share = split_credential(b"k" * 32, policy=Policy.simple(2, 3), label="db").shares[0]
    monkeypatch.undo()
    assert share.words[0] == word
    return share
