"""Scanner benchmark: our pipeline against each raw peer decoder, on simulated photographs.

    .venv/bin/python -m tests.bench.run_scan_bench            # 3 x 120 generated + 3 x 20 PDF
    .venv/bin/python -m tests.bench.run_scan_bench --per-level 30 --pdf-per-level 5   # quick
    .venv/bin/python -m tests.bench.run_scan_bench --json results.json

For every frame, in turn: our ``FrameScanner`` and the raw peers with their default settings
(OpenCV ``QRCodeDetector``, OpenCV ``QRCodeDetectorAruco``, zxing-cpp, zbar through pyzbar).
A frame counts as read when the decoder returns the exact ground-truth payload. The union
counts a frame when any peer reads it. Times are wall-clock milliseconds per frame, each
decoder given the same BGR frame (its own grey conversion included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from breakglass_gui.scan.decoders import (
    ArucoDecoder,
    Decoder,
    OpenCVDecoder,
    ZbarDecoder,
    ZxingDecoder,
)
from breakglass_gui.scan.pipeline import FrameScanner

from . import scan_corpus as corpus

OURS = "breakglass"
PEERS = ("opencv", "opencv-aruco", "zxing-cpp", "zbar")
UNION = "union of peers"


@dataclass
class Outcome:
    level: str
    source: str
    size: tuple[int, int]
    version: int
    read: dict[str, bool] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # this thread's CPU time
    stage: str = ""


def pdf_samples(seed: int, per_level: int, levels: Sequence[str]) -> Iterator[corpus.Sample]:
    """Photographs of real share sheets made by the paper module (page 1, rasterised)."""
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.paper import share_sheet_pdf

    pages = []
    with corpus._seeded_shares(seed):
        for i, size in enumerate((16, 64, 150, 400, 900)):
            sset = split_credential(
                bytes([i + 1]) * size,
                policy=Policy.simple(2, 3),
                label=("db-root", "kms unseal / eu-west-1", "")[i % 3],
                custodians=[Custodian("Ana Ruiz", "on-call"), Custodian("Bo", "")],
                created=dt.date(2024, 6, 1),
            )
            page, codes = corpus.rasterise_pdf(share_sheet_pdf(sset.shares[i % 3]), dpi=150)
            pages.append((page, codes[0]))
    index = 10_000
    for li, level in enumerate(levels):
        rng = random.Random(seed * 7 + li)
        for i in range(per_level):
            page, code = pages[i % len(pages)]
            size = corpus.FRAME_SIZES[i % len(corpus.FRAME_SIZES)]
            d = corpus.sample_distortion(level, rng, size)
            image, quad = corpus.photograph_page(
                page, code.corners, code.modules, d, rng.getrandbits(32)
            )
            version = (code.modules - 17) // 4
            yield corpus.Sample(index, level, image, code.text, quad, version, "M", "pdf", d, "pdf")
            index += 1


def run(samples: Sequence[corpus.Sample]) -> list[Outcome]:
    ours = FrameScanner()
    # the wide levels hold non-share payloads too: read them as ``breakglass scan`` does
    ours_any = FrameScanner(shares_only=False)
    peers: dict[str, Decoder] = {
        "opencv": OpenCVDecoder(),
        "opencv-aruco": ArucoDecoder(),
        "zxing-cpp": ZxingDecoder(plain_text=False),  # its own defaults, as the other peers
    }
    try:
        peers["zbar"] = ZbarDecoder()
    except (ImportError, OSError) as exc:
        print(f"zbar unavailable ({exc}); its column will be empty", file=sys.stderr)
    warm = samples[0].image
    ours.scan(warm)
    ours_any.scan(warm)
    for p in peers.values():
        p.decode(warm)
    outcomes = []
    for s in samples:
        o = Outcome(s.level, s.source, s.size, s.version)
        t, c = time.perf_counter(), time.thread_time()
        result = (ours_any if s.source == "wide" else ours).scan(s.image)
        o.ms[OURS] = (time.perf_counter() - t) * 1000
        o.cpu_ms[OURS] = (time.thread_time() - c) * 1000
        o.read[OURS] = s.truth in result.texts
        o.stage = result.stage
        for name, dec in peers.items():
            t, c = time.perf_counter(), time.thread_time()
            texts = [d.text for d in dec.decode(s.image)]
            o.ms[name] = (time.perf_counter() - t) * 1000
            o.cpu_ms[name] = (time.thread_time() - c) * 1000
            o.read[name] = s.truth in texts
        o.read[UNION] = any(o.read.get(p, False) for p in PEERS)
        outcomes.append(o)
    return outcomes


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _counts(rows: Sequence[Outcome]) -> dict[str, int]:
    return {
        "frames": len(rows),
        OURS: sum(o.read[OURS] for o in rows),
        "zxing-cpp": sum(o.read.get("zxing-cpp", False) for o in rows),
        UNION: sum(o.read[UNION] for o in rows),
    }


def summarise(outcomes: list[Outcome], levels: Sequence[str]) -> dict[str, object]:
    names = [OURS, *[p for p in PEERS if any(p in o.read for o in outcomes)], UNION]
    table: dict[str, object] = {}
    for level in [*levels, "all"]:
        rows = [o for o in outcomes if level in ("all", o.level)]
        hd = [o for o in rows if o.size == (1280, 720)]
        entry: dict[str, object] = {"frames": len(rows), "frames_1280x720": len(hd)}
        for name in names:
            ms = [o.ms[name] for o in rows if name in o.ms]
            ms_hd = [o.ms[name] for o in hd if name in o.ms]
            entry[name] = {
                "read": sum(o.read.get(name, False) for o in rows),
                "rate": round(sum(o.read.get(name, False) for o in rows) / max(1, len(rows)), 4),
                "median_ms": round(statistics.median(ms), 2) if ms else None,
                "median_cpu_ms": (
                    round(statistics.median(cpu), 2)
                    if (cpu := [o.cpu_ms[name] for o in rows if name in o.cpu_ms])
                    else None
                ),
                "p90_ms": round(_pct(ms, 0.9), 2) if ms else None,
                "median_ms_1280x720": round(statistics.median(ms_hd), 2) if ms_hd else None,
            }
        by_source = {}
        for src in sorted({o.source for o in rows}):
            sub = [o for o in rows if o.source == src]
            by_source[src] = {
                "frames": len(sub),
                OURS: sum(o.read[OURS] for o in sub),
                UNION: sum(o.read[UNION] for o in sub),
            }
        entry["by_source"] = by_source
        slices = {}
        for size in sorted({o.size for o in rows}):
            sub = [o for o in rows if o.size == size]
            slices[f"{size[0]}x{size[1]}"] = _counts(sub)
        for lo, hi in ((5, 11), (12, 15), (16, 18)):
            sub = [o for o in rows if lo <= o.version <= hi]
            if sub:
                slices[f"v{lo}-{hi}"] = _counts(sub)
        entry["slices"] = slices
        table[level] = entry
    return table


def report(table: dict[str, object], levels: Sequence[str]) -> str:
    lines = []
    header = f"{'level':<7} {'decoder':<15} {'read':>9} {'rate':>7} {'median ms':>10} {'p90 ms':>8}"
    lines.append(header)
    lines.append("-" * len(header))
    for level in [*levels, "all"]:
        entry = table[level]
        assert isinstance(entry, dict)
        n = entry["frames"]
        for name, v in entry.items():
            if not isinstance(v, dict) or "read" not in v:
                continue
            med = "" if v["median_ms"] is None else f"{v['median_ms']:.1f}"
            p90 = "" if v["p90_ms"] is None else f"{v['p90_ms']:.1f}"
            lines.append(
                f"{level:<7} {name:<15} {v['read']:>4}/{n:<4} {v['rate'] * 100:>6.1f}% "
                f"{med:>10} {p90:>8}"
            )
        lines.append("")
    lines.append("Goals")
    for level in levels:
        entry = table[level]
        assert isinstance(entry, dict)
        ours, union = entry[OURS], entry[UNION]
        assert isinstance(ours, dict) and isinstance(union, dict)
        ok = "met" if ours["read"] >= union["read"] else "NOT met"
        lines.append(
            f"  {level}: ours {ours['rate'] * 100:.1f}% vs union {union['rate'] * 100:.1f}% ({ok})"
        )
    for level in [*levels, "all"]:
        entry = table[level]
        assert isinstance(entry, dict)
        ours, zx = entry[OURS], entry.get("zxing-cpp")
        if not isinstance(ours, dict) or not isinstance(zx, dict):
            continue
        a, b = ours["median_ms"], zx["median_ms"]
        if a is not None and b is not None:
            ratio = a / b if b else float("inf")
            ok = "met" if ratio <= 1.5 else "NOT met"
            lines.append(
                f"  median per frame, {level}: ours {a:.1f} ms, zxing-cpp {b:.1f} ms, "
                f"ratio {ratio:.2f} (goal <= 1.5: {ok})"
            )
        a, b = ours["median_ms_1280x720"], zx["median_ms_1280x720"]
        if a is None or b is None:
            continue
        ratio = a / b if b else float("inf")
        ok = "met" if ratio <= 1.5 else "NOT met"
        lines.append(
            f"  median per 1280x720 frame, {level}: ours {a:.1f} ms, zxing-cpp {b:.1f} ms, "
            f"ratio {ratio:.2f} (goal <= 1.5: {ok})"
        )
    lines.append("")
    lines.append("By frame size and QR version (ours / zxing-cpp / union of peers / frames)")
    for level in [*levels, "all"]:
        entry = table[level]
        assert isinstance(entry, dict)
        slices = entry.get("slices", {})
        assert isinstance(slices, dict)
        cells = [
            f"{k} {v[OURS]}/{v['zxing-cpp']}/{v[UNION]}/{v['frames']}" for k, v in slices.items()
        ]
        lines.append(f"  {level:<11} " + ", ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-level", type=int, default=120)
    parser.add_argument("--pdf-per-level", type=int, default=20)
    parser.add_argument(
        "--wide-per-level", type=int, default=60, help="frames per level of the wide generator"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--save-failures", type=Path, help="write frames ours missed here")
    args = parser.parse_args(argv)
    levels: tuple[str, ...] = ()
    t0 = time.perf_counter()
    samples: list[corpus.Sample] = []
    if args.per_level:
        levels += corpus.LEVELS
        samples += list(corpus.generate(args.seed, args.per_level, corpus.LEVELS))
    if args.pdf_per_level:
        samples += list(pdf_samples(args.seed, args.pdf_per_level, corpus.LEVELS))
    if args.wide_per_level:
        levels += corpus.WIDE_LEVELS
        samples += list(corpus.generate_wide(args.seed, args.wide_per_level))
    gen_s = time.perf_counter() - t0
    versions = sorted({s.version for s in samples})
    print(
        f"{len(samples)} frames generated in {gen_s:.0f} s (seed {args.seed}); "
        f"QR versions {versions[0]}..{versions[-1]}; decoding...",
        file=sys.stderr,
    )
    t1 = time.perf_counter()
    outcomes = run(samples)
    run_s = time.perf_counter() - t1
    table = summarise(outcomes, levels)
    stages: dict[str, int] = {}
    for o in outcomes:
        if o.read[OURS]:
            stages[o.stage] = stages.get(o.stage, 0) + 1
    print(report(table, levels))
    print(f"\nour reads by stage: {dict(sorted(stages.items(), key=lambda kv: -kv[1]))}")
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, OpenCV {cv2.__version__}; generation {gen_s:.0f} s, "
        f"decoding {run_s:.0f} s"
    )
    if args.save_failures:
        args.save_failures.mkdir(parents=True, exist_ok=True)
        for s, o in zip(samples, outcomes, strict=True):
            if not o.read[OURS]:
                name = f"{s.index:05d}-{s.level}-{s.source}-v{s.version}.jpg"
                cv2.imwrite(str(args.save_failures / name), s.image)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"seed": args.seed, "frames": len(samples), "levels": table, "stages": stages},
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
