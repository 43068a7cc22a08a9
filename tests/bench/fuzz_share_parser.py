"""Fuzz the share parsers with >= 100,000 malformed inputs; only typed errors may come out.

    .venv/bin/python -m tests.bench.fuzz_share_parser [COUNT] [SEED]

Inputs are mutations of real share texts (QR form, parts, transcriptions: digit flips,
insertions, deletions, truncations, splices between shares, random digit strings, random
unicode, look-alike digits from other scripts, huge or non-ASCII line numbers, the pre-release
"BG1" prefix, duplicated and dropped lines) plus random binary records. An input that parses
must be byte-identical to a real share (a mutation that changes nothing observable); any other
exception is a failure.
"""

from __future__ import annotations

import random
import re
import sys
import time
import traceback

from breakglass_gui.core import codec
from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import PREFIX, Share, SharePart, parse_any


def corpus() -> list[Share]:
    out: list[Share] = []
    for secret, policy in [
        (b"x" * 32, Policy.simple(3, 5)),
        (b"y" * 3, Policy.simple(2, 2)),
        (bytes(range(200)) * 10, Policy.simple(2, 3)),
        (b"z" * 64, Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])),
    ]:
        people = [Custodian(f"Person {i}", "role") for i in range(policy.total_shares)]
        out += split_credential(secret, policy=policy, label="fuzz", custodians=people).shares
    return out


# Characters that str.isdigit() or int() accept but the format does not: superscripts,
# Arabic-Indic, extended Arabic-Indic, Devanagari, Bengali, full-width, mathematical digits.
FOREIGN_DIGITS = "\u00b2\u00b3\u00b9\u0660\u0665\u06f1\u0967\u09e8\uff10\uff19\U0001d7ce"


def mutate(rnd: random.Random, texts: list[str], text: str) -> str:
    op = rnd.randrange(13)
    if not text:
        return text
    if op == 9:  # a look-alike digit somewhere
        i = rnd.randrange(len(text))
        return text[:i] + rnd.choice(FOREIGN_DIGITS) + text[i + 1 :]
    if op == 10:  # a data line number made huge, zero, or non-ASCII
        number = rnd.choice(
            ["1" * rnd.randrange(5, 5000), "0", "0000", "10000", rnd.choice(FOREIGN_DIGITS) * 2]
        )
        return re.sub(r"(?m)^\d\d(?=  )", number, text, count=rnd.randrange(1, 3))
    if op == 11:  # the pre-release prefix, or the prefix in another case
        return rnd.choice(["BG1", "bg2", "Bg2", "BG3"]) + text[3:]
    if op == 12:  # a duplicated or dropped line
        lines = text.splitlines()
        k = rnd.randrange(len(lines))
        lines.insert(k, lines[rnd.randrange(len(lines))]) if rnd.random() < 0.5 else lines.pop(k)
        return "\n".join(lines)
    i = rnd.randrange(len(text))
    if op == 0:
        return text[:i] + rnd.choice("0123456789") + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + rnd.choice("0123456789") + text[i:]
    if op == 3:
        return text[:i]
    if op == 4:
        other = rnd.choice(texts)
        return text[:i] + other[rnd.randrange(len(other)) :]
    if op == 5:
        return PREFIX + "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(600)))
    if op == 6:
        return "".join(chr(rnd.randrange(1, 0x2FFF)) for _ in range(rnd.randrange(80)))
    if op == 7:
        record = bytearray(rnd.randbytes(rnd.randrange(1, 400)))
        record[0] = rnd.choice([1, 2, rnd.randrange(256)])
        return PREFIX + codec.digits_encode(bytes(record))
    j = rnd.randrange(len(text))
    a, b = sorted((i, j))
    return text[:a] + text[b:a:-1] + text[b:]  # reverse a slice


def main(count: int = 100_000, seed: int = 1) -> int:
    rnd = random.Random(seed)
    shares = corpus()
    texts = [t for s in shares for t in s.qr_texts()] + [s.transcription() for s in shares]
    genuine = {t for s in shares for t in s.qr_texts()}
    start = time.perf_counter()
    typed = parsed = failures = 0
    for n in range(count):
        text = rnd.choice(texts)
        for _ in range(rnd.randrange(1, 4)):
            text = mutate(rnd, texts, text)
        try:
            item = parse_any(text)
        except ShareError:
            typed += 1
            continue
        except Exception:
            failures += 1
            if failures <= 5:
                print(f"input {n}: unexpected exception", file=sys.stderr)
                traceback.print_exc()
            continue
        parsed += 1
        ok = item.to_text() in genuine if isinstance(item, SharePart) else item in shares
        if not ok:
            failures += 1
            print(f"input {n}: parsed into something that is not a real share", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(
        f"fuzzed {count} inputs in {elapsed:.1f} s: {typed} typed errors, {parsed} parsed back "
        f"to genuine shares, {failures} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    sys.exit(main(*args))
