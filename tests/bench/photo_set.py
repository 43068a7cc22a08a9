"""Scanner benchmark on real photographs: zxing-cpp's public QR sample images.

    .venv/bin/python -m tests.bench.photo_set              # counts per decoder and folder
    .venv/bin/python -m tests.bench.photo_set --misses     # also name the images ours misses

The images are not part of this repository. They are the ``qrcode-1`` ... ``qrcode-7`` folders
of zxing-cpp's ``test/samples`` (Apache-2.0; the licence travels with them as
``LICENSE-zxing-cpp``; see ``tests/bench/PHOTO_SET.md``), kept in ``../shared/data/
zxing-cpp-qr-samples`` beside the repository (CI clones them there). Point elsewhere with
``BREAKGLASS_PHOTO_SET=DIR``. When the folder is absent the bench says so and skips.

Every image that has a ``.txt`` beside it (the exact text its code holds) is a sample. It is
loaded as ``breakglass scan`` loads it and counts as read when a decoder returns that text.
Ours is ``FrameScanner(shares_only=False)``, the scanner behind ``breakglass scan``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from breakglass_gui.scan.decoders import (
    ArucoDecoder,
    Decoder,
    OpenCVDecoder,
    ZbarDecoder,
    ZxingDecoder,
)
from breakglass_gui.scan.pipeline import FrameScanner
from breakglass_gui.scan.sources import read_image

OURS = "breakglass"
PEERS = ("opencv", "opencv-aruco", "zxing-cpp", "zbar")
UNION = "union of peers"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")


def default_dir() -> Path:
    env = os.environ.get("BREAKGLASS_PHOTO_SET")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "data" / "zxing-cpp-qr-samples"


@dataclass(frozen=True)
class Photo:
    path: Path
    folder: str
    truth: str = field(repr=False)


def photos(root: Path) -> list[Photo]:
    """Every image under ``root`` with a ``.txt`` of its exact text beside it, in name order."""
    found = []
    for image in sorted(root.rglob("*")):
        if image.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        truth = image.with_suffix(".txt")
        if not truth.is_file():
            continue
        text = truth.read_bytes().decode("utf-8", errors="replace")
        found.append(Photo(image, image.parent.name, text))
    return found


@dataclass
class PhotoOutcome:
    photo: Photo
    read: dict[str, bool] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)
    stage: str = ""


def load(photo: Photo) -> npt.NDArray[np.uint8]:
    return np.asarray(read_image(photo.path), np.uint8)


def peer_decoders() -> dict[str, Decoder]:
    peers: dict[str, Decoder] = {
        "opencv": OpenCVDecoder(),
        "opencv-aruco": ArucoDecoder(),
        "zxing-cpp": ZxingDecoder(plain_text=False),  # its own defaults, as the other peers
    }
    try:
        peers["zbar"] = ZbarDecoder()
    except (ImportError, OSError) as exc:
        print(f"zbar unavailable ({exc}); its column will be empty", file=sys.stderr)
    return peers


def run(samples: Sequence[Photo], *, peers: bool = True) -> list[PhotoOutcome]:
    ours = FrameScanner(shares_only=False)
    others = peer_decoders() if peers else {}
    outcomes = []
    for photo in samples:
        frame = load(photo)
        o = PhotoOutcome(photo)
        t = time.perf_counter()
        result = ours.scan(frame)
        o.ms[OURS] = (time.perf_counter() - t) * 1000
        o.read[OURS] = photo.truth in result.texts
        o.stage = result.stage
        for name, dec in others.items():
            t = time.perf_counter()
            texts = [d.text for d in dec.decode(frame)]
            o.ms[name] = (time.perf_counter() - t) * 1000
            o.read[name] = photo.truth in texts
        o.read[UNION] = any(o.read.get(p, False) for p in PEERS)
        outcomes.append(o)
    return outcomes


def report(outcomes: Sequence[PhotoOutcome]) -> str:
    names = [OURS, *[p for p in PEERS if any(p in o.read for o in outcomes)], UNION]
    folders = sorted({o.photo.folder for o in outcomes})
    width = max(len(f) for f in folders) if folders else 6
    head = f"{'decoder':<15} {'all':>9} {'median ms':>10}  " + " ".join(
        f"{f:>{width}}" for f in folders
    )
    lines = [head, "-" * len(head)]
    for name in names:
        total = sum(o.read.get(name, False) for o in outcomes)
        ms = [o.ms[name] for o in outcomes if name in o.ms]
        med = f"{statistics.median(ms):.1f}" if ms else ""
        per = []
        for f in folders:
            rows = [o for o in outcomes if o.photo.folder == f]
            per.append(f"{sum(o.read.get(name, False) for o in rows):>{width - 3}}/{len(rows):<2}")
        lines.append(f"{name:<15} {total:>4}/{len(outcomes):<4} {med:>10}  " + " ".join(per))
    ours = sum(o.read[OURS] for o in outcomes)
    union = sum(o.read[UNION] for o in outcomes)
    goal = "met" if ours >= union else "NOT met"
    lines.append(f"goal: ours {ours} >= union of peers {union}: {goal}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="the sample folder")
    parser.add_argument("--misses", action="store_true", help="list the images ours misses")
    args = parser.parse_args(argv)
    root = args.dir or default_dir()
    if not root.is_dir():
        print(
            f"photo set: skipped, {root} is absent (zxing-cpp's public QR samples; "
            "see tests/bench/PHOTO_SET.md)",
        )
        return 0
    samples = photos(root)
    outcomes = run(samples)
    print(f"photo set: {len(samples)} real photographs with known text in {root}")
    print(report(outcomes))
    if args.misses:
        for o in outcomes:
            if not o.read[OURS]:
                peers = [p for p in PEERS if o.read.get(p)]
                print(f"  missed {o.photo.folder}/{o.photo.path.name} (read by: {peers or '-'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
