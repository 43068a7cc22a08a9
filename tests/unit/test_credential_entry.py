"""A typed credential is entered twice; every credential gets an honest strength figure.

The rules live in ``ceremony.split_flow`` (confirmation, warnings) and ``core.strength``
(the figure); the GUI and the CLI only call them.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.split_flow import (
    ALPHABETS,
    SplitCeremony,
    SplitPorts,
    confirmation_problem,
)
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.strength import WEAK_BITS, estimate, generated


class NoPaper:
    """These tests never reach the paper: any rendering is a failure."""

    def share_sheet(self, *a: object) -> bytes:
        raise AssertionError("nothing is printed here")

    ceremony_record = runbook = share_sheet


TYPED = b"Winter-Lisbon-Tram-28!"


def _ceremony() -> SplitCeremony:
    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    c = SplitCeremony(SplitPorts.in_memory(NoPaper(), clock, host="Dee"))
    c.set_details("prod-db root")
    return c


# -- entered twice ---------------------------------------------------------------------------


def test_a_typed_credential_needs_its_second_entry_before_the_next_step() -> None:
    c = _ceremony()
    c.set_secret(SecretBytes(TYPED), typed=True)
    assert any("a second time" in p for p in c.wizard.problems())
    assert not c.wizard.can_go_next()
    again = SecretBytes(TYPED)
    assert c.confirm_typed_secret(again) is None
    assert again.is_wiped  # the second entry is not kept
    assert c.state["credential_seen"] == "typed twice by the host"  # logged at Finish
    assert c.wizard.problems() == []
    c.wizard.next()
    assert c.wizard.current == "policy"


def test_a_mismatch_is_refused_both_are_dropped_and_nothing_is_echoed() -> None:
    c = _ceremony()
    first = SecretBytes(TYPED)
    problems = c.set_typed_secret(first, SecretBytes(b"Winter-Lisbon-Tram-29!"))
    assert problems == [
        "The two entries differ: both have 22 characters, but not the same ones. Type both again."
    ]
    assert first.is_wiped and c.secret_length == 0  # which one was meant is unknown
    assert not c.wizard.can_go_next()
    for text in (TYPED, b"Winter", b"28", b"29"):
        assert text.decode() not in problems[0]
    assert c.set_typed_secret(SecretBytes(TYPED), SecretBytes(TYPED)) == []
    assert c.secret_length == len(TYPED)
    assert c.wizard.problems() == []


def test_a_missing_second_entry_keeps_the_first() -> None:
    c = _ceremony()
    problems = c.set_typed_secret(SecretBytes(TYPED), None)
    assert problems == [
        "The second entry is missing: type the credential a second time to confirm it."
    ]
    assert c.secret_length == len(TYPED)  # only the confirmation is missing
    assert c.confirm_typed_secret(SecretBytes(TYPED)) is None
    assert c.wizard.problems() == []


@pytest.mark.parametrize(
    ("first", "again", "says"),
    [
        (TYPED, TYPED.swapcase(), "only in upper and lower case: is Caps Lock on?"),
        (TYPED, TYPED + b" ", "only in spaces or line breaks at the start or the end"),
        (TYPED, b"\t" + TYPED + b"\n", "only in spaces or line breaks"),
        (TYPED, TYPED[:-1], "the first has 22 characters, the second 21"),
        ("пароль-один".encode(), "пароль-два".encode(), "has 11 characters, the second 10"),
        (TYPED, b"", "a second time"),
        (b"", TYPED, "The first entry is empty"),
        (b"", b"", "Type the credential, then type it a second time"),
    ],
)
def test_each_mismatch_names_what_is_wrong(first: bytes, again: bytes, says: str) -> None:
    problem = confirmation_problem(first, again)
    assert problem is not None and says in problem
    for part in (first, again):
        for i in range(0, max(len(part) - 3, 0)):
            assert part[i : i + 4].decode(errors="ignore") not in problem or not part[i : i + 4]


def test_an_exact_match_is_no_problem() -> None:
    assert confirmation_problem(TYPED, bytearray(TYPED)) is None
    assert confirmation_problem("пароль".encode(), "пароль".encode()) is None


def test_a_loaded_or_generated_credential_is_not_asked_twice() -> None:
    c = _ceremony()
    c.set_secret(SecretBytes(TYPED))  # a file or a pipe: exact bytes, taken as given
    assert c.wizard.problems() == []
    c.generate(24, "hexadecimal")
    assert c.wizard.problems() == []


# -- the strength figure ---------------------------------------------------------------------


def test_a_generated_credential_has_an_exact_figure() -> None:
    c = _ceremony()
    strength = c.generate(32, "letters and digits")
    assert strength.exact
    assert strength.bits == pytest.approx(32 * math.log2(62))
    assert strength.describe().startswith("Strength: 190 bits, exact")
    assert c.strength == strength
    assert c.credential_warnings() == []
    assert c._secret_review() == (
        "32 bytes (hidden); strength: 190 bits, exact (every character drawn at random) — strong"
    )
    hexa = c.generate(8, "hexadecimal")  # short but exact: 32 bits, called very weak
    assert hexa.bits == 32 and hexa.rating == "very weak"
    assert len(ALPHABETS["unambiguous (no 0/O, 1/l/I)"]) == 57
    assert c.generate(20, "unambiguous (no 0/O, 1/l/I)").bits == pytest.approx(20 * math.log2(57))


@pytest.mark.parametrize(
    "weak",
    [
        b"password",
        b"P@ssw0rd",
        b"qwertyuiop",
        b"Summer2024!",
        b"aaaaaaaaaaaaaaaaaaaaaaaa",
        b"abcabcabcabcabcabc",
        b"prod-db-root-1987",
        b"1234567890123456",
        b"CorrectHorse",
        b"a" * 1024,  # long is not strong: a run of one letter
        b"ab" * 512,
        b"Summer2024!" * 20,
    ],
)
def test_guessable_typed_credentials_are_estimated_weak_and_warned(weak: bytes) -> None:
    strength = estimate(weak)
    assert not strength.exact and strength.bits < WEAK_BITS, strength
    assert strength.bits < len(weak) * math.log2(95)  # never the naive figure
    c = _ceremony()
    c.set_typed_secret(SecretBytes(weak), SecretBytes(weak))
    (warning,) = c.credential_warnings()
    assert "(an estimate)" in warning and "generate a new one" in warning
    assert weak.decode() not in warning
    assert c.wizard.warnings() == [warning]
    assert c.wizard.can_go_next()  # a warning, not a block: the target may allow few tries


def test_a_random_typed_credential_is_estimated_strong_but_never_exact() -> None:
    strength = estimate(b"x7#Kq9!mZ2$vLp4@Rt8&wN")
    assert strength.rating == "strong" and not strength.exact
    assert "an estimate" in strength.describe()
    # the estimate never exceeds what the character classes allow
    assert strength.bits <= 22 * math.log2(95)


def test_the_estimate_is_conservative_on_words_and_counts_characters_not_bytes() -> None:
    phrase = estimate(b"correct horse battery staple")
    # four words of a ~32,000-word vocabulary (15 bits each) and their separators, not
    # 28 random characters (133 bits)
    assert phrase.bits <= 4 * 15 + 8
    assert "word-like letters" in phrase.found
    cyrillic = estimate("пароль".encode())  # 6 characters, 12 bytes
    assert cyrillic.bits <= 6 * math.log2(100) + 1


def test_the_estimate_leaves_no_working_copy() -> None:
    # the lower-cased and de-l33ted copies are wiped; the caller's buffer is unchanged
    secret = SecretBytes(b"Tr0ub4dor&3")
    estimate(secret)
    assert bytes(secret) == b"Tr0ub4dor&3"


def test_generated_figure_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        generated(8, 0)
