"""A typed share, read the way a person types it from the sheet: the forgiving layer in front of
``core.share.parse_transcription``.

The sheet prints the 33 SLIP-39 words in numbered rows (`` 1 laundry   2 biology …``) and the
data lines as ``NN  XXXX XXXX  CC`` (number, up to 8 characters, 2 check characters), in columns
that a text copy may run together in rows (three numbered lines to a row). :func:`read_typed`
accepts all of it: any row layout, with or without the headings (``WORDS``, ``DATA``, ``HAND
TRANSCRIPTION``, the sheet's title line), any spacing or case, the words numbered or not, and a
word's first 4 letters (SLIP-39 words are unique in their first 4). Prose pasted along with it
(the sheet's instructions) is skipped.

It reports, line by line of what was typed, what is wrong (the word by its number, the data
line by its number: the check characters catch a mistyped character on the line where it
happens), and when everything is there gives the canonical transcription for the core parser,
which checks the whole share (its checksums, its set). Nothing here keeps or logs the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from breakglass_gui.core import slip39
from breakglass_gui.core.codec import CHARS_PER_LINE, DecodeError, chunk_checks, normalise
from breakglass_gui.core.errors import MalformedShareError, ShareError
from breakglass_gui.core.share import (
    PREFIX,
    RETIRED_PREFIXES,
    SECTION_HEADING,
    Share,
    SharePart,
    parse_any,
    parse_transcription,
)

__all__ = [
    "Issue",
    "TypedShare",
    "complete_word",
    "is_qr_text",
    "parse_share_text",
    "read_typed",
    "word_typed_at",
]

WORD_COUNT = slip39.WORD_COUNT
_WORDS = tuple(slip39.wordlist())
_WORD_SET = frozenset(_WORDS)
_BY_PREFIX = {w[:4]: w for w in _WORDS}
_TOKEN = re.compile(r"\S+")
_TITLE = re.compile(r"^\s*(BREAK-GLASS SHARE|HAND TRANSCRIPTION)\b", re.IGNORECASE)
# the sheet's last part, "Recovering without Breakglass" (steps and a script): not the share
_APPENDIX = re.compile(r"recovering without breakglass", re.IGNORECASE)
_HAND = re.compile(r"^\s*HAND TRANSCRIPTION\b", re.IGNORECASE)
_LINES_HEADING = re.compile(r"^\s*DATA\s*\(\s*([0-9]{1,4})\s+LINES?\s*\)", re.IGNORECASE)
_GLUED = re.compile(r"^([0-9]{1,4}[.:)])(\w+)$")
_B32 = re.compile(r"^[0-9A-Za-z]+$")


@dataclass(frozen=True)
class Issue:
    """Something wrong on line ``row`` (0-based) of what was typed, between ``start`` and
    ``end`` (character columns), in plain words."""

    row: int
    start: int
    end: int
    message: str


@dataclass
class TypedShare:
    """What was read from the typed text so far."""

    words: list[str | None] = field(default_factory=lambda: [None] * WORD_COUNT)
    lines: dict[int, str] = field(default_factory=dict)  # data line number -> its characters
    issues: list[Issue] = field(default_factory=list)
    expected_lines: int | None = None  # from the sheet's "DATA (N lines)", when typed
    completions: int = 0  # words given by their first letters
    columns_apart: bool = False  # a sheet's text layer read column by column (unusable)

    @property
    def words_found(self) -> int:
        return sum(1 for w in self.words if w is not None)

    def missing_lines(self) -> list[int]:
        top = max([*self.lines, self.expected_lines or 0], default=0)
        return [n for n in range(1, top + 1) if n not in self.lines]

    @property
    def complete(self) -> bool:
        return (
            not self.issues
            and self.words_found == WORD_COUNT
            and bool(self.lines)
            and not self.missing_lines()
        )

    def canonical(self) -> str:
        """The transcription in the form ``core.share.parse_transcription`` reads."""
        if not self.complete:
            raise ValueError("the typed share is not complete")
        words = " ".join(w for w in self.words if w is not None)
        data = [f"{n:02d} {c}{chunk_checks(n, c)}" for n, c in sorted(self.lines.items())]
        return "WORDS\n" + words + "\nDATA\n" + "\n".join(data) + "\n"

    def summary(self) -> str:
        """One plain sentence of where the typing stands."""
        if self.columns_apart and not self.complete:
            return COLUMNS_APART
        parts = [f"words {self.words_found} of {WORD_COUNT}"]
        total = self.expected_lines
        parts.append(
            f"data lines {len(self.lines)} of {total}" if total else f"data lines {len(self.lines)}"
        )
        missing = self.missing_lines()
        if missing and self.lines:
            shown = ", ".join(f"{n:02d}" for n in missing[:6])
            parts.append(f"missing line {shown}{' …' if len(missing) > 6 else ''}")
        gaps = [i + 1 for i, w in enumerate(self.words) if w is None]
        if gaps and self.words_found:
            parts.append(f"next word {gaps[0]}")
        return "; ".join(parts)


def parse_share_text(text: str) -> Share | SharePart:
    """A share (or one part) from any text a front end was given — a QR payload, a file, a
    typed or pasted transcription — by the one rule every door uses. The core parser reads
    the QR text and the canonical transcription; anything else it refuses is read as a
    person types it (:func:`read_typed`: the sheet's text layer, words numbered or not, first
    4 letters, data lines three to a row) and, when complete, parsed in its canonical form.
    What neither reads is refused with the core parser's reason."""
    try:
        return parse_any(text)
    except ShareError as refused:
        if is_qr_text(text):
            raise
        typed = read_typed(text)
        if typed.complete:
            try:
                return parse_transcription(typed.canonical())
            except ShareError:
                pass
        if typed.columns_apart:
            raise MalformedShareError(COLUMNS_APART, refused.share) from None
        raise refused from None


COLUMNS_APART = (
    "the words and DATA lines are out of order: this is a share sheet's text with its "
    "columns read one after another (line numbers, data and check characters apart), as some "
    "PDF readers copy them. Copy it with 'pdftotext -layout SHEET.pdf -', or type the words "
    "and the DATA lines as printed"
)
_BARE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")


def _columns_read_apart(text: str) -> bool:
    """A sheet's text layer read column by column: its heading, and data line numbers each
    alone on a line, away from their data."""
    lines = text.splitlines()
    return any(_HAND.match(line) for line in lines) and (
        sum(1 for line in lines if _BARE_NUMBER.match(line)) >= 3
    )


def is_qr_text(text: str) -> bool:
    """Whether ``text`` is a QR payload typed or pasted (it goes to the parser as it is)."""
    return text.strip()[:3].upper() in (PREFIX, *RETIRED_PREFIXES)


def looks_like_share(text: str) -> bool:
    """Whether ``text`` is share material — a share's QR payload, or three or more SLIP-39
    words — pasted or typed where it does not belong (e.g. where the operator's key goes)."""
    if is_qr_text(text):
        return True
    return sum(1 for w in text.lower().split() if w in _WORD_SET) >= 3


def complete_word(prefix: str) -> str | None:
    """The SLIP-39 word ``prefix`` stands for (4 letters or more, a prefix of one word)."""
    p = prefix.lower()
    if p in _WORD_SET:
        return p
    if len(p) < 4:
        return None
    word = _BY_PREFIX.get(p[:4])
    return word if word is not None and word.startswith(p) else None


def word_typed_at(text: str, start: int, end: int) -> str | None:
    """The SLIP-39 word that ``text[start:end]`` (a token being typed) stands for, when it is
    typed where a word goes; None where a data line goes. A data line's group of 4 letters is
    a word's first 4 letters once in about 3,000 groups ("ACAD" of "07 ACAD EMIC 7C"): the
    typed-share box must not complete it into "ACADEMIC"."""
    token = text[start:end]
    word = complete_word(token) if token.isalpha() and len(token) >= 4 else None
    if word is None:
        return None
    row_start = text.rfind("\n", 0, start) + 1
    before_row = text[:row_start]
    rows = text.split("\n")
    section = None
    for i in range(text.count("\n", 0, row_start)):  # the rows above (the same rule as read_typed)
        if (heading := _heading(rows, i)) is not None:
            section = heading
    if section == "DATA":
        return None
    toks = [t for _c, t in _tokens(text[row_start:start])]
    if not toks and token.upper() == "DATA":
        return None  # the DATA heading typed, not "database" (typed whole, or "datab")
    if not toks:
        return word  # the first thing on a row (a data line has a number)
    if section == "WORDS" and read_typed(before_row).words_found < WORD_COUNT:
        return word  # among the words (after all 33 of them, a numbered row is data)
    number = _line_number(toks[-1])
    if number is None:
        # after a word ("acid acne acad"), a word; after a data group ("07 K7P2 ACAD"), data
        return word if complete_word(toks[-1].strip(".,:;")) is not None else None
    if (
        len(toks) > 1
        and _line_number(toks[0]) is not None
        and _is_group(toks[1])
        and complete_word(toks[1].strip(".,:;")) is None
    ):
        return None  # a row that began with a data line: the next line on the same row
    if toks[-1].startswith("0") or not 1 <= number <= WORD_COUNT:
        return None  # "07 ACAD": a data line's number as printed, or past the 33 words
    # "12 acad" without headings: word 12 while it is empty and no data line was typed before
    so_far = read_typed(before_row)
    data_typed = so_far.lines or any(i.message.startswith("data line") for i in so_far.issues)
    return word if not data_typed and so_far.words[number - 1] is None else None


def _suggest(token: str) -> str:
    word = _BY_PREFIX.get(token.lower()[:4])
    return f" (did you mean '{word}'?)" if word else ""


def _line_number(token: str) -> int | None:
    t = token.rstrip(".:)")
    if not t.isascii() or not t.isdigit() or len(t) > 4:
        return None
    return int(t)


def _is_group(token: str) -> bool:
    return bool(_B32.match(token)) and len(token) <= CHARS_PER_LINE + 2


def _data_line(number: int, body: list[str]) -> tuple[str, str | None]:
    """(characters, problem) for data line ``number`` typed as ``body`` tokens."""
    text = "".join(body).replace("-", "")
    if len(text) < 3:
        return "", "too short: its data characters, then its 2 check characters"
    try:
        chars, check = normalise(text[:-2]), normalise(text[-2:])
    except DecodeError as exc:
        return "", f"{exc}"
    if len(chars) > CHARS_PER_LINE:
        return "", f"has {len(chars)} data characters, at most {CHARS_PER_LINE}"
    if chunk_checks(number, chars) != check:
        return chars, "the check characters do not match: a character on it is mistyped"
    return chars, None


def _valid(number: int, body: list[str]) -> bool:
    return _data_line(number, body)[1] is None


def _prose(tokens: list[str]) -> bool:
    """A line of instructions pasted with the share (not words, not data)."""
    if len(tokens) > 1 and _line_number(tokens[0]) is not None and _is_group(tokens[1]):
        return False  # a data line (or a numbered word)
    odd = 0
    for t in tokens:
        bare = t.strip(".,:;()")
        if bare.isalpha() and complete_word(bare) is None:
            odd += 1
    return odd >= 3


def _heading(rows: list[str], i: int) -> str | None:
    """``WORDS`` or ``DATA`` when row ``i`` is a section heading. A bare "data" is also the
    first 4 letters of the SLIP-39 word "database": typed one word to a row, it is that word
    when the next row holds another word or a heading (the DATA heading is followed by data
    lines)."""
    m = SECTION_HEADING.match(rows[i])
    if m is None:
        return None
    if rows[i].strip().lower() != "data":
        return m.group(1).upper()
    for row in rows[i + 1 :]:
        if not row.strip():
            continue
        if SECTION_HEADING.match(row):
            return None
        first = row.split()[0].strip(".,:;")
        if _line_number(first) is None and complete_word(first) is not None:
            return None
        break
    return "DATA"


def read_typed(text: str, *, cursor: int | None = None) -> TypedShare:
    """Read ``text`` as typed. ``cursor`` (a character offset) marks a word still being
    typed: it is not called wrong yet."""
    out = TypedShare(columns_apart=_columns_read_apart(text))
    rows = text.split("\n")
    # with headings, words only between WORDS and DATA, data only after DATA (so that the
    # sheet's other text, pasted along, is not read as a share)
    heads = [(i, h) for i in range(len(rows)) if (h := _heading(rows, i)) is not None]
    heading_rows = {i for i, _h in heads}
    # a whole sheet pasted: what comes before its transcription (name, rules, notes) is not it
    hand = [i for i, r in enumerate(rows) if _HAND.match(r)]
    words_heads = [j for j, h in heads if h == "WORDS"]
    first = hand[-1] if hand else words_heads[0] if words_heads else 0
    offset = 0
    sequential = 0  # unnumbered words fill the next free place
    in_page_head = False
    placed: dict[int, tuple[int, int, int, bool]] = {}  # line number -> (row, start, end, typing)
    for i, row in enumerate(rows):
        row_start, offset = offset, offset + len(row) + 1
        if i < first:
            continue
        if _APPENDIX.search(row):
            break
        if m := _LINES_HEADING.match(row):
            out.expected_lines = int(m.group(1))
        section = next((h for j, h in reversed(heads) if j < i), None)
        if i in heading_rows:
            in_page_head = False
            continue
        if _TITLE.match(row):
            # a continuation page's head (title, the holder's name and role, "hand
            # transcription, continued") runs to its "DATA (continued)": not the share, even
            # when the name is a SLIP-39 word ("Security", "Legal")
            in_page_head = section == "DATA"
            continue
        if in_page_head:
            continue
        toks = _tokens(row)
        if not toks or _prose([t for _s, t in toks]):
            continue
        k = 0
        while k < len(toks):
            col, tok = toks[k]
            here = row_start + col
            editing = cursor is not None and here <= cursor <= here + len(tok)
            number = _line_number(tok)
            nxt = toks[k + 1][1] if k + 1 < len(toks) else None
            # -- a data line: the number, then its groups (the check characters decide where
            #    a line ends when several share a row) ---------------------------------------
            words_done = out.words_found == WORD_COUNT  # a WORDS heading, no DATA heading
            if number is not None and nxt is not None and (section != "WORDS" or words_done):
                span = None
                for m_ in (3, 2, 1, 4):
                    body = [t for _c, t in toks[k + 1 : k + 1 + m_]]
                    shaped = len(body) == m_ and all(_is_group(t) for t in body)
                    # a line ends at the row's end, before the next line's number, or where the
                    # next group could not be more of it: a mistyped line's first groups pass
                    # as a shorter line once in 1024 tries, and its check characters were then
                    # called a stray token
                    after = k + 1 + m_
                    rest = toks[after][1] if after < len(toks) else None
                    ends = (
                        rest is None
                        or _line_number(rest) is not None
                        or not _is_group(rest)
                        or len("".join(body)) + len(rest) > CHARS_PER_LINE + 2
                    )
                    if shaped and ends and _valid(number, body):
                        span = m_
                        break
                # without headings, "13 chan" while word 13 is empty is that word, though a
                # word with its number (and the tokens after it: "13 chan 14 hazard") passes a
                # data line's check once in 1024 tries. The words come first on the sheet; a
                # data line has 8 characters but for the last, and no numbered word inside it
                if (
                    span is not None
                    and section is None
                    and 1 <= number <= WORD_COUNT
                    and not tok.startswith("0")
                    and out.words[number - 1] is None
                    and complete_word(nxt.strip(".,:;")) is not None
                ):
                    chars = _data_line(number, [t for _c, t in toks[k + 1 : k + 1 + span]])[0]
                    if (
                        not out.lines
                        or len(chars) < CHARS_PER_LINE
                        or any(_numbered_word_at(toks, j) for j in range(k + 2, k + 1 + span))
                    ):
                        span = None
                # "22 DATA DBPT 9P" is a data line (mistyped) though "DATA" begins a word: a
                # numbered word is followed by the next word's number, a word, or nothing
                then = toks[k + 2][1] if k + 2 < len(toks) else None
                word_like = (
                    complete_word(nxt.strip(".,:;")) is not None
                    and number <= WORD_COUNT
                    and not tok.startswith("0")
                    and (
                        then is None
                        or _line_number(then) is not None
                        or complete_word(then.strip(".,:;")) is not None
                    )
                )
                if span is None and (section == "DATA" or (not word_like and _is_group(nxt))):
                    span = 0
                    while k + 1 + span < len(toks) and span < 3:
                        t = toks[k + 1 + span][1]
                        if not _is_group(t):
                            break
                        if span and _starts_line(toks, k + 1 + span):
                            break
                        span += 1
                if span:
                    body = [t for _c, t in toks[k + 1 : k + 1 + span]]
                    chars, problem = _data_line(number, body)
                    end = toks[k + span][0] + len(toks[k + span][1])
                    # the line being typed (the cursor at its end) is checked once left
                    typing = (
                        cursor is not None
                        and row_start + col <= cursor <= row_start + end
                        and k + 1 + span >= len(toks)
                    )
                    if problem and not typing:
                        out.issues.append(Issue(i, col, end, f"data line {number:02d}: {problem}"))
                    elif not problem:
                        if number in out.lines and out.lines[number] != chars:
                            out.issues.append(
                                Issue(i, col, end, f"data line {number:02d} is typed twice")
                            )
                        out.lines[number] = chars
                        placed[number] = (i, col, end, typing)
                    k += 1 + span
                    continue
            # -- a numbered word ----------------------------------------------------------------
            if number is not None and nxt is not None and section != "DATA":
                ncol = toks[k + 1][0]
                there = row_start + ncol
                typing = cursor is not None and there <= cursor <= there + len(nxt)
                word = complete_word(nxt.strip(".,:;"))
                if not 1 <= number <= WORD_COUNT:
                    out.issues.append(
                        Issue(i, col, ncol + len(nxt), f"there is no word {number}: 1 to 33")
                    )
                elif word is not None:
                    out.completions += word != nxt.lower()
                    out.words[number - 1] = word
                elif not typing:
                    out.issues.append(
                        Issue(
                            i,
                            ncol,
                            ncol + len(nxt),
                            f"word {number}: '{nxt}' is not a SLIP-39 word{_suggest(nxt)}",
                        )
                    )
                k += 2
                continue
            if number is not None:  # a lone number (the word's number, typed so far)
                k += 1
                continue
            # -- an unnumbered word ---------------------------------------------------------------
            bare = tok.strip(".,:;")
            word = complete_word(bare)
            while sequential < WORD_COUNT and out.words[sequential] is not None:
                sequential += 1
            if word is not None and section != "DATA":
                if sequential < WORD_COUNT:
                    out.completions += word != bare.lower()
                    out.words[sequential] = word
                else:
                    out.issues.append(Issue(i, col, col + len(tok), "more than 33 words"))
            elif not editing:
                where = f"word {sequential + 1}: " if section != "DATA" else ""
                out.issues.append(
                    Issue(
                        i,
                        col,
                        col + len(tok),
                        f"{where}'{tok}' is not a SLIP-39 word{_suggest(bare)}"
                        if bare.isalpha()
                        else f"'{tok}' is neither a word nor a numbered data line",
                    )
                )
            k += 1
    _short_lines(out, placed)
    return out


def _short_lines(out: TypedShare, placed: dict[int, tuple[int, int, int, bool]]) -> None:
    """Every data line but the last has 8 characters. A line missing its last character
    can pass its check (a last '0' adds nothing to either check character), so the length is
    checked too: the missing character is named on its line, not later as damage."""
    top = max([*out.lines, out.expected_lines or 0], default=0)
    for number, chars in sorted(out.lines.items()):
        row, start, end, typing = placed.get(number, (0, 0, 0, False))
        if number < top and len(chars) != CHARS_PER_LINE and not typing:
            out.issues.append(
                Issue(
                    row,
                    start,
                    end,
                    f"data line {number:02d}: has {len(chars)} data characters; every line "
                    f"but the last has {CHARS_PER_LINE}: a character is missing",
                )
            )


def _tokens(row: str) -> list[tuple[int, str]]:
    """The row's tokens with their columns; "07:K7P2" and "7.laundry" count as two."""
    out: list[tuple[int, str]] = []
    for m in _TOKEN.finditer(row):
        glued = _GLUED.match(m.group())
        if glued:
            out.append((m.start(), glued.group(1)))
            out.append((m.start() + glued.start(2), glued.group(2)))
        else:
            out.append((m.start(), m.group()))
    return out


def _numbered_word_at(toks: list[tuple[int, str]], k: int) -> bool:
    """Whether token ``k`` is a word's number followed by a word ("14 hazard")."""
    return (
        k + 1 < len(toks)
        and _line_number(toks[k][1]) is not None
        and complete_word(toks[k + 1][1].strip(".,:;")) is not None
    )


def _starts_line(toks: list[tuple[int, str]], k: int) -> bool:
    """Whether token ``k`` looks like the number of the next data line on the same row."""
    tok = toks[k][1]
    number = _line_number(tok)
    if number is None or k + 1 >= len(toks):
        return False
    if tok.startswith("0") and len(tok) > 2:
        return False  # "0444" is data, not line 444
    nxt = toks[k + 1][1]
    return _is_group(nxt) and len(nxt) >= 3
