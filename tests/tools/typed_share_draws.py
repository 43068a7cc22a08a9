"""How often random shares trip the typed-share reader: the numbers behind the typed-share fixes.

``python -m tests.tools.typed_share_draws [N]`` makes N fresh 2-of-3 splits (default 300; their
identifiers, keys and words random, as in every test fixture) and counts, for each way a share is
typed (the core's transcription, no headings, numbered words, data lines three to a row, data
first, ...), the shares ``read_typed`` does not read back whole and right; then, with a seeded
generator, how many single-character mistakes on a data line are not named on that line; then
how many typed texts the box's word completion would change (``word_typed_at`` over every space
typed). Every count should be 0; a rare failure shows here long before it shows in CI.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Iterator

from breakglass_gui.ceremony.typed_share import read_typed, word_typed_at
from breakglass_gui.core.codec import CROCKFORD
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import Share, parse_transcription


def layouts(share: Share) -> Iterator[tuple[str, str]]:
    lines = share.transcription_lines()
    rendered = [ln.render() for ln in lines]
    words = " ".join(share.words)
    per = -(-len(rendered) // 3)
    rows = [
        "      ".join(rendered[c * per + r] for c in range(3) if c * per + r < len(rendered))
        for r in range(per)
    ]
    dotted = "   ".join(f"{i + 1}.  {w}" for i, w in enumerate(share.words))
    printed = "\n".join(
        "  ".join(f"{i + 1:2d} {w}" for i, w in enumerate(share.words[r : r + 6], start=r))
        for r in range(0, len(share.words), 6)
    )
    plain = "\n".join(f"{ln.number} {ln.chars} {ln.check}" for ln in lines)
    yield "core transcription", share.transcription()
    yield "no headings", words + "\n" + "\n".join(rendered)
    yield "numbered words (1.)", dotted + "\n\n" + plain
    yield "numbered words as printed", printed + "\n" + "\n".join(rendered)
    yield "rows of three", "WORDS\n" + words + "\nDATA\n" + "\n".join(rows)
    yield "rows of three, no headings", words + "\n" + "\n".join(rows)
    yield "data first, numbered words", plain + "\n" + dotted
    yield "data first, printed words", "\n".join(rendered) + "\n" + printed


def _reads(text: str, share: Share) -> bool:
    got = read_typed(text)
    return got.complete and not got.issues and parse_transcription(got.canonical()) == share


def _changed_by_completion(text: str) -> bool:
    for p in range(1, len(text)):
        if not text[p].isspace() or text[p - 1].isspace():
            continue
        start = p
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        word = word_typed_at(text[: p + 1], start, p)
        if word is not None and word != text[start:p].lower():
            return True
    return False


def main(n: int) -> None:
    rng = random.Random(1)
    unread: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    mistakes = misnamed = 0
    for _ in range(n):
        share = split_credential(
            rng.randbytes(rng.choice([40, 300])),
            policy=Policy.simple(2, 3),
            label="db-root",
            custodians=[Custodian("Ana Ruiz", "on-call")],
            prove=False,
        ).shares[0]
        for name, text in layouts(share):
            unread[name] += not _reads(text, share)
            completed[name] += _changed_by_completion(text)
        sheet = share.transcription()
        for ln in share.transcription_lines()[:-1]:
            pos = rng.randrange(len(ln.chars))
            bad = (
                ln.chars[:pos]
                + rng.choice(CROCKFORD.replace(ln.chars[pos], ""))
                + ln.chars[pos + 1 :]
            )
            typed = f"{ln.number:02d}  {bad[:4]} {bad[4:]}  {ln.check}"
            want = f"data line {ln.number:02d}: the check characters do not match"
            for text in (typed, sheet.replace(ln.render(), typed)):
                mistakes += 1
                misnamed += [i.message[: len(want)] for i in read_typed(text).issues] != [want]
    print(f"{n} random shares (40- and 300-byte credentials), each typed {len(unread)} ways")
    for name in unread:
        print(
            f"  {name:28s} not read back: {unread[name]:4d}   changed by completion: "
            f"{completed[name]:4d}"
        )
    print(f"mistyped data lines not named on their own line: {misnamed} of {mistakes}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
