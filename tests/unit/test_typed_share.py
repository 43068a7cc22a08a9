"""Typed shares read the way people type them from the sheet (ceremony/typed_share.py)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from breakglass_gui.ceremony.typed_share import (
    complete_word,
    parse_share_text,
    read_typed,
    word_typed_at,
)
from breakglass_gui.core.codec import chunk_checks, normalise
from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import Share, parse_transcription
from tests.drawn import share_whose_words_begin_with
from tests.unit.test_cli_core import CLI


@pytest.fixture(scope="module")
def share() -> Share:
    sset = split_credential(
        b"correct horse battery staple, and then some more",
        policy=Policy.simple(2, 3),
        label="db-root",
        custodians=[Custodian("Ana Ruiz", "on-call"), Custodian("Bo", "security")],
        created=dt.date(2024, 5, 1),
    )
    return sset.shares[0]


@pytest.fixture(scope="module")
def sheet_pdf(share: Share, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf

    path = tmp_path_factory.mktemp("sheet") / "sheet.pdf"
    # the sheet without its recovery appendix: a custodian types the transcription pages
    path.write_bytes(share_sheet_pdf(share, SheetOptions(appendix=False)))
    return path


def _same(text: str, share: Share) -> None:
    got = read_typed(text)
    assert got.issues == [] and got.complete, (got.summary(), got.issues[:3])
    assert parse_transcription(got.canonical()).to_bytes() == share.to_bytes()


def _pdfium_text(pdf: bytes) -> str:
    """A PDF's text layer as pdfium (a PDF viewer's engine) gives it, page after page."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def _data_lines(share: Share) -> list[str]:
    return [line.render() for line in share.transcription_lines()]


def test_the_transcription_as_the_core_prints_it(share: Share) -> None:
    _same(share.transcription(), share)


def test_words_then_data_lines_without_any_heading(share: Share) -> None:
    """What the old box refused: the words, then the data lines, no DATA line in between."""
    _same(" ".join(share.words) + "\n" + "\n".join(_data_lines(share)), share)


def test_any_spacing_case_numbering_and_first_four_letters(share: Share) -> None:
    words = [w[:4].upper() if i % 3 == 0 else w.capitalize() for i, w in enumerate(share.words)]
    numbered = "   ".join(f"{i + 1}.  {w}" for i, w in enumerate(words))
    data = [
        f"  {ln.number}:{ln.chars.lower()}  {ln.check.lower()}  "
        for ln in share.transcription_lines()
    ]
    got = read_typed(numbered + "\n\n" + "\n".join(data))
    shortened = sum(1 for i, w in enumerate(share.words) if i % 3 == 0 and len(w) > 4)
    assert got.complete and got.completions == shortened > 0
    assert parse_transcription(got.canonical()).to_bytes() == share.to_bytes()


def test_a_numbered_word_that_passes_as_a_data_line_is_a_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without headings, "1. paid" is word 1, though "paid" read as data line 01 (characters
    "PA", check characters "1D") passes its check: a numbered word passes some data line's
    check once in 1024 tries, so about 1 random share in 30 could not be typed with numbered
    words (test_any_spacing_case_numbering_and_first_four_letters failed that often)."""
    assert chunk_checks(1, normalise("pa")) == normalise("id")  # the collision itself
    share = share_whose_words_begin_with("paid", monkeypatch)
    data = "\n".join(_data_lines(share))
    dotted = "   ".join(f"{i + 1}.  {w}" for i, w in enumerate(share.words))
    printed = "\n".join(
        "  ".join(f"{i + 1:2d} {w}" for i, w in enumerate(share.words[r : r + 6], start=r))
        for r in range(0, len(share.words), 6)
    )
    for words in (dotted, printed):
        _same(words + "\n" + data, share)
    # the data lines typed first, without leading zeros, then the words: still read right
    plain = "\n".join(f"{ln.number} {ln.chars} {ln.check}" for ln in share.transcription_lines())
    _same(plain + "\n" + dotted, share)
    # more such words, typed first or after data lines: "10 chemical 11" is data line 10 with
    # 8 characters "CHEM1CA1" and check "11"; "23 acid 24 kind" is "AC1D24K1" with "ND"
    lines = {ln.number: ln.chars for ln in share.transcription_lines()}
    for typed, n, word in (
        ("14. ajar   15. academic", 14, "ajar"),
        ("31 angel 32 academic", 31, "angel"),
        ("10 chemical 11 academic", 10, "chemical"),
        ("12 terminal 13 academic", 12, "terminal"),
        ("23 acid 24 kind", 23, "acid"),
    ):
        assert read_typed(typed).words[n - 1] == word, typed
        got = read_typed(plain + "\n" + typed)
        assert got.lines == lines and got.words[n - 1] == word and not got.issues, typed


def test_data_lines_in_rows_of_three_as_a_text_copy_runs_them(share: Share) -> None:
    lines = _data_lines(share)
    per = -(-len(lines) // 3)
    rows = [
        "      ".join(lines[c * per + r] for c in range(3) if c * per + r < len(lines))
        for r in range(per)
    ]
    _same("WORDS\n" + " ".join(share.words) + "\nDATA\n" + "\n".join(rows), share)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_text_layer_of_the_real_sheet_pdftotext_layout(share: Share, sheet_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(sheet_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "HAND TRANSCRIPTION" in text and "DATA (" in text  # headings and rows included
    _same(text, share)


def test_the_text_layer_of_the_real_sheet_pdfium(share: Share, sheet_pdf: Path) -> None:
    _same(_pdfium_text(sheet_pdf.read_bytes()), share)


def test_a_mistyped_character_names_its_line_and_is_fixed_in_place(share: Share) -> None:
    text = share.transcription()
    line = share.transcription_lines()[6].render()  # data line 07
    bad = line[:5] + ("X" if line[5] != "X" else "Y") + line[6:]
    got = read_typed(text.replace(line, bad))
    assert not got.complete
    assert [i.message for i in got.issues] == [
        "data line 07: the check characters do not match: a character on it is mistyped"
    ]
    row = text.split("\n").index(line)
    assert got.issues[0].row == row
    _same(text.replace(line, bad).replace(bad, line), share)


def test_a_swap_of_two_characters_is_caught_too(share: Share) -> None:
    ln = share.transcription_lines()[2]
    chars = ln.chars
    i = next(k for k in range(len(chars) - 1) if chars[k] != chars[k + 1])
    swapped = chars[:i] + chars[i + 1] + chars[i] + chars[i + 2 :]
    got = read_typed(f"{ln.number:02d} {swapped} {ln.check}")
    assert got.issues and "data line 03" in got.issues[0].message


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        ("07  XG6T 7YS3  2Q", 7),  # AG6T7YS3 2Q mistyped: "XG6T7Y" + "S3" passes as line 07
        ("07  X7B0 25XV  KA", 7),  # V7B025XV KA mistyped: "X7" + "B0" passes as line 07
        ("03 K99SYGF3 1E", 3),  # a swap in one group: "K99SYG" + "F3" passes as line 03
        ("22  DATA DBPT  9P", 22),  # "DATA" begins a word: not "word 22, database"
    ],
)
def test_a_mistyped_line_that_passes_as_a_shorter_line_is_named(typed: str, line: int) -> None:
    """A mistyped line's first groups pass as a shorter line once in 1024 tries; its groups up
    to the row's end are one line, so the mistake is named on it (the parser took the shorter
    line and called the check characters a stray token, or word 1: about 1 mistyped line in
    200, and these tests failed that often)."""
    assert [i.message for i in read_typed(typed).issues] == [
        f"data line {line:02d}: the check characters do not match: a character on it is mistyped"
    ]
    # in rows of three the next line's number still ends it
    row = typed + "   " + "09  0444 2VK1  " + chunk_checks(9, "04442VK1")
    got = read_typed(row)
    assert len(got.issues) == 1 and f"data line {line:02d}" in got.issues[0].message
    assert got.lines == {9: "04442VK1"}


def test_check_characters_of_digits_before_a_three_digit_line_number() -> None:
    """pdftotext's layout of a long sheet runs three columns of lines into one row; a line's
    check characters may be digits ("34") and the next line's number has three ("142")."""
    row = "30 5XSM 5SE5 YD         86 408G 002F 34                         142      77N1 QG3X  SJ"
    got = read_typed("DATA\n" + row + "\n197 K3 V8")
    assert not got.issues, got.issues
    assert got.lines == {30: "5XSM5SE5", 86: "408G002F", 142: "77N1QG3X", 197: "K3"}
    # a line with more after it on its row: still that line (the check characters are digits
    # and "Keep" could be a line's group)
    assert read_typed("DATA\n86 408G 002F 34  Keep").lines == {86: "408G002F"}
    # the next line short on the same row (the share's last)
    got = read_typed("DATA\n" + "86 408G 002F 34   197 K3 V8")
    assert not got.issues and got.lines == {86: "408G002F", 197: "K3"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_text_layer_of_a_long_sheet_pdftotext_layout_and_pdfium() -> None:
    """A 900-byte credential: about 200 data lines over three pages, line numbers past 99, a
    page header and the custodian's name between the pages' lines."""

    from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf

    share = split_credential(
        bytes(range(256)) * 3 + bytes(132),
        policy=Policy.simple(2, 3),
        label="prod database root",
        custodians=[Custodian("Bo", "lead")],
        created=dt.date(2024, 5, 1),
    ).shares[0]
    assert len(share.transcription_lines()) > 150
    pdf = share_sheet_pdf(share, SheetOptions(appendix=False))
    layout = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "142 " in layout and "DATA (continued)" in layout
    _same(layout, share)
    _same(_pdfium_text(pdf), share)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize(
    ("name", "role"), [("Security", ""), ("Lily", "security"), ("", "legal"), ("Finance", "hand")]
)
def test_a_long_sheets_text_layer_when_the_custodian_is_named_in_slip39_words(
    name: str, role: str
) -> None:
    """Each continuation page's head carries the custodian's name and role next to "hand
    transcription, continued"; a department custodian ("Security") is a SLIP-39 word, and
    "hand" is one too. The head is not the share: the sheet still reads, both text layers."""

    from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf

    share = split_credential(
        bytes(range(200)) * 2,
        policy=Policy.simple(2, 3),
        label="db",
        custodians=[Custodian(name, role)],
        created=dt.date(2024, 5, 1),
    ).shares[0]
    pdf = share_sheet_pdf(share, SheetOptions(appendix=False))
    layout = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "hand transcription, continued" in layout  # more than one page
    _same(layout, share)
    _same(_pdfium_text(pdf), share)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_cli_reads_a_typed_file_by_the_same_rule_as_the_box(
    share: Share, sheet_pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every layout the app's typed-share box takes, `breakglass verify FILE` takes too (one
    rule: ceremony.typed_share.parse_share_text); a mistyped line is still refused."""
    from breakglass_gui.cli.main import main

    lines = _data_lines(share)
    per = -(-len(lines) // 3)
    three_to_a_row = "\n".join(
        "      ".join(lines[c * per + r] for c in range(3) if c * per + r < len(lines))
        for r in range(per)
    )
    words = " ".join(share.words)
    layouts = {
        "no-headings": words + "\n" + "\n".join(lines),
        "first-4-letters": "WORDS\n" + " ".join(w[:4] for w in share.words) + "\nDATA\n"
        + "\n".join(lines),
        "three-to-a-row": "WORDS\n" + words + "\nDATA\n" + three_to_a_row,
        "sheet-text-layer": subprocess.run(
            ["pdftotext", "-layout", str(sheet_pdf), "-"], capture_output=True, text=True,
            check=True,
        ).stdout,
        "data-lines-heading": "Words:\n" + words + "\nData lines:\n" + "\n".join(lines),
    }  # fmt: skip
    home = ["--home", str(tmp_path / "home")]
    fp = ["--fingerprint", share.fingerprint_text]  # the set printed on the sheet
    for name, text in layouts.items():
        assert read_typed(text).complete, name  # the box takes it
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        assert main([*home, "verify", *fp, str(path)]) == 0, (name, capsys.readouterr().out)
        said = capsys.readouterr().out
        assert "BAD" not in said and f"share {share.number}" in said.lower(), (name, said)
    good = lines[2]
    bad = good[:5] + ("X" if good[5] != "X" else "Y") + good[6:]
    path = tmp_path / "mistyped.txt"
    path.write_text(words + "\n" + "\n".join([*lines[:2], bad, *lines[3:]]))
    assert main([*home, "verify", *fp, str(path)]) != 0
    assert "BAD" in capsys.readouterr().out


def test_a_wrong_word_is_named_by_its_number(share: Share) -> None:
    words = list(share.words)
    words[4] = "zzzzz"
    got = read_typed(" ".join(words) + "\n" + "\n".join(_data_lines(share)))
    assert [i.message for i in got.issues] == ["word 5: 'zzzzz' is not a SLIP-39 word"]
    typo = list(share.words)
    typo[7] = typo[7][:4] + "qq"
    got = read_typed(" ".join(typo))
    assert f"word 8: '{typo[7]}' is not a SLIP-39 word (did you mean '{share.words[7]}'?)" in [
        i.message for i in got.issues
    ]


def test_while_typing_the_word_under_the_cursor_is_not_called_wrong(share: Share) -> None:
    text = " ".join(share.words[:5]) + " " + share.words[5][:2]
    assert read_typed(text, cursor=len(text)).issues == []
    assert read_typed(text).issues  # left like that, it is wrong


def test_missing_lines_and_words_are_counted(share: Share) -> None:
    lines = _data_lines(share)
    got = read_typed(" ".join(share.words[:30]) + f"\nDATA ({len(lines)} lines)\n" + lines[0])
    assert got.words_found == 30 and not got.complete
    assert got.missing_lines()[0] == 2 and got.expected_lines == len(lines)
    assert "words 30 of 33" in got.summary() and f"data lines 1 of {len(lines)}" in got.summary()


def test_complete_word() -> None:
    assert complete_word("acad") == "academic"
    assert complete_word("ACADEM") == "academic"
    assert complete_word("aca") is None  # fewer than 4 letters
    assert complete_word("acadx") is None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("acad", "academic"),
        ("acid acne acad", "academic"),
        ("12 acad", "academic"),
        ("1. ELSE   2. Type   3. acad", "academic"),
        ("WORDS\n1 acad", "academic"),
        ("07 ACAD", None),  # a data line's number as printed
        ("45 ACAD", None),  # past the 33 words
        ("DATA\n12 ACAD", None),
        ("07 K7P2 ACAD", None),  # a data line's second group
        ("01 K7P2 9XQ4 7C   15 ACAD", None),  # the next line on the row of another
        ("academic acid\n01 K7P2 9XQ4 7C\n12 ACAD", None),  # data lines were typed before
        ("WORDS\nacid acne\nDATA", None),  # the heading typed, not "database"
        ("acid data", "database"),
    ],
)
def test_a_word_is_completed_only_where_a_word_goes(text: str, word: str | None) -> None:
    """The box completes "acad " into "academic " where a word goes, never a data line's group
    of 4 letters (about 1 group in 3,000 is a SLIP-39 word's first 4 letters)."""
    assert word_typed_at(text, len(text) - 4, len(text)) == word


def test_data_alone_on_a_row_is_database_while_words_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One word to a row by its first 4 letters: "data" is "database" when another word (or
    a heading) follows it, and the DATA heading when data lines follow it."""
    from breakglass_gui.ceremony.typed_share import _heading

    share = share_whose_words_begin_with("database", monkeypatch)
    rows = "\n".join(w[:4] for w in share.words)
    data = "\n".join(_data_lines(share))
    for text in (rows + "\n" + data, "WORDS\n" + rows + "\nDATA\n" + data):
        _same(text, share)
    _same("words\n" + rows + "\ndata\n" + data, share)  # the headings in lower case too
    # "data" as the last word, then the heading; and the heading before data lines
    assert _heading(["data", "DATA", "01 ABCD EFGH 12"], 0) is None
    assert _heading(["data", "DATA", "01 ABCD EFGH 12"], 1) == "DATA"
    assert _heading(["DATA (2 lines)", "acid"], 0) == "DATA"  # more than "data": a heading


def test_a_data_line_missing_its_last_character_is_named_even_when_its_check_passes() -> None:
    """A line's last character '0' adds nothing to its check characters: typed without it,
    the line still passes its check. Every line but the last has 8 characters, so the
    missing one is named on its line (it was refused later as 'altered or damaged')."""
    for _ in range(200):  # a line ending in '0' turns up in about half of these shares
        share = split_credential(
            secrets.token_bytes(90), policy=Policy.simple(2, 3), label="db", prove=False
        ).shares[0]
        lines = share.transcription_lines()
        hit = next((ln for ln in lines[:-1] if ln.chars.endswith("0")), None)
        if hit is not None:
            break
    assert hit is not None
    assert chunk_checks(hit.number, hit.chars[:-1]) == hit.check  # the check cannot see it
    short = f"{hit.number:02d} {hit.chars[:-1]} {hit.check}"
    text = (
        " ".join(share.words)
        + "\n"
        + "\n".join(short if ln.number == hit.number else ln.render() for ln in lines)
    )
    got = read_typed(text)
    assert not got.complete
    assert [i.message for i in got.issues] == [
        f"data line {hit.number:02d}: has 7 data characters; every line but the last has 8: "
        "a character is missing"
    ]
    # the last line is short by design: the share typed right reads
    _same(" ".join(share.words) + "\n" + "\n".join(ln.render() for ln in lines), share)


def test_a_words_heading_without_a_data_heading(share: Share) -> None:
    """The WORDS heading typed, the DATA heading forgotten: once the 33 words are there, the
    numbered rows after them are the data lines (they were read as numbered words)."""
    _same("WORDS\n" + " ".join(share.words) + "\n" + "\n".join(_data_lines(share)), share)
    numbered = "\n".join(f"{i}. {w}" for i, w in enumerate(share.words, 1))
    _same("Words:\n" + numbered + "\n" + "\n".join(_data_lines(share)), share)
    # a word missing: the numbered rows are not taken for data lines, the gap is named
    short = "WORDS\n" + " ".join(share.words[:-1]) + "\n" + "\n".join(_data_lines(share))
    assert not read_typed(short).complete


def test_the_box_completes_words_by_the_readers_headings(share: Share) -> None:
    """The box's completion reads headings as read_typed does: after a WORDS heading and all
    33 words, "07 ACAD" is a data line's group (not "academic"); a bare "data" followed by a
    word is "database", so the word after it still completes."""
    words = "WORDS\n" + " ".join(share.words) + "\n"
    text = words + "07 ACAD"
    assert word_typed_at(text, len(text) - 4, len(text)) is None
    text = "WORDS\n" + " ".join(share.words[:5]) + "\n07 ACAD"  # word 7 of a numbered list
    assert word_typed_at(text, len(text) - 4, len(text)) == "academic"
    text = "WORDS\nacid\ndata\nacad"
    assert word_typed_at(text, len(text) - 4, len(text)) == "academic"
    text = "WORDS\nacid\nDATA\n07 ACAD"
    assert word_typed_at(text, len(text) - 4, len(text)) is None


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_a_sheet_read_column_by_column_is_refused_with_what_to_do(
    share: Share, sheet_pdf: Path, tmp_path: Path
) -> None:
    """Plain pdftotext (as some PDF readers copy) reads the sheet's columns one after another:
    line numbers, data and checks apart. It cannot be put back together, so it is refused, and
    the message says how to copy it instead, at every door (the CLI's verify too)."""
    plain = subprocess.run(
        ["pdftotext", str(sheet_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    with pytest.raises(ShareError, match=r"columns read one after another.*pdftotext -layout"):
        parse_share_text(plain)
    (tmp_path / "copied.txt").write_text(plain)
    r = subprocess.run(
        [*CLI, "verify", str(tmp_path / "copied.txt")],
        capture_output=True,
        text=True,
        env=dict(os.environ, BREAKGLASS_HOME=str(tmp_path / "home")),
        timeout=60,
        check=False,
    )
    assert r.returncode != 0 and "pdftotext -layout" in r.stdout + r.stderr, r
    # a typed share with a mistake is not told about columns
    typed = share.transcription().replace(share.words[5], "notaword", 1)
    with pytest.raises(ShareError) as refused:
        parse_share_text(typed)
    assert "columns" not in str(refused.value)
