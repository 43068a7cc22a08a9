"""Regenerate the README's share sheet image and measure the paper output.

    .venv/bin/python tests/tools/render_share_sheet.py            # writes the PNG
    .venv/bin/python tests/tools/render_share_sheet.py --measure  # also times a 3-of-5 set

The sample set uses a fixed, fake credential and made-up custodians. The PNG shows a real,
scannable share of that sample set: it is sample material, never a real credential's share.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.paper import (
    RunbookInputs,
    SetInfo,
    render_ceremony_record,
    render_runbook,
    render_share_sheet,
    share_sheet_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "resources" / "screenshots" / "share-sheet.png"
PEOPLE = [
    Custodian("Ana Ruiz", "on-call SRE"),
    Custodian("Bo Chen", "CTO"),
    Custodian("Chidi Okafor", "security lead"),
    Custodian("Dana Weiss", "SRE"),
    Custodian("Eve Martin", "platform lead"),
]
SAMPLE = b"sample-credential-not-a-real-one-0000"


def sample_set() -> ShareSet:
    return split_credential(
        SAMPLE,
        policy=Policy.simple(3, 5),
        label="prod-aws-root (sample)",
        custodians=PEOPLE,
        created=dt.date(2025, 1, 2),
    )


def write_png(out: Path, dpi: int = 80) -> Path:
    share_set = sample_set()
    pdf = share_sheet_pdf(share_set.shares[1])
    page = pdfium.PdfDocument(pdf)[0]
    page.render(scale=dpi / 72).to_pil().convert("L").save(out, optimize=True)
    return out


def measure(paper: str) -> None:
    """Time a whole 3-of-5 set on paper: five sheets, the ceremony record, the runbook."""
    secret = os.urandom(32)
    share_set = split_credential(
        secret, policy=Policy.simple(3, 5), label="prod-aws-root", custodians=PEOPLE
    )
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        paths = [
            render_share_sheet(s, out=Path(d) / f"share-{s.number}.pdf", paper=paper)
            for s in share_set.shares
        ]
        info = SetInfo.from_share_set(share_set)
        paths.append(render_ceremony_record(info, out=Path(d) / "ceremony-record.pdf", paper=paper))
        paths.append(render_runbook(RunbookInputs(info), out=Path(d) / "runbook.pdf", paper=paper))
        elapsed = time.perf_counter() - start
        sizes = {p.name: p.stat().st_size for p in paths}
    print(f"{paper}: 3-of-5 set (5 sheets + record + runbook) rendered in {elapsed * 1000:.0f} ms")
    for name, size in sizes.items():
        print(f"  {name:22s} {size / 1024:6.1f} KiB")
    print(f"  {'total':22s} {sum(sizes.values()) / 1024:6.1f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--measure", action="store_true", help="time a 3-of-5 set too")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"wrote {write_png(args.out)}")
    if args.measure:
        for paper in ("a4", "letter"):
            measure(paper)


if __name__ == "__main__":
    main()
